//! Re-checking the rules for a whole tenant (a top-level org and everything below it) for a year,
//! and keeping the findings up to date after each write by checking again only the branches the
//! write can reach.
//!
//! - [`Rechecker::full`] reads the tenant in chunks of branches, in tree order (one index range of
//!   paths per kind and chunk), and evaluates each chunk while the next one is being read, so that
//!   the pass needs about as long as the reading and holds a few chunks of records at a time, not
//!   the tenant. [`read_floor`] does the same reads and nothing else: the time no re-check can beat.
//! - [`Rechecker::catch_up`] reads the chain entries written since, asks the engine which branches
//!   each version reaches ([`zhibu_core::engine::reach`], for the version written and the one it
//!   replaced), and evaluates those branches again from their own records.
//!
//! Either way a branch's findings are those `evaluate` gives for it over the whole tenant: a
//! branch's snapshot holds its subtree, its ancestors with their local rules, the exemptions of its
//! findings, and every member posted to it at any time. Members are kept under the path of their
//! latest posting, so a member who transferred out is found through the map of such postings this
//! module keeps ([`Rechecker`] `foreign`), and a member whose record a branch's records name (an
//! attendee, a committee member) is read by id if the branch does not hold them any more.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;
use zhibu_core::admission::AdmissionRecord;
use zhibu_core::dues::{BranchDuesPolicy, DuesPayment, DuesRelief, IncomeDeclaration};
use zhibu_core::engine::{self, EvaluationRequest, Finding, Reach, RecordRef, Report, Snapshot};
use zhibu_core::rules::LocalRule;
use zhibu_core::{
    CommitteeTerm, Exemption, HeartToHeartTalk, Meeting, Member, Org, OrgId, OrgLevel, Record,
    RecordKind, Stored,
};

use crate::repository::decode;
use crate::{
    ChainEntry, PathRangeQuery, RecordQuery, RecordRow, Repository, StorageError, subtree_end,
    tenant_end,
};

/// Which findings to keep: every branch of `tenant` for the calendar year `year`, as of `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecheckScope {
    /// A top-level org (its path is `/{id}/`).
    pub tenant: OrgId,
    pub year: i32,
    pub today: NaiveDate,
    pub horizon_days: u32,
}

impl RecheckScope {
    pub fn request(&self) -> EvaluationRequest {
        EvaluationRequest {
            root: self.tenant,
            from: self.year_start(),
            to: self.year_end(),
            today: self.today,
            horizon_days: self.horizon_days,
        }
    }

    fn year_start(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, 1, 1).unwrap_or(NaiveDate::MIN)
    }

    fn year_end(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, 12, 31).unwrap_or(NaiveDate::MAX)
    }

    fn tenant_path(&self) -> String {
        format!("/{}/", self.tenant)
    }
}

/// How much a pass read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    pub chunks: u64,
    pub rows: u64,
    /// Bytes of record bodies (JSON text).
    pub body_bytes: u64,
    pub orgs: u64,
    pub members: u64,
    pub committee_terms: u64,
    pub meetings: u64,
    pub talks: u64,
    pub admission_records: u64,
    pub exemptions: u64,
    pub local_rules: u64,
}

impl ReadStats {
    fn count(&mut self, kind: RecordKind, rows: &[RecordRow]) {
        self.rows += rows.len() as u64;
        self.body_bytes += rows.iter().map(|row| row.body.len() as u64).sum::<u64>();
        let counter = match kind {
            RecordKind::Org => &mut self.orgs,
            RecordKind::Member => &mut self.members,
            RecordKind::CommitteeTerm => &mut self.committee_terms,
            RecordKind::Meeting => &mut self.meetings,
            RecordKind::Talk => &mut self.talks,
            RecordKind::AdmissionRecord => &mut self.admission_records,
            RecordKind::Exemption => &mut self.exemptions,
            RecordKind::LocalRule => &mut self.local_rules,
            _ => return,
        };
        *counter += rows.len() as u64;
    }
}

/// What [`Rechecker::catch_up`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// Chain entries read.
    pub changes: usize,
    /// Branches evaluated again, in id order.
    pub branches: Vec<OrgId>,
    /// Whether so many branches were reached that the whole tenant was re-checked instead.
    pub full: bool,
    /// Paths of branches that left the tenant's tree (deleted): they have no findings any more.
    pub removed_paths: Vec<String>,
}

/// Where an org sits in the tenant's tree, and what the pages show of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgNode {
    pub parent: Option<OrgId>,
    pub level: OrgLevel,
    pub path: String,
    pub name: String,
    pub established_on: NaiveDate,
    pub dissolved_on: Option<NaiveDate>,
}

impl OrgNode {
    fn new(org: &Org, path: String) -> OrgNode {
        OrgNode {
            parent: org.parent_id,
            level: org.level,
            path,
            name: org.name.clone(),
            established_on: org.established_on,
            dissolved_on: org.dissolved_on,
        }
    }

    /// Whether the org existed at some time during `year`.
    pub fn exists_in(&self, year: i32) -> bool {
        use chrono::Datelike;
        self.established_on.year() <= year && self.dissolved_on.is_none_or(|end| end.year() >= year)
    }
}

/// A tenant's orgs as a re-checker last saw them: for the pages that show stored findings (names,
/// children, paths) without reading the tenant's orgs on every request.
#[derive(Debug, Clone, Default)]
pub struct OrgTree {
    nodes: HashMap<OrgId, OrgNode>,
    children: HashMap<OrgId, Vec<OrgId>>,
}

