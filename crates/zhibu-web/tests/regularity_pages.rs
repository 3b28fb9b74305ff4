//! The regularity (常态化) pages (issue 7) over a generated city loaded into a real SQLite file:
//! the planted late entries and December catch-up show on their branch's page with the records
//! behind them linked; the committee page lists every branch in tree order beside its open findings
//! and drills into the records behind each count; the late-entry threshold is the server's setting;
//! members and outsiders are kept out.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Datelike, NaiveDate};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use zhibu_core::regularity::RegularityParameters;
use zhibu_core::rules::Catalogue;
use zhibu_core::{Org, OrgId, OrgLevel};
use zhibu_demo::{DemoConfig, DemoSummary, generate, load};
use zhibu_storage::{Backend, Repository};
use zhibu_web::auth::{DemoCredential, create_demo_accounts};
use zhibu_web::{AppState, router};

const TODAY: &str = "2026-06-15";

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

struct App {
    router: Router,
    repository: Repository,
    database: PathBuf,
    credentials: Vec<DemoCredential>,
    summary: DemoSummary,
}

impl Drop for App {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.database.clone().into_os_string();
            path.push(suffix);
            let _missing_is_fine = std::fs::remove_file(&path);
        }
    }
}

struct Page {
    status: StatusCode,
    location: String,
    body: String,
}

/// A city of 12 branches as of 2026-06-15: large enough that the generator plants a December
/// catch-up branch and a late-entry branch.
async fn app() -> App {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let database = std::env::temp_dir().join(format!(
        "zhibu-regularity-test-{}-{}.db",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", database.display()))
        .await
        .expect("connect to SQLite");
    backend.migrate().await.expect("migrate");
    let repository = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("the national catalogue")),
    );
    let dataset = generate(&DemoConfig::new(7, date(TODAY)).with_branches(12));
    let summary = load(&repository, &dataset).await.expect("load the demo");
    let credentials = create_demo_accounts(&repository, summary.root)
        .await
        .expect("demo accounts");
    App {
        router: router(AppState::with_fixed_today(repository.clone(), date(TODAY))),
        repository,
        database,
        credentials,
        summary,
    }
}

/// A signed-in browser's cookie header, in a language.
#[derive(Clone)]
struct Session {
    cookie: String,
}

impl App {
    fn credential(&self, login: &str) -> &DemoCredential {
        self.credentials
            .iter()
            .find(|credential| credential.login == login)
            .unwrap_or_else(|| panic!("no demo account {login}"))
    }

    async fn send(router: &Router, request: Request<Body>) -> Page {
        let response = router.clone().oneshot(request).await.expect("an answer");
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Page {
            status,
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn sign_in(&self, login: &str, lang: &str) -> Session {
        let password = &self.credential(login).password;
        let request = Request::post("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({ "login": login, "password": password }).to_string(),
            ))
            .expect("request");
        let response = self.router.clone().oneshot(request).await.expect("answer");
        assert_eq!(response.status(), StatusCode::OK, "sign in as {login}");
        let cookie = response.headers()[header::SET_COOKIE]
            .to_str()
            .expect("cookie")
            .split(';')
            .next()
            .expect("pair")
            .to_string();
        Session {
            cookie: format!("{cookie}; zhibu_lang={lang}"),
        }
    }

    async fn get_with(router: &Router, session: &Session, path: &str) -> Page {
        let request = Request::get(path)
            .header(header::COOKIE, &session.cookie)
            .body(Body::empty())
            .expect("request");
        App::send(router, request).await
    }

    async fn get(&self, session: &Session, path: &str) -> Page {
        App::get_with(&self.router, session, path).await
    }

    /// The branch a late record is kept under (its party group's branch for a group meeting).
    async fn branch_of(&self, org: OrgId) -> OrgId {
        let stored = self.repository.get::<Org>(org).await.expect("the org");
        match stored.body.level {
            OrgLevel::PartyGroup => stored.body.parent_id.expect("a group's branch"),
            _ => org,
        }
    }
}

/// The text between `start` and the next `end` after it, for each occurrence.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    text.match_indices(start)
        .filter_map(|(index, _)| {
            let rest = &text[index + start.len()..];
            rest.find(end).map(|stop| &rest[..stop])
        })
        .collect()
}

