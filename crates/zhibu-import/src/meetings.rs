//! Past meetings as branches kept them in their 三会一课 books: one row per meeting (branch or
//! party group, kinds, date, topic, place, chair, recorder, who attended, who was excused and why,
//! who was absent), producing `meeting` records with attendance. People are named by name or by ID
//! number, several in one cell separated by `、` (also `，` `,` `；` `;` or a line break); an
//! excused member's reason follows the name in brackets: `李四（出差）`. Each meeting is checked as
//! the write path checks it: the record's own validation, and everyone named belonging to the
//! branch on that day (for a group meeting, the group's branch), plus duplicates within the file
//! and against the meetings already stored.
//!
//! Same shape as the roster and dues imports: [`preview`] → [`Preview`], then [`commit`].

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use zhibu_core::{
    Attendance, AttendanceState, Meeting, MeetingKind, MemberId, OrgId, OrgLevel, RecordKind,
    validate_meeting_roster,
};
use zhibu_storage::{ImportBatch, ImportProgress, Repository, StorageError, TrustedRecord};

use crate::dues::{
    Columns, People, Scope, decode, list_all, looks_like_id_number, normal_name, not_clean,
    read_sheet, write_batch,
};
pub use crate::roster::{Options, Target};
use crate::table::Cell;
use crate::{ImportError, file_sha256};

/// A meeting column Zhibu reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Org,
    Kinds,
    Date,
    Topics,
    Place,
    Chair,
    Recorder,
    Present,
    Excused,
    Absent,
    Minutes,
}

/// Each field with its usual heading first, then accepted variants.
pub const COLUMNS: &[(Field, &[&str])] = &[
    (
        Field::Org,
        &[
            "党支部",
            "所在党支部",
            "党组织",
            "党组织名称",
            "召开单位",
            "党小组",
        ],
    ),
    (Field::Kinds, &["会议类型", "会议类别", "类型", "会议形式"]),
    (
        Field::Date,
        &[
            "会议日期",
            "召开日期",
            "日期",
            "会议时间",
            "召开时间",
            "时间",
        ],
    ),
    (Field::Topics, &["会议主题", "主题", "议题", "会议议题"]),
    (Field::Place, &["会议地点", "地点"]),
    (Field::Chair, &["主持人"]),
    (Field::Recorder, &["记录人"]),
    (
        Field::Present,
        &["出席人员", "实到人员", "参会人员", "出席党员", "出席"],
    ),
    (Field::Excused, &["请假人员", "请假党员", "请假"]),
    (Field::Absent, &["缺席人员", "缺席党员", "缺席"]),
    (
        Field::Minutes,
        &["会议记录", "会议纪要", "主要内容", "会议内容"],
    ),
];

/// The headings that mark the heading row (the date column), tried in order.
pub const HEADING_MARKERS: &[&str] = &[
    "会议日期",
    "召开日期",
    "日期",
    "会议时间",
    "召开时间",
    "时间",
];

/// A meeting the import would create.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    pub row: usize,
    pub org_id: OrgId,
    pub org_name: String,
    pub org_path: String,
    pub meeting: Meeting,
}

/// What a meeting import would do: every meeting it would create and every problem found.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub file_name: String,
    pub file_sha256: String,
    pub sheet: Option<String>,
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
}

/// A meeting kind by its Chinese name or a common short form.
pub fn meeting_kind(text: &str) -> Option<MeetingKind> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    Some(match text.as_str() {
        "支部党员大会" | "党员大会" | "支部大会" | "党员大会会议" => {
            MeetingKind::GeneralMeeting
        }
        "支部委员会会议" | "支委会" | "支部委员会" | "支委会会议" => {
            MeetingKind::CommitteeMeeting
        }
        "党小组会" | "党小组会议" | "小组会" => MeetingKind::GroupMeeting,
        "党课" | "讲党课" => MeetingKind::PartyLecture,
        "主题党日" | "主题党日活动" => MeetingKind::ThemedPartyDay,
        "组织生活会" | "专题组织生活会" => MeetingKind::OrgLifeMeeting,
        "民主评议党员" | "民主评议" => MeetingKind::MemberAppraisal,
        _ => return None,
    })
}

