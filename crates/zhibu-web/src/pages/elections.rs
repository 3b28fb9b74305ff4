//! Election pages (issue 5): `/branches/{id}/elections` lists the branch's committee terms with
//! their end and a reminder from six months before (BRANCH.COMMITTEE.TERM_EXPIRY), and its
//! elections; `/elections/{id}` shows an election round by round — candidates, the quorum and the
//! threshold to win worked out, who was elected, what comes next — and whether the result was sent
//! up for approval of the secretary and deputy.

use std::collections::{BTreeSet, HashMap};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::NaiveDate;
use zhibu_core::admission::Approval;
use zhibu_core::calendar::add_months;
use zhibu_core::vote_records::{
    CountedRound, ElectionId, ElectionRecord, ElectionRoundRecord, ElectionStanding,
};
use zhibu_core::voting::{
    CandidateTally, ElectionNextStep, ElectionTally, MORE_THAN_FOUR_FIFTHS, Tally, VoteEntitlement,
    cite, minimum_candidates,
};
use zhibu_core::{
    CommitteeTerm, CommitteeTermId, FieldError, LeadershipForm, Meeting, MeetingId, MeetingKind,
    Member, MemberId, Org, OrgId, RecordKind, Stored,
};
use zhibu_storage::{ChangeMeta, StorageError};

use super::admissions::{branch_of, guard, member_names};
use super::i18n::Lang;
use super::workspace::list_all;
use super::{
    Chrome, Failure, PageContext, PageError, check_csrf, field, form_fields, html, parse_id,
    see_other,
};
use crate::AppState;
use crate::auth::{Access, Action, Area, Principal, Role};

struct TermRow {
    elected_on: String,
    ends_on: String,
    reminder: String,
    overdue: bool,
    /// The current term ends within six months or has ended: an election is due.
    due: bool,
}

struct ElectionRow {
    href: String,
    held_on: String,
    seats: u32,
    rounds: usize,
    result: String,
    report: String,
}

#[derive(askama::Template)]
#[template(path = "elections.html")]
struct ElectionsPage {
    chrome: Chrome,
    branch_id: OrgId,
    branch_name: String,
    terms: Vec<TermRow>,
    elections: Vec<ElectionRow>,
    /// The account may record an election: the link to the form is shown.
    may_create: bool,
}

fn report_status(lang: Lang, election: &ElectionRecord) -> String {
    let tr = lang.texts();
    match (&election.reported_on, &election.approval) {
        (None, _) => tr.election_not_reported.to_string(),
        (Some(reported), None) => format!(
            "{}{}{}",
            lang.date(*reported),
            tr.comma,
            tr.election_awaiting
        ),
        (Some(reported), Some(approval)) => format!(
            "{}{}{} {}",
            lang.date(*reported),
            tr.comma,
            if approval.approved {
                tr.election_approved
            } else {
                tr.election_rejected
            },
            lang.date(approval.decided_on)
        ),
    }
}

fn next_text(
    lang: Lang,
    next: Option<&ElectionNextStep>,
    names: &dyn Fn(&MemberId) -> String,
) -> String {
    match next {
        None => lang.pick("尚未投票", "no round yet").to_string(),
        Some(ElectionNextStep::Complete) => {
            lang.pick("名额已选满", "every seat is filled").to_string()
        }
        Some(ElectionNextStep::RepeatRound) => lang
            .pick("本轮无效，须重新选举", "the round is void: vote again")
            .to_string(),
        Some(ElectionNextStep::AnotherRoundAmongTied { seats_left, tied }) => {
            let tied: Vec<String> = tied.iter().map(names).collect();
            match lang {
                Lang::Zh => format!(
                    "得票相等，须就剩余{seats_left}个名额在{}中再次投票",
                    tied.join("、")
                ),
                Lang::En => format!(
                    "a tie: another round for the {seats_left} seat(s) left among {}",
                    tied.join(", ")
                ),
            }
        }
        Some(ElectionNextStep::AnotherRoundOrFewerSeatsWithConsent { seats_left, .. }) => {
            match lang {
                Lang::Zh => {
                    format!("当选人数不足，差{seats_left}名：另行选举，或经党员大会同意减少名额")
                }
                Lang::En => format!(
                    "{seats_left} seat(s) unfilled: another round, or fewer seats with the meeting's consent"
                ),
            }
        }
    }
}

