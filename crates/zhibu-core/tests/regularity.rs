//! Regularity (常态化) facts on built branches with planted patterns: a steady branch has none; a
//! December catch-up branch has exactly the burst of committee meetings; a late-entry branch has
//! exactly its late records and their share; a branch with an empty month has exactly that month; a
//! branch that typed in a season's records in one sitting has the batch and its late records.

mod support;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use support::{World, d};
use zhibu_core::calendar::china_standard_time;
use zhibu_core::regularity::{
    FactDetail, RegularityParameters, RegularityReport, regularity_facts,
    regularity_facts_for_subtree,
};
use zhibu_core::*;

const YEAR: i32 = 2025;

/// 10:00 China time on `day`.
fn at(day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_hms_opt(10, 0, 0).expect("10:00");
    china_standard_time()
        .from_local_datetime(&local)
        .single()
        .expect("fixed offset")
        .with_timezone(&Utc)
}

fn day_of(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, month, day).expect("test day")
}

/// How a branch's year departs from the steady pattern.
#[derive(Default)]
struct Changes {
    /// Months in which the duty's meeting was not held (a group meeting: for every group).
    skip: Vec<(MeetingKind, u32)>,
    /// Extra meetings of the branch: kind and day, entered the day after.
    extra: Vec<(MeetingKind, &'static str)>,
    /// Months whose regular meetings were entered on another day than the usual 18th.
    entered: Vec<(u32, &'static str)>,
}

struct Branch {
    id: OrgId,
    groups: Vec<OrgId>,
    /// The regular meetings of each month, in the order committee, themed Party day, groups.
    regular: BTreeMap<u32, Vec<i64>>,
    /// The extra meetings, in the order given.
    extra: Vec<i64>,
}

fn set_entered_meeting(world: &mut World, id: MeetingId, on: NaiveDate) {
    let stored = world
        .snapshot
        .meetings
        .iter_mut()
        .find(|meeting| meeting.id == id.0)
        .expect("meeting exists");
    stored.first_entered_at = at(on);
    stored.last_changed_at = at(on);
}

fn talk(
    world: &mut World,
    branch: OrgId,
    held_on: NaiveDate,
    entered_on: NaiveDate,
    a: MemberId,
    b: MemberId,
) -> i64 {
    world.talk(branch, &held_on.to_string(), a, b);
    let stored = world.snapshot.talks.last_mut().expect("talk just added");
    stored.first_entered_at = at(entered_on);
    stored.last_changed_at = at(entered_on);
    stored.id
}

/// A branch whose records are kept from 1 December 2024. Each month of 2025: the committee meeting
/// (where there is a committee) on the 14th, the themed Party day on the 15th and each group's
/// meeting on the 16th, all entered together on the 18th; in December also the organizational-life
/// meeting on the 22nd (entered the 23rd) and four heart-to-heart talks on the 1st to 3rd, entered
/// together on the 4th.
fn branch(
    world: &mut World,
    parent: OrgId,
    name: &str,
    committee: bool,
    group_count: usize,
    changes: &Changes,
) -> Branch {
    let id = world.org(Some(parent), OrgLevel::Branch, name);
    let groups: Vec<OrgId> = (0..group_count)
        .map(|index| {
            world.org(
                Some(id),
                OrgLevel::PartyGroup,
                &format!("{name}第{}党小组", index + 1),
            )
        })
        .collect();
    for org in world
        .snapshot
        .orgs
        .iter_mut()
        .filter(|org| org.id == id.0 || groups.contains(&OrgId(org.id)))
    {
        org.first_entered_at = at(d("2024-12-01"));
    }
    let roster = world.members(id, if committee { 9 } else { 5 });
    if committee {
        world.term(id, LeadershipForm::Committee, "2024-01-10", 3, &roster[..5]);
    } else {
        world.term(
            id,
            LeadershipForm::SecretaryOnly,
            "2024-01-10",
            3,
            &roster[..1],
        );
    }
    let mut regular = BTreeMap::new();
    for month in 1..=12 {
        let entered_on = changes
            .entered
            .iter()
            .find(|(m, _)| *m == month)
            .map_or(day_of(month, 18), |(_, day)| d(day));
        let skipped = |kind: MeetingKind| changes.skip.contains(&(kind, month));
        let mut ids = Vec::new();
        let mut sittings: Vec<(OrgId, MeetingKind, u32)> = Vec::new();
        if committee && !skipped(MeetingKind::CommitteeMeeting) {
            sittings.push((id, MeetingKind::CommitteeMeeting, 14));
        }
        if !skipped(MeetingKind::ThemedPartyDay) {
            sittings.push((id, MeetingKind::ThemedPartyDay, 15));
        }
        if !skipped(MeetingKind::GroupMeeting) {
            sittings.extend(
                groups
                    .iter()
                    .map(|group| (*group, MeetingKind::GroupMeeting, 16)),
            );
        }
        for (org, kind, day) in sittings {
            let meeting = world.meeting(
                org,
                &[kind],
                &day_of(month, day).to_string(),
                &roster,
                &roster,
            );
            set_entered_meeting(world, meeting, entered_on);
            ids.push(meeting.0);
        }
        regular.insert(month, ids);
    }
    let org_life = world.meeting(
        id,
        &[MeetingKind::OrgLifeMeeting, MeetingKind::MemberAppraisal],
        "2025-12-22",
        &roster,
        &roster,
    );
    set_entered_meeting(world, org_life, day_of(12, 23));
    let mut extra = Vec::new();
    for (kind, day) in &changes.extra {
        let meeting = world.meeting(id, &[*kind], day, &roster, &roster);
        set_entered_meeting(world, meeting, d(day) + chrono::Duration::days(1));
        extra.push(meeting.0);
    }
    for index in 0..4 {
        talk(
            world,
            id,
            day_of(12, 1 + index / 2),
            day_of(12, 4),
            roster[0],
            roster[index as usize + 1],
        );
    }
    Branch {
        id,
        groups,
        regular,
        extra,
    }
}

fn report(world: &World, branch: OrgId, today: &str) -> RegularityReport {
    regularity_facts(
        &world.snapshot,
        branch,
        YEAR,
        d(today),
        RegularityParameters::default(),
    )
    .expect("a branch")
}

fn keys(report: &RegularityReport) -> Vec<String> {
    report.fact_keys().into_iter().map(String::from).collect()
}

const TODAY: &str = "2026-02-15";

#[test]
fn a_steady_branch_has_no_facts_and_every_duty_in_its_own_month() {
    let (mut world, committee, _) = World::committee_and_branch();
    let steady = branch(
        &mut world,
        committee,
        "机关第二党支部",
        true,
        2,
        &Changes::default(),
    );
    let report = report(&world, steady.id, TODAY);
    assert_eq!(keys(&report), Vec::<String>::new(), "{:#?}", report.facts);
    // Twelve months of committee meeting, themed Party day and two group meetings, the
    // organizational-life meeting and four talks, none of them late.
    assert_eq!(
        (
            report.late_entries.considered,
            report.late_entries.late,
            report.late_entries.percent
        ),
        (12 * 4 + 1 + 4, 0, Some(0))
    );
    assert_eq!(
        report.late_entries.sentence_zh,
        "2025年的53条会议和谈心谈话记录都在活动后30天内录入。"
    );
    let tallies: Vec<(MeetingKind, OrgId, u32, u32)> = report
        .monthly_duties
        .iter()
        .map(|tally| {
            (
                tally.meeting_kind,
                tally.holder_id,
                tally.owed,
                tally.done_in_own_month,
            )
        })
        .collect();
    assert_eq!(
        tallies,
        [
            (MeetingKind::CommitteeMeeting, steady.id, 12, 12),
            (MeetingKind::ThemedPartyDay, steady.id, 12, 12),
            (MeetingKind::GroupMeeting, steady.groups[0], 12, 12),
            (MeetingKind::GroupMeeting, steady.groups[1], 12, 12),
        ]
    );
    assert!(report.months.iter().all(|month| month.judged
        && month.duties_owed == 4
        && month.duties_done_in_own_month == 4
        && month.fact_keys.is_empty()));
    assert_eq!(report.imported_records, 0);
}

#[test]
fn a_december_catch_up_is_exactly_one_burst_of_committee_meetings() {
    let (mut world, committee, _) = World::committee_and_branch();
    let changes = Changes {
        skip: vec![
            (MeetingKind::CommitteeMeeting, 10),
            (MeetingKind::CommitteeMeeting, 11),
        ],
        extra: vec![
            (MeetingKind::CommitteeMeeting, "2025-12-03"),
            (MeetingKind::CommitteeMeeting, "2025-12-26"),
        ],
        ..Changes::default()
    };
    let catch_up = branch(&mut world, committee, "机关第三党支部", true, 1, &changes);
    let report = report(&world, catch_up.id, TODAY);
    let key = format!("duty_burst|{}|committee_meeting|2025-Q4", catch_up.id);
    assert_eq!(keys(&report), std::slice::from_ref(&key));
    let burst = &report.facts[0];
    let FactDetail::DutyBurst {
        meeting_kind,
        window_first_day,
        window_last_day,
        meetings_in_window,
        months_without,
    } = &burst.detail
    else {
        panic!("a burst: {burst:?}");
    };
    assert_eq!(*meeting_kind, MeetingKind::CommitteeMeeting);
    assert_eq!(
        (*window_first_day, *window_last_day, *meetings_in_window),
        (d("2025-12-01"), d("2025-12-31"), 3)
    );
    assert_eq!(months_without, &["2025-10", "2025-11"]);
    let december_regular = catch_up.regular[&12][0];
    let mut expected = vec![catch_up.extra[0], december_regular, catch_up.extra[1]];
    expected.sort();
    let mut evidence: Vec<i64> = burst.evidence.iter().map(|record| record.id).collect();
    evidence.sort();
    assert_eq!(
        evidence, expected,
        "the three December committee meetings are the evidence"
    );
    assert_eq!(
        burst.sentence_zh,
        "机关第三党支部支部委员会会议：2025年10月、11月没有召开，2025年12月1日至2025年12月31日集中召开3次（2025年12月3日、2025年12月14日、2025年12月26日）。"
    );
    assert!(
        burst
            .sentence_en
            .contains("none in 2025-10, 2025-11, then 3 held between 2025-12-01 and 2025-12-31"),
        "{}",
        burst.sentence_en
    );
    let committee_tally = report
        .monthly_duties
        .iter()
        .find(|tally| tally.meeting_kind == MeetingKind::CommitteeMeeting)
        .expect("committee tally");
    assert_eq!(
        (committee_tally.owed, committee_tally.done_in_own_month),
        (12, 10)
    );
    assert_eq!(committee_tally.months_without, ["2025-10", "2025-11"]);
    // The trend shows the gap in October and November and the burst in December.
    let trend: Vec<(u32, u32)> = report
        .months
        .iter()
        .map(|month| (month.duties_owed, month.duties_done_in_own_month))
        .collect();
    assert_eq!(&trend[9..], [(3, 2), (3, 2), (3, 3)]);
    assert_eq!(report.months[11].fact_keys, [key]);
    assert_eq!(report.late_entries.late, 0);
}

#[test]
fn a_late_entry_branch_has_exactly_its_late_records_and_their_share() {
    let (mut world, committee, _) = World::committee_and_branch();
    let changes = Changes {
        entered: vec![(3, "2025-05-06")],
        ..Changes::default()
    };
    let late = branch(&mut world, committee, "机关第四党支部", true, 1, &changes);
    let members: Vec<MemberId> = world
        .snapshot
        .members
        .iter()
        .filter(|m| m.body.current_branch() == Some(late.id))
        .map(|m| MemberId(m.id))
        .collect();
    let late_talk = talk(
        &mut world,
        late.id,
        d("2025-06-10"),
        d("2025-07-25"),
        members[0],
        members[6],
    );
    let report = report(&world, late.id, TODAY);

    let march = &late.regular[&3];
    let mut expected: Vec<String> = march
        .iter()
        .map(|id| format!("late_entry|meeting|{id}"))
        .collect();
    expected.push(format!("late_entry|talk|{late_talk}"));
    assert_eq!(keys(&report), expected);
    let delays: Vec<(i64, NaiveDate, i64)> = report
        .facts
        .iter()
        .map(|fact| match &fact.detail {
            FactDetail::LateEntry {
                record_id,
                event_date,
                delay_days,
                ..
            } => (*record_id, *event_date, *delay_days),
            other => panic!("only late entries: {other:?}"),
        })
        .collect();
    assert_eq!(
        delays,
        [
            (march[0], d("2025-03-14"), 53),
            (march[1], d("2025-03-15"), 52),
            (march[2], d("2025-03-16"), 51),
            (late_talk, d("2025-06-10"), 45)
        ]
    );
    assert!(report.facts.iter().all(|fact| fact.evidence.len() == 1));
    // A group's meeting entered late is a fact about the group.
    let orgs: Vec<OrgId> = report.facts.iter().map(|fact| fact.org_id).collect();
    assert_eq!(orgs, [late.id, late.id, late.groups[0], late.id]);
    assert_eq!(
        report.facts[1].sentence_zh,
        format!(
            "2025年3月15日的主题党日（记录{}）于2025年5月6日录入，晚52天。",
            march[1]
        )
    );

    // 36 regular meetings, the organizational-life meeting, four December talks and the June talk.
    let share = &report.late_entries;
    assert_eq!(
        (
            share.threshold_days,
            share.considered,
            share.late,
            share.percent
        ),
        (30, 42, 4, Some(10))
    );
    assert_eq!(
        share.sentence_zh,
        "2025年的42条会议和谈心谈话记录中，有4条在活动后满30天才录入（10%）。"
    );
    assert_eq!(
        (
            report.months[2].records,
            report.months[2].records_entered_late
        ),
        (3, 3)
    );
    assert_eq!(
        (
            report.months[5].records,
            report.months[5].records_entered_late
        ),
        (4, 1)
    );
}

#[test]
fn a_month_with_no_meeting_at_all_is_a_fact_with_its_neighbouring_meetings() {
    let (mut world, committee, _) = World::committee_and_branch();
    let changes = Changes {
        skip: vec![(MeetingKind::ThemedPartyDay, 8)],
        ..Changes::default()
    };
    let quiet = branch(&mut world, committee, "机关第五党支部", false, 0, &changes);
    let report = report(&world, quiet.id, TODAY);
    assert_eq!(
        keys(&report),
        [format!("month_without_org_life|{}|2025-08", quiet.id)]
    );
    let fact = &report.facts[0];
    let evidence: Vec<(i64, NaiveDate)> = fact
        .evidence
        .iter()
        .map(|record| (record.id, record.date))
        .collect();
    assert_eq!(
        evidence,
        [
            (quiet.regular[&7][0], d("2025-07-15")),
            (quiet.regular[&9][0], d("2025-09-15"))
        ]
    );
    assert_eq!(
        fact.sentence_zh,
        "2025年8月，机关第五党支部及其党小组没有召开任何会议。"
    );
    // No committee, so the only monthly duty is the themed Party day.
    let tallies: Vec<(MeetingKind, u32, u32)> = report
        .monthly_duties
        .iter()
        .map(|tally| (tally.meeting_kind, tally.owed, tally.done_in_own_month))
        .collect();
    assert_eq!(tallies, [(MeetingKind::ThemedPartyDay, 12, 11)]);
}

#[test]
fn a_season_typed_in_one_sitting_is_a_batch_beside_its_late_records() {
    let (mut world, committee, _) = World::committee_and_branch();
    let changes = Changes {
        entered: vec![
            (3, "2025-07-20"),
            (4, "2025-07-20"),
            (5, "2025-07-20"),
            (6, "2025-07-20"),
        ],
        ..Changes::default()
    };
    let batch = branch(&mut world, committee, "机关第六党支部", true, 1, &changes);
    let report = report(&world, batch.id, TODAY);
    let batch_records: Vec<i64> = (3..=6)
        .flat_map(|month| batch.regular[&month].clone())
        .collect();
    let mut expected: Vec<String> = batch_records
        .iter()
        .map(|id| format!("late_entry|meeting|{id}"))
        .collect();
    expected.push(format!("entry_batch|{}|2025-07-20", batch.id));
    assert_eq!(keys(&report), expected);
    let fact = report.facts.last().expect("the batch");
    assert_eq!(
        fact.detail,
        FactDetail::EntryBatch {
            entered_on: d("2025-07-20"),
            records: 12,
            event_months: ["2025-03", "2025-04", "2025-05", "2025-06"]
                .map(String::from)
                .to_vec()
        }
    );
    assert_eq!(
        fact.evidence
            .iter()
            .map(|record| record.id)
            .collect::<Vec<_>>(),
        batch_records
    );
    assert_eq!(
        fact.sentence_zh,
        "2025年7月20日一天录入了12条记录，活动分布在2025年3月至2025年6月间的4个月。"
    );
}

#[test]
fn the_planted_city_yields_exactly_the_planted_facts_branch_by_branch() {
    let (mut world, committee, first) = World::committee_and_branch();
    let steady = branch(
        &mut world,
        committee,
        "稳定支部",
        true,
        2,
        &Changes::default(),
    );
    let catch_up = branch(
        &mut world,
        committee,
        "年底突击支部",
        true,
        0,
        &Changes {
            skip: vec![
                (MeetingKind::CommitteeMeeting, 10),
                (MeetingKind::CommitteeMeeting, 11),
            ],
            extra: vec![
                (MeetingKind::CommitteeMeeting, "2025-12-03"),
                (MeetingKind::CommitteeMeeting, "2025-12-26"),
            ],
            ..Changes::default()
        },
    );
    let late = branch(
        &mut world,
        committee,
        "补录支部",
        false,
        0,
        &Changes {
            entered: vec![(9, "2025-11-03")],
            ..Changes::default()
        },
    );
    let reports = regularity_facts_for_subtree(
        &world.snapshot,
        committee,
        YEAR,
        d(TODAY),
        RegularityParameters::default(),
    );
    let got: Vec<(OrgId, Vec<String>)> = reports
        .iter()
        .map(|report| (report.branch_id, keys(report)))
        .collect();
    // The support module's own branch holds no records and its records were entered on 1 January
    // 2026, so none of 2025 is judged: no facts, not twelve empty months.
    assert_eq!(
        got,
        [
            (first, vec![]),
            (steady.id, vec![]),
            (
                catch_up.id,
                vec![format!(
                    "duty_burst|{}|committee_meeting|2025-Q4",
                    catch_up.id
                )]
            ),
            (
                late.id,
                vec![format!("late_entry|meeting|{}", late.regular[&9][0])]
            ),
        ]
    );
    assert!(reports[0].months.iter().all(|month| !month.judged));
}

#[test]
fn records_of_events_before_the_branch_was_entered_are_an_import() {
    let (mut world, committee, _) = World::committee_and_branch();
    // Kept from 1 December 2024 as built; move the start to 10 May 2025 and enter January to April
    // on that day, as a go-live would.
    let changes = Changes {
        entered: vec![
            (1, "2025-05-10"),
            (2, "2025-05-10"),
            (3, "2025-05-10"),
            (4, "2025-05-10"),
        ],
        skip: vec![(MeetingKind::ThemedPartyDay, 2)],
        ..Changes::default()
    };
    let imported = branch(&mut world, committee, "新上线支部", false, 0, &changes);
    for org in world
        .snapshot
        .orgs
        .iter_mut()
        .filter(|org| org.id == imported.id.0)
    {
        org.first_entered_at = at(d("2025-05-10"));
    }
    let report = report(&world, imported.id, TODAY);
    assert_eq!(report.records_kept_from, d("2025-05-10"));
    // Three themed Party days (February was skipped) are imports: not late, not a batch, and the
    // empty February is before the records were kept, so it is not judged.
    assert_eq!(keys(&report), Vec::<String>::new(), "{:#?}", report.facts);
    assert_eq!(report.imported_records, 3);
    assert_eq!(
        report
            .months
            .iter()
            .map(|month| month.judged)
            .collect::<Vec<_>>(),
        [[false; 4].as_slice(), &[true; 8]].concat()
    );
    let theme = &report.monthly_duties[0];
    assert_eq!((theme.owed, theme.done_in_own_month), (8, 8));
}

#[test]
fn the_current_month_is_not_judged_and_the_threshold_is_inclusive() {
    let (mut world, committee, _) = World::committee_and_branch();
    let branch = branch(
        &mut world,
        committee,
        "门槛支部",
        false,
        0,
        &Changes {
            skip: vec![(MeetingKind::ThemedPartyDay, 9)],
            ..Changes::default()
        },
    );
    let members: Vec<MemberId> = world
        .snapshot
        .members
        .iter()
        .filter(|m| m.body.current_branch() == Some(branch.id))
        .map(|m| MemberId(m.id))
        .collect();
    let on_time = talk(
        &mut world,
        branch.id,
        d("2025-08-01"),
        d("2025-08-30"),
        members[0],
        members[1],
    );
    let at_threshold = talk(
        &mut world,
        branch.id,
        d("2025-08-02"),
        d("2025-09-01"),
        members[0],
        members[2],
    );
    // As of 20 September the empty September has not ended: it is not judged yet.
    let report = report(&world, branch.id, "2025-09-20");
    assert_eq!(keys(&report), [format!("late_entry|talk|{at_threshold}")]);
    assert!(
        !report
            .facts
            .iter()
            .any(|fact| fact.key.ends_with(&format!("|{on_time}")))
    );
    assert_eq!(report.months.iter().filter(|month| month.judged).count(), 8);
    // A branch-wide setting can lower the threshold.
    let strict = regularity_facts(
        &world.snapshot,
        branch.id,
        YEAR,
        d("2025-09-20"),
        RegularityParameters {
            late_entry_days: 29,
            ..RegularityParameters::default()
        },
    )
    .expect("a branch");
    assert_eq!(
        keys(&strict),
        [
            format!("late_entry|talk|{on_time}"),
            format!("late_entry|talk|{at_threshold}")
        ]
    );
}

#[test]
fn a_burst_earlier_in_the_year_looks_back_over_its_quarter_only() {
    let (mut world, committee, _) = World::committee_and_branch();
    // The group meets in neither April nor May and three times in June; January also went without,
    // but it is another quarter.
    let changes = Changes {
        skip: vec![
            (MeetingKind::GroupMeeting, 1),
            (MeetingKind::GroupMeeting, 4),
            (MeetingKind::GroupMeeting, 5),
        ],
        ..Changes::default()
    };
    let built = branch(&mut world, committee, "小组突击支部", false, 1, &changes);
    let roster: Vec<MemberId> = world
        .snapshot
        .members
        .iter()
        .filter(|m| m.body.current_branch() == Some(built.id))
        .map(|m| MemberId(m.id))
        .collect();
    for day in ["2025-06-05", "2025-06-25"] {
        let meeting = world.meeting(
            built.groups[0],
            &[MeetingKind::GroupMeeting],
            day,
            &roster,
            &roster,
        );
        set_entered_meeting(&mut world, meeting, d(day));
    }
    let report = report(&world, built.id, TODAY);
    assert_eq!(
        keys(&report),
        [format!(
            "duty_burst|{}|group_meeting|2025-Q2",
            built.groups[0]
        )]
    );
    let FactDetail::DutyBurst {
        months_without,
        window_first_day,
        ..
    } = &report.facts[0].detail
    else {
        panic!("a burst")
    };
    assert_eq!(months_without, &["2025-04", "2025-05"]);
    assert_eq!(*window_first_day, d("2025-05-31"));
    assert_eq!(report.facts[0].org_id, built.groups[0]);
}

#[test]
fn an_unknown_org_or_a_party_group_has_no_report() {
    let (mut world, committee, _) = World::committee_and_branch();
    let built = branch(&mut world, committee, "支部", false, 1, &Changes::default());
    assert!(
        regularity_facts(
            &world.snapshot,
            OrgId(9999),
            YEAR,
            d(TODAY),
            RegularityParameters::default()
        )
        .is_none()
    );
    assert!(
        regularity_facts(
            &world.snapshot,
            built.groups[0],
            YEAR,
            d(TODAY),
            RegularityParameters::default()
        )
        .is_none()
    );
}
