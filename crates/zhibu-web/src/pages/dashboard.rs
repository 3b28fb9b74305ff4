//! The committee dashboard (`/committees/{id}`): open findings per month for each organization
//! directly below the committee (its subordinate committees, each counted over all its branches,
//! and its own branches) as a heat map, open findings by rule, the branches with the most open
//! items (as counts, never as a score), and the year's trend; every cell, row and bar links on —
//! a subordinate committee's name to its own dashboard, a cell to the drill page
//! (`/committees/{id}/findings`), which lists the findings with their articles and the records
//! behind them, and where committee staff grant exemptions.
//!
//! Both pages read the **stored findings** (`zhibu_storage::stored`, kept current after every
//! write and on a new day by the keeper that `FindingsCache` holds) rather than evaluating the
//! rules, so a committee over a whole city costs a few counted rows, not its records. A page says
//! which day and which change of the records its findings are as of, and says so when they are
//! still being brought up to date.
//!
//! A finding is counted in the month its period ends (a missed monthly meeting in that month, a
//! missed quarterly one in the quarter's last month); findings about a branch's shape, which have
//! no period, in the month of the day they were judged on. Coming-due duties and exempted findings
//! are not open and are not counted in the heat map.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use zhibu_core::engine::{Finding, FindingStatus};
use zhibu_core::{Exemption, Member, MemberId, Org, OrgId, OrgLevel, RecordKind};
use zhibu_storage::recheck::OrgTree;
use zhibu_storage::{
    FindingCount, FindingFilter, KeptFindings, StatusFilter, StorageError, StoredFinding,
    subtree_end,
};

use super::charts::{HeatInput, HeatMap, Trend, heat_map, heat_scale, trend};
use super::evaluation::{FindingsCache, Names};
use super::findings_view::{ExemptForm, FindingView};
use super::forms::SelectOption;
use super::i18n::Lang;
use super::workspace::may_see_findings;
use super::{
    Chrome, Failure, PageContext, PageError, audit_change, check_csrf, field, form_fields, html,
    parse_id, parse_year, query_pairs, query_value, see_other,
};
use crate::AppState;
use crate::auth::{Access, Action, Area, Principal};

/// Rows of the heat map per page: a city's working committee has thousands of departments.
const ROWS_PER_PAGE: usize = 100;

/// Findings listed at most on one drill page; narrower filters show the rest.
const DRILL_LIMIT: u32 = 50;

#[derive(askama::Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    org_name: String,
    level: &'static str,
    year: i32,
    next_year: Option<i32>,
    freshness: String,
    updating: bool,
    heatmap_caption: &'static str,
    heatmap: HeatMap,
    rows_label: String,
    previous_rows: Option<String>,
    next_rows: Option<String>,
    open_only_href: String,
    open_only_label: &'static str,
    scale: Vec<ScaleStep>,
    by_rule: Vec<RuleRow>,
    most: Vec<FactRow>,
    trend: Trend,
}

struct ScaleStep {
    class: &'static str,
    label: &'static str,
}

struct RuleRow {
    title: String,
    rule_id: String,
    open: u64,
    exempted: u64,
    href: String,
}

struct FactRow {
    name: String,
    href: String,
    count: String,
    breakdown: String,
}

#[derive(askama::Template)]
#[template(path = "drill.html")]
struct DrillPage {
    chrome: Chrome,
    org_id: OrgId,
    org_name: String,
    year: i32,
    scope_label: String,
    freshness: String,
    updating: bool,
    branch_value: Option<i64>,
    under_value: Option<i64>,
    month_options: Vec<SelectOption>,
    rule_options: Vec<SelectOption>,
    status_options: Vec<SelectOption>,
    findings: Vec<FindingView>,
    more: Option<String>,
    open_evidence: bool,
}

#[derive(askama::Template)]
#[template(path = "findings_pending.html")]
struct PendingPage {
    chrome: Chrome,
    org_name: String,
    year: i32,
}

/// A committee and the stored findings of its tenant, as a page shows them.
struct Committee {
    id: OrgId,
    org: Org,
    /// The committee's path, `/1/5/`.
    path: String,
    year: i32,
    today: NaiveDate,
    kept: KeptFindings,
}

