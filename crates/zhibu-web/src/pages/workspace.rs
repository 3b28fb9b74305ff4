//! `/branches/{id}`: the branch workspace. What is due this month with a countdown, the open
//! findings with their articles and evidence, the year's calendar of duties drawn from the rules,
//! and the year's meetings.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use zhibu_core::calendar::{Period, PeriodLength};
use zhibu_core::engine::{Finding, FindingStatus};
use zhibu_core::rules::{CheckParameters, RuleDefinition};
use zhibu_core::{HeartToHeartTalk, Meeting, MeetingKind, Org, OrgId, OrgLevel, Stored};
use zhibu_storage::{ListRequest, Repository, StorageError};

use super::evaluation::{Evaluation, FindingsCache, year_end, year_start};
use super::findings_view::FindingView;
use super::i18n::Lang;
use super::{
    Chrome, Failure, PageContext, PageError, html, parse_id, parse_year, query_pairs, query_value,
    see_other,
};
use crate::AppState;
use crate::auth::{Access, Action, Area, Principal};

#[derive(askama::Template)]
#[template(path = "workspace.html")]
struct WorkspacePage {
    chrome: Chrome,
    branch_id: OrgId,
    branch_name: String,
    parent_name: String,
    year: i32,
    next_year: Option<i32>,
    can_record: bool,
    due: Vec<DueItem>,
    findings: Vec<FindingView>,
    open_evidence: bool,
    calendar_months: Vec<String>,
    calendar: Vec<CalendarRow>,
    meetings: Vec<MeetingRow>,
    /// Upcoming planned meetings (issue 7), and whether the principal may plan one.
    can_plan: bool,
    plans: Vec<super::meeting_plans::PlanRow>,
}

struct DueItem {
    title: String,
    message: String,
    due_on: String,
    countdown: String,
}

struct CalendarRow {
    duty: String,
    /// The rule's own title, as a tooltip.
    title: String,
    cells: Vec<CalendarCell>,
}

struct CalendarCell {
    colspan: u32,
    class: &'static str,
    label: String,
    title: String,
}

pub struct MeetingRow {
    pub href: String,
    pub date: String,
    pub kinds: String,
    pub counts: String,
}

