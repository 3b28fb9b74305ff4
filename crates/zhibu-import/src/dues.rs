//! Dues history as branches keep it today: one row per member per payment (member, the month or
//! months paid for, amount, paid on, method, paid by proxy), optionally with an income declaration
//! (category, monthly base, effective month) in the same row or in a row of its own. Members are
//! matched to those already in the database: by ID number (through the blind index, nothing is
//! opened) or by name within a branch. Every row is checked as the write path would check it —
//! the record's own validation, the member's dues branch on the date (第九条), duplicates within
//! the file and against the stored records — and nothing is written until [`commit`].
//!
//! The public shape is the roster's: [`preview`] → [`Preview`] (planned records and every error by
//! row, column letter and heading), then [`commit`] writes a clean preview as one batch.
//!
//! The module also holds the pieces the meeting import shares (reading the sheet with several
//! possible heading markers, mapping columns, the org scope and the members it reaches).

use std::collections::HashMap;
use std::hash::Hash;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use zhibu_core::dues::{
    DuesPayment, IncomeDeclaration, PaymentMethod, YearMonth, dues_branch_for, has_percentage_rate,
};
use zhibu_core::identity::IdCardNumber;
use zhibu_core::money::Fen;
use zhibu_core::{Member, MemberId, Org, OrgId, OrgLevel, Record, RecordKind, ValidationErrors};
use zhibu_storage::sealing::{stored_index, strip_personal};
use zhibu_storage::{
    ImportBatch, ImportProgress, ListRequest, NewImport, RecordQuery, Repository, StorageError,
    TrustedRecord,
};

use crate::roster::normalise_heading;
pub use crate::roster::{Options, Target};
use crate::table::{Cell, Format, Table, column_letter, detect, read_csv, read_xlsx};
use crate::{ImportError, cells, file_sha256};

// ---------------------------------------------------------------------------------------------
// Shared with the meeting import.

/// Reads the sheet (xlsx) or the csv; the heading row is the first of the first ten rows holding
/// one of `markers` (tried in order).
pub(crate) fn read_sheet(
    bytes: &[u8],
    options: &Options,
    markers: &[&str],
) -> Result<Table, ImportError> {
    let format = detect(bytes, &options.file_name)?;
    if format == Format::Csv && options.sheet.is_some() {
        return Err(ImportError::file(
            "sheet_in_csv",
            "csv 文件没有工作表，不能指定工作表".into(),
            "a csv file has no sheets; do not name one".into(),
        ));
    }
    let mut last = None;
    for marker in markers {
        let read = match format {
            Format::Xlsx => read_xlsx(bytes, options.sheet.as_deref(), marker),
            Format::Csv => read_csv(bytes, marker),
        };
        match read {
            Ok(table) => return Ok(table),
            Err(error) if error.code == "no_heading_row" => last = Some(error),
            Err(error) => return Err(error),
        }
    }
    let sheet_zh = options
        .sheet
        .as_deref()
        .map(|s| format!("工作表“{s}”"))
        .unwrap_or_else(|| "文件（或其第一个工作表）".into());
    let sheet_en = options
        .sheet
        .as_deref()
        .map(|s| format!("sheet {s:?}"))
        .unwrap_or_else(|| "the file (or its first sheet)".into());
    match last {
        Some(_) => Err(ImportError::file(
            "no_heading_row",
            format!(
                "{sheet_zh}前10行中没有含“{}”的标题行：是否选错了工作表或文件？",
                markers.join("”或“")
            ),
            format!(
                "{sheet_en} has no heading row with “{}” in its first 10 rows: is it the wrong sheet or file?",
                markers.join("” or “")
            ),
        )),
        None => Err(ImportError::file(
            "no_heading_row",
            "没有标题行".into(),
            "no heading row".into(),
        )),
    }
}

/// The recognised columns of a sheet, by field.
pub(crate) struct Columns<F: 'static> {
    index: HashMap<F, usize>,
    headings: Vec<String>,
    catalogue: &'static [(F, &'static [&'static str])],
    pub(crate) heading_row: usize,
}

/// The columns read (letter, heading, field), those ignored (letter, heading) and the problems of
/// the heading row.
pub(crate) type Mapped<F> = (
    Columns<F>,
    Vec<(String, String, F)>,
    Vec<(String, String)>,
    Vec<ImportError>,
);

