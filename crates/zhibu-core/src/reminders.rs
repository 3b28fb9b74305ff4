//! Reminders before deadlines (issue 7): which findings to tell whom about today, and in what
//! words. Pure: the caller passes today, the engine's findings, the org tree and the accounts; the
//! IO (storing the inbox, sending e-mail and group-bot messages) is in the `zhibu-notify` crate.
//!
//! What is told, and when (every lead time is configurable, [`ReminderSettings`]):
//! - A recurring duty of a period that has not ended yet (a finding `coming_due` with a period) is
//!   told on the days its period's last day is exactly one of `period_end_days` away (default 7
//!   and 1 days before a month, quarter or year ends).
//! - A committee's term (`BRANCH.COMMITTEE.TERM_EXPIRY`, coming due from 6 months ahead) is told
//!   on the days exactly `term_end_months` before the term ends (default 6 months and 1 month).
//! - An open admission step with a deadline is told `admission_days` before it (default 7 and 1).
//! - Any other coming-due item with a date uses `period_end_days`; one without a date (three months
//!   without organizational life) is a *standing* item, told once a week on `standing_weekday`.
//! - An overdue or missed duty (missing, invalid, overdue) is told on the day after its due date
//!   and every `overdue_repeat_days` after that, at most `overdue_repeat_times` times; a standing
//!   problem without a due date (no secretary in post) is told weekly like a standing item.
//! - Exempted findings are never told.
//!
//! Who is told ("the person who must act", from the finding's [`Responsibility`]): for a branch's
//! duty, the accounts of the branch's secretaries; where the branch has none, its committee
//! members' accounts; where it has neither, the staff of the nearest committee above (so that the
//! duty does not fall silently). For a duty of the organization above, its staff's accounts, up
//! the tree to the nearest committee with staff, and administrators at the top.
//!
//! Idempotency: a [`Reminder`] carries `item_key` (the finding's key); the store keeps one row per
//! account × item × day, so nobody is told the same thing twice in a day, however often the
//! scheduler runs and in however many processes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::calendar::add_months;
use crate::domain::{OrgId, OrgLevel, RecordKind};
use crate::engine::{Finding, FindingStatus};
use crate::rules::Responsibility;

/// When to tell. Defaults follow the issue: 7 and 1 days before a period ends, 6 months (and 1
/// month) before a term ends, 7 and 1 days before an admission step's deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReminderSettings {
    /// Days before the last day of a recurring duty's period.
    pub period_end_days: Vec<u32>,
    /// Months before a committee's term ends.
    pub term_end_months: Vec<u32>,
    /// Days before an admission step's deadline.
    pub admission_days: Vec<u32>,
    /// An overdue duty is told again every this many days after the first time (the day after its
    /// due date).
    pub overdue_repeat_days: u32,
    /// At most this many times in all for one overdue duty.
    pub overdue_repeat_times: u32,
    /// Items without a date (and problems without a due date) are told on this day of the week.
    pub standing_weekday: Weekday,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        ReminderSettings {
            period_end_days: vec![7, 1],
            term_end_months: vec![6, 1],
            admission_days: vec![7, 1],
            overdue_repeat_days: 7,
            overdue_repeat_times: 4,
            standing_weekday: Weekday::Mon,
        }
    }
}

/// The role of an account, as the accounts store keeps it (the web layer decides what a role may
/// do; here it only says who is told).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    Administrator,
    CommitteeStaff,
    BranchSecretary,
    BranchCommitteeMember,
    Member,
}

impl AccountRole {
    /// Reads the stored name (`branch_secretary`…); `None` for a word this build does not know.
    pub fn parse(text: &str) -> Option<AccountRole> {
        Some(match text {
            "administrator" => AccountRole::Administrator,
            "committee_staff" => AccountRole::CommitteeStaff,
            "branch_secretary" => AccountRole::BranchSecretary,
            "branch_committee_member" => AccountRole::BranchCommitteeMember,
            "member" => AccountRole::Member,
            _ => return None,
        })
    }
}

/// An account that may be told something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    pub account_id: i64,
    pub display_name: String,
    pub role: AccountRole,
    /// The org the account works in; `None` for administrators.
    pub scope_org: Option<OrgId>,
}

/// An organization as the reminders need it: its name, level and parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgNode {
    pub name: String,
    pub level: OrgLevel,
    pub parent: Option<OrgId>,
}

/// The people and the tree: who can be told, and where they work.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub orgs: HashMap<OrgId, OrgNode>,
    pub addressees: Vec<Addressee>,
}

impl Directory {
    fn of_role_at(&self, role: AccountRole, org: OrgId) -> Vec<i64> {
        self.addressees
            .iter()
            .filter(|account| account.role == role && account.scope_org == Some(org))
            .map(|account| account.account_id)
            .collect()
    }

