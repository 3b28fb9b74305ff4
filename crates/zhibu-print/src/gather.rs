//! What each register needs, read from a repository and turned into its view model. Shared by the
//! web routes and `zhibu export`; they decide beforehand who may export what, and pass whether
//! personal data is shown whole ([`PersonalData`]).
//!
//! Reads only: nothing here writes, and nothing here knows who is asking.

use std::collections::HashMap;

use chrono::NaiveDate;
use zhibu_core::admission::{AdmissionRecord, AdmissionRecordId};
use zhibu_core::dues::{
    BranchDuesPolicy, DuesPayment, DuesPolicy, DuesRecords, DuesRelief, IncomeDeclaration,
    YearMonth, branch_collection_report, dues_branch_for, member_ledger,
};
use zhibu_core::engine::{self, EvaluationRequest};
use zhibu_core::{
    HeartToHeartTalk, Meeting, MeetingId, Member, MemberId, MemberStatus, Org, OrgId, OrgLevel,
    Record, RecordKind, Stored,
};
use zhibu_storage::{ListRequest, Repository, StorageError};

use crate::model::{
    self, AdmissionRecordView, AnnualSummaryView, AttendanceView, DuesRegisterView,
    MeetingRecordView, RegistryFields, RosterView,
};

/// Whether ID numbers and phones are shown whole or masked (`110***********1234`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalData {
    Whole,
    Masked,
}

/// Every record of `T` in `org`'s subtree with an event date in `from..=to`, page by page.
pub async fn list_all<T: Record>(
    repository: &Repository,
    org: OrgId,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<Stored<T>>, StorageError> {
    let mut items = Vec::new();
    let mut after = None;
    loop {
        let page = repository
            .list::<T>(&ListRequest {
                subtree: Some(org),
                event_from: from,
                event_to: to,
                after_id: after,
                limit: Some(1000),
            })
            .await?;
        items.extend(page.items);
        match page.next_after {
            Some(next) => after = Some(next),
            None => return Ok(items),
        }
    }
}

fn year_start(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN)
}

