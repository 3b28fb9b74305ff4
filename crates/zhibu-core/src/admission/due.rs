//! What is due next for one person in the pipeline: the open steps, each with the earliest day it
//! may happen, its deadline, the days left, whether it is overdue, and the rule behind it.
//!
//! A deadline is shown only where a rule sets one; steps the rules leave without a time limit
//! ("及时", or none at all) are listed with no deadline so that the next step is still visible.

use chrono::NaiveDate;
use serde::Serialize;

use super::{
    AdmissionCitation, AdmissionRecord, AdmissionRuleSet, AdmissionStage, AdmissionStep,
    ProbationProposal, ReasonSubject,
};
use super::{citation, rule_in_force};
use crate::calendar::{add_months, add_years};
use crate::rules::Severity;
use crate::workdays::WorkdayCalendar;

/// One open step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueStep {
    pub step: AdmissionStep,
    /// The number in the 25-step list; none for the 2026 publicity.
    pub number: Option<u8>,
    pub stage: AdmissionStage,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub rule_id: &'static str,
    /// `error` for a hard time limit, `warning` for one worded 一般, `info` for a step without one.
    pub severity: Severity,
    /// Not before this day (one year as activist, publicity complete, probation over).
    pub earliest: Option<NaiveDate>,
    /// On or before this day.
    pub deadline: Option<NaiveDate>,
    /// Days from today to the deadline; zero on the day itself, negative once overdue.
    pub days_left: Option<i64>,
    pub overdue: bool,
    pub citation: AdmissionCitation,
    /// How the dates were worked out, or why one could not be.
    pub note_zh: String,
    pub note_en: String,
}

struct Due {
    step: AdmissionStep,
    rule_id: &'static str,
    version: AdmissionRuleSet,
    severity: Severity,
    earliest: Option<NaiveDate>,
    deadline: Option<NaiveDate>,
    note_zh: String,
    note_en: String,
}

impl Due {
    fn open(step: AdmissionStep, rule_id: &'static str, version: AdmissionRuleSet) -> Due {
        Due {
            step,
            rule_id,
            version,
            severity: Severity::Info,
            earliest: None,
            deadline: None,
            note_zh: String::new(),
            note_en: String::new(),
        }
    }

    fn by(mut self, deadline: NaiveDate, severity: Severity) -> Due {
        self.deadline = Some(deadline);
        self.severity = severity;
        self
    }

    fn from(mut self, earliest: NaiveDate) -> Due {
        self.earliest = Some(earliest);
        self
    }

    fn note(mut self, zh: impl Into<String>, en: impl Into<String>) -> Due {
        self.note_zh = zh.into();
        self.note_en = en.into();
        self
    }

    fn into_step(self, today: NaiveDate) -> DueStep {
        let days_left = self.deadline.map(|deadline| (deadline - today).num_days());
        DueStep {
            step: self.step,
            number: self.step.number(),
            stage: self.step.stage(),
            name_zh: self.step.name_zh(self.version),
            name_en: self.step.name_en(self.version),
            rule_id: self.rule_id,
            severity: self.severity,
            earliest: self.earliest,
            deadline: self.deadline,
            days_left,
            overdue: days_left.is_some_and(|days| days < 0),
            citation: citation(self.rule_id, self.version),
            note_zh: self.note_zh,
            note_en: self.note_en,
        }
    }
}

fn v(date: NaiveDate) -> AdmissionRuleSet {
    AdmissionRuleSet::in_force_on(date)
}

