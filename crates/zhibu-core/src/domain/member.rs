//! Party members: their status over time, and the branch (and optionally group) they belong to
//! over time. A member belongs to exactly one branch on any day (章程 第八条).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{OrgId, Record, RecordKind};
use crate::ValidationErrors;
use crate::identity::{IdCardNumber, PhoneNumber};

/// A member's standing in the Party on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MemberStatus {
    /// 预备党员: no vote, cannot elect or be elected (章程 第七条).
    Probationary,
    /// 正式党员 with full rights.
    Full,
    /// 留党察看: a full member without voting rights for the period (章程 第四十一条).
    UnderPartyProbation,
    /// 党员权利中止 (e.g. 留置、逮捕): a full member whose rights are suspended (选举工作条例 第五条).
    RightsSuspended,
    /// 停止党籍.
    MembershipSuspended,
    /// Left the Party: 除名, 开除, 自行脱党, 退党, or deceased. Ends membership.
    Ended,
}

impl MemberStatus {
    pub fn name_zh(self) -> &'static str {
        match self {
            MemberStatus::Probationary => "预备党员",
            MemberStatus::Full => "正式党员",
            MemberStatus::UnderPartyProbation => "留党察看",
            MemberStatus::RightsSuspended => "权利中止",
            MemberStatus::MembershipSuspended => "停止党籍",
            MemberStatus::Ended => "已不是党员",
        }
    }

    /// A full member (正式党员), counted for a branch's size thresholds whatever their rights.
    pub fn is_full_member(self) -> bool {
        matches!(
            self,
            MemberStatus::Full | MemberStatus::UnderPartyProbation | MemberStatus::RightsSuspended
        )
    }

    /// Has the right to vote (有表决权): a full member not under 留党察看 and not suspended.
    pub fn has_voting_rights(self) -> bool {
        self == MemberStatus::Full
    }

    /// Still a member of the Party (full or probationary) and so expected at organizational life.
    pub fn is_member(self) -> bool {
        !matches!(
            self,
            MemberStatus::MembershipSuspended | MemberStatus::Ended
        )
    }
}

/// A dated change of status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusChange {
    pub effective_on: NaiveDate,
    pub status: MemberStatus,
    #[serde(default)]
    pub note: Option<String>,
}

/// A disciplinary sanction short of 留党察看 (which is a status, [`MemberStatus::UnderPartyProbation`],
/// because it removes voting rights; 开除党籍 ends membership). 章程 第四十一条 lists the five kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SanctionKind {
    /// 警告
    Warning,
    /// 严重警告
    SeriousWarning,
    /// 撤销党内职务
    RemovalFromPartyPost,
}

impl SanctionKind {
    pub const ALL: [SanctionKind; 3] = [
        SanctionKind::Warning,
        SanctionKind::SeriousWarning,
        SanctionKind::RemovalFromPartyPost,
    ];

    pub fn name_zh(self) -> &'static str {
        match self {
            SanctionKind::Warning => "警告",
            SanctionKind::SeriousWarning => "严重警告",
            SanctionKind::RemovalFromPartyPost => "撤销党内职务",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            SanctionKind::Warning => "warning",
            SanctionKind::SeriousWarning => "serious warning",
            SanctionKind::RemovalFromPartyPost => "removal from Party post",
        }
    }

    /// The form and wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            SanctionKind::Warning => "warning",
            SanctionKind::SeriousWarning => "serious_warning",
            SanctionKind::RemovalFromPartyPost => "removal_from_party_post",
        }
    }
}

/// A lesser disciplinary sanction as decided: what, when, by whom, and its influence period
/// (影响期). The length of the influence period is not in the rule catalogue (RULES.md), so it is
/// recorded as the decision states it, never computed. Within it the member 不宜作入党介绍人
/// (细则 第十四条); it takes no voting right away (章程 第四十一条 removes those only under 留党察看).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisciplinarySanction {
    pub kind: SanctionKind,
    /// The day of the decision; the influence period starts that day.
    pub decided_on: NaiveDate,
    /// The organization that decided it (e.g. 某某党委, 某某纪委), as the decision names it.
    pub decided_by: String,
    /// The last day of the influence period, included.
    pub influence_ends_on: NaiveDate,
}

impl DisciplinarySanction {
    /// Within the influence period on `date`: from the decision to its last day, both included.
    pub fn in_influence_period_on(&self, date: NaiveDate) -> bool {
        self.decided_on <= date && date <= self.influence_ends_on
    }
}

