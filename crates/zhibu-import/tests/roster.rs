//! Roster import end to end on SQLite (and PostgreSQL when configured): preview, every bad input
//! reported by row and column with nothing written, one-transaction commit with provenance,
//! personal data sealed in the raw database, duplicates, and rollback of the latest batch.

mod support;

use chrono::{TimeZone, Utc};
use sqlx::Connection;
use support::*;
use zhibu_core::{ChangeOperation, Member, MemberStatus, OrgId, RecordKind};
use zhibu_import::roster::{self, Options, Preview, Target};
use zhibu_storage::{ChangeMeta, ListRequest, Repository, StorageError};

fn options(target: Target, file_name: &str) -> Options {
    Options {
        target,
        sheet: None,
        file_name: file_name.to_string(),
        today: today(),
    }
}

async fn record_count(repository: &Repository) -> usize {
    repository
        .backend()
        .all_records(0, 1_000_000)
        .await
        .expect("records")
        .len()
}

async fn members(repository: &Repository, branch: OrgId) -> Vec<zhibu_core::Stored<Member>> {
    repository
        .list::<Member>(&ListRequest {
            subtree: Some(branch),
            limit: Some(1000),
            ..ListRequest::default()
        })
        .await
        .expect("members")
        .items
}

fn entered() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0)
        .single()
        .expect("instant")
}

