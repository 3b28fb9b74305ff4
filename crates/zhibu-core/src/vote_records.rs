//! Votes and elections as storage keeps them: a closed ballot box on one question
//! ([`VoteRecord`]) and the rounds of one election of a branch's leadership ([`ElectionRecord`]).
//!
//! Secrecy is a property of the *shape* of these records. A vote keeps who was entitled, who was
//! present, who took part and the totals — each list in member-id order, never in the order people
//! voted — and nothing that pairs a voter with a choice. Written opinions (书面意见) are kept the
//! same way: who handed one in and when, and their totals. Two meetings where the same people voted
//! differently but with the same totals therefore produce byte-identical records; the storage test
//! suites prove it on the raw tables of both databases.
//!
//! Lists must be in ascending id order and without repeats: a body in any other order is refused
//! rather than silently sorted, so what was stored is exactly what was sent and cannot carry the
//! order in which ballots were cast.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::admission::{AdmissionRecordId, Approval, ProbationProposal};
use crate::domain::{
    CommitteeTermId, LeadershipForm, MeetingId, MemberId, OrgId, Record, RecordKind,
};
use crate::voting::{
    Election, ElectionNextStep, ElectionOutcome, ElectionRound, ElectionTally, Tally, VoteCounts,
    VoteDecision, VoteKind, VoteRules, rule_error,
};
use crate::{FieldError, ValidationErrors};

macro_rules! local_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name(pub i64);

        impl From<i64> for $name {
            fn from(value: i64) -> Self {
                $name(value)
            }
        }

        impl From<$name> for i64 {
            fn from(value: $name) -> i64 {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

local_id!(
    /// A closed vote on one question ([`VoteRecord`]).
    VoteId
);
local_id!(
    /// An election of a branch's leadership with its rounds ([`ElectionRecord`]).
    ElectionId
);

/// What was put to the vote. Admission and conversion name the person's admission record; each
/// concerns exactly one person (a list only so that a vote naming two can be refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum VoteQuestion {
    /// 接收预备党员
    Admission { candidates: Vec<AdmissionRecordId> },
    /// 预备党员转正、延长预备期或取消预备党员资格
    Conversion {
        candidates: Vec<AdmissionRecordId>,
        proposal: ProbationProposal,
    },
    /// Any other decision of the general meeting.
    GeneralDecision { subject: String },
}

impl VoteQuestion {
    pub fn kind(&self) -> VoteKind {
        match self {
            VoteQuestion::Admission { .. } => VoteKind::Admission,
            VoteQuestion::Conversion { .. } => VoteKind::Conversion,
            VoteQuestion::GeneralDecision { .. } => VoteKind::GeneralDecision,
        }
    }

    pub fn candidates(&self) -> &[AdmissionRecordId] {
        match self {
            VoteQuestion::Admission { candidates }
            | VoteQuestion::Conversion { candidates, .. } => candidates,
            VoteQuestion::GeneralDecision { .. } => &[],
        }
    }

    /// The rule that says one person at a time, for admission and conversion.
    fn one_by_one_rule(&self) -> Option<&'static str> {
        match self {
            VoteQuestion::Admission { .. } => Some("RECRUIT.MEETING.ONE_BY_ONE"),
            VoteQuestion::Conversion { .. } => Some("RECRUIT.CONVERSION.PROCEDURE_AND_VOTE"),
            VoteQuestion::GeneralDecision { .. } => None,
        }
    }
}

/// How the votes were taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BallotMethod {
    /// 无记名投票: required for admission (发展党员工作细则 第二十条).
    SecretBallot,
    /// 举手表决
    ShowOfHands,
}

/// A written opinion handed in before the meeting by an entitled member who could not come: who
/// and when. What it said is only in [`VoteRecord::written`], added to the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WrittenOpinionReceipt {
    pub voter: MemberId,
    /// When the branch received it, China Standard Time.
    pub handed_in_at: NaiveDateTime,
}

