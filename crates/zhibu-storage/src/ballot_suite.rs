//! Votes and elections through storage, shared by both backends' tests (issue 5).
//!
//! The central claim: **the database alone cannot tell how a member voted.** A vote is stored once,
//! when its ballot box is closed, as the set of those who took part (in member-id order) and the
//! totals. [`a_secret_ballot_cannot_be_linked_to_voters`] runs the same meeting twice, on two fresh
//! databases, with two different voting patterns that have the same totals — different people
//! voting yes and no, casting in a different order — and requires every row of every table (the
//! records, the hash-chained versions, the chain head, everything but the migration bookkeeping) to
//! be byte-identical. If anything in storage depended on who chose what, the two would differ.
//!
//! The raw tables are read by each backend's own SQL ([`RawDump`]), behind the application's back.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use zhibu_core::admission::{AdmissionPerson, AdmissionRecord, AdmissionRecordId};
use zhibu_core::rules::Catalogue;
use zhibu_core::vote_records::{
    BallotMethod, ElectionRecord, ElectionRoundRecord, VoteQuestion, VoteRecord,
    WrittenOpinionReceipt,
};
use zhibu_core::voting::{
    BallotBox, CandidateTally, Choice, ElectionTally, Tally, VoteEntitlement,
};
use zhibu_core::{
    Attendance, AttendanceState, BranchPosting, EmploymentCategory, LeadershipForm, Meeting,
    MeetingId, MeetingKind, Member, MemberId, MemberStatus, Org, OrgId, OrgLevel, RecordKind, Sex,
    StatusChange, UnitKind,
};

use crate::testsuite::TestClock;
use crate::{Backend, ChangeMeta, RecordQuery, Repository, StorageError};

/// Every row of every table, as text, table by table.
#[async_trait]
pub trait RawDump: Send + Sync {
    /// `(table, rows)` for every table but the migration bookkeeping, tables by name and rows
    /// sorted, each row every column rendered as text.
    async fn dump(&self) -> Vec<(String, Vec<String>)>;
}

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("instant")
}

fn member(name: String, branch: OrgId, history: Vec<(&str, MemberStatus)>) -> Member {
    Member {
        name,
        sex: Sex::Female,
        birth_date: Some(d("1980-01-01")),
        joined_on: d(history[0].0),
        status_history: history
            .into_iter()
            .map(|(date, status)| StatusChange {
                effective_on: d(date),
                status,
                note: None,
            })
            .collect(),
        postings: vec![BranchPosting {
            branch_id: branch,
            group_id: None,
            from: d("2015-01-01"),
            until: None,
            transferred_in_from: None,
            transferred_out_to: None,
        }],
        employment: EmploymentCategory::Salaried,
        leading_cadre: false,
        org_life_exemption: None,
        registry: Default::default(),
        sanctions: Vec::new(),
    }
}

/// A branch of 20 full members with a vote, 2 probationary members, one under 留党察看 and one
/// with suspended rights; a general meeting on 2026-06-20 at which the first `present` of the
/// voting members and everyone else came; and one development candidate.
pub struct Meeting20 {
    pub repo: Repository,
    pub branch: OrgId,
    /// The 20 members with a vote, ascending.
    pub voters: Vec<MemberId>,
    pub probationary: MemberId,
    pub under_party_probation: MemberId,
    pub suspended: MemberId,
    pub meeting: MeetingId,
    pub candidate: AdmissionRecordId,
    pub second_candidate: AdmissionRecordId,
}

pub const VOTE_DAY: &str = "2026-06-20";

