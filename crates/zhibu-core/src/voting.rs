//! Votes of a branch general meeting — admission of a probationary member, conversion to full
//! member, other decisions — and elections of a branch committee (换届选举).
//!
//! Every threshold is an explicit [`Ratio`], read as RULES.md §0 says: 以上 includes the number (≥),
//! 超过 excludes it (>). Who may vote is frozen when the vote opens ([`VoteEntitlement::freeze`]):
//! full members only, minus those under 留党察看 or with suspended rights; probationary members never
//! vote (章程 第七条, 选举工作条例 第五条).
//!
//! Secret ballots: a [`BallotBox`] records *that* a member voted and *what* was chosen in two
//! places that never meet. Choices are folded into a tally the moment they are cast, so no
//! voter-to-choice link exists even in memory. Only a closed box can be serialized, so a store
//! persists the final register and tally once; persisting an open box after every ballot in a
//! versioned table would let anyone who compares two versions read one voter's choice.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::admission::AdmissionRecordId;
use crate::domain::{Member, MemberId, OrgId};
use crate::rules::{Comparison, Ratio};
use crate::{FieldError, ValidationErrors};

/// 半数 with 超过: more than half.
pub const MORE_THAN_HALF: Ratio = Ratio {
    numerator: 1,
    denominator: 2,
    comparison: Comparison::MoreThan,
};
/// 半数以上: at least half.
pub const AT_LEAST_HALF: Ratio = Ratio {
    numerator: 1,
    denominator: 2,
    comparison: Comparison::AtLeast,
};
/// 超过应到会人数的4/5 (election quorum).
pub const MORE_THAN_FOUR_FIFTHS: Ratio = Ratio {
    numerator: 4,
    denominator: 5,
    comparison: Comparison::MoreThan,
};

/// Where each voting rule comes from, for messages: (rule id, document, article).
struct VotingRule {
    id: &'static str,
    document_zh: &'static str,
    document_en: &'static str,
    article_zh: &'static str,
    article_en: &'static str,
}

const VOTING_RULES: &[VotingRule] = &[
    VotingRule {
        id: "RECRUIT.MEETING.QUORUM",
        document_zh: "《中国共产党发展党员工作细则》",
        document_en: "Detailed Rules on Recruiting Party Members",
        article_zh: "第十九条",
        article_en: "art. 19",
    },
    VotingRule {
        id: "RECRUIT.MEETING.MAJORITY_AND_WRITTEN_VOTES",
        document_zh: "《中国共产党发展党员工作细则》",
        document_en: "Detailed Rules on Recruiting Party Members",
        article_zh: "第二十条",
        article_en: "art. 20",
    },
    VotingRule {
        id: "RECRUIT.MEETING.ONE_BY_ONE",
        document_zh: "《中国共产党发展党员工作细则》",
        document_en: "Detailed Rules on Recruiting Party Members",
        article_zh: "第二十条",
        article_en: "art. 20",
    },
    VotingRule {
        id: "RECRUIT.CONVERSION.PROCEDURE_AND_VOTE",
        document_zh: "《中国共产党发展党员工作细则》",
        document_en: "Detailed Rules on Recruiting Party Members",
        article_zh: "第三十二条",
        article_en: "art. 32",
    },
    VotingRule {
        id: "BRANCH.GENERAL_MEETING.QUORUM_MAJORITY",
        document_zh: "《中国共产党支部工作条例（试行）》",
        document_en: "Regulations on the Work of Party Branches (Trial)",
        article_zh: "第十一条",
        article_en: "art. 11",
    },
    VotingRule {
        id: "ELECT.VOTING_RIGHTS",
        document_zh: "《中国共产党基层组织选举工作条例》",
        document_en: "Regulations on Elections in Grassroots Party Organizations",
        article_zh: "第五条",
        article_en: "art. 5",
    },
    VotingRule {
        id: "ELECT.DIFFERENTIAL_20PCT",
        document_zh: "《中国共产党基层组织选举工作条例》",
        document_en: "Regulations on Elections in Grassroots Party Organizations",
        article_zh: "第十三条",
        article_en: "art. 13",
    },
    VotingRule {
        id: "ELECT.QUORUM_4_5",
        document_zh: "《中国共产党基层组织选举工作条例》",
        document_en: "Regulations on Elections in Grassroots Party Organizations",
        article_zh: "条款号不详",
        article_en: "article unknown",
    },
    VotingRule {
        id: "ELECT.WIN_THRESHOLD",
        document_zh: "《中国共产党基层组织选举工作条例》",
        document_en: "Regulations on Elections in Grassroots Party Organizations",
        article_zh: "条款号不详",
        article_en: "article unknown",
    },
    // RULES.md §11 item 2 records this as local practice with no national text and no rule id; the
    // id is the project's own, and the message says the basis is unconfirmed.
    VotingRule {
        id: "ELECT.BALLOTS_RETURNED_NOT_MORE_THAN_ISSUED",
        document_zh: "地方选举实践（全国依据未核实）",
        document_en: "local election practice (national basis unconfirmed)",
        article_zh: "条款号不详",
        article_en: "article unknown",
    },
];

