//! The server-rendered pages: Simplified Chinese by default with an English switch, readable on a
//! phone and on an office PC, working without JavaScript.
//!
//! - Templates are askama files under `crates/zhibu-web/templates/`, compiled into the binary and
//!   escaped automatically; HTML is never assembled in Rust. Charts are inline SVG drawn by the
//!   same templates from geometry computed here (`charts`).
//! - The stylesheet and the few lines of script are ours, embedded with `include_str!` and served
//!   from `/assets/` with a content hash in the URL, so a browser keeps them for a year and still
//!   sees a new version at once (`assets`).
//! - Every string a page shows is in `i18n`, in both languages.
//! - Findings come from the engine through a cache shared by all pages (`evaluation`), valid until
//!   the next write.
//!
//! Every handler takes the signed-in [`Principal`] and checks it before reading anything: a record
//! outside the principal's subtree is answered like a record that does not exist (404), a form
//! without the session's CSRF token is refused (403) and nothing is written.

mod assets;
mod audit_page;
mod charts;
mod dashboard;
// Dues pages (issue 4).
mod dues;
pub mod evaluation;
mod exports;
mod findings_view;
mod forms;
mod home;
pub mod i18n;
mod meetings;
// Planned meetings (issue 7).
pub(crate) mod meeting_plans;
mod members;
// Regularity (常态化) pages and calendar feeds (issue 7).
mod calendars;
mod regularity;
mod reminders;
mod talks;
mod workspace;
// Admission pipelines, votes and elections (issue 5).
mod admissions;
mod elections;
mod votes;
// Spreadsheet import pages (issue 4 §3).
mod imports;

use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use zhibu_core::{MemberId, OrgId};
use zhibu_storage::StorageError;

use crate::AppState;
use crate::auth::routes::RecordingRouter;
use crate::auth::{PageRedirect, Principal, Role};
use evaluation::FindingsCache;
use i18n::{Lang, Texts};

