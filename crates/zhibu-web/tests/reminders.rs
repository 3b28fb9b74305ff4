//! The reminder pages through the router: the inbox with its unread count in the header and
//! marking read; channel choices and a group bot (its URL shown masked, a bad URL refused by
//! field); the administrators' deliveries page with a failed delivery's attempts and error and the
//! channel problems, which `/healthz` reports too.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{NaiveDate, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhibu_core::OrgId;
use zhibu_core::domain::{Org, OrgLevel, UnitKind};
use zhibu_core::rules::Catalogue;
use zhibu_storage::notify::{
    ChannelKind, ChannelProblem, ChannelProblems, DeliveryQuery, NewDelivery, NewInboxItem,
};
use zhibu_storage::{Backend, ChangeMeta, NewAccount, Repository};
use zhibu_web::AppState;

struct Answer {
    status: StatusCode,
    location: String,
    text: String,
}

async fn send(
    router: &Router,
    method: &str,
    uri: &str,
    cookie: &str,
    body: &str,
    form: bool,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if !cookie.is_empty() {
        request = request.header(header::COOKIE, cookie);
    }
    request = request.header(
        header::CONTENT_TYPE,
        if form {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        },
    );
    let response = router
        .clone()
        .oneshot(request.body(Body::from(body.to_string())).expect("request"))
        .await
        .expect("answer");
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|value| value.to_str().expect("text").to_string())
        .unwrap_or_default();
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .map(|value| value.to_str().expect("text").to_string());
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let mut text = String::from_utf8_lossy(&bytes).to_string();
    if let Some(cookie) = cookie {
        text = format!("{cookie}\n{text}");
    }
    Answer {
        status,
        location,
        text,
    }
}

