//! Membership continuity: consecutive months in which a member took no part in organizational life,
//! or paid no dues. Three months is a reminder to the branch; six is the point at which 章程 第九条
//! (and, for dues, 党费规定 第十三条) says the member "is considered to have lapsed" — which only a
//! branch general meeting can decide, with the upper organization's approval.
//!
//! Architecture invariant: nothing here removes, suspends or changes anyone. A finding tells the
//! branch that a general-meeting decision is due and shows the months as evidence; whether there was
//! a good reason (正当理由) is for the branch to judge and record.
//!
//! How months are read:
//! - A month is WITH organizational life when the member was marked present at any meeting of their
//!   branch or party group (as posted on the meeting day). It is MISSED when such a meeting was held
//!   that they were expected at (any meeting but a committee meeting they were not listed for) and
//!   they were not present. A month in which their branch and group held nothing is neither: the
//!   member had no chance to fail, so it neither counts nor breaks the streak, and it is listed as
//!   skipped (the branch's own missing meetings are other rules' findings).
//! - A month is WITHOUT dues when the ledger shows nothing paid toward a month that was owed. A
//!   partial payment leaves arrears but is not "不交纳"; a waived month is settled.
//! - Months in which the member was not a member, or (for organizational life) took part elsewhere
//!   as a mobile member, or (for dues) paid at the inflow organization (第九条), end a streak.
//! - Members exempted for age or illness (`Member::org_life_exemption`, 教育管理条例 第二十三条) get
//!   no organizational-life findings. They still owe dues, which a hardship relief may reduce.

use serde::Serialize;

use crate::domain::{Meeting, MeetingKind, Member, MemberId, OrgId, Stored};
use crate::dues::{MemberLedger, MonthState, YearMonth, is_member_during};
use crate::rules::Citation;

/// A period in which a mobile member (流动党员) takes part in organizational life at another Party
/// organization (教育管理条例 第三十二条), from one month to another (inclusive; open-ended when
/// `until` is `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MobileParticipation {
    pub from: YearMonth,
    #[serde(default)]
    pub until: Option<YearMonth>,
    /// The organization where they take part (流入地党组织 or 流动党员党组织).
    pub takes_part_at: String,
    /// They pay their dues there with the 《流动党员活动证》 (党费规定 第九条), so this branch's ledger
    /// cannot show them.
    #[serde(default)]
    pub pays_dues_there: bool,
}

impl MobileParticipation {
    pub fn covers(&self, month: YearMonth) -> bool {
        self.from <= month && self.until.is_none_or(|until| month <= until)
    }
}

/// A member as the continuity check sees them.
#[derive(Debug, Clone, Copy)]
pub struct ContinuityMember<'a> {
    pub member: &'a Stored<Member>,
    pub mobile: &'a [MobileParticipation],
}

/// When a streak becomes a finding. `lapse_months` is the regulations' 六个月; `reminder_months` is
/// the project's choice (issue 4) of when to prompt the branch's 批评教育，限期改正 (第十三条), early
/// enough to matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ContinuityThresholds {
    pub reminder_months: usize,
    pub lapse_months: usize,
}

impl Default for ContinuityThresholds {
    fn default() -> Self {
        ContinuityThresholds {
            reminder_months: 3,
            lapse_months: 6,
        }
    }
}

/// What one month was for organizational life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum OrgLifeMonth {
    NotAMember,
    /// Took part at another organization as a mobile member.
    Elsewhere {
        takes_part_at: String,
    },
    /// Present at these meetings.
    Attended {
        meeting_ids: Vec<i64>,
    },
    /// These meetings were held for them and they were not present.
    Missed {
        meeting_ids: Vec<i64>,
    },
    /// Their branch and group held no meeting they were expected at.
    NoneHeld,
}

/// Consecutive failing months ending at the month asked about, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Streak {
    pub months: Vec<YearMonth>,
    /// Months inside the streak that neither count nor break it (no meeting was held).
    pub skipped: Vec<YearMonth>,
    /// The meetings missed in the streak's months (organizational life only).
    pub missed_meeting_ids: Vec<i64>,
}

