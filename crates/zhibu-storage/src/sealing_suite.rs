//! Income bases sealed at rest (issue 4), shared by both backends' tests so that SQLite and
//! PostgreSQL are held to the same behaviour:
//!
//! - a declaration's `monthly_base` is written and hashed sealed: neither its row nor any version
//!   in the chain holds the amount, and the sealed value carries no blind index;
//! - the repository (with the data key) reads it back as the amount, and the collection report and
//!   the member's ledger computed from what it reads owe the right fen;
//! - without the key it is an error naming the field, never an amount of zero;
//! - the engine, which reads snapshots without the key, sees the base as sealed and still finds the
//!   member who paid nothing for six months, naming no amount;
//! - a base an older version wrote in clear still reads, and [`reseal_clear_values`] seals it by
//!   appending a version with the reason, leaving the record's content as it was.
//!
//! The backend's own test also reads the raw database (file or tables) for the amounts the suite
//! returns in [`SealedIncome::clear_texts`].

use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::json;
use zhibu_core::dues::{
    BranchDuesPolicy, DuesPayment, DuesRecords, IncomeDeclaration, IncomeDeclarationId,
    MonthlyBase, YearMonth, branch_collection_report, member_ledger,
};
use zhibu_core::engine::{EvaluationRequest, evaluate};
use zhibu_core::money::Fen;
use zhibu_core::rules::Catalogue;
use zhibu_core::{Member, MemberId, Org, OrgId, RecordKind, Stored};

use crate::sealing::{DataKey, RESEAL_REASON, reseal_clear_values};
use crate::{
    Backend, ChangeMeta, ListRequest, RecordQuery, Repository, StorageError, TrustedRecord,
};

/// What the backend's test checks in the raw database after [`income_bases_are_sealed_at_rest`].
#[derive(Debug)]
pub struct SealedIncome {
    /// Texts that would appear in a stored body if a base were kept in clear (`"monthly_base":N`,
    /// with or without the space PostgreSQL writes); none may appear anywhere in the database.
    pub clear_texts: Vec<String>,
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a valid test date")
}

fn month(text: &str) -> YearMonth {
    YearMonth::parse(text).expect("a valid test month")
}

fn member(name: &str, branch: OrgId) -> Member {
    serde_json::from_value(json!({
        "name": name, "sex": "female", "birth_date": "1980-03-01", "joined_on": "2010-07-01",
        "status_history": [
            {"effective_on": "2010-07-01", "status": "probationary"},
            {"effective_on": "2011-07-01", "status": "full"}
        ],
        "postings": [{"branch_id": branch.0, "from": "2015-01-01"}],
        "employment": "salaried"
    }))
    .expect("a member")
}

fn org(parent: Option<OrgId>, name: &str, level: &str) -> Org {
    serde_json::from_value(json!({
        "parent_id": parent.map(|id| id.0), "name": name, "level": level,
        "unit_kind": "government_organ", "established_on": "2010-01-01"
    }))
    .expect("an org")
}

fn declaration(member: MemberId, branch: OrgId, base_fen: i64) -> IncomeDeclaration {
    serde_json::from_value(json!({
        "member_id": member.0, "branch_id": branch.0, "category": "salaried",
        "monthly_base": base_fen, "effective_month": "2026-01"
    }))
    .expect("a declaration")
}

