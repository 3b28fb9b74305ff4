//! Issue 5, follow-up (B2): lesser disciplinary sanctions on the member and what they do — a
//! sponsor within a 警告 / 严重警告 / 撤销党内职务 influence period 不宜作入党介绍人 (细则 第十四条, a
//! warning), while voting rights are lost only under 留党察看 or suspended rights (章程 第四十一条) —
//! and the fields of the general meeting's resolution to admit (细则 第二十一条,
//! RECRUIT.RESOLUTION.FIELDS), as tables at each boundary.

mod support;

use std::sync::LazyLock;

use zhibu_core::admission::*;
use zhibu_core::rules::Severity;
use zhibu_core::voting::{Tally, VoteCounts, VoteEntitlement};
use zhibu_core::workdays::WorkdayCalendar;
use zhibu_core::*;

use support::{World, d};

const SPONSORS: &str = "RECRUIT.INTRODUCERS_2";
const RESOLUTION: &str = "RECRUIT.RESOLUTION.FIELDS";

static CALENDAR: LazyLock<WorkdayCalendar> =
    LazyLock::new(|| WorkdayCalendar::national().expect("the shipped calendar loads"));

fn member(statuses: &[(&str, MemberStatus)], sanctions: Vec<DisciplinarySanction>) -> Member {
    Member {
        name: "党员".into(),
        sex: Sex::Female,
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
            branch_id: OrgId(10),
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
        sanctions,
    }
}

/// 警告 decided on 2025-01-15, its influence period ending on 2026-01-14 (both days included).
fn warning() -> DisciplinarySanction {
    DisciplinarySanction {
        kind: SanctionKind::Warning,
        decided_on: d("2025-01-15"),
        decided_by: "市直机关纪工委".into(),
        influence_ends_on: d("2026-01-14"),
    }
}

#[test]
fn a_lesser_sanction_counts_from_its_decision_to_the_last_day_of_its_influence_period() {
    let warned = member(&[("2010-07-01", MemberStatus::Full)], vec![warning()]);
    let members = [(MemberId(2), &warned)];
    for (day, within) in [
        ("2025-01-14", false), // the day before the decision
        ("2025-01-15", true),  // the day of the decision
        ("2026-01-13", true),  // the day before the period ends
        ("2026-01-14", true),  // its last day
        ("2026-01-15", false), // the day after
    ] {
        let standing = standing_from_members(&members, MemberId(2), d(day)).expect("a member");
        assert_eq!(standing.status, MemberStatus::Full, "{day}");
        assert_eq!(standing.in_discipline_influence_period, within, "{day}");
        assert_eq!(
            warned.in_sanction_influence_period_on(d(day)),
            within,
            "{day}"
        );
    }
}

/// A record listed as development candidate on 2025-04-01 (2014 text) whose first sponsor, member 2,
/// is assigned on `assigned`; member 3 is a full member in good standing.
fn sponsored_on(assigned: &str) -> AdmissionRecord {
    let mut record = AdmissionRecord::new(
        AdmissionPerson {
            name: "李明".into(),
            birth_date: d("1998-03-02"),
            branch_id: OrgId(10),
            mobile: false,
        },
        d("2023-09-01"),
    );
    record.application_talk = Some(PersonTalk {
        held_on: d("2023-09-20"),
        talkers: vec![MemberId(3)],
    });
    record.activist_determined_on = Some(d("2023-11-01"));
    record.activist_filed_on = Some(d("2023-11-10"));
    record.mentors = vec![MentorAssignment {
        member_id: MemberId(3),
        assigned_on: d("2023-11-01"),
        released_on: None,
    }];
    record.activist_reviews = vec![d("2024-04-30"), d("2024-10-30")];
    record.candidate_listed_on = Some(d("2025-04-01"));
    record.candidate_reported_to_upper_on = Some(d("2025-04-05"));
    record.sponsors = vec![
        SponsorAssignment {
            member_id: MemberId(2),
            assigned_on: d(assigned),
        },
        SponsorAssignment {
            member_id: MemberId(3),
            assigned_on: d("2025-04-10"),
        },
    ];
    record
}

