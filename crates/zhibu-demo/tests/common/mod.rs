//! A small reference checker of the branch rules, written from the rule semantics the compliance
//! engine implements (calendar periods in China time, counted only when entirely before today;
//! committee meetings count with at least half of the committee in post present; talk coverage
//! for members of the branch that year who are not exempt). It is deliberately naive and
//! independent of the generator, so that "the baseline is compliant and the planted imperfections
//! are exactly what is wrong" is tested without waiting for the engine.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use zhibu_core::calendar::{Period, PeriodLength, add_months};
use zhibu_core::engine::Snapshot;
use zhibu_core::{
    CommitteeTerm, HeartToHeartTalk, LeadershipForm, Meeting, MeetingKind, Member, MemberId,
    MemberStatus, Org, OrgId, OrgLevel,
};
use zhibu_demo::Planted;

/// (rule id, org id, period label, coming due)
pub type FindingKey = (String, i64, String, bool);

pub fn planted_keys(planted: &[Planted]) -> BTreeSet<FindingKey> {
    planted
        .iter()
        .map(|p| {
            (
                p.rule_id.to_string(),
                p.org_id.0,
                p.period_label.clone(),
                p.coming_due,
            )
        })
        .collect()
}

struct Branch<'a> {
    id: OrgId,
    groups: Vec<OrgId>,
    members: Vec<(MemberId, &'a Member)>,
    terms: Vec<&'a CommitteeTerm>,
    meetings: Vec<&'a Meeting>,
    group_meetings: BTreeMap<OrgId, Vec<&'a Meeting>>,
    talks: Vec<&'a HeartToHeartTalk>,
}

impl<'a> Branch<'a> {
    fn roster(&self, day: NaiveDate) -> Vec<(MemberId, &'a Member)> {
        self.members
            .iter()
            .copied()
            .filter(|(_, member)| member.branch_on(day) == Some(self.id))
            .collect()
    }

    fn term_on(&self, day: NaiveDate) -> Option<&'a CommitteeTerm> {
        self.terms
            .iter()
            .copied()
            .filter(|term| term.elected_on <= day)
            .max_by_key(|term| term.elected_on)
    }

    fn has_committee_all_period(&self, period: &Period) -> bool {
        let at = |day| {
            self.term_on(day)
                .is_some_and(|term| term.form == LeadershipForm::Committee)
        };
        at(period.first_day) && at(period.last_day)
    }

    fn committee_meeting_counts(&self, meeting: &Meeting) -> bool {
        let Some(term) = self.term_on(meeting.held_on) else {
            return false;
        };
        let committee = term.members_on(meeting.held_on);
        let present = committee
            .iter()
            .filter(|member| meeting.was_present(**member))
            .count();
        !committee.is_empty() && present * 2 >= committee.len()
    }

    fn meetings_in(&self, period: &Period, kind: MeetingKind) -> Vec<&'a Meeting> {
        self.meetings
            .iter()
            .copied()
            .filter(|meeting| period.contains(meeting.held_on) && meeting.is_kind(kind))
            .collect()
    }

    fn belongs_in(&self, member: &Member, period: &Period) -> bool {
        let mut day = period.first_day;
        // Postings change rarely; probing the first of each month and the last day is enough here.
        while day <= period.last_day {
            if member.branch_on(day) == Some(self.id) {
                return true;
            }
            day = add_months(day, 1);
        }
        member.branch_on(period.last_day) == Some(self.id)
            || member.postings.iter().any(|posting| {
                posting.branch_id == self.id
                    && period.contains(posting.from)
                    && member.branch_on(posting.from) == Some(self.id)
            })
    }
}

