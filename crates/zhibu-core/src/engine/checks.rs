//! The evaluators, one per check kind. Each looks at one branch and returns findings.

use chrono::{Datelike, Duration, NaiveDate};

use super::index::Index;
use super::resolve::{Applied, Candidate, resolve};
use super::{
    EvaluationRequest, Evidence, EvidenceRecord, Finding, FindingStatus, ResponsibleParty,
    finding_key,
};
use crate::calendar::{Period, PeriodLength, add_months};
use crate::domain::{
    LeadershipForm, MeetingKind, MemberId, Org, OrgId, RecordKind, RecordedOutcome, Stored,
};
use crate::rules::{
    CheckParameters, CommitteeRequiredParameters, CommitteeSizeParameters,
    GeneralMeetingVoteParameters, MemberSoftCapParameters, MinimumFullMembersParameters,
    PeriodicMeetingParameters, Responsibility, Severity, TalkCoverageParameters,
    TermExpiryParameters,
};

mod admission_resolution;
mod dues;

/// Everything a check needs about the branch it is looking at.
pub(crate) struct BranchContext<'a, 'i> {
    pub index: &'i Index<'a>,
    pub request: &'i EvaluationRequest,
    pub branch: &'a Stored<Org>,
    pub branch_id: OrgId,
    pub ancestors: Vec<OrgId>,
    /// The working-day calendar, if its data loaded (admission checks need it).
    pub workdays: Option<&'i crate::workdays::WorkdayCalendar>,
}

/// What varies between findings; the rest comes from the applied rule and the branch.
struct FindingParts {
    org: OrgId,
    org_name: String,
    period: Option<Period>,
    period_label: String,
    subject: String,
    status: FindingStatus,
    message_key: &'static str,
    values: Vec<(&'static str, String)>,
    evidence: Evidence,
    due_on: Option<NaiveDate>,
    severity: Option<Severity>,
}

impl<'a> BranchContext<'a, '_> {
    fn org_name(&self) -> String {
        self.branch.body.name.clone()
    }

    /// The branch's reference day for "how things stand": the end of the range, or today if sooner.
    pub fn reference_date(&self) -> NaiveDate {
        self.request.to.min(self.request.today)
    }

    fn responsible(&self, responsibility: Responsibility, on: NaiveDate) -> ResponsibleParty {
        match responsibility {
            Responsibility::BranchSecretary => ResponsibleParty {
                responsibility,
                org_id: self.branch_id,
                member_id: self
                    .index
                    .term_on(self.branch_id, on)
                    .and_then(|term| term.body.secretary_on(on)),
            },
            Responsibility::ParentOrg => ResponsibleParty {
                responsibility,
                org_id: self.branch.body.parent_id.unwrap_or(self.branch_id),
                member_id: None,
            },
        }
    }

    fn finding(&self, applied: &Applied<'_>, parts: FindingParts) -> Finding {
        let mut values = parts.values;
        values.push(("org", parts.org_name.clone()));
        let (message_zh, message_en) = match applied.definition.message(parts.message_key) {
            Some(template) => template.render(&values),
            None => (
                applied.definition.title_zh.clone(),
                applied.definition.title_en.clone(),
            ),
        };
        let on = parts
            .due_on
            .unwrap_or(self.reference_date())
            .min(self.request.today);
        let severity = match parts.status {
            FindingStatus::ComingDue => Severity::Info,
            _ => parts.severity.unwrap_or(applied.severity),
        };
        Finding {
            key: finding_key(
                &applied.definition.id,
                parts.org,
                &parts.period_label,
                &parts.subject,
            ),
            rule_id: applied.definition.id.clone(),
            rule_version_from: applied.version_from,
            rule_source: applied.source.clone(),
            title_zh: applied.definition.title_zh.clone(),
            title_en: applied.definition.title_en.clone(),
            org_id: parts.org,
            org_name: parts.org_name,
            period: parts.period,
            period_label: parts.period_label,
            status: parts.status,
            severity,
            confidence: applied.definition.confidence,
            message_zh,
            message_en,
            citation: applied.citation.clone(),
            evidence: parts.evidence,
            responsible: self.responsible(applied.definition.responsibility, on),
            due_on: parts.due_on,
            exemption: None,
        }
    }

    fn is_active_through(&self, org: &Org, period: &Period) -> bool {
        org.established_on <= period.first_day
            && org.dissolved_on.is_none_or(|end| end > period.last_day)
    }

