//! Delivery against real local endpoints: an SMTP server on loopback (Python's aiosmtpd) receives
//! the e-mail and Python's own parser decodes it; a local HTTP server receives the 企业微信 and
//! 钉钉 payloads, and the 钉钉 signature verifies (recomputed here, and by Python's hmac); a
//! delivery to a dead endpoint is retried with back-off and then marked failed; a second run the
//! same day sends nothing new.
//!
//! Without python3 and aiosmtpd the SMTP test prints a loud SKIPPED and passes, unless
//! ZHIBU_REQUIRE_PYTHON_AIOSMTPD=1 (as .ci/run sets), when it fails.

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use zhibu_core::OrgId;
use zhibu_core::domain::{Org, OrgLevel, UnitKind};
use zhibu_core::rules::Catalogue;
use zhibu_notify::channels::dingtalk_signature;
use zhibu_notify::{NotifySettings, Reminders, RetryPolicy, SmtpSettings, SmtpTls};
use zhibu_storage::notify::{
    ChannelKind, ChannelPreferences, DeliveryQuery, DeliveryStatus, NewChannelConfig,
    NotificationStore,
};
use zhibu_storage::{ChangeMeta, Clock, NewAccount, Repository};

/// A clock the test moves forward by hand.
struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

impl TestClock {
    fn advance(&self, seconds: i64) {
        *self.0.lock().expect("clock") += chrono::Duration::seconds(seconds);
    }
}

/// 2026-03-24, a Tuesday: 7 days before March (and the first quarter) ends.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 24).expect("day")
}

struct World {
    repository: Repository,
    clock: Arc<TestClock>,
    branch: OrgId,
    secretary: i64,
    deputy: i64,
}

impl World {
    fn store(&self) -> &dyn NotificationStore {
        self.repository
            .backend()
            .notifications()
            .expect("SQLite keeps reminders")
    }
}

/// A committee with one branch that has held nothing this year, its secretary and a committee
/// member (who would be told only if there were no secretary).
async fn world() -> World {
    let backend = zhibu_storage_sqlite::connect("sqlite::memory:")
        .await
        .expect("connect");
    zhibu_storage::Backend::migrate(&backend)
        .await
        .expect("migrate");
    // 09:00 China time on the day.
    let clock = Arc::new(TestClock(Mutex::new(
        Utc.with_ymd_and_hms(2026, 3, 24, 1, 0, 0)
            .single()
            .expect("instant"),
    )));
    let repository = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("catalogue")),
    )
    .with_clock(clock.clone());
    let org = |parent: Option<OrgId>, name: &str, level| Org {
        parent_id: parent,
        name: name.to_string(),
        level,
        unit_kind: UnitKind::GovernmentOrgan,
        established_on: NaiveDate::from_ymd_opt(2020, 1, 1).expect("day"),
        dissolved_on: None,
    };
    let meta = ChangeMeta::by("test");
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
    let account = |login: &str, name: &str, role: &str| NewAccount {
        login: login.to_string(),
        display_name: name.to_string(),
        password_hash: "$argon2id$not-used".to_string(),
        role: role.to_string(),
        scope_org_id: Some(branch.id),
        member_id: None,
        must_change_password: false,
        created_at: clock.now(),
    };
    let accounts = repository.accounts();
    let secretary = accounts
        .create_account(&account("secretary", "王书记", "branch_secretary"))
        .await
        .expect("secretary")
        .id;
    let deputy = accounts
        .create_account(&account("deputy", "李委员", "branch_committee_member"))
        .await
        .expect("deputy")
        .id;
    World {
        repository,
        clock,
        branch: OrgId(branch.id),
        secretary,
        deputy,
    }
}

fn settings(smtp_port: Option<u16>) -> NotifySettings {
    NotifySettings {
        smtp: smtp_port.map(|port| SmtpSettings {
            host: "127.0.0.1".into(),
            port: Some(port),
            tls: SmtpTls::None,
            username: None,
            password: None,
            from: "支部提醒 <zhibu@example.org>".into(),
        }),
        retry: RetryPolicy {
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(600),
            max_attempts: 3,
            lease: Duration::from_secs(30),
        },
        public_url: Some("https://zhibu.example.org".into()),
        send_timeout: Duration::from_secs(5),
        ..NotifySettings::default()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

/// The requests a local "bot" received: path with query, and JSON body.
type Received = Arc<Mutex<Vec<(String, Value)>>>;

async fn bot_server() -> (String, Received) {
    let received: Received = Arc::default();
    async fn receive(State(received): State<Received>, uri: Uri, body: Bytes) -> axum::Json<Value> {
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        received
            .lock()
            .expect("received")
            .push((uri.to_string(), value));
        axum::Json(json!({ "errcode": 0, "errmsg": "ok" }))
    }
    let app = Router::new().fallback(receive).with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("bot server");
    });
    (format!("http://{address}"), received)
}

