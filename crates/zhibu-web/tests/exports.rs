//! The download routes (`pages::exports`) against a small demo city in a real SQLite file: each
//! register comes back as the right kind of file for the officers of its branch and the staff above
//! it, is refused to members (403) and not found outside the account's subtree (404), masks ID
//! numbers and phones for the roles that may not see them, and leaves an entry in the audit log.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhibu_core::admission::{AdmissionPerson, AdmissionRecord};
use zhibu_core::rules::Catalogue;
use zhibu_core::{Meeting, Member, OrgId};
use zhibu_demo::{DemoConfig, generate, load};
use zhibu_storage::{Backend, ChangeMeta, ListRequest, Repository};
use zhibu_web::auth::handlers::{NewAccountRequest, create_account};
use zhibu_web::auth::{DemoCredential, Role, create_demo_accounts};
use zhibu_web::{AppState, router};

const TODAY: &str = "2026-06-15";

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

struct App {
    router: Router,
    repository: Repository,
    database: PathBuf,
    credentials: Vec<DemoCredential>,
}

impl Drop for App {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.database.clone().into_os_string();
            path.push(suffix);
            let _missing_is_fine = std::fs::remove_file(&path);
        }
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

impl Answer {
    fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

async fn app() -> App {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let database = std::env::temp_dir().join(format!(
        "zhibu-exports-test-{}-{}.db",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", database.display()))
        .await
        .expect("connect to SQLite");
    backend.migrate().await.expect("migrate");
    // Personal data is sealed at rest: the repository needs its data key.
    let repository = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("the national catalogue")),
    )
    .with_data_key(Arc::new(zhibu_storage::sealing::DataKey::from_bytes(
        &[7; 32],
    )));
    let dataset = generate(&DemoConfig::new(7, date(TODAY)).with_branches(4));
    let summary = load(&repository, &dataset).await.expect("load the demo");
    let credentials = create_demo_accounts(&repository, summary.root)
        .await
        .expect("demo accounts");
    App {
        router: router(AppState::with_fixed_today(repository.clone(), date(TODAY))),
        repository,
        database,
        credentials,
    }
}

impl App {
    fn credential(&self, login: &str) -> &DemoCredential {
        self.credentials
            .iter()
            .find(|credential| credential.login == login)
            .unwrap_or_else(|| panic!("no demo account {login}"))
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Answer {
            status,
            headers,
            bytes,
        }
    }

    /// Signs in and returns the session cookie.
    async fn sign_in(&self, login: &str, password: &str) -> String {
        let request = Request::post("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({ "login": login, "password": password }).to_string(),
            ))
            .expect("request");
        let answer = self.send(request).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "sign in as {login}: {}",
            answer.text()
        );
        answer.headers[header::SET_COOKIE]
            .to_str()
            .expect("cookie")
            .split(';')
            .next()
            .expect("pair")
            .to_string()
    }

    async fn demo_session(&self, login: &str) -> String {
        let password = self.credential(login).password.clone();
        self.sign_in(login, &password).await
    }

    async fn get(&self, cookie: &str, path: &str) -> Answer {
        let request = Request::get(path)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .expect("request");
        self.send(request).await
    }
}

/// A valid GB 11643 number for someone born on `birth` of `sex` (odd sequence digit for men).
fn id_number_for(birth: NaiveDate, male: bool) -> String {
    let first = format!(
        "110105{}00{}",
        birth.format("%Y%m%d"),
        if male { 1 } else { 2 }
    );
    let check = zhibu_core::identity::id_check_character(&first).expect("check character");
    format!("{first}{check}")
}

/// What each kind of download must look like.
fn assert_file(answer: &Answer, kind: &str, what: &str) {
    assert_eq!(answer.status, StatusCode::OK, "{what}: {}", answer.text());
    let (content_type, magic): (&str, &[u8]) = match kind {
        "pdf" => ("application/pdf", b"%PDF-"),
        "xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            b"PK",
        ),
        "docx" => (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            b"PK",
        ),
        other => panic!("{other}"),
    };
    assert_eq!(answer.content_type(), content_type, "{what}");
    assert!(answer.bytes.starts_with(magic), "{what}: not a {kind}");
    let disposition = answer.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .expect("ASCII header");
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"),
        "{what}: {disposition}"
    );
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store", "{what}");
}

