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

include!("support/harness.rs");

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