/// `（RULE.ID，《文件》第X条）` and `(RULE.ID, Document, art. X)`.
pub fn cite(rule_id: &str) -> (String, String) {
    match VOTING_RULES.iter().find(|rule| rule.id == rule_id) {
        Some(rule) => (
            format!("（{}，{}{}）", rule.id, rule.document_zh, rule.article_zh),
            format!("({}, {}, {})", rule.id, rule.document_en, rule.article_en),
        ),
        None => (format!("（{rule_id}）"), format!("({rule_id})")),
    }
}

pub(crate) fn rule_error(
    field: impl Into<String>,
    rule_id: &str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> FieldError {
    let (cite_zh, cite_en) = cite(rule_id);
    FieldError::new(
        field,
        rule_id,
        format!("{}{cite_zh}", zh.into()),
        format!("{} {cite_en}", en.into()),
    )
}

/// What a general meeting votes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum VoteKind {
    /// 接收预备党员
    Admission,
    /// 预备党员转正（或延长预备期、取消预备党员资格）
    Conversion,
    /// 其他党员大会决定事项
    GeneralDecision,
}

impl VoteKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            VoteKind::Admission => "接收预备党员表决",
            VoteKind::Conversion => "预备党员转正表决",
            VoteKind::GeneralDecision => "党员大会表决",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            VoteKind::Admission => "vote on admission",
            VoteKind::Conversion => "vote on conversion",
            VoteKind::GeneralDecision => "general-meeting vote",
        }
    }
}

/// The thresholds of one kind of vote, each comparison written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VoteRules {
    pub kind: VoteKind,
    /// Present voters as a share of expected voters.
    pub quorum_of_expected: Ratio,
    /// Yes votes as a share of expected voters (not of those present).
    pub passage_of_expected: Ratio,
    /// Whether written opinions handed in before the meeting by absent voters are counted.
    pub counts_written_opinions: bool,
    pub quorum_rule: &'static str,
    pub passage_rule: &'static str,
}

impl VoteRules {
    /// 发展党员工作细则 第十九条: 实际到会有表决权的党员人数必须超过应到会有表决权的党员人数的半数;
    /// 第二十条: 赞成人数超过应到会有表决权的党员人数的半数, written opinions counted.
    pub const ADMISSION: VoteRules = VoteRules {
        kind: VoteKind::Admission,
        quorum_of_expected: MORE_THAN_HALF,
        passage_of_expected: MORE_THAN_HALF,
        counts_written_opinions: true,
        quorum_rule: "RECRUIT.MEETING.QUORUM",
        passage_rule: "RECRUIT.MEETING.MAJORITY_AND_WRITTEN_VOTES",
    };

    /// 发展党员工作细则 第三十二条: the same attendance and yes requirements as for admission.
    pub const CONVERSION: VoteRules = VoteRules {
        kind: VoteKind::Conversion,
        quorum_of_expected: MORE_THAN_HALF,
        passage_of_expected: MORE_THAN_HALF,
        counts_written_opinions: true,
        quorum_rule: "RECRUIT.CONVERSION.PROCEDURE_AND_VOTE",
        passage_rule: "RECRUIT.CONVERSION.PROCEDURE_AND_VOTE",
    };

    /// 支部工作条例 第十一条: 半数以上有表决权的党员到会 (≥), 赞成人数超过应到会有表决权的党员的半数 (>).
    pub const GENERAL_DECISION: VoteRules = VoteRules {
        kind: VoteKind::GeneralDecision,
        quorum_of_expected: AT_LEAST_HALF,
        passage_of_expected: MORE_THAN_HALF,
        counts_written_opinions: false,
        quorum_rule: "BRANCH.GENERAL_MEETING.QUORUM_MAJORITY",
        passage_rule: "BRANCH.GENERAL_MEETING.QUORUM_MAJORITY",
    };

    pub fn for_kind(kind: VoteKind) -> VoteRules {
        match kind {
            VoteKind::Admission => VoteRules::ADMISSION,
            VoteKind::Conversion => VoteRules::CONVERSION,
            VoteKind::GeneralDecision => VoteRules::GENERAL_DECISION,
        }
    }
}

/// One voter's answer on one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// 赞成
    Yes,
    /// 反对
    No,
    /// 弃权
    Abstain,
}

/// Counts of answers on one question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tally {
    pub yes: u32,
    pub no: u32,
    pub abstain: u32,
}

impl Tally {
    pub fn total(&self) -> u64 {
        u64::from(self.yes) + u64::from(self.no) + u64::from(self.abstain)
    }

    pub fn add(&mut self, choice: Choice) {
        match choice {
            Choice::Yes => self.yes += 1,
            Choice::No => self.no += 1,
            Choice::Abstain => self.abstain += 1,
        }
    }
}

/// The counts of a vote as the minutes record them; the input of [`VoteCounts::decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoteCounts {
    /// 应到会有表决权的党员人数.
    pub expected: u32,
    /// 实际到会有表决权的党员人数.
    pub present: u32,
    /// Ballots cast in the room.
    pub in_room: Tally,
    /// Written opinions counted: handed in before the meeting by entitled voters who did not come.
    #[serde(default)]
    pub written: Tally,
}

