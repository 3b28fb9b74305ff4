//! Calendar feeds (issue 7) through the real HTTP route: the server runs on a port of its own and
//! Python fetches `/feeds/<token>.ics` with urllib and parses it with the `icalendar` package, an
//! independent implementation. The branch feed's events are exactly what the branch workspace
//! lists (due this month, open findings, every period of the year's calendar of duties, the
//! upcoming planned meetings, the year's meetings); a plan made through the page is in the branch's
//! and the member's feed and leaves both once deleted; a member's feed holds only what that member
//! may see; a revoked or made-up token answers 404; the answer carries the calendar content type, a
//! charset and caching headers, and a repeated fetch with its ETag is 304.
//!
//! Without python3 and its `icalendar` package (7.0 or later) the test prints a loud SKIPPED and
//! passes, unless ZHIBU_REQUIRE_PYTHON_ICALENDAR=1 (as .ci/run sets), when it fails.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhibu_core::engine::FindingStatus;
use zhibu_core::rules::Catalogue;
use zhibu_core::{Meeting, MeetingId, MeetingPlan, MeetingPlanId, MemberId};
use zhibu_demo::{DemoConfig, generate, load};
use zhibu_storage::{AuditQuery, Backend, ChangeMeta, ListRequest, Repository};
use zhibu_web::auth::{DemoCredential, create_demo_accounts};
use zhibu_web::{AppState, router, spawn};

const TODAY: &str = "2026-06-15";

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

/// Fetches `url` with Python's urllib (sending `If-None-Match` when given) and, on 200, parses the
/// body with `icalendar`. Prints JSON: status, headers, and the calendar's events.
const FETCH_AND_PARSE: &str = r#"
import json, sys, urllib.request, urllib.error
from icalendar import Calendar
request = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 2:
    request.add_header("If-None-Match", sys.argv[2])
try:
    response = urllib.request.urlopen(request)
    status, headers, body = response.status, response.headers, response.read()
except urllib.error.HTTPError as error:
    status, headers, body = error.code, error.headers, error.read()
out = {"status": status, "content_type": headers.get("Content-Type"),
       "cache_control": headers.get("Cache-Control"), "etag": headers.get("ETag")}
if status == 200:
    calendar = Calendar.from_ical(body)
    out["errors"] = [str(c.errors) for c in calendar.walk() if getattr(c, "errors", None)]
    out["name"] = str(calendar.get("x-wr-calname"))
    events = []
    for event in calendar.walk("VEVENT"):
        value = event.get("categories")
        categories = []
        for item in (value if isinstance(value, list) else ([value] if value is not None else [])):
            categories.extend(str(c) for c in item.cats) if hasattr(item, "cats") else categories.append(str(item))
        events.append({
            "uid": str(event.get("uid")),
            "summary": str(event.get("summary")),
            "description": str(event.get("description") or ""),
            "start": event.decoded("dtstart").isoformat(),
            "url": str(event.get("url")) if event.get("url") is not None else None,
            "categories": categories,
        })
    out["events"] = events
print(json.dumps(out, ensure_ascii=False))
"#;

/// Whether python3 with icalendar 7 or later is here; a loud SKIPPED (or, when required, a
/// failure) when not.
fn python_icalendar_available() -> bool {
    let required = std::env::var("ZHIBU_REQUIRE_PYTHON_ICALENDAR").is_ok_and(|value| value == "1");
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
    if major.is_some_and(|major| major >= 7) {
        return true;
    }
    let found = version.map_or(
        "python3 or its icalendar package is missing".to_string(),
        |v| format!("icalendar {v} is older than 7.0"),
    );
    assert!(
        !required,
        "ZHIBU_REQUIRE_PYTHON_ICALENDAR=1 but {found}: python3 -m pip install 'icalendar>=7'"
    );
    let _ = writeln!(
        std::io::stderr(),
        "\n==============================================================\nSKIPPED: python icalendar not installed ({found}) — the calendar feeds were not fetched and parsed\n(python3 -m pip install 'icalendar>=7')\n==============================================================\n"
    );
    false
}

async fn fetch(url: &str, etag: Option<&str>) -> Value {
    let (url, etag) = (url.to_string(), etag.map(String::from));
    tokio::task::spawn_blocking(move || fetch_blocking(&url, etag.as_deref()))
        .await
        .expect("the fetch finished")
}

