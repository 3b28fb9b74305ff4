//! What every versioned record has in common, and how storage hands a record back with its
//! identity and history.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::OrgId;
use crate::ValidationErrors;

/// The kinds of record Zhibu keeps. The string form is what storage writes in its `kind` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RecordKind {
    Org,
    CommitteeTerm,
    Member,
    Meeting,
    Talk,
    Exemption,
    LocalRule,
    /// One person's admission pipeline (发展党员), `crate::admission::AdmissionRecord`.
    AdmissionRecord,
    /// A member's statement of their case on a record that concerns them (申辩), `Statement`.
    Statement,
    /// A member's dues base from a month (党费计算基数), `crate::dues::IncomeDeclaration`.
    IncomeDeclaration,
    /// A payment of dues (交纳党费), `crate::dues::DuesPayment`.
    DuesPayment,
    /// A hardship reduction or waiver (少交、免交党费), `crate::dues::DuesRelief`.
    DuesRelief,
    /// A branch's dues settings, `crate::dues::BranchDuesPolicy`.
    DuesPolicy,
    /// A closed vote on one question at a general meeting, `crate::vote_records::VoteRecord`.
    Vote,
    /// An election of a branch's leadership, round by round, `crate::vote_records::ElectionRecord`.
    Election,
    /// A meeting scheduled before it is held (会议安排), `MeetingPlan`. Not a meeting: the engine
    /// never counts a plan as a duty done.
    MeetingPlan,
}

impl RecordKind {
    pub const ALL: [RecordKind; 16] = [
        RecordKind::Org,
        RecordKind::CommitteeTerm,
        RecordKind::Member,
        RecordKind::Meeting,
        RecordKind::Talk,
        RecordKind::Exemption,
        RecordKind::LocalRule,
        RecordKind::AdmissionRecord,
        RecordKind::Statement,
        RecordKind::IncomeDeclaration,
        RecordKind::DuesPayment,
        RecordKind::DuesRelief,
        RecordKind::DuesPolicy,
        RecordKind::Vote,
        RecordKind::Election,
        RecordKind::MeetingPlan,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Org => "org",
            RecordKind::CommitteeTerm => "committee_term",
            RecordKind::Member => "member",
            RecordKind::Meeting => "meeting",
            RecordKind::Talk => "talk",
            RecordKind::Exemption => "exemption",
            RecordKind::LocalRule => "local_rule",
            RecordKind::AdmissionRecord => "admission_record",
            RecordKind::Statement => "statement",
            RecordKind::IncomeDeclaration => "income_declaration",
            RecordKind::DuesPayment => "dues_payment",
            RecordKind::DuesRelief => "dues_relief",
            RecordKind::DuesPolicy => "dues_policy",
            RecordKind::Vote => "vote",
            RecordKind::Election => "election",
            RecordKind::MeetingPlan => "meeting_plan",
        }
    }

    pub fn parse(text: &str) -> Option<RecordKind> {
        RecordKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            RecordKind::Org => "党组织",
            RecordKind::CommitteeTerm => "支部委员会（届）",
            RecordKind::Member => "党员",
            RecordKind::Meeting => "会议",
            RecordKind::Talk => "谈心谈话",
            RecordKind::Exemption => "豁免",
            RecordKind::LocalRule => "本地规则",
            RecordKind::AdmissionRecord => "发展党员记录",
            RecordKind::Statement => "本人陈述",
            RecordKind::IncomeDeclaration => "党费基数申报",
            RecordKind::DuesPayment => "党费交纳",
            RecordKind::DuesRelief => "党费减免",
            RecordKind::DuesPolicy => "党费设置",
            RecordKind::Vote => "表决",
            RecordKind::Election => "选举",
            RecordKind::MeetingPlan => "会议安排",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            RecordKind::Org => "organization",
            RecordKind::CommitteeTerm => "committee term",
            RecordKind::Member => "member",
            RecordKind::Meeting => "meeting",
            RecordKind::Talk => "talk",
            RecordKind::Exemption => "exemption",
            RecordKind::LocalRule => "local rule",
            RecordKind::AdmissionRecord => "admission record",
            RecordKind::Statement => "statement",
            RecordKind::IncomeDeclaration => "income declaration",
            RecordKind::DuesPayment => "dues payment",
            RecordKind::DuesRelief => "dues relief",
            RecordKind::DuesPolicy => "dues settings",
            RecordKind::Vote => "vote",
            RecordKind::Election => "election",
            RecordKind::MeetingPlan => "meeting plan",
        }
    }
}

/// A record body that storage keeps with its history.
pub trait Record: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    const KIND: RecordKind;
    type Id: From<i64> + Into<i64> + Copy + Send + Sync + std::fmt::Debug + 'static;

    /// Personal data in the body, as dotted JSON paths (`registry.id_number`): storage seals
    /// (encrypts) these values at rest and views mask them. Empty for most kinds.
    const PERSONAL_FIELDS: &'static [&'static str] = &[];

    /// The organization whose subtree this record belongs to, for scoping queries. For an org it
    /// is its parent (an org is created inside its parent's subtree).
    fn scope_org(&self) -> Option<OrgId>;

    /// The calendar date of the event this version records (not when it was typed in).
    fn event_date(&self) -> NaiveDate;

    /// Checks that need nothing but the record itself: required fields, impossible combinations.
    /// Checks against other records (is this attendee in the branch?) live in `crate::domain`
    /// functions that take the context as arguments.
    fn validate(&self) -> Result<(), ValidationErrors>;
}

/// A record as storage returns it: identity, current version and when it was entered, plus body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stored<T> {
    pub id: i64,
    /// 1 for the first version; every amendment or deletion adds one.
    pub version: i32,
    pub event_date: NaiveDate,
    /// When the first version was entered: the basis of late-entry (补录) facts.
    pub first_entered_at: DateTime<Utc>,
    /// When the current version was entered.
    pub last_changed_at: DateTime<Utc>,
    pub body: T,
}

impl<T: Record> Stored<T> {
    pub fn typed_id(&self) -> T::Id {
        T::Id::from(self.id)
    }
}

/// What a change did to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ChangeOperation {
    Create,
    Amend,
    Delete,
}

impl ChangeOperation {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeOperation::Create => "create",
            ChangeOperation::Amend => "amend",
            ChangeOperation::Delete => "delete",
        }
    }

    pub fn parse(text: &str) -> Option<ChangeOperation> {
        match text {
            "create" => Some(ChangeOperation::Create),
            "amend" => Some(ChangeOperation::Amend),
            "delete" => Some(ChangeOperation::Delete),
            _ => None,
        }
    }
}

/// One version of a record, as kept in the hash-chained history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordVersion {
    pub record_id: i64,
    pub kind: RecordKind,
    pub version: i32,
    pub operation: ChangeOperation,
    pub event_date: NaiveDate,
    pub entered_at: DateTime<Utc>,
    /// Who made the change (an account name, or `system`/`demo` for generated data).
    pub actor: String,
    /// Why: required for amendments and deletions.
    pub reason: Option<String>,
    /// The record body as JSON text, exactly as hashed.
    pub body: String,
    pub previous_hash: String,
    pub hash: String,
}
