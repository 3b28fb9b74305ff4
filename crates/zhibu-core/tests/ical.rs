//! The iCalendar writer (RFC 5545): escaping, folding at 75 octets on character boundaries, CRLF
//! line endings, the passed-in DTSTAMP; a round trip through an independent parser (the Python
//! `icalendar` package); and the obligation feed, whose events are exactly the findings the branch
//! page lists.
//!
//! Without python3 and its `icalendar` package (7.0 or later) the round trips print a loud SKIPPED
//! and pass, unless ZHIBU_REQUIRE_PYTHON_ICALENDAR=1 (as .ci/run should set), when they fail.

mod support;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::Command;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use support::{World, d};
use zhibu_core::engine::Report;
use zhibu_core::ical::*;
use zhibu_core::rules::Catalogue;
use zhibu_core::*;

fn stamp() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-20T01:02:03Z")
        .expect("instant")
        .with_timezone(&Utc)
}

/// The physical lines of a document, without their CRLF.
fn physical_lines(ics: &str) -> Vec<&str> {
    let body = ics.strip_suffix("\r\n").expect("the document ends in CRLF");
    body.split("\r\n").collect()
}

/// The content lines: continuation lines joined back onto the line they continue.
fn unfolded(ics: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in physical_lines(ics) {
        match (line.strip_prefix(' '), lines.last_mut()) {
            (Some(rest), Some(previous)) => previous.push_str(rest),
            _ => lines.push(line.to_string()),
        }
    }
    lines
}

fn sample_calendar() -> Calendar {
    let mut escaped = Event::all_day(
        "escape-1@zhibu",
        d("2026-03-31"),
        "会议，地点;A\\B, C\n第二行",
    );
    escaped.description = "第一行\r\n第二行, with comma; and semicolon".to_string();
    escaped.url = Some("https://zhibu.example.org/branches/12?year=2026".to_string());
    escaped.categories = vec!["即将到期 Coming due".to_string(), "a,b".to_string()];
    let long_summary = "第一党支部2026年3月尚未召开支部委员会会议，须在2026年3月31日前召开；支部委员会会议须有半数以上委员到会方可进行，会议应当形成记录并及时录入系统。".to_string();
    let mut long = Event::all_day("long-1@zhibu", d("2026-04-01"), long_summary);
    long.end = d("2026-04-03");
    let plain = Event::all_day("plain-1@zhibu", d("2026-12-31"), "Year end");
    Calendar {
        name: "第一党支部 · 组织生活日历".to_string(),
        description: Some("应办事项 / Obligations".to_string()),
        refresh_hours: Some(6),
        events: vec![escaped, long, plain],
    }
}

#[test]
fn every_line_ends_in_crlf_and_no_physical_line_exceeds_75_octets() {
    let ics = sample_calendar().to_ics(stamp());
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{ics}"
    );
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    for (index, byte) in ics.bytes().enumerate() {
        if byte == b'\n' {
            assert_eq!(
                ics.as_bytes()[index - 1],
                b'\r',
                "a bare LF at octet {index}"
            );
        }
        if byte == b'\r' {
            assert_eq!(
                ics.as_bytes().get(index + 1),
                Some(&b'\n'),
                "a bare CR at octet {index}"
            );
        }
    }
    for line in physical_lines(&ics) {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
}

#[test]
fn a_long_chinese_summary_folds_on_character_boundaries_and_unfolds_to_itself() {
    let calendar = sample_calendar();
    let ics = calendar.to_ics(stamp());
    let summary_line = format!("SUMMARY:{}", escape_text(&calendar.events[1].summary));
    assert!(
        summary_line.len() > 150,
        "the summary is long enough to fold twice"
    );
    let folded = fold_line(&summary_line);
    let pieces: Vec<&str> = folded.trim_end_matches("\r\n").split("\r\n").collect();
    assert!(pieces.len() >= 3, "{pieces:?}");
    for (index, piece) in pieces.iter().enumerate() {
        assert!(piece.len() <= 75, "{} octets", piece.len());
        if index > 0 {
            assert!(
                piece.starts_with(' ') && !piece.starts_with("  "),
                "one space starts a continuation: {piece:?}"
            );
        }
        // Each piece is a whole string slice, so it is valid UTF-8 on its own: no character is split.
        assert!(std::str::from_utf8(piece.as_bytes()).is_ok());
        // A fold is only made when the next character would not fit: full lines stay full.
        if index + 1 < pieces.len() {
            assert!(
                piece.len() > 75 - 4,
                "the line was filled before folding: {} octets",
                piece.len()
            );
        }
    }
    assert!(unfolded(&ics).contains(&summary_line));
}

