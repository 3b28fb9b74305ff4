//! The rollback of an import writes its deletions in bulk (a few multi-row statements per 2,000
//! records) yet must leave exactly what deleting the records one by one would leave. Shared by
//! both backends' tests: the same import is written to two fresh databases; one is rolled back
//! with [`Repository::rollback_latest_import`], the other by [`Repository::delete`] called once
//! per record in the batch's row order with the same actor, reason and instant. Every chain entry
//! (hashes included) and every current row must then be equal, and `verify` must pass.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, SubsecRound, TimeZone, Utc};
use zhibu_core::rules::Catalogue;
use zhibu_core::{
    BranchPosting, EmploymentCategory, Member, MemberId, MemberStatus, Org, OrgId, OrgLevel,
    RecordKind, Sex, StatusChange, UnitKind,
};

use crate::testsuite::TestClock;
use crate::{
    Backend, ChainEntry, ChangeMeta, NewImport, RecordQuery, RecordRow, Repository, TrustedRecord,
};

/// More than one chunk of the rollback (2,000), so that the head carries across chunks.
const ROWS: usize = 2_150;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a valid test date")
}

fn instant(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 6, hour, 0, 0)
        .single()
        .expect("a valid test instant")
        + chrono::Duration::nanoseconds(123_456_789)
}

fn org(parent: Option<OrgId>, name: &str, level: OrgLevel) -> Org {
    Org {
        parent_id: parent,
        name: name.to_string(),
        level,
        unit_kind: UnitKind::Enterprise,
        established_on: date("2010-01-01"),
        dissolved_on: None,
    }
}

fn member(index: usize, branch: OrgId) -> Member {
    Member {
        name: format!("导入党员{index}"),
        sex: if index % 2 == 0 {
            Sex::Female
        } else {
            Sex::Male
        },
        birth_date: Some(date("1990-01-01")),
        joined_on: date("2015-07-01"),
        status_history: vec![
            StatusChange {
                effective_on: date("2015-07-01"),
                status: MemberStatus::Probationary,
                note: None,
            },
            StatusChange {
                effective_on: date("2016-07-01"),
                status: MemberStatus::Full,
                note: None,
            },
        ],
        postings: vec![BranchPosting {
            branch_id: branch,
            group_id: None,
            from: date("2020-01-01"),
            until: None,
            transferred_in_from: None,
            transferred_out_to: None,
        }],
        employment: EmploymentCategory::Salaried,
        leading_cadre: false,
        org_life_exemption: None,
        registry: Default::default(),
        sanctions: Vec::new(),
    }
}

/// The same org tree and import on a fresh store, with a clock the caller then moves.
async fn imported(store: Arc<dyn Backend>) -> (Repository, Arc<TestClock>, OrgId) {
    let clock = TestClock::at(instant(1));
    let repo = Repository::new(
        store,
        Arc::new(Catalogue::national().expect("the national catalogue loads")),
    )
    .with_clock(clock.clone());
    let meta = ChangeMeta::by("organizer");
    let committee = repo
        .create(org(None, "测试集团党委", OrgLevel::PartyCommittee), &meta)
        .await
        .expect("create the committee")
        .typed_id();
    let mut branches = Vec::new();
    for name in ["第一党支部", "第二党支部", "第三党支部"] {
        let branch = repo
            .create(org(Some(committee), name, OrgLevel::Branch), &meta)
            .await
            .expect("create a branch");
        branches.push((
            branch.typed_id(),
            repo.org_path(branch.typed_id()).await.expect("path"),
        ));
    }
    let committee_path = repo.org_path(committee).await.expect("committee path");
    let first = repo
        .reserve_record_ids(ROWS as u64)
        .await
        .expect("reserve ids");
    clock.set(instant(2));
    let records = (0..ROWS)
        .map(|index| {
            let (branch, path) = &branches[index % branches.len()];
            let record = TrustedRecord::new(
                first + index as i64,
                path.clone(),
                &member(index, *branch),
                instant(2).trunc_subsecs(6),
            )
            .expect("a valid member");
            // Spreadsheet rows in reverse id order, so that row order is not id order.
            (record, (ROWS - index + 1) as i64)
        })
        .collect();
    let batch = repo
        .import_load(
            &NewImport {
                kind: "roster".into(),
                org_path: committee_path,
                file_name: "roster.csv".into(),
                file_sha256: "0".repeat(64),
                sheet: None,
                actor: "importer".into(),
                records,
            },
            &(),
        )
        .await
        .expect("import");
    assert_eq!(batch.record_count, ROWS as i64);
    (repo, clock, committee)
}

