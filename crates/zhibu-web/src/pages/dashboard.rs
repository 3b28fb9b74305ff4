//! The committee dashboard (`/committees/{id}`): every branch × month as a heat map of open
//! findings, open findings by rule, the branches with the most open items (as counts, never as a
//! score), and the year's trend; every cell, row and bar links to the drill page
//! (`/committees/{id}/findings`), which lists the findings with their articles and the records
//! behind them, and where committee staff grant exemptions.
//!
//! A finding is counted in the month its period ends (a missed monthly meeting in that month, a
//! missed quarterly one in the quarter's last month); findings about a branch's shape, which have
//! no period, in the month of the day they were judged on. Coming-due duties and exempted findings
//! are not open and are not counted in the heat map.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::Datelike;
use zhibu_core::engine::{Finding, FindingStatus};
use zhibu_core::{Exemption, Org, OrgId, OrgLevel};
use zhibu_storage::StorageError;

use super::charts::{HeatInput, HeatMap, Trend, heat_map, heat_scale, trend};
use super::evaluation::{Evaluation, FindingsCache};
use super::findings_view::{ExemptForm, FindingView};
use super::forms::SelectOption;
use super::workspace::may_see_findings;
use super::{
    Chrome, Failure, PageContext, PageError, audit_change, check_csrf, field, form_fields, html,
    parse_id, parse_year, query_pairs, query_value, see_other,
};
use crate::AppState;
use crate::auth::{Access, Action, Area, Principal};

#[derive(askama::Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    org_name: String,
    level: &'static str,
    year: i32,
    next_year: Option<i32>,
    children: Vec<Link>,
    heatmap: HeatMap,
    scale: Vec<ScaleStep>,
    by_rule: Vec<RuleRow>,
    most: Vec<FactRow>,
    trend: Trend,
}

struct Link {
    href: String,
    label: String,
}

struct ScaleStep {
    class: &'static str,
    label: &'static str,
}

struct RuleRow {
    title: String,
    rule_id: String,
    open: usize,
    exempted: usize,
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
    branch_value: Option<i64>,
    month_options: Vec<SelectOption>,
    rule_options: Vec<SelectOption>,
    status_options: Vec<SelectOption>,
    findings: Vec<FindingView>,
    open_evidence: bool,
}

/// The committee (any org above branches) and its evaluation, if the principal may see it.
async fn committee_evaluation(
    state: &AppState,
    cache: &FindingsCache,
    context: &PageContext,
    principal: &Principal,
    id: &str,
    year: Option<&str>,
) -> Result<Result<(Org, Arc<Evaluation>), Response>, PageError> {
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
    let evaluation = cache
        .evaluation(&state.repository, org_id, year, today)
        .await
        .map_err(storage)?;
    Ok(Ok((org, evaluation)))
}