/// The raw bytes of the SQLite database (file and write-ahead log).
fn sqlite_bytes(world: &World) -> Vec<u8> {
    let file = world.sqlite_file.as_ref().expect("a SQLite world");
    let mut bytes = std::fs::read(file).expect("db file");
    let wal = file.with_extension("db-wal");
    if let Ok(more) = std::fs::read(wal) {
        bytes.extend(more);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

async fn import(
    world: &World,
    bytes: &[u8],
    file_name: &str,
) -> (Preview, zhibu_storage::ImportBatch) {
    let preview = roster::preview(
        &world.repository,
        bytes,
        &options(Target::Org(world.committee), file_name),
    )
    .await
    .expect("the file reads");
    assert!(preview.errors.is_empty(), "{:#?}", preview.errors);
    let batch = roster::commit(&world.repository, &preview, "secretary", entered(), &())
        .await
        .expect("commit");
    (preview, batch)
}

#[tokio::test]
async fn csv_in_utf8_with_and_without_bom_and_gbk_imports_with_provenance_and_sealed_personal_data()
{
    let world = sqlite_world().await;
    let before = record_count(&world.repository).await;
    let mut ids = Vec::new();
    let mut phones = Vec::new();
    let variants: Vec<(&str, Vec<u8>)> = {
        let mut file = |from: u32| {
            let mut rows = vec![headings()];
            for n in from..from + 3 {
                let row = row(
                    n,
                    if n.is_multiple_of(2) {
                        BRANCH
                    } else {
                        OTHER_BRANCH
                    },
                );
                ids.push(row[4].clone());
                phones.push(row[10].clone());
                rows.push(row);
            }
            csv(&rows)
        };
        let plain = file(1);
        let bom = format!("\u{feff}{}", file(11));
        let gbk_text = file(21);
        let (gbk, _, _) = encoding_rs::GBK.encode(&gbk_text);
        let gbk = gbk.into_owned();
        vec![
            ("plain.csv", plain.into_bytes()),
            ("bom.csv", bom.into_bytes()),
            ("gbk.csv", gbk),
        ]
    };
    for (index, (name, bytes)) in variants.iter().enumerate() {
        let (preview, batch) = import(&world, bytes, name).await;
        assert_eq!(preview.planned.len(), 3, "{name}");
        assert_eq!(batch.record_count, 3, "{name}");
        assert_eq!(batch.id, index as i64 + 1);
        assert_eq!(batch.file_name, *name);
        // Every record points to its batch and spreadsheet row (row 1 is the heading).
        for (offset, planned) in preview.planned.iter().enumerate() {
            assert_eq!(planned.row, offset + 2, "{name}");
        }
    }
    assert_eq!(record_count(&world.repository).await, before + 9);
    let mut all = members(&world.repository, world.branch).await;
    all.extend(members(&world.repository, world.other_branch).await);
    assert_eq!(all.len(), 9);
    for member in &all {
        let n: u32 = member
            .body
            .name
            .trim_start_matches("测试党员")
            .parse()
            .expect("n");
        let expected = row(n, "");
        // Opened on read: the clear values come back.
        let id = member.body.registry.id_number.as_ref().expect("id");
        assert_eq!(id.as_full_str(), expected[4]);
        let phone = member.body.registry.phone.as_ref().expect("phone");
        assert_eq!(phone.as_full_str(), expected[10]);
        assert_eq!(member.body.registry.ethnicity.as_deref(), Some("汉族"));
        assert_eq!(member.body.became_full_on(), Some(date(2016, 7, 1)));
        assert_eq!(member.body.status_on(today()), Some(MemberStatus::Full));
        let provenance = world
            .repository
            .provenance(member.id)
            .await
            .expect("provenance")
            .expect("imported");
        let batch = (n - 1) / 10 + 1;
        assert_eq!(provenance.batch_id, i64::from(batch));
        assert_eq!(provenance.row_number, i64::from((n - 1) % 10 + 2));
    }
    // The database alone never holds them in clear: neither the records nor the chain.
    let raw = sqlite_bytes(&world);
    assert!(
        contains(&raw, "测试党员1"),
        "the raw search does see clear text"
    );
    for id in &ids {
        assert!(!contains(&raw, id), "ID number {id} found in clear");
    }
    for phone in &phones {
        assert!(!contains(&raw, phone), "phone {phone} found in clear");
    }
    let report = world.repository.verify().await.expect("verify");
    assert!(report.is_intact(), "{:?}", report.problems);
    // Another key cannot read them, and says so in both languages.
    let wrong = Repository::new(
        std::sync::Arc::new(
            zhibu_storage_sqlite::connect(&format!(
                "sqlite://{}",
                world.sqlite_file.as_ref().expect("file").display()
            ))
            .await
            .expect("reconnect"),
        ),
        std::sync::Arc::new(zhibu_core::rules::Catalogue::national().expect("catalogue")),
    )
    .with_data_key(std::sync::Arc::new(
        zhibu_storage::sealing::DataKey::from_bytes(&[9; 32]),
    ));
    let error = wrong
        .get::<Member>(zhibu_core::MemberId(all[0].id))
        .await
        .expect_err("wrong key");
    assert!(matches!(error, StorageError::Sealing(_)), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("另一把数据密钥") && message.contains("another data key"),
        "{message}"
    );
}

/// What a bad file must produce: the errors by (row, column letter, code).
struct Bad {
    what: &'static str,
    file_name: &'static str,
    bytes: Vec<u8>,
    target: fn(&World) -> Target,
    expected: Vec<(Option<usize>, Option<&'static str>, &'static str)>,
}

fn org_target(world: &World) -> Target {
    Target::Org(world.committee)
}

fn branch_target(world: &World) -> Target {
    Target::Branch(world.branch)
}

fn with(n: u32, column: usize, value: &str) -> Vec<String> {
    let mut cells = row(n, BRANCH);
    cells[column] = value.to_string();
    cells
}

fn file(rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut all = vec![headings()];
    all.extend(rows);
    csv(&all).into_bytes()
}

#[tokio::test]
async fn bad_input_is_reported_by_row_and_column_and_nothing_is_written() {
    let world = sqlite_world().await;
    let duplicate = row(1, BRANCH);
    let mut headings_without_joined = headings();
    headings_without_joined.remove(6);
    let mut without_joined = row(1, BRANCH);
    without_joined.remove(6);
    let cases = vec![
        Bad {
            what: "a malformed xlsx",
            file_name: "名册.xlsx",
            bytes: b"PK\x03\x04 this is not a zip archive".to_vec(),
            target: org_target,
            expected: vec![(None, None, "malformed_xlsx")],
        },
        Bad {
            what: "a text file named .xlsx",
            file_name: "名册.xlsx",
            bytes: b"hello".to_vec(),
            target: org_target,
            expected: vec![(None, None, "malformed_xlsx")],
        },
        Bad {
            what: "the wrong sheet: no heading row",
            file_name: "other.csv",
            bytes: csv(&[
                strings(&["会议", "日期"]),
                strings(&["支部大会", "2026-01-05"]),
            ])
            .into_bytes(),
            target: org_target,
            expected: vec![(None, None, "no_heading_row")],
        },
        Bad {
            what: "a missing column",
            file_name: "missing.csv",
            bytes: csv(&[headings_without_joined, without_joined]).into_bytes(),
            target: org_target,
            expected: vec![(Some(1), None, "missing_column")],
        },
        Bad {
            what: "a duplicate ID number within the file",
            file_name: "dup.csv",
            bytes: file(vec![duplicate.clone(), row(2, BRANCH), {
                let mut again = row(3, BRANCH);
                again[3] = duplicate[3].clone();
                again[1] = duplicate[1].clone();
                again[4] = duplicate[4].clone();
                again
            }]),
            target: org_target,
            expected: vec![(Some(4), Some("E"), "duplicate_in_file")],
        },
        Bad {
            what: "a check digit failure",
            file_name: "check.csv",
            bytes: file(vec![
                row(1, BRANCH),
                with(2, 4, &with_wrong_check(&row(2, BRANCH)[4])),
            ]),
            target: org_target,
            expected: vec![(Some(3), Some("E"), "id_check_digit")],
        },
        Bad {
            what: "an ID number whose birth date differs from the row's",
            file_name: "birth.csv",
            bytes: file(vec![with(1, 3, "1969-01-01")]),
            target: org_target,
            expected: vec![(Some(2), Some("E"), "id_birth_date_differs")],
        },
        Bad {
            what: "an impossible date",
            file_name: "date.csv",
            bytes: file(vec![
                row(1, BRANCH),
                row(3, BRANCH),
                with(5, 6, "2026-02-30"),
            ]),
            target: org_target,
            expected: vec![(Some(4), Some("G"), "impossible_date")],
        },
        Bad {
            what: "a date in the future and words for a date",
            file_name: "dates.csv",
            bytes: file(vec![with(1, 7, "2027-01-01"), with(3, 6, "去年七月")]),
            target: org_target,
            expected: vec![
                (Some(2), Some("H"), "in_future"),
                (Some(3), Some("G"), "not_a_date"),
            ],
        },
        Bad {
            what: "a bad phone and an unknown education and sex",
            file_name: "cells.csv",
            bytes: file(vec![
                with(1, 10, "12345"),
                with(3, 5, "博士后"),
                with(5, 1, "未知"),
            ]),
            target: org_target,
            expected: vec![
                (Some(2), Some("K"), "phone_mobile_length"),
                (Some(3), Some("F"), "bad_education"),
                (Some(4), Some("B"), "bad_sex"),
            ],
        },
        Bad {
            what: "a branch outside the scope and a branch not named",
            file_name: "branch.csv",
            bytes: file(vec![with(1, 8, "不存在党支部"), with(3, 8, "")]),
            target: org_target,
            expected: vec![
                (Some(2), Some("I"), "unknown_branch"),
                (Some(3), Some("I"), "required"),
            ],
        },
        Bad {
            what: "a row for another branch when importing into one branch",
            file_name: "one.csv",
            bytes: file(vec![row(1, BRANCH), with(3, 8, OTHER_BRANCH)]),
            target: branch_target,
            expected: vec![(Some(3), Some("I"), "other_branch")],
        },
        Bad {
            what: "a full member without the date",
            file_name: "full.csv",
            bytes: {
                let mut heads = headings();
                heads.push("党员类别".into());
                let mut cells = with(1, 7, "");
                cells.push("正式党员".into());
                csv(&[heads, cells]).into_bytes()
            },
            target: org_target,
            expected: vec![(Some(2), Some("H"), "required")],
        },
    ];
    let before = record_count(&world.repository).await;
    let batches_before = world
        .repository
        .import_batches(10)
        .await
        .expect("batches")
        .len();
    for case in cases {
        let options = options((case.target)(&world), case.file_name);
        let got: Vec<(Option<usize>, Option<String>, String)> =
            match roster::preview(&world.repository, &case.bytes, &options).await {
                Err(error) => {
                    assert!(!error.message_zh.is_empty() && !error.message_en.is_empty());
                    vec![(error.row, error.column, error.code)]
                }
                Ok(preview) => {
                    for error in &preview.errors {
                        // Each names its column by letter and heading, in both languages.
                        if error.column.is_some() {
                            assert!(error.heading.is_some(), "{error}");
                            assert!(error.to_string().contains("列（"), "{error}");
                        }
                    }
                    let refused =
                        roster::commit(&world.repository, &preview, "secretary", entered(), &())
                            .await
                            .expect_err("an unclean preview is not committed");
                    assert!(matches!(refused, StorageError::Invalid(_)), "{refused}");
                    preview
                        .errors
                        .into_iter()
                        .map(|error| (error.row, error.column, error.code))
                        .collect()
                }
            };
        let expected: Vec<(Option<usize>, Option<String>, String)> = case
            .expected
            .iter()
            .map(|(row, column, code)| (*row, column.map(str::to_string), code.to_string()))
            .collect();
        assert_eq!(got, expected, "{}", case.what);
    }
    assert_eq!(
        record_count(&world.repository).await,
        before,
        "nothing was written"
    );
    assert_eq!(
        world
            .repository
            .import_batches(10)
            .await
            .expect("batches")
            .len(),
        batches_before
    );
}

#[tokio::test]
async fn duplicate_id_numbers_against_existing_members_are_refused_by_row() {
    let world = sqlite_world().await;
    import(
        &world,
        &file(vec![row(1, BRANCH), row(2, BRANCH)]),
        "first.csv",
    )
    .await;
    // The same person again (row 3), among new ones.
    let preview = roster::preview(
        &world.repository,
        &file(vec![row(3, BRANCH), row(2, BRANCH)]),
        &options(Target::Org(world.committee), "second.csv"),
    )
    .await
    .expect("reads");
    let got: Vec<_> = preview
        .errors
        .iter()
        .map(|e| (e.row, e.column.clone(), e.code.clone()))
        .collect();
    assert_eq!(
        got,
        vec![(
            Some(3),
            Some("E".to_string()),
            "duplicate_existing".to_string()
        )]
    );
    assert!(
        preview.errors[0].message_zh.contains("测试党员2"),
        "{}",
        preview.errors[0]
    );
}

#[tokio::test]
async fn the_latest_batch_rolls_back_visibly_unless_something_changed_since() {
    let world = sqlite_world().await;
    let (_, first) = import(&world, &file(vec![row(1, BRANCH), row(3, BRANCH)]), "a.csv").await;
    let (_, second) = import(&world, &file(vec![row(5, BRANCH), row(7, BRANCH)]), "b.csv").await;
    let before = members(&world.repository, world.branch).await;
    assert_eq!(before.len(), 4);
    // Roll back the second: its members get deletion versions with the reason.
    let rolled = world
        .repository
        .rollback_latest_import("secretary", "导错了文件")
        .await
        .expect("rollback");
    assert_eq!(rolled.id, second.id);
    let after = members(&world.repository, world.branch).await;
    assert_eq!(after.len(), 2);
    let gone = before
        .iter()
        .find(|m| m.body.name == "测试党员5")
        .expect("member 5");
    let history = world
        .repository
        .history(RecordKind::Member, gone.id)
        .await
        .expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].operation, ChangeOperation::Delete);
    let reason = history[1].reason.as_deref().expect("reason");
    assert!(
        reason.contains("导错了文件") && reason.contains(&format!("批次 {}", second.id)),
        "{reason}"
    );
    assert!(world.repository.verify().await.expect("verify").is_intact());
    // Now amend a member of the first batch: its rollback is refused, naming the member.
    let kept = after
        .iter()
        .find(|m| m.body.name == "测试党员1")
        .expect("member 1");
    let mut body = kept.body.clone();
    body.leading_cadre = true;
    world
        .repository
        .amend(
            kept.typed_id(),
            kept.version,
            body,
            &ChangeMeta::because("secretary", "任职"),
        )
        .await
        .expect("amend");
    let refused = world
        .repository
        .rollback_latest_import("secretary", "再撤销")
        .await
        .expect_err("changed since");
    let message = refused.to_string();
    assert!(message.contains(&format!("{}", first.id)), "{message}");
    assert!(
        message.contains("测试党员1") && message.contains("已修改"),
        "{message}"
    );
    assert_eq!(
        members(&world.repository, world.branch).await.len(),
        2,
        "nothing rolled back"
    );
}

