//! The server-rendered pages, exercised through the router against a small demo city in a real
//! SQLite file: each page renders for those who may see it, is not found for those who may not,
//! escapes what people typed, and its forms keep input, refuse stale edits and repeated
//! submissions, and demand the session's CSRF token.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use zhibu_core::engine::FindingStatus;
use zhibu_core::rules::Catalogue;
use zhibu_core::{Meeting, MeetingId, MeetingKind, Member, OrgId, Statement};
use zhibu_demo::{DemoConfig, DemoSummary, generate, load};
use zhibu_storage::{Backend, ChangeMeta, ListRequest, Repository};
use zhibu_web::auth::{DemoCredential, create_demo_accounts};
use zhibu_web::{AppState, router};

const TODAY: &str = "2026-06-15";

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

struct PageApp {
    router: Router,
    repository: Repository,
    database: PathBuf,
    credentials: Vec<DemoCredential>,
    summary: DemoSummary,
}

impl Drop for PageApp {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.database.clone().into_os_string();
            path.push(suffix);
            let _missing_is_fine = std::fs::remove_file(&path);
        }
    }
}

/// A signed-in browser: its session cookie, CSRF token and language.
#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
    lang: &'static str,
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }
}

async fn page_app() -> PageApp {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let database = std::env::temp_dir().join(format!(
        "zhibu-pages-test-{}-{}.db",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", database.display()))
        .await
        .expect("connect to SQLite");
    backend.migrate().await.expect("migrate");
    let repository = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("the national catalogue")),
    );
    let dataset = generate(&DemoConfig::new(7, date(TODAY)).with_branches(4));
    let summary = load(&repository, &dataset).await.expect("load the demo");
    let credentials = create_demo_accounts(&repository, summary.root)
        .await
        .expect("demo accounts");
    PageApp {
        router: router(AppState::with_fixed_today(repository.clone(), date(TODAY))),
        repository,
        database,
        credentials,
        summary,
    }
}

impl PageApp {
    fn credential(&self, login: &str) -> &DemoCredential {
        self.credentials
            .iter()
            .find(|credential| credential.login == login)
            .unwrap_or_else(|| panic!("no demo account {login}"))
    }

    fn first_branch(&self) -> OrgId {
        self.credential("demo-secretary")
            .scope_org
            .expect("the secretary's branch")
    }

    async fn send(&self, request: Request<Body>) -> Page {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn sign_in(&self, login: &str) -> Session {
        let password = &self.credential(login).password;
        let request = Request::post("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({ "login": login, "password": password }).to_string(),
            ))
            .expect("request");
        let page = self.send(request).await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "sign in as {login}: {}",
            page.body
        );
        let cookie = page.headers[header::SET_COOKIE]
            .to_str()
            .expect("cookie")
            .split(';')
            .next()
            .expect("pair")
            .to_string();
        let body: serde_json::Value = serde_json::from_str(&page.body).expect("session JSON");
        Session {
            cookie,
            csrf: body["csrf_token"].as_str().expect("csrf").to_string(),
            lang: "zh",
        }
    }

    async fn get(&self, session: &Session, path: &str) -> Page {
        let request = Request::get(path)
            .header(
                header::COOKIE,
                format!("{}; zhibu_lang={}", session.cookie, session.lang),
            )
            .body(Body::empty())
            .expect("request");
        self.send(request).await
    }

    /// Posts a form; the session's CSRF token is added unless `with_csrf` is false.
    async fn post(
        &self,
        session: &Session,
        path: &str,
        fields: &[(&str, &str)],
        with_csrf: bool,
    ) -> Page {
        let mut form = form_urlencoded::Serializer::new(String::new());
        if with_csrf {
            form.append_pair("csrf_token", &session.csrf);
        }
        for (name, value) in fields {
            form.append_pair(name, value);
        }
        let request = Request::post(path)
            .header(
                header::COOKIE,
                format!("{}; zhibu_lang={}", session.cookie, session.lang),
            )
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.finish()))
            .expect("request");
        self.send(request).await
    }

    async fn meetings_of(&self, branch: OrgId) -> Vec<zhibu_core::Stored<Meeting>> {
        self.repository
            .list::<Meeting>(&ListRequest {
                subtree: Some(branch),
                limit: Some(1000),
                ..ListRequest::default()
            })
            .await
            .expect("meetings")
            .items
    }
}

