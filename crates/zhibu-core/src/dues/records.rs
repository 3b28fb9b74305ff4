//! The records a branch keeps about dues: income declarations, payments, hardship reliefs, and the
//! branch's own dues settings. Each checks itself and returns every problem, bilingual.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::YearMonth;
use super::rules::{DuesRuleVersion, has_percentage_rate};
use crate::domain::{EmploymentCategory, MemberId, OrgId};
use crate::money::Fen;
use crate::validation::ValidationErrors;

/// A member's income as the base of their dues, from the month it takes effect (第十条: the month
/// the new pay is first received) until the next declaration. Flat-rate categories (farmer,
/// student, unemployed or relief) need no base; their declaration records the category change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IncomeDeclaration {
    pub member_id: MemberId,
    /// The branch that collects the member's dues in `effective_month` (第九条), under whose records
    /// the declaration is kept; storage checks it against the member's postings.
    pub branch_id: OrgId,
    pub category: EmploymentCategory,
    /// The monthly base as the category defines it (after tax for salaried members, the pension
    /// for retirees, this month's pay for annual salaries, last quarter's monthly average for the
    /// self-employed). Zero for flat-rate categories. Personal data: sealed at rest
    /// (`Record::PERSONAL_FIELDS`), so a body read without the data key holds it sealed.
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub monthly_base: MonthlyBase,
    pub effective_month: YearMonth,
    #[serde(default)]
    pub note: String,
}

/// The monthly base as a declaration holds it. Income is personal data, sealed at rest like ID
/// numbers and phones (`zhibu_storage::sealing`): the repository seals the amount before a body is
/// written and hashed, and opens it when it reads with the data key. A reader without the key (the
/// engine's snapshots, the context checks, the stored-findings re-check) sees
/// [`MonthlyBase::Sealed`]: the amount is unknown to it, never zero. In JSON the amount is a number
/// of fen, the sealed value the sealed object, which is written back unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonthlyBase {
    Amount(Fen),
    /// Sealed at rest and not opened: the stored sealed object, as it was read.
    Sealed(serde_json::Value),
}

impl MonthlyBase {
    /// The amount, or `None` while it is sealed.
    pub fn amount(&self) -> Option<Fen> {
        match self {
            MonthlyBase::Amount(amount) => Some(*amount),
            MonthlyBase::Sealed(_) => None,
        }
    }

    pub fn is_sealed(&self) -> bool {
        matches!(self, MonthlyBase::Sealed(_))
    }
}

impl From<Fen> for MonthlyBase {
    fn from(amount: Fen) -> MonthlyBase {
        MonthlyBase::Amount(amount)
    }
}

impl Serialize for MonthlyBase {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            MonthlyBase::Amount(amount) => amount.serialize(serializer),
            MonthlyBase::Sealed(sealed) => sealed.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for MonthlyBase {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<MonthlyBase, D::Error> {
        use serde::de::Error as _;
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Object(object) if object.contains_key("sealed") => {
                Ok(MonthlyBase::Sealed(serde_json::Value::Object(object)))
            }
            value => serde_json::from_value::<Fen>(value)
                .map(MonthlyBase::Amount)
                .map_err(D::Error::custom),
        }
    }
}

impl IncomeDeclaration {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        // A sealed base was checked when it was written; a reader without the key cannot see it,
        // so only an amount in clear is checked here.
        let base = self.monthly_base.amount();
        if base.is_some_and(Fen::is_negative) {
            errors.add(
                "monthly_base",
                "amount_negative",
                "计算基数不能为负数",
                "the base cannot be negative",
            );
        }
        if !has_percentage_rate(self.category) && base.is_some_and(Fen::is_positive) {
            errors.add(
                "monthly_base",
                "base_not_used",
                "该类别党员按固定数额交纳党费，不需要填写计算基数",
                "members of this category pay a flat amount: no base is needed",
            );
        }
        if DuesRuleVersion::in_force_for(self.effective_month).is_none() {
            errors.add(
                "effective_month",
                "before_rules",
                "生效月份早于2008年4月1日施行的党费规定，系统不按更早的规定计算",
                "the month is before the 2008 dues rules took effect (2008-04-01); earlier rules are not modelled",
            );
        }
        errors.into_result()
    }
}

/// How a payment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// 现金
    Cash,
    /// 转账（银行、手机支付）
    Transfer,
    /// 从工资中扣缴: flagged, 第十四条 forbids the organization to deduct dues.
    Payroll,
    /// 组织垫交: flagged, 第十四条 forbids the organization to pay for a member.
    PaidByOrganization,
}

impl PaymentMethod {
    pub fn name_zh(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "现金",
            PaymentMethod::Transfer => "转账",
            PaymentMethod::Payroll => "工资扣缴",
            PaymentMethod::PaidByOrganization => "组织垫交",
        }
    }
}