/// The cells of the roster sheet as openpyxl reads them, or `None` (said loudly) without it.
fn roster_cells(bytes: &[u8]) -> Option<Vec<Vec<Value>>> {
    let present = Command::new("python3")
        .args(["-c", "import openpyxl"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !present {
        assert!(
            std::env::var("ZHIBU_REQUIRE_PRINT_TOOLS").as_deref() != Ok("1"),
            "Python openpyxl is missing and ZHIBU_REQUIRE_PRINT_TOOLS=1"
        );
        eprintln!("SKIPPED: the roster's cells (Python openpyxl is not installed)");
        return None;
    }
    let path = std::env::temp_dir().join(format!(
        "zhibu-exports-roster-{}-{}.xlsx",
        std::process::id(),
        bytes.len()
    ));
    std::fs::write(&path, bytes).expect("write");
    let output = Command::new("python3")
        .args([
            "-c",
            "import json,sys,openpyxl\nws=openpyxl.load_workbook(sys.argv[1]).worksheets[0]\nprint(json.dumps([list(r) for r in ws.iter_rows(values_only=True)],ensure_ascii=False,default=str))",
        ])
        .arg(&path)
        .output()
        .expect("python3");
    std::fs::remove_file(&path).ok();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("json"))
}

#[tokio::test]
async fn every_export_route_for_authorized_and_unauthorized_accounts() {
    let app = app().await;
    let first = app
        .credential("demo-secretary")
        .scope_org
        .expect("the secretary's branch");
    let second = app
        .credential("demo-member-other")
        .scope_org
        .expect("the other branch");
    let meta = ChangeMeta::by("test");

    // A first-branch member with ID number and phone recorded, to see masking.
    let members = app
        .repository
        .list::<Member>(&ListRequest {
            subtree: Some(first),
            limit: Some(1000),
            ..ListRequest::default()
        })
        .await
        .expect("members")
        .items;
    let member = members
        .iter()
        .find(|member| member.body.birth_date.is_some())
        .expect("a member with a birth date");
    let mut body = member.body.clone();
    let id_number = id_number_for(
        body.birth_date.expect("birth date"),
        body.sex == zhibu_core::Sex::Male,
    );
    let mut registry = serde_json::to_value(&body).expect("json");
    registry["registry"] =
        json!({ "ethnicity": "汉族", "id_number": id_number, "phone": "13912345678" });
    body = serde_json::from_value(registry).expect("member with registry");
    app.repository
        .amend(
            zhibu_core::MemberId(member.id),
            member.version,
            body,
            &ChangeMeta::because("test", "补录身份证号"),
        )
        .await
        .expect("amend the member");

    let meeting_of = |branch: OrgId| {
        let repository = app.repository.clone();
        async move {
            repository
                .list::<Meeting>(&ListRequest {
                    subtree: Some(branch),
                    limit: Some(1),
                    ..ListRequest::default()
                })
                .await
                .expect("meetings")
                .items[0]
                .id
        }
    };
    let first_meeting = meeting_of(first).await;
    let second_meeting = meeting_of(second).await;
    let admission_in = |branch: OrgId, name: &str| {
        AdmissionRecord::new(
            AdmissionPerson {
                name: name.into(),
                birth_date: date("2001-03-04"),
                branch_id: branch,
                mobile: false,
            },
            date("2026-05-20"),
        )
    };
    let first_admission = app
        .repository
        .create(admission_in(first, "甲申请人"), &meta)
        .await
        .expect("admission")
        .id;
    let second_admission = app
        .repository
        .create(admission_in(second, "乙申请人"), &meta)
        .await
        .expect("admission")
        .id;

    // A secretary of the second branch: an officer, outside the first branch.
    let other_secretary = create_account(
        &app.repository,
        &NewAccountRequest {
            login: "secretary-two".into(),
            display_name: "第二支部书记".into(),
            role: Role::BranchSecretary,
            scope_org: Some(second.0),
            member_id: None,
        },
        false,
    )
    .await
    .expect("account");

    let branch_routes = |branch: OrgId| {
        vec![
            (format!("/branches/{branch}/exports/roster.pdf"), "pdf"),
            (
                format!("/branches/{branch}/exports/roster.xlsx?date=2026-06-01"),
                "xlsx",
            ),
            (
                format!("/branches/{branch}/exports/dues.pdf?month=2026-05"),
                "pdf",
            ),
            (format!("/branches/{branch}/exports/dues.xlsx"), "xlsx"),
            (
                format!("/branches/{branch}/exports/attendance.xlsx?year=2026"),
                "xlsx",
            ),
            (
                format!("/branches/{branch}/exports/annual-summary.pdf?year=2025"),
                "pdf",
            ),
        ]
    };
    let record_routes = |meeting: i64, admission: i64| {
        vec![
            (format!("/meetings/{meeting}/record.pdf"), "pdf"),
            (format!("/meetings/{meeting}/record.docx"), "docx"),
            (format!("/admission-records/{admission}/record.pdf"), "pdf"),
        ]
    };
    let inside: Vec<(String, &str)> = branch_routes(first)
        .into_iter()
        .chain(record_routes(first_meeting, first_admission))
        .collect();
    let outside: Vec<(String, &str)> = branch_routes(second)
        .into_iter()
        .chain(record_routes(second_meeting, second_admission))
        .collect();

    // Officers of the branch and the staff and administrator above it get every file.
    for login in [
        "demo-admin",
        "demo-staff",
        "demo-secretary",
        "demo-committee",
    ] {
        let cookie = app.demo_session(login).await;
        for (path, kind) in &inside {
            let answer = app.get(&cookie, path).await;
            assert_file(&answer, kind, &format!("{login} GET {path}"));
        }
    }
    // Everywhere for the administrator and the staff (the whole city); not for a branch officer.
    for login in ["demo-admin", "demo-staff"] {
        let cookie = app.demo_session(login).await;
        for (path, kind) in &outside {
            assert_file(
                &app.get(&cookie, path).await,
                kind,
                &format!("{login} GET {path}"),
            );
        }
    }
    let cookie = app.demo_session("demo-secretary").await;
    for (path, _) in &outside {
        let answer = app.get(&cookie, path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "secretary GET {path}");
        assert!(
            !answer.text().contains("乙申请人"),
            "a refusal shows nothing"
        );
    }
    let cookie = app
        .sign_in("secretary-two", &other_secretary.one_time_password)
        .await;
    for (path, _) in &inside {
        let answer = app.get(&cookie, path).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "secretary of the second branch GET {path}"
        );
        assert!(
            !answer.text().contains("甲申请人"),
            "a refusal shows nothing"
        );
    }
    // Members export nothing: their own branch is forbidden, another branch is not found.
    let cookie = app.demo_session("demo-member").await;
    for (path, _) in &inside {
        let answer = app.get(&cookie, path).await;
        assert!(
            [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&answer.status),
            "member GET {path}: {}",
            answer.status
        );
        assert!(!answer.bytes.starts_with(b"%PDF") && !answer.bytes.starts_with(b"PK"));
    }
    for (path, _) in branch_routes(first) {
        let answer = app.get(&cookie, &path).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "member GET {path}");
    }
    let cookie = app.demo_session("demo-member-other").await;
    for (path, _) in branch_routes(first) {
        assert_eq!(
            app.get(&cookie, &path).await.status,
            StatusCode::NOT_FOUND,
            "member of another branch GET {path}"
        );
    }
    // Signed out: to the sign-in page.
    let answer = app.get("", &inside[0].0).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    // Malformed parameters are pages that do not exist.
    let cookie = app.demo_session("demo-secretary").await;
    for path in [
        format!("/branches/{first}/exports/dues.pdf?month=2026-13"),
        format!("/branches/{first}/exports/roster.pdf?date=2026-02-30"),
        format!("/branches/{first}/exports/attendance.xlsx?year=1900"),
        "/branches/abc/exports/roster.pdf".to_string(),
        "/meetings/999999/record.pdf".to_string(),
    ] {
        assert_eq!(
            app.get(&cookie, &path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }

    // The roster masks ID numbers and phones for a committee member, not for the secretary.
    let path = format!("/branches/{first}/exports/roster.xlsx");
    let whole = app
        .get(&app.demo_session("demo-secretary").await, &path)
        .await;
    let masked = app
        .get(&app.demo_session("demo-committee").await, &path)
        .await;
    if let (Some(whole), Some(masked)) = (roster_cells(&whole.bytes), roster_cells(&masked.bytes)) {
        let column = |rows: &Vec<Vec<Value>>, name: &str| -> Vec<String> {
            let index = rows[0]
                .iter()
                .position(|cell| cell == name)
                .unwrap_or_else(|| panic!("{name} column"));
            rows[1..]
                .iter()
                .filter_map(|row| row[index].as_str().map(str::to_string))
                .collect()
        };
        assert_eq!(column(&whole, "公民身份号码"), vec![id_number.clone()]);
        assert_eq!(column(&whole, "手机号码"), vec!["13912345678".to_string()]);
        let masked_id = column(&masked, "公民身份号码");
        assert_eq!(masked_id.len(), 1);
        assert_ne!(masked_id[0], id_number);
        assert!(masked_id[0].contains('*') && masked_id[0].ends_with(&id_number[14..]));
        assert!(!column(&masked, "手机号码")[0].contains("12345"));
        assert!(column(&whole, "姓名").contains(&member.body.name));
    }

    // Every export is in the audit log: who, what, which org, masked or not.
    let admin = app.demo_session("demo-admin").await;
    let log = app
        .get(&admin, "/api/v1/audit?action=export&limit=200")
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text());
    let log: Value = serde_json::from_slice(&log.bytes).expect("json");
    let entries = log["items"].as_array().expect("items");
    let detail = |entry: &Value| -> Value {
        match &entry["detail"] {
            Value::String(text) => serde_json::from_str(text).expect("detail json"),
            other => other.clone(),
        }
    };
    let by = |login: &str, export: &str| -> Vec<&Value> {
        entries
            .iter()
            .filter(|entry| entry["login"] == login && detail(entry)["export"] == export)
            .collect()
    };
    let secretary_rosters = by("demo-secretary", "roster");
    assert!(!secretary_rosters.is_empty(), "{entries:?}");
    assert!(
        secretary_rosters
            .iter()
            .all(|entry| detail(entry)["masked"] == false)
    );
    let committee_rosters = by("demo-committee", "roster");
    assert!(!committee_rosters.is_empty());
    assert!(
        committee_rosters
            .iter()
            .all(|entry| detail(entry)["masked"] == true)
    );
    let meeting_exports = by("demo-committee", "meeting_record");
    assert_eq!(meeting_exports.len(), 2, "pdf and docx");
    assert!(
        meeting_exports
            .iter()
            .all(|entry| entry["target_id"] == first_meeting)
    );
    assert_eq!(
        by("demo-staff", "admission_record").len(),
        2,
        "inside and outside"
    );
    // Refused downloads leave no export entry.
    assert!(by("demo-member", "roster").is_empty());
    assert!(by("secretary-two", "roster").is_empty());
    // Each export in the first branch is found by the branch's subtree.
    let log = app
        .get(
            &admin,
            &format!("/api/v1/audit?action=export&org={first}&limit=200"),
        )
        .await;
    let log: Value = serde_json::from_slice(&log.bytes).expect("json");
    assert!(
        log["items"].as_array().expect("items").len() >= 4 * inside.len(),
        "{log}"
    );
}

