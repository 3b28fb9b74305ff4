//! Planned meetings (会议安排): a meeting a branch or party group has scheduled but not yet held.
//!
//! A plan is not a meeting. The engine never reads plans, so a planned meeting meets no duty;
//! only the meeting record written when it is held does. A plan that will not happen is deleted
//! with a reason (or moved by an amendment with a reason), through the same versioned path as
//! every record, so the history keeps what was planned and why it changed.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{MeetingKind, OrgId, Record, RecordKind};
use crate::ValidationErrors;

/// The longest place or topic a plan keeps, in characters.
pub const PLAN_TEXT_MAX_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeetingPlan {
    /// The branch, or for a group meeting the party group, that will hold the meeting.
    pub org_id: OrgId,
    /// The kinds the meeting will be (the same kinds a meeting record has).
    pub kinds: Vec<MeetingKind>,
    /// The calendar day it is planned for (China Standard Time).
    pub planned_on: NaiveDate,
    /// The time of day it starts, `HH:MM` in China Standard Time, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub topic: String,
}

impl MeetingPlan {
    pub fn is_kind(&self, kind: MeetingKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// The start time as hours and minutes, when it is given and well formed.
    pub fn start_time(&self) -> Option<(u32, u32)> {
        parse_clock(self.starts_at.as_deref()?)
    }
}

/// `HH:MM` with 00 ≤ HH ≤ 23 and 00 ≤ MM ≤ 59.
fn parse_clock(text: &str) -> Option<(u32, u32)> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    if !hours
        .bytes()
        .chain(minutes.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours < 24 && minutes < 60).then_some((hours, minutes))
}

impl Record for MeetingPlan {
    const KIND: RecordKind = RecordKind::MeetingPlan;
    type Id = super::MeetingPlanId;

    fn scope_org(&self) -> Option<OrgId> {
        Some(self.org_id)
    }

    fn event_date(&self) -> NaiveDate {
        self.planned_on
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
            && self.kinds.iter().any(|kind| {
                matches!(
                    kind,
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
        if let Some(text) = &self.starts_at
            && parse_clock(text).is_none()
        {
            errors.add(
                "starts_at",
                "invalid_time",
                format!("开始时间“{text}”应写作“时:分”，如 14:30"),
                format!("start time \"{text}\" should be written HH:MM, e.g. 14:30"),
            );
        }
        for (field, value, zh, en) in [
            ("place", &self.place, "地点", "place"),
            ("topic", &self.topic, "议题", "topic"),
        ] {
            let length = value.chars().count();
            if length > PLAN_TEXT_MAX_CHARS {
                errors.add(
                    field,
                    "too_long",
                    format!("{zh}最多{PLAN_TEXT_MAX_CHARS}个字（现有{length}个）"),
                    format!(
                        "the {en} takes at most {PLAN_TEXT_MAX_CHARS} characters ({length} given)"
                    ),
                );
            }
        }
        errors.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> MeetingPlan {
        MeetingPlan {
            org_id: OrgId(3),
            kinds: vec![MeetingKind::CommitteeMeeting],
            planned_on: NaiveDate::from_ymd_opt(2026, 7, 8).expect("date"),
            starts_at: Some("14:30".into()),
            place: "党员活动室".into(),
            topic: "学习传达上级精神".into(),
        }
    }

    fn codes(plan: &MeetingPlan) -> Vec<(String, String)> {
        match plan.validate() {
            Ok(()) => Vec::new(),
            Err(errors) => errors
                .errors
                .iter()
                .map(|error| (error.field.clone(), error.code.clone()))
                .collect(),
        }
    }

    #[test]
    fn a_complete_plan_is_valid_and_reads_back_what_it_writes() {
        let plan = plan();
        assert_eq!(codes(&plan), Vec::<(String, String)>::new());
        assert_eq!(plan.start_time(), Some((14, 30)));
        let json = serde_json::to_string(&plan).expect("write");
        assert_eq!(
            serde_json::from_str::<MeetingPlan>(&json).expect("read"),
            plan
        );
        let unknown = json.replace("\"topic\"", "\"minutes\"");
        assert!(serde_json::from_str::<MeetingPlan>(&unknown).is_err());
    }

    #[test]
    fn bad_plans_are_refused_by_field() {
        let mut bad = plan();
        bad.kinds = Vec::new();
        assert_eq!(codes(&bad), vec![("kinds".into(), "required".into())]);
        bad.kinds = vec![MeetingKind::PartyLecture, MeetingKind::PartyLecture];
        assert_eq!(codes(&bad), vec![("kinds".into(), "duplicate".into())]);
        bad.kinds = vec![MeetingKind::GroupMeeting, MeetingKind::GeneralMeeting];
        assert_eq!(codes(&bad), vec![("kinds".into(), "incompatible".into())]);
        for time in ["24:00", "9:30", "14:60", "14-30", "１4:30", ""] {
            let mut bad = plan();
            bad.starts_at = Some(time.into());
            assert_eq!(
                codes(&bad),
                vec![("starts_at".into(), "invalid_time".into())],
                "{time:?}"
            );
        }
        let mut long = plan();
        long.place = "室".repeat(PLAN_TEXT_MAX_CHARS + 1);
        assert_eq!(codes(&long), vec![("place".into(), "too_long".into())]);
    }
}