/// A closed ballot box on one question at one general meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoteRecord {
    /// The branch.
    pub org_id: OrgId,
    /// The general meeting at which the vote was taken.
    pub meeting_id: MeetingId,
    pub question: VoteQuestion,
    pub method: BallotMethod,
    /// When the vote opened, China Standard Time: the entitlement is frozen on its date.
    pub opened_at: NaiveDateTime,
    /// Who had a vote when it opened (应到会有表决权的党员), ascending ids: full members of the
    /// branch not under 留党察看 and without suspended rights; never probationary members.
    pub entitled: Vec<MemberId>,
    /// The entitled members present (实到), ascending ids.
    pub present: Vec<MemberId>,
    /// Those who handed in a ballot or raised a hand, ascending ids — never in the order they voted.
    pub voted: Vec<MemberId>,
    /// The totals in the room.
    pub in_room: Tally,
    /// Written opinions handed in before the meeting, ascending by voter.
    #[serde(default)]
    pub written_opinions: Vec<WrittenOpinionReceipt>,
    /// What the written opinions said, added up.
    #[serde(default)]
    pub written: Tally,
}

fn strictly_ascending(list: &[MemberId], field: &str, errors: &mut ValidationErrors) {
    for (index, pair) in list.windows(2).enumerate() {
        if pair[0] == pair[1] {
            errors.add(
                format!("{field}[{}]", index + 1),
                "duplicate",
                format!("{}重复列出：每人只计一次", pair[1]),
                format!("{} is listed twice: each person counts once", pair[1]),
            );
        } else if pair[0] > pair[1] {
            errors.add(
                format!("{field}[{}]", index + 1),
                "not_in_id_order",
                "名单须按党员编号从小到大排列，不得保留投票先后顺序",
                "the list must be in ascending member-id order, never in the order people voted",
            );
        }
    }
}

impl VoteRecord {
    pub fn rules(&self) -> VoteRules {
        VoteRules::for_kind(self.question.kind())
    }

    pub fn counts(&self) -> VoteCounts {
        VoteCounts {
            expected: u32::try_from(self.entitled.len()).unwrap_or(u32::MAX),
            present: u32::try_from(self.present.len()).unwrap_or(u32::MAX),
            in_room: self.in_room,
            written: self.written,
        }
    }

