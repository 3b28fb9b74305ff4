//! Admission (发展党员) rule tests as tables: one row per boundary — the day before, on and after
//! each limit, leap days, month ends, and steps on either side of 2026-05-11. Each test's name
//! carries the article it checks (细则 = 《中国共产党发展党员工作细则》, 2026 numbering).

use std::sync::LazyLock;

use chrono::NaiveDate;
use zhibu_core::admission::*;
use zhibu_core::rules::Severity;
use zhibu_core::voting::{Tally, VoteCounts};
use zhibu_core::workdays::WorkdayCalendar;
use zhibu_core::*;

const TALK: &str = "RECRUIT.TALK.WITHIN_1_MONTH";
const AGE: &str = "RECRUIT.APPLY.AGE_AND_CONDITIONS";
const LISTING: &str = "RECRUIT.TARGET.ONE_YEAR_AND_PUBLICITY";
const REVIEW: &str = "RECRUIT.ACTIVIST.HALF_YEAR_REVIEW";
const SPONSORS: &str = "RECRUIT.INTRODUCERS_2";
const POLITICAL_REVIEW: &str = "RECRUIT.POLITICAL_REVIEW";
const TRAINING: &str = "RECRUIT.TRAINING.3DAYS_24H";
const VOTE_WITHIN_MONTH: &str = "RECRUIT.MEETING.WITHIN_1_MONTH_OF_PRETRIAL";
const APPROVAL: &str = "RECRUIT.APPROVAL.WITHIN_3_MONTHS";
const OATH: &str = "RECRUIT.OATH.WITHIN_1_MONTH";
const PROBATION: &str = "RECRUIT.PROBATION.ONE_YEAR_AND_OUTCOMES";
const CONVERSION_APPROVAL: &str = "RECRUIT.CONVERSION.APPROVAL_3M_AND_PARTY_AGE";
const TRANSFER_IN: &str = "RECRUIT.TRANSFER_IN.POSTPONE_6M";

static CALENDAR: LazyLock<WorkdayCalendar> =
    LazyLock::new(|| WorkdayCalendar::national().expect("the shipped calendar loads"));

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

// Members 1–9 are full members in good standing; 50 is probationary, 51 under 留党察看, 52 has
// suspended rights, 53 is a full member within a lesser sanction's influence period.
const MENTOR: MemberId = MemberId(1);
const SPONSOR_A: MemberId = MemberId(2);
const SPONSOR_B: MemberId = MemberId(3);
const TALKER: MemberId = MemberId(4);
const PROBATIONARY: MemberId = MemberId(50);
const UNDER_PARTY_PROBATION: MemberId = MemberId(51);
const RIGHTS_SUSPENDED: MemberId = MemberId(52);
const IN_INFLUENCE_PERIOD: MemberId = MemberId(53);

fn standing(member: MemberId, _date: NaiveDate) -> Option<Standing> {
    let status = match member.0 {
        1..=9 | 53 => MemberStatus::Full,
        50 => MemberStatus::Probationary,
        51 => MemberStatus::UnderPartyProbation,
        52 => MemberStatus::RightsSuspended,
        _ => return None,
    };
    Some(Standing {
        status,
        in_discipline_influence_period: member == IN_INFLUENCE_PERIOD,
    })
}

fn findings(record: &AdmissionRecord) -> Vec<AdmissionFinding> {
    admission_findings(
        record,
        &AdmissionContext {
            calendar: &CALENDAR,
            standing: &standing,
        },
    )
}

/// (field, rule id or code) of every refusal.
fn refusals(record: &AdmissionRecord) -> Vec<(String, String)> {
    match validate_admission(
        record,
        &AdmissionContext {
            calendar: &CALENDAR,
            standing: &standing,
        },
    ) {
        Ok(()) => Vec::new(),
        Err(errors) => errors
            .errors
            .into_iter()
            .map(|error| (error.field, error.code))
            .collect(),
    }
}

fn refused(field: &str, code: &str) -> Vec<(String, String)> {
    vec![(field.to_string(), code.to_string())]
}

fn person(birth: &str) -> AdmissionPerson {
    AdmissionPerson {
        name: "李明".into(),
        birth_date: d(birth),
        branch_id: OrgId(10),
        mobile: false,
    }
}

fn talk(on: &str) -> PersonTalk {
    PersonTalk {
        held_on: d(on),
        talkers: vec![TALKER],
    }
}

fn counts(expected: u32, present: u32, yes: u32, written_yes: u32) -> VoteCounts {
    VoteCounts {
        expected,
        present,
        in_room: Tally {
            yes,
            no: present - yes,
            abstain: 0,
        },
        written: Tally {
            yes: written_yes,
            no: 0,
            abstain: 0,
        },
    }
}

fn vote(on: &str) -> RecordedVote {
    RecordedVote {
        held_on: d(on),
        meeting_id: None,
        counts: counts(20, 15, 14, 2),
        recorded_outcome: RecordedOutcome::Passed,
    }
}

fn approval(on: &str) -> Approval {
    Approval {
        decided_on: d(on),
        approved: true,
    }
}

fn reason(subject: ReasonSubject, on: &str) -> RecordedReason {
    RecordedReason {
        subject,
        reason: "党委会议因疫情推迟".into(),
        recorded_on: d(on),
    }
}

/// A complete pipeline judged by the 2026 text from the listing on (listed 2026-05-20).
fn pipeline_2026() -> AdmissionRecord {
    let mut record = AdmissionRecord::new(person("1995-03-01"), d("2024-09-02"));
    record.application_talk = Some(talk("2024-09-20"));
    record.activist_determined_on = Some(d("2024-11-04"));
    record.activist_filed_on = Some(d("2024-11-10"));
    record.mentors = vec![MentorAssignment {
        member_id: MENTOR,
        assigned_on: d("2024-11-05"),
        released_on: None,
    }];
    record.activist_reviews = vec![d("2025-04-20"), d("2025-10-15"), d("2026-04-10")];
    record.candidate_reported_to_upper_on = Some(d("2026-05-12"));
    // Wednesday 13 to Tuesday 19 May 2026: five working days.
    record.publicity = vec![Publicity {
        place: PublicityPlace::WorkOrStudyUnit,
        first_day: d("2026-05-13"),
        last_day: d("2026-05-19"),
    }];
    record.candidate_listed_on = Some(d("2026-05-20"));
    record.sponsors = vec![
        SponsorAssignment {
            member_id: SPONSOR_A,
            assigned_on: d("2026-05-25"),
        },
        SponsorAssignment {
            member_id: SPONSOR_B,
            assigned_on: d("2026-05-25"),
        },
    ];
    record.political_review_concluded_on = Some(d("2026-07-01"));
    record.training = Some(Training {
        finished_on: d("2026-06-20"),
        days: 3,
        hours: 24,
    });
    record.committee_review_on = Some(d("2026-07-06"));
    record.pretrial_passed_on = Some(d("2026-07-15"));
    record.application_form_issued_on = Some(d("2026-07-20"));
    record.admission_vote = Some(vote("2026-08-10"));
    record.upper_talk = Some(talk("2026-08-20"));
    record.admission_approval = Some(approval("2026-09-01"));
    record.approval_filed_on = Some(d("2026-09-05"));
    record.assigned_to_group_on = Some(d("2026-09-03"));
    record.oath_on = Some(d("2026-09-20"));
    record.probation_reviews = vec![d("2027-02-01")];
    record.conversion_application_on = Some(d("2027-07-20"));
    record.probation_decisions = vec![ProbationDecision {
        proposal: ProbationProposal::Convert,
        vote: vote("2027-08-12"),
        approval: Some(approval("2027-09-01")),
    }];
    record.archived_on = Some(d("2027-09-15"));
    record.documents = vec![DocumentReceived {
        document: AdmissionDocument::ApplicationLetter,
        received_on: d("2024-09-02"),
    }];
    record
}

