//! Ledgers: month by month for one member (due, relief, paid, arrears), and the monthly collection
//! report of a branch (expected, collected, who is in arrears, what is flagged, what is remitted).
//!
//! How a payment is spread over its months: payments are taken in the order they were made; each
//! fills its covered months oldest first up to what is still owed; months whose amount is unknown
//! (no income declaration) share what is left equally; anything beyond that is a voluntary extra
//! (第十一条) credited to the last covered month. A month counts as unpaid only when nothing at all
//! was paid toward it; a partial payment leaves arrears but is not "不交纳".

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use super::YearMonth;
use super::due::{DueLine, DueStatus, monthly_due};
use super::records::{
    BasisPoints, DuesPayment, DuesPolicy, DuesRelief, IncomeDeclaration, PaymentMethod, ReliefKind,
};
use super::rules::{DUES_ROUNDING, DuesRuleVersion};
use crate::domain::{Member, MemberId, OrgId, Stored};
use crate::money::Fen;
use crate::rules::Severity;

/// The dues records of the members a ledger or report is about. Records of other members may be in
/// the slices; each ledger picks its member's. Indexes in results refer to these slices.
#[derive(Debug, Clone, Copy, Default)]
pub struct DuesRecords<'a> {
    pub declarations: &'a [IncomeDeclaration],
    pub payments: &'a [DuesPayment],
    pub reliefs: &'a [DuesRelief],
}

/// Where a month stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MonthState {
    NotOwed,
    /// 免交 by an approved relief.
    Waived,
    /// Paid in full (or nothing was owed after a reduction).
    Settled,
    PartlyPaid,
    /// Nothing paid toward a month that is owed.
    Unpaid,
    /// Something was paid, but the amount owed is unknown (no income declaration).
    PaidDueUnknown,
}

impl MonthState {
    pub fn name_zh(self) -> &'static str {
        match self {
            MonthState::NotOwed => "无需交纳",
            MonthState::Waived => "免交",
            MonthState::Settled => "已交清",
            MonthState::PartlyPaid => "未交足",
            MonthState::Unpaid => "未交",
            MonthState::PaidDueUnknown => "已交（应交额未知）",
        }
    }
}

/// An approved relief applied to a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AppliedRelief {
    pub relief_index: usize,
    pub kind: ReliefKind,
}

/// One month of a member's ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerMonth {
    pub month: YearMonth,
    pub due: DueLine,
    pub relief: Option<AppliedRelief>,
    /// What is owed after relief; `None` when owed but unknown.
    pub owed: Option<Fen>,
    /// Paid toward this month, up to what was owed.
    pub paid: Fen,
    /// Paid beyond what was owed, credited to this month.
    pub extra: Fen,
    /// `owed − paid` where the amount owed is known; zero otherwise.
    pub arrears: Fen,
    /// The payments (indexes into `DuesRecords::payments`) that covered this month.
    pub payment_indexes: Vec<usize>,
    pub state: MonthState,
}

/// How one payment was spread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentAllocation {
    pub payment_index: usize,
    pub paid_on: NaiveDate,
    pub amount: Fen,
    pub allocated: Vec<(YearMonth, Fen)>,
    /// The voluntary extra (第十一条).
    pub extra: Fen,
}

/// Something about a payment or relief the branch should look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuesFlagKind {
    /// Paid for a month more than six months after it (第十二条: 补交党费的时间一般不得超过6个月).
    BackPaymentBeyondWindow,
    /// Paid in advance for a later month without the branch's consent to quarterly payment (第十二条).
    AdvanceWithoutQuarterlyConsent,
    /// 垫交: the organization paid for the member (第十四条 forbids it).
    PaidByOrganization,
    /// 扣缴: deducted from pay (第十四条 forbids the organization to deduct dues).
    DeductedFromPay,
    /// Covers a month in which nothing was owed (before joining, not a member); the money counts
    /// as a voluntary extra.
    CoversMonthNotOwed,
    /// A voluntary extra of 1000元 or more in one payment: it goes wholly to the Centre (第十一条).
    LargeVoluntaryExtra,
    /// A relief without both the branch decision and the upper approval (第七条): not applied.
    ReliefNotInEffect,
    /// A payment record that fails its own checks (no months, no amount): not counted.
    PaymentNotCounted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuesFlag {
    pub kind: DuesFlagKind,
    pub member_id: MemberId,
    pub payment_index: Option<usize>,
    pub relief_index: Option<usize>,
    pub paid_on: Option<NaiveDate>,
    pub months: Vec<YearMonth>,
    pub rule_id: &'static str,
    pub severity: Severity,
    pub message_zh: String,
    pub message_en: String,
}

