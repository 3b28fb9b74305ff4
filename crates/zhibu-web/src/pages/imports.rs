//! Spreadsheet import pages (issue #4 §3): committee staff and administrators (and a branch
//! secretary, into their own branch) upload a roster (.xlsx or .csv), see a preview — the members
//! that would be created, personal data masked, and every error by row, column letter, heading
//! and reason in Chinese and English — and confirm it; the latest batch can be rolled back with a
//! reason. Nothing is written before the confirmation.
//!
//! The preview is bound to the exact file: the uploaded bytes stay in the server's memory under a
//! random token (256 bits) for [`PENDING_FOR`], tied to the account that uploaded them, together
//! with their SHA-256, which the confirm form repeats. A confirmation takes the token out of
//! memory before anything else, so a second confirmation (a double click, a replayed form) finds
//! nothing and imports nothing; the file is checked again against the database as it stands
//! before the batch is written. Imports and rollbacks through these pages take one lock in turn,
//! so a rollback never races a web import (the command line is outside that lock; the storage
//! layer's own checks still refuse what changed).
//!
//! Every form carries the session's CSRF token (the upload form as a multipart field); every
//! import and rollback is audited. Works without JavaScript.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};
use zhibu_core::calendar::china_standard_time;
use zhibu_core::{Member, MemberStatus, Org, OrgId, OrgLevel, Sex};
use zhibu_import::ImportError;
use zhibu_import::roster::{self, Options, Target};
use zhibu_import::{dues, meetings};
use zhibu_storage::{ImportBatch, ListRequest, StorageError};

use super::i18n::Lang;
use super::{
    Chrome, Failure, PageContext, PageError, check_csrf, field, form_fields, html, query_pairs,
    query_value, see_other,
};
use crate::AppState;
use crate::auth::{Access, Action, Area, AuditTarget, Principal, Role, Scope};

/// The largest file accepted. A 100,000-row roster is about 8 MB as .xlsx.
pub const UPLOAD_LIMIT: usize = 20 * 1024 * 1024;
/// The request body limit of the upload route: the file plus the form's other fields.
pub const BODY_LIMIT: usize = UPLOAD_LIMIT + 64 * 1024;
/// How long an uploaded file waits for its confirmation.
pub const PENDING_FOR: Duration = Duration::from_secs(30 * 60);
/// At most this many files wait at once (the oldest give way), and at most this many bytes.
const PENDING_MAX: usize = 32;
const PENDING_MAX_BYTES: usize = 160 * 1024 * 1024;
/// Batches read for the list; those outside the principal's scope are left out.
const BATCHES_READ: u32 = 500;
const BATCHES_SHOWN: usize = 100;
/// Rows and errors a preview page shows; the rest are counted.
const ROWS_SHOWN: usize = 200;
const ERRORS_SHOWN: usize = 500;
/// Orgs offered in the target list; past this the form asks for the org's number.
const TARGETS_LISTED: usize = 2_000;

/// What a file holds: a member roster, dues history (payments and income declarations) or past
/// meetings (`zhibu_import::{roster, dues, meetings}`, all with the same preview and commit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Roster,
    Dues,
    Meetings,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Roster, Kind::Dues, Kind::Meetings];

    fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Roster => "roster",
            Kind::Dues => "dues",
            Kind::Meetings => "meetings",
        }
    }

    fn label(self, lang: Lang) -> &'static str {
        match self {
            Kind::Roster => lang.pick("党员名册", "member roster"),
            Kind::Dues => lang.pick(
                "党费收缴历史（缴费与计算基数）",
                "dues history (payments and income declarations)",
            ),
            Kind::Meetings => {
                lang.pick("以往会议（含出席情况）", "past meetings (with attendance)")
            }
        }
    }
}

/// A checked file of any kind: what the preview page shows, and what a commit writes.
struct Checked {
    file_sha256: String,
    sheet: Option<String>,
    columns: String,
    ignored: String,
    rows_read: usize,
    errors: Vec<ImportError>,
    /// The headings of the planned-records table and its rows (the first [`ROWS_SHOWN`]).
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    planned_total: usize,
    clean: bool,
    preview: KindPreview,
}

enum KindPreview {
    Roster(roster::Preview),
    Dues(dues::Preview),
    Meetings(meetings::Preview),
}

