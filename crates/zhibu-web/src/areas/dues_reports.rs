//! Dues reports: a branch's monthly collection report with what it remits upward
//! (`GET /api/v1/dues/collection`), and one member's ledger with arrears
//! (`GET /api/v1/members/{id}/dues-ledger`). Both are computed by the pure core
//! (`zhibu_core::dues::{branch_collection_report, member_ledger}`) from the stored records; the
//! pages use the same loaders.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhibu_core::dues::{
    BranchCollectionReport, BranchDuesPolicy, DuesPayment, DuesPolicy, DuesRecords, DuesRelief,
    IncomeDeclaration, MemberLedger, YearMonth, branch_collection_report, member_ledger,
};
use zhibu_core::{Member, MemberId, Org, OrgId, OrgLevel, Record, Stored};
use zhibu_storage::{ListRequest, Repository, StorageError};

use crate::AppState;
use crate::auth::{Access, Action, Area, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;

/// A branch's dues records, as stored.
#[derive(Debug, Clone, Default)]
pub struct BranchDuesRecords {
    pub declarations: Vec<Stored<IncomeDeclaration>>,
    pub payments: Vec<Stored<DuesPayment>>,
    pub reliefs: Vec<Stored<DuesRelief>>,
    pub policies: Vec<Stored<BranchDuesPolicy>>,
}

impl BranchDuesRecords {
    /// The settings decided last, if any.
    pub fn policy_record(&self) -> Option<&Stored<BranchDuesPolicy>> {
        self.policies
            .iter()
            .max_by_key(|policy| (policy.body.decided_on, policy.id))
    }

    pub fn policy(&self) -> DuesPolicy {
        self.policy_record()
            .map(|policy| policy.body.policy())
            .unwrap_or_default()
    }

    /// The month the ledger opens: the settings say so, or the earliest month a record is about.
    pub fn ledger_opened(&self) -> Option<YearMonth> {
        if let Some(policy) = self.policy_record() {
            return Some(policy.body.ledger_opened);
        }
        self.declarations
            .iter()
            .map(|record| record.body.effective_month)
            .chain(
                self.payments
                    .iter()
                    .flat_map(|record| record.body.months_covered.iter().copied()),
            )
            .chain(self.reliefs.iter().map(|record| record.body.from_month))
            .min()
    }

    fn extend(&mut self, other: BranchDuesRecords) {
        self.declarations.extend(other.declarations);
        self.payments.extend(other.payments);
        self.reliefs.extend(other.reliefs);
        self.policies.extend(other.policies);
    }
}

/// The bodies in the form the core takes them.
pub struct DuesBodies {
    pub declarations: Vec<IncomeDeclaration>,
    pub payments: Vec<DuesPayment>,
    pub reliefs: Vec<DuesRelief>,
}

impl DuesBodies {
    pub fn of(records: &BranchDuesRecords) -> DuesBodies {
        DuesBodies {
            declarations: records
                .declarations
                .iter()
                .map(|r| r.body.clone())
                .collect(),
            payments: records.payments.iter().map(|r| r.body.clone()).collect(),
            reliefs: records.reliefs.iter().map(|r| r.body.clone()).collect(),
        }
    }

    pub fn records(&self) -> DuesRecords<'_> {
        DuesRecords {
            declarations: &self.declarations,
            payments: &self.payments,
            reliefs: &self.reliefs,
        }
    }
}

async fn all_of<T: Record>(
    repository: &Repository,
    branch: OrgId,
) -> Result<Vec<Stored<T>>, StorageError> {
    let mut items = Vec::new();
    let mut after_id = None;
    loop {
        let page = repository
            .list::<T>(&ListRequest {
                subtree: Some(branch),
                after_id,
                limit: Some(1000),
                ..ListRequest::default()
            })
            .await?;
        items.extend(page.items);
        match page.next_after {
            Some(next) => after_id = Some(next),
            None => return Ok(items),
        }
    }
}

/// Every dues record kept by `branch`.
pub async fn branch_dues_records(
    repository: &Repository,
    branch: OrgId,
) -> Result<BranchDuesRecords, StorageError> {
    Ok(BranchDuesRecords {
        declarations: all_of::<IncomeDeclaration>(repository, branch).await?,
        payments: all_of::<DuesPayment>(repository, branch).await?,
        reliefs: all_of::<DuesRelief>(repository, branch).await?,
        policies: all_of::<BranchDuesPolicy>(repository, branch).await?,
    })
}

