//! Validation of an admission record: every step against the rule version in force for it.
//!
//! Which version judges what:
//! - A step's own conditions (one year as activist before listing, publicity before listing,
//!   sponsors, political review and training before the vote) are judged by the version in force on
//!   the step's date: a candidate listed before 2026-05-11 needs no publicity.
//! - A time limit that runs from an earlier step ("within one month of the pre-review") is judged by
//!   the version in force on the day it starts to run: a limit the 2026 revision introduced does not
//!   run from a pre-review held before the revision took effect, since the branch could not have
//!   been bound by it then.
//!
//! What is refused and what is reported:
//! - Steps out of order, missing prerequisites and hard conditions (age, sponsors who are not full
//!   members in good standing, no political review or training before the vote, vote counts that
//!   cannot be true) are refused.
//! - A step done after its hard time limit is refused unless the record carries a reason for the
//!   delay (`ReasonSubject::LateStep`); with the reason it is accepted, so the true date can be
//!   kept, and still reported as an error finding. Refusing outright would leave a branch that
//!   missed a deadline the choice between not recording the step and recording a false date.
//! - Rules worded 一般 (normally) — the oath within one month, training of three days or 24 hours,
//!   sponsors within a lesser sanction's influence period — give warnings, never refusals.

use chrono::NaiveDate;
use serde::Serialize;

use super::{
    AdmissionCitation, AdmissionRecord, AdmissionRuleSet, AdmissionStep, ProbationProposal,
    PublicityPlace, ReasonSubject,
};
use super::{AdmissionDocument, citation, rule_in_force};
use crate::calendar::{add_months, add_years};
use crate::domain::{Member, MemberId, MemberStatus};
use crate::rules::Severity;
use crate::voting::{VoteCounts, VoteRules};
use crate::workdays::WorkdayCalendar;
use crate::{FieldError, ValidationErrors};

const AGE: &str = "RECRUIT.APPLY.AGE_AND_CONDITIONS";
const TALK: &str = "RECRUIT.TALK.WITHIN_1_MONTH";
const DETERMINATION: &str = "RECRUIT.ACTIVIST.DETERMINATION";
const MENTORS: &str = "RECRUIT.ACTIVIST.CONTACTS_1_2";
const HALF_YEAR_REVIEW: &str = "RECRUIT.ACTIVIST.HALF_YEAR_REVIEW";
const TRANSFER: &str = "RECRUIT.ACTIVIST.TRANSFER_CONTINUITY";
const LISTING: &str = "RECRUIT.TARGET.ONE_YEAR_AND_PUBLICITY";
const SPONSORS: &str = "RECRUIT.INTRODUCERS_2";
const POLITICAL_REVIEW: &str = "RECRUIT.POLITICAL_REVIEW";
const TRAINING: &str = "RECRUIT.TRAINING.3DAYS_24H";
const PRETRIAL: &str = "RECRUIT.PRETRIAL";
const VOTE_WITHIN_MONTH: &str = "RECRUIT.MEETING.WITHIN_1_MONTH_OF_PRETRIAL";
const QUORUM: &str = "RECRUIT.MEETING.QUORUM";
const MAJORITY: &str = "RECRUIT.MEETING.MAJORITY_AND_WRITTEN_VOTES";
const PRE_TALK: &str = "RECRUIT.APPROVAL.PRE_TALK";
const APPROVAL: &str = "RECRUIT.APPROVAL.WITHIN_3_MONTHS";
const OATH: &str = "RECRUIT.OATH.WITHIN_1_MONTH";
const PROBATION: &str = "RECRUIT.PROBATION.ONE_YEAR_AND_OUTCOMES";
const CONVERSION: &str = "RECRUIT.CONVERSION.PROCEDURE_AND_VOTE";
const CONVERSION_APPROVAL: &str = "RECRUIT.CONVERSION.APPROVAL_3M_AND_PARTY_AGE";
const TRANSFER_IN: &str = "RECRUIT.TRANSFER_IN.POSTPONE_6M";
const ARCHIVE: &str = "RECRUIT.ARCHIVE";

/// A person's standing in the Party on a day, as the validator needs it for sponsors and mentors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Standing {
    pub status: MemberStatus,
    /// Within the influence period (影响期) of 警告, 严重警告 or 撤销党内职务: such a member 不宜作入党介绍人.
    pub in_discipline_influence_period: bool,
}

/// What the validator needs beyond the record: the standing of sponsors and mentors on a given
/// day, and the working-day calendar.
pub struct AdmissionContext<'a> {
    pub calendar: &'a WorkdayCalendar,
    pub standing: &'a dyn Fn(MemberId, NaiveDate) -> Option<Standing>,
}

/// The standing of `member` on `date` from member records: the status ([`Member::status_on`])
/// and whether a recorded 警告, 严重警告 or 撤销党内职务 is within its influence period that day
/// ([`Member::in_sanction_influence_period_on`], first and last day included).
pub fn standing_from_members(
    members: &[(MemberId, &Member)],
    member: MemberId,
    date: NaiveDate,
) -> Option<Standing> {
    let (_, record) = members.iter().find(|(id, _)| *id == member)?;
    let status = record.status_on(date)?;
    Some(Standing {
        status,
        in_discipline_influence_period: record.in_sanction_influence_period_on(date),
    })
}

/// One problem found in an admission record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdmissionFinding {
    /// The field, as a path into the record (`sponsors[1].member_id`).
    pub field: String,
    pub rule_id: &'static str,
    pub severity: Severity,
    /// Whether the record is refused because of it.
    pub refused: bool,
    pub message_zh: String,
    pub message_en: String,
    pub citation: AdmissionCitation,
}

/// Every problem in the record, refused or not.
pub fn admission_findings(
    record: &AdmissionRecord,
    context: &AdmissionContext<'_>,
) -> Vec<AdmissionFinding> {
    run(record, Some(context)).findings
}

/// Refuses a record with out-of-order steps or hard-rule breaches, naming each field and citing
/// each rule. Warnings and explained late steps do not refuse; [`admission_findings`] lists them.
pub fn validate_admission(
    record: &AdmissionRecord,
    context: &AdmissionContext<'_>,
) -> Result<(), ValidationErrors> {
    run(record, Some(context)).into_result()
}