/// A complete pipeline judged by the 2014 text throughout.
fn pipeline_2014() -> AdmissionRecord {
    let mut record = AdmissionRecord::new(person("1990-01-01"), d("2022-03-01"));
    record.application_talk = Some(talk("2022-03-20"));
    record.activist_determined_on = Some(d("2022-05-10"));
    record.activist_filed_on = Some(d("2022-05-15"));
    record.mentors = vec![MentorAssignment {
        member_id: MENTOR,
        assigned_on: d("2022-05-12"),
        released_on: None,
    }];
    record.activist_reviews = vec![d("2022-10-15"), d("2023-04-10")];
    record.candidate_listed_on = Some(d("2023-06-01"));
    record.candidate_reported_to_upper_on = Some(d("2023-06-05"));
    record.sponsors = vec![
        SponsorAssignment {
            member_id: SPONSOR_A,
            assigned_on: d("2023-06-10"),
        },
        SponsorAssignment {
            member_id: SPONSOR_B,
            assigned_on: d("2023-06-10"),
        },
    ];
    record.political_review_concluded_on = Some(d("2023-08-01"));
    record.training = Some(Training {
        finished_on: d("2023-07-20"),
        days: 3,
        hours: 24,
    });
    record.committee_review_on = Some(d("2023-08-10"));
    record.pretrial_passed_on = Some(d("2023-08-20"));
    record.application_form_issued_on = Some(d("2023-08-25"));
    // More than a month after the pre-review: the 2014 text sets no such limit.
    record.admission_vote = Some(vote("2023-11-30"));
    record.upper_talk = Some(talk("2023-12-05"));
    record.admission_approval = Some(approval("2024-01-10"));
    record.approval_filed_on = Some(d("2024-01-20"));
    record.assigned_to_group_on = Some(d("2024-01-15"));
    // More than a month after the approval: the 2014 text sets no such limit either.
    record.oath_on = Some(d("2024-03-15"));
    record.conversion_application_on = Some(d("2024-11-01"));
    record.probation_decisions = vec![ProbationDecision {
        proposal: ProbationProposal::Convert,
        vote: vote("2024-12-05"),
        approval: Some(approval("2025-01-10")),
    }];
    record.archived_on = Some(d("2025-02-01"));
    record
}

/// Keeps the steps up to and including the admission vote.
fn until_vote(mut record: AdmissionRecord) -> AdmissionRecord {
    record.upper_talk = None;
    record.admission_approval = None;
    record.approval_filed_on = None;
    record.assigned_to_group_on = None;
    record.oath_on = None;
    record.probation_reviews.clear();
    record.conversion_application_on = None;
    record.probation_decisions.clear();
    record.archived_on = None;
    record
}

/// Keeps the steps up to and including the listing.
fn until_listing(mut record: AdmissionRecord) -> AdmissionRecord {
    record = until_vote(record);
    record.sponsors.clear();
    record.political_review_concluded_on = None;
    record.training = None;
    record.committee_review_on = None;
    record.pretrial_passed_on = None;
    record.application_form_issued_on = None;
    record.admission_vote = None;
    record
}

#[test]
fn complete_pipelines_under_each_version_are_accepted_and_nothing_is_due_after_archiving() {
    for (label, record) in [("2014", pipeline_2014()), ("2026", pipeline_2026())] {
        assert_eq!(refusals(&record), vec![], "{label} pipeline");
        assert_eq!(
            findings(&record),
            vec![],
            "{label} pipeline has no warnings either"
        );
        assert_eq!(
            due_steps(&record, d("2027-12-01"), &CALENDAR),
            vec![],
            "{label} pipeline is archived"
        );
        assert_eq!(
            record.validate(),
            Ok(()),
            "{label}: the context-free checks agree"
        );
    }
}

/// 细则 第五条 (章程 第一条): 年满十八岁 at the application; 29 February birthdays turn 18 on 28 February.
#[test]
fn applicant_is_eighteen_at_application_xize2026_art5() {
    // (birth date, application received, accepted?)
    let table = [
        ("2008-05-20", "2026-05-19", false),
        ("2008-05-20", "2026-05-20", true),
        ("2008-05-20", "2026-05-21", true),
        ("2008-02-29", "2026-02-27", false),
        ("2008-02-29", "2026-02-28", true),
        ("2008-02-29", "2026-03-01", true),
    ];
    for (birth, applied, accepted) in table {
        let record = AdmissionRecord::new(person(birth), d(applied));
        let expected = if accepted {
            vec![]
        } else {
            refused("application_received_on", AGE)
        };
        assert_eq!(
            refusals(&record),
            expected,
            "born {birth}, applied {applied}"
        );
    }
}

/// 细则 第七条: 收到入党申请书后，应当在一个月内派人谈话 — on or before the same day next month, clamped.
#[test]
fn talk_within_one_month_of_application_xize2026_art7() {
    // (application received, talk, accepted?)
    let table = [
        ("2026-03-10", "2026-04-09", true),
        ("2026-03-10", "2026-04-10", true),
        ("2026-03-10", "2026-04-11", false),
        // 31 January + 1 month = 28 February, or 29 in a leap year.
        ("2026-01-31", "2026-02-27", true),
        ("2026-01-31", "2026-02-28", true),
        ("2026-01-31", "2026-03-01", false),
        ("2028-01-31", "2028-02-29", true),
        ("2028-01-31", "2028-03-01", false),
        ("2025-12-31", "2026-01-31", true),
        ("2025-12-31", "2026-02-01", false),
    ];
    for (applied, held, accepted) in table {
        let mut record = AdmissionRecord::new(person("1990-01-01"), d(applied));
        record.application_talk = Some(talk(held));
        let expected = if accepted {
            vec![]
        } else {
            refused("application_talk.held_on", TALK)
        };
        assert_eq!(
            refusals(&record),
            expected,
            "application {applied}, talk {held}"
        );
    }
}

/// 细则 第七条: a late talk with its reason recorded is kept with its true date and still reported.
#[test]
fn a_late_talk_with_a_recorded_reason_is_accepted_and_still_reported_xize2026_art7() {
    let mut record = AdmissionRecord::new(person("1990-01-01"), d("2026-06-10"));
    record.application_talk = Some(talk("2026-07-20"));
    let refusal = validate_admission(
        &record,
        &AdmissionContext {
            calendar: &CALENDAR,
            standing: &standing,
        },
    )
    .expect_err("late talk");
    assert!(
        refusal.errors[0]
            .message_zh
            .contains("RECRUIT.TALK.WITHIN_1_MONTH"),
        "{}",
        refusal.errors[0].message_zh
    );
    assert!(
        refusal.errors[0].message_zh.contains("第七条"),
        "{}",
        refusal.errors[0].message_zh
    );
    assert!(
        refusal.errors[0].message_en.contains("art. 7"),
        "{}",
        refusal.errors[0].message_en
    );

    record.reasons.push(reason(
        ReasonSubject::LateStep {
            step: AdmissionStep::ApplicationTalk,
        },
        "2026-07-20",
    ));
    assert_eq!(refusals(&record), vec![]);
    let reported = findings(&record);
    assert_eq!(reported.len(), 1);
    assert_eq!(
        (
            reported[0].rule_id,
            reported[0].severity,
            reported[0].refused
        ),
        (TALK, Severity::Error, false)
    );
}