impl<F: Copy + Eq + Hash + 'static> Columns<F> {
    pub(crate) fn map(
        table: &Table,
        catalogue: &'static [(F, &'static [&'static str])],
    ) -> Mapped<F> {
        let mut index = HashMap::new();
        let mut recognised = Vec::new();
        let mut ignored = Vec::new();
        let mut errors = Vec::new();
        let first_name = |field: F| {
            catalogue
                .iter()
                .find(|(f, _)| *f == field)
                .map_or("", |(_, names)| names[0])
        };
        for (position, heading) in table.headings.iter().enumerate() {
            let normal = normalise_heading(heading);
            if normal.is_empty() {
                continue;
            }
            let found = catalogue
                .iter()
                .find(|(_, names)| names.contains(&normal.as_str()))
                .map(|(field, _)| *field);
            match found {
                Some(field) => {
                    if let Some(first) = index.get(&field) {
                        errors.push(ImportError {
                            row: Some(table.heading_row),
                            column: Some(column_letter(position)),
                            heading: Some(heading.clone()),
                            code: "duplicate_column".into(),
                            message_zh: format!(
                                "与{}列重复，都表示“{}”",
                                column_letter(*first),
                                first_name(field)
                            ),
                            message_en: format!(
                                "repeats column {}: both are “{}”",
                                column_letter(*first),
                                first_name(field)
                            ),
                        });
                    } else {
                        index.insert(field, position);
                        recognised.push((column_letter(position), heading.clone(), field));
                    }
                }
                None => ignored.push((column_letter(position), heading.clone())),
            }
        }
        (
            Columns {
                index,
                headings: table.headings.clone(),
                catalogue,
                heading_row: table.heading_row,
            },
            recognised,
            ignored,
            errors,
        )
    }

    pub(crate) fn has(&self, field: F) -> bool {
        self.index.contains_key(&field)
    }

    fn name(&self, field: F) -> &'static str {
        self.catalogue
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, names)| names[0])
    }

    /// The cell of `field` in a row, if the column exists and the cell is not empty.
    pub(crate) fn cell<'a>(&self, cells: &'a [Cell], field: F) -> Option<&'a Cell> {
        let index = *self.index.get(&field)?;
        cells.get(index).filter(|cell| !cell.is_empty())
    }

    pub(crate) fn text(&self, cells: &[Cell], field: F) -> Option<String> {
        self.cell(cells, field).map(Cell::text)
    }

    /// An error in the cell of `field` on `row` (the column by letter and the file's heading; the
    /// usual heading when the column is absent).
    pub(crate) fn error(
        &self,
        row: usize,
        field: F,
        code: &str,
        message_zh: String,
        message_en: String,
    ) -> ImportError {
        let index = self.index.get(&field).copied();
        ImportError {
            row: Some(row),
            column: index.map(column_letter),
            heading: Some(
                index
                    .and_then(|i| self.headings.get(i).cloned())
                    .unwrap_or_else(|| self.name(field).to_string()),
            ),
            code: code.to_string(),
            message_zh,
            message_en,
        }
    }

    pub(crate) fn problem(&self, row: usize, field: F, problem: cells::CellProblem) -> ImportError {
        self.error(row, field, problem.0, problem.1, problem.2)
    }

    /// `missing_column` for a required column that is not there, naming the accepted headings.
    pub(crate) fn missing(&self, field: F) -> ImportError {
        let names = self
            .catalogue
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(String::new(), |(_, names)| names.join("、"));
        ImportError {
            row: Some(self.heading_row),
            column: None,
            heading: Some(self.name(field).to_string()),
            code: "missing_column".into(),
            message_zh: format!("缺少必需的列“{}”（可用标题：{names}）", self.name(field)),
            message_en: format!(
                "the required column “{}” is missing (accepted headings: {names})",
                self.name(field)
            ),
        }
    }

    /// A date cell, refused after `today`.
    pub(crate) fn date(
        &self,
        row: usize,
        cells: &[Cell],
        field: F,
        today: NaiveDate,
        errors: &mut Vec<ImportError>,
    ) -> Option<NaiveDate> {
        let cell = self.cell(cells, field)?;
        match cells::date(cell) {
            Ok(date) if date > today => {
                errors.push(self.error(
                    row,
                    field,
                    "in_future",
                    format!("日期{date}晚于今天"),
                    format!("the date {date} is after today"),
                ));
                None
            }
            Ok(date) => Some(date),
            Err(problem) => {
                errors.push(self.problem(row, field, problem));
                None
            }
        }
    }

    pub(crate) fn required(&self, row: usize, field: F, errors: &mut Vec<ImportError>) {
        let name = self.name(field);
        errors.push(self.error(
            row,
            field,
            "required",
            format!("“{name}”不能为空"),
            format!("“{name}” is required"),
        ));
    }
}

pub(crate) fn storage_error(error: StorageError) -> ImportError {
    ImportError::file(
        "storage",
        format!("读取数据库失败：{error}"),
        format!("reading the database failed: {error}"),
    )
}

/// The orgs of the import's scope (the target org's subtree).
pub(crate) struct Scope {
    pub(crate) path: String,
    /// id → (name, path, org).
    pub(crate) orgs: HashMap<i64, (String, String, Org)>,
    by_name: HashMap<String, Vec<i64>>,
    /// `--branch`: every row belongs to this org.
    pub(crate) fixed: Option<i64>,
}

impl Scope {
    pub(crate) async fn load(
        repository: &Repository,
        target: Target,
    ) -> Result<Scope, ImportError> {
        let (root, fixed) = match target {
            Target::Branch(id) => (id, Some(id.0)),
            Target::Org(id) => (id, None),
        };
        let path = match repository.org_path(root).await {
            Ok(path) => path,
            Err(StorageError::NotFound { .. }) => {
                return Err(ImportError::file(
                    "unknown_org",
                    format!("党组织{root}不存在"),
                    format!("organization {root} does not exist"),
                ));
            }
            Err(other) => return Err(storage_error(other)),
        };
        let mut orgs = HashMap::new();
        let mut after = None;
        loop {
            let page = repository
                .list::<Org>(&ListRequest {
                    subtree: Some(root),
                    after_id: after,
                    limit: Some(1000),
                    ..ListRequest::default()
                })
                .await
                .map_err(storage_error)?;
            for org in &page.items {
                let org_path = repository
                    .org_path(OrgId(org.id))
                    .await
                    .map_err(storage_error)?;
                orgs.insert(org.id, (org.body.name.clone(), org_path, org.body.clone()));
            }
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = orgs.entry(root.0) {
            let org = repository.get::<Org>(root).await.map_err(storage_error)?;
            slot.insert((org.body.name.clone(), path.clone(), org.body));
        }
        let mut by_name: HashMap<String, Vec<i64>> = HashMap::new();
        for (id, (name, _, _)) in &orgs {
            by_name
                .entry(name.trim().to_string())
                .or_default()
                .push(*id);
        }
        for ids in by_name.values_mut() {
            ids.sort_unstable();
        }
        Ok(Scope {
            path,
            orgs,
            by_name,
            fixed,
        })
    }

    pub(crate) fn name(&self, id: i64) -> &str {
        self.orgs.get(&id).map_or("", |(name, _, _)| name.as_str())
    }

    /// The orgs of this name in the scope.
    pub(crate) fn named(&self, name: &str) -> &[i64] {
        self.by_name.get(name.trim()).map_or(&[], Vec::as_slice)
    }
}

/// The members the scope reaches — kept under it, or ever posted to one of its branches and kept
/// elsewhere since — read without opening any personal field, with the blind index of each ID
/// number.
pub(crate) struct People {
    pub(crate) members: HashMap<i64, Member>,
    by_index: HashMap<String, i64>,
    by_name: HashMap<String, Vec<i64>>,
}

impl People {
    pub(crate) async fn load(
        repository: &Repository,
        scope: &Scope,
    ) -> Result<People, ImportError> {
        let backend = repository.backend();
        let mut rows = Vec::new();
        let mut after = None;
        loop {
            let page = backend
                .list(&RecordQuery {
                    after_id: after,
                    limit: Some(5_000),
                    ..RecordQuery::in_subtree(RecordKind::Member, &scope.path)
                })
                .await
                .map_err(storage_error)?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            rows.extend(page);
        }
        let mut elsewhere = backend
            .members_posted_within(&scope.path)
            .await
            .map_err(storage_error)?;
        elsewhere.sort_unstable();
        elsewhere.dedup();
        elsewhere.retain(|id| !rows.iter().any(|row| row.id == *id));
        for row in backend.get_many(&elsewhere).await.map_err(storage_error)? {
            if row.kind == RecordKind::Member && !row.deleted {
                rows.push(row);
            }
        }
        let mut people = People {
            members: HashMap::new(),
            by_index: HashMap::new(),
            by_name: HashMap::new(),
        };
        for row in rows {
            let mut value: serde_json::Value =
                serde_json::from_str(&row.body).map_err(|error| {
                    storage_error(StorageError::Corrupt {
                        id: row.id,
                        message: error.to_string(),
                    })
                })?;
            if let Some(index) = stored_index(&value, "registry.id_number") {
                people.by_index.insert(index, row.id);
            }
            strip_personal(&mut value, <Member as Record>::PERSONAL_FIELDS);
            let member: Member = serde_json::from_value(value).map_err(|error| {
                storage_error(StorageError::Corrupt {
                    id: row.id,
                    message: error.to_string(),
                })
            })?;
            people
                .by_name
                .entry(normal_name(&member.name))
                .or_default()
                .push(row.id);
            people.members.insert(row.id, member);
        }
        for ids in people.by_name.values_mut() {
            ids.sort_unstable();
        }
        Ok(people)
    }

