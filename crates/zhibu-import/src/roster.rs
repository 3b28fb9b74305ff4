//! Member rosters as the national member registry exports them: one member per row, Chinese
//! headings (common variants accepted, see [`COLUMNS`]).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use zhibu_core::identity::{IdCardNumber, PhoneNumber};
use zhibu_core::{
    BranchPosting, Education, EmploymentCategory, Member, MemberStatus, Org, OrgId, OrgLevel,
    Record, RecordKind, RegistryDetails, Sex, StatusChange,
};
use zhibu_storage::{
    ImportBatch, ImportProgress, ListRequest, NewImport, Repository, StorageError, TrustedRecord,
};

use crate::table::{Cell, Format, Table, column_letter, detect, read_csv, read_xlsx};
use crate::{ImportError, cells, file_sha256};

/// A roster column Zhibu reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Sex,
    Ethnicity,
    BirthDate,
    IdNumber,
    Education,
    Joined,
    BecameFull,
    Branch,
    Category,
    Employment,
    Phone,
    NativePlace,
    WorkPost,
    PostedFrom,
}

/// Each field with the heading the registry uses first, then accepted variants.
pub const COLUMNS: &[(Field, &[&str])] = &[
    (Field::Name, &["姓名"]),
    (Field::Sex, &["性别"]),
    (Field::Ethnicity, &["民族"]),
    (Field::BirthDate, &["出生日期", "出生年月日", "出生时间"]),
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
    (Field::Education, &["学历", "最高学历", "文化程度"]),
    (
        Field::Joined,
        &["入党时间", "入党日期", "加入党组织日期", "入党年月日"],
    ),
    (
        Field::BecameFull,
        &[
            "转正时间",
            "转正日期",
            "转为正式党员时间",
            "转为正式党员日期",
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
    (Field::Category, &["党员类别", "党籍状态", "党员类型"]),
    (
        Field::Employment,
        &["人员类别", "工作岗位类别", "人员身份", "党费类别"],
    ),
    (
        Field::Phone,
        &["联系电话", "手机号码", "手机号", "手机", "电话"],
    ),
    (Field::NativePlace, &["籍贯"]),
    (
        Field::WorkPost,
        &["工作岗位", "单位及职务", "工作单位及职务"],
    ),
    (
        Field::PostedFrom,
        &["转入时间", "编入支部日期", "转入日期", "进入支部时间"],
    ),
];

/// The heading marker that tells the heading row apart from a title above it.
pub const HEADING_MARKER: &str = "姓名";

fn field_zh(field: Field) -> &'static str {
    COLUMNS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or("", |(_, names)| names[0])
}

/// A heading without spaces, full-width brackets, asterisks marking required columns, or a
/// trailing note in brackets: `* 入党时间（年月日）` → `入党时间`.
pub fn normalise_heading(text: &str) -> String {
    let text: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '＊')
        .collect();
    let cut = text.find(['（', '(']).unwrap_or(text.len());
    text[..cut].to_string()
}

/// Where to import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every row goes into this branch (a branch column, if any, must name it or be empty).
    Branch(OrgId),
    /// Each row names its branch, which must lie in this org's subtree.
    Org(OrgId),
}

#[derive(Debug, Clone)]
pub struct Options {
    pub target: Target,
    pub sheet: Option<String>,
    pub file_name: String,
    /// Today in China; ID numbers and dates after it are refused.
    pub today: NaiveDate,
}

/// A member the import would create.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    pub row: usize,
    pub branch_id: OrgId,
    pub branch_name: String,
    pub branch_path: String,
    pub member: Member,
}

/// What an import would do: every member it would create and every problem found.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub file_name: String,
    pub file_sha256: String,
    pub sheet: Option<String>,
    /// The target org's path (the batch's subtree).
    pub scope_path: String,
    /// Recognised columns: letter, heading as written, field.
    pub columns: Vec<(String, String, Field)>,
    /// Columns Zhibu does not read.
    pub ignored: Vec<(String, String)>,
    pub planned: Vec<Planned>,
    pub errors: Vec<ImportError>,
    /// Data rows read.
    pub rows_read: usize,
}

impl Preview {
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty() && !self.planned.is_empty()
    }
}

