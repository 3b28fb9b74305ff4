//! The findings cache: one evaluation of the rules per (organization, year, today), reused until
//! anything is written.
//!
//! Evaluating the engine over a committee of 300 branches for a year means loading every member,
//! meeting and talk of the subtree and takes far longer than a page may. Pages therefore share one
//! [`Evaluation`] per key. Its validity is checked against a generation counter: the sequence
//! number of the head of the history chain. Every create, amendment and deletion appends to that
//! chain in the same transaction as the write, so any write (through a page, the JSON API, the
//! CLI, or another server on the same database) moves the counter on and the next page evaluates
//! afresh. Reading the head is one small query, which is what a page pays on a warm cache.
//!
//! Entries also lapse with "today" (the key holds it): a new day can turn a duty from coming due
//! into missed without any write.
//!
//! A write does not throw an entry away: each entry keeps the snapshot it evaluated, and on the
//! next page the cache reads the chain entries written since, applies them to a copy of the
//! snapshot (re-reading each changed meeting, talk, member, committee term or exemption as it now
//! stands) and runs the engine again over the copy. That skips loading the subtree, which is most
//! of the cost. Changes it does not know how to apply (organizations, local rules, kinds added
//! later), or too many at once, make it load the subtree afresh instead. Either way the snapshot is
//! what `Repository::load_snapshot` would return now, so the findings are the same.
//!
//! The cache serves pages about one branch. Committee dashboards and their drill pages read the
//! *stored* findings instead (`zhibu_storage::stored`): the cache also holds the process's
//! [`FindingsKeeper`], which keeps them current after writes and on a new day, and a few counted
//! views of them per committee and generation.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{Datelike, NaiveDate};
use zhibu_core::calendar::last_day_of_month;
use zhibu_core::engine::{self, EvaluationRequest, Finding, Report, Snapshot};
use zhibu_core::{
    CommitteeTerm, Exemption, HeartToHeartTalk, Meeting, Member, MemberId, Org, OrgId, OrgLevel,
    Record, RecordKind, Stored,
};
use zhibu_storage::{
    FindingCount, FindingsKeeper, KeptFindings, RecordRow, Repository, StorageError, subtree_end,
};

/// How many evaluations are kept at most. Each holds a report and the names of a subtree; a few
/// dozen cover every committee and branch that is being looked at on a given day.
const MAX_ENTRIES: usize = 64;

/// More changes than this since an entry was made, and the subtree is loaded afresh: applying
/// them one by one would cost more than loading.
const MAX_CHANGES_APPLIED: u32 = 500;

/// How long a page waits for the stored findings to be brought up to date before it shows them as
/// they are, marked as not current (a full re-check of a large tenant on a new day takes longer).
const KEEPER_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How often the keeper looks for a new day and for writes made by other processes.
const KEEPER_TICK: std::time::Duration = std::time::Duration::from_secs(60);

/// Counted views kept at most (one per committee, year and generation being looked at).
const MAX_COUNTS: usize = 256;

/// Names of orgs and members, for showing a finding.
pub trait Names {
    fn org_name(&self, id: OrgId) -> String;
    fn member_name(&self, id: MemberId) -> String;
}

impl<T: Names + ?Sized> Names for &T {
    fn org_name(&self, id: OrgId) -> String {
        (**self).org_name(id)
    }

    fn member_name(&self, id: MemberId) -> String {
        (**self).member_name(id)
    }
}

impl<T: Names + ?Sized> Names for Arc<T> {
    fn org_name(&self, id: OrgId) -> String {
        (**self).org_name(id)
    }

    fn member_name(&self, id: MemberId) -> String {
        (**self).member_name(id)
    }
}

impl Names for Evaluation {
    fn org_name(&self, id: OrgId) -> String {
        Evaluation::org_name(self, id)
    }

    fn member_name(&self, id: MemberId) -> String {
        Evaluation::member_name(self, id)
    }
}

