//! Meetings: the phone-first form that records one (`/branches/{id}/meetings/new`), the meeting's
//! page with its statements and version history (`/meetings/{id}`), and the amendment form on it.
//!
//! A double submission does not make two meetings: the form carries an idempotency key, and the
//! repository returns the first meeting for a repeated key. A stale amendment (someone else
//! amended the record meanwhile) is refused by the repository and the form comes back with the
//! latest version and the person's input, never overwriting.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::NaiveDate;
use zhibu_core::{
    AttendanceState, CommitteeTerm, FieldError, LeadershipForm, Meeting, MeetingId, MeetingKind,
    Member, MemberId, Org, OrgId, OrgLevel, RecordKind, RecordedOutcome, Statement, Stored,
};
use zhibu_storage::{ChangeMeta, StorageError};

use super::forms::{MeetingFormView, MeetingInput};
use super::i18n::Lang;
use super::workspace::{list_all, meeting_kinds_label};
use super::{
    Chrome, Failure, PageContext, PageError, audit_change, check_csrf, form_fields, html, parse_id,
    query_pairs, query_value, see_other,
};
use crate::AppState;
use crate::auth::{Access, Action, Area, Principal, ScopedRecord};

#[derive(askama::Template)]
#[template(path = "meeting_new.html")]
struct NewMeetingPage {
    chrome: Chrome,
    branch_id: OrgId,
    branch_name: String,
    csrf_token: String,
    idempotency_key: String,
    form: MeetingFormView,
}

#[derive(askama::Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    chrome: Chrome,
    view: MeetingView,
    amend: Option<MeetingFormView>,
    stale: bool,
    csrf_token: String,
    expected_version: i32,
}

struct MeetingView {
    id: i64,
    version: i32,
    branch_id: OrgId,
    branch_name: String,
    kinds: String,
    held_on: String,
    place: String,
    chair: String,
    recorder: String,
    counts: String,
    topics: Vec<String>,
    minutes: String,
    resolutions: Vec<ResolutionView>,
    attendance: Vec<AttendanceView>,
    statements: Vec<StatementView>,
    /// The change log; `None` for a member, who reads only their own part of the meeting.
    history: Option<Vec<VersionView>>,
}

struct ResolutionView {
    subject: String,
    yes: u32,
    no: u32,
    abstain: u32,
    outcome: &'static str,
}

struct AttendanceView {
    member_id: MemberId,
    name: String,
    state: &'static str,
    reason: String,
}

pub struct StatementView {
    pub author: String,
    pub stated_on: String,
    pub text: String,
}

pub struct VersionView {
    pub version: i32,
    pub operation: &'static str,
    pub entered_at: String,
    pub actor: String,
    pub reason: String,
}

/// Every version of a record, oldest first: who changed it, when (China time) and why.
pub async fn version_history(
    state: &AppState,
    kind: RecordKind,
    id: i64,
    lang: Lang,
) -> Result<Vec<VersionView>, StorageError> {
    Ok(state
        .repository
        .history(kind, id)
        .await?
        .into_iter()
        .map(|version| VersionView {
            version: version.version,
            operation: lang.operation(version.operation),
            entered_at: version
                .entered_at
                .with_timezone(&zhibu_core::calendar::china_standard_time())
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            actor: version.actor,
            reason: version.reason.unwrap_or_default(),
        })
        .collect())
}

/// A fresh idempotency key for a form: unique, not secret. The clock, a counter and the process
/// id are enough to tell apart every form this server hands out.
fn new_form_key(principal: &Principal) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = DefaultHasher::new();
    std::time::SystemTime::now().hash(&mut hasher);
    std::process::id().hash(&mut hasher);
    COUNTER.fetch_add(1, Ordering::Relaxed).hash(&mut hasher);
    principal.account_id.hash(&mut hasher);
    format!(
        "{:016x}{:08x}",
        hasher.finish(),
        COUNTER.load(Ordering::Relaxed)
    )
}

