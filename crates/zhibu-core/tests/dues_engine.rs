//! The engine's dues checks as tables: months without dues (章程 第九条, 党费规定 第十三条) at the
//! 3- and 6-month boundaries, and payments or reliefs that break 第七条, 第十二条, 第十四条.

mod support;

use support::{World, d, of_rule};
use zhibu_core::dues::*;
use zhibu_core::engine::FindingStatus::{self, *};
use zhibu_core::money::Fen;
use zhibu_core::*;

const NONPAYMENT: &str = "DUES.NONPAYMENT.SIX_MONTHS";
const NO_DEDUCTION: &str = "DUES.NO_ADVANCE_OR_DEDUCTION";
const ARREARS: &str = "DUES.MONTHLY.PAYMENT_AND_ARREARS";
const HARDSHIP: &str = "DUES.HARDSHIP";

fn ym(text: &str) -> YearMonth {
    YearMonth::parse(text).expect("month")
}

fn stored<T: Record>(id: i64, body: T) -> Stored<T> {
    let instant = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("instant")
        .with_timezone(&chrono::Utc);
    Stored {
        id,
        version: 1,
        event_date: body.event_date(),
        first_entered_at: instant,
        last_changed_at: instant,
        body,
    }
}

/// Dues records added beside the `World`'s own, with ids of their own.
struct Dues {
    branch: OrgId,
    next_id: i64,
}

impl Dues {
    fn new(branch: OrgId) -> Dues {
        Dues {
            branch,
            next_id: 10_000,
        }
    }

    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn declare(&mut self, world: &mut World, member: MemberId, base_yuan: i64, from: &str) {
        let id = self.id();
        world.snapshot.income_declarations.push(stored(
            id,
            IncomeDeclaration {
                member_id: member,
                branch_id: self.branch,
                category: EmploymentCategory::Salaried,
                monthly_base: Fen::from_yuan(base_yuan).into(),
                effective_month: ym(from),
                note: String::new(),
            },
        ));
    }

    fn pay(
        &mut self,
        world: &mut World,
        member: MemberId,
        paid_on: &str,
        fen: i64,
        months: &[&str],
        method: PaymentMethod,
    ) -> i64 {
        let id = self.id();
        world.snapshot.dues_payments.push(stored(
            id,
            DuesPayment {
                member_id: member,
                branch_id: self.branch,
                paid_on: d(paid_on),
                amount: Fen::from_fen(fen),
                months_covered: months.iter().map(|m| ym(m)).collect(),
                method,
                proxy: None,
                quarterly_consent_ref: None,
            },
        ));
        id
    }

    /// Pays 15.00 (0.5% of 3000) for every month from `first` to `last`, on the 10th of each.
    fn pay_monthly(&mut self, world: &mut World, member: MemberId, first: &str, last: &str) {
        for month in YearMonth::range_inclusive(ym(first), ym(last)) {
            let day = format!("{month}-10");
            self.pay(
                world,
                member,
                &day,
                1_500,
                &[&month.to_string()],
                PaymentMethod::Transfer,
            );
        }
    }

    fn relief(&mut self, world: &mut World, member: MemberId, from: &str, to: &str, upper: &str) {
        let id = self.id();
        world.snapshot.dues_reliefs.push(stored(
            id,
            DuesRelief {
                member_id: member,
                branch_id: self.branch,
                from_month: ym(from),
                to_month: ym(to),
                kind: ReliefKind::Waive,
                branch_decision_ref: "支委会决定".into(),
                upper_approval_ref: upper.into(),
                approved_by: None,
            },
        ));
    }
}

fn evaluate(world: &World, root: OrgId, today: &str) -> zhibu_core::engine::Report {
    world.evaluate(root, "2026-01-01", "2026-12-31", today)
}

