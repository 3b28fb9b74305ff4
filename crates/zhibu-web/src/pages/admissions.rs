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
    AdmissionDocument, AdmissionRecord, AdmissionRecordId, AdmissionResolution, AdmissionRuleSet,
    AdmissionStep, Approval, DocumentReceived, DueStep, MentorAssignment, PersonTalk,
    ProbationDecision, ProbationProposal, Publicity, PublicityPlace, RecordedVote, ResolutionField,
    SponsorAssignment, due_steps, missing_resolution_fields,
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

struct DocumentOption {
    value: &'static str,
    label: String,
    checked: bool,
}

struct CommitteeOption {
    id: OrgId,
    label: String,
    selected: bool,
}

struct SignerOption {
    id: MemberId,
    name: String,
    selected: bool,
}

/// One field of the resolution to admit (细则 第二十一条) as the page shows it.
struct ResolutionRow {
    label: &'static str,
    value: String,
    missing: bool,
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
    /// What the rules say that does not refuse the record (一般, 不宜, explained late steps).
    warnings: Vec<String>,
    votes: Vec<VoteLink>,
    approving_committee: String,
    resolution: Vec<ResolutionRow>,
    may_amend: bool,
    step_options: Vec<StepOption>,
    people: Vec<PersonOption>,
    document_options: Vec<DocumentOption>,
    other_document: String,
    committee_options: Vec<CommitteeOption>,
    signer_options: Vec<SignerOption>,
    main_performance: String,
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
    /// The members of the branch's subtree, for the standing of sponsors and mentors.
    members: Vec<(MemberId, Member)>,
    /// The organizations above the branch, nearest last: the approving committee is one of them
    /// (细则 第二十二条 says which levels may approve; the storage check judges the choice).
    above: Vec<(OrgId, Org)>,
}

/// The organizations above `branch`, from the top down.
async fn orgs_above(state: &AppState, branch: OrgId) -> Result<Vec<(OrgId, Org)>, StorageError> {
    let path = state.repository.org_path(branch).await?;
    let mut above = Vec::new();
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        let id = segment.parse::<i64>().map_err(|_| StorageError::Corrupt {
            id: branch.0,
            message: format!("org path {path} has a segment that is not an id: {segment}"),
        })?;
        if id == branch.0 {
            continue;
        }
        let org = state.repository.get::<Org>(OrgId(id)).await?;
        above.push((OrgId(id), org.body));
    }
    Ok(above)
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
    let members: Vec<(MemberId, Member)> =
        list_all::<Member>(&state.repository, branch_id, None, None)
            .await
            .map_err(storage)?
            .into_iter()
            .map(|member| (MemberId(member.id), member.body))
            .collect();
    let names = members
        .iter()
        .map(|(id, member)| (*id, member.name.clone()))
        .collect();
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
    let above = orgs_above(state, branch_id).await.map_err(storage)?;
    Ok(Loaded {
        stored,
        branch,
        names,
        votes,
        members,
        above,
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
                "{} — {}",
                lang.pick(document.document.name_zh(), document.document.name_en()),
                lang.date(document.received_on)
            )
        })
        .collect();
    let references: Vec<(MemberId, &Member)> = loaded
        .members
        .iter()
        .map(|(id, member)| (*id, member))
        .collect();
    let standing = |member: MemberId, date: NaiveDate| {
        zhibu_core::admission::standing_from_members(&references, member, date)
    };
    let workdays = calendar(context)?;
    let warnings = zhibu_core::admission::admission_findings(
        record,
        &zhibu_core::admission::AdmissionContext {
            calendar: &workdays,
            standing: &standing,
        },
    )
    .into_iter()
    .filter(|finding| !finding.refused)
    .map(|finding| {
        format!(
            "{}{}{}",
            finding.field,
            context.tr().colon,
            lang.pick(&finding.message_zh, &finding.message_en)
        )
    })
    .collect();
    let committee_label = |id: OrgId| {
        loaded
            .above
            .iter()
            .find(|(above, _)| *above == id)
            .map_or_else(
                || id.to_string(),
                |(_, org)| format!("{}（{}）", org.name, org.level.name_zh()),
            )
    };
    let approving_committee = record
        .approving_committee
        .map(committee_label)
        .unwrap_or_default();
    let resolution = match &record.admission_vote {
        None => Vec::new(),
        Some(vote) => {
            let missing = missing_resolution_fields(record);
            let written = record.admission_resolution.clone().unwrap_or_default();
            ResolutionField::ALL
                .into_iter()
                .map(|field| {
                    let value = match field {
                        ResolutionField::MainPerformance => written.main_performance.clone(),
                        ResolutionField::ExpectedVoters => vote.counts.expected.to_string(),
                        ResolutionField::PresentVoters => vote.counts.present.to_string(),
                        ResolutionField::Result => lang
                            .pick(
                                if vote.passed() { "通过" } else { "未通过" },
                                if vote.passed() {
                                    "passed"
                                } else {
                                    "not passed"
                                },
                            )
                            .to_string(),
                        ResolutionField::Date => lang.date(vote.held_on),
                        ResolutionField::SecretarySignature => written
                            .signed_by_secretary
                            .as_ref()
                            .map(name)
                            .unwrap_or_default(),
                    };
                    let missing = missing.contains(&field);
                    ResolutionRow {
                        label: lang.pick(field.name_zh(), field.name_en()),
                        value: if missing {
                            context.tr().resolution_not_recorded.to_string()
                        } else {
                            value
                        },
                        missing,
                    }
                })
                .collect()
        }
    };
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
    let chosen_documents: Vec<&str> = fields
        .iter()
        .filter(|(key, _)| key == "documents")
        .map(|(_, value)| value.as_str())
        .collect();
    let document_options = AdmissionDocument::NAMED
        .iter()
        .map(|document| {
            let steps: Vec<String> = FORM_STEPS
                .iter()
                .map(|(_, step)| *step)
                .chain([AdmissionStep::SubmitApplication])
                .filter(|step| step.documents_received().contains(document))
                .map(|step| {
                    lang.pick(step.name_zh(version), step.name_en(version))
                        .to_string()
                })
                .collect();
            let name = lang.pick(document.name_zh(), document.name_en());
            DocumentOption {
                value: document.kind_str(),
                label: if steps.is_empty() {
                    name.to_string()
                } else {
                    format!(
                        "{name}{}{}{}",
                        context.tr().lparen,
                        steps.join(context.tr().comma),
                        context.tr().rparen
                    )
                },
                checked: chosen_documents.contains(&document.kind_str()),
            }
        })
        .collect();
    let chosen_committee = field(fields, "approving_committee");
    let committee_options = loaded
        .above
        .iter()
        .map(|(id, org)| CommitteeOption {
            id: *id,
            label: format!("{}（{}）", org.name, org.level.name_zh()),
            selected: if chosen_committee.is_empty() {
                record.approving_committee == Some(*id)
            } else {
                chosen_committee == id.to_string()
            },
        })
        .collect();
    let chosen_signer = field(fields, "signed_by_secretary");
    let signer_options = people
        .iter()
        .map(|person| SignerOption {
            id: person.id,
            name: person.name.clone(),
            selected: chosen_signer == person.id.to_string(),
        })
        .collect();
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
        warnings,
        vote_options: votes
            .iter()
            .map(|vote| VoteLink {
                href: vote.href.trim_start_matches("/votes/").to_string(),
                label: vote.label.clone(),
            })
            .collect(),
        votes,
        approving_committee,
        resolution,
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
        document_options,
        other_document: field(fields, "other_document").to_string(),
        committee_options,
        signer_options,
        main_performance: field(fields, "main_performance").to_string(),
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

