//! The dues API end to end (issue 4): records through `/api/v1`, the write-transaction checks,
//! the collection report and ledger computed from them, and who may read what.

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
use zhibu_web::auth::Role;
use zhibu_web::auth::handlers::{NewAccountRequest, create_account};
use zhibu_web::{AppState, router};

const TODAY: &str = "2026-06-15";

/// A clock fixed at the test's start.
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
    /// Kept so that the repository's clock lives as long as the world.
    _clock: Arc<TestClock>,
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
        "zhibu-dues-api-test-{}-{nanos}-{}.db",
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
        _clock: clock,
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

async fn created(world: &World, session: &Session, uri: &str, body: &Value) -> i64 {
    let answer = world.call("POST", uri, session, Some(body)).await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "POST {uri}: {}",
        answer.body
    );
    answer.body["id"].as_i64().expect("id")
}

struct City {
    admin: Session,
    committee: i64,
    branch: i64,
    other_branch: i64,
    /// Four members of `branch`: 3000.00, 3000.01, 5000.00 and 10000.01 a month.
    members: Vec<i64>,
    stranger: i64,
}

async fn city(world: &World) -> City {
    let password = world
        .account("admin", Role::Administrator, None, None)
        .await;
    let admin = world.session("admin", &password).await;
    let root = created(
        world,
        &admin,
        "/api/v1/orgs",
        &org(None, "市直机关工委", "working_committee"),
    )
    .await;
    let committee = created(
        world,
        &admin,
        "/api/v1/orgs",
        &org(Some(root), "财政局机关党委", "party_committee"),
    )
    .await;
    let branch = created(
        world,
        &admin,
        "/api/v1/orgs",
        &org(Some(committee), "办公室党支部", "branch"),
    )
    .await;
    let other_branch = created(
        world,
        &admin,
        "/api/v1/orgs",
        &org(Some(committee), "预算科党支部", "branch"),
    )
    .await;
    let mut members = Vec::new();
    for (index, base) in [300_000, 300_001, 500_000, 1_000_001]
        .into_iter()
        .enumerate()
    {
        let id = created(
            world,
            &admin,
            "/api/v1/members",
            &member(&format!("党员{index}"), branch),
        )
        .await;
        created(
            world,
            &admin,
            "/api/v1/income-declarations",
            &json!({ "member_id": id, "branch_id": branch, "category": "salaried", "monthly_base": base, "effective_month": "2026-01" }),
        )
        .await;
        members.push(id);
    }
    let stranger = created(
        world,
        &admin,
        "/api/v1/members",
        &member("外支部党员", other_branch),
    )
    .await;
    City {
        admin,
        committee,
        branch,
        other_branch,
        members,
        stranger,
    }
}

fn payment(
    branch: i64,
    member: i64,
    paid_on: &str,
    fen: i64,
    months: &[&str],
    method: &str,
) -> Value {
    json!({ "member_id": member, "branch_id": branch, "paid_on": paid_on, "amount": fen, "months_covered": months, "method": method })
}