    /// The member with this ID number, through the blind index. `Err` with the reason when the
    /// text is not a valid ID number or no key is configured.
    pub(crate) fn by_id_number(
        &self,
        repository: &Repository,
        text: &str,
        today: NaiveDate,
    ) -> Result<Option<i64>, Vec<cells::CellProblem>> {
        let id = IdCardNumber::parse(text, today).map_err(|error| {
            error
                .problems
                .iter()
                .map(|problem| (problem.code(), problem.message_zh(), problem.message_en()))
                .collect::<Vec<_>>()
        })?;
        let Some(key) = repository.data_key() else {
            return Err(vec![(
                "no_data_key",
                "未配置数据密钥，无法按身份证号码查找党员：请设置 ZHIBU_DATA_KEY_FILE，或改填姓名".into(),
                "no data key is configured, so members cannot be found by ID number: set ZHIBU_DATA_KEY_FILE, or give names instead".into(),
            )]);
        };
        let index = key.blind_index(
            "registry.id_number",
            &serde_json::Value::String(id.as_full_str().to_string()),
        );
        Ok(self.by_index.get(&index).copied())
    }

    /// The members of this name.
    pub(crate) fn named(&self, name: &str) -> &[i64] {
        self.by_name
            .get(&normal_name(name))
            .map_or(&[], Vec::as_slice)
    }

    pub(crate) fn name(&self, id: i64) -> &str {
        self.members
            .get(&id)
            .map_or("", |member| member.name.as_str())
    }
}

/// A name as compared: without spaces (books align two-character names as `张  三`).
pub(crate) fn normal_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether a cell's text is written as an ID number (15 or 18 characters of digits, the last
/// possibly X) rather than a name.
pub(crate) fn looks_like_id_number(text: &str) -> bool {
    let text = text.trim();
    (text.len() == 18 || text.len() == 15)
        && text
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || (i == text.len() - 1 && (c == 'X' || c == 'x')))
}

/// The provenance rows of a set of records, written as one batch.
pub(crate) async fn write_batch(
    repository: &Repository,
    kind: &str,
    scope_path: &str,
    file: (&str, &str, Option<&str>),
    records: Vec<(TrustedRecord, i64)>,
    actor: &str,
    progress: &dyn ImportProgress,
) -> Result<ImportBatch, StorageError> {
    let (file_name, file_sha256, sheet) = file;
    repository
        .import_load(
            &NewImport {
                kind: kind.into(),
                org_path: scope_path.to_string(),
                file_name: file_name.to_string(),
                file_sha256: file_sha256.to_string(),
                sheet: sheet.map(str::to_string),
                actor: actor.to_string(),
                records,
            },
            progress,
        )
        .await
}

pub(crate) fn not_clean(errors: usize) -> StorageError {
    StorageError::Invalid(ValidationErrors::single(zhibu_core::FieldError::new(
        "file",
        "not_clean",
        format!("预览中有{errors}处错误，未导入任何记录"),
        format!("the preview has {errors} errors; nothing was imported"),
    )))
}

// ---------------------------------------------------------------------------------------------
// Months.

fn month_problem(text: &str) -> cells::CellProblem {
    (
        "not_a_month",
        format!(
            "“{text}”不是年月，应写作 2026-03 或 2026年3月；多个月份用“、”分隔，连续月份写作 2026-01至2026-03"
        ),
        format!(
            "{text:?} is not a month: write 2026-03 or 2026年3月; separate months with 、 and write a run as 2026-01至2026-03"
        ),
    )
}

/// One month as text: `2026-03`, `2026-3`, `2026/03`, `2026.03`, `2026年3月`, `202603`, or a date
/// (its month).
pub fn month_text(text: &str) -> Result<YearMonth, cells::CellProblem> {
    let text = text.trim();
    let stem = text.trim_end_matches('份').trim_end_matches('月');
    let parts: Vec<&str> = if stem.len() == 6 && stem.bytes().all(|b| b.is_ascii_digit()) {
        vec![&stem[0..4], &stem[4..6]]
    } else {
        stem.split(['-', '/', '.', '年']).collect()
    };
    let digits = |part: &str| {
        !part.is_empty() && part.len() <= 4 && part.bytes().all(|b| b.is_ascii_digit())
    };
    match parts.as_slice() {
        [year, month] if year.len() == 4 && digits(*year) && digits(*month) && month.len() <= 2 => {
            let (year, month): (i32, u32) = (
                year.parse().map_err(|_| month_problem(text))?,
                month.parse().map_err(|_| month_problem(text))?,
            );
            YearMonth::new(year, month).ok_or_else(|| {
                (
                    "impossible_month",
                    format!("{year}年{month}月不存在"),
                    format!("the month {year:04}-{month:02} does not exist"),
                )
            })
        }
        [_, _, _] => cells::date_text(text).map(YearMonth::of),
        _ => Err(month_problem(text)),
    }
}

