//! Identifier newtypes, so that a `MeetingId` can never be passed where a `MemberId` is meant.
//! All records share one numeric identity space in storage; the types keep them apart in code.

use serde::{Deserialize, Serialize};

macro_rules! record_id {
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

record_id!(
    /// A Party organization (党组织) of any level.
    OrgId
);
record_id!(
    /// A Party member (党员).
    MemberId
);
record_id!(
    /// A meeting of any kind (三会一课, themed Party day, org-life meeting, appraisal session).
    MeetingId
);
record_id!(
    /// A heart-to-heart talk (谈心谈话).
    TalkId
);
record_id!(
    /// One elected term of a branch committee or of a branch's secretary (届).
    CommitteeTermId
);
record_id!(
    /// An upper organization's exemption of one finding (豁免).
    ExemptionId
);
record_id!(
    /// A rule added or tightened by an upper organization for its subtree (本地规则).
    LocalRuleId
);
record_id!(
    /// A member's statement of their case on a record that concerns them (申辩).
    StatementId
);
record_id!(
    /// A meeting a branch or party group has scheduled but not yet held (会议安排).
    MeetingPlanId
);