/// Org names from the keeper's tree; member names read for the findings shown.
struct StoredNames {
    tree: Arc<OrgTree>,
    members: HashMap<MemberId, String>,
}

impl Names for StoredNames {
    fn org_name(&self, id: OrgId) -> String {
        self.tree
            .node(id)
            .map(|node| node.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    fn member_name(&self, id: MemberId) -> String {
        self.members
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

/// The last segment of a path, `/1/5/23/` → 23.
fn id_of_path(path: &str) -> Option<OrgId> {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .and_then(|segment| segment.parse().ok())
        .map(OrgId)
}

/// The org directly below `root_path` on the way to `path`.
fn child_on_path(root_path: &str, path: &str) -> Option<OrgId> {
    let rest = path.strip_prefix(root_path)?;
    rest.split('/').next()?.parse().ok().map(OrgId)
}

/// "As of 29 November 2026 (change 1,234)", in the page's language.
fn freshness(lang: Lang, kept: &KeptFindings) -> String {
    let day = lang.date(kept.state.as_of);
    let generation = kept.state.generation;
    lang.pick(
        &format!("检查结果截至{day}（记录变更序号 {generation}）"),
        &format!("Findings as of {day} (change {generation} of the records)"),
    )
    .to_string()
}

/// The committee (any org above branches) and its stored findings, if the principal may see it;
/// a redirect for a branch; a "being computed" page while nothing is stored yet.
async fn committee_findings(
    state: &AppState,
    cache: &FindingsCache,
    context: &PageContext,
    principal: &Principal,
    id: &str,
    year: Option<&str>,
) -> Result<Result<Committee, Response>, PageError> {
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let org_id = OrgId(parse_id(context, id)?);
    if !may_see_findings(state, principal, org_id)
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
    match org.level {
        OrgLevel::Branch => return Ok(Err(see_other(&format!("/branches/{org_id}")))),
        OrgLevel::PartyGroup => return Err(context.error(Failure::NotFound)),
        _ => {}
    }
    let today = (state.today)();
    let year = parse_year(context, year, today)?;
    let path = state.repository.org_path(org_id).await.map_err(storage)?;
    let kept = cache
        .stored(&state.repository, state.today.clone(), &path, year)
        .await
        .map_err(storage)?;
    let Some(kept) = kept else {
        let tr = context.tr();
        let page = PendingPage {
            chrome: context.chrome(format!("{} · {}", org.name, tr.dashboard_title)),
            org_name: org.name.clone(),
            year,
        };
        return Ok(Err(html(StatusCode::OK, &page)));
    };
    Ok(Ok(Committee {
        id: org_id,
        org,
        path,
        year,
        today,
        kept,
    }))
}

fn drill_href(org: OrgId, year: i32, filters: &[(&str, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("year", &year.to_string());
    for (name, value) in filters {
        query.append_pair(name, value);
    }
    format!("/committees/{org}/findings?{}", query.finish())
}

/// Open findings of one branch, by status.
type BranchStatuses<'a> = (OrgId, u64, &'a Vec<(FindingStatus, u64)>);

/// One row of the heat map: a subordinate committee or a branch directly below.
struct Unit {
    id: OrgId,
    name: String,
    branch: bool,
    months: [u64; 12],
}

/// A branch with many open items: (branch, name, total, by status).
type MostRow = (OrgId, String, u64, Vec<(FindingStatus, u64)>);

/// What the dashboard shows of a committee's stored findings, computed once per generation and
/// day and kept in the [`FindingsCache`]: a page then only picks its rows and renders.
struct Summary {
    /// Every row (an org directly below), in id order, with its open findings per month.
    units: Vec<Unit>,
    per_month: [u64; 12],
    /// (rule id, title in Chinese, title in English, open, exempted), by rule id.
    by_rule: Vec<(String, String, String, u64, u64)>,
    /// The ten branches with the most open items: (branch, name, total, by status).
    most: Vec<MostRow>,
}

fn summarize(committee: &Committee, counts: &[FindingCount]) -> Summary {
    let root = committee.id;
    let year = committee.year;
    let tree = &committee.kept.tree;
    // The rows: every org directly below that existed during the year, but party groups.
    let mut units: Vec<Unit> = tree
        .children(root)
        .iter()
        .filter_map(|child| tree.node(*child).map(|node| (*child, node)))
        .filter(|(_, node)| node.level != OrgLevel::PartyGroup && node.exists_in(year))
        .map(|(child, node)| Unit {
            id: child,
            name: node.name.clone(),
            branch: node.level == OrgLevel::Branch,
            months: [0; 12],
        })
        .collect();
    let unit_of: HashMap<OrgId, usize> = units
        .iter()
        .enumerate()
        .map(|(index, unit)| (unit.id, index))
        .collect();
    let mut per_month = [0u64; 12];
    let mut by_rule: BTreeMap<&str, (&FindingCount, u64, u64)> = BTreeMap::new();
    let mut per_branch: BTreeMap<&str, Vec<(FindingStatus, u64)>> = BTreeMap::new();
    for count in counts {
        if count.status != FindingStatus::ComingDue {
            let entry = by_rule
                .entry(count.rule_id.as_str())
                .or_insert((count, 0, 0));
            if count.exempted {
                entry.2 += count.count;
            } else {
                entry.1 += count.count;
            }
        }
        if !count.is_open() {
            continue;
        }
        let statuses = per_branch.entry(count.branch_path.as_str()).or_default();
        match statuses
            .iter_mut()
            .find(|(status, _)| *status == count.status)
        {
            Some((_, total)) => *total += count.count,
            None => statuses.push((count.status, count.count)),
        }
        if (1..=12).contains(&count.month) {
            let month = (count.month - 1) as usize;
            per_month[month] += count.count;
            if let Some(unit) = child_on_path(&committee.path, &count.branch_path)
                .and_then(|child| unit_of.get(&child))
            {
                units[*unit].months[month] += count.count;
            }
        }
    }
    // The branches with the most open items: counts, largest first, ties by branch id.
    let mut most: Vec<BranchStatuses> = per_branch
        .iter()
        .filter_map(|(path, statuses)| {
            id_of_path(path).map(|id| (id, statuses.iter().map(|(_, n)| n).sum(), statuses))
        })
        .collect();
    most.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Summary {
        units,
        per_month,
        by_rule: by_rule
            .into_iter()
            .map(|(rule_id, (count, open, exempted))| {
                (
                    rule_id.to_string(),
                    count.title_zh.clone(),
                    count.title_en.clone(),
                    open,
                    exempted,
                )
            })
            .collect(),
        most: most
            .into_iter()
            .take(10)
            .map(|(branch, total, statuses)| {
                let name = tree
                    .node(branch)
                    .map(|node| node.name.clone())
                    .unwrap_or_else(|| branch.to_string());
                (branch, name, total, statuses.clone())
            })
            .collect(),
    }
}

pub async fn dashboard(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<FindingsCache>>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let tr = context.tr();
    let query = query_pairs(&uri);
    let committee = match committee_findings(
        &state,
        &cache,
        &context,
        &principal,
        &id,
        query_value(&query, "year"),
    )
    .await?
    {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let summary = match cache.memo::<Summary>("dashboard", &committee.kept, &committee.path) {
        Some(summary) => summary,
        None => {
            let counts = cache
                .counts(&state.repository, &committee.kept, &committee.path)
                .await
                .map_err(|error| PageError::storage(lang, error))?;
            let summary = Arc::new(summarize(&committee, &counts));
            cache.remember(
                "dashboard",
                &committee.kept,
                &committee.path,
                summary.clone(),
            );
            summary
        }
    };
    let root = committee.id;
    let year = committee.year;

    // Rows with open findings only, on request; then one page of rows.
    let open_only = query_value(&query, "open_only") == Some("1");
    let units: Vec<&Unit> = summary
        .units
        .iter()
        .filter(|unit| !open_only || unit.months.iter().any(|count| *count > 0))
        .collect();
    let total_rows = units.len();
    let pages = total_rows.div_ceil(ROWS_PER_PAGE).max(1);
    let page = query_value(&query, "page")
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let first = (page - 1) * ROWS_PER_PAGE;
    let shown: Vec<&Unit> = units
        .iter()
        .skip(first)
        .take(ROWS_PER_PAGE)
        .copied()
        .collect();
    let page_href = |page: usize, open_only: bool| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("year", &year.to_string());
        if open_only {
            query.append_pair("open_only", "1");
        }
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        format!("/committees/{root}?{}", query.finish())
    };
    let month_labels: Vec<String> = (1..=12).map(|month| lang.month_short(month)).collect();
    let rows = shown
        .iter()
        .map(|unit| {
            let filter = if unit.branch { "branch" } else { "under" };
            HeatInput {
                name: unit.name.clone(),
                href: if unit.branch {
                    drill_href(root, year, &[("branch", unit.id.to_string())])
                } else {
                    format!("/committees/{}?year={year}", unit.id)
                },
                months: std::array::from_fn(|index| {
                    let month = index as u32 + 1;
                    let count = unit.months[index] as usize;
                    (
                        count,
                        drill_href(
                            root,
                            year,
                            &[(filter, unit.id.to_string()), ("month", month.to_string())],
                        ),
                        lang.heat_cell_title(&unit.name, year, month, count),
                    )
                }),
            }
        })
        .collect();
    let rows_label = if total_rows == 0 {
        String::new()
    } else {
        let last = (first + shown.len()).min(total_rows);
        lang.pick(
            &format!("第 {}–{} 行，共 {} 行", first + 1, last, total_rows),
            &format!("Rows {}–{} of {}", first + 1, last, total_rows),
        )
        .to_string()
    };

    let by_rule = summary
        .by_rule
        .iter()
        .map(|(rule_id, title_zh, title_en, open, exempted)| RuleRow {
            title: lang.pick(title_zh, title_en).to_string(),
            rule_id: rule_id.clone(),
            open: *open,
            exempted: *exempted,
            href: drill_href(root, year, &[("rule", rule_id.clone())]),
        })
        .collect();
    let most = summary
        .most
        .iter()
        .map(|(branch, name, total, statuses)| {
            let parts: Vec<(FindingStatus, usize)> = statuses
                .iter()
                .map(|(status, count)| (*status, *count as usize))
                .collect();
            FactRow {
                name: name.clone(),
                href: drill_href(root, year, &[("branch", branch.to_string())]),
                count: lang.count_items(*total as usize),
                breakdown: lang.status_breakdown(&parts),
            }
        })
        .collect();

    let trend = trend(
        (1..=12u32)
            .map(|month| {
                let count = summary.per_month[(month - 1) as usize] as usize;
                (
                    count,
                    lang.month_short(month),
                    lang.trend_bar_title(year, month, count),
                    drill_href(root, year, &[("month", month.to_string())]),
                )
            })
            .collect(),
    );

    let has_committees = summary.units.iter().any(|unit| !unit.branch);
    let page = DashboardPage {
        chrome: context.chrome(format!("{} · {}", committee.org.name, tr.dashboard_title)),
        org_name: committee.org.name.clone(),
        level: lang.org_level(committee.org.level),
        year,
        next_year: (year < committee.today.year()).then_some(year + 1),
        freshness: freshness(lang, &committee.kept),
        updating: !committee.kept.current,
        heatmap_caption: if has_committees {
            tr.heatmap_caption_units
        } else {
            tr.heatmap_caption
        },
        heatmap: heat_map(rows, &month_labels),
        rows_label,
        previous_rows: (page > 1).then(|| page_href(page - 1, open_only)),
        next_rows: (page < pages).then(|| page_href(page + 1, open_only)),
        open_only_href: page_href(1, !open_only),
        open_only_label: if open_only {
            tr.all_rows
        } else {
            tr.rows_with_open_findings
        },
        scale: heat_scale()
            .into_iter()
            .map(|(class, label)| ScaleStep { class, label })
            .collect(),
        by_rule,
        most,
        trend,
    };
    Ok(html(StatusCode::OK, &page))
}

/// The drill page's filters, as read from the query.
struct DrillFilters {
    branch: Option<OrgId>,
    /// An organization below the committee: its subtree's findings.
    under: Option<OrgId>,
    month: Option<u32>,
    rule: Option<String>,
    /// `open` (the default), `exempted` or `all`.
    status: String,
}

impl DrillFilters {
    fn read(query: &[(String, String)]) -> DrillFilters {
        let text = |name: &str| {
            query_value(query, name)
                .map(str::trim)
                .filter(|value| !value.is_empty())
        };
        let org = |name: &str| {
            text(name)
                .and_then(|value| value.parse::<i64>().ok())
                .map(OrgId)
        };
        DrillFilters {
            branch: org("branch"),
            under: org("under"),
            month: text("month")
                .and_then(|value| value.parse::<u32>().ok())
                .filter(|month| (1..=12).contains(month)),
            rule: text("rule").map(str::to_string),
            status: match text("status") {
                Some("all") => "all".to_string(),
                Some("exempted") => "exempted".to_string(),
                _ => "open".to_string(),
            },
        }
    }

    fn status_filter(&self) -> StatusFilter {
        match self.status.as_str() {
            "all" => StatusFilter::All,
            "exempted" => StatusFilter::Exempted,
            _ => StatusFilter::Open,
        }
    }

    /// The subtree whose findings are listed: the branch, else the organization below, else the
    /// committee. `None` when the one asked for is not below the committee.
    fn path<'a>(&self, committee: &'a Committee) -> Option<std::borrow::Cow<'a, str>> {
        match self.branch.or(self.under) {
            None => Some(std::borrow::Cow::Borrowed(committee.path.as_str())),
            Some(org) => committee
                .kept
                .tree
                .node(org)
                .map(|node| node.path.clone())
                .filter(|path| path.starts_with(&committee.path))
                .map(std::borrow::Cow::Owned),
        }
    }
}

/// An exemption form that came back with an error: which finding, what was typed, and why.
struct RefusedExemption {
    key: String,
    reason: String,
    message: String,
}

fn may_exempt(principal: &Principal) -> bool {
    principal.allows(Area::Exemptions, Action::Create) != Access::Denied
}

/// Stored findings of a subtree, at most `limit`.
async fn list_stored(
    state: &AppState,
    committee: &Committee,
    path: &str,
    filter_month: Option<u32>,
    rule: Option<String>,
    status: StatusFilter,
    limit: u32,
) -> Result<Vec<StoredFinding>, StorageError> {
    zhibu_storage::stored::finding_store(&state.repository)?
        .list_findings(
            committee.kept.state.tenant,
            committee.year,
            &FindingFilter {
                path_from: path.to_string(),
                path_to: subtree_end(path),
                month: filter_month,
                rule,
                status,
                limit,
            },
        )
        .await
}

/// The names of the members the findings name as responsible.
async fn member_names(
    state: &AppState,
    findings: &[StoredFinding],
) -> Result<HashMap<MemberId, String>, StorageError> {
    let mut ids: Vec<i64> = findings
        .iter()
        .filter_map(|stored| stored.finding.responsible.member_id)
        .map(|id| id.0)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut names = HashMap::new();
    for row in state.repository.backend().get_many(&ids).await? {
        if row.kind == RecordKind::Member
            && let Ok(member) = serde_json::from_str::<Member>(&row.body)
        {
            names.insert(MemberId(row.id), member.name);
        }
    }
    Ok(names)
}

async fn render_drill(
    (state, cache): (&AppState, &FindingsCache),
    context: &PageContext,
    principal: &Principal,
    committee: &Committee,
    query: &[(String, String)],
    refused: Option<RefusedExemption>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = context.lang;
    let tr = context.tr();
    let storage = |error| PageError::storage(lang, error);
    let filters = DrillFilters::read(query);
    let root = committee.id;
    let year = committee.year;
    let back = {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (name, value) in query.iter().filter(|(name, _)| name != "exempted") {
            serializer.append_pair(name, value);
        }
        serializer.finish()
    };
    let stored = match filters.path(committee) {
        Some(path) => list_stored(
            state,
            committee,
            &path,
            filters.month,
            filters.rule.clone(),
            filters.status_filter(),
            DRILL_LIMIT + 1,
        )
        .await
        .map_err(storage)?,
        None => Vec::new(),
    };
    let more = (stored.len() > DRILL_LIMIT as usize).then(|| {
        lang.pick(
            &format!("只列出前 {DRILL_LIMIT} 条；请按支部、月份或规则缩小范围。"),
            &format!(
                "Only the first {DRILL_LIMIT} are listed; narrow by branch, month or rule to see the rest."
            ),
        )
        .to_string()
    });
    let shown = &stored[..stored.len().min(DRILL_LIMIT as usize)];
    let names = StoredNames {
        tree: committee.kept.tree.clone(),
        members: member_names(state, shown).await.map_err(storage)?,
    };
    let findings: Vec<FindingView> = shown
        .iter()
        .map(|stored| {
            let finding = &stored.finding;
            let mut view = FindingView::new(finding, &names, lang);
            if may_exempt(principal) && finding.is_open() && finding.org_id != root {
                let refused_here = refused
                    .as_ref()
                    .filter(|refused| refused.key == finding.key);
                view.exempt_form = Some(ExemptForm {
                    action: format!("/committees/{root}/exemptions"),
                    csrf_token: principal.csrf_token.clone(),
                    back: back.clone(),
                    reason: refused_here
                        .map(|refused| refused.reason.clone())
                        .unwrap_or_default(),
                    error: refused_here.map(|refused| refused.message.clone()),
                });
            }
            view
        })
        .collect();
    let mut scope = Vec::new();
    if let Some(org) = filters.branch.or(filters.under) {
        scope.push(names.org_name(org));
    }
    if let Some(month) = filters.month {
        scope.push(lang.year_month(year, month));
    } else {
        scope.push(year.to_string());
    }
    if let Some(rule) = &filters.rule {
        scope.push(rule.clone());
    }
    // The rules with findings in the committee's subtree, for the filter.
    let counts = cache
        .counts(&state.repository, &committee.kept, &committee.path)
        .await
        .map_err(storage)?;
    let mut rules: Vec<(String, String)> = counts
        .iter()
        .map(|count| {
            (
                count.rule_id.clone(),
                lang.pick(&count.title_zh, &count.title_en).to_string(),
            )
        })
        .collect();
    rules.sort();
    rules.dedup_by(|a, b| a.0 == b.0);
    let mut chrome = context.chrome(tr.findings_title);
    if query_value(query, "exempted").is_some() {
        chrome.notice = Some(tr.exemption_saved.to_string());
    }
    let page = DrillPage {
        chrome,
        org_id: root,
        org_name: committee.org.name.clone(),
        year,
        scope_label: scope.join(" · "),
        freshness: freshness(lang, &committee.kept),
        updating: !committee.kept.current,
        branch_value: filters.branch.map(|branch| branch.0),
        under_value: filters.under.map(|org| org.0),
        month_options: (1..=12)
            .map(|month| SelectOption {
                value: month.to_string(),
                label: lang.month_short(month),
                selected: filters.month == Some(month),
            })
            .collect(),
        rule_options: rules
            .into_iter()
            .map(|(rule, title)| SelectOption {
                selected: filters.rule.as_deref() == Some(rule.as_str()),
                label: title,
                value: rule,
            })
            .collect(),
        status_options: [
            ("open", tr.open_count),
            ("exempted", tr.exempted_count),
            ("all", tr.all),
        ]
        .into_iter()
        .map(|(value, label)| SelectOption {
            value: value.to_string(),
            label: label.to_string(),
            selected: filters.status == value,
        })
        .collect(),
        findings,
        more,
        open_evidence: filters.branch.is_some(),
    };
    Ok(html(status, &page))
}

pub async fn drill(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<FindingsCache>>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let query = query_pairs(&uri);
    let committee = match committee_findings(
        &state,
        &cache,
        &context,
        &principal,
        &id,
        query_value(&query, "year"),
    )
    .await?
    {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    render_drill(
        (&state, &cache),
        &context,
        &principal,
        &committee,
        &query,
        None,
        StatusCode::OK,
    )
    .await
}

/// The open finding with this key among the stored findings of the committee's subtree.
async fn open_finding(
    state: &AppState,
    committee: &Committee,
    key: &str,
) -> Result<Option<Finding>, StorageError> {
    // The key is `rule|org|period|subject`: the org names the branch whose rows hold it.
    let Some(org) = key
        .split('|')
        .nth(1)
        .and_then(|org| org.parse::<i64>().ok())
        .map(OrgId)
    else {
        return Ok(None);
    };
    let tree = &committee.kept.tree;
    let Some(path) = tree
        .branch_of(org)
        .and_then(|branch| tree.node(branch))
        .map(|node| node.path.clone())
        .filter(|path| path.starts_with(&committee.path))
    else {
        return Ok(None);
    };
    let stored = list_stored(
        state,
        committee,
        &path,
        None,
        None,
        StatusFilter::Open,
        u32::MAX / 2,
    )
    .await?;
    Ok(stored
        .into_iter()
        .map(|stored| stored.finding)
        .find(|finding| finding.key == key && finding.is_open() && finding.org_id != committee.id))
}

/// `POST /committees/{id}/exemptions`: the committee exempts one open finding of its subtree,
/// with a reason. The finding stays listed, marked exempted.
pub async fn exempt(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<FindingsCache>>,
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
    let back = field(&fields, "back").to_string();
    let query = form_fields(back.as_bytes());
    let committee = match committee_findings(
        &state,
        &cache,
        &context,
        &principal,
        &id,
        query_value(&query, "year"),
    )
    .await?
    {
        Ok(found) => found,
        Err(_) => return Err(context.error(Failure::NotFound)),
    };
    if !may_exempt(&principal) {
        return Err(context.error(Failure::Forbidden));
    }
    let key = field(&fields, "finding_key").to_string();
    let reason = field(&fields, "reason").trim().to_string();
    // Only an open finding of this committee's subtree, as stored from the engine, can be exempted.
    let Some(finding) = open_finding(&state, &committee, &key)
        .await
        .map_err(|error| PageError::storage(lang, error))?
    else {
        return Err(context.error(Failure::NotFound));
    };
    let exemption = Exemption {
        org_id: finding.org_id,
        finding_key: key.clone(),
        granted_by: committee.id,
        granted_on: committee.today,
        reason: reason.clone(),
    };
    match state
        .repository
        .create(exemption, &zhibu_storage::ChangeMeta::by(&principal.login))
        .await
    {
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
                "exemption",
                stored.id,
                &path,
                serde_json::json!({ "finding_key": key, "through": "page" }),
            )
            .await;
            let location = if back.is_empty() {
                format!("/committees/{}/findings?exempted=1", committee.id)
            } else {
                format!("/committees/{}/findings?{back}&exempted=1", committee.id)
            };
            Ok(see_other(&location))
        }
        Err(StorageError::Invalid(errors)) => {
            let message = errors
                .errors
                .first()
                .map(|error| lang.field_message(error))
                .unwrap_or_default();
            let refused = RefusedExemption {
                key,
                reason,
                message,
            };
            render_drill(
                (&state, &cache),
                &context,
                &principal,
                &committee,
                &query,
                Some(refused),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => Err(PageError::storage(lang, error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drill_links_carry_their_filters() {
        assert_eq!(
            drill_href(
                OrgId(1),
                2026,
                &[("branch", "23".into()), ("month", "3".into())]
            ),
            "/committees/1/findings?year=2026&branch=23&month=3"
        );
        let filters = DrillFilters::read(&[
            ("month".into(), "13".into()),
            ("status".into(), "all".into()),
            ("under".into(), "5".into()),
        ]);
        assert_eq!((filters.month, filters.status.as_str()), (None, "all"));
        assert_eq!(filters.under, Some(OrgId(5)));
    }

    #[test]
    fn counts_are_filed_under_the_org_directly_below() {
        assert_eq!(child_on_path("/1/", "/1/5/23/"), Some(OrgId(5)));
        assert_eq!(child_on_path("/1/5/", "/1/5/23/"), Some(OrgId(23)));
        assert_eq!(child_on_path("/1/6/", "/1/5/23/"), None);
        assert_eq!(id_of_path("/1/5/23/"), Some(OrgId(23)));
    }
}