/// The months of a cell: one month, a list (`2026-01、2026-02`; also `，,；;` or line breaks), a run
/// (`2026-01至2026-03`, also `~`, `～`, `—`), or a date cell (its month).
pub fn months(cell: &Cell) -> Result<Vec<YearMonth>, cells::CellProblem> {
    if let Cell::Date(_) = cell {
        return cells::date(cell).map(|date| vec![YearMonth::of(date)]);
    }
    let text = cell.text();
    let mut found = Vec::new();
    for part in text
        .split(['、', '，', ',', '；', ';', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let run: Vec<&str> = part
            .split(['至', '~', '～', '—', '–'])
            .map(str::trim)
            .collect();
        match run.as_slice() {
            [one] => found.push(month_text(one)?),
            [from, to] => {
                let from = month_text(from)?;
                let to = month_text(to)?;
                if to < from {
                    return Err((
                        "run_reversed",
                        format!("月份区间“{part}”的终止月份早于起始月份"),
                        format!("the run {part:?} ends before it starts"),
                    ));
                }
                if from.months_until(to) >= 24 {
                    return Err((
                        "run_too_long",
                        format!("月份区间“{part}”超过24个月，请检查"),
                        format!("the run {part:?} is longer than 24 months: check it"),
                    ));
                }
                found.extend(YearMonth::range_inclusive(from, to));
            }
            _ => return Err(month_problem(part)),
        }
    }
    if found.is_empty() {
        return Err(month_problem(&text));
    }
    Ok(found)
}

/// 现金 / 转账 (also 微信, 支付宝, 银行, 网银, 手机支付) / 工资扣缴 / 组织垫交.
pub fn payment_method(text: &str) -> Option<PaymentMethod> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    Some(if has(&["垫交", "垫付", "组织代交", "单位代交"]) {
        PaymentMethod::PaidByOrganization
    } else if has(&["扣缴", "代扣", "扣除", "工资中扣", "工资扣"]) {
        PaymentMethod::Payroll
    } else if has(&["现金"]) {
        PaymentMethod::Cash
    } else if has(&[
        "转账",
        "微信",
        "支付宝",
        "银行",
        "网银",
        "手机",
        "汇款",
        "在线",
    ]) {
        PaymentMethod::Transfer
    } else {
        return None;
    })
}

// ---------------------------------------------------------------------------------------------
// The dues import.

/// A dues-history column Zhibu reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    IdNumber,
    Branch,
    Months,
    Amount,
    PaidOn,
    Method,
    Proxy,
    QuarterlyConsent,
    Category,
    MonthlyBase,
    EffectiveMonth,
}

/// Each field with its usual heading first, then accepted variants (matched after removing spaces,
/// `*` and a bracketed note such as `（元）`).
pub const COLUMNS: &[(Field, &[&str])] = &[
    (Field::Name, &["姓名", "党员姓名"]),
    (
        Field::IdNumber,
        &[
            "公民身份号码",
            "身份证号码",
            "身份证号",
            "公民身份证号码",
            "证件号码",
        ],
    ),
    (
        Field::Branch,
        &[
            "所在党支部",
            "所在支部",
            "党支部",
            "所在党组织",
            "党组织名称",
        ],
    ),
    (
        Field::Months,
        &[
            "交纳月份",
            "缴纳月份",
            "所交月份",
            "所缴月份",
            "党费月份",
            "所属月份",
            "月份",
        ],
    ),
    (
        Field::Amount,
        &[
            "交纳金额",
            "缴纳金额",
            "实交金额",
            "实缴金额",
            "党费金额",
            "交纳党费",
            "金额",
        ],
    ),
    (
        Field::PaidOn,
        &[
            "交纳日期",
            "缴纳日期",
            "交纳时间",
            "缴纳时间",
            "收缴日期",
            "收款日期",
        ],
    ),
    (Field::Method, &["交纳方式", "缴纳方式", "支付方式", "方式"]),
    (Field::Proxy, &["代交人", "代缴人", "委托代交人"]),
    (
        Field::QuarterlyConsent,
        &["按季度交纳依据", "季度交纳依据", "按季交纳依据"],
    ),
    (
        Field::Category,
        &["人员类别", "党费类别", "收入类别", "工作岗位类别"],
    ),
    (
        Field::MonthlyBase,
        &[
            "计算基数",
            "党费基数",
            "交纳基数",
            "缴纳基数",
            "月收入基数",
            "月工资收入",
        ],
    ),
    (
        Field::EffectiveMonth,
        &["基数生效月份", "生效月份", "基数起始月份"],
    ),
];

/// The heading marker of the heading row.
pub const HEADING_MARKERS: &[&str] = &["姓名", "党员姓名"];

const PAYMENT_FIELDS: [Field; 4] = [Field::Months, Field::Amount, Field::PaidOn, Field::Method];
const DECLARATION_FIELDS: [Field; 2] = [Field::Category, Field::EffectiveMonth];

/// A record the dues import would create.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DuesRecord {
    Payment(DuesPayment),
    Declaration(IncomeDeclaration),
}

/// A record the import would create, with the row it comes from (a row holding both a payment
/// and a declaration yields two).
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    pub row: usize,
    pub member_id: MemberId,
    pub member_name: String,
    pub branch_id: OrgId,
    pub branch_name: String,
    pub branch_path: String,
    pub record: DuesRecord,
}

/// What a dues import would do: every record it would create and every problem found.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub file_name: String,
    pub file_sha256: String,
    pub sheet: Option<String>,
    /// The target org's path (the batch's subtree).
    pub scope_path: String,
    pub columns: Vec<(String, String, Field)>,
    pub ignored: Vec<(String, String)>,
    pub planned: Vec<Planned>,
    pub errors: Vec<ImportError>,
    pub rows_read: usize,
}

impl Preview {
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty() && !self.planned.is_empty()
    }

    pub fn payments(&self) -> usize {
        self.planned
            .iter()
            .filter(|p| matches!(p.record, DuesRecord::Payment(_)))
            .count()
    }

    pub fn declarations(&self) -> usize {
        self.planned.len() - self.payments()
    }
}

/// A payment's identity for duplicates: member, day, amount, months.
type PaymentKey = (i64, NaiveDate, Fen, Vec<YearMonth>);

fn payment_key(payment: &DuesPayment) -> PaymentKey {
    let mut months = payment.months_covered.clone();
    months.sort();
    (payment.member_id.0, payment.paid_on, payment.amount, months)
}