    /// The staff of `org` or, if it has none, of the nearest organization above it that has;
    /// administrators when nobody up the tree has staff.
    fn staff_from(&self, org: Option<OrgId>) -> Vec<i64> {
        let mut current = org;
        let mut steps = 0;
        while let Some(id) = current {
            let staff = self.of_role_at(AccountRole::CommitteeStaff, id);
            if !staff.is_empty() {
                return staff;
            }
            current = self.orgs.get(&id).and_then(|node| node.parent);
            steps += 1;
            if steps > 64 {
                // A cycle in the tree is a defect elsewhere; stop rather than loop.
                break;
            }
        }
        self.addressees
            .iter()
            .filter(|account| account.role == AccountRole::Administrator)
            .map(|account| account.account_id)
            .collect()
    }

    /// The branch a finding belongs to: the org it names, or the branch above a party group.
    fn branch_of(&self, org: OrgId) -> OrgId {
        match self.orgs.get(&org) {
            Some(node) if node.level == OrgLevel::PartyGroup => node.parent.unwrap_or(org),
            _ => org,
        }
    }

    /// Who must act on `finding`.
    pub fn recipients(&self, finding: &Finding) -> Vec<i64> {
        let branch = self.branch_of(finding.org_id);
        let parent = self.orgs.get(&branch).and_then(|node| node.parent);
        let mut accounts = match finding.responsible.responsibility {
            Responsibility::BranchSecretary => {
                let secretaries = self.of_role_at(AccountRole::BranchSecretary, branch);
                if !secretaries.is_empty() {
                    secretaries
                } else {
                    let committee = self.of_role_at(AccountRole::BranchCommitteeMember, branch);
                    if !committee.is_empty() {
                        committee
                    } else {
                        self.staff_from(parent)
                    }
                }
            }
            Responsibility::ParentOrg => self.staff_from(parent.or(Some(branch))),
        };
        accounts.sort_unstable();
        accounts.dedup();
        accounts
    }
}

/// Why an item is told today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum ReminderStage {
    /// Due in this many days.
    DueInDays { days: u32 },
    /// A term ends in this many months.
    DueInMonths { months: u32 },
    /// Overdue by this many days.
    Overdue { days: u32 },
    /// Open, without a date: told weekly.
    Standing,
}

/// One thing to tell one account today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub account_id: i64,
    /// What "the same thing" means for idempotency: the finding's key.
    pub item_key: String,
    pub day: NaiveDate,
    pub org_id: OrgId,
    pub stage: ReminderStage,
    pub due_on: Option<NaiveDate>,
    pub subject_zh: String,
    pub subject_en: String,
    pub body_zh: String,
    pub body_en: String,
    /// The page to open, relative to the server (`/branches/12`).
    pub link_path: String,
}

/// What kind of item a coming-due finding is, which decides its lead times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemKind {
    Period,
    Term,
    Admission,
    Dated,
    Standing,
}

fn item_kind(finding: &Finding) -> ItemKind {
    if finding.period.is_some() {
        ItemKind::Period
    } else if finding.rule_id == "BRANCH.COMMITTEE.TERM_EXPIRY" {
        ItemKind::Term
    } else if finding
        .evidence
        .records
        .iter()
        .any(|record| record.kind == RecordKind::AdmissionRecord)
        && finding.due_on.is_some()
    {
        ItemKind::Admission
    } else if finding.due_on.is_some() {
        ItemKind::Dated
    } else {
        ItemKind::Standing
    }
}

/// Whether `finding` is to be told today, and at which stage.
pub fn stage_today(
    finding: &Finding,
    today: NaiveDate,
    settings: &ReminderSettings,
) -> Option<ReminderStage> {
    if finding.exemption.is_some() {
        return None;
    }
    let standing =
        (today.weekday() == settings.standing_weekday).then_some(ReminderStage::Standing);
    match finding.status {
        FindingStatus::ComingDue => {
            let kind = item_kind(finding);
            let days_left = finding
                .due_on
                .map(|due| (due - today).num_days())
                .filter(|days| *days >= 0)
                .and_then(|days| u32::try_from(days).ok());
            match kind {
                ItemKind::Term => {
                    let due = finding.due_on?;
                    settings
                        .term_end_months
                        .iter()
                        .copied()
                        .find(|months| add_months(due, -(*months as i32)) == today)
                        .map(|months| ReminderStage::DueInMonths { months })
                }
                ItemKind::Standing => standing,
                ItemKind::Period | ItemKind::Dated | ItemKind::Admission => {
                    let leads = if kind == ItemKind::Admission {
                        &settings.admission_days
                    } else {
                        &settings.period_end_days
                    };
                    let days = days_left?;
                    leads
                        .contains(&days)
                        .then_some(ReminderStage::DueInDays { days })
                }
            }
        }
        FindingStatus::Missing | FindingStatus::Invalid | FindingStatus::Overdue => {
            match finding.due_on {
                Some(due) => {
                    let late = (today - due).num_days();
                    let every = i64::from(settings.overdue_repeat_days.max(1));
                    let times = i64::from(settings.overdue_repeat_times);
                    (late >= 1 && (late - 1) % every == 0 && (late - 1) / every < times).then(
                        || ReminderStage::Overdue {
                            days: u32::try_from(late).unwrap_or(u32::MAX),
                        },
                    )
                }
                None => standing,
            }
        }
        FindingStatus::Noncompliant => standing,
    }
}