/// The members whose dues `branch` collected at some time: everyone ever posted to it.
pub async fn members_ever_posted(
    repository: &Repository,
    branch: OrgId,
    to: NaiveDate,
) -> Result<Vec<Stored<Member>>, StorageError> {
    let from = NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to);
    let snapshot = repository.load_snapshot(branch, from, to).await?;
    Ok(snapshot
        .members
        .into_iter()
        .filter(|member| {
            member
                .body
                .postings
                .iter()
                .any(|posting| posting.branch_id == branch)
        })
        .collect())
}

/// The collection report of `branch` for `month`, with the branch's records.
pub async fn collection_report(
    repository: &Repository,
    branch: OrgId,
    month: YearMonth,
) -> Result<
    (
        BranchCollectionReport,
        BranchDuesRecords,
        Vec<Stored<Member>>,
    ),
    StorageError,
> {
    let records = branch_dues_records(repository, branch).await?;
    let members = members_ever_posted(repository, branch, month.last_day()).await?;
    let bodies = DuesBodies::of(&records);
    let opened = records.ledger_opened().unwrap_or(month).min(month);
    let report = branch_collection_report(
        branch,
        &members,
        &bodies.records(),
        &records.policy(),
        opened,
        month,
    );
    Ok((report, records, members))
}

/// A member's ledger from `from` to `to`, from the records of every branch they were posted to.
pub async fn ledger_of(
    repository: &Repository,
    member: &Stored<Member>,
    from: Option<YearMonth>,
    to: YearMonth,
) -> Result<(MemberLedger, BranchDuesRecords), StorageError> {
    let mut branches: Vec<OrgId> = member
        .body
        .postings
        .iter()
        .map(|posting| posting.branch_id)
        .collect();
    branches.sort();
    branches.dedup();
    let mut records = BranchDuesRecords::default();
    let mut policy = None;
    for branch in &branches {
        let kept = branch_dues_records(repository, *branch).await?;
        if member.body.current_branch() == Some(*branch) {
            policy = Some(kept.policy());
        }
        records.extend(kept);
    }
    let member_id = MemberId(member.id);
    records
        .declarations
        .retain(|r| r.body.member_id == member_id);
    records.payments.retain(|r| r.body.member_id == member_id);
    records.reliefs.retain(|r| r.body.member_id == member_id);
    let opened = records
        .ledger_opened()
        .unwrap_or(to)
        .max(YearMonth::of(member.body.joined_on));
    let from = from.unwrap_or(opened).min(to);
    let bodies = DuesBodies::of(&records);
    let ledger = member_ledger(
        member,
        &bodies.records(),
        &policy.unwrap_or_default(),
        from,
        to,
    );
    Ok((ledger, records))
}

fn parse_month(field: &str, text: &str) -> Result<YearMonth, ApiError> {
    YearMonth::parse(text).map_err(|error| {
        let field_error = error.to_field_error(field);
        ApiError::malformed_field(
            field,
            "invalid_month",
            field_error.message_zh,
            field_error.message_en,
        )
    })
}

/// Which branch and month.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CollectionParams {
    /// The branch.
    pub org: i64,
    /// The month, `YYYY-MM`; if absent, the month of `to`, else the current month.
    pub month: Option<String>,
    /// Accepted for symmetry with other reports: a day in the month wanted when `month` is absent.
    pub from: Option<NaiveDate>,
    /// A day in the month wanted when `month` is absent.
    pub to: Option<NaiveDate>,
}

/// The monthly collection report of a branch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CollectionReportView {
    pub branch_name: String,
    /// `zhibu_core::dues::BranchCollectionReport`: each member's base, rate, due, paid, arrears;
    /// totals; flags; and the remittance upward. Amounts are integer fen.
    #[schema(value_type = Object)]
    pub report: BranchCollectionReport,
}

/// A branch's dues collection for one month: each member's due and payment, arrears, flags, and
/// what the branch remits upward (党费收缴月报).
#[utoipa::path(
    get,
    path = "/dues/collection",
    tag = "dues-reports",
    operation_id = "dues_collection_report",
    summary = "党费收缴月报 / a branch's monthly dues collection report",
    params(CollectionParams),
    responses(
        (status = 200, description = "The report", body = CollectionReportView),
        (status = 400, description = "An unknown branch, one outside the account's subtree, not a branch, or a malformed month", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The role does not see the branch's dues (members see their own ledger only)", body = ErrorBody),
    ),
)]
pub async fn collection(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<CollectionParams>,
) -> Result<Json<CollectionReportView>, ApiError> {
    if principal.allows(Area::DuesCollection, Action::Read) == Access::Denied {
        return Err(ApiError::forbidden_role(&principal));
    }
    let month = match (&params.month, params.to) {
        (Some(text), _) => parse_month("month", text)?,
        (None, Some(to)) => YearMonth::of(to),
        (None, None) => YearMonth::of((state.today)()),
    };
    let branch = OrgId(params.org);
    let unknown = || {
        ApiError::malformed_field(
            "org",
            "unknown_org",
            format!("党支部{branch}不存在"),
            format!("branch {branch} does not exist"),
        )
    };
    if !principal.can_see_org(&state.repository, branch).await? {
        return Err(unknown());
    }
    let org = match state.repository.get::<Org>(branch).await {
        Ok(org) => org,
        Err(StorageError::NotFound { .. }) => return Err(unknown()),
        Err(error) => return Err(error.into()),
    };
    if org.body.level != OrgLevel::Branch {
        return Err(ApiError::malformed_field(
            "org",
            "not_a_branch",
            format!("{}不是党支部：党费由党支部收缴", org.body.name),
            format!(
                "{} is not a branch: dues are collected by branches",
                org.body.name
            ),
        ));
    }
    let (report, _, _) = collection_report(&state.repository, branch, month).await?;
    Ok(Json(CollectionReportView {
        branch_name: org.body.name,
        report,
    }))
}

