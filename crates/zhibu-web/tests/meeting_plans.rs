//! Planned meetings (issue 7) through the router: a secretary plans a meeting from the branch
//! workspace's form; bad input is refused field by field in Chinese with nothing written; a
//! repeated submission makes one plan; the workspace lists the plan; a member may neither open
//! the form nor post it; through the JSON API the plan is moved and cancelled, each with a reason,
//! and leaves the workspace, its history keeping every version.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhibu_core::rules::Catalogue;
use zhibu_core::{MeetingKind, MeetingPlan, OrgId};
use zhibu_demo::{DemoConfig, generate, load};
use zhibu_storage::{Backend, ListRequest, Repository};
use zhibu_web::auth::{DemoCredential, create_demo_accounts};
use zhibu_web::{AppState, router};

const TODAY: &str = "2026-06-15";

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

struct Session {
    cookie: String,
    csrf: String,
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, String, Option<String>) {
    let response = router.clone().oneshot(request).await.expect("an answer");
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(String::from);
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        location,
    )
}

async fn sign_in(router: &Router, credentials: &[DemoCredential], login: &str) -> Session {
    let credential = credentials
        .iter()
        .find(|credential| credential.login == login)
        .expect("a demo account");
    let request = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "login": login, "password": credential.password }).to_string(),
        ))
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let body: Value = serde_json::from_slice(&bytes).expect("session JSON");
    Session {
        cookie,
        csrf: body["csrf_token"].as_str().expect("csrf").to_string(),
    }
}

async fn get(router: &Router, session: &Session, path: &str) -> (StatusCode, String) {
    let request = Request::get(path)
        .header(header::COOKIE, format!("{}; zhibu_lang=zh", session.cookie))
        .body(Body::empty())
        .expect("request");
    let (status, body, _) = send(router, request).await;
    (status, body)
}

async fn post_form(
    router: &Router,
    session: &Session,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("csrf_token", &session.csrf);
    for (name, value) in fields {
        form.append_pair(name, value);
    }
    let request = Request::post(path)
        .header(header::COOKIE, format!("{}; zhibu_lang=zh", session.cookie))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.finish()))
        .expect("request");
    send(router, request).await
}

async fn api(
    router: &Router,
    session: &Session,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, session.cookie.clone())
        .header("x-csrf-token", session.csrf.clone())
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.map_or(Body::empty(), |body| Body::from(body.to_string())))
        .expect("request");
    let (status, text, _) = send(router, request).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn plans(repository: &Repository, branch: i64) -> Vec<zhibu_core::Stored<MeetingPlan>> {
    repository
        .list::<MeetingPlan>(&ListRequest {
            subtree: Some(OrgId(branch)),
            ..ListRequest::default()
        })
        .await
        .expect("list plans")
        .items
}

