//! The JSON API, exercised through the router (no network) against a real SQLite file per test.

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
use zhibu_core::rules::Catalogue;
use zhibu_storage::{Backend, Repository};
use zhibu_web::{AppState, router};

const TODAY: &str = "2026-06-15";
/// The login of the administrator every test signs in as; changes are recorded under it.
const ACTOR: &str = "admin";

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

/// One test's application and database file; the file is removed when the test ends.
struct TestApp {
    router: Router,
    database: PathBuf,
    /// The session cookie and CSRF token sent with every request, if signed in.
    session: Option<(String, String)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.database.clone().into_os_string();
            path.push(suffix);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => eprintln!(
                    "could not remove the test database {}: {error}",
                    path.display()
                ),
            }
        }
    }
}

fn unique_database_path() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    std::env::temp_dir().join(format!(
        "zhibu-web-test-{}-{nanos}-{}.db",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

async fn test_repository() -> (Repository, PathBuf) {
    let database = unique_database_path();
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", database.display()))
        .await
        .expect("connect to SQLite");
    backend.migrate().await.expect("migrate");
    let catalogue = Catalogue::national().expect("the national catalogue loads");
    (
        Repository::new(Arc::new(backend), Arc::new(catalogue)),
        database,
    )
}

/// An application with one administrator account, signed in: every request carries its session
/// cookie and CSRF token (see `crates/zhibu-web/tests/auth.rs` for what happens without them).
async fn test_app() -> TestApp {
    let (repository, database) = test_repository().await;
    let account = zhibu_web::auth::handlers::NewAccountRequest {
        login: ACTOR.into(),
        display_name: "管理员".into(),
        role: zhibu_web::auth::Role::Administrator,
        scope_org: None,
        member_id: None,
    };
    let password = zhibu_web::auth::handlers::create_account(&repository, &account, false)
        .await
        .expect("create the administrator")
        .one_time_password;
    let mut app = TestApp {
        router: router(AppState::with_fixed_today(repository, date(TODAY))),
        database,
        session: None,
    };
    let answer = app
        .raw(
            "POST",
            "/api/v1/session",
            &[("content-type", "application/json")],
            &json!({ "login": ACTOR, "password": password }).to_string(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "sign in: {}", answer.body);
    let cookie = answer.headers[header::SET_COOKIE]
        .to_str()
        .expect("cookie text")
        .split(';')
        .next()
        .expect("cookie pair")
        .to_string();
    let csrf = answer.body["csrf_token"]
        .as_str()
        .expect("csrf token")
        .to_string();
    app.session = Some((cookie, csrf));
    app
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn field_errors(&self) -> Vec<(String, String)> {
        let fields = self.body["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("no fields in {}", self.body));
        fields
            .iter()
            .map(|field| {
                (
                    field["field"].as_str().unwrap_or("").to_string(),
                    field["code"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    fn id(&self) -> i64 {
        self.body["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no id in {}", self.body))
    }
}

impl TestApp {
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
            .expect("read the body")
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                panic!(
                    "answer is not JSON ({error}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn raw(&self, method: &str, uri: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some((cookie, csrf)) = &self.session {
            request = request
                .header("cookie", cookie)
                .header("x-csrf-token", csrf);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(body.to_string())).expect("request"))
            .await
    }

    async fn get(&self, uri: &str) -> Answer {
        self.raw("GET", uri, &[], "").await
    }

    async fn write(&self, method: &str, uri: &str, body: &Value) -> Answer {
        self.raw(
            method,
            uri,
            &[("content-type", "application/json")],
            &body.to_string(),
        )
        .await
    }

    async fn post(&self, uri: &str, body: &Value) -> Answer {
        self.write("POST", uri, body).await
    }

    async fn created(&self, uri: &str, body: &Value) -> i64 {
        let answer = self.post(uri, body).await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "POST {uri}: {}",
            answer.body
        );
        answer.id()
    }

    /// How many current records a list returns (at most 1000).
    async fn count(&self, collection: &str) -> usize {
        let answer = self.get(&format!("{collection}?limit=1000")).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["items"]
            .as_array()
            .map(Vec::len)
            .unwrap_or_else(|| panic!("no items in {}", answer.body))
    }
}

/// A working committee, a branch under it and some members of the branch.
struct Fixture {
    committee: i64,
    branch: i64,
    members: Vec<i64>,
}

fn org(parent: Option<i64>, name: &str, level: &str) -> Value {
    json!({ "parent_id": parent, "name": name, "level": level, "unit_kind": "government_organ", "established_on": "2020-01-01" })
}

fn member(name: &str, branch: i64) -> Value {
    json!({
        "name": name,
        "sex": "female",
        "joined_on": "2010-07-01",
        "status_history": [
            { "effective_on": "2010-07-01", "status": "probationary" },
            { "effective_on": "2011-07-01", "status": "full" }
        ],
        "postings": [{ "branch_id": branch, "from": "2015-01-01" }],
        "employment": "salaried"
    })
}

fn meeting(branch: i64, present: &[i64]) -> Value {
    json!({
        "org_id": branch,
        "kinds": ["general_meeting"],
        "held_on": "2026-03-10",
        "place": "三楼会议室",
        "topics": ["学习支部工作条例"],
        "attendance": present.iter().map(|id| json!({ "member_id": id, "state": "present" })).collect::<Vec<_>>()
    })
}

async fn fixture(app: &TestApp, members: usize) -> Fixture {
    let committee = app
        .created(
            "/api/v1/orgs",
            &org(None, "某市直机关工委", "working_committee"),
        )
        .await;
    let branch = app
        .created(
            "/api/v1/orgs",
            &org(Some(committee), "办公室党支部", "branch"),
        )
        .await;
    let mut ids = Vec::new();
    for index in 0..members {
        ids.push(
            app.created("/api/v1/members", &member(&format!("党员{index}"), branch))
                .await,
        );
    }
    Fixture {
        committee,
        branch,
        members: ids,
    }
}

fn assert_bilingual(answer: &Answer) {
    let zh = answer.body["message_zh"].as_str().unwrap_or("");
    let en = answer.body["message_en"].as_str().unwrap_or("");
    assert!(
        zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "message_zh is Chinese: {}",
        answer.body
    );
    assert!(
        !en.is_empty() && en.is_ascii(),
        "message_en is English: {}",
        answer.body
    );
    assert!(
        answer.body["error"].is_string(),
        "error code: {}",
        answer.body
    );
}

#[tokio::test]
async fn a_meeting_is_created_read_amended_and_its_history_has_both_versions() {
    let app = test_app().await;
    let fixture = fixture(&app, 3).await;

    let created = app
        .post(
            "/api/v1/meetings",
            &meeting(fixture.branch, &fixture.members),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.id();
    assert_eq!(
        created.headers[header::LOCATION],
        format!("/api/v1/meetings/{id}").as_str()
    );
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["event_date"], "2026-03-10");

    let read = app.get(&format!("/api/v1/meetings/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["body"]["place"], "三楼会议室");
    assert_eq!(
        read.body["body"]["attendance"].as_array().map(Vec::len),
        Some(3)
    );
    assert!(read.body["first_entered_at"].is_string() && read.body["last_changed_at"].is_string());

    let mut record = read.body["body"].clone();
    record["place"] = json!("党员活动室");
    let amended = app
        .write(
            "PUT",
            &format!("/api/v1/meetings/{id}"),
            &json!({ "expected_version": 1, "reason": "更正会议地点", "record": record }),
        )
        .await;
    assert_eq!(amended.status, StatusCode::OK, "{}", amended.body);
    assert_eq!(amended.body["version"], 2);
    assert_eq!(amended.body["body"]["place"], "党员活动室");

    let history = app.get(&format!("/api/v1/meetings/{id}/history")).await;
    assert_eq!(history.status, StatusCode::OK);
    let versions = history.body["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["operation"], "create");
    assert_eq!(versions[1]["operation"], "amend");
    assert_eq!(versions[1]["actor"], ACTOR);
    assert_eq!(versions[1]["reason"], "更正会议地点");
    assert!(versions[1]["entered_at"].is_string());
    assert_eq!(versions[1]["previous_hash"], versions[0]["hash"]);
}

#[tokio::test]
async fn a_stale_amendment_is_refused_with_409_and_changes_nothing() {
    let app = test_app().await;
    let fixture = fixture(&app, 2).await;
    let id = app
        .created(
            "/api/v1/meetings",
            &meeting(fixture.branch, &fixture.members),
        )
        .await;
    let original = app.get(&format!("/api/v1/meetings/{id}")).await.body["body"].clone();

    let mut first = original.clone();
    first["minutes"] = json!("第一人的修改");
    let answer = app
        .write(
            "PUT",
            &format!("/api/v1/meetings/{id}"),
            &json!({ "expected_version": 1, "reason": "补记录", "record": first }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);

    // A second clerk edits the version they loaded before the first amendment.
    let mut second = original;
    second["minutes"] = json!("第二人的修改");
    let stale = app
        .write(
            "PUT",
            &format!("/api/v1/meetings/{id}"),
            &json!({ "expected_version": 1, "reason": "补记录", "record": second }),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert_eq!(stale.body["error"], "stale_version");
    assert!(
        stale.body["message_zh"]
            .as_str()
            .unwrap_or("")
            .contains("有人已修改此记录"),
        "{}",
        stale.body
    );
    assert!(
        stale.body["message_zh"]
            .as_str()
            .unwrap_or("")
            .contains("请刷新后重试"),
        "{}",
        stale.body
    );
    assert!(
        stale.body["message_en"]
            .as_str()
            .unwrap_or("")
            .contains("Someone else amended this record meanwhile"),
        "{}",
        stale.body
    );
    assert_bilingual(&stale);

    let current = app.get(&format!("/api/v1/meetings/{id}")).await;
    assert_eq!(current.body["version"], 2);
    assert_eq!(current.body["body"]["minutes"], "第一人的修改");
    let history = app.get(&format!("/api/v1/meetings/{id}/history")).await;
    assert_eq!(history.body["versions"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn an_attendee_who_is_not_a_member_of_the_branch_is_refused_by_field_and_nothing_is_written()
{
    let app = test_app().await;
    let fixture = fixture(&app, 2).await;
    let other_branch = app
        .created(
            "/api/v1/orgs",
            &org(Some(fixture.committee), "财务处党支部", "branch"),
        )
        .await;
    let outsider = app
        .created("/api/v1/members", &member("外支部党员", other_branch))
        .await;
    let meetings_before = app.count("/api/v1/meetings").await;

    let answer = app
        .post(
            "/api/v1/meetings",
            &meeting(fixture.branch, &[outsider, fixture.members[0]]),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert_eq!(answer.body["error"], "invalid");
    assert_eq!(
        answer.field_errors(),
        [(
            "attendance[0].member_id".to_string(),
            "not_a_member_of_branch".to_string()
        )]
    );
    let field = &answer.body["fields"][0];
    assert!(
        field["message_zh"]
            .as_str()
            .unwrap_or("")
            .contains("不属于本支部"),
        "{field}"
    );
    assert!(
        field["message_en"]
            .as_str()
            .unwrap_or("")
            .contains("did not belong to this branch"),
        "{field}"
    );
    assert_bilingual(&answer);
    assert_eq!(app.count("/api/v1/meetings").await, meetings_before);
}

#[tokio::test]
async fn more_votes_than_members_present_are_refused() {
    let app = test_app().await;
    let fixture = fixture(&app, 3).await;
    let mut body = meeting(fixture.branch, &fixture.members[..2]);
    body["resolutions"] = json!([{ "subject": "接收预备党员", "yes": 3, "no": 0, "abstain": 0, "recorded_outcome": "passed" }]);

    let answer = app.post("/api/v1/meetings", &body).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert_eq!(
        answer.field_errors(),
        [(
            "resolutions[0].yes".to_string(),
            "votes_exceed_present".to_string()
        )]
    );
    assert_eq!(app.count("/api/v1/meetings").await, 0);
}

#[tokio::test]
async fn a_committee_of_nine_is_refused() {
    let app = test_app().await;
    let fixture = fixture(&app, 9).await;
    let roles = [
        "secretary",
        "deputy_secretary",
        "organization_officer",
        "publicity_officer",
        "discipline_officer",
    ];
    let positions: Vec<Value> = fixture
        .members
        .iter()
        .enumerate()
        .map(|(index, id)| json!({ "member_id": id, "role": roles.get(index).copied().unwrap_or("committee_member") }))
        .collect();
    let term = json!({ "org_id": fixture.branch, "form": "committee", "elected_on": "2025-01-10", "term_years": 3, "positions": positions });

    let answer = app.post("/api/v1/committee-terms", &term).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert!(
        answer
            .field_errors()
            .contains(&("positions".to_string(), "committee_too_large".to_string())),
        "{}",
        answer.body
    );
    assert_eq!(app.count("/api/v1/committee-terms").await, 0);
}

#[tokio::test]
async fn bodies_that_do_not_fit_name_the_field_and_the_reason_in_both_languages() {
    let app = test_app().await;
    let fixture = fixture(&app, 2).await;

    let mut impossible_date = meeting(fixture.branch, &fixture.members);
    impossible_date["held_on"] = json!("2026-02-30");
    let mut unknown_field = meeting(fixture.branch, &fixture.members);
    unknown_field["colour"] = json!("red");
    let mut nested_date = member("新党员", fixture.branch);
    nested_date["postings"][0]["from"] = json!("2026-13-01");
    let mut wrong_kind = meeting(fixture.branch, &fixture.members);
    wrong_kind["kinds"] = json!(["party_meeting"]);
    let mut missing = meeting(fixture.branch, &fixture.members);
    missing.as_object_mut().expect("object").remove("held_on");
    let mut unknown_nested = meeting(fixture.branch, &fixture.members);
    unknown_nested["attendance"][1]["late_by_minutes"] = json!(5);
    let mut excused_without_reason = meeting(fixture.branch, &fixture.members);
    excused_without_reason["attendance"][0]["state"] = json!("excused");

    let table = [
        (
            "/api/v1/meetings",
            impossible_date,
            "held_on",
            "invalid_date",
        ),
        ("/api/v1/meetings", unknown_field, "colour", "unknown_field"),
        (
            "/api/v1/members",
            nested_date,
            "postings[0].from",
            "invalid_date",
        ),
        ("/api/v1/meetings", wrong_kind, "kinds[0]", "unknown_value"),
        ("/api/v1/meetings", missing, "held_on", "required"),
        (
            "/api/v1/meetings",
            unknown_nested,
            "attendance[1].late_by_minutes",
            "unknown_field",
        ),
        (
            "/api/v1/meetings",
            excused_without_reason,
            "attendance[0].reason",
            "required",
        ),
    ];
    for (uri, body, field, code) in table {
        let answer = app.post(uri, &body).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            answer.body
        );
        assert_eq!(
            answer.field_errors(),
            [(field.to_string(), code.to_string())],
            "{}",
            answer.body
        );
        assert_bilingual(&answer);
        let message_en = answer.body["message_en"].as_str().unwrap_or("");
        assert!(
            message_en.contains("line 1, column"),
            "the position is given: {message_en}"
        );
    }
    assert_eq!(app.count("/api/v1/meetings").await, 0);
    assert_eq!(app.count("/api/v1/members").await, 2);
}

#[tokio::test]
async fn malformed_json_and_a_body_not_declared_as_json_are_refused() {
    let app = test_app().await;
    let headers = [("content-type", "application/json")];

    let broken = app
        .raw(
            "POST",
            "/api/v1/orgs",
            &headers,
            "{\n  \"name\": \"党委\",\n  \"level\" \"branch\"\n}",
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST, "{}", broken.body);
    assert_eq!(broken.body["error"], "malformed");
    assert!(
        broken.body["message_zh"]
            .as_str()
            .unwrap_or("")
            .contains("第3行"),
        "{}",
        broken.body
    );
    assert_bilingual(&broken);

    let truncated = app
        .raw("POST", "/api/v1/orgs", &headers, "{\"name\": \"党")
        .await;
    assert_eq!(
        truncated.status,
        StatusCode::BAD_REQUEST,
        "{}",
        truncated.body
    );

    let trailing = app
        .raw(
            "POST",
            "/api/v1/orgs",
            &headers,
            &format!("{} x", org(None, "工委", "working_committee")),
        )
        .await;
    assert_eq!(
        trailing.status,
        StatusCode::BAD_REQUEST,
        "{}",
        trailing.body
    );

    let text = app
        .raw(
            "POST",
            "/api/v1/orgs",
            &[],
            &org(None, "工委", "working_committee").to_string(),
        )
        .await;
    assert_eq!(
        text.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        text.body
    );
    assert_bilingual(&text);

    let huge = format!("{{\"name\": \"{}\"}}", "党".repeat(1_000_000));
    let too_large = app.raw("POST", "/api/v1/orgs", &headers, &huge).await;
    assert_eq!(
        too_large.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        too_large.body
    );
    assert_bilingual(&too_large);

    assert_eq!(app.count("/api/v1/orgs").await, 0);
}

#[tokio::test]
async fn a_write_without_a_session_or_its_csrf_token_is_refused_with_a_bilingual_answer() {
    let mut app = test_app().await;
    let session = app.session.take().expect("signed in");
    let body = org(None, "工委", "working_committee").to_string();
    let anonymous = app
        .raw(
            "POST",
            "/api/v1/orgs",
            &[("content-type", "application/json")],
            &body,
        )
        .await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.body
    );
    assert_eq!(anonymous.body["error"], "unauthenticated");
    assert_bilingual(&anonymous);
    let without_token = app
        .raw(
            "POST",
            "/api/v1/orgs",
            &[("content-type", "application/json"), ("cookie", &session.0)],
            &body,
        )
        .await;
    assert_eq!(
        without_token.status,
        StatusCode::FORBIDDEN,
        "{}",
        without_token.body
    );
    assert_eq!(without_token.body["error"], "csrf");
    assert_bilingual(&without_token);
    app.session = Some(session);
    assert_eq!(app.count("/api/v1/orgs").await, 0);
}

#[tokio::test]
async fn an_amendment_or_deletion_without_a_reason_is_refused() {
    let app = test_app().await;
    let fixture = fixture(&app, 1).await;
    let read = app
        .get(&format!("/api/v1/members/{}", fixture.members[0]))
        .await;
    let answer = app
        .write(
            "PUT",
            &format!("/api/v1/members/{}", fixture.members[0]),
            &json!({ "expected_version": 1, "reason": " ", "record": read.body["body"] }),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert_eq!(
        answer.field_errors(),
        [("reason".to_string(), "required".to_string())]
    );

    let answer = app
        .write(
            "DELETE",
            &format!("/api/v1/members/{}", fixture.members[0]),
            &json!({ "expected_version": 1, "reason": "" }),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert_eq!(
        app.get(&format!("/api/v1/members/{}", fixture.members[0]))
            .await
            .body["version"],
        1
    );
}

#[tokio::test]
async fn a_deleted_record_answers_410_and_keeps_its_history() {
    let app = test_app().await;
    let fixture = fixture(&app, 2).await;
    let id = app
        .created(
            "/api/v1/meetings",
            &meeting(fixture.branch, &fixture.members),
        )
        .await;
    let uri = format!("/api/v1/meetings/{id}");
    let actor: [(&str, &str); 0] = [];

    let stale = app
        .raw(
            "DELETE",
            &format!("{uri}?expected_version=2&reason=%E9%87%8D%E5%A4%8D%E5%BD%95%E5%85%A5"),
            &actor,
            "",
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);

    let both = app
        .raw(
            "DELETE",
            &format!("{uri}?expected_version=1"),
            &[("content-type", "application/json")],
            r#"{"expected_version":1,"reason":"x"}"#,
        )
        .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST, "{}", both.body);

    let deleted = app
        .raw(
            "DELETE",
            &format!("{uri}?expected_version=1&reason=%E9%87%8D%E5%A4%8D%E5%BD%95%E5%85%A5"),
            &actor,
            "",
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);

    let read = app.get(&uri).await;
    assert_eq!(read.status, StatusCode::GONE, "{}", read.body);
    assert_bilingual(&read);
    let again = app
        .write(
            "DELETE",
            &uri,
            &json!({ "expected_version": 2, "reason": "再删一次" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::GONE, "{}", again.body);

    let history = app.get(&format!("{uri}/history")).await;
    let versions = history.body["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1]["operation"], "delete");
    assert_eq!(versions[1]["reason"], "重复录入");
    assert_eq!(app.count("/api/v1/meetings").await, 0);

    let never = app.get("/api/v1/meetings/987654").await;
    assert_eq!(never.status, StatusCode::NOT_FOUND, "{}", never.body);
    assert_bilingual(&never);
}

#[tokio::test]
async fn exemptions_are_amended_never_deleted() {
    let app = test_app().await;
    let fixture = fixture(&app, 0).await;
    let exemption = json!({
        "org_id": fixture.branch,
        "finding_key": format!("BRANCH.THEME_DAY.MONTHLY|{}|2026-02|", fixture.branch),
        "granted_by": fixture.committee,
        "granted_on": "2026-03-01",
        "reason": "春节假期，经工委同意合并至3月开展"
    });
    let id = app.created("/api/v1/exemptions", &exemption).await;

    let answer = app
        .write(
            "DELETE",
            &format!("/api/v1/exemptions/{id}"),
            &json!({ "expected_version": 1, "reason": "撤回" }),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        answer.body
    );
    assert_eq!(answer.headers[header::ALLOW], "GET, PUT");
    assert_bilingual(&answer);
    assert_eq!(
        app.get(&format!("/api/v1/exemptions/{id}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_local_rule_is_checked_against_the_national_catalogue() {
    let app = test_app().await;
    let fixture = fixture(&app, 0).await;
    let rule = |rule_id: &str, parameters: Value| {
        json!({
            "issued_by": fixture.committee,
            "document": { "document": "某市直机关工委关于规范主题党日的通知", "article": "第二条", "quote": "每月15日为主题党日" },
            "effective_from": "2026-01-01",
            "action": "tighten",
            "rule_id": rule_id,
            "parameters": parameters
        })
    };

    let id = app
        .created(
            "/api/v1/local-rules",
            &rule(
                "BRANCH.THEME_DAY.MONTHLY",
                json!({ "fixed_day_of_month": 15 }),
            ),
        )
        .await;
    let read = app.get(&format!("/api/v1/local-rules/{id}")).await;
    assert_eq!(
        read.body["body"]["parameters"]["fixed_day_of_month"], 15,
        "{}",
        read.body
    );

    let unknown_rule = app
        .post("/api/v1/local-rules", &rule("NO.SUCH.RULE", json!({})))
        .await;
    assert_eq!(
        unknown_rule.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown_rule.body
    );
    assert_eq!(
        unknown_rule.field_errors(),
        [("rule_id".to_string(), "unknown_rule".to_string())]
    );

    let mut unknown_field = rule("BRANCH.THEME_DAY.MONTHLY", json!({}));
    unknown_field["colour"] = json!("red");
    let answer = app.post("/api/v1/local-rules", &unknown_field).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert_eq!(
        answer.field_errors().first().map(|(_, code)| code.as_str()),
        Some("unknown_field"),
        "{}",
        answer.body
    );
    assert_eq!(app.count("/api/v1/local-rules").await, 1);
}

#[tokio::test]
async fn lists_page_by_id_and_filter_by_subtree_and_date() {
    let app = test_app().await;
    let fixture = fixture(&app, 5).await;
    let other_branch = app
        .created(
            "/api/v1/orgs",
            &org(Some(fixture.committee), "财务处党支部", "branch"),
        )
        .await;
    app.created("/api/v1/members", &member("外支部党员", other_branch))
        .await;

    let mut seen = Vec::new();
    let mut uri = format!("/api/v1/members?subtree={}&limit=2", fixture.branch);
    let mut pages = 0;
    loop {
        let page = app.get(&uri).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        pages += 1;
        let items = page.body["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|item| item["id"].as_i64().expect("id")));
        match page.body["next_after"].as_i64() {
            Some(after) => {
                uri = format!(
                    "/api/v1/members?subtree={}&limit=2&after={after}",
                    fixture.branch
                )
            }
            None => break,
        }
    }
    assert_eq!(
        seen, fixture.members,
        "every member of the branch once, in id order"
    );
    assert_eq!(pages, 3);
    assert_eq!(app.count("/api/v1/members").await, 6);

    let id = app
        .created(
            "/api/v1/meetings",
            &meeting(fixture.branch, &fixture.members),
        )
        .await;
    let march = app
        .get("/api/v1/meetings?from=2026-03-01&to=2026-03-31")
        .await;
    assert_eq!(march.body["items"][0]["id"], id);
    let april = app.get("/api/v1/meetings?from=2026-04-01").await;
    assert_eq!(april.body["items"].as_array().map(Vec::len), Some(0));

    let bad = [
        ("/api/v1/members?limit=0", "limit"),
        ("/api/v1/members?limit=ten", "limit"),
        ("/api/v1/members?subtre=1", "subtre"),
        ("/api/v1/members?from=2026-02-30", "from"),
        ("/api/v1/members?from=2026-05-01&to=2026-04-01", "to"),
        ("/api/v1/members?subtree=987654", "subtree"),
    ];
    for (uri, field) in bad {
        let answer = app.get(uri).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            answer.body
        );
        assert_eq!(
            answer.field_errors().first().map(|(name, _)| name.as_str()),
            Some(field),
            "{uri}: {}",
            answer.body
        );
        assert_bilingual(&answer);
    }
}

#[tokio::test]
async fn a_double_submission_with_the_same_idempotency_key_creates_one_record() {
    let app = test_app().await;
    let fixture = fixture(&app, 2).await;
    let body = meeting(fixture.branch, &fixture.members).to_string();
    let headers = [
        ("content-type", "application/json"),
        ("idempotency-key", "4a1f8a0e-meeting-0310"),
    ];

    let first = app.raw("POST", "/api/v1/meetings", &headers, &body).await;
    let second = app.raw("POST", "/api/v1/meetings", &headers, &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert_eq!(first.id(), second.id());
    assert_eq!(app.count("/api/v1/meetings").await, 1);

    let other_kind = app
        .raw(
            "POST",
            "/api/v1/orgs",
            &headers,
            &org(Some(fixture.committee), "新支部", "branch").to_string(),
        )
        .await;
    assert_eq!(
        other_kind.status,
        StatusCode::CONFLICT,
        "{}",
        other_kind.body
    );
    assert_eq!(other_kind.body["error"], "idempotency_key_reused");
    assert_eq!(app.count("/api/v1/orgs").await, 2);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_every_route_in_it_exists() {
    let app = test_app().await;
    let answer = app.get("/api/v1/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.body["openapi"]
            .as_str()
            .is_some_and(|version| version.starts_with('3')),
        "{}",
        answer.body["openapi"]
    );
    let paths = answer.body["paths"].as_object().expect("paths");
    for area in [
        "orgs",
        "members",
        "meetings",
        "talks",
        "committee-terms",
        "local-rules",
        "exemptions",
    ] {
        for path in [
            format!("/api/v1/{area}"),
            format!("/api/v1/{area}/{{id}}"),
            format!("/api/v1/{area}/{{id}}/history"),
        ] {
            assert!(paths.contains_key(&path), "{path} is documented");
        }
    }
    for path in [
        "/healthz",
        "/api/v1/findings",
        "/api/v1/rules",
        "/api/v1/rules/{id}",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    assert!(paths["/api/v1/meetings/{id}"].get("delete").is_some());
    assert!(
        paths["/api/v1/exemptions/{id}"].get("delete").is_none(),
        "exemptions are never deleted"
    );
    assert!(
        answer.body["components"]["schemas"]["Meeting"].is_object(),
        "the record schemas are included"
    );
    assert!(answer.body["components"]["schemas"]["ErrorBody"].is_object());

    // Every documented operation is routed: the answer may be an error about the request, never
    // the fallback for an address that does not exist.
    for (path, operations) in paths {
        let uri = path.replace("{id}", "1");
        for method in operations.as_object().expect("operations").keys() {
            let answer = app.raw(&method.to_uppercase(), &uri, &[], "").await;
            let no_such_address = answer.body["message_en"]
                .as_str()
                .is_some_and(|text| text.starts_with("There is no such address"));
            assert!(
                !no_such_address && answer.status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is routed: {}",
                answer.body
            );
        }
    }
}

#[tokio::test]
async fn unknown_addresses_and_methods_answer_in_the_error_format() {
    let app = test_app().await;
    let missing = app.get("/api/v1/nowhere").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_bilingual(&missing);
    let method = app.raw("PATCH", "/api/v1/meetings", &[], "").await;
    assert_eq!(method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_bilingual(&method);
    let allowed = method.headers[header::ALLOW]
        .to_str()
        .expect("Allow is text");
    assert!(
        allowed.contains("GET") && allowed.contains("POST") && !allowed.contains("PUT"),
        "{allowed}"
    );
    let bad_id = app.get("/api/v1/meetings/abc").await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad_id.field_errors(),
        [("id".to_string(), "not_an_id".to_string())]
    );
}

#[tokio::test]
async fn healthz_reads_the_database() {
    let app = test_app().await;
    let answer = app.get("/healthz").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, json!({ "status": "ok", "database": "sqlite" }));
}

#[tokio::test]
async fn the_findings_endpoint_returns_the_engines_report() {
    let app = test_app().await;
    let fixture = fixture(&app, 3).await;
    app.created(
        "/api/v1/meetings",
        &meeting(fixture.branch, &fixture.members),
    )
    .await;

    let answer = app
        .get(&format!("/api/v1/findings?org={}", fixture.committee))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["request"]["today"], TODAY);
    assert_eq!(answer.body["request"]["from"], "2026-01-01");
    assert_eq!(answer.body["request"]["to"], TODAY);
    assert_eq!(answer.body["request"]["horizon_days"], 30);
    let findings = answer.body["findings"].as_array().expect("findings");
    assert!(answer.body["rule_problems"].is_array());
    for finding in findings {
        assert!(
            finding["citation"]["document"].is_string() && finding["message_zh"].is_string(),
            "{finding}"
        );
    }

    let missing_only = app
        .get(&format!(
            "/api/v1/findings?org={}&status=missing,overdue&horizon_days=10",
            fixture.branch
        ))
        .await;
    assert_eq!(missing_only.status, StatusCode::OK, "{}", missing_only.body);
    for finding in missing_only.body["findings"].as_array().expect("findings") {
        assert!(
            finding["status"] == "missing" || finding["status"] == "overdue",
            "{finding}"
        );
    }

    let one_rule = app
        .get(&format!(
            "/api/v1/findings?org={}&rule=BRANCH.THEME_DAY.MONTHLY&from=2026-01-01&to=2026-05-31",
            fixture.branch
        ))
        .await;
    assert_eq!(one_rule.status, StatusCode::OK, "{}", one_rule.body);
    for finding in one_rule.body["findings"].as_array().expect("findings") {
        assert_eq!(finding["rule_id"], "BRANCH.THEME_DAY.MONTHLY");
    }

    let bad = [
        ("/api/v1/findings".to_string(), "org"),
        ("/api/v1/findings?org=987654".to_string(), "org"),
        (
            format!("/api/v1/findings?org={}&status=late", fixture.branch),
            "status",
        ),
        (
            format!("/api/v1/findings?org={}&rule=NO.SUCH.RULE", fixture.branch),
            "rule",
        ),
        (
            format!("/api/v1/findings?org={}&from=2026-07-01", fixture.branch),
            "to",
        ),
        (
            format!("/api/v1/findings?org={}&horizon_days=9999", fixture.branch),
            "horizon_days",
        ),
    ];
    for (uri, field) in bad {
        let answer = app.get(&uri).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            answer.body
        );
        assert_eq!(
            answer.field_errors().first().map(|(name, _)| name.as_str()),
            Some(field),
            "{uri}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn the_rule_catalogue_is_listed_with_citations_and_parameters() {
    let app = test_app().await;
    let answer = app.get("/api/v1/rules").await;
    assert_eq!(answer.status, StatusCode::OK);
    let rules = answer.body["rules"].as_array().expect("rules");
    assert_eq!(
        rules.len(),
        Catalogue::national().expect("catalogue").rules().len()
    );
    for rule in rules {
        assert!(
            rule["citation"]["document"].is_string() && rule["confidence"].is_string(),
            "{rule}"
        );
        assert!(rule["versions"][0]["parameters"].is_object(), "{rule}");
    }
    let id = rules[0]["id"].as_str().expect("id");
    assert_eq!(app.get(&format!("/api/v1/rules/{id}")).await.body["id"], id);
    assert_eq!(
        app.get("/api/v1/rules/NO.SUCH.RULE").await.status,
        StatusCode::NOT_FOUND
    );
}

/// A database that fails every call, with a cause that must not reach the client.
struct BrokenDatabase;

const SECRET_CAUSE: &str = "disk I/O error at /srv/zhibu/secret-path.db";

fn broken() -> zhibu_storage::StorageError {
    zhibu_storage::StorageError::database(std::io::Error::other(SECRET_CAUSE))
}

#[async_trait::async_trait]
impl Backend for BrokenDatabase {
    fn name(&self) -> &'static str {
        "broken"
    }
    async fn migrate(&self) -> Result<(), zhibu_storage::StorageError> {
        Err(broken())
    }
    async fn applied_migrations(&self) -> Result<Vec<i64>, zhibu_storage::StorageError> {
        Err(broken())
    }
    async fn begin(
        &self,
    ) -> Result<Box<dyn zhibu_storage::Transaction>, zhibu_storage::StorageError> {
        Err(broken())
    }
    async fn get(
        &self,
        _id: i64,
    ) -> Result<Option<zhibu_storage::RecordRow>, zhibu_storage::StorageError> {
        Err(broken())
    }
    async fn list(
        &self,
        _query: &zhibu_storage::RecordQuery,
    ) -> Result<Vec<zhibu_storage::RecordRow>, zhibu_storage::StorageError> {
        Err(broken())
    }
    async fn history(
        &self,
        _record_id: i64,
    ) -> Result<Vec<zhibu_storage::ChainEntry>, zhibu_storage::StorageError> {
        Err(broken())
    }
    async fn chain_entries(
        &self,
        _after_seq: i64,
        _limit: u32,
    ) -> Result<Vec<zhibu_storage::ChainEntry>, zhibu_storage::StorageError> {
        Err(broken())
    }
    async fn all_records(
        &self,
        _after_id: i64,
        _limit: u32,
    ) -> Result<Vec<zhibu_storage::RecordRow>, zhibu_storage::StorageError> {
        Err(broken())
    }
    async fn chain_head(
        &self,
    ) -> Result<Option<zhibu_storage::ChainHead>, zhibu_storage::StorageError> {
        Err(broken())
    }
    fn accounts(&self) -> &dyn zhibu_storage::AccountStore {
        self
    }
}

type Broken<T> = Result<T, zhibu_storage::StorageError>;

#[async_trait::async_trait]
impl zhibu_storage::AccountStore for BrokenDatabase {
    async fn create_account(
        &self,
        _: &zhibu_storage::NewAccount,
    ) -> Broken<zhibu_storage::AccountRow> {
        Err(broken())
    }
    async fn account(&self, _: i64) -> Broken<Option<zhibu_storage::AccountRow>> {
        Err(broken())
    }
    async fn account_by_login(&self, _: &str) -> Broken<Option<zhibu_storage::AccountRow>> {
        Err(broken())
    }
    async fn list_accounts(&self) -> Broken<Vec<zhibu_storage::AccountRow>> {
        Err(broken())
    }
    async fn count_failed_sign_in(&self, _: i64) -> Broken<i32> {
        Err(broken())
    }
    async fn lock_account(&self, _: i64, _: chrono::DateTime<chrono::Utc>) -> Broken<()> {
        Err(broken())
    }
    async fn clear_failed_sign_ins(&self, _: i64) -> Broken<()> {
        Err(broken())
    }
    async fn set_password(&self, _: i64, _: &str, _: bool) -> Broken<()> {
        Err(broken())
    }
    async fn create_session(&self, _: &zhibu_storage::SessionRow) -> Broken<()> {
        Err(broken())
    }
    async fn session(&self, _: &str) -> Broken<Option<zhibu_storage::SessionRow>> {
        Err(broken())
    }
    async fn delete_session(&self, _: &str) -> Broken<()> {
        Err(broken())
    }
    async fn delete_sessions_of_account(&self, _: i64) -> Broken<u64> {
        Err(broken())
    }
    async fn delete_expired_sessions(&self, _: chrono::DateTime<chrono::Utc>) -> Broken<u64> {
        Err(broken())
    }
    async fn append_audit(&self, _: &zhibu_storage::NewAuditEntry) -> Broken<i64> {
        Err(broken())
    }
    async fn search_audit(
        &self,
        _: &zhibu_storage::AuditQuery,
    ) -> Broken<Vec<zhibu_storage::AuditEntry>> {
        Err(broken())
    }
}

#[tokio::test]
async fn a_database_fault_answers_500_without_its_cause_and_healthz_answers_503() {
    let catalogue = Catalogue::national().expect("catalogue");
    let repository = Repository::new(Arc::new(BrokenDatabase), Arc::new(catalogue));
    let app = TestApp {
        router: router(AppState::with_fixed_today(repository, date(TODAY))),
        database: unique_database_path(),
        // A cookie makes every request look its session up, which fails on this database.
        session: Some(("zhibu_session=any".into(), "any".into())),
    };

    for answer in [
        app.get("/api/v1/meetings/1").await,
        app.get("/api/v1/meetings").await,
        app.post("/api/v1/orgs", &org(None, "工委", "working_committee"))
            .await,
    ] {
        assert_eq!(
            answer.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{}",
            answer.body
        );
        assert_eq!(answer.body["error"], "internal");
        assert_bilingual(&answer);
        assert!(
            !answer.body.to_string().contains("secret") && !answer.body.to_string().contains("I/O"),
            "the cause is not sent: {}",
            answer.body
        );
    }
    let health = app.get("/healthz").await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!health.body.to_string().contains("secret"));
}

#[tokio::test]
async fn the_spawned_app_answers_over_tcp_and_stops() {
    let (repository, database) = test_repository().await;
    let _cleanup = TestApp {
        router: Router::new(),
        database,
        session: None,
    };
    let running = zhibu_web::spawn(AppState::with_fixed_today(repository, date(TODAY)))
        .await
        .expect("spawn");
    let address = running.address();
    let response = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(address)?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
        let mut text = String::new();
        stream.read_to_string(&mut text)?;
        Ok::<_, std::io::Error>(text)
    })
    .await
    .expect("the client thread ends")
    .expect("the request is answered");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"status\":\"ok\""), "{response}");
    assert!(running.url("/healthz").starts_with("http://127.0.0.1:"));
    running.stop().await.expect("the server stops cleanly");
}