/// Reads a dues-history file and checks everything; writes nothing.
///
/// How to wire this kind into the upload page (pages/imports.rs): call `dues::preview` with the
/// same [`Options`] the roster uses (`Target::Branch`/`Target::Org`, sheet, file name, today in
/// China), show `preview.errors` (each `ImportError` has row, column letter, heading and both
/// messages) and `preview.planned` (member, branch, `DuesRecord::Payment`/`Declaration`); keep the
/// bytes (or the preview) until confirmed, then call [`commit`]. Batches are kind `"dues"`;
/// `Repository::rollback_latest_import` undoes them like a roster batch.
pub async fn preview(
    repository: &Repository,
    bytes: &[u8],
    options: &Options,
) -> Result<Preview, ImportError> {
    let table = read_sheet(bytes, options, HEADING_MARKERS)?;
    let scope = Scope::load(repository, options.target).await?;
    if let Some(id) = scope.fixed {
        let (name, _, org) = &scope.orgs[&id];
        if org.level != OrgLevel::Branch {
            return Err(ImportError::file(
                "not_a_branch",
                format!(
                    "“{name}”是{}，不是党支部：请用 --org 导入其下各支部的党费",
                    org.level.name_zh()
                ),
                format!("{name:?} is not a branch: use --org for the branches below it"),
            ));
        }
    }
    let (columns, recognised, ignored, mut errors) = Columns::map(&table, COLUMNS);
    let any_payment = PAYMENT_FIELDS
        .iter()
        .chain([Field::Proxy, Field::QuarterlyConsent].iter())
        .any(|f| columns.has(*f));
    let any_declaration = DECLARATION_FIELDS
        .iter()
        .chain([Field::MonthlyBase].iter())
        .any(|f| columns.has(*f));
    let mut required = vec![Field::Name];
    if any_payment || !any_declaration {
        required.extend(PAYMENT_FIELDS);
    }
    if any_declaration {
        required.extend(DECLARATION_FIELDS);
    }
    for field in required {
        if !columns.has(field) {
            errors.push(columns.missing(field));
        }
    }
    let mut preview = Preview {
        file_name: options.file_name.clone(),
        file_sha256: file_sha256(bytes),
        sheet: table.sheet.clone(),
        scope_path: scope.path.clone(),
        columns: recognised,
        ignored,
        planned: Vec::new(),
        errors: Vec::new(),
        rows_read: table.rows.len(),
    };
    if !errors.is_empty() {
        preview.errors = errors;
        return Ok(preview);
    }
    let people = People::load(repository, &scope).await?;
    // What is already stored in the scope, for duplicates.
    let mut stored_payments: HashMap<PaymentKey, i64> = HashMap::new();
    let mut stored_declarations: HashMap<(i64, YearMonth), i64> = HashMap::new();
    for row in list_all(repository, RecordKind::DuesPayment, &scope.path).await? {
        let payment: DuesPayment = decode(&row)?;
        stored_payments.insert(payment_key(&payment), row.id);
    }
    for row in list_all(repository, RecordKind::IncomeDeclaration, &scope.path).await? {
        let declaration: IncomeDeclaration = decode(&row)?;
        stored_declarations.insert(
            (declaration.member_id.0, declaration.effective_month),
            row.id,
        );
    }
    let mut seen_payments: HashMap<PaymentKey, usize> = HashMap::new();
    let mut seen_declarations: HashMap<(i64, YearMonth), usize> = HashMap::new();
    for (row, cells) in &table.rows {
        let row = *row;
        let planned = match check_row(
            row,
            cells,
            &columns,
            &scope,
            &people,
            repository,
            options.today,
        ) {
            Ok(planned) => planned,
            Err(row_errors) => {
                errors.extend(row_errors);
                continue;
            }
        };
        let mut row_errors = Vec::new();
        for planned in &planned {
            match &planned.record {
                DuesRecord::Payment(payment) => {
                    let key = payment_key(payment);
                    if let Some(first) = seen_payments.get(&key) {
                        row_errors.push(columns.error(
                            row,
                            Field::Months,
                            "duplicate_in_file",
                            format!("与第{first}行重复：同一党员、同一日期、同一金额、同样的月份"),
                            format!("repeats row {first}: the same member, day, amount and months"),
                        ));
                    } else if let Some(id) = stored_payments.get(&key) {
                        row_errors.push(columns.error(
                            row,
                            Field::Months,
                            "duplicate_existing",
                            format!(
                                "这笔党费已登记（记录{id}：{}，{}，{}）",
                                planned.member_name, payment.paid_on, payment.amount
                            ),
                            format!(
                                "this payment is already recorded (record {id}: {}, {}, {} yuan)",
                                planned.member_name,
                                payment.paid_on,
                                payment.amount.to_yuan_string()
                            ),
                        ));
                    } else {
                        seen_payments.insert(key, row);
                    }
                }
                DuesRecord::Declaration(declaration) => {
                    let key = (declaration.member_id.0, declaration.effective_month);
                    if let Some(first) = seen_declarations.get(&key) {
                        row_errors.push(columns.error(
                            row,
                            Field::EffectiveMonth,
                            "duplicate_in_file",
                            format!(
                                "与第{first}行重复：{}在{}已有收入申报",
                                planned.member_name,
                                declaration.effective_month.label_zh()
                            ),
                            format!(
                                "repeats row {first}: {} already declares an income from {}",
                                planned.member_name, declaration.effective_month
                            ),
                        ));
                    } else if let Some(id) = stored_declarations.get(&key) {
                        row_errors.push(columns.error(
                            row,
                            Field::EffectiveMonth,
                            "duplicate_existing",
                            format!(
                                "{}自{}起的收入申报已登记（记录{id}），如需更正请修改该记录",
                                planned.member_name,
                                declaration.effective_month.label_zh()
                            ),
                            format!(
                                "{}'s declaration from {} is already recorded (record {id}); amend it instead",
                                planned.member_name, declaration.effective_month
                            ),
                        ));
                    } else {
                        seen_declarations.insert(key, row);
                    }
                }
            }
        }
        if row_errors.is_empty() {
            preview.planned.extend(planned);
        } else {
            errors.extend(row_errors);
        }
    }
    if table.rows.is_empty() {
        errors.push(ImportError::file(
            "no_rows",
            "标题行之后没有数据行".into(),
            "there are no data rows after the heading row".into(),
        ));
    }
    preview.errors = errors;
    Ok(preview)
}

pub(crate) async fn list_all(
    repository: &Repository,
    kind: RecordKind,
    path: &str,
) -> Result<Vec<zhibu_storage::RecordRow>, ImportError> {
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page = repository
            .backend()
            .list(&RecordQuery {
                after_id: after,
                limit: Some(5_000),
                ..RecordQuery::in_subtree(kind, path)
            })
            .await
            .map_err(storage_error)?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        rows.extend(page);
    }
    Ok(rows)
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    row: &zhibu_storage::RecordRow,
) -> Result<T, ImportError> {
    serde_json::from_str(&row.body).map_err(|error| {
        storage_error(StorageError::Corrupt {
            id: row.id,
            message: error.to_string(),
        })
    })
}