/// Which months of the ledger.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerParams {
    /// First month, `YYYY-MM`; the month the member's ledger opens if absent.
    pub from: Option<String>,
    /// Last month, `YYYY-MM`; the current month if absent.
    pub to: Option<String>,
}

/// A member's dues ledger.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerView {
    pub member_id: i64,
    pub member_name: String,
    /// `zhibu_core::dues::MemberLedger`: month by month the base, rate, due, relief, paid and
    /// arrears; how each payment was spread; flags; totals. Amounts are integer fen.
    #[schema(value_type = Object)]
    pub ledger: MemberLedger,
}

/// The member record `id`, if the principal may read that member's dues ledger: their own, or
/// any member of a branch in their scope. Otherwise not found, as if it did not exist.
pub async fn ledger_member(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> Result<Stored<Member>, ApiError> {
    let not_found = || {
        ApiError::Storage(StorageError::NotFound {
            kind: zhibu_core::RecordKind::Member,
            id,
        })
    };
    let access = principal.allows(Area::DuesLedgers, Action::Read);
    if access == Access::Denied {
        return Err(ApiError::forbidden_role(principal));
    }
    let member = match state.repository.get::<Member>(MemberId(id)).await {
        Ok(member) => member,
        Err(StorageError::NotFound { .. }) | Err(StorageError::Deleted { .. }) => {
            return Err(not_found());
        }
        Err(error) => return Err(error.into()),
    };
    let visible = match access {
        Access::Own => principal.member_id == Some(MemberId(id)),
        _ => {
            let mut any = false;
            for posting in &member.body.postings {
                if principal
                    .can_see_org(&state.repository, posting.branch_id)
                    .await?
                {
                    any = true;
                    break;
                }
            }
            any
        }
    };
    if visible {
        Ok(member)
    } else {
        Err(not_found())
    }
}

/// One member's dues month by month: base, rate, due, relief, paid, arrears, and flags.
#[utoipa::path(
    get,
    path = "/members/{id}/dues-ledger",
    tag = "dues-reports",
    operation_id = "member_dues_ledger",
    summary = "党员党费账 / a member's dues ledger and arrears",
    params(("id" = i64, Path, description = "The member"), LedgerParams),
    responses(
        (status = 200, description = "The ledger", body = LedgerView),
        (status = 400, description = "A malformed month, or `to` before `from`", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such member, or one whose ledger the account may not read (a member reads only their own)", body = ErrorBody),
    ),
)]
pub async fn ledger(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<LedgerParams>,
) -> Result<Json<LedgerView>, ApiError> {
    let member = ledger_member(&state, &principal, id).await?;
    let to = match &params.to {
        Some(text) => parse_month("to", text)?,
        None => YearMonth::of((state.today)()),
    };
    let from = match &params.from {
        Some(text) => Some(parse_month("from", text)?),
        None => None,
    };
    if let Some(from) = from
        && from > to
    {
        return Err(ApiError::malformed_field(
            "to",
            "before_from",
            format!("截止月份{to}早于起始月份{from}"),
            format!("`to` ({to}) is before `from` ({from})"),
        ));
    }
    let (ledger, _) = ledger_of(&state.repository, &member, from, to).await?;
    Ok(Json(LedgerView {
        member_id: member.id,
        member_name: member.body.name,
        ledger,
    }))
}

/// The routes of the dues reports, relative to `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dues/collection", axum::routing::get(collection))
        .route("/members/{id}/dues-ledger", axum::routing::get(ledger))
}

/// Their part of the OpenAPI document, relative to `/api/v1`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(collection, ledger))]
    struct ReportsApi;
    <ReportsApi as utoipa::OpenApi>::openapi()
}
