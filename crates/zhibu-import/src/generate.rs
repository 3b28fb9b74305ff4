//! A generator of large, valid, clearly fictitious rosters (for the benchmark and the
//! kill-mid-import test): distinct valid ID numbers (region 110105, check digit by GB 11643),
//! distinct 139 mobile numbers, the registry's headings, deterministic.

use chrono::{Days, NaiveDate};
use zhibu_core::identity::id_check_character;

/// The headings the generated rosters use (the registry's first names for each column).
pub const HEADINGS: [&str; 11] = [
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "公民身份号码",
    "学历",
    "入党时间",
    "转正时间",
    "所在党支部",
    "人员类别",
    "联系电话",
];

const SURNAMES: [&str; 10] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
const EDUCATION: [&str; 4] = ["大学本科", "硕士研究生", "大学专科", "高中"];
const EMPLOYMENT: [&str; 4] = ["在岗职工", "离退休", "农民", "学生"];

/// Row `n` (0-based) of a generated roster; `branches` are cycled.
pub fn roster_row(n: usize, branches: &[String]) -> Vec<String> {
    let epoch = NaiveDate::from_ymd_opt(1950, 1, 1).expect("valid");
    let birth = epoch
        .checked_add_days(Days::new((n % 18_000) as u64))
        .expect("in range");
    let male = n % 2 == 1;
    let sequence = (n / 18_000) % 500;
    let digits = sequence * 2 + usize::from(male);
    let first = format!("110105{}{digits:03}", birth.format("%Y%m%d"));
    let check = id_check_character(&first).expect("17 digits");
    let joined = birth
        .checked_add_days(Days::new(365 * 25))
        .expect("in range");
    let full = joined.checked_add_days(Days::new(366)).expect("in range");
    vec![
        format!("{}测{n}", SURNAMES[n % SURNAMES.len()]),
        if male { "男" } else { "女" }.to_string(),
        "汉族".to_string(),
        birth.format("%Y-%m-%d").to_string(),
        format!("{first}{check}"),
        EDUCATION[n % EDUCATION.len()].to_string(),
        joined.format("%Y-%m-%d").to_string(),
        full.format("%Y-%m-%d").to_string(),
        branches[n % branches.len()].clone(),
        EMPLOYMENT[n % EMPLOYMENT.len()].to_string(),
        format!("139{:08}", n % 100_000_000),
    ]
}

/// A roster of `rows` members as UTF-8 csv text (no BOM).
pub fn roster_csv(rows: usize, branches: &[String]) -> String {
    let mut text = HEADINGS.join(",");
    text.push('\n');
    for n in 0..rows {
        text.push_str(&roster_row(n, branches).join(","));
        text.push('\n');
    }
    text
}