fn drill_href(org: OrgId, year: i32, filters: &[(&str, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("year", &year.to_string());
    for (name, value) in filters {
        query.append_pair(name, value);
    }
    format!("/committees/{org}/findings?{}", query.finish())
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
    let (org, evaluation) = match committee_evaluation(
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
        Err(redirect) => return Ok(redirect),
    };
    let root = evaluation.root;
    let year = evaluation.year;
    let open: Vec<&Finding> = evaluation
        .report
        .findings
        .iter()
        .filter(|finding| finding.is_open())
        .collect();

    // Open findings per branch and month.
    let mut per_cell: BTreeMap<(OrgId, u32), usize> = BTreeMap::new();
    let mut per_month = [0usize; 12];
    let mut per_branch: BTreeMap<OrgId, Vec<FindingStatus>> = BTreeMap::new();
    for finding in &open {
        let branch = evaluation.branch_of(finding);
        per_branch.entry(branch).or_default().push(finding.status);
        if let Some(month) = evaluation.month_of(finding) {
            *per_cell.entry((branch, month)).or_default() += 1;
            per_month[(month - 1) as usize] += 1;
        }
    }
    let branches = evaluation.branches();
    let month_labels: Vec<String> = (1..=12).map(|month| lang.month_short(month)).collect();
    let rows = branches
        .iter()
        .map(|branch| HeatInput {
            name: branch.name.clone(),
            href: drill_href(root, year, &[("branch", branch.id.to_string())]),
            months: std::array::from_fn(|index| {
                let month = index as u32 + 1;
                let count = per_cell.get(&(branch.id, month)).copied().unwrap_or(0);
                (
                    count,
                    drill_href(
                        root,
                        year,
                        &[
                            ("branch", branch.id.to_string()),
                            ("month", month.to_string()),
                        ],
                    ),
                    lang.heat_cell_title(&branch.name, year, month, count),
                )
            }),
        })
        .collect();

    // Findings by rule, open and exempted.
    let mut by_rule: BTreeMap<&str, (String, usize, usize)> = BTreeMap::new();
    for finding in &evaluation.report.findings {
        if finding.status == FindingStatus::ComingDue {
            continue;
        }
        let entry = by_rule.entry(finding.rule_id.as_str()).or_insert_with(|| {
            (
                lang.pick(&finding.title_zh, &finding.title_en).to_string(),
                0,
                0,
            )
        });
        if finding.exemption.is_some() {
            entry.2 += 1;
        } else {
            entry.1 += 1;
        }
    }
    let by_rule = by_rule
        .into_iter()
        .map(|(rule_id, (title, open, exempted))| RuleRow {
            title,
            rule_id: rule_id.to_string(),
            open,
            exempted,
            href: drill_href(root, year, &[("rule", rule_id.to_string())]),
        })
        .collect();

    // The branches with the most open items: counts, largest first, ties by tree order.
    let mut most: Vec<(OrgId, Vec<FindingStatus>)> = per_branch.into_iter().collect();
    most.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let most = most
        .into_iter()
        .take(10)
        .map(|(branch, statuses)| {
            let mut parts: Vec<(FindingStatus, usize)> = Vec::new();
            for status in statuses.iter() {
                match parts.iter_mut().find(|(known, _)| known == status) {
                    Some((_, count)) => *count += 1,
                    None => parts.push((*status, 1)),
                }
            }
            FactRow {
                name: evaluation.org_name(branch),
                href: drill_href(root, year, &[("branch", branch.to_string())]),
                count: lang.count_items(statuses.len()),
                breakdown: lang.status_breakdown(&parts),
            }
        })
        .collect();

    let trend = trend(
        (1..=12u32)
            .map(|month| {
                let count = per_month[(month - 1) as usize];
                (
                    count,
                    lang.month_short(month),
                    lang.trend_bar_title(year, month, count),
                    drill_href(root, year, &[("month", month.to_string())]),
                )
            })
            .collect(),
    );

    // Committees directly below, for a working committee over many departments.
    let children = evaluation
        .orgs
        .values()
        .filter(|child| {
            child.parent_id == Some(root)
                && !matches!(child.level, OrgLevel::Branch | OrgLevel::PartyGroup)
                && child.exists_in(year)
        })
        .map(|child| Link {
            href: format!("/committees/{}?year={year}", child.id),
            label: child.name.clone(),
        })
        .collect();

    let today = evaluation.today;
    let page = DashboardPage {
        chrome: context.chrome(format!("{} · {}", org.name, tr.dashboard_title)),
        org_name: org.name.clone(),
        level: lang.org_level(org.level),
        year,
        next_year: (year < today.year()).then_some(year + 1),
        children,
        heatmap: heat_map(rows, &month_labels),
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
        DrillFilters {
            branch: text("branch")
                .and_then(|value| value.parse::<i64>().ok())
                .map(OrgId),
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

    fn matches(&self, evaluation: &Evaluation, finding: &Finding) -> bool {
        let status = match self.status.as_str() {
            "all" => true,
            "exempted" => finding.exemption.is_some(),
            _ => finding.is_open(),
        };
        status
            && self
                .branch
                .is_none_or(|branch| evaluation.branch_of(finding) == branch)
            && self
                .month
                .is_none_or(|month| evaluation.month_of(finding) == Some(month))
            && self
                .rule
                .as_deref()
                .is_none_or(|rule| finding.rule_id == rule)
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

fn render_drill(
    context: &PageContext,
    principal: &Principal,
    org: &Org,
    evaluation: &Evaluation,
    query: &[(String, String)],
    refused: Option<RefusedExemption>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = context.lang;
    let tr = context.tr();
    let filters = DrillFilters::read(query);
    let root = evaluation.root;
    let year = evaluation.year;
    let back = {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (name, value) in query.iter().filter(|(name, _)| name != "exempted") {
            serializer.append_pair(name, value);
        }
        serializer.finish()
    };
    let findings: Vec<FindingView> = evaluation
        .report
        .findings
        .iter()
        .filter(|finding| filters.matches(evaluation, finding))
        .map(|finding| {
            let mut view = FindingView::new(finding, evaluation, lang);
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
    if let Some(branch) = filters.branch {
        scope.push(evaluation.org_name(branch));
    }
    if let Some(month) = filters.month {
        scope.push(lang.year_month(year, month));
    } else {
        scope.push(year.to_string());
    }
    if let Some(rule) = &filters.rule {
        scope.push(rule.clone());
    }
    let mut rules: Vec<(String, String)> = evaluation
        .report
        .findings
        .iter()
        .map(|finding| {
            (
                finding.rule_id.clone(),
                lang.pick(&finding.title_zh, &finding.title_en).to_string(),
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
        org_name: org.name.clone(),
        year,
        scope_label: scope.join(" · "),
        branch_value: filters.branch.map(|branch| branch.0),
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
    let (org, evaluation) = match committee_evaluation(
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
        Err(redirect) => return Ok(redirect),
    };
    render_drill(
        &context,
        &principal,
        &org,
        &evaluation,
        &query,
        None,
        StatusCode::OK,
    )
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
    let (org, evaluation) = match committee_evaluation(
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
    // Only an open finding of this committee's subtree, as the engine reported it, can be exempted.
    let Some(finding) = evaluation.report.findings.iter().find(|finding| {
        finding.key == key && finding.is_open() && finding.org_id != evaluation.root
    }) else {
        return Err(context.error(Failure::NotFound));
    };
    let exemption = Exemption {
        org_id: finding.org_id,
        finding_key: key.clone(),
        granted_by: evaluation.root,
        granted_on: evaluation.today,
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
                format!("/committees/{}/findings?exempted=1", evaluation.root)
            } else {
                format!("/committees/{}/findings?{back}&exempted=1", evaluation.root)
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
                &context,
                &principal,
                &org,
                &evaluation,
                &query,
                Some(refused),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
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
        ]);
        assert_eq!((filters.month, filters.status.as_str()), (None, "all"));
    }
}
