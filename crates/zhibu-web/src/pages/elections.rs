//! Election pages (issue 5): `/branches/{id}/elections` lists the branch's committee terms with
//! their end and a reminder from six months before (BRANCH.COMMITTEE.TERM_EXPIRY), and its
//! elections; `/elections/{id}` shows an election round by round — candidates, the quorum and the
//! threshold to win worked out, who was elected, what comes next — and whether the result was sent
//! up for approval of the secretary and deputy.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use zhibu_core::calendar::add_months;
use zhibu_core::vote_records::{ElectionId, ElectionRecord};
use zhibu_core::voting::{ElectionNextStep, MORE_THAN_FOUR_FIFTHS, cite};
use zhibu_core::{CommitteeTerm, MemberId, OrgId};

use super::admissions::{branch_of, guard, member_names};
use super::i18n::Lang;
use super::workspace::list_all;
use super::{Chrome, Failure, PageContext, PageError, html, parse_id};
use crate::AppState;
use crate::auth::{Action, Area, Principal};

struct TermRow {
    elected_on: String,
    ends_on: String,
    reminder: String,
    overdue: bool,
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
    let storage = |error| PageError::storage(lang, error);
    let election = state
        .repository
        .get::<ElectionRecord>(ElectionId(parse_id(&context, &id)?))
        .await
        .map_err(storage)?;
    guard(
        &state,
        &context,
        &principal,
        Area::Elections,
        Action::Read,
        election.body.org_id,
    )
    .await?;
    let branch = branch_of(&state, &context, election.body.org_id).await?;
    let names: HashMap<MemberId, String> = member_names(&state, election.body.org_id)
        .await
        .map_err(storage)?;
    let name = |id: &MemberId| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let standing = election
        .body
        .standing()
        .map_err(|errors| context.error(Failure::Internal(format!("{errors:?}"))))?;
    let (quorum_zh, quorum_en) = cite("ELECT.QUORUM_4_5");
    let (win_zh, win_en) = cite("ELECT.WIN_THRESHOLD");
    let rounds = standing
        .rounds
        .iter()
        .enumerate()
        .map(|(index, round)| {
            let four_fifths = f64::from(round.expected) * 0.8;
            let quorum_met = MORE_THAN_FOUR_FIFTHS.is_met(u64::from(round.present), u64::from(round.expected));
            let half = f64::from(round.present) / 2.0;
            RoundView {
                title: context.tr().election_round.replace("{}", &(index + 1).to_string()),
                quorum: match lang {
                    Lang::Zh => format!(
                        "应到会有选举权的党员{}人，实到{}人：须超过{} × 4/5 = {four_fifths}；{} > {four_fifths}？{}{quorum_zh}",
                        round.expected, round.present, round.expected, round.present,
                        if quorum_met { "满足，选举有效" } else { "不满足，选举无效" }
                    ),
                    Lang::En => format!(
                        "{} expected, {} present: must be more than {} × 4/5 = {four_fifths}; {} > {four_fifths}? {} {quorum_en}",
                        round.expected, round.present, round.expected, round.present,
                        if quorum_met { "met, the election is valid" } else { "not met, the election is void" }
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
                                result.yes, round.present,
                                if result.reached_threshold { "超过半数" } else { "未超过半数" }
                            ),
                            Lang::En => format!(
                                "{} > {} ÷ 2 = {half}? {} {win_en}",
                                result.yes, round.present,
                                if result.reached_threshold { "more than half" } else { "not more than half" }
                            ),
                        },
                        elected: result.elected,
                    })
                    .collect(),
                next: next_text(lang, Some(&round.outcome.next), &name),
            }
        })
        .collect();
    let page = ElectionPage {
        chrome: context.chrome(context.tr().election_title),
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
    };
    Ok(html(StatusCode::OK, &page))
}