pub async fn meeting_of_20(backend: Arc<dyn Backend>, present: usize) -> Meeting20 {
    let clock = TestClock::at(
        Utc.with_ymd_and_hms(2026, 6, 20, 6, 0, 0)
            .single()
            .expect("a fixed instant"),
    );
    let repo = Repository::new(backend, Arc::new(Catalogue::national().expect("catalogue")))
        .with_clock(clock);
    let meta = ChangeMeta::by("secretary");
    let root = repo
        .create(
            Org {
                parent_id: None,
                name: "市直机关工委".into(),
                level: OrgLevel::WorkingCommittee,
                unit_kind: UnitKind::GovernmentOrgan,
                established_on: d("2010-01-01"),
                dissolved_on: None,
            },
            &meta,
        )
        .await
        .expect("root");
    let branch = OrgId(
        repo.create(
            Org {
                parent_id: Some(OrgId(root.id)),
                name: "机关第一党支部".into(),
                level: OrgLevel::Branch,
                unit_kind: UnitKind::GovernmentOrgan,
                established_on: d("2010-01-01"),
                dissolved_on: None,
            },
            &meta,
        )
        .await
        .expect("branch")
        .id,
    );
    let mut voters = Vec::new();
    for index in 0..20 {
        let body = member(
            format!("党员{index:02}"),
            branch,
            vec![
                ("2012-07-01", MemberStatus::Probationary),
                ("2013-07-01", MemberStatus::Full),
            ],
        );
        voters.push(MemberId(repo.create(body, &meta).await.expect("member").id));
    }
    let probationary = MemberId(
        repo.create(
            member(
                "预备党员".into(),
                branch,
                vec![("2026-01-10", MemberStatus::Probationary)],
            ),
            &meta,
        )
        .await
        .expect("probationary")
        .id,
    );
    let under_party_probation = MemberId(
        repo.create(
            member(
                "留党察看党员".into(),
                branch,
                vec![
                    ("2012-07-01", MemberStatus::Probationary),
                    ("2013-07-01", MemberStatus::Full),
                    ("2026-01-01", MemberStatus::UnderPartyProbation),
                ],
            ),
            &meta,
        )
        .await
        .expect("under probation")
        .id,
    );
    let suspended = MemberId(
        repo.create(
            member(
                "权利中止党员".into(),
                branch,
                vec![
                    ("2012-07-01", MemberStatus::Probationary),
                    ("2013-07-01", MemberStatus::Full),
                    ("2026-03-01", MemberStatus::RightsSuspended),
                ],
            ),
            &meta,
        )
        .await
        .expect("suspended")
        .id,
    );
    let mut attendance: Vec<Attendance> = voters
        .iter()
        .enumerate()
        .map(|(index, id)| Attendance {
            member_id: *id,
            state: if index < present {
                AttendanceState::Present
            } else {
                AttendanceState::Absent
            },
        })
        .collect();
    for id in [probationary, under_party_probation, suspended] {
        attendance.push(Attendance {
            member_id: id,
            state: AttendanceState::Present,
        });
    }
    let meeting = MeetingId(
        repo.create(
            Meeting {
                org_id: branch,
                kinds: vec![MeetingKind::GeneralMeeting],
                held_on: d(VOTE_DAY),
                place: "党员活动室".into(),
                chair_id: Some(voters[0]),
                recorder_id: Some(voters[1]),
                topics: vec!["讨论接收预备党员".into()],
                minutes: String::new(),
                resolutions: Vec::new(),
                attendance,
            },
            &meta,
        )
        .await
        .expect("meeting")
        .id,
    );
    let person = |name: &str| AdmissionPerson {
        name: name.into(),
        birth_date: d("2000-02-29"),
        branch_id: branch,
        mobile: false,
    };
    let candidate = AdmissionRecordId(
        repo.create(
            AdmissionRecord::new(person("张发展"), d("2026-05-20")),
            &meta,
        )
        .await
        .expect("candidate")
        .id,
    );
    let second_candidate = AdmissionRecordId(
        repo.create(
            AdmissionRecord::new(person("李发展"), d("2026-05-21")),
            &meta,
        )
        .await
        .expect("second candidate")
        .id,
    );
    Meeting20 {
        repo,
        branch,
        voters,
        probationary,
        under_party_probation,
        suspended,
        meeting,
        candidate,
        second_candidate,
    }
}