/// The value of the first `name="…" value="…"` input in a page.
fn input_value(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name}"))
        + marker.len();
    body[start..].split('"').next().unwrap_or("").to_string()
}

/// Every roster radio group `att_{id}` on a meeting form.
fn roster_ids(body: &str) -> Vec<String> {
    let mut ids: Vec<String> = body
        .match_indices("name=\"att_")
        .map(|(index, marker)| {
            body[index + marker.len()..]
                .split('"')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    ids.dedup();
    ids
}

#[tokio::test]
async fn the_branch_workspace_shows_what_is_due_the_findings_and_the_calendar_in_either_language() {
    let app = page_app().await;
    let branch = app.first_branch();
    let mut secretary = app.sign_in("demo-secretary").await;
    let page = app.get(&secretary, &format!("/branches/{branch}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for expected in [
        "本月到期",
        "待处理的问题",
        "全年工作日历",
        "支部委员会会议（每月）",
        "记录会议",
        "<html lang=\"zh-CN\">",
    ] {
        assert!(
            page.body.contains(expected),
            "the workspace shows {expected}"
        );
    }
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    secretary.lang = "en";
    let page = app.get(&secretary, &format!("/branches/{branch}")).await;
    for expected in [
        "Due this month",
        "Open findings",
        "calendar of duties",
        "<html lang=\"en\">",
        "中文",
    ] {
        assert!(
            page.body.contains(expected),
            "the English workspace shows {expected}"
        );
    }
    // Another year is one link away; a year far from today is not a page.
    assert_eq!(
        app.get(&secretary, &format!("/branches/{branch}?year=2025"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&secretary, &format!("/branches/{branch}?year=1990"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn pages_are_scoped_to_the_account() {
    let app = page_app().await;
    let branch = app.first_branch();
    let other = app.sign_in("demo-member-other").await;
    for path in [
        format!("/branches/{branch}"),
        format!("/branches/{branch}/meetings/new"),
        format!("/committees/{}", app.summary.root),
    ] {
        let page = app.get(&other, &path).await;
        assert_eq!(
            page.status,
            StatusCode::NOT_FOUND,
            "{path} is not found for a member of another branch"
        );
        assert!(
            !page
                .body
                .contains(&app.credential("demo-secretary").display_name),
            "{path} reveals nothing"
        );
    }
    let meeting = app
        .meetings_of(branch)
        .await
        .into_iter()
        .next()
        .expect("a meeting");
    assert_eq!(
        app.get(&other, &format!("/meetings/{}", meeting.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let secretary_member = app.credential("demo-secretary");
    let secretary_member_page = format!(
        "/members/{}",
        app.repository
            .list::<Member>(&ListRequest {
                subtree: secretary_member.scope_org,
                limit: Some(1),
                ..ListRequest::default()
            })
            .await
            .expect("members")
            .items[0]
            .id
    );
    assert_eq!(
        app.get(&other, &secretary_member_page).await.status,
        StatusCode::NOT_FOUND
    );
    // The secretary cannot open the committee's dashboard above the branch.
    let secretary = app.sign_in("demo-secretary").await;
    assert_eq!(
        app.get(&secretary, &format!("/committees/{}", app.summary.root))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Signed out, a page sends the person to sign in and comes back afterwards.
    let signed_out = Session {
        cookie: "zhibu_session=nothing".into(),
        csrf: String::new(),
        lang: "zh",
    };
    let page = app.get(&signed_out, &format!("/branches/{branch}")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        page.location().starts_with("/login?next=%2Fbranches%2F"),
        "{}",
        page.location()
    );
}

#[tokio::test]
async fn recording_a_meeting_keeps_input_on_error_refuses_a_missing_token_and_a_second_submission()
{
    let app = page_app().await;
    let branch = app.first_branch();
    let secretary = app.sign_in("demo-secretary").await;
    let form = app
        .get(&secretary, &format!("/branches/{branch}/meetings/new"))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let key = input_value(&form.body, "idempotency_key");
    let roster = roster_ids(&form.body);
    assert!(
        roster.len() >= 3,
        "the branch's members are listed: {roster:?}"
    );
    assert!(
        form.body.contains("value=\"present\" checked"),
        "everyone starts present"
    );
    let before = app.meetings_of(branch).await.len();

    // Without the CSRF token: refused, nothing written.
    let fields = [
        ("idempotency_key", key.as_str()),
        ("kind", "general_meeting"),
        ("held_on", "2026-06-10"),
        ("place", "会议室"),
    ];
    let refused = app
        .post(
            &secretary,
            &format!("/branches/{branch}/meetings"),
            &fields,
            false,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("安全令牌"), "{}", refused.body);
    assert_eq!(app.meetings_of(branch).await.len(), before);

    // Mistakes: each error next to its field, the input kept, in the chosen language.
    let excused = format!("att_{}", roster[1]);
    let mistaken = [
        ("idempotency_key", key.as_str()),
        ("held_on", "2026-02-30"),
        ("place", "<b>三楼</b>会议室"),
        (excused.as_str(), "excused"),
        ("res_subject_0", "表决事项"),
        ("res_yes_0", "很多"),
    ];
    let page = app
        .post(
            &secretary,
            &format!("/branches/{branch}/meetings"),
            &mistaken,
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"form-errors\""));
    assert!(page.body.contains("日期无效"), "the date error is shown");
    assert!(
        page.body.contains("票数须为0或正整数"),
        "the count error is shown"
    );
    assert!(
        page.body
            .contains("value=\"&#60;b&#62;三楼&#60;/b&#62;会议室\""),
        "the place is kept, escaped"
    );
    assert!(
        page.body
            .contains(&format!("name=\"{excused}\" value=\"excused\" checked")),
        "the excused member stays excused"
    );
    assert_eq!(
        input_value(&page.body, "idempotency_key"),
        key,
        "the corrected form is the same meeting"
    );
    assert_eq!(app.meetings_of(branch).await.len(), before);

    // Storage's checks come back next to their fields too (an excused absence needs a reason).
    let mut english = secretary.clone();
    english.lang = "en";
    let page = app
        .post(
            &english,
            &format!("/branches/{branch}/meetings"),
            &[
                ("idempotency_key", key.as_str()),
                ("kind", "general_meeting"),
                ("held_on", "2026-06-10"),
                (excused.as_str(), "excused"),
            ],
            true,
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(
        page.body.contains("an excused absence needs a reason"),
        "the reason error is in English"
    );

    // A valid form, sent twice: one meeting.
    let valid = [
        ("idempotency_key", key.as_str()),
        ("kind", "general_meeting"),
        ("held_on", "2026-06-10"),
        ("place", "<script>alert(1)</script>"),
        (excused.as_str(), "excused"),
        (&format!("reason_{}", roster[1]), "出差"),
    ];
    let first = app
        .post(
            &secretary,
            &format!("/branches/{branch}/meetings"),
            &valid,
            true,
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let second = app
        .post(
            &secretary,
            &format!("/branches/{branch}/meetings"),
            &valid,
            true,
        )
        .await;
    assert_eq!(
        second.location(),
        first.location(),
        "the second submission leads to the same meeting"
    );
    assert_eq!(app.meetings_of(branch).await.len(), before + 1);

    let page = app.get(&secretary, first.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("会议记录已保存"));
    assert!(
        page.body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            && !page.body.contains("<script>alert"),
        "typed text is escaped"
    );
    assert!(page.body.contains("出差"));
}

#[tokio::test]
async fn an_amendment_needs_a_reason_and_a_stale_one_is_refused() {
    let app = page_app().await;
    let branch = app.first_branch();
    let secretary = app.sign_in("demo-secretary").await;
    let meeting = app
        .meetings_of(branch)
        .await
        .into_iter()
        .find(|meeting| meeting.body.org_id == branch)
        .expect("a branch meeting");
    let path = format!("/meetings/{}", meeting.id);
    let page = app.get(&secretary, &path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("修改历史") && page.body.contains("创建"),
        "the history is shown"
    );
    let version = input_value(&page.body, "expected_version");
    let held_on = meeting.body.held_on.to_string();
    let kinds: Vec<(&str, &str)> = meeting
        .body
        .kinds
        .iter()
        .map(|kind| {
            (
                "kind",
                match kind {
                    MeetingKind::GeneralMeeting => "general_meeting",
                    MeetingKind::CommitteeMeeting => "committee_meeting",
                    MeetingKind::ThemedPartyDay => "themed_party_day",
                    MeetingKind::PartyLecture => "party_lecture",
                    MeetingKind::GroupMeeting => "group_meeting",
                    MeetingKind::OrgLifeMeeting => "org_life_meeting",
                    MeetingKind::MemberAppraisal => "member_appraisal",
                },
            )
        })
        .collect();
    let attendance: Vec<(String, String)> = meeting
        .body
        .attendance
        .iter()
        .map(|entry| (format!("att_{}", entry.member_id), "present".to_string()))
        .collect();
    let mut fields: Vec<(&str, &str)> = vec![
        ("expected_version", version.as_str()),
        ("held_on", held_on.as_str()),
        ("place", "改到二楼"),
    ];
    fields.extend(kinds.iter().copied());
    fields.extend(
        attendance
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
    );

    let page = app
        .post(&secretary, &format!("{path}/amend"), &fields, true)
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("修改或删除记录须说明理由"),
        "the missing reason is named"
    );
    assert!(
        page.body.contains("value=\"改到二楼\""),
        "the input is kept"
    );

    // Someone else amends meanwhile; the form's version is now stale.
    let mut changed = meeting.body.clone();
    changed.minutes = "另一位委员补充的记录".into();
    app.repository
        .amend(
            MeetingId(meeting.id),
            meeting.version,
            changed,
            &ChangeMeta::because("someone-else", "补充记录"),
        )
        .await
        .expect("the other amendment");
    let mut with_reason = fields.clone();
    with_reason.push(("reason", "地点记错"));
    let page = app
        .post(&secretary, &format!("{path}/amend"), &with_reason, true)
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(
        page.body.contains("id=\"stale-edit\""),
        "the stale edit is explained"
    );
    assert!(
        page.body.contains("另一位委员补充的记录"),
        "the latest version is shown"
    );
    assert!(
        page.body.contains("value=\"改到二楼\""),
        "the person's input is kept"
    );
    let latest = app
        .repository
        .get::<Meeting>(MeetingId(meeting.id))
        .await
        .expect("meeting");
    assert_eq!(
        (latest.version, latest.body.place.as_str()),
        (meeting.version + 1, meeting.body.place.as_str()),
        "nothing was overwritten"
    );

    // Submitting again from the refreshed form goes through, with who, when and why in the history.
    let fresh_version = input_value(&page.body, "expected_version");
    let mut again = with_reason.clone();
    again[0] = ("expected_version", fresh_version.as_str());
    let page = app
        .post(&secretary, &format!("{path}/amend"), &again, true)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = app.get(&secretary, &path).await;
    assert!(
        page.body.contains("地点记错") && page.body.contains("demo-secretary"),
        "the history names who and why"
    );
}

#[tokio::test]
async fn the_dashboard_drills_to_findings_and_staff_exempt_with_a_reason() {
    let app = page_app().await;
    let root = app.summary.root;
    let staff = app.sign_in("demo-staff").await;
    let page = app.get(&staff, &format!("/committees/{root}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for expected in [
        "id=\"heatmap\"",
        "id=\"trend\"",
        "按规则统计的待处理问题",
        "待处理事项较多的支部",
        "仅陈述事实",
    ] {
        assert!(
            page.body.contains(expected),
            "the dashboard shows {expected}"
        );
    }
    assert!(
        !page.body.contains("分数") && !page.body.contains("排名"),
        "no scores, no rankings"
    );

    // Open findings of the year, as the engine reports them for the root.
    let report = zhibu_core::engine::evaluate(
        app.repository.catalogue(),
        &app.repository
            .load_snapshot(root, date("2026-01-01"), date("2026-12-31"))
            .await
            .expect("snapshot"),
        &zhibu_core::engine::EvaluationRequest {
            root,
            from: date("2026-01-01"),
            to: date("2026-12-31"),
            today: date(TODAY),
            horizon_days: 15,
        },
    );
    let finding = report
        .findings
        .iter()
        .find(|finding| finding.is_open() && finding.status != FindingStatus::ComingDue)
        .expect("an open finding in the demo");
    let drill = format!(
        "/committees/{root}/findings?year=2026&rule={}",
        finding.rule_id
    );
    let page = app.get(&staff, &drill).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&finding.citation.article),
        "the article is shown"
    );
    assert!(page.body.contains(&format!("data-key=\"{}\"", finding.key)));
    assert!(page.body.contains("豁免此问题"), "staff may exempt");

    // Without a reason: refused next to the field; with one: exempted, and the dashboard knows.
    let back = format!("year=2026&rule={}", finding.rule_id);
    let page = app
        .post(
            &staff,
            &format!("/committees/{root}/exemptions"),
            &[
                ("finding_key", &finding.key),
                ("reason", " "),
                ("back", &back),
            ],
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("豁免须说明理由"));
    let page = app
        .post(
            &staff,
            &format!("/committees/{root}/exemptions"),
            &[
                ("finding_key", &finding.key),
                ("reason", "该月支部改选，经批准顺延"),
                ("back", &back),
            ],
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = app.get(&staff, page.location()).await;
    assert!(page.body.contains("已豁免。"), "{}", page.body);
    let exempted = app.get(&staff, &format!("{drill}&status=exempted")).await;
    assert!(
        exempted.body.contains("该月支部改选，经批准顺延"),
        "the exempted finding is still listed, with its reason"
    );

    // Branch officers read their findings but do not exempt them.
    let secretary = app.sign_in("demo-secretary").await;
    let page = app
        .post(
            &secretary,
            &format!("/committees/{root}/exemptions"),
            &[("finding_key", &finding.key), ("reason", "x"), ("back", "")],
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_member_states_their_case_on_a_meeting_and_the_statement_stays_with_it() {
    let app = page_app().await;
    let member_login = app.credential("demo-member");
    let member = app.sign_in("demo-member").await;
    let member_id = app
        .repository
        .list::<Member>(&ListRequest {
            subtree: member_login.scope_org,
            limit: Some(1000),
            ..ListRequest::default()
        })
        .await
        .expect("members")
        .items
        .into_iter()
        .find(|m| m.body.name == member_login.display_name)
        .expect("the member's record")
        .id;
    let page = app.get(&member, &format!("/members/{member_id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("身份变化") && page.body.contains("参加会议情况"));
    let meeting = app
        .meetings_of(app.first_branch())
        .await
        .into_iter()
        .find(|meeting| {
            meeting
                .body
                .attendance
                .iter()
                .any(|entry| entry.member_id.0 == member_id)
        })
        .expect("a meeting the member is listed at");
    let about = meeting.id.to_string();
    let page = app
        .post(
            &member,
            &format!("/members/{member_id}/statements"),
            &[
                ("about_kind", "meeting"),
                ("about_id", &about),
                ("text", "我当天在外地参加培训，已事先请假。"),
            ],
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let statements = app
        .repository
        .list::<Statement>(&ListRequest::default())
        .await
        .expect("statements")
        .items;
    assert_eq!(statements.len(), 1);
    // The secretary sees it under the meeting.
    let secretary = app.sign_in("demo-secretary").await;
    let page = app
        .get(&secretary, &format!("/meetings/{}", meeting.id))
        .await;
    assert!(
        page.body.contains("我当天在外地参加培训"),
        "the statement is shown under the meeting"
    );
    // A meeting the member was not listed at cannot carry their statement; another member's page is not theirs.
    if let Some(elsewhere) = app
        .meetings_of(app.first_branch())
        .await
        .into_iter()
        .find(|meeting| {
            !meeting
                .body
                .attendance
                .iter()
                .any(|entry| entry.member_id.0 == member_id)
        })
    {
        let page = app
            .post(
                &member,
                &format!("/members/{member_id}/statements"),
                &[
                    ("about_kind", "meeting"),
                    ("about_id", &elsewhere.id.to_string()),
                    ("text", "x"),
                ],
                true,
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // A talk the member took part in: their statement stays with it, on the talk's own page.
    let talks = app
        .repository
        .list::<zhibu_core::HeartToHeartTalk>(&ListRequest {
            subtree: Some(app.first_branch()),
            limit: Some(1000),
            ..ListRequest::default()
        })
        .await
        .expect("talks")
        .items;
    {
        let talk = talks
            .iter()
            .find(|talk| talk.body.involves(zhibu_core::MemberId(member_id)))
            .expect("the demo member took part in a talk");
        let page = app
            .post(
                &member,
                &format!("/members/{member_id}/statements"),
                &[
                    ("about_kind", "talk"),
                    ("about_id", &talk.id.to_string()),
                    ("text", "谈话记录中的时间有误。"),
                ],
                true,
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let page = app.get(&member, &format!("/talks/{}", talk.id)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("谈话记录中的时间有误。"));
        // The member reads the talk as the API gives it to them, without its change log; the
        // secretary sees both the statement and the log.
        assert!(!page.body.contains("修改历史"), "{}", page.body);
        let page = app.get(&secretary, &format!("/talks/{}", talk.id)).await;
        assert!(page.body.contains("谈话记录中的时间有误。") && page.body.contains("修改历史"));
        let other = app.sign_in("demo-member-other").await;
        assert_eq!(
            app.get(&other, &format!("/talks/{}", talk.id)).await.status,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        app.get(&member, &format!("/branches/{}", app.first_branch()))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "members see their own records, not the branch's findings"
    );
}

#[tokio::test]
async fn the_audit_page_is_for_administrators_and_masks_personal_data() {
    let app = page_app().await;
    let admin = app.sign_in("demo-admin").await;
    let page = app.get(&admin, "/admin/audit").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("sign_in"), "sign-ins are listed");
    let page = app.get(&admin, "/admin/audit?from=2026-13-01").await;
    assert!(page.body.contains("日期须写作YYYY-MM-DD"));
    let staff = app.sign_in("demo-staff").await;
    assert_eq!(
        app.get(&staff, "/admin/audit").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_language_switch_remembers_the_choice_and_only_goes_back_to_this_site() {
    let app = page_app().await;
    let session = app.sign_in("demo-staff").await;
    let page = app
        .get(&session, "/lang/en?back=%2Fcommittees%2F1%3Fyear%3D2025")
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/committees/1?year=2025");
    assert!(
        page.headers[header::SET_COOKIE]
            .to_str()
            .expect("cookie")
            .starts_with("zhibu_lang=en;")
    );
    let page = app.get(&session, "/lang/zh?back=%2F%2Fevil.example").await;
    assert_eq!(page.location(), "/");
    let css = app.get(&session, "/assets/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.headers[header::CONTENT_TYPE]
            .to_str()
            .expect("type")
            .starts_with("text/css")
    );
}

#[tokio::test]
async fn a_committee_meeting_records_the_committee_not_the_whole_branch() {
    let app = page_app().await;
    let branch = app.first_branch();
    let secretary = app.sign_in("demo-secretary").await;
    let form = app
        .get(&secretary, &format!("/branches/{branch}/meetings/new"))
        .await;
    let key = input_value(&form.body, "idempotency_key");
    let roster = roster_ids(&form.body);
    assert!(
        form.body.contains("data-tags=\"committee"),
        "committee members are marked for the script"
    );
    let attendance: Vec<(String, &str)> = roster
        .iter()
        .map(|id| (format!("att_{id}"), "present"))
        .collect();
    let mut fields: Vec<(&str, &str)> = vec![
        ("idempotency_key", key.as_str()),
        ("kind", "committee_meeting"),
        ("held_on", "2026-06-12"),
    ];
    fields.extend(
        attendance
            .iter()
            .map(|(name, value)| (name.as_str(), *value)),
    );
    let page = app
        .post(
            &secretary,
            &format!("/branches/{branch}/meetings"),
            &fields,
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let id: i64 = page
        .location()
        .trim_start_matches("/meetings/")
        .split('?')
        .next()
        .expect("id")
        .parse()
        .expect("a meeting id");
    let meeting = app
        .repository
        .get::<Meeting>(MeetingId(id))
        .await
        .expect("the meeting");
    let committee_rows = form.body.matches("data-tags=\"committee").count();
    assert_eq!(
        meeting.body.attendance.len(),
        committee_rows,
        "only the committee is recorded"
    );
    assert!(meeting.body.attendance.len() < roster.len());
}

#[tokio::test]
async fn the_findings_cache_applies_later_writes_and_agrees_with_a_fresh_evaluation() {
    use zhibu_core::{Exemption, Stored};
    use zhibu_web::pages::evaluation::FindingsCache;

    let app = page_app().await;
    let root = app.summary.root;
    let today = date(TODAY);
    let cache = FindingsCache::new();
    let before = cache
        .evaluation(&app.repository, root, 2026, today)
        .await
        .expect("evaluate");
    assert_eq!(
        before.changes_applied, 0,
        "the first evaluation loads the subtree"
    );

    // Writes of the kinds a refresh applies: a meeting deleted (a duty missed), another added,
    // an exemption granted.
    let branch = app.first_branch();
    let meetings = app.meetings_of(branch).await;
    let gone: &Stored<Meeting> = meetings
        .iter()
        .find(|meeting| {
            meeting.body.held_on.format("%Y-%m").to_string() == "2026-03"
                && meeting.body.is_kind(MeetingKind::CommitteeMeeting)
        })
        .expect("a committee meeting in March");
    app.repository
        .delete::<Meeting>(
            gone.typed_id(),
            gone.version,
            &ChangeMeta::because("test", "录入错误"),
        )
        .await
        .expect("delete");
    let mut added = gone.body.clone();
    added.held_on = date("2026-05-28");
    app.repository
        .create(added, &ChangeMeta::by("test"))
        .await
        .expect("create");
    let open = before
        .report
        .findings
        .iter()
        .find(|finding| finding.is_open())
        .expect("an open finding");
    let exemption = Exemption {
        org_id: open.org_id,
        finding_key: open.key.clone(),
        granted_by: root,
        granted_on: today,
        reason: "经批准".into(),
    };
    app.repository
        .create(exemption, &ChangeMeta::by("test"))
        .await
        .expect("exempt");

    let refreshed = cache
        .evaluation(&app.repository, root, 2026, today)
        .await
        .expect("refresh");
    assert_eq!(
        refreshed.changes_applied, 3,
        "the three writes were applied to the cached snapshot"
    );
    let fresh = FindingsCache::new()
        .evaluation(&app.repository, root, 2026, today)
        .await
        .expect("fresh");
    assert_eq!(
        refreshed.report.findings, fresh.report.findings,
        "applying the writes gives what loading afresh gives"
    );
    assert_ne!(
        before.report.findings, refreshed.report.findings,
        "the writes changed the findings"
    );
    assert!(
        refreshed.report.findings.iter().any(|finding| finding.key
            == format!("BRANCH.COMMITTEE_MEETING.MONTHLY|{branch}|2026-03|")
            && finding.is_open()),
        "March is now missed"
    );
}
