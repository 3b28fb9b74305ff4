//! The view models every export is drawn from: plain data, already in the words the printed
//! register uses, built from the core types by the functions here. The same model feeds the PDF,
//! the spreadsheet and the Word document of a register, so they always agree.
//!
//! Nothing here reads storage or the clock; [`crate::gather`] fills these from a repository.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use zhibu_core::admission::{
    AdmissionDocument, AdmissionRecord, AdmissionRuleSet, AdmissionStep, Approval,
    ProbationProposal, ReasonSubject, RecordedVote,
};
use zhibu_core::dues::{BranchCollectionReport, MemberLedger, MonthState, YearMonth};
use zhibu_core::engine::Finding;
use zhibu_core::money::Fen;
use zhibu_core::{
    AttendanceState, EmploymentCategory, Meeting, MeetingKind, Member, MemberId, MemberStatus,
    RecordedOutcome, Sex,
};

/// An amount as the register prints it and as a spreadsheet stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Money {
    pub fen: i64,
    /// `3000.01`, no unit.
    pub yuan: Yuan,
}

/// The yuan text of an amount, serialized as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Yuan(pub Fen);

impl Serialize for Yuan {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_yuan_string())
    }
}

impl From<Fen> for Money {
    fn from(fen: Fen) -> Money {
        Money {
            fen: fen.fen(),
            yuan: Yuan(fen),
        }
    }
}

impl Money {
    /// The amount in yuan as a spreadsheet number. Amounts are far below 2^53 fen, so the value
    /// divided by 100 is the nearest double to the decimal amount.
    pub fn as_f64(&self) -> f64 {
        // i64 → f64 is exact for every amount a member owes or pays (below 2^53 fen).
        #[allow(clippy::cast_precision_loss)]
        let fen = self.fen as f64;
        fen / 100.0
    }
}

/// `2026年3月10日`.
pub fn date_zh(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

fn optional_date(date: Option<NaiveDate>) -> String {
    date.map(date_zh).unwrap_or_default()
}

/// `2026-03-10`, for table columns.
pub fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

pub fn sex_zh(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "男",
        Sex::Female => "女",
    }
}

pub fn category_zh(category: EmploymentCategory) -> &'static str {
    zhibu_core::dues::category_name_zh(category)
}

// ---------------------------------------------------------------------------------------------
// 党员名册
// ---------------------------------------------------------------------------------------------

/// The roster of a branch on a day (党员名册).
#[derive(Debug, Clone, Serialize)]
pub struct RosterView {
    pub branch_name: String,
    pub parent_name: String,
    pub as_of: String,
    /// Whether ID numbers and phones are masked in this copy.
    pub masked: bool,
    pub rows: Vec<RosterRow>,
    pub full_count: usize,
    pub probationary_count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RosterRow {
    pub index: usize,
    pub name: String,
    pub sex: String,
    pub ethnicity: String,
    pub birth_date: String,
    pub education: String,
    /// As the reader may see it: whole, or masked.
    pub id_number: String,
    pub phone: String,
    pub joined_on: String,
    pub full_member_on: String,
    pub status: String,
    pub party_group: String,
    pub category: String,
    pub note: String,
}

/// The registry fields kept beside the member record (民族, 学历, 身份证号, 手机), already masked
/// or not as the reader may see them. Empty where the branch has not recorded them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryFields {
    pub ethnicity: String,
    pub education: String,
    pub id_number: String,
    pub phone: String,
}

/// The day a member became a full member (转正), from their status history.
pub fn full_member_on(member: &Member) -> Option<NaiveDate> {
    let starts_probationary = member
        .status_history
        .first()
        .is_some_and(|change| change.status == MemberStatus::Probationary);
    if !starts_probationary {
        // Admitted before the records begin, or recorded as full from the start.
        return None;
    }
    member
        .status_history
        .iter()
        .find(|change| change.status == MemberStatus::Full)
        .map(|change| change.effective_on)
}