fn joined_columns<T>(columns: &[(String, String, T)]) -> String {
    columns
        .iter()
        .map(|(letter, heading, _)| format!("{letter}={heading}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn joined_ignored(ignored: &[(String, String)]) -> String {
    ignored
        .iter()
        .map(|(letter, heading)| format!("{letter}={heading}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads and checks the file as `kind`; writes nothing.
async fn check(
    state: &AppState,
    lang: Lang,
    kind: Kind,
    bytes: &[u8],
    options: &Options,
) -> Result<Checked, ImportError> {
    let repository = &state.repository;
    Ok(match kind {
        Kind::Roster => {
            let preview = roster::preview(repository, bytes, options).await?;
            Checked {
                file_sha256: preview.file_sha256.clone(),
                sheet: preview.sheet.clone(),
                columns: joined_columns(&preview.columns),
                ignored: joined_ignored(&preview.ignored),
                rows_read: preview.rows_read,
                errors: preview.errors.clone(),
                headers: vec![
                    lang.pick("行", "Row"),
                    lang.pick("姓名", "Name"),
                    lang.pick("性别", "Sex"),
                    lang.pick("出生日期", "Born"),
                    lang.pick("公民身份号码", "ID number"),
                    lang.pick("联系电话", "Phone"),
                    lang.pick("入党时间", "Joined"),
                    lang.pick("党员类别", "Category"),
                    lang.pick("所在党支部", "Branch"),
                ],
                rows: preview
                    .planned
                    .iter()
                    .take(ROWS_SHOWN)
                    .map(|planned| {
                        planned_view(lang, planned.row, &planned.branch_name, &planned.member)
                    })
                    .collect(),
                planned_total: preview.planned.len(),
                clean: preview.is_clean(),
                preview: KindPreview::Roster(preview),
            }
        }
        Kind::Dues => {
            let preview = dues::preview(repository, bytes, options).await?;
            Checked {
                file_sha256: preview.file_sha256.clone(),
                sheet: preview.sheet.clone(),
                columns: joined_columns(&preview.columns),
                ignored: joined_ignored(&preview.ignored),
                rows_read: preview.rows_read,
                errors: preview.errors.clone(),
                headers: vec![
                    lang.pick("行", "Row"),
                    lang.pick("姓名", "Name"),
                    lang.pick("所在党支部", "Branch"),
                    lang.pick("记录", "Record"),
                    lang.pick("日期或起始月份", "Date or first month"),
                    lang.pick("金额", "Amount"),
                    lang.pick("所缴月份", "Months"),
                ],
                rows: preview
                    .planned
                    .iter()
                    .take(ROWS_SHOWN)
                    .map(|planned| dues_row(lang, planned))
                    .collect(),
                planned_total: preview.planned.len(),
                clean: preview.is_clean(),
                preview: KindPreview::Dues(preview),
            }
        }
        Kind::Meetings => {
            let preview = meetings::preview(repository, bytes, options).await?;
            Checked {
                file_sha256: preview.file_sha256.clone(),
                sheet: preview.sheet.clone(),
                columns: joined_columns(&preview.columns),
                ignored: joined_ignored(&preview.ignored),
                rows_read: preview.rows_read,
                errors: preview.errors.clone(),
                headers: vec![
                    lang.pick("行", "Row"),
                    lang.pick("组织", "Organization"),
                    lang.pick("日期", "Held on"),
                    lang.pick("会议类型", "Kinds"),
                    lang.pick("出席", "Present"),
                    lang.pick("名册人数", "On the roster"),
                ],
                rows: preview
                    .planned
                    .iter()
                    .take(ROWS_SHOWN)
                    .map(|planned| {
                        vec![
                            planned.row.to_string(),
                            planned.org_name.clone(),
                            planned.meeting.held_on.to_string(),
                            planned
                                .meeting
                                .kinds
                                .iter()
                                .map(|kind| kind.name_zh())
                                .collect::<Vec<_>>()
                                .join("、"),
                            planned.meeting.present().count().to_string(),
                            planned.meeting.attendance.len().to_string(),
                        ]
                    })
                    .collect(),
                planned_total: preview.planned.len(),
                clean: preview.is_clean(),
                preview: KindPreview::Meetings(preview),
            }
        }
    })
}

/// A dues record as the preview shows it; a declared income base is personal data and is masked.
fn dues_row(lang: Lang, planned: &dues::Planned) -> Vec<String> {
    let mut cells = vec![
        planned.row.to_string(),
        planned.member_name.clone(),
        planned.branch_name.clone(),
    ];
    match &planned.record {
        dues::DuesRecord::Payment(payment) => cells.extend([
            lang.pick("缴纳党费", "payment").to_string(),
            payment.paid_on.to_string(),
            payment.amount.to_string(),
            payment
                .months_covered
                .iter()
                .map(|month| month.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        ]),
        dues::DuesRecord::Declaration(declaration) => cells.extend([
            lang.pick("党费计算基数", "income declaration").to_string(),
            declaration.effective_month.to_string(),
            "****".to_string(),
            String::new(),
        ]),
    }
    cells
}

/// Writes a clean check as one batch.
async fn commit_checked(
    state: &AppState,
    checked: &Checked,
    actor: &str,
) -> Result<ImportBatch, StorageError> {
    let repository = &state.repository;
    let now = repository.now();
    match &checked.preview {
        KindPreview::Roster(preview) => roster::commit(repository, preview, actor, now, &()).await,
        KindPreview::Dues(preview) => dues::commit(repository, preview, actor, now, &()).await,
        KindPreview::Meetings(preview) => {
            meetings::commit(repository, preview, actor, now, &()).await
        }
    }
}

/// A file uploaded and previewed, waiting for its confirmation.
struct Pending {
    kind: Kind,
    account_id: i64,
    bytes: Arc<Vec<u8>>,
    file_name: String,
    sheet: Option<String>,
    target_org: OrgId,
    sha256: String,
    created: Instant,
}

/// The files waiting for confirmation, by token, and the lock that web imports and rollbacks take
/// in turn. Shared by the page handlers through an `Extension`.
#[derive(Default)]
pub struct PendingImports {
    waiting: Mutex<HashMap<String, Pending>>,
    writing: tokio::sync::Mutex<()>,
}

impl PendingImports {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        // A panic while holding the map leaves nothing half-done in it: keep using it.
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps `pending` under a new random token; drops expired entries and, past the limits, the
    /// oldest ones.
    fn keep(&self, pending: Pending) -> Result<String, String> {
        let mut token = [0u8; 32];
        getrandom::fill(&mut token).map_err(|error| error.to_string())?;
        let token = hex::encode(token);
        let mut waiting = self.lock();
        waiting.retain(|_, entry| entry.created.elapsed() < PENDING_FOR);
        loop {
            let bytes: usize = waiting.values().map(|entry| entry.bytes.len()).sum();
            if waiting.len() < PENDING_MAX && bytes + pending.bytes.len() <= PENDING_MAX_BYTES {
                break;
            }
            let Some(oldest) = waiting
                .iter()
                .min_by_key(|(_, entry)| entry.created)
                .map(|(token, _)| token.clone())
            else {
                break;
            };
            waiting.remove(&oldest);
        }
        waiting.insert(token.clone(), pending);
        Ok(token)
    }

    /// Takes the file out of memory: a token is used once. Another account's token, an expired
    /// one and one already used are all `None`.
    fn take(&self, token: &str, account_id: i64) -> Option<Pending> {
        let mut waiting = self.lock();
        let fresh = waiting
            .get(token)
            .is_some_and(|entry| entry.account_id == account_id);
        if !fresh {
            return None;
        }
        let entry = waiting.remove(token)?;
        (entry.created.elapsed() < PENDING_FOR).then_some(entry)
    }
}

/// An org the file may be imported into.
struct TargetOption {
    id: i64,
    label: String,
    selected: bool,
}

/// One batch in the list.
struct BatchView {
    id: i64,
    kind: String,
    target: String,
    actor: String,
    created: String,
    file_name: String,
    sha256: String,
    sheet: String,
    records: i64,
    rolled_back: bool,
    status: String,
    rollback_note: String,
    highlighted: bool,
}

/// The upload form's values and problems.
#[derive(Default)]
struct UploadForm {
    kind: String,
    org_id: String,
    sheet: String,
    errors: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    chrome: Chrome,
    lang: Lang,
    csrf_token: String,
    may_import: bool,
    targets: Vec<TargetOption>,
    /// What may be imported: (value, label, selected).
    kinds: Vec<(&'static str, &'static str, bool)>,
    /// Too many orgs to list: the form asks for the org's number instead.
    target_by_number: bool,
    form: UploadForm,
    upload_limit_mb: usize,
    batches: Vec<BatchView>,
    /// The latest batch not yet rolled back, when it is in scope and may be rolled back here.
    latest: Option<BatchView>,
    rollback_reason: String,
    rollback_errors: Vec<String>,
}

/// One problem, both languages.
struct ErrorView {
    row: String,
    column: String,
    heading: String,
    message_zh: String,
    message_en: String,
}

#[derive(askama::Template)]
#[template(path = "import_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    lang: Lang,
    csrf_token: String,
    file_name: String,
    sha256: String,
    sheet: String,
    target: String,
    rows_read: usize,
    columns: String,
    ignored: String,
    kind_label: &'static str,
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    planned_total: usize,
    planned_more: usize,
    errors: Vec<ErrorView>,
    errors_total: usize,
    errors_more: usize,
    /// Set when the file may be imported: the token of the confirm form.
    token: Option<String>,
    /// Why the page is shown again (the data changed since the preview).
    explanation: Option<String>,
}

fn storage_error(lang: Lang) -> impl Fn(StorageError) -> PageError {
    move |error| PageError::storage(lang, error)
}

fn refused_unless(
    context: &PageContext,
    principal: &Principal,
    action: Action,
) -> Result<(), PageError> {
    if principal.allows(Area::Imports, action) == Access::Denied {
        return Err(context.error(Failure::Forbidden));
    }
    Ok(())
}

/// `2026-06-15 14:03` in China Standard Time.
fn china_time(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&china_standard_time())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The org a path ends with (`/1/5/23/` → 23).
fn last_org(path: &str) -> Option<OrgId> {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .and_then(|id| id.parse::<i64>().ok())
        .map(OrgId)
}

async fn org_label(state: &AppState, lang: Lang, org: OrgId) -> Result<String, PageError> {
    match state.repository.get::<Org>(org).await {
        Ok(stored) => Ok(format!("{}（{}）", stored.body.name, org.0)),
        Err(StorageError::NotFound { .. } | StorageError::Deleted { .. }) => {
            Ok(format!("{} {}", lang.pick("组织", "organization"), org.0))
        }
        Err(error) => Err(PageError::storage(lang, error)),
    }
}

/// The orgs the principal may import into: a branch secretary their own branch; committee staff
/// and administrators every org in their subtree that is not dissolved (party groups excepted).
/// `None` when there are too many to list.
async fn targets(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
) -> Result<Option<Vec<(OrgId, Org, String)>>, PageError> {
    let storage = storage_error(lang);
    let subtree = match (&principal.scope, principal.scope_org) {
        (Scope::Everything, _) => None,
        (Scope::Subtree(_), Some(org)) => Some(org),
        _ => return Ok(Some(Vec::new())),
    };
    let mut found = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .repository
            .list::<Org>(&ListRequest {
                subtree,
                after_id: after,
                limit: Some(1000),
                ..ListRequest::default()
            })
            .await
            .map_err(&storage)?;
        for stored in page.items {
            if stored.body.dissolved_on.is_some() || stored.body.level == OrgLevel::PartyGroup {
                continue;
            }
            if principal.role == Role::BranchSecretary
                && Some(stored.typed_id()) != principal.scope_org
            {
                continue;
            }
            let path = state
                .repository
                .org_path(stored.typed_id())
                .await
                .map_err(&storage)?;
            found.push((stored.typed_id(), stored.body, path));
        }
        if found.len() > TARGETS_LISTED {
            return Ok(None);
        }
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    found.sort_by(|a, b| a.2.cmp(&b.2));
    Ok(Some(found))
}

/// Whether the principal may import into `org`, and how: a branch takes every row, an org above
/// branches takes each row into the branch it names.
async fn target_for(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    org: OrgId,
) -> Result<Option<Target>, PageError> {
    if principal.role == Role::BranchSecretary && principal.scope_org != Some(org) {
        return Ok(None);
    }
    let visible = principal
        .can_see_org(&state.repository, org)
        .await
        .map_err(storage_error(lang))?;
    if !visible {
        return Ok(None);
    }
    match state.repository.get::<Org>(org).await {
        Ok(stored) if stored.body.level == OrgLevel::Branch => Ok(Some(Target::Branch(org))),
        Ok(stored) if stored.body.level == OrgLevel::PartyGroup => Ok(None),
        Ok(_) => Ok(Some(Target::Org(org))),
        Err(StorageError::NotFound { .. } | StorageError::Deleted { .. }) => Ok(None),
        Err(error) => Err(PageError::storage(lang, error)),
    }
}

async fn batch_view(
    state: &AppState,
    lang: Lang,
    batch: &ImportBatch,
    highlighted: Option<i64>,
) -> Result<BatchView, PageError> {
    let target = match last_org(&batch.org_path) {
        Some(org) => org_label(state, lang, org).await?,
        None => batch.org_path.clone(),
    };
    let kind = match Kind::parse(&batch.kind) {
        Some(kind) => kind.label(lang).to_string(),
        None => batch.kind.clone(),
    };
    let (status, rollback_note) = match &batch.rolled_back_at {
        Some(at) => (
            lang.pick("已撤销", "rolled back").to_string(),
            format!(
                "{} · {} · {}",
                china_time(*at),
                batch.rolled_back_by.as_deref().unwrap_or(""),
                batch.rollback_reason.as_deref().unwrap_or("")
            ),
        ),
        None => (lang.pick("已导入", "committed").to_string(), String::new()),
    };
    Ok(BatchView {
        id: batch.id,
        kind,
        target,
        actor: batch.actor.clone(),
        created: china_time(batch.created_at),
        file_name: batch.file_name.clone(),
        sha256: batch.file_sha256.clone(),
        sheet: batch.sheet.clone().unwrap_or_default(),
        records: batch.record_count,
        rolled_back: batch.rolled_back_at.is_some(),
        status,
        rollback_note,
        highlighted: highlighted == Some(batch.id),
    })
}

/// Renders the list with the upload form (and what went wrong, if anything).
#[allow(clippy::too_many_arguments)]
async fn render_list(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    status: StatusCode,
    notice: Option<String>,
    highlighted: Option<i64>,
    form: UploadForm,
    rollback_reason: String,
    rollback_errors: Vec<String>,
) -> Result<Response, PageError> {
    let lang = context.lang;
    let storage = storage_error(lang);
    let may_import = principal.allows(Area::Imports, Action::Create) != Access::Denied;
    let may_roll_back = principal.allows(Area::Imports, Action::Delete) != Access::Denied;
    let listed = if may_import {
        targets(state, principal, lang).await?
    } else {
        Some(Vec::new())
    };
    let chosen = form
        .org_id
        .parse::<i64>()
        .ok()
        .or(principal.scope_org.map(|org| org.0));
    let target_by_number = listed.is_none();
    let targets = listed
        .unwrap_or_default()
        .into_iter()
        .map(|(id, org, _)| TargetOption {
            id: id.0,
            label: format!(
                "{}（{}，{}）",
                org.name,
                lang.pick(org.level.name_zh(), level_en(org.level)),
                id.0
            ),
            selected: chosen == Some(id.0),
        })
        .collect();
    let all = state
        .repository
        .import_batches(BATCHES_READ)
        .await
        .map_err(&storage)?;
    let latest_id = all
        .iter()
        .find(|batch| batch.rolled_back_at.is_none())
        .filter(|batch| principal.can_see_path(&batch.org_path))
        .map(|batch| batch.id);
    let mut batches = Vec::new();
    let mut latest = None;
    for batch in all
        .iter()
        .filter(|batch| principal.can_see_path(&batch.org_path))
        .take(BATCHES_SHOWN)
    {
        let view = batch_view(state, lang, batch, highlighted).await?;
        if Some(batch.id) == latest_id && may_roll_back {
            latest = Some(batch_view(state, lang, batch, highlighted).await?);
        }
        batches.push(view);
    }
    let mut chrome = context.chrome(lang.pick("导入", "Imports"));
    chrome.notice = notice;
    let page = ImportsPage {
        chrome,
        lang,
        csrf_token: principal.csrf_token.clone(),
        may_import,
        targets,
        kinds: Kind::ALL
            .into_iter()
            .map(|kind| (kind.as_str(), kind.label(lang), form.kind == kind.as_str()))
            .collect(),
        target_by_number,
        form,
        upload_limit_mb: UPLOAD_LIMIT / (1024 * 1024),
        batches,
        latest,
        rollback_reason,
        rollback_errors,
    };
    Ok(html(status, &page))
}

fn level_en(level: OrgLevel) -> &'static str {
    match level {
        OrgLevel::WorkingCommittee => "working committee",
        OrgLevel::PartyCommittee => "Party committee",
        OrgLevel::GeneralBranch => "general branch",
        OrgLevel::Branch => "branch",
        OrgLevel::PartyGroup => "Party group",
    }
}

/// `GET /imports`: the batches in scope and the upload form.
pub async fn imports_page(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    refused_unless(&context, &principal, Action::Read)?;
    let lang = context.lang;
    let query = query_pairs(&uri);
    let imported = query_value(&query, "imported").and_then(|id| id.parse::<i64>().ok());
    let rolled_back = query_value(&query, "rolled_back").and_then(|id| id.parse::<i64>().ok());
    let notice = match (imported, rolled_back) {
        (Some(id), _) => Some(format!(
            "{} {id}",
            lang.pick(
                "已导入，全部记录在一个事务中写入，每条记录记有批次和行号。批次",
                "Imported in one transaction; each record keeps its batch and row. Batch"
            )
        )),
        (None, Some(id)) => Some(format!(
            "{} {id}",
            lang.pick(
                "已撤销，每条记录的历史中留有删除版本和理由。批次",
                "Rolled back; each record keeps a deletion version with the reason. Batch"
            )
        )),
        _ => None,
    };
    render_list(
        &state,
        &context,
        &principal,
        StatusCode::OK,
        notice,
        imported.or(rolled_back),
        UploadForm::default(),
        String::new(),
        Vec::new(),
    )
    .await
}

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    csrf_token: String,
    kind: String,
    org_id: String,
    sheet: String,
    file_name: String,
    bytes: Option<Bytes>,
}

enum UploadProblem {
    TooLarge,
    Unreadable(String),
}

async fn read_upload(multipart: &mut Multipart) -> Result<Upload, UploadProblem> {
    let mut upload = Upload::default();
    let problem = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            UploadProblem::TooLarge
        } else {
            UploadProblem::Unreadable(error.body_text())
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(problem)? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                upload.file_name = field
                    .file_name()
                    .map(|name| {
                        // Browsers send the base name; some older ones a whole Windows path.
                        name.rsplit(['/', '\\']).next().unwrap_or(name).to_string()
                    })
                    .unwrap_or_default();
                let bytes = field.bytes().await.map_err(problem)?;
                if bytes.len() > UPLOAD_LIMIT {
                    return Err(UploadProblem::TooLarge);
                }
                upload.bytes = Some(bytes);
            }
            "csrf_token" | "kind" | "org_id" | "sheet" => {
                let text = field.text().await.map_err(problem)?;
                match name.as_str() {
                    "csrf_token" => upload.csrf_token = text,
                    "kind" => upload.kind = text.trim().to_string(),
                    "org_id" => upload.org_id = text.trim().to_string(),
                    _ => upload.sheet = text.trim().to_string(),
                }
            }
            // Other fields (a submit button's name) are read past.
            _ => {
                field.bytes().await.map_err(problem)?;
            }
        }
    }
    Ok(upload)
}