    /// Runs one candidate rule over the branch.
    pub fn evaluate(
        &self,
        candidate: Candidate<'a>,
        problems: &mut Vec<String>,
        findings: &mut Vec<Finding>,
    ) {
        let definition = candidate.definition();
        use crate::rules::CheckKind;
        match definition.check {
            CheckKind::PeriodicMeeting | CheckKind::TalkCoverage => {
                self.each_period(candidate, problems, findings)
            }
            CheckKind::GeneralMeetingVote => {
                self.general_meeting_votes(candidate, problems, findings)
            }
            CheckKind::Continuity => {
                let on = self.reference_date();
                if let Some(applied) = resolve(
                    candidate,
                    &self.branch.body,
                    self.index,
                    &self.ancestors,
                    on,
                    problems,
                ) && let CheckParameters::Continuity(parameters) = &applied.parameters
                {
                    self.continuity(&applied, parameters, on, findings);
                }
            }
            CheckKind::DuesRecords => {
                let on = self.reference_date();
                if let Some(applied) = resolve(
                    candidate,
                    &self.branch.body,
                    self.index,
                    &self.ancestors,
                    on,
                    problems,
                ) && let CheckParameters::DuesRecords(parameters) = &applied.parameters
                {
                    self.dues_records(&applied, parameters, on, findings);
                }
            }
            CheckKind::AdmissionResolution => {
                let on = self.reference_date();
                if let Some(applied) = resolve(
                    candidate,
                    &self.branch.body,
                    self.index,
                    &self.ancestors,
                    on,
                    problems,
                ) && let CheckParameters::AdmissionResolution(_) = &applied.parameters
                {
                    self.admission_resolutions(&applied, findings);
                }
            }
            CheckKind::AdmissionSteps => {
                let today = self.request.today;
                if let Some(applied) = resolve(
                    candidate,
                    &self.branch.body,
                    self.index,
                    &self.ancestors,
                    today,
                    problems,
                ) && let CheckParameters::AdmissionSteps(parameters) = &applied.parameters
                {
                    self.admission_steps(&applied, parameters, findings);
                }
            }
            _ => {
                let on = self.reference_date();
                if !self.branch.body.is_active_on(on) {
                    return;
                }
                if let Some(applied) = resolve(
                    candidate,
                    &self.branch.body,
                    self.index,
                    &self.ancestors,
                    on,
                    problems,
                ) {
                    self.structural(&applied, on, findings);
                }
            }
        }
    }

    /// Walks the periods of a recurring duty. Each period is judged by the rule version in force on
    /// its first day: a duty that starts mid-period applies from the next whole period.
    fn each_period(
        &self,
        candidate: Candidate<'a>,
        problems: &mut Vec<String>,
        findings: &mut Vec<Finding>,
    ) {
        let request = self.request;
        let Some(mut cursor) =
            NaiveDate::from_ymd_opt(request.from.year(), request.from.month(), 1)
        else {
            return;
        };
        while cursor <= request.to {
            let length = match resolve(
                candidate,
                &self.branch.body,
                self.index,
                &self.ancestors,
                cursor,
                problems,
            )
            .map(|a| a.parameters)
            {
                Some(CheckParameters::PeriodicMeeting(parameters)) => parameters.period,
                Some(CheckParameters::TalkCoverage(_)) => PeriodLength::Year,
                _ => PeriodLength::Month,
            };
            let period = Period::containing(length, cursor);
            cursor = period.last_day + Duration::days(1);
            // A period that has not begun is neither missed nor, yet, coming due.
            if period.first_day > request.today {
                continue;
            }
            let Some(applied) = resolve(
                candidate,
                &self.branch.body,
                self.index,
                &self.ancestors,
                period.first_day,
                problems,
            ) else {
                continue;
            };
            if !self.is_active_through(&self.branch.body, &period) {
                continue;
            }
            match &applied.parameters {
                CheckParameters::PeriodicMeeting(parameters) => {
                    self.periodic_meeting(&applied, parameters, &period, findings)
                }
                CheckParameters::TalkCoverage(parameters) => {
                    self.talk_coverage(&applied, parameters, &period, findings)
                }
                _ => {}
            }
        }
    }

