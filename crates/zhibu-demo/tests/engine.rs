//! The compliance engine on the demo city: it must report exactly the planted imperfections. Any
//! other finding is either a flaw in the generator's baseline or a difference between the engine
//! and the rules as the demo reads them; the message lists both directions.

mod common;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use zhibu_core::engine::{EvaluationRequest, FindingStatus, evaluate};
use zhibu_core::rules::Catalogue;
use zhibu_demo::{DemoConfig, generate};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

/// What the engine reports as missed or broken, plus the term-expiry and dues reminders. Other coming-due
/// findings are about the current, unfinished periods, which the demo does not plant.
pub fn engine_findings(dataset: &zhibu_demo::DemoDataset) -> BTreeSet<common::FindingKey> {
    let catalogue = Catalogue::national().expect("the national catalogue loads");
    let snapshot = dataset.snapshot();
    let today = dataset.config.today;
    let request = EvaluationRequest {
        root: dataset.root_id(),
        from: dataset.first_day(),
        to: today,
        today,
        horizon_days: 0,
    };
    let report = evaluate(&catalogue, &snapshot, &request);
    assert!(
        report.rule_problems.is_empty(),
        "{:?}",
        report.rule_problems
    );
    report
        .findings
        .iter()
        .filter(|finding| {
            finding.status != FindingStatus::ComingDue
                || finding.rule_id == "BRANCH.COMMITTEE.TERM_EXPIRY"
                // Three months without dues: the reminder the demo plants (issue 4).
                || finding.rule_id == "DUES.NONPAYMENT.SIX_MONTHS"
        })
        .map(|finding| {
            (
                finding.rule_id.clone(),
                finding.org_id.0,
                finding.period_label.clone(),
                finding.status == FindingStatus::ComingDue,
            )
        })
        .collect()
}

#[test]
fn the_engine_finds_exactly_the_planted_imperfections() {
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
    for config in cases {
        let dataset = generate(&config);
        let found = engine_findings(&dataset);
        let planted = common::planted_keys(&dataset.planted);
        let unexpected: Vec<_> = found.difference(&planted).collect();
        let missed: Vec<_> = planted.difference(&found).collect();
        assert!(
            unexpected.is_empty() && missed.is_empty(),
            "seed {} as of {}: the engine reported what was not planted {unexpected:#?}\nand did not report what was planted {missed:#?}",
            config.seed,
            config.today
        );
    }
}
