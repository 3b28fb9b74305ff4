//! The two versions of the 发展党员工作细则 and the rules of each, with their citations.
//!
//! Rule ids and articles are those of RULES.md §4 (2026 numbering). Of the 2014 text we know the
//! article number only where RULES.md does (training 第十七条, pre-review 第十九条); every other
//! 2014 citation says "article unknown" rather than guess, and quotes the 2026 wording, saying so.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A version of the 发展党员工作细则.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdmissionRuleSet {
    /// 2014年5月28日中共中央办公厅发布.
    Rules2014,
    /// 2026年4月2日修订，2026年5月11日中共中央办公厅发布; in force for steps dated from 2026-05-11.
    Rules2026,
}

impl AdmissionRuleSet {
    /// The first day the 2026 revision governs.
    pub fn revision_2026_effective() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 11).unwrap_or(NaiveDate::MIN)
    }

    /// The version in force on `date`. Dates before 2026-05-11 are judged by the 2014 text (earlier
    /// rules are not modelled: a pipeline running today started after 2014).
    pub fn in_force_on(date: NaiveDate) -> AdmissionRuleSet {
        if date >= AdmissionRuleSet::revision_2026_effective() {
            AdmissionRuleSet::Rules2026
        } else {
            AdmissionRuleSet::Rules2014
        }
    }

    pub fn document_zh(self) -> &'static str {
        match self {
            AdmissionRuleSet::Rules2014 => {
                "《中国共产党发展党员工作细则》（2014年5月28日中共中央办公厅发布）"
            }
            AdmissionRuleSet::Rules2026 => {
                "《中国共产党发展党员工作细则》（2026年5月11日中共中央办公厅发布）"
            }
        }
    }

    pub fn document_en(self) -> &'static str {
        match self {
            AdmissionRuleSet::Rules2014 => {
                "Detailed Rules on Recruiting Party Members (issued 2014-05-28)"
            }
            AdmissionRuleSet::Rules2026 => {
                "Detailed Rules on Recruiting Party Members (revision issued 2026-05-11)"
            }
        }
    }
}

/// Whether a rule exists in the 2014 text, and under which article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum In2014 {
    /// In the 2014 text with the same requirement; the article number is known only if given.
    Same {
        article_zh: Option<&'static str>,
        quote_zh: Option<&'static str>,
    },
    /// New in the 2026 revision.
    No,
}

struct RuleText {
    id: &'static str,
    article_zh: &'static str,
    article_en: &'static str,
    quote_zh: &'static str,
    quote_en: &'static str,
    in_2014: In2014,
}

const UNKNOWN_2014: In2014 = In2014::Same {
    article_zh: None,
    quote_zh: None,
};

