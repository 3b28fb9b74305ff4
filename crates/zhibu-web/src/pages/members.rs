//! `/members/{id}`: a member's own page. Their standing and its history, their branch postings,
//! the meetings whose roster lists them (with how they were marked), their talks, and under each
//! of these the statements they made; the member themself can state their case on any of them.
//!
//! The ID number and the phone are shown masked to everyone. The roles that need them in clear
//! (policy `Members`/`Unmask`: administrators, committee staff and branch secretaries in scope) get
//! a "显示完整 / Show in full" form: `POST /members/{id}/personal-data` with the CSRF token, the
//! item and a stated purpose answers with the value in full on this one response, after an audit
//! entry `unmask` (who, whom, which item, the purpose, when) is written; if it cannot be written the
//! value is not shown.

use std::collections::{BTreeSet, HashMap};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use zhibu_core::{
    AttendanceState, FieldError, HeartToHeartTalk, Meeting, Member, MemberId, Org, OrgId,
    RecordKind, Statement, StatementSubject, Stored,
};
use zhibu_storage::{ChangeMeta, StorageError};

use crate::auth::AuditTarget;
use crate::auth::policy::{Access, Action, Area};

use super::meetings::StatementView;
use super::workspace::{list_all, meeting_kinds_label};
use super::{
    Chrome, Failure, PageContext, PageError, audit_change, branch_href, check_csrf, field,
    form_fields, html, parse_id, query_pairs, query_value, see_other,
};
use crate::AppState;
use crate::auth::Principal;

