//! Admission pages (issue 5): a branch's overview `/branches/{id}/admissions` (each person, the
//! current stage, the next step with its deadline and countdown, overdue steps citing their
//! article) and one person's pipeline `/admission-records/{id}` with all 25 steps and the form that
//! records the next step, checked against the version of the rules in force on its date.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::NaiveDate;
use zhibu_core::admission::{
    AdmissionRecord, AdmissionRecordId, AdmissionRuleSet, AdmissionStep, Approval, DueStep,
    MentorAssignment, PersonTalk, ProbationDecision, ProbationProposal, Publicity, PublicityPlace,
    RecordedVote, SponsorAssignment, due_steps,
};
use zhibu_core::vote_records::{VoteQuestion, VoteRecord};
use zhibu_core::voting::VoteCounts;
use zhibu_core::workdays::WorkdayCalendar;
use zhibu_core::{
    FieldError, Member, MemberId, Org, OrgId, OrgLevel, RecordKind, RecordedOutcome, Stored,
};
use zhibu_storage::{ChangeMeta, StorageError};

use super::meetings::{VersionView, version_history};
use super::workspace::list_all;
use super::{
    Chrome, Failure, PageContext, PageError, check_csrf, field, form_fields, html, parse_id,
    query_pairs, query_value, see_other,
};
use crate::AppState;
use crate::auth::{Access, Action, Area, Principal};

/// Refuses unless the principal may `action` in `area` at `org`: outside the subtree is not
/// found, inside without the right is forbidden.
pub(super) async fn guard(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    area: Area,
    action: Action,
    org: OrgId,
) -> Result<(), PageError> {
    let lang = context.lang;
    if !principal
        .can_see_org(&state.repository, org)
        .await
        .map_err(|error| PageError::storage(lang, error))?
    {
        return Err(context.error(Failure::NotFound));
    }
    match principal.allows(area, action) {
        Access::Denied | Access::Own => Err(context.error(Failure::Forbidden)),
        _ if action != Action::Read && !principal.can_write() => {
            Err(context.error(Failure::Forbidden))
        }
        _ => Ok(()),
    }
}

/// The branch with this id, or not found.
pub(super) async fn branch_of(
    state: &AppState,
    context: &PageContext,
    id: OrgId,
) -> Result<Stored<Org>, PageError> {
    let lang = context.lang;
    let org = state
        .repository
        .get::<Org>(id)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    if org.body.level != OrgLevel::Branch {
        return Err(context.error(Failure::NotFound));
    }
    Ok(org)
}

/// Names of every member of the branch's subtree, by id.
pub(super) async fn member_names(
    state: &AppState,
    branch: OrgId,
) -> Result<HashMap<MemberId, String>, StorageError> {
    Ok(list_all::<Member>(&state.repository, branch, None, None)
        .await?
        .into_iter()
        .map(|member| (MemberId(member.id), member.body.name))
        .collect())
}

fn calendar(context: &PageContext) -> Result<WorkdayCalendar, PageError> {
    WorkdayCalendar::national().map_err(|error| context.error(Failure::Internal(error.to_string())))
}

/// The latest step recorded, for "current stage".
fn latest_step(record: &AdmissionRecord) -> AdmissionStep {
    step_dates(record)
        .into_iter()
        .filter(|(_, date, _)| date.is_some())
        .map(|(step, _, _)| step)
        .max()
        .unwrap_or(AdmissionStep::SubmitApplication)
}

