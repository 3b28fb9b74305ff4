//! The admission record: one person's way from application to full membership, step by step, with
//! the dates, the people involved, the documents received and the reasons recorded.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{AdmissionRecordId, AdmissionStep, check};
use crate::ValidationErrors;
use crate::calendar::{add_months, add_years};
use crate::domain::{MeetingId, MemberId, OrgId, Record, RecordKind, RecordedOutcome};
use crate::voting::VoteCounts;

/// The person in the pipeline. They are not a member yet, so they are not a `Member` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdmissionPerson {
    pub name: String,
    pub birth_date: NaiveDate,
    /// The branch that keeps the record now; after a transfer, the receiving branch.
    pub branch_id: OrgId,
    /// 流动人员: a proposed listing is publicised both where they left and where they are (第十三条).
    #[serde(default)]
    pub mobile: bool,
}

/// A talk with the person: the one after the application (step 2) or the upper committee's talk
/// before approval (step 16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PersonTalk {
    pub held_on: NaiveDate,
    pub talkers: Vec<MemberId>,
}

/// A mentor (培养联系人) assigned to the activist; replaced mentors keep their assignment with the
/// day they were released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MentorAssignment {
    pub member_id: MemberId,
    pub assigned_on: NaiveDate,
    #[serde(default)]
    pub released_on: Option<NaiveDate>,
}

impl MentorAssignment {
    pub fn is_active_on(&self, date: NaiveDate) -> bool {
        self.assigned_on <= date && self.released_on.is_none_or(|released| date < released)
    }
}

/// An activist arriving from another Party organization with their file (第十二条). Their time as
/// activist counts on from the original determination date: the record keeps that date in
/// `activist_determined_on`, and the transfer is recorded here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivistTransfer {
    pub received_on: NaiveDate,
    pub from_org: String,
}

/// Where a proposed listing was publicised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PublicityPlace {
    /// 工作、学习单位
    WorkOrStudyUnit,
    /// 居住地
    Residence,
    /// 流出地 (mobile people)
    OutflowPlace,
    /// 流入地 (mobile people)
    InflowPlace,
}

impl PublicityPlace {
    pub fn name_zh(self) -> &'static str {
        match self {
            PublicityPlace::WorkOrStudyUnit => "工作、学习单位",
            PublicityPlace::Residence => "居住地",
            PublicityPlace::OutflowPlace => "流出地",
            PublicityPlace::InflowPlace => "流入地",
        }
    }
}

/// A publicity period (公示), first and last day included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Publicity {
    pub place: PublicityPlace,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

/// A sponsor (入党介绍人).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SponsorAssignment {
    pub member_id: MemberId,
    pub assigned_on: NaiveDate,
}

/// The concentrated training of a development candidate (step 11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Training {
    pub finished_on: NaiveDate,
    /// Days of training.
    pub days: u32,
    /// Class hours (学时).
    pub hours: u32,
}

/// A general-meeting vote as the resolution records it (第二十一条: expected and present voting
/// members, the result, the date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordedVote {
    pub held_on: NaiveDate,
    /// The meeting record, once meetings and admission records are linked in storage.
    #[serde(default)]
    pub meeting_id: Option<MeetingId>,
    pub counts: VoteCounts,
    pub recorded_outcome: RecordedOutcome,
}

impl RecordedVote {
    pub fn passed(&self) -> bool {
        self.recorded_outcome == RecordedOutcome::Passed
    }
}

/// What the branch general meeting's resolution to admit records beside the counts, the result and
/// the date, which are in [`AdmissionRecord::admission_vote`] (细则 第二十一条: 发展对象的主要表现；
/// 应到会和实际到会有表决权的党员人数；表决结果；通过决议的日期；党支部书记签名).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdmissionResolution {
    /// 发展对象的主要表现.
    #[serde(default)]
    pub main_performance: String,
    /// 党支部书记签名: the secretary who signed the resolution.
    #[serde(default)]
    pub signed_by_secretary: Option<MemberId>,
}

/// The upper committee's decision (审批).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub decided_on: NaiveDate,
    pub approved: bool,
}

/// What the general meeting decides at the end of probation (第三十一条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbationProposal {
    /// 转为正式党员
    Convert,
    /// 延长预备期, by `months`
    Extend { months: u32 },
    /// 取消预备党员资格
    Cancel,
}

/// One vote at the end of probation, with the upper committee's decision on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProbationDecision {
    pub proposal: ProbationProposal,
    pub vote: RecordedVote,
    #[serde(default)]
    pub approval: Option<Approval>,
}

impl ProbationDecision {
    /// Passed by the branch and not turned down above: it shapes the probation.
    pub fn is_adopted(&self) -> bool {
        self.vote.passed()
            && self
                .approval
                .as_ref()
                .is_none_or(|approval| approval.approved)
    }