    /// The result with its arithmetic, or every reason the record cannot stand.
    pub fn decide(&self) -> Result<VoteDecision, ValidationErrors> {
        let rules = self.rules();
        let mut errors = ValidationErrors::new();
        if let Some(rule) = self.question.one_by_one_rule() {
            let count = self.question.candidates().len();
            if count != 1 {
                errors.push(rule_error(
                    "question.candidates",
                    rule,
                    format!("一次表决只能针对一名对象，本次列了{count}名：两个以上的，必须逐个讨论和表决"),
                    format!("a vote concerns exactly one person, this one names {count}: each must be discussed and voted on separately"),
                ));
            }
        }
        if let VoteQuestion::GeneralDecision { subject } = &self.question
            && subject.trim().is_empty()
        {
            errors.add(
                "question.subject",
                "required",
                "表决事项不能为空",
                "the subject of the vote is required",
            );
        }
        if self.question.kind() == VoteKind::Admission && self.method != BallotMethod::SecretBallot
        {
            errors.push(rule_error(
                "method",
                "RECRUIT.MEETING.MAJORITY_AND_WRITTEN_VOTES",
                "接收预备党员须采取无记名投票方式表决",
                "admission is decided by secret ballot",
            ));
        }
        strictly_ascending(&self.entitled, "entitled", &mut errors);
        strictly_ascending(&self.present, "present", &mut errors);
        strictly_ascending(&self.voted, "voted", &mut errors);
        let entitled: BTreeSet<MemberId> = self.entitled.iter().copied().collect();
        let present: BTreeSet<MemberId> = self.present.iter().copied().collect();
        for (index, member) in self.present.iter().enumerate() {
            if !entitled.contains(member) {
                errors.push(rule_error(
                    format!("present[{index}]"),
                    rules.quorum_rule,
                    format!("{member}在表决时没有表决权（预备党员、留党察看或权利中止），不计入实到人数"),
                    format!("{member} had no vote when it opened (probationary, under Party probation or rights suspended) and cannot count as present"),
                ));
            }
        }
        for (index, member) in self.voted.iter().enumerate() {
            if !present.contains(member) {
                errors.push(rule_error(
                    format!("voted[{index}]"),
                    rules.quorum_rule,
                    format!("{member}不在实到有表决权的党员之列，不能在会场投票"),
                    format!("{member} is not among the voting members present and cannot vote in the room"),
                ));
            }
        }
        if self.in_room.total() <= u64::from(self.counts().present)
            && self.in_room.total() != self.voted.len() as u64
        {
            errors.push(rule_error(
                "in_room",
                rules.passage_rule,
                format!(
                    "会场票数合计{}，与参加投票的{}人不符",
                    self.in_room.total(),
                    self.voted.len()
                ),
                format!(
                    "the room's counts add up to {} but {} people voted",
                    self.in_room.total(),
                    self.voted.len()
                ),
            ));
        }
        for (index, pair) in self.written_opinions.windows(2).enumerate() {
            if pair[0].voter == pair[1].voter {
                errors.push(rule_error(
                    format!("written_opinions[{}].voter", index + 1),
                    rules.passage_rule,
                    format!("{}提交了两份书面意见：每人只能投一票", pair[1].voter),
                    format!(
                        "{} handed in two written opinions: no one votes twice",
                        pair[1].voter
                    ),
                ));
            } else if pair[0].voter > pair[1].voter {
                errors.add(
                    format!("written_opinions[{}].voter", index + 1),
                    "not_in_id_order",
                    "书面意见须按党员编号从小到大排列",
                    "written opinions must be in ascending member-id order",
                );
            }
        }
        for (index, opinion) in self.written_opinions.iter().enumerate() {
            let field = format!("written_opinions[{index}]");
            if !entitled.contains(&opinion.voter) {
                errors.push(rule_error(
                    format!("{field}.voter"),
                    rules.passage_rule,
                    format!("{}没有表决权，其书面意见不能计入票数", opinion.voter),
                    format!(
                        "{} has no vote, so their written opinion cannot be counted",
                        opinion.voter
                    ),
                ));
            }
            if present.contains(&opinion.voter) {
                errors.push(rule_error(
                    format!("{field}.voter"),
                    rules.passage_rule,
                    format!(
                        "{}到会表决，书面意见不再计入：每人只能投一票",
                        opinion.voter
                    ),
                    format!(
                        "{} was present and voted in the room: no one votes twice",
                        opinion.voter
                    ),
                ));
            }
            if opinion.handed_in_at >= self.opened_at {
                errors.push(rule_error(
                    format!("{field}.handed_in_at"),
                    rules.passage_rule,
                    format!(
                        "书面意见须在党员大会召开前提出，{}时已在表决开始（{}）之后",
                        opinion.handed_in_at, self.opened_at
                    ),
                    format!(
                        "a written opinion counts only if handed in before the meeting; {} is not before the vote opened at {}",
                        opinion.handed_in_at, self.opened_at
                    ),
                ));
            }
        }
        if rules.counts_written_opinions
            && self.written.total() != self.written_opinions.len() as u64
        {
            errors.push(rule_error(
                "written",
                rules.passage_rule,
                format!(
                    "书面意见合计{}票，与提交书面意见的{}人不符",
                    self.written.total(),
                    self.written_opinions.len()
                ),
                format!(
                    "the written opinions add up to {} but {} people handed one in",
                    self.written.total(),
                    self.written_opinions.len()
                ),
            ));
        }
        if !rules.counts_written_opinions && !self.written_opinions.is_empty() {
            errors.push(rule_error(
                "written_opinions",
                rules.passage_rule,
                "此类表决不计书面意见",
                "written opinions are not counted in this kind of vote",
            ));
        }
        let decision = self.counts().decide(&rules);
        if let Err(count_errors) = &decision {
            errors.extend_prefixed("", count_errors.clone());
        }
        errors.into_result()?;
        decision
    }
}

