//! The generator on its own: determinism, scale, record validity, and that the baseline breaks no
//! rule while the planted imperfections are exactly what a checker finds.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use chrono::{NaiveDate, TimeDelta};
use zhibu_core::calendar::china_date;
use zhibu_core::{LeadershipForm, MemberStatus, OrgLevel, Record};
use zhibu_demo::{DemoConfig, LATE_ENTRY_DAYS, generate};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

fn standard() -> DemoConfig {
    DemoConfig::new(20_261_129, day("2026-11-29"))
}

#[test]
fn the_same_seed_gives_the_same_city() {
    let first = generate(&standard());
    let second = generate(&standard());
    assert_eq!(first, second);
    for index in 0..first.branch_count() {
        assert_eq!(
            first.branch_records(index),
            second.branch_records(index),
            "branch {index}"
        );
    }
}

#[test]
fn another_seed_gives_another_city() {
    let first = generate(&standard());
    let second = generate(&DemoConfig {
        seed: standard().seed + 1,
        ..standard()
    });
    assert_ne!(first.orgs, second.orgs);
    assert_ne!(first.planted, second.planted);
    assert_ne!(first.branch_records(0), second.branch_records(0));
}

#[test]
fn the_standard_city_has_the_size_of_the_issue() {
    let started = Instant::now();
    let dataset = generate(&standard());
    let planned = started.elapsed();
    let departments = dataset
        .orgs
        .iter()
        .filter(|org| org.body.level == OrgLevel::PartyCommittee)
        .count();
    let branches = dataset
        .orgs
        .iter()
        .filter(|org| org.body.level == OrgLevel::Branch)
        .count();
    let groups = dataset
        .orgs
        .iter()
        .filter(|org| org.body.level == OrgLevel::PartyGroup)
        .count();
    assert_eq!(dataset.orgs[0].body.name, "中共某市市直机关工作委员会");
    assert_eq!(dataset.orgs[0].body.level, OrgLevel::WorkingCommittee);
    assert_eq!(branches, 300);
    assert!(
        (35..=45).contains(&departments),
        "{departments} departments"
    );
    assert!(
        (5_000..=7_000).contains(&dataset.member_count()),
        "{} members",
        dataset.member_count()
    );

    let started = Instant::now();
    let (mut meetings, mut talks, mut terms) = (0, 0, 0);
    for records in dataset.branches() {
        let size = records.members.len() + records.transfers_in.len();
        assert!(
            (4..=50).contains(&size),
            "branch {} has {size} members",
            records.branch_id
        );
        meetings += records.meetings.len();
        talks += records.talks.len();
        terms += records.committee_terms.len();
    }
    println!(
        "{} departments, {branches} branches, {groups} groups, {} members, {terms} terms, {meetings} meetings, {talks} talks; planned in {planned:?}, generated in {:?}",
        departments,
        dataset.member_count(),
        started.elapsed()
    );
    assert!(groups > 100, "{groups} groups");
}

#[test]
fn every_generated_record_passes_its_own_validation() {
    let dataset = generate(&standard());
    for org in &dataset.orgs {
        org.body
            .validate()
            .unwrap_or_else(|errors| panic!("{}: {errors}", org.body.name));
    }
    for records in dataset.branches() {
        for member in &records.members {
            member
                .body
                .validate()
                .unwrap_or_else(|errors| panic!("{}: {errors}", member.body.name));
        }
        for transfer in &records.transfers_in {
            transfer
                .body
                .validate()
                .unwrap_or_else(|errors| panic!("{}: {errors}", transfer.body.name));
        }
        for term in &records.committee_terms {
            term.body
                .validate()
                .unwrap_or_else(|errors| panic!("term of {}: {errors}", records.branch_id));
        }
        for meeting in &records.meetings {
            meeting.body.validate().unwrap_or_else(|errors| {
                panic!(
                    "meeting of {} on {}: {errors}",
                    meeting.body.org_id, meeting.body.held_on
                )
            });
        }
        for talk in &records.talks {
            talk.body
                .validate()
                .unwrap_or_else(|errors| panic!("talk on {}: {errors}", talk.body.held_on));
        }
    }
}