/// The member a row names: by ID number when the cell is there (the name, if given, must agree),
/// otherwise by name — among the members of the row's branch (the branch column or `--branch`)
/// or, without one, among all members the scope reaches.
#[allow(clippy::too_many_arguments)]
fn find_member(
    row: usize,
    cells: &[Cell],
    columns: &Columns<Field>,
    scope: &Scope,
    people: &People,
    repository: &Repository,
    today: NaiveDate,
    branch: Option<i64>,
) -> Result<i64, Vec<ImportError>> {
    let name = columns.text(cells, Field::Name);
    if let Some(id_text) = columns.text(cells, Field::IdNumber) {
        let found = people
            .by_id_number(repository, &id_text, today)
            .map_err(|problems| {
                problems
                    .into_iter()
                    .map(|problem| columns.problem(row, Field::IdNumber, problem))
                    .collect::<Vec<_>>()
            })?;
        let Some(id) = found else {
            return Err(vec![columns.error(
                row,
                Field::IdNumber,
                "unknown_member",
                "导入范围内没有此身份证号码的党员（请先导入党员名册）".into(),
                "no member with this ID number within the import's scope (import the roster first)".into(),
            )]);
        };
        if let Some(name) = &name
            && normal_name(name) != normal_name(people.name(id))
        {
            return Err(vec![columns.error(
                row,
                Field::Name,
                "name_mismatch",
                format!(
                    "姓名“{name}”与身份证号码对应的党员“{}”不符",
                    people.name(id)
                ),
                format!(
                    "the name {name:?} does not match the member with this ID number, {:?}",
                    people.name(id)
                ),
            )]);
        }
        return Ok(id);
    }
    let Some(name) = name else {
        return Err(vec![columns.error(
            row,
            Field::Name,
            "required",
            "姓名和身份证号码不能都为空".into(),
            "give the member's name or ID number".into(),
        )]);
    };
    let candidates: Vec<i64> = people
        .named(&name)
        .iter()
        .copied()
        .filter(|id| match branch {
            Some(branch) => people.members[id]
                .postings
                .iter()
                .any(|posting| posting.branch_id.0 == branch),
            None => true,
        })
        .collect();
    match candidates.as_slice() {
        [one] => Ok(*one),
        [] => Err(vec![columns.error(
            row,
            Field::Name,
            "unknown_member",
            match branch {
                Some(branch) => format!(
                    "{}没有名为“{name}”的党员（请先导入党员名册）",
                    scope.name(branch)
                ),
                None => format!("导入范围内没有名为“{name}”的党员（请先导入党员名册）"),
            },
            match branch {
                Some(branch) => format!(
                    "{} has no member named {name:?} (import the roster first)",
                    scope.name(branch)
                ),
                None => format!(
                    "there is no member named {name:?} within the import's scope (import the roster first)"
                ),
            },
        )]),
        several => Err(vec![columns.error(
            row,
            Field::Name,
            "ambiguous_member",
            format!(
                "有{}名党员名为“{name}”（记录{:?}）：请填写身份证号码",
                several.len(),
                several
            ),
            format!(
                "{} members are named {name:?} (records {several:?}): give the ID number",
                several.len()
            ),
        )]),
    }
}

/// The branch the row names (its branch column, or `--branch`), if any.
fn row_branch(
    row: usize,
    cells: &[Cell],
    columns: &Columns<Field>,
    scope: &Scope,
) -> Result<Option<i64>, ImportError> {
    let named = columns.text(cells, Field::Branch);
    match (scope.fixed, named) {
        (fixed, None) => Ok(fixed),
        (Some(fixed), Some(named)) => {
            if named.trim() == scope.name(fixed).trim() {
                Ok(Some(fixed))
            } else {
                Err(columns.error(
                    row,
                    Field::Branch,
                    "other_branch",
                    format!(
                        "本行属于“{named}”，而导入的目标支部是“{}”",
                        scope.name(fixed)
                    ),
                    format!(
                        "the row belongs to {named:?} but the import goes into {:?}",
                        scope.name(fixed)
                    ),
                ))
            }
        }
        (None, Some(named)) => {
            let branches: Vec<i64> = scope
                .named(&named)
                .iter()
                .copied()
                .filter(|id| scope.orgs[id].2.level == OrgLevel::Branch)
                .collect();
            match branches.as_slice() {
                [one] => Ok(Some(*one)),
                [] => Err(columns.error(
                    row,
                    Field::Branch,
                    "unknown_branch",
                    format!("导入范围内没有名为“{named}”的党支部"),
                    format!("there is no branch named {named:?} within the import's scope"),
                )),
                several => Err(columns.error(
                    row,
                    Field::Branch,
                    "ambiguous_branch",
                    format!(
                        "有{}个党支部名为“{named}”（{several:?}）：请分别按支部导入",
                        several.len()
                    ),
                    format!(
                        "{} branches are named {named:?} ({several:?}): import branch by branch",
                        several.len()
                    ),
                )),
            }
        }
    }
}

/// Field paths of a record's validation errors, as columns.
fn field_of(path: &str) -> Field {
    match path {
        "amount" => Field::Amount,
        "proxy" => Field::Proxy,
        "quarterly_consent_ref" => Field::QuarterlyConsent,
        "monthly_base" => Field::MonthlyBase,
        "effective_month" => Field::EffectiveMonth,
        "category" => Field::Category,
        "paid_on" => Field::PaidOn,
        _ => Field::Months,
    }
}