async fn chain(store: &dyn Backend) -> Vec<ChainEntry> {
    let mut entries = Vec::new();
    let mut after = 0;
    loop {
        let page = store
            .chain_entries(after, 1_000)
            .await
            .expect("read the chain");
        let Some(last) = page.last() else { break };
        after = last.seq;
        entries.extend(page);
    }
    entries
}

async fn rows(store: &dyn Backend) -> Vec<RecordRow> {
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let page = store
            .all_records(after, 1_000)
            .await
            .expect("read the rows");
        let Some(last) = page.last() else { break };
        after = last.id;
        rows.extend(page);
    }
    rows
}

/// `bulk` and `one_by_one` are two fresh, migrated, empty stores of the same database.
pub async fn a_rollback_leaves_what_one_by_one_deletions_leave(
    bulk: Arc<dyn Backend>,
    one_by_one: Arc<dyn Backend>,
) {
    let (bulk_repo, bulk_clock, committee) = imported(bulk.clone()).await;
    let (reference, reference_clock, _) = imported(one_by_one.clone()).await;
    assert_eq!(
        chain(bulk.as_ref()).await,
        chain(one_by_one.as_ref()).await,
        "the two imports are the same"
    );
    let batch = bulk_repo.import_batches(1).await.expect("batches")[0].clone();

    bulk_clock.set(instant(3));
    let rolled = bulk_repo
        .rollback_latest_import("secretary", "导错了文件")
        .await
        .expect("roll back in bulk");
    assert_eq!(rolled.id, batch.id);
    assert!(rolled.rolled_back_at.is_some());

    // The reference: one deletion per record, in the batch's row order.
    reference_clock.set(instant(3));
    let provenance = {
        let mut tx = one_by_one.begin().await.expect("begin");
        let found = tx.import_batch_records(batch.id).await.expect("batch rows");
        drop(tx);
        found
    };
    assert_eq!(provenance.len(), ROWS);
    for row in &provenance {
        let meta = ChangeMeta {
            actor: "secretary".into(),
            reason: Some(format!(
                "撤销导入批次 {}（第{}行）：导错了文件 / rollback of import batch {} (row {}): 导错了文件",
                batch.id, row.row_number, batch.id, row.row_number
            )),
            idempotency_key: None,
            entered_at: Some(instant(3).trunc_subsecs(6)),
        };
        reference
            .delete::<Member>(MemberId(row.record_id), 1, &meta)
            .await
            .expect("delete one by one");
    }

    let bulk_chain = chain(bulk.as_ref()).await;
    let reference_chain = chain(one_by_one.as_ref()).await;
    assert_eq!(bulk_chain.len(), reference_chain.len());
    for (mine, theirs) in bulk_chain.iter().zip(&reference_chain) {
        assert_eq!(mine, theirs, "chain entry {}", theirs.seq);
    }
    assert_eq!(
        bulk.chain_head().await.expect("head"),
        one_by_one.chain_head().await.expect("head")
    );
    assert_eq!(rows(bulk.as_ref()).await, rows(one_by_one.as_ref()).await);
    // The deletions follow the batch's rows, each naming its row.
    let deletions = &bulk_chain[bulk_chain.len() - ROWS..];
    for (entry, row) in deletions.iter().zip(&provenance) {
        assert_eq!(entry.record_id, row.record_id);
        assert_eq!(entry.version, 2);
        assert!(
            entry
                .reason
                .as_deref()
                .is_some_and(|reason| reason.contains(&format!("第{}行", row.row_number))),
            "{:?}",
            entry.reason
        );
    }
    let report = bulk_repo.verify().await.expect("verify");
    assert!(report.is_intact(), "{:?}", report.problems);
    let path = bulk_repo.org_path(committee).await.expect("path");
    assert!(
        bulk.list(&RecordQuery::in_subtree(RecordKind::Member, &path))
            .await
            .expect("list")
            .is_empty(),
        "no member of the batch is left"
    );
    // Rolled back once: the batch is marked, and there is nothing more to roll back.
    let batches = bulk_repo.import_batches(5).await.expect("batches");
    assert_eq!(batches[0].rollback_reason.as_deref(), Some("导错了文件"));
    assert!(
        bulk_repo
            .rollback_latest_import("secretary", "再来一次")
            .await
            .is_err()
    );
}
