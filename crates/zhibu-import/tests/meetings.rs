//! Past-meeting import on SQLite and PostgreSQL (when configured): one row per meeting, attendees,
//! excused members with reasons and absentees named by name or ID number in one cell, checked as
//! the meeting write path checks them (everyone named belongs to the branch that day), duplicates
//! in the file and against the database, every bad input reported by row and column with nothing
//! written, one batch with rows, rollback. An .xlsx written by openpyxl is read too.

mod support;

use std::io::Write;
use std::process::Command;

use chrono::{TimeZone, Utc};
use sqlx::Connection;
use support::*;
use zhibu_core::{Attendance, AttendanceState, Meeting, MeetingKind, Member, MemberId};
use zhibu_import::ImportError;
use zhibu_import::meetings;
use zhibu_import::roster::{self, Options, Target};
use zhibu_storage::{ChangeMeta, ListRequest, Repository, StorageError};

fn options(target: Target, file_name: &str) -> Options {
    Options {
        target,
        sheet: None,
        file_name: file_name.to_string(),
        today: today(),
    }
}

fn entered() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0)
        .single()
        .expect("instant")
}

async fn record_count(repository: &Repository) -> usize {
    repository
        .backend()
        .all_records(0, 1_000_000)
        .await
        .expect("records")
        .len()
}

/// Members 1–4 in 办公室党支部 and 5–6 in 财务科党支部, imported from a roster; their rows.
async fn with_members(world: &World) -> Vec<Vec<String>> {
    let rows: Vec<Vec<String>> = (1..=6)
        .map(|n| row(n, if n <= 4 { BRANCH } else { OTHER_BRANCH }))
        .collect();
    let mut all = vec![headings()];
    all.extend(rows.iter().cloned());
    let preview = roster::preview(
        &world.repository,
        csv(&all).as_bytes(),
        &options(Target::Org(world.committee), "名册.csv"),
    )
    .await
    .expect("roster reads");
    assert!(preview.errors.is_empty(), "{:#?}", preview.errors);
    roster::commit(&world.repository, &preview, "secretary", entered(), &())
        .await
        .expect("roster");
    rows
}

async fn member_id(repository: &Repository, name: &str) -> MemberId {
    let members = repository
        .list::<Member>(&ListRequest {
            limit: Some(1000),
            ..ListRequest::default()
        })
        .await
        .expect("members")
        .items;
    MemberId(
        members
            .iter()
            .find(|m| m.body.name == name)
            .unwrap_or_else(|| panic!("{name}"))
            .id,
    )
}

fn meeting_headings() -> Vec<String> {
    strings(&[
        "党支部",
        "会议类型",
        "会议日期",
        "会议主题",
        "会议地点",
        "主持人",
        "记录人",
        "出席人员",
        "请假人员",
        "缺席人员",
    ])
}

fn meetings_file(rows: &[Vec<String>]) -> Vec<u8> {
    let mut all = vec![meeting_headings()];
    all.extend(rows.iter().cloned());
    csv(&all).into_bytes()
}

fn good_rows(members: &[Vec<String>]) -> Vec<Vec<String>> {
    vec![
        strings(&[
            BRANCH,
            "支部党员大会、主题党日",
            "2026-03-10",
            "学习党章",
            "三楼会议室",
            "测试党员1",
            "测试党员2",
            "测试党员1、测试党员2、测试党员3、测试党员4",
            "",
            "",
        ]),
        vec![
            BRANCH.to_string(),
            "支委会".to_string(),
            "2026/4/2".to_string(),
            "研究发展党员工作\n部署党费收缴".to_string(),
            String::new(),
            "测试党员1".to_string(),
            String::new(),
            format!("测试党员1、{}", members[1][4]),
            "测试党员3（出差，在外地）".to_string(),
            "测试 党员4".to_string(),
        ],
        strings(&[
            OTHER_BRANCH,
            "党课",
            "2026年5月1日",
            "党史学习",
            "",
            "",
            "",
            "测试党员5，测试党员6",
            "",
            "",
        ]),
    ]
}

fn find<'a>(errors: &'a [ImportError], row: usize, code: &str) -> &'a ImportError {
    errors
        .iter()
        .find(|e| e.row == Some(row) && e.code == code)
        .unwrap_or_else(|| panic!("no {code} on row {row} in {errors:#?}"))
}

