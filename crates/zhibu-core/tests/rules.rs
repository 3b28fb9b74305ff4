//! Rule tests as tables, one row per boundary. Each test's name carries the article it checks.

mod support;

use support::{World, d, of_rule};
use zhibu_core::engine::FindingStatus::{self, *};
use zhibu_core::rules::*;
use zhibu_core::*;

const COMMITTEE_MONTHLY: &str = "BRANCH.COMMITTEE_MEETING.MONTHLY";
const GENERAL_QUARTERLY: &str = "BRANCH.GENERAL_MEETING.QUARTERLY";
const THEME_DAY: &str = "BRANCH.THEME_DAY.MONTHLY";

/// 支部工作条例 第十二条: 党支部委员会会议须有半数以上委员到会 — at least half, half included.
#[test]
fn committee_meeting_quorum_is_at_least_half_zhibu_tiaoli_art12() {
    // (committee size, present, counts?)
    let table = [
        (4, 1, false),
        (4, 2, true),
        (5, 2, false),
        (5, 3, true),
        (3, 1, false),
        (3, 2, true),
        (6, 3, true),
        (7, 3, false),
    ];
    for (size, present, counts) in table {
        let (mut world, root, branch) = World::committee_and_branch();
        let members = world.members(branch, 10);
        let committee = &members[..size];
        world.term(
            branch,
            LeadershipForm::Committee,
            "2025-01-10",
            3,
            committee,
        );
        world.meeting(
            branch,
            &[MeetingKind::CommitteeMeeting],
            "2026-03-10",
            committee,
            &committee[..present],
        );
        let report = world.evaluate(root, "2026-03-01", "2026-03-31", "2026-04-15");
        let expected: Vec<(String, FindingStatus)> = if counts {
            vec![]
        } else {
            vec![("2026-03".into(), Invalid)]
        };
        assert_eq!(
            of_rule(&report, COMMITTEE_MONTHLY),
            expected,
            "committee of {size}, {present} present"
        );
        if !counts {
            let finding = report
                .findings
                .iter()
                .find(|f| f.rule_id == COMMITTEE_MONTHLY)
                .expect("finding");
            assert_eq!(
                finding.evidence.records.len(),
                1,
                "the meeting that did not count is the evidence"
            );
            assert_eq!(finding.citation.article, "第十二条");
            assert!(
                finding.message_zh.contains("不足半数"),
                "{}",
                finding.message_zh
            );
        }
    }
}

/// 支部工作条例 第十二条: only branches with a committee owe a monthly committee meeting.
#[test]
fn committee_meeting_is_owed_only_with_a_committee_zhibu_tiaoli_art12() {
    let (mut world, root, branch) = World::committee_and_branch();
    let members = world.members(branch, 5);
    world.term(
        branch,
        LeadershipForm::SecretaryOnly,
        "2025-01-10",
        3,
        &members[..1],
    );
    let report = world.evaluate(root, "2026-01-01", "2026-03-31", "2026-04-15");
    assert_eq!(of_rule(&report, COMMITTEE_MONTHLY), vec![]);
}

/// 支部工作条例 第十一条: a general meeting each calendar quarter; 31 March is Q1, 1 April is Q2.
#[test]
fn general_meeting_quarter_boundaries_zhibu_tiaoli_art11() {
    // (meeting date, expected findings for Q1 and Q2 judged on 2026-07-01)
    let table: [(&str, Vec<(&str, FindingStatus)>); 4] = [
        ("2026-03-31", vec![("2026-Q2", Missing)]),
        ("2026-04-01", vec![("2026-Q1", Missing)]),
        ("2026-01-01", vec![("2026-Q2", Missing)]),
        ("2026-06-30", vec![("2026-Q1", Missing)]),
    ];
    for (held_on, expected) in table {
        let (mut world, root, branch) = World::committee_and_branch();
        let members = world.members(branch, 5);
        world.meeting(
            branch,
            &[MeetingKind::GeneralMeeting],
            held_on,
            &members,
            &members,
        );
        let report = world.evaluate(root, "2026-01-01", "2026-06-30", "2026-07-01");
        let expected: Vec<(String, FindingStatus)> = expected
            .into_iter()
            .map(|(p, s)| (p.to_string(), s))
            .collect();
        assert_eq!(
            of_rule(&report, GENERAL_QUARTERLY),
            expected,
            "general meeting held on {held_on}"
        );
    }
}

