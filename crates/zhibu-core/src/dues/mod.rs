//! Party dues (党费) under 《关于中国共产党党费收缴、使用和管理的规定》(中组发〔2008〕3号), in force
//! from 2008-04-01 (RULES.md §3): what each member owes each month, what they paid, hardship relief,
//! arrears, and a branch's monthly collection report with what it remits upward.
//!
//! - [`monthly_due`]: one member, one month → a [`DueLine`] (base, rate, amount, the declaration
//!   and rule used, or why nothing is owed).
//! - [`member_ledger`]: month by month over a range, with payments spread over their months and
//!   flags for back payment beyond six months, advance payment without consent, organization-paid
//!   or payroll-deducted dues, and reliefs lacking approval.
//! - [`branch_collection_report`]: the monthly report of a branch.
//!
//! Decisions (each also stated where it is implemented):
//! - Money is integer fen; a percentage due is `base × basis points`, rounded half up to the fen
//!   ([`DUES_ROUNDING`]). The rate of the band the WHOLE base falls in applies (not marginal), and
//!   以下 includes the edge: 3000.00元 pays 0.5%, 3000.01元 pays 1%.
//! - The month of the branch general meeting's vote is owed in full (第八条 "从…之日起交纳"); a
//!   month's due is never split by days.
//! - A new declaration applies from its effective month (第十条).
//! - A month is "unpaid" only when nothing was paid toward it; that is what the continuity check
//!   counts toward 第十三条.
//!
//! Pure: nothing here reads the clock or storage; callers pass the records and the months.

mod due;
mod ledger;
mod month;
mod records;
mod rules;
mod stored;

pub use due::{
    DueLine, DueStatus, DuesRate, NotOwedReason, declaration_in_force, is_member_during,
    monthly_due,
};
pub use ledger::{
    AppliedRelief, BranchCollectionReport, DuesFlag, DuesFlagKind, DuesRecords, LedgerMonth,
    MemberCollectionLine, MemberLedger, MonthState, PaymentAllocation, Remittance,
    branch_collection_report, dues_branch_for, member_ledger,
};
pub use month::{MonthParseError, YearMonth};
pub use records::{
    BasisPoints, DuesPayment, DuesPolicy, DuesRelief, IncomeDeclaration, MonthlyBase,
    PaymentMethod, ReliefKind,
};
pub use rules::{
    DUES_ROUNDING, DUES_RULE_TEXTS, DUES_RULE_VERSIONS, DuesRounding, DuesRuleText,
    DuesRuleVersion, RateBand, category_base_zh, category_name_en, category_name_zh, dues_citation,
    dues_rule_text, has_percentage_rate, rate_rule_id,
};
pub use stored::{
    BranchDuesPolicy, DuesPaymentId, DuesPolicyId, DuesReliefId, IncomeDeclarationId,
};
