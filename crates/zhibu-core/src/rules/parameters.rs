//! The typed parameters of each check. Comparisons are explicit, as RULES.md requires: 以上 is
//! `at_least` (≥), 超过 is `more_than` (>).

use serde::{Deserialize, Serialize};

use crate::calendar::PeriodLength;
use crate::domain::MeetingKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Comparison {
    /// 以上 / 以内 / 届满: the number itself is included (≥).
    AtLeast,
    /// 超过: the number itself is excluded (>).
    MoreThan,
}

/// A share of a whole, e.g. 半数以上 = `{ numerator: 1, denominator: 2, comparison: at_least }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ratio {
    pub numerator: u32,
    pub denominator: u32,
    pub comparison: Comparison,
}

impl Ratio {
    /// Whether `count` out of `whole` meets the ratio, in exact integer arithmetic.
    pub fn is_met(&self, count: u64, whole: u64) -> bool {
        let left = count * u64::from(self.denominator);
        let right = whole * u64::from(self.numerator);
        match self.comparison {
            Comparison::AtLeast => left >= right,
            Comparison::MoreThan => left > right,
        }
    }

    pub fn describe_zh(&self) -> String {
        let share = if self.numerator * 2 == self.denominator {
            "半数".to_string()
        } else {
            format!("{}/{}", self.numerator, self.denominator)
        };
        match self.comparison {
            Comparison::AtLeast => format!("{share}以上"),
            Comparison::MoreThan => format!("超过{share}"),
        }
    }

    pub fn describe_en(&self) -> String {
        let share = if self.numerator * 2 == self.denominator {
            "half".to_string()
        } else {
            format!("{}/{}", self.numerator, self.denominator)
        };
        match self.comparison {
            Comparison::AtLeast => format!("at least {share}"),
            Comparison::MoreThan => format!("more than {share}"),
        }
    }
}

/// A recurring meeting duty: at least `min_count` meetings of `meeting_kind` in each `period`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodicMeetingParameters {
    pub meeting_kind: MeetingKind,
    pub period: PeriodLength,
    pub min_count: u32,
    /// Evaluated per Party group of the branch rather than per branch.
    #[serde(default)]
    pub per_party_group: bool,
    /// Only where the branch has an elected committee in post for the whole period.
    #[serde(default)]
    pub only_with_committee: bool,
    /// A meeting counts only if this share of the committee in post is present.
    #[serde(default)]
    pub committee_quorum: Option<Ratio>,
    /// For a yearly duty normally held in one quarter (组织生活会 一般安排在第四季度): from the
    /// start of that quarter the duty is reported as coming due.
    #[serde(default)]
    pub expected_quarter: Option<u8>,
    /// A local rule may fix the day of the month (每月相对固定1天): meetings on other days do not count.
    #[serde(default)]
    pub fixed_day_of_month: Option<u32>,
}

/// Yearly heart-to-heart talk coverage (支部工作条例 第十九条).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TalkCoverageParameters {
    /// Every pair of committee members talks at least once a year.
    pub between_committee_members: bool,
    /// Every member talks with at least one committee member (the secretary, without a committee).
    pub each_member_with_committee: bool,
}