/// The rules of RULES.md §4 that this module checks, 2026 numbering and wording.
const RULE_TEXTS: &[RuleText] = &[
    RuleText {
        id: "RECRUIT.APPLY.AGE_AND_CONDITIONS",
        article_zh: "第五条",
        article_en: "art. 5",
        quote_zh: "年满十八岁的中国工人、农民、军人、知识分子和其他社会阶层的先进分子……可以申请加入中国共产党。",
        quote_en: "Applicants must have reached eighteen years of age.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.TALK.WITHIN_1_MONTH",
        article_zh: "第七条",
        article_en: "art. 7",
        quote_zh: "党组织收到入党申请书后，应当在一个月内派人同入党申请人谈话",
        quote_en: "Within one month of receiving an application, the Party organization sends someone to talk with the applicant.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.ACTIVIST.DETERMINATION",
        article_zh: "第八条",
        article_en: "art. 8",
        quote_zh: "在入党申请人中确定入党积极分子……由党支部委员会会议（不设党支部委员会的由党支部党员大会，下同）研究决定后，报上级党委备案。",
        quote_en: "Activists are chosen from among applicants by the branch committee (or general meeting) and filed with the upper Party committee.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.ACTIVIST.CONTACTS_1_2",
        article_zh: "第九条",
        article_en: "art. 9",
        quote_zh: "党组织应当指定一至两名正式党员作入党积极分子的培养联系人。",
        quote_en: "The Party organization assigns one or two full members as an activist's mentors.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.ACTIVIST.HALF_YEAR_REVIEW",
        article_zh: "第十一条",
        article_en: "art. 11",
        quote_zh: "党支部每半年对入党积极分子进行一次考察。",
        quote_en: "The branch reviews each activist once every half year.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.ACTIVIST.TRANSFER_CONTINUITY",
        article_zh: "第十二条",
        article_en: "art. 12",
        quote_zh: "培养教育时间可以连续计算。",
        quote_en: "When an activist moves, the time of training and education may be counted continuously.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.TARGET.ONE_YEAR_AND_PUBLICITY",
        article_zh: "第十三条",
        article_en: "art. 13",
        quote_zh: "对经过一年以上培养教育和考察、基本具备党员条件的入党积极分子……党支部委员会会议研究讨论并报上级党委同意拟列为发展对象的，在工作、学习单位或者居住地进行公示，公示期不少于五个工作日。拟列为发展对象的流动人员，应当在流出地和流入地同时公示。",
        quote_en: "An activist trained and observed for at least one year may be listed as a development candidate; under the 2026 text the upper committee must first consent and the proposal is publicised for at least five working days (for mobile people at both places).",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.INTRODUCERS_2",
        article_zh: "第十四条",
        article_en: "art. 14",
        quote_zh: "发展对象应当有两名正式党员作入党介绍人……受警告、严重警告、撤销党内职务处分在影响期内的党员，不宜作入党介绍人。受留党察看处分、尚未恢复党员权利的党员，不能作入党介绍人。",
        quote_en: "A development candidate needs two full members as sponsors; members under Party probation cannot sponsor, and those within the influence period of a lesser sanction should not.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.POLITICAL_REVIEW",
        article_zh: "第十六条",
        article_en: "art. 16",
        quote_zh: "党组织必须对发展对象进行政治审查……审查情况应当形成结论性材料。凡是未经政治审查或者政治审查不合格的，不能发展入党。",
        quote_en: "No one may be admitted without a concluded political review.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.TRAINING.3DAYS_24H",
        article_zh: "第十七条",
        article_en: "art. 17",
        quote_zh: "培训时间一般不少于三天或者不少于二十四个学时……除个别特殊情况外，未经培训的，不能发展入党。",
        quote_en: "Development candidates receive short concentrated training, normally at least three days or 24 class hours; save in exceptional cases no one untrained is admitted.",
        in_2014: In2014::Same {
            article_zh: Some("第十七条"),
            quote_zh: Some("培训时间一般不少于三天（或不少于二十四个学时）"),
        },
    },
    RuleText {
        id: "RECRUIT.PRETRIAL",
        article_zh: "第十八条",
        article_en: "art. 18",
        quote_zh: "（概述）党支部委员会审查后，具有审批权限的基层党委进行预审，预审合格的发给入党志愿书；发展对象未来三个月内将离开工作、学习单位的，一般不办理接收预备党员的手续。",
        quote_en: "The branch committee reviews, then the Party committee with approval authority pre-reviews; those who pass receive the application form.",
        in_2014: In2014::Same {
            article_zh: Some("第十九条"),
            quote_zh: None,
        },
    },
    RuleText {
        id: "RECRUIT.MEETING.WITHIN_1_MONTH_OF_PRETRIAL",
        article_zh: "第十九条",
        article_en: "art. 19",
        quote_zh: "经基层党委预审合格的发展对象，应当在一个月内提交党支部党员大会讨论。",
        quote_en: "A candidate who passes pre-review goes to the branch general meeting within one month.",
        in_2014: In2014::No,
    },
    RuleText {
        id: "RECRUIT.MEETING.QUORUM",
        article_zh: "第十九条",
        article_en: "art. 19",
        quote_zh: "召开讨论接收预备党员的党支部党员大会，实际到会有表决权的党员人数必须超过应到会有表决权的党员人数的半数。",
        quote_en: "Voting members present must be more than half of those expected.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.MEETING.MAJORITY_AND_WRITTEN_VOTES",
        article_zh: "第二十条",
        article_en: "art. 20",
        quote_zh: "赞成人数超过应到会有表决权的党员人数的半数，才能通过接收预备党员的决议。因故不能到会的有表决权的党员，在党支部党员大会召开前正式向党支部提出书面意见的，应当统计在票数内。",
        quote_en: "Yes votes, counting written opinions handed in before the meeting, must be more than half of the voting members expected.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.RESOLUTION.FIELDS",
        article_zh: "第二十一条",
        article_en: "art. 21",
        quote_zh: "党支部党员大会决议主要包括：发展对象的主要表现；应到会和实际到会有表决权的党员人数；表决结果；通过决议的日期；党支部书记签名。",
        quote_en: "The general meeting's resolution records the candidate's main performance, the voting members expected and present, the result, the date it was passed and the branch secretary's signature.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.APPROVAL.PRE_TALK",
        article_zh: "第二十三条",
        article_en: "art. 23",
        quote_zh: "（概述）党委审批前，由党委委员或者组织员同发展对象谈话，并将谈话情况写入入党志愿书。",
        quote_en: "Before approval, a committee member or organizer talks with the candidate and records it in the application form.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.APPROVAL.PARTY_COMMITTEE_ONLY",
        article_zh: "第二十二条",
        article_en: "art. 22",
        quote_zh: "预备党员必须由党委审批。",
        quote_en: "Probationary members must be approved by a Party committee (not a general branch, a temporary Party organization or a leading Party group).",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.APPROVAL.WITHIN_3_MONTHS",
        article_zh: "第二十五条",
        article_en: "art. 25",
        quote_zh: "党委对党支部上报的接收预备党员的决议，应当在三个月内审批，并报上级党委组织部门备案。如遇特殊情况可以适当延长审批时间，但不得超过六个月。",
        quote_en: "The Party committee approves within three months of the branch resolution; in special circumstances the time may be extended, never beyond six months.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.OATH.WITHIN_1_MONTH",
        article_zh: "第二十九条",
        article_en: "art. 29",
        quote_zh: "入党宣誓仪式，一般在批复同意接收预备党员后的一个月内，由基层党委或者党支部（党总支）组织进行。",
        quote_en: "The oath is normally taken within one month of the approval.",
        in_2014: In2014::No,
    },
    RuleText {
        id: "RECRUIT.PROBATION.ONE_YEAR_AND_OUTCOMES",
        article_zh: "第三十一条",
        article_en: "art. 31",
        quote_zh: "预备党员的预备期为一年。预备期从党支部党员大会通过其为预备党员之日算起……可以延长一次预备期，延长时间不能少于半年，最长不超过一年。",
        quote_en: "Probation is one year from the general meeting's vote; it may be extended once, by six months to one year.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.CONVERSION.PROCEDURE_AND_VOTE",
        article_zh: "第三十二条",
        article_en: "art. 32",
        quote_zh: "预备党员转正的手续是：本人向党支部提出书面转正申请；党支部征求党小组、党员和群众的意见；党支部委员会审查；党支部党员大会讨论、表决通过；报上级党委审批。",
        quote_en: "Conversion: written application, consultation, committee review, general-meeting vote (same requirements as admission), upper approval.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.CONVERSION.APPROVAL_3M_AND_PARTY_AGE",
        article_zh: "第三十三条",
        article_en: "art. 33",
        quote_zh: "党委对党支部上报的预备党员转正的决议，应当在三个月内审批……党员的党龄，从预备期满转为正式党员之日算起。",
        quote_en: "The Party committee approves a conversion within three months; party standing counts from the end of probation.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.TRANSFER_IN.POSTPONE_6M",
        article_zh: "第三十五条",
        article_en: "art. 35",
        quote_zh: "基层党组织对转入的预备党员，在其预备期满时，如认为有必要，可以推迟讨论其转正问题，推迟时间不超过六个月。转为正式党员的，其转正时间自预备期满之日算起。",
        quote_en: "For a probationary member transferred in, the conversion discussion may be postponed by at most six months; conversion still dates from the end of probation.",
        in_2014: UNKNOWN_2014,
    },
    RuleText {
        id: "RECRUIT.ARCHIVE",
        article_zh: "第三十六条",
        article_en: "art. 36",
        quote_zh: "（概述）转正后，将入党志愿书、入党申请书、入党积极分子培养考察登记表、政治审查材料、预备党员教育考察登记表和转正申请书归入人事档案。",
        quote_en: "After conversion the admission papers are filed in the personnel file.",
        in_2014: UNKNOWN_2014,
    },
];

