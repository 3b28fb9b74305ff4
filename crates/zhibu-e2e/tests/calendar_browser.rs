//! Issue 7 in a real headless Chromium, driven through chromedriver: committee staff open the
//! committee's regularity page from the dashboard, drill from a branch's burst count into the fact
//! and open one of the records behind it; a branch secretary makes a calendar subscription and
//! sees its address once. Screenshots go to `artifacts/screenshots/` at the workspace root.
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
use zhibu_core::rules::Catalogue;
use zhibu_demo::{DemoConfig, generate, load};
use zhibu_storage::{Backend, Repository};
use zhibu_web::AppState;
use zhibu_web::auth::create_demo_accounts;

const TODAY: &str = "2026-06-15";
const DESKTOP: (u32, u32) = (1280, 1000);

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

fn find_chromedriver() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromedriver"))
        .find(|candidate| candidate.is_file())
}

/// A process this test started, ended when the test ends, however it ends.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _already_gone = self.0.kill();
        let _reaped = self.0.wait();
    }
}

/// A directory removed when the test ends.
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
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
            "--no-first-run", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            format!("--user-data-dir={}", profile.display()),
            format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
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

struct Browser {
    client: Client,
    app: String,
    shots: PathBuf,
}

impl Browser {
    async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.app))
            .await
            .unwrap_or_else(|error| panic!("open {path}: {error}"));
    }

    async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        }
    }

    async fn source(&self) -> String {
        self.client.source().await.expect("page source")
    }

    async fn click(&self, css: &str) {
        self.client
            .wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("find {css}: {error}"))
            .click()
            .await
            .unwrap_or_else(|error| panic!("click {css}: {error}"));
    }

    async fn wait_for_path(&self, prefix: &str) {
        let started = Instant::now();
        while !self.path().await.starts_with(prefix) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "never reached {prefix}: at {}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The whole page as `artifacts/screenshots/{name}.png`.
    async fn shot_full(&self, name: &str) {
        let page_height = self
            .client
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .ok()
            .and_then(|value| value.as_u64())
            .unwrap_or(u64::from(DESKTOP.1));
        self.client
            .set_window_size(DESKTOP.0, (page_height as u32).clamp(DESKTOP.1, 6000))
            .await
            .expect("resize");
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write the screenshot");
        self.client
            .set_window_size(DESKTOP.0, DESKTOP.1)
            .await
            .expect("resize back");
    }

    async fn sign_in(&self, login: &str, password: &str) {
        self.client
            .delete_all_cookies()
            .await
            .expect("forget cookies");
        self.goto("/login").await;
        self.client
            .wait()
            .for_element(Locator::Css("input[name=login]"))
            .await
            .expect("the sign-in form")
            .send_keys(login)
            .await
            .expect("type the login");
        self.client
            .find(Locator::Css("input[name=password]"))
            .await
            .expect("password field")
            .send_keys(password)
            .await
            .expect("type the password");
        self.click("button[type=submit]").await;
        let started = Instant::now();
        while self.path().await.starts_with("/login") {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "still signing in"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committee_staff_drill_from_regularity_into_a_fact_and_a_secretary_subscribes() {
    let Some(chromedriver) = find_chromedriver() else {
        let required = std::env::var("ZHIBU_REQUIRE_BROWSER").is_ok_and(|value| value == "1");
        eprintln!(
            "\n==============================================================\nSKIPPED: chromedriver not found — the calendar and regularity browser test did not run\n(apt-get install -y chromium chromium-driver)\n==============================================================\n"
        );
        assert!(
            !required,
            "ZHIBU_REQUIRE_BROWSER=1 but chromedriver is not installed"
        );
        return;
    };
    let dir = TempDir(std::env::temp_dir().join(format!("zhibu-e2e-cal-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).expect("temp dir");
    let backend =
        zhibu_storage_sqlite::connect(&format!("sqlite://{}", dir.0.join("zhibu.db").display()))
            .await
            .expect("SQLite");
    backend.migrate().await.expect("migrate");
    let repository = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("catalogue")),
    );
    // Twelve branches: the generator plants a December catch-up among them.
    let dataset = generate(&DemoConfig::new(7, date(TODAY)).with_branches(12));
    let summary = load(&repository, &dataset).await.expect("load the demo");
    let credentials = create_demo_accounts(&repository, summary.root)
        .await
        .expect("demo accounts");
    let planted = summary
        .planted
        .iter()
        .find(|planted| planted.description_zh.contains("12月集中召开3次补齐"))
        .expect("a December catch-up branch");
    let (catch_up, year) = (planted.org_id, &planted.period_label[..4]);
    let app = zhibu_web::spawn(AppState::with_fixed_today(repository.clone(), date(TODAY)))
        .await
        .expect("start the app");
    let profile =
        TempDir(std::env::temp_dir().join(format!("zhibu-e2e-cal-profile-{}", std::process::id())));
    let (_chromedriver, client) = start_browser(&chromedriver, &profile.0).await;
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/screenshots");
    std::fs::create_dir_all(&shots).expect("create artifacts/screenshots");
    let browser = Browser {
        client,
        app: app.url(""),
        shots,
    };
    let password = |login: &str| {
        credentials
            .iter()
            .find(|credential| credential.login == login)
            .map(|credential| credential.password.clone())
            .expect("a demo account")
    };

    // Committee staff: dashboard → regularity → the catch-up branch's burst → one of its records.
    browser.sign_in("demo-staff", &password("demo-staff")).await;
    browser
        .goto(&format!("/committees/{}?year={year}", summary.root))
        .await;
    browser.click("#regularity-link").await;
    browser
        .wait_for_path(&format!("/committees/{}/regularity", summary.root))
        .await;
    let page = browser.source().await;
    assert!(page.contains("id=\"branch-facts\""), "{page}");
    browser.shot_full("regularity-committee").await;
    browser
        .click(&format!(
            "a.fact-count[href='/branches/{catch_up}/regularity?year={year}&kind=duty_burst']"
        ))
        .await;
    browser
        .wait_for_path(&format!("/branches/{catch_up}/regularity"))
        .await;
    let page = browser.source().await;
    assert_eq!(
        page.matches("<li class=\"finding\"").count(),
        1,
        "just the burst: {page}"
    );
    assert!(page.contains("集中补开"));
    // The fact itself: narrowed to it, with its records open.
    browser.click("#facts a.fact-link").await;
    browser
        .wait_for_path(&format!(
            "/branches/{catch_up}/regularity?year={year}&fact="
        ))
        .await;
    let page = browser.source().await;
    assert!(
        page.contains("<details open"),
        "the fact's records are open"
    );
    browser.shot_full("regularity-fact").await;
    browser.click("#facts details ul.evidence a").await;
    browser.wait_for_path("/meetings/").await;
    let page = browser.source().await;
    assert!(
        page.contains("支部委员会会议"),
        "a December committee meeting"
    );
    assert!(page.contains(&format!("{year}年12月")), "held in December");

    // A secretary makes a subscription and sees its address once.
    browser
        .sign_in("demo-secretary", &password("demo-secretary"))
        .await;
    browser.goto("/account/calendars").await;
    browser.click("#create-feed").await;
    let started = Instant::now();
    while !browser.source().await.contains("id=\"feed-url\"") {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no address shown"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let address = browser
        .client
        .find(Locator::Css("#feed-url"))
        .await
        .expect("the address")
        .prop("value")
        .await
        .expect("its value")
        .expect("a value");
    assert!(
        address.contains("/feeds/") && address.ends_with(".ics"),
        "{address}"
    );
    browser.shot_full("calendar-subscription").await;
    browser.goto("/account/calendars").await;
    assert!(
        !browser.source().await.contains(&address),
        "the address is shown only once"
    );
    app.stop().await.expect("stop the app");
}
