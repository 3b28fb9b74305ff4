//! The dues checks of a branch (issue 4): months without dues (章程 第九条, 党费规定 第十三条) and
//! payments or reliefs that break the dues rules (第七条, 第十二条, 第十四条).
//!
//! A branch is judged on dues only if it keeps its dues in Zhibu: it has a dues settings record
//! (whose `ledger_opened` says from when) or any dues record (the earliest month one mentions).
//! A branch with none gets no dues findings: its ledger is kept elsewhere.
//!
//! A member's months are judged by the branch that collected them (`dues_branch_for`): the ledger
//! a branch reads for a member starts at the later of its opening and the first month of the
//! member's present run in the branch, so a transferred member's earlier months, paid to the branch
//! they left, never count here.

use chrono::NaiveDate;

use super::super::index::BranchDues;
use super::{BranchContext, FindingParts};
use crate::domain::{Member, MemberId, RecordKind, Stored};
use crate::dues::{
    DueStatus, DuesFlag, DuesFlagKind, DuesRecords, MemberLedger, YearMonth, dues_branch_for,
    member_ledger,
};
use crate::engine::resolve::Applied;
use crate::engine::{Evidence, EvidenceRecord, Finding, FindingStatus};
use crate::rules::{ContinuityParameters, DuesRecordsParameters};