/// Where a rule comes from, as shown next to a finding or a due step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdmissionCitation {
    pub rule_id: &'static str,
    /// The version that judges the step.
    pub version: AdmissionRuleSet,
    pub document_zh: &'static str,
    pub document_en: &'static str,
    /// `第七条`, or `条款号不详` where RULES.md gives none.
    pub article_zh: &'static str,
    /// `art. 7`, or `article unknown`.
    pub article_en: &'static str,
    /// The wording (or a summary marked （概述）); `quote_from` says which text it is taken from.
    pub quote_zh: &'static str,
    pub quote_en: &'static str,
    pub quote_from: AdmissionRuleSet,
}

impl AdmissionCitation {
    /// `（RULE.ID，《…》第七条）`, appended to messages.
    pub fn suffix_zh(&self) -> String {
        format!(
            "（{}，{}{}）",
            self.rule_id, self.document_zh, self.article_zh
        )
    }

    pub fn suffix_en(&self) -> String {
        format!(
            "({}, {}, {})",
            self.rule_id, self.document_en, self.article_en
        )
    }
}

/// Whether `rule_id` is in force under `version`. Rules new in 2026 are not in the 2014 text.
pub fn rule_in_force(rule_id: &str, version: AdmissionRuleSet) -> bool {
    match RULE_TEXTS.iter().find(|rule| rule.id == rule_id) {
        Some(rule) => version == AdmissionRuleSet::Rules2026 || rule.in_2014 != In2014::No,
        None => false,
    }
}