fn activist_record(determined: &str, reviews: &[&str], listed: &str) -> AdmissionRecord {
    let mut record = AdmissionRecord::new(person("1990-01-01"), d("2023-01-02"));
    record.application_talk = Some(talk("2023-01-10"));
    record.activist_determined_on = Some(d(determined));
    record.mentors = vec![MentorAssignment {
        member_id: MENTOR,
        assigned_on: d(determined),
        released_on: None,
    }];
    record.activist_reviews = reviews.iter().map(|review| d(review)).collect();
    record.candidate_listed_on = Some(d(listed));
    record
}

/// 细则 第十三条: 经过一年以上培养教育和考察 — the listing may come on the anniversary, not before;
/// a 29 February selection completes its year on 28 February. Judged here under the 2014 text,
/// which has the same one-year condition (listings before 2026-05-11).
#[test]
fn one_year_as_activist_before_listing_xize2026_art13() {
    // (selected as activist, listed, accepted?)
    let table = [
        ("2024-03-15", "2025-03-14", false),
        ("2024-03-15", "2025-03-15", true),
        ("2024-03-15", "2025-03-16", true),
        ("2024-02-29", "2025-02-27", false),
        ("2024-02-29", "2025-02-28", true),
        ("2024-02-29", "2025-03-01", true),
    ];
    for (determined, listed, accepted) in table {
        let review = if determined == "2024-03-15" {
            "2024-09-10"
        } else {
            "2024-08-20"
        };
        let record = activist_record(determined, &[review, "2025-02-01"], listed);
        let expected = if accepted {
            vec![]
        } else {
            refused("candidate_listed_on", LISTING)
        };
        assert_eq!(
            refusals(&record),
            expected,
            "activist {determined}, listed {listed}"
        );
    }
}

/// 细则 第十二条, 第十三条: 培养教育时间可以连续计算 — a transfer does not restart the year.
#[test]
fn activist_time_carries_over_a_transfer_xize2026_art12() {
    let mut record = activist_record("2024-03-15", &["2024-09-10", "2025-02-01"], "2025-03-15");
    record.activist_transfers = vec![ActivistTransfer {
        received_on: d("2024-10-01"),
        from_org: "原单位党支部".into(),
    }];
    record.documents = vec![
        DocumentReceived {
            document: AdmissionDocument::ApplicationLetter,
            received_on: d("2024-10-01"),
        },
        DocumentReceived {
            document: AdmissionDocument::ActivistRegister,
            received_on: d("2024-10-01"),
        },
    ];
    assert_eq!(
        refusals(&record),
        vec![],
        "the year counts from the original selection, 2024-03-15"
    );
    assert_eq!(findings(&record), vec![]);

    record.candidate_listed_on = Some(d("2025-03-14"));
    let refusal = validate_admission(
        &record,
        &AdmissionContext {
            calendar: &CALENDAR,
            standing: &standing,
        },
    )
    .expect_err("a day short");
    assert!(
        refusal.errors[0]
            .message_zh
            .contains("转入前的培养时间已连续计算"),
        "{}",
        refusal.errors[0].message_zh
    );

    // Without the transferred papers the record stands, with a warning.
    record.candidate_listed_on = Some(d("2025-03-15"));
    record.documents.clear();
    let reported = findings(&record);
    assert_eq!(
        reported
            .iter()
            .map(|f| (f.field.as_str(), f.severity))
            .collect::<Vec<_>>(),
        vec![("documents", Severity::Warning)]
    );
}

/// 细则 第十一条: 每半年对入党积极分子进行一次考察 — six calendar months, clamped at month ends.
#[test]
fn half_yearly_review_of_activists_xize2026_art11() {
    // (selected, review, accepted?) — listing follows the review by one month so it is in time.
    let table = [
        ("2024-03-15", "2024-09-14", true),
        ("2024-03-15", "2024-09-15", true),
        ("2024-03-15", "2024-09-16", false),
        // 31 August + 6 months = 28 February 2025; 29 February in 2024's leap year.
        ("2024-08-31", "2025-02-28", true),
        ("2024-08-31", "2025-03-01", false),
        ("2023-08-31", "2024-02-29", true),
        ("2023-08-31", "2024-03-01", false),
    ];
    for (determined, review, accepted) in table {
        let listed = zhibu_core::calendar::add_years(d(determined), 1);
        let second = zhibu_core::calendar::add_months(d(review), 5).min(listed);
        let mut record = activist_record(determined, &[review], &listed.to_string());
        record.activist_reviews.push(second);
        let expected = if accepted {
            vec![]
        } else {
            refused("activist_reviews[0]", REVIEW)
        };
        assert_eq!(
            refusals(&record),
            expected,
            "selected {determined}, reviewed {review}"
        );
    }
}

fn listing_2026(consent: &str, publicity: &[(&str, &str)], listed: &str) -> AdmissionRecord {
    let mut record = activist_record("2025-03-02", &["2025-08-20", "2026-02-10"], listed);
    record.candidate_reported_to_upper_on = Some(d(consent));
    record.publicity = publicity
        .iter()
        .map(|(first, last)| Publicity {
            place: PublicityPlace::WorkOrStudyUnit,
            first_day: d(first),
            last_day: d(last),
        })
        .collect();
    record
}

/// 细则 第十三条 (2026): 公示期不少于五个工作日, counted with the State Council's holidays and
/// make-up working days.
#[test]
fn publicity_of_at_least_five_working_days_xize2026_art13() {
    // (publicity first day, last day, listed, accepted?)
    let table = [
        // Wednesday to Tuesday: five working days; to Monday: four.
        ("2026-05-13", "2026-05-19", "2026-05-20", true),
        ("2026-05-13", "2026-05-18", "2026-05-20", false),
        // Across Labour Day (1–5 May off): 29, 30 April and 6, 7 May are four; 8 May makes five.
        ("2026-04-29", "2026-05-07", "2026-05-11", false),
        ("2026-04-29", "2026-05-08", "2026-05-11", true),
        // Saturday 9 May 2026 is a make-up working day: 6, 7, 8, 9 and 11 May are five.
        ("2026-05-06", "2026-05-11", "2026-05-11", true),
        ("2026-05-06", "2026-05-10", "2026-05-11", false),
    ];
    for (first, last, listed, accepted) in table {
        let record = listing_2026("2026-04-28", &[(first, last)], listed);
        let expected = if accepted {
            vec![]
        } else {
            refused("publicity[0].last_day", LISTING)
        };
        assert_eq!(
            refusals(&record),
            expected,
            "publicity {first}–{last}, listed {listed}"
        );
    }
}