    /// Whether an unfinished period is worth reporting as coming due.
    fn is_coming_due(&self, period: &Period, expected_quarter: Option<u8>) -> bool {
        let request = self.request;
        let within_horizon =
            period.last_day <= request.today + Duration::days(i64::from(request.horizon_days));
        let in_expected_quarter = expected_quarter.is_some_and(|quarter| {
            let quarter_start =
                NaiveDate::from_ymd_opt(period.first_day.year(), u32::from(quarter) * 3 - 2, 1);
            quarter_start.is_some_and(|start| request.today >= start)
        });
        within_horizon || in_expected_quarter
    }

    fn periodic_meeting(
        &self,
        applied: &Applied<'_>,
        parameters: &PeriodicMeetingParameters,
        period: &Period,
        findings: &mut Vec<Finding>,
    ) {
        if parameters.only_with_committee {
            let has_committee = self
                .index
                .term_on(self.branch_id, period.first_day)
                .is_some_and(|term| term.body.form == LeadershipForm::Committee);
            if !has_committee {
                return;
            }
        }
        let holders: Vec<&Stored<Org>> = if parameters.per_party_group {
            self.index
                .groups_of(self.branch_id)
                .into_iter()
                .filter(|group| self.is_active_through(&group.body, period))
                .collect()
        } else {
            vec![self.branch]
        };
        for holder in holders {
            self.periodic_meeting_for(applied, parameters, period, holder, findings);
        }
    }

    fn periodic_meeting_for(
        &self,
        applied: &Applied<'_>,
        parameters: &PeriodicMeetingParameters,
        period: &Period,
        holder: &Stored<Org>,
        findings: &mut Vec<Finding>,
    ) {
        let kind = parameters.meeting_kind;
        let mut evidence = Evidence::default();
        let mut counted = 0_u32;
        let mut not_counted = 0_u32;
        let meetings = self
            .index
            .meetings
            .get(&OrgId(holder.id))
            .map(Vec::as_slice)
            .unwrap_or_default();
        for meeting in meetings
            .iter()
            .filter(|m| period.contains(m.body.held_on) && m.body.is_kind(kind))
        {
            let held_on = meeting.body.held_on;
            let mut note = (
                format!("{}，计入", kind.name_zh()),
                format!("{}, counted", kind.name_en()),
            );
            let mut counts = true;
            if let Some(day) = parameters.fixed_day_of_month {
                let fixed = day.min(crate::calendar::last_day_of_month(
                    held_on.year(),
                    held_on.month(),
                ));
                if held_on.day() != fixed {
                    counts = false;
                    note = (
                        format!("未在规定的每月{day}日举行，不计入"),
                        format!("not held on the fixed day {day} of the month; not counted"),
                    );
                }
            }
            if counts && let Some(quorum) = parameters.committee_quorum {
                let committee = self
                    .index
                    .term_on(self.branch_id, held_on)
                    .map(|term| term.body.members_on(held_on))
                    .unwrap_or_default();
                let present = committee
                    .iter()
                    .filter(|member| meeting.body.was_present(**member))
                    .count() as u64;
                let size = committee.len() as u64;
                if size == 0 || !quorum.is_met(present, size) {
                    counts = false;
                    note = (
                        format!(
                            "到会委员{present}人，委员会共{size}人，未达到{}，会议无效",
                            quorum.describe_zh()
                        ),
                        format!(
                            "{present} of {size} committee members present, not {} of the committee: not valid",
                            quorum.describe_en()
                        ),
                    );
                } else {
                    note = (
                        format!("到会委员{present}/{size}人，计入"),
                        format!("{present} of {size} committee members present; counted"),
                    );
                }
            }
            if counts {
                counted += 1;
            } else {
                not_counted += 1;
            }
            evidence.records.push(EvidenceRecord {
                kind: RecordKind::Meeting,
                id: meeting.id,
                date: held_on,
                note_zh: note.0,
                note_en: note.1,
            });
        }
        if counted >= parameters.min_count {
            return;
        }
        let period_over = period.last_day < self.request.today;
        if !period_over && !self.is_coming_due(period, parameters.expected_quarter) {
            return;
        }
        let status = match (period_over, not_counted > 0) {
            (false, _) => FindingStatus::ComingDue,
            (true, true) => FindingStatus::Invalid,
            (true, false) => FindingStatus::Missing,
        };
        let message_key = match status {
            FindingStatus::ComingDue => "coming_due",
            FindingStatus::Invalid
                if applied.definition.message("no_quorum").is_some()
                    && parameters.committee_quorum.is_some() =>
            {
                "no_quorum"
            }
            _ => "missing",
        };
        let still_needed = parameters.min_count - counted;
        evidence.missing_zh.push(format!(
            "{}还需{}次{}",
            period.label_zh(),
            still_needed,
            kind.name_zh()
        ));
        evidence.missing_en.push(format!(
            "{still_needed} more {} needed in {}",
            kind.name_en(),
            period.label()
        ));
        let values = vec![
            ("period_zh", period.label_zh()),
            ("period", period.label()),
            ("count", counted.to_string()),
            ("min_count", parameters.min_count.to_string()),
            ("due", period.last_day.to_string()),
            (
                "s",
                if not_counted > 1 {
                    "s".to_string()
                } else {
                    String::new()
                },
            ),
        ];
        findings.push(self.finding(
            applied,
            FindingParts {
                org: OrgId(holder.id),
                org_name: holder.body.name.clone(),
                period: Some(*period),
                period_label: period.label(),
                subject: String::new(),
                status,
                message_key,
                values,
                evidence,
                due_on: Some(period.last_day),
                severity: None,
            },
        ));
    }

