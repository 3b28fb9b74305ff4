//! Membership continuity as tables: consecutive months without organizational life (章程 第九条) and
//! without dues (章程 第九条, 党费规定 第十三条). Each test's name carries the article; each row is
//! a pattern of months and what the branch must be told.

use chrono::{DateTime, NaiveDate, Utc};
use zhibu_core::continuity::*;
use zhibu_core::dues::*;
use zhibu_core::money::Fen;
use zhibu_core::*;

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

fn ym(text: &str) -> YearMonth {
    YearMonth::parse(text).expect("test month")
}

fn months(list: &[&str]) -> Vec<YearMonth> {
    list.iter().map(|m| ym(m)).collect()
}

const BRANCH: OrgId = OrgId(10);
const GROUP: OrgId = OrgId(11);
const OTHER_BRANCH: OrgId = OrgId(20);
const SUBJECT: MemberId = MemberId(1);
const NEIGHBOUR: MemberId = MemberId(2);

fn stored<T>(id: i64, body: T, date: NaiveDate) -> Stored<T> {
    let instant: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("instant")
        .with_timezone(&Utc);
    Stored {
        id,
        version: 1,
        event_date: date,
        first_entered_at: instant,
        last_changed_at: instant,
        body,
    }
}

fn member(joined: &str) -> Stored<Member> {
    let body = Member {
        name: "李明".into(),
        sex: Sex::Male,
        birth_date: Some(d("1980-01-01")),
        joined_on: d(joined),
        status_history: vec![StatusChange {
            effective_on: d(joined),
            status: MemberStatus::Full,
            note: None,
        }],
        postings: vec![BranchPosting {
            branch_id: BRANCH,
            group_id: Some(GROUP),
            from: d(joined),
            until: None,
            transferred_in_from: None,
            transferred_out_to: None,
        }],
        employment: EmploymentCategory::Salaried,
        leading_cadre: false,
        org_life_exemption: None,
        registry: Default::default(),
        sanctions: Vec::new(),
    };
    stored(SUBJECT.0, body, d(joined))
}

/// A meeting on `day` of `org` where the subject is present or absent; a neighbour is always present.
fn meeting(
    id: i64,
    org: OrgId,
    day: &str,
    kinds: &[MeetingKind],
    subject_present: Option<bool>,
) -> Stored<Meeting> {
    let mut attendance = vec![Attendance {
        member_id: NEIGHBOUR,
        state: AttendanceState::Present,
    }];
    if let Some(present) = subject_present {
        let state = if present {
            AttendanceState::Present
        } else {
            AttendanceState::Absent
        };
        attendance.push(Attendance {
            member_id: SUBJECT,
            state,
        });
    }
    let body = Meeting {
        org_id: org,
        kinds: kinds.to_vec(),
        held_on: d(day),
        place: String::new(),
        chair_id: None,
        recorder_id: None,
        topics: vec![],
        minutes: String::new(),
        resolutions: vec![],
        attendance,
    };
    stored(id, body, d(day))
}

/// One themed Party day a month through 2026, the subject present in the months marked `P`, absent
/// at `A`, and no meeting at `-`: `"PPPAAA-AAPPP"` is January to December.
fn year_of_meetings(pattern: &str) -> Vec<Stored<Meeting>> {
    pattern
        .chars()
        .enumerate()
        .filter(|(_, mark)| *mark != '-')
        .map(|(index, mark)| {
            let day = format!("2026-{:02}-15", index + 1);
            meeting(
                100 + index as i64,
                BRANCH,
                &day,
                &[MeetingKind::ThemedPartyDay],
                Some(mark == 'P'),
            )
        })
        .collect()
}

fn subject<'a>(
    member: &'a Stored<Member>,
    mobile: &'a [MobileParticipation],
) -> ContinuityMember<'a> {
    ContinuityMember { member, mobile }
}