/// Dues at every salaried band edge come out of the collection report as the rules say, payments
/// reduce arrears, and the remittance is what was collected.
#[tokio::test]
async fn the_collection_report_and_ledger_follow_the_records() {
    let world = world().await;
    let city = city(&world).await;
    let admin = &city.admin;
    // Everyone paid January to April except member 3, who paid nothing; member 0 paid May too.
    for (index, due) in [1_500, 3_000, 5_000, 20_000]
        .into_iter()
        .enumerate()
        .take(3)
    {
        for month in ["2026-01", "2026-02", "2026-03", "2026-04"] {
            created(
                &world,
                admin,
                "/api/v1/dues-payments",
                &payment(
                    city.branch,
                    city.members[index],
                    &format!("{month}-08"),
                    due,
                    &[month],
                    "transfer",
                ),
            )
            .await;
        }
    }
    created(
        &world,
        admin,
        "/api/v1/dues-payments",
        &payment(
            city.branch,
            city.members[0],
            "2026-05-09",
            1_500,
            &["2026-05"],
            "cash",
        ),
    )
    .await;

    let report = world
        .call(
            "GET",
            &format!("/api/v1/dues/collection?org={}&month=2026-05", city.branch),
            admin,
            None,
        )
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let lines = report.body["report"]["members"].as_array().expect("lines");
    assert_eq!(lines.len(), 4);
    let owed: Vec<i64> = lines
        .iter()
        .map(|line| line["owed"].as_i64().expect("owed"))
        .collect();
    // 0.5% of 3000.00; 1% of 3000.01 (whole base); 1% of 5000.00; 2% of 10000.01 (half up).
    assert_eq!(owed, vec![1_500, 3_000, 5_000, 20_000]);
    assert_eq!(report.body["report"]["expected"], 29_500);
    assert_eq!(
        report.body["report"]["collected"], 1_500,
        "only member 0 paid in May"
    );
    assert_eq!(
        report.body["report"]["remittance"]["total"], 1_500,
        "a branch remits everything by default"
    );
    // Arrears to date: members 1 and 2 owe May; member 3 owes January to May.
    assert_eq!(
        report.body["report"]["arrears_total"],
        3_000 + 5_000 + 5 * 20_000
    );

    // A payment by the secretary lowers member 3's arrears.
    let before = ledger(&world, admin, city.members[3]).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    assert_eq!(before.body["ledger"]["arrears"], 100_000);
    assert_eq!(
        before.body["ledger"]["unpaid_months"],
        json!(["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"])
    );
    created(
        &world,
        admin,
        "/api/v1/dues-payments",
        &payment(
            city.branch,
            city.members[3],
            "2026-05-20",
            40_000,
            &["2026-01", "2026-02"],
            "cash",
        ),
    )
    .await;
    let after = ledger(&world, admin, city.members[3]).await;
    assert_eq!(after.body["ledger"]["arrears"], 60_000);
    assert_eq!(
        after.body["ledger"]["unpaid_months"],
        json!(["2026-03", "2026-04", "2026-05"])
    );

    // Not a branch, a malformed month: refused naming the field.
    let committee = world
        .call(
            "GET",
            &format!(
                "/api/v1/dues/collection?org={}&month=2026-05",
                city.committee
            ),
            admin,
            None,
        )
        .await;
    assert_eq!(
        committee.status,
        StatusCode::BAD_REQUEST,
        "{}",
        committee.body
    );
    assert!(committee.text.contains("org"));
    let bad = world
        .call(
            "GET",
            &format!("/api/v1/dues/collection?org={}&month=2026-13", city.branch),
            admin,
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.text.contains("month"));
}

/// The write transaction checks a dues record against the member's postings and the org tree.
#[tokio::test]
async fn dues_records_are_checked_against_the_member_and_the_org_tree() {
    let world = world().await;
    let city = city(&world).await;
    let admin = &city.admin;
    // (body, status, field named in the error)
    let table = [
        // Paid to a branch the member does not belong to.
        (
            payment(
                city.other_branch,
                city.members[0],
                "2026-03-08",
                1_500,
                &["2026-03"],
                "cash",
            ),
            "branch_id",
        ),
        // The branch is a committee.
        (
            payment(
                city.committee,
                city.members[0],
                "2026-03-08",
                1_500,
                &["2026-03"],
                "cash",
            ),
            "branch_id",
        ),
        // Before the member joined the branch (posted from 2015-01-01).
        (
            payment(
                city.branch,
                city.members[0],
                "2014-12-08",
                1_500,
                &["2014-12"],
                "cash",
            ),
            "branch_id",
        ),
        // No months, a zero amount.
        (
            payment(city.branch, city.members[0], "2026-03-08", 0, &[], "cash"),
            "amount",
        ),
        // An income of -5 yuan.
        (
            json!({ "member_id": city.members[0], "branch_id": city.branch, "category": "salaried", "monthly_base": -500, "effective_month": "2026-03" }),
            "monthly_base",
        ),
        // A relief approved by the branch itself rather than an upper committee.
        (
            json!({ "member_id": city.members[0], "branch_id": city.branch, "from_month": "2026-03", "to_month": "2026-04", "kind": { "kind": "waive" }, "branch_decision_ref": "支委会决定", "upper_approval_ref": "文号", "approved_by": city.other_branch }),
            "approved_by",
        ),
        // A member of another branch declared here.
        (
            json!({ "member_id": city.stranger, "branch_id": city.branch, "category": "salaried", "monthly_base": 300000, "effective_month": "2026-03" }),
            "branch_id",
        ),
    ];
    for (body, field) in table {
        let uri = if body.get("paid_on").is_some() {
            "/api/v1/dues-payments"
        } else if body.get("from_month").is_some() {
            "/api/v1/dues-reliefs"
        } else {
            "/api/v1/income-declarations"
        };
        let answer = world.call("POST", uri, admin, Some(&body)).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            answer.body
        );
        assert!(answer.text.contains(field), "{field}: {}", answer.text);
    }
    // Approved by the upper committee: accepted.
    created(
        &world,
        admin,
        "/api/v1/dues-reliefs",
        &json!({ "member_id": city.members[0], "branch_id": city.branch, "from_month": "2026-03", "to_month": "2026-04", "kind": { "kind": "waive" }, "branch_decision_ref": "支委会决定", "upper_approval_ref": "机关党委〔2026〕5号", "approved_by": city.committee }),
    )
    .await;
}