/// `POST /imports` (multipart): reads and checks the file; writes nothing. A clean file is kept
/// in memory under a token for the confirmation.
pub async fn upload(
    State(state): State<AppState>,
    Extension(pending): Extension<Arc<PendingImports>>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    refused_unless(&context, &principal, Action::Create)?;
    let lang = context.lang;
    let no_file = || {
        "文件：请选择要上传的文件（.xlsx 或 .csv） / file: choose a file to upload (.xlsx or .csv)"
            .to_string()
    };
    let back = |status: StatusCode, form: UploadForm| {
        render_list(
            &state,
            &context,
            &principal,
            status,
            None,
            None,
            form,
            String::new(),
            Vec::new(),
        )
    };
    let Ok(mut multipart) = multipart else {
        // Not a multipart form (no file could have been sent): nothing to read, nothing written.
        return back(
            StatusCode::UNPROCESSABLE_ENTITY,
            UploadForm {
                errors: vec![no_file()],
                ..UploadForm::default()
            },
        )
        .await;
    };
    let upload = match read_upload(&mut multipart).await {
        Ok(upload) => upload,
        Err(UploadProblem::TooLarge) => {
            let limit = UPLOAD_LIMIT / (1024 * 1024);
            return back(
                StatusCode::PAYLOAD_TOO_LARGE,
                UploadForm {
                    errors: vec![format!(
                        "{}{limit} MB{} / {} {limit} MB{}",
                        "文件超过上限 ",
                        "，未读取。请把名册拆成几个文件分批导入",
                        "the file is larger than the limit of",
                        "; it was not read. Split the roster into several files"
                    )],
                    ..UploadForm::default()
                },
            )
            .await;
        }
        Err(UploadProblem::Unreadable(cause)) => {
            return back(
                StatusCode::BAD_REQUEST,
                UploadForm {
                    errors: vec![format!(
                        "上传的表单无法读取 / the uploaded form could not be read: {cause}"
                    )],
                    ..UploadForm::default()
                },
            )
            .await;
        }
    };
    crate::auth::verify_csrf(&principal, &upload.csrf_token)
        .map_err(|_| context.error(Failure::Csrf))?;
    let mut form = UploadForm {
        kind: upload.kind.clone(),
        org_id: upload.org_id.clone(),
        sheet: upload.sheet.clone(),
        errors: Vec::new(),
    };
    let target = match upload.org_id.parse::<i64>() {
        Ok(org) => target_for(&state, &principal, lang, OrgId(org)).await?,
        Err(_) => None,
    };
    if target.is_none() {
        form.errors.push(
            "导入到：请选择您管理范围内的一个组织 / import into: choose an organization within your scope"
                .to_string(),
        );
    }
    // The roster when the form names no kind (an older form).
    let kind = if upload.kind.is_empty() {
        Some(Kind::Roster)
    } else {
        Kind::parse(&upload.kind)
    };
    if kind.is_none() {
        form.errors.push(
            "导入内容：请选择党员名册、党费收缴历史或以往会议 / what is imported: choose a roster, dues history or past meetings"
                .to_string(),
        );
    }
    let bytes = upload.bytes.filter(|bytes| !bytes.is_empty());
    if bytes.is_none() || upload.file_name.is_empty() {
        form.errors.push(no_file());
    }
    let (Some(kind), Some(target), Some(bytes)) = (kind, target, bytes) else {
        return back(StatusCode::UNPROCESSABLE_ENTITY, form).await;
    };
    if !form.errors.is_empty() {
        return back(StatusCode::UNPROCESSABLE_ENTITY, form).await;
    }
    let target_org = match target {
        Target::Branch(org) | Target::Org(org) => org,
    };
    let sheet = (!upload.sheet.is_empty()).then(|| upload.sheet.clone());
    let options = Options {
        target,
        sheet: sheet.clone(),
        file_name: upload.file_name.clone(),
        today: (state.today)(),
    };
    let checked = check(&state, lang, kind, &bytes, &options).await;
    let target_label = org_label(&state, lang, target_org).await?;
    let sha256 = zhibu_import::file_sha256(&bytes);
    let checked = match checked {
        Ok(checked) => checked,
        Err(error) => {
            return Ok(render_preview(
                &context,
                &principal,
                PreviewFacts {
                    kind,
                    file_name: upload.file_name,
                    sha256,
                    target: target_label,
                },
                None,
                &[error],
                None,
                None,
            ));
        }
    };
    let token = if checked.clean {
        let kept = pending.keep(Pending {
            kind,
            account_id: principal.account_id,
            bytes: Arc::new(bytes.to_vec()),
            file_name: upload.file_name.clone(),
            sheet,
            target_org,
            sha256: checked.file_sha256.clone(),
            created: Instant::now(),
        });
        Some(kept.map_err(|cause| context.error(Failure::Internal(cause)))?)
    } else {
        None
    };
    let errors = checked.errors.clone();
    Ok(render_preview(
        &context,
        &principal,
        PreviewFacts {
            kind,
            file_name: upload.file_name,
            sha256,
            target: target_label,
        },
        Some(&checked),
        &errors,
        token,
        None,
    ))
}