fn query_value(uri: &str, name: &str) -> Option<String> {
    let query = uri.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[tokio::test]
async fn group_bots_receive_their_json_and_the_dingtalk_signature_verifies() {
    let world = world().await;
    let (base, received) = bot_server().await;
    let store = world.store();
    let wecom = store
        .create_channel_config(&NewChannelConfig {
            org_id: world.branch.0,
            kind: ChannelKind::Wecom,
            name: "支部企业微信群".into(),
            webhook_url: format!("{base}/cgi-bin/webhook/send?key=wecom-key"),
            secret: None,
            created_by: world.secretary,
            created_at: world.clock.now(),
        })
        .await
        .expect("wecom bot");
    let secret = "SECdingtalk-test-secret";
    let dingtalk = store
        .create_channel_config(&NewChannelConfig {
            org_id: world.branch.0,
            kind: ChannelKind::Dingtalk,
            name: "支部钉钉群".into(),
            webhook_url: format!("{base}/robot/send?access_token=ding-token"),
            secret: Some(secret.into()),
            created_by: world.secretary,
            created_at: world.clock.now(),
        })
        .await
        .expect("dingtalk bot");
    store
        .set_preferences(&ChannelPreferences {
            account_id: world.secretary,
            email: None,
            email_enabled: false,
            group_channels: vec![wecom.id, dingtalk.id],
        })
        .await
        .expect("preferences");

    let reminders = Reminders::new(world.repository.clone(), settings(None), Arc::default());
    assert!(reminders.check_channels().await.is_empty());
    let run = reminders.run_day(today(), false).await.expect("run");
    let titles: Vec<&str> = run
        .planned
        .iter()
        .map(|planned| planned.reminder.subject_zh.as_str())
        .collect();
    // The branch has held no themed Party day in March and no general meeting in the first
    // quarter: both are due on the 31st, 7 days away. Only the secretary is told.
    assert_eq!(run.planned.len(), 2, "{titles:#?}");
    assert!(
        titles.iter().all(|title| title.contains("还有7天到期")),
        "{titles:#?}"
    );
    assert!(
        run.planned
            .iter()
            .all(|planned| planned.reminder.account_id == world.secretary)
    );
    assert_eq!(run.recorded, 2);
    assert_eq!(run.deliveries_created, 4);

    let sent = reminders.deliver_due().await.expect("deliver");
    assert_eq!(sent.sent, 4, "{sent:?}");
    let received = received.lock().expect("received").clone();
    assert_eq!(received.len(), 4);
    let stamp_ms = world.clock.now().timestamp_millis();
    for (uri, body) in &received {
        if uri.starts_with("/cgi-bin/webhook/send") {
            assert_eq!(query_value(uri, "key").as_deref(), Some("wecom-key"));
            assert_eq!(body["msgtype"], "markdown");
            let content = body["markdown"]["content"].as_str().expect("content");
            assert!(content.contains("致 王书记"), "{content}");
            assert!(content.contains("还有7天到期"), "{content}");
            assert!(
                content.contains("https://zhibu.example.org/branches/"),
                "{content}"
            );
        } else {
            assert!(uri.starts_with("/robot/send"), "{uri}");
            assert_eq!(
                query_value(uri, "access_token").as_deref(),
                Some("ding-token")
            );
            assert_eq!(body["msgtype"], "markdown");
            assert!(
                body["markdown"]["title"]
                    .as_str()
                    .expect("title")
                    .starts_with("【支部提醒】")
            );
            let timestamp = query_value(uri, "timestamp").expect("timestamp");
            assert_eq!(timestamp, stamp_ms.to_string());
            let sign = query_value(uri, "sign").expect("sign");
            // Recomputed here from the documented recipe…
            assert_eq!(sign, dingtalk_signature(stamp_ms, secret));
            // …and by Python's hmac, independently, where python3 is present.
            let raw_sign = uri
                .split("sign=")
                .nth(1)
                .expect("sign in the URL")
                .split('&')
                .next()
                .expect("sign value");
            match Command::new("python3")
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/support/dingtalk_verify.py"
                ))
                .args([&timestamp, secret])
                .output()
            {
                Ok(output) if output.status.success() => {
                    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), raw_sign);
                }
                _ => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "SKIPPED: python3 not found — the DingTalk signature was checked in Rust only"
                    );
                }
            }
        }
    }

    // The same day again: nothing new is told or sent.
    let again = reminders.run_day(today(), false).await.expect("second run");
    assert_eq!(again.recorded, 0);
    assert_eq!(again.deliveries_created, 0);
    assert!(again.planned.iter().all(|planned| !planned.new));
    assert_eq!(reminders.deliver_due().await.expect("deliver").sent, 0);
    // A second scheduler (another process on the same database) adds nothing either.
    let other = Reminders::new(world.repository.clone(), settings(None), Arc::default());
    assert_eq!(
        other.run_day(today(), false).await.expect("other").recorded,
        0
    );
    assert_eq!(
        store
            .inbox(world.secretary, 100)
            .await
            .expect("inbox")
            .len(),
        2
    );
    assert_eq!(
        store.inbox(world.deputy, 100).await.expect("inbox").len(),
        0
    );
    assert_eq!(
        store.unread_count(world.secretary).await.expect("unread"),
        2
    );
}

