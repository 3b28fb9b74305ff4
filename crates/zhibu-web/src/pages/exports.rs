//! Downloads: the registers offices print and the spreadsheets they keep (issue 4 §4, issue 5 §5).
//!
//! | route | what |
//! |---|---|
//! | `/branches/{id}/exports/roster.pdf`, `.xlsx` (`?date=`) | 党员名册 on a day (today by default) |
//! | `/branches/{id}/exports/dues.pdf`, `.xlsx` (`?month=YYYY-MM`) | 党费收缴登记表 with the year's ledger |
//! | `/branches/{id}/exports/attendance.xlsx` (`?year=`) | attendance per meeting × member |
//! | `/branches/{id}/exports/annual-summary.pdf` (`?year=`) | the year's duties per month and open findings |
//! | `/meetings/{id}/record.pdf`, `.docx` | one meeting in the layout of a 三会一课 record book |
//! | `/admission-records/{id}/record.pdf` | 发展党员工作纪实表 |
//!
//! Who: the policy row `Exports/Read` (officers, staff above them and administrators; members
//! export nothing), and the record or branch must lie in the principal's subtree — outside it the
//! answer is 404, as for a page. ID numbers and phones in the roster are whole only for the roles
//! `Principal::may_see_personal_identifiers` names, masked for the others. Every export is
//! written to the audit log (who, which register, which org, masked or not) before the file is
//! sent; if the entry cannot be written, nothing is sent.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use zhibu_core::admission::AdmissionRecordId;
use zhibu_core::dues::YearMonth;
use zhibu_core::{MeetingId, OrgId};
use zhibu_print::gather::{self, PersonalData};
use zhibu_print::{PrintError, Printer, docx, xlsx};
use zhibu_storage::StorageError;

use super::{Failure, PageContext, PageError, parse_id, parse_year, query_pairs, query_value};
use crate::AppState;
use crate::auth::{Access, Action, Area, AuditTarget, Principal};

const PDF: &str = "application/pdf";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// A file to send: its bytes, type and the name offered to save it under.
struct Download {
    bytes: Vec<u8>,
    content_type: &'static str,
    /// ASCII fallback name, e.g. `roster-12-2026-03-31.pdf`.
    ascii_name: String,
    /// The Chinese name, e.g. `机关第一党支部党员名册.pdf`.
    name: String,
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        let encoded: String = self
            .name
            .bytes()
            .map(|byte| {
                if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                    char::from(byte).to_string()
                } else {
                    format!("%{byte:02X}")
                }
            })
            .collect();
        let disposition = format!(
            "attachment; filename=\"{}\"; filename*=UTF-8''{encoded}",
            self.ascii_name
        );
        let mut response = (StatusCode::OK, self.bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        response
    }
}

/// Why an export failed, as a response: a page error, or the printer's own message (no Chinese
/// font: 503 with the packages to install, in both languages).
pub enum ExportError {
    Page(PageError),
    Print(PrintError),
}

impl From<PageError> for ExportError {
    fn from(error: PageError) -> Self {
        ExportError::Page(error)
    }
}

impl IntoResponse for ExportError {
    fn into_response(self) -> Response {
        match self {
            ExportError::Page(error) => error.into_response(),
            ExportError::Print(PrintError::NoFonts(message)) => {
                tracing::error!(%message, "an export needs a Chinese font");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    message,
                )
                    .into_response()
            }
            ExportError::Print(other) => {
                tracing::error!(error = %other, "an export failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    "导出失败，未生成文件。请稍后重试；如果问题持续，请联系系统管理员。 / The export failed and no file was made. Try again later, and tell the system administrator if it keeps happening.",
                )
                    .into_response()
            }
        }
    }
}

pub type ExportResult = Result<Response, ExportError>;

/// Runs a typesetting or writing job off the async threads (typst takes tens of milliseconds
/// and a great deal of CPU).
async fn blocking<F>(job: F) -> Result<Vec<u8>, ExportError>
where
    F: FnOnce() -> Result<Vec<u8>, PrintError> + Send + 'static,
{
    match tokio::task::spawn_blocking(job).await {
        Ok(result) => result.map_err(ExportError::Print),
        Err(error) => Err(ExportError::Print(PrintError::Document(error.to_string()))),
    }
}