/// One roster line for `member` on `as_of`.
pub fn roster_row(
    index: usize,
    member: &Member,
    as_of: NaiveDate,
    group_names: &HashMap<zhibu_core::OrgId, String>,
    registry: &RegistryFields,
) -> RosterRow {
    let status = member.status_on(as_of);
    let group = member
        .posting_on(as_of)
        .and_then(|posting| posting.group_id)
        .and_then(|group| group_names.get(&group).cloned())
        .unwrap_or_default();
    let mut notes = Vec::new();
    if member.leading_cadre {
        notes.push("党员领导干部".to_string());
    }
    if let Some(reason) = &member.org_life_exemption {
        notes.push(format!("免于参加组织生活：{reason}"));
    }
    if let Some(from) = member
        .posting_on(as_of)
        .and_then(|posting| posting.transferred_in_from.as_ref())
    {
        notes.push(format!("转自{from}"));
    }
    RosterRow {
        index,
        name: member.name.clone(),
        sex: sex_zh(member.sex).to_string(),
        ethnicity: registry.ethnicity.clone(),
        birth_date: member.birth_date.map(iso).unwrap_or_default(),
        education: registry.education.clone(),
        id_number: registry.id_number.clone(),
        phone: registry.phone.clone(),
        joined_on: iso(member.joined_on),
        full_member_on: full_member_on(member).map(iso).unwrap_or_default(),
        status: status.map(|s| s.name_zh().to_string()).unwrap_or_default(),
        party_group: group,
        category: category_zh(member.employment).to_string(),
        note: notes.join("；"),
    }
}

// ---------------------------------------------------------------------------------------------
// 党费收缴登记表
// ---------------------------------------------------------------------------------------------

