//! The fields a branch general meeting's resolution to admit must record (细则 第二十一条,
//! RECRUIT.RESOLUTION.FIELDS): the candidate's main performance, the voting members expected and
//! present, the result, the date and the branch secretary's signature. The counts, the result and
//! the date are those of the recorded vote (taken from a stored `vote` record when it is linked);
//! the main performance and the signature are [`super::AdmissionResolution`].

use super::AdmissionRecord;

/// The rule these fields come from.
pub const RESOLUTION_RULE: &str = "RECRUIT.RESOLUTION.FIELDS";

/// One field of the resolution, as 第二十一条 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResolutionField {
    /// 发展对象的主要表现
    MainPerformance,
    /// 应到会有表决权的党员人数
    ExpectedVoters,
    /// 实际到会有表决权的党员人数
    PresentVoters,
    /// 表决结果
    Result,
    /// 通过决议的日期
    Date,
    /// 党支部书记签名
    SecretarySignature,
}

impl ResolutionField {
    pub const ALL: [ResolutionField; 6] = [
        ResolutionField::MainPerformance,
        ResolutionField::ExpectedVoters,
        ResolutionField::PresentVoters,
        ResolutionField::Result,
        ResolutionField::Date,
        ResolutionField::SecretarySignature,
    ];

    pub fn name_zh(self) -> &'static str {
        match self {
            ResolutionField::MainPerformance => "发展对象的主要表现",
            ResolutionField::ExpectedVoters => "应到会有表决权的党员人数",
            ResolutionField::PresentVoters => "实际到会有表决权的党员人数",
            ResolutionField::Result => "表决结果",
            ResolutionField::Date => "通过决议的日期",
            ResolutionField::SecretarySignature => "党支部书记签名",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            ResolutionField::MainPerformance => "the candidate's main performance",
            ResolutionField::ExpectedVoters => "voting members expected",
            ResolutionField::PresentVoters => "voting members present",
            ResolutionField::Result => "the result",
            ResolutionField::Date => "the date of the resolution",
            ResolutionField::SecretarySignature => "the branch secretary's signature",
        }
    }

    /// The field of the admission record that holds it.
    pub fn path(self) -> &'static str {
        match self {
            ResolutionField::MainPerformance => "admission_resolution.main_performance",
            ResolutionField::ExpectedVoters => "admission_vote.counts.expected",
            ResolutionField::PresentVoters => "admission_vote.counts.present",
            ResolutionField::Result => "admission_vote.recorded_outcome",
            ResolutionField::Date => "admission_vote.held_on",
            ResolutionField::SecretarySignature => "admission_resolution.signed_by_secretary",
        }
    }
}

/// The fields the resolution to admit lacks, in 第二十一条's order; empty when the general meeting
/// has not voted yet (there is no resolution to judge) or when nothing is missing. A count of zero
/// expected or present voting members is a count not recorded: a general meeting that voted had
/// both. The result and the date cannot be absent from a recorded vote, so they are never listed.
pub fn missing_resolution_fields(record: &AdmissionRecord) -> Vec<ResolutionField> {
    let Some(vote) = &record.admission_vote else {
        return Vec::new();
    };
    let resolution = record.admission_resolution.as_ref();
    ResolutionField::ALL
        .into_iter()
        .filter(|field| match field {
            ResolutionField::MainPerformance => {
                resolution.is_none_or(|resolution| resolution.main_performance.trim().is_empty())
            }
            ResolutionField::ExpectedVoters => vote.counts.expected == 0,
            ResolutionField::PresentVoters => vote.counts.present == 0,
            ResolutionField::Result | ResolutionField::Date => false,
            ResolutionField::SecretarySignature => {
                resolution.is_none_or(|resolution| resolution.signed_by_secretary.is_none())
            }
        })
        .collect()
}
