//! The organization tree: working committees over Party committees over general branches over
//! branches, which divide into Party groups.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{OrgId, Record, RecordKind};
use crate::ValidationErrors;

/// The level of an organization in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OrgLevel {
    /// 机关工委 / 工委
    WorkingCommittee,
    /// 党委（基层党委、机关党委）
    PartyCommittee,
    /// 党总支
    GeneralBranch,
    /// 党支部
    Branch,
    /// 党小组
    PartyGroup,
}

impl OrgLevel {
    pub fn name_zh(self) -> &'static str {
        match self {
            OrgLevel::WorkingCommittee => "工委",
            OrgLevel::PartyCommittee => "党委",
            OrgLevel::GeneralBranch => "党总支",
            OrgLevel::Branch => "党支部",
            OrgLevel::PartyGroup => "党小组",
        }
    }

    /// Whether an org of this level may sit directly under an org of `parent` level.
    pub fn may_sit_under(self, parent: OrgLevel) -> bool {
        match self {
            OrgLevel::WorkingCommittee => parent == OrgLevel::WorkingCommittee,
            OrgLevel::PartyCommittee => matches!(
                parent,
                OrgLevel::WorkingCommittee | OrgLevel::PartyCommittee
            ),
            OrgLevel::GeneralBranch => parent == OrgLevel::PartyCommittee,
            OrgLevel::Branch => matches!(
                parent,
                OrgLevel::PartyCommittee | OrgLevel::GeneralBranch | OrgLevel::WorkingCommittee
            ),
            OrgLevel::PartyGroup => parent == OrgLevel::Branch,
        }
    }
}

/// The kind of unit an organization is set up in. It decides, for example, the committee term:
/// five years in villages and communities, three elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum UnitKind {
    /// 党政机关
    GovernmentOrgan,
    /// 事业单位
    PublicInstitution,
    /// 企业
    Enterprise,
    /// 农村（村）
    Village,
    /// 城市社区
    Community,
    /// 学校
    School,
    /// 社会组织
    SocialOrganization,
    Other,
}

impl UnitKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            UnitKind::GovernmentOrgan => "党政机关",
            UnitKind::PublicInstitution => "事业单位",
            UnitKind::Enterprise => "企业",
            UnitKind::Village => "村",
            UnitKind::Community => "社区",
            UnitKind::School => "学校",
            UnitKind::SocialOrganization => "社会组织",
            UnitKind::Other => "其他",
        }
    }
}

/// A Party organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Org {
    /// `None` only for the root of a tree (a working committee or a Party committee at the top).
    pub parent_id: Option<OrgId>,
    pub name: String,
    pub level: OrgLevel,
    pub unit_kind: UnitKind,
    pub established_on: NaiveDate,
    /// Set when the organization is dissolved; its records stay.
    #[serde(default)]
    pub dissolved_on: Option<NaiveDate>,
}

impl Org {
    pub fn is_active_on(&self, date: NaiveDate) -> bool {
        self.established_on <= date && self.dissolved_on.is_none_or(|end| date < end)
    }
}

impl Record for Org {
    const KIND: RecordKind = RecordKind::Org;
    type Id = OrgId;

    fn scope_org(&self) -> Option<OrgId> {
        self.parent_id
    }

    fn event_date(&self) -> NaiveDate {
        self.established_on
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.name.trim().is_empty() {
            errors.add(
                "name",
                "required",
                "名称不能为空",
                "the name must not be empty",
            );
        }
        if self.parent_id.is_none()
            && !matches!(
                self.level,
                OrgLevel::WorkingCommittee | OrgLevel::PartyCommittee
            )
        {
            errors.add(
                "parent_id",
                "required",
                "只有工委或党委可以没有上级党组织",
                "only a working committee or a Party committee may have no parent organization",
            );
        }
        if let Some(dissolved) = self.dissolved_on
            && dissolved < self.established_on
        {
            errors.add(
                "dissolved_on",
                "before_established",
                "撤销日期早于成立日期",
                "dissolved before it was established",
            );
        }
        errors.into_result()
    }
}

/// Checks an org against its parent (which storage looks up).
pub fn validate_org_parent(org: &Org, parent: Option<&Org>) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if let (Some(_), Some(parent)) = (org.parent_id, parent)
        && !org.level.may_sit_under(parent.level)
    {
        errors.add(
            "level",
            "invalid_parent_level",
            format!(
                "{}不能设在{}之下",
                org.level.name_zh(),
                parent.level.name_zh()
            ),
            format!("a {:?} cannot sit under a {:?}", org.level, parent.level),
        );
    }
    errors.into_result()
}
