//! The import pages (issue 4 §3), through the router as a browser uses them: an .xlsx written here
//! (rust_xlsxwriter) is uploaded as multipart form data; a bad file's preview lists every error by
//! row, column letter and heading in both languages and writes nothing; a good file's preview shows
//! the members with personal data masked, and its confirmation writes one batch with provenance —
//! once, however often it is confirmed; the latest batch rolls back with a reason and is refused
//! when something changed since; other scopes and roles are refused; forms without the CSRF token
//! are refused. The main flow runs on SQLite and on PostgreSQL (`ZHIBU_TEST_POSTGRES_URL`).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhibu_core::identity::id_check_character;
use zhibu_core::rules::Catalogue;
use zhibu_core::{Member, Org, OrgId, OrgLevel, UnitKind};
use zhibu_storage::sealing::DataKey;
use zhibu_storage::{AuditQuery, Backend, ChangeMeta, ListRequest, Repository};
use zhibu_web::auth::Role;
use zhibu_web::auth::handlers::{NewAccountRequest, create_account};
use zhibu_web::{AppState, router};

const BRANCH: &str = "办公室党支部";
const OTHER_BRANCH: &str = "财务科党支部";
const FAR_BRANCH: &str = "外区党支部";

struct World {
    router: Router,
    repository: Repository,
    committee: OrgId,
    branch: OrgId,
    other_branch: OrgId,
    far_committee: OrgId,
    far_branch: OrgId,
    /// A SQLite file to remove, or a PostgreSQL schema to drop.
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

impl Drop for World {
    fn drop(&mut self) {
        if let Cleanup::Sqlite(database) = &self.cleanup {
            for suffix in ["", "-wal", "-shm", ".key"] {
                let mut path = database.clone().into_os_string();
                path.push(suffix);
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => eprintln!("could not remove {}: {error}", path.display()),
                }
            }
        }
    }
}

#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
    text: String,
}

#[derive(Debug, Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

async fn sqlite_world() -> World {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    let database = std::env::temp_dir().join(format!(
        "zhibu-import-pages-test-{}-{nanos}-{}.db",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", database.display()))
        .await
        .expect("connect");
    world(Arc::new(backend), Cleanup::Sqlite(database)).await
}

/// The PostgreSQL world, or `None` after saying loudly that the PostgreSQL part is skipped.
async fn postgres_world() -> Option<World> {
    let url = match std::env::var("ZHIBU_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            let required = std::env::var("ZHIBU_REQUIRE_POSTGRES").is_ok_and(|value| value == "1");
            assert!(
                !required,
                "ZHIBU_REQUIRE_POSTGRES=1 but ZHIBU_TEST_POSTGRES_URL is not set"
            );
            eprintln!(
                "SKIPPED: ZHIBU_TEST_POSTGRES_URL not set — the PostgreSQL import page test did not run"
            );
            return None;
        }
    };
    let schema = format!(
        "zhibu_import_pages_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let backend = zhibu_storage_postgres::connect_with_schema(&url, &schema)
        .await
        .expect("connect");
    Some(world(Arc::new(backend), Cleanup::Postgres { url, schema }).await)
}

async fn drop_world(world: World) {
    if let Cleanup::Postgres { url, schema } = &world.cleanup {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE"
        )))
        .execute(&mut connection)
        .await
        .expect("drop schema");
    }
    drop(world);
}

fn org(parent: Option<OrgId>, name: &str, level: OrgLevel) -> Org {
    Org {
        parent_id: parent,
        name: name.to_string(),
        level,
        unit_kind: UnitKind::GovernmentOrgan,
        established_on: NaiveDate::from_ymd_opt(2010, 1, 1).expect("date"),
        dissolved_on: None,
    }
}