#[tokio::test]
async fn a_dead_endpoint_is_retried_with_back_off_and_then_reported_failed() {
    let world = world().await;
    let store = world.store();
    let dead_port = free_port();
    let bot = store
        .create_channel_config(&NewChannelConfig {
            org_id: world.branch.0,
            kind: ChannelKind::Wecom,
            name: "已失效的群".into(),
            webhook_url: format!("http://127.0.0.1:{dead_port}/cgi-bin/webhook/send?key=k"),
            secret: None,
            created_by: world.secretary,
            created_at: world.clock.now(),
        })
        .await
        .expect("bot");
    store
        .set_preferences(&ChannelPreferences {
            account_id: world.secretary,
            email: Some("wang@example.org".into()),
            email_enabled: true,
            group_channels: vec![bot.id],
        })
        .await
        .expect("preferences");
    // E-mail goes to an SMTP port where nobody listens either.
    let reminders = Reminders::new(
        world.repository.clone(),
        settings(Some(free_port())),
        Arc::default(),
    );
    // The start-up check reports the unreachable SMTP server and does not stop anything.
    let problems = reminders.check_channels().await;
    assert!(
        problems.iter().any(|problem| problem.channel == "smtp"),
        "{problems:?}"
    );
    let run = reminders.run_day(today(), false).await.expect("run");
    assert_eq!(run.recorded, 2);
    // Two items × (e-mail + one group message each).
    assert_eq!(run.deliveries_created, 4);

    let first = reminders.deliver_due().await.expect("first attempt");
    assert_eq!(first.retrying, 4, "{first:?}");
    let after_first = store
        .search_deliveries(&DeliveryQuery {
            limit: 100,
            ..DeliveryQuery::default()
        })
        .await
        .expect("deliveries");
    for delivery in &after_first {
        assert_eq!(delivery.status, DeliveryStatus::Pending);
        assert_eq!(delivery.attempts, 1);
        assert_eq!(
            delivery.next_attempt_at,
            world.clock.now() + chrono::Duration::seconds(60),
            "the first retry waits the first delay"
        );
        assert!(delivery.last_error.is_some());
    }
    // Not yet due: nothing is tried.
    world.clock.advance(59);
    assert_eq!(
        reminders.deliver_due().await.expect("early"),
        Default::default()
    );
    world.clock.advance(1);
    let second = reminders.deliver_due().await.expect("second attempt");
    assert_eq!(second.retrying, 4);
    let waits: Vec<i64> = store
        .search_deliveries(&DeliveryQuery {
            limit: 100,
            ..DeliveryQuery::default()
        })
        .await
        .expect("deliveries")
        .iter()
        .map(|delivery| (delivery.next_attempt_at - world.clock.now()).num_seconds())
        .collect();
    assert_eq!(waits, vec![120; 4], "the second retry waits twice as long");
    world.clock.advance(120);
    let third = reminders.deliver_due().await.expect("third attempt");
    assert_eq!(third.failed, 4, "{third:?}");
    for delivery in store
        .search_deliveries(&DeliveryQuery {
            status: Some(DeliveryStatus::Failed),
            limit: 100,
            ..DeliveryQuery::default()
        })
        .await
        .expect("failed")
    {
        assert_eq!(delivery.attempts, 3);
        assert!(delivery.finished_at.is_some());
        let error = delivery.last_error.expect("error");
        match delivery.channel {
            ChannelKind::Email => assert!(error.contains("SMTP"), "{error}"),
            _ => assert!(error.contains("cannot connect"), "{error}"),
        }
    }
    // Nothing more is tried, however long one waits.
    world.clock.advance(86_400);
    assert_eq!(
        reminders.deliver_due().await.expect("after"),
        Default::default()
    );
    // The inbox still has both items: the inbox is always on.
    assert_eq!(
        store
            .inbox(world.secretary, 100)
            .await
            .expect("inbox")
            .len(),
        2
    );
}