/// The open steps for `record` on `today`, those with the nearest deadline first. A closed record
/// (rejected, turned down, cancelled or archived) has none.
pub fn due_steps(
    record: &AdmissionRecord,
    today: NaiveDate,
    calendar: &WorkdayCalendar,
) -> Vec<DueStep> {
    let mut due = Vec::new();
    if !record.is_closed() {
        open_steps(record, today, calendar, &mut due);
    }
    let mut steps: Vec<DueStep> = due.into_iter().map(|item| item.into_step(today)).collect();
    steps.sort_by(|a, b| match (a.deadline, b.deadline) {
        (Some(x), Some(y)) => x.cmp(&y).then(a.step.cmp(&b.step)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.step.cmp(&b.step),
    });
    steps
}

fn open_steps(
    record: &AdmissionRecord,
    today: NaiveDate,
    calendar: &WorkdayCalendar,
    due: &mut Vec<Due>,
) {
    let applied = record.application_received_on;
    let Some(talk) = &record.application_talk else {
        let deadline = add_months(applied, 1);
        due.push(
            Due::open(
                AdmissionStep::ApplicationTalk,
                "RECRUIT.TALK.WITHIN_1_MONTH",
                v(applied),
            )
            .by(deadline, Severity::Error)
            .note(
                format!("收到入党申请书（{applied}）后一个月内"),
                format!("within one month of the application received on {applied}"),
            ),
        );
        return;
    };
    let Some(determined) = record.activist_determined_on else {
        due.push(
            Due::open(
                AdmissionStep::DetermineActivist,
                "RECRUIT.ACTIVIST.DETERMINATION",
                v(today),
            )
            .from(talk.held_on),
        );
        return;
    };
    let Some(listed) = record.candidate_listed_on else {
        activist_steps(record, determined, today, calendar, due);
        return;
    };
    candidate_steps(record, listed, due);
    let Some(vote) = &record.admission_vote else {
        if let Some(pretrial) = record.pretrial_passed_on {
            if record.application_form_issued_on.is_none() {
                due.push(
                    Due::open(
                        AdmissionStep::FillApplicationForm,
                        "RECRUIT.PRETRIAL",
                        v(today),
                    )
                    .from(pretrial),
                );
            }
            let mut item = Due::open(
                AdmissionStep::AdmissionVote,
                "RECRUIT.MEETING.WITHIN_1_MONTH_OF_PRETRIAL",
                v(pretrial),
            )
            .from(pretrial);
            if rule_in_force("RECRUIT.MEETING.WITHIN_1_MONTH_OF_PRETRIAL", v(pretrial)) {
                item = item.by(add_months(pretrial, 1), Severity::Error).note(
                    format!("预审合格（{pretrial}）后一个月内提交党员大会讨论"),
                    format!(
                        "to the general meeting within one month of the pre-review of {pretrial}"
                    ),
                );
            } else {
                item = item.note(
                    format!("预审（{pretrial}）在2026年细则施行前，一个月期限不适用"),
                    format!("the pre-review of {pretrial} predates the 2026 rules, so their one-month limit does not run"),
                );
            }
            due.push(item);
        }
        return;
    };
    let Some(approval) = record
        .admission_approval
        .as_ref()
        .filter(|approval| approval.approved)
    else {
        let delay_recorded = record.has_reason(ReasonSubject::ApprovalDelay);
        let months = if delay_recorded { 6 } else { 3 };
        let deadline = add_months(vote.held_on, months);
        let (note_zh, note_en) = if delay_recorded {
            (
                format!(
                    "支部大会通过（{}）后三个月内审批；已记录特殊情况，延长至六个月",
                    vote.held_on
                ),
                format!(
                    "three months from the resolution of {}, extended to six for the recorded special circumstances",
                    vote.held_on
                ),
            )
        } else {
            (
                format!("支部大会通过（{}）后三个月内审批", vote.held_on),
                format!("within three months of the resolution of {}", vote.held_on),
            )
        };
        if record.upper_talk.is_none() {
            due.push(
                Due::open(
                    AdmissionStep::UpperTalk,
                    "RECRUIT.APPROVAL.PRE_TALK",
                    v(vote.held_on),
                )
                .by(deadline, Severity::Error)
                .note(
                    "审批前须谈话，期限同审批期限",
                    "the talk comes before the approval, so it shares the approval's deadline",
                ),
            );
        }
        due.push(
            Due::open(
                AdmissionStep::AdmissionApproval,
                "RECRUIT.APPROVAL.WITHIN_3_MONTHS",
                v(vote.held_on),
            )
            .by(deadline, Severity::Error)
            .note(note_zh, note_en),
        );
        return;
    };
    probation_steps(record, approval.decided_on, today, due);
}

fn activist_steps(
    record: &AdmissionRecord,
    determined: NaiveDate,
    today: NaiveDate,
    calendar: &WorkdayCalendar,
    due: &mut Vec<Due>,
) {
    if record.activist_filed_on.is_none() {
        due.push(
            Due::open(
                AdmissionStep::FileActivist,
                "RECRUIT.ACTIVIST.DETERMINATION",
                v(determined),
            )
            .from(determined),
        );
    }
    if !record
        .mentors
        .iter()
        .any(|mentor| mentor.is_active_on(today))
    {
        due.push(
            Due::open(
                AdmissionStep::AssignMentors,
                "RECRUIT.ACTIVIST.CONTACTS_1_2",
                v(today),
            )
            .from(determined),
        );
    }
    let last_review = record
        .activist_reviews
        .iter()
        .copied()
        .filter(|review| *review >= determined)
        .max()
        .unwrap_or(determined);
    due.push(
        Due::open(
            AdmissionStep::ActivistReview,
            "RECRUIT.ACTIVIST.HALF_YEAR_REVIEW",
            v(last_review),
        )
        .by(add_months(last_review, 6), Severity::Error)
        .note(
            format!("上次考察或确定为积极分子（{last_review}）后半年内"),
            format!("within half a year of the last review or selection ({last_review})"),
        ),
    );
    let one_year = add_years(determined, 1);
    let (carried_zh, carried_en) = if record.activist_transfers.is_empty() {
        ("", "")
    } else {
        (
            "（转入前的培养时间连续计算）",
            " (time before the transfer counts)",
        )
    };
    let listing_version = v(today.max(one_year));
    if listing_version == AdmissionRuleSet::Rules2014 {
        due.push(
            Due::open(
                AdmissionStep::ListCandidate,
                "RECRUIT.TARGET.ONE_YEAR_AND_PUBLICITY",
                listing_version,
            )
            .from(one_year)
            .note(
                format!("自{determined}起满一年{carried_zh}"),
                format!("one year from {determined}{carried_en}"),
            ),
        );
        return;
    }
    let Some(consent) = record.candidate_reported_to_upper_on else {
        due.push(
            Due::open(
                AdmissionStep::ReportCandidateToUpper,
                "RECRUIT.TARGET.ONE_YEAR_AND_PUBLICITY",
                listing_version,
            )
            .from(one_year)
            .note(
                format!("培养考察自{determined}起满一年后{carried_zh}"),
                format!("after one year as activist from {determined}{carried_en}"),
            ),
        );
        return;
    };
    if record.publicity.is_empty() {
        due.push(
            Due::open(
                AdmissionStep::CandidatePublicity,
                "RECRUIT.TARGET.ONE_YEAR_AND_PUBLICITY",
                listing_version,
            )
            .from(consent)
            .note(
                "公示期不少于五个工作日",
                "publicity of at least five working days",
            ),
        );
        return;
    }
    // The listing may follow once every publicity has run five working days, and the year is complete.
    let mut earliest = one_year;
    let mut problem: Option<String> = None;
    for publicity in &record.publicity {
        match calendar.last_of_working_days_from(publicity.first_day, 5) {
            Ok(complete) => earliest = earliest.max(complete),
            Err(error) => problem = Some(error.to_string()),
        }
    }
    let item = Due::open(
        AdmissionStep::ListCandidate,
        "RECRUIT.TARGET.ONE_YEAR_AND_PUBLICITY",
        listing_version,
    );
    due.push(match problem {
        None => item.from(earliest).note(
            format!("满一年{carried_zh}且公示满五个工作日后"),
            format!("after one year as activist{carried_en} and five working days of publicity"),
        ),
        Some(error) => item.from(one_year).note(
            format!("无法计算公示期满日：{error}"),
            format!("the end of the publicity cannot be computed: {error}"),
        ),
    });
}

fn candidate_steps(record: &AdmissionRecord, listed: NaiveDate, due: &mut Vec<Due>) {
    let version = v(listed);
    if record.pretrial_passed_on.is_some() {
        return;
    }
    if version == AdmissionRuleSet::Rules2014 && record.candidate_reported_to_upper_on.is_none() {
        due.push(
            Due::open(
                AdmissionStep::ReportCandidateToUpper,
                "RECRUIT.TARGET.ONE_YEAR_AND_PUBLICITY",
                version,
            )
            .from(listed),
        );
    }
    if record.sponsors.len() < 2 {
        due.push(
            Due::open(
                AdmissionStep::AssignSponsors,
                "RECRUIT.INTRODUCERS_2",
                version,
            )
            .from(listed),
        );
    }
    if record.political_review_concluded_on.is_none() {
        due.push(
            Due::open(
                AdmissionStep::PoliticalReview,
                "RECRUIT.POLITICAL_REVIEW",
                version,
            )
            .from(listed),
        );
    }
    if record.training.is_none() {
        due.push(
            Due::open(
                AdmissionStep::Training,
                "RECRUIT.TRAINING.3DAYS_24H",
                version,
            )
            .from(listed),
        );
    }
    let ready = record.sponsors.len() >= 2
        && record.political_review_concluded_on.is_some()
        && record.training.is_some();
    match record.committee_review_on {
        None if ready => due.push(
            Due::open(AdmissionStep::CommitteeReview, "RECRUIT.PRETRIAL", version).from(listed),
        ),
        None => {}
        Some(review) => {
            due.push(Due::open(AdmissionStep::Pretrial, "RECRUIT.PRETRIAL", version).from(review))
        }
    }
}

fn probation_steps(
    record: &AdmissionRecord,
    approved_on: NaiveDate,
    today: NaiveDate,
    due: &mut Vec<Due>,
) {
    if record.approval_filed_on.is_none() {
        due.push(
            Due::open(
                AdmissionStep::ApprovalFiled,
                "RECRUIT.APPROVAL.WITHIN_3_MONTHS",
                v(approved_on),
            )
            .from(approved_on),
        );
    }
    if record.assigned_to_group_on.is_none() {
        due.push(
            Due::open(
                AdmissionStep::AssignToGroup,
                "RECRUIT.PROBATION.ONE_YEAR_AND_OUTCOMES",
                v(approved_on),
            )
            .from(approved_on),
        );
    }
    if record.oath_on.is_none() {
        let version = v(approved_on);
        let mut item = Due::open(AdmissionStep::Oath, "RECRUIT.OATH.WITHIN_1_MONTH", version)
            .from(approved_on);
        if rule_in_force("RECRUIT.OATH.WITHIN_1_MONTH", version) {
            item = item.by(add_months(approved_on, 1), Severity::Warning).note(
                format!("一般在批复同意（{approved_on}）后一个月内"),
                format!("normally within one month of the approval of {approved_on}"),
            );
        }
        due.push(item);
    }
    if let Some(conversion) = record.approved_conversion() {
        if record.archived_on.is_none() {
            let approved = conversion
                .approval
                .as_ref()
                .map_or(conversion.vote.held_on, |approval| approval.decided_on);
            due.push(
                Due::open(AdmissionStep::Archive, "RECRUIT.ARCHIVE", v(approved)).from(approved),
            );
        }
        return;
    }
    let Some(end) = record.probation_end() else {
        return;
    };
    // A decision passed by the branch and waiting for the upper committee.
    if let Some(pending) = record
        .probation_decisions
        .iter()
        .rev()
        .find(|decision| decision.vote.passed() && decision.approval.is_none())
    {
        let held = pending.vote.held_on;
        let item = Due::open(
            AdmissionStep::ConversionApproval,
            "RECRUIT.CONVERSION.APPROVAL_3M_AND_PARTY_AGE",
            v(held),
        )
        .from(held);
        due.push(match pending.proposal {
            ProbationProposal::Convert => item.by(add_months(held, 3), Severity::Error).note(
                format!("支部大会通过转正（{held}）后三个月内审批"),
                format!("within three months of the resolution of {held}"),
            ),
            _ => item.note(
                "延长预备期或取消资格的决议报上级党组织批准",
                "an extension or cancellation goes to the upper organization for approval",
            ),
        });
        return;
    }
    if record.conversion_application_on.is_none() {
        due.push(
            Due::open(
                AdmissionStep::ConversionApplication,
                "RECRUIT.CONVERSION.PROCEDURE_AND_VOTE",
                v(today.max(end)),
            )
            .note(
                format!("预备期{end}期满时本人提出书面转正申请"),
                format!("the member applies in writing when probation ends on {end}"),
            ),
        );
    }
    let mut item = Due::open(
        AdmissionStep::ConversionVote,
        "RECRUIT.PROBATION.ONE_YEAR_AND_OUTCOMES",
        v(end),
    )
    .from(end);
    item = if record.transferred_in_during_probation_on.is_some() {
        Due { rule_id: "RECRUIT.TRANSFER_IN.POSTPONE_6M", ..item }.by(add_months(end, 6), Severity::Error).note(
            format!("转入的预备党员，预备期满（{end}）后推迟讨论不超过六个月"),
            format!("transferred in: the discussion may be postponed at most six months after probation ends on {end}"),
        )
    } else {
        item.note(
            format!("预备期{end}期满，党支部应当及时讨论（未规定具体期限）；党龄自预备期满之日算起"),
            format!("probation ends on {end}; the branch discusses it promptly (no fixed limit); party standing counts from that day"),
        )
    };
    due.push(item);
}
