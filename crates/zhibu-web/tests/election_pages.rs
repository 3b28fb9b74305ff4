//! The election entry form (issue 5 §4), through the router against a branch whose roster on the
//! day of its general meeting gives 25 members with a vote (plus a probationary member, who has
//! none), in a real SQLite file — and the main story once more on PostgreSQL when
//! `ZHIBU_TEST_POSTGRES_URL` is set. The expected count comes from the roster; a two-round
//! election is counted, recorded and shown; the boundaries (25 expected: 20 present is an
//! invalid election and is not written, 21 is valid; a candidate at exactly half of those present
//! is not elected); bad input is refused naming the field and the rule with nothing written; the
//! result is sent up and the upper committee's staff record the decision; a member of another
//! branch cannot reach the form; a committee term that has run out links to the form.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use zhibu_core::rules::Catalogue;
use zhibu_core::vote_records::ElectionRecord;
use zhibu_core::{
    Attendance, AttendanceState, CommitteePosition, CommitteeRole, CommitteeTerm, LeadershipForm,
    Meeting, MeetingKind, Member, MemberId, MemberStatus, Org, OrgId, OrgLevel, RecordKind,
    UnitKind,
};
use zhibu_storage::{Backend, ChangeMeta, RecordQuery, Repository};
use zhibu_web::auth::Role;
use zhibu_web::auth::handlers::{NewAccountRequest, create_account};
use zhibu_web::{AppState, router};

const TODAY: &str = "2026-06-25";
const MEETING_DAY: &str = "2026-06-20";

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

/// A member posted to `branch` since 2015 with this status history. Built from JSON, as the API
/// takes it, so that fields added to the record with defaults need no change here.
fn member(name: String, branch: OrgId, history: Vec<(&str, MemberStatus)>) -> Member {
    let status_history: Vec<serde_json::Value> = history
        .iter()
        .map(|(date, status)| json!({ "effective_on": date, "status": status }))
        .collect();
    serde_json::from_value(json!({
        "name": name,
        "sex": "male",
        "birth_date": "1985-03-01",
        "joined_on": history[0].0,
        "status_history": status_history,
        "postings": [{ "branch_id": branch, "from": "2015-01-01" }],
        "employment": "salaried",
    }))
    .expect("a member body")
}

struct App {
    router: Router,
    repo: Repository,
    backend: Arc<dyn Backend>,
    root: OrgId,
    branch: OrgId,
    other_branch: OrgId,
    /// The 25 members with a vote, ascending.
    voters: Vec<MemberId>,
    probationary: MemberId,
    other_member: MemberId,
    meeting: i64,
}

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

async fn sqlite() -> Arc<dyn Backend> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "zhibu-election-pages-{}-{}.db",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    Arc::new(backend)
}