impl Record for VoteRecord {
    const KIND: RecordKind = RecordKind::Vote;
    type Id = VoteId;

    fn scope_org(&self) -> Option<OrgId> {
        Some(self.org_id)
    }

    fn event_date(&self) -> NaiveDate {
        self.opened_at.date()
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        self.decide().map(|_| ())
    }
}

/// One round of an election as counted: who stood, who was present, ballots issued and the tally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ElectionRoundRecord {
    /// Seats to fill in this round.
    pub seats: u32,
    /// Candidates, ascending ids.
    pub candidates: Vec<MemberId>,
    /// Members with voting rights present (those who took part), ascending ids.
    pub present: Vec<MemberId>,
    pub ballots_issued: u32,
    pub ballots: ElectionTally,
}

/// The election of a branch's committee (or secretary) at one general meeting, round by round,
/// and the report of the result upwards for approval of the secretary and deputy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ElectionRecord {
    pub org_id: OrgId,
    pub meeting_id: MeetingId,
    pub held_on: NaiveDate,
    /// The term this election renews (换届), if it is on record.
    #[serde(default)]
    pub previous_term: Option<CommitteeTermId>,
    pub form: LeadershipForm,
    /// Seats to be filled (应选人数).
    pub seats: u32,
    /// Members with voting rights on the day (应到会有选举权的党员), ascending ids.
    pub entitled: Vec<MemberId>,
    /// In order: the formal round, then any further rounds.
    pub rounds: Vec<ElectionRoundRecord>,
    /// With the meeting's consent, the seats were reduced to those elected (减少名额).
    #[serde(default)]
    pub seats_reduced_with_consent: Option<u32>,
    /// Chosen among those elected; reported up for approval.
    #[serde(default)]
    pub secretary: Option<MemberId>,
    #[serde(default)]
    pub deputy_secretary: Option<MemberId>,
    /// The day the result was sent up (报上级党组织批准).
    #[serde(default)]
    pub reported_on: Option<NaiveDate>,
    /// The upper organization's decision on the secretary and deputy.
    #[serde(default)]
    pub approval: Option<Approval>,
}

/// One round counted, with the seats it was for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountedRound {
    pub round: ElectionRound,
    pub seats: u32,
    pub expected: u32,
    pub present: u32,
    pub outcome: ElectionOutcome,
}

/// Where an election stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElectionStanding {
    pub rounds: Vec<CountedRound>,
    /// Everyone elected so far, in the order of the rounds.
    pub elected: Vec<MemberId>,
    /// Seats to fill: the seats, or fewer with the meeting's consent.
    pub seats: u32,
    /// Every seat filled (or the seats reduced to those elected).
    pub complete: bool,
    /// What the last round said should happen next; `None` before any round.
    pub next: Option<ElectionNextStep>,
}