/// The result of a vote, with the counts that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoteDecision {
    pub kind: VoteKind,
    pub expected: u32,
    pub present: u32,
    pub yes_in_room: u32,
    pub written_yes_counted: u32,
    pub yes_counted: u32,
    pub quorum: Ratio,
    pub passage: Ratio,
    pub quorum_met: bool,
    pub passed: bool,
    /// Written opinions that were handed in but not counted, and why.
    pub written_opinions_not_counted: Vec<OpinionNotCounted>,
    pub message_zh: String,
    pub message_en: String,
}

impl VoteCounts {
    /// Decides the vote. Impossible counts (more ballots than people present, more people than
    /// expected, written opinions where the rules count none) are refused, naming the field.
    pub fn decide(&self, rules: &VoteRules) -> Result<VoteDecision, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.present > self.expected {
            errors.push(rule_error(
                "present",
                rules.quorum_rule,
                format!(
                    "实到有表决权的党员{}人多于应到会{}人",
                    self.present, self.expected
                ),
                format!(
                    "{} voting members present is more than the {} expected",
                    self.present, self.expected
                ),
            ));
        }
        if self.in_room.total() > u64::from(self.present) {
            errors.push(rule_error(
                "in_room",
                rules.passage_rule,
                format!(
                    "收回选票{}张，多于实到有表决权的党员{}人",
                    self.in_room.total(),
                    self.present
                ),
                format!(
                    "{} ballots were counted but only {} voting members were present",
                    self.in_room.total(),
                    self.present
                ),
            ));
        }
        if !rules.counts_written_opinions && self.written.total() > 0 {
            errors.push(rule_error(
                "written",
                rules.passage_rule,
                "此类表决不计书面意见",
                "written opinions are not counted in this kind of vote",
            ));
        } else if u64::from(self.present) + self.written.total() > u64::from(self.expected) {
            errors.push(rule_error(
                "written",
                rules.passage_rule,
                format!("书面意见{}份加实到{}人，多于应到会{}人：书面意见只能来自未到会的有表决权党员", self.written.total(), self.present, self.expected),
                format!(
                    "{} written opinions plus {} present exceed the {} expected: written opinions come only from entitled members who did not attend",
                    self.written.total(),
                    self.present,
                    self.expected
                ),
            ));
        }
        errors.into_result()?;
        Ok(self.decision(rules, Vec::new()))
    }

    fn decision(
        &self,
        rules: &VoteRules,
        written_opinions_not_counted: Vec<OpinionNotCounted>,
    ) -> VoteDecision {
        let written_yes_counted = if rules.counts_written_opinions {
            self.written.yes
        } else {
            0
        };
        let yes_counted = self.in_room.yes + written_yes_counted;
        let quorum_met = rules
            .quorum_of_expected
            .is_met(u64::from(self.present), u64::from(self.expected));
        let passage_met = rules
            .passage_of_expected
            .is_met(u64::from(yes_counted), u64::from(self.expected));
        let passed = quorum_met && passage_met;
        let (quorum_zh, quorum_en) = (
            rules.quorum_of_expected.describe_zh(),
            rules.quorum_of_expected.describe_en(),
        );
        let (passage_zh, passage_en) = (
            rules.passage_of_expected.describe_zh(),
            rules.passage_of_expected.describe_en(),
        );
        let (message_zh, message_en) = if !quorum_met {
            let (cite_zh, cite_en) = cite(rules.quorum_rule);
            (
                format!(
                    "应到会有表决权的党员{}人，实到{}人，未达到应到会人数的{quorum_zh}，不能表决{cite_zh}",
                    self.expected, self.present
                ),
                format!(
                    "{} of {} expected voting members were present, not {quorum_en} of those expected: no valid vote {cite_en}",
                    self.present, self.expected
                ),
            )
        } else if !passage_met {
            let (cite_zh, cite_en) = cite(rules.passage_rule);
            (
                format!(
                    "赞成{yes_counted}票（含书面意见{written_yes_counted}票），未达到应到会有表决权党员{}人的{passage_zh}，未通过{cite_zh}",
                    self.expected
                ),
                format!(
                    "{yes_counted} yes votes (including {written_yes_counted} written) are not {passage_en} of the {} expected voting members: not passed {cite_en}",
                    self.expected
                ),
            )
        } else {
            let (cite_zh, cite_en) = cite(rules.passage_rule);
            (
                format!(
                    "应到会{}人，实到{}人，赞成{yes_counted}票（含书面意见{written_yes_counted}票），通过{cite_zh}",
                    self.expected, self.present
                ),
                format!(
                    "{} expected, {} present, {yes_counted} yes votes (including {written_yes_counted} written): passed {cite_en}",
                    self.expected, self.present
                ),
            )
        };
        VoteDecision {
            kind: rules.kind,
            expected: self.expected,
            present: self.present,
            yes_in_room: self.in_room.yes,
            written_yes_counted,
            yes_counted,
            quorum: rules.quorum_of_expected,
            passage: rules.passage_of_expected,
            quorum_met,
            passed,
            written_opinions_not_counted,
            message_zh,
            message_en,
        }
    }
}