fn org_life_findings(
    member: &Stored<Member>,
    meetings: &[Stored<Meeting>],
    through: &str,
) -> Vec<ContinuityFinding> {
    continuity_findings(
        &subject(member, &[]),
        meetings,
        None,
        ym("2026-01"),
        ym(through),
        &ContinuityThresholds::default(),
    )
}

#[test]
fn charter_article_9_org_life_thresholds_2_3_5_6_months() {
    // (pattern Jan–Dec, through, level, months in the streak)
    let table: Vec<(&str, &str, Option<ContinuityLevel>, Vec<&str>)> = vec![
        ("PPPPAA", "2026-06", None, vec![]),
        (
            "PPPAAA",
            "2026-06",
            Some(ContinuityLevel::Reminder),
            vec!["2026-04", "2026-05", "2026-06"],
        ),
        (
            "PAAAAA",
            "2026-06",
            Some(ContinuityLevel::Reminder),
            vec!["2026-02", "2026-03", "2026-04", "2026-05", "2026-06"],
        ),
        (
            "AAAAAA",
            "2026-06",
            Some(ContinuityLevel::LapseDecisionDue),
            vec![
                "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06",
            ],
        ),
        (
            "PAAAAAAA",
            "2026-08",
            Some(ContinuityLevel::LapseDecisionDue),
            vec![
                "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08",
            ],
        ),
        // The streak must end at the month asked about: attending in it clears the finding.
        ("AAAAAP", "2026-06", None, vec![]),
        // A streak broken by one meeting attended starts again after it.
        (
            "AAAPAAA",
            "2026-07",
            Some(ContinuityLevel::Reminder),
            vec!["2026-05", "2026-06", "2026-07"],
        ),
        ("AAAAAPAA", "2026-08", None, vec![]),
    ];
    for (pattern, through, level, streak) in table {
        let someone = member("2020-01-01");
        let findings = org_life_findings(&someone, &year_of_meetings(pattern), through);
        let found: Vec<(ContinuityLevel, Vec<YearMonth>)> = findings
            .iter()
            .map(|f| (f.level, f.months.clone()))
            .collect();
        let expected: Vec<(ContinuityLevel, Vec<YearMonth>)> = level
            .map(|level| (level, months(&streak)))
            .into_iter()
            .collect();
        assert_eq!(found, expected, "{pattern} through {through}");
        for finding in &findings {
            assert_eq!(
                (finding.kind, finding.rule_id, finding.member_id),
                (
                    ContinuityKind::NoOrgLife,
                    "CHARTER.LAPSE.SIX_MONTHS",
                    SUBJECT
                )
            );
            assert_eq!(finding.branch_id, Some(BRANCH));
            assert!(
                finding
                    .citations
                    .iter()
                    .any(|c| c.document.contains("中国共产党章程") && c.article == "第九条")
            );
            assert_eq!(
                finding.missed_meeting_ids.len(),
                finding.months.len(),
                "one themed day missed a month"
            );
        }
    }
}

#[test]
fn charter_article_9_the_lapse_finding_asks_for_a_general_meeting_decision_and_removes_no_one() {
    let someone = member("2020-01-01");
    let findings = org_life_findings(&someone, &year_of_meetings("AAAAAA"), "2026-06");
    let finding = &findings[0];
    assert!(
        finding.message_zh.contains("连续6个月未参加党的组织生活"),
        "{}",
        finding.message_zh
    );
    assert!(
        finding.message_zh.contains("2026年1月至2026年6月"),
        "{}",
        finding.message_zh
    );
    assert!(
        finding.message_zh.contains("支部党员大会讨论决定")
            && finding.message_zh.contains("上级党组织批准")
    );
    assert!(
        finding.message_zh.contains("正当理由")
            && finding.message_zh.contains("不会除名或移除任何党员")
    );
    assert!(
        finding
            .message_en
            .contains("branch general meeting must decide")
            && finding.message_en.contains("removes no one")
    );
    let reminder = &org_life_findings(&someone, &year_of_meetings("PPPAAA"), "2026-06")[0];
    assert!(
        reminder.message_zh.contains("批评教育") && reminder.message_zh.contains("连续3个月"),
        "{}",
        reminder.message_zh
    );
    // The member record is untouched: still a full member of the branch.
    assert_eq!(
        someone.body.status_on(d("2026-06-30")),
        Some(MemberStatus::Full)
    );
}

