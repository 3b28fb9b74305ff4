//! Lesser sanctions and the resolution to admit through storage (issue 5, B2), run by each backend's
//! tests: a member's sanctions are stored and read back (a member without any keeps the bytes of an
//! old body), a sponsor within a warning's influence period is accepted in the write transaction
//! (不宜, a warning) while one under 留党察看 is refused naming the rule and the field, a resolution
//! recorded without a vote is refused, and a stored resolution lacking the secretary's signature
//! is reported by the engine over the loaded snapshot (RECRUIT.RESOLUTION.FIELDS).

use std::sync::Arc;

use chrono::NaiveDate;
use zhibu_core::admission::{
    AdmissionPerson, AdmissionRecord, AdmissionResolution, MentorAssignment, PersonTalk,
    RecordedVote, SponsorAssignment, Training,
};
use zhibu_core::engine::{EvaluationRequest, FindingStatus, evaluate};
use zhibu_core::rules::Catalogue;
use zhibu_core::voting::{Tally, VoteCounts};
use zhibu_core::*;

use crate::{Backend, ChangeMeta, RecordQuery, Repository, StorageError};

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
}

fn member(name: &str, branch: OrgId, statuses: &[(&str, MemberStatus)]) -> Member {
    Member {
        name: name.into(),
        sex: Sex::Male,
        birth_date: None,
        joined_on: d(statuses[0].0),
        status_history: statuses
            .iter()
            .map(|(on, status)| StatusChange {
                effective_on: d(on),
                status: *status,
                note: None,
            })
            .collect(),
        postings: vec![BranchPosting {
            branch_id: branch,
            group_id: None,
            from: d(statuses[0].0),
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

/// Listed as development candidate on 2025-04-01 (2014 text), trained and reviewed; sponsors
/// `sponsors` assigned on 2026-03-02, inside a warning's influence period (2026-01-15 – 2027-01-14).
fn candidate(branch: OrgId, mentor: MemberId, sponsors: [MemberId; 2]) -> AdmissionRecord {
    let mut record = AdmissionRecord::new(
        AdmissionPerson {
            name: "周发展".into(),
            birth_date: d("1998-03-02"),
            branch_id: branch,
            mobile: false,
        },
        d("2023-09-01"),
    );
    record.application_talk = Some(PersonTalk {
        held_on: d("2023-09-20"),
        talkers: vec![mentor],
    });
    record.activist_determined_on = Some(d("2023-11-01"));
    record.activist_filed_on = Some(d("2023-11-10"));
    record.mentors = vec![MentorAssignment {
        member_id: mentor,
        assigned_on: d("2023-11-01"),
        released_on: None,
    }];
    record.activist_reviews = vec![d("2024-04-30"), d("2024-10-30")];
    record.candidate_listed_on = Some(d("2025-04-01"));
    record.candidate_reported_to_upper_on = Some(d("2025-04-05"));
    record.sponsors = sponsors
        .into_iter()
        .map(|member_id| SponsorAssignment {
            member_id,
            assigned_on: d("2026-03-02"),
        })
        .collect();
    record
}

/// Panics (failing the calling test) on any deviation.
pub async fn sanctions_and_resolutions(backend: Arc<dyn Backend>) {
    let repo = Repository::new(
        backend.clone(),
        Arc::new(Catalogue::national().expect("catalogue")),
    );
    let meta = ChangeMeta::by("secretary");
    let root = repo
        .create(
            Org {
                parent_id: None,
                name: "市直机关工委".into(),
                level: OrgLevel::WorkingCommittee,
                unit_kind: UnitKind::GovernmentOrgan,
                established_on: d("2010-01-01"),
                dissolved_on: None,
            },
            &meta,
        )
        .await
        .expect("root");
    let branch = OrgId(
        repo.create(
            Org {
                parent_id: Some(OrgId(root.id)),
                name: "机关第一党支部".into(),
                level: OrgLevel::Branch,
                unit_kind: UnitKind::GovernmentOrgan,
                established_on: d("2010-01-01"),
                dissolved_on: None,
            },
            &meta,
        )
        .await
        .expect("branch")
        .id,
    );
    let full = [("2010-07-01", MemberStatus::Full)];
    let mut warned_body = member("警告党员", branch, &full);
    warned_body.sanctions.push(DisciplinarySanction {
        kind: SanctionKind::Warning,
        decided_on: d("2026-01-15"),
        decided_by: "市直机关纪工委".into(),
        influence_ends_on: d("2027-01-14"),
    });
    let warned = repo
        .create(warned_body.clone(), &meta)
        .await
        .expect("warned");
    let plain = repo
        .create(member("普通党员", branch, &full), &meta)
        .await
        .expect("plain");
    let mentor = repo
        .create(member("联系人", branch, &full), &meta)
        .await
        .expect("mentor");
    let on_probation = repo
        .create(
            member(
                "留党察看党员",
                branch,
                &[
                    ("2010-07-01", MemberStatus::Full),
                    ("2026-01-01", MemberStatus::UnderPartyProbation),
                ],
            ),
            &meta,
        )
        .await
        .expect("on probation");

    // Sanctions are read back as written; a member without any keeps an old body's bytes.
    let read = repo.get::<Member>(MemberId(warned.id)).await.expect("read");
    assert_eq!(read.body.sanctions, warned_body.sanctions);
    let rows = backend
        .list(&RecordQuery::all(RecordKind::Member))
        .await
        .expect("rows");
    let raw = |id: i64| {
        rows.iter()
            .find(|row| row.id == id)
            .map(|row| row.body.clone())
            .expect("row")
    };
    assert!(raw(warned.id).contains("\"sanctions\""));
    assert!(raw(warned.id).contains("\"warning\""));
    assert!(!raw(plain.id).contains("sanctions"), "{}", raw(plain.id));

    // A sponsor within the warning's influence period: accepted (不宜 is a warning).
    let sponsors = [MemberId(warned.id), MemberId(plain.id)];
    let stored = repo
        .create(candidate(branch, MemberId(mentor.id), sponsors), &meta)
        .await
        .expect("a sponsor under a warning is accepted");
    // One under 留党察看: refused naming the rule and the field, nothing written.
    let before = repo
        .history(RecordKind::AdmissionRecord, stored.id)
        .await
        .expect("history")
        .len();
    let refused = repo
        .create(
            candidate(
                branch,
                MemberId(mentor.id),
                [MemberId(on_probation.id), MemberId(plain.id)],
            ),
            &meta,
        )
        .await
        .expect_err("refused");
    let StorageError::Invalid(errors) = refused else {
        panic!("expected a validation error, got {refused:?}");
    };
    assert!(
        errors
            .errors
            .iter()
            .any(|error| error.field == "sponsors[0].member_id"
                && error.code == "RECRUIT.INTRODUCERS_2"),
        "{errors:?}"
    );
    assert_eq!(
        backend
            .list(&RecordQuery::all(RecordKind::AdmissionRecord))
            .await
            .expect("rows")
            .len(),
        1,
        "nothing written"
    );

    // A resolution without a vote is refused.
    let mut record = stored.body.clone();
    record.admission_resolution = Some(AdmissionResolution {
        main_performance: "工作积极".into(),
        signed_by_secretary: Some(MemberId(plain.id)),
    });
    let refused = repo
        .amend::<AdmissionRecord>(
            zhibu_core::admission::AdmissionRecordId(stored.id),
            stored.version,
            record,
            &ChangeMeta::because("secretary", "补记决议"),
        )
        .await
        .expect_err("refused");
    let StorageError::Invalid(errors) = refused else {
        panic!("expected a validation error, got {refused:?}");
    };
    assert_eq!(errors.errors[0].field, "admission_resolution");
    assert_eq!(errors.errors[0].code, "RECRUIT.RESOLUTION.FIELDS");
    assert_eq!(
        repo.history(RecordKind::AdmissionRecord, stored.id)
            .await
            .expect("history")
            .len(),
        before
    );

    // The general meeting votes; the resolution records the main performance but no signature.
    let mut record = stored.body.clone();
    record.political_review_concluded_on = Some(d("2026-03-10"));
    record.training = Some(Training {
        finished_on: d("2026-03-20"),
        days: 3,
        hours: 24,
    });
    record.committee_review_on = Some(d("2026-04-01"));
    record.pretrial_passed_on = Some(d("2026-04-10"));
    record.application_form_issued_on = Some(d("2026-04-15"));
    record.admission_vote = Some(RecordedVote {
        held_on: d("2026-05-06"),
        meeting_id: None,
        counts: VoteCounts {
            expected: 20,
            present: 15,
            in_room: Tally {
                yes: 14,
                no: 1,
                abstain: 0,
            },
            written: Tally::default(),
        },
        recorded_outcome: RecordedOutcome::Passed,
    });
    record.admission_resolution = Some(AdmissionResolution {
        main_performance: "工作积极，群众评价好".into(),
        signed_by_secretary: None,
    });
    repo.amend::<AdmissionRecord>(
        zhibu_core::admission::AdmissionRecordId(stored.id),
        stored.version,
        record,
        &ChangeMeta::because("secretary", "记录支部大会表决"),
    )
    .await
    .expect("the vote and resolution are recorded");
    let snapshot = repo
        .load_snapshot(OrgId(root.id), d("2026-01-01"), d("2026-12-31"))
        .await
        .expect("snapshot");
    let read = snapshot
        .admission_records
        .iter()
        .find(|record| record.id == stored.id)
        .expect("loaded");
    assert_eq!(
        read.body
            .admission_resolution
            .as_ref()
            .map(|resolution| resolution.main_performance.as_str()),
        Some("工作积极，群众评价好")
    );
    let report = evaluate(
        repo.catalogue(),
        &snapshot,
        &EvaluationRequest {
            root: OrgId(root.id),
            from: d("2026-01-01"),
            to: d("2026-12-31"),
            today: d("2026-06-01"),
            horizon_days: 30,
        },
    );
    let found: Vec<_> = report
        .findings
        .iter()
        .filter(|finding| finding.rule_id == "RECRUIT.RESOLUTION.FIELDS")
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].status, FindingStatus::Invalid);
    assert_eq!(found[0].evidence.records[0].id, stored.id);
    assert_eq!(
        found[0].evidence.missing_en,
        vec!["the branch secretary's signature (admission_resolution.signed_by_secretary)"]
    );
}