async fn imports_and_rolls_back(world: World) {
    let members = with_members(&world).await;
    let before = record_count(&world.repository).await;
    let bytes = meetings_file(&good_rows(&members));
    let preview = meetings::preview(
        &world.repository,
        &bytes,
        &options(Target::Org(world.committee), "会议.csv"),
    )
    .await
    .expect("reads");
    assert!(preview.errors.is_empty(), "{:#?}", preview.errors);
    assert_eq!(preview.planned.len(), 3);
    let id = |n: &str| {
        let name = n.to_string();
        let repository = &world.repository;
        async move { member_id(repository, &name).await }
    };
    let (m1, m2, m3, m4) = (
        id("测试党员1").await,
        id("测试党员2").await,
        id("测试党员3").await,
        id("测试党员4").await,
    );
    let committee = &preview.planned[1];
    assert_eq!(committee.row, 3);
    assert_eq!(committee.org_id, world.branch);
    let meeting = &committee.meeting;
    assert_eq!(meeting.kinds, vec![MeetingKind::CommitteeMeeting]);
    assert_eq!(meeting.held_on, date(2026, 4, 2));
    assert_eq!(meeting.topics, vec!["研究发展党员工作", "部署党费收缴"]);
    assert_eq!(meeting.chair_id, Some(m1));
    assert_eq!(
        meeting.attendance,
        vec![
            Attendance {
                member_id: m1,
                state: AttendanceState::Present
            },
            Attendance {
                member_id: m2,
                state: AttendanceState::Present
            },
            Attendance {
                member_id: m3,
                state: AttendanceState::Excused {
                    reason: "出差，在外地".into()
                }
            },
            Attendance {
                member_id: m4,
                state: AttendanceState::Absent
            },
        ]
    );
    assert_eq!(
        preview.planned[0].meeting.kinds,
        vec![MeetingKind::GeneralMeeting, MeetingKind::ThemedPartyDay]
    );
    assert_eq!(preview.planned[2].org_id, world.other_branch);

    let batch = meetings::commit(&world.repository, &preview, "secretary", entered(), &())
        .await
        .expect("commit");
    assert_eq!(batch.kind, "meetings");
    assert_eq!(batch.record_count, 3);
    assert_eq!(record_count(&world.repository).await, before + 3);
    let stored = world
        .repository
        .list::<Meeting>(&ListRequest {
            subtree: Some(world.committee),
            ..ListRequest::default()
        })
        .await
        .expect("meetings")
        .items;
    assert_eq!(stored.len(), 3);
    for meeting in &stored {
        let provenance = world
            .repository
            .provenance(meeting.id)
            .await
            .expect("provenance")
            .expect("imported");
        assert_eq!(provenance.batch_id, batch.id);
        let planned = preview
            .planned
            .iter()
            .find(|p| p.row as i64 == provenance.row_number)
            .expect("its row");
        assert_eq!(planned.meeting, meeting.body);
    }
    assert!(world.repository.verify().await.expect("verify").is_intact());

    // The same file again: every meeting is already recorded.
    let again = meetings::preview(
        &world.repository,
        &bytes,
        &options(Target::Org(world.committee), "会议.csv"),
    )
    .await
    .expect("reads");
    for row in [2, 3, 4] {
        find(&again.errors, row, "duplicate_existing");
    }

    world
        .repository
        .rollback_latest_import("secretary", "重复导入")
        .await
        .expect("rollback");
    assert!(
        world
            .repository
            .list::<Meeting>(&ListRequest {
                subtree: Some(world.committee),
                ..ListRequest::default()
            })
            .await
            .expect("meetings")
            .items
            .is_empty()
    );
    assert!(world.repository.verify().await.expect("verify").is_intact());
    // Each planned meeting passes the write path's own context checks, too.
    for planned in &preview.planned {
        world
            .repository
            .create(planned.meeting.clone(), &ChangeMeta::by("secretary"))
            .await
            .expect("the write path accepts what the import planned");
    }
}

