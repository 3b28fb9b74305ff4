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
    .with_clock(clock.clone());
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
    let records = vec![
        (Area::Orgs, branch),
        // The record a member account can read: its own (the third member).
        (Area::Members, members[2]),
        (
            Area::Meetings,
            created(
                world,
                admin,
                "/api/v1/meetings",
                &meeting(branch, &members[..3]),
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
    ];
    Side {
        committee,
        branch,
        members,
        records,
    }
}

/// A new record of `area` in `side`, for creating (and, made by the administrator, for deleting).
fn new_body(area: Area, side: &Side, serial: usize) -> Value {
    match area {
        Area::Orgs => org(
            Some(side.branch),
            &format!("第{serial}党小组"),
            "party_group",
        ),
        Area::Members => member(&format!("新党员{serial}"), side.branch),
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
    for (area, id) in &outside.records {
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
