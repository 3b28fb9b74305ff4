//! The plan of the city: the organization tree, each branch's size and shape, its terms, the
//! transfers between branches and the planted imperfections. Planning is cheap (a few hundred
//! bytes per branch), so it is done up front; the records of each branch are generated from the
//! plan one branch at a time (see `branch.rs`), which keeps memory flat at any scale.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use zhibu_core::calendar::{add_months, add_years};
use zhibu_core::{LeadershipForm, MemberId, Org, OrgId, OrgLevel, UnitKind};

use crate::dates::{
    date, days, first_of_month, is_working_day, last_of_month, next_month, office_instant,
    theme_day, working_day_on_or_after,
};
use crate::names::{self, DEPARTMENTS, INSTITUTION_SECTIONS, ORGAN_SECTIONS, PLACES};
use crate::rng::{Rng, STREAM_CITY, STREAM_DUES_CITY};
use crate::{DemoConfig, OrgEntry};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BranchRole {
    /// The department's first branch, where the leadership (leading cadres) belong.
    Leadership,
    Ordinary,
    /// 离退休干部党支部: retired members, some of them elderly and exempt from organizational life.
    Retirees,
}

/// A planted imperfection. The planted list handed to callers is derived from these values, and
/// the branch generator reads the same values, so the two cannot drift apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Imperfection {
    /// No committee meeting in the month starting on `month`.
    SkipCommitteeMeeting { month: NaiveDate },
    /// No themed Party day in the month (a month whose sitting serves no other duty).
    SkipThemedPartyDay { month: NaiveDate },
    /// No committee meeting in October and November of `year`, three in December.
    DecemberCatchUp { year: i32 },
    /// The month's only committee meeting had fewer than half of the committee present.
    CommitteeWithoutQuorum { month: NaiveDate },
    /// The latest term ended before today and nobody was elected since.
    TermExpired,
    /// The latest term ends within the next six months.
    TermComingDue,
    /// A full member transferred out this month, leaving 2 full members and 1 probationary.
    BelowThreeFullMembers,
    /// No general meeting in the quarter starting on `quarter`.
    NoGeneralMeeting { quarter: NaiveDate },
}

/// A planted dues imperfection (issue 4), carried by a branch without any other imperfection, so
/// that the dues findings of one branch cannot hide or add to its meeting findings. Each concerns
/// one long-standing member, chosen when the branch's dues are generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DuesImperfection {
    /// Nothing paid for the three whole months before today's month, starting with `from`: a
    /// reminder (批评教育，限期改正).
    ThreeMonthsUnpaid { from: NaiveDate },
    /// Nothing paid for the six whole months before today's month, starting with `from`: a
    /// general-meeting decision is due (章程第九条、党费规定第十三条).
    SixMonthsUnpaid { from: NaiveDate },
    /// A reduction decided by the branch from the month `from`, never sent up for approval: the
    /// member pays the reduced amount, the relief is not in effect (党费规定第七条).
    ReliefAwaitingApproval { from: NaiveDate },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BranchPlan {
    pub org_id: OrgId,
    pub name: String,
    pub department: usize,
    pub role: BranchRole,
    pub unit_kind: UnitKind,
    pub established_on: NaiveDate,
    pub form: LeadershipForm,
    /// Seats on the committee (1 for a secretary-only branch).
    pub committee_size: usize,
    /// Member records created in this branch, including a member who later transfers out.
    pub member_count: u32,
    /// The local id of the branch's first member; the others follow in order.
    pub first_member: i64,
    /// Committee candidates: long-standing full members who sit on or may join the committee.
    pub pool: u32,
    /// Members admitted during the record period.
    pub joiners: u32,
    /// Members admitted in the year before the record period (probationary when it starts).
    pub prewindow: u32,
    pub groups: Vec<OrgId>,
    /// The preferred day of the month for the themed Party day (6..=24).
    pub theme_day: u32,
    /// Which month of each quarter (0, 1 or 2) holds the general meeting, and which the lecture.
    pub general_meeting_month: u32,
    pub lecture_month: u32,
    pub place: &'static str,
    pub term_years: u8,
    /// Election days of the terms that matter, oldest first; the first is on or before the start
    /// of the record period and the last is the latest election.
    pub term_dates: Vec<NaiveDate>,
    pub imperfection: Option<Imperfection>,
    pub dues_imperfection: Option<DuesImperfection>,
    /// A month whose records were entered weeks late: the month's first day and the delay in days.
    pub late_month: Option<(NaiveDate, i64)>,
    pub transfer_out: Option<usize>,
    pub transfers_in: Vec<usize>,
    /// When the branch's existing members and terms were typed in (the system's go-live).
    pub go_live: DateTime<Utc>,
}

