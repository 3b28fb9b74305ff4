//! The regularity (常态化) pages (issue 7):
//!
//! - `/branches/{id}/regularity?year=` — one branch's facts for a year, each with the records
//!   behind it (linked), the own-month tallies of its monthly duties and the year month by month.
//!   `fact=`, `kind=` and `month=` narrow the list to one fact, one kind of fact or one month:
//!   that is where the committee page and the chart drill to.
//! - `/committees/{id}/regularity?year=` — every branch of a committee's subtree in tree order,
//!   next to its open findings, with the count of each kind of fact and the facts per month, every
//!   number linking to the records behind it, and the year's trend for the whole subtree.
//!
//! Architecture invariant: facts, never scores. Nothing here weighs facts into a number, and rows
//! are never sorted by how many facts they have; branches stay in the order of the org tree.
//!
//! The facts come from `zhibu_core::regularity` over a snapshot loaded from the repository, with
//! the thresholds of the server's settings ([`crate::AppState::regularity`]: `zhibu serve
//! --late-entry-days`, default 30). The committee page's open-findings counts come from the
//! engine run over the same snapshot, with the request the dashboard uses, so the two agree. Both
//! are kept in a small cache of their own ([`RegularityCache`]) that is valid until the next write
//! (the head of the history chain moves) or the next day.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use zhibu_core::calendar::last_day_of_month;
use zhibu_core::engine::{self, EvaluationRequest};
use zhibu_core::regularity::{
    RegularityFact, RegularityParameters, RegularityReport, regularity_facts_for_subtree,
};
use zhibu_core::{Org, OrgId, OrgLevel};
use zhibu_storage::{Repository, StorageError};

use super::findings_view::record_href;
use super::i18n::{Lang, Texts};
use super::workspace::may_see_findings;
use super::{
    Chrome, Failure, PageContext, PageError, html, parse_id, parse_year, query_pairs, query_value,
    see_other,
};
use crate::AppState;
use crate::auth::Principal;

/// At most this many (org, year, day) entries are kept.
const MAX_ENTRIES: usize = 32;

/// What one load of an org's subtree gives the pages.
pub struct RegularityData {
    generation: i64,
    /// One report per branch of the subtree that existed during the year, by branch id.
    pub reports: Vec<RegularityReport>,
    /// Open findings per branch (a party group's counted with its branch); only for committees.
    pub open_findings: HashMap<OrgId, usize>,
    /// The orgs of the subtree: name and parent.
    pub orgs: HashMap<OrgId, (String, Option<OrgId>)>,
}

type Key = (OrgId, i32, NaiveDate, RegularityParameters, bool);

/// The pages' cache of regularity reports, valid until the next write (see the module comment).
#[derive(Default)]
pub struct RegularityCache {
    entries: Mutex<HashMap<Key, Arc<RegularityData>>>,
}

impl RegularityCache {
    pub fn new() -> RegularityCache {
        RegularityCache::default()
    }

    /// The reports of `root`'s subtree for `year` as of `today`, with the open findings per branch
    /// when `with_findings`.
    pub async fn load(
        &self,
        repository: &Repository,
        root: OrgId,
        year: i32,
        today: NaiveDate,
        parameters: RegularityParameters,
        with_findings: bool,
    ) -> Result<Arc<RegularityData>, StorageError> {
        let generation = repository
            .backend()
            .chain_head()
            .await?
            .map_or(0, |head| head.seq);
        let key = (root, year, today, parameters, with_findings);
        if let Some(entry) = self.lock().get(&key)
            && entry.generation == generation
        {
            return Ok(entry.clone());
        }
        let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
        let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
        let snapshot = repository.load_snapshot(root, first, last).await?;
        let reports = regularity_facts_for_subtree(&snapshot, root, year, today, parameters);
        let orgs: HashMap<OrgId, (String, Option<OrgId>)> = snapshot
            .orgs
            .iter()
            .map(|org| (OrgId(org.id), (org.body.name.clone(), org.body.parent_id)))
            .collect();
        let mut open_findings = HashMap::new();
        if with_findings {
            let levels: HashMap<OrgId, OrgLevel> = snapshot
                .orgs
                .iter()
                .map(|org| (OrgId(org.id), org.body.level))
                .collect();
            // The request the dashboard makes, so that the counts agree with it.
            let request = EvaluationRequest {
                root,
                from: first,
                to: last,
                today,
                horizon_days: last_day_of_month(today.year(), today.month())
                    .saturating_sub(today.day()),
            };
            let report = engine::evaluate(repository.catalogue(), &snapshot, &request);
            for finding in report.findings.iter().filter(|finding| finding.is_open()) {
                let branch = match levels.get(&finding.org_id) {
                    Some(OrgLevel::PartyGroup) => orgs
                        .get(&finding.org_id)
                        .and_then(|(_, parent)| *parent)
                        .unwrap_or(finding.org_id),
                    _ => finding.org_id,
                };
                *open_findings.entry(branch).or_default() += 1;
            }
        }
        let data = Arc::new(RegularityData {
            generation,
            reports,
            open_findings,
            orgs,
        });
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries
                .retain(|(_, _, day, _, _), entry| entry.generation == generation && *day == today);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, data.clone());
        Ok(data)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<RegularityData>>> {
        // A panic while holding the lock leaves only finished entries behind: carry on with them.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The anchor of a fact on its branch page: its key with every character but ASCII letters and
/// digits turned into `-` (`late_entry|meeting|345` → `fact-late_entry-meeting-345`).
pub fn fact_anchor(key: &str) -> String {
    let slug: String = key
        .chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() || character == '_' {
                character
            } else {
                '-'
            }
        })
        .collect();
    format!("fact-{slug}")
}