impl OrgTree {
    pub fn node(&self, id: OrgId) -> Option<&OrgNode> {
        self.nodes.get(&id)
    }

    /// The orgs directly below `id`, in id order.
    pub fn children(&self, id: OrgId) -> &[OrgId] {
        self.children.get(&id).map_or(&[], Vec::as_slice)
    }

    /// The branch an org belongs to: itself, or the branch above a party group.
    pub fn branch_of(&self, org: OrgId) -> Option<OrgId> {
        branch_of(&self.nodes, org)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// The kinds read chunk by chunk (the rest are read once for the whole tenant).
const CHUNK_KINDS: [RecordKind; 9] = [
    RecordKind::Member,
    RecordKind::CommitteeTerm,
    RecordKind::Meeting,
    RecordKind::Talk,
    RecordKind::AdmissionRecord,
    RecordKind::IncomeDeclaration,
    RecordKind::DuesPayment,
    RecordKind::DuesRelief,
    RecordKind::DuesPolicy,
];

/// Of those, the kinds read whatever their date.
const UNDATED_CHUNK_KINDS: [RecordKind; 7] = [
    RecordKind::Member,
    RecordKind::CommitteeTerm,
    RecordKind::AdmissionRecord,
    RecordKind::IncomeDeclaration,
    RecordKind::DuesPayment,
    RecordKind::DuesRelief,
    RecordKind::DuesPolicy,
];

/// Events: only those of the years concerned are read, as `Repository::load_snapshot` does.
const DATED_KINDS: [RecordKind; 2] = [RecordKind::Meeting, RecordKind::Talk];

/// What a branch's subtree holds for the engine, besides events.
const UNDATED_BRANCH_KINDS: [RecordKind; 10] = [
    RecordKind::Org,
    RecordKind::Member,
    RecordKind::CommitteeTerm,
    RecordKind::Exemption,
    RecordKind::AdmissionRecord,
    RecordKind::LocalRule,
    RecordKind::IncomeDeclaration,
    RecordKind::DuesPayment,
    RecordKind::DuesRelief,
    RecordKind::DuesPolicy,
];

/// Branches per chunk of a full pass unless the caller says otherwise: about 10,000 members and
/// 20,000 meetings of the demo city, a few tens of megabytes of records in flight.
pub const DEFAULT_CHUNK_BRANCHES: usize = 500;

/// More branches reached by one catch-up than this share of the tenant (in thousandths), and a
/// full pass is cheaper than evaluating them one by one.
const FULL_PASS_PER_MILLE: usize = 20;

/// The findings of every branch of a tenant, kept up to date.
pub struct Rechecker {
    repository: Repository,
    scope: RecheckScope,
    chunk_branches: usize,
    tree: HashMap<OrgId, OrgNode>,
    children: HashMap<OrgId, Vec<OrgId>>,
    /// Members posted (now or before) to a branch whose path is not the one their record is kept
    /// under, by that branch.
    foreign: HashMap<OrgId, BTreeSet<i64>>,
    /// The same, by member: the branches each such member is foreign to.
    foreign_of_member: HashMap<i64, Vec<OrgId>>,
    findings: BTreeMap<OrgId, Vec<Finding>>,
    rule_problems: BTreeSet<String>,
    /// The sequence number of the last chain entry taken into account.
    generation: i64,
    /// The tree as last handed out by [`Rechecker::org_tree`]; dropped when an org changes.
    published: std::sync::Mutex<Option<Arc<OrgTree>>>,
    /// Paths of branches removed from the tree since the last catch-up began.
    removed_paths: Vec<String>,
}

/// The rows of one chunk.
struct ChunkRows {
    index: usize,
    rows: Vec<(RecordKind, Vec<RecordRow>)>,
}

/// What one chunk's evaluation produced.
struct ChunkOutcome {
    report: Report,
    /// (branch, member) for every posting of a member of this chunk to a branch whose path is not
    /// the member's.
    foreign: Vec<(OrgId, Stored<Member>)>,
    /// Branches of the chunk whose records name members the snapshot did not hold.
    incomplete: Vec<OrgId>,
}

/// What every chunk's evaluation shares.
struct Shared {
    repository: Repository,
    request: EvaluationRequest,
    orgs: HashMap<OrgId, Stored<Org>>,
    tree: HashMap<OrgId, OrgNode>,
    children: HashMap<OrgId, Vec<OrgId>>,
    local_rules: Vec<Stored<LocalRule>>,
    /// Exemptions by the branch of the org they are about.
    exemptions: HashMap<OrgId, Vec<Stored<Exemption>>>,
}

fn decode_all<T: Record>(rows: &[RecordRow]) -> Result<Vec<Stored<T>>, StorageError> {
    let mut items = rows
        .iter()
        .map(decode::<T>)
        .collect::<Result<Vec<_>, _>>()?;
    // Storage lists by id; the engine's evidence follows snapshot order where dates tie.
    items.sort_by_key(|item| item.id);
    Ok(items)
}

/// The branch an org belongs to: itself, or the branch above a party group.
fn branch_of(tree: &HashMap<OrgId, OrgNode>, org: OrgId) -> Option<OrgId> {
    let node = tree.get(&org)?;
    match node.level {
        OrgLevel::Branch => Some(org),
        OrgLevel::PartyGroup => node.parent.filter(|parent| {
            tree.get(parent)
                .is_some_and(|node| node.level == OrgLevel::Branch)
        }),
        _ => None,
    }
}

fn ancestors(tree: &HashMap<OrgId, OrgNode>, org: OrgId) -> Vec<OrgId> {
    let mut chain = Vec::new();
    let mut current = tree.get(&org).and_then(|node| node.parent);
    while let Some(id) = current {
        if chain.contains(&id) {
            break;
        }
        chain.push(id);
        current = tree.get(&id).and_then(|node| node.parent);
    }
    chain
}

/// Member ids the records of a snapshot name that the snapshot does not hold, where the engine
/// reads them by id: the committee members and the people who talked (it writes their names in
/// evidence). Attendance is only matched against the roster, so attendees are not needed.
fn missing_members(snapshot: &Snapshot) -> BTreeSet<i64> {
    let held: HashSet<i64> = snapshot.members.iter().map(|member| member.id).collect();
    let mut named = BTreeSet::new();
    for term in &snapshot.committee_terms {
        named.extend(
            term.body
                .positions
                .iter()
                .map(|position| position.member_id.0),
        );
    }
    for talk in &snapshot.talks {
        named.extend(talk.body.participants.iter().map(|member| member.0));
    }
    named.retain(|id| !held.contains(id));
    named
}

/// The postings of `member` (kept under `member_path`) to branches whose path is another.
fn foreign_postings(
    tree: &HashMap<OrgId, OrgNode>,
    member_path: &str,
    member: &Member,
) -> Vec<OrgId> {
    let mut branches: Vec<OrgId> = member
        .postings
        .iter()
        .map(|posting| posting.branch_id)
        .filter(|branch| tree.get(branch).is_none_or(|node| node.path != member_path))
        .collect();
    branches.sort();
    branches.dedup();
    branches
}

fn evaluate_chunk(
    shared: &Shared,
    branches: &[OrgId],
    foreign: Vec<Stored<Member>>,
    rows: ChunkRows,
) -> Result<ChunkOutcome, StorageError> {
    let mut snapshot = Snapshot::default();
    let mut member_paths: HashMap<i64, String> = HashMap::new();
    for (kind, rows) in &rows.rows {
        match kind {
            RecordKind::Member => {
                member_paths.extend(rows.iter().map(|row| (row.id, row.org_path.clone())));
                snapshot.members = decode_all(rows)?;
            }
            RecordKind::CommitteeTerm => snapshot.committee_terms = decode_all(rows)?,
            RecordKind::Meeting => snapshot.meetings = decode_all(rows)?,
            RecordKind::Talk => snapshot.talks = decode_all(rows)?,
            RecordKind::AdmissionRecord => snapshot.admission_records = decode_all(rows)?,
            RecordKind::IncomeDeclaration => snapshot.income_declarations = decode_all(rows)?,
            RecordKind::DuesPayment => snapshot.dues_payments = decode_all(rows)?,
            RecordKind::DuesRelief => snapshot.dues_reliefs = decode_all(rows)?,
            RecordKind::DuesPolicy => snapshot.dues_policies = decode_all(rows)?,
            _ => {}
        }
    }
    let mut foreign_out = Vec::new();
    for member in &snapshot.members {
        let path = member_paths.get(&member.id).map_or("", String::as_str);
        for branch in foreign_postings(&shared.tree, path, &member.body) {
            foreign_out.push((branch, member.clone()));
        }
    }
    snapshot.members.extend(foreign);
    snapshot.members.sort_by_key(|member| member.id);
    snapshot.members.dedup_by_key(|member| member.id);

    let mut org_ids: BTreeSet<OrgId> = BTreeSet::new();
    for branch in branches {
        org_ids.insert(*branch);
        org_ids.extend(shared.children.get(branch).into_iter().flatten());
        org_ids.extend(ancestors(&shared.tree, *branch));
        if let Some(exemptions) = shared.exemptions.get(branch) {
            snapshot.exemptions.extend(exemptions.iter().cloned());
        }
    }
    snapshot.orgs = org_ids
        .iter()
        .filter_map(|id| shared.orgs.get(id).cloned())
        .collect();
    snapshot.exemptions.sort_by_key(|exemption| exemption.id);
    snapshot.local_rules = shared.local_rules.clone();

    let missing = missing_members(&snapshot);
    let incomplete = if missing.is_empty() {
        Vec::new()
    } else {
        let mut incomplete: BTreeSet<OrgId> = BTreeSet::new();
        for term in &snapshot.committee_terms {
            if term
                .body
                .positions
                .iter()
                .any(|position| missing.contains(&position.member_id.0))
            {
                incomplete.extend(branch_of(&shared.tree, term.body.org_id));
            }
        }
        for talk in &snapshot.talks {
            if talk
                .body
                .participants
                .iter()
                .any(|member| missing.contains(&member.0))
            {
                incomplete.extend(branch_of(&shared.tree, talk.body.org_id));
            }
        }
        incomplete.into_iter().collect()
    };
    let report = engine::evaluate_branches(
        shared.repository.catalogue(),
        &snapshot,
        &shared.request,
        branches,
    );
    Ok(ChunkOutcome {
        report,
        foreign: foreign_out,
        incomplete,
    })
}

/// Reads the tenant's orgs, local rules and exemptions.
async fn read_tenant_wide(
    repository: &Repository,
    scope: &RecheckScope,
    stats: &mut ReadStats,
) -> Result<(Vec<RecordRow>, Vec<RecordRow>, Vec<RecordRow>), StorageError> {
    let path = scope.tenant_path();
    let backend = repository.backend();
    let read = |kind: RecordKind| {
        let query = RecordQuery::in_subtree(kind, &path);
        async move { backend.list(&query).await }
    };
    let orgs = read(RecordKind::Org).await?;
    let local_rules = read(RecordKind::LocalRule).await?;
    let exemptions = read(RecordKind::Exemption).await?;
    stats.count(RecordKind::Org, &orgs);
    stats.count(RecordKind::LocalRule, &local_rules);
    stats.count(RecordKind::Exemption, &exemptions);
    Ok((orgs, local_rules, exemptions))
}

/// The tenant's orgs as a tree (by id), the children of each, and the orgs themselves.
type TenantTree = (
    HashMap<OrgId, OrgNode>,
    HashMap<OrgId, Vec<OrgId>>,
    HashMap<OrgId, Stored<Org>>,
);

/// The tree of the tenant's orgs, from their rows.
fn build_tree(org_rows: &[RecordRow]) -> Result<TenantTree, StorageError> {
    let mut tree = HashMap::with_capacity(org_rows.len());
    let mut children: HashMap<OrgId, Vec<OrgId>> = HashMap::new();
    let mut orgs = HashMap::with_capacity(org_rows.len());
    for row in org_rows {
        let org = decode::<Org>(row)?;
        let id = OrgId(row.id);
        tree.insert(id, OrgNode::new(&org.body, row.org_path.clone()));
        if let Some(parent) = org.body.parent_id {
            children.entry(parent).or_default().push(id);
        }
        orgs.insert(id, org);
    }
    for list in children.values_mut() {
        list.sort();
    }
    Ok((tree, children, orgs))
}

fn branches_in_path_order(tree: &HashMap<OrgId, OrgNode>) -> Vec<(OrgId, String)> {
    let mut branches: Vec<(OrgId, String)> = tree
        .iter()
        .filter(|(_, node)| node.level == OrgLevel::Branch)
        .map(|(id, node)| (*id, node.path.clone()))
        .collect();
    branches.sort_by(|a, b| a.1.as_bytes().cmp(b.1.as_bytes()));
    branches
}

/// Chunks of consecutive branches and the path range each covers. The ranges partition the
/// tenant: the first starts at the tenant's own path, the last ends at [`tenant_end`].
fn chunk_ranges(
    scope: &RecheckScope,
    branches: &[(OrgId, String)],
    per_chunk: usize,
) -> Vec<(Vec<OrgId>, String, String)> {
    let per_chunk = per_chunk.max(1);
    let groups: Vec<&[(OrgId, String)]> = branches.chunks(per_chunk).collect();
    let mut ranges = Vec::with_capacity(groups.len());
    for (index, group) in groups.iter().enumerate() {
        let from = if index == 0 {
            scope.tenant_path()
        } else {
            group[0].1.clone()
        };
        let to = match groups.get(index + 1) {
            Some(next) => next[0].1.clone(),
            None => tenant_end(scope.tenant.0),
        };
        ranges.push((group.iter().map(|(id, _)| *id).collect(), from, to));
    }
    ranges
}

async fn read_chunk(
    repository: &Repository,
    scope: &RecheckScope,
    index: usize,
    from: &str,
    to: &str,
) -> Result<ChunkRows, StorageError> {
    let backend = repository.backend();
    let range = |kinds: Vec<RecordKind>, dated: bool| PathRangeQuery {
        kinds,
        path_from: from.to_string(),
        path_to: to.to_string(),
        event_from: dated.then(|| scope.year_start()),
        event_to: dated.then(|| scope.year_end()),
    };
    // Two reads: the kinds kept whatever their date, and the year's events.
    let mut found = backend
        .list_path_range(&range(UNDATED_CHUNK_KINDS.to_vec(), false))
        .await?;
    found.extend(
        backend
            .list_path_range(&range(DATED_KINDS.to_vec(), true))
            .await?,
    );
    let mut rows: Vec<(RecordKind, Vec<RecordRow>)> =
        CHUNK_KINDS.iter().map(|kind| (*kind, Vec::new())).collect();
    for row in found {
        if let Some((_, list)) = rows.iter_mut().find(|(kind, _)| *kind == row.kind) {
            list.push(row);
        }
    }
    Ok(ChunkRows { index, rows })
}

/// The reads of a full pass, and nothing else: the floor under the time of a re-check.
pub async fn read_floor(
    repository: &Repository,
    scope: RecheckScope,
    chunk_branches: usize,
) -> Result<ReadStats, StorageError> {
    let mut stats = ReadStats::default();
    let (orgs, _, _) = read_tenant_wide(repository, &scope, &mut stats).await?;
    let (tree, _, _) = build_tree(&orgs)?;
    drop(orgs);
    for (index, (_, from, to)) in
        chunk_ranges(&scope, &branches_in_path_order(&tree), chunk_branches)
            .iter()
            .enumerate()
    {
        let chunk = read_chunk(repository, &scope, index, from, to).await?;
        stats.chunks += 1;
        for (kind, rows) in &chunk.rows {
            stats.count(*kind, rows);
        }
    }
    Ok(stats)
}

impl Rechecker {
    /// Re-checks every branch of the tenant, `chunk_branches` branches at a time (see
    /// [`DEFAULT_CHUNK_BRANCHES`]), reading the next chunk while evaluating one.
    pub async fn full(
        repository: &Repository,
        scope: RecheckScope,
        chunk_branches: usize,
    ) -> Result<(Rechecker, ReadStats), StorageError> {
        // Taken before reading: a write that lands during the pass is applied again by the next
        // catch-up, which changes nothing if the pass already saw it.
        let generation = repository
            .backend()
            .chain_head()
            .await?
            .map_or(0, |head| head.seq);
        let mut stats = ReadStats::default();
        let (org_rows, local_rule_rows, exemption_rows) =
            read_tenant_wide(repository, &scope, &mut stats).await?;
        let (tree, children, orgs) = build_tree(&org_rows)?;
        drop(org_rows);
        let mut exemptions: HashMap<OrgId, Vec<Stored<Exemption>>> = HashMap::new();
        for exemption in decode_all::<Exemption>(&exemption_rows)? {
            if let Some(branch) = branch_of(&tree, exemption.body.org_id) {
                exemptions.entry(branch).or_default().push(exemption);
            }
        }
        let shared = Arc::new(Shared {
            repository: repository.clone(),
            request: scope.request(),
            orgs,
            tree: tree.clone(),
            children: children.clone(),
            local_rules: decode_all::<LocalRule>(&local_rule_rows)?,
            exemptions,
        });
        let branches = branches_in_path_order(&tree);
        let ranges = chunk_ranges(&scope, &branches, chunk_branches);
        let chunk_of: HashMap<OrgId, usize> = ranges
            .iter()
            .enumerate()
            .flat_map(|(index, (ids, _, _))| ids.iter().map(move |id| (*id, index)))
            .collect();

        let mut rechecker = Rechecker {
            repository: repository.clone(),
            scope,
            chunk_branches,
            tree,
            children,
            foreign: HashMap::new(),
            foreign_of_member: HashMap::new(),
            findings: BTreeMap::new(),
            rule_problems: BTreeSet::new(),
            generation,
            published: std::sync::Mutex::new(None),
            removed_paths: Vec::new(),
        };

        // The reader runs ahead of the evaluation by at most two chunks.
        let (sender, mut receiver) =
            tokio::sync::mpsc::channel::<Result<ChunkRows, StorageError>>(1);
        let reader_repository = repository.clone();
        let reader_ranges: Vec<(String, String)> = ranges
            .iter()
            .map(|(_, from, to)| (from.clone(), to.clone()))
            .collect();
        let reader = tokio::spawn(async move {
            for (index, (from, to)) in reader_ranges.iter().enumerate() {
                let chunk = read_chunk(&reader_repository, &scope, index, from, to).await;
                let failed = chunk.is_err();
                if sender.send(chunk).await.is_err() || failed {
                    break;
                }
            }
        });

        let mut pending_foreign: HashMap<OrgId, Vec<Stored<Member>>> = HashMap::new();
        let mut late: BTreeSet<OrgId> = BTreeSet::new();
        while let Some(chunk) = receiver.recv().await {
            let chunk = chunk?;
            stats.chunks += 1;
            for (kind, rows) in &chunk.rows {
                stats.count(*kind, rows);
            }
            let index = chunk.index;
            let chunk_branches: Vec<OrgId> = ranges[index].0.clone();
            let foreign: Vec<Stored<Member>> = chunk_branches
                .iter()
                .filter_map(|branch| pending_foreign.remove(branch))
                .flatten()
                .collect();
            let shared = shared.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                evaluate_chunk(&shared, &chunk_branches, foreign, chunk)
            })
            .await
            .map_err(StorageError::database)??;
            for (branch, member) in outcome.foreign {
                rechecker.note_foreign(member.id, branch);
                match chunk_of.get(&branch) {
                    Some(other) if *other > index => {
                        pending_foreign.entry(branch).or_default().push(member)
                    }
                    Some(other) if *other < index => {
                        late.insert(branch);
                    }
                    _ => {}
                }
            }
            late.extend(outcome.incomplete);
            rechecker.take_report(outcome.report);
        }
        reader.await.map_err(StorageError::database)?;
        // Branches that turned out to have members recorded elsewhere, or whose records name
        // members they no longer hold, are evaluated again from their own records.
        for branch in late {
            rechecker.recheck_branch(branch).await?;
        }
        Ok((rechecker, stats))
    }