#[tokio::test]
async fn the_workspace_and_the_meeting_page_link_to_the_downloads() {
    let app = app().await;
    let first = app
        .credential("demo-secretary")
        .scope_org
        .expect("the secretary's branch");
    let cookie = app.demo_session("demo-secretary").await;
    let page = app.get(&cookie, &format!("/branches/{first}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    for link in [
        format!("/branches/{first}/exports/roster.pdf"),
        format!("/branches/{first}/exports/roster.xlsx"),
        format!("/branches/{first}/exports/dues.pdf"),
        format!("/branches/{first}/exports/dues.xlsx"),
        format!("/branches/{first}/exports/attendance.xlsx?year=2026"),
        format!("/branches/{first}/exports/annual-summary.pdf?year=2026"),
    ] {
        assert!(text.contains(&link), "the workspace links to {link}");
    }
    let meeting = app
        .repository
        .list::<Meeting>(&ListRequest {
            subtree: Some(first),
            limit: Some(1),
            ..ListRequest::default()
        })
        .await
        .expect("meetings")
        .items[0]
        .id;
    let page = app.get(&cookie, &format!("/meetings/{meeting}")).await;
    let text = page.text();
    for link in [
        format!("/meetings/{meeting}/record.pdf"),
        format!("/meetings/{meeting}/record.docx"),
    ] {
        assert!(text.contains(&link), "the meeting page links to {link}");
    }
    // The admission record's page links to its 纪实表.
    let record = app
        .repository
        .create(
            AdmissionRecord::new(
                AdmissionPerson {
                    name: "丙申请人".into(),
                    birth_date: date("2001-03-04"),
                    branch_id: first,
                    mobile: false,
                },
                date("2026-05-20"),
            ),
            &ChangeMeta::by("test"),
        )
        .await
        .expect("admission")
        .id;
    let page = app
        .get(&cookie, &format!("/admission-records/{record}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(
        page.text()
            .contains(&format!("/admission-records/{record}/record.pdf")),
        "the admission record links to its PDF"
    );
    // A member reading a meeting that concerns them is not offered the downloads.
    let member = zhibu_core::MemberId(
        app.repository
            .accounts()
            .account_by_login("demo-member")
            .await
            .expect("read")
            .expect("the demo member's account")
            .member_id
            .expect("a member record"),
    );
    let meetings = app
        .repository
        .list::<Meeting>(&ListRequest {
            subtree: Some(first),
            limit: Some(1000),
            ..ListRequest::default()
        })
        .await
        .expect("meetings")
        .items;
    let theirs = meetings
        .iter()
        .find(|meeting| {
            meeting
                .body
                .attendance
                .iter()
                .any(|entry| entry.member_id == member)
        })
        .expect("a meeting of the member");
    let cookie = app.demo_session("demo-member").await;
    let page = app.get(&cookie, &format!("/meetings/{}", theirs.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text().contains("/record.pdf"));
}
