//! Regularity (常态化) facts on generated cities: `zhibu_core::regularity` must report exactly the
//! patterns the generator planted — the December catch-up branches' bursts, the late-entry
//! branches' late records, the months without organizational life — and nothing for the steady
//! branches. The own-month tallies must list exactly the planted missed months. Any other fact is a
//! flaw in the generator's baseline or in the facts; the message lists both directions.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use zhibu_core::regularity::{
    FactDetail, RegularityParameters, RegularityReport, regularity_facts_for_subtree,
};
use zhibu_core::{MeetingKind, OrgId, OrgLevel, RecordKind};
use zhibu_demo::{DemoConfig, DemoDataset, generate};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

/// A fact as compared: its code, the org it is about, and what tells it apart.
type FactKey = (String, i64, String);

fn found_key(detail: &FactDetail, org: OrgId) -> FactKey {
    let (code, particular) = match detail {
        FactDetail::LateEntry {
            record_kind,
            event_date,
            ..
        } => (
            "late_entry",
            format!("{}|{event_date}", record_kind.as_str()),
        ),
        FactDetail::DutyBurst {
            meeting_kind,
            window_last_day,
            months_without,
            ..
        } => (
            "duty_burst",
            format!(
                "{}|{}-Q{}|{}",
                zhibu_core::regularity::meeting_kind_code(*meeting_kind),
                window_last_day.year(),
                (window_last_day.month() - 1) / 3 + 1,
                months_without.join(",")
            ),
        ),
        FactDetail::EntryBatch { entered_on, .. } => ("entry_batch", entered_on.to_string()),
        FactDetail::MonthWithoutOrgLife { month } => ("month_without_org_life", month.clone()),
    };
    (code.to_string(), org.0, particular)
}

/// Every year's report of every branch of the city.
fn reports(dataset: &DemoDataset) -> Vec<RegularityReport> {
    let snapshot = dataset.snapshot();
    let today = dataset.config.today;
    (dataset.first_day().year()..=today.year())
        .flat_map(|year| {
            regularity_facts_for_subtree(
                &snapshot,
                dataset.root_id(),
                year,
                today,
                RegularityParameters::default(),
            )
        })
        .collect()
}

fn planted_facts(dataset: &DemoDataset) -> BTreeSet<FactKey> {
    let mut planted: BTreeSet<FactKey> = dataset
        .planted_regularity()
        .into_iter()
        .map(|fact| {
            let particular = match fact.meeting_kind {
                Some(kind) => format!(
                    "{}|{}|{}",
                    zhibu_core::regularity::meeting_kind_code(kind),
                    fact.period_label,
                    fact.months_without.join(",")
                ),
                None => fact.period_label.clone(),
            };
            (fact.fact.to_string(), fact.org_id.0, particular)
        })
        .collect();
    for late in &dataset.late_entries {
        planted.insert((
            "late_entry".to_string(),
            late.org_id.0,
            format!("{}|{}", late.kind.as_str(), late.event_date),
        ));
    }
    planted
}