/// Every page route, written down as it is added so that the route table
/// (`auth::routes::all()`) can be held equal to it.
pub fn routes() -> RecordingRouter {
    RecordingRouter::new()
        .get("/", home::home)
        .get("/lang/{code}", home::switch_language)
        .get("/assets/app.css", assets::stylesheet)
        .get("/assets/app.js", assets::script)
        .get("/branches/{id}", workspace::workspace)
        .get("/branches/{id}/meetings/new", meetings::new_meeting)
        .post("/branches/{id}/meetings", meetings::create_meeting)
        .get("/meetings/{id}", meetings::view_meeting)
        .post("/meetings/{id}/amend", meetings::amend_meeting)
        .get("/committees/{id}", dashboard::dashboard)
        .get("/committees/{id}/findings", dashboard::drill)
        .post("/committees/{id}/exemptions", dashboard::exempt)
        .get("/talks/{id}", talks::view_talk)
        .get("/members/{id}", members::member_page)
        .post("/members/{id}/statements", members::state_case)
        .post("/members/{id}/personal-data", members::show_in_full)
        .get("/admin/audit", audit_page::audit_page)
        // Downloads (exports and printed registers).
        .get("/branches/{id}/exports/roster.pdf", exports::roster_pdf)
        .get("/branches/{id}/exports/roster.xlsx", exports::roster_xlsx)
        .get("/branches/{id}/exports/dues.pdf", exports::dues_pdf)
        .get("/branches/{id}/exports/dues.xlsx", exports::dues_xlsx)
        .get(
            "/branches/{id}/exports/attendance.xlsx",
            exports::attendance_xlsx,
        )
        .get(
            "/branches/{id}/exports/annual-summary.pdf",
            exports::annual_summary_pdf,
        )
        .get("/meetings/{id}/record.pdf", exports::meeting_record_pdf)
        .get("/meetings/{id}/record.docx", exports::meeting_record_docx)
        .get(
            "/admission-records/{id}/record.pdf",
            exports::admission_record_pdf,
        )
        // Regularity pages and calendar feeds (issue 7).
        .get("/branches/{id}/regularity", regularity::branch_regularity)
        .get(
            "/committees/{id}/regularity",
            regularity::committee_regularity,
        )
        .get("/account/calendars", calendars::calendars_page)
        .post("/account/calendars", calendars::create_feed)
        .post("/account/calendars/{id}/revoke", calendars::revoke_feed)
        .get("/feeds/{token}", calendars::feed)
        // Reminders (issue 7): inbox, channel choices, group bots, deliveries.
        .get("/inbox", reminders::inbox)
        .post("/inbox/read", reminders::mark_read)
        .get("/settings/notifications", reminders::settings_page)
        .post("/settings/notifications", reminders::save_settings)
        .post("/settings/notifications/groups", reminders::add_group_bot)
        .get("/admin/deliveries", reminders::deliveries_page)
        // Dues (issue 4).
        .get("/branches/{id}/dues", dues::branch_dues)
        .post("/branches/{id}/dues/payments", dues::record_payment)
        .post("/branches/{id}/dues/declarations", dues::record_declaration)
        .get("/members/{id}/dues", dues::member_dues)
        // Admission pipelines, votes and elections (issue 5).
        .get("/branches/{id}/admissions", admissions::overview)
        .get("/admission-records/{id}", admissions::pipeline)
        .post("/admission-records/{id}/steps", admissions::record_step)
        .get("/meetings/{id}/votes", votes::meeting_votes)
        .post("/meetings/{id}/votes", votes::record_vote)
        .get("/votes/{id}", votes::view_vote)
        .get("/meetings/{id}/ballot-box", votes::ballot_box)
        .post("/meetings/{id}/ballot-box/cast", votes::cast_ballot)
        .post("/meetings/{id}/ballot-box/close", votes::close_ballot_box)
        .get("/branches/{id}/elections", elections::branch_elections)
        .get("/elections/{id}", elections::view_election)
        .get("/branches/{id}/elections/new", elections::new_election)
        .post("/branches/{id}/elections/new", elections::record_election)
        .post("/elections/{id}/report", elections::report_election)
        // Spreadsheet import (issue 4 §3): upload, preview, confirm, roll back.
        .get("/imports", imports::imports_page)
        .post(
            "/imports",
            axum::handler::Handler::layer(
                imports::upload,
                axum::extract::DefaultBodyLimit::max(imports::BODY_LIMIT),
            ),
        )
        .post("/imports/confirm", imports::confirm)
        .post("/imports/rollback", imports::rollback)
        // Planned meetings (issue 7).
        .get("/branches/{id}/meeting-plans/new", meeting_plans::new_plan)
        .post("/branches/{id}/meeting-plans", meeting_plans::create_plan)
}

/// Every page route. Merged into the application router beside the JSON API.
pub fn router() -> Router<AppState> {
    let cache = Arc::new(FindingsCache::new());
    routes()
        .into_router()
        .layer(Extension(cache))
        // Secret ballots open on a shared device (issue 5): in memory only until closed.
        .layer(Extension(Arc::new(votes::OpenBallots::default())))
        .layer(Extension(Arc::new(regularity::RegularityCache::new())))
        // Uploaded files waiting for their confirmation (in memory only, by token).
        .layer(Extension(Arc::new(imports::PendingImports::default())))
}

/// What every page shows around its content: the header with navigation, the account, the
/// language switch, and a notice after a successful change.
pub struct Chrome {
    pub lang: Lang,
    pub tr: &'static Texts,
    pub title: String,
    pub user: Option<UserChrome>,
    pub nav: Vec<NavLink>,
    pub switch_href: String,
    pub asset_version: &'static str,
    pub notice: Option<String>,
    /// Unread reminders in the signed-in account's inbox, shown beside the inbox link.
    pub unread: i64,
    /// The page's own path without its query (`/committees/5`), for links to pages below it.
    pub path: String,
}

pub struct UserChrome {
    pub display_name: String,
    pub csrf_token: String,
}

pub struct NavLink {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// The request facts a page needs to draw its chrome: the language, the path (to come back to
/// after switching language) and who is signed in.
pub struct PageContext {
    pub lang: Lang,
    pub path_and_query: String,
    pub principal: Option<Principal>,
}

impl PageContext {
    pub fn new(
        headers: &HeaderMap,
        uri: &axum::http::Uri,
        principal: Option<Principal>,
    ) -> PageContext {
        let path_and_query = uri.path_and_query().map_or_else(
            || uri.path().to_string(),
            |value| value.as_str().to_string(),
        );
        PageContext {
            lang: Lang::from_headers(headers),
            path_and_query,
            principal,
        }
    }