/// The branch (not a party group, not a committee) and whether the principal may write there.
async fn branch_for_writing(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    id: &str,
) -> Result<Stored<Org>, PageError> {
    let lang = context.lang;
    let branch_id = OrgId(parse_id(context, id)?);
    let visible = principal
        .can_see_org(&state.repository, branch_id)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    if !visible || principal.allows(Area::Meetings, Action::Read) == Access::Own {
        return Err(context.error(Failure::NotFound));
    }
    if principal.allows(Area::Meetings, Action::Create) == Access::Denied {
        return Err(context.error(Failure::Forbidden));
    }
    let branch = state
        .repository
        .get::<Org>(branch_id)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    if branch.body.level != OrgLevel::Branch {
        return Err(context.error(Failure::NotFound));
    }
    Ok(branch)
}

/// The people of a branch on a day: who is on its roster, its party groups, its committee.
struct People {
    roster: Vec<(MemberId, String)>,
    groups: Vec<(OrgId, String)>,
    /// Names of everyone ever posted to the branch, for people already listed on a meeting.
    names: HashMap<MemberId, String>,
    /// The committee members in post on the day; empty when the branch has no committee term.
    committee: Vec<MemberId>,
    /// Each member's party group on the day.
    group_of: HashMap<MemberId, OrgId>,
}

impl People {
    /// The marks the form's script uses to list only those expected at a committee or group
    /// meeting: `committee`, `group-{id}`.
    fn tags(&self) -> HashMap<MemberId, String> {
        self.roster
            .iter()
            .map(|(id, _)| {
                let mut tags = Vec::new();
                if self.committee.contains(id) {
                    tags.push("committee".to_string());
                }
                if let Some(group) = self.group_of.get(id) {
                    tags.push(format!("group-{group}"));
                }
                (*id, tags.join(" "))
            })
            .collect()
    }

    /// Who a meeting expects, when that is not the whole branch: the committee in post for a
    /// committee meeting held on its own, the group's members for a group meeting. The form
    /// lists everyone (so that it works without script); rows of people not expected are left
    /// out of the record rather than recorded as attending a meeting they were not called to.
    fn expected(&self, meeting: &Meeting) -> Option<Vec<MemberId>> {
        let only = |kind: MeetingKind| meeting.kinds.len() == 1 && meeting.kinds[0] == kind;
        if only(MeetingKind::CommitteeMeeting) && !self.committee.is_empty() {
            return Some(self.committee.clone());
        }
        if meeting.is_kind(MeetingKind::GroupMeeting) {
            let members: Vec<MemberId> = self
                .group_of
                .iter()
                .filter(|(_, group)| **group == meeting.org_id)
                .map(|(member, _)| *member)
                .collect();
            if !members.is_empty() {
                return Some(members);
            }
        }
        None
    }

    /// Drops the form's rows of people the meeting does not expect, before the form is read as
    /// a meeting, so that errors still point at the rows that remain.
    fn keep_expected(&self, input: &mut MeetingInput, branch: OrgId) {
        if let Ok(meeting) = input.to_meeting(branch)
            && let Some(expected) = self.expected(&meeting)
        {
            input
                .attendance
                .retain(|entry| expected.contains(&entry.member_id));
        }
    }
}