async fn bad_input_is_reported_by_row_and_column(world: World) {
    let members = with_members(&world).await;
    let good = good_rows(&members);
    let meeting = |kinds: &str, day: &str, present: &str, excused: &str, absent: &str| {
        strings(&[BRANCH, kinds, day, "", "", "", "", present, excused, absent])
    };
    let rows = vec![
        good[0].clone(),                                               // 2: fine
        meeting("座谈会", "2026-03-11", "测试党员1", "", ""),          // 3
        meeting("党课", "2026-02-30", "测试党员1", "", ""),            // 4
        meeting("党课", "2026-03-12", "测试党员1、测试党员5", "", ""), // 5
        meeting("党课", "2026-03-13", "测试党员1", "测试党员2", ""),   // 6
        meeting("党课", "2026-03-14", "测试党员1、无名氏", "", ""),    // 7
        good[0].clone(),                                               // 8: repeats row 2
        meeting("党课", "2026-03-15", "测试党员1", "", "测试党员1"),   // 9
        meeting(
            "党课",
            "2026-03-16",
            with_wrong_check(&members[0][4]).as_str(),
            "",
            "",
        ), // 10
        meeting("党课", "2014-03-16", "测试党员1", "", ""),            // 11: before joining
        meeting("党课", "2026-07-01", "测试党员1", "", ""),            // 12: after today
        meeting("党小组会", "2026-03-17", "测试党员1", "", ""),        // 13: not a group
        meeting("党课", "2026-03-18", "", "", ""),                     // 14: nobody present
    ];
    let before = record_count(&world.repository).await;
    let preview = meetings::preview(
        &world.repository,
        &meetings_file(&rows),
        &options(Target::Org(world.committee), "会议.csv"),
    )
    .await
    .expect("reads");
    let expect = |row: usize, code: &str, column: &str, heading: &str| {
        let error = find(&preview.errors, row, code);
        assert_eq!(error.column.as_deref(), Some(column), "{error}");
        assert_eq!(error.heading.as_deref(), Some(heading), "{error}");
        assert!(!error.message_zh.is_empty() && !error.message_en.is_empty());
        error.clone()
    };
    expect(3, "bad_kind", "B", "会议类型");
    let impossible = expect(4, "impossible_date", "C", "会议日期");
    assert!(
        impossible
            .to_string()
            .starts_with("第4行 C列（会议日期）："),
        "{impossible}"
    );
    let elsewhere = expect(5, "not_a_member_of_branch", "H", "出席人员");
    assert!(elsewhere.message_zh.contains("测试党员5"), "{elsewhere}");
    expect(6, "reason_required", "I", "请假人员");
    expect(7, "unknown_member", "H", "出席人员");
    let repeated = expect(8, "duplicate_in_file", "C", "会议日期");
    assert!(repeated.message_zh.contains("第2行"), "{repeated}");
    expect(9, "listed_twice", "J", "缺席人员");
    expect(10, "id_check_digit", "H", "出席人员");
    expect(11, "not_a_member_of_branch", "H", "出席人员");
    expect(12, "in_future", "C", "会议日期");
    expect(13, "not_a_group", "A", "党支部");
    expect(14, "required", "H", "出席人员");
    assert_eq!(preview.planned.len(), 1, "only row 2 is clean");
    assert!(
        meetings::commit(&world.repository, &preview, "secretary", entered(), &())
            .await
            .is_err()
    );
    assert_eq!(
        record_count(&world.repository).await,
        before,
        "nothing written"
    );

    // The write path refuses what the import refuses: an attendee of another branch.
    let refused = world
        .repository
        .create(
            Meeting {
                org_id: world.branch,
                kinds: vec![MeetingKind::PartyLecture],
                held_on: date(2026, 3, 12),
                place: String::new(),
                chair_id: None,
                recorder_id: None,
                topics: Vec::new(),
                minutes: String::new(),
                resolutions: Vec::new(),
                attendance: vec![Attendance {
                    member_id: member_id(&world.repository, "测试党员5").await,
                    state: AttendanceState::Present,
                }],
            },
            &ChangeMeta::by("secretary"),
        )
        .await
        .expect_err("not in the branch");
    assert!(matches!(refused, StorageError::Invalid(_)), "{refused}");

    // Missing columns, and an org that is not a branch in --branch.
    let mut headings = meeting_headings();
    headings.retain(|h| h != "会议类型" && h != "出席人员");
    let missing = meetings::preview(
        &world.repository,
        csv(&[headings, strings(&[BRANCH, "2026-03-10"])]).as_bytes(),
        &options(Target::Org(world.committee), "会议.csv"),
    )
    .await
    .expect("reads");
    let names: Vec<&str> = missing
        .errors
        .iter()
        .filter(|e| e.code == "missing_column")
        .filter_map(|e| e.heading.as_deref())
        .collect();
    assert_eq!(names, vec!["会议类型", "出席人员"], "{:#?}", missing.errors);
    let not_branch = meetings::preview(
        &world.repository,
        &meetings_file(&good[..1]),
        &options(Target::Branch(world.committee), "会议.csv"),
    )
    .await
    .expect_err("not a branch");
    assert_eq!(not_branch.code, "not_a_branch");
    // A roster is the wrong file: no date heading.
    let wrong = meetings::preview(
        &world.repository,
        csv(&[headings_roster(), row(9, BRANCH)]).as_bytes(),
        &options(Target::Org(world.committee), "名册.csv"),
    )
    .await
    .expect_err("wrong file");
    assert_eq!(wrong.code, "no_heading_row");
    assert_eq!(
        record_count(&world.repository).await,
        before,
        "nothing written"
    );
}

fn headings_roster() -> Vec<String> {
    headings()
}

