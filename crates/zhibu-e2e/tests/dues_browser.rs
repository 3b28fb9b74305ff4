//! Issue 4's dues story in a real headless Chromium, driven through chromedriver, on the demo city
//! (which keeps three years of dues):
//!
//! 1. on a phone-sized window the branch secretary opens the month's collection before the
//!    themed Party day, sees who has not paid, records a member's payment made by a relative
//!    (委托代交) through the form, and sees the member leave the arrears list and the branch's
//!    arrears fall by exactly what was paid;
//! 2. the member signs in and sees their own ledger with the payment, and cannot open anyone
//!    else's ledger or the branch's collection;
//! 3. committee staff open the branch's collection and see the remittance, for this month (the one
//!    payment) and for last month (the demo's payments: non-zero amounts everywhere).
//!
//! Screenshots go to `artifacts/screenshots/` at the workspace root.
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
use zhibu_core::Member;
use zhibu_core::dues::YearMonth;
use zhibu_core::rules::Catalogue;
use zhibu_demo::{DemoConfig, generate, load};
use zhibu_storage::sealing::DataKey;
use zhibu_storage::{Backend, ListRequest, Repository};
use zhibu_web::auth::{DemoCredential, create_demo_accounts};
use zhibu_web::{AppState, RunningApp};

/// Early in July, before any branch's themed Party day (the 7th at the earliest this month) and at
/// the start of a quarter: the month's dues are not collected yet, not even from the members who
/// pay a quarter at a time.
const TODAY: &str = "2026-07-03";
const MONTH: &str = "2026-07";
const LAST_MONTH: &str = "2026-06";
const PAID_ON: &str = "2026-07-02";
const PROXY: &str = "李秀兰（家属）";
const PHONE: (u32, u32) = (390, 844);
const DESKTOP: (u32, u32) = (1280, 1000);

/// A month as the Chinese pages show it (`2026年7月`).
fn month_zh(month: &str) -> String {
    YearMonth::parse(month).expect("a month").label_zh()
}

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

fn screenshots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/screenshots");
    std::fs::create_dir_all(&dir).expect("create artifacts/screenshots");
    dir
}