async fn world(backend: Arc<dyn Backend>, cleanup: Cleanup) -> World {
    backend.migrate().await.expect("migrate");
    let repository = Repository::new(backend, Arc::new(Catalogue::national().expect("catalogue")))
        .with_data_key(Arc::new(DataKey::from_bytes(&[9; 32])));
    let meta = ChangeMeta::by("test");
    let create = |org: Org| {
        let repository = repository.clone();
        let meta = meta.clone();
        async move { repository.create(org, &meta).await.expect("org").typed_id() }
    };
    let root = create(org(None, "示例市直机关工委", OrgLevel::WorkingCommittee)).await;
    let committee = create(org(
        Some(root),
        "示例市财政局机关党委",
        OrgLevel::PartyCommittee,
    ))
    .await;
    let branch = create(org(Some(committee), BRANCH, OrgLevel::Branch)).await;
    let other_branch = create(org(Some(committee), OTHER_BRANCH, OrgLevel::Branch)).await;
    let far_committee = create(org(
        Some(root),
        "示例市外区机关党委",
        OrgLevel::PartyCommittee,
    ))
    .await;
    let far_branch = create(org(Some(far_committee), FAR_BRANCH, OrgLevel::Branch)).await;
    let today = NaiveDate::from_ymd_opt(2026, 6, 15).expect("date");
    World {
        router: router(AppState::with_fixed_today(repository.clone(), today)),
        repository,
        committee,
        branch,
        other_branch,
        far_committee,
        far_branch,
        cleanup,
    }
}