#[derive(askama::Template)]
#[template(path = "member.html")]
struct MemberPage {
    chrome: Chrome,
    name: String,
    status: &'static str,
    joined_on: String,
    branch: Option<BranchLink>,
    /// Registry details (label, value); the ID number and phone only masked.
    registry: Vec<(&'static str, String)>,
    /// The "show in full" form, for the roles that may (and only if something is recorded).
    show_in_full: Option<ShowInFullForm>,
    /// An ID number or phone shown in full on this one response (label, value).
    shown_in_full: Option<(&'static str, String)>,
    status_history: Vec<StatusRow>,
    /// Lesser disciplinary sanctions as decided (facts only), to those who may read the page: the
    /// member and officers whose subtree holds their branch.
    sanctions: Vec<SanctionRow>,
    postings: Vec<PostingRow>,
    own: Vec<RecordEntry>,
    attendance: Vec<RecordEntry>,
    talks: Vec<RecordEntry>,
}

struct ShowInFullForm {
    action: String,
    csrf_token: String,
    /// (value of the `field` input, label) for each item recorded.
    items: Vec<(&'static str, &'static str)>,
    purpose: String,
    error: Option<String>,
}

/// What a "show in full" request brings to the member page: the value shown, or the form back with
/// its error and input.
#[derive(Default)]
struct ShowInFull {
    shown: Option<(&'static str, String)>,
    purpose: String,
    error: Option<String>,
}

struct BranchLink {
    href: String,
    label: String,
}

struct StatusRow {
    effective_on: String,
    status: &'static str,
    note: String,
}

struct SanctionRow {
    kind: &'static str,
    decided_on: String,
    decided_by: String,
    influence_ends_on: String,
    in_effect: bool,
}

struct PostingRow {
    branch: String,
    group: String,
    from: String,
    until: String,
    moved: String,
}

/// A record that concerns the member, with the statements on it and the form to add one.
struct RecordEntry {
    id: i64,
    href: String,
    date: String,
    title: String,
    state: String,
    statements: Vec<StatementView>,
    form: Option<StatementForm>,
}

struct StatementForm {
    action: String,
    csrf_token: String,
    about_kind: &'static str,
    about_id: i64,
    text: String,
    error: Option<String>,
}

/// A statement form that came back with an error.
struct RefusedStatement {
    kind: RecordKind,
    id: i64,
    text: String,
    message: String,
}

/// The member, if the principal may see them: themself, or anyone whose subtree holds their branch.
async fn readable_member(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    id: &str,
) -> Result<Stored<Member>, PageError> {
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let member_id = MemberId(parse_id(context, id)?);
    let member = state
        .repository
        .get::<Member>(member_id)
        .await
        .map_err(storage)?;
    let path = match member.body.current_branch() {
        Some(branch) => state.repository.org_path(branch).await.map_err(storage)?,
        None => String::new(),
    };
    if !principal.may_see_member(member_id, &path) {
        return Err(context.error(Failure::NotFound));
    }
    Ok(member)
}

async fn render_member(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    member: &Stored<Member>,
    refused: Option<RefusedStatement>,
    show: ShowInFull,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = context.lang;
    let tr = context.tr();
    let storage = |error: StorageError| PageError::storage(lang, error);
    let member_id = MemberId(member.id);
    let body = &member.body;
    let today = (state.today)();
    let is_self = principal.member_id == Some(member_id);

    // A member who moved here from a branch outside the reader's subtree brings that branch's
    // records with them only as far as the reader may see: meetings, talks, statements and names
    // are read from the branches in the reader's subtree, and a branch outside it is not named.
    let mut branches: BTreeSet<OrgId> = BTreeSet::new();
    for posting in &body.postings {
        if principal
            .can_see_org(&state.repository, posting.branch_id)
            .await
            .map_err(storage)?
        {
            branches.insert(posting.branch_id);
        }
    }
    let mut org_names: HashMap<OrgId, String> = HashMap::new();
    let mut names: HashMap<MemberId, String> = HashMap::new();
    let mut meetings: Vec<Stored<Meeting>> = Vec::new();
    let mut talks: Vec<Stored<HeartToHeartTalk>> = Vec::new();
    let mut statements: Vec<Stored<Statement>> = Vec::new();
    for branch in &branches {
        for org in list_all::<Org>(&state.repository, *branch, None, None)
            .await
            .map_err(storage)?
        {
            org_names.insert(OrgId(org.id), org.body.name);
        }
        for other in list_all::<Member>(&state.repository, *branch, None, None)
            .await
            .map_err(storage)?
        {
            names.insert(MemberId(other.id), other.body.name);
        }
        meetings.extend(
            list_all::<Meeting>(&state.repository, *branch, None, None)
                .await
                .map_err(storage)?
                .into_iter()
                .filter(|meeting| {
                    meeting
                        .body
                        .attendance
                        .iter()
                        .any(|entry| entry.member_id == member_id)
                }),
        );
        talks.extend(
            list_all::<HeartToHeartTalk>(&state.repository, *branch, None, None)
                .await
                .map_err(storage)?
                .into_iter()
                .filter(|talk| talk.body.involves(member_id)),
        );
        statements.extend(
            list_all::<Statement>(&state.repository, *branch, None, None)
                .await
                .map_err(storage)?
                .into_iter()
                .filter(|statement| statement.body.member_id == member_id),
        );
    }
    meetings.sort_by_key(|record| std::cmp::Reverse((record.body.held_on, record.id)));
    meetings.dedup_by_key(|meeting| meeting.id);
    talks.sort_by_key(|record| std::cmp::Reverse((record.body.held_on, record.id)));
    talks.dedup_by_key(|talk| talk.id);
    let org_name = |id: OrgId| {
        org_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| tr.org_outside_scope.to_string())
    };
    let member_name = |id: MemberId| names.get(&id).cloned().unwrap_or_else(|| id.to_string());

    let entry =
        |kind: RecordKind, id: i64, href: String, date: String, title: String, state: String| {
            let refused_here = refused
                .as_ref()
                .filter(|refused| refused.kind == kind && refused.id == id);
            RecordEntry {
                id,
                href,
                date,
                title,
                state,
                statements: statements
                    .iter()
                    .filter(|statement| statement.body.about == StatementSubject { kind, id })
                    .map(|statement| StatementView {
                        author: body.name.clone(),
                        stated_on: lang.date(statement.body.stated_on),
                        text: statement.body.text.clone(),
                    })
                    .collect(),
                form: is_self.then(|| StatementForm {
                    action: format!("/members/{member_id}/statements"),
                    csrf_token: principal.csrf_token.clone(),
                    about_kind: kind.as_str(),
                    about_id: id,
                    text: refused_here
                        .map(|refused| refused.text.clone())
                        .unwrap_or_default(),
                    error: refused_here.map(|refused| refused.message.clone()),
                }),
            }
        };

    let attendance = meetings
        .iter()
        .map(|meeting| {
            let state = meeting
                .body
                .attendance
                .iter()
                .find(|entry| entry.member_id == member_id)
                .map(|entry| match &entry.state {
                    AttendanceState::Excused { reason } => {
                        format!("{}{}{reason}{}", tr.excused, tr.lparen, tr.rparen)
                    }
                    other => lang.attendance_state(other).to_string(),
                })
                .unwrap_or_default();
            entry(
                RecordKind::Meeting,
                meeting.id,
                format!("/meetings/{}", meeting.id),
                meeting.body.held_on.to_string(),
                meeting_kinds_label(lang, &meeting.body),
                state,
            )
        })
        .collect();
    let talk_entries = talks
        .iter()
        .map(|talk| {
            let other = talk
                .body
                .participants
                .iter()
                .copied()
                .find(|participant| *participant != member_id)
                .unwrap_or(member_id);
            entry(
                RecordKind::Talk,
                talk.id,
                format!("/talks/{}", talk.id),
                talk.body.held_on.to_string(),
                member_name(other),
                talk.body.topic.clone(),
            )
        })
        .collect();
    let own = vec![entry(
        RecordKind::Member,
        member.id,
        format!("/members/{member_id}"),
        String::new(),
        tr.own_record.to_string(),
        String::new(),
    )];

    let mut chrome = context.chrome(body.name.clone());
    if query_value(
        &query_pairs(&context.path_and_query.parse::<Uri>().unwrap_or_default()),
        "stated",
    )
    .is_some()
    {
        chrome.notice = Some(tr.statement_saved.to_string());
    }
    if show.shown.is_some() {
        chrome.notice = Some(tr.show_in_full_notice.to_string());
    }
    let page = MemberPage {
        chrome,
        name: body.name.clone(),
        status: body
            .status_on(today)
            .map_or("", |status| lang.member_status(status)),
        joined_on: lang.date(body.joined_on),
        registry: {
            let tr = lang.texts();
            let details = &body.registry;
            let mut rows = Vec::new();
            if let Some(ethnicity) = &details.ethnicity {
                rows.push((tr.ethnicity, ethnicity.clone()));
            }
            if let Some(education) = details.education {
                rows.push((
                    tr.education,
                    lang.pick(education.name_zh(), education.name_en())
                        .to_string(),
                ));
            }
            if let Some(id_number) = &details.id_number {
                rows.push((tr.id_number_masked, id_number.masked()));
            }
            if let Some(phone) = &details.phone {
                rows.push((tr.phone_masked, phone.masked()));
            }
            rows
        },
        show_in_full: {
            let details = &body.registry;
            let mut items = Vec::new();
            if details.id_number.is_some() {
                items.push(("id_number", tr.id_number_full));
            }
            if details.phone.is_some() {
                items.push(("phone", tr.phone_full));
            }
            (!items.is_empty() && principal.allows(Area::Members, Action::Unmask) != Access::Denied)
                .then(|| ShowInFullForm {
                    action: format!("/members/{member_id}/personal-data"),
                    csrf_token: principal.csrf_token.clone(),
                    items,
                    purpose: show.purpose.clone(),
                    error: show.error.clone(),
                })
        },
        shown_in_full: show.shown,
        branch: body.current_branch().map(|branch| BranchLink {
            href: branch_href(branch),
            label: org_name(branch),
        }),
        status_history: body
            .status_history
            .iter()
            .map(|change| StatusRow {
                effective_on: change.effective_on.to_string(),
                status: lang.member_status(change.status),
                note: change.note.clone().unwrap_or_default(),
            })
            .collect(),
        sanctions: body
            .sanctions
            .iter()
            .map(|sanction| SanctionRow {
                kind: lang.pick(sanction.kind.name_zh(), sanction.kind.name_en()),
                decided_on: sanction.decided_on.to_string(),
                decided_by: sanction.decided_by.clone(),
                influence_ends_on: sanction.influence_ends_on.to_string(),
                in_effect: sanction.in_influence_period_on(today),
            })
            .collect(),
        postings: body
            .postings
            .iter()
            .map(|posting| PostingRow {
                branch: org_name(posting.branch_id),
                group: posting.group_id.map(org_name).unwrap_or_default(),
                from: posting.from.to_string(),
                until: posting
                    .until
                    .map(|until| until.to_string())
                    .unwrap_or_default(),
                moved: [
                    posting
                        .transferred_in_from
                        .as_ref()
                        .map(|from| format!("{}{}{from}", tr.transferred_in_from, tr.colon)),
                    posting
                        .transferred_out_to
                        .as_ref()
                        .map(|to| format!("{}{}{to}", tr.transferred_out_to, tr.colon)),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(lang.pick("；", "; ")),
            })
            .collect(),
        own,
        attendance,
        talks: talk_entries,
    };
    Ok(html(status, &page))
}

pub async fn member_page(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let member = readable_member(&state, &context, &principal, &id).await?;
    render_member(
        &state,
        &context,
        &principal,
        &member,
        None,
        ShowInFull::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /members/{id}/statements`: the member states their case on a record that concerns them.
/// Only the member themself may; storage checks that the record concerns them.
pub async fn state_case(
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
    let member = readable_member(&state, &context, &principal, &id).await?;
    let member_id = MemberId(member.id);
    if principal.member_id != Some(member_id) {
        return Err(context.error(Failure::Forbidden));
    }
    let kind = RecordKind::parse(field(&fields, "about_kind"))
        .filter(|kind| StatementSubject::KINDS.contains(kind));
    let about_id = field(&fields, "about_id").trim().parse::<i64>().ok();
    let (Some(kind), Some(about_id)) = (kind, about_id) else {
        return Err(context.error(Failure::NotFound));
    };
    let text = field(&fields, "text").to_string();
    let statement = Statement {
        member_id,
        about: StatementSubject { kind, id: about_id },
        text: text.trim().to_string(),
        stated_on: (state.today)(),
    };
    match state
        .repository
        .create(statement, &ChangeMeta::by(&principal.login))
        .await
    {
        Ok(stored) => {
            let path = match member.body.current_branch() {
                Some(branch) => state
                    .repository
                    .org_path(branch)
                    .await
                    .map_err(|error| PageError::storage(lang, error))?,
                None => String::new(),
            };
            audit_change(&state, &principal, "create", "statement", stored.id, &path, serde_json::json!({ "about": kind.as_str(), "about_id": about_id, "through": "page" })).await;
            let anchor = match kind {
                RecordKind::Meeting => format!("meeting-{about_id}"),
                RecordKind::Talk => format!("talk-{about_id}"),
                _ => "own-record".to_string(),
            };
            Ok(see_other(&format!(
                "/members/{member_id}?stated=1#{anchor}"
            )))
        }
        Err(StorageError::Invalid(errors)) => {
            let message = errors
                .errors
                .first()
                .map(|error: &FieldError| lang.field_message(error))
                .unwrap_or_default();
            let refused = RefusedStatement {
                kind,
                id: about_id,
                text,
                message,
            };
            render_member(
                &state,
                &context,
                &principal,
                &member,
                Some(refused),
                ShowInFull::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => Err(PageError::storage(lang, error)),
    }
}

/// The longest purpose recorded with a "show in full" (characters).
const PURPOSE_MAX_CHARS: usize = 100;

/// `POST /members/{id}/personal-data`: the member's ID number or phone (`field`: `id_number` or
/// `phone`) in full, once, for a stated `purpose`. Only the roles the policy allows
/// (`Members`/`Unmask`), for a member in their scope; others who can read the page 403, everyone
/// else 404. The audit entry is written before the value is shown; without it the value is not.
pub async fn show_in_full(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let tr = context.tr();
    let fields = form_fields(&body);
    check_csrf(&context, &principal, &fields)?;
    let member = readable_member(&state, &context, &principal, &id).await?;
    // The answer is the member page: its links and language switch lead to the page, not here.
    let context = PageContext {
        path_and_query: format!("/members/{}", member.id),
        ..context
    };
    if principal.allows(Area::Members, Action::Unmask) == Access::Denied {
        return Err(context.error(Failure::Forbidden));
    }
    let which = field(&fields, "field").trim();
    let purpose = field(&fields, "purpose").trim().to_string();
    let registry = &member.body.registry;
    let refuse = |error: FieldError| ShowInFull {
        shown: None,
        purpose: purpose.clone(),
        error: Some(lang.field_message(&error)),
    };
    let item = match which {
        "id_number" => Some((
            tr.id_number_full,
            registry
                .id_number
                .as_ref()
                .map(|number| number.as_full_str().to_string()),
        )),
        "phone" => Some((
            tr.phone_full,
            registry.phone.as_ref().map(|phone| phone.as_full_str()),
        )),
        _ => None,
    };
    let problem = match (&item, purpose.chars().count()) {
        (None, _) => Some(FieldError::new(
            "field",
            "unknown_item",
            "请选择要显示完整的一项：公民身份号码或联系电话（字段“显示哪一项”）",
            "choose the item to show in full: the ID number or the phone (field “which item”)",
        )),
        (_, 0) => Some(FieldError::new(
            "purpose",
            "required",
            "请填写查看完整信息的用途，例如“核对身份”（字段“用途”）",
            "state the purpose of seeing it in full, e.g. checking identity (field “purpose”)",
        )),
        (_, count) if count > PURPOSE_MAX_CHARS => Some(FieldError::new(
            "purpose",
            "too_long",
            format!("用途不能超过{PURPOSE_MAX_CHARS}个字（字段“用途”）"),
            format!("the purpose is at most {PURPOSE_MAX_CHARS} characters (field “purpose”)"),
        )),
        _ => None,
    };
    if let Some(error) = problem {
        return render_member(
            &state,
            &context,
            &principal,
            &member,
            None,
            refuse(error),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let Some((label, value)) = item else {
        return Err(context.error(Failure::NotFound));
    };
    let shown = match value {
        Some(value) => {
            let path = match member.body.current_branch() {
                Some(branch) => state
                    .repository
                    .org_path(branch)
                    .await
                    .map_err(|error| PageError::storage(lang, error))?,
                None => String::new(),
            };
            // Who (the entry's account), whom, which item, why; the entry's time is when.
            crate::auth::audit(
                &state,
                Some(&principal),
                "unmask",
                AuditTarget::record("member", member.id, &path),
                serde_json::json!({ "field": which, "purpose": purpose, "through": "page" }),
            )
            .await
            .map_err(|error| context.error(Failure::Internal(error.to_string())))?;
            (label, value)
        }
        // Nothing recorded: nothing is shown, so nothing is audited.
        None => (label, tr.not_recorded.to_string()),
    };
    render_member(
        &state,
        &context,
        &principal,
        &member,
        None,
        ShowInFull {
            shown: Some(shown),
            purpose: String::new(),
            error: None,
        },
        StatusCode::OK,
    )
    .await
}
