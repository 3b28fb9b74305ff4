//! The dues pages (issue 4): a secretary records a payment from the branch's dues page and sees the
//! arrears go down; a double submission records one payment; bad input comes back by field in both
//! languages with nothing written; a member reads only their own ledger.

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
        "zhibu-dues-pages-test-{}-{nanos}-{}.db",
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

impl World {
    async fn post_form(
        &self,
        uri: &str,
        session: &Session,
        fields: &[(&str, &str)],
        csrf: bool,
    ) -> Answer {
        let mut form = form_urlencoded::Serializer::new(String::new());
        if csrf {
            form.append_pair("csrf_token", &session.csrf);
        }
        for (name, value) in fields {
            form.append_pair(name, value);
        }
        self.send(
            "POST",
            uri,
            Some(session),
            &[("content-type", "application/x-www-form-urlencoded")],
            &form.finish(),
        )
        .await
    }

    async fn page(&self, uri: &str, session: &Session) -> Answer {
        self.send("GET", uri, Some(session), &[], "").await
    }

    async fn payments(&self, admin: &Session, branch: i64) -> usize {
        let answer = self
            .call(
                "GET",
                &format!("/api/v1/dues-payments?subtree={branch}&limit=1000"),
                admin,
                None,
            )
            .await;
        answer.body["items"].as_array().expect("items").len()
    }
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
    secretary: Session,
    member: Session,
    branch: i64,
    /// 王芳 (3000.00 a month, pays 15.00) and 李强 (5000.00, pays 50.00); 李强 is the member account.
    wang: i64,
    li: i64,
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
    let wang = created(world, &admin, "/api/v1/members", &member("王芳", branch)).await;
    let li = created(world, &admin, "/api/v1/members", &member("李强", branch)).await;
    for (id, base) in [(wang, 300_000), (li, 500_000)] {
        created(
            world,
            &admin,
            "/api/v1/income-declarations",
            &json!({ "member_id": id, "branch_id": branch, "category": "salaried", "monthly_base": base, "effective_month": "2026-01" }),
        )
        .await;
    }
    // 王芳 paid January to March; 李强 paid January only.
    for month in ["2026-01", "2026-02", "2026-03"] {
        created(world, &admin, "/api/v1/dues-payments", &json!({ "member_id": wang, "branch_id": branch, "paid_on": format!("{month}-08"), "amount": 1500, "months_covered": [month], "method": "transfer" })).await;
    }
    created(world, &admin, "/api/v1/dues-payments", &json!({ "member_id": li, "branch_id": branch, "paid_on": "2026-01-08", "amount": 5000, "months_covered": ["2026-01"], "method": "cash" })).await;
    let secretary_password = world
        .account("secretary", Role::BranchSecretary, Some(branch), Some(wang))
        .await;
    let secretary = world.session("secretary", &secretary_password).await;
    let member_password = world
        .account("member", Role::Member, Some(branch), Some(li))
        .await;
    let member = world.session("member", &member_password).await;
    City {
        admin,
        secretary,
        member,
        branch,
        wang,
        li,
    }
}