/// Every record of `T` in `org`'s subtree with an event date in `from..=to`, page by page.
pub async fn list_all<T: zhibu_core::Record>(
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

/// Whether the principal may open a branch's or committee's pages: findings are readable to the
/// org's officers and the staff above it, never to members (they see their own records instead).
pub async fn may_see_findings(
    state: &AppState,
    principal: &Principal,
    org: OrgId,
) -> Result<bool, StorageError> {
    Ok(
        principal.allows(Area::Findings, Action::Read) != Access::Denied
            && principal.can_see_org(&state.repository, org).await?,
    )
}

pub fn meeting_kinds_label(lang: Lang, meeting: &Meeting) -> String {
    meeting
        .kinds
        .iter()
        .map(|kind| lang.meeting_kind(*kind))
        .collect::<Vec<_>>()
        .join(lang.pick("、", ", "))
}

pub async fn workspace(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<FindingsCache>>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let branch_id = OrgId(parse_id(&context, &id)?);
    if !may_see_findings(&state, &principal, branch_id)
        .await
        .map_err(storage)?
    {
        return Err(context.error(Failure::NotFound));
    }
    let branch = state
        .repository
        .get::<Org>(branch_id)
        .await
        .map_err(storage)?;
    match branch.body.level {
        OrgLevel::Branch => {}
        OrgLevel::PartyGroup => return Err(context.error(Failure::NotFound)),
        _ => return Ok(see_other(&format!("/committees/{branch_id}"))),
    }
    let today = (state.today)();
    let query = query_pairs(&uri);
    let year = parse_year(&context, query_value(&query, "year"), today)?;
    let evaluation = cache
        .evaluation(&state.repository, branch_id, year, today)
        .await
        .map_err(storage)?;
    let meetings = list_all::<Meeting>(
        &state.repository,
        branch_id,
        Some(year_start(year)),
        Some(year_end(year)),
    )
    .await
    .map_err(storage)?;
    let talks = list_all::<HeartToHeartTalk>(
        &state.repository,
        branch_id,
        Some(year_start(year)),
        Some(year_end(year)),
    )
    .await
    .map_err(storage)?;
    let parent_name = match branch.body.parent_id {
        Some(parent) => evaluation.org_name(parent),
        None => String::new(),
    };

    let mut due: Vec<&Finding> = evaluation
        .report
        .findings
        .iter()
        .filter(|finding| finding.status == FindingStatus::ComingDue && finding.exemption.is_none())
        .collect();
    due.sort_by_key(|finding| finding.due_on);
    let due = due
        .into_iter()
        .map(|finding| {
            let due_on = finding
                .due_on
                .or(finding.period.map(|period| period.last_day))
                .unwrap_or(today);
            DueItem {
                title: lang.pick(&finding.title_zh, &finding.title_en).to_string(),
                message: lang
                    .pick(&finding.message_zh, &finding.message_en)
                    .to_string(),
                due_on: lang.date(due_on),
                countdown: lang.countdown((due_on - today).num_days()),
            }
        })
        .collect();

    let findings: Vec<FindingView> = evaluation
        .report
        .findings
        .iter()
        .filter(|finding| finding.is_open())
        .map(|finding| FindingView::new(finding, &evaluation, lang))
        .collect();

    let mut recent: Vec<&Stored<Meeting>> = meetings.iter().collect();
    recent.sort_by_key(|record| std::cmp::Reverse((record.body.held_on, record.id)));
    let meeting_rows = recent
        .into_iter()
        .map(|meeting| MeetingRow {
            href: format!("/meetings/{}", meeting.id),
            date: meeting.body.held_on.to_string(),
            kinds: meeting_kinds_label(lang, &meeting.body),
            counts: lang.attendance_counts(
                meeting.body.present().count(),
                meeting.body.attendance.len(),
            ),
        })
        .collect();

    let can_record = principal.allows(Area::Meetings, Action::Create) != Access::Denied;
    let plans = super::meeting_plans::upcoming(
        &state,
        branch_id,
        today.max(year_start(year)),
        year_end(year),
        |org| evaluation.org_name(org),
        lang,
    )
    .await
    .map_err(storage)?;
    let page = WorkspacePage {
        chrome: context.chrome(branch.body.name.clone()),
        branch_id,
        branch_name: branch.body.name.clone(),
        parent_name,
        year,
        next_year: (year < today.year()).then_some(year + 1),
        can_record,
        due,
        findings,
        open_evidence: false,
        calendar_months: (1..=12).map(|month| lang.month_short(month)).collect(),
        calendar: calendar(&state, &branch.body, &evaluation, &meetings, &talks, lang),
        meetings: meeting_rows,
        can_plan: principal.allows(Area::MeetingPlans, Action::Create) != Access::Denied,
        plans,
    };
    Ok(html(StatusCode::OK, &page))
}

/// The duties the calendar shows: recurring meetings and talks whose rules apply to the branch and
/// are enabled, each with its meeting kind (none for talks) and period length.
fn calendar_duties<'a>(
    rules: &'a [RuleDefinition],
    branch: &Org,
    year: i32,
) -> Vec<(&'a RuleDefinition, Option<MeetingKind>, PeriodLength)> {
    let mid_year = NaiveDate::from_ymd_opt(year, 7, 1).unwrap_or(year_start(year));
    rules
        .iter()
        .filter(|rule| rule.enabled_by_default && rule.applies_to(branch.level, branch.unit_kind))
        .filter_map(|rule| {
            let version = rule.version_on(mid_year).or_else(|| rule.versions.last())?;
            match &version.parameters {
                CheckParameters::PeriodicMeeting(parameters) => {
                    Some((rule, Some(parameters.meeting_kind), parameters.period))
                }
                CheckParameters::TalkCoverage(_) => Some((rule, None, PeriodLength::Year)),
                _ => None,
            }
        })
        .collect()
}

