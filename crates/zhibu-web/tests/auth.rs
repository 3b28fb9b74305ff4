//! Sign-in, sessions, CSRF and the authorization walk, through the router against a real SQLite
//! file per test.
//!
//! The walk (`every_route_for_every_role_inside_and_outside_its_scope`) takes every route of
//! `zhibu_web::auth::routes::all()` — the table another test holds equal to the OpenAPI document —
//! and calls it as every role against an org inside the role's scope and one outside. Outside
//! never answers 2xx; inside answers exactly what `zhibu_web::auth::policy::POLICY` says.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhibu_core::rules::Catalogue;
use zhibu_storage::{Backend, Clock, Repository};
use zhibu_web::auth::handlers::{NewAccountRequest, create_account};
use zhibu_web::auth::policy::{Access, Action, Area, access};
use zhibu_web::auth::routes::{RouteSpec, Target};
use zhibu_web::auth::{Role, create_demo_accounts};

use zhibu_web::{AppState, router};

const TODAY: &str = "2026-06-15";

/// A clock the test moves by hand.
struct TestClock {
    offset_seconds: AtomicI64,
    start: DateTime<Utc>,
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        self.start + Duration::seconds(self.offset_seconds.load(Ordering::SeqCst))
    }
}

struct World {
    router: Router,
    repository: Repository,
    clock: Arc<TestClock>,
    database: PathBuf,
}

impl Drop for World {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.database.clone().into_os_string();
            path.push(suffix);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => eprintln!("could not remove {}: {error}", path.display()),
            }
        }
    }
}

#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
    text: String,
}

/// A signed-in client: the session cookie and the CSRF token.
#[derive(Debug, Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

async fn world() -> World {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    let database = std::env::temp_dir().join(format!(
        "zhibu-auth-test-{}-{nanos}-{}.db",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", database.display()))
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    let clock = Arc::new(TestClock {
        offset_seconds: AtomicI64::new(0),
        start: Utc::now(),
    });
    let repository = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::national().expect("catalogue")),
    )
    .with_clock(clock.clone())
    // Income bases are sealed at rest: declarations need a data key.
    .with_data_key(Arc::new(zhibu_storage::sealing::DataKey::from_bytes(
        &[5; 32],
    )));
    let today = NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").expect("date");
    World {
        router: router(AppState::with_fixed_today(repository.clone(), today)),
        repository,
        clock,
        database,
    }
}

impl World {
    async fn send(
        &self,
        method: &str,
        uri: &str,
        session: Option<&Session>,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(session) = session {
            request = request.header("cookie", &session.cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body.to_string())).expect("request"))
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
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    /// A JSON call with the session's CSRF token, as the API expects from a signed-in client.
    async fn call(
        &self,
        method: &str,
        uri: &str,
        session: &Session,
        body: Option<&Value>,
    ) -> Answer {
        let text = body.map_or_else(String::new, Value::to_string);
        let mut headers = vec![("x-csrf-token", session.csrf.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.send(method, uri, Some(session), &headers, &text).await
    }

    async fn sign_in(&self, login: &str, password: &str) -> Answer {
        self.send(
            "POST",
            "/api/v1/session",
            None,
            &[("content-type", "application/json")],
            &json!({ "login": login, "password": password }).to_string(),
        )
        .await
    }

    async fn session(&self, login: &str, password: &str) -> Session {
        let answer = self.sign_in(login, password).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "sign in as {login}: {}",
            answer.body
        );
        Session {
            cookie: session_cookie(&answer),
            csrf: answer.body["csrf_token"]
                .as_str()
                .expect("csrf")
                .to_string(),
        }
    }

    async fn account(
        &self,
        login: &str,
        role: Role,
        scope: Option<i64>,
        member: Option<i64>,
    ) -> String {
        let request = NewAccountRequest {
            login: login.into(),
            display_name: login.into(),
            role,
            scope_org: scope,
            member_id: member,
        };
        create_account(&self.repository, &request, false)
            .await
            .unwrap_or_else(|error| panic!("create {login}: {error}"))
            .one_time_password
    }

    fn advance(&self, seconds: i64) {
        self.clock
            .offset_seconds
            .fetch_add(seconds, Ordering::SeqCst);
    }
}

fn session_cookie(answer: &Answer) -> String {
    answer
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("zhibu_session="))
        .expect("a session cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string()
}

fn org(parent: Option<i64>, name: &str, level: &str) -> Value {
    json!({ "parent_id": parent, "name": name, "level": level, "unit_kind": "government_organ", "established_on": "2020-01-01" })
}

fn member(name: &str, branch: i64) -> Value {
    json!({
        "name": name, "sex": "male", "joined_on": "2010-07-01",
        "status_history": [{ "effective_on": "2010-07-01", "status": "probationary" }, { "effective_on": "2011-07-01", "status": "full" }],
        "postings": [{ "branch_id": branch, "from": "2015-01-01" }],
        "employment": "salaried"
    })
}

fn meeting(branch: i64, present: &[i64]) -> Value {
    json!({
        "org_id": branch, "kinds": ["general_meeting"], "held_on": "2026-03-10", "place": "会议室", "topics": ["学习"],
        "attendance": present.iter().map(|id| json!({ "member_id": id, "state": "present" })).collect::<Vec<_>>()
    })
}

fn meeting_plan(branch: i64) -> Value {
    json!({ "org_id": branch, "kinds": ["committee_meeting"], "planned_on": "2026-07-08", "starts_at": "14:30", "place": "会议室", "topic": "研究下月工作" })
}

fn talk(branch: i64, a: i64, b: i64) -> Value {
    json!({ "org_id": branch, "held_on": "2026-03-12", "participants": [a, b], "topic": "思想交流" })
}

fn term(branch: i64, secretary: i64) -> Value {
    json!({ "org_id": branch, "form": "secretary_only", "elected_on": "2025-01-10", "term_years": 3, "positions": [{ "member_id": secretary, "role": "secretary" }] })
}

fn local_rule(committee: i64) -> Value {
    json!({
        "issued_by": committee,
        "document": { "document": "关于规范主题党日的通知", "article": "第二条", "quote": "每月15日为主题党日" },
        "effective_from": "2026-01-01", "action": "tighten", "rule_id": "BRANCH.THEME_DAY.MONTHLY",
        "parameters": { "fixed_day_of_month": 15 }
    })
}

/// A vote on a general decision at `meeting` (held 2026-03-10): every member of the branch that day
/// may vote, the first three were present and voted yes by show of hands.
fn vote(branch: i64, meeting: i64, members: &[i64], subject: &str) -> Value {
    let mut entitled = members.to_vec();
    entitled.sort_unstable();
    let mut present = members[..3].to_vec();
    present.sort_unstable();
    json!({
        "org_id": branch, "meeting_id": meeting,
        "question": { "kind": "general_decision", "subject": subject },
        "method": "show_of_hands", "opened_at": "2026-03-10T09:00:00",
        "entitled": entitled, "present": present, "voted": present,
        "in_room": { "yes": 3, "no": 0, "abstain": 0 }
    })
}

/// An election of a secretary at `meeting`: two candidates for one seat; three of four present is
/// not more than 4/5, so the round is recorded as void.
fn election(branch: i64, meeting: i64, members: &[i64]) -> Value {
    let mut entitled = members.to_vec();
    entitled.sort_unstable();
    let mut present = members[..3].to_vec();
    present.sort_unstable();
    let mut candidates = members[..2].to_vec();
    candidates.sort_unstable();
    json!({
        "org_id": branch, "meeting_id": meeting, "held_on": "2026-03-10",
        "form": "secretary_only", "seats": 1, "entitled": entitled,
        "rounds": [{
            "seats": 1, "candidates": candidates, "present": present, "ballots_issued": 3,
            "ballots": { "seats": 1, "returned": 3, "void": 0, "candidates": [
                { "candidate": candidates[0], "tally": { "yes": 3, "no": 0, "abstain": 0 } },
                { "candidate": candidates[1], "tally": { "yes": 0, "no": 3, "abstain": 0 } }
            ] }
        }]
    })
}

fn admission_record(branch: i64, name: &str) -> Value {
    json!({
        "person": { "name": name, "birth_date": "2000-04-01", "branch_id": branch },
        "application_received_on": "2026-02-01"
    })
}

fn exemption(branch: i64, committee: i64, month: &str) -> Value {
    json!({
        "org_id": branch, "finding_key": format!("BRANCH.THEME_DAY.MONTHLY|{branch}|{month}|"),
        "granted_by": committee, "granted_on": "2026-03-01", "reason": "春节假期合并开展"
    })
}

/// One side of the tree: a committee, its branch, the branch's members and one record of every
/// kind.
#[derive(Debug, Clone)]
struct Side {
    committee: i64,
    branch: i64,
    members: Vec<i64>,
    /// Area → the id of a record of that area on this side.
    records: Vec<(Area, i64)>,
}

impl Side {
    fn record(&self, area: Area) -> i64 {
        self.records
            .iter()
            .find(|(a, _)| *a == area)
            .map(|(_, id)| *id)
            .unwrap_or_else(|| panic!("no {area:?} record"))
    }
}

async fn created(world: &World, admin: &Session, uri: &str, body: &Value) -> i64 {
    let answer = world.call("POST", uri, admin, Some(body)).await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "POST {uri}: {}",
        answer.body
    );
    answer.body["id"].as_i64().expect("id")
}

async fn side(world: &World, admin: &Session, root: i64, name: &str) -> Side {
    let committee = created(
        world,
        admin,
        "/api/v1/orgs",
        &org(Some(root), &format!("{name}机关党委"), "party_committee"),
    )
    .await;
    let branch = created(
        world,
        admin,
        "/api/v1/orgs",
        &org(Some(committee), &format!("{name}第一党支部"), "branch"),
    )
    .await;
    let mut members = Vec::new();
    for index in 0..4 {
        members.push(
            created(
                world,
                admin,
                "/api/v1/members",
                &member(&format!("{name}党员{index}"), branch),
            )
            .await,
        );
    }
    let side_meeting = created(
        world,
        admin,
        "/api/v1/meetings",
        &meeting(branch, &members[..3]),
    )
    .await;
    let dues_records = dues_side(world, admin, branch, members[2]).await;
    let mut records = vec![
        (Area::Orgs, branch),
        // The record a member account can read: its own (the third member).
        (Area::Members, members[2]),
        (Area::Meetings, side_meeting),
        (
            Area::Votes,
            created(
                world,
                admin,
                "/api/v1/votes",
                &vote(branch, side_meeting, &members, "审议年度工作计划"),
            )
            .await,
        ),
        (
            Area::Elections,
            created(
                world,
                admin,
                "/api/v1/elections",
                &election(branch, side_meeting, &members),
            )
            .await,
        ),
        (
            Area::Talks,
            created(
                world,
                admin,
                "/api/v1/talks",
                &talk(branch, members[0], members[2]),
            )
            .await,
        ),
        (
            Area::CommitteeTerms,
            created(
                world,
                admin,
                "/api/v1/committee-terms",
                &term(branch, members[0]),
            )
            .await,
        ),
        (
            Area::LocalRules,
            created(world, admin, "/api/v1/local-rules", &local_rule(committee)).await,
        ),
        (
            Area::Exemptions,
            created(
                world,
                admin,
                "/api/v1/exemptions",
                &exemption(branch, committee, "2026-02"),
            )
            .await,
        ),
        (
            Area::AdmissionRecords,
            created(
                world,
                admin,
                "/api/v1/admission-records",
                &admission_record(branch, &format!("{name}申请人")),
            )
            .await,
        ),
        (
            Area::MeetingPlans,
            created(world, admin, "/api/v1/meeting-plans", &meeting_plan(branch)).await,
        ),
    ];
    records.extend(dues_records);
    Side {
        committee,
        branch,
        members,
        records,
    }
}

// ---- Dues (issue 4): one record of each dues area about the member account's member, and the
// member's ledger (an item route keyed by the member).

fn income_declaration(branch: i64, member: i64) -> Value {
    json!({ "member_id": member, "branch_id": branch, "category": "salaried", "monthly_base": 300000, "effective_month": "2026-01" })
}

fn dues_payment(branch: i64, member: i64) -> Value {
    json!({ "member_id": member, "branch_id": branch, "paid_on": "2026-03-10", "amount": 1500, "months_covered": ["2026-03"], "method": "transfer" })
}

fn dues_relief(branch: i64, member: i64) -> Value {
    json!({ "member_id": member, "branch_id": branch, "from_month": "2026-04", "to_month": "2026-06", "kind": { "kind": "waive" }, "branch_decision_ref": "支委会决定", "upper_approval_ref": "" })
}

