//! `zhibu remind` end to end: over a small demo database, the day's reminders reach the local
//! 企业微信 and 钉钉 endpoints of the branches that chose them and every inbox, exactly as the
//! engine's findings (`zhibu check`) and the reminder plan say; a second run the same day sends
//! nothing; `--dry-run` writes and sends nothing; a misconfigured SMTP server is reported and
//! the run goes on.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, Utc};
use zhibu_core::engine::Report;
use zhibu_core::reminders::{AccountRole, Addressee, Directory, OrgNode, ReminderSettings, plan};
use zhibu_core::{OrgId, OrgLevel};
use zhibu_storage::Backend;
use zhibu_storage::notify::{ChannelKind, ChannelPreferences, NewChannelConfig};

const TODAY: &str = "2026-03-24";

fn database(name: &str) -> (PathBuf, String) {
    let path = std::env::temp_dir().join(format!("zhibu-remind-{name}-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm", ".key"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let url = format!("sqlite://{}", path.display());
    (path, url)
}

fn zhibu(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhibu"))
        .args(args)
        .env("ZHIBU_DATABASE_URL", url)
        .env("ZHIBU_LOG", "warn")
        .env_remove("ZHIBU_SMTP_HOST")
        .env_remove("ZHIBU_NOTIFY_CONFIG")
        .output()
        .expect("zhibu runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A bot endpoint on loopback: every POST is kept (path with query, JSON body) and answered as
/// both bots answer, `{"errcode":0,"errmsg":"ok"}`.
/// What the bot endpoint received: (path with query, JSON body) per request.
type Received = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

fn bot_server() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    let received: Received = Arc::default();
    let keep = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let target = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_string();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line == "\r\n" || line.is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            keep.lock().expect("received").push((
                target,
                serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
            ));
            let answer = r#"{"errcode":0,"errmsg":"ok"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (format!("http://{address}"), received)
}

#[tokio::test]
async fn remind_over_the_demo_sends_the_planned_reminders_to_the_local_bots_once_a_day() {
    let (_path, url) = database("e2e");
    let built = zhibu(&url, &["demo", "--today", TODAY, "--branches", "6"]);
    assert!(built.status.success(), "{}", text(&built));

    // What the engine reports today, as `zhibu check` prints it.
    let checked = zhibu(
        &url,
        &[
            "check",
            "--from",
            "2026-01-01",
            "--to",
            TODAY,
            "--today",
            TODAY,
            "--horizon-days",
            "187",
            "--format",
            "json",
        ],
    );
    assert!(checked.status.success(), "{}", text(&checked));
    let report: Report = serde_json::from_slice(&checked.stdout).expect("report");
    // Accounts: the secretaries of two branches, and an administrator (told what falls to nobody
    // else). One secretary chose the branch's 企业微信 bot, the other the 钉钉 bot (signed).
    let backend = zhibu_storage_sqlite::connect(&url).await.expect("open");
    let accounts = backend.accounts();
    let now = Utc::now();
    let account = |login: &str, role: &str, org: Option<i64>| zhibu_storage::NewAccount {
        login: login.to_string(),
        display_name: format!("{login}同志"),
        password_hash: "$argon2id$not-used".to_string(),
        role: role.to_string(),
        scope_org_id: org,
        member_id: None,
        must_change_password: false,
        created_at: now,
    };
    // The branches of the party groups' findings are the secretaries' branches.
    let branch_of = |org: OrgId| -> OrgId {
        report
            .findings
            .iter()
            .find(|finding| finding.org_id == org)
            .map_or(org, |finding| finding.responsible.org_id)
    };
    let mut secretary_branches: Vec<OrgId> = report
        .findings
        .iter()
        .filter(|finding| finding.rule_id == "BRANCH.GROUP.MONTHLY")
        .map(|finding| branch_of(finding.responsible.org_id))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        secretary_branches.len() >= 2,
        "the demo has branches with party groups due this month: {secretary_branches:?}"
    );
    secretary_branches.truncate(2);
    let wecom_secretary = accounts
        .create_account(&account(
            "wecom-secretary",
            "branch_secretary",
            Some(secretary_branches[0].0),
        ))
        .await
        .expect("account");
    let ding_secretary = accounts
        .create_account(&account(
            "ding-secretary",
            "branch_secretary",
            Some(secretary_branches[1].0),
        ))
        .await
        .expect("account");
    let admin = accounts
        .create_account(&account("admin", "administrator", None))
        .await
        .expect("account");

    let (base, received) = bot_server();
    let store = backend.notifications().expect("reminders");
    let wecom = store
        .create_channel_config(&NewChannelConfig {
            org_id: secretary_branches[0].0,
            kind: ChannelKind::Wecom,
            name: "支部企业微信群".into(),
            webhook_url: format!("{base}/cgi-bin/webhook/send?key=k1"),
            secret: None,
            created_by: admin.id,
            created_at: now,
        })
        .await
        .expect("wecom");
    let ding = store
        .create_channel_config(&NewChannelConfig {
            org_id: secretary_branches[1].0,
            kind: ChannelKind::Dingtalk,
            name: "支部钉钉群".into(),
            webhook_url: format!("{base}/robot/send?access_token=t2"),
            secret: Some("SECe2e".into()),
            created_by: admin.id,
            created_at: now,
        })
        .await
        .expect("dingtalk");
    for (account_id, channel) in [(wecom_secretary.id, wecom.id), (ding_secretary.id, ding.id)] {
        store
            .set_preferences(&ChannelPreferences {
                account_id,
                email: None,
                email_enabled: false,
                group_channels: vec![channel],
            })
            .await
            .expect("preferences");
    }

    // What the plan says: the findings, the tree and the accounts.
    let mut directory = Directory::default();
    for finding in &report.findings {
        directory.orgs.entry(finding.org_id).or_insert(OrgNode {
            name: finding.org_name.clone(),
            // Party groups' duties name their branch as the one that must act.
            level: if finding.rule_id.starts_with("BRANCH.GROUP.") {
                OrgLevel::PartyGroup
            } else {
                OrgLevel::Branch
            },
            parent: finding
                .rule_id
                .starts_with("BRANCH.GROUP.")
                .then_some(finding.responsible.org_id),
        });
    }
    for (account_id, role, scope) in [
        (
            wecom_secretary.id,
            AccountRole::BranchSecretary,
            Some(secretary_branches[0]),
        ),
        (
            ding_secretary.id,
            AccountRole::BranchSecretary,
            Some(secretary_branches[1]),
        ),
        (admin.id, AccountRole::Administrator, None),
    ] {
        directory.addressees.push(Addressee {
            account_id,
            display_name: String::new(),
            role,
            scope_org: scope,
        });
    }
    let today = NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").expect("date");
    let expected = plan(
        &report.findings,
        &directory,
        today,
        &ReminderSettings::default(),
    );
    let expected_for = |account_id: i64| -> BTreeSet<String> {
        expected
            .iter()
            .filter(|reminder| reminder.account_id == account_id)
            .map(|reminder| reminder.subject_zh.clone())
            .collect()
    };
    assert!(!expected_for(wecom_secretary.id).is_empty());
    assert!(!expected_for(ding_secretary.id).is_empty());

    // A dry run lists them and writes and sends nothing.
    let dry = zhibu(&url, &["remind", "--today", TODAY, "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(
        text(&dry).contains(&format!("dry run: {} reminder(s)", expected.len())),
        "{}",
        text(&dry)
    );
    assert!(received.lock().expect("received").is_empty());
    assert_eq!(store.unread_count(admin.id).await.expect("unread"), 0);

    // The run, with an SMTP server that does not answer: reported, and the rest is sent.
    let dead_smtp = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("a")
        .port();
    let run = zhibu(
        &url,
        &[
            "remind",
            "--today",
            TODAY,
            "--public-url",
            "http://zhibu.test",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            &dead_smtp.to_string(),
            "--smtp-tls",
            "none",
            "--smtp-from",
            "zhibu@example.org",
        ],
    );
    assert!(run.status.success(), "{}", text(&run));
    assert!(
        text(&run).contains("channel problem [smtp]"),
        "{}",
        text(&run)
    );
    let got = received.lock().expect("received").clone();
    let wecom_titles: BTreeSet<String> = got
        .iter()
        .filter(|(target, _)| target.starts_with("/cgi-bin/webhook/send?key=k1"))
        .map(|(_, body)| {
            let content = body["markdown"]["content"].as_str().expect("content");
            content
                .trim_start_matches("**")
                .split("**")
                .next()
                .expect("title")
                .to_string()
        })
        .collect();
    let ding_titles: BTreeSet<String> = got
        .iter()
        .filter(|(target, _)| target.starts_with("/robot/send?access_token=t2&timestamp="))
        .map(|(target, body)| {
            assert!(target.contains("&sign="), "{target}");
            body["markdown"]["title"]
                .as_str()
                .expect("title")
                .to_string()
        })
        .collect();
    assert_eq!(wecom_titles, expected_for(wecom_secretary.id));
    assert_eq!(ding_titles, expected_for(ding_secretary.id));
    assert_eq!(
        got.len(),
        expected_for(wecom_secretary.id).len() + expected_for(ding_secretary.id).len()
    );
    for account_id in [wecom_secretary.id, ding_secretary.id, admin.id] {
        let inbox: BTreeSet<String> = store
            .inbox(account_id, 500)
            .await
            .expect("inbox")
            .into_iter()
            .map(|item| item.subject_zh)
            .collect();
        assert_eq!(inbox, expected_for(account_id), "inbox of {account_id}");
    }

    // Again the same day: nobody is told anything new, nothing more is sent.
    let again = zhibu(&url, &["remind", "--today", TODAY]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("new reminders 0"), "{}", text(&again));
    assert_eq!(received.lock().expect("received").len(), got.len());
}