fn year_end(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// A branch (a 党支部, not a group or a committee): its record and its parent's name. Anything
/// else is not found, as the pages treat it.
pub async fn branch(repository: &Repository, id: OrgId) -> Result<(Org, String), StorageError> {
    let org = repository.get::<Org>(id).await?.body;
    if org.level != OrgLevel::Branch {
        return Err(StorageError::NotFound {
            kind: RecordKind::Org,
            id: id.0,
        });
    }
    let parent_name = match org.parent_id {
        Some(parent) => repository.get::<Org>(parent).await?.body.name,
        None => String::new(),
    };
    Ok((org, parent_name))
}

/// The members who belong to `branch` on `day`, in the order of their records.
pub async fn members_on(
    repository: &Repository,
    branch: OrgId,
    day: NaiveDate,
) -> Result<Vec<Stored<Member>>, StorageError> {
    Ok(list_all::<Member>(repository, branch, None, None)
        .await?
        .into_iter()
        .filter(|member| member.body.branch_on(day) == Some(branch))
        .collect())
}

async fn group_names(
    repository: &Repository,
    branch: OrgId,
) -> Result<HashMap<OrgId, String>, StorageError> {
    Ok(list_all::<Org>(repository, branch, None, None)
        .await?
        .into_iter()
        .map(|org| (OrgId(org.id), org.body.name))
        .collect())
}

/// The registry columns of `member` as the reader may see them.
pub fn registry_fields(member: &Member, personal: PersonalData) -> RegistryFields {
    let registry = &member.registry;
    RegistryFields {
        ethnicity: registry.ethnicity.clone().unwrap_or_default(),
        education: registry
            .education
            .map(|education| education.name_zh().to_string())
            .unwrap_or_default(),
        id_number: registry
            .id_number
            .as_ref()
            .map(|number| match personal {
                PersonalData::Whole => number.as_full_str().to_string(),
                PersonalData::Masked => number.masked(),
            })
            .unwrap_or_default(),
        phone: registry
            .phone
            .as_ref()
            .map(|phone| match personal {
                PersonalData::Whole => phone.as_full_str(),
                PersonalData::Masked => phone.masked(),
            })
            .unwrap_or_default(),
    }
}

/// 党员名册 of `branch` on `as_of`.
pub async fn roster(
    repository: &Repository,
    branch_id: OrgId,
    as_of: NaiveDate,
    personal: PersonalData,
) -> Result<RosterView, StorageError> {
    let (branch, parent_name) = branch(repository, branch_id).await?;
    let groups = group_names(repository, branch_id).await?;
    let members = members_on(repository, branch_id, as_of).await?;
    let mut full_count = 0;
    let mut probationary_count = 0;
    let rows = members
        .iter()
        .enumerate()
        .map(|(index, member)| {
            match member.body.status_on(as_of) {
                Some(MemberStatus::Probationary) => probationary_count += 1,
                Some(status) if status.is_full_member() => full_count += 1,
                _ => {}
            }
            model::roster_row(
                index + 1,
                &member.body,
                as_of,
                &groups,
                &registry_fields(&member.body, personal),
            )
        })
        .collect();
    Ok(RosterView {
        branch_name: branch.name,
        parent_name,
        as_of: model::date_zh(as_of),
        masked: personal == PersonalData::Masked,
        rows,
        full_count,
        probationary_count,
    })
}

/// The names of the members with these ids (read one by one: a meeting lists a branch's members,
/// who may have moved on since).
async fn names_of(
    repository: &Repository,
    ids: Vec<MemberId>,
) -> Result<HashMap<MemberId, String>, StorageError> {
    let mut names = HashMap::new();
    for id in ids {
        if names.contains_key(&id) {
            continue;
        }
        match repository.get::<Member>(id).await {
            Ok(member) => {
                names.insert(id, member.body.name);
            }
            Err(StorageError::NotFound { .. } | StorageError::Deleted { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(names)
}

/// The branch a meeting belongs to: its org, or the group's branch for a group meeting.
pub async fn meeting_branch(
    repository: &Repository,
    meeting: &Meeting,
) -> Result<Org, StorageError> {
    let org = repository.get::<Org>(meeting.org_id).await?.body;
    match (org.level, org.parent_id) {
        (OrgLevel::PartyGroup, Some(parent)) => Ok(repository.get::<Org>(parent).await?.body),
        _ => Ok(org),
    }
}

/// The record of one meeting, with its org's name (the group's branch and group for a group
/// meeting) and, when amended, its version.
pub async fn meeting_record(
    repository: &Repository,
    meeting: &Stored<Meeting>,
) -> Result<MeetingRecordView, StorageError> {
    let body = &meeting.body;
    let org = repository.get::<Org>(body.org_id).await?.body;
    let org_name = if org.level == OrgLevel::PartyGroup {
        let branch = meeting_branch(repository, body).await?;
        format!("{}{}", branch.name, org.name)
    } else {
        org.name
    };
    let ids = body
        .attendance
        .iter()
        .map(|entry| entry.member_id)
        .chain(body.chair_id)
        .chain(body.recorder_id)
        .collect();
    let names = names_of(repository, ids).await?;
    let version_note = if meeting.version > 1 {
        let history = repository.history(RecordKind::Meeting, meeting.id).await?;
        let reason = history
            .last()
            .and_then(|version| version.reason.clone())
            .unwrap_or_default();
        let changed = chrono::FixedOffset::east_opt(8 * 3600).map_or_else(
            || meeting.last_changed_at.date_naive(),
            |china| meeting.last_changed_at.with_timezone(&china).date_naive(),
        );
        let reason = reason.trim();
        if reason.is_empty() {
            format!("本记录为第{}版（{changed}修改）。", meeting.version)
        } else {
            format!(
                "本记录为第{}版（{changed}修改，原因：{reason}）。",
                meeting.version
            )
        }
    } else {
        String::new()
    };
    Ok(model::meeting_record(
        &org_name,
        body,
        &names,
        &version_note,
    ))
}

/// A meeting by id.
pub async fn meeting(
    repository: &Repository,
    id: MeetingId,
) -> Result<Stored<Meeting>, StorageError> {
    repository.get::<Meeting>(id).await
}

/// Attendance at the meetings of `branch` (and its groups) in `year`, one row per member who was
/// on any meeting's roster or belongs to the branch at the end of the period.
pub async fn attendance(
    repository: &Repository,
    branch_id: OrgId,
    year: i32,
    today: NaiveDate,
) -> Result<AttendanceView, StorageError> {
    let (branch, _) = branch(repository, branch_id).await?;
    let mut meetings = list_all::<Meeting>(
        repository,
        branch_id,
        Some(year_start(year)),
        Some(year_end(year)),
    )
    .await?;
    meetings.sort_by_key(|meeting| (meeting.body.held_on, meeting.id));
    let last_day = year_end(year).min(today.max(year_start(year)));
    let mut ids: Vec<MemberId> = members_on(repository, branch_id, last_day)
        .await?
        .iter()
        .map(|member| MemberId(member.id))
        .collect();
    for meeting in &meetings {
        for entry in &meeting.body.attendance {
            if !ids.contains(&entry.member_id) {
                ids.push(entry.member_id);
            }
        }
    }
    let names = names_of(repository, ids.clone()).await?;
    let members: Vec<(MemberId, String)> = ids
        .into_iter()
        .filter_map(|id| names.get(&id).map(|name| (id, name.clone())))
        .collect();
    let bodies: Vec<&Meeting> = meetings.iter().map(|meeting| &meeting.body).collect();
    Ok(model::attendance(
        &branch.name,
        &format!("{year}年"),
        &bodies,
        &members,
    ))
}

/// The summary of `year` for `branch`: its meetings and talks per month and the findings the
/// engine reports open for it on `today`.
pub async fn annual_summary(
    repository: &Repository,
    branch_id: OrgId,
    year: i32,
    today: NaiveDate,
) -> Result<AnnualSummaryView, StorageError> {
    let (branch, _) = branch(repository, branch_id).await?;
    let (from, to) = (year_start(year), year_end(year));
    let meetings = list_all::<Meeting>(repository, branch_id, Some(from), Some(to)).await?;
    let talks = list_all::<HeartToHeartTalk>(repository, branch_id, Some(from), Some(to)).await?;
    let snapshot = repository.load_snapshot(branch_id, from, to).await?;
    let request = EvaluationRequest {
        root: branch_id,
        from,
        to,
        today,
        horizon_days: 0,
    };
    let report = engine::evaluate(repository.catalogue(), &snapshot, &request);
    let open: Vec<&engine::Finding> = report
        .findings
        .iter()
        .filter(|finding| finding.is_open())
        .collect();
    let bodies: Vec<&Meeting> = meetings.iter().map(|meeting| &meeting.body).collect();
    let talk_dates: Vec<NaiveDate> = talks.iter().map(|talk| talk.body.held_on).collect();
    let as_of = today.min(to);
    Ok(model::annual_summary(
        &branch.name,
        year,
        as_of,
        &bodies,
        &talk_dates,
        &open,
    ))
}

/// The 纪实表 of one admission record.
pub async fn admission_record(
    repository: &Repository,
    record: &AdmissionRecord,
    today: NaiveDate,
) -> Result<AdmissionRecordView, StorageError> {
    let branch = repository.get::<Org>(record.person.branch_id).await?.body;
    let ids = record
        .application_talk
        .iter()
        .chain(record.upper_talk.iter())
        .flat_map(|talk| talk.talkers.iter().copied())
        .chain(record.mentors.iter().map(|mentor| mentor.member_id))
        .chain(record.sponsors.iter().map(|sponsor| sponsor.member_id))
        .collect::<Vec<_>>();
    let names = names_of(repository, ids).await?;
    Ok(model::admission_record(record, &branch.name, &names, today))
}

/// An admission record by id.
pub async fn admission(
    repository: &Repository,
    id: AdmissionRecordId,
) -> Result<Stored<AdmissionRecord>, StorageError> {
    repository.get::<AdmissionRecord>(id).await
}

/// The dues register of `branch` for `month`: the month's collection report and each member's
/// ledger from January, computed from the declarations, payments and reliefs stored under the
/// branch and the branch's dues settings (the defaults of the 2008 rules when it has none).
/// Arrears count from the later of January and the branch's ledger opening.
pub async fn dues_register(
    repository: &Repository,
    branch_id: OrgId,
    month: YearMonth,
) -> Result<DuesRegisterView, StorageError> {
    let (branch, _) = branch(repository, branch_id).await?;
    let members: Vec<Stored<Member>> = list_all::<Member>(repository, branch_id, None, None)
        .await?
        .into_iter()
        .filter(|member| dues_branch_for(&member.body, month) == Some(branch_id))
        .collect();
    let declarations: Vec<IncomeDeclaration> =
        list_all::<IncomeDeclaration>(repository, branch_id, None, Some(month.last_day()))
            .await?
            .into_iter()
            .map(|stored| stored.body)
            .collect();
    let payments: Vec<DuesPayment> = list_all::<DuesPayment>(repository, branch_id, None, None)
        .await?
        .into_iter()
        .map(|stored| stored.body)
        .collect();
    let reliefs: Vec<DuesRelief> = list_all::<DuesRelief>(repository, branch_id, None, None)
        .await?
        .into_iter()
        .map(|stored| stored.body)
        .collect();
    // The settings decided last on or before the month's end; the 2008 defaults without any.
    let settings =
        list_all::<BranchDuesPolicy>(repository, branch_id, None, Some(month.last_day()))
            .await?
            .into_iter()
            .filter(|stored| stored.body.branch_id == branch_id)
            .max_by_key(|stored| (stored.body.decided_on, stored.id))
            .map(|stored| stored.body);
    let policy = settings
        .as_ref()
        .map_or_else(DuesPolicy::default, BranchDuesPolicy::policy);
    let records = DuesRecords {
        declarations: &declarations,
        payments: &payments,
        reliefs: &reliefs,
    };
    let january = YearMonth::new(month.year(), 1).unwrap_or(month);
    // Arrears count from the ledger's opening (January of the month's year without settings);
    // the year's ledger runs from January, or from the opening if later.
    let opened = settings
        .as_ref()
        .map_or(january, |settings| settings.ledger_opened);
    let report = branch_collection_report(branch_id, &members, &records, &policy, opened, month);
    let ledger_from = opened.max(january).min(month);
    let ledgers: Vec<_> = report
        .members
        .iter()
        .filter_map(|line| {
            members
                .iter()
                .find(|member| MemberId(member.id) == line.member_id)
        })
        .map(|member| member_ledger(member, &records, &policy, ledger_from, month))
        .collect();
    let names: HashMap<MemberId, String> = members
        .iter()
        .map(|member| (MemberId(member.id), member.body.name.clone()))
        .collect();
    Ok(model::dues_register(
        &branch.name,
        &report,
        &ledgers,
        &names,
    ))
}
