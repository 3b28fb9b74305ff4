//! Writes a generated city through the trusted bulk path, streaming: a generator thread turns the
//! plan into records one branch at a time while the database writes the previous batch.
//!
//! Ids are reserved up front and assigned by arithmetic, so no map from the generator's local ids
//! to stored ids is needed: orgs and members keep their local id plus one offset (the demo numbers
//! members right after the orgs), and each batch's terms, meetings and talks take a block
//! reserved for that batch. Paths are computed the way the repository's context checks compute
//! them (an org under its parent's path; a member under the branch of its latest posting; a
//! meeting under the org that held it).
//!
//! Members who transfer between branches are amended through the repository (validated, version 2)
//! after the batch holding their new branch is written, as the demo loader does.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use zhibu_core::{CommitteeTerm, HeartToHeartTalk, Meeting, Member, MemberId, Org, OrgId};
use zhibu_demo::{BranchRecords, DemoConfig, DemoDataset, generate};
use zhibu_storage::{ChangeMeta, Repository, StorageError, TrustedRecord};

/// The actor recorded on every version the bulk loader writes.
pub const BULK_ACTOR: &str = "demo-bulk";

/// The benchmark city's day: records run through 2026, and the re-check judges 2026 as of
/// 1 January 2027, so every period of the year has ended.
pub fn bench_today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// The year of records the benchmark city holds and re-checks.
pub const BENCH_YEAR: i32 = 2026;

/// One city of `branches` branches with one year of records (2026), for seed `seed`.
pub fn city_config(seed: u64, branches: u32) -> DemoConfig {
    // Two calendar years up to "today" (1 January 2027) is 2026 and nothing of 2027.
    DemoConfig {
        years: 2,
        ..DemoConfig::new(seed, bench_today()).with_branches(branches)
    }
}

/// What a load wrote and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct LoadStats {
    pub root: OrgId,
    pub orgs: u64,
    pub members: u64,
    pub member_transfers: u64,
    pub committee_terms: u64,
    pub meetings: u64,
    pub talks: u64,
    pub body_bytes: u64,
    pub batches: u64,
    /// Wall-clock time of the whole load, generation included.
    pub elapsed: Duration,
    /// Time the loading task spent waiting for the generator.
    pub waited_for_generator: Duration,
}

impl LoadStats {
    pub fn records(&self) -> u64 {
        self.orgs + self.members + self.committee_terms + self.meetings + self.talks
    }