/// The ids of the facts listed on a branch regularity page, as their anchors.
fn fact_anchors(body: &str) -> Vec<String> {
    between(body, "<li class=\"finding\" id=\"", "\"")
        .into_iter()
        .map(String::from)
        .collect()
}

/// The branch's December catch-up, from the engine findings the demo planted for it.
fn december_catch_up(summary: &DemoSummary) -> (OrgId, i32) {
    let planted = summary
        .planted
        .iter()
        .find(|planted| planted.description_zh.contains("12月集中召开3次补齐"))
        .expect("the city has a December catch-up branch");
    let year: i32 = planted.period_label[..4].parse().expect("a year");
    (planted.org_id, year)
}

#[tokio::test]
async fn a_branch_page_shows_each_planted_fact_with_the_records_behind_it() {
    let app = app().await;
    let staff = app.sign_in("demo-staff", "zh").await;

    // The late-entry branch: every late record is a fact of its year, linked to the record.
    let late = app
        .summary
        .late_entries
        .first()
        .cloned()
        .expect("the city has a late-entry branch");
    let branch = app.branch_of(late.org_id).await;
    let year = late.event_date.year();
    let page = app
        .get(
            &staff,
            &format!("/branches/{branch}/regularity?year={year}"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let anchors = fact_anchors(&page.body);
    let mut expected_late = BTreeSet::new();
    for entry in &app.summary.late_entries {
        if app.branch_of(entry.org_id).await == branch && entry.event_date.year() == year {
            let id = entry.record_id.expect("a stored id");
            expected_late.insert(format!("fact-late_entry-meeting-{id}"));
            assert!(
                page.body.contains(&format!("href=\"/meetings/{id}\"")),
                "the late record {id} is linked"
            );
        }
    }
    let shown_late: BTreeSet<String> = anchors
        .iter()
        .filter(|anchor| anchor.starts_with("fact-late_entry"))
        .cloned()
        .collect();
    assert_eq!(shown_late, expected_late);
    assert!(
        anchors
            .iter()
            .all(|anchor| anchor.starts_with("fact-late_entry")),
        "a late-entry branch has no other fact: {anchors:?}"
    );
    assert!(
        page.body.contains("天才录入"),
        "the share of late records is stated: {}",
        between(&page.body, "<p id=\"late-share\">", "</p>").join("")
    );
    assert!(
        page.body.contains("活动后满30天"),
        "the threshold is stated"
    );

    // The December catch-up branch: one burst, its three December meetings linked.
    let (catch_up, catch_up_year) = december_catch_up(&app.summary);
    let page = app
        .get(
            &staff,
            &format!("/branches/{catch_up}/regularity?year={catch_up_year}"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let anchor = format!("fact-duty_burst-{catch_up}-committee_meeting-{catch_up_year}-Q4");
    assert_eq!(fact_anchors(&page.body), vec![anchor.clone()]);
    let fact = &page.body[page.body.find(&anchor).expect("the burst")..];
    let fact = &fact[..fact.find("</li>\n  \n").unwrap_or(fact.len())];
    let evidence: Vec<&str> = between(fact, "<a href=\"/meetings/", "\"");
    assert_eq!(
        evidence.len(),
        3,
        "three December committee meetings: {fact}"
    );
    // Its own-month tally lists October and November.
    let duties = between(&page.body, "<table id=\"duties\">", "</table>").join("");
    assert!(
        duties.contains(&format!("{catch_up_year}-10、{catch_up_year}-11")),
        "{duties}"
    );

    // Narrowed to the one fact, it is open with its records; the link back shows all facts.
    let key = format!("duty_burst|{catch_up}|committee_meeting|{catch_up_year}-Q4");
    let encoded: String = form_urlencoded::byte_serialize(key.as_bytes()).collect();
    let page = app
        .get(
            &staff,
            &format!("/branches/{catch_up}/regularity?year={catch_up_year}&fact={encoded}"),
        )
        .await;
    assert_eq!(fact_anchors(&page.body), vec![anchor.clone()]);
    assert!(
        page.body.contains("<details open>"),
        "the only fact is open"
    );
    assert!(page.body.contains("id=\"fact-filter\""));

    // A month filter shows the facts that sit in that month: the burst sits in December.
    let december = app
        .get(
            &staff,
            &format!("/branches/{catch_up}/regularity?year={catch_up_year}&month=12"),
        )
        .await;
    assert_eq!(fact_anchors(&december.body), vec![anchor.clone()]);
    let october = app
        .get(
            &staff,
            &format!("/branches/{catch_up}/regularity?year={catch_up_year}&month=10"),
        )
        .await;
    assert!(fact_anchors(&october.body).is_empty());

    // In English.
    let english = app.sign_in("demo-staff", "en").await;
    let page = app
        .get(
            &english,
            &format!("/branches/{catch_up}/regularity?year={catch_up_year}"),
        )
        .await;
    assert!(page.body.contains("Burst"), "{}", page.body);
    assert!(page.body.contains("The records behind it"));

    // A committee's id goes on to the committee page, a group's is not a branch page.
    let page = app
        .get(
            &staff,
            &format!("/branches/{}/regularity?year=2025", app.summary.root),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location,
        format!("/committees/{}/regularity?year=2025", app.summary.root)
    );
}

#[tokio::test]
async fn the_committee_page_lists_branches_in_tree_order_beside_their_findings_and_drills_in() {
    let app = app().await;
    let staff = app.sign_in("demo-staff", "zh").await;
    let root = app.summary.root;
    let (catch_up, year) = december_catch_up(&app.summary);
    let page = app
        .get(
            &staff,
            &format!("/committees/{root}/regularity?year={year}"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let table = between(&page.body, "<table id=\"branch-facts\">", "</table>").join("");
    let rows: Vec<&str> = table.split("<tr>").skip(2).collect();
    let branch_count = app.repository_branches().await;
    assert_eq!(rows.len(), branch_count, "a row per branch");

    // Tree order, never by counts: by the parent's name, then the branch's.
    let names: Vec<(String, String)> = rows
        .iter()
        .map(|row| {
            let name = between(row, "class=\"branch-link\" href=\"", "</a>")
                .first()
                .and_then(|text| text.split_once("\">"))
                .map(|(_, name)| name.to_string())
                .expect("a branch name");
            let parent = between(row, "<span class=\"muted\">", "</span>")
                .first()
                .map(|text| text.to_string())
                .unwrap_or_default();
            (parent, name)
        })
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);

    // The catch-up branch's row: one burst, linked to its page narrowed to bursts; its open
    // findings link to the drill page and agree with it.
    let row = rows
        .iter()
        .find(|row| {
            row.contains(&format!(
                "href=\"/branches/{catch_up}/regularity?year={year}\""
            ))
        })
        .expect("the catch-up branch's row");
    let burst_href = format!("/branches/{catch_up}/regularity?year={year}&#38;kind=duty_burst");
    assert!(
        row.contains(&format!("class=\"fact-count\" href=\"{burst_href}\">1</a>")),
        "{row}"
    );
    let findings_href = format!("/committees/{root}/findings?year={year}&#38;branch={catch_up}");
    let findings_count: usize = between(row, &format!("href=\"{findings_href}\">"), "</a>")
        .first()
        .and_then(|text| text.parse().ok())
        .expect("the open findings count");
    assert!(findings_count >= 2, "October and November were missed");
    let drill = app.get(&staff, &findings_href.replace("&#38;", "&")).await;
    assert_eq!(drill.status, StatusCode::OK);
    let open_on_drill = between(&drill.body, "data-key=\"", "\"").len();
    assert_eq!(
        findings_count, open_on_drill,
        "the counts agree with the drill page"
    );

    // Drill into the burst: the branch page lists just the burst and its records.
    let narrowed = app.get(&staff, &burst_href.replace("&#38;", "&")).await;
    let anchors = fact_anchors(&narrowed.body);
    assert_eq!(anchors.len(), 1, "{anchors:?}");
    assert!(anchors[0].starts_with("fact-duty_burst"));

    // The late-entry branch's row links its late count to its late records.
    let late = app
        .summary
        .late_entries
        .first()
        .cloned()
        .expect("a late record");
    let late_branch = app.branch_of(late.org_id).await;
    let late_year = late.event_date.year();
    let page = app
        .get(
            &staff,
            &format!("/committees/{root}/regularity?year={late_year}"),
        )
        .await;
    assert!(
        page.body.contains(&format!(
            "class=\"fact-count\" href=\"/branches/{late_branch}/regularity?year={late_year}&#38;kind=late_entry\""
        )),
        "the late count links to the late records"
    );
    // The year's trend is drawn.
    assert!(page.body.contains("id=\"regularity-trend\""));
    assert_eq!(page.body.matches("id=\"month-bar-").count(), 12);

    // A branch's id goes on to the branch's page.
    let page = app
        .get(
            &staff,
            &format!("/committees/{catch_up}/regularity?year={year}"),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location,
        format!("/branches/{catch_up}/regularity?year={year}")
    );
}

impl App {
    async fn repository_branches(&self) -> usize {
        let snapshot = self
            .repository
            .load_snapshot(self.summary.root, date("2025-01-01"), date("2025-12-31"))
            .await
            .expect("snapshot");
        snapshot
            .orgs
            .iter()
            .filter(|org| org.body.level == OrgLevel::Branch)
            .count()
    }
}

#[tokio::test]
async fn the_late_entry_threshold_is_the_servers_setting() {
    let app = app().await;
    let late = app
        .summary
        .late_entries
        .first()
        .cloned()
        .expect("a late record");
    let branch = app.branch_of(late.org_id).await;
    let year = late.event_date.year();
    let path = format!("/branches/{branch}/regularity?year={year}");
    let staff = app.sign_in("demo-staff", "zh").await;
    let default = app.get(&staff, &path).await;
    assert!(
        fact_anchors(&default.body)
            .iter()
            .any(|anchor| anchor.starts_with("fact-late_entry")),
        "late at 30 days"
    );
    // The demo's late months are entered 30 to 57 days late: none of them is late at 60.
    assert!(
        app.summary
            .late_entries
            .iter()
            .all(|entry| entry.delay_days < 60)
    );
    let strict = router(
        AppState::with_fixed_today(app.repository.clone(), date(TODAY)).with_regularity(
            RegularityParameters {
                late_entry_days: 60,
                ..RegularityParameters::default()
            },
        ),
    );
    let page = App::get_with(&strict, &staff, &path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("活动后满60天"), "the setting is stated");
    assert!(
        !fact_anchors(&page.body)
            .iter()
            .any(|anchor| anchor.starts_with("fact-late_entry")),
        "nothing is late at 60 days"
    );
}

#[tokio::test]
async fn members_and_outsiders_are_kept_out_and_the_workspace_and_dashboard_link_here() {
    let app = app().await;
    let secretary = app
        .credential("demo-secretary")
        .scope_org
        .expect("a branch");
    let member = app.sign_in("demo-member", "zh").await;
    let page = app
        .get(&member, &format!("/branches/{secretary}/regularity"))
        .await;
    assert_eq!(
        page.status,
        StatusCode::NOT_FOUND,
        "members read no findings"
    );
    let officer = app.sign_in("demo-secretary", "zh").await;
    let own = app
        .get(&officer, &format!("/branches/{secretary}/regularity"))
        .await;
    assert_eq!(own.status, StatusCode::OK);
    let other = app
        .credential("demo-member-other")
        .scope_org
        .expect("a branch");
    let page = app
        .get(&officer, &format!("/branches/{other}/regularity"))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "another branch");
    let page = app
        .get(
            &officer,
            &format!("/committees/{}/regularity", app.summary.root),
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "the committee above");

    let workspace = app.get(&officer, &format!("/branches/{secretary}")).await;
    assert!(
        workspace.body.contains(&format!(
            "href=\"/branches/{secretary}/regularity?year=2026\""
        )),
        "the workspace links to its regularity page"
    );
    let staff = app.sign_in("demo-staff", "zh").await;
    let dashboard = app
        .get(&staff, &format!("/committees/{}", app.summary.root))
        .await;
    assert!(
        dashboard.body.contains(&format!(
            "href=\"/committees/{}/regularity?year=2026\"",
            app.summary.root
        )),
        "the dashboard links to the committee's regularity page"
    );
}
