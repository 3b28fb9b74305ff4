//! Meetings of every kind a branch holds, with attendance per member, minutes and resolutions.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Member, MemberId, OrgId, Record, RecordKind};
use crate::ValidationErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MeetingKind {
    /// 支部党员大会
    GeneralMeeting,
    /// 支部委员会会议
    CommitteeMeeting,
    /// 党小组会
    GroupMeeting,
    /// 党课
    PartyLecture,
    /// 主题党日
    ThemedPartyDay,
    /// 组织生活会
    OrgLifeMeeting,
    /// 民主评议党员
    MemberAppraisal,
}

impl MeetingKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            MeetingKind::GeneralMeeting => "支部党员大会",
            MeetingKind::CommitteeMeeting => "支部委员会会议",
            MeetingKind::GroupMeeting => "党小组会",
            MeetingKind::PartyLecture => "党课",
            MeetingKind::ThemedPartyDay => "主题党日",
            MeetingKind::OrgLifeMeeting => "组织生活会",
            MeetingKind::MemberAppraisal => "民主评议党员",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            MeetingKind::GeneralMeeting => "general meeting",
            MeetingKind::CommitteeMeeting => "committee meeting",
            MeetingKind::GroupMeeting => "party group meeting",
            MeetingKind::PartyLecture => "Party lecture",
            MeetingKind::ThemedPartyDay => "themed Party day",
            MeetingKind::OrgLifeMeeting => "organizational-life meeting",
            MeetingKind::MemberAppraisal => "democratic appraisal of members",
        }
    }
}

/// Whether a member came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AttendanceState {
    /// 实到
    Present,
    /// 请假, with the reason given
    Excused { reason: String },
    /// 缺席
    Absent,
}

/// One member's attendance, written flat: `{"member_id": 7, "state": "present"}`, and for an
/// excused absence `{"member_id": 7, "state": "excused", "reason": "出差"}`.
// It is read through `AttendanceWire` because serde cannot combine `flatten` with
// `deny_unknown_fields`: together they refuse every entry, `state` included, so no meeting could be
// read back. The wire form keeps unknown keys refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "AttendanceWire")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attendance {
    pub member_id: MemberId,
    #[serde(flatten)]
    pub state: AttendanceState,
}

/// The form an attendance entry is read in: flat, and every key known.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttendanceWire {
    member_id: MemberId,
    state: AttendanceStateName,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum AttendanceStateName {
    Present,
    Excused,
    Absent,
}

impl TryFrom<AttendanceWire> for Attendance {
    type Error = String;

    fn try_from(wire: AttendanceWire) -> Result<Attendance, String> {
        // The messages follow serde's own wording so that callers that translate serde errors
        // (the web layer names the field from the backticked name) treat them alike.
        let state = match (wire.state, wire.reason) {
            (AttendanceStateName::Present, None) => AttendanceState::Present,
            (AttendanceStateName::Absent, None) => AttendanceState::Absent,
            (AttendanceStateName::Excused, Some(reason)) => AttendanceState::Excused { reason },
            (AttendanceStateName::Excused, None) => {
                return Err("missing field `reason`".to_string());
            }
            (AttendanceStateName::Present | AttendanceStateName::Absent, Some(_)) => {
                return Err("unknown field `reason`, expected `member_id` or `state` (only an excused absence has a reason)".to_string());
            }
        };
        Ok(Attendance {
            member_id: wire.member_id,
            state,
        })
    }
}

/// What the meeting recorded as the outcome of a vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RecordedOutcome {
    Passed,
    Rejected,
}

/// A decision put to the vote, with the counts as recorded in the minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Resolution {
    pub subject: String,
    pub yes: u32,
    pub no: u32,
    pub abstain: u32,
    pub recorded_outcome: RecordedOutcome,
}

/// A meeting as recorded. One sitting may serve several duties at once (a general meeting held as
/// the month's themed Party day), so a meeting has one or more kinds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Meeting {
    /// The branch that held it, or the Party group for a group meeting.
    pub org_id: OrgId,
    pub kinds: Vec<MeetingKind>,
    pub held_on: NaiveDate,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub chair_id: Option<MemberId>,
    #[serde(default)]
    pub recorder_id: Option<MemberId>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub resolutions: Vec<Resolution>,
    pub attendance: Vec<Attendance>,
}

impl Meeting {
    pub fn is_kind(&self, kind: MeetingKind) -> bool {
        self.kinds.contains(&kind)
    }

    pub fn present(&self) -> impl Iterator<Item = MemberId> + '_ {
        self.attendance
            .iter()
            .filter(|a| a.state == AttendanceState::Present)
            .map(|a| a.member_id)
    }

    pub fn was_present(&self, member: MemberId) -> bool {
        self.present().any(|present| present == member)
    }
}

impl Record for Meeting {
    const KIND: RecordKind = RecordKind::Meeting;
    type Id = super::MeetingId;