impl World {
    async fn send(
        &self,
        method: &str,
        uri: &str,
        session: Option<&Session>,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(session) = session {
            request = request.header("cookie", &session.cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).expect("request"))
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    async fn session(&self, login: &str, role: Role, scope: Option<OrgId>) -> Session {
        // Branch officers and members sign in as members of record.
        let member_id = match role {
            Role::Administrator | Role::CommitteeStaff => None,
            _ => {
                let branch = scope.expect("a branch");
                let mut body = Member {
                    name: format!("账号{login}"),
                    ..minimal_member(branch)
                };
                body.registry.id_number = None;
                let stored = self
                    .repository
                    .create(body, &ChangeMeta::by("test"))
                    .await
                    .expect("the account's member record");
                Some(stored.id)
            }
        };
        let request = NewAccountRequest {
            login: login.into(),
            display_name: login.into(),
            role,
            scope_org: scope.map(|org| org.0),
            member_id,
        };
        let password = create_account(&self.repository, &request, false)
            .await
            .unwrap_or_else(|error| panic!("create {login}: {error}"))
            .one_time_password;
        let answer = self
            .send(
                "POST",
                "/api/v1/session",
                None,
                &[("content-type", "application/json")],
                json!({ "login": login, "password": password })
                    .to_string()
                    .into_bytes(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "sign in as {login}");
        let cookie = answer
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("zhibu_session="))
            .expect("a session cookie")
            .split(';')
            .next()
            .expect("pair")
            .to_string();
        Session {
            cookie,
            csrf: answer.body["csrf_token"]
                .as_str()
                .expect("csrf")
                .to_string(),
        }
    }

    /// The upload form with a roster.
    async fn upload(
        &self,
        session: &Session,
        org: OrgId,
        file_name: &str,
        bytes: &[u8],
        csrf: bool,
    ) -> Answer {
        self.upload_kind(session, "roster", org, file_name, bytes, csrf)
            .await
    }

    /// The upload form as a browser sends it: multipart, the CSRF token first (unless left out).
    async fn upload_kind(
        &self,
        session: &Session,
        kind: &str,
        org: OrgId,
        file_name: &str,
        bytes: &[u8],
        csrf: bool,
    ) -> Answer {
        let boundary = "----zhibu-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        let mut text_field = |name: &str, value: &str| {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        };
        if csrf {
            text_field("csrf_token", &session.csrf);
        }
        text_field("kind", kind);
        text_field("org_id", &org.0.to_string());
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(
            format!(
                "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"sheet\"\r\n\r\n\r\n--{boundary}--\r\n"
            )
            .as_bytes(),
        );
        let content_type = format!("multipart/form-data; boundary={boundary}");
        self.send(
            "POST",
            "/imports",
            Some(session),
            &[("content-type", content_type.as_str())],
            body,
        )
        .await
    }

    async fn post_form(
        &self,
        uri: &str,
        session: &Session,
        fields: &[(&str, &str)],
        csrf: bool,
    ) -> Answer {
        let mut form = form_urlencoded::Serializer::new(String::new());
        if csrf {
            form.append_pair("csrf_token", &session.csrf);
        }
        for (name, value) in fields {
            form.append_pair(name, value);
        }
        self.send(
            "POST",
            uri,
            Some(session),
            &[("content-type", "application/x-www-form-urlencoded")],
            form.finish().into_bytes(),
        )
        .await
    }

    async fn page(&self, uri: &str, session: &Session) -> Answer {
        self.send("GET", uri, Some(session), &[], Vec::new()).await
    }

    /// The members stored in an org's subtree, with their ids.
    async fn members(&self, org: OrgId) -> Vec<(i64, Member)> {
        self.repository
            .list::<Member>(&ListRequest {
                subtree: Some(org),
                limit: Some(1000),
                ..ListRequest::default()
            })
            .await
            .expect("list members")
            .items
            .into_iter()
            .map(|stored| (stored.id, stored.body))
            .collect()
    }

    async fn chain_length(&self) -> i64 {
        self.repository
            .backend()
            .chain_head()
            .await
            .expect("chain head")
            .map_or(0, |head| head.seq)
    }

    async fn audit_actions(&self) -> Vec<(String, String)> {
        self.repository
            .accounts()
            .search_audit(&AuditQuery {
                limit: 1000,
                ..AuditQuery::default()
            })
            .await
            .expect("audit")
            .into_iter()
            .map(|entry| (entry.action, entry.detail))
            .collect()
    }
}

/// A member of `branch` without registry details, for the accounts of branch officers and members.
fn minimal_member(branch: OrgId) -> Member {
    serde_json::from_value(json!({
        "name": "成员", "sex": "male", "joined_on": "2010-07-01",
        "status_history": [{ "effective_on": "2010-07-01", "status": "probationary" }, { "effective_on": "2011-07-01", "status": "full" }],
        "postings": [{ "branch_id": branch.0, "from": "2015-01-01" }],
        "employment": "salaried"
    }))
    .expect("a member body")
}

/// A valid 18-digit ID number (region 110105) with the right check character.
fn id_number(birth: NaiveDate, sequence: u32, male: bool) -> String {
    let digits = sequence * 2 + u32::from(male);
    let first = format!("110105{}{:03}", birth.format("%Y%m%d"), digits % 1000);
    let check = id_check_character(&first).expect("17 digits");
    format!("{first}{check}")
}

const HEADINGS: [&str; 11] = [
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "公民身份号码",
    "学历",
    "入党时间",
    "转正时间",
    "所在党支部",
    "人员类别",
    "联系电话",
];

/// One valid row for member `n` of `branch`.
fn row(n: u32, branch: &str) -> Vec<String> {
    let male = n % 2 == 1;
    let birth =
        NaiveDate::from_ymd_opt(1970 + (n % 30) as i32, 1 + n % 12, 1 + n % 28).expect("date");
    vec![
        format!("导入党员{n}"),
        if male { "男" } else { "女" }.to_string(),
        "汉族".to_string(),
        birth.format("%Y-%m-%d").to_string(),
        id_number(birth, n, male),
        "大学本科".to_string(),
        "2015-07-01".to_string(),
        "2016-07-01".to_string(),
        branch.to_string(),
        "在岗职工".to_string(),
        format!("139{:08}", 10_000_000 + n),
    ]
}

/// An .xlsx of `headings` and `rows`.
fn plain_xlsx(headings: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, heading) in headings.iter().enumerate() {
        sheet
            .write_string(0, column as u16, *heading)
            .expect("heading");
    }
    for (index, cells) in rows.iter().enumerate() {
        for (column, cell) in cells.iter().enumerate() {
            sheet
                .write_string(1 + index as u32, column as u16, cell)
                .expect("cell");
        }
    }
    workbook.save_to_buffer().expect("xlsx")
}

/// An .xlsx with a title row above the headings, as the registry exports it.
fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("名册").expect("sheet name");
    sheet.write_string(0, 0, "党员名册（导出）").expect("title");
    for (column, heading) in HEADINGS.iter().enumerate() {
        sheet
            .write_string(1, column as u16, *heading)
            .expect("heading");
    }
    for (index, cells) in rows.iter().enumerate() {
        for (column, cell) in cells.iter().enumerate() {
            sheet
                .write_string(2 + index as u32, column as u16, cell)
                .expect("cell");
        }
    }
    workbook.save_to_buffer().expect("xlsx")
}

