//! How long the server takes to render the committee dashboard over the demo city (300 branches,
//! three years of records), measured through the router as a signed-in committee staff member.
//!
//! Run with `cargo bench -p zhibu-web --bench dashboard` (release profile). It builds the demo into
//! a temporary SQLite file (the first minute or so), then renders the dashboard of the top
//! committee:
//! - cold: with an empty findings cache (a fresh router each time), so the engine evaluates the
//!   whole subtree for the year;
//! - warm: the same router again and again, as every page after the first until something is
//!   written;
//! - after a write: a meeting is recorded, then the dashboard rendered (the cache applies the
//!   write to its snapshot and runs the engine again).
//!
//! Environment: `ZHIBU_BENCH_BRANCHES` (default 300), `ZHIBU_BENCH_WARM` (default 200 renders),
//! `ZHIBU_BENCH_COLD` (default 5 renders). The figures go into docs/PERFORMANCE.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use tower::ServiceExt;
use zhibu_core::rules::Catalogue;
use zhibu_demo::{DemoConfig, generate, load};
use zhibu_storage::{Backend, Repository};
use zhibu_web::auth::create_demo_accounts;
use zhibu_web::{AppState, router};

const TODAY: &str = "2026-11-29";

fn setting(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Renders `path` once; returns the time and the size of the page.
async fn render(router: &Router, cookie: &str, path: &str) -> (Duration, usize) {
    let request = Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("request");
    let started = Instant::now();
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let elapsed = started.elapsed();
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    (elapsed, body.len())
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * share).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let branches = setting("ZHIBU_BENCH_BRANCHES", 300);
    let warm_runs = setting("ZHIBU_BENCH_WARM", 200).max(1);
    let cold_runs = setting("ZHIBU_BENCH_COLD", 5).max(1);
    let today = NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").expect("date");

    let database =
        std::env::temp_dir().join(format!("zhibu-bench-dashboard-{}.db", std::process::id()));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", database.display()))
        .await
        .expect("SQLite");
    backend.migrate().await.expect("migrate");
    let repository = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("catalogue")),
    );
    let started = Instant::now();
    let dataset = generate(&DemoConfig::new(20_261_129, today).with_branches(branches));
    let summary = load(&repository, &dataset).await.expect("load the demo");
    println!(
        "demo: {branches} branches, {} members, {} meetings, {} talks, loaded in {:.1} s",
        summary.counts.members,
        summary.counts.meetings,
        summary.counts.talks,
        started.elapsed().as_secs_f64()
    );
    let credentials = create_demo_accounts(&repository, summary.root)
        .await
        .expect("demo accounts");
    let staff = credentials
        .iter()
        .find(|credential| credential.login == "demo-staff")
        .expect("staff account");
    let state = AppState::with_fixed_today(repository.clone(), today);

    let signed_in = router(state.clone());
    let request = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::json!({ "login": staff.login, "password": staff.password }).to_string(),
        ))
        .expect("request");
    let response = signed_in.oneshot(request).await.expect("sign in");
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string();
    let path = format!("/committees/{}", summary.root);

    // Where the cold time goes: loading the subtree's records, and running the engine over them.
    let (from, to) = (
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
    );
    let started = Instant::now();
    let snapshot = repository
        .load_snapshot(summary.root, from, to)
        .await
        .expect("snapshot");
    let loaded = started.elapsed();
    let started = Instant::now();
    let report = zhibu_core::engine::evaluate(
        repository.catalogue(),
        &snapshot,
        &zhibu_core::engine::EvaluationRequest {
            root: summary.root,
            from,
            to,
            today,
            horizon_days: 1,
        },
    );
    let evaluated = started.elapsed();
    println!(
        "cold parts: load the subtree's records {} ({} members, {} meetings, {} talks), evaluate {} ({} findings)",
        ms(loaded),
        snapshot.members.len(),
        snapshot.meetings.len(),
        snapshot.talks.len(),
        ms(evaluated),
        report.findings.len()
    );

    let mut cold = Vec::new();
    for _ in 0..cold_runs {
        // A fresh router has an empty findings cache.
        let fresh = router(state.clone());
        cold.push(render(&fresh, &cookie, &path).await.0);
    }
    let warm_router = router(state.clone());
    let (first, size) = render(&warm_router, &cookie, &path).await;
    let mut warm = Vec::new();
    for _ in 0..warm_runs {
        warm.push(render(&warm_router, &cookie, &path).await.0);
    }
    // After a write: a secretary records a meeting, and the dashboard is rendered again. The
    // cache applies the new meeting to its snapshot instead of loading the subtree afresh.
    let sample = repository
        .list::<zhibu_core::Meeting>(&zhibu_storage::ListRequest {
            limit: Some(1),
            ..zhibu_storage::ListRequest::default()
        })
        .await
        .expect("a meeting")
        .items
        .remove(0);
    let mut after_write = Vec::new();
    for round in 0..cold_runs {
        let mut meeting = sample.body.clone();
        meeting.minutes = format!("benchmark round {round}");
        repository
            .create(meeting, &zhibu_storage::ChangeMeta::by("bench"))
            .await
            .expect("record a meeting");
        after_write.push(render(&warm_router, &cookie, &path).await.0);
    }
    after_write.sort();
    cold.sort();
    warm.sort();
    println!("page: GET {path} as committee staff, {size} bytes of HTML");
    println!(
        "cold (empty findings cache, {cold_runs} runs): p50 {}, max {}",
        ms(percentile(&cold, 0.5)),
        ms(percentile(&cold, 1.0))
    );
    println!("first render of the warm router: {}", ms(first));
    println!(
        "warm ({warm_runs} runs): p50 {}, p99 {}, max {}",
        ms(percentile(&warm, 0.5)),
        ms(percentile(&warm, 0.99)),
        ms(percentile(&warm, 1.0))
    );
    println!(
        "after one write ({cold_runs} runs, the write applied to the cached snapshot): p50 {}, max {}",
        ms(percentile(&after_write, 0.5)),
        ms(percentile(&after_write, 1.0))
    );
    for suffix in ["", "-wal", "-shm"] {
        let mut file = database.clone().into_os_string();
        file.push(suffix);
        let _missing_is_fine = std::fs::remove_file(file);
    }
}
