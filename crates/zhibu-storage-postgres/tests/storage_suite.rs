//! Runs the shared storage suite (`zhibu_storage::testsuite`) on PostgreSQL, each test in a fresh
//! schema of its own that is dropped afterwards.
//!
//! The database comes from `ZHIBU_TEST_POSTGRES_URL`, for example
//! `postgres://postgres@127.0.0.1:5432/zhibu_test`. Without it every test says loudly that it was
//! skipped and passes, unless `ZHIBU_REQUIRE_POSTGRES=1` (as in CI), in which case it fails.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Connection};
use zhibu_storage::testsuite::{self, RawSql};
use zhibu_storage::{Backend, StorageError};
use zhibu_storage_postgres::PostgresBackend;

/// Migrate fresh schemas all the way.
const LATEST: Option<i64> = None;

/// The upgrade fixture: what the first schema (migration 1) held after its writers had created an
/// org tree, two members and an amended meeting. Written out literally, hashes included, so that a
/// change to how data is stored or hashed that would strand existing databases fails this test.
/// It must match `testsuite::upgrade_fixture()`.
const UPGRADE_FIXTURE: &str = r#"
INSERT INTO records (id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body) VALUES
(1, 'org', '/1/', '2010-01-01', 1, FALSE, '2025-06-01T02:00:01.000001Z', '2025-06-01T02:00:01.000001Z',
 '{"parent_id":null,"name":"示例市直机关工委","level":"working_committee","unit_kind":"government_organ","established_on":"2010-01-01","dissolved_on":null}'),
(2, 'org', '/1/2/', '2012-03-01', 1, FALSE, '2025-06-01T02:00:02.000002Z', '2025-06-01T02:00:02.000002Z',
 '{"parent_id":1,"name":"示例市财政局机关党委","level":"party_committee","unit_kind":"government_organ","established_on":"2012-03-01","dissolved_on":null}'),
(3, 'org', '/1/2/3/', '2015-05-04', 1, FALSE, '2025-06-01T02:00:03.000003Z', '2025-06-01T02:00:03.000003Z',
 '{"parent_id":2,"name":"办公室党支部","level":"branch","unit_kind":"government_organ","established_on":"2015-05-04","dissolved_on":null}'),
(4, 'member', '/1/2/3/', '2016-01-01', 1, FALSE, '2025-06-01T02:00:04.000004Z', '2025-06-01T02:00:04.000004Z',
 '{"name":"王芳","sex":"female","birth_date":"1985-04-12","joined_on":"2010-07-01","status_history":[{"effective_on":"2010-07-01","status":"probationary","note":null},{"effective_on":"2011-07-01","status":"full","note":"按期转正"}],"postings":[{"branch_id":3,"group_id":null,"from":"2016-01-01","until":null,"transferred_in_from":null,"transferred_out_to":null}],"employment":"salaried","leading_cadre":true,"org_life_exemption":null}'),
(5, 'member', '/1/2/3/', '2019-07-01', 1, FALSE, '2025-06-01T02:00:05.000005Z', '2025-06-01T02:00:05.000005Z',
 '{"name":"李强","sex":"male","birth_date":null,"joined_on":"2018-06-30","status_history":[{"effective_on":"2018-06-30","status":"probationary","note":null},{"effective_on":"2019-07-01","status":"full","note":null}],"postings":[{"branch_id":3,"group_id":null,"from":"2019-03-01","until":null,"transferred_in_from":"示例市税务局第二党支部","transferred_out_to":null}],"employment":"salaried","leading_cadre":false,"org_life_exemption":null}'),
