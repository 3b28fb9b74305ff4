//! What a member owes for one month: the declaration in force, the category's rate band, and the
//! amount rounded by the one rounding rule.

use chrono::NaiveDate;
use serde::Serialize;

use super::YearMonth;
use super::records::{DuesPolicy, IncomeDeclaration};
use super::rules::{DUES_ROUNDING, DuesRuleVersion, has_percentage_rate, rate_rule_id};
use crate::domain::{EmploymentCategory, Member, MemberId, Stored};
use crate::money::Fen;

/// The rate applied to a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DuesRate {
    /// A share of the whole base: 50 basis points = 0.5%.
    Percent { basis_points: u32 },
    /// A fixed amount a month.
    Flat { amount: Fen },
}

impl DuesRate {
    /// `0.5%`, `1.5%`, `每月0.20元`.
    pub fn describe_zh(&self) -> String {
        match self {
            DuesRate::Percent { basis_points } => format!("{}%", percent_text(*basis_points)),
            DuesRate::Flat { amount } => format!("每月{amount}"),
        }
    }

    pub fn describe_en(&self) -> String {
        match self {
            DuesRate::Percent { basis_points } => format!("{}%", percent_text(*basis_points)),
            DuesRate::Flat { amount } => format!("{} yuan a month", amount.to_yuan_string()),
        }
    }
}

fn percent_text(basis_points: u32) -> String {
    let whole = basis_points / 100;
    let rest = basis_points % 100;
    if rest == 0 {
        whole.to_string()
    } else if rest.is_multiple_of(10) {
        format!("{whole}.{}", rest / 10)
    } else {
        format!("{whole}.{rest:02}")
    }
}

/// Why nothing is owed for a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotOwedReason {
    /// The month is before the one in which the branch general meeting admitted the member
    /// (第八条: dues are owed from that day, so that month is owed in full).
    BeforeJoining,
    /// The member was not a member on any day of the month (停止党籍, or membership ended).
    NotAMember,
    /// No modelled version of the dues rules was in force on the month's first day (before
    /// 2008-04-01).
    NoRuleInForce,
}

/// Whether a month is owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DueStatus {
    /// Owed, with the amount known.
    Owed,
    /// Owed, but the amount cannot be computed: the member pays a percentage and no income
    /// declaration is in force. The branch must record one.
    BaseMissing,
    /// Owed, but the amount is not known to this reader: the declaration's base is sealed at rest
    /// and was read without the data key (the engine's checks). Pages and exports read the
    /// declarations through the repository, which opens the base; nothing computes it as zero.
    BaseSealed,
    NotOwed {
        reason: NotOwedReason,
    },
}

/// What one member owes for one month, with everything that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueLine {
    pub member_id: MemberId,
    pub month: YearMonth,
    pub status: DueStatus,
    /// The category the month is judged by: the declaration's, or the member's record without one.
    pub category: Option<EmploymentCategory>,
    pub base: Option<Fen>,
    pub rate: Option<DuesRate>,
    /// Zero unless the status is `Owed`.
    pub amount: Fen,
    /// The index, in the slice passed in, of the declaration in force.
    pub declaration_index: Option<usize>,
    /// The rule that set the rate (RULES.md §3 id), and the first day of its version.
    pub rule_id: Option<&'static str>,
    pub rule_version_from: Option<NaiveDate>,
    /// The base is older than its definition allows: an annual salary is this month's pay (第三条),
    /// a self-employed base is the previous quarter's average (第四条). The amount is still
    /// computed from the last declaration; the branch should record a new one.
    pub base_may_be_stale: bool,
}

impl DueLine {
    /// Owed, whether or not the amount is known.
    pub fn is_owed(&self) -> bool {
        matches!(
            self.status,
            DueStatus::Owed | DueStatus::BaseMissing | DueStatus::BaseSealed
        )
    }

    fn not_owed(member_id: MemberId, month: YearMonth, reason: NotOwedReason) -> DueLine {
        DueLine {
            member_id,
            month,
            status: DueStatus::NotOwed { reason },
            category: None,
            base: None,
            rate: None,
            amount: Fen::ZERO,
            declaration_index: None,
            rule_id: None,
            rule_version_from: None,
            base_may_be_stale: false,
        }
    }
}