const ALL_KINDS: [MeetingKind; 7] = [
    MeetingKind::GeneralMeeting,
    MeetingKind::CommitteeMeeting,
    MeetingKind::GroupMeeting,
    MeetingKind::PartyLecture,
    MeetingKind::ThemedPartyDay,
    MeetingKind::OrgLifeMeeting,
    MeetingKind::MemberAppraisal,
];

/// One entry of a list cell: the person (name or ID number) and the note in brackets, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    pub person: String,
    pub note: Option<String>,
}

/// Splits a list cell at `、` `，` `,` `；` `;` and line breaks, but not inside brackets (a reason
/// may hold a comma), and reads `姓名（原因）` / `姓名(原因)`.
pub fn list_entries(text: &str) -> Vec<ListEntry> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '（' | '(' => {
                depth += 1;
                current.push(c);
            }
            '）' | ')' => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            '、' | '，' | ',' | '；' | ';' | '\n' | '\r' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
            }
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|part| part.trim().to_string())
        .filter(|part| !part.is_empty())
        .map(|part| match part.find(['（', '(']) {
            Some(open) => {
                let person = part[..open].trim().to_string();
                let rest = &part[open..];
                let inner = rest
                    .trim_start_matches(['（', '('])
                    .trim_end_matches(['）', ')'])
                    .trim()
                    .to_string();
                ListEntry {
                    person,
                    note: Some(inner),
                }
            }
            None => ListEntry {
                person: part,
                note: None,
            },
        })
        .collect()
}

/// A meeting's identity for duplicates: org, day, kinds.
type MeetingKey = (i64, NaiveDate, Vec<MeetingKind>);

fn meeting_key(meeting: &Meeting) -> MeetingKey {
    let mut kinds = meeting.kinds.clone();
    kinds.sort();
    (meeting.org_id.0, meeting.held_on, kinds)
}

