//! Vote pages (issue 5): `/meetings/{id}/votes` shows who may vote — the entitlement as it is
//! frozen when a vote opens — and records a vote's counted result; `/votes/{id}` shows the result
//! with its arithmetic, quorum and passage worded as the rules word them (超过 vs 以上).
//!
//! Only totals and the set of those who took part reach storage; the page never asks who chose
//! what.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::{NaiveDateTime, NaiveTime};
use zhibu_core::admission::{AdmissionRecord, AdmissionRecordId, ProbationProposal};
use zhibu_core::rules::Ratio;
use zhibu_core::vote_records::{
    BallotMethod, VoteId, VoteQuestion, VoteRecord, WrittenOpinionReceipt,
};
use zhibu_core::voting::{BallotBox, Choice, Tally, VoteDecision, VoteEntitlement, cite};
use zhibu_core::{FieldError, Meeting, MeetingId, MeetingKind, Member, MemberId, RecordKind};
use zhibu_storage::{ChangeMeta, StorageError};

use super::admissions::{branch_of, count_field, guard};
use super::i18n::Lang;
use super::workspace::list_all;
use super::{
    Chrome, Failure, PageContext, PageError, check_csrf, field, form_fields, html, parse_id,
    see_other,
};
use crate::AppState;
use crate::auth::{Action, Area, Principal};

struct Person {
    id: MemberId,
    name: String,
    note: String,
}

struct Link {
    href: String,
    label: String,
}

struct CandidateOption {
    id: i64,
    name: String,
}

#[derive(askama::Template)]
#[template(path = "votes.html")]
struct MeetingVotesPage {
    chrome: Chrome,
    meeting_id: i64,
    branch_id: i64,
    branch_name: String,
    held_on: String,
    entitled: Vec<Person>,
    excluded: Vec<Person>,
    present_count: usize,
    absent_entitled: Vec<Person>,
    recorded: Vec<Link>,
    candidates: Vec<CandidateOption>,
    may_create: bool,
    form_errors: Vec<String>,
}

struct MeetingContext {
    meeting: zhibu_core::Stored<Meeting>,
    branch_name: String,
    names: HashMap<MemberId, String>,
    entitlement: VoteEntitlement,
    excluded: Vec<Person>,
}

async fn meeting_context(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    id: &str,
    action: Action,
) -> Result<MeetingContext, PageError> {
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let meeting = state
        .repository
        .get::<Meeting>(MeetingId(parse_id(context, id)?))
        .await
        .map_err(storage)?;
    guard(
        state,
        context,
        principal,
        Area::Votes,
        action,
        meeting.body.org_id,
    )
    .await?;
    if !meeting.body.is_kind(MeetingKind::GeneralMeeting) {
        return Err(context.error(Failure::NotFound));
    }
    let branch = branch_of(state, context, meeting.body.org_id).await?;
    let date = meeting.body.held_on;
    let members = list_all::<Member>(&state.repository, meeting.body.org_id, None, None)
        .await
        .map_err(storage)?;
    let roster: Vec<(MemberId, &Member)> = members
        .iter()
        .map(|stored| (MemberId(stored.id), &stored.body))
        .filter(|(_, member)| member.branch_on(date) == Some(meeting.body.org_id))
        .collect();
    let entitlement = VoteEntitlement::freeze(&roster, date);
    let excluded = roster
        .iter()
        .filter(|(id, _)| !entitlement.may_vote(*id))
        .map(|(id, member)| Person {
            id: *id,
            name: member.name.clone(),
            note: member
                .status_on(date)
                .map(|status| lang.member_status(status).to_string())
                .unwrap_or_default(),
        })
        .collect();
    let names = members
        .iter()
        .map(|stored| (MemberId(stored.id), stored.body.name.clone()))
        .collect();
    Ok(MeetingContext {
        meeting,
        branch_name: branch.body.name,
        names,
        entitlement,
        excluded,
    })
}

