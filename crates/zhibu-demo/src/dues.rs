//! Party dues (党费) in the demo city (issue 4): each branch's dues settings, its members' income
//! declarations and three years of monthly payments, consistent with the 2008 dues rules, with the
//! planted dues imperfections of the plan.
//!
//! Generated from a branch's records (its members and those who transferred in) and the plan
//! alone, from streams of their own ([`crate::rng::STREAM_DUES_BRANCH`] per branch,
//! [`crate::rng::STREAM_DUES_MEMBER`] per member), so adding dues changed none of the other records
//! and a transferred member's income is the same in both branches' books.
//!
//! What the books hold:
//! - **Settings**: every branch opens its ledger in Zhibu with the first month of the record period
//!   (decided at go-live), remitting everything it collects upward (the common practice).
//! - **Declarations**: salaried members across all four bands (a few at exactly 3000.00元, the edge
//!   of the first band), leading cadres in the upper bands, retirees on their pension (both retiree
//!   bands); pay rises from January, promotions in mid-year, the pension adjustment every July; a
//!   few members in full-time study for a while (students pay the flat 0.20元) and back at work after;
//!   probationary members from the month of the general meeting's vote (第八条); a member who
//!   transferred in declares again in the new branch from the first month it collects (第九条).
//! - **Payments**: each month at the themed Party day, in cash or by transfer; elderly retirees
//!   through a relative (委托代交), now and then a colleague; some members quarterly with the
//!   branch's consent (第十二条); now and then a month paid together with the next (补交, well
//!   inside the six-month window). Amounts are computed by `zhibu_core::dues::monthly_due`, the
//!   same function the ledger uses, so the books balance to the fen.
//! - **Reliefs**: in a retirees' branch an elderly member's dues reduced for a year, decided by the
//!   branch and approved by the department's committee (第七条).
//!
//! The planted imperfections ([`crate::plan::DuesImperfection`]) each concern one long-standing
//! member who sits on no committee: three or six whole months without dues up to today's month, or
//! a reduction the branch decided and never sent up for approval.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use zhibu_core::calendar::china_date;
use zhibu_core::dues::{
    BasisPoints, BranchDuesPolicy, DuesPayment, DuesPolicy, DuesRelief, IncomeDeclaration,
    PaymentMethod, ReliefKind, YearMonth, dues_branch_for, monthly_due,
};
use zhibu_core::money::Fen;
use zhibu_core::{EmploymentCategory, LeadershipForm, Member, MemberId, OrgId, Stored};

use crate::dates::{days, entry_day, office_instant, theme_day, working_day_on_or_after};
use crate::names;
use crate::plan::{CityPlan, DuesImperfection};
use crate::rng::{Rng, STREAM_DUES_BRANCH, STREAM_DUES_MEMBER};
use crate::{BranchRecords, Entry};

/// One branch's dues records, each list in the order it was entered. Ids are local.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchDues {
    pub branch_id: OrgId,
    pub policies: Vec<Entry<BranchDuesPolicy>>,
    pub declarations: Vec<Entry<IncomeDeclaration>>,
    pub payments: Vec<Entry<DuesPayment>>,
    pub reliefs: Vec<Entry<DuesRelief>>,
}