impl Meeting20 {
    /// The entitlement frozen when the vote opens, from the members as stored.
    pub async fn entitlement(&self) -> VoteEntitlement {
        let rows = self
            .repo
            .list::<Member>(&crate::ListRequest {
                subtree: Some(self.branch),
                limit: Some(1000),
                ..crate::ListRequest::default()
            })
            .await
            .expect("members");
        let members: Vec<(MemberId, Member)> = rows
            .items
            .into_iter()
            .map(|stored| (MemberId(stored.id), stored.body))
            .collect();
        let refs: Vec<(MemberId, &Member)> = members.iter().map(|(id, m)| (*id, m)).collect();
        VoteEntitlement::freeze_in_branch(&refs, self.branch, d(VOTE_DAY))
    }

    /// A closed secret-ballot box turned into the record storage keeps.
    pub fn record(
        &self,
        entitlement: &VoteEntitlement,
        present: &[MemberId],
        closed: zhibu_core::voting::ClosedBallotBox<Tally>,
    ) -> VoteRecord {
        let mut present = present.to_vec();
        present.sort();
        VoteRecord {
            org_id: self.branch,
            meeting_id: self.meeting,
            question: VoteQuestion::Admission {
                candidates: vec![self.candidate],
            },
            method: BallotMethod::SecretBallot,
            opened_at: at(&format!("{VOTE_DAY} 09:00")),
            entitled: entitlement.voters().collect(),
            present,
            voted: closed.voters_who_voted,
            in_room: closed.tally,
            written_opinions: Vec::new(),
            written: Tally::default(),
        }
    }
}

/// Casts `ballots` (voter, choice) in the order given into a fresh box and stores the closed box.
async fn vote_and_store(meeting: &Meeting20, ballots: &[(MemberId, Choice)]) -> i64 {
    let entitlement = meeting.entitlement().await;
    assert_eq!(entitlement.expected(), 20, "20 members have a vote");
    let mut open: BallotBox<Choice> = BallotBox::open(entitlement.clone(), Tally::default());
    for (voter, choice) in ballots {
        open.cast(*voter, *choice)
            .expect("an entitled first ballot");
    }
    // A second ballot from someone who voted is refused and changes nothing.
    let before = open.ballots_returned();
    let (first_voter, _) = ballots[0];
    let refused = open
        .cast(first_voter, Choice::No)
        .expect_err("no one votes twice");
    assert_eq!(refused.errors[0].code, "already_voted");
    assert_eq!(open.ballots_returned(), before);
    let present: Vec<MemberId> = meeting.voters[..11].to_vec();
    let record = meeting.record(&entitlement, &present, open.close());
    meeting
        .repo
        .create(record, &ChangeMeta::by("secretary"))
        .await
        .expect("the closed box is stored")
        .id
}