    fn note_foreign(&mut self, member: i64, branch: OrgId) {
        self.foreign.entry(branch).or_default().insert(member);
        let list = self.foreign_of_member.entry(member).or_default();
        if !list.contains(&branch) {
            list.push(branch);
        }
    }

    fn forget_foreign(&mut self, member: i64) {
        for branch in self.foreign_of_member.remove(&member).unwrap_or_default() {
            if let Some(set) = self.foreign.get_mut(&branch) {
                set.remove(&member);
                if set.is_empty() {
                    self.foreign.remove(&branch);
                }
            }
        }
    }

    /// Files a report's findings under their branches (replacing what those branches had).
    fn take_report(&mut self, report: Report) {
        let tree = &self.tree;
        let parent_of = |org: OrgId| tree.get(&org).map(|node| (node.level, node.parent));
        let mut by_branch: BTreeMap<OrgId, Vec<Finding>> = BTreeMap::new();
        for finding in report.findings {
            by_branch
                .entry(engine::branch_of_finding(&finding, parent_of))
                .or_default()
                .push(finding);
        }
        for (branch, findings) in by_branch {
            self.findings.insert(branch, findings);
        }
        self.rule_problems.extend(report.rule_problems);
    }

    /// The snapshot of one branch, as `Repository::load_snapshot(branch, …)` gives it (its subtree,
    /// its ancestors and their own local rules, the year's events), plus the members posted to it
    /// whose records are kept elsewhere and members its records name — in four round trips, so
    /// that a re-check after a write stays a few milliseconds on a server database.
    async fn branch_snapshot(&self, branch: OrgId) -> Result<Snapshot, StorageError> {
        let backend = self.repository.backend();
        let Some(path) = self.tree.get(&branch).map(|node| node.path.clone()) else {
            return Ok(Snapshot::default());
        };
        let range =
            |kinds: Vec<RecordKind>, from: String, to: String, dated: bool| PathRangeQuery {
                kinds,
                path_from: from,
                path_to: to,
                event_from: dated.then(|| self.scope.year_start()),
                event_to: dated.then(|| self.scope.year_end()),
            };
        let mut rows = backend
            .list_path_range(&range(
                UNDATED_BRANCH_KINDS.to_vec(),
                path.clone(),
                subtree_end(&path),
                false,
            ))
            .await?;
        rows.extend(
            backend
                .list_path_range(&range(
                    DATED_KINDS.to_vec(),
                    path.clone(),
                    subtree_end(&path),
                    true,
                ))
                .await?,
        );
        let ancestor_ids: Vec<i64> = ancestors(&self.tree, branch)
            .iter()
            .map(|id| id.0)
            .collect();
        rows.extend(
            backend
                .get_many(&ancestor_ids)
                .await?
                .into_iter()
                .filter(|row| row.kind == RecordKind::Org && !row.deleted),
        );
        // The ancestors' own local rules: a local rule is kept under the path of the org that
        // issued it, so they are the tenant's rules kept at an ancestor's path.
        let ancestor_paths: HashSet<String> = ancestor_ids
            .iter()
            .filter_map(|id| self.tree.get(&OrgId(*id)))
            .map(|node| node.path.clone())
            .collect();
        let tenant_rules = backend
            .list_path_range(&range(
                vec![RecordKind::LocalRule],
                self.scope.tenant_path(),
                tenant_end(self.scope.tenant.0),
                false,
            ))
            .await?;
        rows.extend(
            tenant_rules
                .into_iter()
                .filter(|row| ancestor_paths.contains(&row.org_path)),
        );

        let mut snapshot = Snapshot::default();
        let by_kind = |kind: RecordKind| {
            rows.iter()
                .filter(move |row| row.kind == kind)
                .cloned()
                .collect::<Vec<_>>()
        };
        snapshot.orgs = decode_all(&by_kind(RecordKind::Org))?;
        snapshot.members = decode_all(&by_kind(RecordKind::Member))?;
        snapshot.committee_terms = decode_all(&by_kind(RecordKind::CommitteeTerm))?;
        snapshot.exemptions = decode_all(&by_kind(RecordKind::Exemption))?;
        snapshot.admission_records = decode_all(&by_kind(RecordKind::AdmissionRecord))?;
        snapshot.local_rules = decode_all(&by_kind(RecordKind::LocalRule))?;
        snapshot.meetings = decode_all(&by_kind(RecordKind::Meeting))?;
        snapshot.talks = decode_all(&by_kind(RecordKind::Talk))?;
        snapshot.income_declarations = decode_all(&by_kind(RecordKind::IncomeDeclaration))?;
        snapshot.dues_payments = decode_all(&by_kind(RecordKind::DuesPayment))?;
        snapshot.dues_reliefs = decode_all(&by_kind(RecordKind::DuesRelief))?;
        snapshot.dues_policies = decode_all(&by_kind(RecordKind::DuesPolicy))?;

        let mut wanted: BTreeSet<i64> = self.foreign.get(&branch).cloned().unwrap_or_default();
        // Members who transferred out, from the postings index (migration 5): the map above is
        // only complete after a full pass of this process.
        wanted.extend(backend.members_posted_within(&path).await?);
        wanted.extend(missing_members(&snapshot));
        let held: HashSet<i64> = snapshot.members.iter().map(|member| member.id).collect();
        let wanted: Vec<i64> = wanted.into_iter().filter(|id| !held.contains(id)).collect();
        if !wanted.is_empty() {
            for row in backend.get_many(&wanted).await? {
                if row.kind == RecordKind::Member && !row.deleted {
                    snapshot.members.push(decode::<Member>(&row)?);
                }
            }
        }
        snapshot.members.sort_by_key(|member| member.id);
        Ok(snapshot)
    }