(6, 'meeting', '/1/2/3/', '2025-05-20', 2, FALSE, '2025-06-01T02:00:06.000006Z', '2025-06-02T09:30:00.500000Z',
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

-- The first schema's writers took record ids from this sequence.
SELECT setval('record_ids', 6);
"#;

/// Raw SQL straight on the pool, behind the application's back.
struct Raw(PostgresBackend);

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

/// The test database's URL, or `None` after saying loudly that the suite is skipped.
fn postgres_url() -> Option<String> {
    match std::env::var("ZHIBU_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            let required = std::env::var("ZHIBU_REQUIRE_POSTGRES").is_ok_and(|value| value == "1");
            assert!(
                !required,
                "ZHIBU_REQUIRE_POSTGRES=1 but ZHIBU_TEST_POSTGRES_URL is not set: the PostgreSQL storage suite cannot run"
            );
            // Straight to stderr rather than through eprintln!, which the test harness captures and
            // shows only for failing tests. Nothing useful can be done if stderr itself fails.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: ZHIBU_TEST_POSTGRES_URL not set — PostgreSQL storage suite did not run"
            );
            None
        }
    }
}

fn fresh_schema_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!(
        "zhibu_suite_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs `test` in a fresh schema migrated up to `migrated_to`, then drops the schema, whether the
/// test passed or not.
async fn on_postgres<F, Fut>(migrated_to: Option<i64>, test: F)
where
    F: FnOnce(PostgresBackend) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(url) = postgres_url() else { return };
    let schema = fresh_schema_name();
    let backend = zhibu_storage_postgres::connect_with_schema(&url, &schema)
        .await
        .expect("connect to the test database");
    let migrated = backend.migrate_to(migrated_to).await;
    // Spawned, so that a failing test still reaches the clean-up below.
    let outcome = match migrated {
        Ok(()) => Some(tokio::spawn(test(backend.clone())).await),
        Err(_) => None,
    };
    // Close the pool first: it waits for every connection, including those of writer tasks that
    // a failing test left running, so that no open transaction holds a lock the drop would wait
    // for.
    backend.pool().close().await;
    let dropped = drop_schema(&url, &schema).await;
    match outcome {
        None => panic!("migrating the fresh schema failed: {:?}", migrated),
        Some(Ok(())) => {
            dropped.expect("drop the test schema");
        }
        Some(Err(error)) => {
            // The test's own failure is the news; a schema left behind is only mentioned.
            if let Err(drop_error) = dropped {
                eprintln!("the failed test's schema {schema} was not dropped: {drop_error}");
            }
            match error.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(error) => panic!("the test task did not finish: {error}"),
            }
        }
    }
}

async fn drop_schema(url: &str, schema: &str) -> Result<(), sqlx::Error> {
    let mut connection = sqlx::PgConnection::connect(url).await?;
    sqlx::raw_sql(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut connection)
        .await?;
    connection.close().await
}

fn store(backend: PostgresBackend) -> Arc<dyn Backend> {
    Arc::new(backend)
}

#[tokio::test]
async fn migrations_are_recorded() {
    on_postgres(LATEST, |backend| {
        testsuite::migrations_are_recorded(store(backend))
    })
    .await;
}

#[tokio::test]
async fn records_round_trip() {
    on_postgres(LATEST, |backend| {
        testsuite::records_round_trip(store(backend))
    })
    .await;
}

#[tokio::test]
async fn lists_by_subtree_with_keyset_paging() {
    on_postgres(LATEST, |backend| {
        testsuite::lists_by_subtree_with_keyset_paging(store(backend))
    })
    .await;
}

#[tokio::test]
async fn lists_by_event_date_range() {
    on_postgres(LATEST, |backend| {
        testsuite::lists_by_event_date_range(store(backend))
    })
    .await;
}

#[tokio::test]
async fn records_keep_their_history() {
    on_postgres(LATEST, |backend| {
        testsuite::records_keep_their_history(store(backend))
    })
    .await;
}

#[tokio::test]
async fn stale_amendment_is_refused() {
    on_postgres(LATEST, |backend| {
        testsuite::stale_amendment_is_refused(store(backend))
    })
    .await;
}

#[tokio::test]
async fn amend_and_delete_need_a_reason() {
    on_postgres(LATEST, |backend| {
        testsuite::amend_and_delete_need_a_reason(store(backend))
    })
    .await;
}

#[tokio::test]
async fn deletion_keeps_history() {
    on_postgres(LATEST, |backend| {
        testsuite::deletion_keeps_history(store(backend))
    })
    .await;
}

