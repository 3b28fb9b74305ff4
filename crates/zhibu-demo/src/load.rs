//! Writes a generated city through the repository: orgs level by level, then branch by branch its
//! members, arriving transfers, committee terms, meetings and talks. Every record goes through the
//! repository's validation and context checks like any other write.
//!
//! Orgs, members and terms go in by sitting (records entered together share one transaction and
//! one entry instant); meetings and talks, the bulk, go in one transaction per branch and kind,
//! each record with its own entry instant (`Repository::create_many_entered`).
//!
//! Dues (issue 4) are about four times as many records as everything else together (a payment a
//! member a month), so they take the trusted bulk path (`Repository::bulk_load`: multi-row
//! inserts, each record hash-chained exactly as `create` chains it, its own checks run and its
//! personal fields sealed, the checks against other records skipped), in batches of
//! [`DUES_BATCH`] records across branches. What those skipped checks would ask — that each record's
//! branch is the member's dues branch on its date, that a relief's approver is above the branch —
//! holds by construction (`dues.rs` derives the branch with `dues_branch_for`) and is tested
//! (`tests/dues.rs`).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use zhibu_core::calendar::china_date;
use zhibu_core::dues::{BranchDuesPolicy, DuesPayment, DuesRelief, IncomeDeclaration};
use zhibu_core::{
    CommitteeTerm, FieldError, HeartToHeartTalk, Meeting, Member, MemberId, Org, OrgId,
    ValidationErrors,
};
use zhibu_storage::{ChangeMeta, Repository, StorageError, TrustedRecord};

use crate::{DemoDataset, LATE_ENTRY_DAYS, LateEntry, Planted};

/// The actor recorded on every version the loader writes.
pub const DEMO_ACTOR: &str = "demo";

/// At most this many records go into one transaction.
const CHUNK: usize = 2_000;

/// Dues records per bulk transaction.
const DUES_BATCH: usize = 20_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RecordCounts {
    pub orgs: u64,
    pub members: u64,
    /// Member records amended by a transfer between branches.
    pub member_transfers: u64,
    pub committee_terms: u64,
    pub meetings: u64,
    pub talks: u64,
    /// Dues records (issue 4): branch settings, income declarations, payments and reliefs.
    pub dues_policies: u64,
    pub income_declarations: u64,
    pub dues_payments: u64,
    pub dues_reliefs: u64,
    /// Write transactions used.
    pub transactions: u64,
}

/// What the loader wrote, with stored ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoSummary {
    pub root: OrgId,
    pub counts: RecordCounts,
    /// The planted imperfections, with the stored org ids.
    pub planted: Vec<Planted>,
    /// Records entered weeks late, with their stored ids.
    pub late_entries: Vec<LateEntry>,
    /// Whether the dues records were written: only into a repository that holds a data key,
    /// because income is personal data sealed at rest and a repository without a key refuses it.
    /// Without one the city has no dues and [`DemoSummary::planted`] leaves out the dues
    /// imperfections.
    pub dues_written: bool,
    /// Of the load, the time spent generating and writing the dues records (the rest is what the
    /// load took before dues were added).
    pub dues_elapsed: Duration,
}

/// Local ids to stored ids.
struct IdMap {
    orgs: Vec<Option<OrgId>>,
    members: Vec<Option<MemberId>>,
    member_base: i64,
}

fn unknown(field: &str, local: i64) -> StorageError {
    // Only a defect in the generator can get here: every local id it hands out is written before
    // it is referred to.
    StorageError::Invalid(ValidationErrors::single(FieldError::new(
        field,
        "unknown_local_id",
        format!("演示数据引用了尚未写入的编号{local}"),
        format!("the demo data refers to local id {local}, which has not been written yet"),
    )))
}

impl IdMap {
    fn org(&self, local: OrgId) -> Result<OrgId, StorageError> {
        usize::try_from(local.0 - 1)
            .ok()
            .and_then(|index| self.orgs.get(index).copied().flatten())
            .ok_or_else(|| unknown("org_id", local.0))
    }

    fn member(&self, local: MemberId) -> Result<MemberId, StorageError> {
        usize::try_from(local.0 - self.member_base)
            .ok()
            .and_then(|index| self.members.get(index).copied().flatten())
            .ok_or_else(|| unknown("member_id", local.0))
    }

