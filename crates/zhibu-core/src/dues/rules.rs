//! The dues rules of 《关于中国共产党党费收缴、使用和管理的规定》(中组发〔2008〕3号), kept as data:
//! the rate bands of each category, the flat amounts, the rounding rule, and the citation of every
//! rule id used by this module (RULES.md §3).
//!
//! Versioned by effective date: a month is judged by the version in force on its first day. Only
//! the 2008 version (in force from 2008-04-01) is modelled; months before it have no rule here and
//! are reported as such rather than judged by a text we do not hold.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::YearMonth;
use crate::domain::EmploymentCategory;
use crate::money::Fen;
use crate::rules::Citation;

/// A rate band: bases up to and including `up_to` (以下，含) pay `basis_points` of the WHOLE base.
/// The last band of a table has no upper bound (以上).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateBand {
    /// Inclusive upper edge; `None` for the top band.
    pub up_to: Option<Fen>,
    /// 1% = 100 basis points; 0.5% = 50.
    pub basis_points: u32,
}

/// The rounding of a percentage due to whole fen. There is one rule, and it is a constant: the
/// regulation names none (RULES.md §11 item 7), so the project chose the one a treasurer computes
/// by hand and documents it rather than letting branches differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuesRounding {
    /// base in fen × rate in basis points ÷ 10 000, rounded half up to the fen, in integer
    /// arithmetic: `(base_fen × bp + 5 000) div 10 000`. 2997.00元 × 0.5% = 14.985元 → 14.99元.
    HalfUpToFen,
}

/// The rounding rule every percentage due uses.
pub const DUES_ROUNDING: DuesRounding = DuesRounding::HalfUpToFen;

impl DuesRounding {
    /// `base` × `basis_points` / 10 000, rounded by this rule. A negative base counts as zero: no
    /// one owes a negative due.
    pub fn apply(self, base: Fen, basis_points: u32) -> Fen {
        match self {
            DuesRounding::HalfUpToFen => {
                let product = i128::from(base.fen().max(0)) * i128::from(basis_points);
                let rounded = (product + 5_000) / 10_000;
                Fen::from_fen(i64::try_from(rounded).unwrap_or(i64::MAX))
            }
        }
    }

    pub fn describe_zh(self) -> &'static str {
        match self {
            DuesRounding::HalfUpToFen => "按计算基数（分）乘以比例（万分比）计算，结果四舍五入到分",
        }
    }

    pub fn describe_en(self) -> &'static str {
        match self {
            DuesRounding::HalfUpToFen => {
                "base in fen times the rate in basis points, rounded half up to the fen"
            }
        }
    }
}

/// One version of the dues rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DuesRuleVersion {
    /// (year, month, day) of the first day in force; see [`DuesRuleVersion::effective_from`].
    effective: (i32, u32, u32),
    pub document_zh: &'static str,
    pub document_en: &'static str,
    /// 第二条: salaried members; also annual-salary (第三条) and self-employed (第四条) members on
    /// their own base definitions.
    pub salaried_bands: &'static [RateBand],
    /// 第五条: retired members.
    pub retiree_bands: &'static [RateBand],
    /// 第六条: a farmer pays a flat amount the branch sets within this range.
    pub farmer_minimum: Fen,
    pub farmer_maximum: Fen,
    /// The farmer amount when the branch has set none: the lowest the rule allows.
    pub farmer_default: Fen,
    /// 第六条: students, laid-off and unemployed members, those living on relief or 低保.
    pub student_unemployed_relief_flat: Fen,
    /// 第十二条: back payment generally within this many months.
    pub back_payment_months: u32,
    /// 第十三条: this many consecutive unpaid months without good reason count as lapse.
    pub lapse_months: u32,
    /// 第十一条: a voluntary extra of at least this much in one payment goes wholly to the Centre.
    pub voluntary_extra_to_centre: Fen,
}

const SALARIED_2008: &[RateBand] = &[
    RateBand {
        up_to: Some(Fen::from_yuan(3_000)),
        basis_points: 50,
    },
    RateBand {
        up_to: Some(Fen::from_yuan(5_000)),
        basis_points: 100,
    },
    RateBand {
        up_to: Some(Fen::from_yuan(10_000)),
        basis_points: 150,
    },
    RateBand {
        up_to: None,
        basis_points: 200,
    },
];