fn dues_policy(branch: i64) -> Value {
    json!({ "branch_id": branch, "decided_on": "2026-01-05", "ledger_opened": "2026-01", "farmer_monthly_amount": 20, "remit_share": 10000 })
}

async fn dues_side(world: &World, admin: &Session, branch: i64, member: i64) -> Vec<(Area, i64)> {
    vec![
        (
            Area::IncomeDeclarations,
            created(
                world,
                admin,
                "/api/v1/income-declarations",
                &income_declaration(branch, member),
            )
            .await,
        ),
        (
            Area::DuesPayments,
            created(
                world,
                admin,
                "/api/v1/dues-payments",
                &dues_payment(branch, member),
            )
            .await,
        ),
        (
            Area::DuesReliefs,
            created(
                world,
                admin,
                "/api/v1/dues-reliefs",
                &dues_relief(branch, member),
            )
            .await,
        ),
        (
            Area::DuesPolicies,
            created(world, admin, "/api/v1/dues-policies", &dues_policy(branch)).await,
        ),
        (Area::DuesLedgers, member),
    ]
}

/// A new record of `area` in `side`, for creating (and, made by the administrator, for deleting).
fn new_body(area: Area, side: &Side, serial: usize) -> Value {
    match area {
        Area::Orgs => org(
            Some(side.branch),
            &format!("第{serial}党小组"),
            "party_group",
        ),
        // Posted after the side's general meeting (2026-03-10), so that the entitlement frozen in
        // the side's vote and election still holds when the walk amends them.
        Area::Members => {
            let mut body = member(&format!("新党员{serial}"), side.branch);
            body["postings"][0]["from"] = json!("2026-04-01");
            body
        }

        Area::Meetings => meeting(side.branch, &side.members[..2]),
        Area::Talks => talk(side.branch, side.members[0], side.members[1]),
        Area::CommitteeTerms => term(side.branch, side.members[1]),
        Area::LocalRules => local_rule(side.committee),
        Area::Exemptions => exemption(
            side.branch,
            side.committee,
            &format!("2025-{:02}", serial % 12 + 1),
        ),
        Area::AdmissionRecords => admission_record(side.branch, &format!("申请人{serial}")),
        Area::Votes => vote(
            side.branch,
            side.record(Area::Meetings),
            &side.members,
            &format!("事项{serial}"),
        ),
        Area::Elections => election(side.branch, side.record(Area::Meetings), &side.members),
        Area::IncomeDeclarations => income_declaration(side.branch, side.members[serial % 2]),
        Area::DuesPayments => dues_payment(side.branch, side.members[serial % 2]),
        Area::DuesReliefs => dues_relief(side.branch, side.members[serial % 2]),
        Area::DuesPolicies => dues_policy(side.branch),
        Area::MeetingPlans => meeting_plan(side.branch),
        other => panic!("no record body for {other:?}"),
    }
}

fn collection(path: &str) -> &str {
    path.split("/{id}").next().unwrap_or(path)
}

/// What the walk expects of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Success,
    /// 403 exactly: the role may not do this at all.
    Forbidden,
    /// Refused without revealing anything: 400 (unknown org), 403 or 404, never 2xx.
    Refused,
    /// 404: a record the role may read in general, but not this one.
    NotFound,
}

fn check(expect: Expect, answer: &Answer, what: &str) {
    let status = answer.status;
    let ok = match expect {
        Expect::Success => status.is_success(),
        Expect::Forbidden => status == StatusCode::FORBIDDEN,
        Expect::NotFound => status == StatusCode::NOT_FOUND,
        Expect::Refused => [
            StatusCode::BAD_REQUEST,
            StatusCode::FORBIDDEN,
            StatusCode::NOT_FOUND,
        ]
        .contains(&status),
    };
    assert!(
        ok,
        "{what}: expected {expect:?}, got {status}: {}",
        answer.text
    );
    if expect != Expect::Success {
        assert!(
            answer.body["items"].is_null()
                && answer.body["id"].is_null()
                && answer.body["versions"].is_null(),
            "{what} leaks: {}",
            answer.text
        );
    }
}

struct Actor {
    role: Role,
    login: &'static str,
    session: Session,
}

#[tokio::test]
async fn every_route_for_every_role_inside_and_outside_its_scope() {
    let world = world().await;
    let admin_password = world
        .account("admin", Role::Administrator, None, None)
        .await;
    let admin = world.session("admin", &admin_password).await;
    let root = created(
        &world,
        &admin,
        "/api/v1/orgs",
        &org(None, "市直机关工委", "working_committee"),
    )
    .await;
    let inside = side(&world, &admin, root, "甲").await;
    let outside = side(&world, &admin, root, "乙").await;

    let mut actors = vec![Actor {
        role: Role::Administrator,
        login: "admin",
        session: admin.clone(),
    }];
    for (role, login, scope, member) in [
        (Role::CommitteeStaff, "staff", inside.committee, None),
        (
            Role::BranchSecretary,
            "secretary",
            inside.branch,
            Some(inside.members[0]),
        ),
        (
            Role::BranchCommitteeMember,
            "committee",
            inside.branch,
            Some(inside.members[1]),
        ),
        (
            Role::Member,
            "member",
            inside.branch,
            Some(inside.members[2]),
        ),
    ] {
        let password = world.account(login, role, Some(scope), member).await;
        actors.push(Actor {
            role,
            login,
            session: world.session(login, &password).await,
        });
    }
    let routes = zhibu_web::auth::routes::all();
    let mut serial = 0;
    let mut calls = 0;
    for route in routes.iter().filter(|route| route.api && !route.public) {
        for actor in &actors {
            for is_inside in [true, false] {
                serial += 1;
                let side = if is_inside { &inside } else { &outside };
                let what = format!(
                    "{} {} as {} ({})",
                    route.method,
                    route.path,
                    actor.login,
                    if is_inside { "inside" } else { "outside" }
                );
                if walk_one(
                    &world, &admin, route, actor, side, &outside, is_inside, serial, &what,
                )
                .await
                .is_some()
                {
                    calls += 1;
                }
            }
        }
    }
    assert!(calls > 400, "the walk made {calls} calls");
    // Nothing on the outside side changed but by the administrator, whose one amendment of each
    // record is the only version after the first.
    // (A member's dues ledger is a report, not a record: it has no versions.)
    for (area, id) in outside
        .records
        .iter()
        .filter(|(area, _)| *area != Area::DuesLedgers)
    {
        let path = area_path(*area);
        let answer = world
            .call("GET", &format!("{path}/{id}"), &admin, None)
            .await;
        assert_eq!(
            answer.body["version"], 2,
            "{area:?} {id} outside was changed only by the administrator: {}",
            answer.body
        );
    }
}

fn area_path(area: Area) -> &'static str {
    match area {
        Area::Orgs => "/api/v1/orgs",
        Area::Members => "/api/v1/members",
        Area::Meetings => "/api/v1/meetings",
        Area::Talks => "/api/v1/talks",
        Area::CommitteeTerms => "/api/v1/committee-terms",
        Area::LocalRules => "/api/v1/local-rules",
        Area::Exemptions => "/api/v1/exemptions",
        Area::AdmissionRecords => "/api/v1/admission-records",
        Area::Votes => "/api/v1/votes",
        Area::Elections => "/api/v1/elections",
        Area::IncomeDeclarations => "/api/v1/income-declarations",
        Area::DuesPayments => "/api/v1/dues-payments",
        Area::DuesReliefs => "/api/v1/dues-reliefs",
        Area::DuesPolicies => "/api/v1/dues-policies",
        Area::MeetingPlans => "/api/v1/meeting-plans",
        other => panic!("{other:?} has no records"),
    }
}

/// Calls one route as one actor on one side and checks the answer against the policy. Returns
/// `None` for calls the walk leaves to other tests (signing out).
#[allow(clippy::too_many_arguments)]
async fn walk_one(
    world: &World,
    admin: &Session,
    route: &RouteSpec,
    actor: &Actor,
    side: &Side,
    other: &Side,
    is_inside: bool,
    serial: usize,
    what: &str,
) -> Option<Answer> {
    let policy = access(actor.role, route.area, route.action);
    let session = &actor.session;
    let allowed_inside = if policy == Access::Denied {
        Expect::Forbidden
    } else {
        Expect::Success
    };
    let answer = match route.target {
        Target::Collection if route.method == "GET" => {
            let org = side.branch;
            let answer = world
                .call(
                    "GET",
                    &format!("{}?subtree={org}&limit=1000", route.path),
                    session,
                    None,
                )
                .await;
            check(
                if is_inside || actor.role == Role::Administrator {
                    allowed_inside
                } else if policy == Access::Denied {
                    Expect::Forbidden
                } else {
                    Expect::Refused
                },
                &answer,
                what,
            );
            // Without a subtree, the list holds nothing from outside the actor's scope.
            if is_inside && policy != Access::Denied {
                let all = world
                    .call("GET", &format!("{}?limit=1000", route.path), session, None)
                    .await;
                assert_eq!(all.status, StatusCode::OK, "{what}: {}", all.text);
                if actor.role != Role::Administrator {
                    let outside_record = other.record(route.area);
                    for item in all.body["items"].as_array().expect("items") {
                        assert_ne!(
                            item["id"].as_i64(),
                            Some(outside_record),
                            "{what}: the unfiltered list leaks"
                        );
                    }
                }
            }
            answer
        }
        Target::Collection => {
            let body = new_body(route.area, side, serial);
            let answer = world.call("POST", route.path, session, Some(&body)).await;
            let expect = match (is_inside, policy) {
                (_, Access::Denied) => Expect::Forbidden,
                (true, _) => Expect::Success,
                (false, _) if actor.role == Role::Administrator => Expect::Success,
                (false, _) => Expect::Refused,
            };
            check(expect, &answer, what);
            answer
        }
        Target::Item | Target::History => {
            let id = side.record(route.area);
            let uri = route.path.replace("{id}", &id.to_string());
            match route.method {
                "GET" => {
                    let answer = world.call("GET", &uri, session, None).await;
                    let expect = read_expectation(actor, route, policy, is_inside);
                    check(expect, &answer, what);
                    answer
                }
                "PUT" => {
                    let current = world
                        .call(
                            "GET",
                            &format!("{}/{id}", collection(route.path)),
                            admin,
                            None,
                        )
                        .await;
                    let body = json!({ "expected_version": current.body["version"], "reason": "核对", "record": current.body["body"] });
                    let answer = world.call("PUT", &uri, session, Some(&body)).await;
                    check(
                        write_expectation(actor, route, policy, is_inside, false),
                        &answer,
                        what,
                    );
                    answer
                }
                "DELETE" => {
                    // A fresh record each time, so that deleting it harms nothing else.
                    let id = if route.area == Area::Exemptions {
                        id
                    } else {
                        created(
                            world,
                            admin,
                            collection(route.path),
                            &new_body(route.area, side, serial),
                        )
                        .await
                    };
                    let uri = route.path.replace("{id}", &id.to_string());
                    let answer = world
                        .send(
                            "DELETE",
                            &format!("{uri}?expected_version=1&reason=%E6%B8%85%E7%90%86"),
                            Some(session),
                            &[("x-csrf-token", session.csrf.as_str())],
                            "",
                        )
                        .await;
                    if route.area == Area::Exemptions {
                        assert_eq!(
                            answer.status,
                            StatusCode::METHOD_NOT_ALLOWED,
                            "{what}: {}",
                            answer.text
                        );
                    } else {
                        // The fresh record is about nobody in particular: a member does not find it.
                        check(
                            write_expectation(actor, route, policy, is_inside, true),
                            &answer,
                            what,
                        );
                    }
                    answer
                }
                other => panic!("{other} on an item"),
            }
        }
        Target::OrgQuery => {
            let answer = world
                .call(
                    "GET",
                    &format!(
                        "{}?org={}&from=2026-01-01&to=2026-06-15",
                        route.path, side.branch
                    ),
                    session,
                    None,
                )
                .await;
            check(
                if is_inside || actor.role == Role::Administrator {
                    allowed_inside
                } else if policy == Access::Denied {
                    Expect::Forbidden
                } else {
                    Expect::Refused
                },
                &answer,
                what,
            );
            answer
        }
        Target::Rule => {
            let answer = world
                .call(
                    "GET",
                    &route.path.replace("{id}", "BRANCH.THEME_DAY.MONTHLY"),
                    session,
                    None,
                )
                .await;
            check(allowed_inside, &answer, what);
            answer
        }
        Target::Account => {
            if !is_inside {
                return None;
            }
            let password = world
                .account(
                    &format!("throwaway{serial}"),
                    Role::Member,
                    Some(side.branch),
                    Some(side.members[3]),
                )
                .await;
            let _ = password;
            let account = world
                .repository
                .accounts()
                .account_by_login(&format!("throwaway{serial}"))
                .await
                .expect("read")
                .expect("exists");
            let answer = world
                .call(
                    "POST",
                    &route.path.replace("{id}", &account.id.to_string()),
                    session,
                    None,
                )
                .await;
            check(allowed_inside, &answer, what);
            answer
        }
        Target::Branch
        | Target::Committee
        | Target::Member
        | Target::OwnFeed
        | Target::FeedToken => {
            panic!("{what}: a page's target in the API walk; the page walk covers it")
        }
        Target::Nothing => {
            if route.method == "DELETE" {
                // Signing out is tested on its own; here it would end the walk's sessions.
                return None;
            }
            if !is_inside {
                return None;
            }
            let body = (route.method == "POST").then(|| json!({ "login": format!("new{serial}"), "display_name": "新账号", "role": "member", "scope_org": side.branch, "member_id": side.members[3] }));
            let answer = world
                .call(route.method, route.path, session, body.as_ref())
                .await;
            check(allowed_inside, &answer, what);
            answer
        }
    };
    Some(answer)
}