/// An amount as the pages show it (`1234.56`), in fen.
fn fen_of(text: &str) -> i64 {
    let cleaned: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    let (yuan, fen) = cleaned.split_once('.').unwrap_or((&cleaned, "0"));
    let yuan: i64 = yuan
        .parse()
        .unwrap_or_else(|_| panic!("an amount: {text:?}"));
    let fen: i64 = format!("{fen:0<2}")[..2]
        .parse()
        .unwrap_or_else(|_| panic!("an amount: {text:?}"));
    yuan * 100 + if yuan < 0 { -fen } else { fen }
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

    async fn source(&self) -> String {
        self.client.source().await.expect("page source")
    }

    async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        }
    }

    async fn size(&self, (width, height): (u32, u32)) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize the window");
    }

    /// Saves a screenshot as `artifacts/screenshots/{name}.png`.
    async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write the screenshot");
    }

    /// Saves the whole page: the window is made as tall as the page (up to a limit) for the
    /// screenshot, then given back its size.
    async fn shot_full(&self, name: &str) {
        let (width, height) = {
            let rect = self.client.get_window_rect().await.expect("window size");
            (rect.2 as u32, rect.3 as u32)
        };
        let page_height = self
            .client
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .ok()
            .and_then(|value| value.as_u64())
            .unwrap_or(u64::from(height));
        self.size((width, (page_height as u32).clamp(height, 6000)))
            .await;
        self.shot(name).await;
        self.size((width, height)).await;
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

    /// The text of the first element matching `css`.
    async fn text(&self, css: &str) -> String {
        self.client
            .wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("find {css}: {error}"))
            .text()
            .await
            .unwrap_or_else(|error| panic!("text of {css}: {error}"))
    }

    /// Clears a text field (the form may come prefilled) and types into it.
    async fn type_into(&self, id: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|error| panic!("find #{id}: {error}"));
        field
            .clear()
            .await
            .unwrap_or_else(|error| panic!("clear #{id}: {error}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|error| panic!("type into #{id}: {error}"));
    }

    /// Sets a form field's value as a person would leave it (date inputs take no typed keys in a
    /// locale-independent way).
    async fn set_value(&self, id: &str, value: &str) {
        self.client
            .execute(
                "const field = document.getElementById(arguments[0]); field.value = arguments[1]; return field.value;",
                vec![json!(id), json!(value)],
            )
            .await
            .unwrap_or_else(|error| panic!("set #{id}: {error}"));
    }

    async fn sign_in(&self, credential: &DemoCredential) {
        self.client
            .delete_all_cookies()
            .await
            .expect("sign out by forgetting cookies");
        self.goto("/login").await;
        let login = self
            .client
            .wait()
            .for_element(Locator::Css("input[name=login]"))
            .await
            .expect("the sign-in form");
        login
            .send_keys(&credential.login)
            .await
            .expect("type the login");
        self.client
            .find(Locator::Css("input[name=password]"))
            .await
            .expect("password field")
            .send_keys(&credential.password)
            .await
            .expect("type the password");
        self.click("button[type=submit]").await;
        let started = Instant::now();
        while self.path().await.starts_with("/login") {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "still signing in: {}",
                self.source().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_for_text(&self, text: &str) {
        let started = Instant::now();
        loop {
            let page = self.client.source().await.unwrap_or_default();
            if page.contains(text) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the page never showed {text:?}:\n{}",
                self.source().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

struct World {
    _database: TempDir,
    repository: Repository,
    app: RunningApp,
    credentials: Vec<DemoCredential>,
}

impl World {
    fn credential(&self, login: &str) -> &DemoCredential {
        self.credentials
            .iter()
            .find(|credential| credential.login == login)
            .unwrap_or_else(|| panic!("no demo account {login}"))
    }

    /// The stored id of the member an account stands for (demo accounts carry the member's name).
    async fn member_of(&self, credential: &DemoCredential) -> i64 {
        let branch = credential.scope_org.expect("a branch account");
        self.repository
            .list::<Member>(&ListRequest {
                subtree: Some(branch),
                limit: Some(1000),
                ..ListRequest::default()
            })
            .await
            .expect("members")
            .items
            .into_iter()
            .find(|member| member.body.name == credential.display_name)
            .unwrap_or_else(|| panic!("no member named {}", credential.display_name))
            .id
    }
}

/// The demo city (a few branches, with their dues) in a fresh SQLite file, the demo accounts, and
/// the app serving it.
async fn world() -> World {
    let dir = std::env::temp_dir().join(format!("zhibu-e2e-dues-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let database = TempDir(dir);
    let backend = zhibu_storage_sqlite::connect(&format!(
        "sqlite://{}",
        database.0.join("zhibu.db").display()
    ))
    .await
    .expect("SQLite");
    backend.migrate().await.expect("migrate");
    // Income is sealed at rest: the demo is loaded with its dues only with a data key.
    let repository = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("catalogue")),
    )
    .with_data_key(Arc::new(DataKey::generate().0));
    let dataset = generate(&DemoConfig::new(7, date(TODAY)).with_branches(6));
    let summary = load(&repository, &dataset).await.expect("load the demo");
    assert!(
        summary.counts.dues_payments > 1000,
        "the demo keeps dues: {:?}",
        summary.counts
    );
    let credentials = create_demo_accounts(&repository, summary.root)
        .await
        .expect("demo accounts");
    let app = zhibu_web::spawn(AppState::with_fixed_today(repository.clone(), date(TODAY)))
        .await
        .expect("start the app");
    World {
        _database: database,
        repository,
        app,
        credentials,
    }
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
            format!("--window-size={},{}", PHONE.0, PHONE.1),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dues_story_of_issue_4_in_a_real_browser() {
    let Some(chromedriver) = find_chromedriver() else {
        let required = std::env::var("ZHIBU_REQUIRE_BROWSER").is_ok_and(|value| value == "1");
        eprintln!(
            "\n==============================================================\nSKIPPED: chromedriver not found — browser tests did not run\n(apt-get install -y chromium chromium-driver)\n==============================================================\n"
        );
        assert!(
            !required,
            "ZHIBU_REQUIRE_BROWSER=1 but chromedriver is not installed"
        );
        return;
    };
    let world = world().await;
    let profile = TempDir(
        std::env::temp_dir().join(format!("zhibu-e2e-dues-profile-{}", std::process::id())),
    );
    let (_chromedriver, client) = start_browser(&chromedriver, &profile.0).await;
    let browser = Browser {
        client,
        app: world.app.url(""),
        shots: screenshots_dir(),
    };

    let paid = secretary_records_a_payment_by_proxy(&world, &browser).await;
    the_member_sees_only_their_own_ledger(&world, &browser, paid).await;
    staff_see_the_remittance(&world, &browser, paid).await;

    browser
        .client
        .close()
        .await
        .expect("end the browser session");
    world.app.stop().await.expect("stop the app");
}

/// Story 1. Returns the amount paid, in fen.
async fn secretary_records_a_payment_by_proxy(world: &World, browser: &Browser) -> i64 {
    let secretary = world.credential("demo-secretary");
    let member = world.credential("demo-member");
    let branch = secretary.scope_org.expect("the secretary's branch");
    let member_id = world.member_of(member).await;

    browser.size(PHONE).await;
    browser.sign_in(secretary).await;
    // From the branch workspace to the dues page, as a secretary would.
    browser
        .goto(&format!("/branches/{branch}/dues?month={MONTH}"))
        .await;
    browser.wait_for_text("党费收缴").await;
    browser.shot("dues-01-collection-phone").await;
    browser.shot_full("dues-01-collection-phone-full").await;

    // Nobody has paid July yet: the member is in the arrears list, for July.
    let arrears = browser.text("#arrears").await;
    assert!(
        arrears.contains(&member.display_name) && arrears.contains(&month_zh(MONTH)),
        "{} has not paid {MONTH}: {arrears}",
        member.display_name
    );
    let arrears_before = fen_of(&browser.text("#arrears-total").await);
    // What the member owes this month, from their row of the collection table.
    let due_text: String = browser
        .client
        .execute(
            "for (const row of document.querySelectorAll('#collection tbody tr')) { \
               if (row.cells[0].innerText.trim() === arguments[0]) return row.cells[4].innerText; } \
             return null;",
            vec![json!(member.display_name)],
        )
        .await
        .expect("read the member's row")
        .as_str()
        .unwrap_or_else(|| panic!("no row for {}", member.display_name))
        .to_string();
    let due = fen_of(&due_text);
    assert!(due > 0, "the demo declared an income base: due {due_text}");

    // The record-payment form: member, amount, month, day, cash, paid by a relative.
    let chosen = browser
        .client
        .execute(
            "const select = document.getElementById('pay-member'); \
             for (const option of select.options) { if (option.value === arguments[0]) { select.value = option.value; return option.value; } } \
             return null;",
            vec![json!(member_id.to_string())],
        )
        .await
        .expect("choose the member");
    assert_eq!(chosen, json!(member_id.to_string()), "the member is listed");
    browser.type_into("pay-amount", &due_text).await;
    browser.type_into("pay-months", MONTH).await;
    browser.set_value("pay-date", PAID_ON).await;
    browser.set_value("pay-method", "cash").await;
    browser.type_into("pay-proxy", PROXY).await;
    browser.shot("dues-02-payment-form-phone").await;
    browser.click("#record-payment-submit").await;
    browser.wait_for_text("id=\"dues-saved\"").await;
    browser.shot("dues-03-payment-recorded-phone").await;

    // The member has left the arrears list and the branch owes exactly that much less.
    let arrears = browser.text("#arrears").await;
    assert!(
        !arrears.contains(&member.display_name),
        "{} paid: {arrears}",
        member.display_name
    );
    let arrears_after = fen_of(&browser.text("#arrears-total").await);
    assert_eq!(arrears_before - arrears_after, due);
    let collected = fen_of(&browser.text("#collected").await);
    assert_eq!(collected, due, "the one payment received in {MONTH}");
    due
}

/// Story 2.
async fn the_member_sees_only_their_own_ledger(world: &World, browser: &Browser, paid: i64) {
    let member = world.credential("demo-member");
    let secretary = world.credential("demo-secretary");
    let branch = member.scope_org.expect("the member's branch");
    let own = world.member_of(member).await;
    let other = world.member_of(secretary).await;

    browser.sign_in(member).await;
    browser.goto(&format!("/members/{own}/dues")).await;
    browser.wait_for_text("党费账").await;
    let ledger = browser.text("#ledger-months").await;
    assert!(ledger.contains(&month_zh(MONTH)), "{ledger}");
    let month_paid: serde_json::Value = browser
        .client
        .execute(
            "for (const row of document.querySelectorAll('#ledger-months tbody tr')) { \
               if (row.cells[0].innerText.includes(arguments[0])) return row.cells[5].innerText; } \
             return null;",
            vec![json!(month_zh(MONTH))],
        )
        .await
        .expect("read the month's row");
    let month_paid = month_paid
        .as_str()
        .map(fen_of)
        .unwrap_or_else(|| panic!("no row for {MONTH}: {ledger}"));
    assert_eq!(month_paid, paid);
    // Years of the demo's payments before it: paid in full, nothing in arrears.
    assert_eq!(fen_of(&browser.text("#ledger-arrears").await), 0);
    browser.shot("dues-04-member-ledger-phone").await;

    // Nobody else's ledger, and not the branch's collection.
    browser.goto(&format!("/members/{other}/dues")).await;
    let page = browser.source().await;
    assert!(
        !page.contains("id=\"ledger-months\"") && !page.contains(&secretary.display_name),
        "a member cannot read another member's ledger"
    );
    browser
        .goto(&format!("/branches/{branch}/dues?month={MONTH}"))
        .await;
    let page = browser.source().await;
    assert!(
        !page.contains("id=\"collection\"") && !page.contains("id=\"remittance\""),
        "a member cannot read the branch's collection"
    );
}

/// Story 3.
async fn staff_see_the_remittance(world: &World, browser: &Browser, paid: i64) {
    let staff = world.credential("demo-staff");
    let branch = world
        .credential("demo-secretary")
        .scope_org
        .expect("the secretary's branch");

    browser.size(DESKTOP).await;
    browser.sign_in(staff).await;
    browser
        .goto(&format!("/branches/{branch}/dues?month={MONTH}"))
        .await;
    browser.wait_for_text("上缴").await;
    assert_eq!(
        fen_of(&browser.text("#remit-total").await),
        paid,
        "the branch remits everything it collects (the demo's setting)"
    );

    // Last month, from the demo's own payments: non-zero amounts everywhere.
    browser
        .goto(&format!("/branches/{branch}/dues?month={LAST_MONTH}"))
        .await;
    browser.wait_for_text("上缴").await;
    let expected = fen_of(&browser.text("#expected").await);
    let collected = fen_of(&browser.text("#collected").await);
    let remitted = fen_of(&browser.text("#remit-total").await);
    assert!(
        expected > 0 && collected > 0 && remitted > 0,
        "{LAST_MONTH}: expected {expected}, collected {collected}, remitted {remitted}"
    );
    let rows = browser
        .client
        .find_all(Locator::Css("#collection tbody tr"))
        .await
        .expect("collection rows");
    assert!(rows.len() >= 3, "{} rows", rows.len());
    browser.shot("dues-05-staff-remittance-desktop").await;
}