/// Two meetings, the same people present and the same totals (8 yes, 2 no, 1 abstain), but
/// different people chose differently and cast in a different order: every stored byte is the same.
pub async fn a_secret_ballot_cannot_be_linked_to_voters(
    first: (Arc<dyn Backend>, Arc<dyn RawDump>),
    second: (Arc<dyn Backend>, Arc<dyn RawDump>),
) {
    use Choice::{Abstain as A, No as N, Yes as Y};
    let a = meeting_of_20(first.0, 11).await;
    let b = meeting_of_20(second.0, 11).await;
    assert_eq!(a.voters, b.voters, "both databases hand out the same ids");
    let pattern_a = [Y, Y, Y, Y, Y, Y, Y, Y, N, N, A];
    let pattern_b = [Y, A, Y, Y, N, Y, Y, Y, Y, Y, N];
    // Meeting A: in id order. Meeting B: in reverse id order, with other choices.
    let ballots_a: Vec<(MemberId, Choice)> =
        a.voters[..11].iter().copied().zip(pattern_a).collect();
    let ballots_b: Vec<(MemberId, Choice)> = b.voters[..11]
        .iter()
        .rev()
        .copied()
        .zip(pattern_b)
        .collect();
    assert_ne!(
        ballots_a
            .iter()
            .find(|(voter, _)| *voter == a.voters[0])
            .map(|(_, choice)| *choice),
        ballots_b
            .iter()
            .find(|(voter, _)| *voter == b.voters[0])
            .map(|(_, choice)| *choice),
        "the same member voted differently in the two meetings"
    );
    let vote_a = vote_and_store(&a, &ballots_a).await;
    let vote_b = vote_and_store(&b, &ballots_b).await;
    assert_eq!(vote_a, vote_b);

    let dump_a = first.1.dump().await;
    let dump_b = second.1.dump().await;
    assert!(
        dump_a
            .iter()
            .any(|(table, rows)| table == "record_versions" && !rows.is_empty()),
        "the dump reads the version chain"
    );
    assert_eq!(
        dump_a.iter().map(|(table, _)| table).collect::<Vec<_>>(),
        dump_b.iter().map(|(table, _)| table).collect::<Vec<_>>()
    );
    for ((table, rows_a), (_, rows_b)) in dump_a.iter().zip(&dump_b) {
        assert_eq!(
            rows_a, rows_b,
            "table {table} differs between two votes with the same totals: it would tell how someone voted"
        );
    }

    // One version for the vote, not one per ballot; its body holds the set of voters in id order
    // and the totals, and nothing else about any voter.
    let history = a
        .repo
        .history(RecordKind::Vote, vote_a)
        .await
        .expect("history");
    assert_eq!(history.len(), 1, "a closed box is written once");
    let body: serde_json::Value = serde_json::from_str(&history[0].body).expect("json");
    let voted: Vec<i64> = body["voted"]
        .as_array()
        .expect("voted")
        .iter()
        .map(|id| id.as_i64().expect("id"))
        .collect();
    let mut sorted = voted.clone();
    sorted.sort_unstable();
    assert_eq!(voted, sorted, "voters are kept in id order");
    assert_eq!(
        body["in_room"],
        serde_json::json!({"yes": 8, "no": 2, "abstain": 1})
    );
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        vec![
            "entitled",
            "in_room",
            "meeting_id",
            "method",
            "opened_at",
            "org_id",
            "present",
            "question",
            "voted",
            "written",
            "written_opinions",
        ],
        "the body holds these fields and nothing else"
    );
}