/// A member reads their own ledger and dues records and nobody else's, and never the branch's
/// collection report; the secretary reads the branch's; another branch's secretary sees nothing.
#[tokio::test]
async fn members_read_only_their_own_dues() {
    let world = world().await;
    let city = city(&world).await;
    let member_password = world
        .account(
            "member",
            Role::Member,
            Some(city.branch),
            Some(city.members[1]),
        )
        .await;
    let member = world.session("member", &member_password).await;
    let secretary_password = world
        .account(
            "secretary",
            Role::BranchSecretary,
            Some(city.branch),
            Some(city.members[0]),
        )
        .await;
    let secretary = world.session("secretary", &secretary_password).await;
    let other_password = world
        .account(
            "other",
            Role::BranchSecretary,
            Some(city.other_branch),
            Some(city.stranger),
        )
        .await;
    let other = world.session("other", &other_password).await;

    let own = world
        .call(
            "GET",
            &format!("/api/v1/members/{}/dues-ledger", city.members[1]),
            &member,
            None,
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    let theirs = world
        .call(
            "GET",
            &format!("/api/v1/members/{}/dues-ledger", city.members[2]),
            &member,
            None,
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let report = world
        .call(
            "GET",
            &format!("/api/v1/dues/collection?org={}", city.branch),
            &member,
            None,
        )
        .await;
    assert_eq!(report.status, StatusCode::FORBIDDEN);
    let declarations = world
        .call(
            "GET",
            "/api/v1/income-declarations?limit=100",
            &member,
            None,
        )
        .await;
    assert_eq!(declarations.status, StatusCode::OK, "{}", declarations.body);
    let items = declarations.body["items"].as_array().expect("items");
    assert_eq!(
        items.len(),
        1,
        "only their own income: {}",
        declarations.body
    );
    assert_eq!(items[0]["body"]["member_id"], city.members[1]);
    // A member cannot record a payment, even their own.
    let write = world
        .call(
            "POST",
            "/api/v1/dues-payments",
            &member,
            Some(&payment(
                city.branch,
                city.members[1],
                "2026-03-08",
                3_000,
                &["2026-03"],
                "cash",
            )),
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);

    let report = world
        .call(
            "GET",
            &format!("/api/v1/dues/collection?org={}&month=2026-03", city.branch),
            &secretary,
            None,
        )
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    created(
        &world,
        &secretary,
        "/api/v1/dues-payments",
        &payment(
            city.branch,
            city.members[1],
            "2026-03-08",
            3_000,
            &["2026-03"],
            "cash",
        ),
    )
    .await;

    let elsewhere = world
        .call(
            "GET",
            &format!("/api/v1/dues/collection?org={}&month=2026-03", city.branch),
            &other,
            None,
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::BAD_REQUEST);
    let ledger = world
        .call(
            "GET",
            &format!("/api/v1/members/{}/dues-ledger", city.members[1]),
            &other,
            None,
        )
        .await;
    assert_eq!(ledger.status, StatusCode::NOT_FOUND);
}

async fn ledger(world: &World, session: &Session, id: i64) -> Answer {
    let uri = format!("/api/v1/members/{id}/dues-ledger?from=2026-01&to=2026-05");
    world.call("GET", &uri, session, None).await
}