async fn render_meeting_votes(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    loaded: MeetingContext,
    form_errors: Vec<String>,
) -> Result<Response, PageError> {
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let branch = loaded.meeting.body.org_id;
    let name = |id: MemberId| {
        loaded
            .names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    let present: BTreeSet<MemberId> = loaded
        .meeting
        .body
        .present()
        .filter(|id| loaded.entitlement.may_vote(*id))
        .collect();
    let recorded = list_all::<VoteRecord>(&state.repository, branch, None, None)
        .await
        .map_err(storage)?
        .into_iter()
        .filter(|vote| vote.body.meeting_id.0 == loaded.meeting.id)
        .map(|vote| Link {
            href: format!("/votes/{}", vote.id),
            label: question_label(lang, &vote.body.question, &HashMap::new()),
        })
        .collect();
    let candidates = list_all::<AdmissionRecord>(&state.repository, branch, None, None)
        .await
        .map_err(storage)?
        .into_iter()
        .filter(|record| !record.body.is_closed())
        .map(|record| CandidateOption {
            id: record.id,
            name: record.body.person.name,
        })
        .collect();
    let page = MeetingVotesPage {
        chrome: context.chrome(context.tr().votes_title),
        meeting_id: loaded.meeting.id,
        branch_id: branch.0,
        branch_name: loaded.branch_name.clone(),
        held_on: lang.date(loaded.meeting.body.held_on),
        entitled: loaded
            .entitlement
            .voters()
            .map(|id| Person {
                id,
                name: name(id),
                note: if present.contains(&id) {
                    lang.pick("实到", "present").to_string()
                } else {
                    String::new()
                },
            })
            .collect(),
        present_count: present.len(),
        absent_entitled: loaded
            .entitlement
            .voters()
            .filter(|id| !present.contains(id))
            .map(|id| Person {
                id,
                name: name(id),
                note: String::new(),
            })
            .collect(),
        excluded: loaded.excluded,
        recorded,
        candidates,
        may_create: principal.allows(Area::Votes, Action::Create) != crate::auth::Access::Denied
            && principal.can_write(),
        form_errors,
    };
    let status = if page.form_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(status, &page))
}

pub async fn meeting_votes(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let loaded = meeting_context(&state, &context, &principal, &id, Action::Read).await?;
    render_meeting_votes(&state, &context, &principal, loaded, Vec::new()).await
}

fn question_label(
    lang: Lang,
    question: &VoteQuestion,
    people: &HashMap<AdmissionRecordId, String>,
) -> String {
    let kind = question.kind();
    let kind_name = lang.pick(kind.name_zh(), kind.name_en());
    match question {
        VoteQuestion::GeneralDecision { subject } => {
            format!("{kind_name}{}{subject}", lang.pick("：", ": "))
        }
        other => {
            let names: Vec<String> = other
                .candidates()
                .iter()
                .map(|id| people.get(id).cloned().unwrap_or_else(|| id.to_string()))
                .collect();
            format!(
                "{kind_name}{}{}",
                lang.pick("：", ": "),
                names.join(lang.pick("、", ", "))
            )
        }
    }
}