    pub fn records_per_second(&self) -> f64 {
        self.records() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Local ids to stored ids: one offset for orgs and members.
#[derive(Debug, Clone, Copy)]
struct Shift(i64);

impl Shift {
    fn org(self, id: OrgId) -> OrgId {
        OrgId(id.0 + self.0)
    }

    fn member(self, id: MemberId) -> MemberId {
        MemberId(id.0 + self.0)
    }

    fn member_body(self, member: &Member) -> Member {
        let mut member = member.clone();
        for posting in &mut member.postings {
            posting.branch_id = self.org(posting.branch_id);
            posting.group_id = posting.group_id.map(|group| self.org(group));
        }
        member
    }

    fn term(self, term: &CommitteeTerm) -> CommitteeTerm {
        let mut term = term.clone();
        term.org_id = self.org(term.org_id);
        for position in &mut term.positions {
            position.member_id = self.member(position.member_id);
        }
        term
    }

    fn meeting(self, meeting: &Meeting) -> Meeting {
        let mut meeting = meeting.clone();
        meeting.org_id = self.org(meeting.org_id);
        meeting.chair_id = meeting.chair_id.map(|id| self.member(id));
        meeting.recorder_id = meeting.recorder_id.map(|id| self.member(id));
        for entry in &mut meeting.attendance {
            entry.member_id = self.member(entry.member_id);
        }
        meeting
    }

    fn talk(self, talk: &HeartToHeartTalk) -> HeartToHeartTalk {
        let mut talk = talk.clone();
        talk.org_id = self.org(talk.org_id);
        talk.participants = [
            self.member(talk.participants[0]),
            self.member(talk.participants[1]),
        ];
        talk
    }
}

/// A transfer to apply once its batch is written: the stored member id and the whole new body.
struct PendingTransfer {
    member: MemberId,
    body: Member,
    entered_at: DateTime<Utc>,
    reason: String,
}

/// One batch of branches made ready for the database.
struct Batch {
    /// Members first, then terms, meetings and talks (each without an id yet for the last three).
    members: Vec<TrustedRecord>,
    /// Terms, meetings and talks; their ids are filled in from the batch's reservation.
    events: Vec<TrustedRecord>,
    transfers: Vec<PendingTransfer>,
    counts: (u64, u64, u64, u64),
}

/// The stored path of every org, by local id (index = local id − 1).
fn org_paths(dataset: &DemoDataset, shift: Shift) -> Result<Vec<String>, StorageError> {
    let mut paths: Vec<String> = Vec::with_capacity(dataset.orgs.len());
    for (index, org) in dataset.orgs.iter().enumerate() {
        if org.id.0 != index as i64 + 1 {
            return Err(defect(format!(
                "org {} is not at position {}",
                org.id,
                index + 1
            )));
        }
        let own = shift.org(org.id);
        let path = match org.body.parent_id {
            None => format!("/{own}/"),
            Some(parent) => {
                let parent_path = usize::try_from(parent.0 - 1)
                    .ok()
                    .and_then(|at| paths.get(at))
                    .ok_or_else(|| {
                        defect(format!("org {} comes before its parent {parent}", org.id))
                    })?;
                format!("{parent_path}{own}/")
            }
        };
        paths.push(path);
    }
    Ok(paths)
}

/// A generator defect (ids out of order): nothing a user can do, reported as invalid data.
fn defect(message: String) -> StorageError {
    StorageError::Invalid(zhibu_core::ValidationErrors::single(
        zhibu_core::FieldError::new(
            "dataset",
            "generator_defect",
            format!("演示数据生成有误：{message}"),
            format!("the demo generator produced inconsistent data: {message}"),
        ),
    ))
}

fn path_of(paths: &[String], local: OrgId) -> Result<&str, StorageError> {
    usize::try_from(local.0 - 1)
        .ok()
        .and_then(|index| paths.get(index))
        .map(String::as_str)
        .ok_or_else(|| defect(format!("unknown org {local}")))
}

fn prepare_batch(
    records: Vec<BranchRecords>,
    shift: Shift,
    paths: &[String],
) -> Result<Batch, StorageError> {
    let mut batch = Batch {
        members: Vec::new(),
        events: Vec::new(),
        transfers: Vec::new(),
        counts: (0, 0, 0, 0),
    };
    for branch in records {
        for member in &branch.members {
            let body = shift.member_body(&member.body);
            // Kept under the branch of the latest posting, as the context check files a member.
            let last = member
                .body
                .postings
                .last()
                .map(|posting| posting.branch_id)
                .unwrap_or(branch.branch_id);
            let path = path_of(paths, last)?.to_string();
            batch.members.push(TrustedRecord::new(
                shift.member(member.id).0,
                path,
                &body,
                member.entered_at,
            )?);
        }
        for transfer in &branch.transfers_in {
            batch.transfers.push(PendingTransfer {
                member: shift.member(transfer.id),
                body: shift.member_body(&transfer.body),
                entered_at: transfer.entered_at,
                reason: transfer.reason.clone(),
            });
        }
        for term in &branch.committee_terms {
            let body = shift.term(&term.body);
            batch.events.push(TrustedRecord::new(
                0,
                path_of(paths, term.body.org_id)?.to_string(),
                &body,
                term.entered_at,
            )?);
        }
        for meeting in &branch.meetings {
            let body = shift.meeting(&meeting.body);
            batch.events.push(TrustedRecord::new(
                0,
                path_of(paths, meeting.body.org_id)?.to_string(),
                &body,
                meeting.entered_at,
            )?);
        }
        for talk in &branch.talks {
            let body = shift.talk(&talk.body);
            batch.events.push(TrustedRecord::new(
                0,
                path_of(paths, talk.body.org_id)?.to_string(),
                &body,
                talk.entered_at,
            )?);
        }
        batch.counts.0 += branch.members.len() as u64;
        batch.counts.1 += branch.committee_terms.len() as u64;
        batch.counts.2 += branch.meetings.len() as u64;
        batch.counts.3 += branch.talks.len() as u64;
    }
    Ok(batch)
}

/// Branches per bulk transaction: about 4,000 members and 10,000 meetings and talks.
pub const BRANCHES_PER_BATCH: usize = 200;

/// Generates the city of `config` and writes it into `repository` through the bulk path, as a new
/// top-level org (a tenant of its own). Returns what it wrote.
pub async fn load_city(
    repository: &Repository,
    config: &DemoConfig,
) -> Result<LoadStats, StorageError> {
    let started = Instant::now();
    let dataset = generate(config);
    let org_count = dataset.orgs.len() as u64;
    let first = repository
        .reserve_record_ids(org_count + dataset.member_count())
        .await?;
    let shift = Shift(first - 1);
    let paths = org_paths(&dataset, shift)?;
    let mut stats = LoadStats {
        root: shift.org(dataset.root_id()),
        orgs: 0,
        members: 0,
        member_transfers: 0,
        committee_terms: 0,
        meetings: 0,
        talks: 0,
        body_bytes: 0,
        batches: 0,
        elapsed: Duration::ZERO,
        waited_for_generator: Duration::ZERO,
    };

    // Orgs level by level are already in order (parents first); they go in batches of their own.
    let mut orgs = Vec::with_capacity(dataset.orgs.len());
    for (org, path) in dataset.orgs.iter().zip(&paths) {
        let mut body: Org = org.body.clone();
        body.parent_id = body.parent_id.map(|parent| shift.org(parent));
        orgs.push(TrustedRecord::new(
            shift.org(org.id).0,
            path.clone(),
            &body,
            org.entered_at,
        )?);
    }
    for chunk in orgs.chunks(20_000) {
        stats.body_bytes += chunk
            .iter()
            .map(|record| record.body.len() as u64)
            .sum::<u64>();
        repository.bulk_load(chunk, BULK_ACTOR).await?;
        stats.batches += 1;
    }
    stats.orgs = org_count;
    drop(orgs);

    // The generator runs on a thread of its own, one batch ahead of the database.
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Batch, StorageError>>(1);
    let generator = std::thread::spawn(move || {
        let mut pending = Vec::with_capacity(BRANCHES_PER_BATCH);
        let total = dataset.branch_count();
        for index in 0..total {
            pending.push(dataset.branch_records(index));
            if pending.len() == BRANCHES_PER_BATCH || index + 1 == total {
                let batch = prepare_batch(std::mem::take(&mut pending), shift, &paths);
                let failed = batch.is_err();
                if sender.blocking_send(batch).is_err() || failed {
                    return;
                }
            }
        }
    });

    loop {
        let waiting = Instant::now();
        let Some(batch) = receiver.recv().await else {
            break;
        };
        stats.waited_for_generator += waiting.elapsed();
        let mut batch = batch?;
        let first_event = repository
            .reserve_record_ids(batch.events.len() as u64)
            .await?;
        for (offset, record) in batch.events.iter_mut().enumerate() {
            record.id = first_event + offset as i64;
        }
        let mut records = batch.members;
        records.append(&mut batch.events);
        stats.body_bytes += records
            .iter()
            .map(|record| record.body.len() as u64)
            .sum::<u64>();
        repository.bulk_load(&records, BULK_ACTOR).await?;
        stats.batches += 1;
        for transfer in batch.transfers {
            let meta = ChangeMeta {
                actor: BULK_ACTOR.to_string(),
                reason: Some(transfer.reason),
                entered_at: Some(transfer.entered_at),
                ..ChangeMeta::default()
            };
            // Created once in the old branch, so the transfer is version 2.
            repository
                .amend(transfer.member, 1, transfer.body, &meta)
                .await?;
            stats.member_transfers += 1;
        }
        stats.members += batch.counts.0;
        stats.committee_terms += batch.counts.1;
        stats.meetings += batch.counts.2;
        stats.talks += batch.counts.3;
    }
    generator
        .join()
        .map_err(|_| defect("the generator thread panicked".to_string()))?;
    stats.elapsed = started.elapsed();
    Ok(stats)
}