/// 党费规定 第十三条, 章程 第九条: three months with nothing paid is a reminder, six a decision due.
/// The streak counts back from the last whole month before today; it is keyed by its first month.
#[test]
fn dues_rules_article_13_months_without_dues_remind_at_3_and_call_for_a_decision_at_6() {
    // (last month paid, findings on 2026-07-15: through 2026-06)
    let table: [(&str, Vec<(&str, FindingStatus)>); 7] = [
        ("2026-06", vec![]),
        ("2026-04", vec![]),
        ("2026-03", vec![("2026-04", ComingDue)]),
        ("2026-02", vec![("2026-03", ComingDue)]),
        ("2026-01", vec![("2026-02", ComingDue)]),
        ("2025-12", vec![("2026-01", Noncompliant)]),
        ("2025-06", vec![("2025-07", Noncompliant)]),
    ];
    for (last_paid, expected) in table {
        let (mut world, root, branch) = World::committee_and_branch();
        let member = world.member(branch, MemberStatus::Full);
        let mut dues = Dues::new(branch);
        dues.declare(&mut world, member, 3_000, "2025-01");
        dues.pay_monthly(&mut world, member, "2025-01", last_paid);
        let report = evaluate(&world, root, "2026-07-15");
        let expected: Vec<(String, FindingStatus)> = expected
            .into_iter()
            .map(|(p, s)| (p.to_string(), s))
            .collect();
        assert_eq!(
            of_rule(&report, NONPAYMENT),
            expected,
            "last paid {last_paid}"
        );
        assert_eq!(
            of_rule(&report, "CHARTER.LAPSE.SIX_MONTHS"),
            vec![],
            "no meeting was held, so organizational life has no streak"
        );
        if let Some(finding) = report.findings.iter().find(|f| f.rule_id == NONPAYMENT) {
            let unpaid = YearMonth::range_inclusive(ym(last_paid).next(), ym("2026-06"));
            assert_eq!(
                finding.evidence.missing_zh.len(),
                unpaid.len(),
                "every unpaid month is evidence"
            );
            assert!(finding.evidence.missing_zh[0].contains("应交15.00元"));
            assert!(
                finding.citation.article.contains("第十三条")
                    && finding.citation.article.contains("第九条"),
                "{}",
                finding.citation.article
            );
            assert_eq!(
                finding.evidence.records[0].kind,
                RecordKind::DuesPayment,
                "the last payment is shown"
            );
            if finding.status == Noncompliant {
                assert!(finding.message_zh.contains("支部大会"));
                assert!(finding.message_zh.contains("不会自动除名"));
                assert!(finding.message_en.contains("removes no one"));
            }
        }
    }
}

/// A partial payment is not "不交纳" and a waived month is settled: both end the streak. A relief
/// without the upper approval is not applied (第七条): the months count, and the relief is a finding.
#[test]
fn dues_rules_articles_7_and_13_partial_payment_and_approved_waiver_end_the_streak() {
    // (what happens in 2026-03, expected nonpayment findings, hardship findings) on 2026-07-15
    enum March {
        Nothing,
        PartPaid,
        Waived,
        WaiverAwaitingApproval,
    }
    let table = [
        (March::Nothing, vec![("2026-01", Noncompliant)], 0),
        (March::PartPaid, vec![("2026-04", ComingDue)], 0),
        (March::Waived, vec![("2026-04", ComingDue)], 0),
        (
            March::WaiverAwaitingApproval,
            vec![("2026-01", Noncompliant)],
            1,
        ),
    ];
    for (march, expected, hardship) in table {
        let (mut world, root, branch) = World::committee_and_branch();
        let member = world.member(branch, MemberStatus::Full);
        let mut dues = Dues::new(branch);
        dues.declare(&mut world, member, 3_000, "2025-01");
        dues.pay_monthly(&mut world, member, "2025-01", "2025-12");
        match march {
            March::Nothing => {}
            March::PartPaid => {
                dues.pay(
                    &mut world,
                    member,
                    "2026-03-10",
                    500,
                    &["2026-03"],
                    PaymentMethod::Cash,
                );
            }
            March::Waived => dues.relief(&mut world, member, "2026-03", "2026-03", "机关党委批复"),
            March::WaiverAwaitingApproval => {
                dues.relief(&mut world, member, "2026-03", "2026-03", "")
            }
        }
        let report = evaluate(&world, root, "2026-07-15");
        let expected: Vec<(String, FindingStatus)> = expected
            .into_iter()
            .map(|(p, s)| (p.to_string(), s))
            .collect();
        assert_eq!(of_rule(&report, NONPAYMENT), expected);
        assert_eq!(of_rule(&report, HARDSHIP).len(), hardship);
    }
}