#[allow(clippy::too_many_arguments)]
fn check_row(
    row: usize,
    cells: &[Cell],
    columns: &Columns<Field>,
    scope: &Scope,
    people: &People,
    repository: &Repository,
    today: NaiveDate,
) -> Result<Vec<Planned>, Vec<ImportError>> {
    let mut errors = Vec::new();
    let has_payment = PAYMENT_FIELDS
        .iter()
        .chain([Field::Proxy, Field::QuarterlyConsent].iter())
        .any(|f| columns.cell(cells, *f).is_some());
    let has_declaration = DECLARATION_FIELDS
        .iter()
        .chain([Field::MonthlyBase].iter())
        .any(|f| columns.cell(cells, *f).is_some());
    if !has_payment && !has_declaration {
        // A row naming a member and nothing else.
        for field in PAYMENT_FIELDS {
            if columns.has(field) {
                columns.required(row, field, &mut errors);
            }
        }
        return Err(errors);
    }
    let branch = match row_branch(row, cells, columns, scope) {
        Ok(branch) => branch,
        Err(error) => return Err(vec![error]),
    };
    // The payment's cells.
    let mut payment = None;
    if has_payment {
        for field in PAYMENT_FIELDS {
            if columns.cell(cells, field).is_none() {
                columns.required(row, field, &mut errors);
            }
        }
        let months = columns.cell(cells, Field::Months).and_then(|cell| {
            months(cell)
                .map_err(|problem| errors.push(columns.problem(row, Field::Months, problem)))
                .ok()
        });
        let amount = columns.cell(cells, Field::Amount).and_then(|cell| {
            cells::money(cell)
                .map_err(|problem| errors.push(columns.problem(row, Field::Amount, problem)))
                .ok()
        });
        let paid_on = columns.date(row, cells, Field::PaidOn, today, &mut errors);
        let method = columns.text(cells, Field::Method).and_then(|text| {
            let found = payment_method(&text);
            if found.is_none() {
                errors.push(columns.error(
                    row,
                    Field::Method,
                    "bad_method",
                    format!("交纳方式“{text}”无法识别，应为：现金、转账（微信、支付宝、银行）、工资扣缴、组织垫交"),
                    format!("the method {text:?} is not recognised; use 现金 (cash), 转账 (transfer, incl. WeChat, Alipay, bank), 工资扣缴 (payroll) or 组织垫交 (paid by the organization)"),
                ));
            }
            found
        });
        if let (Some(months), Some(amount), Some(paid_on), Some(method)) =
            (months, amount, paid_on, method)
        {
            payment = Some((months, amount, paid_on, method));
        }
    }
    // The declaration's cells.
    let mut declaration = None;
    if has_declaration {
        for field in DECLARATION_FIELDS {
            if columns.cell(cells, field).is_none() {
                columns.required(row, field, &mut errors);
            }
        }
        let category = columns.text(cells, Field::Category).and_then(|text| {
            let found = crate::roster::employment(&text);
            if found.is_none() {
                errors.push(columns.error(
                    row,
                    Field::Category,
                    "bad_employment",
                    format!("人员类别“{text}”无法识别，应如：在岗职工、年薪制、个体经营、离退休、农民、学生、下岗失业"),
                    format!("the category {text:?} is not recognised; e.g. 在岗职工, 年薪制, 个体经营, 离退休, 农民, 学生, 下岗失业"),
                ));
            }
            found
        });
        let base = match columns.cell(cells, Field::MonthlyBase) {
            Some(cell) => cells::money(cell)
                .map_err(|problem| errors.push(columns.problem(row, Field::MonthlyBase, problem)))
                .ok(),
            None => match category {
                Some(category) if has_percentage_rate(category) => {
                    errors.push(columns.error(
                        row,
                        Field::MonthlyBase,
                        "required",
                        "按比例交纳党费的党员须填写计算基数".into(),
                        "members who pay a percentage need a monthly base".into(),
                    ));
                    None
                }
                _ => Some(Fen::ZERO),
            },
        };
        let effective = columns.cell(cells, Field::EffectiveMonth).and_then(|cell| {
            let read = match cell {
                Cell::Date(_) => cells::date(cell).map(YearMonth::of),
                _ => month_text(&cell.text()),
            };
            match read {
                Ok(month) if month.first_day() > today => {
                    errors.push(columns.error(
                        row,
                        Field::EffectiveMonth,
                        "in_future",
                        format!("生效月份{}晚于本月", month.label_zh()),
                        format!("the month {month} is after this month"),
                    ));
                    None
                }
                Ok(month) => Some(month),
                Err(problem) => {
                    errors.push(columns.problem(row, Field::EffectiveMonth, problem));
                    None
                }
            }
        });
        if let (Some(category), Some(base), Some(effective)) = (category, base, effective) {
            declaration = Some((category, base, effective));
        }
    }
    let member = match find_member(
        row, cells, columns, scope, people, repository, today, branch,
    ) {
        Ok(member) => Some(member),
        Err(found) => {
            errors.extend(found);
            None
        }
    };
    let Some(member_id) = member else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let member = &people.members[&member_id];
    let member_name = member.name.clone();
    let mut planned = Vec::new();
    // The branch a record goes under: the member's (dues) branch on its date, which must be the
    // row's branch when it names one and lie within the scope.
    let branch_check = |found: Option<OrgId>,
                        when_zh: String,
                        when_en: String,
                        date_field: Field,
                        errors: &mut Vec<ImportError>|
     -> Option<OrgId> {
        let field = if columns.has(Field::Branch) && branch.is_some() {
            Field::Branch
        } else {
            date_field
        };
        match found {
            Some(found)
                if branch.is_none_or(|b| b == found.0) && scope.orgs.contains_key(&found.0) =>
            {
                Some(found)
            }
            Some(found) if branch.is_none() || branch == Some(found.0) => {
                errors.push(columns.error(
                    row,
                    field,
                    "outside_scope",
                    format!("{member_name}{when_zh}属于导入范围以外的党组织（记录{found}）"),
                    format!("{member_name} belonged {when_en} to an organization outside the import's scope (record {found})"),
                ));
                None
            }
            _ => {
                let (zh, en) = match branch {
                    Some(b) => (
                        format!(
                            "{member_name}{when_zh}不在{}（党费由党员所在党支部收缴，党费规定第九条）",
                            scope.name(b)
                        ),
                        format!(
                            "{member_name} did not belong to {} {when_en} (dues are collected by the member's branch, dues rules art. 9)",
                            scope.name(b)
                        ),
                    ),
                    None => (
                        format!("{member_name}{when_zh}不是任何党支部的党员"),
                        format!("{member_name} was not a member of any branch {when_en}"),
                    ),
                };
                errors.push(columns.error(row, field, "not_member_of_branch", zh, en));
                None
            }
        }
    };
    if let Some((months, amount, paid_on, method)) = payment {
        let found = member.branch_on(paid_on);
        if let Some(branch_id) = branch_check(
            found,
            format!("在{paid_on}"),
            format!("on {paid_on}"),
            Field::PaidOn,
            &mut errors,
        ) {
            let record = DuesPayment {
                member_id: MemberId(member_id),
                branch_id,
                paid_on,
                amount,
                months_covered: months,
                method,
                proxy: columns.text(cells, Field::Proxy),
                quarterly_consent_ref: columns.text(cells, Field::QuarterlyConsent),
            };
            match record.validate() {
                Ok(()) => planned.push(planned_record(
                    row,
                    member_id,
                    &member_name,
                    branch_id,
                    scope,
                    DuesRecord::Payment(record),
                )),
                Err(invalid) => errors.extend(invalid.errors.iter().map(|error| {
                    columns.error(
                        row,
                        field_of(&error.field),
                        &error.code,
                        error.message_zh.clone(),
                        error.message_en.clone(),
                    )
                })),
            }
        }
    }
    if let Some((category, monthly_base, effective_month)) = declaration {
        let found = dues_branch_for(member, effective_month);
        if let Some(branch_id) = branch_check(
            found,
            format!("在{}", effective_month.label_zh()),
            format!("in {effective_month}"),
            Field::EffectiveMonth,
            &mut errors,
        ) {
            let record = IncomeDeclaration {
                member_id: MemberId(member_id),
                branch_id,
                category,
                monthly_base: monthly_base.into(),
                effective_month,
                note: String::new(),
            };
            match record.validate() {
                Ok(()) => planned.push(planned_record(
                    row,
                    member_id,
                    &member_name,
                    branch_id,
                    scope,
                    DuesRecord::Declaration(record),
                )),
                Err(invalid) => errors.extend(invalid.errors.iter().map(|error| {
                    columns.error(
                        row,
                        field_of(&error.field),
                        &error.code,
                        error.message_zh.clone(),
                        error.message_en.clone(),
                    )
                })),
            }
        }
    }
    if errors.is_empty() {
        Ok(planned)
    } else {
        Err(errors)
    }
}

