//! The dues records as storage keeps them: their identities, their [`Record`] impls (scope and
//! event date), and the branch's dues settings as a record of its own.
//!
//! Scope: every dues record names the branch it is kept under (`branch_id`), because a record's
//! scope must follow from its body alone and a member's branch changes with transfers. Storage
//! checks, inside the write transaction, that the branch is the member's dues branch at the
//! record's date ([`super::dues_branch_for`] for a month, the posting for a payment day), so the
//! field can never disagree with the member's postings at the time it is written.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::YearMonth;
use super::records::{BasisPoints, DuesPayment, DuesPolicy, DuesRelief, IncomeDeclaration};
use crate::domain::{OrgId, Record, RecordKind};
use crate::money::Fen;
use crate::validation::ValidationErrors;

macro_rules! dues_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name(pub i64);

        impl From<i64> for $name {
            fn from(value: i64) -> Self {
                $name(value)
            }
        }

        impl From<$name> for i64 {
            fn from(value: $name) -> i64 {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

dues_id!(
    /// An income declaration (党费计算基数申报).
    IncomeDeclarationId
);
dues_id!(
    /// A dues payment (党费交纳).
    DuesPaymentId
);
dues_id!(
    /// A hardship reduction or waiver (少交、免交党费).
    DuesReliefId
);
dues_id!(
    /// A branch's dues settings.
    DuesPolicyId
);

impl Record for IncomeDeclaration {
    const KIND: RecordKind = RecordKind::IncomeDeclaration;
    type Id = IncomeDeclarationId;
    /// Income is personal data: sealed at rest (see [`super::MonthlyBase`]).
    const PERSONAL_FIELDS: &'static [&'static str] = &["monthly_base"];

    fn scope_org(&self) -> Option<OrgId> {
        Some(self.branch_id)
    }

    /// The first day of the month the income takes effect.
    fn event_date(&self) -> NaiveDate {
        self.effective_month.first_day()
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        IncomeDeclaration::validate(self)
    }
}

impl Record for DuesPayment {
    const KIND: RecordKind = RecordKind::DuesPayment;
    type Id = DuesPaymentId;

    fn scope_org(&self) -> Option<OrgId> {
        Some(self.branch_id)
    }

    fn event_date(&self) -> NaiveDate {
        self.paid_on
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        DuesPayment::validate(self)
    }
}

impl Record for DuesRelief {
    const KIND: RecordKind = RecordKind::DuesRelief;
    type Id = DuesReliefId;

    fn scope_org(&self) -> Option<OrgId> {
        Some(self.branch_id)
    }

    /// The first day of the first month relieved.
    fn event_date(&self) -> NaiveDate {
        self.from_month.first_day()
    }

    /// A relief may be recorded while the upper approval is awaited; it takes effect (and the
    /// ledger stops flagging it) once the approval is added by amendment.
    fn validate(&self) -> Result<(), ValidationErrors> {
        self.validate_recording()
    }
}

/// A branch's dues settings as a record. The settings decided last (`decided_on`, then the later
/// record) are in force. Without any, a branch uses [`DuesPolicy::default`] and its ledger opens
/// with the first month its dues records mention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BranchDuesPolicy {
    pub branch_id: OrgId,
    /// The day the branch (committee) decided these settings.
    pub decided_on: NaiveDate,
    /// The month the branch's dues ledger in Zhibu opens: arrears are counted from it, and
    /// months before it are not judged (their records were kept elsewhere).
    pub ledger_opened: YearMonth,
    /// What a farmer member pays a month, 0.20–1.00 元 (第六条).
    pub farmer_monthly_amount: Fen,
    /// The share of collected dues remitted upward, in basis points (10 000 = all).
    pub remit_share: BasisPoints,
}

impl BranchDuesPolicy {
    pub fn policy(&self) -> DuesPolicy {
        DuesPolicy {
            farmer_monthly_amount: self.farmer_monthly_amount,
            remit_share: self.remit_share,
        }
    }
}

impl Record for BranchDuesPolicy {
    const KIND: RecordKind = RecordKind::DuesPolicy;
    type Id = DuesPolicyId;

    fn scope_org(&self) -> Option<OrgId> {
        Some(self.branch_id)
    }

    fn event_date(&self) -> NaiveDate {
        self.decided_on
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = match self.policy().validate() {
            Ok(()) => ValidationErrors::new(),
            Err(errors) => errors,
        };
        if super::rules::DuesRuleVersion::in_force_for(self.ledger_opened).is_none() {
            errors.add(
                "ledger_opened",
                "before_rules",
                "党费账目的起始月份早于2008年4月1日施行的党费规定",
                "the ledger cannot open before the 2008 dues rules took effect (2008-04-01)",
            );
        }
        errors.into_result()
    }
}