/// 细则 第十三条: a listing on 10 May 2026 is judged by the 2014 text (no consent, no publicity); one
/// on 11 May by the 2026 text, which needs both.
#[test]
fn listing_straddling_the_2026_revision_is_judged_by_each_version_xize2014_xize2026_art13() {
    // (listed, accepted without consent or publicity?)
    for (listed, accepted) in [
        ("2026-05-10", true),
        ("2026-05-11", false),
        ("2026-05-12", false),
    ] {
        let record = activist_record("2025-03-02", &["2025-08-20", "2026-02-10"], listed);
        let expected = if accepted {
            vec![]
        } else {
            vec![
                (
                    "candidate_reported_to_upper_on".to_string(),
                    LISTING.to_string(),
                ),
                ("publicity".to_string(), LISTING.to_string()),
            ]
        };
        assert_eq!(refusals(&record), expected, "listed {listed}");
    }
}

/// 细则 第十三条 (2026): 流动人员应当在流出地和流入地同时公示.
#[test]
fn mobile_people_are_publicised_at_both_places_xize2026_art13() {
    let mut record = listing_2026("2026-05-12", &[("2026-05-13", "2026-05-19")], "2026-05-20");
    record.person.mobile = true;
    record.publicity[0].place = PublicityPlace::OutflowPlace;
    assert_eq!(refusals(&record), refused("publicity", LISTING));
    record.publicity.push(Publicity {
        place: PublicityPlace::InflowPlace,
        first_day: d("2026-05-13"),
        last_day: d("2026-05-19"),
    });
    assert_eq!(refusals(&record), vec![]);
}

/// A publicity in a year the calendar does not cover is refused with a message that tells the
/// administrator to add the year.
#[test]
fn publicity_in_a_year_without_calendar_data_is_refused_naming_the_year_xize2026_art13() {
    let mut record = activist_record("2026-03-02", &["2026-08-20", "2027-02-10"], "2027-03-20");
    record.candidate_reported_to_upper_on = Some(d("2027-03-05"));
    record.publicity = vec![Publicity {
        place: PublicityPlace::Residence,
        first_day: d("2027-03-08"),
        last_day: d("2027-03-12"),
    }];
    let refusal = validate_admission(
        &record,
        &AdmissionContext {
            calendar: &CALENDAR,
            standing: &standing,
        },
    )
    .expect_err("2027 is not covered");
    assert_eq!(refusal.errors[0].field, "publicity[0]");
    assert!(
        refusal.errors[0]
            .message_zh
            .contains("2027年的节假日安排尚未录入"),
        "{}",
        refusal.errors[0].message_zh
    );
}

/// 细则 第十四条: two full members as sponsors; a probationary member, one under 留党察看 or with
/// suspended rights cannot sponsor; one within a lesser sanction's influence period 不宜 (warning).
#[test]
fn sponsors_are_two_full_members_in_good_standing_xize2026_art14() {
    // (second sponsor, refused?, warned?)
    let table = [
        (SPONSOR_B, false, false),
        (PROBATIONARY, true, false),
        (UNDER_PARTY_PROBATION, true, false),
        (RIGHTS_SUSPENDED, true, false),
        (MemberId(999), true, false),
        (IN_INFLUENCE_PERIOD, false, true),
    ];
    for (sponsor, is_refused, is_warned) in table {
        let mut record = pipeline_2026();
        record.sponsors[1].member_id = sponsor;
        let expected = if is_refused {
            refused("sponsors[1].member_id", SPONSORS)
        } else {
            vec![]
        };
        assert_eq!(refusals(&record), expected, "sponsor {sponsor}");
        let warnings: Vec<_> = findings(&record)
            .into_iter()
            .filter(|f| f.severity == Severity::Warning)
            .map(|f| f.field)
            .collect();
        let expected_warnings = if is_warned {
            vec!["sponsors[1].member_id".to_string()]
        } else {
            vec![]
        };
        assert_eq!(warnings, expected_warnings, "sponsor {sponsor}");
    }
}

/// 细则 第十四条: exactly two sponsors by the vote.
#[test]
fn exactly_two_sponsors_by_the_vote_xize2026_art14() {
    let mut one = pipeline_2026();
    one.sponsors.truncate(1);
    assert_eq!(refusals(&one), refused("sponsors", SPONSORS));
    let mut three = pipeline_2026();
    three.sponsors.push(SponsorAssignment {
        member_id: MemberId(5),
        assigned_on: d("2026-05-25"),
    });
    assert_eq!(
        refusals(&three),
        vec![
            ("sponsors".to_string(), SPONSORS.to_string()),
            ("sponsors".to_string(), SPONSORS.to_string())
        ]
    );
}

/// 细则 第十六条: no admission without a political review concluded by the vote (2026-08-10).
#[test]
fn political_review_concluded_before_the_vote_xize2026_art16() {
    for (concluded, accepted) in [
        (Some("2026-08-09"), true),
        (Some("2026-08-10"), true),
        (Some("2026-08-11"), false),
        (None, false),
    ] {
        let mut record = until_vote(pipeline_2026());
        record.political_review_concluded_on = concluded.map(d);
        let expected = if accepted {
            vec![]
        } else {
            refused("political_review_concluded_on", POLITICAL_REVIEW)
        };
        assert_eq!(
            refusals(&record),
            expected,
            "review concluded {concluded:?}"
        );
    }
}

/// 细则 第十七条: training done by the vote; 一般不少于三天或者不少于二十四个学时 is a warning; without
/// training only with a recorded exceptional reason.
#[test]
fn training_before_the_vote_three_days_or_24_hours_xize2026_art17() {
    // (finished on, days, hours, refused field, warned?)
    let table: [(&str, u32, u32, Option<&str>, bool); 7] = [
        ("2026-08-09", 3, 0, None, false),
        ("2026-08-10", 0, 24, None, false),
        ("2026-08-11", 3, 24, Some("training.finished_on"), false),
        ("2026-06-20", 2, 23, None, true),
        ("2026-06-20", 2, 24, None, false),
        ("2026-06-20", 3, 23, None, false),
        ("2026-06-20", 0, 0, None, true),
    ];
    for (finished, days, hours, refused_field, warned) in table {
        let mut record = until_vote(pipeline_2026());
        record.training = Some(Training {
            finished_on: d(finished),
            days,
            hours,
        });
        let expected = refused_field.map_or(vec![], |field| refused(field, TRAINING));
        assert_eq!(
            refusals(&record),
            expected,
            "training to {finished}, {days} days, {hours} hours"
        );
        let warnings = findings(&record)
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count();
        assert_eq!(
            warnings,
            usize::from(warned),
            "training to {finished}, {days} days, {hours} hours"
        );
    }
    let mut untrained = until_vote(pipeline_2026());
    untrained.training = None;
    assert_eq!(refusals(&untrained), refused("training", TRAINING));
    untrained
        .reasons
        .push(reason(ReasonSubject::UntrainedException, "2026-08-01"));
    assert_eq!(refusals(&untrained), vec![]);
    assert_eq!(
        findings(&untrained)
            .iter()
            .map(|f| (f.rule_id, f.severity))
            .collect::<Vec<_>>(),
        vec![(TRAINING, Severity::Warning)]
    );
}