/// The name of a kind of fact in the page's language.
fn fact_kind_label(tr: &Texts, code: &str) -> &'static str {
    match code {
        "late_entry" => tr.fact_late_entry,
        "duty_burst" => tr.fact_duty_burst,
        "entry_batch" => tr.fact_entry_batch,
        _ => tr.fact_month_without_org_life,
    }
}

const FACT_CODES: [&str; 4] = [
    "late_entry",
    "duty_burst",
    "entry_batch",
    "month_without_org_life",
];

/// A branch regularity page's address with the given filters.
pub fn branch_regularity_href(branch: OrgId, year: i32, filters: &[(&str, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("year", &year.to_string());
    for (name, value) in filters {
        query.append_pair(name, value);
    }
    format!("/branches/{branch}/regularity?{}", query.finish())
}

struct FactView {
    anchor: String,
    kind: &'static str,
    org_name: String,
    period: String,
    sentence: String,
    /// This fact alone, with its records.
    href: String,
    evidence: Vec<EvidenceView>,
}

struct EvidenceView {
    kind: &'static str,
    date: String,
    note: String,
    href: Option<String>,
}

struct DutyRow {
    holder: String,
    duty: String,
    owed: u32,
    done: u32,
    months_without: String,
}

struct KindLink {
    label: &'static str,
    href: String,
    current: bool,
}

/// The stacked monthly bars: records of the month's events, the late part darker, the number of
/// facts in the month above.
pub struct MonthChart {
    width: u32,
    height: u32,
    baseline: u32,
    label_y: u32,
    bar_width: u32,
    bars: Vec<MonthBar>,
}

struct MonthBar {
    x: u32,
    center: u32,
    on_time_y: u32,
    on_time_height: u32,
    late_y: u32,
    late_height: u32,
    value_y: u32,
    facts: usize,
    label: String,
    title: String,
    href: String,
}

const CHART_WIDTH: u32 = 480;
const CHART_PLOT: u32 = 140;
const CHART_TOP: u32 = 18;

/// One month before layout: records, late records, facts, label, tooltip, link.
struct MonthInput {
    records: u32,
    late: u32,
    facts: usize,
    label: String,
    title: String,
    href: String,
}

fn month_chart(months: Vec<MonthInput>) -> MonthChart {
    let slot = CHART_WIDTH / 12;
    let bar_width = slot - 12;
    let baseline = CHART_TOP + CHART_PLOT;
    let maximum = months
        .iter()
        .map(|month| month.records)
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = |value: u32| (u64::from(value) * u64::from(CHART_PLOT) / u64::from(maximum)) as u32;
    let bars = months
        .into_iter()
        .enumerate()
        .map(|(index, month)| {
            let total = scale(month.records);
            let late = scale(month.late.min(month.records));
            let x = index as u32 * slot + 6;
            MonthBar {
                x,
                center: x + bar_width / 2,
                on_time_y: baseline - total,
                on_time_height: total - late,
                late_y: baseline - late,
                late_height: late,
                value_y: baseline - total - 4,
                facts: month.facts,
                label: month.label,
                title: month.title,
                href: month.href,
            }
        })
        .collect();
    MonthChart {
        width: CHART_WIDTH,
        height: baseline + 22,
        baseline,
        label_y: baseline + 16,
        bar_width,
        bars,
    }
}

fn month_title(lang: Lang, year: i32, month: u32, records: u32, late: u32, facts: usize) -> String {
    match lang {
        Lang::Zh => format!("{year}年{month}月：记录{records}条，其中补录{late}条；事实{facts}条"),
        Lang::En => format!(
            "{} {year}: {records} records, {late} entered late; {facts} facts",
            lang.month_short(month)
        ),
    }
}

#[derive(askama::Template)]
#[template(path = "regularity_branch.html")]
struct BranchRegularityPage {
    chrome: Chrome,
    branch_id: OrgId,
    branch_name: String,
    parent: Option<String>,
    year: i32,
    next_year: Option<i32>,
    settings_note: String,
    late_share: String,
    imported_note: Option<String>,
    kind_links: Vec<KindLink>,
    filtered: Option<String>,
    all_href: String,
    facts: Vec<FactView>,
    total_facts: usize,
    duties: Vec<DutyRow>,
    chart: MonthChart,
}

fn settings_note(
    lang: Lang,
    parameters: &RegularityParameters,
    kept_from: Option<NaiveDate>,
) -> String {
    let days = parameters.late_entry_days;
    let mut note = match lang {
        Lang::Zh => format!(
            "补录指活动后满{days}天才录入的记录（本系统设置）；集中补开指一个季度最后{}天内同一项月度工作开展{}次以上、而此前有月份没有开展；集中录入指一天内录入{}条以上、活动分属{}个以上月份的记录。",
            parameters.burst_window_days,
            parameters.burst_min_count,
            parameters.same_day_entry_min,
            parameters.same_day_entry_min_months
        ),
        Lang::En => format!(
            "A late entry is a record entered {days} or more days after the event (this server's setting); a burst is {} or more meetings of one monthly duty in the last {} days of a quarter after months without; an entry batch is {} or more records entered on one day whose events fall in {} or more months.",
            parameters.burst_min_count,
            parameters.burst_window_days,
            parameters.same_day_entry_min,
            parameters.same_day_entry_min_months
        ),
    };
    if let Some(day) = kept_from {
        note.push_str(&match lang {
            Lang::Zh => format!(
                "记录自{}起在本系统录入，此前的月份不作判断。",
                lang.date(day)
            ),
            Lang::En => format!(
                " Records are kept in Zhibu from {}; months before are not judged.",
                lang.date(day)
            ),
        });
    }
    note
}

/// A fact as its branch's page shows it; its own link narrows that page to it.
fn fact_view(fact: &RegularityFact, lang: Lang, branch: OrgId, year: i32) -> FactView {
    let tr = lang.texts();
    FactView {
        anchor: fact_anchor(&fact.key),
        kind: fact_kind_label(tr, fact.detail.code()),
        org_name: fact.org_name.clone(),
        period: fact.period.label(),
        sentence: lang.pick(&fact.sentence_zh, &fact.sentence_en).to_string(),
        href: format!(
            "{}#{}",
            branch_regularity_href(branch, year, &[("fact", fact.key.clone())]),
            fact_anchor(&fact.key)
        ),
        evidence: fact
            .evidence
            .iter()
            .map(|record| EvidenceView {
                kind: lang.record_kind(record.kind),
                date: lang.date(record.date),
                note: lang.pick(&record.note_zh, &record.note_en).to_string(),
                href: record_href(record.kind, record.id),
            })
            .collect(),
    }
}

/// Whether a fact sits in `month` of the year: the month its period ends in.
fn fact_in_month(fact: &RegularityFact, year: i32, month: u32) -> bool {
    fact.period.last_day.year() == year && fact.period.last_day.month() == month
}

pub async fn branch_regularity(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<RegularityCache>>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let tr = lang.texts();
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
    let query = query_pairs(&uri);
    match branch.body.level {
        OrgLevel::Branch => {}
        OrgLevel::PartyGroup => return Err(context.error(Failure::NotFound)),
        _ => {
            let year = query_value(&query, "year").unwrap_or("");
            let suffix = if year.is_empty() {
                String::new()
            } else {
                let encoded: String = form_urlencoded::byte_serialize(year.as_bytes()).collect();
                format!("?year={encoded}")
            };
            return Ok(see_other(&format!(
                "/committees/{branch_id}/regularity{suffix}"
            )));
        }
    }
    let today = (state.today)();
    let year = parse_year(&context, query_value(&query, "year"), today)?;
    let parameters = state.regularity;
    let data = cache
        .load(&state.repository, branch_id, year, today, parameters, false)
        .await
        .map_err(storage)?;
    let report = data
        .reports
        .iter()
        .find(|report| report.branch_id == branch_id);

    let fact_filter = query_value(&query, "fact").filter(|value| !value.is_empty());
    let kind_filter = query_value(&query, "kind").filter(|code| FACT_CODES.contains(code));
    let month_filter = query_value(&query, "month")
        .and_then(|text| text.parse::<u32>().ok())
        .filter(|month| (1..=12).contains(month));
    let all_facts: &[RegularityFact] = report.map_or(&[], |report| report.facts.as_slice());
    let facts: Vec<FactView> = all_facts
        .iter()
        .filter(|fact| fact_filter.is_none_or(|key| fact.key == key))
        .filter(|fact| kind_filter.is_none_or(|code| fact.detail.code() == code))
        .filter(|fact| month_filter.is_none_or(|month| fact_in_month(fact, year, month)))
        .map(|fact| fact_view(fact, lang, branch_id, year))
        .collect();
    let filtered = if let Some(key) = fact_filter {
        Some(all_facts.iter().find(|fact| fact.key == key).map_or_else(
            || key.to_string(),
            |fact| {
                format!(
                    "{} · {}",
                    fact_kind_label(tr, fact.detail.code()),
                    fact.period.label()
                )
            },
        ))
    } else if let Some(code) = kind_filter {
        Some(fact_kind_label(tr, code).to_string())
    } else {
        month_filter.map(|month| lang.year_month(year, month))
    };
    let kind_links = FACT_CODES
        .iter()
        .map(|code| {
            let count = all_facts
                .iter()
                .filter(|fact| fact.detail.code() == *code)
                .count();
            KindLink {
                label: fact_kind_label(tr, code),
                href: branch_regularity_href(branch_id, year, &[("kind", code.to_string())]),
                current: kind_filter == Some(*code) && count > 0,
            }
        })
        .collect();

    let duties = report
        .map(|report| {
            report
                .monthly_duties
                .iter()
                .map(|tally| DutyRow {
                    holder: tally.holder_name.clone(),
                    duty: lang.meeting_kind(tally.meeting_kind).to_string(),
                    owed: tally.owed,
                    done: tally.done_in_own_month,
                    months_without: tally.months_without.join(lang.pick("、", ", ")),
                })
                .collect()
        })
        .unwrap_or_default();
    let chart = month_chart(
        (1..=12)
            .map(|month| {
                let row = report.and_then(|report| report.months.get(month as usize - 1));
                let records = row.map_or(0, |row| row.records);
                let late = row.map_or(0, |row| row.records_entered_late);
                let facts = all_facts
                    .iter()
                    .filter(|fact| fact_in_month(fact, year, month))
                    .count();
                MonthInput {
                    records,
                    late,
                    facts,
                    label: lang.month_short(month),
                    title: month_title(lang, year, month, records, late, facts),
                    href: branch_regularity_href(branch_id, year, &[("month", month.to_string())]),
                }
            })
            .collect(),
    );
    let parent = branch.body.parent_id.map(|parent| {
        data.orgs
            .get(&parent)
            .map_or_else(|| parent.to_string(), |(name, _)| name.clone())
    });
    let late_share = report.map_or_else(String::new, |report| {
        lang.pick(
            &report.late_entries.sentence_zh,
            &report.late_entries.sentence_en,
        )
        .to_string()
    });
    let imported_note = report
        .filter(|report| report.imported_records > 0)
        .map(|report| match lang {
            Lang::Zh => format!(
                "另有{}条会议和谈心谈话记录的活动早于本支部在系统中建档，视为导入，不判断录入时间。",
                report.imported_records
            ),
            Lang::En => format!(
                "{} meeting and talk records of events before the branch was set up in Zhibu are imports and not judged for entry timing.",
                report.imported_records
            ),
        });
    let page = BranchRegularityPage {
        chrome: context.chrome(format!(
            "{}{}{}",
            branch.body.name, tr.colon, tr.regularity_title
        )),
        branch_id,
        branch_name: branch.body.name.clone(),
        parent,
        year,
        next_year: (year < today.year()).then_some(year + 1),
        settings_note: settings_note(
            lang,
            &parameters,
            report.map(|report| report.records_kept_from),
        ),
        late_share,
        imported_note,
        kind_links,
        filtered,
        all_href: branch_regularity_href(branch_id, year, &[]),
        total_facts: all_facts.len(),
        facts,
        duties,
        chart,
    };
    Ok(html(StatusCode::OK, &page))
}

struct BranchRow {
    name: String,
    parent_name: String,
    href: String,
    findings: usize,
    findings_href: String,
    /// `3/40 (8%)`.
    late: String,
    late_count: usize,
    late_href: String,
    bursts: usize,
    bursts_href: String,
    batches: usize,
    batches_href: String,
    empty_months: usize,
    empty_months_href: String,
    /// `22/24`.
    own_month: String,
    months: Vec<MonthCell>,
}

struct MonthCell {
    count: usize,
    class: &'static str,
    x: u32,
    text_x: u32,
    href: String,
    title: String,
}

struct StripLabel {
    x: u32,
    label: String,
}

/// Width of one month in a branch's strip of months.
const STRIP_CELL: u32 = 20;

#[derive(askama::Template)]
#[template(path = "regularity_committee.html")]
struct CommitteeRegularityPage {
    chrome: Chrome,
    org_id: OrgId,
    org_name: String,
    year: i32,
    next_year: Option<i32>,
    settings_note: String,
    month_labels: Vec<StripLabel>,
    strip_width: u32,
    rows: Vec<BranchRow>,
    chart: MonthChart,
}

pub async fn committee_regularity(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<RegularityCache>>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let tr = lang.texts();
    let storage = |error| PageError::storage(lang, error);
    let org_id = OrgId(parse_id(&context, &id)?);
    if !may_see_findings(&state, &principal, org_id)
        .await
        .map_err(storage)?
    {
        return Err(context.error(Failure::NotFound));
    }
    let org = state
        .repository
        .get::<Org>(org_id)
        .await
        .map_err(storage)?
        .body;
    let query = query_pairs(&uri);
    match org.level {
        OrgLevel::Branch => {
            let year = query_value(&query, "year").unwrap_or("");
            let suffix = if year.is_empty() {
                String::new()
            } else {
                let encoded: String = form_urlencoded::byte_serialize(year.as_bytes()).collect();
                format!("?year={encoded}")
            };
            return Ok(see_other(&format!("/branches/{org_id}/regularity{suffix}")));
        }
        OrgLevel::PartyGroup => return Err(context.error(Failure::NotFound)),
        _ => {}
    }
    let today = (state.today)();
    let year = parse_year(&context, query_value(&query, "year"), today)?;
    let parameters = state.regularity;
    let data = cache
        .load(&state.repository, org_id, year, today, parameters, true)
        .await
        .map_err(storage)?;

    // Tree order: by the parent's name, then the branch's name; never by counts.
    let mut reports: Vec<&RegularityReport> = data.reports.iter().collect();
    let parent_name = |report: &RegularityReport| {
        data.orgs
            .get(&report.branch_id)
            .and_then(|(_, parent)| *parent)
            .and_then(|parent| data.orgs.get(&parent))
            .map(|(name, _)| name.clone())
            .unwrap_or_default()
    };
    reports.sort_by(|a, b| {
        (parent_name(a), &a.branch_name, a.branch_id).cmp(&(
            parent_name(b),
            &b.branch_name,
            b.branch_id,
        ))
    });
    let rows = reports
        .iter()
        .map(|report| {
            let branch = report.branch_id;
            let count = |code: &str| {
                report
                    .facts
                    .iter()
                    .filter(|fact| fact.detail.code() == code)
                    .count()
            };
            let kind_href =
                |code: &str| branch_regularity_href(branch, year, &[("kind", code.to_string())]);
            let share = &report.late_entries;
            let late = match share.percent {
                Some(percent) => format!("{}/{} ({percent}%)", share.late, share.considered),
                None => "—".to_string(),
            };
            let (owed, done) = report
                .monthly_duties
                .iter()
                .fold((0, 0), |(owed, done), tally| {
                    (owed + tally.owed, done + tally.done_in_own_month)
                });
            let mut findings_query = form_urlencoded::Serializer::new(String::new());
            findings_query.append_pair("year", &year.to_string());
            findings_query.append_pair("branch", &branch.to_string());
            BranchRow {
                name: report.branch_name.clone(),
                parent_name: parent_name(report),
                href: branch_regularity_href(branch, year, &[]),
                findings: data.open_findings.get(&branch).copied().unwrap_or(0),
                findings_href: format!("/committees/{org_id}/findings?{}", findings_query.finish()),
                late,
                late_count: share.late as usize,
                late_href: kind_href("late_entry"),
                bursts: count("duty_burst"),
                bursts_href: kind_href("duty_burst"),
                batches: count("entry_batch"),
                batches_href: kind_href("entry_batch"),
                empty_months: count("month_without_org_life"),
                empty_months_href: kind_href("month_without_org_life"),
                own_month: if owed == 0 {
                    "—".to_string()
                } else {
                    format!("{done}/{owed}")
                },
                months: (1..=12)
                    .map(|month| {
                        let count = report
                            .facts
                            .iter()
                            .filter(|fact| fact_in_month(fact, year, month))
                            .count();
                        let x = (month - 1) * STRIP_CELL + 1;
                        MonthCell {
                            count,
                            class: match count {
                                0 => "h0",
                                1 => "h1",
                                2 => "h2",
                                _ => "h3",
                            },
                            x,
                            text_x: x + 9,
                            href: branch_regularity_href(
                                branch,
                                year,
                                &[("month", month.to_string())],
                            ),
                            title: format!(
                                "{}{}{}{}{count}",
                                report.branch_name,
                                tr.comma,
                                lang.year_month(year, month),
                                tr.colon
                            ),
                        }
                    })
                    .collect(),
            }
        })
        .collect();

    let mut totals: BTreeMap<u32, (u32, u32, usize)> = BTreeMap::new();
    for report in &data.reports {
        for (index, row) in report.months.iter().enumerate() {
            let entry = totals.entry(index as u32 + 1).or_default();
            entry.0 += row.records;
            entry.1 += row.records_entered_late;
        }
        for fact in &report.facts {
            if fact.period.last_day.year() == year {
                totals.entry(fact.period.last_day.month()).or_default().2 += 1;
            }
        }
    }
    let chart = month_chart(
        (1..=12)
            .map(|month| {
                let (records, late, facts) = totals.get(&month).copied().unwrap_or_default();
                MonthInput {
                    records,
                    late,
                    facts,
                    label: lang.month_short(month),
                    title: month_title(lang, year, month, records, late, facts),
                    href: "#branch-facts".to_string(),
                }
            })
            .collect(),
    );
    let page = CommitteeRegularityPage {
        chrome: context.chrome(format!("{}{}{}", org.name, tr.colon, tr.regularity_title)),
        org_id,
        org_name: org.name.clone(),
        year,
        next_year: (year < today.year()).then_some(year + 1),
        settings_note: settings_note(lang, &parameters, None),
        month_labels: (1..=12)
            .map(|month| StripLabel {
                x: (month - 1) * STRIP_CELL + 10,
                label: match lang {
                    Lang::Zh => month.to_string(),
                    Lang::En => lang.month_short(month).chars().take(1).collect(),
                },
            })
            .collect(),
        strip_width: 12 * STRIP_CELL,
        rows,
        chart,
    };
    Ok(html(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_keep_letters_digits_and_underscores() {
        assert_eq!(
            fact_anchor("late_entry|meeting|345"),
            "fact-late_entry-meeting-345"
        );
        assert_eq!(
            fact_anchor("duty_burst|12|committee_meeting|2025-Q4"),
            "fact-duty_burst-12-committee_meeting-2025-Q4"
        );
    }

    #[test]
    fn bars_stack_the_late_part_under_the_on_time_part() {
        let months = (0..12)
            .map(|index| MonthInput {
                records: if index == 3 { 10 } else { 5 },
                late: if index == 3 { 4 } else { 0 },
                facts: 0,
                label: String::new(),
                title: String::new(),
                href: String::new(),
            })
            .collect();
        let chart = month_chart(months);
        let april = &chart.bars[3];
        assert_eq!(april.on_time_height + april.late_height, CHART_PLOT);
        assert_eq!(april.late_height, CHART_PLOT * 4 / 10);
        assert_eq!(april.late_y + april.late_height, chart.baseline);
        assert_eq!(april.on_time_y + april.on_time_height, april.late_y);
        assert_eq!(chart.bars[0].late_height, 0);
        assert_eq!(chart.bars[0].on_time_height, CHART_PLOT / 2);
    }
}