pub async fn branch_elections(
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
        Area::Elections,
        Action::Read,
        branch_id,
    )
    .await?;
    let branch = branch_of(&state, &context, branch_id).await?;
    let today = (state.today)();
    let (cite_zh, cite_en) = (
        "（BRANCH.COMMITTEE.TERM_EXPIRY，《中国共产党支部工作条例（试行）》第二十一条）",
        "(BRANCH.COMMITTEE.TERM_EXPIRY, Regulations on the Work of Party Branches (Trial), art. 21)",
    );
    let mut terms: Vec<_> = list_all::<CommitteeTerm>(&state.repository, branch_id, None, None)
        .await
        .map_err(storage)?
        .into_iter()
        .filter(|term| term.body.org_id == branch_id)
        .collect();
    terms.sort_by_key(|term| std::cmp::Reverse(term.body.elected_on));
    let names = member_names(&state, branch_id).await.map_err(storage)?;
    let name = |id: &MemberId| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let terms = terms
        .iter()
        .enumerate()
        .map(|(index, term)| {
            let ends = term
                .body
                .extended_until
                .unwrap_or_else(|| term.body.term_ends_on());
            let days = (ends - today).num_days();
            let current = index == 0;
            let reminder = if !current {
                String::new()
            } else if days <= 0 {
                format!(
                    "{}{}",
                    lang.pick(
                        "任期已届满，应按期换届",
                        "the term has ended: an election is due"
                    ),
                    lang.pick(cite_zh, &format!(" {cite_en}"))
                )
            } else if today >= add_months(ends, -6) {
                format!(
                    "{}{}{}",
                    lang.pick("距任期届满", "The term ends soon: "),
                    lang.countdown(days),
                    lang.pick(cite_zh, &format!(" {cite_en}"))
                )
            } else {
                lang.countdown(days)
            };
            TermRow {
                elected_on: lang.date(term.body.elected_on),
                ends_on: lang.date(ends),
                overdue: current && days <= 0,
                due: current && today >= add_months(ends, -6),
                reminder,
            }
        })
        .collect();
    let mut elections: Vec<_> =
        list_all::<ElectionRecord>(&state.repository, branch_id, None, None)
            .await
            .map_err(storage)?;
    elections.sort_by_key(|election| std::cmp::Reverse(election.body.held_on));
    let elections = elections
        .into_iter()
        .map(|election| {
            let standing = election.body.standing().ok();
            ElectionRow {
                href: format!("/elections/{}", election.id),
                held_on: lang.date(election.body.held_on),
                seats: election.body.seats,
                rounds: election.body.rounds.len(),
                result: match &standing {
                    Some(standing) => {
                        let elected: Vec<String> = standing.elected.iter().map(name).collect();
                        format!(
                            "{}{}",
                            elected.join(lang.pick("、", ", ")),
                            if standing.complete {
                                String::new()
                            } else {
                                format!(
                                    "{}{}{}",
                                    context.tr().lparen,
                                    next_text(lang, standing.next.as_ref(), &name),
                                    context.tr().rparen
                                )
                            }
                        )
                    }
                    None => String::new(),
                },
                report: report_status(lang, &election.body),
            }
        })
        .collect();
    let page = ElectionsPage {
        chrome: context.chrome(context.tr().elections_title),
        branch_id,
        branch_name: branch.body.name,
        terms,
        elections,
        may_create: !matches!(
            principal.allows(Area::Elections, Action::Create),
            Access::Denied | Access::Own
        ) && principal.can_write(),
    };
    Ok(html(StatusCode::OK, &page))
}

struct CandidateRow {
    name: String,
    yes: u32,
    threshold: String,
    elected: bool,
}

struct RoundView {
    title: String,
    quorum: String,
    valid: bool,
    void_reasons: Vec<String>,
    candidates: Vec<CandidateRow>,
    next: String,
}

#[derive(askama::Template)]
#[template(path = "election.html")]
struct ElectionPage {
    chrome: Chrome,
    branch_id: OrgId,
    branch_name: String,
    held_on: String,
    meeting_id: i64,
    seats: u32,
    expected: usize,
    rounds: Vec<RoundView>,
    elected: Vec<String>,
    complete: bool,
    secretary: String,
    deputy: String,
    report: String,
    election_id: i64,
    version: i32,
    /// Those elected, to choose the secretary and deputy from.
    choices: Vec<Choice>,
    chosen_secretary: i64,
    chosen_deputy: i64,
    /// The branch may send the complete result up (or correct what it sent).
    may_report: bool,
    /// Committee staff above the branch (or an administrator) record the decision on it.
    may_approve: bool,
    today: String,
    errors: Vec<String>,
}

struct Choice {
    id: i64,
    name: String,
}

/// One counted round as a page shows it: the quorum and each candidate's threshold worked out,
/// who was elected and what comes next, all as the core counted them.
fn round_view(
    context: &PageContext,
    index: usize,
    round: &CountedRound,
    name: &dyn Fn(&MemberId) -> String,
) -> RoundView {
    let lang = context.lang;
    let (quorum_zh, quorum_en) = cite("ELECT.QUORUM_4_5");
    let (win_zh, win_en) = cite("ELECT.WIN_THRESHOLD");
    let four_fifths = f64::from(round.expected) * 0.8;
    let quorum_met =
        MORE_THAN_FOUR_FIFTHS.is_met(u64::from(round.present), u64::from(round.expected));
    let half = f64::from(round.present) / 2.0;
    RoundView {
        title: context
            .tr()
            .election_round
            .replace("{}", &(index + 1).to_string()),
        quorum: match lang {
            Lang::Zh => format!(
                "应到会有选举权的党员{}人，实到{}人：须超过{} × 4/5 = {four_fifths}；{} > {four_fifths}？{}{quorum_zh}",
                round.expected,
                round.present,
                round.expected,
                round.present,
                if quorum_met {
                    "满足，选举有效"
                } else {
                    "不满足，选举无效"
                }
            ),
            Lang::En => format!(
                "{} expected, {} present: must be more than {} × 4/5 = {four_fifths}; {} > {four_fifths}? {} {quorum_en}",
                round.expected,
                round.present,
                round.expected,
                round.present,
                if quorum_met {
                    "met, the election is valid"
                } else {
                    "not met, the election is void"
                }
            ),
        },
        valid: round.outcome.valid,
        void_reasons: round
            .outcome
            .void_reasons
            .iter()
            .map(|reason| lang.field_message(reason))
            .collect(),
        candidates: round
            .outcome
            .results
            .iter()
            .map(|result| CandidateRow {
                name: name(&result.candidate),
                yes: result.yes,
                threshold: match lang {
                    Lang::Zh => format!(
                        "{} > {} ÷ 2 = {half}？{}{win_zh}",
                        result.yes,
                        round.present,
                        if result.reached_threshold {
                            "超过半数"
                        } else {
                            "未超过半数"
                        }
                    ),
                    Lang::En => format!(
                        "{} > {} ÷ 2 = {half}? {} {win_en}",
                        result.yes,
                        round.present,
                        if result.reached_threshold {
                            "more than half"
                        } else {
                            "not more than half"
                        }
                    ),
                },
                elected: result.elected,
            })
            .collect(),
        next: next_text(lang, Some(&round.outcome.next), name),
    }
}

pub async fn view_election(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let election = state
        .repository
        .get::<ElectionRecord>(ElectionId(parse_id(&context, &id)?))
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    guard(
        &state,
        &context,
        &principal,
        Area::Elections,
        Action::Read,
        election.body.org_id,
    )
    .await?;
    let saved = super::query_value(&super::query_pairs(&uri), "saved").is_some();
    render_election(&state, &context, &principal, election, Vec::new(), saved).await
}