/// Runs the suite on `backend` (freshly migrated). Bases: 3 456.78 元 for 甲 (1% → 34.57 元 a
/// month), 8 765.43 元 for 乙 (1.5% → 131.48 元); 甲 pays every month, 乙 never.
pub async fn income_bases_are_sealed_at_rest(backend: Arc<dyn Backend>) -> SealedIncome {
    let catalogue = Arc::new(Catalogue::national().expect("the national catalogue"));
    let repository = Repository::new(backend.clone(), catalogue.clone())
        .with_data_key(Arc::new(DataKey::from_bytes(&[9; 32])));
    let meta = ChangeMeta::by("sealing-suite");
    let committee = repository
        .create(org(None, "机关党委", "working_committee"), &meta)
        .await
        .expect("committee");
    let branch = repository
        .create(
            org(Some(OrgId(committee.id)), "财务处党支部", "branch"),
            &meta,
        )
        .await
        .expect("branch");
    let branch = OrgId(branch.id);
    let payer = MemberId(
        repository
            .create(member("甲", branch), &meta)
            .await
            .expect("甲")
            .id,
    );
    let defaulter = MemberId(
        repository
            .create(member("乙", branch), &meta)
            .await
            .expect("乙")
            .id,
    );
    repository
        .create(
            serde_json::from_value::<BranchDuesPolicy>(json!({
                "branch_id": branch.0, "decided_on": "2025-12-20", "ledger_opened": "2026-01",
                "farmer_monthly_amount": 20, "remit_share": 10000
            }))
            .expect("a dues policy"),
            &meta,
        )
        .await
        .expect("dues policy");
    let payer_base = 345_678;
    let defaulter_base = 876_543;
    let first = repository
        .create(declaration(payer, branch, payer_base), &meta)
        .await
        .expect("甲's declaration");
    let second = repository
        .create(declaration(defaulter, branch, defaulter_base), &meta)
        .await
        .expect("乙's declaration");
    // What create hands back is opened.
    assert_eq!(
        first.body.monthly_base,
        MonthlyBase::Amount(Fen::from_fen(payer_base))
    );
    for (index, paid_on) in [
        "2026-01-10",
        "2026-02-10",
        "2026-03-10",
        "2026-04-10",
        "2026-05-10",
        "2026-06-10",
    ]
    .into_iter()
    .enumerate()
    {
        let payment: DuesPayment = serde_json::from_value(json!({
            "member_id": payer.0, "branch_id": branch.0, "paid_on": paid_on, "amount": 3_457,
            "months_covered": [format!("2026-0{}", index + 1)], "method": "transfer"
        }))
        .expect("a payment");
        repository.create(payment, &meta).await.expect("payment");
    }

    // The stored rows and every version in the chain hold the base sealed, without an index.
    // As JSON text writes them, and as PostgreSQL writes a JSON column out.
    let clear_texts: Vec<String> = [payer_base, defaulter_base]
        .iter()
        .flat_map(|base| {
            [
                format!("\"monthly_base\":{base}"),
                format!("\"monthly_base\": {base}"),
            ]
        })
        .collect();
    let bare = [payer_base.to_string(), defaulter_base.to_string()];
    let rows = backend
        .list(&RecordQuery::all(RecordKind::IncomeDeclaration))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let body: serde_json::Value = serde_json::from_str(&row.body).expect("json");
        let sealed = &body["monthly_base"];
        assert!(sealed.get("sealed").is_some(), "{}", row.body);
        assert!(
            sealed.get("index").is_none(),
            "an income needs no blind index: {}",
            row.body
        );
        for text in clear_texts.iter().chain(&bare) {
            assert!(!row.body.contains(text.as_str()), "{text} in {}", row.body);
        }
        for version in repository
            .history(RecordKind::IncomeDeclaration, row.id)
            .await
            .expect("history")
        {
            for text in clear_texts.iter().chain(&bare) {
                assert!(
                    !version.body.contains(text.as_str()),
                    "{text} in the chain: {}",
                    version.body
                );
            }
        }
    }

    // The repository opens it; without the key it is an error naming the field, never zero.
    let read = repository
        .get::<IncomeDeclaration>(IncomeDeclarationId::from(second.id))
        .await
        .expect("opened");
    assert_eq!(
        read.body.monthly_base.amount(),
        Some(Fen::from_fen(defaulter_base))
    );
    let keyless = Repository::new(backend.clone(), catalogue.clone());
    match keyless
        .get::<IncomeDeclaration>(IncomeDeclarationId::from(second.id))
        .await
    {
        Err(StorageError::Sealing(error)) => {
            assert!(error.to_string().contains("monthly_base"), "{error}")
        }
        other => panic!("a sealed base read without the key: {other:?}"),
    }

    // The collection report and the ledger, from what the repository reads (as the web and print
    // layers compute them), owe the right fen.
    let members: Vec<Stored<Member>> = repository
        .list::<Member>(&ListRequest {
            subtree: Some(branch),
            ..ListRequest::default()
        })
        .await
        .expect("members")
        .items;
    let declarations: Vec<IncomeDeclaration> = repository
        .list::<IncomeDeclaration>(&ListRequest {
            subtree: Some(branch),
            ..ListRequest::default()
        })
        .await
        .expect("declarations")
        .items
        .into_iter()
        .map(|stored| stored.body)
        .collect();
    let payments: Vec<DuesPayment> = repository
        .list::<DuesPayment>(&ListRequest {
            subtree: Some(branch),
            ..ListRequest::default()
        })
        .await
        .expect("payments")
        .items
        .into_iter()
        .map(|stored| stored.body)
        .collect();
    let records = DuesRecords {
        declarations: &declarations,
        payments: &payments,
        reliefs: &[],
    };
    let policy = zhibu_core::dues::DuesPolicy::default();
    let report = branch_collection_report(
        branch,
        &members,
        &records,
        &policy,
        month("2026-01"),
        month("2026-06"),
    );
    // 34.57 + 131.48 元 (1% of 3 456.78 and 1.5% of 8 765.43, rounded to the fen).
    assert_eq!(report.expected, Fen::from_fen(3_457 + 13_148), "{report:?}");
    assert!(report.members_with_unknown_due.is_empty(), "{report:?}");
    assert_eq!(report.collected, Fen::from_fen(3_457));
    assert_eq!(report.members_in_arrears, vec![defaulter]);
    assert_eq!(report.arrears_total, Fen::from_fen(6 * 13_148));
    let defaulter_record = members.iter().find(|m| m.id == defaulter.0).expect("乙");
    let ledger = member_ledger(
        defaulter_record,
        &records,
        &policy,
        month("2026-01"),
        month("2026-06"),
    );
    assert_eq!(ledger.total_owed, Fen::from_fen(6 * 13_148));
    assert_eq!(ledger.arrears, Fen::from_fen(6 * 13_148));

    // The engine reads without the key: it sees the bases sealed, computes no amount, and still
    // finds 乙's six months without dues (and nothing about 甲).
    let snapshot = repository
        .load_snapshot(branch, date("2026-01-01"), date("2026-07-15"))
        .await
        .expect("snapshot");
    assert_eq!(snapshot.income_declarations.len(), 2);
    assert!(
        snapshot
            .income_declarations
            .iter()
            .all(|d| d.body.monthly_base.is_sealed())
    );
    let report = evaluate(
        &catalogue,
        &snapshot,
        &EvaluationRequest {
            root: branch,
            from: date("2026-01-01"),
            to: date("2026-07-15"),
            today: date("2026-07-15"),
            horizon_days: 30,
        },
    );
    let nonpayment: Vec<_> = report
        .findings
        .iter()
        .filter(|finding| finding.rule_id == "DUES.NONPAYMENT.SIX_MONTHS")
        .collect();
    assert_eq!(nonpayment.len(), 1, "{nonpayment:#?}");
    let finding = nonpayment[0];
    assert!(
        finding.message_zh.contains("乙") && finding.message_zh.contains("6个月"),
        "{}",
        finding.message_zh
    );
    assert!(finding.is_open());
    assert_eq!(finding.evidence.missing_zh.len(), 6);
    assert!(
        finding
            .evidence
            .missing_zh
            .iter()
            .all(|line| line.contains("应交额见党费账")),
        "{:?}",
        finding.evidence.missing_zh
    );
    assert!(
        !format!("{finding:?}").contains("131.48"),
        "the engine knows no amount"
    );

    // A base written in clear by an older version (before it was sealed) still reads, and the
    // re-seal appends a sealed version with the reason.
    let old_id = repository.reserve_record_ids(1).await.expect("id");
    let path = repository.org_path(branch).await.expect("path");
    let old_base = 123_456;
    let mut old = TrustedRecord::new(
        old_id,
        path,
        &declaration(MemberId(payer.0), branch, old_base),
        repository.now(),
    )
    .expect("trusted");
    old.personal_fields = &[];
    repository
        .bulk_load(&[old], "older-version")
        .await
        .expect("loaded in clear");
    let raw = backend.get(old_id).await.expect("raw").expect("row");
    assert!(
        raw.body.contains(&format!("\"monthly_base\":{old_base}")),
        "{}",
        raw.body
    );
    let opened = repository
        .get::<IncomeDeclaration>(IncomeDeclarationId::from(old_id))
        .await
        .expect("a clear base still reads");
    assert_eq!(
        opened.body.monthly_base.amount(),
        Some(Fen::from_fen(old_base))
    );
    let resealed = reseal_clear_values(&repository, "zhibu migrate")
        .await
        .expect("resealed");
    assert_eq!(
        resealed.resealed,
        vec![(RecordKind::IncomeDeclaration, old_id, 2)]
    );
    assert!(resealed.refused.is_empty(), "{resealed:?}");
    let raw = backend.get(old_id).await.expect("raw").expect("row");
    assert!(!raw.body.contains(&old_base.to_string()), "{}", raw.body);
    let history = repository
        .history(RecordKind::IncomeDeclaration, old_id)
        .await
        .expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].reason.as_deref(), Some(RESEAL_REASON));
    assert_eq!(history[1].actor, "zhibu migrate");
    let after = repository
        .get::<IncomeDeclaration>(IncomeDeclarationId::from(old_id))
        .await
        .expect("opened");
    assert_eq!(after.body, opened.body, "the content is unchanged");
    // Nothing is left to re-seal, and the chain still verifies.
    let again = reseal_clear_values(&repository, "zhibu migrate")
        .await
        .expect("again");
    assert!(again.resealed.is_empty(), "{again:?}");
    let verified = repository.verify().await.expect("verified");
    assert!(verified.is_intact(), "{:?}", verified.problems);
    // The clear text of the old base stays in its first version (the chain is never rewritten);
    // the backend's raw check leaves it out.
    SealedIncome { clear_texts }
}