/// Everything to tell today: one reminder per account and finding, in account then key order.
/// A finding told to nobody (no account anywhere up the tree) is left out; the caller can report
/// those from [`untold`].
pub fn plan(
    findings: &[Finding],
    directory: &Directory,
    today: NaiveDate,
    settings: &ReminderSettings,
) -> Vec<Reminder> {
    let mut by_key: BTreeMap<(i64, String), Reminder> = BTreeMap::new();
    for finding in findings {
        let Some(stage) = stage_today(finding, today, settings) else {
            continue;
        };
        for account_id in directory.recipients(finding) {
            let reminder = compose(finding, directory, account_id, today, stage);
            by_key
                .entry((account_id, reminder.item_key.clone()))
                .or_insert(reminder);
        }
    }
    by_key.into_values().collect()
}

/// Findings due to be told today that nobody can be told (no account anywhere up the tree).
pub fn untold<'a>(
    findings: &'a [Finding],
    directory: &Directory,
    today: NaiveDate,
    settings: &ReminderSettings,
) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|finding| stage_today(finding, today, settings).is_some())
        .filter(|finding| directory.recipients(finding).is_empty())
        .collect()
}

/// The words of one reminder, in Chinese and English.
fn compose(
    finding: &Finding,
    directory: &Directory,
    account_id: i64,
    today: NaiveDate,
    stage: ReminderStage,
) -> Reminder {
    let branch = directory.branch_of(finding.org_id);
    let (when_zh, when_en) = match stage {
        ReminderStage::DueInDays { days: 0 } => ("今天到期".to_string(), "due today".to_string()),
        ReminderStage::DueInDays { days } => (
            format!("还有{days}天到期"),
            format!("due in {days} day{}", if days == 1 { "" } else { "s" }),
        ),
        ReminderStage::DueInMonths { months } => (
            format!("还有{months}个月到期"),
            format!(
                "due in {months} month{}",
                if months == 1 { "" } else { "s" }
            ),
        ),
        ReminderStage::Overdue { days } => (
            format!("已逾期{days}天"),
            format!("{days} day{} overdue", if days == 1 { "" } else { "s" }),
        ),
        ReminderStage::Standing => ("尚待处理".to_string(), "still open".to_string()),
    };
    let subject_zh = format!(
        "【支部提醒】{}：{}（{when_zh}）",
        finding.org_name, finding.title_zh
    );
    let subject_en = format!(
        "[Zhibu] {}: {} ({when_en})",
        finding.org_name, finding.title_en
    );
    let due_zh = finding
        .due_on
        .map(|due| format!("期限：{due}\n"))
        .unwrap_or_default();
    let due_en = finding
        .due_on
        .map(|due| format!("Due: {due}\n"))
        .unwrap_or_default();
    let citation = if finding.citation.article.is_empty() {
        finding.citation.document.clone()
    } else {
        format!("{} {}", finding.citation.document, finding.citation.article)
    };
    let missing_zh: BTreeSet<&str> = finding
        .evidence
        .missing_zh
        .iter()
        .map(String::as_str)
        .collect();
    let missing_en: BTreeSet<&str> = finding
        .evidence
        .missing_en
        .iter()
        .map(String::as_str)
        .collect();
    let list = |items: &BTreeSet<&str>| {
        items
            .iter()
            .map(|item| format!("· {item}\n"))
            .collect::<String>()
    };
    let body_zh = format!(
        "{}\n{due_zh}依据：{citation}\n{}（{today}提醒）",
        finding.message_zh,
        list(&missing_zh),
    );
    let body_en = format!(
        "{}\n{due_en}Basis: {citation}\n{}(reminder of {today})",
        finding.message_en,
        list(&missing_en),
    );
    Reminder {
        account_id,
        item_key: finding.key.clone(),
        day: today,
        org_id: finding.org_id,
        stage,
        due_on: finding.due_on,
        subject_zh,
        subject_en,
        body_zh,
        body_en,
        link_path: format!("/branches/{branch}"),
    }
}