/// Whether the principal may send a result up: amend elections, and write at all.
fn may_amend(principal: &Principal) -> bool {
    !matches!(
        principal.allows(Area::Elections, Action::Amend),
        Access::Denied | Access::Own
    ) && principal.can_write()
}

/// The upper organization's decision is recorded by its staff (or an administrator), never by
/// the branch whose result it is.
fn may_decide(principal: &Principal) -> bool {
    may_amend(principal) && matches!(principal.role, Role::Administrator | Role::CommitteeStaff)
}

async fn render_election(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    election: Stored<ElectionRecord>,
    errors: Vec<String>,
    saved: bool,
) -> Result<Response, PageError> {
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let branch = branch_of(state, context, election.body.org_id).await?;
    let names: HashMap<MemberId, String> = member_names(state, election.body.org_id)
        .await
        .map_err(storage)?;
    let name = |id: &MemberId| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let standing = election
        .body
        .standing()
        .map_err(|errors| context.error(Failure::Internal(format!("{errors:?}"))))?;
    let rounds = standing
        .rounds
        .iter()
        .enumerate()
        .map(|(index, round)| round_view(context, index, round, &name))
        .collect();
    let mut chrome = context.chrome(context.tr().election_title);
    if saved && errors.is_empty() {
        chrome.notice = Some(context.tr().election_saved.to_string());
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ElectionPage {
        chrome,
        branch_id: election.body.org_id,
        branch_name: branch.body.name,
        held_on: lang.date(election.body.held_on),
        meeting_id: election.body.meeting_id.0,
        seats: standing.seats,
        expected: election.body.entitled.len(),
        rounds,
        elected: standing.elected.iter().map(name).collect(),
        complete: standing.complete,
        secretary: election
            .body
            .secretary
            .as_ref()
            .map(name)
            .unwrap_or_default(),
        deputy: election
            .body
            .deputy_secretary
            .as_ref()
            .map(name)
            .unwrap_or_default(),
        report: report_status(lang, &election.body),
        election_id: election.id,
        version: election.version,
        choices: standing
            .elected
            .iter()
            .map(|id| Choice {
                id: id.0,
                name: name(id),
            })
            .collect(),
        chosen_secretary: election.body.secretary.map_or(0, |id| id.0),
        chosen_deputy: election.body.deputy_secretary.map_or(0, |id| id.0),
        may_report: standing.complete && election.body.approval.is_none() && may_amend(principal),
        may_approve: election.body.reported_on.is_some()
            && election.body.approval.is_none()
            && may_decide(principal),
        today: (state.today)().format("%Y-%m-%d").to_string(),
        errors,
    };
    Ok(html(status, &page))
}

fn parse_date(
    fields: &[(String, String)],
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(field(fields, name).trim(), "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            errors.push(FieldError::new(
                name,
                "invalid_date",
                "请按“年-月-日”填写日期",
                "enter the date as YYYY-MM-DD",
            ));
            None
        }
    }
}

/// `POST /elections/{id}/report`: the branch records that the complete result was sent up, naming
/// the secretary and deputy (`step=report`); committee staff record the upper organization's
/// decision (`step=approval`). Either is an amendment of the election record with a reason;
/// nothing is written unless the whole record still stands.
pub async fn report_election(
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
    let election = state
        .repository
        .get::<ElectionRecord>(ElectionId(parse_id(&context, &id)?))
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    guard(
        &state,
        &context,
        &principal,
        Area::Elections,
        Action::Amend,
        election.body.org_id,
    )
    .await?;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut body = election.body.clone();
    let member = |name: &str| -> Option<MemberId> {
        field(&fields, name)
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|id| *id != 0)
            .map(MemberId)
    };
    match field(&fields, "step") {
        "report" => {
            body.reported_on = parse_date(&fields, "reported_on", &mut errors);
            body.secretary = member("secretary");
            body.deputy_secretary = member("deputy_secretary");
            if body.secretary.is_none() {
                errors.push(FieldError::new(
                    "secretary",
                    "required",
                    "请选择书记人选",
                    "choose the secretary",
                ));
            }
        }
        "approval" => {
            if !may_decide(&principal) {
                return Err(context.error(Failure::Forbidden));
            }
            let approved = match field(&fields, "approved") {
                "yes" => Some(true),
                "no" => Some(false),
                _ => {
                    errors.push(FieldError::new(
                        "approved",
                        "required",
                        "请选择批准或不批准",
                        "choose approved or not approved",
                    ));
                    None
                }
            };
            let decided_on = parse_date(&fields, "decided_on", &mut errors);
            if let (Some(approved), Some(decided_on)) = (approved, decided_on) {
                body.approval = Some(Approval {
                    decided_on,
                    approved,
                });
            }
        }
        _ => errors.push(FieldError::new(
            "step",
            "required",
            "请选择记录上报还是记录批复",
            "choose whether to record the report or the decision",
        )),
    }
    let reason = field(&fields, "reason").trim().to_string();
    if reason.is_empty() {
        errors.push(FieldError::new(
            "reason",
            "required",
            "修改记录须写明原因",
            "a change to a record needs a reason",
        ));
    }
    let version = field(&fields, "version")
        .trim()
        .parse::<i32>()
        .unwrap_or(election.version);
    let describe = |error: &FieldError| describe_error(&context, error);
    if !errors.is_empty() {
        let messages = errors.iter().map(describe).collect();
        return render_election(&state, &context, &principal, election, messages, false).await;
    }
    let meta = ChangeMeta::because(&principal.login, &reason);
    match state
        .repository
        .amend(ElectionId(election.id), version, body, &meta)
        .await
    {
        Ok(saved) => {
            let path = state
                .repository
                .org_path(saved.body.org_id)
                .await
                .map_err(|error| PageError::storage(lang, error))?;
            super::audit_change(
                &state,
                &principal,
                "amend",
                RecordKind::Election.as_str(),
                saved.id,
                &path,
                serde_json::json!({ "step": field(&fields, "step"), "reason": reason }),
            )
            .await;
            Ok(see_other(&format!("/elections/{}?saved=1", saved.id)))
        }
        Err(StorageError::Invalid(invalid)) => {
            let messages = invalid.errors.iter().map(describe).collect();
            render_election(&state, &context, &principal, election, messages, false).await
        }
        Err(StorageError::StaleVersion { .. }) => {
            let messages = vec![
                lang.pick(
                    "这条记录已被他人修改：请重新打开本页后再提交。",
                    "Someone else changed this record meanwhile: open the page again and resubmit.",
                )
                .to_string(),
            ];
            render_election(&state, &context, &principal, election, messages, false).await
        }
        Err(other) => Err(PageError::storage(lang, other)),
    }
}