/// A refusal under an admission rule: the message cites the rule and its article under the version
/// in force on `date`, as the validator's own refusals do.
fn ruled(
    field_name: &str,
    rule: &'static str,
    date: NaiveDate,
    zh: impl AsRef<str>,
    en: impl AsRef<str>,
) -> FieldError {
    let cited = zhibu_core::admission::citation(rule, AdmissionRuleSet::in_force_on(date));
    FieldError::new(
        field_name,
        rule,
        format!("{}{}", zh.as_ref(), cited.suffix_zh()),
        format!("{} {}", en.as_ref(), cited.suffix_en()),
    )
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
    names: &HashMap<MemberId, String>,
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
    let people = chosen_members(fields, "people", names)?;
    check_people(record, step, date, &people)?;
    record_documents(record, fields, date)?;
    record_committee(record, fields, step, date)?;
    record_resolution(record, fields, step, date, names)?;
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

/// The members ticked under `name`, each one of the branch's members; anything else is refused by
/// field, never dropped.
fn chosen_members(
    fields: &[(String, String)],
    name: &str,
    names: &HashMap<MemberId, String>,
) -> Result<Vec<MemberId>, FieldError> {
    let mut chosen = Vec::new();
    for (_, value) in fields
        .iter()
        .filter(|(key, value)| key == name && !value.trim().is_empty())
    {
        let member = value
            .trim()
            .parse::<i64>()
            .ok()
            .map(MemberId)
            .filter(|member| names.contains_key(member))
            .ok_or_else(|| {
                bad(
                    name,
                    &format!("“{value}”不是本支部的党员，请从名单中选择"),
                    &format!("“{value}” is not a member of this branch; choose from the list"),
                )
            })?;
        if !chosen.contains(&member) {
            chosen.push(member);
        }
    }
    Ok(chosen)
}

/// The people the step needs (talkers, one or two mentors, two sponsors), counted with those
/// already recorded: too few or too many is refused, naming the rule and the field `people`.
fn check_people(
    record: &AdmissionRecord,
    step: AdmissionStep,
    date: NaiveDate,
    people: &[MemberId],
) -> Result<(), FieldError> {
    let Some(needed) = step.people_needed() else {
        if people.is_empty() {
            return Ok(());
        }
        return Err(bad(
            "people",
            "此步骤不登记人员；谈话人、培养联系人和入党介绍人只随相应步骤登记",
            "this step names no one; talkers, mentors and sponsors are recorded with their own steps",
        ));
    };
    let already = match step {
        AdmissionStep::AssignMentors => record
            .mentors
            .iter()
            .filter(|mentor| mentor.is_active_on(date))
            .count(),
        AdmissionStep::AssignSponsors => record.sponsors.len(),
        _ => 0,
    };
    let total = already + people.len();
    if people.len() < needed.min || total > needed.max {
        let (zh, en) = if needed.max == usize::MAX {
            (
                format!("须至少选择{}名{}", needed.min, needed.role_zh),
                format!("choose at least {} of the {}", needed.min, needed.role_en),
            )
        } else {
            (
                format!(
                    "{}应为{}至{}名：已登记{already}名，本次选择{}名",
                    needed.role_zh,
                    needed.min,
                    needed.max,
                    people.len()
                ),
                format!(
                    "{} number {} to {}: {already} already recorded, {} chosen now",
                    needed.role_en,
                    needed.min,
                    needed.max,
                    people.len()
                ),
            )
        };
        return Err(ruled("people", needed.rule_id, date, zh, en));
    }
    Ok(())
}

/// The papers received with the step, dated on the step's day.
fn record_documents(
    record: &mut AdmissionRecord,
    fields: &[(String, String)],
    date: NaiveDate,
) -> Result<(), FieldError> {
    for (_, value) in fields.iter().filter(|(key, _)| key == "documents") {
        let document = AdmissionDocument::named(value.trim()).ok_or_else(|| {
            bad(
                "documents",
                &format!("没有名为“{value}”的材料，请从列表中选择或填写其他材料名称"),
                &format!("there is no paper called “{value}”; choose from the list or name it under other"),
            )
        })?;
        record.documents.push(DocumentReceived {
            document,
            received_on: date,
        });
    }
    let other = field(fields, "other_document").trim();
    if !other.is_empty() {
        record.documents.push(DocumentReceived {
            document: AdmissionDocument::Other {
                name: other.to_string(),
            },
            received_on: date,
        });
    }
    Ok(())
}

/// The approving Party committee, named with the pre-review or an approval. Whether it may approve
/// (a 党委 or 工委 above the branch, 细则 第二十二条) is judged when the record is written.
fn record_committee(
    record: &mut AdmissionRecord,
    fields: &[(String, String)],
    step: AdmissionStep,
    date: NaiveDate,
) -> Result<(), FieldError> {
    const RULE: &str = "RECRUIT.APPROVAL.PARTY_COMMITTEE_ONLY";
    let chosen = field(fields, "approving_committee").trim();
    if !chosen.is_empty() {
        if !step.names_approving_committee() {
            return Err(bad(
                "approving_committee",
                "审批党委随上级党委预审或审批步骤登记",
                "the approving committee is recorded with the pre-review or an approval",
            ));
        }
        let id = chosen.parse::<i64>().map_err(|_| {
            bad(
                "approving_committee",
                "请从列表中选择审批的党委",
                "choose the approving committee from the list",
            )
        })?;
        record.approving_committee = Some(OrgId(id));
    }
    if matches!(
        step,
        AdmissionStep::AdmissionApproval | AdmissionStep::ConversionApproval
    ) && record.approving_committee.is_none()
    {
        return Err(ruled(
            "approving_committee",
            RULE,
            date,
            "须选择作出审批的党委：预备党员必须由党委审批",
            "choose the Party committee that decided: probationary members are approved by a Party committee",
        ));
    }
    Ok(())
}

/// The resolution's own fields (细则 第二十一条), recorded with the general meeting's vote; the
/// counts, the result and the date come from the vote.
fn record_resolution(
    record: &mut AdmissionRecord,
    fields: &[(String, String)],
    step: AdmissionStep,
    date: NaiveDate,
    names: &HashMap<MemberId, String>,
) -> Result<(), FieldError> {
    let performance = field(fields, "main_performance").trim().to_string();
    let signer = chosen_members(fields, "signed_by_secretary", names)?;
    if signer.len() > 1 {
        return Err(bad(
            "signed_by_secretary",
            "只能选择一名签名的党支部书记",
            "choose the one branch secretary who signed",
        ));
    }
    let signer = signer.first().copied();
    if step != AdmissionStep::AdmissionVote {
        if !performance.is_empty() || signer.is_some() {
            return Err(ruled(
                if performance.is_empty() {
                    "signed_by_secretary"
                } else {
                    "main_performance"
                },
                zhibu_core::admission::RESOLUTION_RULE,
                date,
                "发展对象的主要表现和书记签名随支部大会讨论接收预备党员的步骤登记",
                "the main performance and the secretary's signature are recorded with the general meeting's vote to admit",
            ));
        }
        return Ok(());
    }
    record.admission_resolution = if performance.is_empty() && signer.is_none() {
        None
    } else {
        Some(AdmissionResolution {
            main_performance: performance,
            signed_by_secretary: signer,
        })
    };
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
    if let Err(error) = apply_step(&mut record, &fields, &loaded.votes, &loaded.names) {
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