/// How many meetings of `kind` (or, for `None`, talks) the records hold within `period`: what the
/// calendar's cell counts as held. A planned meeting is not a meeting and never counts.
fn held_in(
    kind: Option<MeetingKind>,
    period: &Period,
    meetings: &[Stored<Meeting>],
    talks: &[Stored<HeartToHeartTalk>],
) -> usize {
    match kind {
        Some(kind) => meetings
            .iter()
            .filter(|m| m.body.is_kind(kind) && period.contains(m.body.held_on))
            .count(),
        None => talks
            .iter()
            .filter(|talk| period.contains(talk.body.held_on))
            .count(),
    }
}

/// The year's calendar of duties as the workspace shows it (one row per duty, one cell per
/// period), each period with what is on record: what a calendar feed carries for the year.
pub(crate) fn year_duties(
    state: &AppState,
    branch_id: OrgId,
    branch: &Org,
    year: i32,
    meetings: &[Stored<Meeting>],
    talks: &[Stored<HeartToHeartTalk>],
) -> Vec<zhibu_core::ical::YearDuty> {
    calendar_duties(state.repository.catalogue().rules(), branch, year)
        .into_iter()
        .flat_map(|(rule, kind, length)| {
            Period::overlapping(length, year_start(year), year_end(year))
                .into_iter()
                .map(move |period| zhibu_core::ical::YearDuty {
                    rule_id: rule.id.clone(),
                    title_zh: rule.title_zh.clone(),
                    title_en: rule.title_en.clone(),
                    org_id: branch_id,
                    meeting_kind: kind,
                    held: held_in(kind, &period, meetings, talks),
                    period,
                })
        })
        .collect()
}

fn calendar(
    state: &AppState,
    branch: &Org,
    evaluation: &Evaluation,
    meetings: &[Stored<Meeting>],
    talks: &[Stored<HeartToHeartTalk>],
    lang: Lang,
) -> Vec<CalendarRow> {
    let tr = lang.texts();
    let today = evaluation.today;
    let year = evaluation.year;
    calendar_duties(state.repository.catalogue().rules(), branch, year)
        .into_iter()
        .map(|(rule, kind, length)| {
            let cells = Period::overlapping(length, year_start(year), year_end(year))
                .into_iter()
                .map(|period| {
                    let findings: Vec<&Finding> = evaluation
                        .report
                        .findings
                        .iter()
                        .filter(|finding| {
                            finding.rule_id == rule.id
                                && finding
                                    .period
                                    .is_some_and(|p| p.first_day == period.first_day)
                        })
                        .collect();
                    let held = held_in(kind, &period, meetings, talks);
                    let (class, label) = if findings.iter().any(|finding| finding.is_open()) {
                        ("missed", tr.cell_missed.to_string())
                    } else if findings.iter().any(|finding| finding.exemption.is_some()) {
                        ("exempted", tr.cell_exempted.to_string())
                    } else if findings
                        .iter()
                        .any(|finding| finding.status == FindingStatus::ComingDue)
                    {
                        ("due", tr.cell_due_short.to_string())
                    } else if held > 0 {
                        ("held", format!("✓{held}"))
                    } else if period.last_day < today {
                        ("none", "—".to_string())
                    } else {
                        ("future", String::new())
                    };
                    let status = match class {
                        "missed" => tr.cell_missed,
                        "exempted" => tr.cell_exempted,
                        "due" => tr.cell_due,
                        "held" => tr.cell_held,
                        "none" => tr.cell_none,
                        _ => tr.cell_future,
                    };
                    CalendarCell {
                        colspan: match length {
                            PeriodLength::Month => 1,
                            PeriodLength::Quarter => 3,
                            PeriodLength::Year => 12,
                        },
                        class,
                        label,
                        title: format!(
                            "{}{}{status}{}{held}{}",
                            period.label(),
                            tr.colon,
                            tr.lparen,
                            tr.rparen
                        ),
                    }
                })
                .collect();
            let duty = match kind {
                Some(kind) => format!("{}{}", lang.meeting_kind(kind), lang.every(length)),
                None => format!("{}{}", lang.texts().talks, lang.every(length)),
            };
            CalendarRow {
                duty,
                title: lang.pick(&rule.title_zh, &rule.title_en).to_string(),
                cells,
            }
        })
        .collect()
}