    pub fn is_approved(&self) -> bool {
        self.vote.passed()
            && self
                .approval
                .as_ref()
                .is_some_and(|approval| approval.approved)
    }
}

/// Papers the branch has received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AdmissionDocument {
    /// 入党申请书
    ApplicationLetter,
    /// 思想汇报
    ThoughtReport,
    /// 入党积极分子培养考察登记表
    ActivistRegister,
    /// 政治审查结论性材料
    PoliticalReviewConclusion,
    /// 入党志愿书
    ApplicationForm,
    /// 预备党员教育考察登记表
    ProbationRegister,
    /// 转正申请书
    ConversionApplication,
    Other {
        name: String,
    },
}

impl AdmissionDocument {
    /// The papers with a name of their own, in the order they usually arrive.
    pub const NAMED: [AdmissionDocument; 7] = [
        AdmissionDocument::ApplicationLetter,
        AdmissionDocument::ThoughtReport,
        AdmissionDocument::ActivistRegister,
        AdmissionDocument::PoliticalReviewConclusion,
        AdmissionDocument::ApplicationForm,
        AdmissionDocument::ProbationRegister,
        AdmissionDocument::ConversionApplication,
    ];

    pub fn name_zh(&self) -> &str {
        match self {
            AdmissionDocument::ApplicationLetter => "入党申请书",
            AdmissionDocument::ThoughtReport => "思想汇报",
            AdmissionDocument::ActivistRegister => "入党积极分子培养考察登记表",
            AdmissionDocument::PoliticalReviewConclusion => "政治审查结论性材料",
            AdmissionDocument::ApplicationForm => "入党志愿书",
            AdmissionDocument::ProbationRegister => "预备党员教育考察登记表",
            AdmissionDocument::ConversionApplication => "转正申请书",
            AdmissionDocument::Other { name } => name,
        }
    }

    pub fn name_en(&self) -> &str {
        match self {
            AdmissionDocument::ApplicationLetter => "application letter",
            AdmissionDocument::ThoughtReport => "thought report",
            AdmissionDocument::ActivistRegister => "activist training and review register",
            AdmissionDocument::PoliticalReviewConclusion => "political review conclusion",
            AdmissionDocument::ApplicationForm => "application form (入党志愿书)",
            AdmissionDocument::ProbationRegister => "probation education and review register",
            AdmissionDocument::ConversionApplication => "application for conversion",
            AdmissionDocument::Other { name } => name,
        }
    }