#[test]
fn text_is_escaped_and_dates_are_all_day_values() {
    let ics = sample_calendar().to_ics(stamp());
    let lines = unfolded(&ics);
    let expected = [
        "UID:escape-1@zhibu",
        "DTSTAMP:20260320T010203Z",
        "DTSTART;VALUE=DATE:20260331",
        "DTEND;VALUE=DATE:20260401",
        "SUMMARY:会议，地点\\;A\\\\B\\, C\\n第二行",
        "DESCRIPTION:第一行\\n第二行\\, with comma\\; and semicolon",
        "URL:https://zhibu.example.org/branches/12?year=2026",
        "CATEGORIES:即将到期 Coming due,a\\,b",
        "DTEND;VALUE=DATE:20260403",
        "NAME:第一党支部 · 组织生活日历",
        "X-WR-CALNAME:第一党支部 · 组织生活日历",
        "REFRESH-INTERVAL;VALUE=DURATION:PT6H",
    ];
    for line in expected {
        assert!(
            lines.iter().any(|written| written == line),
            "missing {line:?} in\n{}",
            lines.join("\n")
        );
    }
    // The Chinese comma (，) is not the ASCII one and is left alone.
    assert!(!ics.contains("\\，"));
    assert_eq!(
        lines
            .iter()
            .filter(|line| line.starts_with("DTSTAMP:"))
            .count(),
        3
    );
}

#[test]
fn an_end_on_or_before_the_start_is_written_as_the_next_day() {
    let mut event = Event::all_day("x@zhibu", d("2026-02-28"), "x");
    event.end = d("2026-02-01");
    let ics = Calendar {
        name: "x".into(),
        description: None,
        refresh_hours: None,
        events: vec![event],
    }
    .to_ics(stamp());
    assert!(ics.contains("DTEND;VALUE=DATE:20260301\r\n"), "{ics}");
}

