//! Vote and election tests as tables, one row per count at each boundary. Each test's name carries
//! its source: 细则 (发展党员工作细则, 2026 numbering), 支部工作条例, 选举工作条例, 章程.

use chrono::{NaiveDate, NaiveDateTime};
use zhibu_core::admission::AdmissionRecordId;
use zhibu_core::voting::*;
use zhibu_core::*;

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("test instant")
}

const OPENS: &str = "2026-06-10 14:30";
const PROBATIONARY: MemberId = MemberId(100);

fn member(branch: i64, history: &[(&str, MemberStatus)]) -> Member {
    Member {
        name: "党员".into(),
        sex: Sex::Male,
        birth_date: None,
        joined_on: d(history[0].0),
        status_history: history
            .iter()
            .map(|(on, status)| StatusChange {
                effective_on: d(on),
                status: *status,
                note: None,
            })
            .collect(),
        postings: vec![BranchPosting {
            branch_id: OrgId(branch),
            group_id: None,
            from: d(history[0].0),
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

/// A branch of `full` full members (ids 1..=full) and one probationary member (id 100).
fn branch(full: i64) -> Vec<(MemberId, Member)> {
    let mut members: Vec<(MemberId, Member)> = (1..=full)
        .map(|id| {
            (
                MemberId(id),
                member(10, &[("2010-01-01", MemberStatus::Full)]),
            )
        })
        .collect();
    members.push((
        PROBATIONARY,
        member(10, &[("2025-09-01", MemberStatus::Probationary)]),
    ));
    members
}

fn entitlement(full: i64) -> VoteEntitlement {
    let members = branch(full);
    let roster: Vec<(MemberId, &Member)> =
        members.iter().map(|(id, member)| (*id, member)).collect();
    VoteEntitlement::freeze(&roster, at(OPENS).date())
}

fn ids(range: std::ops::RangeInclusive<i64>) -> Vec<MemberId> {
    range.map(MemberId).collect()
}

fn admission_vote(present: i64, yes: u32, opinions: Vec<WrittenOpinion>) -> AdmissionVote {
    let present_count = u32::try_from(present).expect("small");
    AdmissionVote {
        candidates: vec![AdmissionRecordId(500)],
        opened_at: at(OPENS),
        present: ids(1..=present),
        written_opinions: opinions,
        in_room: Tally {
            yes,
            no: present_count - yes,
            abstain: 0,
        },
    }
}

fn refused_fields(result: Result<VoteDecision, ValidationErrors>) -> Vec<(String, String)> {
    match result {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .errors
            .into_iter()
            .map(|error| (error.field, error.code))
            .collect(),
    }
}

/// 章程 第七条, 选举工作条例 第五条: who votes is frozen when the vote opens — full members, minus 留党察看
/// and suspended rights; probationary members never.
#[test]
fn entitlement_is_frozen_when_the_vote_opens_zhangcheng_art7_xuanju_tiaoli_art5() {
    let members = [
        (
            MemberId(1),
            member(10, &[("2010-01-01", MemberStatus::Full)]),
        ),
        (
            MemberId(2),
            member(
                10,
                &[
                    ("2025-09-01", MemberStatus::Probationary),
                    ("2026-09-01", MemberStatus::Full),
                ],
            ),
        ),
        (
            MemberId(3),
            member(
                10,
                &[
                    ("2010-01-01", MemberStatus::Full),
                    ("2026-03-01", MemberStatus::UnderPartyProbation),
                ],
            ),
        ),
        (
            MemberId(4),
            member(
                10,
                &[
                    ("2010-01-01", MemberStatus::Full),
                    ("2026-05-01", MemberStatus::RightsSuspended),
                ],
            ),
        ),
        (
            MemberId(5),
            member(
                10,
                &[
                    ("2010-01-01", MemberStatus::Full),
                    ("2025-01-01", MemberStatus::MembershipSuspended),
                ],
            ),
        ),
        (
            MemberId(6),
            member(
                10,
                &[
                    ("2010-01-01", MemberStatus::Full),
                    ("2026-02-01", MemberStatus::Ended),
                ],
            ),
        ),
        (
            MemberId(7),
            member(11, &[("2010-01-01", MemberStatus::Full)]),
        ),
    ];
    let roster: Vec<(MemberId, &Member)> =
        members.iter().map(|(id, member)| (*id, member)).collect();
    // (vote opens, voters of the roster, voters of branch 10)
    let table = [
        ("2026-01-31", vec![1, 3, 4, 6, 7], vec![1, 3, 4, 6]),
        ("2026-02-28", vec![1, 3, 4, 7], vec![1, 3, 4]),
        ("2026-03-01", vec![1, 4, 7], vec![1, 4]),
        ("2026-06-10", vec![1, 7], vec![1]),
        ("2026-08-31", vec![1, 7], vec![1]),
        ("2026-09-01", vec![1, 2, 7], vec![1, 2]),
    ];
    for (opens, voters, in_branch) in table {
        let frozen = VoteEntitlement::freeze(&roster, d(opens));
        assert_eq!(
            frozen.voters().map(|id| id.0).collect::<Vec<_>>(),
            voters,
            "{opens}"
        );
        assert_eq!(frozen.expected() as usize, voters.len());
        let branch_only = VoteEntitlement::freeze_in_branch(&roster, OrgId(10), d(opens));
        assert_eq!(
            branch_only.voters().map(|id| id.0).collect::<Vec<_>>(),
            in_branch,
            "{opens}"
        );
    }
}

/// 细则 第十九条: 实际到会有表决权的党员人数必须超过应到会的半数 — with 20 expected, 10 is not enough.
#[test]
fn admission_quorum_is_more_than_half_of_expected_xize2026_art19() {
    // (expected, present, quorum met?)
    let table = [
        (20, 10, false),
        (20, 11, true),
        (21, 10, false),
        (21, 11, true),
        (3, 1, false),
        (3, 2, true),
    ];
    for (expected, present, met) in table {
        let decision = admission_vote(present, u32::try_from(present).expect("small"), vec![])
            .count(&entitlement(expected))
            .expect("valid input");
        assert_eq!(
            (
                decision.expected,
                decision.present,
                decision.quorum_met,
                decision.passed
            ),
            (expected as u32, present as u32, met, met),
            "{present} of {expected}"
        );
        if !met {
            assert!(
                decision.message_zh.contains("RECRUIT.MEETING.QUORUM")
                    && decision.message_zh.contains("第十九条"),
                "{}",
                decision.message_zh
            );
        }
    }
}

/// 细则 第二十条: 赞成人数超过应到会有表决权的党员人数的半数 — of expected, not of present.
#[test]
fn admission_passes_with_yes_from_more_than_half_of_expected_xize2026_art20() {
    // (present, yes, passed?) with 20 expected.
    let table = [
        (20, 10, false),
        (20, 11, true),
        (15, 10, false),
        (15, 11, true),
        (11, 11, true),
    ];
    for (present, yes, passed) in table {
        let decision = admission_vote(present, yes, vec![])
            .count(&entitlement(20))
            .expect("valid input");
        assert_eq!(
            (decision.yes_counted, decision.passed),
            (yes, passed),
            "{yes} yes of {present} present"
        );
        assert_eq!(decision.passage, MORE_THAN_HALF);
    }
}

fn opinion(voter: i64, handed_in_at: &str, choice: Choice) -> WrittenOpinion {
    WrittenOpinion {
        voter: MemberId(voter),
        handed_in_at: at(handed_in_at),
        choice,
    }
}

/// 细则 第二十条: 因故不能到会的有表决权的党员，在党支部党员大会召开前正式向党支部提出书面意见的，应当
/// 统计在票数内. 20 expected, 11 present with 10 yes: a written yes from an absent voter decides it.
#[test]
fn written_opinions_count_only_from_absent_voters_before_the_meeting_xize2026_art20() {
    // (opinion, counted yes, passed?, not counted)
    let table = [
        (
            opinion(12, "2026-06-10 14:29", Choice::Yes),
            1,
            true,
            vec![],
        ),
        (
            opinion(12, "2026-06-09 09:00", Choice::Yes),
            1,
            true,
            vec![],
        ),
        (
            opinion(12, "2026-06-10 14:30", Choice::Yes),
            0,
            false,
            vec![(12, NotCountedReason::HandedInAfterOpening)],
        ),
        (
            opinion(12, "2026-06-11 09:00", Choice::Yes),
            0,
            false,
            vec![(12, NotCountedReason::HandedInAfterOpening)],
        ),
        (
            opinion(1, "2026-06-09 09:00", Choice::Yes),
            0,
            false,
            vec![(1, NotCountedReason::VoterWasPresent)],
        ),
        (
            opinion(12, "2026-06-09 09:00", Choice::No),
            0,
            false,
            vec![],
        ),
    ];
    for (written, counted, passed, not_counted) in table {
        let decision = admission_vote(11, 10, vec![written])
            .count(&entitlement(20))
            .expect("valid input");
        assert_eq!(
            (decision.written_yes_counted, decision.passed),
            (counted, passed),
            "{written:?}"
        );
        let ignored: Vec<(i64, NotCountedReason)> = decision
            .written_opinions_not_counted
            .iter()
            .map(|n| (n.voter.0, n.reason))
            .collect();
        assert_eq!(ignored, not_counted, "{written:?}");
    }
}

/// 细则 第二十条: only entitled voters' opinions count, and no one votes twice.
#[test]
fn written_opinions_from_non_voters_or_twice_are_refused_xize2026_art20() {
    let from_probationary =
        admission_vote(11, 10, vec![opinion(100, "2026-06-09 09:00", Choice::Yes)])
            .count(&entitlement(20));
    assert_eq!(
        refused_fields(from_probationary),
        vec![(
            "written_opinions[0].voter".into(),
            "RECRUIT.MEETING.MAJORITY_AND_WRITTEN_VOTES".into()
        )]
    );
    let twice = admission_vote(
        11,
        10,
        vec![
            opinion(12, "2026-06-09 09:00", Choice::Yes),
            opinion(12, "2026-06-10 09:00", Choice::Yes),
        ],
    )
    .count(&entitlement(20));
    assert_eq!(
        refused_fields(twice),
        vec![(
            "written_opinions[1].voter".into(),
            "RECRUIT.MEETING.MAJORITY_AND_WRITTEN_VOTES".into()
        )]
    );
}

/// 细则 第二十条: 必须逐个讨论和表决 — a vote naming two candidates (or none) is refused.
#[test]
fn one_candidate_per_vote_xize2026_art20() {
    for candidates in [vec![], vec![AdmissionRecordId(500), AdmissionRecordId(501)]] {
        let vote = AdmissionVote {
            candidates: candidates.clone(),
            ..admission_vote(15, 15, vec![])
        };
        assert_eq!(
            refused_fields(vote.count(&entitlement(20))),
            vec![("candidates".into(), "RECRUIT.MEETING.ONE_BY_ONE".into())],
            "{candidates:?}"
        );
    }
}

/// Bad input: more ballots than voters present, non-voters counted as present, a present voter listed
/// twice, a roster frozen on another day.
#[test]
fn impossible_counts_are_refused_naming_the_field_xize2026_art19_art20() {
    let too_many_ballots = AdmissionVote {
        in_room: Tally {
            yes: 11,
            no: 1,
            abstain: 0,
        },
        ..admission_vote(11, 11, vec![])
    };
    assert_eq!(
        refused_fields(too_many_ballots.count(&entitlement(20))),
        vec![(
            "in_room".into(),
            "RECRUIT.MEETING.MAJORITY_AND_WRITTEN_VOTES".into()
        )]
    );

    let mut with_probationary = admission_vote(11, 11, vec![]);
    with_probationary.present[10] = PROBATIONARY;
    assert_eq!(
        refused_fields(with_probationary.count(&entitlement(20))),
        vec![("present[10]".into(), "RECRUIT.MEETING.QUORUM".into())]
    );

    let mut twice = admission_vote(11, 10, vec![]);
    twice.present[10] = MemberId(1);
    // Listed twice, the voter counts once: 10 distinct voters cannot have cast 11 ballots either.
    assert_eq!(
        refused_fields(twice.count(&entitlement(20))),
        vec![
            ("present[10]".into(), "duplicate".into()),
            (
                "in_room".into(),
                "RECRUIT.MEETING.MAJORITY_AND_WRITTEN_VOTES".into()
            )
        ]
    );

    let stale = AdmissionVote {
        opened_at: at("2026-06-11 09:00"),
        ..admission_vote(11, 11, vec![])
    };
    assert_eq!(
        refused_fields(stale.count(&entitlement(20))),
        vec![("opened_at".into(), "RECRUIT.MEETING.QUORUM".into())]
    );

    // The same counts checked alone, as a resolution records them.
    let counts = VoteCounts {
        expected: 20,
        present: 11,
        in_room: Tally {
            yes: 12,
            no: 0,
            abstain: 0,
        },
        written: Tally::default(),
    };
    let errors = counts
        .decide(&VoteRules::ADMISSION)
        .expect_err("12 ballots, 11 present");
    assert_eq!(errors.errors[0].field, "in_room");
    assert!(
        errors.errors[0].message_zh.contains("多于实到"),
        "{}",
        errors.errors[0].message_zh
    );
}

/// 细则 第三十二条: conversion has the same requirements as admission, about one probationary member.
#[test]
fn conversion_vote_has_the_admission_requirements_xize2026_art32() {
    // (present, yes, quorum met?, passed?) with 20 expected.
    let table = [
        (10, 10, false, false),
        (11, 10, true, false),
        (11, 11, true, true),
    ];
    for (present, yes, quorum, passed) in table {
        let base = admission_vote(present, yes, vec![]);
        let vote = ConversionVote {
            candidates: vec![PROBATIONARY],
            opened_at: base.opened_at,
            present: base.present,
            written_opinions: vec![],
            in_room: base.in_room,
        };
        let decision = vote.count(&entitlement(20)).expect("valid input");
        assert_eq!(
            (decision.quorum_met, decision.passed, decision.kind),
            (quorum, passed, VoteKind::Conversion),
            "{yes} of {present}"
        );
    }
    let base = admission_vote(11, 11, vec![]);
    let about_a_full_member = ConversionVote {
        candidates: vec![MemberId(3)],
        opened_at: base.opened_at,
        present: base.present.clone(),
        written_opinions: vec![],
        in_room: base.in_room,
    };
    assert_eq!(
        refused_fields(about_a_full_member.count(&entitlement(20))),
        vec![(
            "candidates[0]".into(),
            "RECRUIT.CONVERSION.PROCEDURE_AND_VOTE".into()
        )]
    );
    let two = ConversionVote {
        candidates: vec![PROBATIONARY, MemberId(101)],
        opened_at: base.opened_at,
        present: base.present,
        written_opinions: vec![],
        in_room: base.in_room,
    };
    assert_eq!(
        refused_fields(two.count(&entitlement(20))),
        vec![(
            "candidates".into(),
            "RECRUIT.CONVERSION.PROCEDURE_AND_VOTE".into()
        )]
    );
}

/// 支部工作条例 第十一条: 半数以上有表决权的党员到会 (≥ half) and 赞成人数超过应到会的半数 (> half);
/// written opinions do not count.
#[test]
fn general_decision_quorum_at_least_half_passage_more_than_half_zhibu_tiaoli_art11() {
    // (present, yes, quorum met?, passed?) with 20 expected.
    let table = [
        (9, 9, false, false),
        (10, 10, true, false),
        (11, 10, true, false),
        (11, 11, true, true),
    ];
    for (present, yes, quorum, passed) in table {
        let base = admission_vote(present, yes, vec![]);
        let decision = GeneralDecision {
            subject: "评选优秀党员".into(),
            opened_at: base.opened_at,
            present: base.present,
            in_room: base.in_room,
        }
        .count(&entitlement(20))
        .expect("valid input");
        assert_eq!(
            (decision.quorum_met, decision.passed),
            (quorum, passed),
            "{yes} yes of {present} present"
        );
        assert_eq!(decision.quorum, AT_LEAST_HALF);
    }
    let with_written = VoteCounts {
        expected: 20,
        present: 10,
        in_room: Tally {
            yes: 10,
            no: 0,
            abstain: 0,
        },
        written: Tally {
            yes: 1,
            no: 0,
            abstain: 0,
        },
    };
    let errors = with_written
        .decide(&VoteRules::GENERAL_DECISION)
        .expect_err("no written opinions in ordinary votes");
    assert_eq!(
        (
            errors.errors[0].field.as_str(),
            errors.errors[0].code.as_str()
        ),
        ("written", "BRANCH.GENERAL_MEETING.QUORUM_MAJORITY")
    );
}

/// Secret ballot: each voter is accepted once; who voted and what was chosen are kept apart, and
/// the closed box is the same whatever the order of voting.
#[test]
fn ballot_box_accepts_each_voter_once_and_keeps_no_voter_choice_link_zhangcheng_art11() {
    let cast = |order: &[(i64, Choice)]| {
        let mut ballot_box: BallotBox<Choice> = BallotBox::open(entitlement(5), Tally::default());
        for (voter, choice) in order {
            ballot_box
                .cast(MemberId(*voter), *choice)
                .expect("first ballot");
        }
        ballot_box
    };
    let mut ballot_box = cast(&[(1, Choice::Yes), (2, Choice::No), (3, Choice::Yes)]);
    let again = ballot_box
        .cast(MemberId(1), Choice::No)
        .expect_err("second ballot");
    assert_eq!(
        (
            again.errors[0].field.as_str(),
            again.errors[0].code.as_str()
        ),
        ("voter", "already_voted")
    );
    let probationary = ballot_box
        .cast(PROBATIONARY, Choice::Yes)
        .expect_err("no vote");
    assert_eq!(probationary.errors[0].code, "ELECT.VOTING_RIGHTS");
    assert_eq!(ballot_box.ballots_returned(), 3);
    let closed = ballot_box.close();
    assert_eq!(
        closed.voters_who_voted,
        vec![MemberId(1), MemberId(2), MemberId(3)]
    );
    assert_eq!(
        closed.tally,
        Tally {
            yes: 2,
            no: 1,
            abstain: 0
        }
    );

    let other_order = cast(&[(3, Choice::Yes), (1, Choice::No), (2, Choice::Yes)]).close();
    assert_eq!(
        other_order, closed,
        "the stored box does not reveal who chose what, nor the order of voting"
    );
    let stored = serde_json::to_value(&closed).expect("serializes");
    assert_eq!(
        stored,
        serde_json::json!({ "voters_who_voted": [1, 2, 3], "tally": { "yes": 2, "no": 1, "abstain": 0 } })
    );
    let loaded: ClosedBallotBox<Tally> =
        serde_json::from_value(stored).expect("a store can load it");
    assert_eq!(loaded, closed);
}

/// 选举工作条例 第十三条: 差额不少于应选人数的20%, rounded up.
#[test]
fn candidates_at_least_seats_plus_twenty_percent_rounded_up_xuanju_tiaoli_art13() {
    let table = [
        (1, 2),
        (3, 4),
        (5, 6),
        (6, 8),
        (7, 9),
        (9, 11),
        (10, 12),
        (11, 14),
    ];
    for (seats, minimum) in table {
        assert_eq!(minimum_candidates(seats), minimum, "{seats} seats");
    }
    for (candidates, accepted) in [(5, false), (6, true)] {
        let election = election(5, candidates, 25, 25, &[]);
        let refused: Vec<(String, String)> = election.count().err().map_or(vec![], |errors| {
            errors
                .errors
                .into_iter()
                .map(|e| (e.field, e.code))
                .collect()
        });
        let expected = if accepted {
            vec![]
        } else {
            vec![(
                "candidates".to_string(),
                "ELECT.DIFFERENTIAL_20PCT".to_string(),
            )]
        };
        assert_eq!(refused, expected, "{candidates} candidates for 5 seats");
    }
    let further = Election {
        round: ElectionRound::Further,
        ..election(2, 2, 25, 25, &[])
    };
    assert!(
        further.count().is_ok(),
        "a further round is not held to the 20% margin"
    );
}

/// An election round: candidates 1..=n, `yes[i]` votes for candidate i+1, every present voter
/// issued and returning a ballot.
fn election(seats: u32, candidates: i64, expected: u32, present: u32, yes: &[u32]) -> Election {
    let list = ids(1..=candidates);
    let mut ballots = ElectionTally::empty(seats, &list);
    ballots.returned = present;
    for (entry, votes) in ballots.candidates.iter_mut().zip(yes) {
        entry.tally.yes = *votes;
        entry.tally.no = present - votes;
    }
    Election {
        round: ElectionRound::First,
        seats,
        candidates: list,
        expected,
        present,
        ballots_issued: present,
        ballots,
    }
}

/// 选举工作条例: 有选举权的到会人数超过应到会人数的4/5，会议有效 — 20 of 25 is exactly 4/5 and fails.
#[test]
fn election_valid_only_with_more_than_four_fifths_present_xuanju_tiaoli() {
    // (expected, present, valid?)
    let table = [
        (25, 20, false),
        (25, 21, true),
        (5, 4, false),
        (5, 5, true),
        (26, 20, false),
        (26, 21, true),
    ];
    for (expected, present, valid) in table {
        let outcome = election(3, 4, expected, present, &[present, present, present, 0])
            .count()
            .expect("valid input");
        assert_eq!(outcome.valid, valid, "{present} of {expected}");
        if valid {
            assert_eq!(outcome.next, ElectionNextStep::Complete);
        } else {
            assert_eq!(
                (outcome.next, outcome.void_reasons[0].code.as_str()),
                (ElectionNextStep::RepeatRound, "ELECT.QUORUM_4_5")
            );
            assert!(outcome.elected.is_empty());
        }
    }
}

/// 选举工作条例: 被选举人获得的赞成票超过实到会有选举权的人数的一半，始得当选 — exactly half fails.
#[test]
fn a_winner_needs_yes_from_more_than_half_of_those_present_xuanju_tiaoli() {
    // (present, yes for candidate 1, elected?)
    let table = [
        (22, 11, false),
        (22, 12, true),
        (21, 10, false),
        (21, 11, true),
    ];
    for (present, yes, elected) in table {
        let outcome = election(1, 2, 25, present, &[yes, 0])
            .count()
            .expect("valid input");
        assert_eq!(outcome.results[0].candidate, MemberId(1));
        assert_eq!(
            (
                outcome.results[0].reached_threshold,
                outcome.results[0].elected
            ),
            (elected, elected),
            "{yes} of {present}"
        );
    }
}

/// 选举工作条例: equal votes at the last seat — another round among those tied.
#[test]
fn a_tie_at_the_last_seat_goes_to_another_round_xuanju_tiaoli() {
    let outcome = election(3, 4, 25, 22, &[20, 18, 15, 15])
        .count()
        .expect("valid input");
    assert_eq!(outcome.elected, vec![MemberId(1), MemberId(2)]);
    assert_eq!(
        outcome.next,
        ElectionNextStep::AnotherRoundAmongTied {
            seats_left: 1,
            tied: vec![MemberId(3), MemberId(4)]
        }
    );
    let no_tie = election(3, 4, 25, 22, &[20, 18, 15, 14])
        .count()
        .expect("valid input");
    assert_eq!(
        (no_tie.elected, no_tie.next),
        (
            vec![MemberId(1), MemberId(2), MemberId(3)],
            ElectionNextStep::Complete
        )
    );
    // A tie among winners who all fit in the seats is no tie at all.
    let fits = election(3, 4, 25, 22, &[20, 15, 15, 3])
        .count()
        .expect("valid input");
    assert_eq!(
        (fits.elected.len(), fits.next),
        (3, ElectionNextStep::Complete)
    );
}

/// 选举工作条例: fewer winners than seats — another round for the seats left, or fewer seats with consent.
#[test]
fn too_few_winners_means_another_round_or_fewer_seats_xuanju_tiaoli() {
    let outcome = election(5, 6, 25, 22, &[20, 18, 15, 11, 10, 9])
        .count()
        .expect("valid input");
    assert_eq!(outcome.elected, vec![MemberId(1), MemberId(2), MemberId(3)]);
    assert_eq!(
        outcome.next,
        ElectionNextStep::AnotherRoundOrFewerSeatsWithConsent {
            seats_left: 2,
            remaining_candidates: vec![MemberId(4), MemberId(5), MemberId(6)]
        }
    );
}

/// More ballots returned than issued voids the round (local practice; RULES.md §11 item 2, basis
/// unconfirmed nationally). More ballots issued than voters present is refused as input.
#[test]
fn ballots_returned_beyond_those_issued_void_the_round_rules_md_11_2() {
    let mut stuffed = election(3, 4, 25, 21, &[20, 18, 15, 3]);
    stuffed.ballots.returned = 22;
    let outcome = stuffed.count().expect("valid input");
    assert!(!outcome.valid);
    assert_eq!(
        outcome
            .void_reasons
            .iter()
            .map(|r| (r.field.as_str(), r.code.as_str()))
            .collect::<Vec<_>>(),
        vec![(
            "ballots.returned",
            "ELECT.BALLOTS_RETURNED_NOT_MORE_THAN_ISSUED"
        )]
    );

    let over_issued = Election {
        ballots_issued: 22,
        ..election(3, 4, 25, 21, &[20, 18, 15, 3])
    };
    let errors = over_issued.count().expect_err("22 ballots for 21 voters");
    assert_eq!(errors.errors[0].field, "ballots_issued");
}

/// Election ballots through the box: a ballot with more yes marks than seats, or for someone not on
/// the list, is void; an unmarked candidate is an abstention; no one votes twice.
#[test]
fn election_ballots_are_counted_void_or_abstaining_as_marked_xuanju_tiaoli() {
    let candidates = ids(1..=3);
    let mut ballot_box: BallotBox<ElectionBallot> =
        BallotBox::open(entitlement(5), ElectionTally::empty(2, &candidates));
    let yes = |who: &[i64]| ElectionBallot {
        marks: who.iter().map(|id| (MemberId(*id), Choice::Yes)).collect(),
    };
    ballot_box
        .cast(MemberId(1), yes(&[1, 2]))
        .expect("valid ballot");
    ballot_box
        .cast(MemberId(2), yes(&[1, 2, 3]))
        .expect("void, but handed in");
    ballot_box
        .cast(MemberId(3), yes(&[9]))
        .expect("void, but handed in");
    ballot_box
        .cast(MemberId(4), ElectionBallot::default())
        .expect("all abstentions");
    assert!(
        ballot_box.cast(MemberId(4), yes(&[3])).is_err(),
        "no one votes twice"
    );
    let closed = ballot_box.close();
    assert_eq!((closed.tally.returned, closed.tally.void), (4, 2));
    let tallies: Vec<Tally> = closed.tally.candidates.iter().map(|c| c.tally).collect();
    assert_eq!(
        tallies,
        vec![
            Tally {
                yes: 1,
                no: 0,
                abstain: 1
            },
            Tally {
                yes: 1,
                no: 0,
                abstain: 1
            },
            Tally {
                yes: 0,
                no: 0,
                abstain: 2
            }
        ]
    );

    let round = Election {
        round: ElectionRound::First,
        seats: 2,
        candidates,
        expected: 5,
        present: 5,
        ballots_issued: 5,
        ballots: closed.tally,
    };
    let outcome = round.count().expect("valid input");
    assert!(outcome.valid);
    assert_eq!(
        outcome.next,
        ElectionNextStep::AnotherRoundOrFewerSeatsWithConsent {
            seats_left: 2,
            remaining_candidates: ids(1..=3)
        }
    );
}