impl BranchDues {
    /// Records of all four kinds.
    pub fn len(&self) -> usize {
        self.policies.len() + self.declarations.len() + self.payments.len() + self.reliefs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A change of a member's income: the month it takes effect, the category and base, and a note.
#[derive(Debug, Clone)]
struct IncomeStep {
    month: YearMonth,
    category: EmploymentCategory,
    base: Fen,
    note: &'static str,
}

fn yuan_and_fen(rng: &mut Rng, low: i64, high: i64) -> Fen {
    let yuan = rng.range(low, high);
    let fen = if rng.percent(40) { rng.range(1, 99) } else { 0 };
    Fen::from_fen(yuan * 100 + fen)
}

fn scale(base: Fen, percent: i64) -> Fen {
    Fen::from_fen(base.fen() * percent / 100)
}

/// A member's income over the record period (and the current month), the same whichever branch
/// keeps their books: from the member's own stream.
fn income_steps(city: &CityPlan, id: MemberId, member: &Member) -> Vec<IncomeStep> {
    let mut rng = Rng::derive(city.seed, STREAM_DUES_MEMBER, id.0 as u64);
    let first = YearMonth::of(city.first_day).max(YearMonth::of(member.joined_on));
    let current = YearMonth::of(city.today);
    let mut steps = Vec::new();
    if member.employment == EmploymentCategory::Retired {
        // Pensions in both retiree bands (5000元以下 0.5%, 以上 1%), adjusted every July.
        let mut base = if rng.percent(65) {
            yuan_and_fen(&mut rng, 3_200, 5_000)
        } else {
            yuan_and_fen(&mut rng, 5_001, 8_800)
        };
        steps.push(IncomeStep {
            month: first,
            category: EmploymentCategory::Retired,
            base,
            note: "离退休费总额",
        });
        let mut month = first.next();
        while month <= current {
            if month.month() == 7 {
                base = scale(base, 103);
                steps.push(IncomeStep {
                    month,
                    category: EmploymentCategory::Retired,
                    base,
                    note: "养老金年度调整",
                });
            }
            month = month.next();
        }
        return steps;
    }
    let young = member
        .birth_date
        .is_some_and(|birth| birth.year() >= city.today.year() - 36);
    let joined_lately = member.joined_on >= city.first_day;
    let mut base = if member.leading_cadre {
        yuan_and_fen(&mut rng, 9_000, 15_000)
    } else if joined_lately {
        yuan_and_fen(&mut rng, 3_001, 6_500)
    } else {
        match rng.range(0, 99) {
            0..8 if rng.percent(30) => Fen::from_yuan(3_000),
            0..8 => yuan_and_fen(&mut rng, 2_600, 3_000),
            8..45 => yuan_and_fen(&mut rng, 3_001, 5_000),
            45..93 => yuan_and_fen(&mut rng, 5_001, 10_000),
            _ => yuan_and_fen(&mut rng, 10_001, 13_000),
        }
    };
    steps.push(IncomeStep {
        month: first,
        category: EmploymentCategory::Salaried,
        base,
        note: "每月工资收入（税后）",
    });
    // A young member in full-time postgraduate study for ten months, paying as a student.
    let study = (young && !member.leading_cadre && rng.percent(4)).then(|| {
        let start = first.plus(rng.range(3, 20));
        (start, start.plus(10))
    });
    let mut month = first.next();
    while month <= current {
        match study {
            Some((start, _)) if month == start => steps.push(IncomeStep {
                month,
                category: EmploymentCategory::Student,
                base: Fen::ZERO,
                note: "脱产攻读研究生，按学生党员交纳",
            }),
            Some((_, end)) if month == end => {
                base = scale(base, 108);
                steps.push(IncomeStep {
                    month,
                    category: EmploymentCategory::Salaried,
                    base,
                    note: "学习结束返岗，重新申报",
                });
            }
            Some((start, end)) if start < month && month < end => {}
            _ if month.month() == 1 && rng.percent(55) => {
                base = scale(base, rng.range(102, 106));
                steps.push(IncomeStep {
                    month,
                    category: EmploymentCategory::Salaried,
                    base,
                    note: "年度工资调整",
                });
            }
            _ if (4..=10).contains(&month.month()) && rng.percent(2) => {
                base = scale(base, rng.range(108, 120));
                steps.push(IncomeStep {
                    month,
                    category: EmploymentCategory::Salaried,
                    base,
                    note: "职务职级晋升，工资调整",
                });
            }
            _ => {}
        }
        month = month.next();
    }
    steps
}

/// What the generator knows of one member of the branch.
struct Payer<'a> {
    id: MemberId,
    body: &'a Member,
    /// The months this branch collects from the member, up to today's month.
    months: Vec<YearMonth>,
    long_standing: bool,
}

/// The day the branch collects a month's dues: at the themed Party day, a day either side, inside
/// the member's time in the branch and before today; `None` if that day has not come yet.
fn collection_day(
    city: &CityPlan,
    preferred_day: u32,
    rng: &mut Rng,
    payer: &Payer<'_>,
    branch: OrgId,
    month: YearMonth,
) -> Option<NaiveDate> {
    let theme = theme_day(month.year(), month.month(), preferred_day);
    let mut day = working_day_on_or_after(theme + days(rng.range(0, 1)));
    if !month.contains(day) {
        day = theme;
    }
    if payer.body.branch_on(day) != Some(branch) || payer.body.joined_on > day {
        // Arrived or left during the month: the first day of the month they belonged here.
        day = (0..31)
            .map(|offset| month.first_day() + days(offset))
            .filter(|day| month.contains(*day))
            .find(|day| {
                payer.body.branch_on(*day) == Some(branch) && payer.body.joined_on <= *day
            })?;
    }
    (day < city.today).then_some(day)
}

pub(crate) fn generate_dues(city: &CityPlan, index: usize, records: &BranchRecords) -> BranchDues {
    let plan = &city.branches[index];
    let branch = plan.org_id;
    let mut rng = Rng::derive(city.seed, STREAM_DUES_BRANCH, index as u64);
    let today = city.today;
    let opened = YearMonth::of(city.first_day);
    let current = YearMonth::of(today);
    let decided_on = china_date(plan.go_live);
    let policy = BranchDuesPolicy {
        branch_id: branch,
        decided_on,
        ledger_opened: opened,
        farmer_monthly_amount: DuesPolicy::default().farmer_monthly_amount,
        remit_share: BasisPoints::ALL,
    };
    let mut dues = BranchDues {
        branch_id: branch,
        policies: vec![Entry {
            body: policy.clone(),
            entered_at: plan.go_live,
        }],
        declarations: Vec::new(),
        payments: Vec::new(),
        reliefs: Vec::new(),
    };

    let committee: BTreeSet<MemberId> = records
        .committee_terms
        .iter()
        .flat_map(|term| {
            term.body
                .positions
                .iter()
                .map(|position| position.member_id)
        })
        .collect();
    let payers: Vec<Payer<'_>> = records
        .members
        .iter()
        .map(|member| (member.id, &member.body))
        .chain(
            records
                .transfers_in
                .iter()
                .map(|transfer| (transfer.id, &transfer.body)),
        )
        .map(|(id, body)| {
            let months =
                YearMonth::range_inclusive(opened.max(YearMonth::of(body.joined_on)), current)
                    .into_iter()
                    .filter(|month| dues_branch_for(body, *month) == Some(branch))
                    .collect();
            let long_standing = body.joined_on < city.first_day
                && body.postings.len() == 1
                && body.postings.iter().all(|posting| posting.until.is_none())
                && body.org_life_exemption.is_none()
                && !body.leading_cadre
                && !committee.contains(&id);
            Payer {
                id,
                body,
                months,
                long_standing,
            }
        })
        .filter(|payer| !payer.months.is_empty())
        .collect();
    let roster_names: Vec<&str> = payers
        .iter()
        .map(|payer| payer.body.name.as_str())
        .collect();

    // The member of a planted imperfection: the last long-standing member in the roster.
    let victim = plan
        .dues_imperfection
        .and_then(|_| payers.iter().rev().find(|payer| payer.long_standing))
        .map(|payer| payer.id);
    // An elderly retiree in hardship whose reduction the department's committee approved.
    let approved_relief = payers
        .iter()
        .find(|payer| payer.body.org_life_exemption.is_some() && payer.months.len() >= 14)
        .map(|payer| payer.id);

    let consent_ref = match plan.form {
        LeadershipForm::Committee => format!("{}年1月支部委员会同意按季度交纳", opened.year()),
        LeadershipForm::SecretaryOnly => {
            format!("{}年1月支部党员大会同意按季度交纳", opened.year())
        }
    };

    for payer in &payers {
        let steps = income_steps(city, payer.id, payer.body);
        // Declarations this branch keeps: the income in force at its first month, then each
        // change while it collects; typed in on the day of that month's collection.
        let mut declarations: Vec<IncomeDeclaration> = Vec::new();
        let first = payer.months[0];
        let in_force_at_first = steps
            .iter()
            .rev()
            .find(|step| step.month <= first)
            .or(steps.first());
        let mut planned: Vec<&IncomeStep> = in_force_at_first.into_iter().collect();
        planned.extend(
            steps
                .iter()
                .filter(|step| step.month > first && payer.months.contains(&step.month)),
        );
        for (position, step) in planned.iter().enumerate() {
            let month = if position == 0 { first } else { step.month };
            let entered_at = if position == 0
                && first == opened
                && payer.body.joined_on < city.first_day
            {
                // Typed in with the roster when the branch started keeping its books in Zhibu.
                Some(plan.go_live)
            } else {
                collection_day(city, plan.theme_day, &mut rng, payer, branch, month).map(|day| {
                    let entered_on = entry_day(&mut rng, day, 1, today);
                    office_instant(&mut rng, entered_on)
                })
            };
            let Some(entered_at) = entered_at else {
                // The month's collection has not come yet: nothing declared.
                continue;
            };
            let note = match (position, payer.body.postings.len()) {
                (0, 2..) => "组织关系转入，按转接时的收入重新申报".to_string(),
                (0, _) if payer.body.joined_on >= city.first_day => {
                    "预备党员自支部大会通过之月起交纳党费".to_string()
                }
                _ => step.note.to_string(),
            };
            let declaration = IncomeDeclaration {
                member_id: payer.id,
                branch_id: branch,
                category: step.category,
                monthly_base: step.base.into(),
                effective_month: month,
                note,
            };
            declarations.push(declaration.clone());
            dues.declarations.push(Entry {
                body: declaration,
                entered_at,
            });
        }

        let stored = Stored {
            id: payer.id.0,
            version: 1,
            event_date: payer.body.joined_on,
            first_entered_at: plan.go_live,
            last_changed_at: plan.go_live,
            body: payer.body.clone(),
        };
        let default_policy = policy.policy();
        let due = |month: YearMonth| monthly_due(&stored, &declarations, &default_policy, month);

        // Reliefs.
        let mut reduced: Option<(YearMonth, YearMonth, Fen)> = None;
        if Some(payer.id) == approved_relief {
            let from = payer.months[rng.index(payer.months.len() - 12) + 1];
            let to = from.plus(11);
            let amount = Fen::from_fen((due(from).amount.fen() / 2 / 10 * 10).max(10));
            let decided =
                working_day_on_or_after(from.previous().first_day() + days(rng.range(5, 15)));
            let approved = working_day_on_or_after(decided + days(rng.range(7, 12)));
            dues.reliefs.push(Entry {
                body: DuesRelief {
                    member_id: payer.id,
                    branch_id: branch,
                    from_month: from,
                    to_month: to,
                    kind: ReliefKind::Reduce {
                        monthly_amount: amount,
                    },
                    branch_decision_ref: format!(
                        "{}年{}月支部委员会研究决定（患重病，医疗费用负担重）",
                        decided.year(),
                        decided.month()
                    ),
                    upper_approval_ref: format!(
                        "机关党委〔{}〕{}号",
                        approved.year(),
                        rng.range(3, 40)
                    ),
                    approved_by: Some(OrgId(2 + plan.department as i64)),
                },
                entered_at: office_instant(&mut rng, approved.min(today - days(1))),
            });
            reduced = Some((from, to, amount));
        }
        let mut unpaid_from: Option<YearMonth> = None;
        if Some(payer.id) == victim {
            match plan.dues_imperfection {
                Some(DuesImperfection::ThreeMonthsUnpaid { from })
                | Some(DuesImperfection::SixMonthsUnpaid { from }) => {
                    unpaid_from = Some(YearMonth::of(from));
                }
                Some(DuesImperfection::ReliefAwaitingApproval { from }) => {
                    let from = YearMonth::of(from);
                    let to = from.plus(5);
                    let amount = Fen::from_fen((due(from).amount.fen() / 2 / 10 * 10).max(10));
                    let decided = from.previous();
                    let entered_on = working_day_on_or_after(from.first_day());
                    dues.reliefs.push(Entry {
                        body: DuesRelief {
                            member_id: payer.id,
                            branch_id: branch,
                            from_month: from,
                            to_month: to,
                            kind: ReliefKind::Reduce {
                                monthly_amount: amount,
                            },
                            branch_decision_ref: format!(
                                "{}年{}月支部委员会研究决定（家庭困难）",
                                decided.year(),
                                decided.month()
                            ),
                            // Never sent up for approval: the relief is not in effect.
                            upper_approval_ref: String::new(),
                            approved_by: None,
                        },
                        entered_at: office_instant(&mut rng, entered_on.min(today - days(1))),
                    });
                    reduced = Some((from, to, amount));
                }
                None => {}
            }
        }
        let owed = |month: YearMonth| -> Fen {
            let line = due(month);
            if !line.is_owed() {
                return Fen::ZERO;
            }
            match reduced {
                Some((from, to, amount)) if from <= month && month <= to => amount.min(line.amount),
                _ => line.amount,
            }
        };
        let pays = |month: YearMonth| unpaid_from.is_none_or(|from| month < from);

        // How the member pays.
        let elderly = payer.body.org_life_exemption.is_some();
        let quarterly = payer.long_standing && Some(payer.id) != victim && rng.percent(10);
        let transfer_preferred = !elderly && rng.percent(65);
        let relative = elderly.then(|| {
            let sex = if rng.percent(50) {
                zhibu_core::Sex::Male
            } else {
                zhibu_core::Sex::Female
            };
            format!("{}（家属）", names::person_name(&mut rng, sex))
        });

        let mut position = 0;
        while position < payer.months.len() {
            let month = payer.months[position];
            let mut covered = Vec::new();
            let mut step = 1;
            if quarterly {
                // The whole quarter at its first month, future months included, with consent.
                if month != month.quarter_start() && position > 0 {
                    position += 1;
                    continue;
                }
                let quarter_end = month.quarter_start().plus(2);
                covered = YearMonth::range_inclusive(month, quarter_end)
                    .into_iter()
                    .filter(|covered| dues_branch_for(payer.body, *covered) == Some(branch))
                    .collect();
            } else if pays(month) {
                covered.push(month);
                // Now and then a month is paid together with the next one (补交).
                // Not into today's month: last month stays settled as of today.
                if let Some(next) = payer.months.get(position + 1)
                    && pays(*next)
                    && *next < current
                    && rng.percent(4)
                {
                    let next_day =
                        collection_day(city, plan.theme_day, &mut rng, payer, branch, *next);
                    if next_day.is_some() {
                        covered.push(*next);
                        step = 2;
                    }
                }
            }
            // A month paid together with the next is paid at the next one's collection.
            let pay_month = if step == 2 { covered[1] } else { month };
            position += step;
            if covered.is_empty() {
                continue;
            }
            let Some(paid_on) =
                collection_day(city, plan.theme_day, &mut rng, payer, branch, pay_month)
            else {
                continue;
            };
            let amount = covered.iter().fold(Fen::ZERO, |total, month| {
                Fen::from_fen(total.fen() + owed(*month).fen())
            });
            if !amount.is_positive() {
                continue;
            }
            let colleague = (!elderly && rng.percent(3))
                .then(|| roster_names.iter().find(|name| **name != payer.body.name))
                .flatten()
                .map(|name| format!("{name}（同支部党员）"));
            let proxy = relative.clone().or(colleague);
            let method = if proxy.is_some() || !transfer_preferred {
                PaymentMethod::Cash
            } else {
                PaymentMethod::Transfer
            };
            let entered_on = entry_day(&mut rng, paid_on, 1, today);
            dues.payments.push(Entry {
                body: DuesPayment {
                    member_id: payer.id,
                    branch_id: branch,
                    paid_on,
                    amount,
                    months_covered: covered,
                    method,
                    proxy,
                    quarterly_consent_ref: quarterly.then(|| consent_ref.clone()),
                },
                entered_at: office_instant(&mut rng, entered_on),
            });
        }
    }
    dues.declarations.sort_by_key(|entry| entry.entered_at);
    dues.payments
        .sort_by_key(|entry| (entry.entered_at, entry.body.member_id));
    dues.reliefs.sort_by_key(|entry| entry.entered_at);
    dues
}