#[test]
fn charter_article_9_which_meetings_count_as_organizational_life() {
    let group_meeting =
        |day: &str, present| meeting(201, GROUP, day, &[MeetingKind::GroupMeeting], Some(present));
    let other_branch = |day: &str| {
        meeting(
            202,
            OTHER_BRANCH,
            day,
            &[MeetingKind::GeneralMeeting],
            Some(true),
        )
    };
    let committee_unlisted =
        |day: &str| meeting(203, BRANCH, day, &[MeetingKind::CommitteeMeeting], None);
    let committee_listed_absent = |day: &str| {
        meeting(
            204,
            BRANCH,
            day,
            &[MeetingKind::CommitteeMeeting],
            Some(false),
        )
    };
    // (meetings in March 2026, what March was)
    let table: Vec<(Vec<Stored<Meeting>>, OrgLifeMonth)> = vec![
        (
            vec![group_meeting("2026-03-10", true)],
            OrgLifeMonth::Attended {
                meeting_ids: vec![201],
            },
        ),
        (
            vec![group_meeting("2026-03-10", false)],
            OrgLifeMonth::Missed {
                meeting_ids: vec![201],
            },
        ),
        // Present at another branch's meeting is not their organizational life.
        (vec![other_branch("2026-03-10")], OrgLifeMonth::NoneHeld),
        // An ordinary member is not expected at a committee meeting they are not listed for.
        (
            vec![committee_unlisted("2026-03-10")],
            OrgLifeMonth::NoneHeld,
        ),
        (
            vec![committee_listed_absent("2026-03-10")],
            OrgLifeMonth::Missed {
                meeting_ids: vec![204],
            },
        ),
        (
            vec![
                group_meeting("2026-03-10", false),
                meeting(
                    205,
                    BRANCH,
                    "2026-03-20",
                    &[MeetingKind::PartyLecture],
                    Some(true),
                ),
            ],
            OrgLifeMonth::Attended {
                meeting_ids: vec![205],
            },
        ),
        (
            vec![group_meeting("2026-04-10", true)],
            OrgLifeMonth::NoneHeld,
        ),
    ];
    let someone = member("2020-01-01");
    for (meetings, expected) in table {
        assert_eq!(
            org_life_month(&subject(&someone, &[]), &meetings, ym("2026-03")),
            expected,
            "{meetings:?}"
        );
    }
}

#[test]
fn charter_article_9_months_without_any_meeting_are_skipped_not_counted() {
    let someone = member("2020-01-01");
    // Absent January to March, nothing held in April, absent May to July: six missed months.
    let findings = org_life_findings(&someone, &year_of_meetings("AAA-AAA"), "2026-07");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].level, ContinuityLevel::LapseDecisionDue);
    assert_eq!(
        findings[0].months,
        months(&[
            "2026-01", "2026-02", "2026-03", "2026-05", "2026-06", "2026-07"
        ])
    );
    assert_eq!(findings[0].skipped_months, months(&["2026-04"]));
    // A branch that held nothing at all produces no finding about its members.
    assert!(org_life_findings(&someone, &year_of_meetings("------"), "2026-06").is_empty());
    // Leading empty months are not part of the streak.
    let streak = streak_without_org_life(
        &subject(&someone, &[]),
        &year_of_meetings("--AAA"),
        ym("2026-01"),
        ym("2026-05"),
    );
    assert_eq!((streak.months.len(), streak.skipped.len()), (3, 0));
}