#[test]
fn records_fit_the_rosters_of_their_branches() {
    let dataset = generate(&standard());
    let snapshot = dataset.snapshot();
    let problems = common::roster_problems(&snapshot);
    assert!(
        problems.is_empty(),
        "{} problems, e.g. {:#?}",
        problems.len(),
        &problems[..problems.len().min(10)]
    );
    assert_eq!(common::weekend_meetings(&snapshot), 0);
}

/// The heart of the demo: a checker of the rules finds nothing but the planted imperfections, for
/// several seeds and several "todays" (early, middle and late in a year).
#[test]
fn the_checker_finds_exactly_the_planted_imperfections() {
    let cases = [
        (standard(), "standard"),
        (
            DemoConfig {
                seed: 7,
                branches: 150,
                ..DemoConfig::new(7, day("2026-01-05"))
            },
            "early January",
        ),
        (
            DemoConfig {
                seed: 99,
                branches: 150,
                ..DemoConfig::new(99, day("2025-07-01"))
            },
            "first of July",
        ),
        (
            DemoConfig {
                seed: 3,
                branches: 120,
                ..DemoConfig::new(3, day("2027-03-31"))
            },
            "end of March",
        ),
        (
            DemoConfig {
                seed: 11,
                branches: 40,
                years: 5,
                ..DemoConfig::new(11, day("2026-12-31"))
            },
            "five years, New Year's Eve",
        ),
    ];
    for (config, name) in cases {
        let dataset = generate(&config);
        let snapshot = dataset.snapshot();
        let found = common::check(&snapshot, dataset.first_day(), config.today);
        let planted = common::planted_keys(&dataset.planted);
        let unexpected: Vec<_> = found.difference(&planted).collect();
        let missed: Vec<_> = planted.difference(&found).collect();
        assert!(
            unexpected.is_empty() && missed.is_empty(),
            "{name}: unexpected findings {unexpected:#?}\nplanted but not found {missed:#?}"
        );
    }
}

#[test]
fn the_planted_list_has_every_kind_of_imperfection() {
    let dataset = generate(&standard());
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for planted in &dataset.planted {
        *by_rule.entry(planted.rule_id).or_default() += 1;
    }
    for planted in &dataset.planted {
        println!(
            "{} | {} | {} | {}",
            planted.rule_id, planted.org_name, planted.period_label, planted.description_zh
        );
    }
    assert!(
        by_rule["BRANCH.COMMITTEE_MEETING.MONTHLY"] >= 8,
        "{by_rule:?}"
    );
    assert!(by_rule["BRANCH.THEME_DAY.MONTHLY"] >= 3);
    assert!(by_rule["BRANCH.COMMITTEE.TERM_EXPIRY"] >= 3);
    assert_eq!(by_rule["BRANCH.SETUP.MIN_FULL_MEMBERS"], 1);
    assert_eq!(by_rule["BRANCH.GENERAL_MEETING.QUARTERLY"], 1);
    assert_eq!(
        dataset
            .planted
            .iter()
            .filter(|planted| planted.coming_due && !planted.rule_id.starts_with("DUES."))
            .count(),
        1
    );
    // Dues (issue 4): two members three months behind (reminders), two six months behind, one
    // reduction never sent up for approval.
    assert_eq!(by_rule["DUES.NONPAYMENT.SIX_MONTHS"], 4);
    assert_eq!(by_rule["DUES.HARDSHIP"], 1);
    assert_eq!(
        dataset
            .planted
            .iter()
            .filter(|planted| planted.coming_due && planted.rule_id.starts_with("DUES."))
            .count(),
        2
    );
    let catch_up = dataset
        .planted
        .iter()
        .filter(|planted| planted.description_zh.contains("集中召开3次"))
        .count();
    assert_eq!(catch_up, 4, "two branches, October and November each");
    let quorum = dataset
        .planted
        .iter()
        .filter(|planted| planted.description_zh.contains("不足半数"))
        .count();
    assert_eq!(quorum, 3);

    // The branch below three full members: 2 full and 1 probationary today, with a secretary only.
    let below = dataset
        .planted
        .iter()
        .find(|planted| planted.rule_id == "BRANCH.SETUP.MIN_FULL_MEMBERS")
        .expect("planted");
    let snapshot = dataset.snapshot();
    let today = standard().today;
    let statuses: Vec<MemberStatus> = snapshot
        .members
        .iter()
        .filter(|member| member.body.branch_on(today) == Some(below.org_id))
        .filter_map(|member| member.body.status_on(today))
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|status| **status == MemberStatus::Full)
            .count(),
        2
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|status| **status == MemberStatus::Probationary)
            .count(),
        1
    );
    let term = snapshot
        .committee_terms
        .iter()
        .filter(|term| term.body.org_id == below.org_id)
        .max_by_key(|term| term.body.elected_on)
        .expect("term");
    assert_eq!(term.body.form, LeadershipForm::SecretaryOnly);
}

