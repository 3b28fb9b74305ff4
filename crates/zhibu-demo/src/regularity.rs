//! The regularity (常态化) facts the demo plants, derived from the same plan values the branch
//! generator reads, so that a test can demand that `zhibu_core::regularity` reports exactly these
//! and nothing else (issue 7).
//!
//! - A December catch-up branch (`DecemberCatchUp`) holds no committee meeting in October and
//!   November and three in December: one duty burst in the fourth quarter.
//! - A late-entry branch (`late_month`) typed one month's meetings in weeks after they were held:
//!   one late entry per meeting, listed in [`DemoDataset::late_entries`].
//! - A branch that skips a themed Party day in a month where nothing else sits (a secretary-only
//!   branch without party groups, outside December and away from its elections) has a month without
//!   organizational life.
//!
//! Every other branch is steady: every monthly duty in its own month, every record typed in within
//! days, so it has no fact at all.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use zhibu_core::{LeadershipForm, MeetingKind, OrgId};

use crate::DemoDataset;
use crate::dates::{first_of_month, month_label};
use crate::plan::Imperfection;

/// One planted regularity fact other than a late entry (those are [`DemoDataset::late_entries`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlantedRegularity {
    /// The fact's code as `zhibu_core::regularity::FactDetail::code` gives it: `duty_burst` or
    /// `month_without_org_life`.
    pub fact: &'static str,
    /// The org the fact is about (a local id in a [`DemoDataset`]).
    pub org_id: OrgId,
    pub org_name: String,
    /// The calendar year whose regularity report holds the fact.
    pub year: i32,
    /// `2025-Q4` for a burst, `2025-08` for a month without organizational life.
    pub period_label: String,
    /// For a burst: the duty crowded into the quarter's end.
    pub meeting_kind: Option<MeetingKind>,
    /// For a burst: the months (`2025-10`) that owed the duty and had none of their own.
    pub months_without: Vec<String>,
}

/// The months, per branch and duty, that owed a monthly duty and had none of their own: what the
/// own-month tallies must list as `months_without`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlantedMissedMonth {
    pub branch_id: OrgId,
    pub meeting_kind: MeetingKind,
    /// `2025-10`.
    pub month: String,
}

impl DemoDataset {
    /// The planted bursts and months without organizational life, in branch order.
    pub fn planted_regularity(&self) -> Vec<PlantedRegularity> {
        let mut planted = Vec::new();
        for branch in &self.plan.branches {
            match &branch.imperfection {
                Some(Imperfection::DecemberCatchUp { year }) => planted.push(PlantedRegularity {
                    fact: "duty_burst",
                    org_id: branch.org_id,
                    org_name: branch.name.clone(),
                    year: *year,
                    period_label: format!("{year}-Q4"),
                    meeting_kind: Some(MeetingKind::CommitteeMeeting),
                    months_without: vec![format!("{year}-10"), format!("{year}-11")],
                }),
                Some(Imperfection::SkipThemedPartyDay { month })
                    if branch.form == LeadershipForm::SecretaryOnly
                        && branch.groups.is_empty()
                        && month.month() != 12
                        && !branch
                            .term_dates
                            .iter()
                            .any(|elected| first_of_month(*elected) == *month) =>
                {
                    planted.push(PlantedRegularity {
                        fact: "month_without_org_life",
                        org_id: branch.org_id,
                        org_name: branch.name.clone(),
                        year: month.year(),
                        period_label: month_label(*month),
                        meeting_kind: None,
                        months_without: Vec::new(),
                    });
                }
                _ => {}
            }
        }
        planted
    }

    /// Every month a monthly duty of a branch itself (committee meeting, themed Party day) was
    /// planted missing: a skipped committee meeting or themed Party day, and the October and
    /// November of a December catch-up.
    pub fn planted_missed_months(&self) -> Vec<PlantedMissedMonth> {
        let mut missed = Vec::new();
        for branch in &self.plan.branches {
            let mut add = |meeting_kind: MeetingKind, month: NaiveDate| {
                missed.push(PlantedMissedMonth {
                    branch_id: branch.org_id,
                    meeting_kind,
                    month: month_label(month),
                });
            };
            match &branch.imperfection {
                Some(Imperfection::SkipCommitteeMeeting { month }) => {
                    add(MeetingKind::CommitteeMeeting, *month)
                }
                Some(Imperfection::SkipThemedPartyDay { month }) => {
                    add(MeetingKind::ThemedPartyDay, *month)
                }
                Some(Imperfection::DecemberCatchUp { year }) => {
                    for month in [10, 11] {
                        if let Some(first) = NaiveDate::from_ymd_opt(*year, month, 1) {
                            add(MeetingKind::CommitteeMeeting, first);
                        }
                    }
                }
                _ => {}
            }
        }
        missed
    }
}
