//! Reminders: which findings are told on which day (lead times as tables of dates), to whom
//! (responsibility → accounts, with the fall-backs up the tree), and in what words.

use chrono::{NaiveDate, Weekday};
use zhibu_core::calendar::{Period, PeriodLength};
use zhibu_core::domain::{ExemptionId, OrgId, OrgLevel, RecordKind};
use zhibu_core::engine::{
    Evidence, EvidenceRecord, ExemptionNote, Finding, FindingStatus, ResponsibleParty, RuleSource,
};
use zhibu_core::reminders::{
    AccountRole, Addressee, Directory, OrgNode, ReminderSettings, ReminderStage, plan, stage_today,
    untold,
};
use zhibu_core::rules::{Citation, Confidence, Responsibility, Severity};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

fn finding(rule_id: &str, status: FindingStatus, due_on: Option<&str>) -> Finding {
    Finding {
        key: format!("{rule_id}|10|x|"),
        rule_id: rule_id.to_string(),
        rule_version_from: day("2018-10-28"),
        rule_source: RuleSource::National,
        title_zh: "支部委员会会议每月召开".into(),
        title_en: "The committee meets monthly".into(),
        org_id: OrgId(10),
        org_name: "第一党支部".into(),
        period: None,
        period_label: String::new(),
        status,
        severity: Severity::Warning,
        confidence: Confidence::VerifiedSecondary,
        message_zh: "第一党支部2026年3月尚未召开支部委员会会议".into(),
        message_en: "the first branch has not yet held the committee meeting of 2026-03".into(),
        citation: Citation {
            document: "《中国共产党支部工作条例（试行）》".into(),
            article: "第十二条".into(),
            quote: String::new(),
            source: None,
        },
        evidence: Evidence::default(),
        responsible: ResponsibleParty {
            responsibility: Responsibility::BranchSecretary,
            org_id: OrgId(10),
            member_id: None,
        },
        due_on: due_on.map(day),
        exemption: None,
    }
}

fn monthly(status: FindingStatus, month_end: &str) -> Finding {
    let mut finding = finding("BRANCH.COMMITTEE_MEETING.MONTHLY", status, Some(month_end));
    finding.period = Some(Period::containing(PeriodLength::Month, day(month_end)));
    finding
}

fn stage(finding: &Finding, today: &str) -> Option<ReminderStage> {
    stage_today(finding, day(today), &ReminderSettings::default())
}

#[test]
fn a_monthly_duty_is_told_7_and_1_days_before_its_month_ends_and_on_no_other_day() {
    let coming = monthly(FindingStatus::ComingDue, "2026-03-31");
    for (today, expected) in [
        ("2026-03-23", None),
        ("2026-03-24", Some(ReminderStage::DueInDays { days: 7 })),
        ("2026-03-25", None),
        ("2026-03-29", None),
        ("2026-03-30", Some(ReminderStage::DueInDays { days: 1 })),
        ("2026-03-31", None),
    ] {
        assert_eq!(stage(&coming, today), expected, "{today}");
    }
}

#[test]
fn a_term_is_told_6_months_and_1_month_before_it_ends() {
    let term = finding(
        "BRANCH.COMMITTEE.TERM_EXPIRY",
        FindingStatus::ComingDue,
        Some("2026-09-30"),
    );
    for (today, expected) in [
        ("2026-03-29", None),
        ("2026-03-30", Some(ReminderStage::DueInMonths { months: 6 })),
        ("2026-03-31", None),
        ("2026-08-30", Some(ReminderStage::DueInMonths { months: 1 })),
        ("2026-09-23", None),
    ] {
        assert_eq!(stage(&term, today), expected, "{today}");
    }
}