    /// The wire and form value of a named paper (`other` for the rest).
    pub fn kind_str(&self) -> &'static str {
        match self {
            AdmissionDocument::ApplicationLetter => "application_letter",
            AdmissionDocument::ThoughtReport => "thought_report",
            AdmissionDocument::ActivistRegister => "activist_register",
            AdmissionDocument::PoliticalReviewConclusion => "political_review_conclusion",
            AdmissionDocument::ApplicationForm => "application_form",
            AdmissionDocument::ProbationRegister => "probation_register",
            AdmissionDocument::ConversionApplication => "conversion_application",
            AdmissionDocument::Other { .. } => "other",
        }
    }

    /// The named paper with this form value.
    pub fn named(kind: &str) -> Option<AdmissionDocument> {
        AdmissionDocument::NAMED
            .into_iter()
            .find(|document| document.kind_str() == kind)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DocumentReceived {
    pub document: AdmissionDocument,
    pub received_on: NaiveDate,
}

/// What a recorded reason explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReasonSubject {
    /// 特殊情况延长审批时间 (第二十五条): allows approval up to six months after the vote.
    ApprovalDelay,
    /// 个别特殊情况 without training (第十七条).
    UntrainedException,
    /// A step done after its time limit. The record is accepted so that the true date can be kept,
    /// and the breach is still reported; without this reason a late step is refused.
    LateStep { step: AdmissionStep },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordedReason {
    pub subject: ReasonSubject,
    pub reason: String,
    pub recorded_on: NaiveDate,
}

/// One person's admission, from application (step 1) to archive (step 25). Each later step is
/// empty until it happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdmissionRecord {
    pub person: AdmissionPerson,
    /// (1) the day the Party organization received the written application.
    pub application_received_on: NaiveDate,
    /// (2)
    #[serde(default)]
    pub application_talk: Option<PersonTalk>,
    /// (3) the original determination date, also after a transfer (培养教育时间可以连续计算).
    #[serde(default)]
    pub activist_determined_on: Option<NaiveDate>,
    /// (4)
    #[serde(default)]
    pub activist_filed_on: Option<NaiveDate>,
    /// (5) one or two at a time.
    #[serde(default)]
    pub mentors: Vec<MentorAssignment>,
    /// (6) one review every half year.
    #[serde(default)]
    pub activist_reviews: Vec<NaiveDate>,
    #[serde(default)]
    pub activist_transfers: Vec<ActivistTransfer>,
    /// (8) 2014: filing with the upper committee after listing; 2026: its consent before publicity.
    #[serde(default)]
    pub candidate_reported_to_upper_on: Option<NaiveDate>,
    /// 2026: at least five working days before listing.
    #[serde(default)]
    pub publicity: Vec<Publicity>,
    /// (7)
    #[serde(default)]
    pub candidate_listed_on: Option<NaiveDate>,
    /// (9) exactly two by the vote.
    #[serde(default)]
    pub sponsors: Vec<SponsorAssignment>,
    /// (10) the day the conclusion was written.
    #[serde(default)]
    pub political_review_concluded_on: Option<NaiveDate>,
    /// (11)
    #[serde(default)]
    pub training: Option<Training>,
    /// (12)
    #[serde(default)]
    pub committee_review_on: Option<NaiveDate>,
    /// (13)
    #[serde(default)]
    pub pretrial_passed_on: Option<NaiveDate>,
    /// (14)
    #[serde(default)]
    pub application_form_issued_on: Option<NaiveDate>,
    /// (15)
    #[serde(default)]
    pub admission_vote: Option<RecordedVote>,
    /// The resolution's own fields (main performance, the secretary's signature); absent in
    /// bodies written before they were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admission_resolution: Option<AdmissionResolution>,
    /// (16)
    #[serde(default)]
    pub upper_talk: Option<PersonTalk>,
    /// (17)
    #[serde(default)]
    pub admission_approval: Option<Approval>,
    /// The Party committee with the authority to approve (具有审批权限的基层党委), named from the
    /// pre-review on: it must be a 党委 (or 工委) above the branch, never a 党总支 (第二十二条).
    #[serde(default)]
    pub approving_committee: Option<OrgId>,
    /// (18)
    #[serde(default)]
    pub approval_filed_on: Option<NaiveDate>,
    /// (19)
    #[serde(default)]
    pub assigned_to_group_on: Option<NaiveDate>,
    /// (20)
    #[serde(default)]
    pub oath_on: Option<NaiveDate>,
    /// (21)
    #[serde(default)]
    pub probation_reviews: Vec<NaiveDate>,
    /// A probationary member who arrived by transfer: the conversion discussion may be postponed
    /// by at most six months (第三十五条).
    #[serde(default)]
    pub transferred_in_during_probation_on: Option<NaiveDate>,
    /// (22)
    #[serde(default)]
    pub conversion_application_on: Option<NaiveDate>,
    /// (23, 24) in date order: at most one extension, then conversion or cancellation.
    #[serde(default)]
    pub probation_decisions: Vec<ProbationDecision>,
    /// (25)
    #[serde(default)]
    pub archived_on: Option<NaiveDate>,
    #[serde(default)]
    pub documents: Vec<DocumentReceived>,
    #[serde(default)]
    pub reasons: Vec<RecordedReason>,
}

impl AdmissionRecord {
    /// A record that has only its application.
    pub fn new(person: AdmissionPerson, application_received_on: NaiveDate) -> AdmissionRecord {
        AdmissionRecord {
            person,
            application_received_on,
            application_talk: None,
            activist_determined_on: None,
            activist_filed_on: None,
            mentors: Vec::new(),
            activist_reviews: Vec::new(),
            activist_transfers: Vec::new(),
            candidate_reported_to_upper_on: None,
            publicity: Vec::new(),
            candidate_listed_on: None,
            sponsors: Vec::new(),
            political_review_concluded_on: None,
            training: None,
            committee_review_on: None,
            pretrial_passed_on: None,
            application_form_issued_on: None,
            admission_vote: None,
            admission_resolution: None,
            upper_talk: None,
            admission_approval: None,
            approving_committee: None,
            approval_filed_on: None,
            assigned_to_group_on: None,
            oath_on: None,
            probation_reviews: Vec::new(),
            transferred_in_during_probation_on: None,
            conversion_application_on: None,
            probation_decisions: Vec::new(),
            archived_on: None,
            documents: Vec::new(),
            reasons: Vec::new(),
        }
    }

    pub fn has_reason(&self, subject: ReasonSubject) -> bool {
        self.reasons
            .iter()
            .any(|reason| reason.subject == subject && !reason.reason.trim().is_empty())
    }

    /// The day the general meeting admitted the person, if it did and the upper committee has not
    /// turned it down: probation (and 党籍) start that day.
    pub fn probation_start(&self) -> Option<NaiveDate> {
        let vote = self.admission_vote.as_ref().filter(|vote| vote.passed())?;
        if self
            .admission_approval
            .as_ref()
            .is_some_and(|approval| !approval.approved)
        {
            return None;
        }
        Some(vote.held_on)
    }