/// Every step in order with its date and the people named for it.
fn step_dates(record: &AdmissionRecord) -> Vec<(AdmissionStep, Option<NaiveDate>, Vec<MemberId>)> {
    use AdmissionStep::*;
    let last = |dates: &[NaiveDate]| dates.iter().max().copied();
    let conversion = record
        .probation_decisions
        .iter()
        .rfind(|decision| decision.proposal == ProbationProposal::Convert)
        .or(record.probation_decisions.last());
    vec![
        (
            SubmitApplication,
            Some(record.application_received_on),
            Vec::new(),
        ),
        (
            ApplicationTalk,
            record.application_talk.as_ref().map(|talk| talk.held_on),
            record
                .application_talk
                .as_ref()
                .map(|talk| talk.talkers.clone())
                .unwrap_or_default(),
        ),
        (DetermineActivist, record.activist_determined_on, Vec::new()),
        (FileActivist, record.activist_filed_on, Vec::new()),
        (
            AssignMentors,
            record.mentors.iter().map(|m| m.assigned_on).min(),
            record.mentors.iter().map(|m| m.member_id).collect(),
        ),
        (ActivistReview, last(&record.activist_reviews), Vec::new()),
        (
            ReportCandidateToUpper,
            record.candidate_reported_to_upper_on,
            Vec::new(),
        ),
        (
            CandidatePublicity,
            record.publicity.iter().map(|p| p.last_day).max(),
            Vec::new(),
        ),
        (ListCandidate, record.candidate_listed_on, Vec::new()),
        (
            AssignSponsors,
            record.sponsors.iter().map(|s| s.assigned_on).max(),
            record.sponsors.iter().map(|s| s.member_id).collect(),
        ),
        (
            PoliticalReview,
            record.political_review_concluded_on,
            Vec::new(),
        ),
        (
            Training,
            record.training.as_ref().map(|t| t.finished_on),
            Vec::new(),
        ),
        (CommitteeReview, record.committee_review_on, Vec::new()),
        (Pretrial, record.pretrial_passed_on, Vec::new()),
        (
            FillApplicationForm,
            record.application_form_issued_on,
            Vec::new(),
        ),
        (
            AdmissionVote,
            record.admission_vote.as_ref().map(|v| v.held_on),
            Vec::new(),
        ),
        (
            UpperTalk,
            record.upper_talk.as_ref().map(|talk| talk.held_on),
            record
                .upper_talk
                .as_ref()
                .map(|talk| talk.talkers.clone())
                .unwrap_or_default(),
        ),
        (
            AdmissionApproval,
            record.admission_approval.as_ref().map(|a| a.decided_on),
            Vec::new(),
        ),
        (ApprovalFiled, record.approval_filed_on, Vec::new()),
        (AssignToGroup, record.assigned_to_group_on, Vec::new()),
        (Oath, record.oath_on, Vec::new()),
        (
            ProbationEducation,
            last(&record.probation_reviews),
            Vec::new(),
        ),
        (
            ConversionApplication,
            record.conversion_application_on,
            Vec::new(),
        ),
        (
            ConversionVote,
            conversion.map(|d| d.vote.held_on),
            Vec::new(),
        ),
        (
            ConversionApproval,
            conversion.and_then(|d| d.approval.as_ref().map(|a| a.decided_on)),
            Vec::new(),
        ),
        (Archive, record.archived_on, Vec::new()),
    ]
}

fn step_label(lang: super::i18n::Lang, step: AdmissionStep, version: AdmissionRuleSet) -> String {
    let name = lang.pick(step.name_zh(version), step.name_en(version));
    match step.number() {
        Some(number) => format!("({number}) {name}"),
        None => name.to_string(),
    }
}

struct OverviewRow {
    href: String,
    name: String,
    stage: String,
    next_step: String,
    deadline: String,
    countdown: String,
    overdue: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "admissions.html")]
struct OverviewPage {
    chrome: Chrome,
    branch_id: OrgId,
    branch_name: String,
    rows: Vec<OverviewRow>,
}

fn due_text(lang: super::i18n::Lang, due: &DueStep) -> String {
    let name = lang.pick(due.name_zh, due.name_en);
    let cite = lang
        .pick(&due.citation.suffix_zh(), &due.citation.suffix_en())
        .to_string();
    match due.deadline {
        Some(deadline) => format!(
            "{name}{}{}{cite}",
            lang.pick("：应于", ": due by "),
            lang.date(deadline)
        ),
        None => format!("{name}{cite}"),
    }
}

pub async fn overview(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let branch_id = OrgId(parse_id(&context, &id)?);
    guard(
        &state,
        &context,
        &principal,
        Area::AdmissionRecords,
        Action::Read,
        branch_id,
    )
    .await?;
    let branch = branch_of(&state, &context, branch_id).await?;
    let today = (state.today)();
    let calendar = calendar(&context)?;
    let records = list_all::<AdmissionRecord>(&state.repository, branch_id, None, None)
        .await
        .map_err(storage)?;
    let rows = records
        .into_iter()
        .map(|stored| {
            let record = &stored.body;
            let due = due_steps(record, today, &calendar);
            let next = due.first();
            let latest = latest_step(record);
            let version = AdmissionRuleSet::in_force_on(today);
            OverviewRow {
                href: format!("/admission-records/{}", stored.id),
                name: record.person.name.clone(),
                stage: lang
                    .pick(latest.stage().name_zh(), latest.stage().name_en())
                    .to_string(),
                next_step: next.map_or_else(
                    || lang.pick("（已结束）", "(closed)").to_string(),
                    |due| step_label(lang, due.step, version),
                ),
                deadline: next
                    .and_then(|due| due.deadline)
                    .map_or_else(|| context.tr().no_deadline.to_string(), |d| lang.date(d)),
                countdown: next
                    .and_then(|due| due.days_left)
                    .map(|days| lang.countdown(days))
                    .unwrap_or_default(),
                overdue: due
                    .iter()
                    .filter(|due| due.overdue)
                    .map(|due| due_text(lang, due))
                    .collect(),
            }
        })
        .collect();
    let page = OverviewPage {
        chrome: context.chrome(context.tr().admissions_title),
        branch_id,
        branch_name: branch.body.name,
        rows,
    };
    Ok(html(StatusCode::OK, &page))
}