/// An org as the pages need it.
#[derive(Debug, Clone)]
pub struct OrgSummary {
    pub id: OrgId,
    pub name: String,
    pub level: OrgLevel,
    pub parent_id: Option<OrgId>,
    pub established_on: NaiveDate,
    pub dissolved_on: Option<NaiveDate>,
}

impl OrgSummary {
    fn new(id: OrgId, org: &Org) -> OrgSummary {
        OrgSummary {
            id,
            name: org.name.clone(),
            level: org.level,
            parent_id: org.parent_id,
            established_on: org.established_on,
            dissolved_on: org.dissolved_on,
        }
    }

    /// Whether the org existed at some time during `year`.
    pub fn exists_in(&self, year: i32) -> bool {
        self.established_on.year() <= year && self.dissolved_on.is_none_or(|end| end.year() >= year)
    }
}

/// One evaluation of an org's subtree for a year, as of a day.
#[derive(Debug)]
pub struct Evaluation {
    pub root: OrgId,
    pub year: i32,
    pub today: NaiveDate,
    /// The chain head this evaluation was made at.
    pub generation: i64,
    pub report: Report,
    /// The orgs of the subtree and its ancestors, by id.
    pub orgs: BTreeMap<OrgId, OrgSummary>,
    /// Member names of the subtree, to name who must act and whom evidence is about.
    pub member_names: HashMap<MemberId, String>,
    /// How many chain entries were applied to the previous entry to make this one; 0 when the
    /// subtree was loaded afresh.
    pub changes_applied: usize,
    /// What the engine was given, kept to apply later changes to.
    snapshot: Snapshot,
    /// The root's org path, `/1/5/`.
    root_path: String,
}

impl Evaluation {
    /// The branches of the subtree that existed during the year, in tree order (by their parent,
    /// then by id), so that branches of one committee stay together.
    pub fn branches(&self) -> Vec<&OrgSummary> {
        let mut branches: Vec<&OrgSummary> = self
            .orgs
            .values()
            .filter(|org| org.level == OrgLevel::Branch && org.exists_in(self.year))
            .filter(|org| self.is_within(org.id))
            .collect();
        branches.sort_by_key(|org| (org.parent_id, org.id));
        branches
    }

    /// Whether `org` is the root or below it.
    pub fn is_within(&self, org: OrgId) -> bool {
        let mut current = Some(org);
        // The tree is at most a handful of levels deep; the bound guards against a cycle in
        // damaged data rather than looping for ever.
        for _ in 0..32 {
            match current {
                Some(id) if id == self.root => return true,
                Some(id) => current = self.orgs.get(&id).and_then(|org| org.parent_id),
                None => return false,
            }
        }
        false
    }

