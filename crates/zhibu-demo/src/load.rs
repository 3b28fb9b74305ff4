//! Writes a generated city through the repository: orgs level by level, then branch by branch its
//! members, arriving transfers, committee terms, meetings and talks. Every record goes through the
//! repository's validation and context checks like any other write.
//!
//! Orgs, members and terms go in by sitting (records entered together share one transaction and
//! one entry instant); meetings and talks, the bulk, go in one transaction per branch and kind,
//! each record with its own entry instant (`Repository::create_many_entered`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use zhibu_core::calendar::china_date;
use zhibu_core::{
    CommitteeTerm, FieldError, HeartToHeartTalk, Meeting, Member, MemberId, Org, OrgId,
    ValidationErrors,
};
use zhibu_storage::{ChangeMeta, Repository, StorageError};

use crate::{DemoDataset, LATE_ENTRY_DAYS, LateEntry, Planted};

/// The actor recorded on every version the loader writes.
pub const DEMO_ACTOR: &str = "demo";

/// At most this many records go into one transaction.
const CHUNK: usize = 2_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RecordCounts {
    pub orgs: u64,
    pub members: u64,
    /// Member records amended by a transfer between branches.
    pub member_transfers: u64,
    pub committee_terms: u64,
    pub meetings: u64,
    pub talks: u64,
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

/// Loads `dataset` into `repo`, which should be empty (the loader does not look for an earlier
/// load). Each sitting's records are one transaction; a failure stops the load and returns the
/// error, leaving the branches written so far in place.
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

    let mut late_entries = Vec::new();
    for records in dataset.branches() {
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
    }

    let planted = dataset
        .planted
        .iter()
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