pub(super) fn validate_without_context(record: &AdmissionRecord) -> Result<(), ValidationErrors> {
    run(record, None).into_result()
}

fn v(date: NaiveDate) -> AdmissionRuleSet {
    AdmissionRuleSet::in_force_on(date)
}

fn run<'r>(record: &'r AdmissionRecord, context: Option<&AdmissionContext<'_>>) -> Checker<'r> {
    let mut checker = Checker {
        record,
        findings: Vec::new(),
        plain: ValidationErrors::new(),
    };
    checker.person();
    checker.application_stage();
    checker.activist_stage(context);
    checker.candidate_stage(context);
    checker.admission_stage(context);
    checker.probation_stage();
    checker.papers();
    checker
}

struct Checker<'r> {
    record: &'r AdmissionRecord,
    findings: Vec<AdmissionFinding>,
    /// Problems with no rule behind them (an empty name), refused all the same.
    plain: ValidationErrors,
}

impl Checker<'_> {
    fn into_result(self) -> Result<(), ValidationErrors> {
        let mut errors = self.plain;
        for finding in self.findings.into_iter().filter(|finding| finding.refused) {
            errors.push(FieldError::new(
                finding.field,
                finding.rule_id,
                finding.message_zh,
                finding.message_en,
            ));
        }
        errors.into_result()
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        rule_id: &'static str,
        version: AdmissionRuleSet,
        field: String,
        severity: Severity,
        refused: bool,
        zh: String,
        en: String,
    ) {
        let citation = citation(rule_id, version);
        let message_zh = format!("{zh}{}", citation.suffix_zh());
        let message_en = format!("{en} {}", citation.suffix_en());
        self.findings.push(AdmissionFinding {
            field,
            rule_id,
            severity,
            refused,
            message_zh,
            message_en,
            citation,
        });
    }

    fn refuse(
        &mut self,
        rule_id: &'static str,
        version: AdmissionRuleSet,
        field: impl Into<String>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.push(
            rule_id,
            version,
            field.into(),
            Severity::Error,
            true,
            zh.into(),
            en.into(),
        );
    }

    fn warn(
        &mut self,
        rule_id: &'static str,
        version: AdmissionRuleSet,
        field: impl Into<String>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.push(
            rule_id,
            version,
            field.into(),
            Severity::Warning,
            false,
            zh.into(),
            en.into(),
        );
    }

    /// A step after its time limit: refused unless the record explains the delay.
    fn late(
        &mut self,
        rule_id: &'static str,
        version: AdmissionRuleSet,
        step: AdmissionStep,
        field: impl Into<String>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) {
        let (zh, en) = (zh.into(), en.into());
        if self.record.has_reason(ReasonSubject::LateStep { step }) {
            self.push(
                rule_id,
                version,
                field.into(),
                Severity::Error,
                false,
                format!("{zh}（已记录逾期原因）"),
                format!("{en} (the reason for the delay is recorded)"),
            );
        } else {
            self.push(
                rule_id,
                version,
                field.into(),
                Severity::Error,
                true,
                format!("{zh}；如确系逾期办理，须在记录中写明逾期原因"),
                format!("{en}; if the step really was late, record the reason for the delay"),
            );
        }
    }

    /// Refuses `later` dated before `earlier`, the step it depends on.
    #[allow(clippy::too_many_arguments)]
    fn order(
        &mut self,
        rule_id: &'static str,
        field: impl Into<String>,
        later: NaiveDate,
        later_name: (&str, &str),
        earlier: NaiveDate,
        earlier_name: (&str, &str),
    ) {
        if later < earlier {
            self.refuse(
                rule_id,
                v(later),
                field,
                format!(
                    "{}（{later}）早于其所依赖的{}（{earlier}）",
                    later_name.0, earlier_name.0
                ),
                format!(
                    "{} ({later}) is dated before {} ({earlier}), which it depends on",
                    later_name.1, earlier_name.1
                ),
            );
        }
    }

    /// Records the errors of a vote's counts and a recorded outcome that the counts contradict.
    fn vote_counts(
        &mut self,
        prefix: &str,
        counts: &VoteCounts,
        rules: &VoteRules,
        recorded_passed: bool,
        version: AdmissionRuleSet,
    ) {
        match counts.decide(rules) {
            Err(errors) => {
                for error in errors.errors {
                    let rule_id = [QUORUM, MAJORITY, CONVERSION]
                        .into_iter()
                        .find(|id| *id == error.code)
                        .unwrap_or(rules.passage_rule);
                    self.findings.push(AdmissionFinding {
                        field: format!("{prefix}counts.{}", error.field),
                        rule_id,
                        severity: Severity::Error,
                        refused: true,
                        message_zh: error.message_zh,
                        message_en: error.message_en,
                        citation: citation(rule_id, version),
                    });
                }
            }
            Ok(decision) if decision.passed != recorded_passed => {
                let rule_id = if decision.quorum_met {
                    rules.passage_rule
                } else {
                    rules.quorum_rule
                };
                let (zh, en) = if recorded_passed {
                    (
                        format!("记录为通过，但{}", decision.message_zh),
                        format!("recorded as passed, but {}", decision.message_en),
                    )
                } else {
                    (
                        format!("记录为未通过，但{}", decision.message_zh),
                        format!("recorded as not passed, but {}", decision.message_en),
                    )
                };
                self.findings.push(AdmissionFinding {
                    field: format!("{prefix}recorded_outcome"),
                    rule_id,
                    severity: Severity::Error,
                    refused: true,
                    message_zh: zh,
                    message_en: en,
                    citation: citation(rule_id, version),
                });
            }
            Ok(_) => {}
        }
    }

    fn person(&mut self) {
        let record = self.record;
        if record.person.name.trim().is_empty() {
            self.plain.add(
                "person.name",
                "required",
                "姓名不能为空",
                "the name must not be empty",
            );
        }
        let applied = record.application_received_on;
        let eighteen = add_years(record.person.birth_date, 18);
        if applied < eighteen {
            self.refuse(
                AGE,
                v(applied),
                "application_received_on",
                format!("收到入党申请书之日（{applied}）申请人未满十八岁（{eighteen}年满十八岁）"),
                format!("the applicant was under eighteen when the application was received on {applied} (eighteen on {eighteen})"),
            );
        }
    }

    fn application_stage(&mut self) {
        let record = self.record;
        let applied = record.application_received_on;
        let Some(talk) = &record.application_talk else {
            return;
        };
        self.order(
            TALK,
            "application_talk.held_on",
            talk.held_on,
            ("谈话日期", "the talk"),
            applied,
            ("收到入党申请书", "the application"),
        );
        let deadline = add_months(applied, 1);
        if talk.held_on > deadline {
            self.late(
                TALK,
                v(applied),
                AdmissionStep::ApplicationTalk,
                "application_talk.held_on",
                format!("谈话日期{}晚于收到入党申请书（{applied}）后一个月（{deadline}）", talk.held_on),
                format!("the talk on {} came later than one month after the application of {applied} (by {deadline})", talk.held_on),
            );
        }
        if talk.talkers.is_empty() {
            self.refuse(
                TALK,
                v(talk.held_on),
                "application_talk.talkers",
                "须记录谈话人",
                "record who held the talk",
            );
        }
    }

    fn activist_stage(&mut self, context: Option<&AdmissionContext<'_>>) {
        let record = self.record;
        let Some(determined) = record.activist_determined_on else {
            let later_steps = record.activist_filed_on.is_some()
                || !record.mentors.is_empty()
                || !record.activist_reviews.is_empty()
                || !record.activist_transfers.is_empty()
                || record.candidate_reported_to_upper_on.is_some()
                || !record.publicity.is_empty()
                || record.candidate_listed_on.is_some();
            if later_steps {
                self.refuse(
                    DETERMINATION,
                    v(record.application_received_on),
                    "activist_determined_on",
                    "尚未确定为入党积极分子，不能记录其后的步骤",
                    "later steps are recorded but the person was never selected as activist",
                );
            }
            return;
        };
        self.order(
            DETERMINATION,
            "activist_determined_on",
            determined,
            ("确定入党积极分子", "the selection as activist"),
            record.application_received_on,
            ("收到入党申请书", "the application"),
        );
        match &record.application_talk {
            None => self.refuse(
                TALK,
                v(determined),
                "application_talk",
                "确定入党积极分子前须记录收到申请书后的谈话",
                "the talk after the application must be recorded before an activist is selected",
            ),
            Some(talk) => self.order(
                DETERMINATION,
                "activist_determined_on",
                determined,
                ("确定入党积极分子", "the selection as activist"),
                talk.held_on,
                ("谈话", "the talk"),
            ),
        }
        if let Some(filed) = record.activist_filed_on {
            self.order(
                DETERMINATION,
                "activist_filed_on",
                filed,
                ("上级党委备案", "the filing"),
                determined,
                ("确定入党积极分子", "the selection as activist"),
            );
        }
        self.mentors(determined, context);
        self.activist_reviews(determined);
        for (index, transfer) in record.activist_transfers.iter().enumerate() {
            self.order(
                TRANSFER,
                format!("activist_transfers[{index}].received_on"),
                transfer.received_on,
                ("转入", "the transfer"),
                determined,
                ("确定入党积极分子", "the selection as activist"),
            );
            if transfer.from_org.trim().is_empty() {
                self.plain.add(
                    format!("activist_transfers[{index}].from_org"),
                    "required",
                    "须写明转出的党组织",
                    "name the organization the activist came from",
                );
            }
        }
        if let Some(first) = record.activist_transfers.first() {
            let has = |wanted: &AdmissionDocument| {
                record
                    .documents
                    .iter()
                    .any(|document| &document.document == wanted)
            };
            if !has(&AdmissionDocument::ApplicationLetter)
                || !has(&AdmissionDocument::ActivistRegister)
            {
                self.warn(
                    TRANSFER,
                    v(first.received_on),
                    "documents",
                    "积极分子转入时应收到入党申请书和入党积极分子培养考察登记表",
                    "an activist's transfer should bring the application letter and the activist register",
                );
            }
        }
    }

    fn mentors(&mut self, determined: NaiveDate, context: Option<&AdmissionContext<'_>>) {
        let record = self.record;
        for (index, mentor) in record.mentors.iter().enumerate() {
            self.order(
                MENTORS,
                format!("mentors[{index}].assigned_on"),
                mentor.assigned_on,
                ("指定培养联系人", "the mentor's assignment"),
                determined,
                ("确定入党积极分子", "the selection as activist"),
            );
            if let Some(released) = mentor.released_on
                && released <= mentor.assigned_on
            {
                self.plain.add(
                    format!("mentors[{index}].released_on"),
                    "not_after_assigned",
                    "培养联系人的调整日期须晚于指定日期",
                    "a mentor is released after being assigned",
                );
            }
            let active: Vec<&super::MentorAssignment> = record
                .mentors
                .iter()
                .filter(|other| other.is_active_on(mentor.assigned_on))
                .collect();
            if active.len() > 2 {
                self.refuse(
                    MENTORS,
                    v(mentor.assigned_on),
                    format!("mentors[{index}]"),
                    format!(
                        "{}同时有{}名培养联系人，最多两名",
                        mentor.assigned_on,
                        active.len()
                    ),
                    format!(
                        "{} mentors at once on {}; at most two",
                        active.len(),
                        mentor.assigned_on
                    ),
                );
            }
            if active
                .iter()
                .filter(|other| other.member_id == mentor.member_id)
                .count()
                > 1
            {
                self.plain.add(
                    format!("mentors[{index}].member_id"),
                    "duplicate",
                    "同一培养联系人重复指定",
                    "the same mentor is assigned twice",
                );
            }
            if let Some(context) = context {
                let standing = (context.standing)(mentor.member_id, mentor.assigned_on);
                if !standing.is_some_and(|standing| standing.status.is_full_member()) {
                    let status_zh =
                        standing.map_or("不是党员", |standing| standing.status.name_zh());
                    self.refuse(
                        MENTORS,
                        v(mentor.assigned_on),
                        format!("mentors[{index}].member_id"),
                        format!(
                            "培养联系人{}在{}不是正式党员（{status_zh}）",
                            mentor.member_id, mentor.assigned_on
                        ),
                        format!(
                            "mentor {} was not a full member on {}",
                            mentor.member_id, mentor.assigned_on
                        ),
                    );
                }
            }
        }
        if let Some(listed) = record.candidate_listed_on
            && !record
                .mentors
                .iter()
                .any(|mentor| mentor.assigned_on <= listed)
        {
            self.refuse(
                MENTORS,
                v(listed),
                "mentors",
                "确定发展对象前须已指定一至两名培养联系人",
                "one or two mentors must have been assigned before the listing",
            );
        }
    }

    fn activist_reviews(&mut self, determined: NaiveDate) {
        let record = self.record;
        let listed = record.candidate_listed_on;
        let mut reviews: Vec<(usize, NaiveDate)> = record
            .activist_reviews
            .iter()
            .copied()
            .enumerate()
            .collect();
        reviews.sort_by_key(|(_, date)| *date);
        let mut previous = determined;
        for (index, review) in reviews {
            if review < determined {
                self.order(
                    HALF_YEAR_REVIEW,
                    format!("activist_reviews[{index}]"),
                    review,
                    ("考察", "the review"),
                    determined,
                    ("确定入党积极分子", "the selection as activist"),
                );
                continue;
            }
            // Reviews after the listing belong to the candidate stage, not to the activist's half-year cycle.
            if listed.is_some_and(|listed| review > listed) {
                continue;
            }
            let due = add_months(previous, 6);
            if review > due {
                self.late(
                    HALF_YEAR_REVIEW,
                    v(previous),
                    AdmissionStep::ActivistReview,
                    format!("activist_reviews[{index}]"),
                    format!("考察（{review}）距上次（{previous}）超过半年，应不晚于{due}"),
                    format!("the review on {review} came more than half a year after {previous} (due by {due})"),
                );
            }
            previous = review;
        }
        if let Some(listed) = listed {
            let due = add_months(previous, 6);
            if listed > due {
                self.late(
                    HALF_YEAR_REVIEW,
                    v(previous),
                    AdmissionStep::ActivistReview,
                    "activist_reviews",
                    format!("确定发展对象（{listed}）前，自{previous}起超过半年未考察（应不晚于{due}）"),
                    format!("no review in the half year after {previous} before the listing on {listed} (due by {due})"),
                );
            }
        }
    }

    fn candidate_stage(&mut self, context: Option<&AdmissionContext<'_>>) {
        let record = self.record;
        for (index, publicity) in record.publicity.iter().enumerate() {
            if publicity.last_day < publicity.first_day {
                self.plain.add(
                    format!("publicity[{index}].last_day"),
                    "before_first_day",
                    "公示结束日期早于开始日期",
                    "the publicity ends before it starts",
                );
            }
        }
        let Some(listed) = record.candidate_listed_on else {
            let later_steps = !record.sponsors.is_empty()
                || record.political_review_concluded_on.is_some()
                || record.training.is_some()
                || record.committee_review_on.is_some()
                || record.pretrial_passed_on.is_some()
                || record.application_form_issued_on.is_some()
                || record.admission_vote.is_some();
            if later_steps {
                self.refuse(
                    LISTING,
                    v(record.application_received_on),
                    "candidate_listed_on",
                    "尚未确定为发展对象，不能记录其后的步骤",
                    "later steps are recorded but the person was never listed as development candidate",
                );
            }
            return;
        };
        let version = v(listed);
        if let Some(determined) = record.activist_determined_on {
            let one_year = add_years(determined, 1);
            if listed < one_year {
                let (carried_zh, carried_en) = if record.activist_transfers.is_empty() {
                    ("", "")
                } else {
                    (
                        "，转入前的培养时间已连续计算",
                        ", counting the time before the transfer",
                    )
                };
                self.refuse(
                    LISTING,
                    version,
                    "candidate_listed_on",
                    format!("确定为发展对象（{listed}）时培养教育和考察未满一年：自{determined}起，{one_year}方满一年{carried_zh}"),
                    format!("listed on {listed}, before a full year as activist: from {determined}, the year is complete on {one_year}{carried_en}"),
                );
            }
        }
        match version {
            AdmissionRuleSet::Rules2026 => self.listing_2026(listed, context),
            AdmissionRuleSet::Rules2014 => {
                if let Some(filed) = record.candidate_reported_to_upper_on {
                    self.order(
                        LISTING,
                        "candidate_reported_to_upper_on",
                        filed,
                        ("报上级党委备案", "the filing"),
                        listed,
                        ("确定发展对象", "the listing"),
                    );
                }
            }
        }
        let mut seen: Vec<MemberId> = Vec::new();
        for (index, sponsor) in record.sponsors.iter().enumerate() {
            self.order(
                SPONSORS,
                format!("sponsors[{index}].assigned_on"),
                sponsor.assigned_on,
                ("确定入党介绍人", "the sponsor's assignment"),
                listed,
                ("确定发展对象", "the listing"),
            );
            if seen.contains(&sponsor.member_id) {
                self.refuse(
                    SPONSORS,
                    v(sponsor.assigned_on),
                    format!("sponsors[{index}].member_id"),
                    "同一入党介绍人重复登记",
                    "the same sponsor is listed twice",
                );
            }
            seen.push(sponsor.member_id);
            if let Some(context) = context {
                self.sponsor_standing(index, sponsor.member_id, sponsor.assigned_on, context);
            }
        }
        if record.sponsors.len() > 2 {
            self.refuse(
                SPONSORS,
                version,
                "sponsors",
                format!("入党介绍人应为两名，现登记{}名", record.sponsors.len()),
                format!(
                    "a candidate has two sponsors; {} are recorded",
                    record.sponsors.len()
                ),
            );
        }
        if let Some(concluded) = record.political_review_concluded_on {
            self.order(
                POLITICAL_REVIEW,
                "political_review_concluded_on",
                concluded,
                ("政治审查结论", "the political review"),
                listed,
                ("确定发展对象", "the listing"),
            );
        }
        if let Some(training) = &record.training {
            self.order(
                TRAINING,
                "training.finished_on",
                training.finished_on,
                ("集中培训", "the training"),
                listed,
                ("确定发展对象", "the listing"),
            );
            if training.days < 3 && training.hours < 24 {
                self.warn(
                    TRAINING,
                    v(training.finished_on),
                    "training",
                    format!("集中培训{}天、{}学时，一般不少于三天或者不少于二十四个学时", training.days, training.hours),
                    format!("training of {} days and {} hours; normally at least three days or 24 hours", training.days, training.hours),
                );
            }
        }
    }

    fn listing_2026(&mut self, listed: NaiveDate, context: Option<&AdmissionContext<'_>>) {
        let record = self.record;
        let version = AdmissionRuleSet::Rules2026;
        let consent = record.candidate_reported_to_upper_on;
        match consent {
            None => self.refuse(
                LISTING,
                version,
                "candidate_reported_to_upper_on",
                format!("{listed}确定发展对象适用2026年细则，须先报上级党委同意并公示"),
                format!("a listing on {listed} falls under the 2026 rules: the upper committee's consent and publicity come first"),
            ),
            Some(consent) => {
                self.order(
                    LISTING,
                    "candidate_listed_on",
                    listed,
                    ("确定发展对象", "the listing"),
                    consent,
                    ("上级党委同意", "the upper committee's consent"),
                );
                if let Some(determined) = record.activist_determined_on {
                    self.order(
                        LISTING,
                        "candidate_reported_to_upper_on",
                        consent,
                        ("上级党委同意", "the upper committee's consent"),
                        determined,
                        ("确定入党积极分子", "the selection as activist"),
                    );
                }
            }
        }
        if record.publicity.is_empty() {
            self.refuse(
                LISTING,
                version,
                "publicity",
                "确定发展对象前须公示，公示期不少于五个工作日",
                "the proposed listing must be publicised for at least five working days first",
            );
            return;
        }
        for (index, publicity) in record.publicity.iter().enumerate() {
            if let Some(consent) = consent {
                self.order(
                    LISTING,
                    format!("publicity[{index}].first_day"),
                    publicity.first_day,
                    ("公示", "the publicity"),
                    consent,
                    ("上级党委同意", "the upper committee's consent"),
                );
            }
            if publicity.last_day > listed {
                self.refuse(
                    LISTING,
                    version,
                    format!("publicity[{index}].last_day"),
                    format!(
                        "公示至{}结束，但{listed}已确定为发展对象",
                        publicity.last_day
                    ),
                    format!(
                        "the publicity runs to {} but the listing was on {listed}",
                        publicity.last_day
                    ),
                );
            }
            if let Some(context) = context {
                match context.calendar.working_days_between(publicity.first_day, publicity.last_day) {
                    Ok(days) if days < 5 => self.refuse(
                        LISTING,
                        version,
                        format!("publicity[{index}].last_day"),
                        format!(
                            "{}公示{}至{}，只有{days}个工作日，不少于五个工作日",
                            publicity.place.name_zh(),
                            publicity.first_day,
                            publicity.last_day
                        ),
                        format!(
                            "publicity from {} to {} has {days} working days; at least five are required",
                            publicity.first_day, publicity.last_day
                        ),
                    ),
                    Ok(_) => {}
                    Err(error) => self.refuse(
                        LISTING,
                        version,
                        format!("publicity[{index}]"),
                        format!("无法计算公示期的工作日：{error}"),
                        "the working days of the publicity cannot be counted: the calendar lacks the year",
                    ),
                }
            }
        }
        if record.person.mobile {
            for place in [PublicityPlace::OutflowPlace, PublicityPlace::InflowPlace] {
                if !record
                    .publicity
                    .iter()
                    .any(|publicity| publicity.place == place)
                {
                    self.refuse(
                        LISTING,
                        version,
                        "publicity",
                        format!("流动人员须在流出地和流入地同时公示，缺少{}的公示", place.name_zh()),
                        "a mobile person's listing is publicised both where they left and where they are; one is missing",
                    );
                }
            }
        }
    }

    fn sponsor_standing(
        &mut self,
        index: usize,
        member: MemberId,
        date: NaiveDate,
        context: &AdmissionContext<'_>,
    ) {
        let field = format!("sponsors[{index}].member_id");
        let standing = (context.standing)(member, date);
        let problem = match standing.map(|standing| standing.status) {
            Some(MemberStatus::Full) => None,
            Some(MemberStatus::Probationary) => Some((
                "是预备党员，不是正式党员",
                "is a probationary member, not a full member",
            )),
            Some(MemberStatus::UnderPartyProbation) => Some((
                "受留党察看处分、尚未恢复党员权利",
                "is under Party probation (留党察看) and has not regained their rights",
            )),
            Some(MemberStatus::RightsSuspended) => {
                Some(("党员权利中止", "has their rights suspended"))
            }
            Some(MemberStatus::MembershipSuspended) | Some(MemberStatus::Ended) | None => {
                Some(("不是党员", "is not a Party member"))
            }
        };
        if let Some((zh, en)) = problem {
            self.refuse(
                SPONSORS,
                v(date),
                field,
                format!("入党介绍人{member}在{date}{zh}，不能作入党介绍人"),
                format!("sponsor {member} {en} on {date} and cannot sponsor"),
            );
        } else if standing.is_some_and(|standing| standing.in_discipline_influence_period) {
            self.warn(
                SPONSORS,
                v(date),
                field,
                format!("入党介绍人{member}在{date}处于警告、严重警告或撤销党内职务处分影响期内，不宜作入党介绍人"),
                format!("sponsor {member} is within the influence period of a disciplinary sanction on {date} and should not sponsor"),
            );
        }
    }

    fn admission_stage(&mut self, context: Option<&AdmissionContext<'_>>) {
        let record = self.record;
        let listed = record.candidate_listed_on;
        if let (Some(review), Some(listed)) = (record.committee_review_on, listed) {
            self.order(
                PRETRIAL,
                "committee_review_on",
                review,
                ("支部委员会审查", "the committee review"),
                listed,
                ("确定发展对象", "the listing"),
            );
        }
        if let Some(pretrial) = record.pretrial_passed_on {
            match record.committee_review_on {
                None => self.refuse(
                    PRETRIAL,
                    v(pretrial),
                    "committee_review_on",
                    "上级党委预审前须经支部委员会审查",
                    "the branch committee reviews before the pre-review",
                ),
                Some(review) => self.order(
                    PRETRIAL,
                    "pretrial_passed_on",
                    pretrial,
                    ("上级党委预审", "the pre-review"),
                    review,
                    ("支部委员会审查", "the committee review"),
                ),
            }
        }
        if let Some(form) = record.application_form_issued_on {
            match record.pretrial_passed_on {
                None => self.refuse(
                    PRETRIAL,
                    v(form),
                    "pretrial_passed_on",
                    "预审合格后才发给入党志愿书",
                    "the application form is issued only after the pre-review is passed",
                ),
                Some(pretrial) => self.order(
                    PRETRIAL,
                    "application_form_issued_on",
                    form,
                    ("填写入党志愿书", "the application form"),
                    pretrial,
                    ("上级党委预审", "the pre-review"),
                ),
            }
        }
        if let Some(vote) = &record.admission_vote {
            self.admission_vote(vote, context);
        } else if record.admission_resolution.is_some() {
            self.refuse(
                super::RESOLUTION_RULE,
                v(record.application_received_on),
                "admission_resolution",
                "支部大会尚未表决，不能记录接收预备党员的决议",
                "the general meeting has not voted, so there is no resolution to record",
            );
        }
        let passed_vote = record.admission_vote.as_ref().filter(|vote| vote.passed());
        if let Some(talk) = &record.upper_talk {
            match passed_vote {
                None => self.refuse(
                    PRE_TALK,
                    v(talk.held_on),
                    "upper_talk",
                    "支部大会通过接收决议后，上级党委才派人谈话",
                    "the upper committee's talk follows the general meeting's resolution to admit",
                ),
                Some(vote) => self.order(
                    PRE_TALK,
                    "upper_talk.held_on",
                    talk.held_on,
                    ("上级党委派人谈话", "the upper committee's talk"),
                    vote.held_on,
                    ("支部大会表决", "the general meeting's vote"),
                ),
            }
            if talk.talkers.is_empty() {
                self.refuse(
                    PRE_TALK,
                    v(talk.held_on),
                    "upper_talk.talkers",
                    "须记录谈话人",
                    "record who held the talk",
                );
            }
        }
        if let Some(approval) = &record.admission_approval {
            let decided = approval.decided_on;
            let Some(vote) = passed_vote else {
                self.refuse(
                    MAJORITY,
                    v(decided),
                    "admission_approval",
                    "支部大会未通过接收预备党员的决议，上级党委不能审批",
                    "the general meeting has not passed a resolution to admit, so there is nothing to approve",
                );
                return;
            };
            self.order(
                APPROVAL,
                "admission_approval.decided_on",
                decided,
                ("上级党委审批", "the approval"),
                vote.held_on,
                ("支部大会表决", "the general meeting's vote"),
            );
            match &record.upper_talk {
                Some(talk) if talk.held_on <= decided => {}
                _ => self.refuse(
                    PRE_TALK,
                    v(decided),
                    "upper_talk",
                    "党委审批前须派人同发展对象谈话",
                    "the upper committee talks with the candidate before approving",
                ),
            }
            let three_months = add_months(vote.held_on, 3);
            let six_months = add_months(vote.held_on, 6);
            if decided > six_months {
                self.late(
                    APPROVAL,
                    v(vote.held_on),
                    AdmissionStep::AdmissionApproval,
                    "admission_approval.decided_on",
                    format!("审批日期{decided}超过支部大会通过（{}）后六个月（{six_months}），特殊情况也不得超过六个月", vote.held_on),
                    format!("approval on {decided} is more than six months after the resolution of {} (limit {six_months}), the longest allowed even in special circumstances", vote.held_on),
                );
            } else if decided > three_months && !record.has_reason(ReasonSubject::ApprovalDelay) {
                self.late(
                    APPROVAL,
                    v(vote.held_on),
                    AdmissionStep::AdmissionApproval,
                    "admission_approval.decided_on",
                    format!("审批日期{decided}超过支部大会通过（{}）后三个月（{three_months}），且未记录特殊情况延长审批的原因", vote.held_on),
                    format!("approval on {decided} is more than three months after the resolution of {} (limit {three_months}) and no reason for extending is recorded", vote.held_on),
                );
            }
            if let Some(filed) = record.approval_filed_on {
                self.order(
                    APPROVAL,
                    "approval_filed_on",
                    filed,
                    ("报上级党委组织部门备案", "the filing"),
                    decided,
                    ("上级党委审批", "the approval"),
                );
            }
        } else if let Some(filed) = record.approval_filed_on {
            self.refuse(
                APPROVAL,
                v(filed),
                "admission_approval",
                "尚未审批，不能备案",
                "nothing has been approved to file",
            );
        }
    }

    fn admission_vote(
        &mut self,
        vote: &super::RecordedVote,
        context: Option<&AdmissionContext<'_>>,
    ) {
        let record = self.record;
        let held = vote.held_on;
        let version = v(held);
        match record.pretrial_passed_on {
            None => self.refuse(
                PRETRIAL,
                version,
                "pretrial_passed_on",
                "预审合格后才能提交支部大会讨论",
                "only a candidate who passed the pre-review goes to the general meeting",
            ),
            Some(pretrial) => {
                self.order(
                    PRETRIAL,
                    "admission_vote.held_on",
                    held,
                    ("支部大会表决", "the general meeting's vote"),
                    pretrial,
                    ("上级党委预审", "the pre-review"),
                );
                let limit = add_months(pretrial, 1);
                if rule_in_force(VOTE_WITHIN_MONTH, v(pretrial)) && held > limit {
                    self.late(
                        VOTE_WITHIN_MONTH,
                        v(pretrial),
                        AdmissionStep::AdmissionVote,
                        "admission_vote.held_on",
                        format!("支部大会（{held}）晚于预审合格（{pretrial}）后一个月（{limit}）"),
                        format!("the general meeting on {held} came later than one month after the pre-review of {pretrial} (by {limit})"),
                    );
                }
            }
        }
        if let Some(form) = record.application_form_issued_on {
            self.order(
                PRETRIAL,
                "admission_vote.held_on",
                held,
                ("支部大会表决", "the general meeting's vote"),
                form,
                ("填写入党志愿书", "the application form"),
            );
        }
        match record.political_review_concluded_on {
            None => self.refuse(
                POLITICAL_REVIEW,
                version,
                "political_review_concluded_on",
                format!("支部大会表决（{held}）前未形成政治审查结论，不能发展入党"),
                format!("no concluded political review before the vote on {held}: no admission"),
            ),
            Some(concluded) if concluded > held => self.refuse(
                POLITICAL_REVIEW,
                version,
                "political_review_concluded_on",
                format!("政治审查结论（{concluded}）晚于支部大会表决（{held}）"),
                format!(
                    "the political review was concluded on {concluded}, after the vote on {held}"
                ),
            ),
            Some(_) => {}
        }
        match &record.training {
            None if record.has_reason(ReasonSubject::UntrainedException) => self.warn(
                TRAINING,
                version,
                "training",
                "未经集中培训，已记录个别特殊情况的原因",
                "admitted without the concentrated training; the exceptional circumstances are recorded",
            ),
            None => self.refuse(
                TRAINING,
                version,
                "training",
                format!("支部大会表决（{held}）前未经集中培训，不能发展入党"),
                format!("no concentrated training before the vote on {held}: no admission"),
            ),
            Some(training) if training.finished_on > held => self.refuse(
                TRAINING,
                version,
                "training.finished_on",
                format!("集中培训结束（{}）晚于支部大会表决（{held}）", training.finished_on),
                format!("the training ended on {}, after the vote on {held}", training.finished_on),
            ),
            Some(_) => {}
        }
        let sponsors_by_vote: Vec<(usize, MemberId)> = record
            .sponsors
            .iter()
            .enumerate()
            .filter(|(_, sponsor)| sponsor.assigned_on <= held)
            .map(|(index, sponsor)| (index, sponsor.member_id))
            .collect();
        if sponsors_by_vote.len() != 2 {
            self.refuse(
                SPONSORS,
                version,
                "sponsors",
                format!(
                    "支部大会表决（{held}）时应有两名入党介绍人，现有{}名",
                    sponsors_by_vote.len()
                ),
                format!(
                    "two sponsors are needed by the vote on {held}; {} are recorded",
                    sponsors_by_vote.len()
                ),
            );
        }
        if let Some(context) = context {
            for (index, member) in sponsors_by_vote {
                // One finding per sponsor is enough: a sponsor refused or warned about on the day of
                // assignment is not reported again for the day of the vote.
                let already_reported = self
                    .findings
                    .iter()
                    .any(|finding| finding.field == format!("sponsors[{index}].member_id"));
                if !already_reported {
                    self.sponsor_standing(index, member, held, context);
                }
            }
        }
        self.vote_counts(
            "admission_vote.",
            &vote.counts,
            &VoteRules::ADMISSION,
            vote.passed(),
            version,
        );
    }

    fn probation_stage(&mut self) {
        let record = self.record;
        let probation_fields: [(&str, bool); 7] = [
            (
                "assigned_to_group_on",
                record.assigned_to_group_on.is_some(),
            ),
            ("oath_on", record.oath_on.is_some()),
            ("probation_reviews", !record.probation_reviews.is_empty()),
            (
                "transferred_in_during_probation_on",
                record.transferred_in_during_probation_on.is_some(),
            ),
            (
                "conversion_application_on",
                record.conversion_application_on.is_some(),
            ),
            (
                "probation_decisions",
                !record.probation_decisions.is_empty(),
            ),
            ("archived_on", record.archived_on.is_some()),
        ];
        let (Some(start), Some(approval)) = (
            record.probation_start(),
            record
                .admission_approval
                .as_ref()
                .filter(|approval| approval.approved),
        ) else {
            for (field, present) in probation_fields {
                if present {
                    self.refuse(
                        PROBATION,
                        v(record.application_received_on),
                        field,
                        "上级党委批准接收为预备党员前，不能记录预备期的步骤",
                        "probation steps cannot be recorded before the upper committee approves the admission",
                    );
                }
            }
            return;
        };
        let approved_on = approval.decided_on;
        if let Some(group) = record.assigned_to_group_on {
            self.order(
                PROBATION,
                "assigned_to_group_on",
                group,
                ("编入党支部和党小组", "the placing in a group"),
                approved_on,
                ("上级党委审批", "the approval"),
            );
        }
        if let Some(oath) = record.oath_on {
            let oath_in_force = rule_in_force(OATH, v(approved_on));
            self.order(
                if oath_in_force { OATH } else { PROBATION },
                "oath_on",
                oath,
                ("入党宣誓", "the oath"),
                approved_on,
                ("上级党委审批", "the approval"),
            );
            let limit = add_months(approved_on, 1);
            if oath_in_force && oath > limit {
                self.warn(
                    OATH,
                    v(approved_on),
                    "oath_on",
                    format!("入党宣誓（{oath}）晚于批复同意（{approved_on}）后一个月（{limit}）"),
                    format!("the oath on {oath} came later than one month after the approval of {approved_on} (by {limit})"),
                );
            }
        }
        for (index, review) in record.probation_reviews.iter().enumerate() {
            self.order(
                PROBATION,
                format!("probation_reviews[{index}]"),
                *review,
                ("预备期考察", "the probation review"),
                start,
                ("支部大会通过", "the admission vote"),
            );
        }
        if let Some(transferred) = record.transferred_in_during_probation_on {
            self.order(
                TRANSFER_IN,
                "transferred_in_during_probation_on",
                transferred,
                ("预备期转入", "the transfer"),
                start,
                ("支部大会通过", "the admission vote"),
            );
        }
        if let Some(applied) = record.conversion_application_on {
            self.order(
                CONVERSION,
                "conversion_application_on",
                applied,
                ("转正申请", "the conversion application"),
                approved_on,
                ("上级党委审批", "the approval"),
            );
        }
        self.probation_decisions(start);
        if let Some(archived) = record.archived_on {
            match record
                .approved_conversion()
                .and_then(|decision| decision.approval.as_ref())
            {
                None => self.refuse(
                    ARCHIVE,
                    v(archived),
                    "archived_on",
                    "转正获批后才归档",
                    "papers are archived after the conversion is approved",
                ),
                Some(approval) => self.order(
                    ARCHIVE,
                    "archived_on",
                    archived,
                    ("材料归档", "the archiving"),
                    approval.decided_on,
                    ("转正审批", "the conversion approval"),
                ),
            }
        }
    }

    fn probation_decisions(&mut self, start: NaiveDate) {
        let record = self.record;
        let mut end = add_years(start, 1);
        let mut extended = false;
        let mut closed = false;
        let mut previous: Option<NaiveDate> = None;
        for (index, decision) in record.probation_decisions.iter().enumerate() {
            let prefix = format!("probation_decisions[{index}].");
            let held = decision.vote.held_on;
            let version = v(held);
            if closed {
                self.refuse(
                    PROBATION,
                    version,
                    format!("probation_decisions[{index}]"),
                    "此前已决定转正或取消预备党员资格",
                    "conversion or cancellation was already decided",
                );
            }
            if previous.is_some_and(|previous| held < previous) {
                self.plain.add(
                    format!("{prefix}vote.held_on"),
                    "out_of_order",
                    "预备期满的决定须按日期先后排列",
                    "decisions at the end of probation are listed in date order",
                );
            }
            previous = Some(held);
            if held < end {
                self.refuse(
                    PROBATION,
                    version,
                    format!("{prefix}vote.held_on"),
                    format!("预备期至{end}才满，{held}不能讨论转正、延长或取消资格"),
                    format!("probation ends on {end}; the meeting of {held} is too early to decide on it"),
                );
            }
            if record.transferred_in_during_probation_on.is_some() {
                let limit = add_months(end, 6);
                if held > limit {
                    self.late(
                        TRANSFER_IN,
                        v(end),
                        AdmissionStep::ConversionVote,
                        format!("{prefix}vote.held_on"),
                        format!("转入的预备党员推迟讨论转正不超过六个月：预备期满{end}，应不晚于{limit}"),
                        format!("for a member transferred in, the conversion discussion may be postponed by six months at most: probation ended {end}, limit {limit}"),
                    );
                }
            }
            self.vote_counts(
                &format!("{prefix}vote."),
                &decision.vote.counts,
                &VoteRules::CONVERSION,
                decision.vote.passed(),
                version,
            );
            match decision.proposal {
                ProbationProposal::Extend { months } => {
                    if !(6..=12).contains(&months) {
                        self.refuse(
                            PROBATION,
                            version,
                            format!("{prefix}proposal.months"),
                            format!("延长预备期{months}个月：延长时间不能少于半年，最长不超过一年"),
                            format!("an extension of {months} months: at least six months and at most one year"),
                        );
                    }
                    if extended && decision.vote.passed() {
                        self.refuse(
                            PROBATION,
                            version,
                            format!("{prefix}proposal"),
                            "预备期只能延长一次",
                            "probation can be extended only once",
                        );
                    }
                }
                ProbationProposal::Convert if decision.vote.passed() => match record.conversion_application_on {
                    Some(applied) if applied <= held => {}
                    _ => self.refuse(
                        CONVERSION,
                        version,
                        "conversion_application_on",
                        format!("支部大会讨论转正（{held}）前，本人须提出书面转正申请"),
                        format!("the member applies in writing before the meeting of {held} discusses conversion"),
                    ),
                },
                _ => {}
            }
            if let Some(approval) = &decision.approval {
                if !decision.vote.passed() {
                    self.refuse(
                        CONVERSION,
                        version,
                        format!("{prefix}approval"),
                        "未通过的决议不能报批",
                        "a resolution that did not pass cannot be approved",
                    );
                }
                self.order(
                    CONVERSION,
                    format!("{prefix}approval.decided_on"),
                    approval.decided_on,
                    ("上级党委审批", "the approval"),
                    held,
                    ("支部大会表决", "the general meeting's vote"),
                );
                let limit = add_months(held, 3);
                if decision.proposal == ProbationProposal::Convert && approval.decided_on > limit {
                    self.late(
                        CONVERSION_APPROVAL,
                        version,
                        AdmissionStep::ConversionApproval,
                        format!("{prefix}approval.decided_on"),
                        format!("转正审批（{}）晚于支部大会通过（{held}）后三个月（{limit}）", approval.decided_on),
                        format!(
                            "the conversion was approved on {}, later than three months after the resolution of {held} (by {limit})",
                            approval.decided_on
                        ),
                    );
                }
            }
            if decision.is_adopted() {
                match decision.proposal {
                    ProbationProposal::Extend { months } if !extended => {
                        end = add_months(end, i32::try_from(months).unwrap_or(12));
                        extended = true;
                    }
                    ProbationProposal::Extend { .. } => {}
                    ProbationProposal::Convert | ProbationProposal::Cancel => closed = true,
                }
            }
        }
    }

    fn papers(&mut self) {
        let record = self.record;
        for (index, document) in record.documents.iter().enumerate() {
            if document.received_on < record.application_received_on {
                self.plain.add(
                    format!("documents[{index}].received_on"),
                    "before_application",
                    "材料接收日期早于收到入党申请书的日期",
                    "a document cannot be received before the application",
                );
            }
        }
        for (index, reason) in record.reasons.iter().enumerate() {
            if reason.reason.trim().is_empty() {
                self.plain.add(
                    format!("reasons[{index}].reason"),
                    "required",
                    "须写明原因",
                    "the reason must be written out",
                );
            }
        }
    }
}
