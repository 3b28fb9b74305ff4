//! Heart-to-heart talks (谈心谈话): a record between two members.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Member, MemberId, OrgId, Record, RecordKind};
use crate::ValidationErrors;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeartToHeartTalk {
    /// The branch that records the talk.
    pub org_id: OrgId,
    pub held_on: NaiveDate,
    /// The two people who talked; order carries no meaning.
    pub participants: [MemberId; 2],
    #[serde(default)]
    pub topic: String,
}

impl HeartToHeartTalk {
    pub fn involves(&self, member: MemberId) -> bool {
        self.participants.contains(&member)
    }

    pub fn is_between(&self, a: MemberId, b: MemberId) -> bool {
        self.involves(a) && self.involves(b) && a != b
    }
}

impl Record for HeartToHeartTalk {
    const KIND: RecordKind = RecordKind::Talk;
    type Id = super::TalkId;

    fn scope_org(&self) -> Option<OrgId> {
        Some(self.org_id)
    }

    fn event_date(&self) -> NaiveDate {
        self.held_on
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.participants[0] == self.participants[1] {
            errors.add(
                "participants",
                "same_person",
                "谈心谈话须在两人之间进行",
                "a talk takes two different people",
            );
        }
        errors.into_result()
    }
}

/// Both participants must belong to the recording branch on the day of the talk.
pub fn validate_talk_roster(
    talk: &HeartToHeartTalk,
    branch_members: &[(MemberId, &Member)],
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    for (index, participant) in talk.participants.iter().enumerate() {
        if !branch_members.iter().any(|(id, _)| id == participant) {
            errors.add(
                format!("participants[{index}]"),
                "not_a_member_of_branch",
                format!("党员{participant}在{}不属于本支部", talk.held_on),
                format!(
                    "member {participant} did not belong to this branch on {}",
                    talk.held_on
                ),
            );
        }
    }
    errors.into_result()
}
