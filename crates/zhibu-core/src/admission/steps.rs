//! The five stages and twenty-five steps of admission (5个阶段25个步骤). The list is a widely
//! published summary of the 2014 细则, not text of the rules themselves (RULES.md §4.1); the 2026
//! revision changes step 8 to the upper committee's consent and adds a publicity period before
//! listing, modelled here as a step without a number.

use serde::{Deserialize, Serialize};

use super::{AdmissionDocument, AdmissionRuleSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AdmissionStage {
    /// 入党申请
    Application,
    /// 入党积极分子的确定和培养教育
    Activist,
    /// 发展对象的确定和考察
    DevelopmentCandidate,
    /// 预备党员的接收
    Admission,
    /// 预备党员的教育考察和转正
    Probation,
}

impl AdmissionStage {
    pub fn name_zh(self) -> &'static str {
        match self {
            AdmissionStage::Application => "入党申请",
            AdmissionStage::Activist => "入党积极分子的确定和培养教育",
            AdmissionStage::DevelopmentCandidate => "发展对象的确定和考察",
            AdmissionStage::Admission => "预备党员的接收",
            AdmissionStage::Probation => "预备党员的教育考察和转正",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            AdmissionStage::Application => "application",
            AdmissionStage::Activist => "activist: selection and training",
            AdmissionStage::DevelopmentCandidate => {
                "development candidate: selection and examination"
            }
            AdmissionStage::Admission => "admission as probationary member",
            AdmissionStage::Probation => "probation and conversion",
        }
    }
}

/// One step of the pipeline, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AdmissionStep {
    /// (1) 递交入党申请书
    SubmitApplication,
    /// (2) 党组织派人谈话
    ApplicationTalk,
    /// (3) 推荐和确定入党积极分子
    DetermineActivist,
    /// (4) 上级党委备案
    FileActivist,
    /// (5) 指定培养联系人
    AssignMentors,
    /// (6) 培养教育考察 (reviews every half year)
    ActivistReview,
    /// (8) 2014: 报上级党委备案 after listing; 2026: 报上级党委同意 before publicity and listing.
    ReportCandidateToUpper,
    /// 2026: 公示 of at least five working days before listing (no number in the 25 steps).
    CandidatePublicity,
    /// (7) 确定发展对象
    ListCandidate,
    /// (9) 确定入党介绍人
    AssignSponsors,
    /// (10) 进行政治审查
    PoliticalReview,
    /// (11) 开展集中培训
    Training,
    /// (12) 支部委员会审查
    CommitteeReview,
    /// (13) 上级党委预审
    Pretrial,
    /// (14) 填写入党志愿书
    FillApplicationForm,
    /// (15) 支部大会讨论
    AdmissionVote,
    /// (16) 上级党委派人谈话
    UpperTalk,
    /// (17) 上级党委审批
    AdmissionApproval,
    /// (18) 再上一级党委组织部门备案
    ApprovalFiled,
    /// (19) 编入党支部和党小组
    AssignToGroup,
    /// (20) 入党宣誓
    Oath,
    /// (21) 继续教育考察
    ProbationEducation,
    /// (22) 提出转正申请
    ConversionApplication,
    /// (23) 支部大会讨论
    ConversionVote,
    /// (24) 上级党委审批
    ConversionApproval,
    /// (25) 材料归档
    Archive,
}

impl AdmissionStep {
    /// The number in the 25-step list; the 2026 publicity has none.
    pub fn number(self) -> Option<u8> {
        use AdmissionStep::*;
        Some(match self {
            SubmitApplication => 1,
            ApplicationTalk => 2,
            DetermineActivist => 3,
            FileActivist => 4,
            AssignMentors => 5,
            ActivistReview => 6,
            ListCandidate => 7,
            ReportCandidateToUpper => 8,
            CandidatePublicity => return None,
            AssignSponsors => 9,
            PoliticalReview => 10,
            Training => 11,
            CommitteeReview => 12,
            Pretrial => 13,
            FillApplicationForm => 14,
            AdmissionVote => 15,
            UpperTalk => 16,
            AdmissionApproval => 17,
            ApprovalFiled => 18,
            AssignToGroup => 19,
            Oath => 20,
            ProbationEducation => 21,
            ConversionApplication => 22,
            ConversionVote => 23,
            ConversionApproval => 24,
            Archive => 25,
        })
    }

    pub fn stage(self) -> AdmissionStage {
        use AdmissionStep::*;
        match self {
            SubmitApplication | ApplicationTalk => AdmissionStage::Application,
            DetermineActivist | FileActivist | AssignMentors | ActivistReview => {
                AdmissionStage::Activist
            }
            ReportCandidateToUpper
            | CandidatePublicity
            | ListCandidate
            | AssignSponsors
            | PoliticalReview
            | Training => AdmissionStage::DevelopmentCandidate,
            CommitteeReview | Pretrial | FillApplicationForm | AdmissionVote | UpperTalk
            | AdmissionApproval | ApprovalFiled => AdmissionStage::Admission,
            AssignToGroup
            | Oath
            | ProbationEducation
            | ConversionApplication
            | ConversionVote
            | ConversionApproval
            | Archive => AdmissionStage::Probation,
        }
    }