/// 教育管理条例 第十六条: the themed Party day of a month is judged only once the month is over; on
/// its last day it is still coming due.
#[test]
fn themed_day_last_day_of_month_jiaoyu_guanli_tiaoli_art16() {
    // (today, meeting date or none, expected status for 2026-02)
    let table: [(&str, Option<&str>, Vec<FindingStatus>); 6] = [
        ("2026-02-28", None, vec![ComingDue]),
        ("2026-03-01", None, vec![Missing]),
        ("2026-03-01", Some("2026-02-28"), vec![]),
        ("2026-03-01", Some("2026-03-01"), vec![Missing]),
        ("2026-02-27", Some("2026-02-27"), vec![]),
        ("2026-01-15", None, vec![]),
    ];
    for (today, held_on, expected) in table {
        let (mut world, root, branch) = World::committee_and_branch();
        let members = world.members(branch, 4);
        if let Some(held_on) = held_on {
            world.meeting(
                branch,
                &[MeetingKind::ThemedPartyDay],
                held_on,
                &members,
                &members,
            );
        }
        let report = world.evaluate(root, "2026-02-01", "2026-02-28", today);
        let statuses: Vec<FindingStatus> = of_rule(&report, THEME_DAY)
            .into_iter()
            .map(|(_, status)| status)
            .collect();
        assert_eq!(statuses, expected, "today {today}, themed day {held_on:?}");
    }
}

/// Leap years: 29 February 2028 is a day of February; a term elected on 29 February 2024 ends on
/// 28 February 2027 (选举工作条例 第三条, 支部工作条例 第二十一条).
#[test]
fn leap_days_count_in_february_and_clamp_term_ends_xuanju_tiaoli_art3() {
    let (mut world, root, branch) = World::committee_and_branch();
    let members = world.members(branch, 4);
    world.meeting(
        branch,
        &[MeetingKind::ThemedPartyDay],
        "2028-02-29",
        &members,
        &members,
    );
    let report = world.evaluate(root, "2028-02-01", "2028-02-29", "2028-03-01");
    assert_eq!(of_rule(&report, THEME_DAY), vec![]);

    // (today, expected term finding)
    let table: [(&str, Vec<(String, FindingStatus)>); 4] = [
        ("2026-08-27", vec![]),
        ("2026-08-28", vec![("2027-02-28".into(), ComingDue)]),
        ("2027-02-27", vec![("2027-02-28".into(), ComingDue)]),
        ("2027-02-28", vec![("2027-02-28".into(), Overdue)]),
    ];
    for (today, expected) in table {
        let (mut world, root, branch) = World::committee_and_branch();
        let members = world.members(branch, 4);
        world.term(
            branch,
            LeadershipForm::SecretaryOnly,
            "2024-02-29",
            3,
            &members[..1],
        );
        let report = world.evaluate(root, today, today, today);
        assert_eq!(
            of_rule(&report, "BRANCH.COMMITTEE.TERM_EXPIRY"),
            expected,
            "today {today}"
        );
    }
}

/// 支部工作条例 第四条、第五条 and the 7-member threshold: 2 vs 3 full members, 6 vs 7 full members.
#[test]
fn full_member_thresholds_zhibu_tiaoli_art4_committee_threshold_7() {
    // (full members, probationary members, leadership form, min-members finding?, committee-required finding?)
    let table = [
        (2, 1, LeadershipForm::SecretaryOnly, true, false),
        (3, 0, LeadershipForm::SecretaryOnly, false, false),
        (6, 3, LeadershipForm::SecretaryOnly, false, false),
        (7, 0, LeadershipForm::SecretaryOnly, false, true),
        (7, 0, LeadershipForm::Committee, false, false),
    ];
    for (full, probationary, form, too_few, needs_committee) in table {
        let (mut world, root, branch) = World::committee_and_branch();
        let members = world.members(branch, full);
        for _ in 0..probationary {
            world.member(branch, MemberStatus::Probationary);
        }
        let seats = if form == LeadershipForm::Committee {
            3
        } else {
            1
        };
        world.term(branch, form, "2025-06-01", 3, &members[..seats]);
        let report = world.evaluate(root, "2026-01-01", "2026-01-31", "2026-02-01");
        assert_eq!(
            !of_rule(&report, "BRANCH.SETUP.MIN_FULL_MEMBERS").is_empty(),
            too_few,
            "{full} full + {probationary} probationary"
        );
        assert_eq!(
            !of_rule(&report, "BRANCH.COMMITTEE.THRESHOLD_7").is_empty(),
            needs_committee,
            "{full} full, {form:?}"
        );
    }
}