#[tokio::test]
async fn postgres_rows_hold_no_personal_data_in_clear_and_rollback_works() {
    let Some(url) = postgres_url() else { return };
    let schema = schema_name();
    let backend = zhibu_storage_postgres::connect_with_schema(&url, &schema)
        .await
        .expect("connect");
    let pool = backend.pool().clone();
    let world = world(std::sync::Arc::new(backend), None).await;
    let rows = vec![row(1, BRANCH), row(2, OTHER_BRANCH)];
    let secrets: Vec<String> = rows
        .iter()
        .flat_map(|r| [r[4].clone(), r[10].clone()])
        .collect();
    let (_, batch) = import(&world, &file(rows), "pg.csv").await;
    assert_eq!(batch.record_count, 2);
    let raw: String = sqlx::query_scalar(
        "SELECT COALESCE(string_agg(body, ''), '') || (SELECT COALESCE(string_agg(body, ''), '') FROM record_versions) FROM records",
    )
    .fetch_one(&pool)
    .await
    .expect("raw rows");
    assert!(raw.contains("测试党员1"));
    for secret in &secrets {
        assert!(!raw.contains(secret.as_str()), "{secret} in clear");
    }
    let provenance: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM import_rows WHERE batch_id = $1")
            .bind(batch.id)
            .fetch_one(&pool)
            .await
            .expect("provenance");
    assert_eq!(provenance, 2);
    world
        .repository
        .rollback_latest_import("secretary", "测试撤销")
        .await
        .expect("rollback");
    assert!(members(&world.repository, world.branch).await.is_empty());
    assert!(world.repository.verify().await.expect("verify").is_intact());
    pool.close().await;
    let mut connection = sqlx::PgConnection::connect(&url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut connection)
        .await
        .expect("drop schema");
}