struct StepRow {
    label: String,
    stage: String,
    date: String,
    people: String,
    version: String,
    done: bool,
}

struct DueRow {
    text: String,
    countdown: String,
    overdue: bool,
}

struct VoteLink {
    href: String,
    label: String,
}

struct StepOption {
    value: &'static str,
    label: String,
    selected: bool,
}

struct PersonOption {
    id: MemberId,
    name: String,
    checked: bool,
}

#[derive(askama::Template)]
#[template(path = "admission_record.html")]
struct PipelinePage {
    chrome: Chrome,
    record_id: i64,
    version: i32,
    branch_id: OrgId,
    branch_name: String,
    name: String,
    steps: Vec<StepRow>,
    due: Vec<DueRow>,
    documents: Vec<String>,
    votes: Vec<VoteLink>,
    may_amend: bool,
    step_options: Vec<StepOption>,
    people: Vec<PersonOption>,
    vote_options: Vec<VoteLink>,
    form_date: String,
    form_errors: Vec<String>,
    history: Vec<VersionView>,
}

/// The steps the form can record, by their form value.
const FORM_STEPS: &[(&str, AdmissionStep)] = &[
    ("application_talk", AdmissionStep::ApplicationTalk),
    ("determine_activist", AdmissionStep::DetermineActivist),
    ("file_activist", AdmissionStep::FileActivist),
    ("assign_mentors", AdmissionStep::AssignMentors),
    ("activist_review", AdmissionStep::ActivistReview),
    ("report_candidate", AdmissionStep::ReportCandidateToUpper),
    ("candidate_publicity", AdmissionStep::CandidatePublicity),
    ("list_candidate", AdmissionStep::ListCandidate),
    ("assign_sponsors", AdmissionStep::AssignSponsors),
    ("political_review", AdmissionStep::PoliticalReview),
    ("training", AdmissionStep::Training),
    ("committee_review", AdmissionStep::CommitteeReview),
    ("pretrial", AdmissionStep::Pretrial),
    ("application_form", AdmissionStep::FillApplicationForm),
    ("admission_vote", AdmissionStep::AdmissionVote),
    ("upper_talk", AdmissionStep::UpperTalk),
    ("admission_approval", AdmissionStep::AdmissionApproval),
    ("approval_filed", AdmissionStep::ApprovalFiled),
    ("assign_to_group", AdmissionStep::AssignToGroup),
    ("oath", AdmissionStep::Oath),
    ("probation_review", AdmissionStep::ProbationEducation),
    (
        "conversion_application",
        AdmissionStep::ConversionApplication,
    ),
    ("conversion_vote", AdmissionStep::ConversionVote),
    ("conversion_approval", AdmissionStep::ConversionApproval),
    ("archive", AdmissionStep::Archive),
];

struct Loaded {
    stored: Stored<AdmissionRecord>,
    branch: Stored<Org>,
    names: HashMap<MemberId, String>,
    votes: Vec<Stored<VoteRecord>>,
}

async fn load(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    id: &str,
    action: Action,
) -> Result<Loaded, PageError> {
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let stored = state
        .repository
        .get::<AdmissionRecord>(AdmissionRecordId(parse_id(context, id)?))
        .await
        .map_err(storage)?;
    let branch_id = stored.body.person.branch_id;
    guard(
        state,
        context,
        principal,
        Area::AdmissionRecords,
        action,
        branch_id,
    )
    .await?;
    let branch = branch_of(state, context, branch_id).await?;
    let names = member_names(state, branch_id).await.map_err(storage)?;
    let votes = if principal.allows(Area::Votes, Action::Read) == Access::Denied {
        Vec::new()
    } else {
        list_all::<VoteRecord>(&state.repository, branch_id, None, None)
            .await
            .map_err(storage)?
            .into_iter()
            .filter(|vote| {
                vote.body
                    .question
                    .candidates()
                    .contains(&AdmissionRecordId(stored.id))
            })
            .collect()
    };
    Ok(Loaded {
        stored,
        branch,
        names,
        votes,
    })
}