/// Members under 留党察看 are full members (counted for the branch's size) without voting rights.
#[test]
fn members_under_party_probation_count_as_full_members_zhangcheng_art41() {
    let (mut world, root, branch) = World::committee_and_branch();
    let members = world.members(branch, 2);
    world.member(branch, MemberStatus::UnderPartyProbation);
    world.term(
        branch,
        LeadershipForm::SecretaryOnly,
        "2025-06-01",
        3,
        &members[..1],
    );
    let report = world.evaluate(root, "2026-01-01", "2026-01-31", "2026-02-01");
    assert_eq!(of_rule(&report, "BRANCH.SETUP.MIN_FULL_MEMBERS"), vec![]);
}

/// 支部工作条例 第十一条: quorum 半数以上 (≥ half) of those with voting rights; passage 超过 (>) half
/// of those expected. Probationary members are not counted (章程 第七条).
#[test]
fn general_meeting_vote_quorum_and_passage_zhibu_tiaoli_art11() {
    // (present of 20 voting members, yes, recorded outcome, expected finding message key)
    let table = [
        (10, 10, RecordedOutcome::Rejected, None),
        (9, 9, RecordedOutcome::Rejected, Some("no_quorum")),
        (10, 10, RecordedOutcome::Passed, Some("not_passed")),
        (11, 11, RecordedOutcome::Passed, None),
        (20, 11, RecordedOutcome::Passed, None),
    ];
    for (present, yes, outcome, expected) in table {
        let (mut world, root, branch) = World::committee_and_branch();
        let voters = world.members(branch, 20);
        let probationary: Vec<MemberId> = (0..3)
            .map(|_| world.member(branch, MemberStatus::Probationary))
            .collect();
        let mut attending = voters[..present].to_vec();
        attending.extend(&probationary);
        let mut roster = voters.clone();
        roster.extend(&probationary);
        let meeting = world.meeting(
            branch,
            &[MeetingKind::GeneralMeeting],
            "2026-03-10",
            &roster,
            &attending,
        );
        world.resolution(meeting, yes, outcome);
        let report = world.evaluate(root, "2026-03-01", "2026-03-31", "2026-04-01");
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.rule_id == "BRANCH.GENERAL_MEETING.QUORUM_MAJORITY")
            .collect();
        match expected {
            None => assert!(
                findings.is_empty(),
                "{present} present, {yes} yes: {findings:?}"
            ),
            Some(key) => {
                assert_eq!(findings.len(), 1, "{present} present, {yes} yes");
                let marker = if key == "no_quorum" {
                    "未达到"
                } else {
                    "未超过"
                };
                assert!(
                    findings[0].message_zh.contains(marker),
                    "{}",
                    findings[0].message_zh
                );
                assert!(
                    findings[0].evidence.records[0]
                        .note_zh
                        .contains("应到会有表决权党员20人"),
                    "{:?}",
                    findings[0].evidence
                );
            }
        }
    }
}

/// 支部工作条例 第十九条: every pair of committee members and every member with a committee member,
/// once a year; members exempted for age or illness are not required.
#[test]
fn heart_to_heart_talk_coverage_zhibu_tiaoli_art19() {
    let (mut world, root, branch) = World::committee_and_branch();
    let members = world.members(branch, 6);
    let (committee, others) = members.split_at(3);
    world.term(
        branch,
        LeadershipForm::Committee,
        "2025-01-10",
        3,
        committee,
    );
    world.talk(branch, "2025-03-01", committee[0], committee[1]);
    world.talk(branch, "2025-03-02", committee[0], committee[2]);
    world.talk(branch, "2025-03-03", committee[1], others[0]);
    world.talk(branch, "2025-03-04", others[1], others[2]);
    world.exempt_member(others[2]);
    let report = world.evaluate(root, "2025-01-01", "2025-12-31", "2026-01-05");
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule_id == "BRANCH.HEART_TALK.YEARLY")
        .expect("talk finding");
    assert_eq!(finding.status, Missing);
    assert_eq!(finding.period_label, "2025");
    let missing = &finding.evidence.missing_en;
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert!(
        missing[0].contains("between committee members"),
        "{missing:?}"
    );
    assert!(
        missing[1].contains(&format!("党员{}", others[1])),
        "{missing:?}"
    );

    // Talks complete the picture: no finding.
    world.talk(branch, "2025-11-01", committee[1], committee[2]);
    world.talk(branch, "2025-11-02", committee[2], others[1]);
    let report = world.evaluate(root, "2025-01-01", "2025-12-31", "2026-01-05");
    assert_eq!(of_rule(&report, "BRANCH.HEART_TALK.YEARLY"), vec![]);
}