impl ElectionRecord {
    /// Counts every round and says where the election stands, or every reason it cannot stand.
    pub fn standing(&self) -> Result<ElectionStanding, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        strictly_ascending(&self.entitled, "entitled", &mut errors);
        let entitled: BTreeSet<MemberId> = self.entitled.iter().copied().collect();
        let expected = u32::try_from(self.entitled.len()).unwrap_or(u32::MAX);
        if self.seats == 0 {
            errors.add(
                "seats",
                "required",
                "应选人数至少为1",
                "at least one seat is to be filled",
            );
        }
        let mut counted = Vec::new();
        let mut elected: Vec<MemberId> = Vec::new();
        let mut next: Option<ElectionNextStep> = None;
        for (index, round) in self.rounds.iter().enumerate() {
            let prefix = format!("rounds[{index}].");
            let mut round_errors = ValidationErrors::new();
            strictly_ascending(&round.candidates, "candidates", &mut round_errors);
            strictly_ascending(&round.present, "present", &mut round_errors);
            for (position, member) in round.present.iter().enumerate() {
                if !entitled.contains(member) {
                    round_errors.push(rule_error(
                        format!("present[{position}]"),
                        "ELECT.VOTING_RIGHTS",
                        format!("{member}没有选举权，不计入实到人数"),
                        format!("{member} has no right to vote and cannot count as present"),
                    ));
                }
            }
            for (position, member) in round.candidates.iter().enumerate() {
                if !entitled.contains(member) {
                    round_errors.push(rule_error(
                        format!("candidates[{position}]"),
                        "ELECT.VOTING_RIGHTS",
                        format!("{member}没有被选举权（预备党员、留党察看或权利中止），不能作候选人"),
                        format!("{member} cannot be elected (probationary, under Party probation or rights suspended)"),
                    ));
                }
                if elected.contains(member) {
                    round_errors.add(
                        format!("candidates[{position}]"),
                        "already_elected",
                        format!("{member}已在前一轮当选"),
                        format!("{member} was elected in an earlier round"),
                    );
                }
            }
            let kind = if index == 0 {
                ElectionRound::First
            } else {
                ElectionRound::Further
            };
            // A further round fills what the previous one left, among those it names.
            match (&next, index) {
                (_, 0) => {
                    if round.seats != self.seats {
                        round_errors.add(
                            "seats",
                            "mismatch",
                            format!("正式选举应选{}名，与本次选举的应选人数不符", self.seats),
                            format!("the formal round must fill all {} seats", self.seats),
                        );
                    }
                }
                (Some(ElectionNextStep::Complete), _) => round_errors.add(
                    "seats",
                    "election_complete",
                    "名额已选满，不能再进行一轮选举",
                    "every seat is filled; there is no further round",
                ),
                (Some(ElectionNextStep::RepeatRound), _) => {
                    let previous = &self.rounds[index - 1];
                    if round.seats != previous.seats {
                        round_errors.add(
                            "seats",
                            "mismatch",
                            format!("上一轮无效，重新选举应选{}名", previous.seats),
                            format!(
                                "the previous round was void; the repeat fills its {} seats",
                                previous.seats
                            ),
                        );
                    }
                }
                (Some(ElectionNextStep::AnotherRoundAmongTied { seats_left, tied }), _) => {
                    if round.seats != *seats_left {
                        round_errors.push(rule_error(
                            "seats",
                            "ELECT.WIN_THRESHOLD",
                            format!("得票相等，应就剩余的{seats_left}个名额再次投票"),
                            format!(
                                "after a tie, the further round fills the {seats_left} seats left"
                            ),
                        ));
                    }
                    for (position, member) in round.candidates.iter().enumerate() {
                        if !tied.contains(member) {
                            round_errors.push(rule_error(
                                format!("candidates[{position}]"),
                                "ELECT.WIN_THRESHOLD",
                                format!("{member}不在得票相等的候选人之中"),
                                format!("{member} was not among those tied"),
                            ));
                        }
                    }
                }
                (
                    Some(ElectionNextStep::AnotherRoundOrFewerSeatsWithConsent {
                        seats_left,
                        remaining_candidates,
                    }),
                    _,
                ) => {
                    if self.seats_reduced_with_consent.is_some() {
                        round_errors.add(
                            "seats",
                            "seats_reduced",
                            "已经同意减少名额，不再另行选举",
                            "the seats were reduced with consent; there is no further round",
                        );
                    }
                    if round.seats != *seats_left {
                        round_errors.push(rule_error(
                            "seats",
                            "ELECT.WIN_THRESHOLD",
                            format!("当选人数不足，另行选举应就差额{seats_left}名进行"),
                            format!("too few were elected; the further round fills the {seats_left} seats left"),
                        ));
                    }
                    for (position, member) in round.candidates.iter().enumerate() {
                        if !remaining_candidates.contains(member) {
                            round_errors.push(rule_error(
                                format!("candidates[{position}]"),
                                "ELECT.WIN_THRESHOLD",
                                format!("{member}不在未当选的候选人之中"),
                                format!("{member} was not among the candidates not elected"),
                            ));
                        }
                    }
                }
                (None, _) => {}
            }
            let election = Election {
                round: kind,
                seats: round.seats,
                candidates: round.candidates.clone(),
                expected,
                present: u32::try_from(round.present.len()).unwrap_or(u32::MAX),
                ballots_issued: round.ballots_issued,
                ballots: round.ballots.clone(),
            };
            match election.count() {
                Ok(outcome) if round_errors.is_empty() => {
                    elected.extend(outcome.elected.iter().copied());
                    next = Some(outcome.next.clone());
                    counted.push(CountedRound {
                        round: kind,
                        seats: round.seats,
                        expected,
                        present: election.present,
                        outcome,
                    });
                }
                Ok(_) => errors.extend_prefixed(&prefix, round_errors),
                Err(count_errors) => {
                    errors.extend_prefixed(&prefix, round_errors);
                    errors.extend_prefixed(&prefix, count_errors);
                }
            }
        }
        let mut seats = self.seats;
        if let Some(reduced) = self.seats_reduced_with_consent {
            let allowed = matches!(
                next,
                Some(ElectionNextStep::AnotherRoundOrFewerSeatsWithConsent { .. })
            );
            if !allowed || reduced as usize != elected.len() || reduced == 0 {
                errors.push(rule_error(
                    "seats_reduced_with_consent",
                    "ELECT.WIN_THRESHOLD",
                    format!(
                        "只有当选人数不足时，经党员大会同意，才能把名额减少到已当选的{}名",
                        elected.len()
                    ),
                    format!(
                        "seats can be reduced, with the meeting's consent, only when too few were elected, and only to the {} elected",
                        elected.len()
                    ),
                ));
            } else {
                seats = reduced;
            }
        }
        let complete = !elected.is_empty() && elected.len() == seats as usize;
        for (field, person) in [
            ("secretary", self.secretary),
            ("deputy_secretary", self.deputy_secretary),
        ] {
            if let Some(person) = person
                && !elected.contains(&person)
            {
                errors.push(rule_error(
                    field,
                    "ELECT.VOTING_RIGHTS",
                    format!("{person}不在当选的委员之中"),
                    format!("{person} is not among those elected"),
                ));
            }
        }
        if self.secretary.is_some() && self.secretary == self.deputy_secretary {
            errors.add(
                "deputy_secretary",
                "same_as_secretary",
                "书记和副书记不能是同一人",
                "the secretary and the deputy must be different people",
            );
        }
        if let Some(reported) = self.reported_on {
            if !complete {
                errors.add(
                    "reported_on",
                    "election_incomplete",
                    "名额尚未选满，不能上报选举结果",
                    "the result cannot be sent up before every seat is filled",
                );
            }
            if self.secretary.is_none() {
                errors.add(
                    "secretary",
                    "required",
                    "上报选举结果须写明书记人选",
                    "the report names the secretary",
                );
            }
            if reported < self.held_on {
                errors.add(
                    "reported_on",
                    "before_election",
                    "上报日期早于选举日期",
                    "the report cannot precede the election",
                );
            }
        }
        if let Some(approval) = &self.approval {
            match self.reported_on {
                None => errors.add(
                    "approval",
                    "not_reported",
                    "选举结果尚未上报，不能记录批复",
                    "the result was not sent up, so there is no decision on it",
                ),
                Some(reported) if approval.decided_on < reported => errors.add(
                    "approval.decided_on",
                    "before_report",
                    "批复日期早于上报日期",
                    "the decision cannot precede the report",
                ),
                _ => {}
            }
        }
        errors.into_result()?;
        Ok(ElectionStanding {
            rounds: counted,
            elected,
            seats,
            complete,
            next,
        })
    }
}

impl Record for ElectionRecord {
    const KIND: RecordKind = RecordKind::Election;
    type Id = ElectionId;

    fn scope_org(&self) -> Option<OrgId> {
        Some(self.org_id)
    }

    fn event_date(&self) -> NaiveDate {
        [
            Some(self.held_on),
            self.reported_on,
            self.approval.as_ref().map(|approval| approval.decided_on),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.held_on)
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        self.standing().map(|_| ())
    }
}

/// A refusal naming a voting rule, for the storage checks.
pub fn voting_rule_error(
    field: impl Into<String>,
    rule_id: &str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> FieldError {
    rule_error(field, rule_id, zh, en)
}
