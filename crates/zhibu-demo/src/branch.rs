//! The records of one branch: its members, committee terms, meetings and heart-to-heart talks,
//! generated from the city plan and the branch's own random stream. A branch's records depend on
//! nothing but the plan, so branches can be generated one at a time, in any order, at any scale.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use zhibu_core::calendar::add_years;
use zhibu_core::{
    Attendance, AttendanceState, BranchPosting, CommitteePosition, CommitteeRole, CommitteeTerm,
    EmploymentCategory, HeartToHeartTalk, LeadershipForm, Meeting, MeetingKind, Member, MemberId,
    MemberStatus, RecordedOutcome, Resolution, Sex, StatusChange,
};

use crate::dates::{
    date, days, entry_day, first_of_month, fixed_instant, is_working_day, monday_of, next_month,
    office_instant, theme_day, working_day_on_or_after,
};
use crate::names::{
    self, COMMITTEE_TOPICS, EXEMPT_LEAVE_REASONS, GENERAL_SUBJECTS, GROUP_TOPICS, LEAVE_REASONS,
    LECTURE_TOPICS, TALK_TOPICS, THEME_TOPICS,
};
use crate::plan::{BranchPlan, BranchRole, CityPlan, Imperfection};
use crate::rng::{Rng, STREAM_BRANCH, STREAM_TRANSFER};
use crate::{BranchRecords, Entry, MemberEntry, TransferIn};

/// A member as the generator sees them while building the branch.
#[derive(Debug, Clone)]
struct Person {
    id: MemberId,
    name: String,
    sex: Sex,
    birth: NaiveDate,
    joined_on: NaiveDate,
    full_on: Option<NaiveDate>,
    employment: EmploymentCategory,
    leading_cadre: bool,
    exemption: Option<String>,
    /// The first day in this branch.
    from: NaiveDate,
    /// The day they left this branch (transferred out).
    until: Option<NaiveDate>,
    group: Option<usize>,
    /// Entry instant of the member record.
    entered_at: DateTime<Utc>,
    kind: PersonKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PersonKind {
    Settled,
    Joiner,
    TransferredOut(usize),
    TransferredIn(usize),
}

impl Person {
    fn status_on(&self, day: NaiveDate) -> Option<MemberStatus> {
        if day < self.joined_on {
            None
        } else if self.full_on.is_some_and(|full| full <= day) {
            Some(MemberStatus::Full)
        } else {
            Some(MemberStatus::Probationary)
        }
    }

    fn in_branch(&self, day: NaiveDate) -> bool {
        day >= self.joined_on && self.from <= day && self.until.is_none_or(|until| day < until)
    }

    fn votes_on(&self, day: NaiveDate) -> bool {
        self.status_on(day) == Some(MemberStatus::Full)
    }

    fn status_history(&self) -> Vec<StatusChange> {
        let mut history = vec![StatusChange {
            effective_on: self.joined_on,
            status: MemberStatus::Probationary,
            note: None,
        }];
        if let Some(full) = self.full_on {
            history.push(StatusChange {
                effective_on: full,
                status: MemberStatus::Full,
                note: Some("预备期满，按期转为正式党员".to_string()),
            });
        }
        history
    }