/// Every finding of the rules above for `snapshot` as of `today`, for periods from `first_day`.
pub fn check(snapshot: &Snapshot, first_day: NaiveDate, today: NaiveDate) -> BTreeSet<FindingKey> {
    let orgs: BTreeMap<OrgId, &Org> = snapshot
        .orgs
        .iter()
        .map(|org| (OrgId(org.id), &org.body))
        .collect();
    let mut branches: BTreeMap<OrgId, Branch> = BTreeMap::new();
    for (id, org) in &orgs {
        if org.level == OrgLevel::Branch {
            branches.insert(
                *id,
                Branch {
                    id: *id,
                    groups: Vec::new(),
                    members: Vec::new(),
                    terms: Vec::new(),
                    meetings: Vec::new(),
                    group_meetings: BTreeMap::new(),
                    talks: Vec::new(),
                },
            );
        }
    }
    for (id, org) in &orgs {
        if org.level == OrgLevel::PartyGroup
            && let Some(branch) = org.parent_id.and_then(|parent| branches.get_mut(&parent))
        {
            branch.groups.push(*id);
        }
    }
    for member in &snapshot.members {
        let mut seen = BTreeSet::new();
        for posting in &member.body.postings {
            if seen.insert(posting.branch_id)
                && let Some(branch) = branches.get_mut(&posting.branch_id)
            {
                branch.members.push((MemberId(member.id), &member.body));
            }
        }
    }
    for term in &snapshot.committee_terms {
        if let Some(branch) = branches.get_mut(&term.body.org_id) {
            branch.terms.push(&term.body);
        }
    }
    for meeting in &snapshot.meetings {
        let org = meeting.body.org_id;
        if let Some(branch) = branches.get_mut(&org) {
            branch.meetings.push(&meeting.body);
        } else if let Some(parent) = orgs.get(&org).and_then(|group| group.parent_id)
            && let Some(branch) = branches.get_mut(&parent)
        {
            branch
                .group_meetings
                .entry(org)
                .or_default()
                .push(&meeting.body);
        }
    }
    for talk in &snapshot.talks {
        if let Some(branch) = branches.get_mut(&talk.body.org_id) {
            branch.talks.push(&talk.body);
        }
    }

    let whole = |length| -> Vec<Period> {
        Period::overlapping(length, first_day, today)
            .into_iter()
            .filter(|period| period.first_day >= first_day && period.last_day < today)
            .collect()
    };
    let months = whole(PeriodLength::Month);
    let quarters = whole(PeriodLength::Quarter);
    let years = whole(PeriodLength::Year);
    let mut findings = BTreeSet::new();
    let mut add = |rule: &str, org: OrgId, label: String, coming_due: bool| {
        findings.insert((rule.to_string(), org.0, label, coming_due));
    };

    for branch in branches.values() {
        for month in &months {
            if branch.has_committee_all_period(month)
                && !branch
                    .meetings_in(month, MeetingKind::CommitteeMeeting)
                    .iter()
                    .any(|meeting| branch.committee_meeting_counts(meeting))
            {
                add(
                    "BRANCH.COMMITTEE_MEETING.MONTHLY",
                    branch.id,
                    month.label(),
                    false,
                );
            }
            if branch
                .meetings_in(month, MeetingKind::ThemedPartyDay)
                .is_empty()
            {
                add("BRANCH.THEME_DAY.MONTHLY", branch.id, month.label(), false);
            }
            for group in &branch.groups {
                let held = branch.group_meetings.get(group).is_some_and(|meetings| {
                    meetings
                        .iter()
                        .any(|meeting| month.contains(meeting.held_on))
                });
                if !held {
                    add("BRANCH.GROUP.MONTHLY", *group, month.label(), false);
                }
            }
        }
        for quarter in &quarters {
            if branch
                .meetings_in(quarter, MeetingKind::GeneralMeeting)
                .is_empty()
            {
                add(
                    "BRANCH.GENERAL_MEETING.QUARTERLY",
                    branch.id,
                    quarter.label(),
                    false,
                );
            }
            if branch
                .meetings_in(quarter, MeetingKind::PartyLecture)
                .is_empty()
            {
                add(
                    "BRANCH.PARTY_CLASS.QUARTERLY",
                    branch.id,
                    quarter.label(),
                    false,
                );
            }
        }
        for year in &years {
            let fourth_quarter = Period::containing(PeriodLength::Quarter, year.last_day);
            if branch
                .meetings_in(&fourth_quarter, MeetingKind::OrgLifeMeeting)
                .is_empty()
            {
                add(
                    "BRANCH.ORG_LIFE_MEETING.YEARLY_Q4",
                    branch.id,
                    year.label(),
                    false,
                );
            }
            if branch
                .meetings_in(year, MeetingKind::MemberAppraisal)
                .is_empty()
            {
                add(
                    "BRANCH.DEMOCRATIC_APPRAISAL.YEARLY",
                    branch.id,
                    year.label(),
                    false,
                );
            }
            // The committee over the year: everyone who held a post in a term in force that year.
            let mut committee: BTreeSet<MemberId> = BTreeSet::new();
            for term in &branch.terms {
                let next = branch
                    .terms
                    .iter()
                    .filter(|other| other.elected_on > term.elected_on)
                    .map(|other| other.elected_on)
                    .min();
                if term.elected_on <= year.last_day && next.is_none_or(|next| next > year.first_day)
                {
                    committee.extend(term.positions.iter().map(|position| position.member_id));
                }
            }
            let talked = |a: MemberId, b: MemberId| {
                branch
                    .talks
                    .iter()
                    .any(|talk| year.contains(talk.held_on) && talk.is_between(a, b))
            };
            let list: Vec<MemberId> = committee.iter().copied().collect();
            let mut complete = true;
            for (index, a) in list.iter().enumerate() {
                for b in &list[index + 1..] {
                    complete &= talked(*a, *b);
                }
            }
            for (id, member) in &branch.members {
                // Committee members are covered by the pairs above (a lone secretary has no pair).
                if committee.contains(id)
                    || member.is_exempt_from_org_life()
                    || !branch.belongs_in(member, year)
                {
                    continue;
                }
                complete &= list
                    .iter()
                    .any(|committee_member| talked(*id, *committee_member));
            }
            if !complete {
                add("BRANCH.HEART_TALK.YEARLY", branch.id, year.label(), false);
            }
        }
        for meeting in &branch.meetings {
            if !meeting.is_kind(MeetingKind::GeneralMeeting)
                || meeting.resolutions.is_empty()
                || meeting.held_on < first_day
            {
                continue;
            }
            let voters: Vec<MemberId> = branch
                .roster(meeting.held_on)
                .into_iter()
                .filter(|(_, member)| member.status_on(meeting.held_on) == Some(MemberStatus::Full))
                .map(|(id, _)| id)
                .collect();
            let present = voters
                .iter()
                .filter(|voter| meeting.was_present(**voter))
                .count();
            let carried = meeting
                .resolutions
                .iter()
                .all(|resolution| resolution.yes as usize * 2 > voters.len());
            if present * 2 < voters.len() || !carried {
                add(
                    "BRANCH.GENERAL_MEETING.QUORUM_MAJORITY",
                    branch.id,
                    meeting.held_on.to_string(),
                    false,
                );
            }
        }

        let roster = branch.roster(today);
        let full = roster
            .iter()
            .filter(|(_, member)| {
                member
                    .status_on(today)
                    .is_some_and(MemberStatus::is_full_member)
            })
            .count();
        let term = branch.term_on(today);
        if full < 3 {
            add(
                "BRANCH.SETUP.MIN_FULL_MEMBERS",
                branch.id,
                today.year().to_string(),
                false,
            );
        }
        if full >= 7 && term.is_none_or(|term| term.form != LeadershipForm::Committee) {
            add(
                "BRANCH.COMMITTEE.THRESHOLD_7",
                branch.id,
                today.year().to_string(),
                false,
            );
        }
        if roster.len() > 50 {
            add(
                "BRANCH.SETUP.SOFT_CAP_50",
                branch.id,
                today.year().to_string(),
                false,
            );
        }
        if let Some(term) = term {
            let seats = term.members_on(today).len();
            if term.form == LeadershipForm::Committee && !(3..=5).contains(&seats) {
                add(
                    "BRANCH.COMMITTEE.SIZE",
                    branch.id,
                    today.year().to_string(),
                    false,
                );
            }
            if term.secretary_on(today).is_none() {
                add(
                    "BRANCH.SECRETARY.IN_POST",
                    branch.id,
                    today.year().to_string(),
                    false,
                );
            }
            let end = term.term_ends_on();
            if end <= today {
                add(
                    "BRANCH.COMMITTEE.TERM_EXPIRY",
                    branch.id,
                    end.to_string(),
                    false,
                );
            } else if end <= add_months(today, 6) {
                add(
                    "BRANCH.COMMITTEE.TERM_EXPIRY",
                    branch.id,
                    end.to_string(),
                    true,
                );
            }
        } else {
            add(
                "BRANCH.SECRETARY.IN_POST",
                branch.id,
                today.year().to_string(),
                false,
            );
        }
    }
    check_dues(snapshot, first_day, today, &mut findings);
    findings
}