impl Streak {
    pub fn len(&self) -> usize {
        self.months.len()
    }

    pub fn is_empty(&self) -> bool {
        self.months.is_empty()
    }
}

/// Whether a meeting is one the member belongs at: held by the branch or group of their posting on
/// the meeting day, while they were a member.
fn is_their_meeting(member: &Member, meeting: &Meeting) -> bool {
    let Some(posting) = member.posting_on(meeting.held_on) else {
        return false;
    };
    let is_member = member
        .status_on(meeting.held_on)
        .is_some_and(|status| status.is_member());
    is_member && (meeting.org_id == posting.branch_id || Some(meeting.org_id) == posting.group_id)
}

/// A committee meeting concerns only the committee: an ordinary member not listed at it did not miss
/// organizational life.
fn expected_at(meeting: &Meeting, member_id: MemberId) -> bool {
    let committee_only = meeting
        .kinds
        .iter()
        .all(|kind| *kind == MeetingKind::CommitteeMeeting);
    !committee_only
        || meeting
            .attendance
            .iter()
            .any(|entry| entry.member_id == member_id)
}

/// What `month` was for the member's organizational life.
pub fn org_life_month(
    subject: &ContinuityMember<'_>,
    meetings: &[Stored<Meeting>],
    month: YearMonth,
) -> OrgLifeMonth {
    let member_id = MemberId(subject.member.id);
    let member = &subject.member.body;
    if !is_member_during(member, month) {
        return OrgLifeMonth::NotAMember;
    }
    if let Some(mobile) = subject.mobile.iter().find(|mobile| mobile.covers(month)) {
        return OrgLifeMonth::Elsewhere {
            takes_part_at: mobile.takes_part_at.clone(),
        };
    }
    let theirs: Vec<&Stored<Meeting>> = meetings
        .iter()
        .filter(|meeting| {
            month.contains(meeting.body.held_on) && is_their_meeting(member, &meeting.body)
        })
        .collect();
    let attended: Vec<i64> = theirs
        .iter()
        .filter(|meeting| meeting.body.was_present(member_id))
        .map(|meeting| meeting.id)
        .collect();
    if !attended.is_empty() {
        return OrgLifeMonth::Attended {
            meeting_ids: attended,
        };
    }
    let missed: Vec<i64> = theirs
        .iter()
        .filter(|meeting| expected_at(&meeting.body, member_id))
        .map(|meeting| meeting.id)
        .collect();
    if missed.is_empty() {
        OrgLifeMonth::NoneHeld
    } else {
        OrgLifeMonth::Missed {
            meeting_ids: missed,
        }
    }
}

/// The streak of months without organizational life ending at `through`, looking back no further
/// than `observed_from` (the month attendance records begin; earlier months are unknown).
pub fn streak_without_org_life(
    subject: &ContinuityMember<'_>,
    meetings: &[Stored<Meeting>],
    observed_from: YearMonth,
    through: YearMonth,
) -> Streak {
    let mut streak = Streak::default();
    let mut month = through;
    while month >= observed_from {
        match org_life_month(subject, meetings, month) {
            OrgLifeMonth::Missed { meeting_ids } => {
                streak.months.push(month);
                streak.missed_meeting_ids.extend(meeting_ids);
            }
            OrgLifeMonth::NoneHeld => streak.skipped.push(month),
            OrgLifeMonth::NotAMember
            | OrgLifeMonth::Elsewhere { .. }
            | OrgLifeMonth::Attended { .. } => break,
        }
        month = month.previous();
    }
    // Skipped months before the first missed one are not inside the streak.
    if let Some(first) = streak.months.last().copied() {
        streak.skipped.retain(|skipped| *skipped > first);
    } else {
        streak.skipped.clear();
    }
    streak.months.reverse();
    streak.skipped.reverse();
    streak.missed_meeting_ids.sort_unstable();
    streak
}