/// The fields of a refused form and its messages, to show the form again.
type FormInput<'a> = Option<(&'a [(String, String)], Vec<String>)>;

fn render_pipeline(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    loaded: Loaded,
    history: Vec<VersionView>,
    form: FormInput<'_>,
    notice: bool,
) -> Result<Response, PageError> {
    let lang = context.lang;
    let today = (state.today)();
    let record = &loaded.stored.body;
    let name = |id: &MemberId| {
        loaded
            .names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    let steps = step_dates(record)
        .into_iter()
        .map(|(step, date, people)| {
            let version = AdmissionRuleSet::in_force_on(date.unwrap_or(today));
            StepRow {
                label: step_label(lang, step, version),
                stage: lang
                    .pick(step.stage().name_zh(), step.stage().name_en())
                    .to_string(),
                date: date.map_or_else(|| context.tr().step_not_yet.to_string(), |d| lang.date(d)),
                people: people
                    .iter()
                    .map(name)
                    .collect::<Vec<_>>()
                    .join(context.tr().comma),
                version: match date {
                    Some(_) => lang
                        .pick(version.document_zh(), version.document_en())
                        .to_string(),
                    None => String::new(),
                },
                done: date.is_some(),
            }
        })
        .collect();
    let due = due_steps(record, today, &calendar(context)?)
        .iter()
        .map(|due| DueRow {
            text: due_text(lang, due),
            countdown: due
                .days_left
                .map(|days| lang.countdown(days))
                .unwrap_or_default(),
            overdue: due.overdue,
        })
        .collect();
    let documents = record
        .documents
        .iter()
        .map(|document| {
            format!(
                "{:?} — {}",
                document.document,
                lang.date(document.received_on)
            )
        })
        .collect();
    let votes: Vec<VoteLink> = loaded
        .votes
        .iter()
        .map(|vote| VoteLink {
            href: format!("/votes/{}", vote.id),
            label: format!(
                "{} {}",
                lang.date(vote.body.opened_at.date()),
                lang.pick(
                    vote.body.question.kind().name_zh(),
                    vote.body.question.kind().name_en()
                )
            ),
        })
        .collect();
    let (fields, form_errors) = form.unwrap_or((&[], Vec::new()));
    let chosen_step = field(fields, "step");
    let next_value = due_steps(record, today, &calendar(context)?)
        .first()
        .and_then(|due| FORM_STEPS.iter().find(|(_, step)| *step == due.step))
        .map_or("", |(value, _)| *value);
    let selected = if chosen_step.is_empty() {
        next_value
    } else {
        chosen_step
    };
    let version = AdmissionRuleSet::in_force_on(today);
    let chosen_people: Vec<&str> = fields
        .iter()
        .filter(|(key, _)| key == "people")
        .map(|(_, value)| value.as_str())
        .collect();
    let mut people: Vec<PersonOption> = loaded
        .names
        .iter()
        .map(|(id, name)| PersonOption {
            id: *id,
            name: name.clone(),
            checked: chosen_people.contains(&id.to_string().as_str()),
        })
        .collect();
    people.sort_by_key(|person| person.id);
    let page = PipelinePage {
        chrome: {
            let mut chrome = context.chrome(context.tr().pipeline_title);
            if notice {
                chrome.notice = Some(context.tr().step_saved.to_string());
            }
            chrome
        },
        record_id: loaded.stored.id,
        version: loaded.stored.version,
        branch_id: record.person.branch_id,
        branch_name: loaded.branch.body.name.clone(),
        name: record.person.name.clone(),
        steps,
        due,
        documents,
        vote_options: votes
            .iter()
            .map(|vote| VoteLink {
                href: vote.href.trim_start_matches("/votes/").to_string(),
                label: vote.label.clone(),
            })
            .collect(),
        votes,
        may_amend: principal.allows(Area::AdmissionRecords, Action::Amend) != Access::Denied
            && principal.can_write(),
        step_options: FORM_STEPS
            .iter()
            .map(|(value, step)| StepOption {
                value,
                label: step_label(lang, *step, version),
                selected: *value == selected,
            })
            .collect(),
        people,
        form_date: {
            let date = field(fields, "date");
            if date.is_empty() {
                today.to_string()
            } else {
                date.to_string()
            }
        },
        form_errors,
        history,
    };
    let status = if page.form_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(status, &page))
}