/// Problems with the shape of the records that storage or the engine would trip over: attendance
/// lists that are not the people expected, talks with someone outside the branch, committee
/// members who were not in the branch when elected.
pub fn roster_problems(snapshot: &Snapshot) -> Vec<String> {
    let orgs: BTreeMap<i64, &Org> = snapshot
        .orgs
        .iter()
        .map(|org| (org.id, &org.body))
        .collect();
    let mut by_branch: BTreeMap<OrgId, Vec<(MemberId, &Member)>> = BTreeMap::new();
    for member in &snapshot.members {
        let branches: BTreeSet<OrgId> = member
            .body
            .postings
            .iter()
            .map(|posting| posting.branch_id)
            .collect();
        for branch in branches {
            by_branch
                .entry(branch)
                .or_default()
                .push((MemberId(member.id), &member.body));
        }
    }
    let in_branch = |branch: OrgId, day: NaiveDate| -> Vec<(MemberId, &Member)> {
        by_branch
            .get(&branch)
            .map(|members| {
                members
                    .iter()
                    .copied()
                    .filter(|(_, member)| member.branch_on(day) == Some(branch))
                    .collect()
            })
            .unwrap_or_default()
    };
    let terms: Vec<&CommitteeTerm> = snapshot
        .committee_terms
        .iter()
        .map(|term| &term.body)
        .collect();
    let term_on = |branch: OrgId, day: NaiveDate| {
        terms
            .iter()
            .copied()
            .filter(|term| term.org_id == branch && term.elected_on <= day)
            .max_by_key(|term| term.elected_on)
    };
    let mut problems = Vec::new();
    for meeting in &snapshot.meetings {
        let meeting = &meeting.body;
        let Some(org) = orgs.get(&meeting.org_id.0) else {
            problems.push(format!("meeting under unknown org {}", meeting.org_id));
            continue;
        };
        let branch = if org.level == OrgLevel::PartyGroup {
            org.parent_id.unwrap_or(meeting.org_id)
        } else {
            meeting.org_id
        };
        let roster = in_branch(branch, meeting.held_on);
        if let Err(errors) = zhibu_core::validate_meeting_roster(meeting, &roster) {
            problems.push(format!(
                "{} {:?} on {}: {errors}",
                org.name, meeting.kinds, meeting.held_on
            ));
        }
        let listed: BTreeSet<MemberId> = meeting
            .attendance
            .iter()
            .map(|attendance| attendance.member_id)
            .collect();
        let expected: BTreeSet<MemberId> = if meeting.is_kind(MeetingKind::GroupMeeting) {
            roster
                .iter()
                .filter(|(_, member)| {
                    member
                        .posting_on(meeting.held_on)
                        .and_then(|posting| posting.group_id)
                        == Some(meeting.org_id)
                })
                .map(|(id, _)| *id)
                .collect()
        } else if meeting.is_kind(MeetingKind::CommitteeMeeting) {
            term_on(branch, meeting.held_on)
                .map(|term| term.members_on(meeting.held_on).into_iter().collect())
                .unwrap_or_default()
        } else {
            roster.iter().map(|(id, _)| *id).collect()
        };
        if listed != expected {
            problems.push(format!(
                "{} {:?} on {}: attendance is not the expected list",
                org.name, meeting.kinds, meeting.held_on
            ));
        }
    }
    for talk in &snapshot.talks {
        let roster = in_branch(talk.body.org_id, talk.body.held_on);
        if let Err(errors) = zhibu_core::validate_talk_roster(&talk.body, &roster) {
            problems.push(format!("talk on {}: {errors}", talk.body.held_on));
        }
    }
    for term in &terms {
        let roster = in_branch(term.org_id, term.elected_on);
        for position in &term.positions {
            let holder = roster.iter().find(|(id, _)| *id == position.member_id);
            match holder {
                None => problems.push(format!(
                    "term of {} elected {}: {} not in the branch",
                    term.org_id, term.elected_on, position.member_id
                )),
                Some((_, member))
                    if member.status_on(term.elected_on) != Some(MemberStatus::Full) =>
                {
                    problems.push(format!(
                        "term of {} elected {}: {} not a full member",
                        term.org_id, term.elected_on, position.member_id
                    ))
                }
                Some(_) => {}
            }
        }
    }
    for member in &snapshot.members {
        for posting in &member.body.postings {
            if let Some(group) = posting.group_id
                && orgs.get(&group.0).and_then(|group| group.parent_id) != Some(posting.branch_id)
            {
                problems.push(format!(
                    "{}: group {group} is not in branch {}",
                    member.body.name, posting.branch_id
                ));
            }
        }
    }
    problems
}