fn fetch_blocking(url: &str, etag: Option<&str>) -> Value {
    let mut command = Command::new("python3");
    command.args(["-c", FETCH_AND_PARSE, url]);
    if let Some(etag) = etag {
        command.arg(etag);
    }
    let output = command.output().expect("run python3");
    assert!(
        output.status.success(),
        "python could not fetch or parse {url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed: Value = serde_json::from_slice(&output.stdout).expect("the script prints JSON");
    if parsed["status"] == 200 {
        assert_eq!(parsed["errors"], json!([]), "icalendar reported errors");
    }
    parsed
}

struct Database(PathBuf);

impl Drop for Database {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _missing_is_fine = std::fs::remove_file(&path);
        }
    }
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.clone().oneshot(request).await.expect("an answer");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

struct Session {
    cookie: String,
    csrf: String,
}

async fn sign_in(router: &Router, credentials: &[DemoCredential], login: &str) -> Session {
    let credential = credentials
        .iter()
        .find(|credential| credential.login == login)
        .expect("a demo account");
    let request = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "login": login, "password": credential.password }).to_string(),
        ))
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let body: Value = serde_json::from_slice(&bytes).expect("session JSON");
    Session {
        cookie,
        csrf: body["csrf_token"].as_str().expect("csrf").to_string(),
    }
}

async fn get(router: &Router, session: &Session, path: &str) -> (StatusCode, String) {
    let request = Request::get(path)
        .header(header::COOKIE, format!("{}; zhibu_lang=zh", session.cookie))
        .body(Body::empty())
        .expect("request");
    send(router, request).await
}

async fn post(
    router: &Router,
    session: &Session,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("csrf_token", &session.csrf);
    for (name, value) in fields {
        form.append_pair(name, value);
    }
    let request = Request::post(path)
        .header(header::COOKIE, format!("{}; zhibu_lang=zh", session.cookie))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.finish()))
        .expect("request");
    send(router, request).await
}