#[test]
fn an_admission_step_is_told_before_its_deadline_with_its_own_lead_times() {
    let mut step = finding(
        "RECRUIT.TALK.ONE_MONTH",
        FindingStatus::ComingDue,
        Some("2026-04-10"),
    );
    step.evidence.records.push(EvidenceRecord {
        kind: RecordKind::AdmissionRecord,
        id: 5,
        date: day("2026-03-10"),
        note_zh: String::new(),
        note_en: String::new(),
    });
    let settings = ReminderSettings {
        admission_days: vec![5, 0],
        ..ReminderSettings::default()
    };
    for (today, expected) in [
        ("2026-04-03", None),
        ("2026-04-05", Some(ReminderStage::DueInDays { days: 5 })),
        ("2026-04-09", None),
        ("2026-04-10", Some(ReminderStage::DueInDays { days: 0 })),
    ] {
        assert_eq!(
            stage_today(&step, day(today), &settings),
            expected,
            "{today}"
        );
    }
}

#[test]
fn an_overdue_duty_is_told_the_day_after_and_weekly_four_times_then_no_more() {
    let missed = monthly(FindingStatus::Missing, "2026-02-28");
    let told: Vec<(&str, Option<ReminderStage>)> = [
        "2026-02-28",
        "2026-03-01",
        "2026-03-02",
        "2026-03-08",
        "2026-03-15",
        "2026-03-22",
        "2026-03-29",
    ]
    .into_iter()
    .map(|today| (today, stage(&missed, today)))
    .collect();
    assert_eq!(
        told,
        vec![
            ("2026-02-28", None),
            ("2026-03-01", Some(ReminderStage::Overdue { days: 1 })),
            ("2026-03-02", None),
            ("2026-03-08", Some(ReminderStage::Overdue { days: 8 })),
            ("2026-03-15", Some(ReminderStage::Overdue { days: 15 })),
            ("2026-03-22", Some(ReminderStage::Overdue { days: 22 })),
            ("2026-03-29", None),
        ]
    );
}

#[test]
fn problems_without_a_date_are_told_on_the_standing_weekday_and_exempted_findings_never() {
    let no_secretary = finding(
        "BRANCH.SECRETARY.IN_POST",
        FindingStatus::Noncompliant,
        None,
    );
    // 2026-03-02 is a Monday.
    assert_eq!(day("2026-03-02").format("%A").to_string(), "Monday");
    assert_eq!(
        stage(&no_secretary, "2026-03-02"),
        Some(ReminderStage::Standing)
    );
    assert_eq!(stage(&no_secretary, "2026-03-03"), None);
    let settings = ReminderSettings {
        standing_weekday: Weekday::Tue,
        ..ReminderSettings::default()
    };
    assert_eq!(
        stage_today(&no_secretary, day("2026-03-03"), &settings),
        Some(ReminderStage::Standing)
    );
    let mut exempted = monthly(FindingStatus::ComingDue, "2026-03-31");
    exempted.exemption = Some(ExemptionNote {
        exemption_id: ExemptionId(1),
        granted_by: OrgId(2),
        granted_on: day("2026-03-01"),
        reason: "合并召开".into(),
    });
    assert_eq!(stage(&exempted, "2026-03-24"), None);
}

/// A committee (2) above a branch with a secretary (10), a branch with only a committee member
/// (11), a branch with nobody (12) and a party group (13) under the first branch; an
/// administrator, the committee's staff, and a plain member who is never told.
fn directory() -> Directory {
    let mut directory = Directory::default();
    for (id, name, level, parent) in [
        (1, "市直机关工委", OrgLevel::WorkingCommittee, None),
        (2, "机关党委", OrgLevel::PartyCommittee, Some(1)),
        (10, "第一党支部", OrgLevel::Branch, Some(2)),
        (11, "第二党支部", OrgLevel::Branch, Some(2)),
        (12, "第三党支部", OrgLevel::Branch, Some(2)),
        (13, "第一党小组", OrgLevel::PartyGroup, Some(10)),
    ] {
        directory.orgs.insert(
            OrgId(id),
            OrgNode {
                name: name.into(),
                level,
                parent: parent.map(OrgId),
            },
        );
    }
    for (account_id, role, scope) in [
        (100, AccountRole::Administrator, None),
        (101, AccountRole::CommitteeStaff, Some(2)),
        (102, AccountRole::BranchSecretary, Some(10)),
        (103, AccountRole::BranchCommitteeMember, Some(10)),
        (104, AccountRole::Member, Some(10)),
        (105, AccountRole::BranchCommitteeMember, Some(11)),
    ] {
        directory.addressees.push(Addressee {
            account_id,
            display_name: format!("账号{account_id}"),
            role,
            scope_org: scope.map(OrgId),
        });
    }
    directory
}

