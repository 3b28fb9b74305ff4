//! Issue 5 in a real headless Chromium: a branch secretary opens a general meeting of a branch
//! where 20 members have a vote and 11 came, sees the entitlement as frozen, records an admission
//! vote, and reads the result with its arithmetic (11 > 20 × 1/2 = 10: passed). Screenshots go to
//! `artifacts/screenshots/votes-*.png`.
//!
//! Without chromedriver the test says so loudly and passes, unless `ZHIBU_REQUIRE_BROWSER=1` (set
//! by `.ci/run`), when a missing browser is a failure.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use zhibu_storage::Backend;
use zhibu_storage::ballot_suite::meeting_of_20;
use zhibu_web::AppState;
use zhibu_web::auth::Role;
use zhibu_web::auth::handlers::{NewAccountRequest, create_account};

const TODAY: &str = "2026-06-25";

fn find_chromedriver() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromedriver"))
        .find(|candidate| candidate.is_file())
}

/// A process this test started, ended when the test ends.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _already_gone = self.0.kill();
        let _reaped = self.0.wait();
    }
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _best_effort = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

async fn start_browser(chromedriver: &Path, profile: &Path) -> (ChildGuard, Client) {
    let port = free_port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let guard = ChildGuard(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start listening"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut options = json!({
        "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage",
            format!("--user-data-dir={}", profile.display()),
            "--window-size=1280,1000",
        ]
    });
    if Path::new("/usr/bin/chromium").exists() {
        options["binary"] = json!("/usr/bin/chromium");
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".to_string(), options);
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a chromedriver session");
    (guard, client)
}

async fn wait_for_text(client: &Client, text: &str) -> String {
    let started = Instant::now();
    loop {
        let page = client.source().await.unwrap_or_default();
        if page.contains(text) {
            return page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the page never showed {text}:\n{page}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn fill(client: &Client, css: &str, text: &str) {
    let field = client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("find {css}: {error}"));
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

async fn click(client: &Client, css: &str) {
    client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("find {css}: {error}"))
        .click()
        .await
        .unwrap_or_else(|error| panic!("click {css}: {error}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secretary_records_an_admission_vote_of_eleven_present_out_of_twenty_and_sees_it_pass() {
    let Some(chromedriver) = find_chromedriver() else {
        let required = std::env::var("ZHIBU_REQUIRE_BROWSER").is_ok_and(|value| value == "1");
        eprintln!(
            "\n==============================================================\nSKIPPED: chromedriver not found — the votes browser story did not run\n(apt-get install -y chromium chromium-driver)\n==============================================================\n"
        );
        assert!(
            !required,
            "ZHIBU_REQUIRE_BROWSER=1 but chromedriver is not installed"
        );
        return;
    };
    let dir = TempDir(std::env::temp_dir().join(format!("zhibu-e2e-votes-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).expect("temp dir");
    let backend =
        zhibu_storage_sqlite::connect(&format!("sqlite://{}", dir.0.join("zhibu.db").display()))
            .await
            .expect("SQLite");
    backend.migrate().await.expect("migrate");
    let backend: Arc<dyn Backend> = Arc::new(backend);
    let world = meeting_of_20(backend, 11).await;
    let password = create_account(
        &world.repo,
        &NewAccountRequest {
            login: "votes-secretary".into(),
            display_name: "支部书记".into(),
            role: Role::BranchSecretary,
            scope_org: Some(world.branch.0),
            member_id: Some(world.voters[0].0),
        },
        false,
    )
    .await
    .expect("account")
    .one_time_password;
    let today = NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").expect("date");
    let app = zhibu_web::spawn(AppState::with_fixed_today(world.repo.clone(), today))
        .await
        .expect("start the app");
    let profile = TempDir(
        std::env::temp_dir().join(format!("zhibu-e2e-votes-profile-{}", std::process::id())),
    );
    let (_chromedriver, client) = start_browser(&chromedriver, &profile.0).await;
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshots dir");
    let base = app.url("");

    client
        .goto(&format!("{base}/login"))
        .await
        .expect("open the sign-in page");
    fill(&client, "input[name=login]", "votes-secretary").await;
    fill(&client, "input[name=password]", &password).await;
    click(&client, "button[type=submit]").await;
    let started = Instant::now();
    while client
        .current_url()
        .await
        .expect("url")
        .path()
        .starts_with("/login")
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still signing in"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // From the meeting page to its votes.
    client
        .goto(&format!("{base}/meetings/{}", world.meeting.0))
        .await
        .expect("open the meeting");
    click(&client, "#votes-link").await;
    let page = wait_for_text(&client, "entitlement-counts").await;
    assert!(page.contains("20 / 11"), "20 may vote, 11 present");
    assert!(page.contains("预备党员") && page.contains("留党察看"));
    std::fs::write(
        shots.join("votes-entitlement.png"),
        client.screenshot().await.expect("screenshot"),
    )
    .expect("write screenshot");

    // Record the admission vote: 张发展, secret ballot, 11 yes.
    click(
        &client,
        &format!("input[name=candidate][value=\"{}\"]", world.candidate.0),
    )
    .await;
    fill(&client, "#vote-yes", "11").await;
    fill(&client, "#vote-no", "0").await;
    fill(&client, "#vote-abstain", "0").await;
    click(&client, "#save-vote").await;
    let result = wait_for_text(&client, "vote-arithmetic").await;
    assert!(result.contains("id=\"vote-verdict\">通过<"), "{result}");
    assert!(
        result.contains("须超过20 × 1/2 = 10；实际 11 &gt; 10？满足")
            || result.contains("须超过20 × 1/2 = 10；实际 11 &#62; 10？满足")
            || result.contains("须超过20 × 1/2 = 10；实际 11 > 10？满足"),
        "{result}"
    );
    let path = client.current_url().await.expect("url").path().to_string();
    assert!(path.starts_with("/votes/"), "{path}");
    std::fs::write(
        shots.join("votes-result.png"),
        client.screenshot().await.expect("screenshot"),
    )
    .expect("write screenshot");

    // The vote is in storage once, as totals.
    let stored = world
        .repo
        .backend()
        .list(&zhibu_storage::RecordQuery::all(
            zhibu_core::RecordKind::Vote,
        ))
        .await
        .expect("votes");
    assert_eq!(stored.len(), 1);
    let _ = client.close().await;
    app.stop().await.expect("stop the app");
}