/// A branch of 25 full members and a probationary one; a general meeting on 2026-06-20 that the
/// first `present` full members and the probationary member came to; another branch with one
/// member.
async fn app_on(backend: Arc<dyn Backend>, present: usize) -> App {
    let repo = Repository::new(
        backend.clone(),
        Arc::new(Catalogue::national().expect("catalogue")),
    );
    let meta = ChangeMeta::by("setup");
    let org = |parent: Option<OrgId>, name: &str, level: OrgLevel| Org {
        parent_id: parent,
        name: name.into(),
        level,
        unit_kind: UnitKind::GovernmentOrgan,
        established_on: d("2010-01-01"),
        dissolved_on: None,
    };
    let root = OrgId(
        repo.create(org(None, "区直机关工委", OrgLevel::WorkingCommittee), &meta)
            .await
            .expect("root")
            .id,
    );
    let branch = OrgId(
        repo.create(org(Some(root), "机关第二党支部", OrgLevel::Branch), &meta)
            .await
            .expect("branch")
            .id,
    );
    let other_branch = OrgId(
        repo.create(org(Some(root), "后勤党支部", OrgLevel::Branch), &meta)
            .await
            .expect("other branch")
            .id,
    );
    let mut voters = Vec::new();
    for index in 0..25 {
        let body = member(
            format!("委员候选{index:02}"),
            branch,
            vec![
                ("2012-07-01", MemberStatus::Probationary),
                ("2013-07-01", MemberStatus::Full),
            ],
        );
        voters.push(MemberId(repo.create(body, &meta).await.expect("member").id));
    }
    let probationary = MemberId(
        repo.create(
            member(
                "预备党员甲".into(),
                branch,
                vec![("2026-01-10", MemberStatus::Probationary)],
            ),
            &meta,
        )
        .await
        .expect("probationary")
        .id,
    );
    let other_member = MemberId(
        repo.create(
            member(
                "后勤党员".into(),
                other_branch,
                vec![
                    ("2012-07-01", MemberStatus::Probationary),
                    ("2013-07-01", MemberStatus::Full),
                ],
            ),
            &meta,
        )
        .await
        .expect("other member")
        .id,
    );
    let mut attendance: Vec<Attendance> = voters
        .iter()
        .enumerate()
        .map(|(index, id)| Attendance {
            member_id: *id,
            state: if index < present {
                AttendanceState::Present
            } else {
                AttendanceState::Absent
            },
        })
        .collect();
    attendance.push(Attendance {
        member_id: probationary,
        state: AttendanceState::Present,
    });
    let meeting = repo
        .create(
            Meeting {
                org_id: branch,
                kinds: vec![MeetingKind::GeneralMeeting],
                held_on: d(MEETING_DAY),
                place: "党员活动室".into(),
                chair_id: Some(voters[0]),
                recorder_id: Some(voters[1]),
                topics: vec!["支部委员会换届选举".into()],
                minutes: String::new(),
                resolutions: Vec::new(),
                attendance,
            },
            &meta,
        )
        .await
        .expect("meeting")
        .id;
    App {
        router: router(AppState::with_fixed_today(repo.clone(), d(TODAY))),
        repo,
        backend,
        root,
        branch,
        other_branch,
        voters,
        probationary,
        other_member,
        meeting,
    }
}

async fn app(present: usize) -> App {
    app_on(sqlite().await, present).await
}