/// 细则 第十九条 (new in 2026): 预审合格后一个月内提交党员大会讨论. The limit runs from a pre-review held
/// on or after 2026-05-11; one held before is judged by the 2014 text, which has no such limit.
#[test]
fn vote_within_one_month_of_pretrial_xize2026_art19() {
    // (pre-review, vote, accepted?)
    let table = [
        ("2026-07-15", "2026-08-14", true),
        ("2026-07-15", "2026-08-15", true),
        ("2026-07-15", "2026-08-16", false),
        // A month-end pre-review: 31 July + 1 month = 31 August; 30 June + 1 month = 30 July.
        ("2026-07-31", "2026-08-31", true),
        ("2026-07-31", "2026-09-01", false),
        ("2026-06-30", "2026-07-30", true),
        ("2026-06-30", "2026-07-31", false),
    ];
    for (pretrial, held, accepted) in table {
        let mut record = until_vote(pipeline_2026());
        record.committee_review_on = Some(d("2026-06-25"));
        record.pretrial_passed_on = Some(d(pretrial));
        record.application_form_issued_on = Some(d(pretrial));
        record.admission_vote = Some(vote(held));
        let expected = if accepted {
            vec![]
        } else {
            refused("admission_vote.held_on", VOTE_WITHIN_MONTH)
        };
        assert_eq!(
            refusals(&record),
            expected,
            "pre-review {pretrial}, vote {held}"
        );
    }
}

/// 细则 第十九条: a case straddling 2026-05-11. Listed and pre-reviewed under 2014, voted under 2026:
/// the vote's own conditions are the 2026 text's, the one-month limit does not run from a 2014
/// pre-review; a pre-review on 11 May starts it.
#[test]
fn pretrial_before_and_vote_after_the_revision_is_judged_by_both_versions_xize2014_xize2026_art19()
{
    // (pre-review, vote, accepted?)
    let table = [
        ("2026-05-10", "2026-07-01", true),
        ("2026-05-11", "2026-06-11", true),
        ("2026-05-11", "2026-06-12", false),
    ];
    for (pretrial, held, accepted) in table {
        let mut record = until_vote(pipeline_2014());
        record.pretrial_passed_on = Some(d(pretrial));
        record.application_form_issued_on = Some(d(pretrial));
        record.admission_vote = Some(vote(held));
        let expected = if accepted {
            vec![]
        } else {
            refused("admission_vote.held_on", VOTE_WITHIN_MONTH)
        };
        assert_eq!(
            refusals(&record),
            expected,
            "pre-review {pretrial}, vote {held}"
        );
    }
    // The vote itself is dated under 2026 and still needs its own conditions: sponsors, review, training.
    let mut record = until_vote(pipeline_2014());
    record.pretrial_passed_on = Some(d("2026-05-10"));
    record.application_form_issued_on = Some(d("2026-05-10"));
    record.admission_vote = Some(vote("2026-07-01"));
    record.political_review_concluded_on = None;
    let refusal = validate_admission(
        &record,
        &AdmissionContext {
            calendar: &CALENDAR,
            standing: &standing,
        },
    )
    .expect_err("no review");
    assert!(
        refusal.errors[0]
            .message_zh
            .contains("2026年5月11日中共中央办公厅发布"),
        "{}",
        refusal.errors[0].message_zh
    );
}

