//! The import benchmark: a generated roster of `--rows` members (default 100 000) over
//! `--branches` branches (default 100) imported into a fresh database, timed by stage.
//!
//! ```sh
//! cargo run --release -p zhibu-import --example import_bench -- [ROWS] [BRANCHES] [DATABASE_URL]
//! ```
//!
//! Without a URL it uses a fresh SQLite file in the temp directory. Figures: docs/PERFORMANCE.md.

use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use zhibu_core::rules::Catalogue;
use zhibu_core::{Org, OrgId, OrgLevel, UnitKind};
use zhibu_import::generate::roster_csv;
use zhibu_import::roster::{self, Options, Target};
use zhibu_storage::sealing::DataKey;
use zhibu_storage::{Backend, ChangeMeta, Repository};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows: usize = args.first().map_or(100_000, |a| a.parse().expect("ROWS"));
    let branch_count: usize = args.get(1).map_or(100, |a| a.parse().expect("BRANCHES"));
    let url = args.get(2).cloned().unwrap_or_else(|| {
        let file =
            std::env::temp_dir().join(format!("zhibu-import-bench-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&file);
        format!("sqlite://{}", file.display())
    });
    let backend: Arc<dyn Backend> = if url.starts_with("postgres") {
        Arc::new(
            zhibu_storage_postgres::connect(&url)
                .await
                .expect("postgres"),
        )
    } else {
        Arc::new(zhibu_storage_sqlite::connect(&url).await.expect("sqlite"))
    };
    backend.migrate().await.expect("migrate");
    let repository = Repository::new(backend, Arc::new(Catalogue::national().expect("catalogue")))
        .with_data_key(Arc::new(DataKey::generate().0));
    let meta = ChangeMeta::by("bench");
    let established = NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    let org = |parent: Option<OrgId>, name: String, level| Org {
        parent_id: parent,
        name,
        level,
        unit_kind: UnitKind::Enterprise,
        established_on: established,
        dissolved_on: None,
    };
    let top = repository
        .create(
            org(None, "基准测试党委".into(), OrgLevel::PartyCommittee),
            &meta,
        )
        .await
        .expect("top")
        .typed_id();
    let mut names = Vec::new();
    let branches: Vec<Org> = (0..branch_count)
        .map(|n| {
            names.push(format!("第{n}党支部"));
            org(Some(top), format!("第{n}党支部"), OrgLevel::Branch)
        })
        .collect();
    repository
        .create_many(branches, &meta)
        .await
        .expect("branches");
    let generated = Instant::now();
    let csv = roster_csv(rows, &names);
    println!(
        "generated {rows} rows ({:.1} MB csv) in {:.2} s",
        csv.len() as f64 / 1e6,
        generated.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let options = Options {
        target: Target::Org(top),
        sheet: None,
        file_name: "bench.csv".into(),
        today: NaiveDate::from_ymd_opt(2026, 6, 1).expect("date"),
    };
    let preview = roster::preview(&repository, csv.as_bytes(), &options)
        .await
        .expect("preview");
    assert!(
        preview.errors.is_empty(),
        "{:?}",
        &preview.errors[..preview.errors.len().min(5)]
    );
    let checked = started.elapsed();
    let batch = roster::commit(&repository, &preview, "bench", Utc::now(), &())
        .await
        .expect("commit");
    let total = started.elapsed();
    println!(
        "imported {} members on {}: read and check {:.2} s, write {:.2} s, total {:.2} s ({:.0} rows/s)",
        batch.record_count,
        repository.backend().name(),
        checked.as_secs_f64(),
        (total - checked).as_secs_f64(),
        total.as_secs_f64(),
        rows as f64 / total.as_secs_f64()
    );
    let rollback = Instant::now();
    repository
        .rollback_latest_import("bench", "基准测试")
        .await
        .expect("rollback");
    println!("rolled back in {:.2} s", rollback.elapsed().as_secs_f64());
}