/// The vote record the form describes, or the fields it got wrong.
fn vote_from_form(
    fields: &[(String, String)],
    loaded: &MeetingContext,
) -> Result<VoteRecord, Vec<FieldError>> {
    let mut errors = Vec::new();
    let bad = |name: &str, zh: &str, en: &str| FieldError::new(name, "invalid", zh, en);
    let mut count = |name: &str| match count_field(fields, name) {
        Ok(value) => value,
        Err(error) => {
            errors.push(error);
            0
        }
    };
    let in_room = Tally {
        yes: count("yes"),
        no: count("no"),
        abstain: count("abstain"),
    };
    let written = Tally {
        yes: count("written_yes"),
        no: count("written_no"),
        abstain: count("written_abstain"),
    };
    // Every candidate ticked is kept, so that a vote naming two can be refused by the rule.
    let candidates: Vec<AdmissionRecordId> = fields
        .iter()
        .filter(|(key, _)| key == "candidate")
        .filter_map(|(_, value)| value.parse::<i64>().ok().map(AdmissionRecordId))
        .collect();
    let question = match field(fields, "question") {
        "admission" => VoteQuestion::Admission { candidates },
        "conversion" => VoteQuestion::Conversion {
            candidates,
            proposal: ProbationProposal::Convert,
        },
        "general" => VoteQuestion::GeneralDecision {
            subject: field(fields, "subject").trim().to_string(),
        },
        _ => {
            errors.push(bad("question", "请选择表决事项", "choose what is voted on"));
            VoteQuestion::GeneralDecision {
                subject: String::new(),
            }
        }
    };
    let method = match field(fields, "method") {
        "hands" => BallotMethod::ShowOfHands,
        _ => BallotMethod::SecretBallot,
    };
    if field(fields, "method") == "device" {
        // Nothing is cast yet: the box opens empty and those present vote one by one.
        errors
            .retain(|error: &FieldError| !matches!(error.field.as_str(), "yes" | "no" | "abstain"));
    }
    let date = loaded.meeting.body.held_on;
    let time = NaiveTime::parse_from_str(field(fields, "opened_at").trim(), "%H:%M")
        .unwrap_or_else(|_| NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default());
    let opened_at = NaiveDateTime::new(date, time);
    let written_at =
        NaiveDateTime::parse_from_str(field(fields, "written_at").trim(), "%Y-%m-%dT%H:%M")
            .unwrap_or_else(|_| {
                NaiveDateTime::new(date, NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default())
            });
    let mut written_from: Vec<MemberId> = fields
        .iter()
        .filter(|(key, _)| key == "written_from")
        .filter_map(|(_, value)| value.parse::<i64>().ok().map(MemberId))
        .collect();
    written_from.sort();
    written_from.dedup();
    let present: Vec<MemberId> = {
        let set: BTreeSet<MemberId> = loaded
            .meeting
            .body
            .present()
            .filter(|id| loaded.entitlement.may_vote(*id))
            .collect();
        set.into_iter().collect()
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(VoteRecord {
        org_id: loaded.meeting.body.org_id,
        meeting_id: MeetingId(loaded.meeting.id),
        question,
        method,
        opened_at,
        entitled: loaded.entitlement.voters().collect(),
        // Everyone present takes part; a blank ballot counts as an abstention.
        voted: present.clone(),
        present,
        in_room,
        written_opinions: written_from
            .into_iter()
            .map(|voter| WrittenOpinionReceipt {
                voter,
                handed_in_at: written_at,
            })
            .collect(),
        written,
    })
}

pub async fn record_vote(
    State(state): State<AppState>,
    Extension(open_ballots): Extension<Arc<OpenBallots>>,
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
    let loaded = meeting_context(&state, &context, &principal, &id, Action::Create).await?;
    let describe = |error: &FieldError| {
        format!(
            "{}{}{}",
            error.field,
            context.tr().colon,
            lang.field_message(error)
        )
    };
    let mut record = match vote_from_form(&fields, &loaded) {
        Ok(record) => record,
        Err(errors) => {
            let messages = errors.iter().map(describe).collect();
            return render_meeting_votes(&state, &context, &principal, loaded, messages).await;
        }
    };
    if field(&fields, "method") == "device" {
        // A secret ballot on this device: the box opens empty, in memory only.
        record.voted.clear();
        record.in_room = Tally::default();
        if let Err(errors) = zhibu_core::Record::validate(&record) {
            let messages = errors.errors.iter().map(describe).collect();
            return render_meeting_votes(&state, &context, &principal, loaded, messages).await;
        }
        let entitlement =
            VoteEntitlement::from_voters(record.opened_at.date(), record.entitled.iter().copied());
        open_ballots.open(
            loaded.meeting.id,
            OpenVote {
                ballot_box: BallotBox::open(entitlement, Tally::default()),
                record,
            },
        );
        return Ok(see_other(&format!(
            "/meetings/{}/ballot-box",
            loaded.meeting.id
        )));
    }
    match state
        .repository
        .create(record, &ChangeMeta::by(&principal.login))
        .await
    {
        Ok(saved) => {
            let path = state
                .repository
                .org_path(saved.body.org_id)
                .await
                .map_err(|error| PageError::storage(lang, error))?;
            // The audit entry names the vote, never a choice.
            super::audit_change(
                &state,
                &principal,
                "create",
                RecordKind::Vote.as_str(),
                saved.id,
                &path,
                serde_json::json!({ "meeting_id": saved.body.meeting_id }),
            )
            .await;
            Ok(see_other(&format!("/votes/{}", saved.id)))
        }
        Err(StorageError::Invalid(errors)) => {
            let messages = errors.errors.iter().map(describe).collect();
            render_meeting_votes(&state, &context, &principal, loaded, messages).await
        }
        Err(other) => Err(PageError::storage(lang, other)),
    }
}

#[derive(askama::Template)]
#[template(path = "vote.html")]
struct VotePage {
    chrome: Chrome,
    meeting_id: i64,
    branch_name: String,
    question: String,
    method: String,
    opened_at: String,
    entitled: Vec<String>,
    expected: usize,
    present: usize,
    voted: usize,
    in_room: Tally,
    written: Tally,
    written_from: Vec<String>,
    verdict: String,
    passed: bool,
    arithmetic: Vec<String>,
}

/// `11 > 20 × 1/2 = 10`, worded as the rule words it.
fn comparison_line(
    lang: Lang,
    label: &str,
    count: u32,
    whole: u32,
    ratio: Ratio,
    met: bool,
) -> String {
    let (operator, word_zh, word_en) = match ratio.comparison {
        zhibu_core::rules::Comparison::MoreThan => (">", "超过", "more than"),
        zhibu_core::rules::Comparison::AtLeast => ("≥", "以上（含本数）", "at least"),
    };
    let bound_numerator = u64::from(whole) * u64::from(ratio.numerator);
    let bound = if bound_numerator % u64::from(ratio.denominator.max(1)) == 0 {
        (bound_numerator / u64::from(ratio.denominator.max(1))).to_string()
    } else {
        format!(
            "{:.1}",
            bound_numerator as f64 / f64::from(ratio.denominator.max(1))
        )
    };
    let verdict = match (lang, met) {
        (Lang::Zh, true) => "满足",
        (Lang::Zh, false) => "不满足",
        (Lang::En, true) => "met",
        (Lang::En, false) => "not met",
    };
    match lang {
        Lang::Zh => format!(
            "{label}：须{word_zh}{whole} × {}/{} = {bound}；实际 {count} {operator} {bound}？{verdict}",
            ratio.numerator, ratio.denominator
        ),
        Lang::En => format!(
            "{label}: must be {word_en} {whole} × {}/{} = {bound}; {count} {operator} {bound}? {verdict}",
            ratio.numerator, ratio.denominator
        ),
    }
}

fn arithmetic(
    lang: Lang,
    decision: &VoteDecision,
    quorum_rule: &str,
    passage_rule: &str,
) -> Vec<String> {
    let (quorum_cite_zh, quorum_cite_en) = cite(quorum_rule);
    let (passage_cite_zh, passage_cite_en) = cite(passage_rule);
    vec![
        format!(
            "{}{}",
            comparison_line(
                lang,
                lang.pick(
                    "到会（实到有表决权的党员）",
                    "Quorum (voting members present)"
                ),
                decision.present,
                decision.expected,
                decision.quorum,
                decision.quorum_met,
            ),
            lang.pick(&quorum_cite_zh, &format!(" {quorum_cite_en}"))
        ),
        format!(
            "{}{}",
            comparison_line(
                lang,
                &match lang {
                    Lang::Zh => format!(
                        "通过（赞成{}票 = 会场{} + 书面意见{}，与应到会人数相比）",
                        decision.yes_counted, decision.yes_in_room, decision.written_yes_counted
                    ),
                    Lang::En => format!(
                        "Passage ({} yes = {} in the room + {} written, against those expected)",
                        decision.yes_counted, decision.yes_in_room, decision.written_yes_counted
                    ),
                },
                decision.yes_counted,
                decision.expected,
                decision.passage,
                decision.passage.is_met(
                    u64::from(decision.yes_counted),
                    u64::from(decision.expected)
                ),
            ),
            lang.pick(&passage_cite_zh, &format!(" {passage_cite_en}"))
        ),
    ]
}

pub async fn view_vote(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let vote = state
        .repository
        .get::<VoteRecord>(VoteId(parse_id(&context, &id)?))
        .await
        .map_err(storage)?;
    guard(
        &state,
        &context,
        &principal,
        Area::Votes,
        Action::Read,
        vote.body.org_id,
    )
    .await?;
    let branch = branch_of(&state, &context, vote.body.org_id).await?;
    let names: HashMap<MemberId, String> =
        super::admissions::member_names(&state, vote.body.org_id)
            .await
            .map_err(storage)?;
    let name = |id: &MemberId| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let mut people = HashMap::new();
    for candidate in vote.body.question.candidates() {
        if let Ok(record) = state.repository.get::<AdmissionRecord>(*candidate).await {
            people.insert(*candidate, record.body.person.name);
        }
    }
    let decision = vote
        .body
        .decide()
        .map_err(|errors| context.error(Failure::Internal(format!("{errors:?}"))))?;
    let rules = vote.body.rules();
    let lines = arithmetic(lang, &decision, rules.quorum_rule, rules.passage_rule);
    let tr = context.tr();
    let verdict = if !decision.quorum_met {
        tr.vote_no_quorum
    } else if decision.passed {
        tr.vote_passed
    } else {
        tr.vote_not_passed
    };
    let page = VotePage {
        chrome: context.chrome(tr.vote_title),
        meeting_id: vote.body.meeting_id.0,
        branch_name: branch.body.name,
        question: question_label(lang, &vote.body.question, &people),
        method: match vote.body.method {
            BallotMethod::SecretBallot => lang.pick("无记名投票", "secret ballot"),
            BallotMethod::ShowOfHands => lang.pick("举手表决", "show of hands"),
        }
        .to_string(),
        opened_at: format!(
            "{} {}",
            lang.date(vote.body.opened_at.date()),
            vote.body.opened_at.format("%H:%M")
        ),
        entitled: vote.body.entitled.iter().map(name).collect(),
        expected: vote.body.entitled.len(),
        present: vote.body.present.len(),
        voted: vote.body.voted.len(),
        in_room: vote.body.in_room,
        written: vote.body.written,
        written_from: vote
            .body
            .written_opinions
            .iter()
            .map(|opinion| name(&opinion.voter))
            .collect(),
        verdict: verdict.to_string(),
        passed: decision.passed,
        arithmetic: lines,
    };
    Ok(html(StatusCode::OK, &page))
}

// ---------------------------------------------------------------------------------------------
// A secret ballot on one shared device. The open box lives only in this server's memory: each
// choice is folded into the tally as it is cast and the voter goes into the register, nothing
// pairs the two, and nothing reaches storage until the box is closed. A box not closed before the
// server stops is lost, and the vote is taken again.
// ---------------------------------------------------------------------------------------------

/// A vote being taken on a shared device: the record as it will be stored (without its totals)
/// and the open box.
pub struct OpenVote {
    record: VoteRecord,
    ballot_box: BallotBox<Choice>,
}

/// The open boxes, one per meeting at most.
#[derive(Default)]
pub struct OpenBallots {
    boxes: Mutex<HashMap<i64, OpenVote>>,
}

impl OpenBallots {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, OpenVote>> {
        self.boxes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn open(&self, meeting: i64, vote: OpenVote) {
        self.lock().insert(meeting, vote);
    }
}

struct VoterOption {
    id: MemberId,
    name: String,
}

#[derive(askama::Template)]
#[template(path = "vote_device.html")]
struct BallotBoxPage {
    chrome: Chrome,
    meeting_id: i64,
    branch_id: i64,
    branch_name: String,
    open: bool,
    question: String,
    cast: u32,
    present: usize,
    waiting: Vec<VoterOption>,
    errors: Vec<String>,
}

async fn render_ballot_box(
    state: &AppState,
    context: &PageContext,
    loaded: &MeetingContext,
    open_ballots: &OpenBallots,
    errors: Vec<String>,
    received: bool,
) -> Result<Response, PageError> {
    let lang = context.lang;
    let mut people = HashMap::new();
    let (open, question, cast, present, waiting) = {
        let boxes = open_ballots.lock();
        match boxes.get(&loaded.meeting.id) {
            None => (false, String::new(), 0, 0, Vec::new()),
            Some(vote) => {
                for candidate in vote.record.question.candidates() {
                    people.insert(*candidate, String::new());
                }
                (
                    true,
                    String::new(),
                    vote.ballot_box.ballots_returned(),
                    vote.record.present.len(),
                    vote.record
                        .present
                        .iter()
                        .filter(|id| !vote.ballot_box.has_voted(**id))
                        .map(|id| VoterOption {
                            id: *id,
                            name: loaded
                                .names
                                .get(id)
                                .cloned()
                                .unwrap_or_else(|| id.to_string()),
                        })
                        .collect(),
                )
            }
        }
    };
    for (candidate, name) in people.iter_mut() {
        if let Ok(record) = state.repository.get::<AdmissionRecord>(*candidate).await {
            *name = record.body.person.name;
        }
    }
    let question = if open {
        let boxes = open_ballots.lock();
        boxes
            .get(&loaded.meeting.id)
            .map(|vote| question_label(lang, &vote.record.question, &people))
            .unwrap_or(question)
    } else {
        question
    };
    let mut chrome = context.chrome(context.tr().ballot_box_title);
    if received {
        chrome.notice = Some(context.tr().ballot_received.to_string());
    }
    let page = BallotBoxPage {
        chrome,
        meeting_id: loaded.meeting.id,
        branch_id: loaded.meeting.body.org_id.0,
        branch_name: loaded.branch_name.clone(),
        open,
        question,
        cast,
        present,
        waiting,
        errors,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(status, &page))
}

pub async fn ballot_box(
    State(state): State<AppState>,
    Extension(open_ballots): Extension<Arc<OpenBallots>>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let loaded = meeting_context(&state, &context, &principal, &id, Action::Create).await?;
    let received = super::query_value(&super::query_pairs(&uri), "received").is_some();
    render_ballot_box(
        &state,
        &context,
        &loaded,
        &open_ballots,
        Vec::new(),
        received,
    )
    .await
}

pub async fn cast_ballot(
    State(state): State<AppState>,
    Extension(open_ballots): Extension<Arc<OpenBallots>>,
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
    let loaded = meeting_context(&state, &context, &principal, &id, Action::Create).await?;
    let voter = field(&fields, "voter").parse::<i64>().ok().map(MemberId);
    let choice = match field(&fields, "choice") {
        "yes" => Some(Choice::Yes),
        "no" => Some(Choice::No),
        "abstain" => Some(Choice::Abstain),
        _ => None,
    };
    let outcome = {
        let mut boxes = open_ballots.lock();
        match boxes.get_mut(&loaded.meeting.id) {
            None => return Ok(see_other(&format!("/meetings/{}/votes", loaded.meeting.id))),
            Some(vote) => match (voter, choice) {
                (Some(voter), Some(choice)) if vote.record.present.contains(&voter) => vote
                    .ballot_box
                    .cast(voter, choice)
                    .map_err(|errors| errors.errors),
                (Some(_), Some(_)) => Err(vec![FieldError::new(
                    "voter",
                    "not_present",
                    "只有实到的有表决权党员可以在会场投票",
                    "only voting members present may vote in the room",
                )]),
                (None, _) => Err(vec![FieldError::new(
                    "voter",
                    "required",
                    "请选择投票人",
                    "choose the voter",
                )]),
                (_, None) => Err(vec![FieldError::new(
                    "choice",
                    "required",
                    "请选择赞成、反对或弃权",
                    "choose yes, no or abstain",
                )]),
            },
        }
    };
    match outcome {
        Ok(()) => Ok(see_other(&format!(
            "/meetings/{}/ballot-box?received=1",
            loaded.meeting.id
        ))),
        Err(errors) => {
            let messages = errors
                .iter()
                .map(|error| {
                    format!(
                        "{}{}{}",
                        error.field,
                        context.tr().colon,
                        lang.field_message(error)
                    )
                })
                .collect();
            render_ballot_box(&state, &context, &loaded, &open_ballots, messages, false).await
        }
    }
}

pub async fn close_ballot_box(
    State(state): State<AppState>,
    Extension(open_ballots): Extension<Arc<OpenBallots>>,
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
    let loaded = meeting_context(&state, &context, &principal, &id, Action::Create).await?;
    let record = {
        let boxes = open_ballots.lock();
        match boxes.get(&loaded.meeting.id) {
            None => return Ok(see_other(&format!("/meetings/{}/votes", loaded.meeting.id))),
            Some(vote) => {
                let closed = vote.ballot_box.closed_copy();
                VoteRecord {
                    voted: closed.voters_who_voted,
                    in_room: closed.tally,
                    ..vote.record.clone()
                }
            }
        }
    };
    match state
        .repository
        .create(record, &ChangeMeta::by(&principal.login))
        .await
    {
        Ok(saved) => {
            // Stored: the box is gone, with the only copy of its running totals.
            open_ballots.lock().remove(&loaded.meeting.id);
            let path = state
                .repository
                .org_path(saved.body.org_id)
                .await
                .map_err(|error| PageError::storage(lang, error))?;
            super::audit_change(
                &state,
                &principal,
                "create",
                RecordKind::Vote.as_str(),
                saved.id,
                &path,
                serde_json::json!({ "meeting_id": saved.body.meeting_id, "method": "secret_ballot_on_device" }),
            )
            .await;
            Ok(see_other(&format!("/votes/{}", saved.id)))
        }
        Err(StorageError::Invalid(errors)) => {
            // The box stays open: nothing was written and no ballot is lost.
            let messages = errors
                .errors
                .iter()
                .map(|error| {
                    format!(
                        "{}{}{}",
                        error.field,
                        context.tr().colon,
                        lang.field_message(error)
                    )
                })
                .collect();
            render_ballot_box(&state, &context, &loaded, &open_ballots, messages, false).await
        }
        Err(other) => Err(PageError::storage(lang, other)),
    }
}
