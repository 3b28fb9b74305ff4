//! Runs the shared storage suite (`zhibu_storage::testsuite`) on SQLite, each test on a fresh
//! database file of its own.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use zhibu_storage::testsuite::{self, RawSql};
use zhibu_storage::{Backend, StorageError};
use zhibu_storage_sqlite::SqliteBackend;

/// Migrate fresh databases all the way.
const LATEST: Option<i64> = None;

/// The upgrade fixture: what the first schema (migration 1) held after its writers had created an
/// org tree, two members and an amended meeting. Written out literally, hashes included, so that a
/// change to how data is stored or hashed that would strand existing databases fails this test.
/// It must match `testsuite::upgrade_fixture()`.
const UPGRADE_FIXTURE: &str = r#"
INSERT INTO records (id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body) VALUES
(1, 'org', '/1/', '2010-01-01', 1, 0, '2025-06-01T02:00:01.000001Z', '2025-06-01T02:00:01.000001Z',
 '{"parent_id":null,"name":"示例市直机关工委","level":"working_committee","unit_kind":"government_organ","established_on":"2010-01-01","dissolved_on":null}'),
(2, 'org', '/1/2/', '2012-03-01', 1, 0, '2025-06-01T02:00:02.000002Z', '2025-06-01T02:00:02.000002Z',
 '{"parent_id":1,"name":"示例市财政局机关党委","level":"party_committee","unit_kind":"government_organ","established_on":"2012-03-01","dissolved_on":null}'),
(3, 'org', '/1/2/3/', '2015-05-04', 1, 0, '2025-06-01T02:00:03.000003Z', '2025-06-01T02:00:03.000003Z',
 '{"parent_id":2,"name":"办公室党支部","level":"branch","unit_kind":"government_organ","established_on":"2015-05-04","dissolved_on":null}'),
(4, 'member', '/1/2/3/', '2016-01-01', 1, 0, '2025-06-01T02:00:04.000004Z', '2025-06-01T02:00:04.000004Z',
 '{"name":"王芳","sex":"female","birth_date":"1985-04-12","joined_on":"2010-07-01","status_history":[{"effective_on":"2010-07-01","status":"probationary","note":null},{"effective_on":"2011-07-01","status":"full","note":"按期转正"}],"postings":[{"branch_id":3,"group_id":null,"from":"2016-01-01","until":null,"transferred_in_from":null,"transferred_out_to":null}],"employment":"salaried","leading_cadre":true,"org_life_exemption":null}'),
(5, 'member', '/1/2/3/', '2019-07-01', 1, 0, '2025-06-01T02:00:05.000005Z', '2025-06-01T02:00:05.000005Z',
 '{"name":"李强","sex":"male","birth_date":null,"joined_on":"2018-06-30","status_history":[{"effective_on":"2018-06-30","status":"probationary","note":null},{"effective_on":"2019-07-01","status":"full","note":null}],"postings":[{"branch_id":3,"group_id":null,"from":"2019-03-01","until":null,"transferred_in_from":"示例市税务局第二党支部","transferred_out_to":null}],"employment":"salaried","leading_cadre":false,"org_life_exemption":null}'),
(6, 'meeting', '/1/2/3/', '2025-05-20', 2, 0, '2025-06-01T02:00:06.000006Z', '2025-06-02T09:30:00.500000Z',
 '{"org_id":3,"kinds":["general_meeting","themed_party_day"],"held_on":"2025-05-20","place":"党员活动室","chair_id":4,"recorder_id":4,"topics":["学习《中国共产党章程》"],"minutes":"会议学习了党章第一章，王芳同志领学。","resolutions":[],"attendance":[{"member_id":4,"state":"present"},{"member_id":5,"state":"excused","reason":"出差"}]}');