/// Parses `ics` with Python's `icalendar` and returns what it read, or `None` (after a loud
/// SKIPPED) when python3 or the package is missing and not required.
fn parse_with_python(ics: &str, name: &str) -> Option<Value> {
    const SCRIPT: &str = r#"
import json, sys
from icalendar import Calendar
calendar = Calendar.from_ical(open(sys.argv[1], "rb").read())
errors = [(component.name, component.errors) for component in calendar.walk() if getattr(component, "errors", None)]
def categories(event):
    value = event.get("categories")
    if value is None:
        return []
    found = []
    for item in (value if isinstance(value, list) else [value]):
        if hasattr(item, "cats"):
            found.extend(str(category) for category in item.cats)
        else:
            found.append(str(item))
    return found
events = []
for event in calendar.walk("VEVENT"):
    events.append({
        "uid": str(event.get("uid")),
        "summary": str(event.get("summary")),
        "description": str(event.get("description")) if event.get("description") is not None else "",
        "start": event.decoded("dtstart").isoformat(),
        "end": event.decoded("dtend").isoformat(),
        "url": str(event.get("url")) if event.get("url") is not None else None,
        "categories": categories(event),
        "dtstamp": event.decoded("dtstamp").strftime("%Y%m%dT%H%M%SZ"),
    })
print(json.dumps({"name": str(calendar.get("x-wr-calname")), "errors": [str(error) for error in errors], "events": events}, ensure_ascii=False))
"#;
    let required = std::env::var("ZHIBU_REQUIRE_PYTHON_ICALENDAR").is_ok_and(|value| value == "1");
    // icalendar before 7.0 splits an escaped comma inside a CATEGORIES value (its issue #127), so an
    // older package would fail a correct feed.
    let version = Command::new("python3")
        .args(["-c", "import icalendar; print(icalendar.__version__)"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string());
    let major = version
        .as_deref()
        .and_then(|text| text.split('.').next())
        .and_then(|major| major.parse::<u32>().ok());
    if major.is_none_or(|major| major < 7) {
        let found = version.map_or(
            "python3 or its icalendar package is missing".to_string(),
            |version| format!("icalendar {version} is older than 7.0"),
        );
        assert!(
            !required,
            "ZHIBU_REQUIRE_PYTHON_ICALENDAR=1 but {found}: python3 -m pip install 'icalendar>=7'"
        );
        // Straight to stderr rather than through eprintln!, which the test harness captures and
        // shows only for failing tests. Nothing useful can be done if stderr itself fails.
        let _ = writeln!(
            std::io::stderr(),
            "\n==============================================================\nSKIPPED: python icalendar not installed ({found}) — {name} was not parsed independently\n(python3 -m pip install 'icalendar>=7')\n==============================================================\n"
        );
        return None;
    }
    let path = std::env::temp_dir().join(format!("zhibu-ical-{}-{name}.ics", std::process::id()));
    std::fs::write(&path, ics).expect("write the feed");
    let output = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(&path)
        .output()
        .expect("run python3");
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "python icalendar refused the feed: {}\n{ics}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed: Value = serde_json::from_slice(&output.stdout).expect("the script prints JSON");
    assert_eq!(
        parsed["errors"],
        Value::Array(Vec::new()),
        "icalendar reported errors"
    );
    Some(parsed)
}

/// What an event should read back as through an independent parser.
fn expected_json(event: &Event, stamp: &str) -> Value {
    serde_json::json!({
        "uid": event.uid,
        "summary": event.summary.replace("\r\n", "\n"),
        "description": event.description.replace("\r\n", "\n"),
        "start": event.start.to_string(),
        "end": event.written_end().to_string(),
        "url": event.url,
        "categories": event.categories,
        "dtstamp": stamp,
    })
}

#[test]
fn python_icalendar_reads_back_exactly_what_was_written() {
    let calendar = sample_calendar();
    let ics = calendar.to_ics(stamp());
    let Some(parsed) = parse_with_python(&ics, "sample") else {
        return;
    };
    assert_eq!(parsed["name"], Value::String(calendar.name.clone()));
    let expected: Vec<Value> = calendar
        .events
        .iter()
        .map(|event| expected_json(event, "20260320T010203Z"))
        .collect();
    assert_eq!(parsed["events"], Value::Array(expected));
}

/// A branch with a committee and two party groups, as of 20 March 2026, with no meetings held: the
/// months of January and February are missed, March and the first quarter are coming due. The
/// upper committee exempted January's themed Party day.
struct Fixture {
    world: World,
    branch: OrgId,
    groups: [OrgId; 2],
    secretary: MemberId,
    committee_member: MemberId,
    group_member: MemberId,
    report: Report,
}

fn fixture(today: &str) -> Fixture {
    let (mut world, committee, branch) = World::committee_and_branch();
    let group_one = world.org(Some(branch), OrgLevel::PartyGroup, "第一党小组");
    let group_two = world.org(Some(branch), OrgLevel::PartyGroup, "第二党小组");
    let committee_members = world.members(branch, 5);
    let mut group_members = Vec::new();
    for group in [group_one, group_two] {
        for _ in 0..2 {
            group_members.push(world.member_in_group(branch, Some(group), MemberStatus::Full));
        }
    }
    world.term(
        branch,
        LeadershipForm::Committee,
        "2024-01-10",
        3,
        &committee_members,
    );
    world.exemption(Exemption {
        org_id: branch,
        finding_key: format!("BRANCH.THEME_DAY.MONTHLY|{branch}|2026-01|"),
        granted_by: committee,
        granted_on: d("2026-02-10"),
        reason: "春节期间集中开展志愿服务，经批准顺延".to_string(),
    });
    let report = world.evaluate(branch, "2026-01-01", "2026-12-31", today);
    Fixture {
        world,
        branch,
        groups: [group_one, group_two],
        secretary: committee_members[0],
        committee_member: committee_members[1],
        group_member: group_members[0],
        report,
    }
}

fn options() -> FeedOptions {
    FeedOptions {
        uid_domain: "zhibu.example.org".to_string(),
        page_url: Some("https://zhibu.example.org/branches/2".to_string()),
    }
}

#[test]
fn the_branch_feed_holds_exactly_the_findings_the_branch_page_lists() {
    let fixture = fixture("2026-03-20");
    let orgs = [fixture.branch, fixture.groups[0], fixture.groups[1]];
    let events = obligation_events(
        &fixture.report,
        &FeedScope::Branch { orgs: &orgs },
        &[],
        &options(),
    );
    // The page lists coming-due findings that are not exempted and open findings.
    let listed: Vec<_> = fixture
        .report
        .findings
        .iter()
        .filter(|finding| finding.exemption.is_none())
        .collect();
    assert!(
        listed
            .iter()
            .any(|finding| finding.status == engine::FindingStatus::ComingDue)
    );
    assert!(
        listed
            .iter()
            .any(|finding| finding.status == engine::FindingStatus::Missing)
    );
    assert!(
        fixture
            .report
            .findings
            .iter()
            .any(|finding| finding.exemption.is_some()),
        "the exempted finding is reported"
    );
    let expected: BTreeSet<(String, NaiveDate)> = listed
        .iter()
        .map(|finding| {
            (
                finding_uid(finding, "zhibu.example.org"),
                obligation_day(&fixture.report, finding),
            )
        })
        .collect();
    let got: BTreeSet<(String, NaiveDate)> = events
        .iter()
        .map(|event| (event.uid.clone(), event.start))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        events.len(),
        listed.len(),
        "one event per finding, no UID twice"
    );
    assert!(
        events
            .iter()
            .all(|event| event.uid.is_ascii() && event.uid.ends_with("@zhibu.example.org"))
    );
    assert!(
        !events.iter().any(|event| event.uid.starts_with(&format!(
            "BRANCH.THEME_DAY.MONTHLY-{}-2026-01@",
            fixture.branch
        ))),
        "the exempted month is left out"
    );
    let march = events
        .iter()
        .find(|event| {
            event.uid
                == format!(
                    "BRANCH.COMMITTEE_MEETING.MONTHLY-{}-2026-03@zhibu.example.org",
                    fixture.branch
                )
        })
        .expect("March's committee meeting is coming due");
    assert_eq!((march.start, march.end), (d("2026-03-31"), d("2026-04-01")));
    assert!(march.summary.starts_with("即将到期："), "{}", march.summary);
    assert!(
        march.summary.contains(" / Coming due: "),
        "{}",
        march.summary
    );
    assert!(
        march.description.contains("第十二条"),
        "{}",
        march.description
    );
}