/// A member's dues month by month over `from..=to`, counting payments made on or before the last
/// day of `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberLedger {
    pub member_id: MemberId,
    pub from: YearMonth,
    pub to: YearMonth,
    pub months: Vec<LedgerMonth>,
    pub payments: Vec<PaymentAllocation>,
    pub flags: Vec<DuesFlag>,
    /// Sums over `from..=to` of the known amounts owed and of what was paid toward them.
    pub total_owed: Fen,
    pub total_paid: Fen,
    pub arrears: Fen,
    /// Months with nothing paid, oldest first.
    pub unpaid_months: Vec<YearMonth>,
    /// Months owed whose amount is unknown because no income declaration is in force.
    pub months_with_unknown_due: Vec<YearMonth>,
}

impl MemberLedger {
    pub fn month(&self, month: YearMonth) -> Option<&LedgerMonth> {
        self.months.iter().find(|line| line.month == month)
    }

    pub fn is_in_arrears(&self) -> bool {
        self.arrears.is_positive() || !self.unpaid_months.is_empty()
    }
}

fn months_text_zh(months: &[YearMonth]) -> String {
    months
        .iter()
        .map(|month| month.label_zh())
        .collect::<Vec<_>>()
        .join("、")
}

fn months_text_en(months: &[YearMonth]) -> String {
    months
        .iter()
        .map(|month| month.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The relief in force for a month: of several approved reliefs covering it, the one later in the
/// slice (entered later) supersedes.
fn relief_for(reliefs: &[(usize, &DuesRelief)], month: YearMonth) -> Option<AppliedRelief> {
    reliefs
        .iter()
        .rev()
        .find(|(_, relief)| relief.covers(month))
        .map(|(index, relief)| AppliedRelief {
            relief_index: *index,
            kind: relief.kind,
        })
}

/// The amount owed after relief; `None` when owed but unknown.
fn owed_after_relief(due: &DueLine, relief: Option<AppliedRelief>) -> Option<Fen> {
    match (due.status, relief.map(|r| r.kind)) {
        (DueStatus::NotOwed { .. }, _) => Some(Fen::ZERO),
        (_, Some(ReliefKind::Waive)) => Some(Fen::ZERO),
        (DueStatus::Owed, Some(ReliefKind::Reduce { monthly_amount })) => {
            Some(monthly_amount.min(due.amount))
        }
        (DueStatus::BaseMissing, Some(ReliefKind::Reduce { monthly_amount })) => {
            Some(monthly_amount)
        }
        (DueStatus::Owed, None) => Some(due.amount),
        (DueStatus::BaseMissing, None) => None,
        // The due is unknown to this reader, and so is what a reduction leaves of it.
        (DueStatus::BaseSealed, _) => None,
    }
}

struct MonthAccount {
    due: DueLine,
    relief: Option<AppliedRelief>,
    owed: Option<Fen>,
    paid: Fen,
    extra: Fen,
    payment_indexes: Vec<usize>,
}

/// The ledger of `member` over `from..=to`.
pub fn member_ledger(
    member: &Stored<Member>,
    records: &DuesRecords<'_>,
    policy: &DuesPolicy,
    from: YearMonth,
    to: YearMonth,
) -> MemberLedger {
    let member_id = MemberId(member.id);
    let cutoff = to.last_day();
    let mut flags = Vec::new();

    let mut reliefs = Vec::new();
    for (index, relief) in records
        .reliefs
        .iter()
        .enumerate()
        .filter(|(_, relief)| relief.member_id == member_id)
    {
        match relief.validate() {
            Ok(()) => reliefs.push((index, relief)),
            Err(errors) => {
                let months = YearMonth::range_inclusive(relief.from_month, relief.to_month);
                flags.push(DuesFlag {
                    kind: DuesFlagKind::ReliefNotInEffect,
                    member_id,
                    payment_index: None,
                    relief_index: Some(index),
                    paid_on: None,
                    months,
                    rule_id: "DUES.HARDSHIP",
                    severity: Severity::Warning,
                    message_zh: format!(
                        "党费减免记录未生效：少交或免交须经党支部研究并报上级党委批准（党费规定第七条）。{}",
                        errors.errors.iter().map(|e| e.message_zh.as_str()).collect::<Vec<_>>().join("；")
                    ),
                    message_en: format!(
                        "dues relief not applied: a reduction or waiver needs the branch's decision and the upper committee's approval (dues rules art. 7). {}",
                        errors.errors.iter().map(|e| e.message_en.as_str()).collect::<Vec<_>>().join("; ")
                    ),
                });
            }
        }
    }

    let mut payments: Vec<(usize, &DuesPayment)> = Vec::new();
    for (index, payment) in records.payments.iter().enumerate() {
        if payment.member_id != member_id || payment.paid_on > cutoff {
            continue;
        }
        match payment.validate() {
            Ok(()) => payments.push((index, payment)),
            Err(errors) => flags.push(DuesFlag {
                kind: DuesFlagKind::PaymentNotCounted,
                member_id,
                payment_index: Some(index),
                relief_index: None,
                paid_on: Some(payment.paid_on),
                months: payment.months_covered.clone(),
                rule_id: "DUES.MONTHLY.PAYMENT_AND_ARREARS",
                severity: Severity::Warning,
                message_zh: format!(
                    "党费交纳记录有误，未计入：{}",
                    errors
                        .errors
                        .iter()
                        .map(|e| e.message_zh.as_str())
                        .collect::<Vec<_>>()
                        .join("；")
                ),
                message_en: format!(
                    "a dues payment record is faulty and was not counted: {}",
                    errors
                        .errors
                        .iter()
                        .map(|e| e.message_en.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            }),
        }
    }
    payments.sort_by_key(|(index, payment)| (payment.paid_on, *index));

    // Every month the ledger shows or a payment covers, so that a payment for a month outside the
    // range is still spread by what that month owed.
    let mut months: BTreeSet<YearMonth> =
        YearMonth::range_inclusive(from, to).into_iter().collect();
    for (_, payment) in &payments {
        months.extend(payment.months_covered.iter().copied());
    }
    let mut accounts: BTreeMap<YearMonth, MonthAccount> = months
        .into_iter()
        .map(|month| {
            let due = monthly_due(member, records.declarations, policy, month);
            let relief = if due.is_owed() {
                relief_for(&reliefs, month)
            } else {
                None
            };
            let owed = owed_after_relief(&due, relief);
            (
                month,
                MonthAccount {
                    due,
                    relief,
                    owed,
                    paid: Fen::ZERO,
                    extra: Fen::ZERO,
                    payment_indexes: Vec::new(),
                },
            )
        })
        .collect();

    let mut allocations = Vec::new();
    for (index, payment) in &payments {
        let covered: BTreeSet<YearMonth> = payment.months_covered.iter().copied().collect();
        let mut remaining = payment.amount;
        let mut allocated: BTreeMap<YearMonth, Fen> = BTreeMap::new();
        let mut unknown = Vec::new();
        for month in &covered {
            let Some(account) = accounts.get_mut(month) else {
                continue;
            };
            account.payment_indexes.push(*index);
            match account.owed {
                Some(owed) => {
                    let take = remaining.min((owed - account.paid).max(Fen::ZERO));
                    if take.is_positive() {
                        account.paid += take;
                        remaining -= take;
                        *allocated.entry(*month).or_default() += take;
                    }
                }
                None => unknown.push(*month),
            }
        }
        if remaining.is_positive() && !unknown.is_empty() {
            let count = i64::try_from(unknown.len()).unwrap_or(1);
            let share = Fen::from_fen(remaining.fen() / count);
            let last = unknown.len() - 1;
            for (position, month) in unknown.iter().enumerate() {
                let take = if position == last { remaining } else { share };
                if let Some(account) = accounts.get_mut(month) {
                    account.paid += take;
                }
                remaining -= take;
                *allocated.entry(*month).or_default() += take;
            }
        }
        let extra = remaining;
        if extra.is_positive()
            && let Some(last) = covered.iter().next_back()
            && let Some(account) = accounts.get_mut(last)
        {
            account.extra += extra;
        }
        flags.extend(payment_flags(member_id, *index, payment, &accounts, extra));
        allocations.push(PaymentAllocation {
            payment_index: *index,
            paid_on: payment.paid_on,
            amount: payment.amount,
            allocated: allocated.into_iter().collect(),
            extra,
        });
    }

    let mut ledger = MemberLedger {
        member_id,
        from,
        to,
        months: Vec::new(),
        payments: allocations,
        flags,
        total_owed: Fen::ZERO,
        total_paid: Fen::ZERO,
        arrears: Fen::ZERO,
        unpaid_months: Vec::new(),
        months_with_unknown_due: Vec::new(),
    };
    for (month, account) in accounts
        .into_iter()
        .filter(|(month, _)| from <= *month && *month <= to)
    {
        let state = match (
            account.due.is_owed(),
            account.relief.map(|r| r.kind),
            account.owed,
        ) {
            (false, _, _) => MonthState::NotOwed,
            (true, Some(ReliefKind::Waive), _) => MonthState::Waived,
            (true, _, Some(owed)) if account.paid >= owed => MonthState::Settled,
            (true, _, _) if account.paid.is_zero() => MonthState::Unpaid,
            (true, _, Some(_)) => MonthState::PartlyPaid,
            (true, _, None) => MonthState::PaidDueUnknown,
        };
        let arrears = account
            .owed
            .map(|owed| (owed - account.paid).max(Fen::ZERO))
            .unwrap_or(Fen::ZERO);
        ledger.total_owed += account.owed.unwrap_or(Fen::ZERO);
        ledger.total_paid += account.paid;
        ledger.arrears += arrears;
        if state == MonthState::Unpaid {
            ledger.unpaid_months.push(month);
        }
        if account.owed.is_none() && account.due.is_owed() {
            ledger.months_with_unknown_due.push(month);
        }
        ledger.months.push(LedgerMonth {
            month,
            due: account.due,
            relief: account.relief,
            owed: account.owed,
            paid: account.paid,
            extra: account.extra,
            arrears,
            payment_indexes: account.payment_indexes,
            state,
        });
    }
    ledger
}

fn payment_flags(
    member_id: MemberId,
    index: usize,
    payment: &DuesPayment,
    accounts: &BTreeMap<YearMonth, MonthAccount>,
    extra: Fen,
) -> Vec<DuesFlag> {
    let version = DuesRuleVersion::in_force_for(YearMonth::of(payment.paid_on));
    let window = version.map(|v| v.back_payment_months).unwrap_or(6);
    let large_extra = version
        .map(|v| v.voluntary_extra_to_centre)
        .unwrap_or(Fen::from_yuan(1_000));
    let owed = |month: &YearMonth| {
        accounts
            .get(month)
            .is_some_and(|account| account.due.is_owed())
    };
    let flag = |kind,
                months: Vec<YearMonth>,
                rule_id,
                severity,
                message_zh: String,
                message_en: String| DuesFlag {
        kind,
        member_id,
        payment_index: Some(index),
        relief_index: None,
        paid_on: Some(payment.paid_on),
        months,
        rule_id,
        severity,
        message_zh,
        message_en,
    };
    let mut flags = Vec::new();
    let late: Vec<YearMonth> = payment
        .months_beyond_back_payment_window(window)
        .into_iter()
        .filter(|m| owed(m))
        .collect();
    if !late.is_empty() {
        flags.push(flag(
            DuesFlagKind::BackPaymentBeyondWindow,
            late.clone(),
            "DUES.MONTHLY.PAYMENT_AND_ARREARS",
            Severity::Warning,
            format!(
                "{}补交{}的党费，距所属月份超过{window}个月（党费规定第十二条：补交党费的时间一般不得超过6个月）",
                payment.paid_on,
                months_text_zh(&late)
            ),
            format!(
                "dues for {} paid on {}, more than {window} months after the month (dues rules art. 12: back payment generally within 6 months)",
                months_text_en(&late),
                payment.paid_on
            ),
        ));
    }
    if payment.is_advance_without_consent() {
        let advance = payment.months_in_advance();
        flags.push(flag(
            DuesFlagKind::AdvanceWithoutQuarterlyConsent,
            advance.clone(),
            "DUES.MONTHLY.PAYMENT_AND_ARREARS",
            Severity::Warning,
            format!(
                "{}预交了{}的党费，但未记录党支部同意按季度交纳的依据（党费规定第十二条）",
                payment.paid_on,
                months_text_zh(&advance)
            ),
            format!(
                "dues for {} paid in advance on {} without a recorded branch consent to quarterly payment (dues rules art. 12)",
                months_text_en(&advance),
                payment.paid_on
            ),
        ));
    }
    let method_flag = match payment.method {
        PaymentMethod::PaidByOrganization => Some((
            DuesFlagKind::PaidByOrganization,
            "垫交",
            "paid by the organization on the member's behalf",
        )),
        PaymentMethod::Payroll => Some((
            DuesFlagKind::DeductedFromPay,
            "从工资中扣缴",
            "deducted from pay",
        )),
        PaymentMethod::Cash | PaymentMethod::Transfer => None,
    };
    if let Some((kind, how_zh, how_en)) = method_flag {
        flags.push(flag(
            kind,
            payment.months_covered.clone(),
            "DUES.NO_ADVANCE_OR_DEDUCTION",
            Severity::Error,
            format!("{}的党费{}由{how_zh}（党费规定第十四条：党组织不得垫交或扣缴党员党费）", payment.paid_on, payment.amount),
            format!(
                "dues of {} yuan on {} were {how_en} (dues rules art. 14: the organization must not pay or deduct a member's dues)",
                payment.amount.to_yuan_string(),
                payment.paid_on
            ),
        ));
    }
    let not_owed: Vec<YearMonth> = payment
        .months_covered
        .iter()
        .copied()
        .filter(|m| !owed(m))
        .collect();
    if !not_owed.is_empty() {
        flags.push(flag(
            DuesFlagKind::CoversMonthNotOwed,
            not_owed.clone(),
            "DUES.PROBATIONARY_START",
            Severity::Info,
            format!("{}无需交纳党费（尚未入党或不在党籍），所交金额计为自愿多交", months_text_zh(&not_owed)),
            format!(
                "nothing was owed for {} (before joining or not a member); the money counts as a voluntary extra",
                months_text_en(&not_owed)
            ),
        ));
    }
    if extra >= large_extra {
        flags.push(flag(
            DuesFlagKind::LargeVoluntaryExtra,
            payment.months_covered.clone(),
            "DUES.VOLUNTARY_EXTRA",
            Severity::Info,
            format!("{}一次自愿多交党费{extra}，按党费规定第十一条全部上缴中央", payment.paid_on),
            format!(
                "a voluntary extra of {} yuan in one payment on {}: under dues rules art. 11 it goes wholly to the Centre",
                extra.to_yuan_string(),
                payment.paid_on
            ),
        ));
    }
    flags
}

/// The branch that collects a member's dues for `month`: the branch the member belonged to on the
/// first day of the month they were a member (第九条: dues go to the branch holding the membership).
/// A member transferred mid-month pays that month to the branch they left; one admitted mid-month
/// pays to the branch that admitted them.
pub fn dues_branch_for(member: &Member, month: YearMonth) -> Option<OrgId> {
    let mut days = vec![month.first_day()];
    days.extend(
        member
            .postings
            .iter()
            .map(|posting| posting.from)
            .filter(|day| month.contains(*day)),
    );
    days.extend(
        member
            .status_history
            .iter()
            .map(|change| change.effective_on)
            .filter(|day| month.contains(*day)),
    );
    days.sort();
    days.into_iter().find_map(|day| member.branch_on(day))
}

/// One member's line in the monthly collection report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberCollectionLine {
    pub member_id: MemberId,
    pub name: String,
    pub due: DueLine,
    pub owed: Option<Fen>,
    pub state: MonthState,
    /// Paid toward this month (by payments made up to the month's end).
    pub paid_for_month: Fen,
    /// Money received from the member during the month, whatever months it was for.
    pub received_in_month: Fen,
    /// Arrears from the ledger's opening to this month, and the months with nothing paid.
    pub arrears_to_date: Fen,
    pub unpaid_months: Vec<YearMonth>,
    pub months_with_unknown_due: Vec<YearMonth>,
}

/// What the branch remits upward for the month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remittance {
    /// The share set by the provincial committee, applied to ordinary collections.
    pub share: BasisPoints,
    /// Collected in the month, less large voluntary extras.
    pub ordinary_collected: Fen,
    /// `ordinary_collected × share`, rounded by the dues rounding rule.
    pub ordinary_remitted: Fen,
    /// Voluntary extras of 1000元 or more in one payment, remitted in full for the Centre (第十一条).
    pub voluntary_extras_for_centre: Fen,
    pub total: Fen,
}

/// A branch's monthly collection report (党费收缴月报).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BranchCollectionReport {
    pub branch_id: OrgId,
    pub month: YearMonth,
    /// The month the branch's dues ledger was opened; arrears are counted from it.
    pub ledger_opened: YearMonth,
    pub members: Vec<MemberCollectionLine>,
    /// Σ of the known amounts owed for the month.
    pub expected: Fen,
    /// Members who owe for the month but have no income declaration, so `expected` leaves them out.
    pub members_with_unknown_due: Vec<MemberId>,
    /// Money received during the month.
    pub collected: Fen,
    /// Paid toward the month itself.
    pub collected_for_month: Fen,
    pub members_in_arrears: Vec<MemberId>,
    pub arrears_total: Fen,
    /// Flags about payments received in the month and reliefs touching it.
    pub flags: Vec<DuesFlag>,
    pub remittance: Remittance,
}

/// The collection report of `branch_id` for `month`. Members are those whose dues go to the branch
/// that month ([`dues_branch_for`]); arrears count from `ledger_opened`.
pub fn branch_collection_report(
    branch_id: OrgId,
    members: &[Stored<Member>],
    records: &DuesRecords<'_>,
    policy: &DuesPolicy,
    ledger_opened: YearMonth,
    month: YearMonth,
) -> BranchCollectionReport {
    let mut report = BranchCollectionReport {
        branch_id,
        month,
        ledger_opened,
        members: Vec::new(),
        expected: Fen::ZERO,
        members_with_unknown_due: Vec::new(),
        collected: Fen::ZERO,
        collected_for_month: Fen::ZERO,
        members_in_arrears: Vec::new(),
        arrears_total: Fen::ZERO,
        flags: Vec::new(),
        remittance: Remittance {
            share: policy.remit_share,
            ordinary_collected: Fen::ZERO,
            ordinary_remitted: Fen::ZERO,
            voluntary_extras_for_centre: Fen::ZERO,
            total: Fen::ZERO,
        },
    };
    let mut large_extras = Fen::ZERO;
    for member in members
        .iter()
        .filter(|member| dues_branch_for(&member.body, month) == Some(branch_id))
    {
        let ledger = member_ledger(member, records, policy, ledger_opened.min(month), month);
        let Some(line) = ledger.month(month) else {
            continue;
        };
        let received: Fen = ledger
            .payments
            .iter()
            .filter(|p| month.contains(p.paid_on))
            .map(|p| p.amount)
            .sum();
        large_extras += ledger
            .flags
            .iter()
            .filter(|flag| {
                flag.kind == DuesFlagKind::LargeVoluntaryExtra
                    && flag.paid_on.is_some_and(|day| month.contains(day))
            })
            .filter_map(|flag| {
                ledger
                    .payments
                    .iter()
                    .find(|p| Some(p.payment_index) == flag.payment_index)
            })
            .map(|allocation| allocation.extra)
            .sum();
        report.flags.extend(
            ledger
                .flags
                .iter()
                .filter(|flag| match flag.paid_on {
                    Some(day) => month.contains(day),
                    None => flag.months.contains(&month),
                })
                .cloned(),
        );
        match line.owed {
            Some(owed) => report.expected += owed,
            None if line.due.is_owed() => report.members_with_unknown_due.push(ledger.member_id),
            None => {}
        }
        report.collected += received;
        report.collected_for_month += line.paid;
        report.arrears_total += ledger.arrears;
        if ledger.is_in_arrears() {
            report.members_in_arrears.push(ledger.member_id);
        }
        report.members.push(MemberCollectionLine {
            member_id: ledger.member_id,
            name: member.body.name.clone(),
            due: line.due.clone(),
            owed: line.owed,
            state: line.state,
            paid_for_month: line.paid,
            received_in_month: received,
            arrears_to_date: ledger.arrears,
            unpaid_months: ledger.unpaid_months.clone(),
            months_with_unknown_due: ledger.months_with_unknown_due.clone(),
        });
    }
    let ordinary = (report.collected - large_extras).max(Fen::ZERO);
    let share = BasisPoints(policy.remit_share.0.min(BasisPoints::ALL.0));
    let ordinary_remitted = DUES_ROUNDING.apply(ordinary, share.0);
    report.remittance = Remittance {
        share,
        ordinary_collected: ordinary,
        ordinary_remitted,
        voluntary_extras_for_centre: large_extras,
        total: ordinary_remitted + large_extras,
    };
    report
}