fn read_expectation(actor: &Actor, route: &RouteSpec, policy: Access, is_inside: bool) -> Expect {
    if policy == Access::Denied {
        return Expect::Forbidden;
    }
    if actor.role == Role::Administrator {
        return Expect::Success;
    }
    if !is_inside {
        return Expect::NotFound;
    }
    match policy {
        Access::Own if route.target == Target::History && route.area != Area::Members => {
            Expect::NotFound
        }
        // The side's member, meeting and talk all concern the member account (the third member).
        Access::Own => Expect::Success,
        _ => Expect::Success,
    }
}

fn write_expectation(
    actor: &Actor,
    route: &RouteSpec,
    policy: Access,
    is_inside: bool,
    fresh: bool,
) -> Expect {
    if actor.role == Role::Administrator {
        return Expect::Success;
    }
    let read = access(actor.role, route.area, Action::Read);
    if read == Access::Denied {
        return Expect::Forbidden;
    }
    // A record the actor cannot read is not found, whatever the actor's role may write.
    if !is_inside || (read == Access::Own && fresh) {
        return Expect::NotFound;
    }
    if policy == Access::Denied {
        Expect::Forbidden
    } else {
        Expect::Success
    }
}

/// The administrator, a committee, a branch with three members and a second branch.
struct Small {
    admin: Session,
    branch: i64,
    other_branch: i64,
    members: Vec<i64>,
    meeting: i64,
}

async fn small(world: &World) -> Small {
    let password = world
        .account("admin", Role::Administrator, None, None)
        .await;
    let admin = world.session("admin", &password).await;
    let root = created(
        world,
        &admin,
        "/api/v1/orgs",
        &org(None, "工委", "working_committee"),
    )
    .await;
    let branch = created(
        world,
        &admin,
        "/api/v1/orgs",
        &org(Some(root), "第一支部", "branch"),
    )
    .await;
    let other_branch = created(
        world,
        &admin,
        "/api/v1/orgs",
        &org(Some(root), "第二支部", "branch"),
    )
    .await;
    let mut members = Vec::new();
    for index in 0..3 {
        members.push(
            created(
                world,
                &admin,
                "/api/v1/members",
                &member(&format!("党员{index}"), branch),
            )
            .await,
        );
    }
    members.push(
        created(
            world,
            &admin,
            "/api/v1/members",
            &member("另一支部党员", other_branch),
        )
        .await,
    );
    let meeting = created(
        world,
        &admin,
        "/api/v1/meetings",
        &meeting(branch, &members[..3]),
    )
    .await;
    Small {
        admin,
        branch,
        other_branch,
        members,
        meeting,
    }
}

async fn audit_actions(world: &World, admin: &Session, query: &str) -> Vec<Value> {
    let answer = world
        .call("GET", &format!("/api/v1/audit?{query}"), admin, None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.body["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn sign_in_succeeds_fails_and_locks_after_five_failures_without_revealing_the_login() {
    let world = world().await;
    let password = world.account("wang", Role::Administrator, None, None).await;

    let cookie_answer = world.sign_in("Wang ", &password).await;
    assert_eq!(
        cookie_answer.status,
        StatusCode::OK,
        "{}",
        cookie_answer.text
    );
    let set_cookie = cookie_answer.headers[header::SET_COOKIE]
        .to_str()
        .expect("text");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "not behind TLS: {set_cookie}"
    );

    let wrong = world.sign_in("wang", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let unknown = world.sign_in("nobody", "not the password").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.body, unknown.body,
        "an unknown login answers like a wrong password"
    );
    assert!(
        wrong.body["message_zh"]
            .as_str()
            .expect("zh")
            .contains("登录名或密码不正确")
    );

    // Four more failures make five: the login is locked, and the right password no longer helps.
    for _ in 0..4 {
        world.sign_in("wang", "still wrong").await;
        world.sign_in("nobody", "still wrong").await;
    }
    let locked = world.sign_in("wang", &password).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text
    );
    assert_eq!(locked.body["error"], "sign_in_locked");
    assert!(
        locked.body["message_zh"]
            .as_str()
            .expect("zh")
            .contains("锁定")
    );
    assert!(locked.headers.contains_key(header::RETRY_AFTER));
    let unknown_locked = world.sign_in("nobody", "anything").await;
    assert_eq!(unknown_locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        locked.body, unknown_locked.body,
        "an unknown login is locked the same way"
    );

    // The lock lasts a minute after the fifth failure; then the right password works and the
    // count starts again.
    world.advance(61);
    let admin = world.session("wang", &password).await;
    let failures = audit_actions(&world, &admin, "login=wang&action=sign_in_failed").await;
    assert_eq!(failures.len(), 5, "every failure is in the audit log");
    let refused = audit_actions(&world, &admin, "action=sign_in_refused_locked").await;
    assert_eq!(refused.len(), 2);
    let signed_in = audit_actions(&world, &admin, "login=wang&action=sign_in").await;
    assert_eq!(signed_in.len(), 2);
    let account = world
        .repository
        .accounts()
        .account_by_login("wang")
        .await
        .expect("read")
        .expect("exists");
    assert_eq!((account.failed_attempts, account.locked_until), (0, None));
}

#[tokio::test]
async fn a_session_expires_and_signing_out_ends_it() {
    let world = world().await;
    let password = world.account("li", Role::Administrator, None, None).await;
    let session = world.session("li", &password).await;
    assert_eq!(
        world
            .call("GET", "/api/v1/session", &session, None)
            .await
            .status,
        StatusCode::OK
    );
    world.advance(9 * 3600);
    assert_eq!(
        world
            .call("GET", "/api/v1/session", &session, None)
            .await
            .status,
        StatusCode::OK
    );
    world.advance(3600 + 1);
    let expired = world.call("GET", "/api/v1/session", &session, None).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED, "{}", expired.text);
    let page = world
        .send("GET", "/account/password", Some(&session), &[], "")
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers[header::LOCATION],
        "/login?next=%2Faccount%2Fpassword"
    );

    let session = world.session("li", &password).await;
    let out = world
        .call("DELETE", "/api/v1/session", &session, None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(
        out.headers[header::SET_COOKIE]
            .to_str()
            .expect("text")
            .contains("Max-Age=0")
    );
    assert_eq!(
        world
            .call("GET", "/api/v1/session", &session, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_form_or_api_write_without_its_csrf_token_is_refused_and_changes_nothing() {
    let world = world().await;
    let fixture = small(&world).await;
    let admin = &fixture.admin;

    // A form post (sign out) without the token, and with a wrong one.
    for body in ["", "csrf_token=wrong"] {
        let answer = world
            .send(
                "POST",
                "/logout",
                Some(admin),
                &[("content-type", "application/x-www-form-urlencoded")],
                body,
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{body}: {}",
            answer.text
        );
        assert_eq!(answer.body["error"], "csrf");
    }
    assert_eq!(
        world
            .call("GET", "/api/v1/session", admin, None)
            .await
            .status,
        StatusCode::OK,
        "still signed in"
    );

    // An API write without the header.
    let answer = world
        .send(
            "POST",
            "/api/v1/orgs",
            Some(admin),
            &[("content-type", "application/json")],
            &org(Some(fixture.branch), "小组", "party_group").to_string(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.text);
    let groups = world
        .call(
            "GET",
            &format!("/api/v1/orgs?subtree={}", fixture.branch),
            admin,
            None,
        )
        .await;
    assert_eq!(
        groups.body["items"].as_array().expect("items").len(),
        1,
        "nothing was created"
    );

    // The sign-in form needs the token its page set in a cookie.
    let form = world.send("GET", "/login", None, &[], "").await;
    assert_eq!(form.status, StatusCode::OK);
    let login_cookie = form.headers[header::SET_COOKIE]
        .to_str()
        .expect("text")
        .split(';')
        .next()
        .expect("pair")
        .to_string();
    let token = login_cookie.split_once('=').expect("pair").1.to_string();
    assert!(form.text.contains(&token), "the form carries the token");
    let without = world
        .send(
            "POST",
            "/login",
            None,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", &login_cookie),
            ],
            "login=admin&password=x",
        )
        .await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);

    // With the token, a good password signs in and goes where it was asked to.
    let password = world.account("zhao", Role::Administrator, None, None).await;
    let body = format!("login=zhao&password={password}&csrf_token={token}");
    let signed_in = world
        .send(
            "POST",
            "/login?next=/api/v1/session",
            None,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", &login_cookie),
            ],
            &body,
        )
        .await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.text
    );
    assert_eq!(signed_in.headers[header::LOCATION], "/api/v1/session");
    let offsite = format!("login=zhao&password={password}&csrf_token={token}");
    let elsewhere = world
        .send(
            "POST",
            "/login?next=//evil.example/",
            None,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", &login_cookie),
            ],
            &offsite,
        )
        .await;
    assert_eq!(
        elsewhere.headers[header::LOCATION],
        "/",
        "never redirected off the site"
    );
}

