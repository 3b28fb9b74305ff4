//! Planned meetings (issue 7): the phone-first form with which a secretary plans a meeting of the
//! branch or of one of its party groups (`/branches/{id}/meeting-plans/new`, posted to
//! `/branches/{id}/meeting-plans`), and the list of upcoming plans the workspace shows.
//!
//! A plan is a `meeting_plan` record (`zhibu_core::MeetingPlan`), written through the repository
//! like every record: validated in core, checked against its org in storage, versioned. It is moved
//! or cancelled (with a reason) through the API; it never counts as a meeting held. A double
//! submission makes one plan (the form carries an idempotency key).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::NaiveDate;
use zhibu_core::{FieldError, MeetingKind, MeetingPlan, Org, OrgId, OrgLevel, Stored};
use zhibu_storage::{ChangeMeta, StorageError};

use super::forms::FORM_KINDS;
use super::i18n::Lang;
use super::workspace::list_all;
use super::{
    Chrome, Failure, PageContext, PageError, audit_change, check_csrf, field, form_fields, html,
    parse_id, see_other,
};
use crate::AppState;
use crate::auth::{Access, Action, Area, Principal};

#[derive(askama::Template)]
#[template(path = "meeting_plan_new.html")]
struct NewPlanPage {
    chrome: Chrome,
    branch_id: OrgId,
    branch_name: String,
    csrf_token: String,
    idempotency_key: String,
    orgs: Vec<Choice>,
    kinds: Vec<Choice>,
    planned_on: String,
    starts_at: String,
    place: String,
    topic: String,
    /// Every error, as "field: message" in the page's language, and by field.
    errors: Vec<(String, String)>,
}

struct Choice {
    value: String,
    label: String,
    chosen: bool,
}

impl NewPlanPage {
    fn errors_for(&self, name: &str) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|(field, _)| field == name)
            .map(|(_, message)| message.as_str())
            .collect()
    }
}

/// One upcoming planned meeting as the workspace lists it.
pub struct PlanRow {
    pub id: i64,
    pub date: String,
    pub time: String,
    pub kinds: String,
    pub org: String,
    pub place: String,
    pub topic: String,
}

/// The plans of `branch` (and its groups) from `from` to `to`, soonest first, as rows.
pub async fn upcoming(
    state: &AppState,
    branch: OrgId,
    from: NaiveDate,
    to: NaiveDate,
    org_name: impl Fn(OrgId) -> String,
    lang: Lang,
) -> Result<Vec<PlanRow>, StorageError> {
    let mut plans: Vec<Stored<MeetingPlan>> =
        list_all::<MeetingPlan>(&state.repository, branch, Some(from), Some(to)).await?;
    plans.sort_by_key(|plan| (plan.body.planned_on, plan.body.starts_at.clone(), plan.id));
    Ok(plans
        .into_iter()
        .map(|plan| PlanRow {
            id: plan.id,
            date: lang.date(plan.body.planned_on),
            time: plan.body.starts_at.clone().unwrap_or_default(),
            kinds: plan
                .body
                .kinds
                .iter()
                .map(|kind| lang.meeting_kind(*kind))
                .collect::<Vec<_>>()
                .join(lang.pick("、", ", ")),
            org: org_name(plan.body.org_id),
            place: plan.body.place,
            topic: plan.body.topic,
        })
        .collect())
}