/// Reads a file of past meetings and checks everything; writes nothing.
///
/// How to wire this kind into the upload page (pages/imports.rs): exactly as `dues::preview` —
/// the roster's [`Options`], then show `preview.errors` and `preview.planned` (org, date, kinds,
/// attendance by member id; names through the member list) and, once confirmed, [`commit`].
/// Batches are kind `"meetings"`; `Repository::rollback_latest_import` undoes them.
pub async fn preview(
    repository: &Repository,
    bytes: &[u8],
    options: &Options,
) -> Result<Preview, ImportError> {
    let table = read_sheet(bytes, options, HEADING_MARKERS)?;
    let scope = Scope::load(repository, options.target).await?;
    if let Some(id) = scope.fixed {
        let (name, _, org) = &scope.orgs[&id];
        if !matches!(org.level, OrgLevel::Branch | OrgLevel::PartyGroup) {
            return Err(ImportError::file(
                "not_a_branch",
                format!(
                    "“{name}”是{}，不是党支部或党小组：请用 --org 导入其下各支部的会议",
                    org.level.name_zh()
                ),
                format!(
                    "{name:?} is neither a branch nor a party group: use --org for the branches below it"
                ),
            ));
        }
    }
    let (columns, recognised, ignored, mut errors) = Columns::map(&table, COLUMNS);
    let mut required = vec![Field::Kinds, Field::Date, Field::Present];
    if scope.fixed.is_none() {
        required.push(Field::Org);
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
    let mut stored: HashMap<MeetingKey, i64> = HashMap::new();
    for row in list_all(repository, RecordKind::Meeting, &scope.path).await? {
        let meeting: Meeting = decode(&row)?;
        stored.insert(meeting_key(&meeting), row.id);
    }
    let mut seen: HashMap<MeetingKey, usize> = HashMap::new();
    for (row, cells) in &table.rows {
        let row = *row;
        match check_row(
            row,
            cells,
            &columns,
            &scope,
            &people,
            repository,
            options.today,
        ) {
            Ok(planned) => {
                let key = meeting_key(&planned.meeting);
                let kinds: Vec<&str> = key.2.iter().map(|k| k.name_zh()).collect();
                if let Some(first) = seen.get(&key) {
                    errors.push(columns.error(
                        row,
                        Field::Date,
                        "duplicate_in_file",
                        format!(
                            "与第{first}行重复：{}在{}的{}",
                            planned.org_name,
                            planned.meeting.held_on,
                            kinds.join("、")
                        ),
                        format!(
                            "repeats row {first}: the same {} on {}",
                            planned.org_name, planned.meeting.held_on
                        ),
                    ));
                } else if let Some(id) = stored.get(&key) {
                    errors.push(columns.error(
                        row,
                        Field::Date,
                        "duplicate_existing",
                        format!(
                            "{}在{}的{}已登记（记录{id}）",
                            planned.org_name,
                            planned.meeting.held_on,
                            kinds.join("、")
                        ),
                        format!(
                            "this meeting of {} on {} is already recorded (record {id})",
                            planned.org_name, planned.meeting.held_on
                        ),
                    ));
                } else {
                    seen.insert(key, row);
                    preview.planned.push(planned);
                }
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

/// The org the row's meeting belongs under and its branch: the org column (or `--branch`) names a
/// branch, or a party group for a group meeting.
fn row_org(
    row: usize,
    cells: &[Cell],
    columns: &Columns<Field>,
    scope: &Scope,
    is_group_meeting: Option<bool>,
) -> Result<i64, ImportError> {
    let named = columns.text(cells, Field::Org);
    let id = match (scope.fixed, named) {
        (Some(fixed), None) => fixed,
        (None, None) => {
            return Err(columns.error(
                row,
                Field::Org,
                "required",
                "党支部不能为空".into(),
                "the branch is required".into(),
            ));
        }
        (Some(fixed), Some(named)) => {
            if named.trim() != scope.name(fixed).trim() {
                return Err(columns.error(
                    row,
                    Field::Org,
                    "other_branch",
                    format!("本行属于“{named}”，而导入的目标是“{}”", scope.name(fixed)),
                    format!(
                        "the row belongs to {named:?} but the import goes into {:?}",
                        scope.name(fixed)
                    ),
                ));
            }
            fixed
        }
        (None, Some(named)) => {
            let candidates: Vec<i64> = scope
                .named(&named)
                .iter()
                .copied()
                .filter(|id| {
                    matches!(
                        scope.orgs[id].2.level,
                        OrgLevel::Branch | OrgLevel::PartyGroup
                    )
                })
                .collect();
            match candidates.as_slice() {
                [one] => *one,
                [] => {
                    return Err(columns.error(
                        row,
                        Field::Org,
                        "unknown_branch",
                        format!("导入范围内没有名为“{named}”的党支部或党小组"),
                        format!(
                            "there is no branch or party group named {named:?} within the import's scope"
                        ),
                    ));
                }
                several => {
                    return Err(columns.error(
                        row,
                        Field::Org,
                        "ambiguous_branch",
                        format!(
                            "有{}个党组织名为“{named}”（{several:?}）：请分别按支部导入",
                            several.len()
                        ),
                        format!(
                            "{} organizations are named {named:?} ({several:?}): import branch by branch",
                            several.len()
                        ),
                    ));
                }
            }
        }
    };
    let (name, _, org) = &scope.orgs[&id];
    match (org.level, is_group_meeting) {
        (OrgLevel::PartyGroup, Some(false)) => Err(columns.error(
            row,
            Field::Kinds,
            "group_holds_group_meetings",
            format!("“{name}”是党小组，党小组只能召开党小组会"),
            format!("{name:?} is a party group, which holds group meetings only"),
        )),
        (OrgLevel::Branch, Some(true)) => Err(columns.error(
            row,
            if columns.has(Field::Org) {
                Field::Org
            } else {
                Field::Kinds
            },
            "not_a_group",
            format!("党小组会须记在党小组名下，“{name}”是党支部：请填写党小组名称"),
            format!("a group meeting is recorded under its party group; {name:?} is a branch: name the group"),
        )),
        (OrgLevel::Branch | OrgLevel::PartyGroup, _) => Ok(id),
        (level, _) => Err(columns.error(
            row,
            Field::Org,
            "not_a_branch",
            format!("“{name}”是{}，三会一课记在党支部名下", level.name_zh()),
            format!("{name:?} is not a branch; branch meetings are recorded under a branch"),
        )),
    }
}

fn check_row(
    row: usize,
    cells: &[Cell],
    columns: &Columns<Field>,
    scope: &Scope,
    people: &People,
    repository: &Repository,
    today: NaiveDate,
) -> Result<Planned, Vec<ImportError>> {
    let mut errors = Vec::new();
    // Kinds.
    let mut kinds = Vec::new();
    match columns.text(cells, Field::Kinds) {
        None => columns.required(row, Field::Kinds, &mut errors),
        Some(text) => {
            for entry in list_entries(&text) {
                match meeting_kind(&entry.person) {
                    Some(kind) if kinds.contains(&kind) => errors.push(columns.error(
                        row,
                        Field::Kinds,
                        "duplicate",
                        format!("会议类型“{}”重复", entry.person),
                        format!("the kind {:?} is listed twice", entry.person),
                    )),
                    Some(kind) => kinds.push(kind),
                    None => {
                        let known: Vec<&str> = ALL_KINDS.iter().map(|k| k.name_zh()).collect();
                        errors.push(columns.error(
                            row,
                            Field::Kinds,
                            "bad_kind",
                            format!(
                                "会议类型“{}”无法识别，应为：{}（多个类型用“、”分隔）",
                                entry.person,
                                known.join("、")
                            ),
                            format!(
                                "the meeting kind {:?} is not recognised; use {} (several separated by 、)",
                                entry.person,
                                known.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
    }
    let held_on = columns.date(row, cells, Field::Date, today, &mut errors);
    if held_on.is_none() && columns.cell(cells, Field::Date).is_none() {
        columns.required(row, Field::Date, &mut errors);
    }
    let is_group = (!kinds.is_empty()).then(|| kinds.contains(&MeetingKind::GroupMeeting));
    let org_id = match row_org(row, cells, columns, scope, is_group) {
        Ok(id) => Some(id),
        Err(error) => {
            errors.push(error);
            None
        }
    };
    let (Some(held_on), Some(org_id)) = (held_on, org_id) else {
        return Err(errors);
    };
    let (org_name, org_path, org) = &scope.orgs[&org_id];
    let branch_id = if org.level == OrgLevel::PartyGroup {
        org.parent_id.map(|parent| parent.0)
    } else {
        Some(org_id)
    };
    let Some(branch_id) = branch_id else {
        errors.push(columns.error(
            row,
            Field::Org,
            "unknown_org",
            format!("党小组“{org_name}”没有所属支部"),
            format!("the party group {org_name:?} has no branch"),
        ));
        return Err(errors);
    };
    if let Some(dissolved) = org.dissolved_on
        && dissolved <= held_on
    {
        errors.push(columns.error(
            row,
            Field::Org,
            "dissolved_branch",
            format!("“{org_name}”已于{dissolved}撤销，不能在{held_on}开会"),
            format!("{org_name:?} was dissolved on {dissolved}, before the meeting on {held_on}"),
        ));
    }
    let branch_name = scope.name(branch_id).to_string();
    // Everyone named must be on the branch's roster that day (as the write path checks).
    let roster: Vec<i64> = {
        let mut ids: Vec<i64> = people
            .members
            .iter()
            .filter(|(_, member)| member.branch_on(held_on) == Some(OrgId(branch_id)))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    };
    let person = |field: Field, text: &str, errors: &mut Vec<ImportError>| -> Option<i64> {
        if looks_like_id_number(text) {
            match people.by_id_number(repository, text, today) {
                Err(problems) => {
                    for (code, zh, en) in problems {
                        errors.push(columns.error(
                            row,
                            field,
                            code,
                            format!("“{text}”：{zh}"),
                            format!("{text:?}: {en}"),
                        ));
                    }
                    None
                }
                Ok(Some(id)) if roster.contains(&id) => Some(id),
                Ok(Some(id)) => {
                    let name = people.name(id);
                    errors.push(columns.error(
                        row,
                        field,
                        "not_a_member_of_branch",
                        format!("身份证号码为{text}的党员{name}在{held_on}不属于{branch_name}"),
                        format!("the member with ID number {text}, {name}, did not belong to {branch_name} on {held_on}"),
                    ));
                    None
                }
                Ok(None) => {
                    errors.push(columns.error(
                        row,
                        field,
                        "unknown_member",
                        format!("导入范围内没有身份证号码为{text}的党员"),
                        format!("no member with the ID number {text} within the import's scope"),
                    ));
                    None
                }
            }
        } else {
            let named: Vec<i64> = people.named(text).to_vec();
            let on_roster: Vec<i64> = named
                .iter()
                .copied()
                .filter(|id| roster.contains(id))
                .collect();
            match on_roster.as_slice() {
                [one] => Some(*one),
                [] if named.is_empty() => {
                    errors.push(columns.error(
                        row,
                        field,
                        "unknown_member",
                        format!("导入范围内没有名为“{text}”的党员（请先导入党员名册）"),
                        format!("there is no member named {text:?} within the import's scope (import the roster first)"),
                    ));
                    None
                }
                [] => {
                    errors.push(columns.error(
                        row,
                        field,
                        "not_a_member_of_branch",
                        format!("{text}在{held_on}不属于{branch_name}"),
                        format!("{text} did not belong to {branch_name} on {held_on}"),
                    ));
                    None
                }
                several => {
                    errors.push(columns.error(
                        row,
                        field,
                        "ambiguous_member",
                        format!(
                            "{branch_name}在{held_on}有{}名党员名为“{text}”（记录{several:?}）：请改填身份证号码",
                            several.len()
                        ),
                        format!(
                            "{branch_name} had {} members named {text:?} on {held_on} (records {several:?}): give the ID number instead",
                            several.len()
                        ),
                    ));
                    None
                }
            }
        }
    };
    let mut attendance: Vec<Attendance> = Vec::new();
    let mut listed: HashMap<i64, Field> = HashMap::new();
    for field in [Field::Present, Field::Excused, Field::Absent] {
        let Some(text) = columns.text(cells, field) else {
            if field == Field::Present {
                columns.required(row, field, &mut errors);
            }
            continue;
        };
        for entry in list_entries(&text) {
            let state = match (field, entry.note) {
                (Field::Excused, Some(reason)) if !reason.is_empty() => {
                    AttendanceState::Excused { reason }
                }
                (Field::Excused, _) => {
                    errors.push(columns.error(
                        row,
                        field,
                        "reason_required",
                        format!("请假须注明原因，写作“{}（原因）”", entry.person),
                        format!(
                            "an excused absence needs a reason: write “{}（reason）”",
                            entry.person
                        ),
                    ));
                    continue;
                }
                (Field::Absent, None) => AttendanceState::Absent,
                (_, None) => AttendanceState::Present,
                (_, Some(note)) => {
                    errors.push(columns.error(
                        row,
                        field,
                        "unexpected_note",
                        format!(
                            "“{}（{note}）”：此列只填姓名或身份证号码；有原因的缺席请填在请假人员列",
                            entry.person
                        ),
                        format!(
                            "“{}（{note}）”: this column takes names or ID numbers only; an absence with a reason goes in the excused column",
                            entry.person
                        ),
                    ));
                    continue;
                }
            };
            let text = normal_name(&entry.person);
            if text.is_empty() {
                continue;
            }
            let Some(id) = person(field, &text, &mut errors) else {
                continue;
            };
            if let Some(earlier) = listed.get(&id) {
                let heading = |f: Field| {
                    COLUMNS
                        .iter()
                        .find(|(c, _)| *c == f)
                        .map_or("", |(_, names)| names[0])
                };
                errors.push(columns.error(
                    row,
                    field,
                    "listed_twice",
                    format!(
                        "{text}已列在“{}”中，同一党员只能登记一次",
                        heading(*earlier)
                    ),
                    format!(
                        "{text} is already listed under “{}”; a member is listed once",
                        heading(*earlier)
                    ),
                ));
                continue;
            }
            listed.insert(id, field);
            attendance.push(Attendance {
                member_id: MemberId(id),
                state,
            });
        }
    }
    let chair = columns
        .text(cells, Field::Chair)
        .and_then(|text| person(Field::Chair, &normal_name(&text), &mut errors));
    let recorder = columns
        .text(cells, Field::Recorder)
        .and_then(|text| person(Field::Recorder, &normal_name(&text), &mut errors));
    if !errors.is_empty() {
        return Err(errors);
    }
    let topics = columns
        .text(cells, Field::Topics)
        .map(|text| {
            text.split(['\n', '；', ';'])
                .map(str::trim)
                .filter(|topic| !topic.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let meeting = Meeting {
        org_id: OrgId(org_id),
        kinds,
        held_on,
        place: columns.text(cells, Field::Place).unwrap_or_default(),
        chair_id: chair.map(MemberId),
        recorder_id: recorder.map(MemberId),
        topics,
        minutes: columns.text(cells, Field::Minutes).unwrap_or_default(),
        resolutions: Vec::new(),
        attendance,
    };
    let field_of = |path: &str| {
        if path.starts_with("kinds") {
            Field::Kinds
        } else if path.starts_with("chair") {
            Field::Chair
        } else if path.starts_with("recorder") {
            Field::Recorder
        } else if path.starts_with("attendance") {
            Field::Present
        } else {
            Field::Date
        }
    };
    let members: Vec<(MemberId, &zhibu_core::Member)> = roster
        .iter()
        .map(|id| (MemberId(*id), &people.members[id]))
        .collect();
    for result in [
        zhibu_core::Record::validate(&meeting),
        validate_meeting_roster(&meeting, &members),
    ] {
        if let Err(invalid) = result {
            errors.extend(invalid.errors.iter().map(|error| {
                columns.error(
                    row,
                    field_of(&error.field),
                    &error.code,
                    error.message_zh.clone(),
                    error.message_en.clone(),
                )
            }));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Planned {
        row,
        org_id: OrgId(org_id),
        org_name: org_name.clone(),
        org_path: org_path.clone(),
        meeting,
    })
}

/// Writes a clean preview as one batch (kind `"meetings"`) in one transaction, each meeting with
/// its spreadsheet row. Called exactly as `roster::commit`.
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
        let record = TrustedRecord::new(
            first + offset as i64,
            planned.org_path.clone(),
            &planned.meeting,
            entered_at,
        )?;
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

/// The batch kind of a meeting import.
pub const KIND: &str = "meetings";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_cells_split_outside_brackets() {
        let entries = list_entries("张三、李四（出差，外地）；王五(病假)\n赵  六, ");
        let read: Vec<(String, Option<String>)> =
            entries.into_iter().map(|e| (e.person, e.note)).collect();
        assert_eq!(
            read,
            vec![
                ("张三".to_string(), None),
                ("李四".to_string(), Some("出差，外地".to_string())),
                ("王五".to_string(), Some("病假".to_string())),
                ("赵  六".to_string(), None),
            ]
        );
    }

    #[test]
    fn kinds_by_name_and_short_form() {
        assert_eq!(meeting_kind("支委会"), Some(MeetingKind::CommitteeMeeting));
        assert_eq!(meeting_kind("党员大会"), Some(MeetingKind::GeneralMeeting));
        assert_eq!(meeting_kind("主题党日"), Some(MeetingKind::ThemedPartyDay));
        assert_eq!(meeting_kind("座谈会"), None);
    }
}