#[test]
fn a_duty_keeps_its_uid_when_it_turns_from_coming_due_into_missed() {
    let before = fixture("2026-03-20");
    let after = fixture("2026-04-05");
    let uid = |report: &Report, status| {
        report
            .findings
            .iter()
            .find(|finding| {
                finding.rule_id == "BRANCH.COMMITTEE_MEETING.MONTHLY"
                    && finding.period_label == "2026-03"
                    && finding.status == status
            })
            .map(|finding| finding_uid(finding, "zhibu"))
    };
    let coming =
        uid(&before.report, engine::FindingStatus::ComingDue).expect("coming due on 20 March");
    let missed = uid(&after.report, engine::FindingStatus::Missing).expect("missed on 5 April");
    assert_eq!(coming, missed);
    assert_eq!(
        coming,
        format!(
            "BRANCH.COMMITTEE_MEETING.MONTHLY-{}-2026-03@zhibu",
            before.branch
        )
    );
}

#[test]
fn a_member_feed_holds_what_the_member_acts_on_or_attends() {
    let fixture = fixture("2026-03-20");
    let catalogue = Catalogue::national().expect("national catalogue");
    let on = d("2026-03-20");
    let rules_and_orgs = |member: MemberId| -> BTreeSet<(String, OrgId)> {
        let scope = FeedScope::for_member(&fixture.world.snapshot, &catalogue, member, on)
            .expect("a member of the branch");
        let events = obligation_events(&fixture.report, &scope, &[], &options());
        let by_uid: std::collections::BTreeMap<String, &engine::Finding> = fixture
            .report
            .findings
            .iter()
            .map(|finding| (finding_uid(finding, "zhibu.example.org"), finding))
            .collect();
        events
            .iter()
            .map(|event| by_uid[&event.uid])
            .map(|finding| (finding.rule_id.clone(), finding.org_id))
            .collect()
    };
    let all: BTreeSet<(String, OrgId)> = fixture
        .report
        .findings
        .iter()
        .filter(|finding| finding.exemption.is_none())
        .map(|finding| (finding.rule_id.clone(), finding.org_id))
        .collect();
    // The secretary must act on everything the branch owes.
    assert_eq!(rules_and_orgs(fixture.secretary), all);
    // A committee member attends the committee's meetings but not the groups'.
    let committee_member = rules_and_orgs(fixture.committee_member);
    assert!(committee_member.contains(&(
        "BRANCH.COMMITTEE_MEETING.MONTHLY".to_string(),
        fixture.branch
    )));
    assert!(
        !committee_member
            .iter()
            .any(|(rule, _)| rule == "BRANCH.GROUP.MONTHLY")
    );
    // A member of the first group: the branch's meetings other than the committee's, and their own
    // group's.
    let group_member = rules_and_orgs(fixture.group_member);
    assert!(group_member.contains(&("BRANCH.THEME_DAY.MONTHLY".to_string(), fixture.branch)));
    assert!(group_member.contains(&("BRANCH.GROUP.MONTHLY".to_string(), fixture.groups[0])));
    assert!(!group_member.contains(&("BRANCH.GROUP.MONTHLY".to_string(), fixture.groups[1])));
    assert!(
        !group_member
            .iter()
            .any(|(rule, _)| rule == "BRANCH.COMMITTEE_MEETING.MONTHLY")
    );
    assert!(group_member.is_subset(&all));
}