/// Who may vote, frozen on the day the vote opens. Changes of status after that day do not change
/// it: the roster of a vote is what it was when the vote began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoteEntitlement {
    frozen_on: NaiveDate,
    voters: BTreeSet<MemberId>,
}

impl VoteEntitlement {
    /// The members of `members` with voting rights on `date` ([`Member::status_on`]): full members
    /// not under 留党察看 and not suspended. Probationary members never vote. The caller passes the
    /// branch's roster; [`VoteEntitlement::freeze_in_branch`] filters by branch as well.
    pub fn freeze(members: &[(MemberId, &Member)], date: NaiveDate) -> VoteEntitlement {
        let voters = members
            .iter()
            .filter(|(_, member)| {
                member
                    .status_on(date)
                    .is_some_and(|status| status.has_voting_rights())
            })
            .map(|(id, _)| *id)
            .collect();
        VoteEntitlement {
            frozen_on: date,
            voters,
        }
    }

    /// As [`VoteEntitlement::freeze`], keeping only members who belong to `branch` on `date`.
    pub fn freeze_in_branch(
        members: &[(MemberId, &Member)],
        branch: OrgId,
        date: NaiveDate,
    ) -> VoteEntitlement {
        let in_branch: Vec<(MemberId, &Member)> = members
            .iter()
            .filter(|(_, member)| member.branch_on(date) == Some(branch))
            .map(|(id, member)| (*id, *member))
            .collect();
        VoteEntitlement::freeze(&in_branch, date)
    }

    /// An entitlement as a store kept it: the voters frozen on `date`.
    pub fn from_voters(
        date: NaiveDate,
        voters: impl IntoIterator<Item = MemberId>,
    ) -> VoteEntitlement {
        VoteEntitlement {
            frozen_on: date,
            voters: voters.into_iter().collect(),
        }
    }

    pub fn frozen_on(&self) -> NaiveDate {
        self.frozen_on
    }

    /// 应到会有表决权的党员人数.
    pub fn expected(&self) -> u32 {
        u32::try_from(self.voters.len()).unwrap_or(u32::MAX)
    }

    pub fn may_vote(&self, member: MemberId) -> bool {
        self.voters.contains(&member)
    }

    pub fn voters(&self) -> impl Iterator<Item = MemberId> + '_ {
        self.voters.iter().copied()
    }
}

/// A written opinion (书面意见) handed to the branch by an entitled member who cannot attend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrittenOpinion {
    pub voter: MemberId,
    /// When the branch received it, China Standard Time.
    pub handed_in_at: NaiveDateTime,
    pub choice: Choice,
}

/// Why a written opinion was not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotCountedReason {
    /// Handed in at or after the opening of the meeting: 在党支部党员大会召开前 is strict.
    HandedInAfterOpening,
    /// The voter came and voted in the room; the ballot in the room is their vote.
    VoterWasPresent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OpinionNotCounted {
    pub voter: MemberId,
    pub reason: NotCountedReason,
}

/// A vote on admitting one development candidate as probationary member (发展党员工作细则 第十九、
/// 二十条). `candidates` is a list only so that a vote naming two people can be refused: each
/// candidate is discussed and voted on separately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionVote {
    pub candidates: Vec<AdmissionRecordId>,
    /// When the meeting opened, China Standard Time; the entitlement is frozen on its date.
    pub opened_at: NaiveDateTime,
    /// Entitled members present.
    pub present: Vec<MemberId>,
    #[serde(default)]
    pub written_opinions: Vec<WrittenOpinion>,
    /// Ballots cast in the room, as counted from the closed ballot box.
    pub in_room: Tally,
}

/// A vote on converting one probationary member to full member, extending or ending the probation
/// (发展党员工作细则 第三十二条: the same requirements as admission).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversionVote {
    /// The probationary member concerned; exactly one.
    pub candidates: Vec<MemberId>,
    pub opened_at: NaiveDateTime,
    pub present: Vec<MemberId>,
    #[serde(default)]
    pub written_opinions: Vec<WrittenOpinion>,
    pub in_room: Tally,
}

/// Any other decision of the general meeting (支部工作条例 第十一条). Written opinions do not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneralDecision {
    pub subject: String,
    pub opened_at: NaiveDateTime,
    pub present: Vec<MemberId>,
    pub in_room: Tally,
}

impl AdmissionVote {
    pub fn count(&self, entitlement: &VoteEntitlement) -> Result<VoteDecision, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        one_candidate(
            self.candidates.len(),
            "RECRUIT.MEETING.ONE_BY_ONE",
            &mut errors,
        );
        count_member_vote(
            &VoteRules::ADMISSION,
            entitlement,
            self.opened_at,
            &self.present,
            &self.written_opinions,
            self.in_room,
            errors,
        )
    }
}