#[tokio::test]
async fn an_smtp_server_on_loopback_receives_the_email_with_its_chinese_text() {
    let required = std::env::var("ZHIBU_REQUIRE_PYTHON_AIOSMTPD").is_ok_and(|value| value == "1");
    let available = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !available {
        assert!(
            !required,
            "ZHIBU_REQUIRE_PYTHON_AIOSMTPD=1 but python3 or aiosmtpd is missing: python3 -m pip install aiosmtpd"
        );
        let _ = writeln!(
            std::io::stderr(),
            "\n==============================================================\nSKIPPED: python aiosmtpd not installed — the e-mail was not delivered to a real SMTP server\n(python3 -m pip install aiosmtpd)\n==============================================================\n"
        );
        return;
    }
    let port = free_port();
    let out = std::env::temp_dir().join(format!("zhibu-smtp-{}-{port}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&out);
    let mut server = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/smtp_sink.py"
        ))
        .arg(port.to_string())
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start aiosmtpd");
    let mut ready = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut ready)
        .expect("read");
    assert_eq!(ready.trim(), "READY");

    let world = world().await;
    let store = world.store();
    store
        .set_preferences(&ChannelPreferences {
            account_id: world.secretary,
            email: Some("wang.shuji@example.org".into()),
            email_enabled: true,
            group_channels: Vec::new(),
        })
        .await
        .expect("preferences");
    let reminders = Reminders::new(
        world.repository.clone(),
        settings(Some(port)),
        Arc::default(),
    );
    assert!(reminders.check_channels().await.is_empty());
    let run = reminders.run_day(today(), false).await.expect("run");
    assert_eq!(run.deliveries_created, 2);
    let sent = reminders.deliver_due().await.expect("deliver");
    assert_eq!(sent.sent, 2, "{sent:?}");
    drop(server.stdin.take());
    let _ = server.wait();

    let text = std::fs::read_to_string(&out).expect("the SMTP server wrote what it received");
    let messages: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("json"))
        .collect();
    assert_eq!(messages.len(), 2);
    let mut subjects: Vec<String> = Vec::new();
    for message in &messages {
        assert_eq!(message["rcpt_tos"], json!(["wang.shuji@example.org"]));
        assert_eq!(message["mail_from"], "zhibu@example.org");
        let subject = message["subject"].as_str().expect("subject");
        assert!(subject.starts_with("【支部提醒】第一党支部："), "{subject}");
        assert!(subject.contains("(due in 7 days)"), "{subject}");
        let body = message["body"].as_str().expect("body");
        assert!(body.starts_with("王书记同志："), "{body}");
        assert!(body.contains("期限：2026-03-31"), "{body}");
        assert!(body.contains("Due: 2026-03-31"), "{body}");
        assert!(
            body.contains("https://zhibu.example.org/branches/"),
            "{body}"
        );
        subjects.push(subject.to_string());
    }
    subjects.sort();
    let mut expected: Vec<String> = run
        .planned
        .iter()
        .map(|planned| {
            format!(
                "{} / {}",
                planned.reminder.subject_zh, planned.reminder.subject_en
            )
        })
        .collect();
    expected.sort();
    assert_eq!(subjects, expected);
    let _ = std::fs::remove_file(&out);
}
