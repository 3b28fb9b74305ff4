//! Admission pipelines through storage: validated in the write transaction against the rule
//! version in force, loaded into the engine's snapshot, and reported when a step is overdue.

use std::sync::Arc;

use chrono::NaiveDate;
use zhibu_core::admission::{AdmissionPerson, AdmissionRecord, PersonTalk};
use zhibu_core::engine::{EvaluationRequest, FindingStatus, evaluate};
use zhibu_core::rules::Catalogue;
use zhibu_core::*;
use zhibu_storage::{Backend, ChangeMeta, Repository, StorageError};

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

async fn repository() -> Repository {
    let path = std::env::temp_dir().join(format!(
        "zhibu-admission-{}-{}.db",
        std::process::id(),
        rand_suffix()
    ));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("catalogue")),
    )
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

#[tokio::test]
async fn an_admission_record_is_checked_stored_and_reported() {
    let repo = repository().await;
    let meta = ChangeMeta::by("secretary");
    let root = repo
        .create(
            Org {
                parent_id: None,
                name: "市直机关工委".into(),
                level: OrgLevel::WorkingCommittee,
                unit_kind: UnitKind::GovernmentOrgan,
                established_on: d("2018-01-01"),
                dissolved_on: None,
            },
            &meta,
        )
        .await
        .expect("root");
    let branch = repo
        .create(
            Org {
                parent_id: Some(OrgId(root.id)),
                name: "第一党支部".into(),
                level: OrgLevel::Branch,
                unit_kind: UnitKind::GovernmentOrgan,
                established_on: d("2018-01-01"),
                dissolved_on: None,
            },
            &meta,
        )
        .await
        .expect("branch");
    let person = AdmissionPerson {
        name: "李申请".into(),
        birth_date: d("2001-03-04"),
        branch_id: OrgId(branch.id),
        mobile: false,
    };

    // A talk two months after the application, with no recorded reason, is refused naming the rule.
    let mut late = AdmissionRecord::new(person.clone(), d("2026-06-01"));
    late.application_talk = Some(PersonTalk {
        held_on: d("2026-08-05"),
        talkers: vec![],
    });
    let error = repo
        .create(late, &meta)
        .await
        .expect_err("late talk refused");
    let StorageError::Invalid(errors) = error else {
        panic!("expected a validation error, got {error:?}")
    };
    assert!(
        errors
            .errors
            .iter()
            .any(|e| e.field.starts_with("application_talk")
                && e.message_zh.contains("RECRUIT.TALK.WITHIN_1_MONTH")),
        "{errors:?}"
    );
    assert!(
        repo.list::<AdmissionRecord>(&Default::default())
            .await
            .expect("list")
            .items
            .is_empty(),
        "nothing written"
    );

    // A fresh application is stored and, a month and a day later, its talk is overdue.
    let stored = repo
        .create(AdmissionRecord::new(person, d("2026-06-01")), &meta)
        .await
        .expect("stored");
    let snapshot = repo
        .load_snapshot(OrgId(root.id), d("2026-07-02"), d("2026-07-02"))
        .await
        .expect("snapshot");
    assert_eq!(snapshot.admission_records.len(), 1);
    let request = EvaluationRequest {
        root: OrgId(root.id),
        from: d("2026-07-02"),
        to: d("2026-07-02"),
        today: d("2026-07-02"),
        horizon_days: 30,
    };
    let report = evaluate(repo.catalogue(), &snapshot, &request);
    let talk = report
        .findings
        .iter()
        .find(|f| f.rule_id == "RECRUIT.TALK.WITHIN_1_MONTH")
        .expect("overdue talk");
    assert_eq!(talk.status, FindingStatus::Overdue);
    assert_eq!(talk.evidence.records[0].id, stored.id);
    assert_eq!(talk.citation.article, "第七条");
}

/// 细则 第二十二条 (RECRUIT.APPROVAL.PARTY_COMMITTEE_ONLY): the committee that approves is a 党委 or
/// 工委 above the branch; a 党总支 between them, the branch itself, a committee elsewhere and an
/// org that does not exist are refused naming the field and the rule, and nothing is written.
#[tokio::test]
async fn the_approving_committee_is_a_party_committee_above_the_branch_xize2026_art22() {
    let repo = repository().await;
    let meta = ChangeMeta::by("secretary");
    let org = |parent: Option<i64>, name: &str, level: OrgLevel| Org {
        parent_id: parent.map(OrgId),
        name: name.into(),
        level,
        unit_kind: UnitKind::GovernmentOrgan,
        established_on: d("2018-01-01"),
        dissolved_on: None,
    };
    let root = repo
        .create(org(None, "市直机关工委", OrgLevel::WorkingCommittee), &meta)
        .await
        .expect("root")
        .id;
    let committee = repo
        .create(
            org(Some(root), "财政局机关党委", OrgLevel::PartyCommittee),
            &meta,
        )
        .await
        .expect("committee")
        .id;
    let general = repo
        .create(
            org(Some(committee), "第一党总支", OrgLevel::GeneralBranch),
            &meta,
        )
        .await
        .expect("general branch")
        .id;
    let branch = repo
        .create(org(Some(general), "第一党支部", OrgLevel::Branch), &meta)
        .await
        .expect("branch")
        .id;
    let elsewhere = repo
        .create(
            org(Some(root), "税务局机关党委", OrgLevel::PartyCommittee),
            &meta,
        )
        .await
        .expect("elsewhere")
        .id;
    // (approving committee, accepted?)
    let table = [
        (committee, true),
        (root, true),
        (general, false),
        (branch, false),
        (elsewhere, false),
        (999_999, false),
    ];
    for (approver, accepted) in table {
        let mut record = AdmissionRecord::new(
            AdmissionPerson {
                name: format!("申请人{approver}"),
                birth_date: d("2000-01-01"),
                branch_id: OrgId(branch),
                mobile: false,
            },
            d("2026-06-01"),
        );
        record.approving_committee = Some(OrgId(approver));
        let before = repo
            .backend()
            .chain_head()
            .await
            .expect("head")
            .map(|head| head.seq);
        match repo.create(record, &meta).await {
            Ok(_) => assert!(accepted, "approver {approver} was accepted"),
            Err(StorageError::Invalid(errors)) => {
                assert!(!accepted, "approver {approver} was refused: {errors:?}");
                assert_eq!(errors.errors[0].field, "approving_committee");
                assert_eq!(
                    errors.errors[0].code,
                    "RECRUIT.APPROVAL.PARTY_COMMITTEE_ONLY"
                );
                assert!(errors.errors[0].message_zh.contains("第二十二条"));
                let after = repo
                    .backend()
                    .chain_head()
                    .await
                    .expect("head")
                    .map(|head| head.seq);
                assert_eq!(before, after, "nothing written");
            }
            Err(other) => panic!("approver {approver}: {other}"),
        }
    }
}