    pub fn org_name(&self, id: OrgId) -> String {
        self.orgs
            .get(&id)
            .map(|org| org.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    pub fn member_name(&self, id: MemberId) -> String {
        self.member_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// The day structural rules were judged on: today in the current year, 31 December in a past one.
    pub fn reference_day(&self) -> NaiveDate {
        year_end(self.year).min(self.today)
    }

    /// The month (1–12) of the year a finding is counted in: the last month of its period (when
    /// the duty was missed), or, for findings about the branch's shape that have no period, the
    /// month of the day they were judged on. `None` for a finding outside the year.
    pub fn month_of(&self, finding: &Finding) -> Option<u32> {
        let day = match finding.period {
            Some(period) => period.last_day.min(self.reference_day()),
            None => self.reference_day(),
        };
        (day.year() == self.year).then(|| day.month())
    }

    /// The branch a finding belongs to: its org, or the branch above the party group it names.
    pub fn branch_of(&self, finding: &Finding) -> OrgId {
        match self.orgs.get(&finding.org_id) {
            Some(org) if org.level == OrgLevel::PartyGroup => {
                org.parent_id.unwrap_or(finding.org_id)
            }
            _ => finding.org_id,
        }
    }
}

pub fn year_start(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN)
}

pub fn year_end(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Days from `today` to the end of its month: duties that fall due by then are "due this month".
pub fn days_to_month_end(today: NaiveDate) -> u32 {
    last_day_of_month(today.year(), today.month()).saturating_sub(today.day())
}

type Key = (OrgId, i32, NaiveDate);

/// Views computed from a committee's stored findings (its counts, a page's summary of them), by
/// (what, committee path, year, generation, as-of day): valid until the findings move on.
type MemoKey = (&'static str, String, i32, i64, NaiveDate);
type CountsMap = HashMap<MemoKey, Arc<dyn std::any::Any + Send + Sync>>;

/// The cache itself; shared by every page handler.
#[derive(Default)]
pub struct FindingsCache {
    entries: Mutex<HashMap<Key, Arc<Evaluation>>>,
    keeper: std::sync::OnceLock<Arc<FindingsKeeper>>,
    /// Counts of stored findings by (committee path, year, generation, as-of day).
    counts: Mutex<CountsMap>,
}

impl FindingsCache {
    pub fn new() -> FindingsCache {
        FindingsCache::default()
    }

    /// The keeper of stored findings for this repository, started on first use with a tick that
    /// notices a new day (and writes of other processes) without waiting for a reader.
    pub fn keeper(
        &self,
        repository: &Repository,
        today: Arc<dyn Fn() -> NaiveDate + Send + Sync>,
    ) -> Arc<FindingsKeeper> {
        self.keeper
            .get_or_init(|| {
                let keeper = Arc::new(FindingsKeeper::new(repository.clone()));
                let weak = Arc::downgrade(&keeper);
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(KEEPER_TICK);
                    tick.tick().await;
                    loop {
                        tick.tick().await;
                        let Some(keeper) = weak.upgrade() else { break };
                        keeper.tick(today());
                    }
                });
                keeper
            })
            .clone()
    }

    /// The stored findings of the tenant of `org_path` for `year`, brought up to date first when
    /// that is quick (see [`FindingsKeeper::current`]).
    pub async fn stored(
        &self,
        repository: &Repository,
        today_fn: Arc<dyn Fn() -> NaiveDate + Send + Sync>,
        org_path: &str,
        year: i32,
    ) -> Result<Option<KeptFindings>, StorageError> {
        let Some(tenant) = zhibu_storage::tenant_of(org_path) else {
            return Ok(None);
        };
        let today = today_fn();
        self.keeper(repository, today_fn)
            .current(tenant, year, today, KEEPER_WAIT)
            .await
    }

    /// The stored findings of the subtree `org_path` counted by branch, month, rule and status,
    /// from memory when this committee was counted at the same generation and day.
    pub async fn counts(
        &self,
        repository: &Repository,
        kept: &KeptFindings,
        org_path: &str,
    ) -> Result<Arc<Vec<FindingCount>>, StorageError> {
        if let Some(found) = self.memo::<Vec<FindingCount>>("counts", kept, org_path) {
            return Ok(found);
        }
        let counts = Arc::new(
            zhibu_storage::stored::finding_store(repository)?
                .finding_counts(
                    kept.state.tenant,
                    kept.state.year,
                    org_path,
                    &subtree_end(org_path),
                )
                .await?,
        );
        self.remember("counts", kept, org_path, counts.clone());
        Ok(counts)
    }

    /// A view of the committee `org_path`'s stored findings computed earlier at the same
    /// generation and day, if any.
    pub fn memo<T: std::any::Any + Send + Sync>(
        &self,
        what: &'static str,
        kept: &KeptFindings,
        org_path: &str,
    ) -> Option<Arc<T>> {
        let key = (
            what,
            org_path.to_string(),
            kept.state.year,
            kept.state.generation,
            kept.state.as_of,
        );
        let found = self.lock_counts().get(&key).cloned()?;
        found.downcast::<T>().ok()
    }

    /// Keeps a view of the committee `org_path`'s stored findings until they move on.
    pub fn remember<T: std::any::Any + Send + Sync>(
        &self,
        what: &'static str,
        kept: &KeptFindings,
        org_path: &str,
        value: Arc<T>,
    ) {
        let key = (
            what,
            org_path.to_string(),
            kept.state.year,
            kept.state.generation,
            kept.state.as_of,
        );
        let mut map = self.lock_counts();
        if map.len() >= MAX_COUNTS {
            map.retain(|(_, _, _, generation, day), _| {
                *generation == kept.state.generation && *day == kept.state.as_of
            });
            if map.len() >= MAX_COUNTS {
                map.clear();
            }
        }
        map.insert(key, value);
    }

    fn lock_counts(&self) -> std::sync::MutexGuard<'_, CountsMap> {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The evaluation of `root`'s subtree for `year` as of `today`, from the cache when nothing
    /// has been written since it was made.
    pub async fn evaluation(
        &self,
        repository: &Repository,
        root: OrgId,
        year: i32,
        today: NaiveDate,
    ) -> Result<Arc<Evaluation>, StorageError> {
        let generation = current_generation(repository).await?;
        let key = (root, year, today);
        let cached = self.lock().get(&key).cloned();
        // Evaluated outside the lock: two requests that miss together both evaluate, which costs
        // time but never blocks a page behind another's evaluation.
        let refreshed = match cached {
            Some(entry) if entry.generation == generation => return Ok(entry),
            Some(entry) => refresh(repository, &entry).await?,
            None => None,
        };
        let evaluation = match refreshed {
            Some(evaluation) => Arc::new(evaluation),
            None => {
                let snapshot = repository
                    .load_snapshot(root, year_start(year), year_end(year))
                    .await?;
                let root_path = repository.org_path(root).await?;
                Arc::new(evaluate(
                    repository, root, year, today, generation, snapshot, root_path,
                ))
            }
        };
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|(_, _, day), entry| entry.generation == generation && *day == today);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, evaluation.clone());
        Ok(evaluation)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<Evaluation>>> {
        // A panic while holding the lock leaves only a map of finished evaluations behind, which
        // is still valid: carry on with it.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The generation counter: the sequence number of the last version in the history chain.
pub async fn current_generation(repository: &Repository) -> Result<i64, StorageError> {
    Ok(repository
        .backend()
        .chain_head()
        .await?
        .map_or(0, |head| head.seq))
}

fn evaluate(
    repository: &Repository,
    root: OrgId,
    year: i32,
    today: NaiveDate,
    generation: i64,
    snapshot: Snapshot,
    root_path: String,
) -> Evaluation {
    let (from, to) = (year_start(year), year_end(year));
    let request = EvaluationRequest {
        root,
        from,
        to,
        today,
        horizon_days: days_to_month_end(today),
    };
    let report = engine::evaluate(repository.catalogue(), &snapshot, &request);
    let orgs = snapshot
        .orgs
        .iter()
        .map(|org| (OrgId(org.id), OrgSummary::new(OrgId(org.id), &org.body)))
        .collect();
    let member_names = snapshot
        .members
        .iter()
        .map(|member| (MemberId(member.id), member.body.name.clone()))
        .collect();
    Evaluation {
        root,
        year,
        today,
        generation,
        report,
        orgs,
        member_names,
        changes_applied: 0,
        snapshot,
        root_path,
    }
}

/// The entry brought up to date by applying the changes written since it was made, or `None`
/// when the subtree should be loaded afresh instead.
async fn refresh(
    repository: &Repository,
    entry: &Evaluation,
) -> Result<Option<Evaluation>, StorageError> {
    let changes = repository
        .backend()
        .chain_entries(entry.generation, MAX_CHANGES_APPLIED + 1)
        .await?;
    let Some(last) = changes.last() else {
        return Ok(None);
    };
    if changes.len() > MAX_CHANGES_APPLIED as usize {
        return Ok(None);
    }
    let generation = last.seq;
    let mut snapshot = entry.snapshot.clone();
    let mut applied = HashSet::new();
    for change in &changes {
        let within = change.org_path.starts_with(&entry.root_path);
        // Strictly above: an ancestor of the root (its local rules and exemptions reach down).
        let above =
            entry.root_path.starts_with(&change.org_path) && change.org_path != entry.root_path;
        match change.kind {
            // The engine does not read statements.
            RecordKind::Statement => {}
            RecordKind::Meeting
            | RecordKind::Talk
            | RecordKind::Member
            | RecordKind::CommitteeTerm
            | RecordKind::Exemption
                if !above =>
            {
                // A record changed several times is read once, as it now stands.
                if !applied.insert(change.record_id) {
                    continue;
                }
                apply(
                    repository,
                    &mut snapshot,
                    change.kind,
                    change.record_id,
                    &entry.root_path,
                    entry.year,
                )
                .await?;
            }
            // Organizations, local rules and anything else in or above the subtree: load afresh.
            _ if within || above => return Ok(None),
            _ => {}
        }
    }
    // The current rows were read after the chain entries, so the snapshot may already hold
    // later changes too; applying those again on the next refresh changes nothing.
    let mut evaluation = evaluate(
        repository,
        entry.root,
        entry.year,
        entry.today,
        generation,
        snapshot,
        entry.root_path.clone(),
    );
    evaluation.changes_applied = changes.len();
    Ok(Some(evaluation))
}

/// Puts record `id` into the snapshot as it now stands, or takes it out when it is deleted, has
/// left the subtree, or (for an event) is not of the year.
async fn apply(
    repository: &Repository,
    snapshot: &mut Snapshot,
    kind: RecordKind,
    id: i64,
    root_path: &str,
    year: i32,
) -> Result<(), StorageError> {
    let row = repository.backend().get(id).await?;
    let row = row.filter(|row| {
        row.kind == kind
            && !row.deleted
            && (row.org_path.starts_with(root_path)
                || (kind == RecordKind::Member && posted_within(snapshot, row)))
    });
    let of_year = |row: &RecordRow| row.event_date.year() == year;
    match kind {
        RecordKind::Meeting => replace::<Meeting>(&mut snapshot.meetings, id, row.filter(of_year)),
        RecordKind::Talk => {
            replace::<HeartToHeartTalk>(&mut snapshot.talks, id, row.filter(of_year))
        }
        RecordKind::Member => replace::<Member>(&mut snapshot.members, id, row),
        RecordKind::CommitteeTerm => {
            replace::<CommitteeTerm>(&mut snapshot.committee_terms, id, row)
        }
        RecordKind::Exemption => replace::<Exemption>(&mut snapshot.exemptions, id, row),
        _ => Ok(()),
    }
}

/// Whether a member kept outside the subtree was ever posted to one of its branches (a transfer out):
/// `Repository::load_snapshot` holds such members, so the refreshed snapshot must too.
fn posted_within(snapshot: &Snapshot, row: &RecordRow) -> bool {
    let Ok(member) = serde_json::from_str::<Member>(&row.body) else {
        return false;
    };
    member.postings.iter().any(|posting| {
        snapshot
            .orgs
            .iter()
            .any(|org| org.id == posting.branch_id.0 && org.body.level == OrgLevel::Branch)
    })
}

/// Replaces record `id` in `items` (kept in id order, as storage lists them) by `row`, or removes it.
fn replace<T: Record>(
    items: &mut Vec<Stored<T>>,
    id: i64,
    row: Option<RecordRow>,
) -> Result<(), StorageError> {
    items.retain(|item| item.id != id);
    if let Some(row) = row {
        let body = serde_json::from_str(&row.body).map_err(|error| StorageError::Corrupt {
            id: row.id,
            message: error.to_string(),
        })?;
        let stored = Stored {
            id: row.id,
            version: row.version,
            event_date: row.event_date,
            first_entered_at: row.first_entered_at,
            last_changed_at: row.last_changed_at,
            body,
        };
        let position = items.partition_point(|item| item.id < id);
        items.insert(position, stored);
    }
    Ok(())
}
