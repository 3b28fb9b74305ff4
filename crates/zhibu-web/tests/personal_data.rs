//! The API withholds personal data (ID numbers, phones) while storage keeps it sealed: a member
//! created with both reads back without them, an amendment sent without them keeps them, and the
//! repository (with the key) still opens them.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhibu_core::rules::Catalogue;
use zhibu_core::{Member, MemberId};
use zhibu_storage::sealing::DataKey;
use zhibu_storage::{Backend, Repository};
use zhibu_web::{AppState, router};

async fn call(
    app: &axum::Router,
    session: Option<&(String, String)>,
    method: &str,
    uri: &str,
    body: &Value,
) -> (StatusCode, Value, Option<String>) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some((cookie, csrf)) = session {
        request = request
            .header("cookie", cookie)
            .header("x-csrf-token", csrf);
    }
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body)).expect("request"))
        .await
        .expect("answer");
    let status = response.status();
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("json")
    };
    (status, value, cookie)
}

#[tokio::test]
async fn the_api_withholds_id_numbers_and_phones_the_page_masks_them_and_an_amendment_keeps_them() {
    let file = std::env::temp_dir().join(format!("zhibu-web-personal-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", file.display()))
        .await
        .expect("sqlite");
    backend.migrate().await.expect("migrate");
    let repository = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("catalogue")),
    )
    .with_data_key(Arc::new(DataKey::from_bytes(&[3; 32])));
    let account = zhibu_web::auth::handlers::NewAccountRequest {
        login: "admin".into(),
        display_name: "管理员".into(),
        role: zhibu_web::auth::Role::Administrator,
        scope_org: None,
        member_id: None,
    };
    let password = zhibu_web::auth::handlers::create_account(&repository, &account, false)
        .await
        .expect("account")
        .one_time_password;
    let today = NaiveDate::from_ymd_opt(2026, 6, 15).expect("date");
    let app = router(AppState::with_fixed_today(repository.clone(), today));
    let (status, body, cookie) = call(
        &app,
        None,
        "POST",
        "/api/v1/session",
        &json!({"login": "admin", "password": password}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let session = (
        cookie.expect("cookie"),
        body["csrf_token"].as_str().expect("csrf").to_string(),
    );
    let org = |parent: Option<i64>, name: &str, level: &str| json!({"parent_id": parent, "name": name, "level": level, "unit_kind": "government_organ", "established_on": "2020-01-01"});
    let (_, committee, _) = call(
        &app,
        Some(&session),
        "POST",
        "/api/v1/orgs",
        &org(None, "工委", "working_committee"),
    )
    .await;
    let (_, branch, _) = call(
        &app,
        Some(&session),
        "POST",
        "/api/v1/orgs",
        &org(committee["id"].as_i64(), "办公室党支部", "branch"),
    )
    .await;
    let member = json!({
        "name": "王芳", "sex": "female", "birth_date": "1949-12-31", "joined_on": "2010-07-01",
        "status_history": [{"effective_on": "2010-07-01", "status": "probationary"}, {"effective_on": "2011-07-01", "status": "full"}],
        "postings": [{"branch_id": branch["id"], "from": "2015-01-01"}],
        "employment": "retired",
        "registry": {"ethnicity": "汉族", "id_number": "11010519491231002X", "phone": "13812345678"}
    });
    let (status, created, _) = call(&app, Some(&session), "POST", "/api/v1/members", &member).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let text = created.to_string();
    assert!(
        !text.contains("11010519491231002X") && !text.contains("13812345678"),
        "{text}"
    );
    let id = created["id"].as_i64().expect("id");
    let (_, read, _) = call(
        &app,
        Some(&session),
        "GET",
        &format!("/api/v1/members/{id}"),
        &Value::Null,
    )
    .await;
    assert_eq!(read["body"]["registry"]["ethnicity"], "汉族");
    assert!(
        read["body"]["registry"].get("id_number").is_none(),
        "{read}"
    );
    assert!(read["body"]["registry"].get("phone").is_none(), "{read}");
    let (_, list, _) = call(&app, Some(&session), "GET", "/api/v1/members", &Value::Null).await;
    assert!(!list.to_string().contains("13812345678"), "{list}");
    // An amendment of what the API showed keeps the withheld values.
    let mut record = read["body"].clone();
    record["leading_cadre"] = json!(true);
    let (status, amended, _) = call(
        &app,
        Some(&session),
        "PUT",
        &format!("/api/v1/members/{id}"),
        &json!({"expected_version": 1, "reason": "任职", "record": record}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{amended}");
    let stored = repository
        .get::<Member>(MemberId(id))
        .await
        .expect("opened");
    assert!(stored.body.leading_cadre);
    assert_eq!(
        stored
            .body
            .registry
            .id_number
            .as_ref()
            .map(|n| n.as_full_str().to_string()),
        Some("11010519491231002X".to_string())
    );
    assert_eq!(
        stored.body.registry.phone.as_ref().map(|p| p.as_full_str()),
        Some("13812345678".to_string())
    );
    // The member page shows them masked, never in full.
    let page = app
        .clone()
        .oneshot(
            Request::builder()
                .uri(format!("/members/{id}"))
                .header("cookie", &session.0)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = String::from_utf8(
        page.into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec(),
    )
    .expect("utf-8");
    assert!(html.contains("110105********002X"), "{html}");
    assert!(html.contains("138****5678"), "{html}");
    assert!(!html.contains("11010519491231002X") && !html.contains("13812345678"));
    let _ = std::fs::remove_file(&file);
}