/// A refusal as the page lists it: where (the round and the field in words, then the field as
/// the record names it) and the message, which names the rule where one applies.
fn describe_error(context: &PageContext, error: &FieldError) -> String {
    let lang = context.lang;
    format!(
        "{}{}{}",
        field_label(lang, &error.field),
        context.tr().colon,
        lang.field_message(error)
    )
}

fn field_label(lang: Lang, field: &str) -> String {
    let (round, rest) = match field
        .strip_prefix("rounds[")
        .and_then(|rest| rest.split_once("]."))
    {
        Some((number, rest)) => (number.parse::<usize>().ok(), rest),
        None => (None, field),
    };
    let words = [
        ("ballots_issued", "发出选票", "ballots issued"),
        ("ballots.returned", "收回选票", "ballots returned"),
        ("ballots.void", "废票", "void ballots"),
        ("ballots.candidates", "赞成票", "yes votes"),
        ("ballots.seats", "应选人数", "seats"),
        ("yes", "赞成票", "yes votes"),
        ("present", "实到", "present"),
        ("candidates", "候选人", "candidates"),
        ("seats_reduced_with_consent", "减少名额", "reduced seats"),
        ("seats", "应选人数", "seats"),
        ("secretary", "书记", "secretary"),
        ("deputy_secretary", "副书记", "deputy secretary"),
        ("reported_on", "上报日期", "sent up on"),
        ("approval", "上级批复", "the upper decision"),
        ("decided_on", "批复日期", "decided on"),
        ("approved", "上级批复", "the upper decision"),
        ("meeting_id", "党员大会", "general meeting"),
        ("entitled", "应到会名单", "members expected"),
        ("reason", "修改原因", "reason"),
        ("rounds", "轮次", "rounds"),
        ("step", "步骤", "step"),
    ]
    .iter()
    .find(|(prefix, _, _)| rest.starts_with(prefix))
    .map(|(_, zh, en)| lang.pick(zh, en).to_string())
    .unwrap_or_default();
    let round = round.map(|index| match lang {
        Lang::Zh => format!("第{}轮 · ", index + 1),
        Lang::En => format!("Round {} · ", index + 1),
    });
    match lang {
        Lang::Zh => format!("{}{words}（{field}）", round.unwrap_or_default()),
        Lang::En => format!("{}{words} ({field})", round.unwrap_or_default()),
    }
}

// ---------------------------------------------------------------------------------------------
// Recording an election at the general meeting (issue 5 §4). The form asks for what is counted
// there — the seats, who was present, the candidates, ballots issued, returned and void and each
// candidate's yes votes — round by round; expected voters come from the roster on the meeting's
// day exactly as the vote pages freeze them (`VoteEntitlement::freeze_in_branch`). Quorum,
// winners, ties, too few winners and the next step are the core's (`ElectionRecord::standing`);
// the page only shows them. "Count" shows the result and, if another round is due, adds it to
// the form prefilled; "Save" writes the election once, when every seat is filled.
// ---------------------------------------------------------------------------------------------

/// The branch's voting members at one of its general meetings.
struct Roster {
    meeting: Stored<Meeting>,
    entitlement: VoteEntitlement,
    names: HashMap<MemberId, String>,
    /// Members of the branch that day without a vote, with why.
    excluded: Vec<String>,
}

/// The roster at `meeting_id`, or `None` when it is not a general meeting of `branch`.
async fn roster_at(
    state: &AppState,
    context: &PageContext,
    branch: OrgId,
    meeting_id: i64,
) -> Result<Option<Roster>, PageError> {
    let lang = context.lang;
    let meeting = match state.repository.get::<Meeting>(MeetingId(meeting_id)).await {
        Ok(meeting) => meeting,
        Err(StorageError::NotFound { .. } | StorageError::Deleted { .. }) => return Ok(None),
        Err(other) => return Err(PageError::storage(lang, other)),
    };
    if meeting.body.org_id != branch || !meeting.body.is_kind(MeetingKind::GeneralMeeting) {
        return Ok(None);
    }
    let date = meeting.body.held_on;
    let members = list_all::<Member>(&state.repository, branch, None, None)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let roster: Vec<(MemberId, &Member)> = members
        .iter()
        .map(|stored| (MemberId(stored.id), &stored.body))
        .collect();
    let entitlement = VoteEntitlement::freeze_in_branch(&roster, branch, date);
    let tr = context.tr();
    let excluded = roster
        .iter()
        .filter(|(id, member)| member.branch_on(date) == Some(branch) && !entitlement.may_vote(*id))
        .map(|(_, member)| {
            format!(
                "{}{}{}{}",
                member.name,
                tr.lparen,
                member
                    .status_on(date)
                    .map(|status| lang.member_status(status))
                    .unwrap_or_default(),
                tr.rparen
            )
        })
        .collect();
    let names = members
        .iter()
        .map(|stored| (MemberId(stored.id), stored.body.name.clone()))
        .collect();
    Ok(Some(Roster {
        meeting,
        entitlement,
        names,
        excluded,
    }))
}