INSERT INTO record_versions (seq, record_id, kind, version, operation, org_path, event_date, entered_at, actor, reason, body, previous_hash, hash) VALUES
(1, 1, 'org', 1, 'create', '/1/', '2010-01-01', '2025-06-01T02:00:01.000001Z', 'import', NULL,
 '{"parent_id":null,"name":"示例市直机关工委","level":"working_committee","unit_kind":"government_organ","established_on":"2010-01-01","dissolved_on":null}',
 '0000000000000000000000000000000000000000000000000000000000000000',
 '9275f180ef46d3a8605b6f037509215461c53e5d30a69f57e5f41f925053097f'),
(2, 2, 'org', 1, 'create', '/1/2/', '2012-03-01', '2025-06-01T02:00:02.000002Z', 'import', NULL,
 '{"parent_id":1,"name":"示例市财政局机关党委","level":"party_committee","unit_kind":"government_organ","established_on":"2012-03-01","dissolved_on":null}',
 '9275f180ef46d3a8605b6f037509215461c53e5d30a69f57e5f41f925053097f',
 'aa9174ebe5b384b11f4af8a10997d7938dc36f2d1da624cfe589ad72f8cf3569'),
(3, 3, 'org', 1, 'create', '/1/2/3/', '2015-05-04', '2025-06-01T02:00:03.000003Z', 'import', NULL,
 '{"parent_id":2,"name":"办公室党支部","level":"branch","unit_kind":"government_organ","established_on":"2015-05-04","dissolved_on":null}',
 'aa9174ebe5b384b11f4af8a10997d7938dc36f2d1da624cfe589ad72f8cf3569',
 'b2a1a077e3a943427e7ba1ab72a140b0b0b1fdd0a70ec33626b2ae9f1b8893e4'),
(4, 4, 'member', 1, 'create', '/1/2/3/', '2016-01-01', '2025-06-01T02:00:04.000004Z', 'import', NULL,
 '{"name":"王芳","sex":"female","birth_date":"1985-04-12","joined_on":"2010-07-01","status_history":[{"effective_on":"2010-07-01","status":"probationary","note":null},{"effective_on":"2011-07-01","status":"full","note":"按期转正"}],"postings":[{"branch_id":3,"group_id":null,"from":"2016-01-01","until":null,"transferred_in_from":null,"transferred_out_to":null}],"employment":"salaried","leading_cadre":true,"org_life_exemption":null}',
 'b2a1a077e3a943427e7ba1ab72a140b0b0b1fdd0a70ec33626b2ae9f1b8893e4',
 '9d3c1c340a504f9c1ef6c0330d120f4ba994375d0f47a3a49bf9f12bd5cee56f'),
(5, 5, 'member', 1, 'create', '/1/2/3/', '2019-07-01', '2025-06-01T02:00:05.000005Z', 'import', NULL,
 '{"name":"李强","sex":"male","birth_date":null,"joined_on":"2018-06-30","status_history":[{"effective_on":"2018-06-30","status":"probationary","note":null},{"effective_on":"2019-07-01","status":"full","note":null}],"postings":[{"branch_id":3,"group_id":null,"from":"2019-03-01","until":null,"transferred_in_from":"示例市税务局第二党支部","transferred_out_to":null}],"employment":"salaried","leading_cadre":false,"org_life_exemption":null}',
 '9d3c1c340a504f9c1ef6c0330d120f4ba994375d0f47a3a49bf9f12bd5cee56f',
 '5a31fab099cc7004b10fa488c818fb3d3eb466c5aacc76ed81aef3dae6bae8d2'),
(6, 6, 'meeting', 1, 'create', '/1/2/3/', '2025-05-20', '2025-06-01T02:00:06.000006Z', 'import', NULL,
 '{"org_id":3,"kinds":["general_meeting","themed_party_day"],"held_on":"2025-05-20","place":"党员活动室","chair_id":4,"recorder_id":4,"topics":["学习《中国共产党章程》"],"minutes":"","resolutions":[],"attendance":[{"member_id":4,"state":"present"},{"member_id":5,"state":"excused","reason":"出差"}]}',
 '5a31fab099cc7004b10fa488c818fb3d3eb466c5aacc76ed81aef3dae6bae8d2',
 'de804ee9d694b036bfe29b349b5cb870373bd208735294b5bbf3118c67ba42c2'),