impl ConversionVote {
    pub fn count(&self, entitlement: &VoteEntitlement) -> Result<VoteDecision, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        // 第三十二条 applies the admission meeting's requirements to conversion; discussing one person
        // at a time (第二十条) is one of them.
        one_candidate(
            self.candidates.len(),
            "RECRUIT.CONVERSION.PROCEDURE_AND_VOTE",
            &mut errors,
        );
        for (index, candidate) in self.candidates.iter().enumerate() {
            if entitlement.may_vote(*candidate) {
                errors.push(rule_error(
                    format!("candidates[{index}]"),
                    "RECRUIT.CONVERSION.PROCEDURE_AND_VOTE",
                    format!("{candidate}在表决当日有表决权，不是预备党员"),
                    format!("{candidate} has voting rights on the day of the vote and so is not a probationary member"),
                ));
            }
        }
        count_member_vote(
            &VoteRules::CONVERSION,
            entitlement,
            self.opened_at,
            &self.present,
            &self.written_opinions,
            self.in_room,
            errors,
        )
    }
}

impl GeneralDecision {
    pub fn count(&self, entitlement: &VoteEntitlement) -> Result<VoteDecision, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.subject.trim().is_empty() {
            errors.add(
                "subject",
                "required",
                "表决事项不能为空",
                "the subject of the vote is required",
            );
        }
        count_member_vote(
            &VoteRules::GENERAL_DECISION,
            entitlement,
            self.opened_at,
            &self.present,
            &[],
            self.in_room,
            errors,
        )
    }
}

fn one_candidate(count: usize, rule_id: &str, errors: &mut ValidationErrors) {
    if count != 1 {
        errors.push(rule_error(
            "candidates",
            rule_id,
            format!("一次表决只能针对一名对象，本次列了{count}名：两个以上的，必须逐个讨论和表决"),
            format!("a vote concerns exactly one person, this one names {count}: each must be discussed and voted on separately"),
        ));
    }
}