impl BranchPlan {
    pub(crate) fn earliest_election(&self) -> NaiveDate {
        self.term_dates
            .first()
            .copied()
            .unwrap_or(self.established_on)
    }

    pub(crate) fn plain_month(&self) -> u32 {
        3 - self.general_meeting_month - self.lecture_month
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TransferPlan {
    pub origin: usize,
    pub dest: usize,
    pub on: NaiveDate,
    pub member: MemberId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CityPlan {
    pub seed: u64,
    pub today: NaiveDate,
    /// The first day of the record period: 1 January of the first year.
    pub first_day: NaiveDate,
    pub branches: Vec<BranchPlan>,
    pub transfers: Vec<TransferPlan>,
    pub member_total: u64,
}

/// How many of each imperfection a city of `branches` branches gets: a handful at 300, growing in
/// proportion for the benchmark sizes.
fn scaled(branches: usize, per: usize) -> usize {
    (branches / per).max(1)
}

fn committee_branch_size(rng: &mut Rng) -> u32 {
    // The mean of a uniform and the smaller of two uniforms: sizes from 8 to 45, most between 12
    // and 30, averaging about 23, so that with the small branches the city averages about 20.
    let a = rng.range(0, 37);
    let b = rng.range(0, 37);
    let c = rng.range(0, 37);
    (8 + (a + b.min(c)) / 2) as u32
}

fn election_ok(day: NaiveDate, preferred_theme_day: u32) -> bool {
    // Elections are held on working days, never on 29 February (so that the term ends on the same
    // date three years later), away from the monthly meetings so that the committee in post at a
    // committee meeting is never ambiguous, and not in the year-end talk season (from 15 November):
    // the engine judges a year's talks against the committee in post on 31 December, so a new
    // committee elected after the year's round of talks would leave them short.
    let theme = theme_day(day.year(), day.month(), preferred_theme_day);
    let talk_season = day.month() == 12 || (day.month() == 11 && day.day() >= 15);
    is_working_day(day)
        && !(day.month() == 2 && day.day() == 29)
        && !talk_season
        && (day - theme).num_days().abs() > 2
}

fn election_day(
    rng: &mut Rng,
    lower: NaiveDate,
    upper: NaiveDate,
    preferred_theme_day: u32,
) -> NaiveDate {
    for _ in 0..64 {
        let day = rng.date_between(lower, upper);
        if election_ok(day, preferred_theme_day) {
            return day;
        }
    }
    let mut day = lower;
    while day < upper && !election_ok(day, preferred_theme_day) {
        day += days(1);
    }
    day
}

fn term_years(unit_kind: UnitKind) -> u8 {
    match unit_kind {
        UnitKind::Village | UnitKind::Community => 5,
        _ => 3,
    }
}

/// Months entirely inside the record period and before today.
pub(crate) fn full_months(first_day: NaiveDate, today: NaiveDate) -> Vec<NaiveDate> {
    let mut months = Vec::new();
    let mut month = first_of_month(first_day);
    while last_of_month(month) < today {
        months.push(month);
        month = next_month(month);
    }
    months
}

/// Plants the dues imperfections in branches that carry nothing else, from a stream of their own so
/// that the rest of the city is what it was before dues were added.
fn assign_dues_imperfections(
    config: &DemoConfig,
    branches: &mut [BranchPlan],
    order: &[usize],
    months: &[NaiveDate],
) {
    let mut rng = Rng::derive(config.seed, STREAM_DUES_CITY, 0);
    let total = branches.len();
    let Some(last_month) = months.last().copied() else {
        return;
    };
    // Today's month, and the whole months before it.
    let current = next_month(last_month);
    let back = |count: i32| add_months(current, -count);
    let mut wanted: Vec<DuesImperfection> = Vec::new();
    if months.len() >= 4 {
        for _ in 0..scaled(total, 150) {
            wanted.push(DuesImperfection::ThreeMonthsUnpaid { from: back(3) });
        }
    }
    if months.len() >= 7 {
        for _ in 0..scaled(total, 150) {
            wanted.push(DuesImperfection::SixMonthsUnpaid { from: back(6) });
        }
    }
    if months.len() >= 3 {
        for _ in 0..scaled(total, 300) {
            let earliest = (months.len() as i64).min(5);
            let from = back(rng.range(2, earliest) as i32);
            wanted.push(DuesImperfection::ReliefAwaitingApproval { from });
        }
    }
    // In reverse shuffled order, so that these are not the branches the other imperfections
    // would take next at a larger size; branches with enough long-standing members.
    let candidates: Vec<usize> = order
        .iter()
        .rev()
        .copied()
        .filter(|branch| {
            let plan = &branches[*branch];
            plan.imperfection.is_none()
                && plan.late_month.is_none()
                && plan.transfer_out.is_none()
                && plan.transfers_in.is_empty()
                && plan.member_count >= 8
        })
        .collect();
    for (imperfection, branch) in wanted.into_iter().zip(candidates) {
        branches[branch].dues_imperfection = Some(imperfection);
    }
}

pub(crate) struct PlanOutput {
    pub plan: CityPlan,
    pub orgs: Vec<OrgEntry>,
}

pub(crate) fn plan_city(config: &DemoConfig) -> PlanOutput {
    let mut rng = Rng::derive(config.seed, STREAM_CITY, 0);
    let today = config.today;
    let years = config.years.clamp(1, 5) as i32;
    let first_day = date(today.year() - years + 1, 1, 1);
    let branch_total = (config.branches.max(1)) as usize;

    // Departments: about one for every 7.5 branches, with uneven sizes.
    let department_total = ((branch_total * 2 + 7) / 15).max(1);
    let weights: Vec<u64> = (0..department_total)
        .map(|_| rng.range(3, 12) as u64)
        .collect();
    let weight_sum: u64 = weights.iter().sum();
    let spare = (branch_total - department_total) as u64;
    let mut per_department: Vec<usize> = weights
        .iter()
        .map(|weight| 1 + (spare * weight / weight_sum) as usize)
        .collect();
    let mut assigned: usize = per_department.iter().sum();
    let mut next = 0;
    while assigned < branch_total {
        per_department[next % department_total] += 1;
        assigned += 1;
        next += 1;
    }
    let mut name_order: Vec<usize> = (0..DEPARTMENTS.len()).collect();
    rng.shuffle(&mut name_order);

    let orgs_entered = office_instant(&mut rng, working_day_on_or_after(first_day - days(60)));
    let root_established = rng.date_between(date(1980, 1, 1), date(1985, 12, 31));
    let mut orgs = vec![OrgEntry {
        id: OrgId(1),
        body: Org {
            parent_id: None,
            name: "中共某市市直机关工作委员会".to_string(),
            level: OrgLevel::WorkingCommittee,
            unit_kind: UnitKind::GovernmentOrgan,
            established_on: root_established,
            dissolved_on: None,
        },
        entered_at: orgs_entered,
    }];

    struct Department {
        name: String,
        unit_kind: UnitKind,
        established_on: NaiveDate,
        first_branch: usize,
        branch_count: usize,
    }
    let mut departments = Vec::with_capacity(department_total);
    let mut first_branch = 0;
    for (index, count) in per_department.iter().enumerate() {
        let base = DEPARTMENTS[name_order[index % DEPARTMENTS.len()]];
        let round = index / DEPARTMENTS.len();
        let name = if round == 0 {
            base.name.to_string()
        } else {
            format!("{}（{}）", base.name, round + 1)
        };
        departments.push(Department {
            name,
            unit_kind: base.unit_kind,
            established_on: rng.date_between(date(1986, 1, 1), date(2008, 12, 31)),
            first_branch,
            branch_count: *count,
        });
        first_branch += count;
    }
    let departments_entered = orgs_entered + days(1);
    for (index, department) in departments.iter().enumerate() {
        let name = match department.unit_kind {
            UnitKind::GovernmentOrgan => format!("中共某{}机关委员会", department.name),
            _ => format!("中共某{}委员会", department.name),
        };
        orgs.push(OrgEntry {
            id: OrgId(2 + index as i64),
            body: Org {
                parent_id: Some(OrgId(1)),
                name,
                level: OrgLevel::PartyCommittee,
                unit_kind: department.unit_kind,
                established_on: department.established_on,
                dissolved_on: None,
            },
            entered_at: departments_entered,
        });
    }

    // Branches: names, roles, sizes and shapes.
    let branch_org_base = 2 + department_total as i64;
    let mut branches: Vec<BranchPlan> = Vec::with_capacity(branch_total);
    let mut department_of = Vec::with_capacity(branch_total);
    for (department_index, department) in departments.iter().enumerate() {
        let has_retirees = department.branch_count >= 4 && rng.percent(50);
        let sections: &[&str] = match department.unit_kind {
            UnitKind::GovernmentOrgan => ORGAN_SECTIONS,
            _ => &INSTITUTION_SECTIONS[1..],
        };
        let mut section_order: Vec<usize> = (0..sections.len()).collect();
        rng.shuffle(&mut section_order);
        for position in 0..department.branch_count {
            let role = if position == 0 {
                BranchRole::Leadership
            } else if has_retirees && position == department.branch_count - 1 {
                BranchRole::Retirees
            } else {
                BranchRole::Ordinary
            };
            let section = match role {
                BranchRole::Leadership => match department.unit_kind {
                    // 市人民政府办公室办公室党支部 would stutter.
                    UnitKind::GovernmentOrgan if department.name.ends_with("办公室") => {
                        "机关第一".to_string()
                    }
                    UnitKind::GovernmentOrgan => "办公室".to_string(),
                    _ => INSTITUTION_SECTIONS[0].to_string(),
                },
                BranchRole::Retirees => "离退休干部".to_string(),
                BranchRole::Ordinary => match section_order.get(position - 1) {
                    Some(section) => sections[*section].to_string(),
                    None => format!("机关第{}", names::chinese_number(position as u32 + 1)),
                },
            };
            let (form, member_count) = match role {
                BranchRole::Retirees => (LeadershipForm::Committee, rng.range(10, 35) as u32),
                _ if rng.percent(12) => (LeadershipForm::SecretaryOnly, rng.range(5, 6) as u32),
                _ => (LeadershipForm::Committee, committee_branch_size(&mut rng)),
            };
            let committee_size = match (form, member_count) {
                (LeadershipForm::SecretaryOnly, _) => 1,
                (_, 0..15) => 3,
                (_, 15..25) => rng.pick(&[3, 3, 4, 5]),
                _ => rng.pick(&[4, 5, 5]),
            };
            let pool = match form {
                LeadershipForm::Committee => committee_size as u32 + 2,
                LeadershipForm::SecretaryOnly => 2,
            };
            let growing = form == LeadershipForm::Committee
                && member_count >= 12
                && role != BranchRole::Retirees;
            let joiners = if growing { rng.pick(&[0, 1, 1, 2]) } else { 0 };
            let prewindow = if growing && rng.percent(15) { 1 } else { 0 };
            let general_meeting_month = rng.range(0, 2) as u32;
            let lecture_month = (general_meeting_month + rng.range(1, 2) as u32) % 3;
            let index = branches.len();
            department_of.push(department_index);
            branches.push(BranchPlan {
                org_id: OrgId(branch_org_base + index as i64),
                name: format!("{}{}党支部", department.name, section),
                department: department_index,
                role,
                unit_kind: department.unit_kind,
                established_on: department.established_on,
                form,
                committee_size,
                member_count,
                first_member: 0,
                pool,
                joiners,
                prewindow,
                groups: Vec::new(),
                theme_day: rng.range(6, 24) as u32,
                general_meeting_month,
                lecture_month,
                place: rng.pick(PLACES),
                term_years: term_years(department.unit_kind),
                term_dates: Vec::new(),
                imperfection: None,
                dues_imperfection: None,
                late_month: None,
                transfer_out: None,
                transfers_in: Vec::new(),
                go_live: orgs_entered,
            });
        }
    }

    // Which branches carry which imperfection. Each planted branch carries one, so that the
    // findings of one cannot hide or add to those of another.
    let mut order: Vec<usize> = (0..branch_total).collect();
    rng.shuffle(&mut order);
    let mut taken = vec![false; branch_total];
    let department_end = |branch: usize| {
        let department = &departments[department_of[branch]];
        department.first_branch + department.branch_count
    };
    // A transfer goes to a later branch of the same department (the loader writes branches in
    // order, so the member's old branch is complete before the member moves) and never into a
    // branch without a committee, which one more full member could push over the threshold of 7.
    let later_committee_siblings =
        |branches: &[BranchPlan], taken: &[bool], branch: usize| -> Vec<usize> {
            (branch + 1..department_end(branch))
                .filter(|other| {
                    branches[*other].form == LeadershipForm::Committee
                        && branches[*other].role != BranchRole::Retirees
                        && !taken.get(*other).copied().unwrap_or(false)
                })
                .collect()
        };
    let mut transfers: Vec<(usize, usize, Option<NaiveDate>)> = Vec::new();

    // A branch that fell below three full members this month when one of them transferred out.
    for _ in 0..scaled(branch_total, 300) {
        let candidate = order.iter().copied().find(|branch| {
            !taken[*branch]
                && branches[*branch].role != BranchRole::Retirees
                && !later_committee_siblings(&branches, &taken, *branch).is_empty()
        });
        let Some(branch) = candidate else { break };
        taken[branch] = true;
        let siblings = later_committee_siblings(&branches, &taken, branch);
        let dest = siblings[rng.index(siblings.len())];
        // The receiving branch carries nothing else, so that no later choice turns it into a
        // branch without a committee.
        taken[dest] = true;
        let plan = &mut branches[branch];
        plan.imperfection = Some(Imperfection::BelowThreeFullMembers);
        plan.form = LeadershipForm::SecretaryOnly;
        plan.committee_size = 1;
        plan.member_count = 4;
        plan.pool = 1;
        plan.joiners = 1;
        plan.prewindow = 0;
        let month_start = first_of_month(today);
        let mut on = working_day_on_or_after(month_start);
        if on > today {
            on = month_start;
        }
        transfers.push((branch, dest, Some(on)));
    }

    // Ordinary transfers between two branches of one department.
    for _ in 0..scaled(branch_total, 60) {
        let candidate = order.iter().copied().find(|branch| {
            let plan = &branches[*branch];
            !taken[*branch]
                && plan.form == LeadershipForm::Committee
                && plan.member_count >= 12
                && plan.role != BranchRole::Retirees
                && !later_committee_siblings(&branches, &[], *branch).is_empty()
        });
        let Some(branch) = candidate else { break };
        taken[branch] = true;
        let siblings = later_committee_siblings(&branches, &[], branch);
        let dest = siblings[rng.index(siblings.len())];
        transfers.push((branch, dest, None));
    }

    let assign = |count: usize,
                  taken: &mut [bool],
                  branches: &mut [BranchPlan],
                  needs_committee: bool,
                  make: &dyn Fn() -> Imperfection| {
        for _ in 0..count {
            let candidate = order.iter().copied().find(|branch| {
                !taken[*branch]
                    && (!needs_committee || branches[*branch].form == LeadershipForm::Committee)
            });
            let Some(branch) = candidate else { break };
            taken[branch] = true;
            branches[branch].imperfection = Some(make());
        }
    };
    let placeholder_month = first_day;
    assign(
        scaled(branch_total, 150),
        &mut taken,
        &mut branches,
        true,
        &|| Imperfection::DecemberCatchUp { year: 0 },
    );
    assign(
        scaled(branch_total, 100),
        &mut taken,
        &mut branches,
        true,
        &|| Imperfection::CommitteeWithoutQuorum {
            month: placeholder_month,
        },
    );
    assign(
        scaled(branch_total, 150),
        &mut taken,
        &mut branches,
        true,
        &|| Imperfection::TermExpired,
    );
    assign(
        scaled(branch_total, 300),
        &mut taken,
        &mut branches,
        true,
        &|| Imperfection::TermComingDue,
    );
    assign(
        scaled(branch_total, 75),
        &mut taken,
        &mut branches,
        true,
        &|| Imperfection::SkipCommitteeMeeting {
            month: placeholder_month,
        },
    );
    assign(
        scaled(branch_total, 75),
        &mut taken,
        &mut branches,
        false,
        &|| Imperfection::SkipThemedPartyDay {
            month: placeholder_month,
        },
    );
    assign(
        scaled(branch_total, 300),
        &mut taken,
        &mut branches,
        false,
        &|| Imperfection::NoGeneralMeeting {
            quarter: placeholder_month,
        },
    );
    let late_branches: Vec<usize> = order
        .iter()
        .copied()
        .filter(|branch| !taken[*branch])
        .take(scaled(branch_total, 60))
        .collect();

    // Terms: the latest election, and the ones before it back to the start of the record period.
    for plan in branches.iter_mut() {
        let years = i32::from(plan.term_years);
        let (lower, upper) = match plan.imperfection {
            Some(Imperfection::TermExpired) => (
                add_years(today - days(100), -years),
                add_years(today - days(30), -years),
            ),
            Some(Imperfection::TermComingDue) => (
                add_years(today + days(30), -years),
                add_years(today + days(150), -years),
            ),
            // Elected so that the term ends more than six months after today: no reminder is due.
            _ => (add_months(today, -29) + days(1), today - days(20)),
        };
        let latest = election_day(&mut rng, lower, upper, plan.theme_day);
        let mut dates = vec![latest];
        while dates[0] > first_day {
            dates.insert(0, add_years(dates[0], -years));
        }
        plan.term_dates = dates;
        let earliest = plan.earliest_election();
        let established_upper = add_years(earliest, -2);
        let established_lower = (plan.established_on + days(365)).min(established_upper);
        plan.established_on = rng.date_between(established_lower, established_upper);
        let go_live_day = working_day_on_or_after(first_day - days(rng.range(10, 40)));
        plan.go_live = office_instant(&mut rng, go_live_day);
    }

    // The months and quarters of the planted imperfections: whole months before today.
    let months = full_months(first_day, today);
    let quarters: Vec<NaiveDate> = months
        .iter()
        .copied()
        .filter(|month| month.month0() % 3 == 0 && months.contains(&add_months(*month, 2)))
        .collect();
    let december_years: Vec<i32> = months
        .iter()
        .filter(|month| month.month() == 10 && months.contains(&add_months(**month, 2)))
        .map(|month| month.year())
        .collect();
    for plan in branches.iter_mut() {
        let chosen = match plan.imperfection.take() {
            Some(Imperfection::SkipCommitteeMeeting { .. }) if !months.is_empty() => {
                Some(Imperfection::SkipCommitteeMeeting {
                    month: months[rng.index(months.len())],
                })
            }
            Some(Imperfection::CommitteeWithoutQuorum { .. }) if !months.is_empty() => {
                Some(Imperfection::CommitteeWithoutQuorum {
                    month: months[rng.index(months.len())],
                })
            }
            Some(Imperfection::SkipThemedPartyDay { .. }) => {
                // Only a month whose themed Party day serves no other duty, so that skipping it
                // misses the themed Party day and nothing else.
                let plain: Vec<NaiveDate> = months
                    .iter()
                    .copied()
                    .filter(|month| month.month0() % 3 == plan.plain_month())
                    .collect();
                (!plain.is_empty()).then(|| Imperfection::SkipThemedPartyDay {
                    month: plain[rng.index(plain.len())],
                })
            }
            Some(Imperfection::DecemberCatchUp { .. }) if !december_years.is_empty() => {
                Some(Imperfection::DecemberCatchUp {
                    year: december_years[rng.index(december_years.len())],
                })
            }
            Some(Imperfection::NoGeneralMeeting { .. }) => {
                // Not a quarter with an election, which is itself a general meeting.
                let without_election: Vec<NaiveDate> = quarters
                    .iter()
                    .copied()
                    .filter(|quarter| {
                        !plan
                            .term_dates
                            .iter()
                            .any(|day| *quarter <= *day && *day < add_months(*quarter, 3))
                    })
                    .collect();
                (!without_election.is_empty()).then(|| Imperfection::NoGeneralMeeting {
                    quarter: without_election[rng.index(without_election.len())],
                })
            }
            Some(
                kept @ (Imperfection::TermExpired
                | Imperfection::TermComingDue
                | Imperfection::BelowThreeFullMembers),
            ) => Some(kept),
            _ => None,
        };
        plan.imperfection = chosen;
    }
    let late_months: Vec<NaiveDate> = months
        .iter()
        .copied()
        .filter(|month| last_of_month(*month) + days(61) <= today)
        .collect();
    if !late_months.is_empty() {
        for branch in late_branches {
            let month = late_months[rng.index(late_months.len())];
            branches[branch].late_month = Some((month, rng.range(30, 57)));
        }
    }

    // Party groups in branches of 20 or more members, numbered after all branches.
    let mut next_org = branch_org_base + branch_total as i64;
    let mut group_orgs = Vec::new();
    for plan in branches.iter_mut() {
        if plan.member_count < 20 {
            continue;
        }
        let count = if plan.member_count >= 30 && rng.percent(50) {
            3
        } else {
            2
        };
        for number in 1..=count {
            plan.groups.push(OrgId(next_org));
            group_orgs.push(OrgEntry {
                id: OrgId(next_org),
                body: Org {
                    parent_id: Some(plan.org_id),
                    name: format!("{}第{}党小组", plan.name, names::chinese_number(number)),
                    level: OrgLevel::PartyGroup,
                    unit_kind: plan.unit_kind,
                    established_on: plan.established_on,
                    dissolved_on: None,
                },
                entered_at: orgs_entered + days(3),
            });
            next_org += 1;
        }
    }
    let branches_entered = orgs_entered + days(2);
    for plan in &branches {
        orgs.push(OrgEntry {
            id: plan.org_id,
            body: Org {
                parent_id: Some(OrgId(2 + plan.department as i64)),
                name: plan.name.clone(),
                level: OrgLevel::Branch,
                unit_kind: plan.unit_kind,
                established_on: plan.established_on,
                dissolved_on: None,
            },
            entered_at: branches_entered,
        });
    }
    orgs.extend(group_orgs);

    // Members are numbered after all orgs, branch by branch.
    let mut next_member = next_org;
    for plan in branches.iter_mut() {
        plan.first_member = next_member;
        next_member += i64::from(plan.member_count);
    }
    let member_total = (next_member - next_org) as u64;

    let mut transfer_plans = Vec::with_capacity(transfers.len());
    for (origin, dest, on) in transfers {
        let on = match on {
            Some(on) => on,
            None => {
                let lower = first_day + days(45);
                let upper = today - days(20);
                working_day_on_or_after(rng.date_between(lower, upper)).min(upper)
            }
        };
        let slot = branches[origin].member_count - 1;
        let member = MemberId(branches[origin].first_member + i64::from(slot));
        let index = transfer_plans.len();
        branches[origin].transfer_out = Some(index);
        branches[dest].transfers_in.push(index);
        transfer_plans.push(TransferPlan {
            origin,
            dest,
            on,
            member,
        });
    }

    assign_dues_imperfections(config, &mut branches, &order, &months);

    PlanOutput {
        plan: CityPlan {
            seed: config.seed,
            today,
            first_day,
            branches,
            transfers: transfer_plans,
            member_total,
        },
        orgs,
    }
}