/// One payment of dues, for one or more months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DuesPayment {
    pub member_id: MemberId,
    /// The branch the member belonged to on `paid_on`, which received the money.
    pub branch_id: OrgId,
    pub paid_on: NaiveDate,
    pub amount: Fen,
    /// The months this payment is for. Months before the month of `paid_on` are back payment
    /// (补交); months after it are paid in advance and need the branch's consent to quarterly
    /// payment (第十二条).
    pub months_covered: Vec<YearMonth>,
    pub method: PaymentMethod,
    /// The relative or member who paid on the member's behalf (委托代交), by name.
    #[serde(default)]
    pub proxy: Option<String>,
    /// The branch decision allowing quarterly payment (经党支部同意，可以每季度交纳一次).
    #[serde(default)]
    pub quarterly_consent_ref: Option<String>,
}

impl DuesPayment {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if !self.amount.is_positive() {
            errors.add(
                "amount",
                "amount_not_positive",
                "交纳金额必须大于零",
                "the amount paid must be more than zero",
            );
        }
        if self.months_covered.is_empty() {
            errors.add(
                "months_covered",
                "required",
                "请注明所交党费的月份",
                "name the months this payment is for",
            );
        }
        let mut seen = BTreeSet::new();
        for (index, month) in self.months_covered.iter().enumerate() {
            if !seen.insert(*month) {
                errors.add(
                    format!("months_covered[{index}]"),
                    "duplicate",
                    format!("月份{}重复", month.label_zh()),
                    format!("the month {month} is listed twice"),
                );
            }
        }
        if self
            .proxy
            .as_deref()
            .is_some_and(|name| name.trim().is_empty())
        {
            errors.add(
                "proxy",
                "required",
                "代交人姓名不能为空",
                "the name of the person who paid on the member's behalf is empty",
            );
        }
        if self
            .quarterly_consent_ref
            .as_deref()
            .is_some_and(|reference| reference.trim().is_empty())
        {
            errors.add(
                "quarterly_consent_ref",
                "required",
                "支部同意按季度交纳的依据不能为空",
                "the reference to the branch's consent to quarterly payment is empty",
            );
        }
        errors.into_result()
    }

    /// The covered months that are later than the month the payment was made in.
    pub fn months_in_advance(&self) -> Vec<YearMonth> {
        let paid_month = YearMonth::of(self.paid_on);
        self.months_covered
            .iter()
            .copied()
            .filter(|month| *month > paid_month)
            .collect()
    }

    /// The covered months paid more than `window` months after the month they are for: paying
    /// for January is back payment within six months up to the end of July.
    pub fn months_beyond_back_payment_window(&self, window: u32) -> Vec<YearMonth> {
        let paid_month = YearMonth::of(self.paid_on);
        self.months_covered
            .iter()
            .copied()
            .filter(|month| month.months_until(paid_month) > i64::from(window))
            .collect()
    }

    fn has_quarterly_consent(&self) -> bool {
        self.quarterly_consent_ref
            .as_deref()
            .is_some_and(|reference| !reference.trim().is_empty())
    }

    /// Paid in advance for a later month without the branch's consent to quarterly payment.
    pub fn is_advance_without_consent(&self) -> bool {
        !self.months_in_advance().is_empty() && !self.has_quarterly_consent()
    }
}

/// What a hardship relief grants (第七条: 少交或者免交).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReliefKind {
    /// 少交: the member owes this amount a month instead of the computed due (never more than it).
    Reduce { monthly_amount: Fen },
    /// 免交: nothing is owed.
    Waive,
}

/// A reduction or waiver for a member in hardship, for the months `from_month..=to_month`. It takes
/// effect only with both the branch's decision and the upper Party committee's approval recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DuesRelief {
    pub member_id: MemberId,
    /// The branch that decided the relief: the member's dues branch in `from_month`.
    pub branch_id: OrgId,
    pub from_month: YearMonth,
    pub to_month: YearMonth,
    pub kind: ReliefKind,
    /// 经党支部研究: the branch meeting or decision, e.g. `2026年3月支委会决定`.
    pub branch_decision_ref: String,
    /// 报上级党委批准: the upper committee's approval, e.g. `机关党委〔2026〕5号`. Empty while the
    /// approval is awaited: the relief is then stored but not applied, and flagged.
    pub upper_approval_ref: String,
    /// The upper Party committee that approved; storage checks it is above the branch.
    #[serde(default)]
    pub approved_by: Option<OrgId>,
}

