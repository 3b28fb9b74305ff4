//! The committee dashboard and its drill page read the stored findings (issue 6): rows are the
//! organizations directly below the committee, a drill page lists exactly what a fresh evaluation
//! reports for its subtree, and a write made outside the pages (through the repository, as the
//! API, the CLI or another server would) is reflected on the next request, with the change number
//! the findings are as of.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use zhibu_core::engine::{self, EvaluationRequest, Finding};
use zhibu_core::rules::Catalogue;
use zhibu_core::{Exemption, Org, OrgId, OrgLevel};
use zhibu_demo::{DemoConfig, generate, load};
use zhibu_storage::stored::horizon_for;
use zhibu_storage::{Backend, ChangeMeta, ListRequest, Repository};
use zhibu_web::auth::create_demo_accounts;
use zhibu_web::{AppState, router};

const TODAY: (i32, u32, u32) = (2026, 6, 15);

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).expect("date")
}

struct App {
    router: Router,
    repository: Repository,
    database: PathBuf,
    cookie: String,
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

impl App {
    async fn send(&self, request: Request<Body>) -> (StatusCode, String, Option<String>) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let cookie = response
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.split(';').next().unwrap_or("").to_string());
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned(), cookie)
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let request = Request::get(path)
            .header(header::COOKIE, format!("{}; zhibu_lang=zh", self.cookie))
            .body(Body::empty())
            .expect("request");
        let (status, body, _) = self.send(request).await;
        // Links are compared as written, not as escaped in the HTML.
        (status, body.replace("&#38;", "&").replace("&amp;", "&"))
    }

    /// What a fresh evaluation reports for `org`'s subtree today.
    async fn fresh(&self, org: OrgId) -> Vec<Finding> {
        let request = EvaluationRequest {
            root: org,
            from: NaiveDate::from_ymd_opt(TODAY.0, 1, 1).expect("date"),
            to: NaiveDate::from_ymd_opt(TODAY.0, 12, 31).expect("date"),
            today: today(),
            horizon_days: horizon_for(today()),
        };
        let snapshot = self
            .repository
            .load_snapshot(org, request.from, request.to)
            .await
            .expect("snapshot");
        engine::evaluate(self.repository.catalogue(), &snapshot, &request).findings
    }

    async fn head(&self) -> i64 {
        self.repository
            .backend()
            .chain_head()
            .await
            .expect("head")
            .map_or(0, |head| head.seq)
    }
}

async fn app() -> App {
    let database =
        std::env::temp_dir().join(format!("zhibu-stored-dashboard-{}.db", std::process::id()));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", database.display()))
        .await
        .expect("connect to SQLite");
    backend.migrate().await.expect("migrate");
    let repository = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("the national catalogue")),
    );
    let dataset = generate(&DemoConfig::new(5, today()).with_branches(24));
    let summary = load(&repository, &dataset).await.expect("load the demo");
    let credentials = create_demo_accounts(&repository, summary.root)
        .await
        .expect("demo accounts");
    let staff = credentials
        .iter()
        .find(|credential| credential.login == "demo-staff")
        .expect("the committee staff account");
    let mut app = App {
        router: router(AppState::with_fixed_today(repository.clone(), today())),
        repository,
        database,
        cookie: String::new(),
    };
    let request = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "login": staff.login, "password": staff.password }).to_string(),
        ))
        .expect("request");
    let (status, body, cookie) = app.send(request).await;
    assert_eq!(status, StatusCode::OK, "sign in: {body}");
    app.cookie = cookie.expect("a session cookie");
    app
}