/// A branch's dues register for one month (党费收缴登记表), with the year's ledger to that month.
#[derive(Debug, Clone, Serialize)]
pub struct DuesRegisterView {
    pub branch_name: String,
    /// `2026年3月`.
    pub month_label: String,
    pub month: String,
    pub rows: Vec<DuesRow>,
    pub expected: Money,
    pub collected: Money,
    pub collected_for_month: Money,
    pub arrears_total: Money,
    pub members_in_arrears: usize,
    pub members_with_unknown_due: usize,
    /// `50%`.
    pub remit_share: String,
    pub remitted: Money,
    pub flags: Vec<String>,
    /// The year's ledger, January to the register's month, one line per member.
    pub ledger_months: Vec<String>,
    pub ledger: Vec<LedgerRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DuesRow {
    pub index: usize,
    pub name: String,
    pub category: String,
    /// Empty when no income is declared.
    pub base: Option<Money>,
    pub rate: String,
    /// Empty when the amount owed is unknown.
    pub owed: Option<Money>,
    pub paid_for_month: Money,
    pub received_in_month: Money,
    pub arrears_to_date: Money,
    pub state: String,
    pub unpaid_months: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LedgerRow {
    pub name: String,
    /// What was paid toward each month, with its state.
    pub months: Vec<LedgerCell>,
    pub total_owed: Money,
    pub total_paid: Money,
    pub arrears: Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct LedgerCell {
    pub owed: Option<Money>,
    pub paid: Money,
    pub state: String,
}

fn basis_points_text(points: u32) -> String {
    let whole = points / 100;
    let rest = points % 100;
    if rest == 0 {
        format!("{whole}%")
    } else if rest.is_multiple_of(10) {
        format!("{whole}.{}%", rest / 10)
    } else {
        format!("{whole}.{rest:02}%")
    }
}

fn month_label(month: YearMonth) -> String {
    format!("{}年{}月", month.year(), month.month())
}

/// The register of `report`, with `ledgers` (January to the report's month) in the order of the
/// report's members; `names` gives each member's name.
pub fn dues_register(
    branch_name: &str,
    report: &BranchCollectionReport,
    ledgers: &[MemberLedger],
    names: &HashMap<MemberId, String>,
) -> DuesRegisterView {
    let rows = report
        .members
        .iter()
        .enumerate()
        .map(|(index, line)| DuesRow {
            index: index + 1,
            name: line.name.clone(),
            category: line
                .due
                .category
                .map(|category| category_zh(category).to_string())
                .unwrap_or_default(),
            base: line.due.base.map(Money::from),
            rate: line
                .due
                .rate
                .as_ref()
                .map(|rate| rate.describe_zh())
                .unwrap_or_default(),
            owed: line.owed.map(Money::from),
            paid_for_month: line.paid_for_month.into(),
            received_in_month: line.received_in_month.into(),
            arrears_to_date: line.arrears_to_date.into(),
            state: line.state.name_zh().to_string(),
            unpaid_months: line
                .unpaid_months
                .iter()
                .map(|month| format!("{}月", month.month()))
                .collect::<Vec<_>>()
                .join("、"),
        })
        .collect();
    let ledger_months: Vec<YearMonth> = ledgers
        .first()
        .map(|ledger| ledger.months.iter().map(|month| month.month).collect())
        .unwrap_or_default();
    let ledger = ledgers
        .iter()
        .map(|ledger| LedgerRow {
            name: names.get(&ledger.member_id).cloned().unwrap_or_default(),
            months: ledger_months
                .iter()
                .map(|month| match ledger.month(*month) {
                    Some(line) => LedgerCell {
                        owed: line.owed.map(Money::from),
                        paid: line.paid.into(),
                        state: line.state.name_zh().to_string(),
                    },
                    None => LedgerCell {
                        owed: None,
                        paid: Fen::ZERO.into(),
                        state: MonthState::NotOwed.name_zh().to_string(),
                    },
                })
                .collect(),
            total_owed: ledger.total_owed.into(),
            total_paid: ledger.total_paid.into(),
            arrears: ledger.arrears.into(),
        })
        .collect();
    DuesRegisterView {
        branch_name: branch_name.to_string(),
        month_label: month_label(report.month),
        month: report.month.to_string(),
        rows,
        expected: report.expected.into(),
        collected: report.collected.into(),
        collected_for_month: report.collected_for_month.into(),
        arrears_total: report.arrears_total.into(),
        members_in_arrears: report.members_in_arrears.len(),
        members_with_unknown_due: report.members_with_unknown_due.len(),
        remit_share: basis_points_text(report.remittance.share.0),
        remitted: report.remittance.total.into(),
        flags: report
            .flags
            .iter()
            .map(|flag| {
                let name = names.get(&flag.member_id).cloned().unwrap_or_default();
                format!("{name}：{}", flag.message_zh)
            })
            .collect(),
        ledger_months: ledger_months
            .iter()
            .map(|month| format!("{}月", month.month()))
            .collect(),
        ledger,
    }
}

// ---------------------------------------------------------------------------------------------
// 会议记录 (三会一课记录本)
// ---------------------------------------------------------------------------------------------

/// One meeting as a 三会一课 record book lays it out.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingRecordView {
    pub branch_name: String,
    pub kinds: String,
    pub date: String,
    pub place: String,
    pub chair: String,
    pub recorder: String,
    pub expected: usize,
    pub present: usize,
    pub absent_count: usize,
    pub present_names: String,
    pub absences: Vec<AbsenceLine>,
    pub topics: Vec<String>,
    pub minutes: String,
    pub resolutions: Vec<ResolutionLine>,
    /// `第2版`, with the reason of the latest amendment if any.
    pub version_note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AbsenceLine {
    pub name: String,
    /// 请假 or 缺席.
    pub state: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResolutionLine {
    pub subject: String,
    pub yes: u32,
    pub no: u32,
    pub abstain: u32,
    pub outcome: String,
}

pub fn meeting_kinds_zh(kinds: &[MeetingKind]) -> String {
    kinds
        .iter()
        .map(|kind| kind.name_zh())
        .collect::<Vec<_>>()
        .join("、")
}

fn name_of(names: &HashMap<MemberId, String>, id: MemberId) -> String {
    names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("党员{id}"))
}

/// The record of `meeting`; `names` gives the names of the people it lists.
pub fn meeting_record(
    branch_name: &str,
    meeting: &Meeting,
    names: &HashMap<MemberId, String>,
    version_note: &str,
) -> MeetingRecordView {
    let present: Vec<String> = meeting
        .present()
        .map(|member| name_of(names, member))
        .collect();
    let absences: Vec<AbsenceLine> = meeting
        .attendance
        .iter()
        .filter_map(|entry| match &entry.state {
            AttendanceState::Present => None,
            AttendanceState::Excused { reason } => Some(AbsenceLine {
                name: name_of(names, entry.member_id),
                state: "请假".to_string(),
                reason: reason.clone(),
            }),
            AttendanceState::Absent => Some(AbsenceLine {
                name: name_of(names, entry.member_id),
                state: "缺席".to_string(),
                reason: String::new(),
            }),
        })
        .collect();
    MeetingRecordView {
        branch_name: branch_name.to_string(),
        kinds: meeting_kinds_zh(&meeting.kinds),
        date: date_zh(meeting.held_on),
        place: meeting.place.clone(),
        chair: meeting
            .chair_id
            .map(|id| name_of(names, id))
            .unwrap_or_default(),
        recorder: meeting
            .recorder_id
            .map(|id| name_of(names, id))
            .unwrap_or_default(),
        expected: meeting.attendance.len(),
        present: present.len(),
        absent_count: absences.len(),
        present_names: present.join("、"),
        absences,
        topics: meeting.topics.clone(),
        minutes: meeting.minutes.clone(),
        resolutions: meeting
            .resolutions
            .iter()
            .map(|resolution| ResolutionLine {
                subject: resolution.subject.clone(),
                yes: resolution.yes,
                no: resolution.no,
                abstain: resolution.abstain,
                outcome: outcome_zh(resolution.recorded_outcome).to_string(),
            })
            .collect(),
        version_note: version_note.to_string(),
    }
}

fn outcome_zh(outcome: RecordedOutcome) -> &'static str {
    match outcome {
        RecordedOutcome::Passed => "通过",
        RecordedOutcome::Rejected => "未通过",
    }
}

// ---------------------------------------------------------------------------------------------
// 出勤登记 (attendance over a period)
// ---------------------------------------------------------------------------------------------

/// Attendance per meeting × member over a period.
#[derive(Debug, Clone, Serialize)]
pub struct AttendanceView {
    pub branch_name: String,
    pub period: String,
    pub meetings: Vec<AttendanceMeeting>,
    pub rows: Vec<AttendanceRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttendanceMeeting {
    pub date: String,
    pub kinds: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttendanceRow {
    pub name: String,
    /// One per meeting: 出席, 请假（reason）, 缺席, or empty when not on the meeting's roster.
    pub cells: Vec<String>,
    pub present: usize,
    pub expected: usize,
}

/// Attendance of `members` (id, name, in order) at `meetings` (in date order).
pub fn attendance(
    branch_name: &str,
    period: &str,
    meetings: &[&Meeting],
    members: &[(MemberId, String)],
) -> AttendanceView {
    let rows = members
        .iter()
        .map(|(member, name)| {
            let mut present = 0;
            let mut expected = 0;
            let cells = meetings
                .iter()
                .map(|meeting| {
                    match meeting
                        .attendance
                        .iter()
                        .find(|entry| entry.member_id == *member)
                    {
                        None => String::new(),
                        Some(entry) => {
                            expected += 1;
                            match &entry.state {
                                AttendanceState::Present => {
                                    present += 1;
                                    "出席".to_string()
                                }
                                AttendanceState::Excused { reason } => format!("请假（{reason}）"),
                                AttendanceState::Absent => "缺席".to_string(),
                            }
                        }
                    }
                })
                .collect();
            AttendanceRow {
                name: name.clone(),
                cells,
                present,
                expected,
            }
        })
        .collect();
    AttendanceView {
        branch_name: branch_name.to_string(),
        period: period.to_string(),
        meetings: meetings
            .iter()
            .map(|meeting| AttendanceMeeting {
                date: meeting.held_on.format("%Y-%m-%d").to_string(),
                kinds: meeting_kinds_zh(&meeting.kinds),
            })
            .collect(),
        rows,
    }
}

// ---------------------------------------------------------------------------------------------
// 年度工作纪实 (annual summary)
// ---------------------------------------------------------------------------------------------

/// What a branch did in a year, month by month, and the findings still open: facts, no scores.
#[derive(Debug, Clone, Serialize)]
pub struct AnnualSummaryView {
    pub branch_name: String,
    pub year: i32,
    pub as_of: String,
    /// The duty columns: the meeting kinds, then heart-to-heart talks.
    pub duties: Vec<String>,
    pub months: Vec<SummaryMonth>,
    pub totals: Vec<usize>,
    pub meetings: Vec<SummaryMeeting>,
    pub findings: Vec<SummaryFinding>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SummaryMonth {
    pub label: String,
    pub counts: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SummaryMeeting {
    pub date: String,
    pub kinds: String,
    pub topics: String,
    pub attendance: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SummaryFinding {
    pub title: String,
    pub period: String,
    pub message: String,
    pub citation: String,
    pub due_on: String,
}

pub const SUMMARY_MEETING_KINDS: [MeetingKind; 7] = [
    MeetingKind::GeneralMeeting,
    MeetingKind::CommitteeMeeting,
    MeetingKind::GroupMeeting,
    MeetingKind::PartyLecture,
    MeetingKind::ThemedPartyDay,
    MeetingKind::OrgLifeMeeting,
    MeetingKind::MemberAppraisal,
];

/// The summary of `year`: `meetings` held by the branch and its groups, the dates of its talks,
/// and the open findings of the branch.
pub fn annual_summary(
    branch_name: &str,
    year: i32,
    as_of: NaiveDate,
    meetings: &[&Meeting],
    talk_dates: &[NaiveDate],
    open_findings: &[&Finding],
) -> AnnualSummaryView {
    let mut duties: Vec<String> = SUMMARY_MEETING_KINDS
        .iter()
        .map(|kind| kind.name_zh().to_string())
        .collect();
    duties.push("谈心谈话".to_string());
    let months: Vec<SummaryMonth> = (1..=12u32)
        .map(|month| {
            let in_month = |date: NaiveDate| date.year() == year && date.month() == month;
            let mut counts: Vec<usize> = SUMMARY_MEETING_KINDS
                .iter()
                .map(|kind| {
                    meetings
                        .iter()
                        .filter(|meeting| meeting.is_kind(*kind) && in_month(meeting.held_on))
                        .count()
                })
                .collect();
            counts.push(talk_dates.iter().filter(|date| in_month(**date)).count());
            SummaryMonth {
                label: format!("{month}月"),
                counts,
            }
        })
        .collect();
    let totals = (0..duties.len())
        .map(|column| months.iter().map(|month| month.counts[column]).sum())
        .collect();
    let mut sorted: Vec<&&Meeting> = meetings.iter().collect();
    sorted.sort_by_key(|meeting| meeting.held_on);
    AnnualSummaryView {
        branch_name: branch_name.to_string(),
        year,
        as_of: date_zh(as_of),
        duties,
        months,
        totals,
        meetings: sorted
            .into_iter()
            .map(|meeting| SummaryMeeting {
                date: meeting.held_on.format("%m-%d").to_string(),
                kinds: meeting_kinds_zh(&meeting.kinds),
                topics: meeting.topics.join("；"),
                attendance: format!("{}/{}", meeting.present().count(), meeting.attendance.len()),
            })
            .collect(),
        findings: open_findings
            .iter()
            .map(|finding| SummaryFinding {
                title: finding.title_zh.clone(),
                period: finding.period_label.clone(),
                message: finding.message_zh.clone(),
                citation: format!("{}{}", finding.citation.document, finding.citation.article),
                due_on: optional_date(finding.due_on),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// 发展党员纪实表
// ---------------------------------------------------------------------------------------------

/// One person's admission record, step by step (发展党员工作纪实表).
#[derive(Debug, Clone, Serialize)]
pub struct AdmissionRecordView {
    pub name: String,
    pub birth_date: String,
    pub branch_name: String,
    pub mobile: bool,
    /// The rule text the record is read under today (the version in force on its latest step).
    pub rules: String,
    pub state: String,
    pub stages: Vec<AdmissionStageView>,
    pub documents: Vec<String>,
    pub reasons: Vec<String>,
    pub transfers: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdmissionStageView {
    pub name: String,
    pub steps: Vec<StepLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepLine {
    /// `1`…`25`; empty for the 2026 publicity, which has no number.
    pub number: String,
    pub step: String,
    pub dates: String,
    pub people: String,
    pub documents: String,
    pub note: String,
}

/// The steps in the order the record book lists them (the publicity of 2026 after step 8).
pub const STEP_ORDER: [AdmissionStep; 26] = [
    AdmissionStep::SubmitApplication,
    AdmissionStep::ApplicationTalk,
    AdmissionStep::DetermineActivist,
    AdmissionStep::FileActivist,
    AdmissionStep::AssignMentors,
    AdmissionStep::ActivistReview,
    AdmissionStep::ListCandidate,
    AdmissionStep::ReportCandidateToUpper,
    AdmissionStep::CandidatePublicity,
    AdmissionStep::AssignSponsors,
    AdmissionStep::PoliticalReview,
    AdmissionStep::Training,
    AdmissionStep::CommitteeReview,
    AdmissionStep::Pretrial,
    AdmissionStep::FillApplicationForm,
    AdmissionStep::AdmissionVote,
    AdmissionStep::UpperTalk,
    AdmissionStep::AdmissionApproval,
    AdmissionStep::ApprovalFiled,
    AdmissionStep::AssignToGroup,
    AdmissionStep::Oath,
    AdmissionStep::ProbationEducation,
    AdmissionStep::ConversionApplication,
    AdmissionStep::ConversionVote,
    AdmissionStep::ConversionApproval,
    AdmissionStep::Archive,
];

pub fn document_zh(document: &AdmissionDocument) -> String {
    match document {
        AdmissionDocument::ApplicationLetter => "入党申请书".to_string(),
        AdmissionDocument::ThoughtReport => "思想汇报".to_string(),
        AdmissionDocument::ActivistRegister => "入党积极分子培养考察登记表".to_string(),
        AdmissionDocument::PoliticalReviewConclusion => "政治审查结论性材料".to_string(),
        AdmissionDocument::ApplicationForm => "入党志愿书".to_string(),
        AdmissionDocument::ProbationRegister => "预备党员教育考察登记表".to_string(),
        AdmissionDocument::ConversionApplication => "转正申请书".to_string(),
        AdmissionDocument::Other { name } => name.clone(),
    }
}

/// The step a received document belongs to.
fn document_step(document: &AdmissionDocument) -> Option<AdmissionStep> {
    Some(match document {
        AdmissionDocument::ApplicationLetter => AdmissionStep::SubmitApplication,
        AdmissionDocument::ThoughtReport | AdmissionDocument::ActivistRegister => {
            AdmissionStep::ActivistReview
        }
        AdmissionDocument::PoliticalReviewConclusion => AdmissionStep::PoliticalReview,
        AdmissionDocument::ApplicationForm => AdmissionStep::FillApplicationForm,
        AdmissionDocument::ProbationRegister => AdmissionStep::ProbationEducation,
        AdmissionDocument::ConversionApplication => AdmissionStep::ConversionApplication,
        AdmissionDocument::Other { .. } => return None,
    })
}

fn vote_text(vote: &RecordedVote) -> String {
    let counts = &vote.counts;
    let mut text = format!(
        "{}：应到{}人，实到{}人；赞成{}、反对{}、弃权{}",
        date_zh(vote.held_on),
        counts.expected,
        counts.present,
        counts.in_room.yes,
        counts.in_room.no,
        counts.in_room.abstain
    );
    if counts.written.total() > 0 {
        text.push_str(&format!("；书面意见赞成{}", counts.written.yes));
    }
    text.push_str(&format!("；{}", outcome_zh(vote.recorded_outcome)));
    text
}

fn approval_text(approval: &Approval) -> String {
    format!(
        "{}：{}",
        date_zh(approval.decided_on),
        if approval.approved {
            "批准"
        } else {
            "不批准"
        }
    )
}

fn proposal_zh(proposal: ProbationProposal) -> String {
    match proposal {
        ProbationProposal::Convert => "按期转为正式党员".to_string(),
        ProbationProposal::Extend { months } => format!("延长预备期{months}个月"),
        ProbationProposal::Cancel => "取消预备党员资格".to_string(),
    }
}

fn people_text(
    ids: impl IntoIterator<Item = MemberId>,
    names: &HashMap<MemberId, String>,
) -> String {
    ids.into_iter()
        .map(|id| name_of(names, id))
        .collect::<Vec<_>>()
        .join("、")
}

fn dates_text(dates: &[NaiveDate]) -> String {
    dates
        .iter()
        .map(|date| date_zh(*date))
        .collect::<Vec<_>>()
        .join("、")
}

/// The 纪实表 of `record`; `names` gives the names of talkers, mentors and sponsors.
pub fn admission_record(
    record: &AdmissionRecord,
    branch_name: &str,
    names: &HashMap<MemberId, String>,
    today: NaiveDate,
) -> AdmissionRecordView {
    let version = AdmissionRuleSet::in_force_on(today);
    let mut stages: Vec<AdmissionStageView> = Vec::new();
    for step in STEP_ORDER {
        let (dates, people, note): (String, String, String) = match step {
            AdmissionStep::SubmitApplication => (
                date_zh(record.application_received_on),
                String::new(),
                String::new(),
            ),
            AdmissionStep::ApplicationTalk => match &record.application_talk {
                Some(talk) => (
                    date_zh(talk.held_on),
                    people_text(talk.talkers.iter().copied(), names),
                    String::new(),
                ),
                None => Default::default(),
            },
            AdmissionStep::DetermineActivist => (
                optional_date(record.activist_determined_on),
                String::new(),
                String::new(),
            ),
            AdmissionStep::FileActivist => (
                optional_date(record.activist_filed_on),
                String::new(),
                String::new(),
            ),
            AdmissionStep::AssignMentors => {
                let mut unique = record
                    .mentors
                    .iter()
                    .map(|mentor| date_zh(mentor.assigned_on))
                    .collect::<Vec<_>>();
                unique.dedup();
                let released: Vec<String> = record
                    .mentors
                    .iter()
                    .filter_map(|mentor| {
                        mentor.released_on.map(|on| {
                            format!(
                                "{}于{}不再担任",
                                name_of(names, mentor.member_id),
                                date_zh(on)
                            )
                        })
                    })
                    .collect();
                (
                    unique.join("、"),
                    people_text(record.mentors.iter().map(|mentor| mentor.member_id), names),
                    released.join("；"),
                )
            }
            AdmissionStep::ActivistReview => (
                dates_text(&record.activist_reviews),
                String::new(),
                String::new(),
            ),
            AdmissionStep::ListCandidate => (
                optional_date(record.candidate_listed_on),
                String::new(),
                String::new(),
            ),
            AdmissionStep::ReportCandidateToUpper => (
                optional_date(record.candidate_reported_to_upper_on),
                String::new(),
                String::new(),
            ),
            AdmissionStep::CandidatePublicity => {
                if record.publicity.is_empty() && version == AdmissionRuleSet::Rules2014 {
                    continue;
                }
                (
                    record
                        .publicity
                        .iter()
                        .map(|publicity| {
                            format!(
                                "{}至{}（{}）",
                                date_zh(publicity.first_day),
                                date_zh(publicity.last_day),
                                publicity.place.name_zh()
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("；"),
                    String::new(),
                    String::new(),
                )
            }
            AdmissionStep::AssignSponsors => {
                let mut dates: Vec<NaiveDate> =
                    record.sponsors.iter().map(|s| s.assigned_on).collect();
                dates.dedup();
                (
                    dates_text(&dates),
                    people_text(record.sponsors.iter().map(|s| s.member_id), names),
                    String::new(),
                )
            }
            AdmissionStep::PoliticalReview => (
                optional_date(record.political_review_concluded_on),
                String::new(),
                String::new(),
            ),
            AdmissionStep::Training => match &record.training {
                Some(training) => (
                    date_zh(training.finished_on),
                    String::new(),
                    format!("{}天，{}学时", training.days, training.hours),
                ),
                None => Default::default(),
            },
            AdmissionStep::CommitteeReview => (
                optional_date(record.committee_review_on),
                String::new(),
                String::new(),
            ),
            AdmissionStep::Pretrial => (
                optional_date(record.pretrial_passed_on),
                String::new(),
                String::new(),
            ),
            AdmissionStep::FillApplicationForm => (
                optional_date(record.application_form_issued_on),
                String::new(),
                String::new(),
            ),
            AdmissionStep::AdmissionVote => match &record.admission_vote {
                Some(vote) => (date_zh(vote.held_on), String::new(), vote_text(vote)),
                None => Default::default(),
            },
            AdmissionStep::UpperTalk => match &record.upper_talk {
                Some(talk) => (
                    date_zh(talk.held_on),
                    people_text(talk.talkers.iter().copied(), names),
                    String::new(),
                ),
                None => Default::default(),
            },
            AdmissionStep::AdmissionApproval => match &record.admission_approval {
                Some(approval) => (
                    date_zh(approval.decided_on),
                    String::new(),
                    approval_text(approval),
                ),
                None => Default::default(),
            },
            AdmissionStep::ApprovalFiled => (
                optional_date(record.approval_filed_on),
                String::new(),
                String::new(),
            ),
            AdmissionStep::AssignToGroup => (
                optional_date(record.assigned_to_group_on),
                String::new(),
                String::new(),
            ),
            AdmissionStep::Oath => (optional_date(record.oath_on), String::new(), String::new()),
            AdmissionStep::ProbationEducation => (
                dates_text(&record.probation_reviews),
                String::new(),
                record
                    .transferred_in_during_probation_on
                    .map(|on| format!("{}转入", date_zh(on)))
                    .unwrap_or_default(),
            ),
            AdmissionStep::ConversionApplication => (
                optional_date(record.conversion_application_on),
                String::new(),
                String::new(),
            ),
            AdmissionStep::ConversionVote => (
                record
                    .probation_decisions
                    .iter()
                    .map(|decision| date_zh(decision.vote.held_on))
                    .collect::<Vec<_>>()
                    .join("、"),
                String::new(),
                record
                    .probation_decisions
                    .iter()
                    .map(|decision| {
                        format!(
                            "{}（{}）",
                            proposal_zh(decision.proposal),
                            vote_text(&decision.vote)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("；"),
            ),
            AdmissionStep::ConversionApproval => {
                let approvals: Vec<(&ProbationProposal, &Approval)> = record
                    .probation_decisions
                    .iter()
                    .filter_map(|decision| {
                        decision
                            .approval
                            .as_ref()
                            .map(|approval| (&decision.proposal, approval))
                    })
                    .collect();
                (
                    approvals
                        .iter()
                        .map(|(_, approval)| date_zh(approval.decided_on))
                        .collect::<Vec<_>>()
                        .join("、"),
                    String::new(),
                    approvals
                        .iter()
                        .map(|(proposal, approval)| {
                            format!("{}：{}", proposal_zh(**proposal), approval_text(approval))
                        })
                        .collect::<Vec<_>>()
                        .join("；"),
                )
            }
            AdmissionStep::Archive => (
                optional_date(record.archived_on),
                String::new(),
                String::new(),
            ),
        };
        let documents = record
            .documents
            .iter()
            .filter(|received| document_step(&received.document) == Some(step))
            .map(|received| {
                format!(
                    "{}（{}收）",
                    document_zh(&received.document),
                    date_zh(received.received_on)
                )
            })
            .collect::<Vec<_>>()
            .join("；");
        let line = StepLine {
            number: step.number().map(|n| n.to_string()).unwrap_or_default(),
            step: step.name_zh(version).to_string(),
            dates,
            people,
            documents,
            note,
        };
        let stage_name = step.stage().name_zh().to_string();
        match stages.last_mut() {
            Some(stage) if stage.name == stage_name => stage.steps.push(line),
            _ => stages.push(AdmissionStageView {
                name: stage_name,
                steps: vec![line],
            }),
        }
    }
    let state = if record.archived_on.is_some() {
        "材料已归档"
    } else if record.is_closed() {
        "已终止"
    } else if record.approved_conversion().is_some() {
        "已转为正式党员"
    } else if record.is_admitted() {
        "预备党员"
    } else if record.candidate_listed_on.is_some() {
        "发展对象"
    } else if record.activist_determined_on.is_some() {
        "入党积极分子"
    } else {
        "入党申请人"
    };
    AdmissionRecordView {
        name: record.person.name.clone(),
        birth_date: date_zh(record.person.birth_date),
        branch_name: branch_name.to_string(),
        mobile: record.person.mobile,
        rules: version.document_zh().to_string(),
        state: state.to_string(),
        stages,
        documents: record
            .documents
            .iter()
            .filter(|received| document_step(&received.document).is_none())
            .map(|received| {
                format!(
                    "{}（{}收）",
                    document_zh(&received.document),
                    date_zh(received.received_on)
                )
            })
            .collect(),
        reasons: record
            .reasons
            .iter()
            .map(|reason| {
                let subject = match reason.subject {
                    ReasonSubject::ApprovalDelay => "延长审批时间".to_string(),
                    ReasonSubject::UntrainedException => "未经集中培训".to_string(),
                    ReasonSubject::LateStep { step } => {
                        format!("逾期：{}", step.name_zh(version))
                    }
                };
                format!(
                    "{}（{}）：{}",
                    subject,
                    date_zh(reason.recorded_on),
                    reason.reason
                )
            })
            .collect(),
        transfers: record
            .activist_transfers
            .iter()
            .map(|transfer| {
                format!(
                    "{}自{}转入",
                    date_zh(transfer.received_on),
                    transfer.from_org
                )
            })
            .collect(),
    }
}
