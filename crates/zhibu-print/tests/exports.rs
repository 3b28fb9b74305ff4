//! Every export read back by a different implementation: pdftotext (poppler) finds the Chinese
//! text of every PDF register, Python's openpyxl reads the spreadsheets cell by cell, and
//! LibreOffice opens the Word document and converts it to a PDF whose text pdftotext finds.
//! Then the same registers gathered from a real (SQLite) repository.

mod support;

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;

use serde_json::{Value, json};
use support::*;
use zhibu_core::admission::{
    AdmissionDocument, AdmissionPerson, AdmissionRecord, Approval, DocumentReceived,
    MentorAssignment, PersonTalk, RecordedVote, SponsorAssignment, Training,
};
use zhibu_core::dues::{
    DuesPayment, DuesPolicy, DuesRecords, IncomeDeclaration, YearMonth, branch_collection_report,
    member_ledger,
};
use zhibu_core::rules::Catalogue;
use zhibu_core::voting::{Tally, VoteCounts};
use zhibu_core::{MemberId, OrgId, RecordedOutcome};
use zhibu_print::gather::{self, PersonalData};
use zhibu_print::model::{self, RegistryFields};
use zhibu_print::{docx, xlsx};
use zhibu_storage::{Backend, ChangeMeta, Repository};

const BRANCH: i64 = 7;

fn names() -> HashMap<MemberId, String> {
    [(1, "张三丰"), (2, "李四"), (3, "王五")]
        .into_iter()
        .map(|(id, name)| (MemberId(id), name.to_string()))
        .collect()
}

fn members() -> Vec<zhibu_core::Stored<zhibu_core::Member>> {
    vec![
        stored(
            1,
            member("张三丰", "male", BRANCH, "2010-07-01", Some("2011-07-01")),
            d("2010-07-01"),
        ),
        stored(
            2,
            member("李四", "female", BRANCH, "2025-12-20", None),
            d("2025-12-20"),
        ),
        stored(
            3,
            member("王五", "male", BRANCH, "2001-07-01", Some("2002-07-01")),
            d("2001-07-01"),
        ),
    ]
}

fn roster_view(masked: bool) -> model::RosterView {
    let as_of = d("2026-03-31");
    let groups = HashMap::from([(OrgId(70), "第一党小组".to_string())]);
    let mut members = members();
    members[0].body.postings[0].group_id = Some(OrgId(70));
    let rows = members
        .iter()
        .enumerate()
        .map(|(index, member)| {
            let registry = RegistryFields {
                ethnicity: "汉族".into(),
                education: "大学本科".into(),
                id_number: if masked {
                    "110***********0011".into()
                } else {
                    "110105198506010011".into()
                },
                phone: if masked {
                    "139****5678".into()
                } else {
                    "13912345678".into()
                },
            };
            model::roster_row(index + 1, &member.body, as_of, &groups, &registry)
        })
        .collect();
    model::RosterView {
        branch_name: "机关第一党支部".into(),
        parent_name: "市直机关工委".into(),
        as_of: model::date_zh(as_of),
        masked,
        rows,
        full_count: 2,
        probationary_count: 1,
    }
}

fn declaration(member: i64, base_yuan: i64) -> IncomeDeclaration {
    serde_json::from_value(json!({
        "member_id": member,
        "branch_id": BRANCH,
        "category": "salaried",
        "monthly_base": base_yuan * 100,
        "effective_month": "2026-01",
    }))
    .expect("declaration")
}

fn payment(member: i64, paid_on: &str, fen: i64, months: &[&str]) -> DuesPayment {
    serde_json::from_value(json!({
        "member_id": member,
        "branch_id": BRANCH,
        "paid_on": paid_on,
        "amount": fen,
        "months_covered": months,
        "method": "cash",
    }))
    .expect("payment")
}