/// The value of a hidden input in a page.
fn hidden(text: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = text
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        + marker.len();
    let end = text[start..].find('"').expect("end of value") + start;
    text[start..end].to_string()
}

fn location(answer: &Answer) -> String {
    answer
        .headers
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn a_bad_files_preview_lists_every_error_by_row_and_column_and_writes_nothing() {
    let world = sqlite_world().await;
    let staff = world
        .session("staff", Role::CommitteeStaff, Some(world.committee))
        .await;
    let mut bad_id = row(2, BRANCH);
    // The check character of a valid number, changed.
    let last = bad_id[4].pop().expect("digit");
    bad_id[4].push(if last == '0' { '1' } else { '0' });
    let mut bad_date = row(3, OTHER_BRANCH);
    bad_date[6] = "2026-02-30".to_string();
    let mut bad_sex = row(4, BRANCH);
    bad_sex[1] = "未知".to_string();
    let file = xlsx(&[row(1, BRANCH), bad_id, bad_date, bad_sex]);
    let chain_before = world.chain_length().await;

    let answer = world
        .upload(&staff, world.committee, "名册-有错.xlsx", &file, true)
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text
    );
    // Row 1 is the title, row 2 the headings: the data rows are 3 to 6 as a spreadsheet shows them.
    for (row_number, column, heading) in [
        ("4", "E", "公民身份号码"),
        ("5", "G", "入党时间"),
        ("6", "B", "性别"),
    ] {
        let cells = format!("<td>{row_number}</td><td>{column}</td><td>{heading}</td>");
        assert!(
            answer.text.contains(&cells),
            "the error at row {row_number}, column {column} is listed: {}",
            answer.text
        );
    }
    assert!(
        answer.text.contains("身份证号码校验位不符"),
        "{}",
        answer.text
    );
    assert!(
        answer.text.contains("日期2026年2月30日不存在"),
        "{}",
        answer.text
    );
    assert!(
        answer.text.contains("the date 2026-02-30 does not exist"),
        "English too: {}",
        answer.text
    );
    assert!(answer.text.contains("未导入任何记录"));
    assert!(
        !answer.text.contains("id=\"confirm-form\""),
        "no confirmation is offered for a file with errors"
    );
    assert_eq!(world.chain_length().await, chain_before, "nothing written");
    assert!(world.members(world.committee).await.is_empty());
    assert!(
        world
            .repository
            .import_batches(10)
            .await
            .expect("batches")
            .is_empty()
    );

    // A file that is no spreadsheet at all: one error for the whole file, nothing written.
    let answer = world
        .upload(
            &staff,
            world.committee,
            "名册.xlsx",
            b"not a workbook",
            true,
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer.text.contains("id=\"import-errors\""),
        "{}",
        answer.text
    );
    assert_eq!(world.chain_length().await, chain_before);

    drop_world(world).await;
}