    fn set_member(&mut self, local: MemberId, stored: MemberId) -> Result<(), StorageError> {
        let slot = usize::try_from(local.0 - self.member_base)
            .ok()
            .and_then(|index| self.members.get_mut(index));
        match slot {
            Some(slot) => {
                *slot = Some(stored);
                Ok(())
            }
            None => Err(unknown("member_id", local.0)),
        }
    }

    fn remap_org(&self, org: &Org) -> Result<Org, StorageError> {
        let mut org = org.clone();
        org.parent_id = org.parent_id.map(|parent| self.org(parent)).transpose()?;
        Ok(org)
    }

    fn remap_member(&self, member: &Member) -> Result<Member, StorageError> {
        let mut member = member.clone();
        for posting in &mut member.postings {
            posting.branch_id = self.org(posting.branch_id)?;
            posting.group_id = posting.group_id.map(|group| self.org(group)).transpose()?;
        }
        Ok(member)
    }

    fn remap_term(&self, term: &CommitteeTerm) -> Result<CommitteeTerm, StorageError> {
        let mut term = term.clone();
        term.org_id = self.org(term.org_id)?;
        for position in &mut term.positions {
            position.member_id = self.member(position.member_id)?;
        }
        Ok(term)
    }

    fn remap_meeting(&self, meeting: &Meeting) -> Result<Meeting, StorageError> {
        let mut meeting = meeting.clone();
        meeting.org_id = self.org(meeting.org_id)?;
        meeting.chair_id = meeting
            .chair_id
            .map(|chair| self.member(chair))
            .transpose()?;
        meeting.recorder_id = meeting
            .recorder_id
            .map(|recorder| self.member(recorder))
            .transpose()?;
        for attendance in &mut meeting.attendance {
            attendance.member_id = self.member(attendance.member_id)?;
        }
        Ok(meeting)
    }

    fn remap_declaration(
        &self,
        declaration: &IncomeDeclaration,
    ) -> Result<IncomeDeclaration, StorageError> {
        let mut declaration = declaration.clone();
        declaration.member_id = self.member(declaration.member_id)?;
        declaration.branch_id = self.org(declaration.branch_id)?;
        Ok(declaration)
    }

    fn remap_payment(&self, payment: &DuesPayment) -> Result<DuesPayment, StorageError> {
        let mut payment = payment.clone();
        payment.member_id = self.member(payment.member_id)?;
        payment.branch_id = self.org(payment.branch_id)?;
        Ok(payment)
    }

    fn remap_relief(&self, relief: &DuesRelief) -> Result<DuesRelief, StorageError> {
        let mut relief = relief.clone();
        relief.member_id = self.member(relief.member_id)?;
        relief.branch_id = self.org(relief.branch_id)?;
        relief.approved_by = relief.approved_by.map(|org| self.org(org)).transpose()?;
        Ok(relief)
    }

    fn remap_policy(&self, policy: &BranchDuesPolicy) -> Result<BranchDuesPolicy, StorageError> {
        let mut policy = policy.clone();
        policy.branch_id = self.org(policy.branch_id)?;
        Ok(policy)
    }

    /// The stored path of every org (`/root/department/branch/`), by local index.
    fn org_paths(&self, dataset: &DemoDataset) -> Result<Vec<String>, StorageError> {
        let mut paths: Vec<String> = Vec::with_capacity(dataset.orgs.len());
        for org in &dataset.orgs {
            let own = self.org(org.id)?.0;
            let path = match org.body.parent_id {
                None => format!("/{own}/"),
                Some(parent) => {
                    let parent_path = usize::try_from(parent.0 - 1)
                        .ok()
                        .and_then(|index| paths.get(index))
                        .ok_or_else(|| unknown("parent_id", parent.0))?;
                    format!("{parent_path}{own}/")
                }
            };
            paths.push(path);
        }
        Ok(paths)
    }

    fn remap_talk(&self, talk: &HeartToHeartTalk) -> Result<HeartToHeartTalk, StorageError> {
        let mut talk = talk.clone();
        talk.org_id = self.org(talk.org_id)?;
        talk.participants = [
            self.member(talk.participants[0])?,
            self.member(talk.participants[1])?,
        ];
        Ok(talk)
    }
}