/// The streak of months with nothing paid ending at `through`, from the member's ledger. Months the
/// ledger does not cover are unknown and end the streak.
pub fn streak_without_dues(
    ledger: &MemberLedger,
    mobile: &[MobileParticipation],
    through: YearMonth,
) -> Streak {
    let mut streak = Streak::default();
    let mut month = through;
    loop {
        let paid_elsewhere = mobile
            .iter()
            .any(|mobile| mobile.pays_dues_there && mobile.covers(month));
        match ledger.month(month) {
            Some(line) if line.state == MonthState::Unpaid && !paid_elsewhere => {
                streak.months.push(month)
            }
            _ => break,
        }
        month = month.previous();
    }
    streak.months.reverse();
    streak
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContinuityKind {
    /// 不参加党的组织生活
    NoOrgLife,
    /// 不交纳党费
    NoDues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContinuityLevel {
    /// The streak reached the reminder threshold (3 months): the branch should talk with the member.
    Reminder,
    /// The streak reached six months: a branch general meeting must decide.
    LapseDecisionDue,
}

/// A streak long enough to report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContinuityFinding {
    pub member_id: MemberId,
    /// The branch the member belongs to in the last month, which must act.
    pub branch_id: Option<OrgId>,
    pub kind: ContinuityKind,
    pub level: ContinuityLevel,
    /// The consecutive months, oldest first: the evidence.
    pub months: Vec<YearMonth>,
    pub skipped_months: Vec<YearMonth>,
    pub missed_meeting_ids: Vec<i64>,
    /// `CHARTER.LAPSE.SIX_MONTHS` or `DUES.NONPAYMENT.SIX_MONTHS` (RULES.md).
    pub rule_id: &'static str,
    pub citations: Vec<Citation>,
    pub message_zh: String,
    pub message_en: String,
}

const CHARTER: &str =
    "《中国共产党章程》（中国共产党第二十次全国代表大会部分修改，2022年10月22日通过）";

fn charter_article_9() -> Citation {
    Citation {
        document: CHARTER.to_string(),
        article: "第九条".to_string(),
        quote: "党员如果没有正当理由，连续六个月不参加党的组织生活，或不交纳党费，或不做党所分配的工作，就被认为是自行脱党。支部大会应当决定把这样的党员除名，并报上级党组织批准。".to_string(),
        source: Some("RULES.md §2 CHARTER.LAPSE.SIX_MONTHS".to_string()),
    }
}

fn education_article_31() -> Citation {
    Citation {
        document: "《中国共产党党员教育管理工作条例》（2019年）".to_string(),
        article: "第三十一条".to_string(),
        quote: "（六）没有正当理由，连续6个月不参加党的组织生活，或者不交纳党费，或者不做党所分配的工作，按照自行脱党予以除名。".to_string(),
        source: Some("RULES.md §6 EDU.REMOVAL_GROUNDS".to_string()),
    }
}

fn level_for(length: usize, thresholds: &ContinuityThresholds) -> Option<ContinuityLevel> {
    if length >= thresholds.lapse_months {
        Some(ContinuityLevel::LapseDecisionDue)
    } else if length >= thresholds.reminder_months {
        Some(ContinuityLevel::Reminder)
    } else {
        None
    }
}

fn span_zh(months: &[YearMonth]) -> String {
    match (months.first(), months.last()) {
        (Some(first), Some(last)) if first != last => {
            format!("{}至{}", first.label_zh(), last.label_zh())
        }
        (Some(only), _) => only.label_zh(),
        _ => String::new(),
    }
}

fn span_en(months: &[YearMonth]) -> String {
    match (months.first(), months.last()) {
        (Some(first), Some(last)) if first != last => format!("{first} to {last}"),
        (Some(only), _) => only.to_string(),
        _ => String::new(),
    }
}

fn messages(
    name: &str,
    kind: ContinuityKind,
    level: ContinuityLevel,
    months: &[YearMonth],
    thresholds: &ContinuityThresholds,
) -> (String, String) {
    let count = months.len();
    let (what_zh, what_en, basis_zh, basis_en) = match kind {
        ContinuityKind::NoOrgLife => (
            "未参加党的组织生活",
            "has taken no part in organizational life",
            "《中国共产党章程》第九条",
            "Party Constitution art. 9",
        ),
        ContinuityKind::NoDues => (
            "未交纳党费",
            "has paid no Party dues",
            "《中国共产党章程》第九条和党费规定第十三条",
            "Party Constitution art. 9 and dues rules art. 13",
        ),
    };
    let lapse = thresholds.lapse_months;
    match level {
        ContinuityLevel::Reminder => (
            format!(
                "党员{name}已连续{count}个月{what_zh}（{}）。请党支部及时了解情况、进行批评教育并限期改正；无正当理由连续{lapse}个月的，依照{basis_zh}须提交支部党员大会讨论决定。",
                span_zh(months)
            ),
            format!(
                "{name} {what_en} for {count} consecutive months ({}). The branch should find out why, talk with the member and set a time to put it right; after {lapse} months without good reason, {basis_en} requires a decision of the branch general meeting.",
                span_en(months)
            ),
        ),
        ContinuityLevel::LapseDecisionDue => (
            format!(
                "党员{name}已连续{count}个月{what_zh}（{}）。依照{basis_zh}，没有正当理由的，被认为是自行脱党，应由支部党员大会讨论决定，并报上级党组织批准；如有正当理由，请党支部记录在案。本系统不会除名或移除任何党员。",
                span_zh(months)
            ),
            format!(
                "{name} {what_en} for {count} consecutive months ({}). Under {basis_en}, without good reason this is regarded as lapse: a branch general meeting must decide, with the upper organization's approval; if there is a good reason, the branch should record it. The system removes no one.",
                span_en(months)
            ),
        ),
    }
}

/// The continuity findings of one member as of `through` (a month that has ended). Organizational
/// life is looked at from `observed_from`; dues from the ledger's first month. Pass `None` for the
/// ledger where dues are not kept in the system. A member who is not a member in `through` has no
/// findings.
pub fn continuity_findings(
    subject: &ContinuityMember<'_>,
    meetings: &[Stored<Meeting>],
    ledger: Option<&MemberLedger>,
    observed_from: YearMonth,
    through: YearMonth,
    thresholds: &ContinuityThresholds,
) -> Vec<ContinuityFinding> {
    let member = &subject.member.body;
    let member_id = MemberId(subject.member.id);
    if !is_member_during(member, through) {
        return Vec::new();
    }
    let branch_id = crate::dues::dues_branch_for(member, through);
    let mut findings = Vec::new();
    let mut report = |kind: ContinuityKind, streak: Streak| {
        let Some(level) = level_for(streak.len(), thresholds) else {
            return;
        };
        let (message_zh, message_en) =
            messages(&member.name, kind, level, &streak.months, thresholds);
        let (rule_id, citations) = match kind {
            ContinuityKind::NoOrgLife => (
                "CHARTER.LAPSE.SIX_MONTHS",
                vec![charter_article_9(), education_article_31()],
            ),
            ContinuityKind::NoDues => (
                "DUES.NONPAYMENT.SIX_MONTHS",
                vec![
                    charter_article_9(),
                    crate::dues::dues_citation("DUES.NONPAYMENT.SIX_MONTHS"),
                    education_article_31(),
                ],
            ),
        };
        findings.push(ContinuityFinding {
            member_id,
            branch_id,
            kind,
            level,
            months: streak.months,
            skipped_months: streak.skipped,
            missed_meeting_ids: streak.missed_meeting_ids,
            rule_id,
            citations,
            message_zh,
            message_en,
        });
    };
    if !member.is_exempt_from_org_life() {
        report(
            ContinuityKind::NoOrgLife,
            streak_without_org_life(subject, meetings, observed_from, through),
        );
    }
    if let Some(ledger) = ledger {
        report(
            ContinuityKind::NoDues,
            streak_without_dues(ledger, subject.mobile, through),
        );
    }
    findings
}