/// 支部工作条例 第十三条: each party group meets monthly; the finding names the group.
#[test]
fn group_meetings_per_group_zhibu_tiaoli_art13() {
    let (mut world, root, branch) = World::committee_and_branch();
    let first = world.org(Some(branch), OrgLevel::PartyGroup, "第一党小组");
    let second = world.org(Some(branch), OrgLevel::PartyGroup, "第二党小组");
    let a = world.member_in_group(branch, Some(first), MemberStatus::Full);
    world.member_in_group(branch, Some(second), MemberStatus::Full);
    world.meeting(
        first,
        &[MeetingKind::GroupMeeting],
        "2026-05-20",
        &[a],
        &[a],
    );
    let report = world.evaluate(root, "2026-05-01", "2026-05-31", "2026-06-01");
    let groups: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule_id == "BRANCH.GROUP.MONTHLY")
        .map(|f| f.org_name.as_str())
        .collect();
    assert_eq!(groups, ["第二党小组"]);
}

/// 支部工作条例 第十七条: the org-life meeting is yearly, normally in Q4; from 1 October it is coming
/// due, before that it is not mentioned.
#[test]
fn org_life_meeting_expected_in_fourth_quarter_zhibu_tiaoli_art17() {
    let table = [
        ("2026-09-30", vec![]),
        ("2026-10-01", vec![("2026".to_string(), ComingDue)]),
        ("2027-01-01", vec![("2026".to_string(), Missing)]),
    ];
    for (today, expected) in table {
        let (mut world, root, branch) = World::committee_and_branch();
        world.members(branch, 4);
        let report = world.evaluate(root, "2026-01-01", "2026-12-31", today);
        assert_eq!(
            of_rule(&report, "BRANCH.ORG_LIFE_MEETING.YEARLY_Q4"),
            expected,
            "today {today}"
        );
    }
}

/// Rules are versioned by effective date: each month is judged by the version in force on its first
/// day, so a tightening from 1 April leaves March judged by the old text.
#[test]
fn rule_version_change_in_the_middle_of_a_range() {
    let national = Catalogue::national().expect("catalogue");
    let mut rules: Vec<RuleDefinition> = national.rules().to_vec();
    let theme = rules
        .iter_mut()
        .find(|rule| rule.id == THEME_DAY)
        .expect("theme day rule");
    let mut second = theme.versions[0].clone();
    theme.versions[0].effective_to = Some(d("2026-04-01"));
    second.effective_from = d("2026-04-01");
    second.raw_parameters["min_count"] = serde_json::json!(2);
    second.parameters =
        CheckParameters::parse(theme.check, second.raw_parameters.clone()).expect("parameters");
    theme.versions.push(second);
    let catalogue = Catalogue::from_rules(rules).expect("catalogue");

    let (mut world, root, branch) = World::committee_and_branch();
    let members = world.members(branch, 4);
    for month in ["2026-02-10", "2026-03-10", "2026-04-10", "2026-05-10"] {
        world.meeting(
            branch,
            &[MeetingKind::ThemedPartyDay],
            month,
            &members,
            &members,
        );
    }
    let report = world.evaluate_with(&catalogue, root, "2026-02-01", "2026-05-31", "2026-06-01");
    assert_eq!(
        of_rule(&report, THEME_DAY),
        vec![
            ("2026-04".to_string(), Missing),
            ("2026-05".to_string(), Missing)
        ]
    );
    let april = report
        .findings
        .iter()
        .find(|f| f.rule_id == THEME_DAY)
        .expect("April");
    assert_eq!(april.rule_version_from, d("2026-04-01"));
}