/// The report for June 2026 (today is 2026-06-15): 王芳 owes April to June (45.00), 李强 February
/// to June (250.00). The secretary records 李强's 100.00 for February and March.
#[tokio::test]
async fn a_secretary_records_a_payment_and_the_arrears_go_down() {
    let world = world().await;
    let city = city(&world).await;
    let uri = format!("/branches/{}/dues?month=2026-06", city.branch);
    let page = world.page(&uri, &city.secretary).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("王芳") && page.text.contains("李强"));
    assert!(
        page.text.contains("<dd id=\"arrears-total\">295.00</dd>"),
        "{}",
        page.text
    );
    assert!(page.text.contains("<dd id=\"expected\">65.00</dd>"));
    assert!(page.text.contains("id=\"record-payment\""));
    assert!(
        page.text
            .contains(&format!("href=\"/members/{}/dues\"", city.li))
    );
    let key = page
        .text
        .split("name=\"idempotency_key\" value=\"")
        .nth(1)
        .expect("a key")
        .split('"')
        .next()
        .expect("key")
        .to_string();

    let li = city.li.to_string();
    let fields = [
        ("member_id", li.as_str()),
        ("amount", "100.00"),
        ("months_covered", "2026-02,2026-03"),
        ("paid_on", "2026-06-15"),
        ("method", "cash"),
        ("month", "2026-06"),
        ("idempotency_key", key.as_str()),
    ];
    let before = world.payments(&city.admin, city.branch).await;
    let answer = world
        .post_form(
            &format!("/branches/{}/dues/payments", city.branch),
            &city.secretary,
            &fields,
            true,
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
    let location = answer
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    assert_eq!(
        location,
        format!("/branches/{}/dues?month=2026-06&saved=payment", city.branch)
    );
    // A double tap: the same form again records nothing more.
    let again = world
        .post_form(
            &format!("/branches/{}/dues/payments", city.branch),
            &city.secretary,
            &fields,
            true,
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.text);
    assert_eq!(world.payments(&city.admin, city.branch).await, before + 1);

    let page = world.page(&location, &city.secretary).await;
    assert!(page.text.contains("id=\"dues-saved\""));
    assert!(
        page.text.contains("<dd id=\"arrears-total\">195.00</dd>"),
        "{}",
        page.text
    );
    assert!(page.text.contains("<dd id=\"collected\">100.00</dd>"));
    let ledger = world
        .page(
            &format!("/members/{}/dues?month=2026-06", city.li),
            &city.secretary,
        )
        .await;
    assert_eq!(ledger.status, StatusCode::OK);
    assert!(
        ledger
            .text
            .contains("<dd id=\"ledger-arrears\">150.00</dd>"),
        "{}",
        ledger.text
    );
}

/// Bad input comes back 422 with each error beside its field, in both languages, and nothing is
/// written; a form without the CSRF token is refused.
#[tokio::test]
async fn bad_payment_input_is_reported_by_field_and_nothing_is_written() {
    let world = world().await;
    let city = city(&world).await;
    let uri = format!("/branches/{}/dues/payments", city.branch);
    let wang = city.wang.to_string();
    let before = world.payments(&city.admin, city.branch).await;
    // (field changed, value, field whose error must show, text of the error)
    let table = [
        ("amount", "三千", "pay-amount", "三千"),
        ("amount", "-5", "pay-amount", "-5"),
        ("months_covered", "2026-13", "pay-months", "2026-13"),
        ("paid_on", "2026-02-30", "pay-date", "2026-02-30"),
    ];
    for (name, value, input_id, echoed) in table {
        let mut fields = vec![
            ("member_id", wang.as_str()),
            ("amount", "15.00"),
            ("months_covered", "2026-04"),
            ("paid_on", "2026-06-15"),
            ("method", "cash"),
            ("month", "2026-06"),
        ];
        for field in &mut fields {
            if field.0 == name {
                field.1 = value;
            }
        }
        let answer = world.post_form(&uri, &city.secretary, &fields, true).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}={value}: {}",
            answer.text
        );
        // The error follows its input, and the value typed is kept.
        let after_input = answer
            .text
            .split(&format!("id=\"{input_id}\""))
            .nth(1)
            .expect("the input");
        let block = after_input.split("</div>").next().expect("its block");
        assert!(
            block.contains("class=\"field-error\""),
            "{name}={value}: no error beside the field: {block}"
        );
        assert!(block.contains(echoed), "{name}={value}: {block}");
        // Chinese first, English in brackets.
        let error = block
            .split("class=\"field-error\">")
            .nth(1)
            .expect("error")
            .split("</p>")
            .next()
            .expect("text");
        assert!(
            error.chars().next().is_some_and(|c| !c.is_ascii())
                && error.contains('（')
                && error.is_char_boundary(0),
            "{error}"
        );
    }
    // Refused by storage: paid before the member was in the branch (posted from 2015-01-01).
    let fields = [
        ("member_id", wang.as_str()),
        ("amount", "15.00"),
        ("months_covered", "2014-12"),
        ("paid_on", "2014-12-08"),
        ("method", "cash"),
        ("month", "2026-06"),
    ];
    let answer = world.post_form(&uri, &city.secretary, &fields, true).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text
    );
    assert!(answer.text.contains("党费规定第九条"), "{}", answer.text);
    // Without the CSRF token.
    let fields = [
        ("member_id", wang.as_str()),
        ("amount", "15.00"),
        ("months_covered", "2026-04"),
        ("paid_on", "2026-06-15"),
        ("method", "cash"),
    ];
    let answer = world.post_form(&uri, &city.secretary, &fields, false).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        world.payments(&city.admin, city.branch).await,
        before,
        "nothing was written"
    );
}