fn field_codes(error: &StorageError) -> Vec<(String, String, String)> {
    match error {
        StorageError::Invalid(errors) => errors
            .errors
            .iter()
            .map(|e| (e.field.clone(), e.code.clone(), e.message_en.clone()))
            .collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn chain_length(repo: &Repository) -> i64 {
    repo.backend()
        .chain_head()
        .await
        .expect("head")
        .map_or(0, |head| head.seq)
}

/// Refusals name the rule and the field, and write nothing: more ballots than people present, a
/// vote on two candidates at once, an entitlement that leaves out a voter or lists a
/// probationary member, someone present who was not at the meeting, a second vote on the same
/// question, a written opinion from someone who voted in the room; and the count at the boundary.
pub async fn votes_are_checked_in_the_write_transaction(backend: Arc<dyn Backend>) {
    let m = meeting_of_20(backend, 11).await;
    let entitlement = m.entitlement().await;
    let present: Vec<MemberId> = m.voters[..11].to_vec();
    let good = VoteRecord {
        org_id: m.branch,
        meeting_id: m.meeting,
        question: VoteQuestion::Admission {
            candidates: vec![m.candidate],
        },
        method: BallotMethod::SecretBallot,
        opened_at: at(&format!("{VOTE_DAY} 09:00")),
        entitled: entitlement.voters().collect(),
        present: present.clone(),
        voted: present.clone(),
        in_room: Tally {
            yes: 11,
            no: 0,
            abstain: 0,
        },
        written_opinions: Vec::new(),
        written: Tally::default(),
    };
    let meta = ChangeMeta::by("secretary");
    let before = chain_length(&m.repo).await;

    let refused = |record: VoteRecord| {
        let repo = &m.repo;
        let meta = &meta;
        async move {
            let error = repo.create(record, meta).await.expect_err("refused");
            field_codes(&error)
        }
    };

    // More ballots than those present.
    let mut too_many = good.clone();
    too_many.in_room.yes = 12;
    let errors = refused(too_many).await;
    assert!(
        errors
            .iter()
            .any(|(field, code, message)| field == "in_room"
                && code == "RECRUIT.MEETING.MAJORITY_AND_WRITTEN_VOTES"
                && message.contains("12 ballots")),
        "{errors:?}"
    );
    // Two candidates at once.
    let mut two = good.clone();
    two.question = VoteQuestion::Admission {
        candidates: vec![m.candidate, m.second_candidate],
    };
    let errors = refused(two).await;
    assert!(
        errors
            .iter()
            .any(|(field, code, _)| field == "question.candidates"
                && code == "RECRUIT.MEETING.ONE_BY_ONE"),
        "{errors:?}"
    );
    // A probationary member in the entitlement, and a voter left out of it.
    let mut wrong_roll = good.clone();
    wrong_roll.entitled.retain(|id| *id != m.voters[19]);
    wrong_roll.entitled.push(m.probationary);
    wrong_roll.entitled.sort();
    let errors = refused(wrong_roll).await;
    assert!(
        errors
            .iter()
            .any(|(field, code, message)| field.starts_with("entitled[")
                && code == "RECRUIT.MEETING.QUORUM"
                && message.contains("had no vote")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(field, _, message)| field == "entitled" && message.contains("had a vote")),
        "{errors:?}"
    );
    // Someone counted present who was absent from the meeting.
    let mut absent = good.clone();
    absent.present.push(m.voters[15]);
    absent.voted.push(m.voters[15]);
    absent.in_room.yes = 12;
    let errors = refused(absent).await;
    assert!(
        errors
            .iter()
            .any(|(field, code, _)| field == "present[11]" && code == "not_present_at_meeting"),
        "{errors:?}"
    );
    // A written opinion from a voter who voted in the room: a second vote.
    let mut twice = good.clone();
    twice.written_opinions = vec![WrittenOpinionReceipt {
        voter: m.voters[0],
        handed_in_at: at(&format!("{VOTE_DAY} 08:00")),
    }];
    twice.written.yes = 1;
    let errors = refused(twice).await;
    assert!(
        errors
            .iter()
            .any(|(field, _, message)| field == "written_opinions[0].voter"
                && message.contains("no one votes twice")),
        "{errors:?}"
    );
    // Voters listed in the order they voted are refused: only id order is stored.
    let mut ordered = good.clone();
    ordered.voted.reverse();
    let errors = refused(ordered).await;
    assert!(
        errors.iter().any(|(_, code, _)| code == "not_in_id_order"),
        "{errors:?}"
    );
    assert_eq!(chain_length(&m.repo).await, before, "nothing was written");

    // The good record is kept, and the decision is worked out from it: 11 of 20 present (超过半数)
    // and 11 yes (超过半数): passed.
    let stored = m.repo.create(good.clone(), &meta).await.expect("stored");
    let decision = stored.body.decide().expect("decided");
    assert!(decision.quorum_met && decision.passed);
    // The same question at the same meeting again: no one votes twice.
    let again = m.repo.create(good.clone(), &meta).await.expect_err("twice");
    assert!(
        field_codes(&again)
            .iter()
            .any(|(field, code, _)| field == "question" && code == "already_voted"),
        "{again:?}"
    );
    let listed = m
        .repo
        .backend()
        .list(&RecordQuery::all(RecordKind::Vote))
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
}

/// An election stored round by round: the formal round of 25 expected with 21 present (超过4/5)
/// fills 4 of 5 seats, a further round among those left fills the last; the result is sent up.
/// 20 present is refused as void for its round only when counted, never stored as elected.
pub async fn elections_are_checked_in_the_write_transaction(backend: Arc<dyn Backend>) {
    let m = meeting_of_20(backend, 20).await;
    let entitlement = m.entitlement().await;
    let entitled: Vec<MemberId> = entitlement.voters().collect();
    let candidates: Vec<MemberId> = m.voters[..6].to_vec();
    let present: Vec<MemberId> = m.voters[..20].to_vec();
    let tally = |yes: [u32; 6]| ElectionTally {
        seats: 5,
        returned: 20,
        void: 0,
        candidates: candidates
            .iter()
            .zip(yes)
            .map(|(candidate, yes)| CandidateTally {
                candidate: *candidate,
                tally: Tally {
                    yes,
                    no: 20 - yes,
                    abstain: 0,
                },
            })
            .collect(),
    };
    let mut election = ElectionRecord {
        org_id: m.branch,
        meeting_id: m.meeting,
        held_on: d(VOTE_DAY),
        previous_term: None,
        form: LeadershipForm::Committee,
        seats: 5,
        entitled,
        rounds: vec![ElectionRoundRecord {
            seats: 5,
            candidates: candidates.clone(),
            present: present.clone(),
            ballots_issued: 20,
            // Exactly half (10 of 20) does not win: only four are elected.
            ballots: tally([18, 17, 16, 15, 10, 9]),
        }],
        seats_reduced_with_consent: None,
        secretary: None,
        deputy_secretary: None,
        reported_on: None,
        approval: None,
    };
    let meta = ChangeMeta::by("secretary");
    let stored = m
        .repo
        .create(election.clone(), &meta)
        .await
        .expect("round 1");
    let standing = stored.body.standing().expect("standing");
    assert_eq!(standing.elected, candidates[..4].to_vec());
    assert!(!standing.complete);

    // Reporting before every seat is filled is refused.
    let mut early = election.clone();
    early.secretary = Some(candidates[0]);
    early.reported_on = Some(d("2026-06-22"));
    let error = m
        .repo
        .amend::<ElectionRecord>(
            stored.typed_id(),
            1,
            early,
            &ChangeMeta::because("secretary", "上报"),
        )
        .await
        .expect_err("incomplete");
    assert!(
        field_codes(&error)
            .iter()
            .any(|(field, code, _)| field == "reported_on" && code == "election_incomplete")
    );

    // A further round for the last seat among the two left; then the report.
    election.rounds.push(ElectionRoundRecord {
        seats: 1,
        candidates: candidates[4..].to_vec(),
        present: present.clone(),
        ballots_issued: 20,
        ballots: ElectionTally {
            seats: 1,
            returned: 20,
            void: 0,
            candidates: vec![
                CandidateTally {
                    candidate: candidates[4],
                    tally: Tally {
                        yes: 11,
                        no: 9,
                        abstain: 0,
                    },
                },
                CandidateTally {
                    candidate: candidates[5],
                    tally: Tally {
                        yes: 9,
                        no: 11,
                        abstain: 0,
                    },
                },
            ],
        },
    });
    election.secretary = Some(candidates[0]);
    election.deputy_secretary = Some(candidates[1]);
    election.reported_on = Some(d("2026-06-22"));
    let amended = m
        .repo
        .amend::<ElectionRecord>(
            stored.typed_id(),
            1,
            election.clone(),
            &ChangeMeta::because("secretary", "另行选举并上报"),
        )
        .await
        .expect("round 2 and report");
    let standing = amended.body.standing().expect("standing");
    assert!(standing.complete);
    assert_eq!(standing.elected.len(), 5);

    // A candidate without the right to be elected, and someone counted present who has no vote.
    let mut bad = election.clone();
    bad.rounds.truncate(1);
    bad.rounds[0].candidates = vec![
        m.voters[0],
        m.voters[1],
        m.voters[2],
        m.voters[3],
        m.voters[4],
        m.probationary,
    ];
    bad.rounds[0].ballots.candidates[5].candidate = m.probationary;
    bad.rounds[0].candidates.sort();
    bad.secretary = None;
    bad.deputy_secretary = None;
    bad.reported_on = None;
    let error = m.repo.create(bad, &meta).await.expect_err("refused");
    assert!(
        field_codes(&error).iter().any(|(field, code, _)| field
            .starts_with("rounds[0].candidates[")
            && code == "ELECT.VOTING_RIGHTS"),
        "{error:?}"
    );
}