struct PreviewFacts {
    kind: Kind,
    file_name: String,
    sha256: String,
    target: String,
}

fn sex_label(lang: Lang, sex: Sex) -> &'static str {
    match sex {
        Sex::Male => lang.pick("男", "male"),
        Sex::Female => lang.pick("女", "female"),
    }
}

fn planned_view(lang: Lang, row: usize, branch: &str, member: &Member) -> Vec<String> {
    let status = member
        .status_history
        .last()
        .map(|change| match change.status {
            MemberStatus::Full => lang.pick("正式党员", "full member").to_string(),
            MemberStatus::Probationary => lang.pick("预备党员", "probationary member").to_string(),
            other => other.name_zh().to_string(),
        })
        .unwrap_or_default();
    vec![
        row.to_string(),
        member.name.clone(),
        sex_label(lang, member.sex).to_string(),
        member
            .birth_date
            .map(|date| date.to_string())
            .unwrap_or_default(),
        member
            .registry
            .id_number
            .as_ref()
            .map(|id| id.masked())
            .unwrap_or_default(),
        member
            .registry
            .phone
            .as_ref()
            .map(|phone| phone.masked())
            .unwrap_or_default(),
        member.joined_on.to_string(),
        status,
        branch.to_string(),
    ]
}

fn error_view(error: &ImportError) -> ErrorView {
    ErrorView {
        row: error.row.map(|row| row.to_string()).unwrap_or_default(),
        column: error.column.clone().unwrap_or_default(),
        heading: error.heading.clone().unwrap_or_default(),
        message_zh: error.message_zh.clone(),
        message_en: error.message_en.clone(),
    }
}