/// A declaration recorded through the page changes the due from its month.
#[tokio::test]
async fn a_declaration_from_the_page_changes_the_due_from_its_month() {
    let world = world().await;
    let city = city(&world).await;
    let wang = city.wang.to_string();
    let fields = [
        ("member_id", wang.as_str()),
        ("category", "salaried"),
        ("monthly_base", "3000.01"),
        ("effective_month", "2026-06"),
        ("month", "2026-06"),
    ];
    let answer = world
        .post_form(
            &format!("/branches/{}/dues/declarations", city.branch),
            &city.secretary,
            &fields,
            true,
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
    // 3000.01 pays 1% of the whole base from June: 30.00; May stays 15.00.
    let june = world
        .page(
            &format!("/branches/{}/dues?month=2026-06", city.branch),
            &city.secretary,
        )
        .await;
    assert!(
        june.text.contains("<dd id=\"expected\">80.00</dd>"),
        "{}",
        june.text
    );
    let may = world
        .page(
            &format!("/branches/{}/dues?month=2026-05", city.branch),
            &city.secretary,
        )
        .await;
    assert!(
        may.text.contains("<dd id=\"expected\">65.00</dd>"),
        "{}",
        may.text
    );
    let bad = [
        ("member_id", wang.as_str()),
        ("category", "salaried"),
        ("monthly_base", "三千"),
        ("effective_month", "2026-06"),
    ];
    let answer = world
        .post_form(
            &format!("/branches/{}/dues/declarations", city.branch),
            &city.secretary,
            &bad,
            true,
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.text.contains("三千"));
}

/// A member reads their own ledger, linked from their member page, and nothing else of the dues.
#[tokio::test]
async fn a_member_reads_only_their_own_ledger() {
    let world = world().await;
    let city = city(&world).await;
    let own = world
        .page(&format!("/members/{}", city.li), &city.member)
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(
        own.text
            .contains(&format!("href=\"/members/{}/dues\"", city.li)),
        "{}",
        own.text
    );
    let ledger = world
        .page(&format!("/members/{}/dues", city.li), &city.member)
        .await;
    assert_eq!(ledger.status, StatusCode::OK, "{}", ledger.text);
    assert!(
        ledger
            .text
            .contains("<dd id=\"ledger-arrears\">250.00</dd>"),
        "{}",
        ledger.text
    );
    let theirs = world
        .page(&format!("/members/{}/dues", city.wang), &city.member)
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let branch = world
        .page(&format!("/branches/{}/dues", city.branch), &city.member)
        .await;
    assert_eq!(branch.status, StatusCode::FORBIDDEN);
    let li = city.li.to_string();
    let fields = [
        ("member_id", li.as_str()),
        ("amount", "50.00"),
        ("months_covered", "2026-02"),
        ("paid_on", "2026-06-15"),
        ("method", "cash"),
    ];
    let write = world
        .post_form(
            &format!("/branches/{}/dues/payments", city.branch),
            &city.member,
            &fields,
            true,
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    // The workspace links to the branch's dues page.
    let workspace = world
        .page(&format!("/branches/{}", city.branch), &city.secretary)
        .await;
    assert!(
        workspace
            .text
            .contains(&format!("href=\"/branches/{}/dues\"", city.branch))
    );
}
