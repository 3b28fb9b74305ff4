//! The reminder scheduler inside `zhibu serve`, end to end: the real binary is started on a
//! temporary SQLite database holding a branch whose monthly themed Party day is still to be held
//! this month, with the daily run time at 00:00 China time (so the start-up catch-up runs today's
//! reminders at once) and lead times covering every day of a month (so the duty is coming due
//! whatever day the test runs). The test polls the database until the administrator's inbox
//! item for that duty appears (and `/healthz` answers), then stops the server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Datelike, Utc};
use serde_json::json;
use zhibu_core::rules::Catalogue;
use zhibu_core::{Member, Org, OrgId};
use zhibu_storage::{Backend, ChangeMeta, NewAccount, Repository};

/// The files of a temporary SQLite database, removed when the test ends.
struct Database(PathBuf);

impl Drop for Database {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", ".key"] {
            let _missing_is_fine = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// The server process, killed when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _already_gone = self.0.kill();
        let _ = self.0.wait();
    }
}

fn org(parent: Option<OrgId>, name: &str, level: &str) -> Org {
    serde_json::from_value(json!({
        "parent_id": parent, "name": name, "level": level,
        "unit_kind": "government_organ", "established_on": "2020-01-01"
    }))
    .expect("an org body")
}

fn member(name: &str, branch: OrgId) -> Member {
    serde_json::from_value(json!({
        "name": name, "sex": "female", "joined_on": "2010-07-01",
        "status_history": [
            { "effective_on": "2010-07-01", "status": "probationary" },
            { "effective_on": "2011-07-01", "status": "full" }
        ],
        "postings": [{ "branch_id": branch, "from": "2015-01-01" }],
        "employment": "salaried"
    }))
    .expect("a member body")
}

/// `GET /healthz` over a plain socket: the status line.
fn health(address: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connect to the server");
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer.lines().next().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_the_days_reminders_at_start_up_and_they_reach_the_inbox() {
    let path =
        std::env::temp_dir().join(format!("zhibu-serve-scheduler-{}.db", std::process::id()));
    let database = Database(path);
    let url = format!("sqlite://{}", database.0.display());
    let backend = zhibu_storage_sqlite::connect(&url)
        .await
        .expect("create the SQLite database");
    backend.migrate().await.expect("migrate");
    let backend = Arc::new(backend);
    let repository = Repository::new(
        backend.clone(),
        Arc::new(Catalogue::national().expect("the national catalogue")),
    );

    // A branch with members and no meeting this month: its themed Party day is coming due.
    let meta = ChangeMeta::by("test");
    let committee = repository
        .create(org(None, "示例机关工委", "working_committee"), &meta)
        .await
        .expect("the committee");
    let branch = repository
        .create(
            org(Some(committee.typed_id()), "第一党支部", "branch"),
            &meta,
        )
        .await
        .expect("the branch");
    for name in ["王芳", "李强", "张伟"] {
        repository
            .create(member(name, branch.typed_id()), &meta)
            .await
            .expect("a member");
    }
    // Nobody in the branch has an account: what falls to the branch reaches the administrator.
    let admin = backend
        .accounts()
        .create_account(&NewAccount {
            login: "admin".into(),
            display_name: "管理员".into(),
            password_hash: "$argon2id$not-used".into(),
            role: "administrator".into(),
            scope_org_id: None,
            member_id: None,
            must_change_password: false,
            created_at: Utc::now(),
        })
        .await
        .expect("the administrator");

    let config = database.0.with_extension("notify.toml");
    let lead_days: Vec<String> = (0..=31).map(|day| day.to_string()).collect();
    std::fs::write(
        &config,
        format!(
            "daily_at = \"00:00\"\n[reminders]\nperiod_end_days = [{}]\n",
            lead_days.join(", ")
        ),
    )
    .expect("write the reminder settings");
    let _config_file = Database(config.clone());

    let child = Command::new(env!("CARGO_BIN_EXE_zhibu"))
        .args(["serve", "--listen", "127.0.0.1:0", "--notify-config"])
        .arg(&config)
        .env("ZHIBU_DATABASE_URL", &url)
        .env("ZHIBU_LOG", "warn")
        .env_remove("ZHIBU_SMTP_HOST")
        .env_remove("ZHIBU_NOTIFY_CONFIG")
        .env_remove("ZHIBU_REMIND_AT")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start zhibu serve");
    let mut server = Server(child);
    let started = Instant::now();

    // The address the server prints once it listens.
    let stdout = server.0.stdout.take().expect("the server's output");
    let address = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.expect("a line of output");
            if let Some(rest) = line.split("http://").nth(1) {
                let address = rest.split('/').next().unwrap_or_default().to_string();
                // Keep reading (and dropping) the rest so the server never blocks on a full pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return address;
            }
        }
        panic!("the server ended without saying where it listens");
    })
    .await
    .expect("the address");
    assert_eq!(health(&address), "HTTP/1.1 200 OK", "the server answers");

    // Poll the inbox until the day's run has written the reminder (no fixed sleep).
    let today = zhibu_notify::scheduler::china_today();
    let expected_key = format!(
        "BRANCH.THEME_DAY.MONTHLY|{}|{}-{:02}|",
        branch.id,
        today.year(),
        today.month()
    );
    let store = backend.notifications().expect("the notification store");
    let deadline = Instant::now() + Duration::from_secs(60);
    let item = loop {
        let inbox = store.inbox(admin.id, 100).await.expect("read the inbox");
        if let Some(item) = inbox.into_iter().find(|item| item.item_key == expected_key) {
            break item;
        }
        if let Some(status) = server.0.try_wait().expect("the server's state") {
            panic!("the server stopped ({status}) before the reminder appeared");
        }
        assert!(
            Instant::now() < deadline,
            "no inbox item {expected_key} for the administrator within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(item.day, today, "the reminder is today's run");
    assert_eq!(item.org_id, branch.id);
    assert!(
        item.subject_zh.contains("第一党支部") || item.body_zh.contains("第一党支部"),
        "the reminder names the branch: {item:?}"
    );
    assert!(
        item.link_path.contains(&format!("/branches/{}", branch.id)),
        "the reminder links to the branch: {}",
        item.link_path
    );
    eprintln!(
        "the scheduler's reminder appeared {:?} after the server started",
        started.elapsed()
    );

    // Stopped: the process is gone.
    server.0.kill().expect("stop the server");
    let status = server.0.wait().expect("wait for the server");
    assert!(!status.success(), "the server was stopped, not finished");
}