/// The preview page: 200 with a confirm form when the file is clean, 422 with every error when
/// it is not (nothing written either way).
fn render_preview(
    context: &PageContext,
    principal: &Principal,
    facts: PreviewFacts,
    checked: Option<&Checked>,
    errors: &[ImportError],
    token: Option<String>,
    explanation: Option<String>,
) -> Response {
    let lang = context.lang;
    let rows = checked
        .map(|checked| checked.rows.clone())
        .unwrap_or_default();
    let planned_total = checked.map_or(0, |checked| checked.planned_total);
    let status = if token.is_some() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PreviewPage {
        chrome: context.chrome(lang.pick("导入预览", "Import preview")),
        lang,
        csrf_token: principal.csrf_token.clone(),
        file_name: facts.file_name,
        sha256: facts.sha256,
        sheet: checked
            .and_then(|checked| checked.sheet.clone())
            .unwrap_or_default(),
        target: facts.target,
        rows_read: checked.map_or(0, |checked| checked.rows_read),
        columns: checked
            .map(|checked| checked.columns.clone())
            .unwrap_or_default(),
        ignored: checked
            .map(|checked| checked.ignored.clone())
            .unwrap_or_default(),
        kind_label: facts.kind.label(lang),
        headers: checked
            .map(|checked| checked.headers.clone())
            .unwrap_or_default(),
        planned_more: planned_total.saturating_sub(rows.len()),
        rows,
        planned_total,
        errors: errors.iter().take(ERRORS_SHOWN).map(error_view).collect(),
        errors_total: errors.len(),
        errors_more: errors.len().saturating_sub(ERRORS_SHOWN),
        token,
        explanation,
    };
    html(status, &page)
}