impl App {
    async fn send(&self, request: Request<Body>) -> Page {
        let response = self.router.clone().oneshot(request).await.expect("answer");
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

    async fn session(
        &self,
        login: &str,
        role: Role,
        scope: OrgId,
        member: Option<MemberId>,
    ) -> Session {
        let password = create_account(
            &self.repo,
            &NewAccountRequest {
                login: login.into(),
                display_name: login.into(),
                role,
                scope_org: Some(scope.0),
                member_id: member.map(|id| id.0),
            },
            false,
        )
        .await
        .expect("account")
        .one_time_password;
        let page = self
            .send(
                Request::post("/api/v1/session")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(
                        json!({ "login": login, "password": password }).to_string(),
                    ))
                    .expect("request"),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let cookie = page.headers[header::SET_COOKIE]
            .to_str()
            .expect("cookie")
            .split(';')
            .next()
            .expect("pair")
            .to_string();
        let body: serde_json::Value = serde_json::from_str(&page.body).expect("json");
        Session {
            cookie,
            csrf: body["csrf_token"].as_str().expect("csrf").to_string(),
            lang: "zh",
        }
    }

    async fn secretary(&self) -> Session {
        self.session(
            "secretary",
            Role::BranchSecretary,
            self.branch,
            Some(self.voters[0]),
        )
        .await
    }

    async fn get(&self, session: &Session, path: &str) -> Page {
        self.send(
            Request::get(path)
                .header(
                    header::COOKIE,
                    format!("{}; zhibu_lang={}", session.cookie, session.lang),
                )
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    async fn post(&self, session: &Session, path: &str, fields: &[(String, String)]) -> Page {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("csrf_token", &session.csrf);
        for (name, value) in fields {
            form.append_pair(name, value);
        }
        self.send(
            Request::post(path)
                .header(
                    header::COOKIE,
                    format!("{}; zhibu_lang={}", session.cookie, session.lang),
                )
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form.finish()))
                .expect("request"),
        )
        .await
    }

    async fn elections_stored(&self) -> Vec<ElectionRecord> {
        self.backend
            .list(&RecordQuery::all(RecordKind::Election))
            .await
            .expect("list")
            .into_iter()
            .map(|row| serde_json::from_str(&row.body).expect("an election body"))
            .collect()
    }

    fn form_path(&self) -> String {
        format!("/branches/{}/elections/new", self.branch)
    }

    /// The form's head: the meeting, the seats, the number of rounds and what to do.
    fn head(&self, seats: u32, rounds: usize, action: &str) -> Vec<(String, String)> {
        vec![
            ("meeting".into(), self.meeting.to_string()),
            ("form".into(), "committee".into()),
            ("seats".into(), seats.to_string()),
            ("rounds".into(), rounds.to_string()),
            ("action".into(), action.into()),
        ]
    }
}

/// One round's fields: round `number` (1-based), those present, each candidate with their yes
/// votes, and ballots issued and returned (none void).
fn round(
    number: usize,
    seats: u32,
    present: &[MemberId],
    candidates: &[(MemberId, u32)],
    ballots: u32,
) -> Vec<(String, String)> {
    let prefix = format!("r{number}");
    let mut fields = Vec::new();
    if number > 1 {
        fields.push((format!("{prefix}_seats"), seats.to_string()));
    }
    for id in present {
        fields.push((format!("{prefix}_present"), id.0.to_string()));
    }
    for (id, yes) in candidates {
        fields.push((format!("{prefix}_candidate"), id.0.to_string()));
        fields.push((format!("{prefix}_yes_{}", id.0), yes.to_string()));
    }
    fields.push((format!("{prefix}_issued"), ballots.to_string()));
    fields.push((format!("{prefix}_returned"), ballots.to_string()));
    fields.push((format!("{prefix}_void"), "0".into()));
    fields
}

/// A form's fields, in order.
type Form = Vec<(String, String)>;

fn with(
    mut head: Vec<(String, String)>,
    rounds: &[Vec<(String, String)>],
) -> Vec<(String, String)> {
    for round in rounds {
        head.extend(round.iter().cloned());
    }
    head
}

#[tokio::test]
async fn the_form_shows_the_expected_voters_worked_out_from_the_roster_on_the_day() {
    let app = app(23).await;
    let secretary = app.secretary().await;
    // Without a meeting: the branch's general meetings to choose from.
    let choose = app.get(&secretary, &app.form_path()).await;
    assert_eq!(choose.status, StatusCode::OK, "{}", choose.body);
    let link = format!(
        "/branches/{}/elections/new?meeting={}",
        app.branch, app.meeting
    );
    assert!(choose.body.contains(&link), "{}", choose.body);
    // The meeting's form: 25 with a vote (the probationary member has none, and is named as
    // such), the 23 who came ticked as present, and the candidate minimum from the core's rule.
    let page = app.get(&secretary, &link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("id=\"expected-count\"") && page.body.contains("<strong>25</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("预备党员甲（预备党员"), "{}", page.body);
    assert!(
        !page.body.contains(&format!(
            "name=\"r1_present\" value=\"{}\"",
            app.probationary
        )),
        "a probationary member cannot be ticked as present with a vote"
    );
    let ticked = page.body.matches("name=\"r1_present\"").count();
    let checked = page
        .body
        .split("name=\"r1_present\"")
        .skip(1)
        .filter(|rest| {
            rest.split('>')
                .next()
                .is_some_and(|tag| tag.contains("checked"))
        })
        .count();
    assert_eq!((ticked, checked), (25, 23));
    assert!(page.body.contains("至少21人"), "more than 4/5 of 25 is 21");
    assert!(page.body.contains("3→4") && page.body.contains("ELECT.DIFFERENTIAL_20PCT"));
    // In English too.
    let mut english = app.secretary_en().await;
    english.lang = "en";
    let page = app.get(&english, &link).await;
    assert!(
        page.body.contains("Members expected with voting rights"),
        "{}",
        page.body
    );
    assert!(page.body.contains("at least 21"), "{}", page.body);
}

impl App {
    async fn secretary_en(&self) -> Session {
        self.session(
            "secretary-en",
            Role::BranchSecretary,
            self.branch,
            Some(self.voters[1]),
        )
        .await
    }
}

/// The two-round story: 3 seats, 5 candidates, 23 of 25 present. Round 1 elects two (20 and 18
/// yes; more than 11.5 needed); the page says one seat is left and adds round 2 among the other
/// three; round 2 elects one; saved, and shown round by round.
async fn two_rounds(app: &App) {
    let secretary = app.secretary().await;
    let present = &app.voters[..23];
    let v = &app.voters;
    let first = round(
        1,
        3,
        present,
        &[(v[0], 20), (v[1], 18), (v[2], 10), (v[3], 10), (v[4], 5)],
        23,
    );
    let counted = app
        .post(
            &secretary,
            &app.form_path(),
            &with(app.head(3, 1, "count"), std::slice::from_ref(&first)),
        )
        .await;
    assert_eq!(counted.status, StatusCode::OK, "{}", counted.body);
    assert!(
        counted.body.contains("20 &gt; 23 ÷ 2 = 11.5？超过半数")
            || counted.body.contains("20 &#62; 23 ÷ 2 = 11.5？超过半数"),
        "{}",
        counted.body
    );
    assert!(
        counted.body.contains("当选人数不足，差1名"),
        "{}",
        counted.body
    );
    // Round 2 is on the form, for 1 seat, with the three not elected ticked.
    assert!(counted.body.contains("id=\"round-2\""), "{}", counted.body);
    assert!(counted.body.contains("name=\"rounds\" value=\"2\""));
    assert!(
        counted.body.contains("name=\"r2_seats\" value=\"1\""),
        "{}",
        counted.body
    );
    for index in [2, 3, 4] {
        let ticked = format!(
            "name=\"r2_candidate\" value=\"{}\" aria-label=\"候选人 委员候选{index:02}\" checked",
            v[index]
        );
        assert!(counted.body.contains(&ticked), "{ticked}: {}", counted.body);
    }
    assert!(
        app.elections_stored().await.is_empty(),
        "counting writes nothing"
    );
    // Round 2 among two of them: 15 yes elects 委员候选02. The tellers counted no votes and
    // abstentions for 委员候选02 only: those are kept, the blanks are stored as 0.
    let mut second = round(2, 1, present, &[(v[2], 15), (v[3], 8)], 23);
    second.push((format!("r2_no_{}", v[2]), "5".into()));
    second.push((format!("r2_abstain_{}", v[2]), "3".into()));
    let saved = app
        .post(
            &secretary,
            &app.form_path(),
            &with(app.head(3, 2, "save"), &[first, second]),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(
        saved.location().starts_with("/elections/"),
        "{}",
        saved.location()
    );
    let stored = app.elections_stored().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].rounds.len(), 2);
    assert_eq!(
        stored[0].entitled, app.voters,
        "the entitlement is the roster's 25"
    );
    assert_eq!(stored[0].rounds[0].present, present.to_vec());
    let tallies: Vec<(MemberId, (u32, u32, u32))> = stored[0].rounds[1]
        .ballots
        .candidates
        .iter()
        .map(|c| (c.candidate, (c.tally.yes, c.tally.no, c.tally.abstain)))
        .collect();
    assert_eq!(tallies, vec![(v[2], (15, 5, 3)), (v[3], (8, 0, 0))]);
    let shown = app.get(&secretary, saved.location()).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(shown.body.contains("第1轮") && shown.body.contains("第2轮"));
    assert!(shown.body.contains("当选 3 / 3"), "{}", shown.body);
    assert!(shown.body.contains("委员候选00") && shown.body.contains("委员候选02"));
    assert!(shown.body.contains("已保存"), "{}", shown.body);
}

#[tokio::test]
async fn a_two_round_election_is_counted_recorded_and_shown() {
    let app = app(23).await;
    two_rounds(&app).await;
}

#[tokio::test]
async fn a_two_round_election_is_recorded_on_postgresql() {
    let Some(url) = std::env::var("ZHIBU_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
    else {
        let required = std::env::var("ZHIBU_REQUIRE_POSTGRES").is_ok_and(|value| value == "1");
        assert!(
            !required,
            "ZHIBU_REQUIRE_POSTGRES=1 but ZHIBU_TEST_POSTGRES_URL is not set"
        );
        eprintln!(
            "SKIPPED: ZHIBU_TEST_POSTGRES_URL not set — the election form did not run on PostgreSQL"
        );
        return;
    };
    let schema = format!(
        "zhibu_election_pages_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos())
    );
    let backend = zhibu_storage_postgres::connect_with_schema(&url, &schema)
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    let pool = backend.pool().clone();
    let app = app_on(Arc::new(backend), 23).await;
    two_rounds(&app).await;
    drop(app);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(&pool)
    .await
    .expect("drop the test schema");
}

#[tokio::test]
async fn twenty_of_twenty_five_present_is_an_invalid_election_and_nothing_is_written() {
    let app = app(20).await;
    let secretary = app.secretary().await;
    let v = &app.voters;
    let fields = with(
        app.head(1, 1, "save"),
        &[round(1, 1, &v[..20], &[(v[0], 18), (v[1], 2)], 20)],
    );
    let page = app.post(&secretary, &app.form_path(), &fields).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains("rounds[0].present"), "{}", page.body);
    assert!(page.body.contains("ELECT.QUORUM_4_5"), "{}", page.body);
    assert!(
        page.body.contains("未超过应到会人数的4/5，选举无效"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("20 &gt; 20？不满足") || page.body.contains("20 &#62; 20？不满足"),
        "{}",
        page.body
    );
    assert!(page.body.contains("本轮无效，须重新选举"), "{}", page.body);
    assert!(app.elections_stored().await.is_empty());
}

#[tokio::test]
async fn twenty_one_of_twenty_five_present_is_a_valid_election() {
    let app = app(21).await;
    let secretary = app.secretary().await;
    let v = &app.voters;
    let fields = with(
        app.head(1, 1, "save"),
        &[round(1, 1, &v[..21], &[(v[0], 19), (v[1], 2)], 21)],
    );
    let page = app.post(&secretary, &app.form_path(), &fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let stored = app.elections_stored().await;
    assert_eq!(stored.len(), 1);
    let shown = app.get(&secretary, page.location()).await;
    assert!(
        shown.body.contains("21 &gt; 20？满足，选举有效")
            || shown.body.contains("21 &#62; 20？满足，选举有效"),
        "{}",
        shown.body
    );
}

#[tokio::test]
async fn a_candidate_with_exactly_half_of_those_present_is_not_elected() {
    let app = app(22).await;
    let secretary = app.secretary().await;
    let v = &app.voters;
    let half = with(
        app.head(1, 1, "count"),
        &[round(1, 1, &v[..22], &[(v[0], 11), (v[1], 10)], 22)],
    );
    let page = app.post(&secretary, &app.form_path(), &half).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("11 &gt; 22 ÷ 2 = 11？未超过半数")
            || page.body.contains("11 &#62; 22 ÷ 2 = 11？未超过半数"),
        "{}",
        page.body
    );
    assert!(page.body.contains("当选 0 / 1"), "{}", page.body);
    assert!(
        page.body.contains("另行选举，或经党员大会同意减少名额"),
        "{}",
        page.body
    );
    // Saving it is refused: no seat is filled.
    let mut save = half.clone();
    save.retain(|(name, _)| name != "action");
    save.push(("action".into(), "save".into()));
    let refused = app.post(&secretary, &app.form_path(), &save).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("名额尚未选满，不能保存"),
        "{}",
        refused.body
    );
    assert!(app.elections_stored().await.is_empty());
    // One more vote, 12 of 22, is more than half.
    let more = with(
        app.head(1, 1, "count"),
        &[round(1, 1, &v[..22], &[(v[0], 12), (v[1], 10)], 22)],
    );
    let page = app.post(&secretary, &app.form_path(), &more).await;
    assert!(
        page.body.contains("12 &gt; 22 ÷ 2 = 11？超过半数")
            || page.body.contains("12 &#62; 22 ÷ 2 = 11？超过半数"),
        "{}",
        page.body
    );
    assert!(page.body.contains("当选 1 / 1"), "{}", page.body);
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_rule_with_nothing_written() {
    let app = app(21).await;
    let secretary = app.secretary().await;
    let v = app.voters.clone();
    let present = &v[..21];
    let not_a_candidate = format!("rounds[0].yes[{}]", v[5]);
    let abstention_not_a_candidate = format!("rounds[0].abstain[{}]", v[5]);
    let cases: Vec<(Form, Vec<&str>)> = vec![
        // More ballots issued than those present.
        (
            with(
                app.head(1, 1, "save"),
                &[round(1, 1, present, &[(v[0], 15), (v[1], 6)], 21)
                    .into_iter()
                    .map(|(name, value)| {
                        if name == "r1_issued" {
                            (name, "30".to_string())
                        } else {
                            (name, value)
                        }
                    })
                    .collect()],
            ),
            vec![
                "rounds[0].ballots_issued",
                "ELECT.VOTING_RIGHTS",
                "发出选票30张，多于实到有选举权的党员21人",
            ],
        ),
        // A candidate's count larger than the valid ballots.
        (
            with(
                app.head(1, 1, "save"),
                &[round(1, 1, present, &[(v[0], 25), (v[1], 6)], 21)],
            ),
            vec![
                "rounds[0].ballots.candidates[0].tally",
                "ELECT.WIN_THRESHOLD",
            ],
        ),
        // Three seats need four candidates.
        (
            with(
                app.head(3, 1, "save"),
                &[round(
                    1,
                    3,
                    present,
                    &[(v[0], 15), (v[1], 15), (v[2], 15)],
                    21,
                )],
            ),
            vec![
                "rounds[0].candidates",
                "ELECT.DIFFERENTIAL_20PCT",
                "候选人至少4名",
            ],
        ),
        // Not a number.
        (
            with(
                app.head(1, 1, "save"),
                &[round(1, 1, present, &[(v[0], 15), (v[1], 6)], 21)
                    .into_iter()
                    .map(|(name, value)| {
                        if name == "r1_returned" {
                            (name, "二十一".to_string())
                        } else {
                            (name, value)
                        }
                    })
                    .collect()],
            ),
            vec!["rounds[0].ballots.returned", "“二十一”不是非负整数"],
        ),
        // Votes typed for someone not ticked as a candidate.
        (
            with(
                app.head(1, 1, "save"),
                &[{
                    let mut fields = round(1, 1, present, &[(v[0], 15), (v[1], 6)], 21);
                    fields.push((format!("r1_yes_{}", v[5]), "3".into()));
                    fields
                }],
            ),
            vec![&not_a_candidate, "没有勾选为本轮候选人"],
        ),
        // An abstention typed for someone not ticked as a candidate.
        (
            with(
                app.head(1, 1, "save"),
                &[{
                    let mut fields = round(1, 1, present, &[(v[0], 15), (v[1], 6)], 21);
                    fields.push((format!("r1_abstain_{}", v[5]), "2".into()));
                    fields
                }],
            ),
            vec![&abstention_not_a_candidate, "没有勾选为本轮候选人"],
        ),
        // No seats.
        (
            {
                let mut fields = with(
                    app.head(1, 1, "save"),
                    &[round(1, 1, present, &[(v[0], 15), (v[1], 6)], 21)],
                );
                fields.retain(|(name, _)| name != "seats");
                fields
            },
            vec!["应选人数（seats）", "请填写此项"],
        ),
        // Someone absent from the meeting counted as present.
        (
            with(
                app.head(1, 1, "save"),
                &[round(1, 1, &v[..22], &[(v[0], 15), (v[1], 6)], 21)],
            ),
            vec!["rounds[0].present[21]", "在会议记录中不是实到"],
        ),
    ];
    for (fields, expected) in cases {
        let page = app.post(&secretary, &app.form_path(), &fields).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{expected:?}: {}",
            page.body
        );
        for text in &expected {
            assert!(page.body.contains(text), "{text}: {}", page.body);
        }
        assert!(page.body.contains("未写入任何记录"));
        assert!(
            app.elections_stored().await.is_empty(),
            "{expected:?} wrote something"
        );
    }
    // No meeting at all.
    let page = app
        .post(
            &secretary,
            &app.form_path(),
            &[("seats".into(), "1".into())],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("meeting_id"), "{}", page.body);
    // In English, the same refusal in English.
    let mut english = app.secretary_en().await;
    english.lang = "en";
    let fields = with(
        app.head(1, 1, "save"),
        &[round(1, 1, present, &[(v[0], 15), (v[1], 6)], 21)
            .into_iter()
            .map(|(name, value)| {
                if name == "r1_issued" {
                    (name, "30".to_string())
                } else {
                    (name, value)
                }
            })
            .collect()],
    );
    let page = app.post(&english, &app.form_path(), &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body
            .contains("Round 1 · ballots issued (rounds[0].ballots_issued)")
            && page
                .body
                .contains("30 ballots were issued to 21 voters present"),
        "{}",
        page.body
    );
    assert!(app.elections_stored().await.is_empty());
}

#[tokio::test]
async fn the_result_is_sent_up_and_the_upper_committee_records_its_decision() {
    let app = app(21).await;
    let secretary = app.secretary().await;
    let v = &app.voters;
    let saved = app
        .post(
            &secretary,
            &app.form_path(),
            &with(
                app.head(1, 1, "save"),
                &[round(1, 1, &v[..21], &[(v[0], 19), (v[1], 2)], 21)],
            ),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let election = saved.location().split('?').next().unwrap_or("").to_string();
    let page = app.get(&secretary, &election).await;
    assert!(page.body.contains("id=\"report-form\""), "{}", page.body);
    assert!(
        !page.body.contains("id=\"approval-form\""),
        "the branch does not approve itself"
    );
    // Someone not elected cannot be named secretary; nothing is written.
    let report = |secretary: MemberId| {
        vec![
            ("step".to_string(), "report".to_string()),
            ("version".to_string(), "1".to_string()),
            ("secretary".to_string(), secretary.to_string()),
            ("deputy_secretary".to_string(), String::new()),
            ("reported_on".to_string(), "2026-06-22".to_string()),
            ("reason".to_string(), "上报选举结果".to_string()),
        ]
    };
    let refused = app
        .post(&secretary, &format!("{election}/report"), &report(v[5]))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("不在当选的委员之中") && refused.body.contains("ELECT.VOTING_RIGHTS")
    );
    assert!(app.elections_stored().await[0].reported_on.is_none());
    // Without a reason: refused by name.
    let mut no_reason = report(v[0]);
    no_reason.retain(|(name, _)| name != "reason");
    let refused = app
        .post(&secretary, &format!("{election}/report"), &no_reason)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("修改原因（reason）"),
        "{}",
        refused.body
    );
    // Sent up, naming the one elected as secretary.
    let sent = app
        .post(&secretary, &format!("{election}/report"), &report(v[0]))
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let page = app.get(&secretary, &election).await;
    assert!(
        page.body.contains("2026年6月22日，等待批复"),
        "{}",
        page.body
    );
    // The secretary cannot record the upper decision.
    let decision = vec![
        ("step".to_string(), "approval".to_string()),
        ("version".to_string(), "2".to_string()),
        ("approved".to_string(), "yes".to_string()),
        ("decided_on".to_string(), "2026-06-24".to_string()),
        ("reason".to_string(), "区直机关工委批复".to_string()),
    ];
    let forbidden = app
        .post(&secretary, &format!("{election}/report"), &decision)
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert!(app.elections_stored().await[0].approval.is_none());
    // The committee's staff do.
    let staff = app
        .session("staff", Role::CommitteeStaff, app.root, None)
        .await;
    let page = app.get(&staff, &election).await;
    assert!(page.body.contains("id=\"approval-form\""), "{}", page.body);
    let approved = app
        .post(&staff, &format!("{election}/report"), &decision)
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    let page = app.get(&secretary, &election).await;
    assert!(page.body.contains("已批准 2026年6月24日"), "{}", page.body);
    let stored = &app.elections_stored().await[0];
    assert_eq!(stored.secretary, Some(v[0]));
    assert!(
        stored
            .approval
            .as_ref()
            .is_some_and(|approval| approval.approved)
    );
    // Both changes are amendments with their reasons, in the record's history.
    let id = election
        .trim_start_matches("/elections/")
        .parse::<i64>()
        .expect("id");
    let history = app
        .repo
        .history(RecordKind::Election, id)
        .await
        .expect("history");
    assert_eq!(history.len(), 3);
}

#[tokio::test]
async fn a_member_of_another_branch_cannot_open_or_use_the_form() {
    let app = app(21).await;
    let v = &app.voters;
    let outsider = app
        .session(
            "outsider",
            Role::BranchSecretary,
            app.other_branch,
            Some(app.other_member),
        )
        .await;
    let member = app
        .session(
            "member",
            Role::Member,
            app.other_branch,
            Some(app.other_member),
        )
        .await;
    let own_member = app
        .session("own-member", Role::Member, app.branch, Some(v[3]))
        .await;
    let fields = with(
        app.head(1, 1, "save"),
        &[round(1, 1, &v[..21], &[(v[0], 19), (v[1], 2)], 21)],
    );
    for session in [&outsider, &member] {
        let page = app.get(session, &app.form_path()).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
        assert!(!page.body.contains("机关第二党支部"));
        let page = app.post(session, &app.form_path(), &fields).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
    }
    // A member of the branch itself reads nothing of elections and records none.
    let page = app.get(&own_member, &app.form_path()).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = app.post(&own_member, &app.form_path(), &fields).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(app.elections_stored().await.is_empty());
    // The other branch's secretary cannot pass this branch's meeting off as theirs.
    let other_form = format!("/branches/{}/elections/new", app.other_branch);
    let page = app
        .get(&outsider, &format!("{other_form}?meeting={}", app.meeting))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = app.post(&outsider, &other_form, &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("meeting_id"));
    assert!(app.elections_stored().await.is_empty());
}

#[tokio::test]
async fn a_committee_term_that_has_run_out_links_to_the_form() {
    let app = app(21).await;
    app.repo
        .create(
            CommitteeTerm {
                org_id: app.branch,
                form: LeadershipForm::SecretaryOnly,
                elected_on: d("2023-05-10"),
                term_years: 3,
                positions: vec![CommitteePosition {
                    member_id: app.voters[0],
                    role: CommitteeRole::Secretary,
                    left_on: None,
                }],
                extended_until: None,
            },
            &ChangeMeta::by("setup"),
        )
        .await
        .expect("term");
    let secretary = app.secretary().await;
    let link = format!(
        "class=\"election-due\" href=\"/branches/{}/elections/new\"",
        app.branch
    );
    let page = app
        .get(&secretary, &format!("/branches/{}/elections", app.branch))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("任期已届满"), "{}", page.body);
    assert!(page.body.contains(&link), "{}", page.body);
    // The branch's workspace shows the engine's finding with the same link.
    let workspace = app
        .get(&secretary, &format!("/branches/{}", app.branch))
        .await;
    assert_eq!(workspace.status, StatusCode::OK, "{}", workspace.body);
    assert!(workspace.body.contains(&link), "{}", workspace.body);
    // Once recorded, the election is linked from the list.
    let v = &app.voters;
    let saved = app
        .post(
            &secretary,
            &app.form_path(),
            &with(
                app.head(1, 1, "save"),
                &[round(1, 1, &v[..21], &[(v[0], 19), (v[1], 2)], 21)],
            ),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stored = app.elections_stored().await;
    assert!(
        stored[0].previous_term.is_some(),
        "the election renews the term on record"
    );
}