/// Makes a feed through the page and returns the path of its address (`/feeds/<token>.ics`),
/// checking it is shown once: the page that lists the feeds afterwards does not hold it.
async fn make_feed(router: &Router, session: &Session, subject: &str) -> String {
    let (status, body) = post(
        router,
        session,
        "/account/calendars",
        &[("subject", subject)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let marker = "id=\"feed-url\" readonly value=\"";
    let start = body.find(marker).expect("the address is shown") + marker.len();
    let url = &body[start..start + body[start..].find('"').expect("quote")];
    let path = url[url.find("/feeds/").expect("a feed path")..].to_string();
    let token = path
        .trim_start_matches("/feeds/")
        .trim_end_matches(".ics")
        .to_string();
    assert_eq!(token.len(), 64, "256 bits in hex");
    assert!(body.contains(&format!("webcal://localhost{path}")));
    let (_, listing) = get(router, session, "/account/calendars").await;
    assert!(!listing.contains(&token), "the address is shown only once");
    path
}

fn unescape(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// What a branch workspace lists: the messages of the items due this month, the keys of the open
/// findings, and the ids of the year's meetings.
fn workspace_listing(body: &str) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<i64>) {
    let due = body
        .split("<div class=\"due\">")
        .skip(1)
        .filter_map(|block| {
            let start = block.find("<span class=\"muted\">")? + "<span class=\"muted\">".len();
            Some(unescape(
                &block[start..start + block[start..].find("</span>")?],
            ))
        })
        .collect();
    let open = body
        .match_indices("data-key=\"")
        .map(|(index, marker)| {
            let rest = &body[index + marker.len()..];
            unescape(&rest[..rest.find('"').expect("quote")])
        })
        .collect();
    let meetings_list = &body[body.find("id=\"meetings\"").expect("the meetings list")..];
    let meetings_list = &meetings_list[..meetings_list.find("</ul>").expect("end")];
    let meetings = meetings_list
        .match_indices("href=\"/meetings/")
        .map(|(index, marker)| {
            let rest = &meetings_list[index + marker.len()..];
            rest[..rest.find('"').expect("quote")]
                .parse()
                .expect("a meeting id")
        })
        .collect();
    (due, open, meetings)
}

/// The finding key an obligation event names in its description.
fn finding_key(event: &Value) -> Option<String> {
    event["description"]
        .as_str()?
        .lines()
        .find_map(|line| line.strip_prefix("问题编号 / Finding: "))
        .map(String::from)
}

/// The workspace's calendar of duties: (the rule's title, the period's label) for every cell.
fn workspace_duties(body: &str) -> BTreeSet<(String, String)> {
    let table = &body[body
        .find("<table class=\"calendar\">")
        .expect("the calendar")..];
    let table = &table[..table.find("</table>").expect("its end")];
    let mut duties = BTreeSet::new();
    for row in table
        .split("<th scope=\"row\" class=\"duty\" title=\"")
        .skip(1)
    {
        let title = unescape(&row[..row.find('"').expect("quote")]);
        for cell in row.split("<td colspan=").skip(1) {
            let start = cell.find("title=\"").expect("a cell title") + "title=\"".len();
            let cell_title =
                unescape(&cell[start..start + cell[start..].find('"').expect("quote")]);
            let label = cell_title
                .split('：')
                .next()
                .expect("the period's label")
                .to_string();
            duties.insert((title.clone(), label));
        }
    }
    duties
}

/// Whether an event stands for the period `label` of a duty of `branch`: its UID is
/// `<rule>-<branch>-<label>[-<subject>]@<host>` (a duty's own event, or the finding's for it).
fn event_is_period(event: &Value, branch: i64, label: &str) -> bool {
    let local = event["uid"]
        .as_str()
        .and_then(|uid| uid.split('@').next())
        .unwrap_or_default();
    let marker = format!("-{branch}-{label}");
    local.ends_with(&marker) || local.contains(&format!("{marker}-"))
}

fn first_line(event: &Value) -> String {
    event["description"]
        .as_str()
        .and_then(|text| text.lines().next())
        .unwrap_or_default()
        .to_string()
}

const DUTY_CATEGORY: &str = "年度工作 Duty of the year";

fn is_duty(event: &Value) -> bool {
    event["categories"][0] == DUTY_CATEGORY
}

fn plan_id(event: &Value) -> Option<i64> {
    event["uid"]
        .as_str()?
        .strip_prefix("planned-")?
        .split('@')
        .next()?
        .parse()
        .ok()
}

fn meeting_id(event: &Value) -> Option<i64> {
    event["uid"]
        .as_str()?
        .strip_prefix("meeting-")?
        .split('@')
        .next()?
        .parse()
        .ok()
}

// The server answers on the runtime's other worker while python3 waits on a blocking thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_parse_with_python_icalendar_over_http_and_match_the_branch_page() {
    if !python_icalendar_available() {
        return;
    }
    let database =
        Database(std::env::temp_dir().join(format!("zhibu-feeds-test-{}.db", std::process::id())));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", database.0.display()))
        .await
        .expect("connect to SQLite");
    backend.migrate().await.expect("migrate");
    // Personal data is sealed at rest: the repository needs its data key.
    let repository = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("the national catalogue")),
    )
    .with_data_key(Arc::new(zhibu_storage::sealing::DataKey::from_bytes(
        &[7; 32],
    )));
    let dataset = generate(&DemoConfig::new(7, date(TODAY)).with_branches(4));
    let summary = load(&repository, &dataset).await.expect("load the demo");
    let credentials = create_demo_accounts(&repository, summary.root)
        .await
        .expect("demo accounts");
    let state = AppState::with_fixed_today(repository.clone(), date(TODAY));
    let pages = router(state.clone());
    let server = spawn(state).await.expect("serve on a port");

    // The secretary's branch feed.
    let secretary = sign_in(&pages, &credentials, "demo-secretary").await;
    let branch = credentials
        .iter()
        .find(|credential| credential.login == "demo-secretary")
        .and_then(|credential| credential.scope_org)
        .expect("the secretary's branch")
        .0;
    // The secretary plans a Party lecture through the page.
    let (status, body) = post(
        &pages,
        &secretary,
        &format!("/branches/{branch}/meeting-plans"),
        &[
            ("org_id", &branch.to_string()),
            ("kinds", "party_lecture"),
            ("planned_on", "2026-06-25"),
            ("starts_at", "14:30"),
            ("place", "党员活动室"),
            ("topic", "学习新修订的条例"),
            ("idempotency_key", "feed-test-plan"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let plans = repository
        .list::<MeetingPlan>(&ListRequest {
            subtree: Some(zhibu_core::OrgId(branch)),
            ..ListRequest::default()
        })
        .await
        .expect("list plans");
    assert_eq!(plans.items.len(), 1, "one plan");
    let plan = plans.items[0].id;

    let path = make_feed(&pages, &secretary, &format!("branch:{branch}")).await;
    let feed = fetch(&server.url(&path), None).await;
    assert_eq!(feed["status"], 200, "{feed}");
    assert_eq!(feed["content_type"], "text/calendar; charset=utf-8");
    assert!(
        feed["cache_control"]
            .as_str()
            .is_some_and(|value| value.starts_with("private, max-age=")),
        "{feed}"
    );
    let events = feed["events"].as_array().expect("events").clone();
    assert!(!events.is_empty());

    // Exactly what the workspace lists.
    let (status, workspace) = get(&pages, &secretary, &format!("/branches/{branch}")).await;
    assert_eq!(status, StatusCode::OK);
    let (due, open, meetings) = workspace_listing(&workspace);
    assert!(!meetings.is_empty(), "the year has meetings");
    assert!(
        !(due.is_empty() && open.is_empty()),
        "the page lists obligations"
    );
    let feed_keys: BTreeSet<String> = events.iter().filter_map(finding_key).collect();
    let feed_open: BTreeSet<String> = feed_keys.intersection(&open).cloned().collect();
    assert_eq!(
        feed_open, open,
        "every open finding of the page is in the feed"
    );
    let feed_due: BTreeSet<String> = events
        .iter()
        .filter(|event| finding_key(event).is_some_and(|key| !open.contains(&key)))
        .map(|event| {
            let summary = event["summary"].as_str().expect("summary");
            let zh = summary.split(" / ").next().expect("the Chinese half");
            zh.split_once('：')
                .expect("status and message")
                .1
                .to_string()
        })
        .collect();
    assert_eq!(
        feed_due, due,
        "the feed's other obligations are the page's due items"
    );
    assert_eq!(
        feed_keys.len(),
        open.len() + due.len(),
        "no obligation the page does not list"
    );
    let feed_meetings: BTreeSet<i64> = events.iter().filter_map(meeting_id).collect();
    assert_eq!(feed_meetings, meetings, "the year's meetings");

    // The whole year: every period of every duty the workspace's calendar shows is one event,
    // the duty's own or the finding that stands for it, and no duty event is anything else.
    let duties = workspace_duties(&workspace);
    assert!(
        duties.iter().any(|(_, label)| label == "2026-12"),
        "the calendar runs to December: {duties:?}"
    );
    for (title, label) in &duties {
        let matching: Vec<&Value> = events
            .iter()
            .filter(|event| first_line(event) == *title && event_is_period(event, branch, label))
            .collect();
        assert!(
            !matching.is_empty(),
            "the feed has no event for {title} in {label}"
        );
        assert!(
            matching.iter().filter(|event| is_duty(event)).count() <= 1,
            "{title} in {label} is one event"
        );
        if matching.iter().any(|event| finding_key(event).is_some()) {
            assert!(
                !matching.iter().any(|event| is_duty(event)),
                "a period a finding stands for is that finding's event: {title} {label}"
            );
        }
    }
    let duty_events: Vec<&Value> = events.iter().filter(|event| is_duty(event)).collect();
    for event in &duty_events {
        assert!(
            duties
                .iter()
                .any(|(title, label)| first_line(event) == *title
                    && event_is_period(event, branch, label)),
            "a duty event the workspace does not show: {event}"
        );
    }
    assert!(
        duty_events
            .iter()
            .any(|event| event["start"].as_str() > Some("2026-07-01")),
        "duties after this month are in the feed"
    );
    // The plan: on its day, with its time, place and topic, linked to the workspace.
    let planned: Vec<&Value> = events
        .iter()
        .filter(|event| plan_id(event).is_some())
        .collect();
    assert_eq!(planned.len(), 1, "the plan is in the feed: {planned:?}");
    assert_eq!(plan_id(planned[0]), Some(plan));
    assert_eq!(planned[0]["start"], "2026-06-25");
    let summary = planned[0]["summary"].as_str().expect("summary");
    assert!(
        summary.contains("党课") && summary.contains("14:30"),
        "{summary}"
    );
    let description = planned[0]["description"].as_str().expect("description");
    assert!(
        description.contains("党员活动室") && description.contains("学习新修订的条例"),
        "{description}"
    );
    // The workspace lists the upcoming plan too.
    assert!(
        workspace.contains(&format!("id=\"plan-{plan}\"")),
        "the workspace lists the plan"
    );
    assert_eq!(
        events.len(),
        feed_keys.len() + feed_meetings.len() + duty_events.len() + planned.len(),
        "nothing else in the feed"
    );
    // Stable: a second fetch has the same events under the same UIDs.
    let refetched = fetch(&server.url(&path), None).await;
    assert_eq!(refetched["events"], feed["events"], "the same events again");
    for event in &events {
        if let Some(id) = meeting_id(event) {
            assert_eq!(
                event["url"],
                json!(server.url(&format!("/meetings/{id}"))),
                "a meeting links to its page"
            );
        }
    }

    // A second fetch with the ETag is answered 304.
    let etag = feed["etag"].as_str().expect("an ETag").to_string();
    let again = fetch(&server.url(&path), Some(&etag)).await;
    assert_eq!(again["status"], 304, "{again}");

    // A member's own feed: only coming-due duties (members read no findings) and only the
    // meetings whose roster lists them.
    let member_session = sign_in(&pages, &credentials, "demo-member").await;
    let member_path = make_feed(&pages, &member_session, "member").await;
    let member_feed = fetch(&server.url(&member_path), None).await;
    assert_eq!(member_feed["status"], 200, "{member_feed}");
    let (_, member_page) = get(&pages, &member_session, "/account/calendars").await;
    assert!(
        member_page.contains("本人日历："),
        "the member's own calendar is listed"
    );
    let member_name = credentials
        .iter()
        .find(|credential| credential.login == "demo-member")
        .map(|credential| credential.display_name.clone())
        .expect("the demo member");
    let member = member_of(&repository, &member_name)
        .await
        .expect("the member's record");
    let coming_due = format!("{} Coming due", FindingStatus::ComingDue.name_zh());
    let mut member_meetings = 0;
    let member_events = member_feed["events"].as_array().expect("events");
    assert!(
        member_events
            .iter()
            .any(|event| plan_id(event) == Some(plan)),
        "the planned Party lecture is in the member's feed"
    );
    assert!(
        member_events.iter().any(is_duty),
        "the year's duties the member attends are in their feed"
    );
    for event in member_events {
        if plan_id(event).is_some() || is_duty(event) {
            continue;
        }
        if let Some(id) = meeting_id(event) {
            let meeting = repository
                .get::<Meeting>(MeetingId(id))
                .await
                .expect("the meeting");
            assert!(
                meeting
                    .body
                    .attendance
                    .iter()
                    .any(|entry| entry.member_id == member),
                "meeting {id} does not list the member"
            );
            member_meetings += 1;
        } else {
            assert_eq!(
                event["categories"][0], coming_due,
                "a member's feed holds no judgement on the branch: {event}"
            );
        }
    }
    assert!(
        member_meetings > 0,
        "the member's meetings are in their feed"
    );

    // A deleted plan leaves both feeds.
    repository
        .delete::<MeetingPlan>(
            MeetingPlanId(plan),
            1,
            &ChangeMeta {
                reason: Some("会议取消".into()),
                ..ChangeMeta::by("demo-secretary")
            },
        )
        .await
        .expect("delete the plan");
    for feed_path in [&path, &member_path] {
        let after = fetch(&server.url(feed_path), None).await;
        assert_eq!(after["status"], 200, "{after}");
        assert!(
            !after["events"]
                .as_array()
                .expect("events")
                .iter()
                .any(|event| plan_id(event).is_some()),
            "the deleted plan is gone from {feed_path}"
        );
    }

    // Revoked: 404, and the revocation is audited.
    let (_, listing) = get(&pages, &secretary, "/account/calendars").await;
    let row = "<tr id=\"feed-";
    let id: i64 = listing[listing.find(row).expect("a feed row") + row.len()..]
        .split('"')
        .next()
        .and_then(|digits| digits.parse().ok())
        .expect("the feed's id");
    let (status, _) = post(
        &pages,
        &secretary,
        &format!("/account/calendars/{id}/revoke"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let gone = fetch(&server.url(&path), None).await;
    assert_eq!(gone["status"], 404, "{gone}");
    let (_, listing) = get(&pages, &secretary, "/account/calendars").await;
    assert!(listing.contains("已撤销"));
    let audited: Vec<String> = repository
        .accounts()
        .search_audit(&AuditQuery {
            login: Some("demo-secretary".into()),
            limit: 50,
            before_id: Some(i64::MAX),
            ..AuditQuery::default()
        })
        .await
        .expect("audit")
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert!(audited.contains(&"calendar_feed_create".to_string()));
    assert!(audited.contains(&"calendar_feed_revoke".to_string()));

    // A made-up token: 404 too.
    let unknown = fetch(&server.url(&format!("/feeds/{}.ics", "7".repeat(64))), None).await;
    assert_eq!(unknown["status"], 404);
    server.stop().await.expect("stop the server");
}

/// The member record of the demo account with this display name.
async fn member_of(repository: &Repository, name: &str) -> Option<MemberId> {
    let page = repository
        .list::<zhibu_core::Member>(&zhibu_storage::ListRequest {
            limit: Some(1000),
            ..zhibu_storage::ListRequest::default()
        })
        .await
        .ok()?;
    page.items
        .iter()
        .find(|member| member.body.name == name)
        .map(|member| MemberId(member.id))
}