#[tokio::test]
async fn sqlite_past_meetings_import_and_roll_back() {
    imports_and_rolls_back(sqlite_world().await).await;
}

#[tokio::test]
async fn sqlite_bad_meeting_input_is_reported_by_row_and_column() {
    bad_input_is_reported_by_row_and_column(sqlite_world().await).await;
}

async fn on_postgres(
    scenario: fn(World) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
) {
    let Some(url) = postgres_url() else { return };
    let schema = schema_name();
    let backend = zhibu_storage_postgres::connect_with_schema(&url, &schema)
        .await
        .expect("connect");
    let pool = backend.pool().clone();
    let world = world(std::sync::Arc::new(backend), None).await;
    scenario(world).await;
    pool.close().await;
    let mut connection = sqlx::PgConnection::connect(&url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut connection)
        .await
        .expect("drop schema");
}

#[tokio::test]
async fn postgres_past_meetings_import_and_roll_back() {
    on_postgres(|world| Box::pin(imports_and_rolls_back(world))).await;
}

#[tokio::test]
async fn postgres_bad_meeting_input_is_reported_by_row_and_column() {
    on_postgres(|world| Box::pin(bad_input_is_reported_by_row_and_column(world))).await;
}

const SCRIPT: &str = r#"
import sys, datetime, openpyxl
out = sys.argv[1]
rows = [line.split('\t') for line in sys.stdin.read().splitlines()]
book = openpyxl.Workbook()
sheet = book.active
sheet.title = "三会一课"
sheet.append(["办公室党支部三会一课记录（2026年）"])
sheet.append(["会议日期", "会议类型", "会议主题", "主持人", "出席人员", "请假人员"])
for cells in rows:
    out_row = [datetime.datetime.strptime(cells[0], "%Y-%m-%d")] + [(c.replace('\\n', '\n') or None) for c in cells[1:]]
    sheet.append(out_row)
for row in sheet.iter_rows(min_row=3):
    row[0].number_format = "yyyy年m月d日"
book.save(out)
"#;

#[tokio::test]
async fn meetings_written_by_openpyxl_import() {
    let ok = Command::new("python3")
        .args(["-c", "import openpyxl"])
        .status()
        .is_ok_and(|status| status.success());
    if !ok {
        assert!(
            !std::env::var("ZHIBU_REQUIRE_PYTHON_OPENPYXL").is_ok_and(|value| value == "1"),
            "ZHIBU_REQUIRE_PYTHON_OPENPYXL=1 but python3 with openpyxl is not available"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: python3 with openpyxl not available — the openpyxl meeting import test did not run"
        );
        return;
    }
    let world = sqlite_world().await;
    let members = with_members(&world).await;
    let path = world
        .sqlite_file
        .as_ref()
        .expect("file")
        .parent()
        .expect("dir")
        .join("会议.xlsx");
    let rows = [
        vec![
            "2026-01-08".to_string(),
            "支部委员会会议".to_string(),
            "年度工作计划".to_string(),
            "测试党员1".to_string(),
            format!("测试党员1、测试党员2、{}", members[2][4]),
            "测试党员4（病假）".to_string(),
        ],
        vec![
            "2026-01-20".to_string(),
            "党员大会、党课".to_string(),
            "学习贯彻全会精神".to_string(),
            String::new(),
            "测试党员1\n测试党员2\n测试党员3\n测试党员4".to_string(),
            String::new(),
        ],
    ];
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(&path)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    {
        let stdin = child.stdin.as_mut().expect("stdin");
        for cells in &rows {
            // Line breaks inside a cell travel as the two characters \n.
            let cells: Vec<String> = cells.iter().map(|c| c.replace('\n', "\\n")).collect();
            writeln!(stdin, "{}", cells.join("\t")).expect("write");
        }
    }
    assert!(child.wait().expect("python").success(), "openpyxl failed");
    let preview = meetings::preview(
        &world.repository,
        &std::fs::read(&path).expect("xlsx"),
        &options(Target::Branch(world.branch), "会议.xlsx"),
    )
    .await
    .expect("reads");
    assert!(preview.errors.is_empty(), "{:#?}", preview.errors);
    assert_eq!(preview.sheet.as_deref(), Some("三会一课"));
    let read: Vec<(usize, chrono::NaiveDate, usize)> = preview
        .planned
        .iter()
        .map(|p| (p.row, p.meeting.held_on, p.meeting.attendance.len()))
        .collect();
    assert_eq!(
        read,
        vec![(3, date(2026, 1, 8), 4), (4, date(2026, 1, 20), 4)]
    );
    let batch = meetings::commit(&world.repository, &preview, "secretary", entered(), &())
        .await
        .expect("commit");
    assert_eq!(batch.record_count, 2);
}