    fn scope_org(&self) -> Option<OrgId> {
        Some(self.org_id)
    }

    fn event_date(&self) -> NaiveDate {
        self.held_on
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.kinds.is_empty() {
            errors.add(
                "kinds",
                "required",
                "请选择会议类型",
                "choose at least one kind of meeting",
            );
        }
        let mut kinds = self.kinds.clone();
        kinds.sort();
        kinds.dedup();
        if kinds.len() != self.kinds.len() {
            errors.add(
                "kinds",
                "duplicate",
                "会议类型重复",
                "a meeting kind is listed twice",
            );
        }
        if self.is_kind(MeetingKind::GroupMeeting)
            && self.kinds.len() > 1
            && self.kinds.iter().any(|k| {
                matches!(
                    k,
                    MeetingKind::GeneralMeeting | MeetingKind::CommitteeMeeting
                )
            })
        {
            errors.add(
                "kinds",
                "incompatible",
                "党小组会不能同时是党员大会或支委会",
                "a group meeting cannot also be a general or committee meeting",
            );
        }
        let mut seen: Vec<MemberId> = Vec::new();
        for (index, attendance) in self.attendance.iter().enumerate() {
            if seen.contains(&attendance.member_id) {
                errors.add(
                    format!("attendance[{index}].member_id"),
                    "duplicate",
                    "同一党员重复登记出席情况",
                    "the same member is listed twice",
                );
            }
            seen.push(attendance.member_id);
            if let AttendanceState::Excused { reason } = &attendance.state
                && reason.trim().is_empty()
            {
                errors.add(
                    format!("attendance[{index}].reason"),
                    "required",
                    "请假须注明原因",
                    "an excused absence needs a reason",
                );
            }
        }
        let present = self.present().count() as u64;
        for (index, resolution) in self.resolutions.iter().enumerate() {
            if resolution.subject.trim().is_empty() {
                errors.add(
                    format!("resolutions[{index}].subject"),
                    "required",
                    "表决事项不能为空",
                    "the subject of the vote is required",
                );
            }
            let votes = u64::from(resolution.yes)
                + u64::from(resolution.no)
                + u64::from(resolution.abstain);
            if votes > present {
                errors.add(
                    format!("resolutions[{index}].yes"),
                    "votes_exceed_present",
                    format!("票数合计{votes}超过实到人数{present}"),
                    format!("{votes} votes were counted but only {present} members were present"),
                );
            }
        }
        errors.into_result()
    }
}

/// Checks a meeting against the roster of the branch on the meeting day: every attendee, the chair
/// and the recorder must belong to the branch then. `branch_members` are the members whose posting
/// covers `meeting.held_on` in the branch (or, for a group meeting, the group's branch).
pub fn validate_meeting_roster(
    meeting: &Meeting,
    branch_members: &[(MemberId, &Member)],
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let belongs = |id: MemberId| branch_members.iter().any(|(member_id, _)| *member_id == id);
    for (index, attendance) in meeting.attendance.iter().enumerate() {
        if !belongs(attendance.member_id) {
            errors.add(
                format!("attendance[{index}].member_id"),
                "not_a_member_of_branch",
                format!(
                    "党员{}在{}不属于本支部",
                    attendance.member_id, meeting.held_on
                ),
                format!(
                    "member {} did not belong to this branch on {}",
                    attendance.member_id, meeting.held_on
                ),
            );
        }
    }
    for (field, person) in [
        ("chair_id", meeting.chair_id),
        ("recorder_id", meeting.recorder_id),
    ] {
        if let Some(person) = person
            && !belongs(person)
        {
            errors.add(
                field,
                "not_a_member_of_branch",
                format!("党员{person}在{}不属于本支部", meeting.held_on),
                format!(
                    "member {person} did not belong to this branch on {}",
                    meeting.held_on
                ),
            );
        }
    }
    errors.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attendance_reads_back_what_it_writes_and_refuses_unknown_keys() {
        let entries = [
            Attendance {
                member_id: MemberId(1),
                state: AttendanceState::Present,
            },
            Attendance {
                member_id: MemberId(2),
                state: AttendanceState::Excused {
                    reason: "出差".to_string(),
                },
            },
            Attendance {
                member_id: MemberId(3),
                state: AttendanceState::Absent,
            },
        ];
        for entry in entries {
            let text = serde_json::to_string(&entry).expect("serialize");
            assert_eq!(
                serde_json::from_str::<Attendance>(&text).expect("read back"),
                entry,
                "{text}"
            );
        }
        let refused = [
            r#"{"member_id":1,"state":"present","colour":"red"}"#,
            r#"{"member_id":1,"state":"excused"}"#,
            r#"{"member_id":1,"state":"absent","reason":"病假"}"#,
            r#"{"member_id":1,"state":"late"}"#,
        ];
        for text in refused {
            assert!(
                serde_json::from_str::<Attendance>(text).is_err(),
                "{text} is refused"
            );
        }
    }
}