#[test]
fn records_are_entered_within_days_except_the_planted_late_entries() {
    let config = standard();
    let dataset = generate(&config);
    assert!(
        dataset.late_entries.len() >= 5,
        "{} late entries",
        dataset.late_entries.len()
    );
    let late: BTreeSet<(i64, NaiveDate)> = dataset
        .late_entries
        .iter()
        .map(|entry| (entry.org_id.0, entry.event_date))
        .collect();
    let end_of_today = config.today + TimeDelta::days(1);
    for records in dataset.branches() {
        for meeting in &records.meetings {
            let entered = china_date(meeting.entered_at);
            let delay = (entered - meeting.body.held_on).num_days();
            assert!(entered < end_of_today, "entered after today");
            if late.contains(&(meeting.body.org_id.0, meeting.body.held_on)) {
                assert!(
                    (LATE_ENTRY_DAYS..=62).contains(&delay),
                    "late entry delayed {delay} days"
                );
            } else {
                assert!(
                    (0..=3).contains(&delay),
                    "meeting of {} on {} entered {delay} days later",
                    meeting.body.org_id,
                    meeting.body.held_on
                );
            }
        }
        for talk in &records.talks {
            let delay = (china_date(talk.entered_at) - talk.body.held_on).num_days();
            assert!(
                (0..=3).contains(&delay),
                "talk on {} entered {delay} days later",
                talk.body.held_on
            );
        }
    }
}

#[test]
fn a_benchmark_sized_city_streams_one_branch_at_a_time() {
    // Planning 50,000 branches is cheap; a sample of branches is generated to show that a branch
    // does not depend on the others. The full run is the benchmark's job.
    let config = DemoConfig {
        branches: 50_000,
        ..standard()
    };
    let started = Instant::now();
    let dataset = generate(&config);
    let planned = started.elapsed();
    assert_eq!(dataset.branch_count(), 50_000);
    assert!(
        (900_000..=1_150_000).contains(&dataset.member_count()),
        "{} members",
        dataset.member_count()
    );
    let started = Instant::now();
    let sample = [0, 1, 12_345, 49_999];
    let members: usize = sample
        .iter()
        .map(|index| dataset.branch_records(*index).members.len())
        .sum();
    println!(
        "planned 50,000 branches in {planned:?}; generated {} sample branches ({members} members) in {:?}",
        sample.len(),
        started.elapsed()
    );
    assert_eq!(
        dataset.branch_records(12_345),
        dataset.branch_records(12_345)
    );
}

#[test]
fn small_cities_on_awkward_days_still_hold_together() {
    let todays = ["2028-01-01", "2028-02-29", "2026-12-31", "2027-06-15"];
    for branches in [1, 2, 5, 13, 31] {
        for today in todays {
            for years in [1, 2, 5] {
                let config = DemoConfig {
                    seed: u64::from(branches) * 31 + u64::from(years),
                    branches,
                    today: day(today),
                    years,
                };
                let dataset = generate(&config);
                assert_eq!(dataset.branch_count(), branches as usize);
                let snapshot = dataset.snapshot();
                let problems = common::roster_problems(&snapshot);
                assert!(
                    problems.is_empty(),
                    "{config:?}: {:#?}",
                    &problems[..problems.len().min(5)]
                );
                let found = common::check(&snapshot, dataset.first_day(), config.today);
                assert_eq!(found, common::planted_keys(&dataset.planted), "{config:?}");
                for records in dataset.branches() {
                    assert!(
                        records
                            .meetings
                            .iter()
                            .all(|meeting| meeting.body.validate().is_ok()
                                && meeting.body.held_on < config.today)
                    );
                    assert!(
                        records
                            .members
                            .iter()
                            .all(|member| member.body.validate().is_ok())
                    );
                }
            }
        }
    }
}