#[test]
fn a_sponsor_within_a_warnings_influence_period_is_warned_about_never_refused_xize2026_art14() {
    let warned = member(&[("2010-07-01", MemberStatus::Full)], vec![warning()]);
    let good = member(&[("2012-07-01", MemberStatus::Full)], Vec::new());
    let on_probation = member(
        &[
            ("2011-07-01", MemberStatus::Full),
            ("2025-06-01", MemberStatus::UnderPartyProbation),
        ],
        Vec::new(),
    );
    let members = [
        (MemberId(2), &warned),
        (MemberId(3), &good),
        (MemberId(4), &on_probation),
    ];
    let standing =
        |id: MemberId, date: chrono::NaiveDate| standing_from_members(&members, id, date);
    let context = AdmissionContext {
        calendar: &CALENDAR,
        standing: &standing,
    };
    for (assigned, expected) in [
        ("2026-01-13", Some(Severity::Warning)), // the day before the period ends
        ("2026-01-14", Some(Severity::Warning)), // its last day
        ("2026-01-15", None),                    // the day after: no finding
    ] {
        let record = sponsored_on(assigned);
        let about_sponsor: Vec<AdmissionFinding> = admission_findings(&record, &context)
            .into_iter()
            .filter(|finding| finding.field == "sponsors[0].member_id")
            .collect();
        assert_eq!(
            about_sponsor.first().map(|finding| finding.severity),
            expected,
            "assigned {assigned}: {about_sponsor:?}"
        );
        for finding in &about_sponsor {
            assert_eq!(finding.rule_id, SPONSORS);
            assert!(!finding.refused, "不宜 is not 不能: {finding:?}");
            assert!(finding.message_zh.contains("不宜作入党介绍人"));
        }
        let refused = validate_admission(&record, &context)
            .err()
            .map(|errors| {
                errors
                    .errors
                    .iter()
                    .any(|error| error.field == "sponsors[0].member_id")
            })
            .unwrap_or(false);
        assert!(!refused, "assigned {assigned}: a warning does not refuse");
    }
    // 受留党察看处分、尚未恢复党员权利的党员，不能作入党介绍人: refused, naming the field.
    let mut record = sponsored_on("2026-01-15");
    record.sponsors[0].member_id = MemberId(4);
    let errors = validate_admission(&record, &context).expect_err("refused");
    assert!(
        errors
            .errors
            .iter()
            .any(|error| error.field == "sponsors[0].member_id" && error.code == SPONSORS),
        "{errors:?}"
    );
}

#[test]
fn lesser_sanctions_take_no_voting_right_only_party_probation_and_suspension_do_charter_art41() {
    let warned = member(&[("2010-07-01", MemberStatus::Full)], vec![warning()]);
    let serious = member(
        &[("2010-07-01", MemberStatus::Full)],
        vec![DisciplinarySanction {
            kind: SanctionKind::SeriousWarning,
            decided_on: d("2025-03-01"),
            decided_by: "市直机关纪工委".into(),
            influence_ends_on: d("2026-08-31"),
        }],
    );
    let removed = member(
        &[("2010-07-01", MemberStatus::Full)],
        vec![DisciplinarySanction {
            kind: SanctionKind::RemovalFromPartyPost,
            decided_on: d("2025-03-01"),
            decided_by: "市直机关工委".into(),
            influence_ends_on: d("2027-02-28"),
        }],
    );
    let good = member(&[("2010-07-01", MemberStatus::Full)], Vec::new());
    let on_probation = member(
        &[
            ("2010-07-01", MemberStatus::Full),
            ("2025-06-01", MemberStatus::UnderPartyProbation),
        ],
        Vec::new(),
    );
    let suspended = member(
        &[
            ("2010-07-01", MemberStatus::Full),
            ("2025-06-01", MemberStatus::RightsSuspended),
        ],
        Vec::new(),
    );
    let probationary = member(&[("2025-09-01", MemberStatus::Probationary)], Vec::new());
    let members = [
        (MemberId(1), &warned),
        (MemberId(2), &serious),
        (MemberId(3), &removed),
        (MemberId(4), &good),
        (MemberId(5), &on_probation),
        (MemberId(6), &suspended),
        (MemberId(7), &probationary),
    ];
    for day in ["2026-01-14", "2026-01-15", "2026-06-10"] {
        let entitlement = VoteEntitlement::freeze(&members, d(day));
        assert_eq!(
            entitlement.voters().collect::<Vec<_>>(),
            vec![MemberId(1), MemberId(2), MemberId(3), MemberId(4)],
            "on {day}"
        );
        assert_eq!(entitlement.expected(), 4);
    }
}