fn count_member_vote(
    rules: &VoteRules,
    entitlement: &VoteEntitlement,
    opened_at: NaiveDateTime,
    present: &[MemberId],
    opinions: &[WrittenOpinion],
    in_room: Tally,
    mut errors: ValidationErrors,
) -> Result<VoteDecision, ValidationErrors> {
    if entitlement.frozen_on() != opened_at.date() {
        errors.push(rule_error(
            "opened_at",
            rules.quorum_rule,
            format!(
                "表决权名单冻结于{}，与表决日期{}不符",
                entitlement.frozen_on(),
                opened_at.date()
            ),
            format!(
                "the roster of voters was frozen on {}, not on the day of the vote {}",
                entitlement.frozen_on(),
                opened_at.date()
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    for (index, member) in present.iter().enumerate() {
        if !entitlement.may_vote(*member) {
            errors.push(rule_error(
                format!("present[{index}]"),
                rules.quorum_rule,
                format!("{member}在{}没有表决权（预备党员、留党察看或权利中止），不计入实到人数", entitlement.frozen_on()),
                format!(
                    "{member} had no vote on {} (probationary, under Party probation or rights suspended) and cannot count as present",
                    entitlement.frozen_on()
                ),
            ));
        }
        if !seen.insert(*member) {
            errors.add(
                format!("present[{index}]"),
                "duplicate",
                format!("{member}重复登记到会"),
                format!("{member} is listed as present twice"),
            );
        }
    }
    let mut written = Tally::default();
    let mut not_counted = Vec::new();
    let mut opinion_voters = BTreeSet::new();
    for (index, opinion) in opinions.iter().enumerate() {
        if !entitlement.may_vote(opinion.voter) {
            errors.push(rule_error(
                format!("written_opinions[{index}].voter"),
                rules.passage_rule,
                format!("{}没有表决权，其书面意见不能计入票数", opinion.voter),
                format!(
                    "{} has no vote, so their written opinion cannot be counted",
                    opinion.voter
                ),
            ));
            continue;
        }
        if !opinion_voters.insert(opinion.voter) {
            errors.push(rule_error(
                format!("written_opinions[{index}].voter"),
                rules.passage_rule,
                format!("{}提交了两份书面意见：每人只能投一票", opinion.voter),
                format!(
                    "{} handed in two written opinions: no one votes twice",
                    opinion.voter
                ),
            ));
            continue;
        }
        if seen.contains(&opinion.voter) {
            not_counted.push(OpinionNotCounted {
                voter: opinion.voter,
                reason: NotCountedReason::VoterWasPresent,
            });
        } else if opinion.handed_in_at >= opened_at {
            not_counted.push(OpinionNotCounted {
                voter: opinion.voter,
                reason: NotCountedReason::HandedInAfterOpening,
            });
        } else {
            written.add(opinion.choice);
        }
    }
    let counts = VoteCounts {
        expected: entitlement.expected(),
        present: u32::try_from(seen.len()).unwrap_or(u32::MAX),
        in_room,
        written,
    };
    if let Err(count_errors) = counts.decide(rules) {
        errors.extend_prefixed("", count_errors);
    }
    errors.into_result()?;
    Ok(counts.decision(rules, not_counted))
}

/// A ballot paper: something a voter hands in, folded into a tally.
pub trait Ballot {
    type Tally: Clone + std::fmt::Debug + Serialize + DeserializeOwned;

    fn count_into(&self, tally: &mut Self::Tally);
}

impl Ballot for Choice {
    type Tally = Tally;

    fn count_into(&self, tally: &mut Tally) {
        tally.add(*self);
    }
}

/// A secret ballot in progress. It knows who has voted and the running tally, never which voter
/// chose what. Deliberately not serializable: see the module notes.
#[derive(Debug)]
pub struct BallotBox<B: Ballot> {
    entitlement: VoteEntitlement,
    voters_who_voted: BTreeSet<MemberId>,
    tally: B::Tally,
}

impl<B: Ballot> BallotBox<B> {
    /// Opens a box for the voters of `entitlement`, starting from an empty tally.
    pub fn open(entitlement: VoteEntitlement, empty_tally: B::Tally) -> BallotBox<B> {
        BallotBox {
            entitlement,
            voters_who_voted: BTreeSet::new(),
            tally: empty_tally,
        }
    }

    /// Accepts `voter`'s ballot once. A member without a vote, or one who has already voted, is
    /// refused and the tally is unchanged.
    pub fn cast(&mut self, voter: MemberId, ballot: B) -> Result<(), ValidationErrors> {
        if !self.entitlement.may_vote(voter) {
            return Err(ValidationErrors::single(rule_error(
                "voter",
                "ELECT.VOTING_RIGHTS",
                format!(
                    "{voter}在{}没有表决权、选举权",
                    self.entitlement.frozen_on()
                ),
                format!(
                    "{voter} had no right to vote on {}",
                    self.entitlement.frozen_on()
                ),
            )));
        }
        if !self.voters_who_voted.insert(voter) {
            return Err(ValidationErrors::single(FieldError::new(
                "voter",
                "already_voted",
                format!("{voter}已经投过票：每人只能投一票"),
                format!("{voter} has already voted: no one votes twice"),
            )));
        }
        ballot.count_into(&mut self.tally);
        Ok(())
    }

    /// Whether `voter` has handed in a ballot: the register, never the choice.
    pub fn has_voted(&self, voter: MemberId) -> bool {
        self.voters_who_voted.contains(&voter)
    }

    /// What [`BallotBox::close`] would give, leaving the box open: for a store that must keep the
    /// box if writing the closed one is refused.
    pub fn closed_copy(&self) -> ClosedBallotBox<B::Tally> {
        ClosedBallotBox {
            voters_who_voted: self.voters_who_voted.iter().copied().collect(),
            tally: self.tally.clone(),
        }
    }

    pub fn ballots_returned(&self) -> u32 {
        u32::try_from(self.voters_who_voted.len()).unwrap_or(u32::MAX)
    }

    /// Ends the vote. The closed box is what a store persists.
    pub fn close(self) -> ClosedBallotBox<B::Tally> {
        ClosedBallotBox {
            voters_who_voted: self.voters_who_voted.into_iter().collect(),
            tally: self.tally,
        }
    }
}

/// The result of a secret ballot as a store keeps it: who voted (in member-id order, not in the
/// order they voted) and the tally. Nothing in it links a voter to a choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosedBallotBox<T> {
    pub voters_who_voted: Vec<MemberId>,
    pub tally: T,
}

/// A ballot in an election: a mark per candidate. A candidate left unmarked counts as an
/// abstention on that candidate (不划任何符号视为弃权).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionBallot {
    pub marks: Vec<(MemberId, Choice)>,
}

/// Per-candidate counts of an election round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CandidateTally {
    pub candidate: MemberId,
    pub tally: Tally,
}

/// The tally of an election round. A ballot that marks someone who is not a candidate, marks a
/// candidate twice or says yes to more people than there are seats is void (废票): it is returned,
/// counted as void, and counts for nobody.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ElectionTally {
    pub seats: u32,
    pub returned: u32,
    pub void: u32,
    pub candidates: Vec<CandidateTally>,
}

impl ElectionTally {
    pub fn empty(seats: u32, candidates: &[MemberId]) -> ElectionTally {
        ElectionTally {
            seats,
            returned: 0,
            void: 0,
            candidates: candidates
                .iter()
                .map(|c| CandidateTally {
                    candidate: *c,
                    tally: Tally::default(),
                })
                .collect(),
        }
    }

    pub fn yes_for(&self, candidate: MemberId) -> u32 {
        self.candidates
            .iter()
            .find(|c| c.candidate == candidate)
            .map_or(0, |c| c.tally.yes)
    }
}

impl Ballot for ElectionBallot {
    type Tally = ElectionTally;