impl<'a> BranchContext<'a, '_> {
    fn branch_dues(&self) -> Option<(&BranchDues<'a>, YearMonth)> {
        let dues = self.index.dues.get(&self.branch_id)?;
        let opened = dues.ledger_opened()?;
        Some((dues, opened))
    }

    /// The member's ledger as this branch keeps it, over the months of their present run in the
    /// branch up to `through` (none if the branch did not collect `through`).
    fn member_dues_ledger(
        &self,
        dues: &BranchDues<'a>,
        opened: YearMonth,
        member: &Stored<Member>,
        through: YearMonth,
    ) -> Option<MemberLedger> {
        if through < opened || dues_branch_for(&member.body, through) != Some(self.branch_id) {
            return None;
        }
        let mut since = through;
        while since > opened
            && dues_branch_for(&member.body, since.previous()) == Some(self.branch_id)
        {
            since = since.previous();
        }
        let records = DuesRecords {
            declarations: &dues.declarations,
            payments: &dues.payments,
            reliefs: &dues.reliefs,
        };
        let policy = dues
            .policy
            .map(|policy| policy.body.policy())
            .unwrap_or_default();
        Some(member_ledger(member, &records, &policy, since, through))
    }

    /// Members with consecutive months without dues, up to the last whole month before the
    /// reference day: a reminder at `reminder_months`, a general-meeting decision due at
    /// `lapse_months`. Keyed by the streak's first month, like organizational life.
    pub(super) fn dues_continuity(
        &self,
        applied: &Applied<'_>,
        parameters: &ContinuityParameters,
        on: NaiveDate,
        findings: &mut Vec<Finding>,
    ) {
        use crate::continuity::{ContinuityLevel, streak_without_dues};
        let Some((dues, opened)) = self.branch_dues() else {
            return;
        };
        let through = YearMonth::of(on).previous();
        let reminder = parameters.reminder_months as usize;
        let lapse = parameters.lapse_months as usize;
        for member in self.index.roster_on(self.branch_id, on) {
            let Some(ledger) = self.member_dues_ledger(dues, opened, member, through) else {
                continue;
            };
            let streak = streak_without_dues(&ledger, &[], through);
            let level = if streak.len() >= lapse {
                ContinuityLevel::LapseDecisionDue
            } else if streak.len() >= reminder {
                ContinuityLevel::Reminder
            } else {
                continue;
            };
            let Some(first) = streak.months.first().copied() else {
                continue;
            };
            let (status, key) = match level {
                ContinuityLevel::Reminder => (FindingStatus::ComingDue, "reminder"),
                ContinuityLevel::LapseDecisionDue => (FindingStatus::Noncompliant, "decision_due"),
            };
            let name = &member.body.name;
            let owed_text = |month: &YearMonth| {
                let line = ledger.month(*month);
                if line.is_some_and(|line| line.due.status == DueStatus::BaseSealed) {
                    // The base is sealed at rest and the engine reads without the data key: the
                    // amount is on the dues ledger, for those who may read it.
                    return (
                        "应交额见党费账".to_string(),
                        "amount owed: see the dues ledger".to_string(),
                    );
                }
                line.and_then(|line| line.owed)
                    .map(|owed| {
                        (
                            format!("应交{owed}"),
                            format!("{} yuan owed", owed.to_yuan_string()),
                        )
                    })
                    .unwrap_or_else(|| {
                        (
                            "应交额未申报".to_string(),
                            "amount not declared".to_string(),
                        )
                    })
            };
            let missing_zh = streak
                .months
                .iter()
                .map(|month| {
                    format!(
                        "{name}：{}未交纳党费（{}）",
                        month.label_zh(),
                        owed_text(month).0
                    )
                })
                .collect();
            let missing_en = streak
                .months
                .iter()
                .map(|month| format!("{name}: no dues paid for {month} ({})", owed_text(month).1))
                .collect();
            // The last payment before the streak, if the branch has one: where the member stood.
            let last_payment = dues
                .payment_records
                .iter()
                .filter(|record| {
                    record.body.member_id == MemberId(member.id) && record.body.paid_on <= on
                })
                .max_by_key(|record| (record.body.paid_on, record.id));
            let records = last_payment
                .map(|record| EvidenceRecord {
                    kind: RecordKind::DuesPayment,
                    id: record.id,
                    date: record.body.paid_on,
                    note_zh: format!("{name}最近一次交纳党费"),
                    note_en: format!("{name}'s last dues payment"),
                })
                .into_iter()
                .collect();
            let month_list_zh: Vec<String> = streak.months.iter().map(|m| m.to_string()).collect();
            let values = vec![
                ("member", name.clone()),
                ("months", streak.len().to_string()),
                ("from", first.to_string()),
                ("through", through.to_string()),
                ("month_list", month_list_zh.join(", ")),
            ];
            findings.push(self.finding(
                applied,
                FindingParts {
                    org: self.branch_id,
                    org_name: self.org_name(),
                    period: None,
                    period_label: first.to_string(),
                    subject: format!("member {}", member.id),
                    status,
                    message_key: key,
                    values,
                    evidence: Evidence {
                        records,
                        missing_zh,
                        missing_en,
                    },
                    due_on: None,
                    severity: None,
                },
            ));
        }
    }

    /// Payments and reliefs the branch recorded in the requested range that carry one of the
    /// flags the rule names: each is a finding about that record.
    pub(super) fn dues_records(
        &self,
        applied: &Applied<'_>,
        parameters: &DuesRecordsParameters,
        on: NaiveDate,
        findings: &mut Vec<Finding>,
    ) {
        let Some((dues, opened)) = self.branch_dues() else {
            return;
        };
        let through = YearMonth::of(on);
        let from = self.request.from;
        let to = self.request.to.min(on);
        let mut members: Vec<MemberId> = dues
            .payments
            .iter()
            .map(|payment| payment.member_id)
            .chain(dues.reliefs.iter().map(|relief| relief.member_id))
            .collect();
        members.sort();
        members.dedup();
        let records = DuesRecords {
            declarations: &dues.declarations,
            payments: &dues.payments,
            reliefs: &dues.reliefs,
        };
        let policy = dues
            .policy
            .map(|policy| policy.body.policy())
            .unwrap_or_default();
        for member_id in members {
            let Some(member) = self.index.members.get(&member_id) else {
                continue;
            };
            let ledger = member_ledger(member, &records, &policy, opened.min(through), through);
            for flag in ledger
                .flags
                .iter()
                .filter(|flag| parameters.flags.contains(&flag.kind))
            {
                if let Some(finding) = self.dues_flag_finding(applied, dues, member, flag, from, to)
                {
                    findings.push(finding);
                }
            }
        }
    }

    fn dues_flag_finding(
        &self,
        applied: &Applied<'_>,
        dues: &BranchDues<'a>,
        member: &Stored<Member>,
        flag: &DuesFlag,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Option<Finding> {
        let name = &member.body.name;
        let (kind, id, date) = match (flag.payment_index, flag.relief_index) {
            (Some(index), _) => {
                let record = dues.payment_records.get(index)?;
                (RecordKind::DuesPayment, record.id, record.body.paid_on)
            }
            (None, Some(index)) => {
                let record = dues.relief_records.get(index)?;
                (
                    RecordKind::DuesRelief,
                    record.id,
                    record.body.from_month.first_day(),
                )
            }
            (None, None) => return None,
        };
        // A payment is judged in the range it was made in; a relief while it covers the range.
        let in_range = match kind {
            RecordKind::DuesRelief => flag
                .months
                .iter()
                .any(|month| month.first_day() <= to && month.last_day() >= from),
            _ => from <= date && date <= to,
        };
        if !in_range {
            return None;
        }
        let code = match flag.kind {
            DuesFlagKind::BackPaymentBeyondWindow => "back_payment_beyond_window",
            DuesFlagKind::AdvanceWithoutQuarterlyConsent => "advance_without_quarterly_consent",
            DuesFlagKind::PaidByOrganization => "paid_by_organization",
            DuesFlagKind::DeductedFromPay => "deducted_from_pay",
            DuesFlagKind::CoversMonthNotOwed => "covers_month_not_owed",
            DuesFlagKind::LargeVoluntaryExtra => "large_voluntary_extra",
            DuesFlagKind::ReliefNotInEffect => "relief_not_in_effect",
            DuesFlagKind::PaymentNotCounted => "payment_not_counted",
        };
        let values = vec![
            ("member", name.clone()),
            ("detail_zh", flag.message_zh.clone()),
            ("detail_en", flag.message_en.clone()),
            ("date", date.to_string()),
        ];
        let (note_zh, note_en) = match kind {
            RecordKind::DuesRelief => (
                format!("{name}的党费减免记录"),
                format!("{name}'s dues relief"),
            ),
            _ => (
                format!("{name}于{date}交纳党费"),
                format!("{name}'s dues payment on {date}"),
            ),
        };
        Some(self.finding(
            applied,
            FindingParts {
                org: self.branch_id,
                org_name: self.org_name(),
                period: None,
                period_label: YearMonth::of(date).to_string(),
                subject: format!("{} {id} {code}", kind.as_str()),
                status: FindingStatus::Invalid,
                message_key: "flagged",
                values,
                evidence: Evidence {
                    records: vec![EvidenceRecord {
                        kind,
                        id,
                        date,
                        note_zh,
                        note_en,
                    }],
                    missing_zh: Vec::new(),
                    missing_en: Vec::new(),
                },
                due_on: None,
                severity: None,
            },
        ))
    }
}
