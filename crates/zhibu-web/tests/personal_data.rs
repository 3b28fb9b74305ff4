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

/// A page form post (`application/x-www-form-urlencoded`) with the session's cookie; the CSRF
/// token goes in the form when `csrf` is given.
async fn post_form(
    app: &axum::Router,
    session: &(String, String),
    uri: &str,
    fields: &[(&str, &str)],
    csrf: bool,
) -> (StatusCode, String) {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        form.append_pair(name, value);
    }
    if csrf {
        form.append_pair("csrf_token", &session.1);
    }
    let response = app
        .clone()
        .oneshot(
            Request::builder()
                .method("POST")
                .uri(uri)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", &session.0)
                .body(Body::from(form.finish()))
                .expect("request"),
        )
        .await
        .expect("answer");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).to_string())
}

async fn get_page(
    app: &axum::Router,
    session: &(String, String),
    uri: &str,
) -> (StatusCode, String) {
    let response = app
        .clone()
        .oneshot(
            Request::builder()
                .uri(uri)
                .header("cookie", &session.0)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("answer");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).to_string())
}

async fn sign_in(
    app: &axum::Router,
    repository: &Repository,
    login: &str,
    role: zhibu_web::auth::Role,
    scope_org: Option<i64>,
    member_id: Option<i64>,
) -> (String, String) {
    let account = zhibu_web::auth::handlers::NewAccountRequest {
        login: login.into(),
        display_name: login.into(),
        role,
        scope_org,
        member_id,
    };
    let password = zhibu_web::auth::handlers::create_account(repository, &account, false)
        .await
        .expect("account")
        .one_time_password;
    let (status, body, cookie) = call(
        app,
        None,
        "POST",
        "/api/v1/session",
        &json!({"login": login, "password": password}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{login}: {body}");
    (
        cookie.expect("cookie"),
        body["csrf_token"].as_str().expect("csrf").to_string(),
    )
}

/// Issue 4: the roles that need an ID number or phone in clear (administrators, committee staff
/// and branch secretaries in scope) get it once, for a stated purpose, and every time is in the
/// audit log (who, whom, which item, why, when) that administrators search; a branch committee
/// member, the member themself and another branch's secretary are refused and see nothing; the
/// page stays masked and the API keeps withholding. Income bases written through the API are
/// sealed in the file, and the dues collection still owes the right fen.
#[tokio::test]
async fn show_in_full_is_for_the_roles_that_need_it_with_a_purpose_and_every_time_audited() {
    use zhibu_web::auth::Role;
    let file = std::env::temp_dir().join(format!("zhibu-web-unmask-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", file.display()))
        .await
        .expect("sqlite");
    backend.migrate().await.expect("migrate");
    let repository = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("catalogue")),
    )
    .with_data_key(Arc::new(DataKey::from_bytes(&[4; 32])));
    let today = NaiveDate::from_ymd_opt(2026, 7, 15).expect("date");
    let app = router(AppState::with_fixed_today(repository.clone(), today));
    let admin = sign_in(&app, &repository, "admin", Role::Administrator, None, None).await;
    let org = |parent: Option<i64>, name: &str, level: &str| json!({"parent_id": parent, "name": name, "level": level, "unit_kind": "government_organ", "established_on": "2020-01-01"});
    let (_, committee, _) = call(
        &app,
        Some(&admin),
        "POST",
        "/api/v1/orgs",
        &org(None, "工委", "working_committee"),
    )
    .await;
    let committee = committee["id"].as_i64().expect("committee");
    let (_, branch, _) = call(
        &app,
        Some(&admin),
        "POST",
        "/api/v1/orgs",
        &org(Some(committee), "办公室党支部", "branch"),
    )
    .await;
    let branch = branch["id"].as_i64().expect("branch");
    let (_, other, _) = call(
        &app,
        Some(&admin),
        "POST",
        "/api/v1/orgs",
        &org(Some(committee), "后勤党支部", "branch"),
    )
    .await;
    let other = other["id"].as_i64().expect("other branch");
    let member = |name: &str, branch: i64, registry: Value| {
        json!({
            "name": name, "sex": "female", "birth_date": "1949-12-31", "joined_on": "2010-07-01",
            "status_history": [{"effective_on": "2010-07-01", "status": "probationary"}, {"effective_on": "2011-07-01", "status": "full"}],
            "postings": [{"branch_id": branch, "from": "2015-01-01"}],
            "employment": "salaried", "registry": registry
        })
    };
    let (status, wang, _) = call(
        &app,
        Some(&admin),
        "POST",
        "/api/v1/members",
        &member(
            "王芳",
            branch,
            json!({"id_number": "11010519491231002X", "phone": "13812345678"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{wang}");
    let wang = wang["id"].as_i64().expect("id");
    let (_, li, _) = call(
        &app,
        Some(&admin),
        "POST",
        "/api/v1/members",
        &member("李强", other, json!({})),
    )
    .await;
    let li = li["id"].as_i64().expect("id");

    let staff = sign_in(
        &app,
        &repository,
        "staff",
        Role::CommitteeStaff,
        Some(committee),
        None,
    )
    .await;
    let secretary = sign_in(
        &app,
        &repository,
        "secretary",
        Role::BranchSecretary,
        Some(branch),
        None,
    )
    .await;
    let committee_member = sign_in(
        &app,
        &repository,
        "committee-member",
        Role::BranchCommitteeMember,
        Some(branch),
        None,
    )
    .await;
    let herself = sign_in(
        &app,
        &repository,
        "wangfang",
        Role::Member,
        Some(branch),
        Some(wang),
    )
    .await;
    let other_secretary = sign_in(
        &app,
        &repository,
        "other-secretary",
        Role::BranchSecretary,
        Some(other),
        None,
    )
    .await;
    let _ = li;
    let page = format!("/members/{wang}");
    let action = format!("/members/{wang}/personal-data");
    let unmask_entries = || async {
        let (status, audit, _) = call(
            &app,
            Some(&admin),
            "GET",
            "/api/v1/audit?action=unmask",
            &Value::Null,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{audit}");
        audit["items"].as_array().expect("items").clone()
    };

    // The page shows the values masked to every reader, and the form only to those who may.
    for (who, session, has_form) in [
        ("staff", &staff, true),
        ("secretary", &secretary, true),
        ("committee member", &committee_member, false),
        ("herself", &herself, false),
    ] {
        let (status, html) = get_page(&app, session, &page).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        assert!(
            html.contains("110105********002X") && html.contains("138****5678"),
            "{who}: {html}"
        );
        assert!(
            !html.contains("11010519491231002X") && !html.contains("13812345678"),
            "{who}"
        );
        assert_eq!(
            html.contains("id=\"show-in-full\""),
            has_form,
            "{who}: the form"
        );
        if has_form {
            assert!(html.contains("显示完整") && html.contains(&action), "{who}");
        }
    }

    // Without the CSRF token, or without a purpose, nothing is shown and nothing is audited.
    let (status, html) = post_form(
        &app,
        &staff,
        &action,
        &[("field", "id_number"), ("purpose", "核对身份")],
        false,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!html.contains("11010519491231002X"));
    let (status, html) = post_form(
        &app,
        &staff,
        &action,
        &[("field", "id_number"), ("purpose", "  ")],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("请填写查看完整信息的用途") && html.contains("用途"),
        "{html}"
    );
    assert!(!html.contains("11010519491231002X"));
    let (status, html) = post_form(
        &app,
        &staff,
        &action,
        &[("field", "income"), ("purpose", "核对身份")],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("显示哪一项"), "{html}");
    let long = "核".repeat(101);
    let (status, html) = post_form(
        &app,
        &staff,
        &action,
        &[("field", "phone"), ("purpose", &long)],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(!html.contains("13812345678"));
    assert!(unmask_entries().await.is_empty());

    // Committee staff: the ID number in full, once, audited with who, whom, what and why.
    let (status, html) = post_form(
        &app,
        &staff,
        &action,
        &[("field", "id_number"), ("purpose", "核对身份")],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("<span id=\"full-value\">11010519491231002X</span>"),
        "{html}"
    );
    assert!(!html.contains("13812345678"), "only the item asked for");
    assert!(html.contains("本次查看已记入审计日志"), "{html}");
    let entries = unmask_entries().await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(entry["login"], "staff");
    assert_eq!(entry["target_kind"], "member");
    assert_eq!(entry["target_id"], wang);
    assert_eq!(entry["detail"]["field"], "id_number");
    assert_eq!(entry["detail"]["purpose"], "核对身份");
    assert!(entry["at"].is_string());
    assert!(
        !entry.to_string().contains("11010519491231002X"),
        "the log holds no value"
    );
    // Once: the page read again is masked.
    let (_, html) = get_page(&app, &staff, &page).await;
    assert!(!html.contains("11010519491231002X"));
    // The branch secretary: the phone.
    let (status, html) = post_form(
        &app,
        &secretary,
        &action,
        &[("field", "phone"), ("purpose", "联系本人")],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("<span id=\"full-value\">13812345678</span>"),
        "{html}"
    );
    assert_eq!(unmask_entries().await.len(), 2);
    // The administrator finds the entries in the audit search page.
    let (status, html) = get_page(&app, &admin, "/admin/audit?action=unmask").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("unmask") && html.contains("核对身份") && html.contains("联系本人"),
        "{html}"
    );
    assert!(!html.contains("11010519491231002X") && !html.contains("13812345678"));

    // Everyone else: refused (403 where they can read the page, 404 outside), nothing shown.
    for (who, session, expected) in [
        ("committee member", &committee_member, StatusCode::FORBIDDEN),
        ("herself", &herself, StatusCode::FORBIDDEN),
        (
            "another branch's secretary",
            &other_secretary,
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (status, html) = post_form(
            &app,
            session,
            &action,
            &[("field", "id_number"), ("purpose", "核对身份")],
            true,
        )
        .await;
        assert_eq!(status, expected, "{who}: {html}");
        assert!(!html.contains("11010519491231002X"), "{who}");
    }
    let (status, _) = post_form(
        &app,
        &secretary,
        &format!("/members/{li}/personal-data"),
        &[("field", "phone"), ("purpose", "核对身份")],
        true,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a member of another branch");
    assert_eq!(unmask_entries().await.len(), 2, "refusals are not unmasks");
    // The API keeps withholding, whoever asks.
    for session in [&admin, &staff, &secretary] {
        let (_, read, _) = call(
            &app,
            Some(session),
            "GET",
            &format!("/api/v1/members/{wang}"),
            &Value::Null,
        )
        .await;
        assert!(
            read["body"]["registry"].get("id_number").is_none(),
            "{read}"
        );
    }

    // Income: a base written through the API is sealed in the file; the collection report owes
    // the right fen (3 456.78 元 × 1% = 34.57 元).
    let (status, declared, _) = call(&app, Some(&secretary), "POST", "/api/v1/income-declarations", &json!({"member_id": wang, "branch_id": branch, "category": "salaried", "monthly_base": 345678, "effective_month": "2026-01"})).await;
    assert_eq!(status, StatusCode::CREATED, "{declared}");
    assert_eq!(
        declared["body"]["monthly_base"], 345678,
        "officers read the base"
    );
    let (status, collection, _) = call(
        &app,
        Some(&secretary),
        "GET",
        &format!("/api/v1/dues/collection?org={branch}&month=2026-06"),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{collection}");
    assert_eq!(collection["report"]["expected"], 3457, "{collection}");
    assert_eq!(
        collection["report"]["arrears_total"],
        6 * 3457,
        "{collection}"
    );
    let (status, html) = get_page(
        &app,
        &secretary,
        &format!("/branches/{branch}/dues?month=2026-06"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("34.57"), "the dues page shows the due");
    let mut bytes = std::fs::read(&file).expect("file");
    if let Ok(wal) = std::fs::read(format!("{}-wal", file.display())) {
        bytes.extend(wal);
    }
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("\"monthly_base\":{\"key\":"),
        "the sealed base is in the file"
    );
    assert!(
        !text.contains("\"monthly_base\":345678"),
        "the base is sealed in the file"
    );
    for suffix in ["", "-wal", "-shm", "-key"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}