/// A local rule (an upper committee's own document) enables the quarterly Party lecture from 1 July:
/// Q2 is not judged, Q3 is, and the finding cites the local document.
#[test]
fn local_rule_enables_party_lecture_from_its_effective_date() {
    let (mut world, root, branch) = World::committee_and_branch();
    world.members(branch, 4);
    let document = Citation {
        document: "市直机关工委〔2026〕3号".into(),
        article: "第二条".into(),
        quote: "各党支部每季度至少上1次党课。".into(),
        source: None,
    };
    world.local_rule(LocalRule {
        issued_by: root,
        document: document.clone(),
        effective_from: d("2026-07-01"),
        effective_to: None,
        action: LocalRuleAction::Tighten {
            rule_id: "BRANCH.PARTY_CLASS.QUARTERLY".into(),
            parameters: serde_json::json!({}),
            severity: None,
        },
    });
    let report = world.evaluate(root, "2026-04-01", "2026-09-30", "2026-10-01");
    assert_eq!(
        of_rule(&report, "BRANCH.PARTY_CLASS.QUARTERLY"),
        vec![("2026-Q3".to_string(), Missing)]
    );
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule_id == "BRANCH.PARTY_CLASS.QUARTERLY")
        .expect("finding");
    assert_eq!(finding.citation, document);

    // Without the local rule the unverified national rule stays silent.
    let (mut world, root, branch) = World::committee_and_branch();
    world.members(branch, 4);
    let report = world.evaluate(root, "2026-04-01", "2026-09-30", "2026-10-01");
    assert_eq!(of_rule(&report, "BRANCH.PARTY_CLASS.QUARTERLY"), vec![]);
}

/// A local rule fixes the themed Party day on the 15th: a meeting on the 14th does not count.
#[test]
fn local_rule_fixes_the_themed_day_date() {
    let (mut world, root, branch) = World::committee_and_branch();
    let members = world.members(branch, 4);
    world.meeting(
        branch,
        &[MeetingKind::ThemedPartyDay],
        "2026-03-14",
        &members,
        &members,
    );
    world.meeting(
        branch,
        &[MeetingKind::ThemedPartyDay],
        "2026-04-15",
        &members,
        &members,
    );
    world.local_rule(LocalRule {
        issued_by: root,
        document: Citation {
            document: "市直机关工委〔2026〕1号".into(),
            article: "第三条".into(),
            quote: "每月15日为主题党日。".into(),
            source: None,
        },
        effective_from: d("2026-01-01"),
        effective_to: None,
        action: LocalRuleAction::Tighten {
            rule_id: THEME_DAY.into(),
            parameters: serde_json::json!({ "fixed_day_of_month": 15 }),
            severity: None,
        },
    });
    let report = world.evaluate(root, "2026-03-01", "2026-04-30", "2026-05-01");
    assert_eq!(
        of_rule(&report, THEME_DAY),
        vec![("2026-03".to_string(), Invalid)]
    );
    let march = report
        .findings
        .iter()
        .find(|f| f.rule_id == THEME_DAY)
        .expect("March");
    assert!(
        march.evidence.records[0].note_zh.contains("15日"),
        "{:?}",
        march.evidence
    );
}

/// An unknown parameter in a local rule is refused naming the field.
#[test]
fn unknown_rule_parameter_is_refused() {
    let catalogue = Catalogue::national().expect("catalogue");
    let rule = LocalRule {
        issued_by: OrgId(1),
        document: Citation {
            document: "某文件".into(),
            article: "第一条".into(),
            quote: "…".into(),
            source: None,
        },
        effective_from: d("2026-01-01"),
        effective_to: None,
        action: LocalRuleAction::Tighten {
            rule_id: THEME_DAY.into(),
            parameters: serde_json::json!({ "min_cuont": 2 }),
            severity: None,
        },
    };
    let errors = validate_local_rule(&rule, &catalogue).expect_err("unknown parameter");
    assert_eq!(errors.errors[0].field, "parameters");
    assert!(
        errors.errors[0].message_en.contains("min_cuont"),
        "{}",
        errors.errors[0].message_en
    );
}

/// An exemption granted by an upper org marks the finding; the finding is still reported.
#[test]
fn exemption_marks_but_keeps_the_finding() {
    let (mut world, root, branch) = World::committee_and_branch();
    world.members(branch, 4);
    let report = world.evaluate(root, "2026-03-01", "2026-03-31", "2026-04-01");
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule_id == THEME_DAY)
        .expect("finding");
    world.exemption(Exemption {
        org_id: branch,
        finding_key: finding.key.clone(),
        granted_by: root,
        granted_on: d("2026-04-02"),
        reason: "疫情防控".into(),
    });
    let report = world.evaluate(root, "2026-03-01", "2026-03-31", "2026-04-03");
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule_id == THEME_DAY)
        .expect("finding kept");
    assert_eq!(
        finding.exemption.as_ref().map(|e| e.reason.as_str()),
        Some("疫情防控")
    );
    assert!(!finding.is_open());
}