#[test]
fn education_rules_article_23_and_32_exempt_and_mobile_members() {
    // Exempt for age or illness: no organizational-life finding at all.
    let mut elderly = member("1970-07-01");
    elderly.body.org_life_exemption = Some("年老体弱，行动不便".into());
    assert!(org_life_findings(&elderly, &year_of_meetings("AAAAAAAA"), "2026-08").is_empty());

    // Mobile and taking part elsewhere from March to June: those months break the streak.
    let someone = member("2020-01-01");
    let elsewhere = [MobileParticipation {
        from: ym("2026-03"),
        until: Some(ym("2026-06")),
        takes_part_at: "深圳市某流动党员党支部".into(),
        pays_dues_there: false,
    }];
    let meetings = year_of_meetings("AAAAAAAA");
    let run = |through: &str| {
        continuity_findings(
            &subject(&someone, &elsewhere),
            &meetings,
            None,
            ym("2026-01"),
            ym(through),
            &ContinuityThresholds::default(),
        )
    };
    // (through, months in the streak)
    let table: Vec<(&str, Vec<&str>)> = vec![
        ("2026-05", vec![]),
        ("2026-08", vec![]),
        ("2026-09", vec![]),
    ];
    for (through, streak) in table {
        let found: Vec<Vec<YearMonth>> = run(through).into_iter().map(|f| f.months).collect();
        let expected: Vec<Vec<YearMonth>> = if streak.is_empty() {
            vec![]
        } else {
            vec![months(&streak)]
        };
        assert_eq!(found, expected, "through {through}");
    }
    let open_ended = [MobileParticipation {
        from: ym("2026-05"),
        until: None,
        takes_part_at: "流入地党组织".into(),
        pays_dues_there: false,
    }];
    assert_eq!(
        org_life_month(&subject(&someone, &open_ended), &meetings, ym("2026-08")),
        OrgLifeMonth::Elsewhere {
            takes_part_at: "流入地党组织".into()
        }
    );
    let three_after = continuity_findings(
        &subject(&someone, &elsewhere),
        &year_of_meetings("AAAAAAAAA"),
        None,
        ym("2026-01"),
        ym("2026-09"),
        &ContinuityThresholds::default(),
    );
    assert_eq!(
        three_after
            .iter()
            .map(|f| f.months.clone())
            .collect::<Vec<_>>(),
        [months(&["2026-07", "2026-08", "2026-09"])]
    );
}

#[test]
fn charter_article_9_only_months_of_membership_and_observation_count() {
    // Admitted in April: January to March are not theirs to miss.
    let newcomer = member("2026-04-10");
    let findings = org_life_findings(&newcomer, &year_of_meetings("AAAAAA"), "2026-06");
    assert_eq!(
        findings
            .iter()
            .map(|f| f.months.clone())
            .collect::<Vec<_>>(),
        [months(&["2026-04", "2026-05", "2026-06"])]
    );
    // Records begin in March: earlier months are unknown.
    let someone = member("2020-01-01");
    let observed = continuity_findings(
        &subject(&someone, &[]),
        &year_of_meetings("AAAAAA"),
        None,
        ym("2026-03"),
        ym("2026-06"),
        &ContinuityThresholds::default(),
    );
    assert_eq!(observed[0].months.len(), 4);
    assert_eq!(observed[0].level, ContinuityLevel::Reminder);
    // Someone no longer a member gets no finding.
    let mut gone = member("2020-01-01");
    gone.body.status_history.push(StatusChange {
        effective_on: d("2026-05-01"),
        status: MemberStatus::Ended,
        note: Some("组织关系转出境外后停止".into()),
    });
    assert!(org_life_findings(&gone, &year_of_meetings("AAAAAA"), "2026-06").is_empty());
}