(7, 6, 'meeting', 2, 'amend', '/1/2/3/', '2025-05-20', '2025-06-02T09:30:00.500000Z', 'organizer', '补充会议记录',
 '{"org_id":3,"kinds":["general_meeting","themed_party_day"],"held_on":"2025-05-20","place":"党员活动室","chair_id":4,"recorder_id":4,"topics":["学习《中国共产党章程》"],"minutes":"会议学习了党章第一章，王芳同志领学。","resolutions":[],"attendance":[{"member_id":4,"state":"present"},{"member_id":5,"state":"excused","reason":"出差"}]}',
 'de804ee9d694b036bfe29b349b5cb870373bd208735294b5bbf3118c67ba42c2',
 'f46c99c48d510699790da6296fed4970b1bde272638a4006b6decf3ac6397f6c');

UPDATE chain_head SET seq = 7, hash = 'f46c99c48d510699790da6296fed4970b1bde272638a4006b6decf3ac6397f6c';
"#;

/// Raw SQL straight on the pool, behind the application's back.
struct Raw(SqliteBackend);

#[async_trait]
impl RawSql for Raw {
    async fn execute(&self, sql: &str) -> Result<u64, StorageError> {
        // Test-only: the suite's tampering statements are SQL text by design.
        let result = sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
            .execute(self.0.pool())
            .await
            .map_err(StorageError::database)?;
        Ok(result.rows_affected())
    }
}

fn fresh_database_path() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let name = format!(
        "zhibu-storage-suite-{}-{}-{nanos}.db",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    std::env::temp_dir().join(name)
}

/// Runs `test` on a fresh database file migrated up to `migrated_to`. The files are removed when
/// the test passes and kept when it fails, so that the database can be inspected.
async fn on_sqlite<F, Fut>(migrated_to: Option<i64>, test: F)
where
    F: FnOnce(SqliteBackend) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let path = fresh_database_path();
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open a fresh database file");
    backend
        .migrate_to(migrated_to)
        .await
        .expect("migrate the fresh database");
    // Spawned, so that a failing test still reaches the clean-up below.
    let outcome = tokio::spawn(test(backend.clone())).await;
    backend.pool().close().await;
    match outcome {
        Ok(()) => {
            for suffix in ["", "-wal", "-shm"] {
                let file = PathBuf::from(format!("{}{suffix}", path.display()));
                if file.exists() {
                    std::fs::remove_file(&file).expect("remove the test database");
                }
            }
        }
        Err(error) => {
            eprintln!("the failed test's database is kept at {}", path.display());
            match error.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(error) => panic!("the test task did not finish: {error}"),
            }
        }
    }
}

fn store(backend: SqliteBackend) -> Arc<dyn Backend> {
    Arc::new(backend)
}

#[tokio::test]
async fn migrations_are_recorded() {
    on_sqlite(LATEST, |backend| {
        testsuite::migrations_are_recorded(store(backend))
    })
    .await;
}

#[tokio::test]
async fn records_round_trip() {
    on_sqlite(LATEST, |backend| {
        testsuite::records_round_trip(store(backend))
    })
    .await;
}

#[tokio::test]
async fn lists_by_subtree_with_keyset_paging() {
    on_sqlite(LATEST, |backend| {
        testsuite::lists_by_subtree_with_keyset_paging(store(backend))
    })
    .await;
}

#[tokio::test]
async fn lists_by_event_date_range() {
    on_sqlite(LATEST, |backend| {
        testsuite::lists_by_event_date_range(store(backend))
    })
    .await;
}

#[tokio::test]
async fn records_keep_their_history() {
    on_sqlite(LATEST, |backend| {
        testsuite::records_keep_their_history(store(backend))
    })
    .await;
}

#[tokio::test]
async fn stale_amendment_is_refused() {
    on_sqlite(LATEST, |backend| {
        testsuite::stale_amendment_is_refused(store(backend))
    })
    .await;
}