const RETIREE_2008: &[RateBand] = &[
    RateBand {
        up_to: Some(Fen::from_yuan(5_000)),
        basis_points: 50,
    },
    RateBand {
        up_to: None,
        basis_points: 100,
    },
];

/// The versions, oldest first.
pub const DUES_RULE_VERSIONS: &[DuesRuleVersion] = &[DuesRuleVersion {
    effective: (2008, 4, 1),
    document_zh: "《关于中国共产党党费收缴、使用和管理的规定》（中组发〔2008〕3号）",
    document_en: "Provisions on the Collection, Use and Management of Party Dues (Zhongzufa [2008] No. 3)",
    salaried_bands: SALARIED_2008,
    retiree_bands: RETIREE_2008,
    farmer_minimum: Fen::from_fen(20),
    farmer_maximum: Fen::from_fen(100),
    farmer_default: Fen::from_fen(20),
    student_unemployed_relief_flat: Fen::from_fen(20),
    back_payment_months: 6,
    lapse_months: 6,
    voluntary_extra_to_centre: Fen::from_yuan(1_000),
}];

impl DuesRuleVersion {
    pub fn effective_from(&self) -> NaiveDate {
        let (year, month, day) = self.effective;
        NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
    }

    /// The version that judges `month`: the one in force on its first day.
    pub fn in_force_for(month: YearMonth) -> Option<&'static DuesRuleVersion> {
        DUES_RULE_VERSIONS
            .iter()
            .rev()
            .find(|version| version.effective_from() <= month.first_day())
    }

    /// The rate of a percentage category for `base`, or `None` for the flat categories.
    pub fn percent_rate(&self, category: EmploymentCategory, base: Fen) -> Option<u32> {
        let bands = match category {
            EmploymentCategory::Salaried
            | EmploymentCategory::AnnualSalary
            | EmploymentCategory::SelfEmployed => self.salaried_bands,
            EmploymentCategory::Retired => self.retiree_bands,
            EmploymentCategory::Farmer
            | EmploymentCategory::Student
            | EmploymentCategory::UnemployedOrRelief => {
                return None;
            }
        };
        // 以下 includes the edge: 3000.00 is in the first band, 3000.01 in the second.
        bands
            .iter()
            .find(|band| band.up_to.is_none_or(|edge| base <= edge))
            .map(|band| band.basis_points)
    }
}

/// The rule that decides the rate of a category, with what its base is.
pub fn rate_rule_id(category: EmploymentCategory) -> &'static str {
    match category {
        EmploymentCategory::Salaried => "DUES.RATE.SALARIED",
        EmploymentCategory::AnnualSalary => "DUES.BASE.ANNUAL_SALARY",
        EmploymentCategory::SelfEmployed => "DUES.BASE.SELF_EMPLOYED",
        EmploymentCategory::Retired => "DUES.RATE.RETIREE",
        EmploymentCategory::Farmer
        | EmploymentCategory::Student
        | EmploymentCategory::UnemployedOrRelief => "DUES.RATE.FLAT",
    }
}

/// What the base of a category is, in words, for the ledger and the declaration form.
pub fn category_base_zh(category: EmploymentCategory) -> &'static str {
    match category {
        EmploymentCategory::Salaried => "每月工资总额中相对固定的、经常性的工资收入（税后）",
        EmploymentCategory::AnnualSalary => "当月实际领取的薪酬收入",
        EmploymentCategory::SelfEmployed => "个人上季度月平均纯收入",
        EmploymentCategory::Retired => "实际领取的离退休费总额或养老金总额",
        EmploymentCategory::Farmer => "农民党员按支部确定的固定数额交纳",
        EmploymentCategory::Student => "学生党员按固定数额交纳",
        EmploymentCategory::UnemployedOrRelief => {
            "下岗失业、依靠抚恤或救济、领取低保的党员按固定数额交纳"
        }
    }
}

pub fn category_name_zh(category: EmploymentCategory) -> &'static str {
    match category {
        EmploymentCategory::Salaried => "按月领取工资",
        EmploymentCategory::AnnualSalary => "年薪制",
        EmploymentCategory::SelfEmployed => "个体经营等不按月取得收入",
        EmploymentCategory::Retired => "离退休",
        EmploymentCategory::Farmer => "农民",
        EmploymentCategory::Student => "学生",
        EmploymentCategory::UnemployedOrRelief => "下岗失业、抚恤救济或低保",
    }
}