impl DuesRelief {
    /// Whether the relief is in effect: recorded correctly AND approved by the upper committee
    /// (第七条). A relief failing this is not applied by the ledger, which flags it.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = self.recording_errors();
        if self.upper_approval_ref.trim().is_empty() {
            errors.add(
                "upper_approval_ref",
                "required",
                "少交或免交党费须报上级党委批准（党费规定第七条）：请填写批准文号",
                "a reduction or waiver needs the upper Party committee's approval (dues rules art. 7): give its reference",
            );
        }
        errors.into_result()
    }

    /// The checks a relief must pass to be recorded at all. The upper approval may still be
    /// awaited (the branch records its decision first and adds the approval by amendment); an
    /// approving organization named without its reference is refused.
    pub fn validate_recording(&self) -> Result<(), ValidationErrors> {
        let mut errors = self.recording_errors();
        if self.approved_by.is_some() && self.upper_approval_ref.trim().is_empty() {
            errors.add(
                "upper_approval_ref",
                "required",
                "已填写批准的上级党委，请同时填写批准文号",
                "the approving committee is named: give the approval's reference too",
            );
        }
        errors.into_result()
    }

    fn recording_errors(&self) -> ValidationErrors {
        let mut errors = ValidationErrors::new();
        if self.to_month < self.from_month {
            errors.add(
                "to_month",
                "before_from",
                "减免截止月份早于起始月份",
                "the relief ends before it starts",
            );
        }
        if self.branch_decision_ref.trim().is_empty() {
            errors.add(
                "branch_decision_ref",
                "required",
                "少交或免交党费须经党支部研究（党费规定第七条）：请填写支部决定",
                "a reduction or waiver needs the branch's decision (dues rules art. 7): give its reference",
            );
        }
        if let ReliefKind::Reduce { monthly_amount } = self.kind {
            if monthly_amount.is_negative() {
                errors.add(
                    "kind.monthly_amount",
                    "amount_negative",
                    "减免后的金额不能为负数",
                    "the reduced amount cannot be negative",
                );
            } else if monthly_amount.is_zero() {
                errors.add(
                    "kind.monthly_amount",
                    "use_waive",
                    "减至零元即为免交，请选择“免交”",
                    "reducing to zero is a waiver: choose waive",
                );
            }
        }
        errors
    }

    pub fn covers(&self, month: YearMonth) -> bool {
        self.from_month <= month && month <= self.to_month
    }
}

/// A share in basis points (1% = 100, all = 10 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct BasisPoints(pub u32);

impl BasisPoints {
    pub const ALL: BasisPoints = BasisPoints(10_000);
}

/// A branch's own dues settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuesPolicy {
    /// What a farmer member pays a month, set by the branch between 0.20 and 1.00 元 (第六条).
    pub farmer_monthly_amount: Fen,
    /// The share of collected dues the branch remits upward. The regulation fixes only the
    /// provincial committee's 5% to the Centre (第十五条); how much each level below keeps is set by
    /// the provincial committee, so this is configuration. By default a branch remits everything it
    /// collects to its Party committee, which is the common practice.
    pub remit_share: BasisPoints,
}

impl Default for DuesPolicy {
    fn default() -> Self {
        let farmer = DUES_DEFAULT_VERSION
            .map(|version| version.farmer_default)
            .unwrap_or(Fen::from_fen(20));
        DuesPolicy {
            farmer_monthly_amount: farmer,
            remit_share: BasisPoints::ALL,
        }
    }
}

const DUES_DEFAULT_VERSION: Option<&DuesRuleVersion> = super::rules::DUES_RULE_VERSIONS.last();

impl DuesPolicy {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if let Some(version) = DUES_DEFAULT_VERSION
            && (self.farmer_monthly_amount < version.farmer_minimum
                || self.farmer_monthly_amount > version.farmer_maximum)
        {
            errors.add(
                "farmer_monthly_amount",
                "out_of_range",
                format!(
                    "农民党员每月交纳党费{}至{}（党费规定第六条），{}不在此范围内",
                    version.farmer_minimum, version.farmer_maximum, self.farmer_monthly_amount
                ),
                format!(
                    "farmers pay {} to {} a month (dues rules art. 6); {} is outside that range",
                    version.farmer_minimum.to_yuan_string(),
                    version.farmer_maximum.to_yuan_string(),
                    self.farmer_monthly_amount.to_yuan_string()
                ),
            );
        }
        if self.remit_share > BasisPoints::ALL {
            errors.add(
                "remit_share",
                "over_100_percent",
                "上缴比例不能超过100%",
                "the share remitted cannot exceed 100%",
            );
        }
        errors.into_result()
    }

    /// The farmer amount this policy yields under `version`, kept inside the rule's range even if
    /// an unvalidated policy says otherwise, because the core must not compute an unlawful due.
    pub fn farmer_amount(&self, version: &DuesRuleVersion) -> Fen {
        self.farmer_monthly_amount
            .max(version.farmer_minimum)
            .min(version.farmer_maximum)
    }
}