/// A refusal on the list page, with the reason in both languages (422).
async fn refuse_on_list(
    state: &AppState,
    context: &PageContext,
    principal: &Principal,
    message: String,
) -> Result<Response, PageError> {
    render_list(
        state,
        context,
        principal,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        None,
        UploadForm::default(),
        String::new(),
        vec![message],
    )
    .await
}

/// `POST /imports/confirm`: writes the previewed file as one batch, once.
pub async fn confirm(
    State(state): State<AppState>,
    Extension(pending): Extension<Arc<PendingImports>>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let fields = form_fields(&body);
    check_csrf(&context, &principal, &fields)?;
    refused_unless(&context, &principal, Action::Create)?;
    let stale = || {
        "此预览已失效或已确认过，未导入任何记录；请重新上传文件 / this preview has expired or was already confirmed; nothing was imported — upload the file again".to_string()
    };
    let Some(file) = pending.take(field(&fields, "token"), principal.account_id) else {
        return refuse_on_list(&state, &context, &principal, stale()).await;
    };
    if field(&fields, "sha256") != file.sha256 {
        return refuse_on_list(&state, &context, &principal, stale()).await;
    }
    // Web imports and rollbacks one at a time.
    let _writing = pending.writing.lock().await;
    let Some(target) = target_for(&state, &principal, lang, file.target_org).await? else {
        return Err(context.error(Failure::NotFound));
    };
    let options = Options {
        target,
        sheet: file.sheet.clone(),
        file_name: file.file_name.clone(),
        today: (state.today)(),
    };
    let target_label = org_label(&state, lang, file.target_org).await?;
    let facts = || PreviewFacts {
        kind: file.kind,
        file_name: file.file_name.clone(),
        sha256: file.sha256.clone(),
        target: target_label.clone(),
    };
    // Checked again against the database as it stands now.
    let checked = match check(&state, lang, file.kind, &file.bytes, &options).await {
        Ok(checked) => checked,
        Err(error) => {
            return Ok(render_preview(
                &context,
                &principal,
                facts(),
                None,
                &[error],
                None,
                None,
            ));
        }
    };
    if !checked.clean || checked.file_sha256 != file.sha256 {
        let errors = checked.errors.clone();
        return Ok(render_preview(
            &context,
            &principal,
            facts(),
            Some(&checked),
            &errors,
            None,
            Some(
                lang.pick(
                    "预览之后数据库中的记录有了变化，重新检查发现以下问题，未导入任何记录。",
                    "The records changed after the preview; checked again, the file has these problems. Nothing was imported.",
                )
                .to_string(),
            ),
        ));
    }
    let batch = match commit_checked(&state, &checked, &principal.login).await {
        Ok(batch) => batch,
        Err(StorageError::Invalid(errors)) => {
            let message = errors
                .errors
                .iter()
                .map(|error| format!("{} / {}", error.message_zh, error.message_en))
                .collect::<Vec<_>>()
                .join("；");
            return refuse_on_list(&state, &context, &principal, message).await;
        }
        Err(error) => return Err(PageError::storage(lang, error)),
    };
    let detail = serde_json::json!({
        "batch": batch.id,
        "kind": batch.kind,
        "file_name": batch.file_name,
        "file_sha256": batch.file_sha256,
        "sheet": batch.sheet,
        "records": batch.record_count,
        "target_org": file.target_org.0,
    });
    if let Err(error) = crate::auth::audit(
        &state,
        Some(&principal),
        "import",
        AuditTarget::record("import_batch", batch.id, &batch.org_path),
        detail,
    )
    .await
    {
        tracing::error!(%error, batch = batch.id, "an import made through the pages was not written to the audit log");
    }
    Ok(see_other(&format!("/imports?imported={}", batch.id)))
}