/// March 2026: 张三丰 declares 4000元 (1% = 40.00元) and paid January to March; 李四 declares
/// 3000元 (0.5% = 15.00元, owed from her vote in December) and paid only January; 王五 declared
/// nothing.
fn dues_view() -> model::DuesRegisterView {
    let members = members();
    let declarations = vec![declaration(1, 4000), declaration(2, 3000)];
    let payments = vec![
        payment(1, "2026-01-10", 4000, &["2026-01"]),
        payment(1, "2026-02-10", 4000, &["2026-02"]),
        payment(1, "2026-03-10", 4000, &["2026-03"]),
        payment(2, "2026-01-12", 1500, &["2026-01"]),
    ];
    let records = DuesRecords {
        declarations: &declarations,
        payments: &payments,
        reliefs: &[],
    };
    let policy = DuesPolicy::default();
    let january = YearMonth::new(2026, 1).expect("month");
    let march = YearMonth::new(2026, 3).expect("month");
    let report =
        branch_collection_report(OrgId(BRANCH), &members, &records, &policy, january, march);
    let ledgers: Vec<_> = report
        .members
        .iter()
        .map(|line| {
            let member = members
                .iter()
                .find(|member| MemberId(member.id) == line.member_id)
                .expect("member");
            member_ledger(member, &records, &policy, january, march)
        })
        .collect();
    model::dues_register("机关第一党支部", &report, &ledgers, &names())
}

fn meeting_view() -> model::MeetingRecordView {
    model::meeting_record("机关第一党支部", &meeting(BRANCH, &[1, 2, 3]), &names(), "")
}

fn summary_view() -> model::AnnualSummaryView {
    let first = meeting(BRANCH, &[1, 2, 3]);
    let mut second = first.clone();
    second.held_on = d("2026-04-15");
    second.kinds = vec![zhibu_core::MeetingKind::CommitteeMeeting];
    model::annual_summary(
        "机关第一党支部",
        2026,
        d("2026-06-30"),
        &[&first, &second],
        &[d("2026-03-20"), d("2026-03-21")],
        &[],
    )
}

fn vote(on: &str, expected: u32, yes: u32) -> RecordedVote {
    RecordedVote {
        held_on: d(on),
        meeting_id: None,
        counts: VoteCounts {
            expected,
            present: expected,
            in_room: Tally {
                yes,
                no: expected - yes,
                abstain: 0,
            },
            written: Tally::default(),
        },
        recorded_outcome: RecordedOutcome::Passed,
    }
}

fn admission() -> AdmissionRecord {
    let mut record = AdmissionRecord::new(
        AdmissionPerson {
            name: "赵申请".into(),
            birth_date: d("2000-05-04"),
            branch_id: OrgId(BRANCH),
            mobile: false,
        },
        d("2024-03-01"),
    );
    record.application_talk = Some(PersonTalk {
        held_on: d("2024-03-20"),
        talkers: vec![MemberId(1)],
    });
    record.activist_determined_on = Some(d("2024-04-10"));
    record.activist_filed_on = Some(d("2024-04-20"));
    record.mentors = vec![
        MentorAssignment {
            member_id: MemberId(1),
            assigned_on: d("2024-04-12"),
            released_on: None,
        },
        MentorAssignment {
            member_id: MemberId(3),
            assigned_on: d("2024-04-12"),
            released_on: None,
        },
    ];
    record.activist_reviews = vec![d("2024-10-10"), d("2025-04-10")];
    record.candidate_listed_on = Some(d("2025-05-06"));
    record.candidate_reported_to_upper_on = Some(d("2025-05-10"));
    record.sponsors = vec![
        SponsorAssignment {
            member_id: MemberId(1),
            assigned_on: d("2025-05-12"),
        },
        SponsorAssignment {
            member_id: MemberId(3),
            assigned_on: d("2025-05-12"),
        },
    ];
    record.political_review_concluded_on = Some(d("2025-06-20"));
    record.training = Some(Training {
        finished_on: d("2025-06-25"),
        days: 3,
        hours: 24,
    });
    record.committee_review_on = Some(d("2025-07-01"));
    record.pretrial_passed_on = Some(d("2025-07-10"));
    record.application_form_issued_on = Some(d("2025-07-12"));
    record.admission_vote = Some(vote("2025-07-20", 20, 18));
    record.upper_talk = Some(PersonTalk {
        held_on: d("2025-08-01"),
        talkers: vec![MemberId(3)],
    });
    record.admission_approval = Some(Approval {
        decided_on: d("2025-08-15"),
        approved: true,
    });
    record.documents = vec![
        DocumentReceived {
            document: AdmissionDocument::ApplicationLetter,
            received_on: d("2024-03-01"),
        },
        DocumentReceived {
            document: AdmissionDocument::ApplicationForm,
            received_on: d("2025-07-15"),
        },
    ];
    record
}