#[tokio::test]
async fn a_member_of_another_branch_cannot_open_the_first_branchs_records_by_url() {
    let world = world().await;
    let fixture = small(&world).await;
    let password = world
        .account(
            "other",
            Role::Member,
            Some(fixture.other_branch),
            Some(fixture.members[3]),
        )
        .await;
    let other = world.session("other", &password).await;

    for uri in [
        format!("/api/v1/meetings/{}", fixture.meeting),
        format!("/api/v1/meetings/{}/history", fixture.meeting),
        format!("/api/v1/members/{}", fixture.members[0]),
        format!("/api/v1/orgs/{}", fixture.branch),
    ] {
        let answer = world.call("GET", &uri, &other, None).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{uri}: {}",
            answer.text
        );
    }
    let list = world
        .call(
            "GET",
            &format!("/api/v1/meetings?subtree={}", fixture.branch),
            &other,
            None,
        )
        .await;
    assert_eq!(list.status, StatusCode::BAD_REQUEST, "{}", list.text);
    let own_list = world.call("GET", "/api/v1/members", &other, None).await;
    let ids: Vec<i64> = own_list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["id"].as_i64())
        .collect();
    assert_eq!(
        ids,
        [fixture.members[3]],
        "a member lists only their own record"
    );
    let findings = world
        .call(
            "GET",
            &format!("/api/v1/findings?org={}", fixture.branch),
            &other,
            None,
        )
        .await;
    assert_eq!(findings.status, StatusCode::FORBIDDEN);

    // A member of the first branch sees the meeting they attended, with only their own
    // attendance, and cannot change it.
    let password = world
        .account(
            "member",
            Role::Member,
            Some(fixture.branch),
            Some(fixture.members[1]),
        )
        .await;
    let own = world.session("member", &password).await;
    let meeting = world
        .call(
            "GET",
            &format!("/api/v1/meetings/{}", fixture.meeting),
            &own,
            None,
        )
        .await;
    assert_eq!(meeting.status, StatusCode::OK, "{}", meeting.text);
    assert_eq!(
        meeting.body["body"]["attendance"],
        json!([{ "member_id": fixture.members[1], "state": "present" }])
    );
    let amend = json!({ "expected_version": 1, "reason": "改", "record": meeting.body["body"] });
    let refused = world
        .call(
            "PUT",
            &format!("/api/v1/meetings/{}", fixture.meeting),
            &own,
            Some(&amend),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn changes_are_recorded_under_the_login_and_audited_and_only_administrators_search_the_log() {
    let world = world().await;
    let fixture = small(&world).await;
    let password = world
        .account(
            "secretary",
            Role::BranchSecretary,
            Some(fixture.branch),
            Some(fixture.members[0]),
        )
        .await;
    let secretary = world.session("secretary", &password).await;
    let id = created(
        &world,
        &secretary,
        "/api/v1/meetings",
        &meeting(fixture.branch, &fixture.members[..2]),
    )
    .await;
    let history = world
        .call(
            "GET",
            &format!("/api/v1/meetings/{id}/history"),
            &secretary,
            None,
        )
        .await;
    assert_eq!(history.body["versions"][0]["actor"], "secretary");
    let entries = audit_actions(&world, &fixture.admin, "login=secretary&action=create").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["target_kind"], "meeting");
    assert_eq!(entries[0]["target_id"], id);
    let by_org = audit_actions(
        &world,
        &fixture.admin,
        &format!("org={}&action=create", fixture.other_branch),
    )
    .await;
    assert!(by_org.iter().all(|entry| {
        entry["org_path"]
            .as_str()
            .is_some_and(|path| path.contains(&format!("/{}/", fixture.other_branch)))
    }));
    let today = world.clock.now().date_naive();
    let dated = audit_actions(
        &world,
        &fixture.admin,
        &format!(
            "from={}&to={}",
            today.pred_opt().expect("day"),
            today.succ_opt().expect("day")
        ),
    )
    .await;
    assert!(!dated.is_empty());
    let forbidden = world.call("GET", "/api/v1/audit", &secretary, None).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_password_change_and_an_administrator_reset() {
    let world = world().await;
    let fixture = small(&world).await;
    let request = json!({ "login": "Chen", "display_name": "陈", "role": "branch_secretary", "scope_org": fixture.branch, "member_id": fixture.members[0] });
    let created = world
        .call("POST", "/api/v1/accounts", &fixture.admin, Some(&request))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let one_time = created.body["one_time_password"]
        .as_str()
        .expect("password")
        .to_string();
    assert!(
        created.body["account"]["must_change_password"]
            .as_bool()
            .expect("flag")
    );
    assert!(created.body["account"].get("password_hash").is_none());

    // A one-time password signs in, but only to change it.
    let session = world.session("chen", &one_time).await;
    let blocked = world.call("GET", "/api/v1/meetings", &session, None).await;
    assert_eq!(blocked.status, StatusCode::FORBIDDEN);
    assert_eq!(blocked.body["error"], "password_change_required");
    let page = world
        .send("GET", "/account/password", Some(&session), &[], "")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&session.csrf));
    let form = |current: &str, new: &str, token: &str| {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        serializer
            .append_pair("current_password", current)
            .append_pair("new_password", new)
            .append_pair("new_password_again", new)
            .append_pair("csrf_token", token);
        serializer.finish()
    };
    let form_headers = [("content-type", "application/x-www-form-urlencoded")];
    let short = world
        .send(
            "POST",
            "/account/password",
            Some(&session),
            &form_headers,
            &form(&one_time, "short", &session.csrf),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let changed = world
        .send(
            "POST",
            "/account/password",
            Some(&session),
            &form_headers,
            &form(&one_time, "a much longer passphrase", &session.csrf),
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.text);
    assert_eq!(
        world
            .call("GET", "/api/v1/session", &session, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "the old session ended"
    );
    let session = world.session("chen", "a much longer passphrase").await;
    assert_eq!(
        world
            .call("GET", "/api/v1/meetings", &session, None)
            .await
            .status,
        StatusCode::OK
    );

    // The administrator resets it: the sessions end and a new one-time password works once more.
    let account_id = created.body["account"]["id"].as_i64().expect("id");
    let reset = world
        .call(
            "POST",
            &format!("/api/v1/accounts/{account_id}/reset"),
            &fixture.admin,
            None,
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text);
    assert_eq!(
        world
            .call("GET", "/api/v1/session", &session, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        world
            .sign_in("chen", "a much longer passphrase")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let new_one_time = reset.body["one_time_password"].as_str().expect("password");
    world.session("chen", new_one_time).await;
    let form_reset = world
        .send(
            "POST",
            &format!("/admin/accounts/{account_id}/reset"),
            Some(&fixture.admin),
            &[("content-type", "application/x-www-form-urlencoded")],
            &format!("csrf_token={}", fixture.admin.csrf),
        )
        .await;
    assert_eq!(form_reset.status, StatusCode::OK, "{}", form_reset.text);
    let actions: Vec<String> = audit_actions(&world, &fixture.admin, "action=password_reset")
        .await
        .iter()
        .map(|entry| entry["action"].to_string())
        .collect();
    assert_eq!(actions.len(), 2);
    assert_eq!(
        audit_actions(&world, &fixture.admin, "action=password_change")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn requests_without_a_session_get_401_from_the_api_and_a_sign_in_redirect_from_pages() {
    let world = world().await;
    for route in zhibu_web::auth::routes::all()
        .iter()
        .filter(|route| !route.public)
    {
        let uri = route.path.replace("{id}", "1");
        let answer = world.send(route.method, &uri, None, &[], "").await;
        if route.api {
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{} {}: {}",
                route.method,
                route.path,
                answer.text
            );
        } else {
            assert_eq!(
                answer.status,
                StatusCode::SEE_OTHER,
                "{} {}",
                route.method,
                route.path
            );
            assert!(
                answer.headers[header::LOCATION]
                    .to_str()
                    .expect("text")
                    .starts_with("/login?next=")
            );
        }
    }
}

#[tokio::test]
async fn the_route_table_is_exactly_the_openapi_document() {
    let documented: std::collections::BTreeSet<(String, String)> = {
        let document = serde_json::to_value(zhibu_web::openapi()).expect("json");
        document["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(path, operations)| {
                operations
                    .as_object()
                    .expect("operations")
                    .keys()
                    .map(move |method| (method.to_uppercase(), path.clone()))
            })
            .collect()
    };
    let table: std::collections::BTreeSet<(String, String)> = zhibu_web::auth::routes::all()
        .iter()
        .filter(|route| route.api || route.path == "/healthz")
        // `DELETE /exemptions/{id}` is routed only to explain, with 405, that exemptions are
        // never deleted; the document does not offer it.
        .filter(|route| !(route.area == Area::Exemptions && route.action == Action::Delete))
        .map(|route| (route.method.to_string(), route.path.to_string()))
        .collect();
    assert_eq!(documented, table);
}

#[tokio::test]
async fn demo_accounts_sign_in_as_each_role_and_the_other_branchs_member_is_kept_out() {
    let world = world().await;
    let password = world
        .account("admin", Role::Administrator, None, None)
        .await;
    let admin = world.session("admin", &password).await;
    let root = created(
        &world,
        &admin,
        "/api/v1/orgs",
        &org(None, "工委", "working_committee"),
    )
    .await;
    let first = side(&world, &admin, root, "甲").await;
    let second = side(&world, &admin, root, "乙").await;
    let credentials = create_demo_accounts(&world.repository, zhibu_core::OrgId(root))
        .await
        .expect("demo accounts");
    let roles: Vec<Role> = credentials
        .iter()
        .map(|credential| credential.role)
        .collect();
    assert_eq!(
        roles,
        [
            Role::Administrator,
            Role::CommitteeStaff,
            Role::BranchSecretary,
            Role::BranchCommitteeMember,
            Role::Member,
            Role::Member
        ]
    );
    for credential in &credentials {
        let session = world.session(&credential.login, &credential.password).await;
        let view = world.call("GET", "/api/v1/session", &session, None).await;
        assert_eq!(view.body["role"], json!(credential.role));
    }
    let other = credentials.last().expect("the other branch's member");
    assert_eq!(other.scope_org, Some(zhibu_core::OrgId(second.branch)));
    let session = world.session(&other.login, &other.password).await;
    let answer = world
        .call(
            "GET",
            &format!("/api/v1/meetings/{}", first.record(Area::Meetings)),
            &session,
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    // A second run gives every demo account a new password.
    let again = create_demo_accounts(&world.repository, zhibu_core::OrgId(root))
        .await
        .expect("demo accounts");
    assert_ne!(again[0].password, credentials[0].password);
    assert_eq!(
        world
            .sign_in(&credentials[0].login, &credentials[0].password)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

// ---------------------------------------------------------------------------------------------
// The pages: the same table, the same world, every page route × every role × inside and outside.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_route_table_lists_exactly_the_routes_served_outside_the_api() {
    let table: std::collections::BTreeSet<(String, String)> =
        zhibu_web::auth::routes::outside_the_api()
            .iter()
            .map(|route| (route.method.to_string(), route.path.to_string()))
            .collect();
    let served_list = zhibu_web::served_outside_the_api();
    let served: std::collections::BTreeSet<(String, String)> = served_list
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(served.len(), served_list.len(), "a route is served twice");
    let missing: Vec<_> = served.difference(&table).collect();
    let stale: Vec<_> = table.difference(&served).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "served but not in auth::routes: {missing:?}; in the table but not served: {stale:?}"
    );
}

/// The content type an export route answers with, by its extension.
fn export_type(path: &str) -> &'static str {
    if path.ends_with(".pdf") {
        "application/pdf"
    } else if path.ends_with(".xlsx") {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    }
}

/// Whether a local link (`/meetings/12?saved=1`) names a route of the table, any method.
fn is_a_route(link: &str) -> bool {
    let path = link.split(['?', '#']).next().unwrap_or(link);
    let segments: Vec<&str> = path.split('/').collect();
    zhibu_web::auth::routes::all().iter().any(|route| {
        let pattern: Vec<&str> = route.path.split('/').collect();
        pattern.len() == segments.len()
            && pattern.iter().zip(&segments).all(|(expected, actual)| {
                if expected.starts_with('{') {
                    !actual.is_empty()
                } else {
                    expected == actual
                }
            })
    })
}

/// Every `href="/…"` and `action="/…"` of an HTML text, as written.
fn local_links(html: &str) -> Vec<String> {
    let mut links = Vec::new();
    for attribute in ["href=\"", "action=\""] {
        for (index, _) in html.match_indices(attribute) {
            let value = html[index + attribute.len()..]
                .split('"')
                .next()
                .unwrap_or("");
            if value.starts_with('/') && !value.starts_with("//") {
                links.push(value.to_string());
            }
        }
    }
    links
}

#[test]
fn every_link_written_in_a_template_is_a_route_of_the_table() {
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut checked = 0;
    for entry in std::fs::read_dir(&directory).expect("templates") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("template");
        for link in local_links(&text) {
            // A value put in by the template (`{{ branch_id }}`) stands for one path segment.
            let mut normalized = String::new();
            let mut rest = link.as_str();
            while let Some(start) = rest.find("{{") {
                normalized.push_str(&rest[..start]);
                normalized.push('0');
                rest = rest[start..]
                    .split_once("}}")
                    .map_or("", |(_, after)| after);
            }
            normalized.push_str(rest);
            assert!(
                is_a_route(&normalized),
                "{} links to {link}, which is not in auth::routes",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} links found in the templates");
}

/// One side of the tree as the page walk sees it: its records, and what would give its data away
/// on a page shown to someone outside it.
struct PageSide {
    side: Side,
    name: &'static str,
    /// A member who moved to this side's branch from the other side's.
    moved: Option<i64>,
    /// Records of this side beyond `side.records`, as (link prefix, id).
    more_records: Vec<(&'static str, i64)>,
}

impl PageSide {
    /// The names `side()` gives this side's org and people, each of which only this side holds.
    fn names(&self) -> Vec<String> {
        ["第一党支部", "机关党委", "党员", "申请人"]
            .iter()
            .map(|suffix| format!("{}{suffix}", self.name))
            .collect()
    }

    fn links(&self) -> Vec<(&'static str, i64)> {
        let side = &self.side;
        let mut links = vec![
            ("/branches/", side.branch),
            ("/committees/", side.committee),
            ("/meetings/", side.record(Area::Meetings)),
            ("/talks/", side.record(Area::Talks)),
        ];
        links.extend(side.members.iter().map(|member| ("/members/", *member)));
        links.extend(self.more_records.iter().copied());
        links
    }

    /// The first thing of this side that `body` shows, if any.
    fn shown_in(&self, body: &str) -> Option<String> {
        if let Some(name) = self.names().into_iter().find(|name| body.contains(name)) {
            return Some(name);
        }
        self.links().into_iter().find_map(|(prefix, id)| {
            let link = format!("{prefix}{id}");
            body.match_indices(&link)
                .any(|(index, _)| {
                    !body[index + link.len()..]
                        .chars()
                        .next()
                        .is_some_and(|next| next.is_ascii_digit())
                })
                .then_some(link)
        })
    }

    fn member_name(&self, index: usize) -> String {
        format!("{}党员{index}", self.name)
    }

    fn branch_name(&self) -> String {
        format!("{}第一党支部", self.name)
    }

    fn committee_name(&self) -> String {
        format!("{}机关党委", self.name)
    }
}

struct PageActor {
    role: Role,
    login: String,
    session: Session,
    member: Option<i64>,
    /// The index in `sides` of the side the actor belongs to (the administrator's is both).
    home: usize,
    /// Where `/` sends the actor.
    start: String,
}

impl PageActor {
    fn is_administrator(&self) -> bool {
        self.role == Role::Administrator
    }

    fn policy(&self, area: Area, action: Action) -> Access {
        access(self.role, area, action)
    }
}

/// What the page walk expects of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PageExpect {
    /// 200, and the page shows this (the record itself is on it).
    Shows(String),
    /// 303 to a location that starts with this.
    RedirectTo(String),
    /// 403 or 404: refused without telling whether the record exists.
    Refused,
    /// 404: outside the scope, exactly like a record that does not exist.
    NotFound,
    /// 403: the role may not do this at all.
    Forbidden,
    /// 422: the form comes back with its errors.
    Invalid(String),
    /// 200 with a file of this content type (an export).
    Download(&'static str),
}

/// Checks one answer: its status, that a refusal shows nothing of the record, that no page shows
/// anything of the side outside the actor's scope, and that every link on a page is a route.
fn check_page(
    expect: &PageExpect,
    answer: &Answer,
    what: &str,
    actor: Option<&PageActor>,
    target: Option<&PageSide>,
    away: Option<&PageSide>,
) {
    let status = answer.status;
    let location = answer
        .headers
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let ok = match expect {
        PageExpect::Shows(text) => status == StatusCode::OK && answer.text.contains(text.as_str()),
        PageExpect::RedirectTo(prefix) => {
            status == StatusCode::SEE_OTHER && location.starts_with(prefix.as_str())
        }
        PageExpect::Refused => [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&status),
        PageExpect::NotFound => status == StatusCode::NOT_FOUND,
        PageExpect::Forbidden => status == StatusCode::FORBIDDEN,
        PageExpect::Invalid(text) => {
            status == StatusCode::UNPROCESSABLE_ENTITY && answer.text.contains(text.as_str())
        }
        PageExpect::Download(content_type) => {
            status == StatusCode::OK
                && answer
                    .headers
                    .get(header::CONTENT_TYPE)
                    .is_some_and(|value| value == *content_type)
        }
    };
    assert!(
        ok,
        "{what}: expected {expect:?}, got {status} (location {location:?}): {}",
        answer.text
    );
    if matches!(
        expect,
        PageExpect::Refused | PageExpect::NotFound | PageExpect::Forbidden
    ) && let Some(target) = target
        && let Some(shown) = target.shown_in(&answer.text)
    {
        panic!("{what}: the refusal shows {shown}: {}", answer.text);
    }
    if actor.is_some_and(|actor| !actor.is_administrator())
        && let Some(away) = away
        && let Some(shown) = away.shown_in(&answer.text)
    {
        panic!(
            "{what}: a page shows {shown}, which lies outside the account's scope: {}",
            answer.text
        );
    }
    if status == StatusCode::OK && !matches!(expect, PageExpect::Download(_)) {
        for link in local_links(&answer.text) {
            let link = link.replace("&#38;", "&");
            assert!(is_a_route(&link), "{what}: links to {link}, not a route");
        }
    }
}

impl World {
    /// A form post as a browser sends it, with the session's CSRF token unless told otherwise.
    async fn post_form(
        &self,
        uri: &str,
        session: Option<&Session>,
        fields: &[(String, String)],
        with_csrf: bool,
    ) -> Answer {
        let mut form = form_urlencoded::Serializer::new(String::new());
        if let (Some(session), true) = (session, with_csrf) {
            form.append_pair("csrf_token", &session.csrf);
        }
        for (name, value) in fields {
            form.append_pair(name, value);
        }
        self.send(
            "POST",
            uri,
            session,
            &[("content-type", "application/x-www-form-urlencoded")],
            &form.finish(),
        )
        .await
    }

    async fn version_of_meeting(&self, id: i64) -> i64 {
        let stored = self
            .repository
            .get::<zhibu_core::Meeting>(zhibu_core::MeetingId(id))
            .await
            .expect("the meeting");
        i64::from(stored.version)
    }

    async fn meetings_in(&self, branch: i64) -> usize {
        self.repository
            .list::<zhibu_core::Meeting>(&zhibu_storage::ListRequest {
                subtree: Some(zhibu_core::OrgId(branch)),
                limit: Some(1000),
                ..zhibu_storage::ListRequest::default()
            })
            .await
            .expect("meetings")
            .items
            .len()
    }
}

/// An open finding of `branch` that can be exempted from the committee above it, as the
/// administrator sees the findings.
async fn open_finding_key(world: &World, admin: &Session, branch: i64) -> String {
    let answer = world
        .call(
            "GET",
            &format!("/api/v1/findings?org={branch}&from=2026-01-01&to=2026-12-31"),
            admin,
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.body["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| {
            finding["exemption"].is_null()
                && finding["status"] != "coming_due"
                && finding["status"] != "noncompliant"
                && finding["org_id"] == branch
        })
        .and_then(|finding| finding["key"].as_str())
        .expect("an open finding to exempt")
        .to_string()
}

/// The fields of the meeting form for a general meeting of `side` with its first three members.
fn meeting_form(side: &Side, held_on: &str) -> Vec<(String, String)> {
    let mut fields = fields(&[
        ("kind", "general_meeting"),
        ("held_on", held_on),
        ("place", "会议室"),
        ("topics", "学习"),
    ]);
    for member in &side.members[..3] {
        fields.push((format!("att_{member}"), "present".to_string()));
    }
    fields
}

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

#[tokio::test]
async fn every_page_route_for_every_role_inside_and_outside_its_scope() {
    let world = world().await;
    let admin_password = world
        .account("admin", Role::Administrator, None, None)
        .await;
    let admin = world.session("admin", &admin_password).await;
    let root = created(
        &world,
        &admin,
        "/api/v1/orgs",
        &org(None, "市直机关工委", "working_committee"),
    )
    .await;
    let inside = side(&world, &admin, root, "甲").await;
    let outside = side(&world, &admin, root, "乙").await;

    // A member who moved from the outside branch to the inside one at the new year, with a
    // meeting and a talk left behind in the outside branch: the inside branch's officers see the
    // member, never what stayed outside.
    let mut moved_body = member("转入党员", outside.branch);
    let moved = created(&world, &admin, "/api/v1/members", &moved_body).await;
    let mut left_meeting = meeting(outside.branch, &[moved, outside.members[0]]);
    left_meeting["held_on"] = json!("2025-06-10");
    let left_meeting = created(&world, &admin, "/api/v1/meetings", &left_meeting).await;
    let mut left_talk = talk(outside.branch, moved, outside.members[0]);
    left_talk["held_on"] = json!("2025-06-12");
    let left_talk = created(&world, &admin, "/api/v1/talks", &left_talk).await;
    moved_body["postings"] = json!([
        { "branch_id": outside.branch, "from": "2015-01-01", "until": "2026-01-01" },
        { "branch_id": inside.branch, "from": "2026-01-01" }
    ]);
    let transfer = json!({ "expected_version": 1, "reason": "组织关系转接", "record": moved_body });
    let answer = world
        .call(
            "PUT",
            &format!("/api/v1/members/{moved}"),
            &admin,
            Some(&transfer),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);

    let sides = [
        PageSide {
            side: inside.clone(),
            name: "甲",
            moved: Some(moved),
            more_records: vec![("/members/", moved)],
        },
        PageSide {
            side: outside.clone(),
            name: "乙",
            moved: None,
            more_records: vec![("/meetings/", left_meeting), ("/talks/", left_talk)],
        },
    ];

    let mut actors = vec![PageActor {
        role: Role::Administrator,
        login: "admin".into(),
        session: admin.clone(),
        member: None,
        home: 0,
        start: format!("/committees/{root}"),
    }];
    for (role, login, home, scope, member, start) in [
        (
            Role::CommitteeStaff,
            "staff",
            0,
            inside.committee,
            None,
            format!("/committees/{}", inside.committee),
        ),
        (
            Role::BranchSecretary,
            "secretary",
            0,
            inside.branch,
            Some(inside.members[0]),
            format!("/branches/{}", inside.branch),
        ),
        (
            Role::BranchCommitteeMember,
            "committee",
            0,
            inside.branch,
            Some(inside.members[1]),
            format!("/branches/{}", inside.branch),
        ),
        (
            Role::Member,
            "member",
            0,
            inside.branch,
            Some(inside.members[2]),
            format!("/members/{}", inside.members[2]),
        ),
        (
            Role::Member,
            "member-other",
            1,
            outside.branch,
            Some(outside.members[2]),
            format!("/members/{}", outside.members[2]),
        ),
    ] {
        let password = world.account(login, role, Some(scope), member).await;
        actors.push(PageActor {
            role,
            login: login.into(),
            session: world.session(login, &password).await,
            member,
            home,
            start,
        });
    }

    let meetings_before = [
        world.meetings_in(inside.branch).await,
        world.meetings_in(outside.branch).await,
    ];
    let mut meetings_created = [0, 0];
    let mut calls = 0;
    let mut serial = 0;
    let routes = zhibu_web::auth::routes::outside_the_api();
    for route in &routes {
        if route.target == zhibu_web::auth::routes::Target::FeedToken {
            // Public by token (issue 7): walked with every actor's feeds, revoked and made-up ones.
            calls += walk_calendar_feeds(&world, &actors, &sides).await;
            continue;
        }
        if route.public {
            // Routes anyone may call hold no records; they answer the same without a session.
            let (uri, expect) = match (route.method, route.path) {
                ("GET", "/healthz") => ("/healthz".to_string(), None),
                ("GET", "/login") => (
                    "/login".to_string(),
                    Some(PageExpect::Shows("name=\"csrf_token\"".into())),
                ),
                // Without the cookie its page set, the sign-in form is refused.
                ("POST", "/login") => ("/login".to_string(), Some(PageExpect::Forbidden)),
                ("GET", "/lang/{code}") => (
                    "/lang/en?back=%2F".to_string(),
                    Some(PageExpect::RedirectTo("/".into())),
                ),
                ("GET", path) if path.starts_with("/assets/") => (path.to_string(), None),
                (method, path) => {
                    panic!("the page walk does not know the public route {method} {path}")
                }
            };
            let answer = world.send(route.method, &uri, None, &[], "").await;
            let what = format!("{} {uri} signed out", route.method);
            match expect {
                Some(expect) => check_page(&expect, &answer, &what, None, None, None),
                None => assert_eq!(answer.status, StatusCode::OK, "{what}"),
            }
            calls += 1;
            continue;
        }
        for actor in &actors {
            let session = &actor.session;
            let away_index = 1 - actor.home;
            let away = (!actor.is_administrator()).then(|| &sides[away_index]);
            // Routes about the account itself, not about an org: once per actor.
            let once = match (route.method, route.path) {
                ("GET", "/") => Some((
                    world.send("GET", "/", Some(session), &[], "").await,
                    PageExpect::RedirectTo(actor.start.clone()),
                )),
                ("GET", "/account/password") => Some((
                    world
                        .send("GET", "/account/password", Some(session), &[], "")
                        .await,
                    PageExpect::Shows(format!("（{}）", actor.login)),
                )),
                ("POST", "/account/password") => Some((
                    world
                        .post_form(
                            "/account/password",
                            Some(session),
                            &fields(&[
                                ("current_password", "not the password"),
                                ("new_password", "a long new passphrase"),
                                ("new_password_again", "a long new passphrase"),
                            ]),
                            true,
                        )
                        .await,
                    PageExpect::Invalid("当前密码不正确".into()),
                )),
                // Calendar feeds (issue 7): every account manages its own; making and fetching
                // feeds is walked with the feed route below.
                ("GET", "/account/calendars") => Some((
                    world
                        .send("GET", "/account/calendars", Some(session), &[], "")
                        .await,
                    PageExpect::Shows("id=\"existing-heading\"".into()),
                )),
                ("POST", "/account/calendars") => {
                    let refused = world
                        .post_form(
                            "/account/calendars",
                            Some(session),
                            &fields(&[("subject", "member")]),
                            false,
                        )
                        .await;
                    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
                    Some((
                        world
                            .post_form(
                                "/account/calendars",
                                Some(session),
                                &fields(&[("subject", "committee:1")]),
                                true,
                            )
                            .await,
                        PageExpect::Invalid("请选择可以订阅的日历".into()),
                    ))
                }
                ("POST", "/account/calendars/{id}/revoke") => {
                    let refused = world
                        .post_form("/account/calendars/1/revoke", Some(session), &[], false)
                        .await;
                    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
                    Some((
                        world
                            .post_form("/account/calendars/999999/revoke", Some(session), &[], true)
                            .await,
                        PageExpect::NotFound,
                    ))
                }
                // Reminders (issue 7): one's own inbox and channel choices, for every role;
                // group bots for those who run an org; the deliveries page for administrators.
                ("GET", "/inbox") => Some((
                    world.send("GET", "/inbox", Some(session), &[], "").await,
                    PageExpect::Shows("href=\"/settings/notifications\"".into()),
                )),
                ("POST", "/inbox/read") => Some((
                    world
                        .post_form("/inbox/read", Some(session), &[], true)
                        .await,
                    PageExpect::RedirectTo("/inbox".into()),
                )),
                ("GET", "/settings/notifications") => Some((
                    world
                        .send("GET", "/settings/notifications", Some(session), &[], "")
                        .await,
                    PageExpect::Shows("id=\"channel-choices\"".into()),
                )),
                ("POST", "/settings/notifications") => Some((
                    world
                        .post_form(
                            "/settings/notifications",
                            Some(session),
                            &fields(&[("email", "")]),
                            true,
                        )
                        .await,
                    PageExpect::RedirectTo("/settings/notifications?saved=1".into()),
                )),
                ("POST", "/settings/notifications/groups") => {
                    let answer = world
                        .post_form(
                            "/settings/notifications/groups",
                            Some(session),
                            &fields(&[
                                ("org_id", &inside.branch.to_string()),
                                ("kind", "wecom"),
                                ("name", "支部群"),
                                ("url", "not a url"),
                            ]),
                            true,
                        )
                        .await;
                    let expect =
                        if actor.policy(Area::GroupChannels, Action::Create) == Access::Denied {
                            PageExpect::Forbidden
                        } else {
                            PageExpect::Invalid("https://".into())
                        };
                    Some((answer, expect))
                }
                ("GET", "/admin/deliveries") => Some((
                    world
                        .send("GET", "/admin/deliveries", Some(session), &[], "")
                        .await,
                    if actor.policy(Area::Deliveries, Action::Read) == Access::Denied {
                        PageExpect::Forbidden
                    } else {
                        PageExpect::Shows("id=\"channel-problems\"".into())
                    },
                )),
                ("GET", "/admin/audit") => Some((
                    world
                        .send("GET", "/admin/audit", Some(session), &[], "")
                        .await,
                    if actor.policy(Area::Audit, Action::Read) == Access::Denied {
                        PageExpect::Forbidden
                    } else {
                        PageExpect::Shows("sign_in".into())
                    },
                )),
                ("POST", "/admin/accounts/{id}/reset") => {
                    serial += 1;
                    let login = format!("page-throwaway{serial}");
                    world
                        .account(
                            &login,
                            Role::Member,
                            Some(inside.branch),
                            Some(inside.members[3]),
                        )
                        .await;
                    let account = world
                        .repository
                        .accounts()
                        .account_by_login(&login)
                        .await
                        .expect("read")
                        .expect("exists");
                    let answer = world
                        .post_form(
                            &format!("/admin/accounts/{}/reset", account.id),
                            Some(session),
                            &[],
                            true,
                        )
                        .await;
                    let expect = if actor.policy(Area::Accounts, Action::Amend) == Access::Denied {
                        PageExpect::Forbidden
                    } else {
                        assert!(answer.body["one_time_password"].is_string());
                        PageExpect::Shows("one_time_password".into())
                    };
                    Some((answer, expect))
                }
                // Spreadsheet imports (issue 4 §3): administrators, committee staff and branch
                // secretaries; no batch exists in the walk, and no file is sent.
                ("GET", "/imports") => Some((
                    world.send("GET", "/imports", Some(session), &[], "").await,
                    if actor.policy(Area::Imports, Action::Read) == Access::Denied {
                        PageExpect::Forbidden
                    } else {
                        PageExpect::Shows("id=\"upload-form\"".into())
                    },
                )),
                ("POST", "/imports") => Some((
                    world.post_form("/imports", Some(session), &[], true).await,
                    if actor.policy(Area::Imports, Action::Create) == Access::Denied {
                        PageExpect::Forbidden
                    } else {
                        PageExpect::Invalid("请选择要上传的文件".into())
                    },
                )),
                ("POST", "/imports/confirm") => Some((
                    world
                        .post_form(
                            "/imports/confirm",
                            Some(session),
                            &fields(&[("token", "made-up"), ("sha256", "0")]),
                            true,
                        )
                        .await,
                    if actor.policy(Area::Imports, Action::Create) == Access::Denied {
                        PageExpect::Forbidden
                    } else {
                        PageExpect::Invalid("此预览已失效".into())
                    },
                )),
                ("POST", "/imports/rollback") => Some((
                    world
                        .post_form(
                            "/imports/rollback",
                            Some(session),
                            &fields(&[("batch_id", "999999"), ("reason", "走查")]),
                            true,
                        )
                        .await,
                    if actor.policy(Area::Imports, Action::Delete) == Access::Denied {
                        PageExpect::Forbidden
                    } else {
                        PageExpect::Invalid("没有可撤销的导入批次".into())
                    },
                )),
                // Signing out is walked last, below, so that it ends no session the walk needs.
                ("POST", "/logout") => continue,
                _ => None,
            };
            if let Some((answer, expect)) = once {
                let what = format!("{} {} as {}", route.method, route.path, actor.login);
                check_page(&expect, &answer, &what, Some(actor), None, away);
                calls += 1;
                continue;
            }
            for (side_index, page_side) in sides.iter().enumerate() {
                let is_home = actor.is_administrator() || side_index == actor.home;
                let side = &page_side.side;
                let mut targets: Vec<(String, PageExpect)> = Vec::new();
                match (route.method, route.path) {
                    ("GET", "/branches/{id}")
                    | ("GET", "/branches/{id}/regularity")
                    | ("GET", "/branches/{id}/meetings/new")
                    | ("GET", "/branches/{id}/admissions")
                    | ("GET", "/branches/{id}/elections")
                    | ("GET", "/branches/{id}/elections/new")
                    | ("GET", "/branches/{id}/meeting-plans/new")
                    | ("GET", "/branches/{id}/dues") => {
                        let (area, action) = (route.area, route.action);
                        let expect = if actor.is_administrator() {
                            PageExpect::Shows(page_side.branch_name())
                        } else if !is_home {
                            PageExpect::NotFound
                        } else if matches!(actor.policy(area, action), Access::Denied | Access::Own)
                        {
                            PageExpect::Refused
                        } else {
                            PageExpect::Shows(page_side.branch_name())
                        };
                        targets
                            .push((route.path.replace("{id}", &side.branch.to_string()), expect));
                    }
                    // Planned meetings (issue 7): those who may plan, in their branch.
                    ("POST", "/branches/{id}/meeting-plans") => {
                        let expect = if actor.is_administrator()
                            || (is_home
                                && actor.policy(Area::MeetingPlans, Action::Create)
                                    != Access::Denied)
                        {
                            PageExpect::RedirectTo(format!("/branches/{}?planned=", side.branch))
                        } else if !is_home {
                            PageExpect::NotFound
                        } else {
                            PageExpect::Refused
                        };
                        targets.push((format!("/branches/{}/meeting-plans", side.branch), expect));
                    }
                    ("POST", "/branches/{id}/meetings") => {
                        let expect = if actor.is_administrator()
                            || (is_home
                                && !matches!(
                                    actor.policy(Area::Meetings, Action::Create),
                                    Access::Denied | Access::Own
                                )) {
                            meetings_created[side_index] += 1;
                            PageExpect::RedirectTo("/meetings/".into())
                        } else if !is_home {
                            PageExpect::NotFound
                        } else {
                            PageExpect::Refused
                        };
                        targets.push((format!("/branches/{}/meetings", side.branch), expect));
                    }
                    ("GET", "/meetings/{id}") | ("POST", "/meetings/{id}/amend") => {
                        let id = side.record(Area::Meetings);
                        let policy = actor.policy(Area::Meetings, route.action);
                        let read = actor.policy(Area::Meetings, Action::Read);
                        // The side's meeting lists its first three members.
                        let concerns_actor = actor
                            .member
                            .is_some_and(|member| side.members[..3].contains(&member));
                        let expect = if !is_home {
                            PageExpect::NotFound
                        } else if route.method == "GET" {
                            match policy {
                                _ if actor.is_administrator() => {
                                    PageExpect::Shows(page_side.branch_name())
                                }
                                Access::Denied => PageExpect::Refused,
                                Access::Own if !concerns_actor => PageExpect::NotFound,
                                Access::Own => PageExpect::Shows(page_side.branch_name()),
                                _ => PageExpect::Shows(page_side.branch_name()),
                            }
                        } else if actor.is_administrator()
                            || matches!(policy, Access::InScope | Access::BelowScope)
                        {
                            PageExpect::RedirectTo(format!("/meetings/{id}?amended=1"))
                        } else if read == Access::Own && !concerns_actor {
                            PageExpect::NotFound
                        } else {
                            PageExpect::Refused
                        };
                        targets.push((route.path.replace("{id}", &id.to_string()), expect));
                    }
                    ("GET", "/talks/{id}") => {
                        let id = side.record(Area::Talks);
                        // The side's talk is between its first and third members.
                        let concerns_actor = actor.member.is_some_and(|member| {
                            member == side.members[0] || member == side.members[2]
                        });
                        let expect = if actor.is_administrator() {
                            PageExpect::Shows(page_side.branch_name())
                        } else if !is_home {
                            PageExpect::NotFound
                        } else {
                            match actor.policy(Area::Talks, Action::Read) {
                                Access::Denied => PageExpect::Refused,
                                Access::Own if !concerns_actor => PageExpect::NotFound,
                                _ => PageExpect::Shows(page_side.branch_name()),
                            }
                        };
                        targets.push((format!("/talks/{id}"), expect));
                    }
                    ("GET", "/members/{id}") => {
                        let mut members = vec![(side.members[2], page_side.member_name(2))];
                        if let Some(moved) = page_side.moved {
                            members.push((moved, "转入党员".to_string()));
                        }
                        for (id, name) in members {
                            let expect = if actor.is_administrator() {
                                PageExpect::Shows(name)
                            } else if !is_home {
                                PageExpect::NotFound
                            } else {
                                match actor.policy(Area::Members, Action::Read) {
                                    Access::Denied => PageExpect::Refused,
                                    Access::Own if actor.member != Some(id) => PageExpect::NotFound,
                                    _ => PageExpect::Shows(name),
                                }
                            };
                            targets.push((format!("/members/{id}"), expect));
                        }
                    }
                    ("POST", "/members/{id}/personal-data") => {
                        // Showing an ID number or phone in full: the roles the policy allows, in
                        // scope; whoever else reads the page 403, everyone else 404.
                        let id = side.members[2];
                        let expect = if actor.is_administrator() {
                            PageExpect::Shows(page_side.member_name(2))
                        } else if !is_home {
                            PageExpect::NotFound
                        } else if actor.policy(Area::Members, Action::Read) == Access::Own {
                            if actor.member == Some(id) {
                                PageExpect::Forbidden
                            } else {
                                PageExpect::NotFound
                            }
                        } else if actor.policy(Area::Members, Action::Unmask) == Access::Denied {
                            PageExpect::Forbidden
                        } else {
                            PageExpect::Shows(page_side.member_name(2))
                        };
                        targets.push((format!("/members/{id}/personal-data"), expect));
                    }
                    ("POST", "/members/{id}/statements") => {
                        let id = side.members[2];
                        let expect = if is_home && actor.member == Some(id) {
                            PageExpect::RedirectTo(format!("/members/{id}?stated=1"))
                        } else if actor.is_administrator() {
                            PageExpect::Refused
                        } else if !is_home
                            || actor.policy(Area::Members, Action::Read) == Access::Own
                        {
                            // Another member's page is not found, as outside the scope.
                            PageExpect::NotFound
                        } else {
                            // Officers read the page but only the member states their case.
                            PageExpect::Refused
                        };
                        targets.push((format!("/members/{id}/statements"), expect));
                    }
                    ("GET", "/committees/{id}")
                    | ("GET", "/committees/{id}/findings")
                    | ("GET", "/committees/{id}/regularity") => {
                        let suffix = route.path.trim_start_matches("/committees/{id}");
                        let sees_committee = actor.is_administrator()
                            || (is_home && actor.role == Role::CommitteeStaff);
                        let sees_branch = actor.is_administrator()
                            || (is_home
                                && actor.policy(Area::Findings, Action::Read) != Access::Denied);
                        targets.push((
                            format!("/committees/{}{suffix}", side.committee),
                            if sees_committee {
                                PageExpect::Shows(page_side.committee_name())
                            } else if !is_home
                                || actor.policy(Area::Findings, Action::Read) != Access::Denied
                            {
                                // Above a branch officer's branch: outside their subtree.
                                PageExpect::NotFound
                            } else {
                                PageExpect::Refused
                            },
                        ));
                        // A branch's id here goes on to the branch's workspace.
                        targets.push((
                            format!("/committees/{}{suffix}", side.branch),
                            if sees_branch {
                                PageExpect::RedirectTo(format!("/branches/{}", side.branch))
                            } else if !is_home {
                                PageExpect::NotFound
                            } else {
                                PageExpect::Refused
                            },
                        ));
                    }
                    ("POST", "/committees/{id}/exemptions") => {
                        let may = actor.policy(Area::Exemptions, Action::Create) != Access::Denied;
                        let expect = if actor.is_administrator()
                            || (is_home && may && actor.role == Role::CommitteeStaff)
                        {
                            PageExpect::RedirectTo(format!(
                                "/committees/{}/findings?",
                                side.committee
                            ))
                        } else {
                            // Outside, above a branch officer's branch, or a member, who reads
                            // no findings: there is no such committee page for them.
                            PageExpect::NotFound
                        };
                        targets
                            .push((format!("/committees/{}/exemptions", side.committee), expect));
                        // A branch has no committee pages, so nobody exempts through one.
                        targets.push((
                            format!("/committees/{}/exemptions", side.branch),
                            PageExpect::NotFound,
                        ));
                    }
                    // Admission, vote and election pages (issue 5): records of the side's branch,
                    // read and written by its officers and the staff above it, never by members.
                    ("GET", "/admission-records/{id}")
                    | ("GET", "/meetings/{id}/votes")
                    | ("GET", "/meetings/{id}/ballot-box")
                    | ("GET", "/votes/{id}")
                    | ("GET", "/elections/{id}") => {
                        let id = match route.path {
                            "/admission-records/{id}" => side.record(Area::AdmissionRecords),
                            "/meetings/{id}/votes" | "/meetings/{id}/ballot-box" => {
                                side.record(Area::Meetings)
                            }
                            "/votes/{id}" => side.record(Area::Votes),
                            _ => side.record(Area::Elections),
                        };
                        let expect = if actor.is_administrator() {
                            PageExpect::Shows(page_side.branch_name())
                        } else if !is_home {
                            PageExpect::NotFound
                        } else if matches!(
                            actor.policy(route.area, route.action),
                            Access::Denied | Access::Own
                        ) {
                            PageExpect::Refused
                        } else {
                            PageExpect::Shows(page_side.branch_name())
                        };
                        targets.push((route.path.replace("{id}", &id.to_string()), expect));
                    }
                    ("POST", "/admission-records/{id}/steps")
                    | ("POST", "/meetings/{id}/votes")
                    | ("POST", "/meetings/{id}/ballot-box/cast")
                    | ("POST", "/meetings/{id}/ballot-box/close") => {
                        let (id, redirect) = if route.path == "/meetings/{id}/votes" {
                            (side.record(Area::Meetings), "/votes/".to_string())
                        } else if route.path.starts_with("/meetings/{id}/ballot-box") {
                            // No ballot box is open on this meeting: back to its votes.
                            let id = side.record(Area::Meetings);
                            (id, format!("/meetings/{id}/votes"))
                        } else {
                            let id = side.record(Area::AdmissionRecords);
                            (id, format!("/admission-records/{id}?saved=1"))
                        };
                        let expect = if actor.is_administrator()
                            || (is_home
                                && !matches!(
                                    actor.policy(route.area, route.action),
                                    Access::Denied | Access::Own
                                )) {
                            PageExpect::RedirectTo(redirect)
                        } else if !is_home {
                            PageExpect::NotFound
                        } else {
                            PageExpect::Refused
                        };
                        targets.push((route.path.replace("{id}", &id.to_string()), expect));
                    }
                    // The election form and the report upwards (issue 5 §4): posted empty, the form
                    // answers 422 naming the missing meeting or step to those who may use it.
                    ("POST", "/branches/{id}/elections/new")
                    | ("POST", "/elections/{id}/report") => {
                        let (id, missing) = if route.path == "/elections/{id}/report" {
                            (side.record(Area::Elections), "step")
                        } else {
                            (side.branch, "meeting_id")
                        };
                        let expect = if actor.is_administrator()
                            || (is_home
                                && !matches!(
                                    actor.policy(route.area, route.action),
                                    Access::Denied | Access::Own
                                )) {
                            PageExpect::Invalid(missing.into())
                        } else if !is_home {
                            PageExpect::NotFound
                        } else {
                            PageExpect::Refused
                        };
                        targets.push((route.path.replace("{id}", &id.to_string()), expect));
                    }
                    // Dues pages (issue 4): the branch's officers and the staff above record payments
                    // and declarations; a member reads only their own ledger.
                    ("POST", "/branches/{id}/dues/payments")
                    | ("POST", "/branches/{id}/dues/declarations") => {
                        let expect = if actor.is_administrator()
                            || (is_home
                                && !matches!(
                                    actor.policy(route.area, route.action),
                                    Access::Denied | Access::Own
                                )) {
                            PageExpect::RedirectTo(format!("/branches/{}/dues?", side.branch))
                        } else if !is_home {
                            PageExpect::NotFound
                        } else {
                            PageExpect::Refused
                        };
                        targets
                            .push((route.path.replace("{id}", &side.branch.to_string()), expect));
                    }
                    ("GET", "/members/{id}/dues") => {
                        // The side's ledger record is the member account's own member.
                        let id = side.record(Area::DuesLedgers);
                        let expect = if actor.is_administrator() {
                            PageExpect::Shows(page_side.branch_name())
                        } else if !is_home {
                            PageExpect::NotFound
                        } else {
                            match actor.policy(route.area, route.action) {
                                Access::Denied => PageExpect::Refused,
                                Access::Own if actor.member != Some(id) => PageExpect::NotFound,
                                _ => PageExpect::Shows(page_side.branch_name()),
                            }
                        };
                        targets.push((route.path.replace("{id}", &id.to_string()), expect));
                    }
                    // Downloads (pages::exports): officers and staff in their subtree; members
                    // export nothing (403 where they could read the thing, 404 where not).
                    ("GET", path) if path.starts_with("/branches/{id}/exports/") => {
                        let expect = if actor.is_administrator() {
                            PageExpect::Download(export_type(path))
                        } else if !is_home {
                            PageExpect::NotFound
                        } else if actor.policy(Area::Exports, Action::Read) == Access::Denied {
                            PageExpect::Forbidden
                        } else {
                            PageExpect::Download(export_type(path))
                        };
                        targets.push((path.replace("{id}", &side.branch.to_string()), expect));
                    }
                    ("GET", "/meetings/{id}/record.pdf" | "/meetings/{id}/record.docx") => {
                        let id = side.record(Area::Meetings);
                        let concerns_actor = actor
                            .member
                            .is_some_and(|member| side.members[..3].contains(&member));
                        let expect = if actor.is_administrator() {
                            PageExpect::Download(export_type(route.path))
                        } else if !is_home {
                            PageExpect::NotFound
                        } else {
                            match actor.policy(Area::Meetings, Action::Read) {
                                Access::Denied => PageExpect::NotFound,
                                Access::Own if !concerns_actor => PageExpect::NotFound,
                                _ if actor.policy(Area::Exports, Action::Read)
                                    == Access::Denied =>
                                {
                                    PageExpect::Forbidden
                                }
                                _ => PageExpect::Download(export_type(route.path)),
                            }
                        };
                        targets.push((route.path.replace("{id}", &id.to_string()), expect));
                    }
                    ("GET", "/admission-records/{id}/record.pdf") => {
                        let id = side.record(Area::AdmissionRecords);
                        let expect = if actor.is_administrator() {
                            PageExpect::Download(export_type(route.path))
                        } else if !is_home {
                            PageExpect::NotFound
                        } else if actor.policy(Area::AdmissionRecords, Action::Read)
                            == Access::Denied
                            || actor.policy(Area::Exports, Action::Read) == Access::Denied
                        {
                            PageExpect::Forbidden
                        } else {
                            PageExpect::Download(export_type(route.path))
                        };
                        targets.push((route.path.replace("{id}", &id.to_string()), expect));
                    }
                    (method, path) => {
                        panic!(
                            "the page walk does not know {method} {path}; add what each role may do there"
                        )
                    }
                }
                for (uri, expect) in targets {
                    serial += 1;
                    let what = format!(
                        "{} {uri} as {} ({})",
                        route.method,
                        actor.login,
                        if is_home { "inside" } else { "outside" }
                    );
                    let answer = if route.method == "GET" {
                        world.send("GET", &uri, Some(session), &[], "").await
                    } else {
                        // Without the token every form is refused and changes nothing.
                        let refused = world.post_form(&uri, Some(session), &[], false).await;
                        assert_eq!(
                            refused.status,
                            StatusCode::FORBIDDEN,
                            "{what} without its CSRF token: {}",
                            refused.text
                        );
                        let fields = match route.path {
                            "/branches/{id}/meetings" => {
                                let mut fields = meeting_form(side, "2026-06-10");
                                fields.push(("idempotency_key".into(), format!("walk-{serial}")));
                                fields
                            }
                            "/meetings/{id}/amend" => {
                                let id = side.record(Area::Meetings);
                                let mut fields = meeting_form(side, "2026-03-10");
                                fields.push((
                                    "expected_version".into(),
                                    world.version_of_meeting(id).await.to_string(),
                                ));
                                fields.push(("reason".into(), "核对".into()));
                                fields
                            }
                            "/admission-records/{id}/steps" => fields(&[
                                ("step", "application_talk"),
                                ("date", "2026-02-20"),
                                ("people", &side.members[0].to_string()),
                            ]),
                            "/meetings/{id}/ballot-box/cast" => fields(&[
                                ("voter", &side.members[0].to_string()),
                                ("choice", "yes"),
                            ]),
                            "/meetings/{id}/ballot-box/close" => Vec::new(),
                            "/meetings/{id}/votes" => fields(&[
                                ("question", "general"),
                                ("subject", &format!("表决事项{serial}")),
                                ("method", "hands"),
                                ("yes", "3"),
                            ]),
                            "/members/{id}/personal-data" => {
                                fields(&[("field", "phone"), ("purpose", "核对身份")])
                            }
                            "/members/{id}/statements" => fields(&[
                                ("about_kind", "meeting"),
                                ("about_id", &side.record(Area::Meetings).to_string()),
                                ("text", "我当天已事先请假。"),
                            ]),
                            "/committees/{id}/exemptions" => fields(&[
                                (
                                    "finding_key",
                                    &open_finding_key(&world, &admin, side.branch).await,
                                ),
                                ("reason", "经批准顺延"),
                                ("back", "year=2026"),
                            ]),
                            "/branches/{id}/dues/payments" => fields(&[
                                ("member_id", &side.members[0].to_string()),
                                ("amount", "15.00"),
                                ("months_covered", "2026-06"),
                                ("paid_on", "2026-06-10"),
                                ("method", "cash"),
                                ("month", "2026-06"),
                                ("idempotency_key", &format!("walk-{serial}")),
                            ]),
                            "/branches/{id}/meeting-plans" => fields(&[
                                ("kinds", "party_lecture"),
                                ("planned_on", "2026-07-15"),
                                ("starts_at", "09:00"),
                                ("idempotency_key", &format!("walk-{serial}")),
                            ]),
                            "/branches/{id}/dues/declarations" => fields(&[
                                ("member_id", &side.members[0].to_string()),
                                ("category", "salaried"),
                                ("monthly_base", "3000.00"),
                                ("effective_month", "2026-06"),
                                ("month", "2026-06"),
                                ("idempotency_key", &format!("walk-{serial}")),
                            ]),
                            // Posted empty: refused by the missing field (see above).
                            "/branches/{id}/elections/new" | "/elections/{id}/report" => Vec::new(),
                            other => panic!("no form for {other}"),
                        };
                        world.post_form(&uri, Some(session), &fields, true).await
                    };
                    check_page(&expect, &answer, &what, Some(actor), Some(page_side), away);
                    // A member reads only their own part of a meeting: not the others on its
                    // roster, not its change log.
                    if route.path == "/meetings/{id}"
                        && answer.status == StatusCode::OK
                        && actor.policy(Area::Meetings, Action::Read) == Access::Own
                    {
                        for other in side.members[..3]
                            .iter()
                            .enumerate()
                            .filter(|(_, member)| Some(**member) != actor.member)
                        {
                            let name = page_side.member_name(other.0);
                            assert!(
                                !answer.text.contains(&name),
                                "{what}: shows {name}'s attendance"
                            );
                        }
                        assert!(
                            !answer.text.contains("id=\"history\""),
                            "{what}: change log"
                        );
                    }
                    calls += 1;
                }
            }
        }
    }
    assert!(calls > 150, "the page walk made {calls} calls");

    // Nothing was written where the walk expected a refusal.
    for (index, side) in [&inside, &outside].into_iter().enumerate() {
        assert_eq!(
            world.meetings_in(side.branch).await,
            meetings_before[index] + meetings_created[index],
            "meetings created in {} were exactly those expected",
            sides[index].name
        );
    }
    // The outside meeting was amended only by the administrator.
    assert_eq!(
        world
            .version_of_meeting(outside.record(Area::Meetings))
            .await,
        2
    );

    // Last, signing out, for every actor: the session ends.
    for actor in &actors {
        let refused = world
            .post_form("/logout", Some(&actor.session), &[], false)
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let out = world
            .post_form("/logout", Some(&actor.session), &[], true)
            .await;
        check_page(
            &PageExpect::RedirectTo("/login".into()),
            &out,
            &format!("POST /logout as {}", actor.login),
            Some(actor),
            None,
            None,
        );
        let after = world
            .send("GET", "/account/password", Some(&actor.session), &[], "")
            .await;
        assert_eq!(after.status, StatusCode::SEE_OTHER);
        assert!(
            after.headers[header::LOCATION]
                .to_str()
                .expect("text")
                .starts_with("/login?next=")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The sign-in and password pages.
// ---------------------------------------------------------------------------------------------

/// The sign-in form's double-submit cookie and token, from a fresh `GET /login`.
async fn login_cookie(world: &World, lang: &str) -> (String, String) {
    let form = world
        .send(
            "GET",
            "/login",
            None,
            &[("cookie", &format!("zhibu_lang={lang}"))],
            "",
        )
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    let pair = form
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("zhibu_login_csrf="))
        .expect("the sign-in form's cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string();
    let token = pair.split_once('=').expect("pair").1.to_string();
    (pair, token)
}

/// Posts the sign-in form in `lang` with its cookie.
async fn post_login(
    world: &World,
    uri: &str,
    lang: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> Answer {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        form.append_pair(name, value);
    }
    world
        .send(
            "POST",
            uri,
            None,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", &format!("{cookie}; zhibu_lang={lang}")),
            ],
            &form.finish(),
        )
        .await
}

/// The text of the element with `id`, up to its closing tag.
fn element_text<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no element {id} in {html}"));
    let rest = &html[start..];
    let end = rest.find("</").unwrap_or(rest.len());
    &rest[..end]
}

#[tokio::test]
async fn the_sign_in_page_speaks_the_chosen_language_keeps_the_login_and_never_the_password() {
    let world = world().await;
    let password = world.account("zhao", Role::Administrator, None, None).await;

    // Chinese by default, in the pages' layout, with the switch to English that comes back here.
    let page = world
        .send("GET", "/login?next=%2Fadmin%2Faudit", None, &[], "")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for expected in [
        "<html lang=\"zh-CN\">",
        "/assets/app.css?v=",
        "登录名",
        "id=\"lang-switch\"",
        "href=\"/lang/en?back=%2Flogin%3Fnext%3D%252Fadmin%252Faudit\"",
        "action=\"/login?next=%2Fadmin%2Faudit\"",
    ] {
        assert!(page.text.contains(expected), "{expected}: {}", page.text);
    }
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    let english = world
        .send("GET", "/login", None, &[("cookie", "zhibu_lang=en")], "")
        .await;
    assert!(english.text.contains("<html lang=\"en\">") && english.text.contains(">Login<"));

    // Empty fields are pointed out next to each, and are not an attempt.
    let (cookie, token) = login_cookie(&world, "zh").await;
    let empty = post_login(
        &world,
        "/login",
        "zh",
        &cookie,
        &[("login", "zhao"), ("password", ""), ("csrf_token", &token)],
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(element_text(&empty.text, "password-error").contains("请填写密码"));
    assert!(empty.text.contains("value=\"zhao\""), "the login is kept");
    let account = world
        .repository
        .accounts()
        .account_by_login("zhao")
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        account.failed_attempts, 0,
        "an empty password is no attempt"
    );

    // A wrong password: the message next to the password, in English, the login kept, the
    // password not; an unknown login gets the very same page.
    let secret = "Wrong&<Secret>1";
    let (cookie, token) = login_cookie(&world, "en").await;
    let wrong = post_login(
        &world,
        "/login?next=%2Fadmin%2Faudit",
        "en",
        &cookie,
        &[
            ("login", "zhao"),
            ("password", secret),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        element_text(&wrong.text, "password-error")
            .contains(zhibu_web::auth::handlers::SIGN_IN_FAILED_EN)
    );
    assert!(wrong.text.contains("value=\"zhao\""));
    assert!(
        wrong
            .text
            .contains("action=\"/login?next=%2Fadmin%2Faudit\"")
    );
    for form_of_the_secret in [secret, "Wrong&#38;&#60;Secret&#62;1", "Wrong"] {
        assert!(
            !wrong.text.contains(form_of_the_secret),
            "the password is never shown again"
        );
    }
    let unknown = post_login(
        &world,
        "/login?next=%2Fadmin%2Faudit",
        "en",
        &cookie,
        &[
            ("login", "nobody"),
            ("password", secret),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(unknown.status, wrong.status);
    assert_eq!(
        unknown.text.replace("nobody", "LOGIN"),
        wrong.text.replace("zhao", "LOGIN"),
        "an unknown login is answered exactly like a wrong password"
    );

    // Locked after five failures: the message by the login, in Chinese, the same for both.
    for _ in 0..4 {
        for login in ["zhao", "nobody"] {
            post_login(
                &world,
                "/login",
                "zh",
                &cookie,
                &[("login", login), ("password", "x"), ("csrf_token", &token)],
            )
            .await;
        }
    }
    let locked = post_login(
        &world,
        "/login",
        "zh",
        &cookie,
        &[
            ("login", "zhao"),
            ("password", &password),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text
    );
    assert!(element_text(&locked.text, "login-error").contains("锁定"));
    let unknown_locked = post_login(
        &world,
        "/login",
        "zh",
        &cookie,
        &[
            ("login", "nobody"),
            ("password", "x"),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(
        unknown_locked.text.replace("nobody", "LOGIN"),
        locked.text.replace("zhao", "LOGIN"),
    );

    // Without the cookie's token the form comes back (new token, login kept), in English.
    let (cookie, _token) = login_cookie(&world, "en").await;
    let expired = post_login(
        &world,
        "/login",
        "en",
        &cookie,
        &[
            ("login", "zhao"),
            ("password", "x"),
            ("csrf_token", "forged"),
        ],
    )
    .await;
    assert_eq!(expired.status, StatusCode::FORBIDDEN);
    assert!(element_text(&expired.text, "form-errors").contains("anti-forgery token"));
    assert!(expired.text.contains("value=\"zhao\""));
}

#[tokio::test]
async fn the_password_page_shows_every_problem_next_to_its_field_in_the_chosen_language() {
    let world = world().await;
    let fixture = small(&world).await;
    let request = json!({ "login": "sun", "display_name": "孙", "role": "branch_secretary", "scope_org": fixture.branch, "member_id": fixture.members[0] });
    let created = world
        .call("POST", "/api/v1/accounts", &fixture.admin, Some(&request))
        .await;
    let one_time = created.body["one_time_password"]
        .as_str()
        .expect("password")
        .to_string();
    let session = world.session("sun", &one_time).await;

    // A page of the site: its layout, the account, the notice about the one-time password.
    let page = world
        .send("GET", "/account/password", Some(&session), &[], "")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for expected in [
        "<html lang=\"zh-CN\">",
        "/assets/app.css?v=",
        "孙（sun）",
        "id=\"one-time-password\"",
        "id=\"lang-switch\"",
        "name=\"current_password\"",
    ] {
        assert!(page.text.contains(expected), "{expected}: {}", page.text);
    }

    // Every problem at once, each by its field, in English; no password typed is shown again.
    let cookie = format!("{}; zhibu_lang=en", session.cookie);
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("csrf_token", &session.csrf)
        .append_pair("current_password", "Not-The-Password")
        .append_pair("new_password", "short")
        .append_pair("new_password_again", "shorter");
    let refused = world
        .send(
            "POST",
            "/account/password",
            None,
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            &form.finish(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("<html lang=\"en\">"));
    assert!(
        element_text(&refused.text, "current_password-error")
            .contains("The current password is wrong")
    );
    assert!(
        refused
            .text
            .contains("the new password needs at least 10 characters")
    );
    assert!(
        element_text(&refused.text, "new_password_again-error").contains("differ"),
        "{}",
        refused.text
    );
    for typed in ["Not-The-Password", "value=\"short", "shorter"] {
        assert!(!refused.text.contains(typed), "{typed} is not shown again");
    }
    // Nothing changed: the one-time password still signs in.
    world.session("sun", &one_time).await;
}

/// The value of the input with `id` on a page.
fn input_with_id(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id}: {html}"));
    let rest = &html[start..];
    let value = rest.find("value=\"").expect("a value") + "value=\"".len();
    rest[value..]
        .split('"')
        .next()
        .expect("closing quote")
        .to_string()
}

/// The calendar feed route, public by token (issue 7): made-up and malformed tokens answer 404;
/// every actor makes the feeds it may (its own as a member, its branch's if it reads findings),
/// cannot make one of a branch outside its scope, fetches each without a session (a calendar that
/// shows nothing of the other side), revokes it, and then gets 404.
async fn walk_calendar_feeds(world: &World, actors: &[PageActor], sides: &[PageSide]) -> usize {
    let mut calls = 0;
    for uri in [
        format!("/feeds/{}.ics", "0".repeat(64)),
        format!("/feeds/{}", "a".repeat(64)),
        "/feeds/x.ics".to_string(),
    ] {
        let answer = world.send("GET", &uri, None, &[], "").await;
        check_page(
            &PageExpect::NotFound,
            &answer,
            &format!("GET {uri} signed out"),
            None,
            None,
            None,
        );
        calls += 1;
    }
    for actor in actors {
        let home = &sides[actor.home];
        let away = &sides[1 - actor.home];
        let away_for_actor = (!actor.is_administrator()).then_some(away);
        let reads_findings = actor.policy(Area::Findings, Action::Read) != Access::Denied;
        // A branch outside the scope is refused (the administrator's scope is everything).
        let outside = world
            .post_form(
                "/account/calendars",
                Some(&actor.session),
                &fields(&[("subject", &format!("branch:{}", away.side.branch))]),
                true,
            )
            .await;
        let expect = if actor.is_administrator() {
            PageExpect::Shows("/feeds/".into())
        } else {
            PageExpect::Invalid("请选择可以订阅的日历".into())
        };
        check_page(
            &expect,
            &outside,
            &format!("a feed of the other side's branch as {}", actor.login),
            Some(actor),
            None,
            None,
        );
        calls += 1;
        let mut subjects = Vec::new();
        if actor.member.is_some() {
            subjects.push("member".to_string());
        }
        if reads_findings {
            subjects.push(format!("branch:{}", home.side.branch));
        }
        for subject in subjects {
            let what = format!("the {subject} feed of {}", actor.login);
            let created = world
                .post_form(
                    "/account/calendars",
                    Some(&actor.session),
                    &fields(&[("subject", &subject)]),
                    true,
                )
                .await;
            check_page(
                &PageExpect::Shows("/feeds/".into()),
                &created,
                &what,
                Some(actor),
                None,
                away_for_actor,
            );
            let url = input_with_id(&created.text, "feed-url");
            let path = &url[url.find("/feeds/").expect("a feed path")..];
            let feed = world.send("GET", path, None, &[], "").await;
            check_page(
                &PageExpect::Shows("BEGIN:VCALENDAR".into()),
                &feed,
                &format!("GET {what} signed out"),
                Some(actor),
                None,
                away_for_actor,
            );
            assert_eq!(
                feed.headers[header::CONTENT_TYPE],
                "text/calendar; charset=utf-8",
                "{what}"
            );
            if subject.starts_with("branch:") {
                assert!(
                    feed.text.contains(&home.branch_name()),
                    "{what}: {}",
                    feed.text
                );
            }
            let row = "<tr id=\"feed-";
            let id: i64 = created.text[created.text.find(row).expect("a feed row") + row.len()..]
                .split('"')
                .next()
                .and_then(|digits| digits.parse().ok())
                .expect("the feed's id");
            let revoked = world
                .post_form(
                    &format!("/account/calendars/{id}/revoke"),
                    Some(&actor.session),
                    &[],
                    true,
                )
                .await;
            check_page(
                &PageExpect::RedirectTo("/account/calendars?revoked=1".into()),
                &revoked,
                &format!("revoke {what}"),
                Some(actor),
                None,
                None,
            );
            let gone = world.send("GET", path, None, &[], "").await;
            check_page(
                &PageExpect::NotFound,
                &gone,
                &format!("GET {what} after revoking it"),
                None,
                None,
                None,
            );
            calls += 3;
        }
    }
    calls
}