fn meta(entered_at: DateTime<Utc>) -> ChangeMeta {
    ChangeMeta {
        actor: DEMO_ACTOR.to_string(),
        entered_at: Some(entered_at),
        ..ChangeMeta::default()
    }
}

/// Consecutive runs of items entered at the same instant, at most [`CHUNK`] long.
fn sittings<T>(items: &[T], entered_at: impl Fn(&T) -> DateTime<Utc>) -> Vec<&[T]> {
    let mut runs = Vec::new();
    let mut start = 0;
    for index in 1..=items.len() {
        let boundary = index == items.len()
            || entered_at(&items[index]) != entered_at(&items[start])
            || index - start == CHUNK;
        if boundary {
            if start < index {
                runs.push(&items[start..index]);
            }
            start = index;
        }
    }
    runs
}

/// Writes the pending dues records through the bulk path with freshly reserved ids, and empties
/// the list.
async fn write_dues(
    repo: &Repository,
    pending: &mut Vec<TrustedRecord>,
) -> Result<(), StorageError> {
    let first = repo.reserve_record_ids(pending.len() as u64).await?;
    for (offset, record) in pending.iter_mut().enumerate() {
        record.id = first + offset as i64;
    }
    repo.bulk_load(pending, DEMO_ACTOR).await?;
    pending.clear();
    Ok(())
}