/// Every finding carries its citation, who must act and (for duties) a due date.
#[test]
fn findings_carry_citation_responsibility_and_due_date() {
    let (mut world, root, branch) = World::committee_and_branch();
    let members = world.members(branch, 8);
    world.term(
        branch,
        LeadershipForm::Committee,
        "2025-01-10",
        3,
        &members[..3],
    );
    let report = world.evaluate(root, "2026-01-01", "2026-01-31", "2026-02-01");
    assert!(!report.findings.is_empty());
    for finding in &report.findings {
        assert!(!finding.citation.document.is_empty(), "{}", finding.rule_id);
        assert!(
            !finding.message_zh.contains('{'),
            "unfilled placeholder: {}",
            finding.message_zh
        );
        assert!(
            !finding.message_en.contains('{'),
            "unfilled placeholder: {}",
            finding.message_en
        );
        if finding.rule_id == COMMITTEE_MONTHLY {
            assert_eq!(
                finding.responsible.member_id,
                Some(members[0]),
                "the secretary must act"
            );
            assert_eq!(finding.due_on, Some(d("2026-01-31")));
        }
    }
}

/// 发展党员工作细则 第七条: the talk with an applicant falls due one month after the application is
/// received; the engine reports it coming due, then overdue, citing the step's own article.
#[test]
fn admission_talk_within_one_month_reaches_the_engine_fazhan_xize_art7() {
    use zhibu_core::admission::{AdmissionPerson, AdmissionRecord};
    // (application received, today, expected status of the talk step, article cited)
    let table = [
        ("2026-06-01", "2026-06-05", vec![ComingDue], "第七条"),
        ("2026-06-01", "2026-07-01", vec![ComingDue], "第七条"),
        ("2026-06-01", "2026-07-02", vec![Overdue], "第七条"),
        (
            "2026-01-31",
            "2026-02-28",
            vec![ComingDue],
            "条款号不详（2014年版）",
        ),
        (
            "2026-01-31",
            "2026-03-01",
            vec![Overdue],
            "条款号不详（2014年版）",
        ),
        ("2026-06-01", "2026-05-20", vec![], ""),
    ];
    for (received, today, expected, article) in table {
        let (mut world, root, branch) = World::committee_and_branch();
        world.members(branch, 4);
        let person = AdmissionPerson {
            name: "张申请".into(),
            birth_date: d("2000-05-01"),
            branch_id: branch,
            mobile: false,
        };
        world.admission(AdmissionRecord::new(person, d(received)));
        let report = world.evaluate(root, today, today, today);
        let talk: Vec<FindingStatus> = report
            .findings
            .iter()
            .filter(|f| f.rule_id == "RECRUIT.TALK.WITHIN_1_MONTH")
            .map(|f| f.status)
            .collect();
        assert_eq!(talk, expected, "received {received}, today {today}");
        if let Some(finding) = report
            .findings
            .iter()
            .find(|f| f.rule_id == "RECRUIT.TALK.WITHIN_1_MONTH")
        {
            assert_eq!(finding.citation.article, article, "received {received}");
            assert!(
                finding.message_zh.contains("张申请"),
                "{}",
                finding.message_zh
            );
        }
    }
}

/// 章程 第九条: six consecutive months without organizational life call for a general-meeting
/// decision; at three months the branch is reminded. Exempt members (年老体弱) are not counted.
#[test]
fn months_without_organizational_life_zhangcheng_art9() {
    // (today, expected (label, status) for the absent member)
    let table = [
        ("2026-03-05", vec![]),
        ("2026-04-05", vec![("2026-01".to_string(), ComingDue)]),
        ("2026-06-30", vec![("2026-01".to_string(), ComingDue)]),
        ("2026-07-01", vec![("2026-01".to_string(), Noncompliant)]),
    ];
    for (today, expected) in table {
        for exempt in [false, true] {
            let (mut world, root, branch) = World::committee_and_branch();
            let members = world.members(branch, 4);
            let absent = members[3];
            if exempt {
                world.exempt_member(absent);
            }
            for month in 1..=6 {
                world.meeting(
                    branch,
                    &[MeetingKind::ThemedPartyDay],
                    &format!("2026-{month:02}-10"),
                    &members,
                    &members[..3],
                );
            }
            let report = world.evaluate(root, "2026-01-01", today, today);
            let found = of_rule(&report, "CHARTER.LAPSE.SIX_MONTHS");
            let expected = if exempt { vec![] } else { expected.clone() };
            assert_eq!(found, expected, "today {today}, exempt {exempt}");
        }
    }
}