/// Employment category; it decides the dues rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EmploymentCategory {
    /// 按月领取工资
    Salaried,
    /// 年薪制
    AnnualSalary,
    /// 个体经营等不按月取得收入
    SelfEmployed,
    /// 离退休
    Retired,
    /// 农民
    Farmer,
    /// 学生
    Student,
    /// 下岗失业、依靠抚恤或救济、领取低保
    UnemployedOrRelief,
}

/// A period in which a member belongs to one branch (and optionally one of its groups). A transfer
/// between branches ends one posting and starts the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BranchPosting {
    pub branch_id: OrgId,
    #[serde(default)]
    pub group_id: Option<OrgId>,
    pub from: NaiveDate,
    /// The day the member left (transferred out); they no longer belong from this day.
    #[serde(default)]
    pub until: Option<NaiveDate>,
    /// Where they came from, for a transfer in (组织关系转入), as the letter names it.
    #[serde(default)]
    pub transferred_in_from: Option<String>,
    /// Where they went, for a transfer out (组织关系转出).
    #[serde(default)]
    pub transferred_out_to: Option<String>,
}

impl BranchPosting {
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from <= date && self.until.is_none_or(|until| date < until)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Sex {
    Male,
    Female,
}

/// 学历: the education levels of the national member registry (全国党员管理信息系统), highest
/// completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Education {
    /// 研究生（博士）
    Doctorate,
    /// 研究生（硕士）
    Master,
    /// 大学本科
    Bachelor,
    /// 大学专科
    College,
    /// 中等专科（中专、中技）
    Secondary,
    /// 高中
    HighSchool,
    /// 初中
    MiddleSchool,
    /// 小学及以下
    PrimaryOrBelow,
}

impl Education {
    pub const ALL: [Education; 8] = [
        Education::Doctorate,
        Education::Master,
        Education::Bachelor,
        Education::College,
        Education::Secondary,
        Education::HighSchool,
        Education::MiddleSchool,
        Education::PrimaryOrBelow,
    ];

    pub fn name_zh(self) -> &'static str {
        match self {
            Education::Doctorate => "博士研究生",
            Education::Master => "硕士研究生",
            Education::Bachelor => "大学本科",
            Education::College => "大学专科",
            Education::Secondary => "中等专科",
            Education::HighSchool => "高中",
            Education::MiddleSchool => "初中",
            Education::PrimaryOrBelow => "小学及以下",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Education::Doctorate => "doctorate",
            Education::Master => "master's degree",
            Education::Bachelor => "bachelor's degree",
            Education::College => "college diploma",
            Education::Secondary => "secondary vocational",
            Education::HighSchool => "high school",
            Education::MiddleSchool => "middle school",
            Education::PrimaryOrBelow => "primary school or below",
        }
    }

    /// Reads the registry's wording and its common variants (`本科`, `大专`, `中专`, `中技`,
    /// `博士`, `研究生`, `小学`, `文盲`…). `None` if it is none of them.
    pub fn parse_zh(text: &str) -> Option<Education> {
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let text = text.as_str();
        if text.is_empty() {
            return None;
        }
        let found = match text {
            "博士研究生" | "博士" | "研究生（博士）" | "研究生(博士)" => {
                Education::Doctorate
            }
            "硕士研究生" | "硕士" | "研究生" | "研究生（硕士）" | "研究生(硕士)" => {
                Education::Master
            }
            "大学本科" | "本科" | "大学" => Education::Bachelor,
            "大学专科" | "专科" | "大专" | "高职" => Education::College,
            "中等专科" | "中专" | "中技" | "中专中技" | "中等专业学校" | "技工学校" | "职高" => {
                Education::Secondary
            }
            "高中" | "普通高中" => Education::HighSchool,
            "初中" => Education::MiddleSchool,
            "小学及以下" | "小学" | "文盲" | "半文盲" | "无" => {
                Education::PrimaryOrBelow
            }
            _ => return None,
        };
        Some(found)
    }
}

/// The registry columns of a member that the compliance checks do not need: what the national
/// member registry (全国党员管理信息系统) exports beside name, sex, birth date, joining, status and
/// branch, which the member record keeps in its own fields. The ID number and the phone are
/// personal data: storage encrypts them at rest (they are named by `Record::PERSONAL_FIELDS`)
/// and views mask them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryDetails {
    /// 民族, e.g. 汉族.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethnicity: Option<String>,
    /// 学历.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub education: Option<Education>,
    /// 公民身份号码 (GB 11643), personal data.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "sealed_reads_as_absent"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub id_number: Option<IdCardNumber>,
    /// 联系电话, personal data.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "sealed_reads_as_absent"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub phone: Option<PhoneNumber>,
    /// 籍贯.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_place: Option<String>,
    /// 工作岗位 / 单位及职务, as the registry words it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_post: Option<String>,
}