fn planned_record(
    row: usize,
    member_id: i64,
    member_name: &str,
    branch_id: OrgId,
    scope: &Scope,
    record: DuesRecord,
) -> Planned {
    let (branch_name, branch_path, _) = &scope.orgs[&branch_id.0];
    Planned {
        row,
        member_id: MemberId(member_id),
        member_name: member_name.to_string(),
        branch_id,
        branch_name: branch_name.clone(),
        branch_path: branch_path.clone(),
        record,
    }
}

/// Writes a clean preview as one batch (kind `"dues"`) in one transaction, through the trusted
/// bulk path, each record with its spreadsheet row. The entry instant of every record is
/// `entered_at`. The page calls it exactly as `roster::commit`.
pub async fn commit(
    repository: &Repository,
    preview: &Preview,
    actor: &str,
    entered_at: DateTime<Utc>,
    progress: &dyn ImportProgress,
) -> Result<ImportBatch, StorageError> {
    if !preview.is_clean() {
        return Err(not_clean(preview.errors.len()));
    }
    let first = repository
        .reserve_record_ids(preview.planned.len() as u64)
        .await?;
    let mut records = Vec::with_capacity(preview.planned.len());
    for (offset, planned) in preview.planned.iter().enumerate() {
        let id = first + offset as i64;
        let path = planned.branch_path.clone();
        let record = match &planned.record {
            DuesRecord::Payment(payment) => TrustedRecord::new(id, path, payment, entered_at)?,
            DuesRecord::Declaration(declaration) => {
                TrustedRecord::new(id, path, declaration, entered_at)?
            }
        };
        records.push((record, planned.row as i64));
    }
    write_batch(
        repository,
        KIND,
        &preview.scope_path,
        (
            &preview.file_name,
            &preview.file_sha256,
            preview.sheet.as_deref(),
        ),
        records,
        actor,
        progress,
    )
    .await
}

/// The batch kind of a dues import.
pub const KIND: &str = "dues";

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn ym(year: i32, month: u32) -> YearMonth {
        YearMonth::new(year, month).expect("month")
    }

    #[test]
    fn months_as_table() {
        let cases: Vec<(&str, Result<Vec<YearMonth>, &str>)> = vec![
            ("2026-03", Ok(vec![ym(2026, 3)])),
            ("2026/3", Ok(vec![ym(2026, 3)])),
            ("2026.03", Ok(vec![ym(2026, 3)])),
            ("2026年3月", Ok(vec![ym(2026, 3)])),
            ("202603", Ok(vec![ym(2026, 3)])),
            ("2026-01、2026-02", Ok(vec![ym(2026, 1), ym(2026, 2)])),
            ("2026-01,2026-02", Ok(vec![ym(2026, 1), ym(2026, 2)])),
            (
                "2025-11至2026-01",
                Ok(vec![ym(2025, 11), ym(2025, 12), ym(2026, 1)]),
            ),
            ("2026年1月~2026年2月", Ok(vec![ym(2026, 1), ym(2026, 2)])),
            ("2026-03-15", Ok(vec![ym(2026, 3)])),
            ("2026-13", Err("impossible_month")),
            ("2026-03至2026-01", Err("run_reversed")),
            ("三月", Err("not_a_month")),
            ("2026-02-30", Err("impossible_date")),
        ];
        for (text, expected) in cases {
            let got = months(&Cell::Text(text.into())).map_err(|(code, _, _)| code);
            assert_eq!(got, expected, "{text:?}");
        }
        assert_eq!(months(&Cell::Date(46082.0)), Ok(vec![ym(2026, 3)]));
        assert_eq!(months(&Cell::Number(202603.0)), Ok(vec![ym(2026, 3)]));
    }

    #[test]
    fn methods_as_table() {
        for (text, expected) in [
            ("现金", Some(PaymentMethod::Cash)),
            ("微信", Some(PaymentMethod::Transfer)),
            ("支付宝转账", Some(PaymentMethod::Transfer)),
            ("银行转账", Some(PaymentMethod::Transfer)),
            ("工资扣缴", Some(PaymentMethod::Payroll)),
            ("组织垫交", Some(PaymentMethod::PaidByOrganization)),
            ("刷脸", None),
        ] {
            assert_eq!(payment_method(text), expected, "{text}");
        }
    }

    #[test]
    fn id_numbers_are_told_from_names() {
        assert!(looks_like_id_number("11010519800101001X"));
        assert!(looks_like_id_number("110105800101001"));
        assert!(!looks_like_id_number("张三"));
        assert!(!looks_like_id_number("1101051980X101001X"));
    }

    #[test]
    fn the_year_of_a_month_is_read() {
        assert_eq!(month_text("2026年3月").map(|m| m.year()), Ok(2026));
        assert_eq!(ym(2026, 3).first_day().year(), 2026);
    }
}