fn printer() -> Result<std::sync::Arc<Printer>, ExportError> {
    Printer::shared().map_err(ExportError::Print)
}

/// The principal may export at all (not a member account).
fn may_export(context: &PageContext, principal: &Principal) -> Result<(), PageError> {
    if principal.allows(Area::Exports, Action::Read) == Access::Denied {
        return Err(context.error(Failure::Forbidden));
    }
    Ok(())
}

/// The branch of the path, if the principal may export its registers; its name and org path.
async fn exportable_branch(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    id: &str,
) -> Result<(OrgId, String, String), PageError> {
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let branch = OrgId(parse_id(context, id)?);
    if !principal
        .can_see_org(&state.repository, branch)
        .await
        .map_err(storage)?
    {
        return Err(context.error(Failure::NotFound));
    }
    may_export(context, principal)?;
    let (org, _) = gather::branch(&state.repository, branch)
        .await
        .map_err(storage)?;
    let path = state.repository.org_path(branch).await.map_err(storage)?;
    Ok((branch, org.name, path))
}

/// Writes the audit entry of an export; if it cannot be written the file is not sent.
async fn audit_export(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    target: AuditTarget,
    detail: serde_json::Value,
) -> Result<(), PageError> {
    crate::auth::audit(state, Some(principal), "export", target, detail)
        .await
        .map_err(|error| context.error(Failure::Internal(error.to_string())))
}

fn context_of(headers: &HeaderMap, uri: &Uri, principal: &Principal) -> PageContext {
    PageContext::new(headers, uri, Some(principal.clone()))
}

fn personal_data(principal: &Principal) -> PersonalData {
    if principal.may_see_personal_identifiers(None) {
        PersonalData::Whole
    } else {
        PersonalData::Masked
    }
}

/// `?date=YYYY-MM-DD`, today by default; a malformed date is a page that does not exist.
fn parse_date(context: &PageContext, uri: &Uri, today: NaiveDate) -> Result<NaiveDate, PageError> {
    let query = query_pairs(uri);
    match query_value(&query, "date").filter(|text| !text.is_empty()) {
        None => Ok(today),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .filter(|date| date.year() >= 2000 && *date <= today)
            .ok_or_else(|| context.error(Failure::NotFound)),
    }
}

/// `?month=YYYY-MM`, this month by default.
fn parse_month(context: &PageContext, uri: &Uri, today: NaiveDate) -> Result<YearMonth, PageError> {
    let query = query_pairs(uri);
    match query_value(&query, "month").filter(|text| !text.is_empty()) {
        None => Ok(YearMonth::of(today)),
        Some(text) => YearMonth::parse(text)
            .ok()
            .filter(|month| month.year() >= 2008 && *month <= YearMonth::of(today).plus(1))
            .ok_or_else(|| context.error(Failure::NotFound)),
    }
}

fn year_of_query(context: &PageContext, uri: &Uri, today: NaiveDate) -> Result<i32, PageError> {
    let query = query_pairs(uri);
    parse_year(context, query_value(&query, "year"), today)
}

async fn roster(
    state: AppState,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    id: String,
    pdf: bool,
) -> ExportResult {
    let context = context_of(&headers, &uri, &principal);
    let lang = context.lang;
    let (branch, name, path) = exportable_branch(&state, &context, &principal, &id).await?;
    // The roster lists people: a role that reads members only as itself does not get it.
    if principal.allows(Area::Members, Action::Read) != Access::InScope {
        return Err(context.error(Failure::Forbidden).into());
    }
    let today = (state.today)();
    let as_of = parse_date(&context, &uri, today)?;
    let personal = personal_data(&principal);
    let view = gather::roster(&state.repository, branch, as_of, personal)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let printer = if pdf { Some(printer()?) } else { None };
    let bytes = blocking(move || match printer {
        Some(printer) => printer.roster(&view),
        None => xlsx::roster(&view),
    })
    .await?;
    audit_export(
        &state,
        &context,
        &principal,
        AuditTarget::subtree(branch.0, &path),
        serde_json::json!({ "export": "roster", "format": if pdf { "pdf" } else { "xlsx" }, "date": as_of, "masked": personal == PersonalData::Masked }),
    )
    .await?;
    let extension = if pdf { "pdf" } else { "xlsx" };
    Ok(Download {
        bytes,
        content_type: if pdf { PDF } else { XLSX },
        ascii_name: format!("roster-{branch}-{as_of}.{extension}"),
        name: format!("{name}党员名册（{as_of}）.{extension}"),
    }
    .into_response())
}