/// Reads a personal field. A body read straight from storage holds the field *sealed* (an
/// encrypted object, see `zhibu_storage::sealing`); readers that never open it (the engine, the
/// context checks) see the field as absent. The repository opens sealed values before reading.
fn sealed_reads_as_absent<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error as _;
    match Option::<serde_json::Value>::deserialize(deserializer)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Object(object)) if object.contains_key("sealed") => Ok(None),
        Some(value) => serde_json::from_value(value)
            .map(Some)
            .map_err(D::Error::custom),
    }
}

impl RegistryDetails {
    pub fn is_empty(&self) -> bool {
        self == &RegistryDetails::default()
    }
}

/// A Party member. The registry columns beyond what the checks need (ethnicity, education, ID
/// number, phone…) are in [`RegistryDetails`]; the personal ones are sealed at rest by storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub name: String,
    pub sex: Sex,
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// The day the branch general meeting admitted them as probationary member (取得党籍).
    pub joined_on: NaiveDate,
    /// Status history, oldest first. The first entry starts on or after `joined_on`.
    pub status_history: Vec<StatusChange>,
    /// Branch postings, oldest first; they never overlap.
    pub postings: Vec<BranchPosting>,
    pub employment: EmploymentCategory,
    /// 党员领导干部: takes part in dual organizational life.
    #[serde(default)]
    pub leading_cadre: bool,
    /// 年老体弱、行动不便、身患重病: organizational life is not a hard requirement for this member
    /// (教育管理条例 第二十三条). The reason is recorded; attendance-based rules skip them.
    #[serde(default)]
    pub org_life_exemption: Option<String>,
    /// Registry columns (民族, 学历, 公民身份号码, 联系电话…); empty when not recorded.
    #[serde(default, skip_serializing_if = "RegistryDetails::is_empty")]
    pub registry: RegistryDetails,
    /// Lesser disciplinary sanctions (警告, 严重警告, 撤销党内职务), oldest first. Absent in bodies
    /// written before they were recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sanctions: Vec<DisciplinarySanction>,
}

impl Member {
    /// The status on `date`, or `None` before they joined.
    pub fn status_on(&self, date: NaiveDate) -> Option<MemberStatus> {
        self.status_history
            .iter()
            .rfind(|change| change.effective_on <= date)
            .map(|change| change.status)
    }

    /// The posting in force on `date`.
    pub fn posting_on(&self, date: NaiveDate) -> Option<&BranchPosting> {
        self.postings.iter().find(|posting| posting.covers(date))
    }

    /// The branch the member belongs to on `date`, if they are a member then.
    pub fn branch_on(&self, date: NaiveDate) -> Option<OrgId> {
        match self.status_on(date) {
            Some(status) if status.is_member() => {
                self.posting_on(date).map(|posting| posting.branch_id)
            }
            _ => None,
        }
    }

    /// The branch of the latest posting (current or last).
    pub fn current_branch(&self) -> Option<OrgId> {
        self.postings.last().map(|posting| posting.branch_id)
    }

    pub fn is_exempt_from_org_life(&self) -> bool {
        self.org_life_exemption.is_some()
    }

    /// The lesser sanctions whose influence period covers `date`.
    pub fn sanctions_in_effect_on(
        &self,
        date: NaiveDate,
    ) -> impl Iterator<Item = &DisciplinarySanction> {
        self.sanctions
            .iter()
            .filter(move |sanction| sanction.in_influence_period_on(date))
    }

    /// Within the influence period of 警告, 严重警告 or 撤销党内职务 on `date`.
    pub fn in_sanction_influence_period_on(&self, date: NaiveDate) -> bool {
        self.sanctions_in_effect_on(date).next().is_some()
    }

    /// The day the member became a full member (转为正式党员), from the status history.
    pub fn became_full_on(&self) -> Option<NaiveDate> {
        self.status_history
            .iter()
            .find(|change| change.status.is_full_member())
            .map(|change| change.effective_on)
    }
}