fn dues_ledger(
    member: &Stored<Member>,
    paid_months: &[&str],
    reliefs: &[DuesRelief],
    through: &str,
) -> MemberLedger {
    let declarations = [IncomeDeclaration {
        member_id: SUBJECT,
        branch_id: BRANCH,
        category: EmploymentCategory::Salaried,
        monthly_base: Fen::from_yuan(4_000).into(),
        effective_month: ym("2025-01"),
        note: String::new(),
    }];
    let payments: Vec<DuesPayment> = paid_months
        .iter()
        .map(|month| DuesPayment {
            member_id: SUBJECT,
            branch_id: BRANCH,
            paid_on: ym(month).first_day(),
            amount: Fen::from_yuan(40),
            months_covered: vec![ym(month)],
            method: PaymentMethod::Cash,
            proxy: None,
            quarterly_consent_ref: None,
        })
        .collect();
    let records = DuesRecords {
        declarations: &declarations,
        payments: &payments,
        reliefs,
    };
    member_ledger(
        member,
        &records,
        &DuesPolicy::default(),
        ym("2026-01"),
        ym(through),
    )
}

/// (months paid, through, level, streak)
type UnpaidRow = (
    Vec<&'static str>,
    &'static str,
    Option<ContinuityLevel>,
    Vec<&'static str>,
);

#[test]
fn dues_rules_article_13_and_charter_article_9_unpaid_thresholds_2_3_5_6_months() {
    let table: Vec<UnpaidRow> = vec![
        (
            vec!["2026-01", "2026-02", "2026-03", "2026-04"],
            "2026-06",
            None,
            vec![],
        ),
        (
            vec!["2026-01", "2026-02", "2026-03"],
            "2026-06",
            Some(ContinuityLevel::Reminder),
            vec!["2026-04", "2026-05", "2026-06"],
        ),
        (
            vec!["2026-01"],
            "2026-06",
            Some(ContinuityLevel::Reminder),
            vec!["2026-02", "2026-03", "2026-04", "2026-05", "2026-06"],
        ),
        (
            vec![],
            "2026-06",
            Some(ContinuityLevel::LapseDecisionDue),
            vec![
                "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06",
            ],
        ),
        // One month paid in the middle breaks the streak.
        (
            vec!["2026-04"],
            "2026-07",
            Some(ContinuityLevel::Reminder),
            vec!["2026-05", "2026-06", "2026-07"],
        ),
        (vec!["2026-06"], "2026-06", None, vec![]),
    ];
    let someone = member("2020-01-01");
    for (paid, through, level, streak) in table {
        let ledger = dues_ledger(&someone, &paid, &[], through);
        let findings = continuity_findings(
            &subject(&someone, &[]),
            &year_of_meetings("PPPPPPPPPPPP"),
            Some(&ledger),
            ym("2026-01"),
            ym(through),
            &ContinuityThresholds::default(),
        );
        let found: Vec<(ContinuityKind, ContinuityLevel, Vec<YearMonth>)> = findings
            .iter()
            .map(|f| (f.kind, f.level, f.months.clone()))
            .collect();
        let expected: Vec<(ContinuityKind, ContinuityLevel, Vec<YearMonth>)> = level
            .map(|level| (ContinuityKind::NoDues, level, months(&streak)))
            .into_iter()
            .collect();
        assert_eq!(found, expected, "paid {paid:?} through {through}");
        for finding in &findings {
            assert_eq!(finding.rule_id, "DUES.NONPAYMENT.SIX_MONTHS");
            assert!(finding.citations.iter().any(|c| c.article == "第九条"));
            assert!(
                finding
                    .citations
                    .iter()
                    .any(|c| c.article == "第十三条" && c.document.contains("中组发〔2008〕3号"))
            );
        }
    }
}