#[tokio::test]
async fn amend_and_delete_need_a_reason() {
    on_sqlite(LATEST, |backend| {
        testsuite::amend_and_delete_need_a_reason(store(backend))
    })
    .await;
}

#[tokio::test]
async fn deletion_keeps_history() {
    on_sqlite(LATEST, |backend| {
        testsuite::deletion_keeps_history(store(backend))
    })
    .await;
}

#[tokio::test]
async fn invalid_input_writes_nothing() {
    on_sqlite(LATEST, |backend| {
        testsuite::invalid_input_writes_nothing(store(backend))
    })
    .await;
}

#[tokio::test]
async fn create_many_is_all_or_nothing() {
    on_sqlite(LATEST, |backend| {
        testsuite::create_many_is_all_or_nothing(store(backend))
    })
    .await;
}

#[tokio::test]
async fn idempotent_create_gives_one_record() {
    on_sqlite(LATEST, |backend| {
        testsuite::idempotent_create_gives_one_record(store(backend))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_keep_one_chain() {
    on_sqlite(LATEST, |backend| {
        testsuite::concurrent_writers_keep_one_chain(store(backend))
    })
    .await;
}

#[tokio::test]
async fn verify_is_intact_on_untouched_data() {
    on_sqlite(LATEST, |backend| {
        testsuite::verify_is_intact_on_untouched_data(store(backend))
    })
    .await;
}

#[tokio::test]
async fn verify_reports_an_altered_record() {
    on_sqlite(LATEST, |backend| async move {
        testsuite::verify_reports_an_altered_record(store(backend.clone()), &Raw(backend)).await;
    })
    .await;
}

#[tokio::test]
async fn verify_reports_an_altered_version() {
    on_sqlite(LATEST, |backend| async move {
        testsuite::verify_reports_an_altered_version(store(backend.clone()), &Raw(backend)).await;
    })
    .await;
}

#[tokio::test]
async fn verify_reports_a_removed_newest_version() {
    on_sqlite(LATEST, |backend| async move {
        testsuite::verify_reports_a_removed_newest_version(store(backend.clone()), &Raw(backend))
            .await;
    })
    .await;
}

#[tokio::test]
async fn verify_reports_a_removed_record() {
    on_sqlite(LATEST, |backend| async move {
        testsuite::verify_reports_a_removed_record(store(backend.clone()), &Raw(backend)).await;
    })
    .await;
}

#[tokio::test]
async fn undecodable_rows_are_corrupt_not_missing() {
    on_sqlite(LATEST, |backend| async move {
        testsuite::undecodable_rows_are_corrupt_not_missing(store(backend.clone()), &Raw(backend))
            .await;
    })
    .await;
}

#[tokio::test]
async fn load_snapshot_returns_the_subtree_and_its_ancestors() {
    on_sqlite(LATEST, |backend| {
        testsuite::load_snapshot_returns_the_subtree_and_its_ancestors(store(backend))
    })
    .await;
}

#[tokio::test]
async fn a_branch_sees_every_member_ever_posted_to_it() {
    on_sqlite(LATEST, |backend| {
        testsuite::a_branch_sees_every_member_ever_posted_to_it(store(backend))
    })
    .await;
}

#[tokio::test]
async fn upgrade_keeps_old_data() {
    on_sqlite(Some(1), |backend| async move {
        Raw(backend.clone())
            .execute(UPGRADE_FIXTURE)
            .await
            .expect("load the fixture into the first schema");
        testsuite::upgrade_keeps_old_data(store(backend), 1).await;
    })
    .await;
}

#[tokio::test]
async fn upgrade_from_migration_two_keeps_old_data_and_adds_accounts() {
    on_sqlite(Some(2), |backend| async move {
        Raw(backend.clone())
            .execute(UPGRADE_FIXTURE)
            .await
            .expect("load the fixture into the second schema");
        testsuite::upgrade_keeps_old_data(store(backend), 2).await;
    })
    .await;
}

#[tokio::test]
async fn accounts_sessions_and_audit() {
    on_sqlite(LATEST, |backend| {
        testsuite::accounts_sessions_and_audit(store(backend))
    })
    .await;
}

/// Calendar feed tokens (issue 7, migration 6).
#[tokio::test]
async fn calendar_feed_tokens() {
    on_sqlite(LATEST, |backend| {
        zhibu_storage::feeds::suite::calendar_feed_tokens(store(backend))
    })
    .await;
}

// What follows is particular to SQLite.

/// Instants are text that sorts: RFC 3339 UTC with exactly six fractional digits.
#[tokio::test]
async fn instants_and_dates_are_stored_as_sortable_text() {
    on_sqlite(LATEST, |backend| async move {
        testsuite::records_round_trip(store(backend.clone())).await;
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT records.event_date, records.first_entered_at, record_versions.entered_at \
                 FROM records JOIN record_versions ON record_versions.record_id = records.id",
        )
        .fetch_all(backend.pool())
        .await
        .expect("read the stored text");
        assert!(!rows.is_empty());
        for (event_date, first_entered_at, entered_at) in rows {
            assert_eq!(event_date.len(), "2026-03-01".len(), "{event_date}");
            assert_eq!(first_entered_at, "2026-03-01T08:00:00.123456Z");
            assert_eq!(entered_at, first_entered_at);
        }
    })
    .await;
}

/// An in-memory database has one connection; a writer must not wait for a connection that it
/// holds itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_database_serves_readers_and_writers() {
    let backend = zhibu_storage_sqlite::connect("sqlite::memory:")
        .await
        .expect("open an in-memory database");
    backend.migrate().await.expect("migrate");
    testsuite::concurrent_writers_keep_one_chain(store(backend.clone())).await;
    testsuite::idempotent_create_gives_one_record(store(backend)).await;
}

/// A database that a newer build has migrated further is refused rather than written to.
#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    on_sqlite(LATEST, |backend| async move {
        Raw(backend.clone())
            .execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from_the_future', '2030-01-01T00:00:00.000000Z')")
            .await
            .expect("record a future migration");
        let outcome = backend.migrate().await;
        assert!(matches!(&outcome, Err(StorageError::Database(error)) if error.to_string().contains("99")), "{outcome:?}");
    })
    .await;
}