/// The citation of `rule_id` under `version`. An id not in the table is a programming error; it is
/// cited by id alone rather than panicking, and a test checks every id used is in the table.
pub fn citation(rule_id: &'static str, version: AdmissionRuleSet) -> AdmissionCitation {
    let Some(rule) = RULE_TEXTS.iter().find(|rule| rule.id == rule_id) else {
        return AdmissionCitation {
            rule_id,
            version,
            document_zh: version.document_zh(),
            document_en: version.document_en(),
            article_zh: "条款号不详",
            article_en: "article unknown",
            quote_zh: "",
            quote_en: "",
            quote_from: version,
        };
    };
    match (version, rule.in_2014) {
        (
            AdmissionRuleSet::Rules2014,
            In2014::Same {
                article_zh,
                quote_zh,
            },
        ) => AdmissionCitation {
            rule_id,
            version,
            document_zh: version.document_zh(),
            document_en: version.document_en(),
            article_zh: article_zh.unwrap_or("条款号不详（2014年版）"),
            article_en: if article_zh.is_some() {
                rule.article_en_2014()
            } else {
                "article unknown (2014 text)"
            },
            quote_zh: quote_zh.unwrap_or(rule.quote_zh),
            quote_en: rule.quote_en,
            quote_from: if quote_zh.is_some() {
                AdmissionRuleSet::Rules2014
            } else {
                AdmissionRuleSet::Rules2026
            },
        },
        _ => AdmissionCitation {
            rule_id,
            version,
            document_zh: AdmissionRuleSet::Rules2026.document_zh(),
            document_en: AdmissionRuleSet::Rules2026.document_en(),
            article_zh: rule.article_zh,
            article_en: rule.article_en,
            quote_zh: rule.quote_zh,
            quote_en: rule.quote_en,
            quote_from: AdmissionRuleSet::Rules2026,
        },
    }
}

impl RuleText {
    /// The English article of the 2014 text where RULES.md gives its number.
    fn article_en_2014(&self) -> &'static str {
        match self.id {
            "RECRUIT.TRAINING.3DAYS_24H" => "art. 17 (2014 text)",
            "RECRUIT.PRETRIAL" => "art. 19 (2014 text)",
            _ => "article unknown (2014 text)",
        }
    }
}

/// Every rule id this module can cite, for tests and for the catalogue when the engine is wired.
pub fn admission_rule_ids() -> Vec<&'static str> {
    RULE_TEXTS.iter().map(|rule| rule.id).collect()
}