#[tokio::test]
async fn a_secretary_plans_a_meeting_moves_it_and_cancels_it() {
    let backend = zhibu_storage_sqlite::connect("sqlite::memory:")
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
    let dataset = generate(&DemoConfig::new(11, date(TODAY)).with_branches(4));
    let summary = load(&repository, &dataset).await.expect("load the demo");
    let credentials = create_demo_accounts(&repository, summary.root)
        .await
        .expect("demo accounts");
    let pages = router(AppState::with_fixed_today(repository.clone(), date(TODAY)));
    let secretary = sign_in(&pages, &credentials, "demo-secretary").await;
    let member = sign_in(&pages, &credentials, "demo-member").await;
    let branch = credentials
        .iter()
        .find(|credential| credential.login == "demo-secretary")
        .and_then(|credential| credential.scope_org)
        .expect("the secretary's branch")
        .0;
    let form_path = format!("/branches/{branch}/meeting-plans");

    // The workspace offers the form; the form offers the branch and the kinds.
    let (status, workspace) = get(&pages, &secretary, &format!("/branches/{branch}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(workspace.contains(&format!("href=\"/branches/{branch}/meeting-plans/new\"")));
    let (status, form) = get(&pages, &secretary, &format!("{form_path}/new")).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert!(form.contains("安排会议") && form.contains("name=\"planned_on\""));
    assert!(form.contains("value=\"party_lecture\""));

    // Bad input: every field named, in Chinese, and nothing written.
    let before = plans(&repository, branch).await.len();
    let (status, refused, _) = post_form(
        &pages,
        &secretary,
        &form_path,
        &[
            ("org_id", &branch.to_string()),
            ("planned_on", "2026-13-01"),
            ("starts_at", "25:00"),
            ("place", "三楼会议室"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    for message in [
        "日期“2026-13-01”无效",
        "开始时间“25:00”应写作“时:分”",
        "请选择会议类型",
    ] {
        assert!(refused.contains(message), "{message} is shown: {refused}");
    }
    assert!(
        refused.contains("value=\"三楼会议室\""),
        "the input is kept"
    );
    assert_eq!(
        plans(&repository, branch).await.len(),
        before,
        "nothing written"
    );

    // A good plan, submitted twice with the same key: one plan.
    let fields = [
        ("org_id", branch.to_string()),
        ("kinds", "committee_meeting".to_string()),
        ("kinds", "party_lecture".to_string()),
        ("planned_on", "2026-06-24".to_string()),
        ("starts_at", "09:30".to_string()),
        ("place", "三楼会议室".to_string()),
        ("topic", "研究七一活动安排".to_string()),
        ("idempotency_key", "plans-test-1".to_string()),
    ];
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let (status, body, location) = post_form(&pages, &secretary, &form_path, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let location = location.expect("a redirect");
    assert!(
        location.starts_with(&format!("/branches/{branch}?planned=")),
        "{location}"
    );
    let (status, _, again) = post_form(&pages, &secretary, &form_path, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(again.as_deref(), Some(location.as_str()), "the same plan");
    let stored = plans(&repository, branch).await;
    assert_eq!(stored.len(), before + 1, "one plan for two submissions");
    let plan = stored.last().expect("the plan");
    assert_eq!(
        plan.body.kinds,
        vec![MeetingKind::CommitteeMeeting, MeetingKind::PartyLecture]
    );
    assert_eq!(plan.body.planned_on, date("2026-06-24"));
    assert_eq!(plan.body.starts_at.as_deref(), Some("09:30"));

    // The workspace lists it.
    let (_, workspace) = get(&pages, &secretary, &format!("/branches/{branch}")).await;
    let row = format!("id=\"plan-{}\"", plan.id);
    assert!(workspace.contains(&row), "the workspace lists the plan");
    assert!(workspace.contains("研究七一活动安排"));

    // A member may not plan.
    let (status, _) = get(&pages, &member, &format!("{form_path}/new")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post_form(&pages, &member, &form_path, &fields).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A member reads the branch's plans through the API.
    let (status, read) = api(
        &pages,
        &member,
        "GET",
        &format!("/api/v1/meeting-plans/{}", plan.id),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{read}");

    // Moved, then cancelled, each with a reason, through the API.
    let mut moved = read["body"].clone();
    moved["planned_on"] = json!("2026-06-26");
    let (status, answer) = api(
        &pages,
        &secretary,
        "PUT",
        &format!("/api/v1/meeting-plans/{}", plan.id),
        Some(json!({ "expected_version": 1, "reason": "与上级会议冲突，改期", "record": moved })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["body"]["planned_on"], "2026-06-26");
    let (status, answer) = api(
        &pages,
        &secretary,
        "POST",
        "/api/v1/meeting-plans",
        Some(json!({ "org_id": branch, "kinds": ["party_lecture"], "planned_on": "2026-06-30", "starts_at": "9:30" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer.to_string().contains("starts_at"), "{answer}");
    let (status, answer) = api(
        &pages,
        &secretary,
        "DELETE",
        &format!("/api/v1/meeting-plans/{}", plan.id),
        Some(json!({ "expected_version": 2, "reason": "会议取消" })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let (_, workspace) = get(&pages, &secretary, &format!("/branches/{branch}")).await;
    assert!(!workspace.contains(&row), "a cancelled plan is not listed");
    let (status, history) = api(
        &pages,
        &secretary,
        "GET",
        &format!("/api/v1/meeting-plans/{}/history", plan.id),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let reasons: Vec<Value> = history["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|version| version["reason"].clone())
        .collect();
    assert_eq!(
        reasons,
        vec![
            Value::Null,
            json!("与上级会议冲突，改期"),
            json!("会议取消")
        ]
    );
}