/// `POST /imports/rollback`: rolls back the latest batch, which the form names, with a reason.
pub async fn rollback(
    State(state): State<AppState>,
    Extension(pending): Extension<Arc<PendingImports>>,
    principal: Principal,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, PageError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let fields = form_fields(&body);
    check_csrf(&context, &principal, &fields)?;
    refused_unless(&context, &principal, Action::Delete)?;
    let reason = field(&fields, "reason").trim().to_string();
    let requested = field(&fields, "batch_id").trim().parse::<i64>().ok();
    let refuse = |message: String, reason: String| {
        render_list(
            &state,
            &context,
            &principal,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            None,
            UploadForm::default(),
            reason,
            vec![message],
        )
    };
    let _writing = pending.writing.lock().await;
    let batches = state
        .repository
        .import_batches(50)
        .await
        .map_err(storage_error(lang))?;
    let Some(latest) = batches
        .into_iter()
        .find(|batch| batch.rolled_back_at.is_none())
    else {
        return refuse(
            "没有可撤销的导入批次 / there is no import batch to roll back".into(),
            reason,
        )
        .await;
    };
    if Some(latest.id) != requested || !principal.can_see_path(&latest.org_path) {
        return refuse(
            format!(
                "批次 {} 不是可撤销的最近一次导入（只能撤销最近一次导入，且须在您的管理范围内） / batch {} is not the latest import within your scope (only the latest import can be rolled back)",
                requested.map(|id| id.to_string()).unwrap_or_default(),
                requested.map(|id| id.to_string()).unwrap_or_default()
            ),
            reason,
        )
        .await;
    }
    if reason.is_empty() {
        return refuse(
            "撤销理由：须说明理由 / reason: rolling back an import needs a reason".into(),
            reason,
        )
        .await;
    }
    let batch = match state
        .repository
        .rollback_latest_import(&principal.login, &reason)
        .await
    {
        Ok(batch) => batch,
        Err(StorageError::Invalid(errors)) => {
            let message = errors
                .errors
                .iter()
                .map(|error| format!("{} / {}", error.message_zh, error.message_en))
                .collect::<Vec<_>>()
                .join("；");
            return refuse(message, reason).await;
        }
        Err(error) => return Err(PageError::storage(lang, error)),
    };
    if batch.id != latest.id {
        // Only an import from outside the pages (the command line) can come between.
        tracing::error!(
            expected = latest.id,
            rolled_back = batch.id,
            "a rollback through the pages undid another batch than the one shown"
        );
    }
    let detail = serde_json::json!({
        "batch": batch.id,
        "kind": batch.kind,
        "file_name": batch.file_name,
        "file_sha256": batch.file_sha256,
        "records": batch.record_count,
        "reason": reason,
    });
    if let Err(error) = crate::auth::audit(
        &state,
        Some(&principal),
        "import_rollback",
        AuditTarget::record("import_batch", batch.id, &batch.org_path),
        detail,
    )
    .await
    {
        tracing::error!(%error, batch = batch.id, "a rollback made through the pages was not written to the audit log");
    }
    Ok(see_other(&format!("/imports?rolled_back={}", batch.id)))
}