/// Upload, preview (masked), confirm (twice, and twice at once), provenance, audit, list, rollback.
async fn good_file_flow(world: &World) {
    let staff = world
        .session("staff", Role::CommitteeStaff, Some(world.committee))
        .await;
    let rows = vec![row(11, BRANCH), row(12, OTHER_BRANCH), row(13, BRANCH)];
    let file = xlsx(&rows);
    let sha256 = zhibu_import::file_sha256(&file);
    let chain_before = world.chain_length().await;

    let preview = world
        .upload(&staff, world.committee, "名册.xlsx", &file, true)
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert!(preview.text.contains("id=\"confirm-form\""));
    assert!(
        preview.text.contains(&sha256),
        "the preview names the file's SHA-256"
    );
    for cells in &rows {
        assert!(
            preview.text.contains(&cells[0]),
            "{} is previewed",
            cells[0]
        );
        assert!(
            !preview.text.contains(&cells[4]),
            "the ID number {} is never shown in full",
            cells[4]
        );
        assert!(
            !preview.text.contains(&cells[10]),
            "the phone {} is never shown in full",
            cells[10]
        );
        assert!(
            preview
                .text
                .contains(&format!("{}********", &cells[4][..6])),
            "the ID number is shown masked"
        );
    }
    assert_eq!(
        world.chain_length().await,
        chain_before,
        "a preview writes nothing"
    );
    assert!(world.members(world.committee).await.is_empty());

    let token = hidden(&preview.text, "token");
    assert_eq!(hidden(&preview.text, "sha256"), sha256);
    // A confirmation naming another file's hash is refused, and uses up the token.
    let other = world
        .upload(&staff, world.committee, "名册.xlsx", &file, true)
        .await;
    let other_token = hidden(&other.text, "token");
    let refused = world
        .post_form(
            "/imports/confirm",
            &staff,
            &[("token", &other_token), ("sha256", &"0".repeat(64))],
            true,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("此预览已失效或已确认过"));
    assert!(world.members(world.committee).await.is_empty());

    // Confirmed twice at once: one batch.
    let fields = [("token", token.as_str()), ("sha256", sha256.as_str())];
    let (first, second) = tokio::join!(
        world.post_form("/imports/confirm", &staff, &fields, true),
        world.post_form("/imports/confirm", &staff, &fields, true),
    );
    let (done, again) = if first.status == StatusCode::SEE_OTHER {
        (first, second)
    } else {
        (second, first)
    };
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert!(location(&done).starts_with("/imports?imported="));
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.text
    );
    assert!(again.text.contains("此预览已失效或已确认过"));
    // And once more afterwards.
    let third = world
        .post_form("/imports/confirm", &staff, &fields, true)
        .await;
    assert_eq!(third.status, StatusCode::UNPROCESSABLE_ENTITY);

    let batches = world.repository.import_batches(10).await.expect("batches");
    assert_eq!(batches.len(), 1, "one batch, however often confirmed");
    let batch = &batches[0];
    assert_eq!(batch.record_count, 3);
    assert_eq!(batch.file_name, "名册.xlsx");
    assert_eq!(batch.file_sha256, sha256);
    assert_eq!(batch.actor, "staff");
    assert_eq!(location(&done), format!("/imports?imported={}", batch.id));

    let members = world.members(world.committee).await;
    assert_eq!(members.len(), 3);
    assert_eq!(world.members(world.branch).await.len(), 2);
    assert_eq!(world.members(world.other_branch).await.len(), 1);
    for (id, member) in &members {
        let provenance = world
            .repository
            .provenance(*id)
            .await
            .expect("provenance")
            .expect("an imported member has provenance");
        assert_eq!(provenance.batch_id, batch.id);
        let index = rows
            .iter()
            .position(|cells| cells[0] == member.name)
            .expect("a row of the file");
        // The title and heading rows come first.
        assert_eq!(provenance.row_number, index as i64 + 3);
        assert_eq!(
            member
                .registry
                .id_number
                .as_ref()
                .map(|id| id.as_full_str().to_string()),
            Some(rows[index][4].clone()),
            "the ID number is stored (sealed) and opens with the key"
        );
    }
    let audit = world.audit_actions().await;
    let imports: Vec<_> = audit
        .iter()
        .filter(|(action, _)| action == "import")
        .collect();
    assert_eq!(imports.len(), 1, "{audit:?}");
    assert!(imports[0].1.contains(&sha256));

    // The list shows the batch: who, file, hash, rows, status, and offers its rollback.
    let list = world
        .page(&format!("/imports?imported={}", batch.id), &staff)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains(&format!("id=\"batch-{}\"", batch.id)));
    assert!(list.text.contains(&sha256));
    assert!(list.text.contains("名册.xlsx"));
    assert!(list.text.contains("已导入"));
    assert!(list.text.contains("id=\"rollback-form\""));

    // A rollback needs a reason.
    let batch_id = batch.id.to_string();
    let answer = world
        .post_form(
            "/imports/rollback",
            &staff,
            &[("batch_id", &batch_id), ("reason", " ")],
            true,
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.text.contains("须说明理由"));
    assert_eq!(world.members(world.committee).await.len(), 3);

    let answer = world
        .post_form(
            "/imports/rollback",
            &staff,
            &[("batch_id", &batch_id), ("reason", "导错了文件")],
            true,
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
    assert_eq!(
        location(&answer),
        format!("/imports?rolled_back={}", batch.id)
    );
    assert!(world.members(world.committee).await.is_empty());
    let batches = world.repository.import_batches(10).await.expect("batches");
    assert_eq!(batches[0].rollback_reason.as_deref(), Some("导错了文件"));
    assert_eq!(batches[0].rolled_back_by.as_deref(), Some("staff"));
    let audit = world.audit_actions().await;
    assert!(
        audit
            .iter()
            .any(|(action, detail)| action == "import_rollback" && detail.contains("导错了文件")),
        "{audit:?}"
    );
    let list = world.page("/imports", &staff).await;
    assert!(list.text.contains("已撤销"));
    assert!(
        !list.text.contains("id=\"rollback-form\""),
        "nothing left to roll back"
    );
    assert!(world.repository.verify().await.expect("verify").is_intact());

    // Imported again, then something else is written in the batch's subtree: the rollback is
    // refused, saying why, and nothing is deleted.
    let preview = world
        .upload(&staff, world.committee, "名册-第二次.xlsx", &file, true)
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    let token = hidden(&preview.text, "token");
    let answer = world
        .post_form(
            "/imports/confirm",
            &staff,
            &[("token", &token), ("sha256", &sha256)],
            true,
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
    let second = world.repository.import_batches(1).await.expect("batches")[0].clone();
    let (_, some_member) = world.members(world.branch).await[0].clone();
    let mut later = some_member.clone();
    later.name = "导入后新建党员".into();
    later.registry.id_number = None;
    later.registry.phone = None;
    world
        .repository
        .create(later, &ChangeMeta::by("secretary"))
        .await
        .expect("a member written after the import");
    let answer = world
        .post_form(
            "/imports/rollback",
            &staff,
            &[("batch_id", &second.id.to_string()), ("reason", "再撤一次")],
            true,
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text
    );
    assert!(
        answer.text.contains("之后已有变化，不能撤销"),
        "{}",
        answer.text
    );
    assert!(
        answer.text.contains("导入后新建党员"),
        "names what changed: {}",
        answer.text
    );
    assert_eq!(world.members(world.committee).await.len(), 4);
}

#[tokio::test]
async fn a_good_file_is_confirmed_once_with_provenance_and_rolled_back_on_sqlite() {
    let world = sqlite_world().await;
    good_file_flow(&world).await;
    drop_world(world).await;
}

#[tokio::test]
async fn a_good_file_is_confirmed_once_with_provenance_and_rolled_back_on_postgres() {
    let Some(world) = postgres_world().await else {
        return;
    };
    good_file_flow(&world).await;
    drop_world(world).await;
}

#[tokio::test]
async fn other_scopes_and_roles_are_refused() {
    let world = sqlite_world().await;
    let staff = world
        .session("staff", Role::CommitteeStaff, Some(world.committee))
        .await;
    let far_staff = world
        .session("far-staff", Role::CommitteeStaff, Some(world.far_committee))
        .await;
    let secretary = world
        .session("secretary", Role::BranchSecretary, Some(world.branch))
        .await;
    let committee_member = world
        .session(
            "committee-member",
            Role::BranchCommitteeMember,
            Some(world.branch),
        )
        .await;
    let member = world
        .session("member", Role::Member, Some(world.branch))
        .await;
    // The three branch accounts' own member records.
    let base = world.members(world.branch).await.len();
    let chain_before = world.chain_length().await;
    let file = xlsx(&[row(21, BRANCH)]);
    let far_file = xlsx(&[row(22, FAR_BRANCH)]);

    // Members and branch committee members may not import at all.
    for session in [&member, &committee_member] {
        assert_eq!(
            world.page("/imports", session).await.status,
            StatusCode::FORBIDDEN
        );
        let answer = world
            .upload(session, world.branch, "名册.xlsx", &file, true)
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        let answer = world
            .post_form(
                "/imports/rollback",
                session,
                &[("batch_id", "1"), ("reason", "x")],
                true,
            )
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
    }

    // Staff cannot import into another committee's subtree, nor a secretary into another branch:
    // the form comes back and nothing is read or written.
    for (session, org, bytes) in [
        (&far_staff, world.branch, &file),
        (&staff, world.far_branch, &far_file),
        (&secretary, world.other_branch, &file),
        (&secretary, world.committee, &file),
    ] {
        let answer = world.upload(session, org, "名册.xlsx", bytes, true).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.text
        );
        assert!(answer.text.contains("请选择您管理范围内的一个组织"));
        assert!(!answer.text.contains("id=\"confirm-form\""));
    }
    // Rows naming a branch outside the chosen org are errors of the preview.
    let answer = world
        .upload(&staff, world.committee, "名册.xlsx", &far_file, true)
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer.text.contains("<td>I</td><td>所在党支部</td>"),
        "{}",
        answer.text
    );
    assert_eq!(
        world.chain_length().await,
        chain_before,
        "nothing was written"
    );

    // The upload form offers only what is in scope.
    let page = world.page("/imports", &secretary).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(BRANCH));
    assert!(!page.text.contains(OTHER_BRANCH));
    let page = world.page("/imports", &staff).await;
    assert!(page.text.contains(OTHER_BRANCH));
    assert!(!page.text.contains(FAR_BRANCH));

    // A secretary imports into their own branch; the batch is theirs to see, not the far staff's.
    let preview = world
        .upload(&secretary, world.branch, "本支部.xlsx", &file, true)
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    let token = hidden(&preview.text, "token");
    let sha256 = hidden(&preview.text, "sha256");
    // Another account cannot confirm the secretary's preview, and trying does not use it up.
    let answer = world
        .post_form(
            "/imports/confirm",
            &staff,
            &[("token", &token), ("sha256", &sha256)],
            true,
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(world.members(world.branch).await.len(), base);
    let answer = world
        .post_form(
            "/imports/confirm",
            &secretary,
            &[("token", &token), ("sha256", &sha256)],
            true,
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
    assert_eq!(world.members(world.branch).await.len(), base + 1);
    let batch = world.repository.import_batches(1).await.expect("batches")[0].clone();
    assert!(
        world
            .page("/imports", &secretary)
            .await
            .text
            .contains("本支部.xlsx")
    );
    assert!(
        world
            .page("/imports", &staff)
            .await
            .text
            .contains("本支部.xlsx")
    );
    let far_page = world.page("/imports", &far_staff).await;
    assert!(!far_page.text.contains("本支部.xlsx"));
    // Nor may the far staff roll it back.
    let answer = world
        .post_form(
            "/imports/rollback",
            &far_staff,
            &[("batch_id", &batch.id.to_string()), ("reason", "越权")],
            true,
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(world.members(world.branch).await.len(), base + 1);
    assert!(
        world.repository.import_batches(1).await.expect("batches")[0]
            .rolled_back_at
            .is_none()
    );
    drop_world(world).await;
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused_and_change_nothing() {
    let world = sqlite_world().await;
    let staff = world
        .session("staff", Role::CommitteeStaff, Some(world.committee))
        .await;
    let file = xlsx(&[row(31, BRANCH)]);
    let answer = world
        .upload(&staff, world.committee, "名册.xlsx", &file, false)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.text);
    assert!(!answer.text.contains("id=\"confirm-form\""));

    let preview = world
        .upload(&staff, world.committee, "名册.xlsx", &file, true)
        .await;
    let token = hidden(&preview.text, "token");
    let sha256 = hidden(&preview.text, "sha256");
    let fields = [("token", token.as_str()), ("sha256", sha256.as_str())];
    let answer = world
        .post_form("/imports/confirm", &staff, &fields, false)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(world.members(world.committee).await.is_empty());
    // The refused form did not use the preview up.
    let answer = world
        .post_form("/imports/confirm", &staff, &fields, true)
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
    let batch = world.repository.import_batches(1).await.expect("batches")[0].clone();
    let answer = world
        .post_form(
            "/imports/rollback",
            &staff,
            &[("batch_id", &batch.id.to_string()), ("reason", "测试")],
            false,
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(world.members(world.committee).await.len(), 1);
    drop_world(world).await;
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_with_a_clear_message() {
    let world = sqlite_world().await;
    let staff = world
        .session("staff", Role::CommitteeStaff, Some(world.committee))
        .await;
    let big = vec![b'x'; 21 * 1024 * 1024];
    let answer = world
        .upload(&staff, world.committee, "太大.xlsx", &big, true)
        .await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.text
    );
    assert!(answer.text.contains("文件超过上限"), "{}", answer.text);
    assert!(
        answer.text.contains("larger than the limit"),
        "{}",
        answer.text
    );
    assert!(world.members(world.committee).await.is_empty());
    drop_world(world).await;
}

#[tokio::test]
async fn past_meetings_are_imported_through_the_same_pages_after_the_roster() {
    let world = sqlite_world().await;
    let staff = world
        .session("staff", Role::CommitteeStaff, Some(world.committee))
        .await;
    let confirm = |answer: Answer| {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        (
            hidden(&answer.text, "token"),
            hidden(&answer.text, "sha256"),
        )
    };
    let (token, sha256) = confirm(
        world
            .upload(
                &staff,
                world.branch,
                "名册.xlsx",
                &xlsx(&[row(1, BRANCH), row(3, BRANCH)]),
                true,
            )
            .await,
    );
    let answer = world
        .post_form(
            "/imports/confirm",
            &staff,
            &[("token", &token), ("sha256", &sha256)],
            true,
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);

    let headings = [
        "党支部",
        "会议类型",
        "会议日期",
        "会议主题",
        "出席人员",
        "请假人员",
        "缺席人员",
    ];
    let strings = |cells: &[&str]| {
        cells
            .iter()
            .map(|cell| cell.to_string())
            .collect::<Vec<_>>()
    };
    // A name nobody has: the error by row and column, nothing written.
    let bad = plain_xlsx(
        &headings,
        &[strings(&[
            BRANCH,
            "支部党员大会",
            "2026-03-10",
            "学习党章",
            "导入党员1、无此人",
            "",
            "导入党员3",
        ])],
    );
    let chain_before = world.chain_length().await;
    let answer = world
        .upload_kind(
            &staff,
            "meetings",
            world.branch,
            "会议-有错.xlsx",
            &bad,
            true,
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text
    );
    assert!(
        answer
            .text
            .contains("<td>2</td><td>E</td><td>出席人员</td>"),
        "{}",
        answer.text
    );
    assert_eq!(world.chain_length().await, chain_before);

    let good = plain_xlsx(
        &headings,
        &[strings(&[
            BRANCH,
            "支部党员大会",
            "2026-03-10",
            "学习党章",
            "导入党员1",
            "",
            "导入党员3",
        ])],
    );
    let preview = world
        .upload_kind(&staff, "meetings", world.branch, "会议.xlsx", &good, true)
        .await;
    assert!(preview.text.contains("以往会议"), "{}", preview.text);
    assert!(preview.text.contains("2026-03-10"));
    let (token, sha256) = confirm(preview);
    let answer = world
        .post_form(
            "/imports/confirm",
            &staff,
            &[("token", &token), ("sha256", &sha256)],
            true,
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
    let batches = world.repository.import_batches(10).await.expect("batches");
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].kind, "meetings");
    assert_eq!(batches[0].record_count, 1);
    let meetings = world
        .repository
        .list::<zhibu_core::Meeting>(&ListRequest {
            subtree: Some(world.branch),
            limit: Some(10),
            ..ListRequest::default()
        })
        .await
        .expect("meetings")
        .items;
    assert_eq!(meetings.len(), 1);
    assert_eq!(
        world
            .repository
            .provenance(meetings[0].id)
            .await
            .expect("provenance")
            .map(|found| (found.batch_id, found.row_number)),
        Some((batches[0].id, 2))
    );
    let list = world.page("/imports", &staff).await;
    assert!(list.text.contains("以往会议"));
    assert!(list.text.contains("会议.xlsx"));
    drop_world(world).await;
}