    pub fn name_zh(self, version: AdmissionRuleSet) -> &'static str {
        use AdmissionStep::*;
        match self {
            SubmitApplication => "递交入党申请书",
            ApplicationTalk => "党组织派人谈话",
            DetermineActivist => "推荐和确定入党积极分子",
            FileActivist => "上级党委备案",
            AssignMentors => "指定培养联系人",
            ActivistReview => "培养教育考察",
            ReportCandidateToUpper => match version {
                AdmissionRuleSet::Rules2014 => "报上级党委备案",
                AdmissionRuleSet::Rules2026 => "报上级党委同意",
            },
            CandidatePublicity => "公示",
            ListCandidate => "确定发展对象",
            AssignSponsors => "确定入党介绍人",
            PoliticalReview => "进行政治审查",
            Training => "开展集中培训",
            CommitteeReview => "支部委员会审查",
            Pretrial => "上级党委预审",
            FillApplicationForm => "填写入党志愿书",
            AdmissionVote => "支部大会讨论",
            UpperTalk => "上级党委派人谈话",
            AdmissionApproval => "上级党委审批",
            ApprovalFiled => "再上一级党委组织部门备案",
            AssignToGroup => "编入党支部和党小组",
            Oath => "入党宣誓",
            ProbationEducation => "继续教育考察",
            ConversionApplication => "提出转正申请",
            ConversionVote => "支部大会讨论转正",
            ConversionApproval => "上级党委审批转正",
            Archive => "材料归档",
        }
    }

    pub fn name_en(self, version: AdmissionRuleSet) -> &'static str {
        use AdmissionStep::*;
        match self {
            SubmitApplication => "application handed in",
            ApplicationTalk => "talk with the applicant",
            DetermineActivist => "activist selected",
            FileActivist => "activist filed with the upper committee",
            AssignMentors => "mentors assigned",
            ActivistReview => "half-yearly review of the activist",
            ReportCandidateToUpper => match version {
                AdmissionRuleSet::Rules2014 => "candidate filed with the upper committee",
                AdmissionRuleSet::Rules2026 => "upper committee consents to the listing",
            },
            CandidatePublicity => "publicity of the proposed listing",
            ListCandidate => "development candidate listed",
            AssignSponsors => "sponsors assigned",
            PoliticalReview => "political review",
            Training => "concentrated training",
            CommitteeReview => "branch committee review",
            Pretrial => "pre-review by the upper committee",
            FillApplicationForm => "application form filled in",
            AdmissionVote => "general meeting votes on admission",
            UpperTalk => "talk by the upper committee",
            AdmissionApproval => "upper committee approves admission",
            ApprovalFiled => "approval filed with the organization department above",
            AssignToGroup => "placed in the branch and a Party group",
            Oath => "oath",
            ProbationEducation => "education and observation during probation",
            ConversionApplication => "application for conversion",
            ConversionVote => "general meeting votes on conversion",
            ConversionApproval => "upper committee approves conversion",
            Archive => "papers archived",
        }
    }
}

/// Who takes part in a step, as the step records them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeopleNeeded {
    /// The rule that says how many.
    pub rule_id: &'static str,
    pub role_zh: &'static str,
    pub role_en: &'static str,
    /// At least this many named with the step.
    pub min: usize,
    /// At most this many in all (those already recorded included).
    pub max: usize,
}

impl AdmissionStep {
    /// The people the step names: talkers for the two talks (第七条, 第二十三条), one or two mentors
    /// (第九条), two sponsors (第十四条). `None` for steps that name nobody.
    pub fn people_needed(self) -> Option<PeopleNeeded> {
        use AdmissionStep::*;
        Some(match self {
            ApplicationTalk => PeopleNeeded {
                rule_id: "RECRUIT.TALK.WITHIN_1_MONTH",
                role_zh: "谈话人",
                role_en: "talkers",
                min: 1,
                max: usize::MAX,
            },
            UpperTalk => PeopleNeeded {
                rule_id: "RECRUIT.APPROVAL.PRE_TALK",
                role_zh: "谈话人",
                role_en: "talkers",
                min: 1,
                max: usize::MAX,
            },
            AssignMentors => PeopleNeeded {
                rule_id: "RECRUIT.ACTIVIST.CONTACTS_1_2",
                role_zh: "培养联系人",
                role_en: "mentors",
                min: 1,
                max: 2,
            },
            AssignSponsors => PeopleNeeded {
                rule_id: "RECRUIT.INTRODUCERS_2",
                role_zh: "入党介绍人",
                role_en: "sponsors",
                min: 1,
                max: 2,
            },
            _ => return None,
        })
    }

    /// The papers a branch usually receives at this step (细则 第六条, 第十二条, 第十六条, 第十八条,
    /// 第三十二条, 第三十六条): offered first on the form; any paper may be recorded with any step.
    pub fn documents_received(self) -> &'static [AdmissionDocument] {
        use AdmissionStep::*;
        match self {
            SubmitApplication => &[AdmissionDocument::ApplicationLetter],
            DetermineActivist => &[AdmissionDocument::ActivistRegister],
            ActivistReview => &[AdmissionDocument::ThoughtReport],
            PoliticalReview => &[AdmissionDocument::PoliticalReviewConclusion],
            FillApplicationForm => &[AdmissionDocument::ApplicationForm],
            AssignToGroup => &[AdmissionDocument::ProbationRegister],
            ProbationEducation => &[AdmissionDocument::ThoughtReport],
            ConversionApplication => &[AdmissionDocument::ConversionApplication],
            _ => &[],
        }
    }

    /// Steps at which the approving Party committee is named: from the pre-review on (第十八条,
    /// 第二十二条).
    pub fn names_approving_committee(self) -> bool {
        matches!(
            self,
            AdmissionStep::Pretrial
                | AdmissionStep::AdmissionApproval
                | AdmissionStep::ConversionApproval
        )
    }
}