#[tokio::test]
async fn invalid_input_writes_nothing() {
    on_postgres(LATEST, |backend| {
        testsuite::invalid_input_writes_nothing(store(backend))
    })
    .await;
}

#[tokio::test]
async fn create_many_is_all_or_nothing() {
    on_postgres(LATEST, |backend| {
        testsuite::create_many_is_all_or_nothing(store(backend))
    })
    .await;
}

#[tokio::test]
async fn idempotent_create_gives_one_record() {
    on_postgres(LATEST, |backend| {
        testsuite::idempotent_create_gives_one_record(store(backend))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_keep_one_chain() {
    on_postgres(LATEST, |backend| {
        testsuite::concurrent_writers_keep_one_chain(store(backend))
    })
    .await;
}

#[tokio::test]
async fn verify_is_intact_on_untouched_data() {
    on_postgres(LATEST, |backend| {
        testsuite::verify_is_intact_on_untouched_data(store(backend))
    })
    .await;
}

#[tokio::test]
async fn verify_reports_an_altered_record() {
    on_postgres(LATEST, |backend| async move {
        testsuite::verify_reports_an_altered_record(store(backend.clone()), &Raw(backend)).await;
    })
    .await;
}

#[tokio::test]
async fn verify_reports_an_altered_version() {
    on_postgres(LATEST, |backend| async move {
        testsuite::verify_reports_an_altered_version(store(backend.clone()), &Raw(backend)).await;
    })
    .await;
}

#[tokio::test]
async fn verify_reports_a_removed_newest_version() {
    on_postgres(LATEST, |backend| async move {
        testsuite::verify_reports_a_removed_newest_version(store(backend.clone()), &Raw(backend))
            .await;
    })
    .await;
}

#[tokio::test]
async fn verify_reports_a_removed_record() {
    on_postgres(LATEST, |backend| async move {
        testsuite::verify_reports_a_removed_record(store(backend.clone()), &Raw(backend)).await;
    })
    .await;
}

#[tokio::test]
async fn undecodable_rows_are_corrupt_not_missing() {
    on_postgres(LATEST, |backend| async move {
        testsuite::undecodable_rows_are_corrupt_not_missing(store(backend.clone()), &Raw(backend))
            .await;
    })
    .await;
}

#[tokio::test]
async fn load_snapshot_returns_the_subtree_and_its_ancestors() {
    on_postgres(LATEST, |backend| {
        testsuite::load_snapshot_returns_the_subtree_and_its_ancestors(store(backend))
    })
    .await;
}

#[tokio::test]
async fn a_branch_sees_every_member_ever_posted_to_it() {
    on_postgres(LATEST, |backend| {
        testsuite::a_branch_sees_every_member_ever_posted_to_it(store(backend))
    })
    .await;
}

#[tokio::test]
async fn upgrade_keeps_old_data() {
    on_postgres(Some(1), |backend| async move {
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
    on_postgres(Some(2), |backend| async move {
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
    on_postgres(LATEST, |backend| {
        testsuite::accounts_sessions_and_audit(store(backend))
    })
    .await;
}

/// Calendar feed tokens (issue 7, migration 6).
#[tokio::test]
async fn calendar_feed_tokens() {
    on_postgres(LATEST, |backend| {
        zhibu_storage::feeds::suite::calendar_feed_tokens(store(backend))
    })
    .await;
}

// What follows is particular to PostgreSQL.

/// A database that a newer build has migrated further is refused rather than written to.
#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    on_postgres(LATEST, |backend| async move {
        Raw(backend.clone())
            .execute("INSERT INTO schema_migrations (version, name) VALUES (99, 'from_the_future')")
            .await
            .expect("record a future migration");
        let outcome = backend.migrate().await;
        assert!(matches!(&outcome, Err(StorageError::Database(error)) if error.to_string().contains("99")), "{outcome:?}");
    })
    .await;
}

/// Each schema is a database of its own: what one test writes, another does not see.
#[tokio::test]
async fn schemas_keep_tests_apart() {
    on_postgres(LATEST, |first| async move {
        testsuite::records_round_trip(store(first.clone())).await;
        let Some(url) = postgres_url() else { return };
        let schema = fresh_schema_name();
        let second = zhibu_storage_postgres::connect_with_schema(&url, &schema)
            .await
            .expect("connect to a second schema");
        second.migrate().await.expect("migrate the second schema");
        let records = second
            .all_records(0, 10)
            .await
            .expect("read the second schema");
        second.pool().close().await;
        drop_schema(&url, &schema)
            .await
            .expect("drop the second schema");
        assert!(records.is_empty(), "{records:?}");
        assert!(
            !first
                .all_records(0, 10)
                .await
                .expect("read the first schema")
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn bulk_load_chains_every_record() {
    on_postgres(LATEST, |backend| {
        testsuite::bulk_load_chains_every_record(store(backend))
    })
    .await;
}

/// Migration 4 gives old rows their tenant (the first segment of the path) and leads the record
/// tables' keys with it; a check constraint keeps it equal to the path's root.
#[tokio::test]
async fn the_tenant_leads_the_keys_and_follows_the_path() {
    on_postgres(Some(3), |backend| async move {
        Raw(backend.clone())
            .execute(UPGRADE_FIXTURE)
            .await
            .expect("load the fixture into the third schema");
        backend.migrate().await.expect("migrate to the latest");
        let fixture_tenants: Vec<i64> =
            sqlx::query_scalar("SELECT DISTINCT tenant_id FROM records ORDER BY 1")
                .fetch_all(backend.pool())
                .await
                .expect("read the tenants");
        assert_eq!(fixture_tenants, [1]);
        testsuite::bulk_load_chains_every_record(store(backend.clone())).await;
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid IN ('records'::regclass, 'record_versions'::regclass) AND contype IN ('p', 'u') ORDER BY 1",
        )
        .fetch_all(backend.pool())
        .await
        .expect("read the keys");
        assert_eq!(
            keys,
            [
                "PRIMARY KEY (tenant_id, id)",
                "PRIMARY KEY (tenant_id, seq)",
                "UNIQUE (tenant_id, record_id, version)"
            ]
        );
        let behind_the_back = Raw(backend.clone())
            .execute("UPDATE records SET tenant_id = tenant_id + 1 WHERE id = 1")
            .await;
        assert!(
            behind_the_back.is_err(),
            "a tenant that is not the path's root is refused"
        );
    })
    .await;
}

/// The partitioned layout (eight hash partitions by tenant) keeps the data and serves the suite's
/// behaviours: reading, listing by subtree, the bulk path and verification.
#[tokio::test]
async fn the_record_tables_can_be_partitioned_by_tenant() {
    on_postgres(LATEST, |backend| async move {
        testsuite::records_round_trip(store(backend.clone())).await;
        let before = backend.all_records(0, 1_000).await.expect("read the records");
        backend
            .partition_by_tenant()
            .await
            .expect("partition the record tables");
        assert_eq!(
            backend.all_records(0, 1_000).await.expect("read them again"),
            before
        );
        let partitions: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_inherits WHERE inhparent IN ('records'::regclass, 'record_versions'::regclass)",
        )
        .fetch_one(backend.pool())
        .await
        .expect("count the partitions");
        assert_eq!(partitions, 16);
        testsuite::bulk_load_chains_every_record(store(backend.clone())).await;
        // A query that names its tenant reads one partition.
        let plan: Vec<String> = sqlx::query_scalar(
            "EXPLAIN SELECT id FROM records WHERE tenant_id = 1 AND kind = 'member' AND org_path LIKE '/1/%'",
        )
        .fetch_all(backend.pool())
        .await
        .expect("explain a subtree query");
        let partitions_read = plan
            .iter()
            .filter(|line| line.contains(" on records_p"))
            .count();
        assert_eq!(partitions_read, 1, "{plan:#?}");
    })
    .await;
}

#[tokio::test]
async fn meeting_plans_are_checked_and_never_count_as_meetings() {
    on_postgres(LATEST, |backend| {
        testsuite::meeting_plans_are_checked_and_never_count_as_meetings(store(backend))
    })
    .await;
}