    fn count_into(&self, tally: &mut ElectionTally) {
        tally.returned += 1;
        let mut marked = BTreeSet::new();
        let all_known = self
            .marks
            .iter()
            .all(|(candidate, _)| tally.candidates.iter().any(|c| c.candidate == *candidate));
        let no_repeats = self
            .marks
            .iter()
            .all(|(candidate, _)| marked.insert(*candidate));
        let yes_marks = self
            .marks
            .iter()
            .filter(|(_, choice)| *choice == Choice::Yes)
            .count();
        if !all_known || !no_repeats || yes_marks > tally.seats as usize {
            tally.void += 1;
            return;
        }
        for entry in &mut tally.candidates {
            let choice = self
                .marks
                .iter()
                .find(|(candidate, _)| *candidate == entry.candidate)
                .map_or(Choice::Abstain, |(_, choice)| *choice);
            entry.tally.add(choice);
        }
    }
}

/// The smallest candidate list for `seats` seats: seats plus 20% of seats rounded up
/// (选举工作条例 第十三条, 差额不少于应选人数的20%; 进一法).
pub fn minimum_candidates(seats: u32) -> u32 {
    seats + seats.div_ceil(5)
}

/// Which round of an election this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ElectionRound {
    /// 正式选举: the candidate list must meet the 20% differential.
    First,
    /// 另行选举 after a tie or too few winners. The 20% differential is worded for the formal
    /// election; what a further round's list must hold is not in the texts we have read, so it is
    /// not checked here.
    Further,
}

/// One round of a branch committee election (换届选举).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Election {
    pub round: ElectionRound,
    pub seats: u32,
    pub candidates: Vec<MemberId>,
    /// 应到会有选举权的党员人数.
    pub expected: u32,
    /// 实到会有选举权的党员人数.
    pub present: u32,
    pub ballots_issued: u32,
    pub ballots: ElectionTally,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CandidateResult {
    pub candidate: MemberId,
    pub yes: u32,
    /// Yes from more than half of those present (超过实到会有选举权人数的一半).
    pub reached_threshold: bool,
    pub elected: bool,
}