    fn talk_coverage(
        &self,
        applied: &Applied<'_>,
        parameters: &TalkCoverageParameters,
        period: &Period,
        findings: &mut Vec<Finding>,
    ) {
        let on = period.last_day.min(self.request.today);
        let Some(term) = self.index.term_on(self.branch_id, on) else {
            return;
        };
        let committee: Vec<MemberId> = term.body.members_on(on);
        if committee.is_empty() {
            return;
        }
        let talks: Vec<_> = self
            .index
            .talks
            .get(&self.branch_id)
            .map(|talks| {
                talks
                    .iter()
                    .filter(|talk| period.contains(talk.body.held_on))
                    .copied()
                    .collect()
            })
            .unwrap_or_default();
        let roster: Vec<_> = self
            .index
            .roster_on(self.branch_id, on)
            .into_iter()
            .filter(|member| !member.body.is_exempt_from_org_life())
            .collect();
        let in_roster = |id: MemberId| roster.iter().any(|member| member.id == id.0);
        let mut evidence = Evidence::default();
        if parameters.between_committee_members && term.body.form == LeadershipForm::Committee {
            for (position, first) in committee.iter().enumerate() {
                for second in &committee[position + 1..] {
                    if !in_roster(*first) || !in_roster(*second) {
                        continue;
                    }
                    if !talks
                        .iter()
                        .any(|talk| talk.body.is_between(*first, *second))
                    {
                        let (a, b) = (
                            self.index.member_name(*first),
                            self.index.member_name(*second),
                        );
                        evidence.missing_zh.push(format!("支部委员{a}与{b}之间"));
                        evidence
                            .missing_en
                            .push(format!("between committee members {a} and {b}"));
                    }
                }
            }
        }
        if parameters.each_member_with_committee {
            for member in &roster {
                let id = MemberId(member.id);
                if committee.contains(&id) {
                    continue;
                }
                let talked = talks.iter().any(|talk| {
                    talk.body.involves(id) && committee.iter().any(|c| talk.body.is_between(*c, id))
                });
                if !talked {
                    evidence
                        .missing_zh
                        .push(format!("党员{}与支部委员之间", member.body.name));
                    evidence.missing_en.push(format!(
                        "between member {} and a committee member",
                        member.body.name
                    ));
                }
            }
        }
        if evidence.missing_zh.is_empty() {
            return;
        }
        let period_over = period.last_day < self.request.today;
        if !period_over && !self.is_coming_due(period, None) {
            return;
        }
        for talk in &talks {
            let (a, b) = (
                self.index.member_name(talk.body.participants[0]),
                self.index.member_name(talk.body.participants[1]),
            );
            evidence.records.push(EvidenceRecord {
                kind: RecordKind::Talk,
                id: talk.id,
                date: talk.body.held_on,
                note_zh: format!("{a}与{b}谈心谈话"),
                note_en: format!("talk between {a} and {b}"),
            });
        }
        let status = if period_over {
            FindingStatus::Missing
        } else {
            FindingStatus::ComingDue
        };
        let values = vec![
            ("period_zh", period.label_zh()),
            ("period", period.label()),
            ("missing_count", evidence.missing_zh.len().to_string()),
            ("due", period.last_day.to_string()),
        ];
        findings.push(self.finding(
            applied,
            FindingParts {
                org: self.branch_id,
                org_name: self.org_name(),
                period: Some(*period),
                period_label: period.label(),
                subject: String::new(),
                status,
                message_key: if period_over { "missing" } else { "coming_due" },
                values,
                evidence,
                due_on: Some(period.last_day),
                severity: None,
            },
        ));
    }