pub fn category_name_en(category: EmploymentCategory) -> &'static str {
    match category {
        EmploymentCategory::Salaried => "salaried",
        EmploymentCategory::AnnualSalary => "annual salary",
        EmploymentCategory::SelfEmployed => "self-employed",
        EmploymentCategory::Retired => "retired",
        EmploymentCategory::Farmer => "farmer",
        EmploymentCategory::Student => "student",
        EmploymentCategory::UnemployedOrRelief => "unemployed or on relief",
    }
}

/// Whether a category pays a percentage of a declared base (and so needs a declaration).
pub fn has_percentage_rate(category: EmploymentCategory) -> bool {
    matches!(
        category,
        EmploymentCategory::Salaried
            | EmploymentCategory::AnnualSalary
            | EmploymentCategory::SelfEmployed
            | EmploymentCategory::Retired
    )
}

/// One rule of RULES.md §3, as this module cites it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DuesRuleText {
    pub id: &'static str,
    pub article_zh: &'static str,
    pub article_en: &'static str,
    pub quote_zh: &'static str,
    pub summary_en: &'static str,
}

/// The rules this module applies, with their articles in the 2008 text.
pub const DUES_RULE_TEXTS: &[DuesRuleText] = &[
    DuesRuleText {
        id: "DUES.BASE.SALARIED",
        article_zh: "第一条",
        article_en: "art. 1",
        quote_zh: "按月领取工资的党员，每月以工资总额中相对固定的、经常性的工资收入（税后）为计算基数，按规定比例交纳党费。",
        summary_en: "Salaried members pay on the fixed, regular part of their monthly pay after tax.",
    },
    DuesRuleText {
        id: "DUES.RATE.SALARIED",
        article_zh: "第二条",
        article_en: "art. 2",
        quote_zh: "每月工资收入（税后）在3000元以下（含3000元）者，交纳月工资收入的0.5%；3000元以上至5000元（含5000元）者，交纳1%；5000元以上至10000元（含10000元）者，交纳1.5%；10000元以上者，交纳2%。",
        summary_en: "Up to 3000 yuan inclusive: 0.5%; to 5000: 1%; to 10000: 1.5%; above 10000: 2% — of the whole monthly base.",
    },
    DuesRuleText {
        id: "DUES.BASE.ANNUAL_SALARY",
        article_zh: "第三条",
        article_en: "art. 3",
        quote_zh: "实行年薪制人员中的党员，每月以当月实际领取的薪酬收入为计算基数",
        summary_en: "Members on an annual salary pay on the pay actually received that month, at the salaried rates.",
    },
    DuesRuleText {
        id: "DUES.BASE.SELF_EMPLOYED",
        article_zh: "第四条",
        article_en: "art. 4",
        quote_zh: "不按月取得收入的个体经营者等人员中的党员，每月以个人上季度月平均纯收入为计算基数",
        summary_en: "Self-employed members pay on the previous quarter's average monthly net income, at the salaried rates.",
    },
    DuesRuleText {
        id: "DUES.RATE.RETIREE",
        article_zh: "第五条",
        article_en: "art. 5",
        quote_zh: "离退休干部、职工中的党员，每月以实际领取的离退休费总额或养老金总额为计算基数，5000元以下（含5000元）的按0.5%交纳党费，5000元以上的按1%交纳党费。",
        summary_en: "Retired members pay 0.5% of their pension up to 5000 yuan inclusive, 1% above — of the whole pension.",
    },
    DuesRuleText {
        id: "DUES.RATE.FLAT",
        article_zh: "第六条",
        article_en: "art. 6",
        quote_zh: "农民党员每月交纳党费0.2元－1元。学生党员、下岗失业的党员、依靠抚恤或救济生活的党员、领取当地最低生活保障金的党员，每月交纳党费0.2元。",
        summary_en: "Farmers pay 0.20–1.00 yuan a month; students, the unemployed and those on relief or minimum living allowance pay 0.20 yuan.",
    },
    DuesRuleText {
        id: "DUES.HARDSHIP",
        article_zh: "第七条",
        article_en: "art. 7",
        quote_zh: "交纳党费确有困难的党员，经党支部研究，报上级党委批准后，困难的党员可以少交或者免交。",
        summary_en: "A member in real hardship may pay less or nothing, by branch decision with upper committee approval.",
    },
    DuesRuleText {
        id: "DUES.PROBATIONARY_START",
        article_zh: "第八条",
        article_en: "art. 8",
        quote_zh: "预备党员从支部大会通过其为预备党员之日起交纳党费。",
        summary_en: "Probationary members pay from the day the branch general meeting admitted them.",
    },
    DuesRuleText {
        id: "DUES.WHERE_TO_PAY",
        article_zh: "第九条",
        article_en: "art. 9",
        quote_zh: "党员一般应当向其正式组织关系所在的党支部交纳党费。持《中国共产党流动党员活动证》的党员，外出期间可以持证向流入地党组织交纳党费。",
        summary_en: "Members pay to the branch holding their membership; mobile members with an activity card may pay where they are.",
    },
    DuesRuleText {
        id: "DUES.RATE_CHANGE_MONTH",
        article_zh: "第十条",
        article_en: "art. 10",
        quote_zh: "党员工资收入发生变化后，从按新工资标准领取工资的当月起，以新的工资收入为基数，按照规定比例交纳党费。",
        summary_en: "A new income is the base from the month it is first received.",
    },
    DuesRuleText {
        id: "DUES.VOLUNTARY_EXTRA",
        article_zh: "第十一条",
        article_en: "art. 11",
        quote_zh: "党员自愿多交党费不限。自愿一次多交纳1000元以上的党费，全部上缴中央。",
        summary_en: "Members may pay more; a voluntary extra of 1000 yuan or more in one payment goes wholly to the Centre.",
    },
    DuesRuleText {
        id: "DUES.MONTHLY.PAYMENT_AND_ARREARS",
        article_zh: "第十二条",
        article_en: "art. 12",
        quote_zh: "党员应当增强党员意识，主动按月交纳党费。遇到特殊情况，经党支部同意，可以每季度交纳一次党费，也可以委托其亲属或者其他党员代为交纳或者补交党费。补交党费的时间一般不得超过6个月。",
        summary_en: "Monthly payment; quarterly only with branch consent; payment by proxy allowed; back payment generally within 6 months.",
    },
    DuesRuleText {
        id: "DUES.NONPAYMENT.SIX_MONTHS",
        article_zh: "第十三条",
        article_en: "art. 13",
        quote_zh: "对不按照规定交纳党费的党员，其所在党组织应及时对其进行批评教育，限期改正。对无正当理由，连续6个月不交纳党费的党员，按自行脱党处理。",
        summary_en: "Members who do not pay are to be corrected promptly; six consecutive months unpaid without good reason is treated as lapse.",
    },
    DuesRuleText {
        id: "DUES.NO_ADVANCE_OR_DEDUCTION",
        article_zh: "第十四条",
        article_en: "art. 14",
        quote_zh: "党组织应当按照规定收缴党员党费，不得垫交或扣缴党员党费，不得要求党员交纳规定以外的各种名目的“特殊党费”。",
        summary_en: "The organization must not pay dues on a member's behalf or deduct them from pay.",
    },
    DuesRuleText {
        id: "DUES.REMIT_5PCT",
        article_zh: "第十五条",
        article_en: "art. 15",
        quote_zh: "（概述）省级党委每年将实际收缴党费的5%于次年4月底前上缴中央。",
        summary_en: "Provincial committees remit 5% of the year's dues to the Centre by the end of April; a branch's share upward is set by its provincial committee.",
    },
];

/// The wording of a rule id used by this module. An id not in the table is a programming error; a
/// test checks that every id the module uses is present.
pub fn dues_rule_text(rule_id: &str) -> Option<&'static DuesRuleText> {
    DUES_RULE_TEXTS.iter().find(|rule| rule.id == rule_id)
}

/// The citation of a dues rule in the engine's form.
pub fn dues_citation(rule_id: &str) -> Citation {
    let document = DUES_RULE_VERSIONS
        .last()
        .map(|version| version.document_zh)
        .unwrap_or_default()
        .to_string();
    match dues_rule_text(rule_id) {
        Some(rule) => Citation {
            document,
            article: rule.article_zh.to_string(),
            quote: rule.quote_zh.to_string(),
            source: Some("RULES.md §3".to_string()),
        },
        None => Citation {
            document,
            article: "article unknown".to_string(),
            quote: String::new(),
            source: None,
        },
    }
}