/// Votes of the general meeting: quorum of those with voting rights, and passage counted against
/// those expected (支部工作条例 第十一条).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneralMeetingVoteParameters {
    pub quorum_of_expected: Ratio,
    pub passage_of_expected: Ratio,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinimumFullMembersParameters {
    pub minimum: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitteeRequiredParameters {
    /// A branch with this many full members or more must have a committee (7人以上).
    pub full_member_threshold: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitteeSizeParameters {
    pub minimum: u32,
    /// 一般不超过: above this the finding is a warning.
    pub usual_maximum: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberSoftCapParameters {
    pub maximum: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretaryInPostParameters {}

/// The admission pipeline's time limits (发展党员工作细则): the limits themselves are in
/// `crate::admission`, versioned 2014 / 2026; this check turns open steps into findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionStepsParameters {
    /// Also report steps that have no deadline but are the next thing to do (as `info`).
    #[serde(default)]
    pub include_steps_without_deadline: bool,
}

/// The fields of a branch general meeting's resolution to admit (细则 第二十一条): the fields
/// themselves are in `crate::admission::ResolutionField`; this check reports the ones missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionResolutionParameters {}

/// Membership continuity (章程 第九条): consecutive months without organizational life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContinuityParameters {
    /// A reminder to the branch after this many months (the project's choice, so it comes in time).
    pub reminder_months: u32,
    /// 连续六个月: a general-meeting decision is due.
    pub lapse_months: u32,
    /// What a month is counted without: organizational life (章程 第九条, the default) or dues
    /// (章程 第九条 and 党费规定 第十三条).
    #[serde(default)]
    pub counts: ContinuityBasis,
}

/// What the continuity check counts months without.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContinuityBasis {
    #[default]
    OrgLife,
    Dues,
}

/// Dues payments and reliefs that break the dues rules (党费规定 第七条, 第十二条, 第十四条), each
/// a finding about the record. Which of the ledger's flags a rule reports is its parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuesRecordsParameters {
    pub flags: Vec<crate::dues::DuesFlagKind>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermExpiryParameters {
    /// The upper organization reminds this many months before the term ends (一般提前6个月).
    pub reminder_months: u32,
}

/// The evaluator a rule uses, with that evaluator's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckParameters {
    PeriodicMeeting(PeriodicMeetingParameters),
    TalkCoverage(TalkCoverageParameters),
    GeneralMeetingVote(GeneralMeetingVoteParameters),
    MinimumFullMembers(MinimumFullMembersParameters),
    CommitteeRequired(CommitteeRequiredParameters),
    CommitteeSize(CommitteeSizeParameters),
    MemberSoftCap(MemberSoftCapParameters),
    SecretaryInPost(SecretaryInPostParameters),
    TermExpiry(TermExpiryParameters),
    AdmissionSteps(AdmissionStepsParameters),
    Continuity(ContinuityParameters),
    DuesRecords(DuesRecordsParameters),
    AdmissionResolution(AdmissionResolutionParameters),
}

/// The names of the checks as written in rule files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CheckKind {
    PeriodicMeeting,
    TalkCoverage,
    GeneralMeetingVote,
    MinimumFullMembers,
    CommitteeRequired,
    CommitteeSize,
    MemberSoftCap,
    SecretaryInPost,
    TermExpiry,
    AdmissionSteps,
    Continuity,
    DuesRecords,
    AdmissionResolution,
}

impl CheckParameters {
    /// Parses the parameters of `check` from JSON, naming the offending field on error.
    pub fn parse(
        check: CheckKind,
        parameters: serde_json::Value,
    ) -> Result<CheckParameters, String> {
        fn typed<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, String> {
            serde_json::from_value(value).map_err(|error| error.to_string())
        }
        Ok(match check {
            CheckKind::PeriodicMeeting => CheckParameters::PeriodicMeeting(typed(parameters)?),
            CheckKind::TalkCoverage => CheckParameters::TalkCoverage(typed(parameters)?),
            CheckKind::GeneralMeetingVote => {
                CheckParameters::GeneralMeetingVote(typed(parameters)?)
            }
            CheckKind::MinimumFullMembers => {
                CheckParameters::MinimumFullMembers(typed(parameters)?)
            }
            CheckKind::CommitteeRequired => CheckParameters::CommitteeRequired(typed(parameters)?),
            CheckKind::CommitteeSize => CheckParameters::CommitteeSize(typed(parameters)?),
            CheckKind::MemberSoftCap => CheckParameters::MemberSoftCap(typed(parameters)?),
            CheckKind::SecretaryInPost => CheckParameters::SecretaryInPost(typed(parameters)?),
            CheckKind::TermExpiry => CheckParameters::TermExpiry(typed(parameters)?),
            CheckKind::AdmissionSteps => CheckParameters::AdmissionSteps(typed(parameters)?),
            CheckKind::Continuity => CheckParameters::Continuity(typed(parameters)?),
            CheckKind::DuesRecords => CheckParameters::DuesRecords(typed(parameters)?),
            CheckKind::AdmissionResolution => {
                CheckParameters::AdmissionResolution(typed(parameters)?)
            }
        })
    }
}