    /// Each resolution of each general meeting held in the range, judged by the version in force on
    /// the day of the meeting.
    fn general_meeting_votes(
        &self,
        candidate: Candidate<'a>,
        problems: &mut Vec<String>,
        findings: &mut Vec<Finding>,
    ) {
        let meetings = self
            .index
            .meetings
            .get(&self.branch_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let last = self.request.to.min(self.request.today);
        for meeting in meetings {
            let held_on = meeting.body.held_on;
            if held_on < self.request.from
                || held_on > last
                || !meeting.body.is_kind(MeetingKind::GeneralMeeting)
                || meeting.body.resolutions.is_empty()
            {
                continue;
            }
            let Some(applied) = resolve(
                candidate,
                &self.branch.body,
                self.index,
                &self.ancestors,
                held_on,
                problems,
            ) else {
                continue;
            };
            let CheckParameters::GeneralMeetingVote(parameters) = &applied.parameters else {
                continue;
            };
            self.general_meeting_vote(&applied, parameters, meeting, findings);
        }
    }

    fn general_meeting_vote(
        &self,
        applied: &Applied<'_>,
        parameters: &GeneralMeetingVoteParameters,
        meeting: &Stored<crate::domain::Meeting>,
        findings: &mut Vec<Finding>,
    ) {
        let held_on = meeting.body.held_on;
        let voters: Vec<MemberId> = self
            .index
            .roster_on(self.branch_id, held_on)
            .into_iter()
            .filter(|member| {
                member
                    .body
                    .status_on(held_on)
                    .is_some_and(|status| status.has_voting_rights())
            })
            .map(|member| MemberId(member.id))
            .collect();
        let expected = voters.len() as u64;
        let present = voters
            .iter()
            .filter(|voter| meeting.body.was_present(**voter))
            .count() as u64;
        for (position, resolution) in meeting.body.resolutions.iter().enumerate() {
            let (message_key, broken) = if !parameters.quorum_of_expected.is_met(present, expected)
            {
                ("no_quorum", true)
            } else if resolution.recorded_outcome == RecordedOutcome::Passed
                && !parameters
                    .passage_of_expected
                    .is_met(u64::from(resolution.yes), expected)
            {
                ("not_passed", true)
            } else {
                ("", false)
            };
            if !broken {
                continue;
            }
            let evidence = Evidence {
                records: vec![EvidenceRecord {
                    kind: RecordKind::Meeting,
                    id: meeting.id,
                    date: held_on,
                    note_zh: format!(
                        "应到会有表决权党员{expected}人，实到{present}人；赞成{}、反对{}、弃权{}",
                        resolution.yes, resolution.no, resolution.abstain
                    ),
                    note_en: format!(
                        "{expected} voting members expected, {present} present; yes {}, no {}, abstain {}",
                        resolution.yes, resolution.no, resolution.abstain
                    ),
                }],
                missing_zh: Vec::new(),
                missing_en: Vec::new(),
            };
            let values = vec![
                ("date", held_on.to_string()),
                ("subject", resolution.subject.clone()),
                ("present", present.to_string()),
                ("expected", expected.to_string()),
                ("yes", resolution.yes.to_string()),
            ];
            findings.push(self.finding(
                applied,
                FindingParts {
                    org: self.branch_id,
                    org_name: self.org_name(),
                    period: Some(Period::containing(PeriodLength::Month, held_on)),
                    period_label: held_on.to_string(),
                    subject: format!("meeting {} resolution {}", meeting.id, position + 1),
                    status: FindingStatus::Invalid,
                    message_key,
                    values,
                    evidence,
                    due_on: None,
                    severity: None,
                },
            ));
        }
    }

    /// Checks of how the branch stands on one day: its size, its committee, its secretary, its term.
    fn structural(&self, applied: &Applied<'_>, on: NaiveDate, findings: &mut Vec<Finding>) {
        let roster = self.index.roster_on(self.branch_id, on);
        let full = roster
            .iter()
            .filter(|member| {
                member
                    .body
                    .status_on(on)
                    .is_some_and(|status| status.is_full_member())
            })
            .count();
        let term = self.index.term_on(self.branch_id, on);
        let year_label = on.year().to_string();
        let roster_evidence = || Evidence {
            records: roster
                .iter()
                .map(|member| {
                    let status = member
                        .body
                        .status_on(on)
                        .map_or("—", |status| status.name_zh());
                    EvidenceRecord {
                        kind: RecordKind::Member,
                        id: member.id,
                        date: on,
                        note_zh: format!("{}（{status}）", member.body.name),
                        note_en: format!("{} ({status})", member.body.name),
                    }
                })
                .collect(),
            missing_zh: Vec::new(),
            missing_en: Vec::new(),
        };
        let term_evidence = |term: &Stored<crate::domain::CommitteeTerm>| Evidence {
            records: vec![EvidenceRecord {
                kind: RecordKind::CommitteeTerm,
                id: term.id,
                date: term.body.elected_on,
                note_zh: format!(
                    "{}选举，任期{}年，在任{}人",
                    term.body.elected_on,
                    term.body.term_years,
                    term.body.members_on(on).len()
                ),
                note_en: format!(
                    "elected {}, {}-year term, {} in post",
                    term.body.elected_on,
                    term.body.term_years,
                    term.body.members_on(on).len()
                ),
            }],
            missing_zh: Vec::new(),
            missing_en: Vec::new(),
        };
        let parts = |status,
                     message_key,
                     values: Vec<(&'static str, String)>,
                     evidence,
                     period_label: String,
                     due_on,
                     severity| FindingParts {
            org: self.branch_id,
            org_name: self.org_name(),
            period: None,
            period_label,
            subject: String::new(),
            status,
            message_key,
            values,
            evidence,
            due_on,
            severity,
        };
        match &applied.parameters {
            CheckParameters::MinimumFullMembers(MinimumFullMembersParameters { minimum }) => {
                if (full as u32) < *minimum {
                    let values = vec![("full", full.to_string()), ("minimum", minimum.to_string())];
                    findings.push(self.finding(
                        applied,
                        parts(
                            FindingStatus::Noncompliant,
                            "violated",
                            values,
                            roster_evidence(),
                            year_label,
                            None,
                            None,
                        ),
                    ));
                }
            }
            CheckParameters::CommitteeRequired(CommitteeRequiredParameters {
                full_member_threshold,
            }) => {
                let has_committee =
                    term.is_some_and(|term| term.body.form == LeadershipForm::Committee);
                if full as u32 >= *full_member_threshold && !has_committee {
                    let values = vec![
                        ("full", full.to_string()),
                        ("threshold", full_member_threshold.to_string()),
                    ];
                    findings.push(self.finding(
                        applied,
                        parts(
                            FindingStatus::Noncompliant,
                            "violated",
                            values,
                            roster_evidence(),
                            year_label,
                            None,
                            None,
                        ),
                    ));
                }
            }
            CheckParameters::CommitteeSize(CommitteeSizeParameters {
                minimum,
                usual_maximum,
            }) => {
                let Some(term) = term.filter(|term| term.body.form == LeadershipForm::Committee)
                else {
                    return;
                };
                let seats = term.body.members_on(on).len() as u32;
                let (key, severity) = if seats < *minimum {
                    ("too_small", None)
                } else if seats > *usual_maximum {
                    ("above_usual", Some(Severity::Info))
                } else {
                    return;
                };
                let values = vec![
                    ("seats", seats.to_string()),
                    ("minimum", minimum.to_string()),
                    ("usual_maximum", usual_maximum.to_string()),
                ];
                findings.push(self.finding(
                    applied,
                    parts(
                        FindingStatus::Noncompliant,
                        key,
                        values,
                        term_evidence(term),
                        year_label,
                        None,
                        severity,
                    ),
                ));
            }
            CheckParameters::MemberSoftCap(MemberSoftCapParameters { maximum }) => {
                let members = roster.len() as u32;
                if members > *maximum {
                    let values = vec![
                        ("members", members.to_string()),
                        ("maximum", maximum.to_string()),
                    ];
                    findings.push(self.finding(
                        applied,
                        parts(
                            FindingStatus::Noncompliant,
                            "violated",
                            values,
                            roster_evidence(),
                            year_label,
                            None,
                            None,
                        ),
                    ));
                }
            }
            CheckParameters::SecretaryInPost(_) => {
                let secretary = term.and_then(|term| term.body.secretary_on(on));
                if secretary.is_none() {
                    let evidence = term.map(term_evidence).unwrap_or_default();
                    findings.push(self.finding(
                        applied,
                        parts(
                            FindingStatus::Noncompliant,
                            "violated",
                            Vec::new(),
                            evidence,
                            year_label,
                            None,
                            None,
                        ),
                    ));
                }
            }
            CheckParameters::TermExpiry(TermExpiryParameters { reminder_months }) => {
                let Some(term) = term else { return };
                let term_end = term
                    .body
                    .extended_until
                    .unwrap_or_else(|| term.body.term_ends_on());
                let reminder_from = add_months(term_end, -(*reminder_months as i32));
                let status = if on >= term_end {
                    FindingStatus::Overdue
                } else if on >= reminder_from && on == self.request.today {
                    FindingStatus::ComingDue
                } else {
                    return;
                };
                let form_zh = match term.body.form {
                    LeadershipForm::Committee => "支部委员会",
                    LeadershipForm::SecretaryOnly => "支部书记",
                };
                let values = vec![
                    ("form_zh", form_zh.to_string()),
                    ("elected_on", term.body.elected_on.to_string()),
                    ("term_end", term_end.to_string()),
                ];
                let key = if status == FindingStatus::Overdue {
                    "overdue"
                } else {
                    "coming_due"
                };
                findings.push(self.finding(
                    applied,
                    parts(
                        status,
                        key,
                        values,
                        term_evidence(term),
                        term_end.to_string(),
                        Some(term_end),
                        None,
                    ),
                ));
            }
            CheckParameters::PeriodicMeeting(_)
            | CheckParameters::TalkCoverage(_)
            | CheckParameters::GeneralMeetingVote(_)
            | CheckParameters::AdmissionSteps(_)
            | CheckParameters::Continuity(_)
            | CheckParameters::DuesRecords(_)
            | CheckParameters::AdmissionResolution(_) => {}
        }
    }

    /// Open steps of each admission pipeline kept by the branch: overdue steps, and steps whose
    /// deadline falls within the horizon. Judged as of today, under the version of the 细则 in force
    /// for each step (the admission module decides which).
    fn admission_steps(
        &self,
        applied: &Applied<'_>,
        parameters: &crate::rules::AdmissionStepsParameters,
        findings: &mut Vec<Finding>,
    ) {
        let Some(calendar) = self.workdays else {
            return;
        };
        let today = self.request.today;
        let horizon = today + Duration::days(i64::from(self.request.horizon_days));
        for record in self
            .index
            .admissions
            .get(&self.branch_id)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if record.body.is_closed() {
                continue;
            }
            for step in crate::admission::due_steps(&record.body, today, calendar) {
                let (status, key) = match step.deadline {
                    Some(_) if step.overdue => (FindingStatus::Overdue, "overdue"),
                    Some(deadline) if deadline <= horizon => {
                        (FindingStatus::ComingDue, "coming_due")
                    }
                    None if parameters.include_steps_without_deadline => {
                        (FindingStatus::ComingDue, "coming_due")
                    }
                    _ => continue,
                };
                let deadline = step
                    .deadline
                    .map_or_else(|| "—".to_string(), |d| d.to_string());
                let citation = crate::rules::Citation {
                    document: step.citation.document_zh.to_string(),
                    article: step.citation.article_zh.to_string(),
                    quote: step.citation.quote_zh.to_string(),
                    source: None,
                };
                let values = vec![
                    ("person", record.body.person.name.clone()),
                    ("step", step.name_zh.to_string()),
                    ("deadline", deadline.clone()),
                    (
                        "days",
                        step.days_left
                            .map_or_else(String::new, |days| days.to_string()),
                    ),
                    ("article", step.citation.suffix_zh()),
                ];
                let evidence = Evidence {
                    records: vec![EvidenceRecord {
                        kind: RecordKind::AdmissionRecord,
                        id: record.id,
                        date: record.event_date,
                        note_zh: format!(
                            "{}的发展党员记录：{}",
                            record.body.person.name, step.note_zh
                        ),
                        note_en: format!(
                            "admission record of {}: {}",
                            record.body.person.name, step.note_en
                        ),
                    }],
                    missing_zh: vec![format!("{}（{}）", step.name_zh, step.citation.suffix_zh())],
                    missing_en: vec![format!("{} {}", step.name_en, step.citation.suffix_en())],
                };
                let mut finding = self.finding(
                    applied,
                    FindingParts {
                        org: self.branch_id,
                        org_name: self.org_name(),
                        period: None,
                        period_label: deadline,
                        subject: format!("admission {} {:?}", record.id, step.step),
                        status,
                        message_key: key,
                        values,
                        evidence,
                        due_on: step.deadline,
                        severity: Some(step.severity),
                    },
                );
                // The step's own rule and article identify the finding; the catalogue rule only
                // says how steps become findings.
                finding.rule_id = step.rule_id.to_string();
                finding.key = finding_key(
                    step.rule_id,
                    self.branch_id,
                    &finding.period_label,
                    &format!("admission {} {:?}", record.id, step.step),
                );
                finding.title_zh = step.name_zh.to_string();
                finding.title_en = step.name_en.to_string();
                finding.citation = citation;
                findings.push(finding);
            }
        }
    }

    /// Members of the branch with consecutive months without organizational life, up to the last
    /// whole month before the reference day. A finding is keyed by the streak's first month, so it
    /// stays the same finding (and keeps an exemption) while the streak goes on.
    fn continuity(
        &self,
        applied: &Applied<'_>,
        parameters: &crate::rules::ContinuityParameters,
        on: NaiveDate,
        findings: &mut Vec<Finding>,
    ) {
        use crate::continuity::{
            ContinuityLevel, ContinuityMember, ContinuityThresholds, continuity_findings,
        };
        use crate::dues::YearMonth;
        if parameters.counts == crate::rules::ContinuityBasis::Dues {
            self.dues_continuity(applied, parameters, on, findings);
            return;
        }
        let through = YearMonth::of(on).previous();
        let Some(observed_from) = YearMonth::new(self.request.from.year(), 1) else {
            return;
        };
        if through < observed_from {
            return;
        }
        let mut holders = vec![self.branch_id];
        holders.extend(
            self.index
                .groups_of(self.branch_id)
                .iter()
                .map(|group| OrgId(group.id)),
        );
        let meetings: Vec<Stored<crate::domain::Meeting>> = holders
            .iter()
            .filter_map(|holder| self.index.meetings.get(holder))
            .flatten()
            .map(|meeting| (*meeting).clone())
            .collect();
        let thresholds = ContinuityThresholds {
            reminder_months: parameters.reminder_months as usize,
            lapse_months: parameters.lapse_months as usize,
        };
        for member in self.index.roster_on(self.branch_id, on) {
            let subject = ContinuityMember {
                member,
                mobile: &[],
            };
            for continuity in continuity_findings(
                &subject,
                &meetings,
                None,
                observed_from,
                through,
                &thresholds,
            ) {
                let Some(first) = continuity.months.first().copied() else {
                    continue;
                };
                let (status, key) = match continuity.level {
                    ContinuityLevel::Reminder => (FindingStatus::ComingDue, "reminder"),
                    ContinuityLevel::LapseDecisionDue => {
                        (FindingStatus::Noncompliant, "decision_due")
                    }
                };
                let months: Vec<String> = continuity
                    .months
                    .iter()
                    .map(|month| month.to_string())
                    .collect();
                let evidence = Evidence {
                    records: continuity
                        .missed_meeting_ids
                        .iter()
                        .filter_map(|id| meetings.iter().find(|meeting| meeting.id == *id))
                        .map(|meeting| EvidenceRecord {
                            kind: RecordKind::Meeting,
                            id: meeting.id,
                            date: meeting.body.held_on,
                            note_zh: format!("{}未出席", member.body.name),
                            note_en: format!("{} was not present", member.body.name),
                        })
                        .collect(),
                    missing_zh: vec![format!(
                        "{}：{}无组织生活",
                        member.body.name,
                        months.join("、")
                    )],
                    missing_en: vec![format!(
                        "{}: no organizational life in {}",
                        member.body.name,
                        months.join(", ")
                    )],
                };
                let values = vec![
                    ("member", member.body.name.clone()),
                    ("months", continuity.months.len().to_string()),
                    ("from", first.to_string()),
                    ("through", through.to_string()),
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
                        evidence,
                        due_on: None,
                        severity: None,
                    },
                ));
            }
        }
    }
}