#[test]
fn the_facts_are_exactly_the_planted_patterns_and_steady_branches_have_none() {
    let cases = [
        DemoConfig::new(20_261_129, day("2026-11-29")),
        DemoConfig {
            branches: 150,
            ..DemoConfig::new(7, day("2026-01-05"))
        },
        DemoConfig {
            branches: 150,
            ..DemoConfig::new(99, day("2025-07-01"))
        },
    ];
    let mut seen_codes: BTreeMap<String, usize> = BTreeMap::new();
    for config in cases {
        let dataset = generate(&config);
        let reports = reports(&dataset);
        let branch_count = dataset
            .orgs
            .iter()
            .filter(|org| org.body.level == OrgLevel::Branch)
            .count();
        let years = (config.today.year() - dataset.first_day().year() + 1) as usize;
        assert_eq!(
            reports.len(),
            branch_count * years,
            "a report per branch and year"
        );

        let found: Vec<FactKey> = reports
            .iter()
            .flat_map(|report| {
                report
                    .facts
                    .iter()
                    .map(|fact| found_key(&fact.detail, fact.org_id))
            })
            .collect();
        let found_set: BTreeSet<FactKey> = found.iter().cloned().collect();
        assert_eq!(found.len(), found_set.len(), "a fact reported twice");
        let planted = planted_facts(&dataset);
        let unexpected: Vec<_> = found_set.difference(&planted).collect();
        let missed: Vec<_> = planted.difference(&found_set).collect();
        assert!(
            unexpected.is_empty() && missed.is_empty(),
            "seed {} as of {}: facts that were not planted {unexpected:#?}\nplanted facts not found {missed:#?}",
            config.seed,
            config.today
        );
        for (code, ..) in &planted {
            *seen_codes.entry(code.clone()).or_default() += 1;
        }

        // Steady branches: no fact in any year, and every record on time.
        let patterned: BTreeSet<i64> = dataset
            .planted_regularity()
            .iter()
            .map(|fact| fact.org_id.0)
            .chain(dataset.late_entries.iter().map(|late| {
                // A group meeting's late entry is the branch's pattern.
                let org = dataset.org(late.org_id).expect("org of a late entry");
                match org.body.level {
                    OrgLevel::PartyGroup => org.body.parent_id.expect("a group's branch").0,
                    _ => late.org_id.0,
                }
            }))
            .collect();
        let steady: Vec<&RegularityReport> = reports
            .iter()
            .filter(|report| !patterned.contains(&report.branch_id.0))
            .collect();
        assert!(steady.len() > reports.len() / 2, "most branches are steady");
        for report in steady {
            assert!(
                report.facts.is_empty() && report.late_entries.late == 0,
                "the steady branch {} has facts in {}: {:#?}",
                report.branch_name,
                report.year,
                report.facts
            );
        }

        // The late share counts exactly the planted late records of the branch and year.
        for report in &reports {
            let planted_late = dataset
                .late_entries
                .iter()
                .filter(|late| late.event_date.year() == report.year)
                .filter(|late| {
                    let org = dataset.org(late.org_id).expect("org");
                    late.org_id == report.branch_id || org.body.parent_id == Some(report.branch_id)
                })
                .count() as u32;
            assert_eq!(
                report.late_entries.late, planted_late,
                "{} {}",
                report.branch_name, report.year
            );
            assert!(report.late_entries.considered > 0 || report.months.iter().all(|m| !m.judged));
        }

        // The own-month tallies of the branches' own duties list exactly the planted missed months.
        let tallied: BTreeSet<(i64, MeetingKind, String)> = reports
            .iter()
            .flat_map(|report| {
                report
                    .monthly_duties
                    .iter()
                    .filter(|tally| tally.holder_id == report.branch_id)
                    .flat_map(move |tally| {
                        tally.months_without.iter().map(move |month| {
                            (report.branch_id.0, tally.meeting_kind, month.clone())
                        })
                    })
            })
            .collect();
        let planted_missed: BTreeSet<(i64, MeetingKind, String)> = dataset
            .planted_missed_months()
            .into_iter()
            .map(|missed| (missed.branch_id.0, missed.meeting_kind, missed.month))
            .collect();
        assert_eq!(
            tallied, planted_missed,
            "seed {}: own-month tallies",
            config.seed
        );
        // Party groups meet every month: no group's tally lists a month without.
        for report in &reports {
            for tally in &report.monthly_duties {
                if tally.holder_id != report.branch_id {
                    assert!(
                        tally.months_without.is_empty(),
                        "{}: {:?}",
                        tally.holder_name,
                        tally.months_without
                    );
                }
            }
        }
        // Every late record's evidence is the record itself.
        for report in &reports {
            for fact in &report.facts {
                if let FactDetail::LateEntry {
                    record_kind,
                    record_id,
                    ..
                } = &fact.detail
                {
                    assert_eq!(fact.evidence.len(), 1);
                    assert_eq!(
                        (fact.evidence[0].kind, fact.evidence[0].id),
                        (*record_kind, *record_id)
                    );
                    assert_eq!(*record_kind, RecordKind::Meeting);
                }
            }
        }
    }
    // The cases between them plant every pattern the issue names.
    for code in ["duty_burst", "late_entry"] {
        assert!(
            seen_codes.get(code).copied().unwrap_or(0) > 0,
            "no {code} was planted: {seen_codes:?}"
        );
    }
}