    pub fn tr(&self) -> &'static Texts {
        self.lang.texts()
    }

    pub fn principal(&self) -> Result<&Principal, PageError> {
        self.principal
            .as_ref()
            .ok_or_else(|| PageError::new(self.lang, Failure::NotFound))
    }

    pub fn chrome(&self, title: impl Into<String>) -> Chrome {
        let switch_target: String =
            form_urlencoded::byte_serialize(self.path_and_query.as_bytes()).collect();
        let path = self.path_and_query.split('?').next().unwrap_or("");
        Chrome {
            lang: self.lang,
            tr: self.tr(),
            title: title.into(),
            user: self.principal.as_ref().map(|principal| UserChrome {
                display_name: principal.display_name.clone(),
                csrf_token: principal.csrf_token.clone(),
            }),
            nav: self
                .principal
                .as_ref()
                .map(|principal| navigation(self.lang, principal, path))
                .unwrap_or_default(),
            switch_href: format!("/lang/{}?back={switch_target}", self.lang.other().code()),
            asset_version: assets::version(),
            notice: None,
            unread: self
                .principal
                .as_ref()
                .map_or(0, |principal| principal.unread_notices),
            path: path.to_string(),
        }
    }

    pub fn error(&self, failure: Failure) -> PageError {
        PageError::new(self.lang, failure)
    }
}

/// The links a role needs most: its workspace or dashboard, its own records, the audit log.
fn navigation(lang: Lang, principal: &Principal, current_path: &str) -> Vec<NavLink> {
    let tr = lang.texts();
    let mut links = Vec::new();
    let mut add = |href: String, label: &'static str| {
        let current = current_path == href;
        links.push(NavLink {
            href,
            label,
            current,
        });
    };
    match (principal.role, principal.scope_org) {
        (Role::CommitteeStaff, Some(org)) => add(format!("/committees/{org}"), tr.nav_dashboard),
        (Role::BranchSecretary | Role::BranchCommitteeMember, Some(org)) => {
            add(format!("/branches/{org}"), tr.nav_workspace)
        }
        (Role::Administrator, _) => add("/".to_string(), tr.nav_dashboard),
        _ => {}
    }
    if let Some(member) = principal.member_id {
        add(member_href(member), tr.nav_my_page);
    }
    if principal.role == Role::Administrator {
        add("/admin/audit".to_string(), tr.nav_audit);
        add(
            "/admin/deliveries".to_string(),
            lang.pick("提醒投递", "Deliveries"),
        );
    }
    // Spreadsheet imports (issue 4 §3), for the roles that may import.
    if principal.allows(crate::auth::Area::Imports, crate::auth::Action::Read)
        != crate::auth::Access::Denied
    {
        add("/imports".to_string(), lang.pick("导入", "Imports"));
    }
    add("/account/calendars".to_string(), tr.nav_calendars);
    add("/account/password".to_string(), tr.nav_password);
    links
}

pub fn member_href(member: MemberId) -> String {
    format!("/members/{member}")
}