/// 第八条: a probationary member owes from the month of the vote, so that month starts the count.
#[test]
fn dues_rules_article_8_probationary_months_count_from_the_vote() {
    // (vote day, findings on 2026-06-15: through 2026-05)
    let table: [(&str, Vec<(&str, FindingStatus)>); 3] = [
        ("2026-03-31", vec![("2026-03", ComingDue)]),
        ("2026-04-01", vec![]),
        ("2025-12-20", vec![("2025-12", Noncompliant)]),
    ];
    for (voted, expected) in table {
        let (mut world, root, branch) = World::committee_and_branch();
        let member = world.member(branch, MemberStatus::Probationary);
        for stored in &mut world.snapshot.members {
            if stored.id == member.0 {
                stored.body.joined_on = d(voted);
                stored.body.status_history[0].effective_on = d(voted);
                stored.body.postings[0].from = d(voted);
            }
        }
        let old_hand = world.member(branch, MemberStatus::Full);
        let mut dues = Dues::new(branch);
        dues.declare(&mut world, member, 3_000, "2025-01");
        dues.declare(&mut world, old_hand, 3_000, "2025-01");
        dues.pay_monthly(&mut world, old_hand, "2025-01", "2026-05");
        let report = evaluate(&world, root, "2026-06-15");
        let expected: Vec<(String, FindingStatus)> = expected
            .into_iter()
            .map(|(p, s)| (p.to_string(), s))
            .collect();
        assert_eq!(of_rule(&report, NONPAYMENT), expected, "voted {voted}");
    }
}

/// A branch that keeps no dues in Zhibu is not judged on dues; one whose ledger opens late is
/// judged only from the opening month.
#[test]
fn dues_are_judged_only_where_the_branch_keeps_them_and_from_the_ledger_opening() {
    let (mut world, root, branch) = World::committee_and_branch();
    world.members(branch, 3);
    let report = evaluate(&world, root, "2026-07-15");
    assert_eq!(of_rule(&report, NONPAYMENT), vec![]);

    // Settings open the ledger in 2026-04: April to June unpaid is three months, not eighteen.
    let (mut world, root, branch) = World::committee_and_branch();
    let member = world.member(branch, MemberStatus::Full);
    let mut dues = Dues::new(branch);
    dues.declare(&mut world, member, 3_000, "2025-01");
    world.snapshot.dues_policies.push(stored(
        20_000,
        BranchDuesPolicy {
            branch_id: branch,
            decided_on: d("2026-03-20"),
            ledger_opened: ym("2026-04"),
            farmer_monthly_amount: Fen::from_fen(20),
            remit_share: BasisPoints::ALL,
        },
    ));
    let report = evaluate(&world, root, "2026-07-15");
    assert_eq!(
        of_rule(&report, NONPAYMENT),
        vec![("2026-04".to_string(), ComingDue)]
    );
}

/// 第十四条 (no payment or deduction by the organization) and 第十二条 (back payment within six
/// months): findings about the payment, in the range it was made in.
#[test]
fn dues_rules_articles_12_and_14_flagged_payments_are_findings_about_the_payment() {
    // (method, paid on, months covered, rule expected, or none)
    let table: [(PaymentMethod, &str, &[&str], Option<&str>); 6] = [
        (PaymentMethod::Transfer, "2026-03-10", &["2026-03"], None),
        (
            PaymentMethod::Payroll,
            "2026-03-10",
            &["2026-03"],
            Some(NO_DEDUCTION),
        ),
        (
            PaymentMethod::PaidByOrganization,
            "2026-03-10",
            &["2026-03"],
            Some(NO_DEDUCTION),
        ),
        // January paid at the end of July is within six months; in August it is beyond.
        (PaymentMethod::Cash, "2026-07-31", &["2026-01"], None),
        (
            PaymentMethod::Cash,
            "2026-08-01",
            &["2026-01"],
            Some(ARREARS),
        ),
        // Paid in 2025: outside the range asked about (2026), so not reported here.
        (PaymentMethod::Payroll, "2025-12-10", &["2025-12"], None),
    ];
    for (method, paid_on, months, rule) in table {
        let (mut world, root, branch) = World::committee_and_branch();
        let member = world.member(branch, MemberStatus::Full);
        let mut dues = Dues::new(branch);
        dues.declare(&mut world, member, 3_000, "2025-01");
        let id = dues.pay(&mut world, member, paid_on, 1_500, months, method);
        let report = evaluate(&world, root, "2026-09-15");
        let flagged: Vec<&str> = [NO_DEDUCTION, ARREARS, HARDSHIP]
            .into_iter()
            .filter(|rule| !of_rule(&report, rule).is_empty())
            .collect();
        assert_eq!(
            flagged,
            rule.into_iter().collect::<Vec<_>>(),
            "{method:?} {paid_on}"
        );
        if let Some(rule) = rule {
            let finding = report
                .findings
                .iter()
                .find(|f| f.rule_id == rule)
                .expect("finding");
            assert_eq!(finding.status, Invalid);
            assert_eq!(finding.evidence.records[0].id, id);
            assert_eq!(finding.evidence.records[0].kind, RecordKind::DuesPayment);
        }
    }
}