#[test]
fn planned_meetings_join_the_feed_of_their_org() {
    let fixture = fixture("2026-03-20");
    let planned = [
        PlannedMeeting {
            key: "meeting-plan-7".to_string(),
            org_id: fixture.branch,
            org_name: "第一党支部".to_string(),
            kinds: vec![MeetingKind::ThemedPartyDay, MeetingKind::PartyLecture],
            on: d("2026-03-25"),
            place: "三楼会议室".to_string(),
            url: None,
            starts_at: None,
            topic: String::new(),
        },
        PlannedMeeting {
            key: "meeting-plan-8".to_string(),
            org_id: fixture.branch,
            org_name: "第一党支部".to_string(),
            kinds: vec![MeetingKind::CommitteeMeeting],
            on: d("2026-03-24"),
            place: String::new(),
            url: None,
            starts_at: None,
            topic: String::new(),
        },
    ];
    let orgs = [fixture.branch];
    let branch_events = obligation_events(
        &fixture.report,
        &FeedScope::Branch { orgs: &orgs },
        &planned,
        &options(),
    );
    let themed = branch_events
        .iter()
        .find(|event| event.uid == "planned-meeting-plan-7@zhibu.example.org")
        .expect("the plan is in the branch feed");
    assert_eq!(themed.start, d("2026-03-25"));
    assert_eq!(
        themed.summary,
        "主题党日、党课（第一党支部） / themed Party day and Party lecture (第一党支部)"
    );
    assert_eq!(themed.description, "地点 / Place: 三楼会议室");
    let catalogue = Catalogue::national().expect("national catalogue");
    let scope = FeedScope::for_member(
        &fixture.world.snapshot,
        &catalogue,
        fixture.group_member,
        d("2026-03-20"),
    )
    .expect("a member");
    let member_uids: Vec<String> = obligation_events(&fixture.report, &scope, &planned, &options())
        .into_iter()
        .map(|event| event.uid)
        .collect();
    assert!(member_uids.contains(&"planned-meeting-plan-7@zhibu.example.org".to_string()));
    assert!(
        !member_uids.contains(&"planned-meeting-plan-8@zhibu.example.org".to_string()),
        "a committee meeting is not an ordinary member's"
    );
}

#[test]
fn python_icalendar_reads_the_branch_feed_as_the_obligations_the_page_shows() {
    let fixture = fixture("2026-03-20");
    let orgs = [fixture.branch, fixture.groups[0], fixture.groups[1]];
    let events = obligation_events(
        &fixture.report,
        &FeedScope::Branch { orgs: &orgs },
        &[],
        &options(),
    );
    let calendar = Calendar {
        name: "第一党支部".to_string(),
        description: None,
        refresh_hours: Some(6),
        events,
    };
    let ics = calendar.to_ics(stamp());
    let Some(parsed) = parse_with_python(&ics, "branch-feed") else {
        return;
    };
    let read: BTreeSet<(String, String, String)> = parsed["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| {
            (
                event["uid"].as_str().unwrap_or_default().to_string(),
                event["summary"].as_str().unwrap_or_default().to_string(),
                event["start"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    // What the page shows: each listed finding's message (Chinese, then English) on its due day.
    let shown: BTreeSet<(String, String, String)> = fixture
        .report
        .findings
        .iter()
        .filter(|finding| finding.exemption.is_none())
        .map(|finding| {
            let summary = finding_event(&fixture.report, finding, &options()).summary;
            assert!(summary.contains(&finding.message_zh) && summary.contains(&finding.message_en));
            (
                finding_uid(finding, "zhibu.example.org"),
                summary,
                obligation_day(&fixture.report, finding).to_string(),
            )
        })
        .collect();
    assert_eq!(read, shown);
    let expected: Vec<Value> = calendar
        .events
        .iter()
        .map(|event| expected_json(event, "20260320T010203Z"))
        .collect();
    assert_eq!(parsed["events"], Value::Array(expected));
}