/// The branch, if the principal may plan its meetings; otherwise not found (outside the subtree,
/// or a member, who sees no branch pages) or forbidden.
async fn branch_for_planning(
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
    if !visible {
        return Err(context.error(Failure::NotFound));
    }
    if principal.allows(Area::MeetingPlans, Action::Create) == Access::Denied {
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

/// The branch itself and its party groups, as the form's choices of who holds the meeting.
async fn org_choices(
    state: &AppState,
    branch: &Stored<Org>,
    chosen: Option<OrgId>,
) -> Result<Vec<Choice>, StorageError> {
    let branch_id = OrgId(branch.id);
    let mut choices = vec![Choice {
        value: branch.id.to_string(),
        label: branch.body.name.clone(),
        chosen: chosen.is_none_or(|org| org == branch_id),
    }];
    for group in list_all::<Org>(&state.repository, branch_id, None, None).await? {
        if group.body.level == OrgLevel::PartyGroup && group.body.parent_id == Some(branch_id) {
            choices.push(Choice {
                value: group.id.to_string(),
                label: group.body.name.clone(),
                chosen: chosen == Some(OrgId(group.id)),
            });
        }
    }
    Ok(choices)
}

fn kind_choices(chosen: &[MeetingKind], lang: Lang) -> Vec<Choice> {
    FORM_KINDS
        .iter()
        .map(|(kind, value)| Choice {
            value: (*value).to_string(),
            label: lang.meeting_kind(*kind).to_string(),
            chosen: chosen.contains(kind),
        })
        .collect()
}

/// A fresh idempotency key for a form: unique, not secret (the clock and a counter).
fn form_key(principal: &Principal) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!(
        "{}-{nanos:x}-{:x}",
        principal.account_id,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub async fn new_plan(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let branch = branch_for_planning(&state, &context, &principal, &id).await?;
    let orgs = org_choices(&state, &branch, None)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let page = NewPlanPage {
        chrome: context.chrome(lang.pick("安排会议", "Plan a meeting")),
        branch_id: OrgId(branch.id),
        branch_name: branch.body.name,
        csrf_token: principal.csrf_token.clone(),
        idempotency_key: form_key(&principal),
        orgs,
        kinds: kind_choices(&[], lang),
        planned_on: String::new(),
        starts_at: String::new(),
        place: String::new(),
        topic: String::new(),
        errors: Vec::new(),
    };
    Ok(html(StatusCode::OK, &page))
}

/// Reads the form into a plan, or every error by field.
fn read_form(fields: &[(String, String)], branch: OrgId) -> Result<MeetingPlan, Vec<FieldError>> {
    let mut errors = Vec::new();
    let org_text = field(fields, "org_id").trim();
    let org_id = if org_text.is_empty() {
        branch
    } else {
        match org_text.parse::<i64>() {
            Ok(id) => OrgId(id),
            Err(_) => {
                errors.push(FieldError::new(
                    "org_id",
                    "invalid",
                    format!("召开单位“{org_text}”不是党组织编号"),
                    format!("\"{org_text}\" is not an organization id (field org_id)"),
                ));
                branch
            }
        }
    };
    let mut kinds = Vec::new();
    for (name, value) in fields {
        if name != "kinds" {
            continue;
        }
        match FORM_KINDS.iter().find(|(_, form)| form == value) {
            Some((kind, _)) => kinds.push(*kind),
            None => errors.push(FieldError::new(
                "kinds",
                "unknown_kind",
                format!("没有“{value}”这种会议类型"),
                format!("there is no meeting kind \"{value}\" (field kinds)"),
            )),
        }
    }
    let date_text = field(fields, "planned_on").trim();
    let planned_on = match NaiveDate::parse_from_str(date_text, "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            errors.push(if date_text.is_empty() {
                FieldError::new(
                    "planned_on",
                    "required",
                    "请填写计划召开的日期",
                    "give the day the meeting is planned for (field planned_on)",
                )
            } else {
                FieldError::new(
                    "planned_on",
                    "invalid_date",
                    format!("日期“{date_text}”无效，应写作 年-月-日，如 2026-07-08"),
                    format!(
                        "\"{date_text}\" is not a date; write YYYY-MM-DD, e.g. 2026-07-08 (field planned_on)"
                    ),
                )
            });
            None
        }
    };
    let time_text = field(fields, "starts_at").trim();
    let plan = MeetingPlan {
        org_id,
        kinds,
        planned_on: planned_on.unwrap_or_default(),
        starts_at: (!time_text.is_empty()).then(|| time_text.to_string()),
        place: field(fields, "place").trim().to_string(),
        topic: field(fields, "topic").trim().to_string(),
    };
    // The record's own checks too, so that every error shows at once.
    if let Err(invalid) = zhibu_core::Record::validate(&plan) {
        errors.extend(invalid.errors);
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

pub async fn create_plan(
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
    let branch = branch_for_planning(&state, &context, &principal, &id).await?;
    let branch_id = OrgId(branch.id);
    let key = field(&fields, "idempotency_key").trim().to_string();
    let errors = match read_form(&fields, branch_id) {
        Err(errors) => errors,
        Ok(plan) => {
            // The org must be this branch or one of its groups, and in the principal's scope.
            let own_org = org_choices(&state, &branch, None)
                .await
                .map_err(|error| PageError::storage(lang, error))?
                .iter()
                .any(|choice| choice.value == plan.org_id.to_string());
            if !own_org {
                vec![FieldError::new(
                    "org_id",
                    "not_of_branch",
                    "召开单位须是本支部或本支部的党小组",
                    "the meeting is held by this branch or one of its party groups (field org_id)",
                )]
            } else {
                let meta = ChangeMeta {
                    actor: principal.login.clone(),
                    reason: None,
                    idempotency_key: (!key.is_empty())
                        .then(|| format!("page-meeting-plan:{}:{key}", principal.account_id)),
                    entered_at: None,
                };
                match state.repository.create(plan, &meta).await {
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
                            "meeting_plan",
                            stored.id,
                            &path,
                            serde_json::json!({ "planned_on": stored.body.planned_on, "through": "page" }),
                        )
                        .await;
                        return Ok(see_other(&format!(
                            "/branches/{branch_id}?planned={}#plans",
                            stored.id
                        )));
                    }
                    Err(StorageError::Invalid(invalid)) => invalid.errors,
                    Err(other) => return Err(PageError::storage(lang, other)),
                }
            }
        }
    };
    let chosen_org = field(&fields, "org_id")
        .trim()
        .parse::<i64>()
        .ok()
        .map(OrgId);
    let chosen_kinds: Vec<MeetingKind> = fields
        .iter()
        .filter(|(name, _)| name == "kinds")
        .filter_map(|(_, value)| FORM_KINDS.iter().find(|(_, form)| form == value))
        .map(|(kind, _)| *kind)
        .collect();
    let orgs = org_choices(&state, &branch, chosen_org)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let page = NewPlanPage {
        chrome: context.chrome(lang.pick("安排会议", "Plan a meeting")),
        branch_id,
        branch_name: branch.body.name,
        csrf_token: principal.csrf_token.clone(),
        // The same key again: the corrected form is the same plan, not another one.
        idempotency_key: if key.is_empty() {
            form_key(&principal)
        } else {
            key
        },
        orgs,
        kinds: kind_choices(&chosen_kinds, lang),
        planned_on: field(&fields, "planned_on").to_string(),
        starts_at: field(&fields, "starts_at").to_string(),
        place: field(&fields, "place").to_string(),
        topic: field(&fields, "topic").to_string(),
        errors: errors
            .into_iter()
            .map(|error| {
                let message = lang.pick(&error.message_zh, &error.message_en).to_string();
                (error.field, message)
            })
            .collect(),
    };
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
}