#[test]
fn sanctions_are_validated_by_field_and_old_bodies_without_them_still_load() {
    let mut bad = member(&[("2010-07-01", MemberStatus::Full)], vec![warning()]);
    bad.sanctions[0].influence_ends_on = d("2025-01-14");
    bad.sanctions[0].decided_by = "  ".into();
    let errors = bad.validate().expect_err("refused");
    let fields: Vec<&str> = errors.errors.iter().map(|e| e.field.as_str()).collect();
    assert!(
        fields.contains(&"sanctions[0].influence_ends_on"),
        "{fields:?}"
    );
    assert!(fields.contains(&"sanctions[0].decided_by"), "{fields:?}");
    let mut early = member(&[("2010-07-01", MemberStatus::Full)], vec![warning()]);
    early.sanctions[0].decided_on = d("2009-01-01");
    let errors = early.validate().expect_err("refused");
    assert_eq!(errors.errors[0].field, "sanctions[0].decided_on");

    let plain = member(&[("2010-07-01", MemberStatus::Full)], Vec::new());
    let json = serde_json::to_value(&plain).expect("json");
    assert!(
        json.get("sanctions").is_none(),
        "an old body's bytes do not change"
    );
    let loaded: Member = serde_json::from_value(json).expect("an old body loads");
    assert!(loaded.sanctions.is_empty());
    let warned = member(&[("2010-07-01", MemberStatus::Full)], vec![warning()]);
    let back: Member =
        serde_json::from_str(&serde_json::to_string(&warned).expect("json")).expect("loads");
    assert_eq!(back, warned);
    assert_eq!(warned.event_date(), d("2025-01-15"));
}

fn voted(expected: u32, present: u32) -> RecordedVote {
    RecordedVote {
        held_on: d("2026-06-20"),
        meeting_id: None,
        counts: VoteCounts {
            expected,
            present,
            in_room: Tally {
                yes: present,
                no: 0,
                abstain: 0,
            },
            written: Tally::default(),
        },
        recorded_outcome: RecordedOutcome::Passed,
    }
}

fn resolution(performance: &str, signed: Option<i64>) -> AdmissionResolution {
    AdmissionResolution {
        main_performance: performance.into(),
        signed_by_secretary: signed.map(MemberId),
    }
}