impl Roster {
    fn name(&self, id: &MemberId) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// Those with a vote who are recorded as present at the meeting.
    fn present_at_meeting(&self) -> BTreeSet<MemberId> {
        self.meeting
            .body
            .present()
            .filter(|id| self.entitlement.may_vote(*id))
            .collect()
    }
}

/// One round as typed into the form, kept as typed so that a refused form comes back intact.
#[derive(Clone, Default)]
struct RoundInput {
    seats: String,
    present: BTreeSet<MemberId>,
    candidates: BTreeSet<MemberId>,
    issued: String,
    returned: String,
    void: String,
    yes: HashMap<MemberId, String>,
    /// 反对票 and 弃权票 per candidate: they decide nothing (a candidate wins on yes votes), so
    /// they may be left blank when the tellers did not count them, and are then stored as 0.
    no: HashMap<MemberId, String>,
    abstain: HashMap<MemberId, String>,
}

impl RoundInput {
    /// A further round added to the form but not filled in: it was not held.
    fn is_blank(&self) -> bool {
        self.issued.trim().is_empty()
            && self.returned.trim().is_empty()
            && self.void.trim().is_empty()
            && self.yes.values().all(|value| value.trim().is_empty())
            && self.no.values().all(|value| value.trim().is_empty())
            && self.abstain.values().all(|value| value.trim().is_empty())
    }
}

/// Checked member ids of a checkbox group; a value that is not an id is refused by name.
fn checked(
    fields: &[(String, String)],
    name: &str,
    record_field: &str,
    errors: &mut Vec<FieldError>,
) -> BTreeSet<MemberId> {
    let mut ids = BTreeSet::new();
    for (_, value) in fields.iter().filter(|(key, _)| key == name) {
        match value.trim().parse::<i64>() {
            Ok(id) => {
                ids.insert(MemberId(id));
            }
            Err(_) => errors.push(FieldError::new(
                record_field,
                "invalid",
                format!("“{value}”不是党员编号"),
                format!("“{value}” is not a member id"),
            )),
        }
    }
    ids
}

/// The rounds on the form; further rounds left blank are dropped.
fn read_rounds(
    fields: &[(String, String)],
    roster: &Roster,
    errors: &mut Vec<FieldError>,
) -> Vec<RoundInput> {
    let count = field(fields, "rounds")
        .trim()
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, 20);
    let mut rounds = Vec::new();
    for index in 0..count {
        let prefix = format!("r{}", index + 1);
        let record = format!("rounds[{index}]");
        let input = RoundInput {
            seats: if index == 0 {
                field(fields, "seats").to_string()
            } else {
                field(fields, &format!("{prefix}_seats")).to_string()
            },
            present: checked(
                fields,
                &format!("{prefix}_present"),
                &format!("{record}.present"),
                errors,
            ),
            candidates: checked(
                fields,
                &format!("{prefix}_candidate"),
                &format!("{record}.candidates"),
                errors,
            ),
            issued: field(fields, &format!("{prefix}_issued")).to_string(),
            returned: field(fields, &format!("{prefix}_returned")).to_string(),
            void: field(fields, &format!("{prefix}_void")).to_string(),
            yes: per_voter(fields, roster, &format!("{prefix}_yes_")),
            no: per_voter(fields, roster, &format!("{prefix}_no_")),
            abstain: per_voter(fields, roster, &format!("{prefix}_abstain_")),
        };
        if index > 0 && input.is_blank() {
            continue;
        }
        rounds.push(input);
    }
    rounds
}

/// What was typed for each voter under `{prefix}{member id}`.
fn per_voter(
    fields: &[(String, String)],
    roster: &Roster,
    prefix: &str,
) -> HashMap<MemberId, String> {
    roster
        .entitlement
        .voters()
        .map(|id| (id, field(fields, &format!("{prefix}{}", id.0)).to_string()))
        .collect()
}

/// A whole number typed into the form: blank is refused when `required`, otherwise zero.
fn whole(text: &str, record_field: &str, required: bool, errors: &mut Vec<FieldError>) -> u32 {
    let text = text.trim();
    if text.is_empty() {
        if required {
            errors.push(FieldError::new(
                record_field,
                "required",
                "请填写此项",
                "this is required",
            ));
        }
        return 0;
    }
    match text.parse::<u32>() {
        Ok(value) => value,
        Err(_) => {
            errors.push(FieldError::new(
                record_field,
                "invalid",
                format!("“{text}”不是非负整数"),
                format!("“{text}” is not a whole number, zero or more"),
            ));
            0
        }
    }
}

