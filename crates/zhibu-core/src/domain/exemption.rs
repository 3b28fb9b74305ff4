//! Exemptions: an upper organization excuses one finding, with a reason. An exemption never
//! deletes the finding; the engine still reports it, marked as exempted, and the exemption itself
//! is a versioned record.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{OrgId, Record, RecordKind};
use crate::ValidationErrors;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Exemption {
    /// The org the finding is about.
    pub org_id: OrgId,
    /// The finding's stable key (`rule id|org|period|subject`), as the engine reports it.
    pub finding_key: String,
    /// The upper organization granting the exemption; it must be an ancestor of `org_id`.
    pub granted_by: OrgId,
    pub granted_on: NaiveDate,
    pub reason: String,
}

impl Record for Exemption {
    const KIND: RecordKind = RecordKind::Exemption;
    type Id = super::ExemptionId;

    fn scope_org(&self) -> Option<OrgId> {
        Some(self.org_id)
    }

    fn event_date(&self) -> NaiveDate {
        self.granted_on
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.reason.trim().is_empty() {
            errors.add(
                "reason",
                "required",
                "豁免须说明理由",
                "an exemption needs a reason",
            );
        }
        if self.finding_key.split('|').count() != 4 {
            errors.add(
                "finding_key",
                "malformed",
                "问题编号格式不正确",
                "the finding key is malformed",
            );
        }
        if self.granted_by == self.org_id {
            errors.add(
                "granted_by",
                "not_upper_org",
                "豁免须由上级党组织作出",
                "only an upper organization may grant an exemption",
            );
        }
        errors.into_result()
    }
}