#[test]
fn the_resolution_to_admit_lacks_exactly_the_fields_not_recorded_xize2026_art21() {
    use ResolutionField::*;
    let base = sponsored_on("2025-04-10");
    let rows: Vec<(
        Option<RecordedVote>,
        Option<AdmissionResolution>,
        Vec<ResolutionField>,
    )> = vec![
        // No vote yet: no resolution to judge.
        (None, None, vec![]),
        (
            Some(voted(20, 15)),
            None,
            vec![MainPerformance, SecretarySignature],
        ),
        (
            Some(voted(20, 15)),
            Some(resolution("   ", Some(1))),
            vec![MainPerformance],
        ),
        (
            Some(voted(20, 15)),
            Some(resolution("工作积极，群众评价好", None)),
            vec![SecretarySignature],
        ),
        (
            Some(voted(20, 15)),
            Some(resolution("工作积极，群众评价好", Some(1))),
            vec![],
        ),
        (
            Some(voted(0, 0)),
            Some(resolution("工作积极，群众评价好", Some(1))),
            vec![ExpectedVoters, PresentVoters],
        ),
    ];
    for (index, (vote, written, missing)) in rows.into_iter().enumerate() {
        let mut record = base.clone();
        record.admission_vote = vote;
        record.admission_resolution = written;
        assert_eq!(missing_resolution_fields(&record), missing, "row {index}");
    }
    // A resolution without a vote is refused, naming the rule and the field.
    let mut record = base;
    record.admission_resolution = Some(resolution("工作积极", Some(1)));
    let errors = record.validate().expect_err("refused");
    assert!(
        errors
            .errors
            .iter()
            .any(|error| error.field == "admission_resolution" && error.code == RESOLUTION),
        "{errors:?}"
    );
    // Old bodies without the resolution still load, and their bytes do not change.
    let json = serde_json::to_value(AdmissionRecord::new(
        AdmissionPerson {
            name: "李明".into(),
            birth_date: d("1998-03-02"),
            branch_id: OrgId(10),
            mobile: false,
        },
        d("2026-05-20"),
    ))
    .expect("json");
    assert!(json.get("admission_resolution").is_none());
    let _: AdmissionRecord = serde_json::from_value(json).expect("loads");
}

#[test]
fn the_engine_reports_a_resolution_lacking_fields_with_the_missing_ones_as_evidence_xize2026_art21()
{
    let (mut world, committee, branch) = World::committee_and_branch();
    let mut unsigned = AdmissionRecord::new(
        AdmissionPerson {
            name: "张发展".into(),
            birth_date: d("1998-03-02"),
            branch_id: branch,
            mobile: false,
        },
        d("2024-03-01"),
    );
    unsigned.admission_vote = Some(voted(20, 15));
    unsigned.admission_resolution = Some(resolution("工作积极，群众评价好", None));
    let unsigned_id = world.admission(unsigned.clone());
    let mut complete = unsigned.clone();
    complete.person.name = "王完整".into();
    complete.admission_resolution = Some(resolution("工作积极，群众评价好", Some(1)));
    world.admission(complete);
    let mut bare = unsigned.clone();
    bare.person.name = "赵空白".into();
    bare.admission_resolution = None;
    let bare_id = world.admission(bare);

    let report = world.evaluate(committee, "2026-01-01", "2026-12-31", "2026-07-01");
    let mut found: Vec<&engine::Finding> = report
        .findings
        .iter()
        .filter(|finding| finding.rule_id == RESOLUTION)
        .collect();
    found.sort_by_key(|finding| finding.evidence.records[0].id);
    assert_eq!(found.len(), 2, "{found:#?}");
    let (first, second) = (found[0], found[1]);
    assert_eq!(first.evidence.records[0].id, unsigned_id);
    assert_eq!(first.status, engine::FindingStatus::Invalid);
    assert_eq!(first.period_label, "2026-06");
    assert_eq!(
        first.evidence.missing_zh,
        vec!["党支部书记签名（admission_resolution.signed_by_secretary）"]
    );
    assert!(first.message_zh.contains("张发展"), "{}", first.message_zh);
    assert!(
        first.message_zh.contains("第二十一条"),
        "{}",
        first.message_zh
    );
    assert!(
        first.message_en.contains("secretary's signature"),
        "{}",
        first.message_en
    );
    assert_eq!(first.citation.article, "第二十一条");
    assert_eq!(second.evidence.records[0].id, bare_id);
    assert_eq!(second.evidence.missing_zh.len(), 2);
    assert!(
        second
            .message_zh
            .contains("发展对象的主要表现、党支部书记签名")
    );

    // A resolution passed outside the range evaluated is not reported in it.
    let report = world.evaluate(committee, "2025-01-01", "2025-12-31", "2026-07-01");
    assert!(
        report
            .findings
            .iter()
            .all(|finding| finding.rule_id != RESOLUTION)
    );
}