/// The election record the form describes, or every field it got wrong.
fn build_record(
    inputs: &[RoundInput],
    roster: &Roster,
    form: LeadershipForm,
    previous_term: Option<CommitteeTermId>,
    mut errors: Vec<FieldError>,
) -> Result<ElectionRecord, Vec<FieldError>> {
    let mut rounds = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let record = format!("rounds[{index}]");
        let seats_field = if index == 0 {
            "seats".to_string()
        } else {
            format!("{record}.seats")
        };
        let seats = whole(&input.seats, &seats_field, true, &mut errors);
        let ballots_issued = whole(
            &input.issued,
            &format!("{record}.ballots_issued"),
            true,
            &mut errors,
        );
        let returned = whole(
            &input.returned,
            &format!("{record}.ballots.returned"),
            true,
            &mut errors,
        );
        let void = whole(
            &input.void,
            &format!("{record}.ballots.void"),
            false,
            &mut errors,
        );
        let mut candidates = Vec::new();
        for candidate in &input.candidates {
            let text = input.yes.get(candidate).map_or("", String::as_str);
            let yes = whole(
                text,
                &format!("{record}.yes[{}]", candidate.0),
                true,
                &mut errors,
            );
            let no = whole(
                input.no.get(candidate).map_or("", String::as_str),
                &format!("{record}.no[{}]", candidate.0),
                false,
                &mut errors,
            );
            let abstain = whole(
                input.abstain.get(candidate).map_or("", String::as_str),
                &format!("{record}.abstain[{}]", candidate.0),
                false,
                &mut errors,
            );
            candidates.push(CandidateTally {
                candidate: *candidate,
                tally: Tally { yes, no, abstain },
            });
        }
        let typed = input
            .yes
            .iter()
            .map(|(member, text)| ("yes", member, text))
            .chain(input.no.iter().map(|(member, text)| ("no", member, text)))
            .chain(
                input
                    .abstain
                    .iter()
                    .map(|(member, text)| ("abstain", member, text)),
            );
        for (column, member, text) in typed {
            if !input.candidates.contains(member) && !text.trim().is_empty() {
                let name = roster.name(member);
                errors.push(FieldError::new(
                    format!("{record}.{column}[{}]", member.0),
                    "not_a_candidate",
                    format!("{name}没有勾选为本轮候选人，不能计票"),
                    format!(
                        "{name} is not ticked as a candidate in this round and cannot receive votes"
                    ),
                ));
            }
        }
        rounds.push(ElectionRoundRecord {
            seats,
            candidates: input.candidates.iter().copied().collect(),
            present: input.present.iter().copied().collect(),
            ballots_issued,
            ballots: ElectionTally {
                seats,
                returned,
                void,
                candidates,
            },
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ElectionRecord {
        org_id: roster.meeting.body.org_id,
        meeting_id: MeetingId(roster.meeting.id),
        held_on: roster.meeting.body.held_on,
        previous_term,
        form,
        seats: rounds.first().map_or(0, |round| round.seats),
        entitled: roster.entitlement.voters().collect(),
        rounds,
        seats_reduced_with_consent: None,
        secretary: None,
        deputy_secretary: None,
        reported_on: None,
        approval: None,
    })
}

struct MeetingChoice {
    href: String,
    label: String,
}

struct RowForm {
    id: i64,
    name: String,
    present: bool,
    candidate: bool,
    /// Offered as a candidate in this round: everyone in the formal round, and in a further
    /// round those who stood in the one before.
    offered: bool,
    yes: String,
    no: String,
    abstain: String,
}

struct RoundForm {
    number: usize,
    prefix: String,
    title: String,
    first: bool,
    note: String,
    seats: String,
    issued: String,
    returned: String,
    void: String,
    rows: Vec<RowForm>,
    result: Option<RoundView>,
}

struct Summary {
    complete: bool,
    filled: String,
    elected: String,
    next: String,
}

#[derive(askama::Template)]
#[template(path = "election_new.html")]
struct NewElectionPage {
    chrome: Chrome,
    branch_id: i64,
    branch_name: String,
    errors: Vec<String>,
    chosen: bool,
    meetings: Vec<MeetingChoice>,
    meeting_id: i64,
    held_on: String,
    expected: usize,
    excluded: Vec<String>,
    quorum_hint: String,
    minimum_hint: String,
    form_committee: bool,
    seats: String,
    rounds: Vec<RoundForm>,
    summary: Option<Summary>,
    offer_reduce: bool,
    reduce: bool,
}

/// How many candidates the seats need, from the core's rule, for a few seat counts and for the
/// seats typed in.
fn minimum_hint(lang: Lang, seats: &str) -> String {
    let (cite_zh, cite_en) = cite("ELECT.DIFFERENTIAL_20PCT");
    let table: Vec<String> = [1, 2, 3, 4, 5, 7, 9]
        .iter()
        .map(|seats| format!("{seats}→{}", minimum_candidates(*seats)))
        .collect();
    let chosen = seats
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|seats| *seats > 0)
        .map(|seats| match lang {
            Lang::Zh => format!("应选{seats}名，候选人至少{}名。", minimum_candidates(seats)),
            Lang::En => format!(
                "{seats} seat(s) need at least {} candidates. ",
                minimum_candidates(seats)
            ),
        })
        .unwrap_or_default();
    match lang {
        Lang::Zh => format!(
            "{chosen}差额选举：候选人数至少为应选人数加20%（进位取整）：{}{cite_zh}",
            table.join("，")
        ),
        Lang::En => format!(
            "{chosen}Candidates must exceed the seats by at least 20%, rounded up: {} {cite_en}",
            table.join(", ")
        ),
    }
}

/// The fewest present that makes a round valid, found with the core's ratio.
fn quorum_hint(lang: Lang, expected: usize) -> String {
    let expected = expected as u64;
    let (quorum_zh, quorum_en) = cite("ELECT.QUORUM_4_5");
    let (win_zh, win_en) = cite("ELECT.WIN_THRESHOLD");
    let fewest = (0..=expected).find(|present| MORE_THAN_FOUR_FIFTHS.is_met(*present, expected));
    match (lang, fewest) {
        (Lang::Zh, Some(fewest)) => format!(
            "实到有选举权的党员须超过应到人数的4/5，即至少{fewest}人，选举有效{quorum_zh}；候选人获得的赞成票须超过实到人数的一半，始得当选{win_zh}。"
        ),
        (Lang::En, Some(fewest)) => format!(
            "More than 4/5 of those expected must be present, at least {fewest}, for the election to be valid {quorum_en}; a candidate is elected with yes votes from more than half of those present {win_en}."
        ),
        (Lang::Zh, None) => format!("没有有选举权的党员，不能进行选举{quorum_zh}"),
        (Lang::En, None) => format!("No member has a vote, so no election can be held {quorum_en}"),
    }
}