pub fn branch_href(branch: OrgId) -> String {
    format!("/branches/{branch}")
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum Failure {
    /// No such record, or one outside the principal's subtree (the two are not told apart).
    NotFound,
    /// Inside the subtree, but the role may not do this.
    Forbidden,
    /// A form without the session's CSRF token.
    Csrf,
    /// Signed out: to the sign-in page.
    Redirect(PageRedirect),
    /// A fault on our side; the cause is logged, never shown.
    Internal(String),
}

/// A failure, with the language to explain it in.
#[derive(Debug)]
pub struct PageError {
    pub lang: Lang,
    pub failure: Failure,
}

impl PageError {
    pub fn new(lang: Lang, failure: Failure) -> PageError {
        PageError { lang, failure }
    }

    /// A storage error as a page: not found stays not found, anything else is a fault.
    pub fn storage(lang: Lang, error: StorageError) -> PageError {
        match error {
            StorageError::NotFound { .. } | StorageError::Deleted { .. } => {
                PageError::new(lang, Failure::NotFound)
            }
            other => PageError::new(lang, Failure::Internal(other.to_string())),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: &'static str,
    text: &'static str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let tr = self.lang.texts();
        let (status, heading, text) = match self.failure {
            Failure::Redirect(redirect) => return redirect.into_response(),
            Failure::NotFound => (StatusCode::NOT_FOUND, tr.not_found_title, tr.not_found_text),
            Failure::Forbidden => (StatusCode::FORBIDDEN, tr.forbidden_title, tr.forbidden_text),
            Failure::Csrf => (StatusCode::FORBIDDEN, tr.csrf_title, tr.csrf_text),
            Failure::Internal(cause) => {
                tracing::error!(%cause, "a page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    tr.error_title,
                    tr.internal_text,
                )
            }
        };
        // The error page has no principal at hand, so it shows no account menu; the language
        // switch comes back to the home page.
        let context = PageContext {
            lang: self.lang,
            path_and_query: "/".to_string(),
            principal: None,
        };
        let page = ErrorPage {
            chrome: context.chrome(heading),
            heading,
            text,
        };
        html(status, &page)
    }
}

impl From<crate::auth::AuthRejection> for PageError {
    fn from(rejection: crate::auth::AuthRejection) -> Self {
        match rejection {
            crate::auth::AuthRejection::Redirect(redirect) => {
                PageError::new(Lang::Zh, Failure::Redirect(redirect))
            }
            crate::auth::AuthRejection::Api(error) => {
                PageError::new(Lang::Zh, Failure::Internal(error.to_string()))
            }
        }
    }
}

/// Headers every page carries: nothing personal is cached, nothing is framed, and scripts and
/// styles come only from this server.
fn secure_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("same-origin"),
    );
}

/// Renders a template into a response with `status`.
pub fn html<T: askama::Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(body) => {
            let mut response = (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                body,
            )
                .into_response();
            secure_headers(&mut response);
            response
        }
        Err(error) => {
            // A template that fails to render at run time is a defect; the person gets a plain
            // message in both languages rather than half a page.
            tracing::error!(%error, "a page template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "服务器内部出错 / Internal error",
            )
                .into_response()
        }
    }
}

/// A 303 to `location`, after a form was handled.
pub fn see_other(location: &str) -> Response {
    PageRedirect::to(location).into_response()
}

/// Reads a form body (`application/x-www-form-urlencoded`) into its fields, in order. Repeated
/// fields (checkboxes) appear once per value.
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

/// The first value of `name` in a form.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

/// Checks the form's CSRF token against the session.
pub fn check_csrf(
    context: &PageContext,
    principal: &Principal,
    fields: &[(String, String)],
) -> Result<(), PageError> {
    crate::auth::verify_csrf(principal, field(fields, crate::auth::CSRF_FIELD))
        .map_err(|_| context.error(Failure::Csrf))
}

/// A record id from the path; anything else is a page that does not exist.
pub fn parse_id(context: &PageContext, text: &str) -> Result<i64, PageError> {
    text.parse::<i64>()
        .map_err(|_| context.error(Failure::NotFound))
}

/// The year asked for in `?year=`, or today's; years far from today are refused as not found
/// rather than evaluated.
pub fn parse_year(
    context: &PageContext,
    text: Option<&str>,
    today: chrono::NaiveDate,
) -> Result<i32, PageError> {
    use chrono::Datelike;
    match text.filter(|text| !text.is_empty()) {
        None => Ok(today.year()),
        Some(text) => match text.parse::<i32>() {
            Ok(year) if (2000..=today.year() + 1).contains(&year) => Ok(year),
            _ => Err(context.error(Failure::NotFound)),
        },
    }
}

/// A query parameter, read leniently: pages ignore parameters they do not know.
pub fn query_value<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

pub fn query_pairs(uri: &axum::http::Uri) -> Vec<(String, String)> {
    form_fields(uri.query().unwrap_or("").as_bytes())
}

/// Writes an audit entry for a change made through a page. The change is already saved; if the
/// entry cannot be written, the log says so and the person is still taken to the saved record.
pub async fn audit_change(
    state: &AppState,
    principal: &Principal,
    action: &str,
    kind: &str,
    id: i64,
    org_path: &str,
    detail: serde_json::Value,
) {
    let target = crate::auth::AuditTarget::record(kind, id, org_path);
    if let Err(error) = crate::auth::audit(state, Some(principal), action, target, detail).await {
        tracing::error!(%error, kind, id, "a change made through a page was not written to the audit log");
    }
}