pub async fn roster_pdf(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> ExportResult {
    roster(state, principal, headers, uri, id, true).await
}

pub async fn roster_xlsx(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> ExportResult {
    roster(state, principal, headers, uri, id, false).await
}

async fn dues(
    state: AppState,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    id: String,
    pdf: bool,
) -> ExportResult {
    let context = context_of(&headers, &uri, &principal);
    let lang = context.lang;
    let (branch, name, path) = exportable_branch(&state, &context, &principal, &id).await?;
    let today = (state.today)();
    let month = parse_month(&context, &uri, today)?;
    let view = gather::dues_register(&state.repository, branch, month)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let printer = if pdf { Some(printer()?) } else { None };
    let bytes = blocking(move || match printer {
        Some(printer) => printer.dues_register(&view),
        None => xlsx::dues_register(&view),
    })
    .await?;
    audit_export(
        &state,
        &context,
        &principal,
        AuditTarget::subtree(branch.0, &path),
        serde_json::json!({ "export": "dues", "format": if pdf { "pdf" } else { "xlsx" }, "month": month.to_string() }),
    )
    .await?;
    let extension = if pdf { "pdf" } else { "xlsx" };
    Ok(Download {
        bytes,
        content_type: if pdf { PDF } else { XLSX },
        ascii_name: format!("dues-{branch}-{month}.{extension}"),
        name: format!("{name}党费收缴登记表（{month}）.{extension}"),
    }
    .into_response())
}

pub async fn dues_pdf(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> ExportResult {
    dues(state, principal, headers, uri, id, true).await
}

pub async fn dues_xlsx(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> ExportResult {
    dues(state, principal, headers, uri, id, false).await
}

pub async fn attendance_xlsx(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> ExportResult {
    let context = context_of(&headers, &uri, &principal);
    let lang = context.lang;
    let (branch, name, path) = exportable_branch(&state, &context, &principal, &id).await?;
    if principal.allows(Area::Meetings, Action::Read) != Access::InScope {
        return Err(context.error(Failure::Forbidden).into());
    }
    let today = (state.today)();
    let year = year_of_query(&context, &uri, today)?;
    let view = gather::attendance(&state.repository, branch, year, today)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let bytes = blocking(move || xlsx::attendance(&view)).await?;
    audit_export(
        &state,
        &context,
        &principal,
        AuditTarget::subtree(branch.0, &path),
        serde_json::json!({ "export": "attendance", "format": "xlsx", "year": year }),
    )
    .await?;
    Ok(Download {
        bytes,
        content_type: XLSX,
        ascii_name: format!("attendance-{branch}-{year}.xlsx"),
        name: format!("{name}{year}年出勤登记.xlsx"),
    }
    .into_response())
}

pub async fn annual_summary_pdf(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> ExportResult {
    let context = context_of(&headers, &uri, &principal);
    let lang = context.lang;
    let (branch, name, path) = exportable_branch(&state, &context, &principal, &id).await?;
    if principal.allows(Area::Findings, Action::Read) == Access::Denied {
        return Err(context.error(Failure::Forbidden).into());
    }
    let today = (state.today)();
    let year = year_of_query(&context, &uri, today)?;
    let view = gather::annual_summary(&state.repository, branch, year, today)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let printer = printer()?;
    let bytes = blocking(move || printer.annual_summary(&view)).await?;
    audit_export(
        &state,
        &context,
        &principal,
        AuditTarget::subtree(branch.0, &path),
        serde_json::json!({ "export": "annual_summary", "format": "pdf", "year": year }),
    )
    .await?;
    Ok(Download {
        bytes,
        content_type: PDF,
        ascii_name: format!("annual-summary-{branch}-{year}.pdf"),
        name: format!("{name}{year}年度组织生活纪实.pdf"),
    }
    .into_response())
}

/// A meeting the principal may export: in the subtree, and the role reads whole meetings (a member
/// reads only their own part of one, and exports nothing).
async fn exportable_meeting(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    id: &str,
) -> Result<(zhibu_core::Stored<zhibu_core::Meeting>, String), PageError> {
    let lang = context.lang;
    let storage = |error| PageError::storage(lang, error);
    let meeting = gather::meeting(&state.repository, MeetingId(parse_id(context, id)?))
        .await
        .map_err(storage)?;
    let concerned = match principal.allows(Area::Meetings, Action::Read) {
        Access::Denied => false,
        Access::Own => principal.member_id.is_some_and(|member| {
            crate::auth::ScopedRecord::concerns_member(&meeting.body, meeting.id, member)
        }),
        Access::InScope | Access::BelowScope => true,
    };
    if !concerned
        || !principal
            .can_see_org(&state.repository, meeting.body.org_id)
            .await
            .map_err(storage)?
    {
        return Err(context.error(Failure::NotFound));
    }
    may_export(context, principal)?;
    let path = state
        .repository
        .org_path(meeting.body.org_id)
        .await
        .map_err(storage)?;
    Ok((meeting, path))
}

async fn meeting_record(
    state: AppState,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    id: String,
    pdf: bool,
) -> ExportResult {
    let context = context_of(&headers, &uri, &principal);
    let lang = context.lang;
    let (meeting, path) = exportable_meeting(&state, &context, &principal, &id).await?;
    let view = gather::meeting_record(&state.repository, &meeting)
        .await
        .map_err(|error| PageError::storage(lang, error))?;
    let name = format!("{}{}会议记录", view.branch_name, meeting.body.held_on);
    let printer = if pdf { Some(printer()?) } else { None };
    let bytes = blocking(move || match printer {
        Some(printer) => printer.meeting_record(&view),
        None => docx::meeting_record(&view),
    })
    .await?;
    let extension = if pdf { "pdf" } else { "docx" };
    audit_export(
        &state,
        &context,
        &principal,
        AuditTarget::record("meeting", meeting.id, &path),
        serde_json::json!({ "export": "meeting_record", "format": extension, "version": meeting.version }),
    )
    .await?;
    Ok(Download {
        bytes,
        content_type: if pdf { PDF } else { DOCX },
        ascii_name: format!("meeting-{}.{extension}", meeting.id),
        name: format!("{name}.{extension}"),
    }
    .into_response())
}

pub async fn meeting_record_pdf(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> ExportResult {
    meeting_record(state, principal, headers, uri, id, true).await
}

pub async fn meeting_record_docx(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> ExportResult {
    meeting_record(state, principal, headers, uri, id, false).await
}

pub async fn admission_record_pdf(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> ExportResult {
    let context = context_of(&headers, &uri, &principal);
    let lang = context.lang;
    let storage = |error: StorageError| PageError::storage(lang, error);
    let record = gather::admission(
        &state.repository,
        AdmissionRecordId(parse_id(&context, &id)?),
    )
    .await
    .map_err(storage)?;
    let branch = record.body.person.branch_id;
    if !principal
        .can_see_org(&state.repository, branch)
        .await
        .map_err(storage)?
    {
        return Err(context.error(Failure::NotFound).into());
    }
    if principal.allows(Area::AdmissionRecords, Action::Read) == Access::Denied {
        return Err(context.error(Failure::Forbidden).into());
    }
    may_export(&context, &principal)?;
    let path = state.repository.org_path(branch).await.map_err(storage)?;
    let today = (state.today)();
    let view = gather::admission_record(&state.repository, &record.body, today)
        .await
        .map_err(storage)?;
    let name = format!("{}发展党员工作纪实表", view.name);
    let printer = printer()?;
    let bytes = blocking(move || printer.admission_record(&view)).await?;
    audit_export(
        &state,
        &context,
        &principal,
        AuditTarget::record("admission_record", record.id, &path),
        serde_json::json!({ "export": "admission_record", "format": "pdf", "version": record.version }),
    )
    .await?;
    Ok(Download {
        bytes,
        content_type: PDF,
        ascii_name: format!("admission-record-{}.pdf", record.id),
        name: format!("{name}.pdf"),
    }
    .into_response())
}