#[test]
fn dues_rules_article_13_partial_payment_waiver_and_dues_paid_elsewhere_break_the_streak() {
    let someone = member("2020-01-01");
    let run = |ledger: &MemberLedger, mobile: &[MobileParticipation]| {
        streak_without_dues(ledger, mobile, ym("2026-06")).months
    };
    // A partial payment in April: arrears, but not "不交纳".
    let declarations = [IncomeDeclaration {
        member_id: SUBJECT,
        branch_id: BRANCH,
        category: EmploymentCategory::Salaried,
        monthly_base: Fen::from_yuan(4_000).into(),
        effective_month: ym("2025-01"),
        note: String::new(),
    }];
    let partial = [DuesPayment {
        member_id: SUBJECT,
        branch_id: BRANCH,
        paid_on: d("2026-04-02"),
        amount: Fen::from_yuan(10),
        months_covered: vec![ym("2026-04")],
        method: PaymentMethod::Cash,
        proxy: None,
        quarterly_consent_ref: None,
    }];
    let records = DuesRecords {
        declarations: &declarations,
        payments: &partial,
        reliefs: &[],
    };
    let ledger = member_ledger(
        &someone,
        &records,
        &DuesPolicy::default(),
        ym("2026-01"),
        ym("2026-06"),
    );
    assert_eq!(run(&ledger, &[]), months(&["2026-05", "2026-06"]));
    // A waiver for March (approved) settles March.
    let waiver = [DuesRelief {
        member_id: SUBJECT,
        branch_id: BRANCH,
        from_month: ym("2026-03"),
        to_month: ym("2026-03"),
        kind: ReliefKind::Waive,
        branch_decision_ref: "支委会决定".into(),
        upper_approval_ref: "上级党委批复".into(),
        approved_by: None,
    }];
    assert_eq!(
        run(&dues_ledger(&someone, &[], &waiver, "2026-06"), &[]),
        months(&["2026-04", "2026-05", "2026-06"])
    );
    // A mobile member paying at the inflow organization from May: this ledger cannot see it.
    let there = [MobileParticipation {
        from: ym("2026-05"),
        until: None,
        takes_part_at: "流入地党组织".into(),
        pays_dues_there: true,
    }];
    assert!(run(&dues_ledger(&someone, &[], &[], "2026-06"), &there).is_empty());
    let takes_part_only = [MobileParticipation {
        pays_dues_there: false,
        ..there[0].clone()
    }];
    assert_eq!(
        run(
            &dues_ledger(&someone, &[], &[], "2026-06"),
            &takes_part_only
        )
        .len(),
        6
    );
    // The elderly exemption covers organizational life, not dues.
    let mut elderly = member("1970-07-01");
    elderly.body.org_life_exemption = Some("身患重病".into());
    let ledger = dues_ledger(&elderly, &[], &[], "2026-06");
    let findings = continuity_findings(
        &subject(&elderly, &[]),
        &year_of_meetings("AAAAAA"),
        Some(&ledger),
        ym("2026-01"),
        ym("2026-06"),
        &ContinuityThresholds::default(),
    );
    assert_eq!(
        findings
            .iter()
            .map(|f| (f.kind, f.level))
            .collect::<Vec<_>>(),
        [(ContinuityKind::NoDues, ContinuityLevel::LapseDecisionDue)]
    );
}

#[test]
fn charter_article_9_both_failures_are_reported_separately() {
    let someone = member("2020-01-01");
    let ledger = dues_ledger(&someone, &["2026-01", "2026-02", "2026-03"], &[], "2026-06");
    let findings = continuity_findings(
        &subject(&someone, &[]),
        &year_of_meetings("AAAAAA"),
        Some(&ledger),
        ym("2026-01"),
        ym("2026-06"),
        &ContinuityThresholds::default(),
    );
    let found: Vec<(ContinuityKind, ContinuityLevel, usize)> = findings
        .iter()
        .map(|f| (f.kind, f.level, f.months.len()))
        .collect();
    assert_eq!(
        found,
        [
            (
                ContinuityKind::NoOrgLife,
                ContinuityLevel::LapseDecisionDue,
                6
            ),
            (ContinuityKind::NoDues, ContinuityLevel::Reminder, 3)
        ]
    );
}