/// What happens after a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "next", rename_all = "snake_case")]
pub enum ElectionNextStep {
    /// Every seat is filled.
    Complete,
    /// The round is void (no quorum, or more ballots returned than issued): vote again.
    RepeatRound,
    /// More candidates reached the threshold than seats were left, with equal votes at the last
    /// seat: another round among those tied for the seats left.
    AnotherRoundAmongTied {
        seats_left: u32,
        tied: Vec<MemberId>,
    },
    /// Fewer winners than seats: another round for the seats left among those not elected, or,
    /// with consent, the number of seats is reduced to the winners.
    AnotherRoundOrFewerSeatsWithConsent {
        seats_left: u32,
        remaining_candidates: Vec<MemberId>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElectionOutcome {
    pub valid: bool,
    /// Why the round is void, each naming its rule, bilingual.
    pub void_reasons: Vec<FieldError>,
    /// Threshold to be elected: more than half of those present.
    pub win_threshold: Ratio,
    pub results: Vec<CandidateResult>,
    pub elected: Vec<MemberId>,
    pub next: ElectionNextStep,
}

impl Election {
    /// Counts a round. Impossible input is refused (a list too short for the seats, more present
    /// than expected, more ballots issued than people present, votes for someone not on the list);
    /// a round that took place but cannot stand (no quorum, more ballots returned than issued) is
    /// counted as void.
    pub fn count(&self) -> Result<ElectionOutcome, ValidationErrors> {
        self.validate()?;
        let mut void_reasons = Vec::new();
        if !MORE_THAN_FOUR_FIFTHS.is_met(u64::from(self.present), u64::from(self.expected)) {
            void_reasons.push(rule_error(
                "present",
                "ELECT.QUORUM_4_5",
                format!("应到会有选举权的党员{}人，实到{}人，未超过应到会人数的4/5，选举无效", self.expected, self.present),
                format!("{} of {} expected voters were present, not more than 4/5: the election is void", self.present, self.expected),
            ));
        }
        if self.ballots.returned > self.ballots_issued {
            void_reasons.push(rule_error(
                "ballots.returned",
                "ELECT.BALLOTS_RETURNED_NOT_MORE_THAN_ISSUED",
                format!(
                    "收回选票{}张，多于发出的{}张，本轮选举无效",
                    self.ballots.returned, self.ballots_issued
                ),
                format!(
                    "{} ballots came back but {} were issued: the round is void",
                    self.ballots.returned, self.ballots_issued
                ),
            ));
        }
        let mut results: Vec<CandidateResult> = self
            .candidates
            .iter()
            .map(|candidate| {
                let yes = self.ballots.yes_for(*candidate);
                CandidateResult {
                    candidate: *candidate,
                    yes,
                    reached_threshold: MORE_THAN_HALF
                        .is_met(u64::from(yes), u64::from(self.present)),
                    elected: false,
                }
            })
            .collect();
        results.sort_by(|a, b| b.yes.cmp(&a.yes).then(a.candidate.cmp(&b.candidate)));
        if !void_reasons.is_empty() {
            return Ok(ElectionOutcome {
                valid: false,
                void_reasons,
                win_threshold: MORE_THAN_HALF,
                results,
                elected: Vec::new(),
                next: ElectionNextStep::RepeatRound,
            });
        }
        let qualifying: Vec<CandidateResult> = results
            .iter()
            .filter(|r| r.reached_threshold)
            .copied()
            .collect();
        let seats = self.seats as usize;
        let (elected, next) = if qualifying.len() <= seats {
            let elected: Vec<MemberId> = qualifying.iter().map(|r| r.candidate).collect();
            let next = if elected.len() == seats {
                ElectionNextStep::Complete
            } else {
                ElectionNextStep::AnotherRoundOrFewerSeatsWithConsent {
                    seats_left: self.seats - elected.len() as u32,
                    remaining_candidates: results
                        .iter()
                        .filter(|r| !elected.contains(&r.candidate))
                        .map(|r| r.candidate)
                        .collect(),
                }
            };
            (elected, next)
        } else {
            // More candidates reached the threshold than there are seats: the most votes win, unless
            // the last seat is shared by equal votes.
            let last_seat_votes = qualifying[seats - 1].yes;
            if qualifying[seats].yes == last_seat_votes {
                let elected: Vec<MemberId> = qualifying
                    .iter()
                    .filter(|r| r.yes > last_seat_votes)
                    .map(|r| r.candidate)
                    .collect();
                let tied: Vec<MemberId> = qualifying
                    .iter()
                    .filter(|r| r.yes == last_seat_votes)
                    .map(|r| r.candidate)
                    .collect();
                let seats_left = self.seats - elected.len() as u32;
                (
                    elected,
                    ElectionNextStep::AnotherRoundAmongTied { seats_left, tied },
                )
            } else {
                (
                    qualifying[..seats].iter().map(|r| r.candidate).collect(),
                    ElectionNextStep::Complete,
                )
            }
        };
        for result in &mut results {
            result.elected = elected.contains(&result.candidate);
        }
        Ok(ElectionOutcome {
            valid: true,
            void_reasons,
            win_threshold: MORE_THAN_HALF,
            results,
            elected,
            next,
        })
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.seats == 0 {
            errors.add(
                "seats",
                "required",
                "应选人数至少为1",
                "at least one seat is to be filled",
            );
        }
        if self.ballots.seats != self.seats {
            errors.add(
                "ballots.seats",
                "mismatch",
                "计票的应选人数与本轮不符",
                "the tally was kept for a different number of seats",
            );
        }
        let mut seen = BTreeSet::new();
        for (index, candidate) in self.candidates.iter().enumerate() {
            if !seen.insert(*candidate) {
                errors.add(
                    format!("candidates[{index}]"),
                    "duplicate",
                    format!("候选人{candidate}重复"),
                    format!("candidate {candidate} is listed twice"),
                );
            }
        }
        let minimum = minimum_candidates(self.seats);
        if self.round == ElectionRound::First && (seen.len() as u64) < u64::from(minimum) {
            errors.push(rule_error(
                "candidates",
                "ELECT.DIFFERENTIAL_20PCT",
                format!("应选{}名，候选人至少{minimum}名（差额不少于应选人数的20%，进位取整），现有{}名", self.seats, seen.len()),
                format!(
                    "{} seats need at least {minimum} candidates (a margin of at least 20%, rounded up); there are {}",
                    self.seats,
                    seen.len()
                ),
            ));
        }
        if self.present > self.expected {
            errors.push(rule_error(
                "present",
                "ELECT.QUORUM_4_5",
                format!("实到{}人多于应到会{}人", self.present, self.expected),
                format!(
                    "{} present is more than the {} expected",
                    self.present, self.expected
                ),
            ));
        }
        if self.ballots_issued > self.present {
            errors.push(rule_error(
                "ballots_issued",
                "ELECT.VOTING_RIGHTS",
                format!(
                    "发出选票{}张，多于实到有选举权的党员{}人",
                    self.ballots_issued, self.present
                ),
                format!(
                    "{} ballots were issued to {} voters present",
                    self.ballots_issued, self.present
                ),
            ));
        }
        if self.ballots.void > self.ballots.returned {
            errors.add(
                "ballots.void",
                "void_exceeds_returned",
                "废票多于收回的选票",
                "more void ballots than ballots returned",
            );
        }
        let valid_ballots = u64::from(self.ballots.returned.saturating_sub(self.ballots.void));
        for (index, entry) in self.ballots.candidates.iter().enumerate() {
            if !seen.contains(&entry.candidate) {
                errors.push(rule_error(
                    format!("ballots.candidates[{index}].candidate"),
                    "ELECT.WIN_THRESHOLD",
                    format!("{}不是本轮候选人，不能计票", entry.candidate),
                    format!(
                        "{} is not a candidate in this round and cannot receive votes",
                        entry.candidate
                    ),
                ));
            }
            if entry.tally.total() > valid_ballots {
                errors.push(rule_error(
                    format!("ballots.candidates[{index}].tally"),
                    "ELECT.WIN_THRESHOLD",
                    format!(
                        "{}的票数合计{}，多于有效选票{valid_ballots}张",
                        entry.candidate,
                        entry.tally.total()
                    ),
                    format!(
                        "{} has {} marks, more than the {valid_ballots} valid ballots",
                        entry.candidate,
                        entry.tally.total()
                    ),
                ));
            }
        }
        errors.into_result()
    }
}