/// How many meetings fell on a weekend (none are planned on one).
pub fn weekend_meetings(snapshot: &Snapshot) -> usize {
    snapshot
        .meetings
        .iter()
        .filter(|meeting| {
            matches!(
                meeting.body.held_on.weekday(),
                chrono::Weekday::Sat | chrono::Weekday::Sun
            )
        })
        .count()
}

/// The dues rules, read naively: in a branch that keeps dues (it has dues settings), a member on
/// the roster today who paid nothing toward each of the last whole months (counted back while
/// they belonged to the branch on the month's first day) gets a reminder at 3 months and a
/// general-meeting decision at 6, keyed by the first unpaid month; a relief recorded without the
/// upper committee's approval is reported from its first month.
fn check_dues(
    snapshot: &Snapshot,
    first_day: NaiveDate,
    today: NaiveDate,
    findings: &mut BTreeSet<FindingKey>,
) {
    let keeping: BTreeSet<OrgId> = snapshot
        .dues_policies
        .iter()
        .map(|policy| policy.body.branch_id)
        .collect();
    let mut paid: BTreeSet<(i64, OrgId, NaiveDate)> = BTreeSet::new();
    for payment in &snapshot.dues_payments {
        for month in &payment.body.months_covered {
            paid.insert((
                payment.body.member_id.0,
                payment.body.branch_id,
                month.first_day(),
            ));
        }
    }
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    for member in &snapshot.members {
        let Some(branch) = member.body.branch_on(today) else {
            continue;
        };
        if !keeping.contains(&branch) || member.body.status_on(today).is_none() {
            continue;
        }
        let mut unpaid = Vec::new();
        let mut month = add_months(this_month, -1);
        while month >= first_day
            && member.body.branch_on(month) == Some(branch)
            && member.body.joined_on <= month
            && !paid.contains(&(member.id, branch, month))
        {
            unpaid.push(month);
            month = add_months(month, -1);
        }
        if let Some(first) = unpaid.last() {
            let label = format!("{}-{:02}", first.year(), first.month());
            if unpaid.len() >= 6 {
                findings.insert((
                    "DUES.NONPAYMENT.SIX_MONTHS".to_string(),
                    branch.0,
                    label,
                    false,
                ));
            } else if unpaid.len() >= 3 {
                findings.insert((
                    "DUES.NONPAYMENT.SIX_MONTHS".to_string(),
                    branch.0,
                    label,
                    true,
                ));
            }
        }
    }
    for relief in &snapshot.dues_reliefs {
        if relief.body.upper_approval_ref.trim().is_empty() {
            findings.insert((
                "DUES.HARDSHIP".to_string(),
                relief.body.branch_id.0,
                relief.body.from_month.to_string(),
                false,
            ));
        }
    }
}