fn sex(text: &str) -> Option<Sex> {
    match text.trim() {
        "男" | "男性" | "M" | "m" | "male" | "Male" => Some(Sex::Male),
        "女" | "女性" | "F" | "f" | "female" | "Female" => Some(Sex::Female),
        _ => None,
    }
}

pub(crate) fn employment(text: &str) -> Option<EmploymentCategory> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    Some(if has(&["年薪"]) {
        EmploymentCategory::AnnualSalary
    } else if has(&["离休", "退休", "离退休"]) {
        EmploymentCategory::Retired
    } else if has(&["学生"]) {
        EmploymentCategory::Student
    } else if has(&["下岗", "失业", "低保", "抚恤", "救济", "无业"]) {
        EmploymentCategory::UnemployedOrRelief
    } else if has(&["农民", "农牧渔", "牧民", "渔民"]) {
        EmploymentCategory::Farmer
    } else if has(&["个体", "自由职业", "灵活就业", "经营"]) {
        EmploymentCategory::SelfEmployed
    } else if has(&[
        "在岗",
        "职工",
        "工资",
        "公务员",
        "干部",
        "工人",
        "专业技术",
        "管理人员",
        "教师",
        "医生",
        "军人",
        "企业",
        "事业",
        "机关",
    ]) {
        EmploymentCategory::Salaried
    } else {
        return None;
    })
}

/// 正式党员 / 预备党员 from the category column.
fn category(text: &str) -> Option<bool> {
    let text = text.trim();
    if text.contains("预备") {
        Some(false)
    } else if text.contains("正式") {
        Some(true)
    } else {
        None
    }
}

struct Columns {
    index: HashMap<Field, usize>,
    headings: Vec<String>,
}

impl Columns {
    fn cell<'a>(&self, cells: &'a [Cell], field: Field) -> Option<&'a Cell> {
        let index = *self.index.get(&field)?;
        cells.get(index).filter(|cell| !cell.is_empty())
    }

    fn error(&self, row: usize, field: Field, problem: cells::CellProblem) -> ImportError {
        self.error_text(row, field, problem.0.to_string(), problem.1, problem.2)
    }

    fn error_text(
        &self,
        row: usize,
        field: Field,
        code: String,
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
                    .unwrap_or_else(|| field_zh(field).to_string()),
            ),
            code,
            message_zh,
            message_en,
        }
    }
}

/// The mapped columns, the recognised (letter, heading, field), the ignored (letter, heading) and
/// the problems with the heading row.
type MappedColumns = (
    Columns,
    Vec<(String, String, Field)>,
    Vec<(String, String)>,
    Vec<ImportError>,
);

fn map_columns(table: &Table) -> MappedColumns {
    let mut index = HashMap::new();
    let mut recognised = Vec::new();
    let mut ignored = Vec::new();
    let mut errors = Vec::new();
    for (position, heading) in table.headings.iter().enumerate() {
        let normal = normalise_heading(heading);
        if normal.is_empty() {
            continue;
        }
        let found = COLUMNS
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
                            field_zh(field)
                        ),
                        message_en: format!(
                            "repeats column {}: both are “{}”",
                            column_letter(*first),
                            field_zh(field)
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
        },
        recognised,
        ignored,
        errors,
    )
}

fn storage_error(error: StorageError) -> ImportError {
    ImportError::file(
        "storage",
        format!("读取数据库失败：{error}"),
        format!("reading the database failed: {error}"),
    )
}

/// The branches a roster may go into, by id and by name.
struct Branches {
    scope_path: String,
    by_id: HashMap<i64, (String, String, Org)>,
    by_name: HashMap<String, Vec<i64>>,
    fixed: Option<i64>,
}