    /// Evaluates one branch again from its records.
    async fn recheck_branch(&mut self, branch: OrgId) -> Result<(), StorageError> {
        self.findings.remove(&branch);
        if self
            .tree
            .get(&branch)
            .is_none_or(|node| node.level != OrgLevel::Branch)
        {
            return Ok(());
        }
        let snapshot = self.branch_snapshot(branch).await?;
        let report = engine::evaluate_branches(
            self.repository.catalogue(),
            &snapshot,
            &self.scope.request(),
            &[branch],
        );
        self.take_report(report);
        Ok(())
    }

    /// The branches a reach covers, within the tenant.
    fn branches_reached(&self, reach: &Reach) -> BTreeSet<OrgId> {
        let mut branches: BTreeSet<OrgId> = reach
            .orgs
            .iter()
            .filter_map(|org| branch_of(&self.tree, *org))
            .collect();
        for root in &reach.subtrees {
            let Some(root_path) = self.tree.get(root).map(|node| node.path.clone()) else {
                continue;
            };
            branches.extend(
                self.tree
                    .iter()
                    .filter(|(_, node)| {
                        node.level == OrgLevel::Branch && node.path.starts_with(&root_path)
                    })
                    .map(|(id, _)| *id),
            );
        }
        branches
    }

    /// Takes one chain entry into the tree and the map of foreign postings.
    fn apply_to_state(&mut self, entry: &ChainEntry) -> Result<(), StorageError> {
        let in_tenant = crate::tenant_of(&entry.org_path) == Some(self.scope.tenant.0);
        let deleted = entry.operation == zhibu_core::ChangeOperation::Delete;
        match entry.kind {
            RecordKind::Org => {
                let id = OrgId(entry.record_id);
                *self
                    .published
                    .lock()
                    .unwrap_or_else(|poison| poison.into_inner()) = None;
                if deleted || !in_tenant {
                    if let Some(node) = self.tree.remove(&id) {
                        if node.level == OrgLevel::Branch {
                            self.removed_paths.push(node.path.clone());
                        }
                        if let Some(parent) = node.parent
                            && let Some(list) = self.children.get_mut(&parent)
                        {
                            list.retain(|child| *child != id);
                        }
                    }
                } else {
                    let org: Org = body_of(entry)?;
                    if let Some(parent) = org.parent_id {
                        let list = self.children.entry(parent).or_default();
                        if !list.contains(&id) {
                            list.push(id);
                            list.sort();
                        }
                    }
                    self.tree
                        .insert(id, OrgNode::new(&org, entry.org_path.clone()));
                }
            }
            RecordKind::Member => {
                self.forget_foreign(entry.record_id);
                if !deleted {
                    let member: Member = body_of(entry)?;
                    for branch in foreign_postings(&self.tree, &entry.org_path, &member) {
                        self.note_foreign(entry.record_id, branch);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Applies every write since the last pass or catch-up: evaluates again each branch that a
    /// written version (or the version it replaced) reaches. When more than a fiftieth of the
    /// tenant's branches are reached (a local rule of the tenant's root, say), runs a full pass.
    pub async fn catch_up(&mut self) -> Result<CatchUp, StorageError> {
        let repository = self.repository.clone();
        let backend = repository.backend();
        let mut reached: BTreeSet<OrgId> = BTreeSet::new();
        let mut changes = 0;
        self.removed_paths.clear();
        loop {
            let entries = backend.chain_entries(self.generation, 1_000).await?;
            let Some(last) = entries.last() else { break };
            let last_seq = last.seq;
            for entry in &entries {
                changes += 1;
                let mut reach = reach_of_entry(entry)?;
                if entry.version > 1 {
                    let history = backend.history(entry.record_id).await?;
                    if let Some(previous) = history
                        .iter()
                        .find(|version| version.version == entry.version - 1)
                    {
                        // The replaced version is read against the tree as it was.
                        reach.extend(reach_of_entry(previous)?);
                    }
                }
                // A new org must be in the tree before its reach is resolved; a deleted one is
                // resolved while it is still there.
                if entry.operation == zhibu_core::ChangeOperation::Delete {
                    reached.extend(self.branches_reached(&reach));
                    self.apply_to_state(entry)?;
                } else {
                    self.apply_to_state(entry)?;
                    reached.extend(self.branches_reached(&reach));
                }
            }
            self.generation = last_seq;
        }
        let branch_total = self
            .tree
            .values()
            .filter(|node| node.level == OrgLevel::Branch)
            .count();
        if reached.len() > 16 && reached.len() * 1_000 > branch_total * FULL_PASS_PER_MILLE {
            let (fresh, _) =
                Rechecker::full(&self.repository, self.scope, self.chunk_branches).await?;
            let generation = fresh.generation;
            *self = fresh;
            // Writes after the pass began are applied by the next catch-up.
            self.generation = generation;
            return Ok(CatchUp {
                changes,
                branches: reached.into_iter().collect(),
                full: true,
                removed_paths: Vec::new(),
            });
        }
        for branch in &reached {
            self.recheck_branch(*branch).await?;
        }
        Ok(CatchUp {
            changes,
            branches: reached.into_iter().collect(),
            full: false,
            removed_paths: std::mem::take(&mut self.removed_paths),
        })
    }

    /// Every finding, in the order `evaluate` gives them.
    pub fn report(&self) -> Report {
        let mut findings: Vec<Finding> = self.findings.values().flatten().cloned().collect();
        engine::sort_findings(&mut findings);
        Report {
            request: self.scope.request(),
            findings,
            rule_problems: self.rule_problems.iter().cloned().collect(),
        }
    }

    /// The findings of one branch (including its party groups'), in the order `evaluate` gives them.
    pub fn findings_of(&self, branch: OrgId) -> &[Finding] {
        self.findings.get(&branch).map_or(&[], Vec::as_slice)
    }

    pub fn finding_count(&self) -> usize {
        self.findings.values().map(Vec::len).sum()
    }

    /// The tenant's branches, in id order.
    pub fn branches(&self) -> Vec<OrgId> {
        let mut branches: Vec<OrgId> = self
            .tree
            .iter()
            .filter(|(_, node)| node.level == OrgLevel::Branch)
            .map(|(id, _)| *id)
            .collect();
        branches.sort();
        branches
    }

    pub fn branch_count(&self) -> usize {
        self.tree
            .values()
            .filter(|node| node.level == OrgLevel::Branch)
            .count()
    }

    /// The chain entry the findings are up to date with.
    pub fn generation(&self) -> i64 {
        self.generation
    }

    /// Members whose postings reach a branch other than the one they are kept under (transfers).
    pub fn foreign_postings(&self) -> usize {
        self.foreign.values().map(BTreeSet::len).sum()
    }

    /// A re-checker that takes over findings stored at `generation` (by this or another process):
    /// it reads the tenant's orgs, evaluates nothing, and holds no findings until
    /// [`Rechecker::catch_up`] re-checks the branches that later writes reach. Members posted to a
    /// branch from elsewhere are found through the postings index.
    pub async fn resume(
        repository: &Repository,
        scope: RecheckScope,
        generation: i64,
    ) -> Result<Rechecker, StorageError> {
        let query = RecordQuery::in_subtree(RecordKind::Org, &scope.tenant_path());
        let org_rows = repository.backend().list(&query).await?;
        let (tree, children, _) = build_tree(&org_rows)?;
        Ok(Rechecker {
            repository: repository.clone(),
            scope,
            chunk_branches: DEFAULT_CHUNK_BRANCHES,
            tree,
            children,
            foreign: HashMap::new(),
            foreign_of_member: HashMap::new(),
            findings: BTreeMap::new(),
            rule_problems: BTreeSet::new(),
            generation,
            published: std::sync::Mutex::new(None),
            removed_paths: Vec::new(),
        })
    }

    pub fn scope(&self) -> RecheckScope {
        self.scope
    }

    /// The tenant's tree as of the last chain entry taken into account, shared with readers; a
    /// new copy is made only after an org changed.
    pub fn org_tree(&self) -> Arc<OrgTree> {
        let mut published = self
            .published
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        published
            .get_or_insert_with(|| {
                Arc::new(OrgTree {
                    nodes: self.tree.clone(),
                    children: self.children.clone(),
                })
            })
            .clone()
    }

    /// The stored state these findings amount to (see [`crate::stored`]).
    pub fn state(&self, now: chrono::DateTime<chrono::Utc>) -> crate::FindingsState {
        crate::FindingsState {
            tenant: self.scope.tenant.0,
            year: self.scope.year,
            generation: self.generation,
            as_of: self.scope.today,
            horizon_days: self.scope.horizon_days,
            refreshed_at: now,
            branches: self.branch_count() as i64,
        }
    }

    /// The rows to store for one branch.
    pub fn stored_rows_of(&self, branch: OrgId) -> Vec<crate::StoredFinding> {
        let Some(node) = self.tree.get(&branch) else {
            return Vec::new();
        };
        crate::stored::stored_rows(
            branch,
            &node.path,
            self.findings_of(branch),
            self.scope.year,
            self.scope.today,
        )
    }

    /// The rows to store for every branch (after a full pass).
    pub fn stored_rows_all(&self) -> Vec<crate::StoredFinding> {
        self.findings
            .keys()
            .flat_map(|branch| self.stored_rows_of(*branch))
            .collect()
    }
}

fn body_of<T: Record>(entry: &ChainEntry) -> Result<T, StorageError> {
    serde_json::from_str(&entry.body).map_err(|error| StorageError::Corrupt {
        id: entry.record_id,
        message: error.to_string(),
    })
}

/// What one version of a record reaches.
fn reach_of_entry(entry: &ChainEntry) -> Result<Reach, StorageError> {
    Ok(match entry.kind {
        RecordKind::Org => engine::reach(RecordRef::Org(
            OrgId(entry.record_id),
            &body_of::<Org>(entry)?,
        )),
        RecordKind::Member => engine::reach(RecordRef::Member(&body_of::<Member>(entry)?)),
        RecordKind::CommitteeTerm => {
            engine::reach(RecordRef::CommitteeTerm(&body_of::<CommitteeTerm>(entry)?))
        }
        RecordKind::Meeting => engine::reach(RecordRef::Meeting(&body_of::<Meeting>(entry)?)),
        RecordKind::Talk => engine::reach(RecordRef::Talk(&body_of::<HeartToHeartTalk>(entry)?)),
        RecordKind::Exemption => engine::reach(RecordRef::Exemption(&body_of::<Exemption>(entry)?)),
        RecordKind::LocalRule => engine::reach(RecordRef::LocalRule(&body_of::<LocalRule>(entry)?)),
        RecordKind::AdmissionRecord => {
            engine::reach(RecordRef::Admission(&body_of::<AdmissionRecord>(entry)?))
        }
        RecordKind::IncomeDeclaration => engine::reach(RecordRef::Dues(
            body_of::<IncomeDeclaration>(entry)?.branch_id,
        )),
        RecordKind::DuesPayment => {
            engine::reach(RecordRef::Dues(body_of::<DuesPayment>(entry)?.branch_id))
        }
        RecordKind::DuesRelief => {
            engine::reach(RecordRef::Dues(body_of::<DuesRelief>(entry)?.branch_id))
        }
        RecordKind::DuesPolicy => engine::reach(RecordRef::Dues(
            body_of::<BranchDuesPolicy>(entry)?.branch_id,
        )),
        // Statements, and kinds the engine does not read.
        _ => engine::reach(RecordRef::Statement),
    })
}