/// The finding keys a drill page lists.
fn listed_keys(body: &str) -> Vec<String> {
    body.split("data-key=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|key| key.replace("&#x7c;", "|").replace("&#124;", "|"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_reads_stored_findings_and_follows_writes() {
    let app = app().await;
    let orgs = app
        .repository
        .list::<Org>(&ListRequest {
            limit: Some(1000),
            ..ListRequest::default()
        })
        .await
        .expect("orgs")
        .items;
    let root = orgs
        .iter()
        .find(|org| org.body.parent_id.is_none())
        .expect("the root");
    let departments: Vec<_> = orgs
        .iter()
        .filter(|org| org.body.parent_id == Some(OrgId(root.id)))
        .collect();
    assert!(departments.len() >= 2, "the demo has departments");

    // The whole city: one row per department, each linking to its own dashboard.
    let (status, page) = app.get(&format!("/committees/{}?year=2026", root.id)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("id=\"freshness\""),
        "the page says what its findings are as of"
    );
    assert!(page.contains("2026年6月15日"), "as of today");
    assert!(
        page.contains(&format!("记录变更序号 {}", app.head().await)),
        "at the chain head"
    );
    for department in &departments {
        assert!(
            page.contains(&format!("/committees/{}?year=2026", department.id)),
            "a row links to the dashboard of {}",
            department.body.name
        );
    }
    let branch = orgs
        .iter()
        .find(|org| org.body.level == OrgLevel::Branch)
        .expect("a branch");
    let heatmap = &page[page.find("id=\"heatmap\"").expect("a heat map")..];
    let heatmap = &heatmap[..heatmap.find("</svg>").expect("the heat map's end")];
    assert!(
        !heatmap.contains(&format!("branch={}", branch.id)) && !heatmap.contains("branch="),
        "branches below departments are not rows of the city's heat map"
    );
    assert!(
        heatmap.contains("under="),
        "its cells drill into a department"
    );

    // Each department's drill page lists exactly what a fresh evaluation of it reports.
    let mut compared = 0;
    for department in &departments {
        let (status, drill) = app
            .get(&format!(
                "/committees/{}/findings?year=2026&under={}&status=all",
                root.id, department.id
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        let mut listed = listed_keys(&drill);
        let mut fresh: Vec<String> = app
            .fresh(OrgId(department.id))
            .await
            .into_iter()
            .map(|finding| finding.key)
            .collect();
        listed.sort();
        fresh.sort();
        assert_eq!(listed, fresh, "the drill page of {}", department.body.name);
        compared += fresh.len();
    }
    assert!(compared > 0, "the demo has findings to compare");

    // A department's dashboard has its branches as rows, drilling into each.
    let department = departments[0];
    let (status, page) = app
        .get(&format!("/committees/{}?year=2026", department.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    let below = orgs
        .iter()
        .find(|org| org.body.parent_id == Some(OrgId(department.id)))
        .expect("a branch of the department");
    assert!(page.contains(&format!(
        "/committees/{}/findings?year=2026&branch={}\"",
        department.id, below.id
    )));

    // A write outside the pages: an open finding exempted through the repository.
    let open = app
        .fresh(OrgId(root.id))
        .await
        .into_iter()
        .find(Finding::is_open)
        .expect("an open finding");
    app.repository
        .create(
            Exemption {
                org_id: open.org_id,
                finding_key: open.key.clone(),
                granted_by: OrgId(root.id),
                granted_on: today(),
                reason: "经工委研究同意".to_string(),
            },
            &ChangeMeta::by("demo-staff"),
        )
        .await
        .expect("exempt");
    let (_, page) = app.get(&format!("/committees/{}?year=2026", root.id)).await;
    assert!(
        page.contains(&format!("记录变更序号 {}", app.head().await)),
        "the next request is at the new chain head"
    );
    let (_, exempted) = app
        .get(&format!(
            "/committees/{}/findings?year=2026&status=exempted",
            root.id
        ))
        .await;
    assert!(
        listed_keys(&exempted).contains(&open.key),
        "the exemption shows on the drill page"
    );
    assert!(exempted.contains("经工委研究同意"));
    let (_, still_open) = app
        .get(&format!("/committees/{}/findings?year=2026", root.id))
        .await;
    assert!(!listed_keys(&still_open).contains(&open.key));
}