async fn branches(repository: &Repository, target: Target) -> Result<Branches, ImportError> {
    let (root, fixed) = match target {
        Target::Branch(id) => (id, Some(id.0)),
        Target::Org(id) => (id, None),
    };
    let scope_path = repository.org_path(root).await.map_err(|_| {
        ImportError::file(
            "unknown_org",
            format!("党组织{root}不存在"),
            format!("organization {root} does not exist"),
        )
    })?;
    let mut by_id = HashMap::new();
    let mut by_name: HashMap<String, Vec<i64>> = HashMap::new();
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
            let path = repository
                .org_path(OrgId(org.id))
                .await
                .map_err(storage_error)?;
            by_name
                .entry(org.body.name.trim().to_string())
                .or_default()
                .push(org.id);
            by_id.insert(org.id, (org.body.name.clone(), path, org.body.clone()));
        }
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    // The root itself is not in its own `list` page when it is the top (its path is its own).
    if let std::collections::hash_map::Entry::Vacant(slot) = by_id.entry(root.0) {
        let org = repository.get::<Org>(root).await.map_err(storage_error)?;
        by_name
            .entry(org.body.name.trim().to_string())
            .or_default()
            .push(root.0);
        slot.insert((org.body.name.clone(), scope_path.clone(), org.body));
    }
    if let Some(id) = fixed {
        let (name, _, org) = &by_id[&id];
        if org.level != OrgLevel::Branch {
            return Err(ImportError::file(
                "not_a_branch",
                format!(
                    "“{name}”是{}，不是党支部：请用 --org 导入到其下各支部",
                    org.level.name_zh()
                ),
                format!("{name:?} is not a branch: use --org to import into the branches below it"),
            ));
        }
    }
    Ok(Branches {
        scope_path,
        by_id,
        by_name,
        fixed,
    })
}