/// The branch's general meetings, newest first, to choose the one that held the election.
async fn render_choose(
    state: &AppState,
    context: &PageContext,
    branch: &Stored<Org>,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let lang = context.lang;
    let mut meetings: Vec<_> = list_all::<Meeting>(&state.repository, OrgId(branch.id), None, None)
        .await
        .map_err(|error| PageError::storage(lang, error))?
        .into_iter()
        .filter(|meeting| {
            meeting.body.org_id.0 == branch.id && meeting.body.is_kind(MeetingKind::GeneralMeeting)
        })
        .collect();
    meetings.sort_by_key(|meeting| std::cmp::Reverse(meeting.body.held_on));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = NewElectionPage {
        chrome: context.chrome(context.tr().election_new_title),
        branch_id: branch.id,
        branch_name: branch.body.name.clone(),
        errors,
        chosen: false,
        meetings: meetings
            .iter()
            .map(|meeting| MeetingChoice {
                href: format!(
                    "/branches/{}/elections/new?meeting={}",
                    branch.id, meeting.id
                ),
                label: format!(
                    "{}{}{}",
                    lang.date(meeting.body.held_on),
                    context.tr().comma,
                    meeting.body.topics.join(lang.pick("；", "; "))
                ),
            })
            .collect(),
        meeting_id: 0,
        held_on: String::new(),
        expected: 0,
        excluded: Vec::new(),
        quorum_hint: String::new(),
        minimum_hint: String::new(),
        form_committee: true,
        seats: String::new(),
        rounds: Vec::new(),
        summary: None,
        offer_reduce: false,
        reduce: false,
    };
    Ok(html(status, &page))
}

/// What the form holds besides its rounds.
struct FormState {
    form_committee: bool,
    reduce: bool,
}

/// The form with what was typed, each counted round's result and, when the last round calls for
/// another, that round added and prefilled.
#[allow(clippy::too_many_arguments)]
fn render_form(
    context: &PageContext,
    branch: &Stored<Org>,
    roster: &Roster,
    inputs: &[RoundInput],
    state: &FormState,
    standing: Option<&ElectionStanding>,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let lang = context.lang;
    let name = |id: &MemberId| roster.name(id);
    let mut inputs: Vec<RoundInput> = inputs.to_vec();
    let mut notes: Vec<String> = vec![String::new(); inputs.len()];
    let mut offer_reduce = state.reduce;
    if let Some(standing) = standing
        && standing.rounds.len() == inputs.len()
        && let Some(last) = inputs.last().cloned()
    {
        let next_round = match &standing.next {
            Some(ElectionNextStep::RepeatRound) => {
                Some((last.seats.clone(), last.candidates.clone()))
            }
            Some(ElectionNextStep::AnotherRoundAmongTied { seats_left, tied }) => {
                Some((seats_left.to_string(), tied.iter().copied().collect()))
            }
            Some(ElectionNextStep::AnotherRoundOrFewerSeatsWithConsent {
                seats_left,
                remaining_candidates,
            }) => {
                offer_reduce = true;
                (!state.reduce).then(|| {
                    (
                        seats_left.to_string(),
                        remaining_candidates.iter().copied().collect(),
                    )
                })
            }
            Some(ElectionNextStep::Complete) | None => None,
        };
        if let Some((seats, candidates)) = next_round {
            notes.push(next_text(lang, standing.next.as_ref(), &name));
            inputs.push(RoundInput {
                seats,
                candidates,
                present: last.present.clone(),
                ..RoundInput::default()
            });
        }
    }
    let rounds = inputs
        .iter()
        .enumerate()
        .map(|(index, input)| RoundForm {
            number: index + 1,
            prefix: format!("r{}", index + 1),
            title: context
                .tr()
                .election_round
                .replace("{}", &(index + 1).to_string()),
            first: index == 0,
            note: notes.get(index).cloned().unwrap_or_default(),
            seats: input.seats.clone(),
            issued: input.issued.clone(),
            returned: input.returned.clone(),
            void: input.void.clone(),
            rows: roster
                .entitlement
                .voters()
                .map(|id| RowForm {
                    id: id.0,
                    name: roster.name(&id),
                    present: input.present.contains(&id),
                    candidate: input.candidates.contains(&id),
                    offered: index == 0
                        || input.candidates.contains(&id)
                        || inputs[index - 1].candidates.contains(&id),
                    yes: input.yes.get(&id).cloned().unwrap_or_default(),
                    no: input.no.get(&id).cloned().unwrap_or_default(),
                    abstain: input.abstain.get(&id).cloned().unwrap_or_default(),
                })
                .collect(),
            result: standing
                .and_then(|standing| standing.rounds.get(index))
                .map(|round| round_view(context, index, round, &name)),
        })
        .collect();
    let summary = standing.map(|standing| Summary {
        complete: standing.complete,
        filled: format!(
            "{} {} / {}",
            context.tr().col_elected,
            standing.elected.len(),
            standing.seats
        ),
        elected: standing
            .elected
            .iter()
            .map(name)
            .collect::<Vec<_>>()
            .join(lang.pick("、", ", ")),
        next: if standing.complete {
            lang.pick(
                "名额已选满：可以保存选举记录，再上报上级党组织审批。",
                "Every seat is filled: save the election, then send it up for approval.",
            )
            .to_string()
        } else {
            next_text(lang, standing.next.as_ref(), &name)
        },
    });
    let seats = inputs
        .first()
        .map(|round| round.seats.clone())
        .unwrap_or_default();
    let page = NewElectionPage {
        chrome: context.chrome(context.tr().election_new_title),
        branch_id: branch.id,
        branch_name: branch.body.name.clone(),
        errors,
        chosen: true,
        meetings: Vec::new(),
        meeting_id: roster.meeting.id,
        held_on: lang.date(roster.meeting.body.held_on),
        expected: roster.entitlement.voters().count(),
        excluded: roster.excluded.clone(),
        quorum_hint: quorum_hint(lang, roster.entitlement.voters().count()),
        minimum_hint: minimum_hint(lang, &seats),
        form_committee: state.form_committee,
        seats,
        rounds,
        summary,
        offer_reduce,
        reduce: state.reduce,
    };
    html(status, &page)
}

