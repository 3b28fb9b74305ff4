//! A small builder of snapshots for rule tests: records get ids in creation order, and every date
//! is written as text so that a test row reads like the rule it checks.
#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use zhibu_core::engine::{EvaluationRequest, Report, Snapshot, evaluate};
use zhibu_core::rules::{Catalogue, LocalRule};
use zhibu_core::*;

pub fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

fn stored<T: Record>(id: i64, body: T) -> Stored<T> {
    let instant: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("instant")
        .with_timezone(&Utc);
    Stored {
        id,
        version: 1,
        event_date: body.event_date(),
        first_entered_at: instant,
        last_changed_at: instant,
        body,
    }
}

#[derive(Default)]
pub struct World {
    next_id: i64,
    pub snapshot: Snapshot,
}

impl World {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn org(&mut self, parent: Option<OrgId>, level: OrgLevel, name: &str) -> OrgId {
        let id = self.id();
        let org = Org {
            parent_id: parent,
            name: name.into(),
            level,
            unit_kind: UnitKind::GovernmentOrgan,
            established_on: d("2018-01-01"),
            dissolved_on: None,
        };
        self.snapshot.orgs.push(stored(id, org));
        OrgId(id)
    }

    /// A working committee with one branch under it.
    pub fn committee_and_branch() -> (World, OrgId, OrgId) {
        let mut world = World::default();
        let committee = world.org(None, OrgLevel::WorkingCommittee, "市直机关工委");
        let branch = world.org(Some(committee), OrgLevel::Branch, "第一党支部");
        (world, committee, branch)
    }

    pub fn member(&mut self, branch: OrgId, status: MemberStatus) -> MemberId {
        self.member_in_group(branch, None, status)
    }

    pub fn member_in_group(
        &mut self,
        branch: OrgId,
        group: Option<OrgId>,
        status: MemberStatus,
    ) -> MemberId {
        let id = self.id();
        let member = Member {
            name: format!("党员{id}"),
            sex: Sex::Female,
            birth_date: Some(d("1980-01-01")),
            joined_on: d("2010-01-01"),
            status_history: vec![StatusChange {
                effective_on: d("2010-01-01"),
                status,
                note: None,
            }],
            postings: vec![BranchPosting {
                branch_id: branch,
                group_id: group,
                from: d("2010-01-01"),
                until: None,
                transferred_in_from: None,
                transferred_out_to: None,
            }],
            employment: EmploymentCategory::Salaried,
            leading_cadre: false,
            org_life_exemption: None,
            registry: Default::default(),
            sanctions: Vec::new(),
        };
        self.snapshot.members.push(stored(id, member));
        MemberId(id)
    }

    pub fn members(&mut self, branch: OrgId, count: usize) -> Vec<MemberId> {
        (0..count)
            .map(|_| self.member(branch, MemberStatus::Full))
            .collect()
    }

    pub fn exempt_member(&mut self, member: MemberId) {
        let stored = self
            .snapshot
            .members
            .iter_mut()
            .find(|m| m.id == member.0)
            .expect("member exists");
        stored.body.org_life_exemption = Some("年老体弱".into());
    }

    pub fn term(
        &mut self,
        branch: OrgId,
        form: LeadershipForm,
        elected_on: &str,
        years: u8,
        holders: &[MemberId],
    ) -> CommitteeTermId {
        let id = self.id();
        let roles = [
            CommitteeRole::Secretary,
            CommitteeRole::OrganizationOfficer,
            CommitteeRole::PublicityOfficer,
            CommitteeRole::DisciplineOfficer,
            CommitteeRole::CommitteeMember,
            CommitteeRole::CommitteeMember,
            CommitteeRole::CommitteeMember,
        ];
        let positions = holders
            .iter()
            .zip(roles)
            .map(|(member, role)| CommitteePosition {
                member_id: *member,
                role,
                left_on: None,
            })
            .collect();
        let term = CommitteeTerm {
            org_id: branch,
            form,
            elected_on: d(elected_on),
            term_years: years,
            positions,
            extended_until: None,
        };
        self.snapshot.committee_terms.push(stored(id, term));
        CommitteeTermId(id)
    }

    /// A meeting of `kinds` at which exactly `present` attended; everyone else in `roster` is absent.
    pub fn meeting(
        &mut self,
        org: OrgId,
        kinds: &[MeetingKind],
        held_on: &str,
        roster: &[MemberId],
        present: &[MemberId],
    ) -> MeetingId {
        let id = self.id();
        let attendance = roster
            .iter()
            .map(|member| Attendance {
                member_id: *member,
                state: if present.contains(member) {
                    AttendanceState::Present
                } else {
                    AttendanceState::Absent
                },
            })
            .collect();
        let meeting = Meeting {
            org_id: org,
            kinds: kinds.to_vec(),
            held_on: d(held_on),
            place: "会议室".into(),
            chair_id: None,
            recorder_id: None,
            topics: vec!["学习".into()],
            minutes: String::new(),
            resolutions: Vec::new(),
            attendance,
        };
        self.snapshot.meetings.push(stored(id, meeting));
        MeetingId(id)
    }

    pub fn resolution(&mut self, meeting: MeetingId, yes: u32, outcome: RecordedOutcome) {
        let stored = self
            .snapshot
            .meetings
            .iter_mut()
            .find(|m| m.id == meeting.0)
            .expect("meeting exists");
        stored.body.resolutions.push(Resolution {
            subject: "接收预备党员".into(),
            yes,
            no: 0,
            abstain: 0,
            recorded_outcome: outcome,
        });
    }

    pub fn talk(&mut self, branch: OrgId, held_on: &str, a: MemberId, b: MemberId) {
        let id = self.id();
        let talk = HeartToHeartTalk {
            org_id: branch,
            held_on: d(held_on),
            participants: [a, b],
            topic: String::new(),
        };
        self.snapshot.talks.push(stored(id, talk));
    }

    pub fn local_rule(&mut self, rule: LocalRule) {
        let id = self.id();
        self.snapshot.local_rules.push(stored(id, rule));
    }

    pub fn admission(&mut self, record: zhibu_core::admission::AdmissionRecord) -> i64 {
        let id = self.id();
        self.snapshot.admission_records.push(stored(id, record));
        id
    }

    pub fn exemption(&mut self, exemption: Exemption) {
        let id = self.id();
        self.snapshot.exemptions.push(stored(id, exemption));
    }

    pub fn evaluate_with(
        &self,
        catalogue: &Catalogue,
        root: OrgId,
        from: &str,
        to: &str,
        today: &str,
    ) -> Report {
        let request = EvaluationRequest {
            root,
            from: d(from),
            to: d(to),
            today: d(today),
            horizon_days: 30,
        };
        evaluate(catalogue, &self.snapshot, &request)
    }

    pub fn evaluate(&self, root: OrgId, from: &str, to: &str, today: &str) -> Report {
        self.evaluate_with(
            &Catalogue::national().expect("national catalogue"),
            root,
            from,
            to,
            today,
        )
    }
}

/// The findings of one rule as `(period label, status)` pairs, for table assertions.
pub fn of_rule(report: &Report, rule: &str) -> Vec<(String, engine::FindingStatus)> {
    report
        .findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .map(|f| (f.period_label.clone(), f.status))
        .collect()
}
