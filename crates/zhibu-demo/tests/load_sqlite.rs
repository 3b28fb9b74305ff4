//! Loads the standard demo city into a SQLite file through the repository, and checks that what
//! storage holds afterwards is the city: the counts, the planted imperfections under their stored
//! ids, the late entries, and an intact hash chain.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use chrono::NaiveDate;
use zhibu_core::rules::Catalogue;
use zhibu_demo::{DemoConfig, generate, load};
use zhibu_storage::sealing::DataKey;
use zhibu_storage::{Backend, Repository};

/// Removes the database file and its WAL companions when the test ends, pass or fail.
struct TempDatabase(PathBuf);

impl Drop for TempDatabase {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_city_loads_into_sqlite() {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let file = TempDatabase(
        std::env::temp_dir().join(format!("zhibu-demo-{}-{nanos}.db", std::process::id())),
    );
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", file.0.display()))
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    // The repository consults the catalogue only for local rules, which the demo does not write.
    let catalogue = Catalogue::from_rules(Vec::new()).expect("empty catalogue");
    // Income is sealed at rest: with a data key the city is loaded with its dues (issue 4).
    let repo = Repository::new(Arc::new(backend), Arc::new(catalogue))
        .with_data_key(Arc::new(DataKey::generate().0));

    let config = DemoConfig::new(
        20_261_129,
        NaiveDate::from_ymd_opt(2026, 11, 29).expect("date"),
    );
    let dataset = generate(&config);
    let started = Instant::now();
    let summary = load(&repo, &dataset).await.expect("the demo city loads");
    let elapsed = started.elapsed();
    let counts = summary.counts;
    println!(
        "loaded {} orgs, {} members ({} transfers), {} terms, {} meetings, {} talks in {} transactions in {elapsed:?}",
        counts.orgs,
        counts.members,
        counts.member_transfers,
        counts.committee_terms,
        counts.meetings,
        counts.talks,
        counts.transactions
    );
    println!(
        "of which dues: {} settings, {} declarations, {} payments, {} reliefs in {:?} (without them: {:?})",
        counts.dues_policies,
        counts.income_declarations,
        counts.dues_payments,
        counts.dues_reliefs,
        summary.dues_elapsed,
        elapsed.saturating_sub(summary.dues_elapsed)
    );
    assert!(summary.dues_written);
    assert!(counts.dues_payments > 150_000, "{counts:?}");

    let (mut meetings, mut talks, mut terms, mut transfers) = (0, 0, 0, 0);
    for records in dataset.branches() {
        meetings += records.meetings.len() as u64;
        talks += records.talks.len() as u64;
        terms += records.committee_terms.len() as u64;
        transfers += records.transfers_in.len() as u64;
    }
    assert_eq!(counts.orgs, dataset.orgs.len() as u64);
    assert_eq!(counts.members, dataset.member_count());
    assert_eq!(
        (
            counts.meetings,
            counts.talks,
            counts.committee_terms,
            counts.member_transfers
        ),
        (meetings, talks, terms, transfers)
    );

    // What storage hands the engine is the city with its planted imperfections, under stored ids.
    let snapshot = repo
        .load_snapshot(summary.root, dataset.first_day(), config.today)
        .await
        .expect("snapshot");
    assert_eq!(snapshot.members.len() as u64, dataset.member_count());
    let found = common::check(&snapshot, dataset.first_day(), config.today);
    assert_eq!(found, common::planted_keys(&summary.planted));
    assert!(common::roster_problems(&snapshot).is_empty());

    let late: Vec<_> = summary
        .late_entries
        .iter()
        .map(|entry| (entry.org_name.clone(), entry.event_date, entry.delay_days))
        .collect();
    let planned: Vec<_> = dataset
        .late_entries
        .iter()
        .map(|entry| (entry.org_name.clone(), entry.event_date, entry.delay_days))
        .collect();
    assert_eq!(late, planned);
    assert!(
        summary
            .late_entries
            .iter()
            .all(|entry| entry.record_id.is_some())
    );

    let verified = repo.verify().await.expect("verify");
    assert!(
        verified.is_intact(),
        "{:?}",
        &verified.problems[..verified.problems.len().min(5)]
    );
}