/// `GET /branches/{id}/elections/new[?meeting=]`: choose the general meeting, then the form with
/// the expected voters worked out from the roster on its day and those present ticked from its
/// attendance.
pub async fn new_election(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let branch_id = OrgId(parse_id(&context, &id)?);
    guard(
        &state,
        &context,
        &principal,
        Area::Elections,
        Action::Create,
        branch_id,
    )
    .await?;
    let branch = branch_of(&state, &context, branch_id).await?;
    let query = super::query_pairs(&uri);
    let Some(meeting) = super::query_value(&query, "meeting").filter(|text| !text.is_empty())
    else {
        return render_choose(&state, &context, &branch, Vec::new()).await;
    };
    let meeting = parse_id(&context, meeting)?;
    let roster = roster_at(&state, &context, branch_id, meeting)
        .await?
        .ok_or_else(|| context.error(Failure::NotFound))?;
    let first = RoundInput {
        present: roster.present_at_meeting(),
        ..RoundInput::default()
    };
    let form = FormState {
        form_committee: true,
        reduce: false,
    };
    Ok(render_form(
        &context,
        &branch,
        &roster,
        &[first],
        &form,
        None,
        Vec::new(),
        StatusCode::OK,
    ))
}

/// The branch's latest committee term elected before `day`: the term this election renews.
async fn term_renewed(
    state: &AppState,
    context: &PageContext,
    branch: OrgId,
    day: NaiveDate,
) -> Result<Option<CommitteeTermId>, PageError> {
    Ok(
        list_all::<CommitteeTerm>(&state.repository, branch, None, None)
            .await
            .map_err(|error| PageError::storage(context.lang, error))?
            .into_iter()
            .filter(|term| term.body.org_id == branch && term.body.elected_on < day)
            .max_by_key(|term| (term.body.elected_on, term.id))
            .map(|term| CommitteeTermId(term.id)),
    )
}

/// `POST /branches/{id}/elections/new`: `action=count` shows the result so far and adds the next
/// round when one is due; `action=save` writes the election when every seat is filled. Anything
/// refused comes back with the field and rule named, and nothing is written.
pub async fn record_election(
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
    let branch_id = OrgId(parse_id(&context, &id)?);
    guard(
        &state,
        &context,
        &principal,
        Area::Elections,
        Action::Create,
        branch_id,
    )
    .await?;
    let branch = branch_of(&state, &context, branch_id).await?;
    let describe = |error: &FieldError| describe_error(&context, error);
    let roster = match field(&fields, "meeting").trim().parse::<i64>() {
        Ok(meeting) => roster_at(&state, &context, branch_id, meeting).await?,
        Err(_) => None,
    };
    let Some(roster) = roster else {
        let error = FieldError::new(
            "meeting_id",
            "unknown_meeting",
            "请选择本支部召开选举的党员大会",
            "choose the general meeting of this branch that held the election",
        );
        return render_choose(&state, &context, &branch, vec![describe(&error)]).await;
    };
    let form = FormState {
        form_committee: field(&fields, "form") != "secretary_only",
        reduce: field(&fields, "reduce_seats") == "1",
    };
    let mut errors = Vec::new();
    let inputs = read_rounds(&fields, &roster, &mut errors);
    let refuse = |errors: Vec<String>, standing: Option<&ElectionStanding>| {
        render_form(
            &context,
            &branch,
            &roster,
            &inputs,
            &form,
            standing,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let previous_term =
        term_renewed(&state, &context, branch_id, roster.meeting.body.held_on).await?;
    let leadership = if form.form_committee {
        LeadershipForm::Committee
    } else {
        LeadershipForm::SecretaryOnly
    };
    let mut record = match build_record(&inputs, &roster, leadership, previous_term, errors) {
        Ok(record) => record,
        Err(errors) => return Ok(refuse(errors.iter().map(describe).collect(), None)),
    };
    let mut standing = match record.standing() {
        Ok(standing) => standing,
        Err(errors) => return Ok(refuse(errors.errors.iter().map(describe).collect(), None)),
    };
    if form.reduce {
        record.seats_reduced_with_consent =
            Some(u32::try_from(standing.elected.len()).unwrap_or(u32::MAX));
        standing = match record.standing() {
            Ok(standing) => standing,
            Err(errors) => {
                return Ok(refuse(
                    errors.errors.iter().map(describe).collect(),
                    Some(&standing),
                ));
            }
        };
    }
    if field(&fields, "action") != "save" {
        return Ok(render_form(
            &context,
            &branch,
            &roster,
            &inputs,
            &form,
            Some(&standing),
            Vec::new(),
            StatusCode::OK,
        ));
    }
    if !standing.complete {
        // Not written: the meeting has more to do. Say why, with the rule, and what comes next.
        let name = |id: &MemberId| roster.name(id);
        let mut messages: Vec<String> = Vec::new();
        if let Some((index, last)) = standing.rounds.iter().enumerate().next_back() {
            for reason in &last.outcome.void_reasons {
                let mut reason = reason.clone();
                reason.field = format!("rounds[{index}].{}", reason.field);
                messages.push(describe(&reason));
            }
        }
        let incomplete = FieldError::new(
            "rounds",
            "election_incomplete",
            format!(
                "名额尚未选满，不能保存：{}",
                next_text(Lang::Zh, standing.next.as_ref(), &name)
            ),
            format!(
                "not every seat is filled, so the election cannot be saved: {}",
                next_text(Lang::En, standing.next.as_ref(), &name)
            ),
        );
        messages.push(describe(&incomplete));
        return Ok(refuse(messages, Some(&standing)));
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
            super::audit_change(
                &state,
                &principal,
                "create",
                RecordKind::Election.as_str(),
                saved.id,
                &path,
                serde_json::json!({ "meeting_id": saved.body.meeting_id, "rounds": saved.body.rounds.len() }),
            )
            .await;
            Ok(see_other(&format!("/elections/{}?saved=1", saved.id)))
        }
        Err(StorageError::Invalid(invalid)) => Ok(refuse(
            invalid.errors.iter().map(describe).collect(),
            Some(&standing),
        )),
        Err(other) => Err(PageError::storage(lang, other)),
    }
}