async fn people(state: &AppState, branch: OrgId, date: NaiveDate) -> Result<People, StorageError> {
    let members = list_all::<Member>(&state.repository, branch, None, None).await?;
    let names: HashMap<MemberId, String> = members
        .iter()
        .map(|member| (MemberId(member.id), member.body.name.clone()))
        .collect();
    let on_roster: Vec<&Stored<Member>> = members
        .iter()
        .filter(|member| member.body.branch_on(date) == Some(branch))
        .collect();
    let roster = on_roster
        .iter()
        .map(|member| (MemberId(member.id), member.body.name.clone()))
        .collect();
    let group_of = on_roster
        .iter()
        .filter_map(|member| {
            let group = member.body.posting_on(date)?.group_id?;
            Some((MemberId(member.id), group))
        })
        .collect();
    let groups = list_all::<Org>(&state.repository, branch, None, None)
        .await?
        .into_iter()
        .filter(|org| org.body.level == OrgLevel::PartyGroup && org.body.parent_id == Some(branch))
        .map(|org| (OrgId(org.id), org.body.name))
        .collect();
    let committee = list_all::<CommitteeTerm>(&state.repository, branch, None, None)
        .await?
        .into_iter()
        .filter(|term| {
            term.body.org_id == branch
                && term.body.form == LeadershipForm::Committee
                && term.body.elected_on <= date
        })
        .max_by_key(|term| term.body.elected_on)
        .map(|term| term.body.members_on(date))
        .unwrap_or_default();
    Ok(People {
        roster,
        groups,
        names,
        committee,
        group_of,
    })
}

/// The roster to draw: the branch on the day, plus anyone already listed (by name where known).
fn roster_with_listed(
    mut roster: Vec<(MemberId, String)>,
    input: &MeetingInput,
    names: &HashMap<MemberId, String>,
) -> Vec<(MemberId, String)> {
    for entry in &input.attendance {
        if !roster.iter().any(|(id, _)| *id == entry.member_id) {
            roster.push((
                entry.member_id,
                names
                    .get(&entry.member_id)
                    .cloned()
                    .unwrap_or_else(|| entry.member_id.to_string()),
            ));
        }
    }
    roster
}

pub async fn new_meeting(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let branch = branch_for_writing(&state, &context, &principal, &id).await?;
    let branch_id = OrgId(branch.id);
    let today = (state.today)();
    let people = people(&state, branch_id, today)
        .await
        .map_err(|error| PageError::storage(context.lang, error))?;
    let input = MeetingInput::blank(today, &people.roster);
    let page = NewMeetingPage {
        chrome: context.chrome(context.tr().new_meeting_title),
        branch_id,
        branch_name: branch.body.name,
        csrf_token: principal.csrf_token.clone(),
        idempotency_key: new_form_key(&principal),
        form: MeetingFormView::new(
            &input,
            &people.roster,
            &people.groups,
            &people.tags(),
            &[],
            context.lang,
        ),
    };
    Ok(html(StatusCode::OK, &page))
}

/// Turns a refusal from storage into errors on the form's fields.
fn storage_errors(
    input: &MeetingInput,
    error: StorageError,
    lang: Lang,
) -> Result<Vec<(String, FieldError)>, PageError> {
    match error {
        StorageError::Invalid(errors) => Ok(errors
            .errors
            .into_iter()
            .map(|error| (input.target(&error.field), error))
            .collect()),
        other => Err(PageError::storage(lang, other)),
    }
}

