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