/// Whether `member` was a member of the Party (full or probationary) on any day of `month`.
pub fn is_member_during(member: &Member, month: YearMonth) -> bool {
    let first = month.first_day();
    let last = month.last_day();
    if member
        .status_on(first)
        .is_some_and(|status| status.is_member())
    {
        return true;
    }
    member.status_history.iter().any(|change| {
        first <= change.effective_on && change.effective_on <= last && change.status.is_member()
    })
}

/// The declaration of `member_id` in force in `month`: the latest effective month not after it;
/// of two for the same month, the one later in the slice (entered later) wins.
pub fn declaration_in_force(
    member_id: MemberId,
    declarations: &[IncomeDeclaration],
    month: YearMonth,
) -> Option<(usize, &IncomeDeclaration)> {
    declarations
        .iter()
        .enumerate()
        .filter(|(_, declaration)| {
            declaration.member_id == member_id && declaration.effective_month <= month
        })
        .max_by_key(|(index, declaration)| (declaration.effective_month, *index))
}

/// What `member` owes for `month`.
///
/// - Nothing before the month of `joined_on` (the branch general meeting's vote, 第八条). The vote
///   month itself is owed in full: dues are owed "from that day", and a month's due is not split.
/// - Nothing for a month in which they were not a member on any day (停止党籍, ended).
/// - Otherwise the declaration in force sets category and base (第十条: a new base applies from its
///   effective month). Without one, a flat-rate member (by `Member::employment`) owes the flat
///   amount and a percentage member is `BaseMissing`.
/// - A percentage category pays the rate of the band its WHOLE base falls in (以下 includes the
///   edge), rounded by [`DUES_ROUNDING`].
pub fn monthly_due(
    member: &Stored<Member>,
    declarations: &[IncomeDeclaration],
    policy: &DuesPolicy,
    month: YearMonth,
) -> DueLine {
    let member_id = MemberId(member.id);
    let body = &member.body;
    if month < YearMonth::of(body.joined_on) {
        return DueLine::not_owed(member_id, month, NotOwedReason::BeforeJoining);
    }
    if !is_member_during(body, month) {
        return DueLine::not_owed(member_id, month, NotOwedReason::NotAMember);
    }
    let Some(version) = DuesRuleVersion::in_force_for(month) else {
        return DueLine::not_owed(member_id, month, NotOwedReason::NoRuleInForce);
    };
    let declaration = declaration_in_force(member_id, declarations, month);
    let category = declaration
        .map(|(_, declaration)| declaration.category)
        .unwrap_or(body.employment);
    let mut line = DueLine {
        member_id,
        month,
        status: DueStatus::Owed,
        category: Some(category),
        base: None,
        rate: None,
        amount: Fen::ZERO,
        declaration_index: declaration.map(|(index, _)| index),
        rule_id: Some(rate_rule_id(category)),
        rule_version_from: Some(version.effective_from()),
        base_may_be_stale: false,
    };
    if !has_percentage_rate(category) {
        let amount = match category {
            EmploymentCategory::Farmer => policy.farmer_amount(version),
            _ => version.student_unemployed_relief_flat,
        };
        line.rate = Some(DuesRate::Flat { amount });
        line.amount = amount;
        return line;
    }
    let Some((_, declaration)) =
        declaration.filter(|(_, declaration)| has_percentage_rate(declaration.category))
    else {
        line.status = DueStatus::BaseMissing;
        return line;
    };
    let Some(base) = declaration.monthly_base.amount() else {
        line.status = DueStatus::BaseSealed;
        return line;
    };
    let base = base.max(Fen::ZERO);
    let basis_points = version.percent_rate(category, base).unwrap_or(0);
    line.base = Some(base);
    line.rate = Some(DuesRate::Percent { basis_points });
    line.amount = DUES_ROUNDING.apply(base, basis_points);
    line.base_may_be_stale = match category {
        EmploymentCategory::AnnualSalary => declaration.effective_month != month,
        EmploymentCategory::SelfEmployed => declaration.effective_month < month.quarter_start(),
        _ => false,
    };
    line
}