#[test]
fn the_person_who_must_act_is_told_with_fall_backs_up_the_tree() {
    let directory = directory();
    let at = |org: i64, responsibility: Responsibility| {
        let mut finding = monthly(FindingStatus::ComingDue, "2026-03-31");
        finding.org_id = OrgId(org);
        finding.responsible.responsibility = responsibility;
        directory.recipients(&finding)
    };
    // The secretary, not the committee member or the plain member.
    assert_eq!(at(10, Responsibility::BranchSecretary), vec![102]);
    // A party group's duty goes to its branch's secretary.
    assert_eq!(at(13, Responsibility::BranchSecretary), vec![102]);
    // No secretary account: the committee member.
    assert_eq!(at(11, Responsibility::BranchSecretary), vec![105]);
    // Nobody at the branch: the staff of the committee above.
    assert_eq!(at(12, Responsibility::BranchSecretary), vec![101]);
    // A duty of the organization above: its staff.
    assert_eq!(at(10, Responsibility::ParentOrg), vec![101]);

    // Without staff anywhere up the tree, administrators.
    let mut bare = directory.clone();
    bare.addressees
        .retain(|account| account.role != AccountRole::CommitteeStaff);
    let mut finding = monthly(FindingStatus::ComingDue, "2026-03-31");
    finding.org_id = OrgId(12);
    assert_eq!(bare.recipients(&finding), vec![100]);
    // Without any account at all, the finding is reported as untold.
    let mut empty = directory.clone();
    empty.addressees.clear();
    let findings = [finding];
    assert_eq!(
        untold(
            &findings,
            &empty,
            day("2026-03-24"),
            &ReminderSettings::default()
        )
        .len(),
        1
    );
    assert!(
        plan(
            &findings,
            &empty,
            day("2026-03-24"),
            &ReminderSettings::default()
        )
        .is_empty()
    );
}

#[test]
fn the_plan_tells_each_account_each_item_once_in_both_languages() {
    let directory = directory();
    let coming = monthly(FindingStatus::ComingDue, "2026-03-31");
    let mut in_group = coming.clone();
    in_group.org_id = OrgId(13);
    // Two findings with the same key (the same duty reported twice) are told once.
    let findings = vec![coming.clone(), coming.clone(), in_group];
    let reminders = plan(
        &findings,
        &directory,
        day("2026-03-24"),
        &ReminderSettings::default(),
    );
    assert_eq!(reminders.len(), 1, "{reminders:#?}");
    let reminder = &reminders[0];
    assert_eq!(reminder.account_id, 102);
    assert_eq!(reminder.item_key, coming.key);
    assert_eq!(reminder.day, day("2026-03-24"));
    assert_eq!(reminder.stage, ReminderStage::DueInDays { days: 7 });
    assert_eq!(
        reminder.subject_zh,
        "【支部提醒】第一党支部：支部委员会会议每月召开（还有7天到期）"
    );
    assert_eq!(
        reminder.subject_en,
        "[Zhibu] 第一党支部: The committee meets monthly (due in 7 days)"
    );
    assert!(
        reminder.body_zh.contains("期限：2026-03-31"),
        "{}",
        reminder.body_zh
    );
    assert!(reminder.body_zh.contains("第十二条"));
    assert!(reminder.body_en.contains("Due: 2026-03-31"));
    assert_eq!(reminder.link_path, "/branches/10");
    // Nothing is told on a day without a lead time.
    assert!(
        plan(
            &findings,
            &directory,
            day("2026-03-25"),
            &ReminderSettings::default()
        )
        .is_empty()
    );
}