    fn body(&self, postings: Vec<BranchPosting>) -> Member {
        Member {
            name: self.name.clone(),
            sex: self.sex,
            birth_date: Some(self.birth),
            joined_on: self.joined_on,
            status_history: self.status_history(),
            postings,
            employment: self.employment,
            leading_cadre: self.leading_cadre,
            org_life_exemption: self.exemption.clone(),
            registry: Default::default(),
            sanctions: Vec::new(),
        }
    }
}

/// Birth, joining and arrival dates of a member who has been in the Party and in this branch
/// since before `from_upper`: joined at 20 or later, a full member before arriving, and arrived
/// no earlier than the branch was set up.
fn settled_dates(
    rng: &mut Rng,
    today: NaiveDate,
    established: NaiveDate,
    from_upper: NaiveDate,
    ages: (i64, i64),
) -> (NaiveDate, NaiveDate, NaiveDate) {
    for attempt in 0..10 {
        let age = rng.range(ages.0 + attempt * 3, ages.1 + attempt * 3);
        let birth = add_years(today, -(age as i32)) - days(rng.range(0, 364));
        let from_lower = established.max(add_years(birth, 23));
        if from_lower > from_upper {
            continue;
        }
        let from = rng.date_between(from_lower, from_upper);
        let joined_lower = add_years(birth, 20);
        let joined_upper = (add_years(from, -1) - days(1))
            .min(add_years(birth, 45))
            .max(joined_lower);
        let joined = rng.date_between(joined_lower, joined_upper);
        return (birth, joined, from);
    }
    let from = from_upper;
    (add_years(from, -35), add_years(from, -5), from)
}

fn pick_sex(rng: &mut Rng, male_percent: u64) -> Sex {
    if rng.percent(male_percent) {
        Sex::Male
    } else {
        Sex::Female
    }
}

fn unique_name(rng: &mut Rng, sex: Sex, taken: &mut BTreeSet<String>) -> String {
    for _ in 0..20 {
        let name = names::person_name(rng, sex);
        if taken.insert(name.clone()) {
            return name;
        }
    }
    names::person_name(rng, sex)
}

/// The member who transfers from one branch to another. Both branches build them from the
/// transfer's own stream, so each can be generated without the other.
fn transfer_person(city: &CityPlan, transfer: usize) -> Person {
    let plan = &city.transfers[transfer];
    let origin = &city.branches[plan.origin];
    let mut rng = Rng::derive(city.seed, STREAM_TRANSFER, transfer as u64);
    let sex = pick_sex(&mut rng, 55);
    let name = names::person_name(&mut rng, sex);
    let (birth, joined_on, from) = settled_dates(
        &mut rng,
        city.today,
        origin.established_on,
        city.first_day - days(1),
        (28, 50),
    );
    Person {
        id: plan.member,
        name,
        sex,
        birth,
        joined_on,
        full_on: Some(add_years(joined_on, 1)),
        employment: EmploymentCategory::Salaried,
        leading_cadre: false,
        exemption: None,
        from,
        until: Some(plan.on),
        group: None,
        entered_at: origin.go_live,
        kind: PersonKind::TransferredOut(transfer),
    }
}

fn origin_posting(city: &CityPlan, transfer: usize, person: &Person) -> BranchPosting {
    let plan = &city.transfers[transfer];
    let origin = &city.branches[plan.origin];
    let slot = origin.member_count.saturating_sub(1) as usize;
    BranchPosting {
        branch_id: origin.org_id,
        group_id: (!origin.groups.is_empty()).then(|| origin.groups[slot % origin.groups.len()]),
        from: person.from,
        until: Some(plan.on),
        transferred_in_from: None,
        transferred_out_to: Some(city.branches[plan.dest].name.clone()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SittingKind {
    Committee { quorum: bool },
    Theme { lecture: bool, general: bool },
    Group(usize),
    OrgLife,
    Election(usize),
}

#[derive(Debug, Clone)]
struct Sitting {
    on: NaiveDate,
    kind: SittingKind,
    entered_at: DateTime<Utc>,
}

/// The organizational-life meeting of a year: a week before or after December's themed Party
/// day, so on a Tuesday to Thursday that no other sitting uses.
fn org_life_day(year: i32, plan: &BranchPlan) -> NaiveDate {
    let theme = theme_day(year, 12, plan.theme_day);
    if theme.day() <= 24 {
        theme + days(7)
    } else {
        theme - days(7)
    }
}

fn in_quarter(quarter: NaiveDate, day: NaiveDate) -> bool {
    quarter <= day && day < zhibu_core::calendar::add_months(quarter, 3)
}

/// Every sitting of the branch from the start of the record period to yesterday, with the
/// instant each was typed in. One month's regular sittings (committee meeting, themed Party day,
/// group meetings) are entered together, one to three days after the committee meeting.
fn plan_sittings(
    city: &CityPlan,
    plan: &BranchPlan,
    rng: &mut Rng,
) -> (Vec<Sitting>, Vec<Option<DateTime<Utc>>>) {
    let today = city.today;
    let mut sittings = Vec::new();
    let mut election_instants = vec![None; plan.term_dates.len()];
    let mut month = first_of_month(city.first_day);
    while month <= today {
        let (year, month_number) = (month.year(), month.month());
        let theme = theme_day(year, month_number, plan.theme_day);
        let committee_day = theme - days(1);
        let group_day = theme + days(1);
        let mut entry = group_day;
        if is_working_day(group_day + days(1)) && rng.percent(30) {
            entry = group_day + days(1);
        }
        if let Some((late_month, delay)) = plan.late_month
            && late_month == month
        {
            entry = working_day_on_or_after(group_day + days(delay));
        }
        let entered_at = office_instant(rng, entry.min(today));
        let own_session = |rng: &mut Rng, day: NaiveDate| {
            let entry = entry_day(rng, day, 2, today);
            office_instant(rng, entry)
        };

        if plan.form == LeadershipForm::Committee {
            match plan.imperfection {
                Some(Imperfection::SkipCommitteeMeeting { month: skipped }) if skipped == month => {
                }
                Some(Imperfection::DecemberCatchUp { year: catch_up })
                    if catch_up == year && (10..=11).contains(&month_number) => {}
                Some(Imperfection::DecemberCatchUp { year: catch_up })
                    if catch_up == year && month_number == 12 =>
                {
                    sittings.push(Sitting {
                        on: committee_day,
                        kind: SittingKind::Committee { quorum: true },
                        entered_at,
                    });
                    let org_life = org_life_day(year, plan);
                    let extra: Vec<NaiveDate> = [7_i64, -7, 14, -14]
                        .into_iter()
                        .map(|offset| committee_day + days(offset))
                        .filter(|day| day.month() == 12 && day.year() == year && *day != org_life)
                        .take(2)
                        .collect();
                    for day in extra {
                        let entered_at = own_session(rng, day);
                        sittings.push(Sitting {
                            on: day,
                            kind: SittingKind::Committee { quorum: true },
                            entered_at,
                        });
                    }
                }
                Some(Imperfection::CommitteeWithoutQuorum { month: failed }) if failed == month => {
                    sittings.push(Sitting {
                        on: committee_day,
                        kind: SittingKind::Committee { quorum: false },
                        entered_at,
                    });
                }
                _ => sittings.push(Sitting {
                    on: committee_day,
                    kind: SittingKind::Committee { quorum: true },
                    entered_at,
                }),
            }
        }

        let position = month.month0() % 3;
        let lecture = position == plan.lecture_month;
        let no_general = matches!(plan.imperfection, Some(Imperfection::NoGeneralMeeting { quarter }) if in_quarter(quarter, month));
        let general = position == plan.general_meeting_month && !no_general;
        let skip_theme = matches!(plan.imperfection, Some(Imperfection::SkipThemedPartyDay { month: skipped }) if skipped == month);
        if !skip_theme {
            sittings.push(Sitting {
                on: theme,
                kind: SittingKind::Theme { lecture, general },
                entered_at,
            });
        }
        for group in 0..plan.groups.len() {
            sittings.push(Sitting {
                on: group_day,
                kind: SittingKind::Group(group),
                entered_at,
            });
        }
        if month_number == 12 {
            let day = org_life_day(year, plan);
            let entered_at = own_session(rng, day);
            sittings.push(Sitting {
                on: day,
                kind: SittingKind::OrgLife,
                entered_at,
            });
        }
        for (term, elected_on) in plan.term_dates.iter().enumerate() {
            if first_of_month(*elected_on) == month && *elected_on >= city.first_day {
                let entered_at = own_session(rng, *elected_on);
                election_instants[term] = Some(entered_at);
                sittings.push(Sitting {
                    on: *elected_on,
                    kind: SittingKind::Election(term),
                    entered_at,
                });
            }
        }
        month = next_month(month);
    }
    sittings.retain(|sitting| sitting.on < today);
    for (term, elected_on) in plan.term_dates.iter().enumerate() {
        if *elected_on >= today {
            election_instants[term] = None;
        }
    }
    sittings.sort_by_key(|sitting| (sitting.entered_at, sitting.on));
    (sittings, election_instants)
}

struct Generator<'a> {
    city: &'a CityPlan,
    plan: &'a BranchPlan,
    rng: Rng,
    people: Vec<Person>,
    /// Positions of each term: role and index into `people`.
    terms: Vec<Vec<(CommitteeRole, usize)>>,
    admissions: BTreeMap<NaiveDate, Vec<usize>>,
    conversions: BTreeMap<NaiveDate, Vec<usize>>,
}

const COMMITTEE_ROLES: [CommitteeRole; 5] = [
    CommitteeRole::Secretary,
    CommitteeRole::OrganizationOfficer,
    CommitteeRole::PublicityOfficer,
    CommitteeRole::DisciplineOfficer,
    CommitteeRole::DeputySecretary,
];

impl<'a> Generator<'a> {
    fn make_people(&mut self, general_meetings: &[NaiveDate]) {
        let city = self.city;
        let plan = self.plan;
        let today = city.today;
        let rng = &mut self.rng;
        let mut names = BTreeSet::new();
        let retirees = plan.role == BranchRole::Retirees;
        let male_percent = if retirees { 62 } else { 58 };
        let pool_from_upper = plan.earliest_election() - days(30);
        // Long-standing members arrived before the system went live (at most 40 days before the
        // record period), so that their records are not entered before the events they record.
        let settled_from_upper = city.first_day - days(45);
        let transfer_slot = plan.transfer_out.map(|_| plan.member_count - 1);
        let regular = plan
            .member_count
            .saturating_sub(plan.pool)
            .saturating_sub(plan.prewindow)
            .saturating_sub(plan.joiners)
            .saturating_sub(u32::from(transfer_slot.is_some()));
        let cadres = if plan.role == BranchRole::Leadership {
            rng.range(2, 3) as u32
        } else {
            0
        };
        let eligible_admissions: Vec<NaiveDate> = match plan.imperfection {
            // The probationary member of the branch below three full members joined within the
            // last year and is still probationary today.
            Some(Imperfection::BelowThreeFullMembers) => general_meetings
                .iter()
                .copied()
                .filter(|day| *day > add_years(today, -1) + days(7) && *day <= today - days(14))
                .collect(),
            _ => general_meetings
                .iter()
                .copied()
                .filter(|day| *day >= city.first_day + days(30) && *day <= today - days(14))
                .collect(),
        };
        for slot in 0..plan.member_count {
            let id = MemberId(plan.first_member + i64::from(slot));
            let group = (!plan.groups.is_empty()).then(|| slot as usize % plan.groups.len());
            if Some(slot) == transfer_slot
                && let Some(transfer) = plan.transfer_out
            {
                let mut person = transfer_person(city, transfer);
                person.group = group;
                names.insert(person.name.clone());
                self.people.push(person);
                continue;
            }
            let sex = pick_sex(rng, male_percent);
            let name = unique_name(rng, sex, &mut names);
            let in_pool = slot < plan.pool;
            let regular_index = slot.wrapping_sub(plan.pool);
            let is_regular = !in_pool && regular_index < regular;
            let is_prewindow = !in_pool && !is_regular && regular_index < regular + plan.prewindow;
            let employment = if retirees {
                EmploymentCategory::Retired
            } else {
                EmploymentCategory::Salaried
            };
            let mut person = Person {
                id,
                name,
                sex,
                birth: city.first_day,
                joined_on: city.first_day,
                full_on: None,
                employment,
                leading_cadre: false,
                exemption: None,
                from: city.first_day,
                until: None,
                group,
                entered_at: plan.go_live,
                kind: PersonKind::Settled,
            };
            let joiner = !(in_pool || is_regular || is_prewindow);
            let admitted_on = match (joiner, eligible_admissions.is_empty(), &plan.imperfection) {
                (false, _, _) => None,
                (true, false, _) => Some(eligible_admissions[rng.index(eligible_admissions.len())]),
                // The branch below three full members needs its probationary member even when no
                // general meeting of the last year is on record (a record period that starts
                // today): they were admitted two months ago, at a meeting before the records.
                (true, true, Some(Imperfection::BelowThreeFullMembers)) => Some(today - days(60)),
                // Elsewhere a joiner with no meeting to be admitted at is a long-standing member.
                (true, true, _) => None,
            };
            if let Some(joined_on) = admitted_on {
                person.kind = PersonKind::Joiner;
                person.joined_on = joined_on;
                person.from = joined_on;
                person.birth =
                    add_years(joined_on, -(rng.range(23, 34) as i32)) - days(rng.range(0, 364));
                let entered_on = entry_day(rng, joined_on, 2, today);
                person.entered_at = office_instant(rng, entered_on);
                self.admissions
                    .entry(joined_on)
                    .or_default()
                    .push(self.people.len());
            } else if is_prewindow {
                let joined_on = rng.date_between(
                    add_years(city.first_day, -1) + days(1),
                    city.first_day - days(45),
                );
                person.joined_on = joined_on;
                person.from = joined_on;
                person.birth =
                    add_years(joined_on, -(rng.range(24, 35) as i32)) - days(rng.range(0, 364));
            } else {
                let (ages, from_upper) = match (retirees, in_pool) {
                    (true, true) => ((60, 75), pool_from_upper),
                    (true, false) => ((62, 92), settled_from_upper),
                    (false, true) => ((32, 58), pool_from_upper),
                    (false, false) if regular_index < cadres => ((45, 58), settled_from_upper),
                    (false, false) => ((26, 59), settled_from_upper),
                };
                let (birth, joined_on, from) =
                    settled_dates(rng, today, plan.established_on, from_upper, ages);
                person.birth = birth;
                person.joined_on = joined_on;
                person.from = from;
                person.full_on = Some(add_years(joined_on, 1));
                person.leading_cadre = !retirees && !in_pool && regular_index < cadres;
                if retirees && !in_pool && add_years(birth, 80) <= today && rng.percent(40) {
                    person.exemption = Some(names::EXEMPTION_REASON.to_string());
                }
            }
            self.people.push(person);
        }
        for transfer in &plan.transfers_in {
            let mut person = transfer_person(city, *transfer);
            let on = city.transfers[*transfer].on;
            person.kind = PersonKind::TransferredIn(*transfer);
            person.from = on;
            person.until = None;
            person.group = (!plan.groups.is_empty()).then_some(0);
            let entered_on = entry_day(&mut self.rng, on, 2, today);
            person.entered_at = office_instant(&mut self.rng, entered_on);
            self.people.push(person);
        }
        // Probationary members become full members one year after joining, once a general meeting
        // has voted on it; until then they stay probationary.
        for index in 0..self.people.len() {
            let person = &self.people[index];
            if person.full_on.is_some() {
                continue;
            }
            let due = add_years(person.joined_on, 1);
            if let Some(meeting) = general_meetings
                .iter()
                .copied()
                .find(|day| *day >= due && *day < today)
            {
                self.people[index].full_on = Some(due);
                self.conversions.entry(meeting).or_default().push(index);
            }
        }
    }

    fn make_terms(&mut self) {
        let plan = self.plan;
        let size = plan.committee_size.min(COMMITTEE_ROLES.len());
        let mut holders: Vec<(CommitteeRole, usize)> = COMMITTEE_ROLES
            .iter()
            .copied()
            .take(size)
            .zip(0..size)
            .collect();
        let pool = plan.pool as usize;
        for term in 0..plan.term_dates.len() {
            // At a re-election one officer often makes way for another long-standing member; the
            // secretary stays, so the branch's leadership is continuous.
            if term > 0
                && plan.form == LeadershipForm::Committee
                && pool > size
                && self.rng.percent(50)
            {
                let seat = self.rng.range(1, size as i64 - 1) as usize;
                let free: Vec<usize> = (0..pool)
                    .filter(|person| !holders.iter().any(|(_, holder)| holder == person))
                    .collect();
                if !free.is_empty() && seat < holders.len() {
                    holders[seat].1 = free[self.rng.index(free.len())];
                }
            }
            self.terms.push(holders.clone());
        }
    }

    /// The term in force on `day`: the latest elected on or before it.
    fn term_on(&self, day: NaiveDate) -> Option<usize> {
        self.plan
            .term_dates
            .iter()
            .rposition(|elected| *elected <= day)
    }

    fn committee_on(&self, day: NaiveDate) -> Vec<(CommitteeRole, usize)> {
        self.term_on(day)
            .map(|term| self.terms[term].clone())
            .unwrap_or_default()
    }

    fn secretary(&self) -> usize {
        0
    }

    fn roster(&self, day: NaiveDate) -> Vec<usize> {
        (0..self.people.len())
            .filter(|index| self.people[*index].in_branch(day))
            .collect()
    }

    fn leave_reason(&mut self, person: usize) -> AttendanceState {
        let reasons = if self.people[person].exemption.is_some() {
            EXEMPT_LEAVE_REASONS
        } else {
            LEAVE_REASONS
        };
        AttendanceState::Excused {
            reason: self.rng.pick(reasons).to_string(),
        }
    }

    fn usual_attendance(&mut self, person: usize) -> AttendanceState {
        if self.people[person].exemption.is_some() {
            let roll = self.rng.below(100);
            return if roll < 20 {
                AttendanceState::Present
            } else if roll < 70 {
                self.leave_reason(person)
            } else {
                AttendanceState::Absent
            };
        }
        let roll = self.rng.below(100);
        if roll < 91 {
            AttendanceState::Present
        } else if roll < 98 {
            self.leave_reason(person)
        } else {
            AttendanceState::Absent
        }
    }

    fn attendance_of(
        &mut self,
        people: &[usize],
        always_present: &[usize],
    ) -> Vec<(usize, AttendanceState)> {
        people
            .iter()
            .map(|person| {
                let state = if always_present.contains(person) {
                    AttendanceState::Present
                } else {
                    self.usual_attendance(*person)
                };
                (*person, state)
            })
            .collect()
    }

    /// Makes sure a general meeting could vote: more than half of the members with voting rights
    /// present and the motion carried by more than half of them (at an election, more than four
    /// fifths present). Returns the yes and abstain counts.
    fn secure_vote(
        &mut self,
        day: NaiveDate,
        attendance: &mut [(usize, AttendanceState)],
        election: bool,
    ) -> (u32, u32) {
        let expected = attendance
            .iter()
            .filter(|(person, _)| self.people[*person].votes_on(day))
            .count();
        let abstain = if expected >= 10 && self.rng.percent(20) {
            1
        } else {
            0
        };
        loop {
            let present = attendance
                .iter()
                .filter(|(person, state)| {
                    *state == AttendanceState::Present && self.people[*person].votes_on(day)
                })
                .count();
            let carried = (present - abstain.min(present)) * 2 > expected;
            let quorate = !election || present * 5 > expected * 4;
            if carried && quorate {
                return (
                    (present - abstain.min(present)) as u32,
                    abstain.min(present) as u32,
                );
            }
            // Call in the voters who were away: first those not exempt from organizational life.
            let missing = |exempt: bool| {
                attendance.iter().position(|(person, state)| {
                    *state != AttendanceState::Present
                        && self.people[*person].votes_on(day)
                        && self.people[*person].exemption.is_some() == exempt
                })
            };
            match missing(false).or_else(|| missing(true)) {
                Some(position) => attendance[position].1 = AttendanceState::Present,
                None => {
                    return (
                        (present - abstain.min(present)) as u32,
                        abstain.min(present) as u32,
                    );
                }
            }
        }
    }

    fn name(&self, person: usize) -> &str {
        &self.people[person].name
    }

    fn recorder(
        &self,
        day: NaiveDate,
        attendance: &[(usize, AttendanceState)],
        chair: usize,
    ) -> Option<MemberId> {
        let present = |person: usize| {
            attendance
                .iter()
                .any(|(who, state)| *who == person && *state == AttendanceState::Present)
        };
        let officer = self
            .committee_on(day)
            .into_iter()
            .find(|(role, _)| *role == CommitteeRole::OrganizationOfficer)
            .map(|(_, person)| person);
        officer
            .filter(|person| present(*person))
            .or_else(|| {
                attendance
                    .iter()
                    .find(|(who, state)| *who != chair && *state == AttendanceState::Present)
                    .map(|(who, _)| *who)
            })
            .map(|person| self.people[person].id)
    }

    fn finish(&self, attendance: Vec<(usize, AttendanceState)>) -> Vec<Attendance> {
        attendance
            .into_iter()
            .map(|(person, state)| Attendance {
                member_id: self.people[person].id,
                state,
            })
            .collect()
    }

    fn minutes(
        &self,
        chair: usize,
        attendance: &[(usize, AttendanceState)],
        topics: &[String],
        note: &str,
    ) -> String {
        let present = attendance
            .iter()
            .filter(|(_, state)| *state == AttendanceState::Present)
            .count();
        format!(
            "会议由{}同志主持，应到{}人，实到{}人。会议{}。{note}",
            self.name(chair),
            attendance.len(),
            present,
            topics.join("；")
        )
    }

    fn two_topics(&mut self, table: &[&str]) -> Vec<String> {
        let first = self.rng.index(table.len());
        let second = (first + 1 + self.rng.index(table.len() - 1)) % table.len();
        vec![table[first].to_string(), table[second].to_string()]
    }

    fn committee_meeting(&mut self, day: NaiveDate, quorum: bool) -> Option<Meeting> {
        let committee = self.committee_on(day);
        if committee.is_empty() {
            return None;
        }
        let secretary = self.secretary();
        let members: Vec<usize> = committee.iter().map(|(_, person)| *person).collect();
        let size = members.len();
        let mut attendance = if quorum {
            let mut attendance = self.attendance_of(&members, &[secretary]);
            // At least half of the committee in post must be present for the meeting to count.
            while attendance
                .iter()
                .filter(|(_, state)| *state == AttendanceState::Present)
                .count()
                * 2
                < size
            {
                match attendance
                    .iter()
                    .position(|(_, state)| *state != AttendanceState::Present)
                {
                    Some(position) => attendance[position].1 = AttendanceState::Present,
                    None => break,
                }
            }
            attendance
        } else {
            // Fewer than half present: the secretary, and one more on a committee of five.
            let present = (size - 1) / 2;
            let mut attendance = Vec::with_capacity(size);
            for (position, person) in members.iter().enumerate() {
                let state = if position < present.max(1) {
                    AttendanceState::Present
                } else {
                    self.leave_reason(*person)
                };
                attendance.push((*person, state));
            }
            attendance
        };
        attendance.sort_by_key(|(person, _)| *person);
        let topics = self.two_topics(COMMITTEE_TOPICS);
        let note = if quorum {
            ""
        } else {
            "到会委员不足半数，会议仅通报情况，未作决定。"
        };
        let minutes = self.minutes(secretary, &attendance, &topics, note);
        let recorder = if quorum {
            self.recorder(day, &attendance, secretary)
        } else {
            None
        };
        Some(Meeting {
            org_id: self.plan.org_id,
            kinds: vec![MeetingKind::CommitteeMeeting],
            held_on: day,
            place: self.plan.place.to_string(),
            chair_id: Some(self.people[secretary].id),
            recorder_id: recorder,
            topics,
            minutes,
            resolutions: Vec::new(),
            attendance: self.finish(attendance),
        })
    }

    fn resolution(subject: String, yes: u32, abstain: u32) -> Resolution {
        Resolution {
            subject,
            yes,
            no: 0,
            abstain,
            recorded_outcome: RecordedOutcome::Passed,
        }
    }

    fn branch_sitting(&mut self, day: NaiveDate, kind: SittingKind) -> Meeting {
        let secretary = self.secretary();
        let roster = self.roster(day);
        let mut attendance = self.attendance_of(&roster, &[secretary]);
        let mut kinds = Vec::new();
        let mut topics = Vec::new();
        let mut resolutions = Vec::new();
        match kind {
            SittingKind::Theme { lecture, general } => {
                kinds.push(MeetingKind::ThemedPartyDay);
                topics.push(format!("主题党日：{}", self.rng.pick(THEME_TOPICS)));
                if lecture {
                    kinds.push(MeetingKind::PartyLecture);
                    topics.push(format!("书记讲党课：《{}》", self.rng.pick(LECTURE_TOPICS)));
                }
                if general {
                    kinds.push(MeetingKind::GeneralMeeting);
                    let (yes, abstain) = self.secure_vote(day, &mut attendance, false);
                    let quarter = (day.month() - 1) / 3 + 1;
                    let subject = self.rng.pick(GENERAL_SUBJECTS);
                    topics.push(format!("召开支部党员大会，审议{subject}"));
                    resolutions.push(Self::resolution(
                        format!("关于{}年第{}季度{}的决议", day.year(), quarter, subject),
                        yes,
                        abstain,
                    ));
                    for person in self.admissions.get(&day).cloned().unwrap_or_default() {
                        topics.push(format!("讨论接收{}同志为预备党员", self.name(person)));
                        resolutions.push(Self::resolution(
                            format!("关于接收{}同志为中共预备党员的决议", self.name(person)),
                            yes,
                            abstain,
                        ));
                    }
                    for person in self.conversions.get(&day).cloned().unwrap_or_default() {
                        topics.push(format!("讨论{}同志预备党员转正", self.name(person)));
                        resolutions.push(Self::resolution(
                            format!("关于{}同志由预备党员转为正式党员的决议", self.name(person)),
                            yes,
                            abstain,
                        ));
                    }
                }
            }
            SittingKind::OrgLife => {
                kinds.push(MeetingKind::OrgLifeMeeting);
                kinds.push(MeetingKind::MemberAppraisal);
                topics.push(format!(
                    "{}年度组织生活会：对照检查，查摆问题，明确整改方向",
                    day.year()
                ));
                topics.push("开展批评和自我批评".to_string());
                topics.push("民主评议党员：个人自评、党员互评、民主测评".to_string());
            }
            SittingKind::Election(_) => {
                kinds.push(MeetingKind::GeneralMeeting);
                let (yes, abstain) = self.secure_vote(day, &mut attendance, true);
                topics.push(match self.plan.form {
                    LeadershipForm::Committee => "换届选举：选举产生新一届支部委员会".to_string(),
                    LeadershipForm::SecretaryOnly => "换届选举：选举产生新一届支部书记".to_string(),
                });
                resolutions.push(Self::resolution(
                    "关于通过《选举办法》的决议".to_string(),
                    yes,
                    abstain,
                ));
            }
            SittingKind::Committee { .. } | SittingKind::Group(_) => {}
        }
        let minutes = self.minutes(secretary, &attendance, &topics, "");
        let recorder = self.recorder(day, &attendance, secretary);
        Meeting {
            org_id: self.plan.org_id,
            kinds,
            held_on: day,
            place: self.plan.place.to_string(),
            chair_id: Some(self.people[secretary].id),
            recorder_id: recorder,
            topics,
            minutes,
            resolutions,
            attendance: self.finish(attendance),
        }
    }

    fn group_meeting(&mut self, day: NaiveDate, group: usize) -> Option<Meeting> {
        let members: Vec<usize> = self
            .roster(day)
            .into_iter()
            .filter(|person| self.people[*person].group == Some(group))
            .collect();
        // The group leader (组长) is the group's longest-standing member.
        let leader = *members.first()?;
        let attendance = self.attendance_of(&members, &[leader]);
        let topics = vec![self.rng.pick(GROUP_TOPICS).to_string()];
        let minutes = self.minutes(leader, &attendance, &topics, "");
        let recorder = attendance
            .iter()
            .find(|(who, state)| *who != leader && *state == AttendanceState::Present)
            .map(|(who, _)| self.people[*who].id);
        Some(Meeting {
            org_id: self.plan.groups[group],
            kinds: vec![MeetingKind::GroupMeeting],
            held_on: day,
            place: self.plan.place.to_string(),
            chair_id: Some(self.people[leader].id),
            recorder_id: recorder,
            topics,
            minutes,
            resolutions: Vec::new(),
            attendance: self.finish(attendance),
        })
    }

    fn meetings(&mut self, sittings: &[Sitting]) -> Vec<Entry<Meeting>> {
        let mut meetings = Vec::with_capacity(sittings.len());
        for sitting in sittings {
            let meeting = match sitting.kind {
                SittingKind::Committee { quorum } => self.committee_meeting(sitting.on, quorum),
                SittingKind::Group(group) => self.group_meeting(sitting.on, group),
                other => Some(self.branch_sitting(sitting.on, other)),
            };
            if let Some(body) = meeting {
                meetings.push(Entry {
                    body,
                    entered_at: sitting.entered_at,
                });
            }
        }
        meetings
    }

    /// Heart-to-heart talks: each year, in the weeks before the organizational-life meeting, every
    /// pair of committee members talks and every other member talks with a committee member (the
    /// secretary where there is no committee). Members who arrive after those talks, or leave before
    /// them, have a talk of their own while they belong to the branch.
    fn talks(&mut self) -> Vec<Entry<HeartToHeartTalk>> {
        let today = self.city.today;
        let mut talks = Vec::new();
        for year in self.city.first_day.year()..=today.year() {
            let year_start = date(year, 1, 1);
            let year_end = date(year, 12, 31);
            let start = monday_of(org_life_day(year, self.plan) - days(14));
            let campaign = [start, start + days(1), start + days(2)];
            let entry = if self.rng.percent(50) {
                campaign[2]
            } else {
                campaign[2] + days(1)
            };
            let campaign_instant = office_instant(&mut self.rng, entry.min(today));
            let mut committee: Vec<usize> = Vec::new();
            for (term, elected_on) in self.plan.term_dates.iter().enumerate() {
                let next = self.plan.term_dates.get(term + 1);
                if *elected_on <= year_end && next.is_none_or(|next| *next > year_start) {
                    committee.extend(self.terms[term].iter().map(|(_, person)| *person));
                }
            }
            committee.sort_unstable();
            committee.dedup();
            let mut pair_number = 0;
            for (position, first) in committee.iter().enumerate() {
                for second in &committee[position + 1..] {
                    let day = campaign[pair_number % 3];
                    pair_number += 1;
                    if day < today {
                        let topic = "支部委员之间谈心谈话：交流思想，互相提醒".to_string();
                        talks.push(self.talk(day, *first, *second, topic, campaign_instant));
                    }
                }
            }
            let mut counter = 0;
            for person in 0..self.people.len() {
                if committee.contains(&person) {
                    continue;
                }
                let member = &self.people[person];
                let (from, until, kind, joined_on) = (
                    member.from.max(member.joined_on),
                    member.until,
                    member.kind,
                    member.joined_on,
                );
                let first_day = year_start.max(from);
                let last_day = until.map_or(year_end, |until| (until - days(1)).min(year_end));
                if first_day > last_day {
                    continue;
                }
                let day = campaign[person % 3];
                if first_day <= day && day <= last_day {
                    if day < today
                        && let Some(talker) = self.talker(day, counter)
                    {
                        counter += 1;
                        let topic = self.rng.pick(TALK_TOPICS).to_string();
                        talks.push(self.talk(day, talker, person, topic, campaign_instant));
                    }
                    continue;
                }
                let day = if first_day > day {
                    working_day_on_or_after(first_day + days(self.rng.range(0, 5))).min(last_day)
                } else {
                    let mut day = (last_day - days(self.rng.range(0, 5))).max(first_day);
                    while !is_working_day(day) && day > first_day {
                        day -= days(1);
                    }
                    day
                };
                let topic = match kind {
                    PersonKind::TransferredIn(_) => "组织关系转入后谈心谈话",
                    PersonKind::TransferredOut(_) => "组织关系转出前谈心谈话",
                    _ if joined_on.year() == year => "新党员入党后谈心谈话",
                    _ => self.rng.pick(TALK_TOPICS),
                };
                if day < today
                    && let Some(talker) = self.talker(day, counter)
                {
                    counter += 1;
                    let entered_on = entry_day(&mut self.rng, day, 2, today);
                    let entered_at = office_instant(&mut self.rng, entered_on);
                    talks.push(self.talk(day, talker, person, topic.to_string(), entered_at));
                }
            }
        }
        talks.sort_by_key(|talk| (talk.entered_at, talk.body.held_on));
        talks
    }

    /// Which committee member talks with the `counter`-th member on `day`: the committee in post
    /// shares the talks out in turn.
    fn talker(&self, day: NaiveDate, counter: usize) -> Option<usize> {
        let committee = self.committee_on(day);
        if committee.is_empty() {
            return None;
        }
        Some(committee[counter % committee.len()].1)
    }

    fn talk(
        &self,
        day: NaiveDate,
        first: usize,
        second: usize,
        topic: String,
        entered_at: DateTime<Utc>,
    ) -> Entry<HeartToHeartTalk> {
        Entry {
            body: HeartToHeartTalk {
                org_id: self.plan.org_id,
                held_on: day,
                participants: [self.people[first].id, self.people[second].id],
                topic,
            },
            entered_at,
        }
    }

    fn committee_terms(
        &self,
        election_instants: &[Option<DateTime<Utc>>],
    ) -> Vec<Entry<CommitteeTerm>> {
        let mut terms = Vec::with_capacity(self.terms.len());
        for (term, holders) in self.terms.iter().enumerate() {
            let elected_on = self.plan.term_dates[term];
            if elected_on >= self.city.today {
                continue;
            }
            let positions = holders
                .iter()
                .map(|(role, person)| CommitteePosition {
                    member_id: self.people[*person].id,
                    role: *role,
                    left_on: None,
                })
                .collect();
            // Terms elected before the system went live were typed in at go-live; one elected
            // in the few weeks between go-live and the record period the day after its election.
            let entered_at = election_instants
                .get(term)
                .copied()
                .flatten()
                .unwrap_or_else(|| {
                    self.plan
                        .go_live
                        .max(fixed_instant(elected_on + days(1), 10))
                });
            terms.push(Entry {
                body: CommitteeTerm {
                    org_id: self.plan.org_id,
                    form: self.plan.form,
                    elected_on,
                    term_years: self.plan.term_years,
                    positions,
                    extended_until: None,
                },
                entered_at,
            });
        }
        terms.sort_by_key(|term| term.entered_at);
        terms
    }

    fn members(&self) -> (Vec<MemberEntry>, Vec<TransferIn>) {
        let mut members = Vec::new();
        let mut transfers_in = Vec::new();
        for person in &self.people {
            match person.kind {
                PersonKind::TransferredIn(transfer) => {
                    let plan = &self.city.transfers[transfer];
                    let origin = &self.city.branches[plan.origin];
                    // The old branch's posting as that branch wrote it, before the arrival
                    // moved `from` to the day of the transfer.
                    let postings = vec![
                        origin_posting(self.city, transfer, &transfer_person(self.city, transfer)),
                        BranchPosting {
                            branch_id: self.plan.org_id,
                            group_id: person.group.map(|group| self.plan.groups[group]),
                            from: plan.on,
                            until: None,
                            transferred_in_from: Some(origin.name.clone()),
                            transferred_out_to: None,
                        },
                    ];
                    transfers_in.push(TransferIn {
                        id: person.id,
                        body: person.body(postings),
                        entered_at: person.entered_at,
                        reason: format!("组织关系转接：由{}转入{}", origin.name, self.plan.name),
                    });
                }
                PersonKind::TransferredOut(transfer) => {
                    let posting = origin_posting(self.city, transfer, person);
                    members.push(MemberEntry {
                        id: person.id,
                        body: person.body(vec![posting]),
                        entered_at: person.entered_at,
                    });
                }
                PersonKind::Settled | PersonKind::Joiner => {
                    let posting = BranchPosting {
                        branch_id: self.plan.org_id,
                        group_id: person.group.map(|group| self.plan.groups[group]),
                        from: person.from,
                        until: person.until,
                        transferred_in_from: None,
                        transferred_out_to: None,
                    };
                    members.push(MemberEntry {
                        id: person.id,
                        body: person.body(vec![posting]),
                        entered_at: person.entered_at,
                    });
                }
            }
        }
        members.sort_by_key(|member| (member.entered_at, member.id));
        (members, transfers_in)
    }
}

pub(crate) fn generate_branch(city: &CityPlan, index: usize) -> BranchRecords {
    let plan = &city.branches[index];
    let mut rng = Rng::derive(city.seed, STREAM_BRANCH, index as u64);
    let (sittings, election_instants) = plan_sittings(city, plan, &mut rng);
    let general_meetings: Vec<NaiveDate> = sittings
        .iter()
        .filter(|sitting| matches!(sitting.kind, SittingKind::Theme { general: true, .. }))
        .map(|sitting| sitting.on)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut generator = Generator {
        city,
        plan,
        rng,
        people: Vec::with_capacity(plan.member_count as usize + plan.transfers_in.len()),
        terms: Vec::new(),
        admissions: BTreeMap::new(),
        conversions: BTreeMap::new(),
    };
    generator.make_people(&general_meetings);
    generator.make_terms();
    let meetings = generator.meetings(&sittings);
    let talks = generator.talks();
    let committee_terms = generator.committee_terms(&election_instants);
    let (members, transfers_in) = generator.members();
    BranchRecords {
        branch_id: plan.org_id,
        members,
        transfers_in,
        committee_terms,
        meetings,
        talks,
    }
}