/// Reads the file and checks everything; writes nothing.
pub async fn preview(
    repository: &Repository,
    bytes: &[u8],
    options: &Options,
) -> Result<Preview, ImportError> {
    let table = match detect(bytes, &options.file_name)? {
        Format::Xlsx => read_xlsx(bytes, options.sheet.as_deref(), HEADING_MARKER)?,
        Format::Csv => {
            if options.sheet.is_some() {
                return Err(ImportError::file(
                    "sheet_in_csv",
                    "csv 文件没有工作表，不能指定工作表".into(),
                    "a csv file has no sheets; do not name one".into(),
                ));
            }
            read_csv(bytes, HEADING_MARKER)?
        }
    };
    let branches = branches(repository, options.target).await?;
    let (columns, recognised, ignored, mut errors) = map_columns(&table);
    let mut required = vec![Field::Name, Field::Sex, Field::Joined, Field::Employment];
    if branches.fixed.is_none() {
        required.push(Field::Branch);
    }
    for field in &required {
        if !columns.index.contains_key(field) {
            let names = COLUMNS
                .iter()
                .find(|(f, _)| f == field)
                .map_or(String::new(), |(_, names)| names.join("、"));
            errors.push(ImportError {
                row: Some(table.heading_row),
                column: None,
                heading: Some(field_zh(*field).to_string()),
                code: "missing_column".into(),
                message_zh: format!("缺少必需的列“{}”（可用标题：{names}）", field_zh(*field)),
                message_en: format!(
                    "the required column “{}” is missing (accepted headings: {names})",
                    field_zh(*field)
                ),
            });
        }
    }
    let mut preview = Preview {
        file_name: options.file_name.clone(),
        file_sha256: file_sha256(bytes),
        sheet: table.sheet.clone(),
        scope_path: branches.scope_path.clone(),
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
    let existing = if columns.index.contains_key(&Field::IdNumber) {
        if repository.data_key().is_none() {
            return Err(ImportError::file(
                "no_data_key",
                "未配置数据密钥，不能导入身份证号码等个人信息：请设置 ZHIBU_DATA_KEY_FILE".into(),
                "no data key is configured, so personal data such as ID numbers cannot be imported: set ZHIBU_DATA_KEY_FILE".into(),
            ));
        }
        repository
            .personal_indexes(RecordKind::Member, "registry.id_number")
            .await
            .map_err(storage_error)?
    } else {
        HashMap::new()
    };
    let key = repository.data_key();
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    for (row, cells) in &table.rows {
        let row = *row;
        match check_row(row, cells, &columns, &branches, options.today) {
            Ok(planned) => {
                if let Some(id) = &planned.member.registry.id_number {
                    let text = id.as_full_str().to_string();
                    if let Some(first) = seen_ids.get(&text) {
                        errors.push(columns.error(
                            row,
                            Field::IdNumber,
                            (
                                "duplicate_in_file",
                                format!("身份证号码与第{first}行重复"),
                                format!("the ID number repeats row {first}"),
                            ),
                        ));
                        continue;
                    }
                    seen_ids.insert(text.clone(), row);
                    if let Some(key) = key {
                        let index =
                            key.blind_index("registry.id_number", &serde_json::Value::String(text));
                        if let Some((id, name)) = existing.get(&index) {
                            errors.push(columns.error(
                                row,
                                Field::IdNumber,
                                (
                                    "duplicate_existing",
                                    format!(
                                        "身份证号码已属于已登记的党员{}（记录{id}）",
                                        name.as_deref().unwrap_or("")
                                    ),
                                    format!(
                                        "the ID number already belongs to the recorded member {} (record {id})",
                                        name.as_deref().unwrap_or("")
                                    ),
                                ),
                            ));
                            continue;
                        }
                    }
                }
                preview.planned.push(planned);
            }
            Err(row_errors) => errors.extend(row_errors),
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

fn check_row(
    row: usize,
    cells: &[Cell],
    columns: &Columns,
    branches: &Branches,
    today: NaiveDate,
) -> Result<Planned, Vec<ImportError>> {
    let mut errors = Vec::new();
    let text = |field| columns.cell(cells, field).map(Cell::text);
    let date_of = |field: Field, errors: &mut Vec<ImportError>| -> Option<NaiveDate> {
        let cell = columns.cell(cells, field)?;
        match cells::date(cell) {
            Ok(date) if date > today => {
                errors.push(columns.error(
                    row,
                    field,
                    (
                        "in_future",
                        format!("日期{date}晚于今天"),
                        format!("the date {date} is after today"),
                    ),
                ));
                None
            }
            Ok(date) => Some(date),
            Err(problem) => {
                errors.push(columns.error(row, field, problem));
                None
            }
        }
    };
    let name = text(Field::Name).unwrap_or_default();
    if name.is_empty() {
        errors.push(columns.error(
            row,
            Field::Name,
            (
                "required",
                "姓名不能为空".into(),
                "the name is required".into(),
            ),
        ));
    }
    let sex_value = match text(Field::Sex) {
        None => {
            errors.push(columns.error(
                row,
                Field::Sex,
                (
                    "required",
                    "性别不能为空".into(),
                    "the sex is required".into(),
                ),
            ));
            None
        }
        Some(value) => {
            let found = sex(&value);
            if found.is_none() {
                errors.push(columns.error(
                    row,
                    Field::Sex,
                    (
                        "bad_sex",
                        format!("性别“{value}”应为“男”或“女”"),
                        format!("the sex {value:?} must be 男 or 女"),
                    ),
                ));
            }
            found
        }
    };
    let birth = date_of(Field::BirthDate, &mut errors);
    let joined = date_of(Field::Joined, &mut errors);
    if joined.is_none() && columns.cell(cells, Field::Joined).is_none() {
        errors.push(columns.error(
            row,
            Field::Joined,
            (
                "required",
                "入党时间不能为空".into(),
                "the date of joining is required".into(),
            ),
        ));
    }
    let full = date_of(Field::BecameFull, &mut errors);
    let posted_from = date_of(Field::PostedFrom, &mut errors);
    let id_number = match columns.cell(cells, Field::IdNumber) {
        None => None,
        Some(cell) => match IdCardNumber::parse(&cell.text(), today) {
            Ok(id) => Some(id),
            Err(error) => {
                for problem in &error.problems {
                    errors.push(columns.error(
                        row,
                        Field::IdNumber,
                        (problem.code(), problem.message_zh(), problem.message_en()),
                    ));
                }
                None
            }
        },
    };
    let phone = match columns.cell(cells, Field::Phone) {
        None => None,
        Some(cell) => match PhoneNumber::parse(&cell.text()) {
            Ok(phone) => Some(phone),
            Err(error) => {
                errors.push(columns.error(
                    row,
                    Field::Phone,
                    (
                        error.problem.code(),
                        error.problem.message_zh(),
                        error.problem.message_en(),
                    ),
                ));
                None
            }
        },
    };
    let education = match text(Field::Education) {
        None => None,
        Some(value) => {
            let found = Education::parse_zh(&value);
            if found.is_none() {
                let known: Vec<&str> = Education::ALL.iter().map(|e| e.name_zh()).collect();
                errors.push(columns.error(
                    row,
                    Field::Education,
                    (
                        "bad_education",
                        format!("学历“{value}”无法识别，应为：{}", known.join("、")),
                        format!(
                            "the education {value:?} is not recognised; use one of: {}",
                            known.join(", ")
                        ),
                    ),
                ));
            }
            found
        }
    };
    let employment_value = match text(Field::Employment) {
        None => {
            errors.push(columns.error(
                row,
                Field::Employment,
                (
                    "required",
                    "人员类别不能为空（决定党费标准）".into(),
                    "the employment category is required (it sets the dues rate)".into(),
                ),
            ));
            None
        }
        Some(value) => {
            let found = employment(&value);
            if found.is_none() {
                errors.push(columns.error(
                    row,
                    Field::Employment,
                    (
                        "bad_employment",
                        format!("人员类别“{value}”无法识别，应如：在岗职工、年薪制、个体经营、离退休、农民、学生、下岗失业"),
                        format!("the employment category {value:?} is not recognised; e.g. 在岗职工, 年薪制, 个体经营, 离退休, 农民, 学生, 下岗失业"),
                    ),
                ));
            }
            found
        }
    };
    let is_full = match text(Field::Category) {
        None => full.is_some(),
        Some(value) => match category(&value) {
            Some(is_full) => {
                if is_full && full.is_none() && columns.cell(cells, Field::BecameFull).is_none() {
                    errors.push(columns.error(
                        row,
                        Field::BecameFull,
                        (
                            "required",
                            "正式党员须填写转正时间".into(),
                            "a full member needs the date they became full".into(),
                        ),
                    ));
                }
                if !is_full && full.is_some() {
                    errors.push(columns.error(
                        row,
                        Field::Category,
                        (
                            "probationary_with_full_date",
                            "预备党员不应有转正时间".into(),
                            "a probationary member cannot have a date of becoming full".into(),
                        ),
                    ));
                }
                is_full
            }
            None => {
                errors.push(columns.error(
                    row,
                    Field::Category,
                    (
                        "bad_category",
                        format!("党员类别“{value}”应为“正式党员”或“预备党员”"),
                        format!("the category {value:?} must be 正式党员 or 预备党员"),
                    ),
                ));
                full.is_some()
            }
        },
    };
    if let (Some(joined), Some(full)) = (joined, full)
        && full <= joined
    {
        errors.push(columns.error(
            row,
            Field::BecameFull,
            (
                "full_before_joined",
                format!("转正时间{full}不晚于入党时间{joined}"),
                format!("the date of becoming full {full} is not after joining {joined}"),
            ),
        ));
    }
    // The branch.
    let branch_text = text(Field::Branch);
    let branch = match (branches.fixed, branch_text.as_deref()) {
        (Some(id), None) => Some(id),
        (Some(id), Some(named)) => {
            let (name, _, _) = &branches.by_id[&id];
            if named.trim() == name.trim() {
                Some(id)
            } else {
                errors.push(columns.error(
                    row,
                    Field::Branch,
                    (
                        "other_branch",
                        format!("本行属于“{named}”，而导入的目标支部是“{name}”"),
                        format!("the row belongs to {named:?} but the import goes into {name:?}"),
                    ),
                ));
                None
            }
        }
        (None, None) => {
            errors.push(columns.error(
                row,
                Field::Branch,
                (
                    "required",
                    "所在党支部不能为空".into(),
                    "the branch is required".into(),
                ),
            ));
            None
        }
        (None, Some(named)) => match branches.by_name.get(named.trim()).map(Vec::as_slice) {
            Some([id]) if branches.by_id[id].2.level == OrgLevel::Branch => Some(*id),
            Some([id]) => {
                let level = branches.by_id[id].2.level;
                errors.push(columns.error(
                    row,
                    Field::Branch,
                    (
                        "not_a_branch",
                        format!("“{named}”是{}，党员只能编入党支部", level.name_zh()),
                        format!("{named:?} is not a branch; members belong to a branch"),
                    ),
                ));
                None
            }
            Some(several) => {
                errors.push(columns.error(
                    row,
                    Field::Branch,
                    ("ambiguous_branch", format!("有{}个党组织名为“{named}”（{:?}）：请分别按支部导入", several.len(), several), format!("{} organizations are named {named:?} ({several:?}): import branch by branch", several.len())),
                ));
                None
            }
            None => {
                errors.push(columns.error(
                    row,
                    Field::Branch,
                    (
                        "unknown_branch",
                        format!("导入范围内没有名为“{named}”的党支部"),
                        format!("there is no branch named {named:?} within the import's scope"),
                    ),
                ));
                None
            }
        },
    };
    if let Some(id) = branch {
        let (name, _, org) = &branches.by_id[&id];
        if let Some(dissolved) = org.dissolved_on
            && dissolved <= today
        {
            errors.push(columns.error(
                row,
                Field::Branch,
                (
                    "dissolved_branch",
                    format!("党支部“{name}”已于{dissolved}撤销"),
                    format!("the branch {name:?} was dissolved on {dissolved}"),
                ),
            ));
        }
    }
    let (Some(sex_value), Some(joined), Some(employment_value), Some(branch)) =
        (sex_value, joined, employment_value, branch)
    else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let birth_date = birth.or(id_number.as_ref().map(IdCardNumber::birth_date));
    let mut status_history = vec![StatusChange {
        effective_on: joined,
        status: MemberStatus::Probationary,
        note: None,
    }];
    if is_full && let Some(full) = full {
        status_history.push(StatusChange {
            effective_on: full,
            status: MemberStatus::Full,
            note: None,
        });
    }
    let ethnicity = text(Field::Ethnicity).map(|e| {
        if e.ends_with('族') || e.chars().count() > 4 {
            e
        } else {
            format!("{e}族")
        }
    });
    let member = Member {
        name: name.clone(),
        sex: sex_value,
        birth_date,
        joined_on: joined,
        status_history,
        postings: vec![BranchPosting {
            branch_id: OrgId(branch),
            group_id: None,
            from: posted_from.unwrap_or(joined),
            until: None,
            transferred_in_from: None,
            transferred_out_to: None,
        }],
        employment: employment_value,
        leading_cadre: false,
        org_life_exemption: None,
        registry: RegistryDetails {
            ethnicity,
            education,
            id_number,
            phone,
            native_place: text(Field::NativePlace),
            work_post: text(Field::WorkPost),
        },
        sanctions: Vec::new(),
    };
    if let Err(invalid) = member.validate() {
        for error in &invalid.errors {
            let field = match error.field.as_str() {
                "name" => Field::Name,
                "birth_date" => Field::BirthDate,
                "registry.id_number" => Field::IdNumber,
                "registry.ethnicity" => Field::Ethnicity,
                field if field.starts_with("status_history") => Field::BecameFull,
                field if field.starts_with("postings") => Field::PostedFrom,
                _ => Field::Joined,
            };
            errors.push(columns.error_text(
                row,
                field,
                error.code.clone(),
                error.message_zh.clone(),
                error.message_en.clone(),
            ));
        }
        return Err(errors);
    }
    let (branch_name, branch_path, _) = &branches.by_id[&branch];
    Ok(Planned {
        row,
        branch_id: OrgId(branch),
        branch_name: branch_name.clone(),
        branch_path: branch_path.clone(),
        member,
    })
}

/// Writes a clean preview as one batch in one transaction, through the trusted bulk path. The
/// entry instant of every record is `entered_at`.
pub async fn commit(
    repository: &Repository,
    preview: &Preview,
    actor: &str,
    entered_at: DateTime<Utc>,
    progress: &dyn ImportProgress,
) -> Result<ImportBatch, StorageError> {
    if !preview.is_clean() {
        return Err(StorageError::Invalid(zhibu_core::ValidationErrors::single(
            zhibu_core::FieldError::new(
                "file",
                "not_clean",
                format!("预览中有{}处错误，未导入任何记录", preview.errors.len()),
                format!(
                    "the preview has {} errors; nothing was imported",
                    preview.errors.len()
                ),
            ),
        )));
    }
    let first = repository
        .reserve_record_ids(preview.planned.len() as u64)
        .await?;
    let mut records = Vec::with_capacity(preview.planned.len());
    for (offset, planned) in preview.planned.iter().enumerate() {
        let record = TrustedRecord::new(
            first + offset as i64,
            planned.branch_path.clone(),
            &planned.member,
            entered_at,
        )?;
        records.push((record, planned.row as i64));
    }
    repository
        .import_load(
            &NewImport {
                kind: "roster".into(),
                org_path: preview.scope_path.clone(),
                file_name: preview.file_name.clone(),
                file_sha256: preview.file_sha256.clone(),
                sheet: preview.sheet.clone(),
                actor: actor.to_string(),
                records,
            },
            progress,
        )
        .await
}

/// The member's record kind, for callers naming what a batch created.
pub const KIND: RecordKind = <Member as Record>::KIND;