/// 细则 第十九、二十条 as recorded in the resolution: quorum more than half of expected, yes (with
/// written opinions) more than half of expected; a recorded outcome the counts contradict is refused.
#[test]
fn recorded_admission_vote_matches_its_counts_xize2026_art19_art20() {
    // (expected, present, yes in room, written yes, recorded passed, refused field)
    type Row = (u32, u32, u32, u32, bool, Option<&'static str>);
    let table: [Row; 7] = [
        (20, 10, 10, 1, true, Some("admission_vote.recorded_outcome")),
        (20, 10, 10, 1, false, None),
        (20, 11, 11, 0, true, None),
        (20, 11, 10, 0, true, Some("admission_vote.recorded_outcome")),
        (20, 11, 10, 1, true, None),
        (
            20,
            11,
            11,
            0,
            false,
            Some("admission_vote.recorded_outcome"),
        ),
        (20, 11, 10, 10, true, Some("admission_vote.counts.written")),
    ];
    for (expected, present, yes, written, passed, refused_field) in table {
        let mut record = until_vote(pipeline_2026());
        record.admission_vote = Some(RecordedVote {
            held_on: d("2026-08-10"),
            meeting_id: None,
            counts: counts(expected, present, yes, written),
            recorded_outcome: if passed {
                RecordedOutcome::Passed
            } else {
                RecordedOutcome::Rejected
            },
        });
        let fields: Vec<String> = refusals(&record)
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(
            fields,
            refused_field.map_or(vec![], |field| vec![field.to_string()]),
            "{present}/{expected} present, {yes}+{written} yes"
        );
    }
    let mut too_many_ballots = until_vote(pipeline_2026());
    if let Some(vote) = too_many_ballots.admission_vote.as_mut() {
        vote.counts.in_room = Tally {
            yes: 15,
            no: 1,
            abstain: 0,
        };
    }
    assert_eq!(
        refusals(&too_many_ballots),
        refused(
            "admission_vote.counts.in_room",
            "RECRUIT.MEETING.MAJORITY_AND_WRITTEN_VOTES"
        )
    );
}

/// 细则 第二十五条: 三个月内审批; 特殊情况可以适当延长, 但不得超过六个月 (the reason recorded).
#[test]
fn upper_approval_within_three_months_or_six_with_a_reason_xize2026_art25() {
    // (vote, approval, delay reason recorded, late-step reason recorded, accepted?)
    let table = [
        ("2026-08-10", "2026-11-09", false, false, true),
        ("2026-08-10", "2026-11-10", false, false, true),
        ("2026-08-10", "2026-11-11", false, false, false),
        ("2026-08-10", "2026-11-11", true, false, true),
        ("2026-08-10", "2027-02-10", true, false, true),
        ("2026-08-10", "2027-02-11", true, false, false),
        ("2026-08-10", "2027-02-11", true, true, true),
        ("2026-08-14", "2026-11-14", false, false, true),
        ("2026-08-14", "2026-11-15", false, false, false),
    ];
    for (held, decided, delay_reason, late_reason, accepted) in table {
        let mut record = until_vote(pipeline_2026());
        record.admission_vote = Some(vote(held));
        record.upper_talk = Some(talk(held));
        record.admission_approval = Some(approval(decided));
        if delay_reason {
            record
                .reasons
                .push(reason(ReasonSubject::ApprovalDelay, held));
        }
        if late_reason {
            record.reasons.push(reason(
                ReasonSubject::LateStep {
                    step: AdmissionStep::AdmissionApproval,
                },
                decided,
            ));
        }
        let expected = if accepted {
            vec![]
        } else {
            refused("admission_approval.decided_on", APPROVAL)
        };
        assert_eq!(
            refusals(&record),
            expected,
            "vote {held}, approval {decided}, reasons {delay_reason}/{late_reason}"
        );
    }
    // A month-end vote: 31 August + 3 months = 30 November.
    let month_end = [
        ("2026-08-31", "2026-11-30", true),
        ("2026-08-31", "2026-12-01", false),
    ];
    for (held, decided, accepted) in month_end {
        let mut record = until_vote(pipeline_2026());
        record.pretrial_passed_on = Some(d("2026-08-05"));
        record.application_form_issued_on = Some(d("2026-08-05"));
        record.admission_vote = Some(vote(held));
        record.upper_talk = Some(talk(held));
        record.admission_approval = Some(approval(decided));
        let expected = if accepted {
            vec![]
        } else {
            refused("admission_approval.decided_on", APPROVAL)
        };
        assert_eq!(
            refusals(&record),
            expected,
            "vote {held}, approval {decided}"
        );
    }
}

/// 细则 第二十九条 (new in 2026): 一般在批复同意后的一个月内宣誓 — a warning, never a refusal, and
/// not a rule at all for an approval under the 2014 text.
#[test]
fn oath_within_one_month_of_approval_is_a_warning_xize2026_art29() {
    // (record, oath, warned?)
    let table = [
        (pipeline_2026(), "2026-09-30", false),
        (pipeline_2026(), "2026-10-01", false),
        (pipeline_2026(), "2026-10-02", true),
        (pipeline_2014(), "2024-03-15", false),
    ];
    for (mut record, oath, warned) in table {
        record.oath_on = Some(d(oath));
        assert_eq!(refusals(&record), vec![], "oath {oath}");
        let warnings: Vec<_> = findings(&record)
            .into_iter()
            .filter(|f| f.rule_id == OATH)
            .map(|f| f.severity)
            .collect();
        assert_eq!(
            warnings,
            if warned {
                vec![Severity::Warning]
            } else {
                vec![]
            },
            "oath {oath}"
        );
    }
}

fn decision(proposal: ProbationProposal, held: &str, approved: Option<&str>) -> ProbationDecision {
    ProbationDecision {
        proposal,
        vote: vote(held),
        approval: approved.map(approval),
    }
}

/// 细则 第三十一条: 预备期为一年，从党支部党员大会通过之日算起 — 29 February + 1 year = 28 February;
/// the end-of-probation meeting cannot come before the end.
#[test]
fn probation_is_one_year_from_the_vote_xize2026_art31() {
    let mut leap = until_vote(pipeline_2014());
    leap.pretrial_passed_on = Some(d("2024-02-20"));
    leap.application_form_issued_on = Some(d("2024-02-20"));
    leap.admission_vote = Some(vote("2024-02-29"));
    leap.upper_talk = Some(talk("2024-03-05"));
    leap.admission_approval = Some(approval("2024-03-20"));
    assert_eq!(leap.probation_end(), Some(d("2025-02-28")));
    assert_eq!(pipeline_2026().probation_end(), Some(d("2027-08-10")));

    // (conversion meeting, accepted?) for probation ending 2027-08-10.
    for (held, accepted) in [
        ("2027-08-09", false),
        ("2027-08-10", true),
        ("2027-08-11", true),
    ] {
        let mut record = pipeline_2026();
        record.archived_on = None;
        record.probation_decisions = vec![decision(
            ProbationProposal::Convert,
            held,
            Some("2027-09-01"),
        )];
        let expected = if accepted {
            vec![]
        } else {
            refused("probation_decisions[0].vote.held_on", PROBATION)
        };
        assert_eq!(refusals(&record), expected, "conversion meeting {held}");
    }
}

/// 细则 第三十一条, 第三十三条: 可以延长一次预备期，延长时间不能少于半年，最长不超过一年; 党龄从预备期满
/// 转为正式党员之日算起 (the extended end).
#[test]
fn probation_extension_once_by_six_to_twelve_months_xize2026_art31_art33() {
    // (months, accepted?)
    for (months, accepted) in [(5, false), (6, true), (12, true), (13, false)] {
        let mut record = pipeline_2026();
        record.archived_on = None;
        record.probation_decisions = vec![decision(
            ProbationProposal::Extend { months },
            "2027-08-12",
            Some("2027-09-01"),
        )];
        let expected = if accepted {
            vec![]
        } else {
            refused("probation_decisions[0].proposal.months", PROBATION)
        };
        assert_eq!(refusals(&record), expected, "extension of {months} months");
    }
    let mut record = pipeline_2026();
    record.probation_decisions = vec![
        decision(
            ProbationProposal::Extend { months: 6 },
            "2027-08-12",
            Some("2027-09-01"),
        ),
        decision(ProbationProposal::Convert, "2028-02-10", Some("2028-03-01")),
    ];
    record.archived_on = Some(d("2028-03-10"));
    assert_eq!(refusals(&record), vec![]);
    assert_eq!(record.probation_end(), Some(d("2028-02-10")));
    assert_eq!(record.party_standing_from(), Some(d("2028-02-10")));
    assert_eq!(pipeline_2026().party_standing_from(), Some(d("2027-08-10")));

    // A conversion meeting before the extended end is too early.
    record.probation_decisions[1] =
        decision(ProbationProposal::Convert, "2028-02-09", Some("2028-03-01"));
    assert_eq!(
        refusals(&record),
        refused("probation_decisions[1].vote.held_on", PROBATION)
    );

    // A second extension is refused.
    let mut twice = pipeline_2026();
    twice.archived_on = None;
    twice.probation_decisions = vec![
        decision(
            ProbationProposal::Extend { months: 6 },
            "2027-08-12",
            Some("2027-09-01"),
        ),
        decision(ProbationProposal::Extend { months: 6 }, "2028-02-10", None),
    ];
    assert_eq!(
        refusals(&twice),
        refused("probation_decisions[1].proposal", PROBATION)
    );
}

/// 细则 第三十三条: 转正的决议应当在三个月内审批.
#[test]
fn conversion_approval_within_three_months_xize2026_art33() {
    for (approved, accepted) in [
        ("2027-11-11", true),
        ("2027-11-12", true),
        ("2027-11-13", false),
    ] {
        let mut record = pipeline_2026();
        record.archived_on = None;
        record.probation_decisions = vec![decision(
            ProbationProposal::Convert,
            "2027-08-12",
            Some(approved),
        )];
        let expected = if accepted {
            vec![]
        } else {
            refused(
                "probation_decisions[0].approval.decided_on",
                CONVERSION_APPROVAL,
            )
        };
        assert_eq!(
            refusals(&record),
            expected,
            "conversion approved {approved}"
        );
    }
}

/// 细则 第三十五条: a probationary member transferred in — the conversion discussion may be postponed
/// by six months at most; for others the rules say only 及时, so no limit is enforced.
#[test]
fn transferred_in_conversion_postponed_at_most_six_months_xize2026_art35() {
    // (transferred in?, meeting, accepted?) — probation ends 2027-08-10.
    let table = [
        (true, "2028-02-09", true),
        (true, "2028-02-10", true),
        (true, "2028-02-11", false),
        (false, "2028-03-01", true),
    ];
    for (transferred, held, accepted) in table {
        let mut record = pipeline_2026();
        record.archived_on = None;
        record.transferred_in_during_probation_on = transferred.then(|| d("2027-01-10"));
        record.probation_decisions = vec![decision(ProbationProposal::Convert, held, Some(held))];
        let expected = if accepted {
            vec![]
        } else {
            refused("probation_decisions[0].vote.held_on", TRANSFER_IN)
        };
        assert_eq!(
            refusals(&record),
            expected,
            "transferred {transferred}, meeting {held}"
        );
    }
}

/// Bad input: a step dated before the step it depends on is refused, naming the field and the rule.
#[test]
fn a_step_dated_before_its_dependency_is_refused_naming_field_and_rule_xize2026() {
    type Edit = fn(&mut AdmissionRecord);
    let table: [(&str, Edit, &str, &str); 10] = [
        (
            "talk before application",
            |r| r.application_talk = Some(talk("2024-09-01")),
            "application_talk.held_on",
            TALK,
        ),
        (
            "activist before talk",
            |r| r.activist_determined_on = Some(d("2024-09-10")),
            "activist_determined_on",
            "RECRUIT.ACTIVIST.DETERMINATION",
        ),
        (
            "mentor before activist",
            |r| r.mentors[0].assigned_on = d("2024-11-01"),
            "mentors[0].assigned_on",
            "RECRUIT.ACTIVIST.CONTACTS_1_2",
        ),
        (
            "sponsor before listing",
            |r| r.sponsors[0].assigned_on = d("2026-05-19"),
            "sponsors[0].assigned_on",
            SPONSORS,
        ),
        (
            "pre-review before committee review",
            |r| r.pretrial_passed_on = Some(d("2026-07-05")),
            "pretrial_passed_on",
            "RECRUIT.PRETRIAL",
        ),
        (
            "vote before the form",
            |r| r.application_form_issued_on = Some(d("2026-08-11")),
            "admission_vote.held_on",
            "RECRUIT.PRETRIAL",
        ),
        (
            "approval before upper talk",
            |r| r.upper_talk = Some(talk("2026-09-02")),
            "upper_talk",
            "RECRUIT.APPROVAL.PRE_TALK",
        ),
        (
            "oath before approval",
            |r| r.oath_on = Some(d("2026-08-31")),
            "oath_on",
            OATH,
        ),
        (
            "conversion approved before its vote",
            |r| r.probation_decisions[0].approval = Some(approval("2027-08-11")),
            "probation_decisions[0].approval.decided_on",
            "RECRUIT.CONVERSION.PROCEDURE_AND_VOTE",
        ),
        (
            "archived before conversion approval",
            |r| r.archived_on = Some(d("2027-08-31")),
            "archived_on",
            "RECRUIT.ARCHIVE",
        ),
    ];
    for (label, edit, field, rule) in table {
        let mut record = pipeline_2026();
        edit(&mut record);
        let refusals = refusals(&record);
        assert!(
            refusals.contains(&(field.to_string(), rule.to_string())),
            "{label}: {refusals:?}"
        );
    }
}

/// Bad input: later steps with their prerequisite missing are refused.
#[test]
fn later_steps_without_their_prerequisite_are_refused_xize2026() {
    let mut no_listing = until_vote(pipeline_2026());
    no_listing.candidate_listed_on = None;
    assert!(refusals(&no_listing).contains(&("candidate_listed_on".into(), LISTING.into())));
    let mut no_approval = pipeline_2026();
    no_approval.admission_approval = None;
    no_approval.approval_filed_on = None;
    let fields: Vec<String> = refusals(&no_approval)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    assert!(
        fields.contains(&"oath_on".to_string())
            && fields.contains(&"probation_decisions".to_string()),
        "{fields:?}"
    );
}

/// 细则 第七条: what is due counts down to the deadline and is overdue the day after. An
/// application received before 2026-05-11 is cited from the 2014 text, whose article number
/// RULES.md does not give.
#[test]
fn due_talk_counts_down_and_is_overdue_the_day_after_xize2026_art7() {
    let record = AdmissionRecord::new(person("1990-01-01"), d("2026-06-10"));
    // (today, days left, overdue?)
    for (today, days_left, overdue) in [
        ("2026-07-09", 1, false),
        ("2026-07-10", 0, false),
        ("2026-07-11", -1, true),
    ] {
        let due = due_steps(&record, d(today), &CALENDAR);
        assert_eq!(due.len(), 1, "{today}");
        let step = &due[0];
        assert_eq!(
            (step.step, step.deadline, step.days_left, step.overdue),
            (
                AdmissionStep::ApplicationTalk,
                Some(d("2026-07-10")),
                Some(days_left),
                overdue
            ),
            "{today}"
        );
        assert_eq!(
            (
                step.rule_id,
                step.citation.article_zh,
                step.citation.article_en
            ),
            (TALK, "第七条", "art. 7")
        );
        assert_eq!(step.number, Some(2));
        assert!(
            step.citation.quote_zh.contains("一个月内"),
            "{}",
            step.citation.quote_zh
        );
    }
    let before_revision = due_steps(
        &AdmissionRecord::new(person("1990-01-01"), d("2026-03-10")),
        d("2026-03-20"),
        &CALENDAR,
    );
    assert_eq!(
        (
            before_revision[0].citation.version,
            before_revision[0].citation.article_en
        ),
        (AdmissionRuleSet::Rules2014, "article unknown (2014 text)")
    );
}

/// 细则 第十一条, 第十三条: an activist's next review and the earliest listing; under 2026 the listing
/// waits for five working days of publicity.
#[test]
fn due_activist_review_and_listing_xize2026_art11_art13() {
    let record = until_listing(pipeline_2026());
    let mut activist = record.clone();
    activist.candidate_listed_on = None;
    activist.publicity.clear();
    activist.candidate_reported_to_upper_on = None;
    // Before 11 May a listing would still fall under the 2014 text: no consent step.
    let due = due_steps(&activist, d("2026-05-01"), &CALENDAR);
    assert!(
        due.iter()
            .any(|step| step.step == AdmissionStep::ListCandidate
                && step.earliest == Some(d("2025-11-04"))),
        "{due:?}"
    );
    assert!(
        !due.iter()
            .any(|step| step.step == AdmissionStep::ReportCandidateToUpper),
        "{due:?}"
    );
    let due = due_steps(&activist, d("2026-05-15"), &CALENDAR);
    let review = due
        .iter()
        .find(|step| step.step == AdmissionStep::ActivistReview)
        .expect("review due");
    assert_eq!(
        (review.deadline, review.days_left, review.overdue),
        (Some(d("2026-10-10")), Some(148), false)
    );
    let consent = due
        .iter()
        .find(|step| step.step == AdmissionStep::ReportCandidateToUpper)
        .expect("consent due");
    assert_eq!(
        (consent.name_zh, consent.earliest),
        ("报上级党委同意", Some(d("2025-11-04")))
    );

    let mut publicised = activist.clone();
    publicised.candidate_reported_to_upper_on = Some(d("2026-05-05"));
    publicised.publicity = vec![Publicity {
        place: PublicityPlace::WorkOrStudyUnit,
        first_day: d("2026-05-06"),
        last_day: d("2026-05-12"),
    }];
    let due = due_steps(&publicised, d("2026-05-11"), &CALENDAR);
    let listing = due
        .iter()
        .find(|step| step.step == AdmissionStep::ListCandidate)
        .expect("listing due");
    // 6, 7, 8, 9 (make-up working day) and 11 May: complete on Monday 11 May.
    assert_eq!(listing.earliest, Some(d("2026-05-11")));
}

/// 细则 第十九条, 第二十五条: the vote's and the approval's deadlines, with the straddling case.
#[test]
fn due_vote_and_approval_deadlines_xize2026_art19_art25() {
    let mut pending_vote = until_vote(pipeline_2026());
    pending_vote.admission_vote = None;
    let due = due_steps(&pending_vote, d("2026-08-15"), &CALENDAR);
    let vote_step = due
        .iter()
        .find(|step| step.step == AdmissionStep::AdmissionVote)
        .expect("vote due");
    assert_eq!(
        (vote_step.deadline, vote_step.days_left, vote_step.rule_id),
        (Some(d("2026-08-15")), Some(0), VOTE_WITHIN_MONTH)
    );

    let mut straddling = until_vote(pipeline_2014());
    straddling.pretrial_passed_on = Some(d("2026-05-10"));
    straddling.admission_vote = None;
    let due = due_steps(&straddling, d("2026-07-01"), &CALENDAR);
    let vote_step = due
        .iter()
        .find(|step| step.step == AdmissionStep::AdmissionVote)
        .expect("vote due");
    assert_eq!(
        vote_step.deadline, None,
        "a 2014 pre-review starts no one-month limit"
    );

    let pending_approval = until_vote(pipeline_2026());
    let due = due_steps(&pending_approval, d("2026-11-11"), &CALENDAR);
    let steps: Vec<(AdmissionStep, Option<NaiveDate>, bool)> = due
        .iter()
        .map(|step| (step.step, step.deadline, step.overdue))
        .collect();
    assert_eq!(
        steps,
        vec![
            (AdmissionStep::UpperTalk, Some(d("2026-11-10")), true),
            (
                AdmissionStep::AdmissionApproval,
                Some(d("2026-11-10")),
                true
            )
        ]
    );
    let mut with_reason = pending_approval.clone();
    with_reason
        .reasons
        .push(reason(ReasonSubject::ApprovalDelay, "2026-10-01"));
    let due = due_steps(&with_reason, d("2026-11-11"), &CALENDAR);
    assert!(
        due.iter()
            .all(|step| step.deadline == Some(d("2027-02-10")) && !step.overdue),
        "{due:?}"
    );
}

/// 细则 第二十九条, 第三十一条, 第三十五条: oath (warning), conversion from the end of probation.
#[test]
fn due_oath_and_conversion_xize2026_art29_art31_art35() {
    let mut probation = pipeline_2026();
    probation.oath_on = None;
    probation.conversion_application_on = None;
    probation.probation_decisions.clear();
    probation.archived_on = None;
    let due = due_steps(&probation, d("2026-09-15"), &CALENDAR);
    let oath = due
        .iter()
        .find(|step| step.step == AdmissionStep::Oath)
        .expect("oath due");
    assert_eq!(
        (oath.deadline, oath.severity),
        (Some(d("2026-10-01")), Severity::Warning)
    );
    let conversion = due
        .iter()
        .find(|step| step.step == AdmissionStep::ConversionVote)
        .expect("conversion due");
    assert_eq!(
        (conversion.earliest, conversion.deadline),
        (Some(d("2027-08-10")), None)
    );

    probation.transferred_in_during_probation_on = Some(d("2027-01-10"));
    let due = due_steps(&probation, d("2028-02-11"), &CALENDAR);
    let conversion = due
        .iter()
        .find(|step| step.step == AdmissionStep::ConversionVote)
        .expect("conversion due");
    assert_eq!(
        (conversion.rule_id, conversion.deadline, conversion.overdue),
        (TRANSFER_IN, Some(d("2028-02-10")), true)
    );

    let mut old = pipeline_2014();
    old.oath_on = None;
    old.conversion_application_on = None;
    old.probation_decisions.clear();
    old.archived_on = None;
    let oath = due_steps(&old, d("2024-05-01"), &CALENDAR)
        .into_iter()
        .find(|step| step.step == AdmissionStep::Oath)
        .expect("oath due");
    assert_eq!(
        (oath.deadline, oath.severity),
        (None, Severity::Info),
        "no oath limit for a 2014 approval"
    );
}

/// Citations: 2026 numbering as RULES.md §4 gives it; the 2014 text says "article unknown" except
/// where RULES.md knows the number.
#[test]
fn citations_follow_rules_md_section_4() {
    let talk_2026 = citation(TALK, AdmissionRuleSet::Rules2026);
    assert_eq!(
        (talk_2026.article_zh, talk_2026.quote_from),
        ("第七条", AdmissionRuleSet::Rules2026)
    );
    let talk_2014 = citation(TALK, AdmissionRuleSet::Rules2014);
    assert_eq!(
        (talk_2014.article_zh, talk_2014.article_en),
        ("条款号不详（2014年版）", "article unknown (2014 text)")
    );
    let training_2014 = citation(TRAINING, AdmissionRuleSet::Rules2014);
    assert_eq!(
        (training_2014.article_zh, training_2014.quote_from),
        ("第十七条", AdmissionRuleSet::Rules2014)
    );
    assert!(!rule_in_force(
        VOTE_WITHIN_MONTH,
        AdmissionRuleSet::Rules2014
    ));
    assert!(!rule_in_force(OATH, AdmissionRuleSet::Rules2014));
    assert!(rule_in_force(
        VOTE_WITHIN_MONTH,
        AdmissionRuleSet::Rules2026
    ));
    assert_eq!(
        AdmissionRuleSet::in_force_on(d("2026-05-10")),
        AdmissionRuleSet::Rules2014
    );
    assert_eq!(
        AdmissionRuleSet::in_force_on(d("2026-05-11")),
        AdmissionRuleSet::Rules2026
    );
    for id in admission_rule_ids() {
        assert!(id.starts_with("RECRUIT."), "{id}");
        assert!(
            !citation(id, AdmissionRuleSet::Rules2026)
                .quote_zh
                .is_empty(),
            "{id}"
        );
    }
}

/// Every rule id the validator and the due list use is in the citation table.
#[test]
fn every_cited_rule_is_in_the_table() {
    let known = admission_rule_ids();
    let mut cited: Vec<&str> = Vec::new();
    for record in [pipeline_2026(), pipeline_2014()] {
        for today in [
            "2024-09-10",
            "2025-06-01",
            "2026-05-15",
            "2026-08-01",
            "2026-10-01",
            "2027-09-01",
        ] {
            let mut partial = record.clone();
            partial.archived_on = None;
            cited.extend(
                due_steps(&partial, d(today), &CALENDAR)
                    .iter()
                    .map(|step| step.rule_id),
            );
        }
    }
    for id in cited {
        assert!(known.contains(&id), "{id} is not in the citation table");
    }
}

#[test]
fn the_record_is_a_stored_kind_and_round_trips_as_json() {
    assert_eq!(
        RecordKind::parse("admission_record"),
        Some(RecordKind::AdmissionRecord)
    );
    assert_eq!(
        <AdmissionRecord as Record>::KIND,
        RecordKind::AdmissionRecord
    );
    let record = pipeline_2026();
    assert_eq!(record.scope_org(), Some(OrgId(10)));
    assert_eq!(record.event_date(), d("2027-09-15"));
    let text = serde_json::to_string(&record).expect("serializes");
    let back: AdmissionRecord = serde_json::from_str(&text).expect("deserializes");
    assert_eq!(back, record);
}