/// Loads `dataset` into `repo`, which should be empty (the loader does not look for an earlier
/// load). The dues records are written only if `repo` holds a data key (see
/// [`DemoSummary::dues_written`]). Each sitting's records are one transaction; a failure stops the
/// load and returns the error, leaving the branches written so far in place.
pub async fn load(repo: &Repository, dataset: &DemoDataset) -> Result<DemoSummary, StorageError> {
    let mut counts = RecordCounts::default();
    let member_base = dataset.orgs.len() as i64 + 1;
    let mut ids = IdMap {
        orgs: Vec::with_capacity(dataset.orgs.len()),
        members: vec![None; dataset.member_count() as usize],
        member_base,
    };

    // Orgs level by level, so that every parent exists before its children.
    for run in sittings(&dataset.orgs, |org| org.entered_at) {
        let bodies = run
            .iter()
            .map(|org| ids.remap_org(&org.body))
            .collect::<Result<Vec<_>, _>>()?;
        let stored = repo.create_many(bodies, &meta(run[0].entered_at)).await?;
        counts.transactions += 1;
        counts.orgs += stored.len() as u64;
        ids.orgs
            .extend(stored.iter().map(|org| Some(OrgId(org.id))));
    }

    let paths = ids.org_paths(dataset)?;
    let mut pending_dues: Vec<TrustedRecord> = Vec::new();
    let mut dues_elapsed = Duration::ZERO;
    let dues_written = repo.data_key().is_some();
    let mut late_entries = Vec::new();
    for (index, records) in dataset.branches().enumerate() {
        for run in sittings(&records.members, |member| member.entered_at) {
            let bodies = run
                .iter()
                .map(|member| ids.remap_member(&member.body))
                .collect::<Result<Vec<_>, _>>()?;
            let stored = repo.create_many(bodies, &meta(run[0].entered_at)).await?;
            counts.transactions += 1;
            counts.members += stored.len() as u64;
            for (entry, stored) in run.iter().zip(&stored) {
                ids.set_member(entry.id, MemberId(stored.id))?;
            }
        }
        for transfer in &records.transfers_in {
            let id = ids.member(transfer.id)?;
            let body = ids.remap_member(&transfer.body)?;
            let change = ChangeMeta {
                reason: Some(transfer.reason.clone()),
                ..meta(transfer.entered_at)
            };
            // The record was created once, in its old branch, so this amendment is its version 2.
            repo.amend(id, 1, body, &change).await?;
            counts.transactions += 1;
            counts.member_transfers += 1;
        }
        for run in sittings(&records.committee_terms, |term| term.entered_at) {
            let bodies = run
                .iter()
                .map(|term| ids.remap_term(&term.body))
                .collect::<Result<Vec<_>, _>>()?;
            let stored = repo.create_many(bodies, &meta(run[0].entered_at)).await?;
            counts.transactions += 1;
            counts.committee_terms += stored.len() as u64;
        }
        // Meetings and talks, the bulk of the data, go in one transaction per branch and kind
        // (at most CHUNK records), each record with its own entry instant.
        for run in records.meetings.chunks(CHUNK) {
            let items = run
                .iter()
                .map(|meeting| Ok((ids.remap_meeting(&meeting.body)?, Some(meeting.entered_at))))
                .collect::<Result<Vec<_>, StorageError>>()?;
            let stored = repo
                .create_many_entered(items, &meta(run[0].entered_at))
                .await?;
            counts.transactions += 1;
            counts.meetings += stored.len() as u64;
            for (entry, stored) in run.iter().zip(&stored) {
                if (china_date(stored.first_entered_at) - stored.event_date).num_days()
                    >= LATE_ENTRY_DAYS
                    && let Some(late) =
                        dataset.late_entry(&entry.body, stored.first_entered_at, Some(stored.id))
                {
                    late_entries.push(LateEntry {
                        org_id: stored.body.org_id,
                        ..late
                    });
                }
            }
        }
        for run in records.talks.chunks(CHUNK) {
            let items = run
                .iter()
                .map(|talk| Ok((ids.remap_talk(&talk.body)?, Some(talk.entered_at))))
                .collect::<Result<Vec<_>, StorageError>>()?;
            let stored = repo
                .create_many_entered(items, &meta(run[0].entered_at))
                .await?;
            counts.transactions += 1;
            counts.talks += stored.len() as u64;
        }
        // Dues, after the branch's members (and those who transferred in) have their ids.
        if !dues_written {
            continue;
        }
        let dues_started = Instant::now();
        let dues = dataset.branch_dues(index, &records);
        let path = usize::try_from(records.branch_id.0 - 1)
            .ok()
            .and_then(|at| paths.get(at))
            .ok_or_else(|| unknown("branch_id", records.branch_id.0))?;
        for policy in &dues.policies {
            let body = ids.remap_policy(&policy.body)?;
            pending_dues.push(TrustedRecord::new(
                0,
                path.clone(),
                &body,
                policy.entered_at,
            )?);
            counts.dues_policies += 1;
        }
        for declaration in &dues.declarations {
            let body = ids.remap_declaration(&declaration.body)?;
            pending_dues.push(TrustedRecord::new(
                0,
                path.clone(),
                &body,
                declaration.entered_at,
            )?);
            counts.income_declarations += 1;
        }
        for payment in &dues.payments {
            let body = ids.remap_payment(&payment.body)?;
            pending_dues.push(TrustedRecord::new(
                0,
                path.clone(),
                &body,
                payment.entered_at,
            )?);
            counts.dues_payments += 1;
        }
        for relief in &dues.reliefs {
            let body = ids.remap_relief(&relief.body)?;
            pending_dues.push(TrustedRecord::new(
                0,
                path.clone(),
                &body,
                relief.entered_at,
            )?);
            counts.dues_reliefs += 1;
        }
        if pending_dues.len() >= DUES_BATCH {
            write_dues(repo, &mut pending_dues).await?;
            counts.transactions += 1;
        }
        dues_elapsed += dues_started.elapsed();
    }
    if !pending_dues.is_empty() {
        let dues_started = Instant::now();
        write_dues(repo, &mut pending_dues).await?;
        counts.transactions += 1;
        dues_elapsed += dues_started.elapsed();
    }

    let planted = dataset
        .planted
        .iter()
        .filter(|planted| dues_written || !planted.rule_id.starts_with("DUES."))
        .map(|planted| {
            Ok(Planted {
                org_id: ids.org(planted.org_id)?,
                ..planted.clone()
            })
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    Ok(DemoSummary {
        root: ids.org(dataset.root_id())?,
        counts,
        planted,
        late_entries,
        dues_written,
        dues_elapsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sittings_split_on_instant_changes_and_chunk_size() {
        let base = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let later = base + chrono::TimeDelta::hours(1);
        let items = vec![base, base, later, later, later, base];
        let runs = sittings(&items, |item| *item);
        assert_eq!(
            runs.iter().map(|run| run.len()).collect::<Vec<_>>(),
            [2, 3, 1]
        );
        let many = vec![base; CHUNK + 5];
        assert_eq!(
            sittings(&many, |item| *item)
                .iter()
                .map(|run| run.len())
                .collect::<Vec<_>>(),
            [CHUNK, 5]
        );
        assert!(sittings(&Vec::<DateTime<Utc>>::new(), |item| *item).is_empty());
    }
}