    /// Whether the upper committee approved the admission.
    pub fn is_admitted(&self) -> bool {
        self.probation_start().is_some()
            && self
                .admission_approval
                .as_ref()
                .is_some_and(|approval| approval.approved)
    }

    /// One year from the vote (29 February + 1 year = 28 February), plus an adopted extension.
    pub fn probation_end(&self) -> Option<NaiveDate> {
        let original = add_years(self.probation_start()?, 1);
        let extension = self
            .probation_decisions
            .iter()
            .filter(|decision| decision.is_adopted())
            .find_map(|decision| match decision.proposal {
                ProbationProposal::Extend { months } => Some(months),
                _ => None,
            });
        Some(match extension {
            Some(months) => add_months(original, i32::try_from(months).unwrap_or(i32::MAX / 12)),
            None => original,
        })
    }

    /// The conversion decision that was approved, if any.
    pub fn approved_conversion(&self) -> Option<&ProbationDecision> {
        self.probation_decisions.iter().find(|decision| {
            decision.proposal == ProbationProposal::Convert && decision.is_approved()
        })
    }

    /// Party standing (党龄) counts from the end of probation, original or extended, once the
    /// conversion is approved (第三十三条).
    pub fn party_standing_from(&self) -> Option<NaiveDate> {
        self.approved_conversion()?;
        self.probation_end()
    }

    /// The pipeline has stopped: admission rejected or turned down, probation cancelled, or the
    /// papers archived. A new attempt starts a new record.
    pub fn is_closed(&self) -> bool {
        let rejected = self
            .admission_vote
            .as_ref()
            .is_some_and(|vote| !vote.passed());
        let turned_down = self
            .admission_approval
            .as_ref()
            .is_some_and(|approval| !approval.approved);
        let cancelled = self.probation_decisions.iter().any(|decision| {
            decision.proposal == ProbationProposal::Cancel && decision.is_adopted()
        });
        rejected || turned_down || cancelled || self.archived_on.is_some()
    }

    /// Every dated step, for the record's event date.
    fn dates(&self) -> Vec<NaiveDate> {
        let mut dates = vec![self.application_received_on];
        dates.extend(self.application_talk.as_ref().map(|talk| talk.held_on));
        dates.extend(self.activist_determined_on);
        dates.extend(self.activist_filed_on);
        dates.extend(
            self.mentors
                .iter()
                .flat_map(|mentor| [Some(mentor.assigned_on), mentor.released_on])
                .flatten(),
        );
        dates.extend(self.activist_reviews.iter().copied());
        dates.extend(
            self.activist_transfers
                .iter()
                .map(|transfer| transfer.received_on),
        );
        dates.extend(self.candidate_reported_to_upper_on);
        dates.extend(self.publicity.iter().map(|publicity| publicity.last_day));
        dates.extend(self.candidate_listed_on);
        dates.extend(self.sponsors.iter().map(|sponsor| sponsor.assigned_on));
        dates.extend(self.political_review_concluded_on);
        dates.extend(self.training.as_ref().map(|training| training.finished_on));
        dates.extend(self.committee_review_on);
        dates.extend(self.pretrial_passed_on);
        dates.extend(self.application_form_issued_on);
        dates.extend(self.admission_vote.as_ref().map(|vote| vote.held_on));
        dates.extend(self.upper_talk.as_ref().map(|talk| talk.held_on));
        dates.extend(
            self.admission_approval
                .as_ref()
                .map(|approval| approval.decided_on),
        );
        dates.extend(self.approval_filed_on);
        dates.extend(self.assigned_to_group_on);
        dates.extend(self.oath_on);
        dates.extend(self.probation_reviews.iter().copied());
        dates.extend(self.transferred_in_during_probation_on);
        dates.extend(self.conversion_application_on);
        for decision in &self.probation_decisions {
            dates.push(decision.vote.held_on);
            dates.extend(
                decision
                    .approval
                    .as_ref()
                    .map(|approval| approval.decided_on),
            );
        }
        dates.extend(self.archived_on);
        dates
    }
}

impl Record for AdmissionRecord {
    const KIND: RecordKind = RecordKind::AdmissionRecord;
    type Id = AdmissionRecordId;

    fn scope_org(&self) -> Option<OrgId> {
        Some(self.person.branch_id)
    }

    /// The latest step recorded: each amendment that records a step dates the version by that step.
    fn event_date(&self) -> NaiveDate {
        self.dates()
            .into_iter()
            .max()
            .unwrap_or(self.application_received_on)
    }

    /// The checks that need nothing but the record: order of steps, time limits, counts. Checks of
    /// sponsors' and mentors' standing and of working days need [`super::AdmissionContext`] and run
    /// in [`super::validate_admission`].
    fn validate(&self) -> Result<(), ValidationErrors> {
        check::validate_without_context(self)
    }
}