pub async fn pipeline(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let loaded = load(&state, &context, &principal, &id, Action::Read).await?;
    let history = version_history(&state, RecordKind::AdmissionRecord, loaded.stored.id, lang)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let saved = query_value(&query_pairs(&uri), "saved").is_some();
    render_pipeline(&state, &context, &principal, loaded, history, None, saved)
}

fn bad(field_name: &str, zh: &str, en: &str) -> FieldError {
    FieldError::new(field_name, "invalid", zh, en)
}

fn parse_u32(fields: &[(String, String)], name: &str) -> Result<u32, FieldError> {
    let text = field(fields, name).trim();
    if text.is_empty() {
        return Ok(0);
    }
    text.parse::<u32>()
        .map_err(|_| bad(name, "请填写非负整数", "enter a whole number, zero or more"))
}

/// Applies one step from the form to the record.
fn apply_step(
    record: &mut AdmissionRecord,
    fields: &[(String, String)],
    votes: &[Stored<VoteRecord>],
) -> Result<(), FieldError> {
    let step = FORM_STEPS
        .iter()
        .find(|(value, _)| *value == field(fields, "step"))
        .map(|(_, step)| *step)
        .ok_or_else(|| bad("step", "请选择步骤", "choose a step"))?;
    let date =
        NaiveDate::parse_from_str(field(fields, "date").trim(), "%Y-%m-%d").map_err(|_| {
            bad(
                "date",
                "请按“年-月-日”填写日期",
                "enter the date as YYYY-MM-DD",
            )
        })?;
    let people: Vec<MemberId> = fields
        .iter()
        .filter(|(key, _)| key == "people")
        .filter_map(|(_, value)| value.parse::<i64>().ok().map(MemberId))
        .collect();
    let approved = field(fields, "approved") != "no";
    let vote_from_record = |kind_conversion: bool| -> Result<RecordedVote, FieldError> {
        let chosen = field(fields, "vote_id");
        let vote = votes
            .iter()
            .find(|vote| vote.id.to_string() == chosen)
            .filter(|vote| {
                matches!(vote.body.question, VoteQuestion::Conversion { .. }) == kind_conversion
            })
            .ok_or_else(|| {
                bad(
                    "vote_id",
                    "请选择本支部就此人记录的表决",
                    "choose the vote the branch recorded on this person",
                )
            })?;
        let decision = vote.body.decide().map_err(|errors| {
            errors.errors.into_iter().next().unwrap_or_else(|| {
                bad("vote_id", "表决记录有误", "the vote record is inconsistent")
            })
        })?;
        Ok(RecordedVote {
            held_on: vote.body.opened_at.date(),
            meeting_id: Some(vote.body.meeting_id),
            counts: VoteCounts {
                expected: decision.expected,
                present: decision.present,
                in_room: vote.body.in_room,
                written: vote.body.written,
            },
            recorded_outcome: if decision.passed {
                RecordedOutcome::Passed
            } else {
                RecordedOutcome::Rejected
            },
        })
    };
    use AdmissionStep::*;
    match step {
        ApplicationTalk => {
            record.application_talk = Some(PersonTalk {
                held_on: date,
                talkers: people,
            })
        }
        UpperTalk => {
            record.upper_talk = Some(PersonTalk {
                held_on: date,
                talkers: people,
            })
        }
        DetermineActivist => record.activist_determined_on = Some(date),
        FileActivist => record.activist_filed_on = Some(date),
        AssignMentors => {
            for member in people {
                record.mentors.push(MentorAssignment {
                    member_id: member,
                    assigned_on: date,
                    released_on: None,
                });
            }
        }
        ActivistReview => record.activist_reviews.push(date),
        ReportCandidateToUpper => record.candidate_reported_to_upper_on = Some(date),
        CandidatePublicity => {
            let last = NaiveDate::parse_from_str(field(fields, "last_day").trim(), "%Y-%m-%d")
                .map_err(|_| {
                    bad(
                        "last_day",
                        "请按“年-月-日”填写公示截止日",
                        "enter the last day of publicity as YYYY-MM-DD",
                    )
                })?;
            record.publicity.push(Publicity {
                place: PublicityPlace::WorkOrStudyUnit,
                first_day: date,
                last_day: last,
            });
        }
        ListCandidate => record.candidate_listed_on = Some(date),
        AssignSponsors => {
            for member in people {
                record.sponsors.push(SponsorAssignment {
                    member_id: member,
                    assigned_on: date,
                });
            }
        }
        PoliticalReview => record.political_review_concluded_on = Some(date),
        Training => {
            record.training = Some(zhibu_core::admission::Training {
                finished_on: date,
                days: parse_u32(fields, "days")?,
                hours: parse_u32(fields, "hours")?,
            })
        }
        CommitteeReview => record.committee_review_on = Some(date),
        Pretrial => record.pretrial_passed_on = Some(date),
        FillApplicationForm => record.application_form_issued_on = Some(date),
        AdmissionVote => record.admission_vote = Some(vote_from_record(false)?),
        AdmissionApproval => {
            record.admission_approval = Some(Approval {
                decided_on: date,
                approved,
            })
        }
        ApprovalFiled => record.approval_filed_on = Some(date),
        AssignToGroup => record.assigned_to_group_on = Some(date),
        Oath => record.oath_on = Some(date),
        ProbationEducation => record.probation_reviews.push(date),
        ConversionApplication => record.conversion_application_on = Some(date),
        ConversionVote => record.probation_decisions.push(ProbationDecision {
            proposal: ProbationProposal::Convert,
            vote: vote_from_record(true)?,
            approval: None,
        }),
        ConversionApproval => {
            let decision = record.probation_decisions.last_mut().ok_or_else(|| {
                bad(
                    "step",
                    "尚未记录支部大会的转正表决",
                    "the general meeting's conversion vote is not recorded yet",
                )
            })?;
            decision.approval = Some(Approval {
                decided_on: date,
                approved,
            });
        }
        Archive => record.archived_on = Some(date),
        SubmitApplication => {}
    }
    Ok(())
}