#[tokio::test]
async fn bulk_load_chains_every_record() {
    on_sqlite(LATEST, |backend| {
        testsuite::bulk_load_chains_every_record(store(backend))
    })
    .await;
}

/// Migration 4 gives old rows their tenant (the first segment of the path), and writers set it.
#[tokio::test]
async fn the_tenant_column_follows_the_path() {
    on_sqlite(Some(3), |backend| async move {
        Raw(backend.clone())
            .execute(UPGRADE_FIXTURE)
            .await
            .expect("load the fixture into the third schema");
        backend.migrate().await.expect("migrate to the latest");
        testsuite::bulk_load_chains_every_record(store(backend.clone())).await;
        let mismatched: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM records WHERE tenant_id <> CAST(substr(org_path, 2, instr(substr(org_path, 2), '/') - 1) AS INTEGER)) \
             + (SELECT COUNT(*) FROM record_versions WHERE tenant_id <> CAST(substr(org_path, 2, instr(substr(org_path, 2), '/') - 1) AS INTEGER))",
        )
        .fetch_one(backend.pool())
        .await
        .expect("count rows whose tenant is not their path's root");
        assert_eq!(mismatched, 0);
        let tenants: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT tenant_id FROM records ORDER BY tenant_id")
            .fetch_all(backend.pool())
            .await
            .expect("read the tenants");
        // The fixture's rows, the suite's tree and its second top-level org.
        assert_eq!(tenants.len(), 3, "{tenants:?}");
        assert_eq!(tenants[0], 1, "the fixture's rows are tenant 1");
    })
    .await;
}

#[tokio::test]
async fn meeting_plans_are_checked_and_never_count_as_meetings() {
    on_sqlite(LATEST, |backend| {
        testsuite::meeting_plans_are_checked_and_never_count_as_meetings(store(backend))
    })
    .await;
}
