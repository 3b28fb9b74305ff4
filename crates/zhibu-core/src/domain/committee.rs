//! Elected branch leadership: a committee (支委会) in branches of 7 or more full members, or a
//! secretary (and possibly a deputy) in smaller ones. Each election starts a term (届).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{MemberId, OrgId, Record, RecordKind};
use crate::ValidationErrors;
use crate::calendar::add_years;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CommitteeRole {
    /// 书记
    Secretary,
    /// 副书记
    DeputySecretary,
    /// 组织委员
    OrganizationOfficer,
    /// 宣传委员
    PublicityOfficer,
    /// 纪检委员
    DisciplineOfficer,
    /// 委员 with no named portfolio
    CommitteeMember,
}

impl CommitteeRole {
    pub fn name_zh(self) -> &'static str {
        match self {
            CommitteeRole::Secretary => "书记",
            CommitteeRole::DeputySecretary => "副书记",
            CommitteeRole::OrganizationOfficer => "组织委员",
            CommitteeRole::PublicityOfficer => "宣传委员",
            CommitteeRole::DisciplineOfficer => "纪检委员",
            CommitteeRole::CommitteeMember => "委员",
        }
    }
}

/// Whether the branch elected a committee or only a secretary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LeadershipForm {
    /// 支部委员会
    Committee,
    /// 不设委员会：书记（可设副书记）
    SecretaryOnly,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitteePosition {
    pub member_id: MemberId,
    pub role: CommitteeRole,
    /// Set when the person leaves the post during the term (a vacancy to fill, 及时补选).
    #[serde(default)]
    pub left_on: Option<NaiveDate>,
}

/// One elected term of a branch's leadership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitteeTerm {
    pub org_id: OrgId,
    pub form: LeadershipForm,
    pub elected_on: NaiveDate,
    /// Term length in years: 3 generally, 5 in villages and communities (支部工作条例 第二十一条).
    pub term_years: u8,
    pub positions: Vec<CommitteePosition>,
    /// An approved extension of the term (延期换届), at most one year (选举工作条例 第三条).
    #[serde(default)]
    pub extended_until: Option<NaiveDate>,
}

impl CommitteeTerm {
    /// The day the term ends (届满), before any approved extension.
    pub fn term_ends_on(&self) -> NaiveDate {
        add_years(self.elected_on, i32::from(self.term_years))
    }

    /// Positions held on `date`.
    pub fn positions_on(&self, date: NaiveDate) -> impl Iterator<Item = &CommitteePosition> {
        self.positions
            .iter()
            .filter(move |position| position.left_on.is_none_or(|left| date < left))
    }

    pub fn secretary_on(&self, date: NaiveDate) -> Option<MemberId> {
        self.positions_on(date)
            .find(|position| position.role == CommitteeRole::Secretary)
            .map(|position| position.member_id)
    }

    /// Committee members in post on `date`, each once.
    pub fn members_on(&self, date: NaiveDate) -> Vec<MemberId> {
        let mut members: Vec<MemberId> = self
            .positions_on(date)
            .map(|position| position.member_id)
            .collect();
        members.sort();
        members.dedup();
        members
    }
}

impl Record for CommitteeTerm {
    const KIND: RecordKind = RecordKind::CommitteeTerm;
    type Id = super::CommitteeTermId;

    fn scope_org(&self) -> Option<OrgId> {
        Some(self.org_id)
    }

    fn event_date(&self) -> NaiveDate {
        self.elected_on
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if !(1..=5).contains(&self.term_years) {
            errors.add(
                "term_years",
                "out_of_range",
                "任期应为1至5年",
                "a term lasts 1 to 5 years",
            );
        }
        let mut seen = Vec::new();
        for (index, position) in self.positions.iter().enumerate() {
            if position.left_on.is_none() && seen.contains(&position.member_id) {
                errors.add(
                    format!("positions[{index}].member_id"),
                    "duplicate",
                    "同一人不能同时担任两个职务",
                    "one person cannot hold two posts at once",
                );
            }
            seen.push(position.member_id);
            if let Some(left) = position.left_on
                && left <= self.elected_on
            {
                errors.add(
                    format!("positions[{index}].left_on"),
                    "before_elected",
                    "离任日期早于选举日期",
                    "left before being elected",
                );
            }
        }
        let seats = self.members_on(self.elected_on).len();
        match self.form {
            // 支部委员会由3至5人组成，一般不超过7人: more than 7 is refused outright.
            LeadershipForm::Committee if seats > 7 => errors.add(
                "positions",
                "committee_too_large",
                format!("支部委员会由3至5人组成，一般不超过7人；这里有{seats}人"),
                format!("a branch committee has 3 to 5 members and never more than 7; this one has {seats}"),
            ),
            LeadershipForm::Committee if seats < 3 => errors.add(
                "positions",
                "committee_too_small",
                format!("支部委员会至少由3人组成；这里只有{seats}人"),
                format!("a branch committee has at least 3 members; this one has {seats}"),
            ),
            LeadershipForm::SecretaryOnly if seats > 2 => errors.add(
                "positions",
                "too_many_without_committee",
                "不设委员会的支部只设书记和至多1名副书记",
                "a branch without a committee has a secretary and at most one deputy",
            ),
            _ => {}
        }
        let secretaries = self
            .positions_on(self.elected_on)
            .filter(|p| p.role == CommitteeRole::Secretary)
            .count();
        if secretaries > 1 {
            errors.add(
                "positions",
                "two_secretaries",
                "同一时间只能有1名书记",
                "there can be only one secretary at a time",
            );
        }
        let deputies = self
            .positions_on(self.elected_on)
            .filter(|p| p.role == CommitteeRole::DeputySecretary)
            .count();
        if self.form == LeadershipForm::SecretaryOnly && deputies > 1 {
            errors.add(
                "positions",
                "two_deputies",
                "不设委员会的支部至多设1名副书记",
                "at most one deputy secretary without a committee",
            );
        }
        if let Some(extended) = self.extended_until {
            let term_end = self.term_ends_on();
            if extended <= term_end || extended > add_years(term_end, 1) {
                errors.add(
                    "extended_until",
                    "extension_out_of_range",
                    "延期换届须在届满之后、且一般不超过1年",
                    "an extension must end after the term and at most one year later",
                );
            }
        }
        errors.into_result()
    }
}