impl Record for Member {
    const KIND: RecordKind = RecordKind::Member;
    type Id = super::MemberId;
    const PERSONAL_FIELDS: &'static [&'static str] = &["registry.id_number", "registry.phone"];

    fn scope_org(&self) -> Option<OrgId> {
        self.current_branch()
    }

    fn event_date(&self) -> NaiveDate {
        let latest_posting = self
            .postings
            .iter()
            .flat_map(|p| [Some(p.from), p.until])
            .flatten()
            .max();
        let latest_status = self.status_history.iter().map(|s| s.effective_on).max();
        let latest_sanction = self.sanctions.iter().map(|s| s.decided_on).max();
        [
            Some(self.joined_on),
            latest_posting,
            latest_status,
            latest_sanction,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.joined_on)
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.name.trim().is_empty() {
            errors.add(
                "name",
                "required",
                "姓名不能为空",
                "the name must not be empty",
            );
        }
        if let Some(birth) = self.birth_date
            && birth >= self.joined_on
        {
            errors.add(
                "birth_date",
                "after_joined",
                "出生日期不能晚于入党日期",
                "the birth date must be before the date of joining",
            );
        }
        if self.status_history.is_empty() {
            errors.add(
                "status_history",
                "required",
                "至少需要一条党员身份记录",
                "at least one status entry is required",
            );
        }
        for (index, change) in self.status_history.iter().enumerate() {
            if change.effective_on < self.joined_on {
                errors.add(
                    format!("status_history[{index}].effective_on"),
                    "before_joined",
                    "身份变化日期早于入党日期",
                    "a status change cannot precede the date of joining",
                );
            }
            if index > 0 && change.effective_on < self.status_history[index - 1].effective_on {
                errors.add(
                    format!("status_history[{index}].effective_on"),
                    "out_of_order",
                    "身份变化须按日期先后排列",
                    "status changes must be in date order",
                );
            }
        }
        if let Some(id_number) = &self.registry.id_number {
            let birth_date = self.birth_date;
            if let Err(mismatch) =
                id_number.check_consistent_with("registry.id_number", birth_date, self.sex)
            {
                errors.extend_prefixed("", mismatch);
            }
        }
        if let Some(ethnicity) = &self.registry.ethnicity
            && ethnicity.trim().is_empty()
        {
            errors.add(
                "registry.ethnicity",
                "blank",
                "民族不能为空白；未登记时请留空",
                "the ethnicity must not be blank; leave it out when unknown",
            );
        }
        for (index, sanction) in self.sanctions.iter().enumerate() {
            if sanction.decided_on < self.joined_on {
                errors.add(
                    format!("sanctions[{index}].decided_on"),
                    "before_joined",
                    "处分决定日期早于入党日期",
                    "a sanction cannot be decided before the date of joining",
                );
            }
            if sanction.influence_ends_on < sanction.decided_on {
                errors.add(
                    format!("sanctions[{index}].influence_ends_on"),
                    "before_decided",
                    "处分影响期的最后一天早于处分决定日期",
                    "the influence period cannot end before the sanction was decided",
                );
            }
            if sanction.decided_by.trim().is_empty() {
                errors.add(
                    format!("sanctions[{index}].decided_by"),
                    "required",
                    "须写明作出处分决定的党组织",
                    "name the Party organization that decided the sanction",
                );
            }
            if index > 0 && sanction.decided_on < self.sanctions[index - 1].decided_on {
                errors.add(
                    format!("sanctions[{index}].decided_on"),
                    "out_of_order",
                    "处分须按决定日期先后排列",
                    "sanctions must be in date order",
                );
            }
        }
        if self.postings.is_empty() {
            errors.add(
                "postings",
                "required",
                "党员必须编入一个党支部",
                "a member must belong to a branch",
            );
        }
        for (index, posting) in self.postings.iter().enumerate() {
            if let Some(until) = posting.until
                && until <= posting.from
            {
                errors.add(
                    format!("postings[{index}].until"),
                    "not_after_from",
                    "转出日期必须晚于转入日期",
                    "the end of a posting must be after its start",
                );
            }
            if index > 0 {
                let previous = &self.postings[index - 1];
                let overlaps = previous.until.is_none_or(|until| posting.from < until);
                if overlaps {
                    errors.add(
                        format!("postings[{index}].from"),
                        "two_branches_at_once",
                        "同一时间只能编入一个党支部：须先从原支部转出",
                        "a member belongs to exactly one branch at a time: the previous posting must end first",
                    );
                }
            }
        }
        errors.into_result()
    }
}