pub async fn record_step(
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
    let loaded = load(&state, &context, &principal, &id, Action::Amend).await?;
    let storage = |error| PageError::storage(lang, error);
    let expected_version: i32 = field(&fields, "expected_version")
        .parse()
        .unwrap_or(loaded.stored.version);
    let mut record = loaded.stored.body.clone();
    let describe = |error: &FieldError| {
        format!(
            "{}{}{}",
            error.field,
            context.tr().colon,
            lang.field_message(error)
        )
    };
    if let Err(error) = apply_step(&mut record, &fields, &loaded.votes) {
        let history = version_history(&state, RecordKind::AdmissionRecord, loaded.stored.id, lang)
            .await
            .map_err(storage)?;
        let errors = vec![describe(&error)];
        return render_pipeline(
            &state,
            &context,
            &principal,
            loaded,
            history,
            Some((&fields, errors)),
            false,
        );
    }
    let reason = match field(&fields, "reason").trim() {
        "" => "记录下一步骤 / next step recorded".to_string(),
        text => text.to_string(),
    };
    let meta = ChangeMeta::because(&principal.login, &reason);
    match state
        .repository
        .amend::<AdmissionRecord>(
            AdmissionRecordId(loaded.stored.id),
            expected_version,
            record,
            &meta,
        )
        .await
    {
        Ok(saved) => {
            let path = state
                .repository
                .org_path(saved.body.person.branch_id)
                .await
                .map_err(storage)?;
            super::audit_change(
                &state,
                &principal,
                "amend",
                RecordKind::AdmissionRecord.as_str(),
                saved.id,
                &path,
                serde_json::json!({ "step": field(&fields, "step") }),
            )
            .await;
            Ok(see_other(&format!(
                "/admission-records/{}?saved=1",
                saved.id
            )))
        }
        Err(StorageError::Invalid(errors)) => {
            let history =
                version_history(&state, RecordKind::AdmissionRecord, loaded.stored.id, lang)
                    .await
                    .map_err(storage)?;
            let messages = errors.errors.iter().map(describe).collect();
            render_pipeline(
                &state,
                &context,
                &principal,
                loaded,
                history,
                Some((&fields, messages)),
                false,
            )
        }
        Err(other) => Err(storage(other)),
    }
}

/// Used by the vote page to count written tallies: kept here so the admission form and the vote
/// page agree on what an empty count means.
pub(super) fn count_field(fields: &[(String, String)], name: &str) -> Result<u32, FieldError> {
    parse_u32(fields, name)
}