#[test]
fn every_pdf_register_carries_its_chinese_text() {
    let Some(printer) = printer() else { return };
    let Some(()) = pdftotext_present() else {
        return;
    };
    let dir = scratch("pdf");

    let (text, compact) = pdf_text(
        &printer.roster(&roster_view(true)).expect("roster"),
        &dir,
        "roster",
    );
    assert_holds(
        &compact,
        &text,
        &[
            "机关第一党支部",
            "党员名册",
            "张三丰",
            "李四",
            "预备党员",
            "正式党员",
            "第一党小组",
            "汉族",
            "110***********0011",
            "139****5678",
            "按月领取工资",
            "已按权限遮蔽",
        ],
        "roster",
    );
    assert!(
        !compact.contains("13912345678"),
        "the masked roster shows a whole phone number"
    );

    let (text, compact) = pdf_text(
        &printer.dues_register(&dues_view()).expect("dues"),
        &dir,
        "dues",
    );
    assert_holds(
        &compact,
        &text,
        &[
            "党费收缴登记表",
            "2026年3月",
            "张三丰",
            "4000.00",
            "40.00",
            "李四",
            "15.00",
            "30.00",
            "王五",
            "年度台账",
            "已交清",
            "未交",
        ],
        "dues register",
    );

    let (text, compact) = pdf_text(
        &printer.meeting_record(&meeting_view()).expect("meeting"),
        &dir,
        "meeting",
    );
    assert_holds(
        &compact,
        &text,
        &[
            "会议记录",
            "支部党员大会、主题党日",
            "2026年3月10日",
            "第一会议室",
            "主持人",
            "张三丰",
            "记录人",
            "李四",
            "王五（请假：出差在外）",
            "学习《中国共产党章程》第二章",
            "书记传达上级会议精神。",
            "结合岗位谈体会",
            "同意接收李四为预备党员",
            "赞成2票",
        ],
        "meeting record",
    );

    let (text, compact) = pdf_text(
        &printer.annual_summary(&summary_view()).expect("summary"),
        &dir,
        "summary",
    );
    assert_holds(
        &compact,
        &text,
        &[
            "2026年度组织生活纪实",
            "只列事实，不作评分",
            "支部党员大会",
            "支部委员会会议",
            "谈心谈话",
            "3月",
            "会议一览",
            "尚未解决的问题",
        ],
        "annual summary",
    );

    let view = model::admission_record(&admission(), "机关第一党支部", &names(), d("2026-03-01"));
    let (text, compact) = pdf_text(
        &printer.admission_record(&view).expect("admission"),
        &dir,
        "admission",
    );
    assert_holds(
        &compact,
        &text,
        &[
            "发展党员工作纪实表",
            "赵申请",
            "2000年5月4日",
            "递交入党申请书",
            "2024年3月1日",
            "入党申请书（2024年3月1日收）",
            "培养联系人",
            "张三丰、王五",
            "支部大会讨论",
            "应到20人，实到20人；赞成18",
            "上级党委审批",
            "批准",
            "预备党员",
            "材料归档",
        ],
        "admission record",
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_topic_full_of_typst_markup_prints_as_typed() {
    let Some(printer) = printer() else { return };
    let Some(()) = pdftotext_present() else {
        return;
    };
    let dir = scratch("markup");
    let mut view = meeting_view();
    view.place = "#place(center)[x]".into();
    view.minutes = "= 不是标题\n- 不是列表 `raw` <label> @ref $ \\ ]".into();
    let (text, compact) = pdf_text(
        &printer.meeting_record(&view).expect("meeting"),
        &dir,
        "markup",
    );
    assert_holds(
        &compact,
        &text,
        &[
            HOSTILE_TOPIC,
            "#place(center)[x]",
            "=不是标题",
            "-不是列表`raw`<label>@ref$\\]",
        ],
        "markup",
    );
    // The page width was not changed by the topic: the record is still one A4 page.
    let pages = text.matches('\u{c}').count();
    assert_eq!(pages, 1, "one page: {text}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Reads a workbook with openpyxl (cached values for formulas): `{sheet: [[cell, …], …]}`.
fn openpyxl(bytes: &[u8], dir: &std::path::Path, name: &str) -> Value {
    let path = dir.join(format!("{name}.xlsx"));
    std::fs::write(&path, bytes).expect("write xlsx");
    keep(&format!("{name}.xlsx"), bytes);
    let script = r#"
import json, sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1], data_only=True)
out = {}
for sheet in book.worksheets:
    out[sheet.title] = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
print(json.dumps(out, ensure_ascii=False, default=str))
"#;
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "openpyxl could not read {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json")
}

#[test]
fn openpyxl_reads_the_spreadsheets_back_with_exact_chinese_and_numbers() {
    let Some(()) = openpyxl_present() else { return };
    let dir = scratch("xlsx");

    let sheets = openpyxl(
        &xlsx::roster(&roster_view(false)).expect("roster"),
        &dir,
        "roster",
    );
    let rows = sheets["党员名册"].as_array().expect("roster sheet");
    assert_eq!(rows[0][1], "姓名");
    assert_eq!(rows[0][6], "公民身份号码");
    assert_eq!(rows.len(), 4, "a header and three members");
    assert_eq!(rows[1][0], 1);
    assert_eq!(rows[1][1], "张三丰");
    assert_eq!(rows[1][2], "男");
    assert_eq!(rows[1][3], "汉族");
    assert_eq!(rows[1][6], "110105198506010011");
    assert_eq!(rows[1][8], "2010-07-01");
    assert_eq!(rows[1][9], "2011-07-01");
    assert_eq!(rows[1][10], "正式党员");
    assert_eq!(rows[2][1], "李四");
    assert_eq!(rows[2][10], "预备党员");
    assert_eq!(rows[2][9], Value::Null, "no conversion yet");
    assert_eq!(rows[1][13], "机关第一党支部");

    let sheets = openpyxl(
        &xlsx::dues_register(&dues_view()).expect("dues"),
        &dir,
        "dues",
    );
    let rows = sheets["党费收缴登记表"].as_array().expect("dues sheet");
    let by_name = |name: &str| {
        rows.iter()
            .find(|row| row[1] == name)
            .unwrap_or_else(|| panic!("{name} in {rows:?}"))
            .clone()
    };
    let zhang = by_name("张三丰");
    assert_eq!(zhang[3], 4000.0);
    assert_eq!(zhang[4], "1%");
    assert_eq!(zhang[5], 40.0);
    assert_eq!(zhang[6], 40.0);
    assert_eq!(zhang[9], "已交清");
    let li = by_name("李四");
    assert_eq!(li[5], 15.0);
    assert_eq!(li[6], 0.0, "nothing paid for March");
    assert_eq!(li[8], 30.0, "February and March unpaid");
    assert_eq!(li[9], "未交");
    assert_eq!(li[10], "2月、3月");
    let wang = by_name("王五");
    assert_eq!(
        wang[5],
        Value::Null,
        "no declaration: the amount owed is unknown"
    );
    // The totals are formulas whose cached values openpyxl reads.
    let total = by_name("合计");
    assert_eq!(total[5], 55.0, "expected");
    assert_eq!(total[6], 40.0, "paid for the month");
    assert_eq!(total[7], 40.0, "received in the month");
    assert_eq!(total[8], 30.0, "arrears");
    let ledger = sheets["年度台账"].as_array().expect("ledger sheet");
    assert_eq!(ledger[0][1], "1月已交（元）");
    let zhang = ledger
        .iter()
        .find(|row| row[0] == "张三丰")
        .expect("张三丰");
    assert_eq!(zhang[1], 40.0);
    assert_eq!(zhang[3], 40.0);
    assert_eq!(zhang[5], 120.0, "paid in the year");

    let first = meeting(BRANCH, &[1, 2, 3]);
    let mut second = first.clone();
    second.held_on = d("2026-04-15");
    second.attendance.truncate(2);
    let view = model::attendance(
        "机关第一党支部",
        "2026年",
        &[&first, &second],
        &[(MemberId(1), "张三丰".into()), (MemberId(3), "王五".into())],
    );
    let sheets = openpyxl(
        &xlsx::attendance(&view).expect("attendance"),
        &dir,
        "attendance",
    );
    let rows = sheets["出勤登记"].as_array().expect("attendance sheet");
    assert_eq!(rows[0][1], "2026-03-10 支部党员大会、主题党日");
    assert_eq!(rows[1], json!(["张三丰", "出席", "出席", 2, 2]));
    assert_eq!(rows[2], json!(["王五", "请假（出差在外）", null, 0, 1]));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn libreoffice_converts_the_meeting_record_docx_and_its_text_is_there() {
    let Some(program) = libreoffice() else { return };
    let Some(()) = pdftotext_present() else {
        return;
    };
    let dir = scratch("docx");
    let bytes = docx::meeting_record(&meeting_view()).expect("docx");
    assert!(bytes.starts_with(b"PK"), "a DOCX is a zip archive");
    let path = dir.join("meeting.docx");
    std::fs::write(&path, &bytes).expect("write docx");
    keep("meeting.docx", &bytes);
    let profile = dir.join("profile");
    let output = Command::new(program)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&dir)
        .arg(&path)
        .env("HOME", &dir)
        .output()
        .expect("libreoffice runs");
    let converted = dir.join("meeting.pdf");
    assert!(
        output.status.success() && converted.exists(),
        "LibreOffice did not convert the DOCX: {} {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let pdf = std::fs::read(&converted).expect("converted pdf");
    let (text, compact) = pdf_text(&pdf, &dir, "converted");
    assert_holds(
        &compact,
        &text,
        &[
            "会议记录",
            "机关第一党支部",
            "支部党员大会、主题党日",
            "第一会议室",
            "张三丰",
            "王五（请假：出差在外）",
            "学习《中国共产党章程》第二章",
            HOSTILE_TOPIC,
            "书记传达上级会议精神。",
            "同意接收李四为预备党员",
        ],
        "converted DOCX",
    );
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------------------------------------
// Gathered from a repository.
// ---------------------------------------------------------------------------------------------

async fn repository() -> Repository {
    let dir = scratch("db");
    let backend =
        zhibu_storage_sqlite::connect(&format!("sqlite://{}", dir.join("zhibu.db").display()))
            .await
            .expect("connect");
    backend.migrate().await.expect("migrate");
    Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("catalogue")),
    )
    .with_data_key(Arc::new(zhibu_storage::sealing::DataKey::from_bytes(
        &[7; 32],
    )))
}

async fn create<T: zhibu_storage::ContextCheck>(repository: &Repository, body: T) -> i64 {
    repository
        .create(body, &ChangeMeta::by("secretary"))
        .await
        .expect("created")
        .id
}

#[tokio::test]
async fn registers_gathered_from_storage_hold_the_records_and_mask_personal_data() {
    let repository = repository().await;
    let org = |parent: Option<i64>, name: &str, level: &str| -> zhibu_core::Org {
        serde_json::from_value(json!({
            "parent_id": parent, "name": name, "level": level,
            "unit_kind": "government_organ", "established_on": "2015-01-01",
        }))
        .expect("org")
    };
    let root = create(&repository, org(None, "市直机关工委", "working_committee")).await;
    let branch = create(&repository, org(Some(root), "机关第一党支部", "branch")).await;
    let mut ids = Vec::new();
    for (name, sex, joined, full, id_number) in [
        (
            "张三丰",
            "male",
            "2010-07-01",
            Some("2011-07-01"),
            "110105198506010011",
        ),
        ("李四", "female", "2025-12-20", None, "11010519850601002X"),
        (
            "王五",
            "male",
            "2001-07-01",
            Some("2002-07-01"),
            "110105198506010011",
        ),
    ] {
        let mut body = serde_json::to_value(member(name, sex, branch, joined, full)).expect("json");
        if name != "王五" {
            body["registry"] = json!({ "ethnicity": "汉族", "education": "bachelor", "id_number": id_number, "phone": "13912345678" });
        }
        let body: zhibu_core::Member = serde_json::from_value(body).expect("member");
        ids.push(create(&repository, body).await);
    }
    let meeting_id = create(&repository, meeting(branch, &ids)).await;

    let masked = gather::roster(
        &repository,
        OrgId(branch),
        d("2026-03-31"),
        PersonalData::Masked,
    )
    .await
    .expect("roster");
    assert_eq!(masked.branch_name, "机关第一党支部");
    assert_eq!(masked.parent_name, "市直机关工委");
    assert_eq!((masked.full_count, masked.probationary_count), (2, 1));
    let zhang = &masked.rows[0];
    assert_eq!(zhang.name, "张三丰");
    assert_eq!(zhang.education, "大学本科");
    assert!(
        !zhang.id_number.contains("198506010"),
        "masked: {}",
        zhang.id_number
    );
    assert!(
        zhang.id_number.ends_with("0011"),
        "masked: {}",
        zhang.id_number
    );
    assert!(!zhang.phone.contains("1234"), "masked: {}", zhang.phone);
    let whole = gather::roster(
        &repository,
        OrgId(branch),
        d("2026-03-31"),
        PersonalData::Whole,
    )
    .await
    .expect("roster");
    assert_eq!(whole.rows[0].id_number, "110105198506010011");
    assert_eq!(whole.rows[0].phone, "13912345678");
    assert_eq!(whole.rows[2].id_number, "", "王五 has none recorded");
    // Before 李四 joined, the roster has two.
    let earlier = gather::roster(
        &repository,
        OrgId(branch),
        d("2025-06-30"),
        PersonalData::Masked,
    )
    .await
    .expect("roster");
    assert_eq!(earlier.rows.len(), 2);

    let stored = gather::meeting(&repository, zhibu_core::MeetingId(meeting_id))
        .await
        .expect("meeting");
    let record = gather::meeting_record(&repository, &stored)
        .await
        .expect("record");
    assert_eq!(record.chair, "张三丰");
    assert_eq!(record.recorder, "李四");
    assert_eq!(
        (record.expected, record.present, record.absent_count),
        (3, 2, 1)
    );
    assert_eq!(record.absences[0].name, "王五");
    assert_eq!(record.absences[0].reason, "出差在外");
    assert_eq!(record.version_note, "");

    let attendance = gather::attendance(&repository, OrgId(branch), 2026, d("2026-06-30"))
        .await
        .expect("attendance");
    assert_eq!(attendance.meetings.len(), 1);
    assert_eq!(attendance.rows.len(), 3);
    assert_eq!(
        attendance.rows[2].cells,
        vec!["请假（出差在外）".to_string()]
    );

    let summary = gather::annual_summary(&repository, OrgId(branch), 2026, d("2026-06-30"))
        .await
        .expect("summary");
    assert_eq!(
        summary.months[2].counts[0], 1,
        "one general meeting in March"
    );
    assert_eq!(
        summary.months[2].counts[4], 1,
        "and it was the themed Party day"
    );
    assert_eq!(summary.totals[0], 1);
    // The branch held no committee meeting from April to June: the engine's open findings are
    // listed as they are, with the article they cite.
    assert!(
        summary
            .findings
            .iter()
            .any(|finding| finding.citation.contains("第")),
        "{:?}",
        summary.findings
    );

    // A branch's id that is a committee is not a branch.
    assert!(
        gather::roster(
            &repository,
            OrgId(root),
            d("2026-03-31"),
            PersonalData::Masked
        )
        .await
        .is_err()
    );

    let mut admission = admission();
    admission.person.branch_id = OrgId(branch);
    for talk in [&mut admission.application_talk, &mut admission.upper_talk]
        .into_iter()
        .flatten()
    {
        talk.talkers = vec![MemberId(ids[0])];
    }
    for mentor in &mut admission.mentors {
        mentor.member_id = MemberId(ids[0]);
    }
    let view = gather::admission_record(&repository, &admission, d("2026-03-01"))
        .await
        .expect("admission");
    assert_eq!(view.branch_name, "机关第一党支部");
    let talk = view
        .stages
        .iter()
        .flat_map(|stage| &stage.steps)
        .find(|step| step.number == "2")
        .expect("step 2");
    assert_eq!(talk.people, "张三丰");
    assert_eq!(talk.dates, "2024年3月20日");
}

#[test]
fn the_admission_record_lists_all_twenty_five_steps_in_their_stages() {
    let view = model::admission_record(&admission(), "机关第一党支部", &names(), d("2026-03-01"));
    let numbers: Vec<String> = view
        .stages
        .iter()
        .flat_map(|stage| stage.steps.iter().map(|step| step.number.clone()))
        .filter(|number| !number.is_empty())
        .collect();
    let expected: Vec<String> = (1..=25).map(|n| n.to_string()).collect();
    assert_eq!(numbers, expected);
    let stages: Vec<&str> = view
        .stages
        .iter()
        .map(|stage| stage.name.as_str())
        .collect();
    assert_eq!(stages.len(), 5, "{stages:?}");
    assert_eq!(view.state, "预备党员");
    let vote = view
        .stages
        .iter()
        .flat_map(|stage| &stage.steps)
        .find(|step| step.number == "15")
        .expect("step 15");
    assert_eq!(vote.dates, "2025年7月20日");
    assert!(vote.note.contains("赞成18、反对2、弃权0"), "{}", vote.note);
    // Under the 2026 text the publicity line is shown even when empty; under 2014 it is not.
    let in_2026 = model::admission_record(&admission(), "支部", &names(), d("2026-06-01"));
    let count = |view: &model::AdmissionRecordView| {
        view.stages
            .iter()
            .map(|stage| stage.steps.len())
            .sum::<usize>()
    };
    assert_eq!(count(&view), 25);
    assert_eq!(count(&in_2026), 26);
}