pub async fn create_meeting(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let fields = form_fields(&body);
    check_csrf(&context, &principal, &fields)?;
    let branch = branch_for_writing(&state, &context, &principal, &id).await?;
    let branch_id = OrgId(branch.id);
    let mut input = MeetingInput::from_fields(&fields);
    let key = super::field(&fields, "idempotency_key").trim().to_string();
    let today = (state.today)();
    let date = NaiveDate::parse_from_str(input.held_on.trim(), "%Y-%m-%d").unwrap_or(today);
    let people = people(&state, branch_id, date)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    people.keep_expected(&mut input, branch_id);
    let result: Result<(), Vec<(String, FieldError)>> = match input.to_meeting(branch_id) {
        Err(errors) => Err(errors),
        Ok(meeting) => {
            let meta = ChangeMeta {
                actor: principal.login.clone(),
                reason: None,
                // Keys are scoped to the account, so that one person's form can never collide with
                // another's; a form without a key is simply not protected against a repeat.
                idempotency_key: (!key.is_empty())
                    .then(|| format!("page-meeting:{}:{key}", principal.account_id)),
                entered_at: None,
            };
            match state.repository.create(meeting, &meta).await {
                Ok(stored) => {
                    let path = state
                        .repository
                        .org_path(stored.body.org_id)
                        .await
                        .map_err(|error| PageError::storage(lang, error))?;
                    audit_change(
                        &state,
                        &principal,
                        "create",
                        "meeting",
                        stored.id,
                        &path,
                        serde_json::json!({ "held_on": stored.body.held_on, "through": "page" }),
                    )
                    .await;
                    return Ok(see_other(&format!("/meetings/{}?saved=1", stored.id)));
                }
                Err(error) => Err(storage_errors(&input, error, lang)?),
            }
        }
    };
    let errors = result.err().unwrap_or_default();
    let roster = roster_with_listed(people.roster.clone(), &input, &people.names);
    let page = NewMeetingPage {
        chrome: context.chrome(context.tr().new_meeting_title),
        branch_id,
        branch_name: branch.body.name,
        csrf_token: principal.csrf_token.clone(),
        // The same key again: the corrected form is the same meeting, not another one.
        idempotency_key: if key.is_empty() {
            new_form_key(&principal)
        } else {
            key
        },
        form: MeetingFormView::new(
            &input,
            &roster,
            &people.groups,
            &people.tags(),
            &errors,
            lang,
        ),
    };
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// The meeting, if the principal may read it: anywhere in their subtree, or — for a member — a
/// meeting whose roster lists them. Anything else is not found.
async fn readable_meeting(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    id: &str,
) -> Result<(Stored<Meeting>, Org, OrgId), PageError> {
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let meeting = state
        .repository
        .get::<Meeting>(MeetingId(parse_id(context, id)?))
        .await
        .map_err(storage)?;
    // The meeting must lie in the principal's subtree whatever the role; a member must also be
    // concerned by it (chair, recorder or on the roster), exactly as the API decides.
    let concerned = match principal.allows(Area::Meetings, Action::Read) {
        Access::Denied => false,
        Access::Own => principal
            .member_id
            .is_some_and(|member| meeting.body.concerns_member(meeting.id, member)),
        Access::InScope | Access::BelowScope => true,
    };
    if !concerned
        || !principal
            .can_see_org(&state.repository, meeting.body.org_id)
            .await
            .map_err(storage)?
    {
        return Err(context.error(Failure::NotFound));
    }
    let org = state
        .repository
        .get::<Org>(meeting.body.org_id)
        .await
        .map_err(storage)?
        .body;
    let branch = match org.level {
        OrgLevel::PartyGroup => org.parent_id.unwrap_or(meeting.body.org_id),
        _ => meeting.body.org_id,
    };
    Ok((meeting, org, branch))
}

/// The member a reader sees only their own part of a record as (a member account reads the
/// records that concern them, without other people's attendance, statements or the change log);
/// `None` for officers and staff, who read whole records in their subtree.
pub fn own_part_only(principal: &Principal, area: Area) -> Option<MemberId> {
    match principal.allows(area, Action::Read) {
        Access::Own => principal.member_id,
        _ => None,
    }
}

/// Everything the meeting's page shows; for `own_only`, only that member's part of it.
async fn meeting_view(
    state: &AppState,
    meeting: &Stored<Meeting>,
    branch: OrgId,
    lang: Lang,
    own_only: Option<MemberId>,
) -> Result<(MeetingView, HashMap<MemberId, String>), StorageError> {
    let members = list_all::<Member>(&state.repository, branch, None, None).await?;
    let names: HashMap<MemberId, String> = members
        .iter()
        .map(|member| (MemberId(member.id), member.body.name.clone()))
        .collect();
    let name = |id: MemberId| names.get(&id).cloned().unwrap_or_else(|| id.to_string());
    let tr = lang.texts();
    let mut body = meeting.body.clone();
    if let Some(member) = own_only {
        body.redact_for_member(member);
    }
    let body = &body;
    let branch_name = state.repository.get::<Org>(branch).await?.body.name;
    let statements = list_all::<Statement>(&state.repository, body.org_id, None, None)
        .await?
        .into_iter()
        .filter(|statement| {
            statement.body.about.kind == RecordKind::Meeting
                && statement.body.about.id == meeting.id
                && own_only.is_none_or(|member| statement.body.member_id == member)
        })
        .map(|statement| StatementView {
            author: name(statement.body.member_id),
            stated_on: lang.date(statement.body.stated_on),
            text: statement.body.text,
        })
        .collect();
    // Earlier versions and the reasons for amending them may concern other attendees.
    let history = match own_only {
        Some(_) => None,
        None => Some(version_history(state, RecordKind::Meeting, meeting.id, lang).await?),
    };
    let view = MeetingView {
        id: meeting.id,
        version: meeting.version,
        branch_id: branch,
        branch_name,
        kinds: meeting_kinds_label(lang, body),
        held_on: lang.date(body.held_on),
        place: body.place.clone(),
        chair: body.chair_id.map_or_else(|| tr.nobody.to_string(), name),
        recorder: body.recorder_id.map_or_else(|| tr.nobody.to_string(), name),
        // Counts of a roster the reader sees only their own line of would mislead.
        counts: match own_only {
            Some(_) => String::new(),
            None => lang.attendance_counts(body.present().count(), body.attendance.len()),
        },
        topics: body.topics.clone(),
        minutes: body.minutes.clone(),
        resolutions: body
            .resolutions
            .iter()
            .map(|resolution| ResolutionView {
                subject: resolution.subject.clone(),
                yes: resolution.yes,
                no: resolution.no,
                abstain: resolution.abstain,
                outcome: match resolution.recorded_outcome {
                    RecordedOutcome::Passed => tr.outcome_passed,
                    RecordedOutcome::Rejected => tr.outcome_rejected,
                },
            })
            .collect(),
        attendance: body
            .attendance
            .iter()
            .map(|entry| AttendanceView {
                member_id: entry.member_id,
                name: name(entry.member_id),
                state: lang.attendance_state(&entry.state),
                reason: match &entry.state {
                    AttendanceState::Excused { reason } => reason.clone(),
                    _ => String::new(),
                },
            })
            .collect(),
        statements,
        history,
    };
    Ok((view, names))
}

fn may_amend(principal: &Principal) -> bool {
    matches!(
        principal.allows(Area::Meetings, Action::Amend),
        Access::InScope | Access::BelowScope
    )
}

/// What the amendment form comes back with after a refused submission.
struct Resubmission {
    input: MeetingInput,
    errors: Vec<(String, FieldError)>,
    /// The version the form names: the one submitted after a mistake, the latest after a stale edit.
    expected_version: i32,
    stale: bool,
}

/// Renders the meeting's page, with the amendment form filled from a refused submission if any.
async fn render_meeting(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    (meeting, org, branch): &(Stored<Meeting>, Org, OrgId),
    resubmission: Option<Resubmission>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let branch = *branch;
    let stale = resubmission
        .as_ref()
        .is_some_and(|resubmission| resubmission.stale);
    let expected_version = resubmission
        .as_ref()
        .map_or(meeting.version, |resubmission| {
            resubmission.expected_version
        });
    let input = resubmission.map(|resubmission| (resubmission.input, resubmission.errors));
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let own_only = own_part_only(principal, Area::Meetings);
    let (view, names) = meeting_view(state, meeting, branch, lang, own_only)
        .await
        .map_err(storage)?;
    let amend = if may_amend(principal) {
        let group = (org.level == OrgLevel::PartyGroup).then_some(meeting.body.org_id);
        let (input, errors) =
            input.unwrap_or_else(|| (MeetingInput::from_meeting(&meeting.body, group), Vec::new()));
        let date = NaiveDate::parse_from_str(input.held_on.trim(), "%Y-%m-%d")
            .unwrap_or(meeting.body.held_on);
        let people = people(state, branch, date).await.map_err(storage)?;
        let roster = roster_with_listed(people.roster.clone(), &input, &names);
        Some(MeetingFormView::new(
            &input,
            &roster,
            &people.groups,
            &people.tags(),
            &errors,
            lang,
        ))
    } else {
        None
    };
    let query = query_pairs(&context_uri(context));
    let mut chrome = context.chrome(view.kinds.clone());
    if query_value(&query, "saved").is_some() {
        chrome.notice = Some(context.tr().meeting_saved.to_string());
    } else if query_value(&query, "amended").is_some() {
        chrome.notice = Some(context.tr().meeting_amended.to_string());
    }
    let page = MeetingPage {
        chrome,
        expected_version,
        view,
        amend,
        stale,
        csrf_token: principal.csrf_token.clone(),
    };
    Ok(html(status, &page))
}

fn context_uri(context: &PageContext) -> Uri {
    context.path_and_query.parse::<Uri>().unwrap_or_default()
}

pub async fn view_meeting(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let found = readable_meeting(&state, &context, &principal, &id).await?;
    render_meeting(&state, &context, &principal, &found, None, StatusCode::OK).await
}

pub async fn amend_meeting(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let fields = form_fields(&body);
    check_csrf(&context, &principal, &fields)?;
    let found = readable_meeting(&state, &context, &principal, &id).await?;
    let (meeting, _, branch) = &found;
    let branch = *branch;
    if !may_amend(&principal) {
        return Err(context.error(Failure::Forbidden));
    }
    let mut input = MeetingInput::from_fields(&fields);
    let date =
        NaiveDate::parse_from_str(input.held_on.trim(), "%Y-%m-%d").unwrap_or(meeting.body.held_on);
    people(&state, branch, date)
        .await
        .map_err(|error| PageError::storage(lang, error))?
        .keep_expected(&mut input, branch);
    let expected_version = super::field(&fields, "expected_version")
        .trim()
        .parse::<i32>()
        .unwrap_or(0);
    let errors = match input.to_meeting(branch) {
        Err(errors) => errors,
        Ok(amended) => {
            let meta = ChangeMeta::because(&principal.login, input.reason.trim());
            match state
                .repository
                .amend(MeetingId(meeting.id), expected_version, amended, &meta)
                .await
            {
                Ok(stored) => {
                    let path = state
                        .repository
                        .org_path(stored.body.org_id)
                        .await
                        .map_err(|error| PageError::storage(lang, error))?;
                    audit_change(&state, &principal, "amend", "meeting", stored.id, &path, serde_json::json!({ "version": stored.version, "reason": input.reason.trim(), "through": "page" })).await;
                    return Ok(see_other(&format!("/meetings/{}?amended=1", stored.id)));
                }
                Err(StorageError::StaleVersion { .. }) => {
                    // Show the latest version with the person's input kept; the form now names the
                    // latest version, so submitting again is a deliberate choice over what they saw.
                    let latest = readable_meeting(&state, &context, &principal, &id).await?;
                    let resubmission = Resubmission {
                        input,
                        errors: Vec::new(),
                        expected_version: latest.0.version,
                        stale: true,
                    };
                    return render_meeting(
                        &state,
                        &context,
                        &principal,
                        &latest,
                        Some(resubmission),
                        StatusCode::CONFLICT,
                    )
                    .await;
                }
                Err(error) => storage_errors(&input, error, lang)?,
            }
        }
    };
    let resubmission = Resubmission {
        input,
        errors,
        expected_version,
        stale: false,
    };
    render_meeting(
        &state,
        &context,
        &principal,
        &found,
        Some(resubmission),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}