/// Signs in through the API; returns the cookie and the CSRF token.
async fn sign_in(router: &Router, login: &str, password: &str) -> (String, String) {
    let answer = send(
        router,
        "POST",
        "/api/v1/session",
        "",
        &json!({ "login": login, "password": password }).to_string(),
        false,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let (cookie_line, body) = answer.text.split_once('\n').expect("cookie and body");
    let cookie = cookie_line.split(';').next().expect("cookie").to_string();
    let body: Value = serde_json::from_str(body).expect("json");
    (
        cookie,
        body["csrf_token"].as_str().expect("token").to_string(),
    )
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

#[tokio::test]
async fn inbox_settings_and_the_deliveries_page() {
    let backend = zhibu_storage_sqlite::connect("sqlite::memory:")
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    let repository = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("catalogue")),
    );
    let meta = ChangeMeta::by("test");
    let org = |parent: Option<OrgId>, name: &str, level| Org {
        parent_id: parent,
        name: name.to_string(),
        level,
        unit_kind: UnitKind::GovernmentOrgan,
        established_on: NaiveDate::from_ymd_opt(2020, 1, 1).expect("day"),
        dissolved_on: None,
    };
    let root = repository
        .create(org(None, "市直机关工委", OrgLevel::WorkingCommittee), &meta)
        .await
        .expect("root");
    let branch = repository
        .create(
            org(Some(OrgId(root.id)), "第一党支部", OrgLevel::Branch),
            &meta,
        )
        .await
        .expect("branch");
    let password = "a long passphrase for tests";
    let hash = zhibu_web::auth::hash_password(password)
        .await
        .expect("hash");
    let account = |login: &str, role: &str, scope: Option<i64>| NewAccount {
        login: login.to_string(),
        display_name: format!("{login}同志"),
        password_hash: hash.clone(),
        role: role.to_string(),
        scope_org_id: scope,
        member_id: None,
        must_change_password: false,
        created_at: Utc::now(),
    };
    let accounts = repository.accounts();
    let secretary = accounts
        .create_account(&account("secretary", "branch_secretary", Some(branch.id)))
        .await
        .expect("secretary");
    accounts
        .create_account(&account("admin", "administrator", None))
        .await
        .expect("admin");
    let store = repository.backend().notifications().expect("reminders");
    let day = NaiveDate::from_ymd_opt(2026, 3, 24).expect("day");
    let item = store
        .record_reminder(
            &NewInboxItem {
                account_id: secretary.id,
                item_key: "BRANCH.THEME_DAY.MONTHLY|2|2026-03|".into(),
                day,
                org_id: branch.id,
                subject_zh: "【支部提醒】第一党支部：主题党日（还有7天到期）".into(),
                subject_en: "[Zhibu] 第一党支部: themed Party day (due in 7 days)".into(),
                body_zh: "第一党支部2026年3月尚未开展主题党日".into(),
                body_en: "no themed Party day yet in 2026-03".into(),
                link_path: format!("/branches/{}", branch.id),
                created_at: Utc::now(),
            },
            &[NewDelivery {
                channel: ChannelKind::Email,
                destination: "wang.shuji@example.org".into(),
                channel_config_id: None,
                dedup_key: "email:test".into(),
            }],
        )
        .await
        .expect("record")
        .expect("new");
    let delivery = store
        .search_deliveries(&DeliveryQuery {
            limit: 10,
            ..DeliveryQuery::default()
        })
        .await
        .expect("deliveries")
        .remove(0);
    let now = Utc::now();
    assert!(
        store
            .claim_delivery(delivery.id, now, now)
            .await
            .expect("claim")
    );
    store
        .mark_delivery_failed(
            delivery.id,
            "SMTP refused: 550 mailbox unavailable",
            now,
            None,
        )
        .await
        .expect("failed");

    let problems = ChannelProblems::default();
    problems.write().expect("problems").push(ChannelProblem {
        channel: "smtp".into(),
        message_zh: "无法连接SMTP服务器".into(),
        message_en: "cannot reach the SMTP server".into(),
    });
    let state = AppState::with_fixed_today(repository.clone(), day).with_channel_problems(problems);
    let router = zhibu_web::router(state);

    // The secretary: one unread reminder, in the header of every page and in the inbox.
    let (cookie, csrf) = sign_in(&router, "secretary", password).await;
    let inbox = send(&router, "GET", "/inbox", &cookie, "", false).await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.text);
    assert!(
        inbox.text.contains("主题党日（还有7天到期）"),
        "{}",
        inbox.text
    );
    assert!(inbox.text.contains("id=\"unread-count\""), "{}", inbox.text);
    let elsewhere = send(
        &router,
        "GET",
        "/settings/notifications",
        &cookie,
        "",
        false,
    )
    .await;
    assert!(
        elsewhere
            .text
            .contains("id=\"unread-count\" aria-label=\"未读\">1<"),
        "{}",
        elsewhere.text
    );
    // Not the administrators' page.
    let refused = send(&router, "GET", "/admin/deliveries", &cookie, "", false).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // Marking read needs the form's token, then clears the count.
    let without = send(
        &router,
        "POST",
        "/inbox/read",
        &cookie,
        &form(&[("item_id", &item.to_string())]),
        true,
    )
    .await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    let read = send(
        &router,
        "POST",
        "/inbox/read",
        &cookie,
        &form(&[("csrf_token", &csrf), ("item_id", &item.to_string())]),
        true,
    )
    .await;
    assert_eq!(
        (read.status, read.location.as_str()),
        (StatusCode::SEE_OTHER, "/inbox")
    );
    let after = send(&router, "GET", "/inbox", &cookie, "", false).await;
    assert!(
        !after.text.contains("id=\"unread-count\""),
        "{}",
        after.text
    );

    // Channel choices: a bad address is refused by its field, a good one saved.
    let bad = send(
        &router,
        "POST",
        "/settings/notifications",
        &cookie,
        &form(&[
            ("csrf_token", &csrf),
            ("email", "wang@"),
            ("email_enabled", "on"),
        ]),
        true,
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("id=\"email-error\""), "{}", bad.text);
    // A group bot for the branch: a bad URL is refused by field; a good one is added, shown masked.
    let bad_bot = send(
        &router,
        "POST",
        "/settings/notifications/groups",
        &cookie,
        &form(&[
            ("csrf_token", &csrf),
            ("org_id", &branch.id.to_string()),
            ("kind", "dingtalk"),
            ("name", "支部钉钉群"),
            ("url", "oapi.dingtalk.com/robot"),
        ]),
        true,
    )
    .await;
    assert_eq!(bad_bot.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_bot.text.contains("id=\"url-error\""),
        "{}",
        bad_bot.text
    );
    let outside = send(
        &router,
        "POST",
        "/settings/notifications/groups",
        &cookie,
        &form(&[
            ("csrf_token", &csrf),
            ("org_id", &root.id.to_string()),
            ("kind", "wecom"),
            ("name", "工委群"),
            (
                "url",
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
            ),
        ]),
        true,
    )
    .await;
    assert_eq!(
        outside.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an org above the branch is not the secretary's to configure"
    );
    let added = send(
        &router,
        "POST",
        "/settings/notifications/groups",
        &cookie,
        &form(&[
            ("csrf_token", &csrf),
            ("org_id", &branch.id.to_string()),
            ("kind", "dingtalk"),
            ("name", "支部钉钉群"),
            (
                "url",
                "https://oapi.dingtalk.com/robot/send?access_token=secret-token",
            ),
            ("secret", "SECsecret"),
        ]),
        true,
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    let bot = store.channel_configs().await.expect("bots").remove(0);
    let saved = send(
        &router,
        "POST",
        "/settings/notifications",
        &cookie,
        &form(&[
            ("csrf_token", &csrf),
            ("email", "wang.shuji@example.org"),
            ("email_enabled", "on"),
            ("group", &bot.id.to_string()),
        ]),
        true,
    )
    .await;
    assert_eq!(saved.location, "/settings/notifications?saved=1");
    let choices = store.preferences(secretary.id).await.expect("preferences");
    assert!(choices.email_enabled);
    assert_eq!(choices.group_channels, vec![bot.id]);
    let settings = send(
        &router,
        "GET",
        "/settings/notifications",
        &cookie,
        "",
        false,
    )
    .await;
    assert!(settings.text.contains("支部钉钉群"), "{}", settings.text);
    assert!(settings.text.contains("https://oapi.dingtalk.com/…"));
    assert!(
        !settings.text.contains("secret-token"),
        "the token is never shown"
    );
    assert!(settings.text.contains("value=\"wang.shuji@example.org\""));
    // A bot that is not theirs to choose answers 404 and changes nothing.
    let foreign = send(
        &router,
        "POST",
        "/settings/notifications",
        &cookie,
        &form(&[("csrf_token", &csrf), ("email", ""), ("group", "999")]),
        true,
    )
    .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);

    // The administrator sees the failed delivery with its attempts and error, the address masked,
    // and the channel problem; /healthz reports it too.
    let (admin_cookie, _) = sign_in(&router, "admin", password).await;
    let page = send(
        &router,
        "GET",
        "/admin/deliveries?status=failed",
        &admin_cookie,
        "",
        false,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text
            .contains(&format!("id=\"delivery-{}\"", delivery.id)),
        "{}",
        page.text
    );
    assert!(page.text.contains("SMTP refused: 550 mailbox unavailable"));
    assert!(page.text.contains("wa***@example.org"));
    assert!(!page.text.contains("wang.shuji@example.org"));
    assert!(page.text.contains("无法连接SMTP服务器"));
    assert!(page.text.contains("<td>1</td>"), "one attempt");
    let health = send(&router, "GET", "/healthz", "", "", false).await;
    assert_eq!(health.status, StatusCode::OK);
    assert!(
        health.text.contains("cannot reach the SMTP server"),
        "{}",
        health.text
    );
}
