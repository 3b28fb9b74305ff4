//! The admission, vote and election pages (issue 5), through the router against a branch of 20
//! members with a vote (plus a probationary member, one under 留党察看 and one with suspended
//! rights) in a real SQLite file: the entitlement is shown as frozen, a vote's result comes with its
//! arithmetic at the count boundaries (20 expected: 10 present fails, 11 passes), bad input is
//! refused naming the rule and the field with nothing written, and members are kept out.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use zhibu_core::RecordKind;
use zhibu_core::vote_records::{ElectionRecord, ElectionRoundRecord};
use zhibu_core::voting::{CandidateTally, ElectionTally, Tally};
use zhibu_core::{LeadershipForm, MemberId};
use zhibu_storage::ballot_suite::{Meeting20, meeting_of_20};
use zhibu_storage::{Backend, ChangeMeta, RecordQuery};
use zhibu_web::auth::Role;
use zhibu_web::auth::handlers::{NewAccountRequest, create_account};
use zhibu_web::{AppState, router};

const TODAY: &str = "2026-06-25";

struct App {
    router: Router,
    world: Meeting20,
    backend: Arc<dyn Backend>,
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

async fn app(present: usize) -> App {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "zhibu-admission-pages-{}-{}.db",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    let backend: Arc<dyn Backend> = Arc::new(backend);
    let world = meeting_of_20(backend.clone(), present).await;
    let today = NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").expect("date");
    App {
        router: router(AppState::with_fixed_today(world.repo.clone(), today)),
        world,
        backend,
    }
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

    async fn session(&self, login: &str, role: Role, member: MemberId) -> Session {
        let password = create_account(
            &self.world.repo,
            &NewAccountRequest {
                login: login.into(),
                display_name: login.into(),
                role,
                scope_org: Some(self.world.branch.0),
                member_id: Some(member.0),
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

    async fn post(&self, session: &Session, path: &str, fields: &[(&str, String)]) -> Page {
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

    async fn votes_stored(&self) -> usize {
        self.backend
            .list(&RecordQuery::all(RecordKind::Vote))
            .await
            .expect("list")
            .len()
    }

    async fn secretary(&self) -> Session {
        self.session("secretary", Role::BranchSecretary, self.world.voters[0])
            .await
    }
}

fn admission_vote(app: &App, yes: u32, no: u32) -> Vec<(&'static str, String)> {
    vec![
        ("question", "admission".into()),
        ("candidate", app.world.candidate.0.to_string()),
        ("method", "secret".into()),
        ("opened_at", "09:30".into()),
        ("yes", yes.to_string()),
        ("no", no.to_string()),
        ("abstain", "0".into()),
    ]
}

#[tokio::test]
async fn the_vote_page_shows_the_frozen_entitlement_and_eleven_of_twenty_pass_with_the_arithmetic()
{
    let app = app(11).await;
    let mut secretary = app.secretary().await;
    let meeting = app.world.meeting.0;
    let page = app
        .get(&secretary, &format!("/meetings/{meeting}/votes"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // 20 may vote, 11 of them present; the probationary member, the one under 留党察看 and the one
    // with suspended rights are listed as without a vote, with their status.
    assert!(
        page.body
            .contains("<p id=\"entitlement-counts\">20 / 11</p>"),
        "{}",
        page.body
    );
    for status in ["预备党员", "留党察看", "权利中止"] {
        assert!(page.body.contains(status), "shows {status}");
    }
    let answer = app
        .post(
            &secretary,
            &format!("/meetings/{meeting}/votes"),
            &admission_vote(&app, 11, 0),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let location = answer.headers[header::LOCATION]
        .to_str()
        .expect("location")
        .to_string();
    assert!(location.starts_with("/votes/"));
    let result = app.get(&secretary, &location).await;
    assert_eq!(result.status, StatusCode::OK);
    assert!(
        result.body.contains("id=\"vote-verdict\">通过<"),
        "{}",
        result.body
    );
    // Quorum: 11 > 20 × 1/2 = 10 (超过, strict); passage: 11 yes > 10.
    assert!(
        result
            .body
            .contains("须超过20 × 1/2 = 10；实际 11 &#62; 10？满足"),
        "{}",
        result.body
    );
    assert!(result.body.contains("RECRUIT.MEETING.QUORUM"));
    assert!(
        result
            .body
            .contains("RECRUIT.MEETING.MAJORITY_AND_WRITTEN_VOTES")
    );
    assert!(result.body.contains("张发展"));
    secretary.lang = "en";
    let english = app.get(&secretary, &location).await;
    assert!(
        english
            .body
            .contains("must be more than 20 × 1/2 = 10; 11 &#62; 10? met"),
        "{}",
        english.body
    );
    assert!(english.body.contains(">Passed<"));
}

#[tokio::test]
async fn ten_of_twenty_present_is_no_quorum_and_ten_yes_of_twenty_does_not_pass() {
    let app = app(10).await;
    let secretary = app.secretary().await;
    let meeting = app.world.meeting.0;
    let answer = app
        .post(
            &secretary,
            &format!("/meetings/{meeting}/votes"),
            &admission_vote(&app, 10, 0),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let location = answer.headers[header::LOCATION]
        .to_str()
        .expect("location")
        .to_string();
    let result = app.get(&secretary, &location).await;
    assert!(
        result.body.contains("到会人数不足，不能表决"),
        "{}",
        result.body
    );
    assert!(
        result.body.contains("实际 10 &#62; 10？不满足"),
        "{}",
        result.body
    );
}

#[tokio::test]
async fn bad_votes_are_refused_naming_the_rule_and_the_field_and_nothing_is_written() {
    let app = app(11).await;
    let secretary = app.secretary().await;
    let meeting = app.world.meeting.0;
    let path = format!("/meetings/{meeting}/votes");
    // A ballot count larger than those present.
    let page = app
        .post(&secretary, &path, &admission_vote(&app, 11, 1))
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("in_room："), "{}", page.body);
    assert!(
        page.body
            .contains("RECRUIT.MEETING.MAJORITY_AND_WRITTEN_VOTES")
    );
    // A vote on two candidates at once.
    let mut two = admission_vote(&app, 11, 0);
    two.push(("candidate", app.world.second_candidate.0.to_string()));
    let page = app.post(&secretary, &path, &two).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("question.candidates："), "{}", page.body);
    assert!(page.body.contains("RECRUIT.MEETING.ONE_BY_ONE"));
    // Admission by show of hands.
    let mut hands = admission_vote(&app, 11, 0);
    hands[2] = ("method", "hands".into());
    let page = app.post(&secretary, &path, &hands).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("method："), "{}", page.body);
    assert_eq!(app.votes_stored().await, 0, "nothing was written");
    // A good vote is kept; the same question again at the same meeting is refused: no one votes
    // twice.
    let first = app
        .post(&secretary, &path, &admission_vote(&app, 11, 0))
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let again = app
        .post(&secretary, &path, &admission_vote(&app, 11, 0))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("question："), "{}", again.body);
    assert_eq!(app.votes_stored().await, 1);
}

#[tokio::test]
async fn the_admission_overview_and_pipeline_show_deadlines_and_refuse_a_step_before_the_one_it_depends_on()
 {
    let app = app(11).await;
    let secretary = app.secretary().await;
    let branch = app.world.branch;
    let overview = app
        .get(&secretary, &format!("/branches/{branch}/admissions"))
        .await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    // Applied 2026-05-20: the talk was due by 2026-06-20; on 2026-06-25 it is 5 days overdue,
    // citing 第七条.
    assert!(overview.body.contains("张发展"));
    assert!(
        overview.body.contains("(2) 党组织派人谈话"),
        "{}",
        overview.body
    );
    assert!(overview.body.contains("2026年6月20日"));
    assert!(overview.body.contains("已过期5天"));
    assert!(overview.body.contains("RECRUIT.TALK.WITHIN_1_MONTH"));

    let record = app.world.candidate.0;
    let pipeline = app
        .get(&secretary, &format!("/admission-records/{record}"))
        .await;
    assert_eq!(pipeline.status, StatusCode::OK);
    for step in [
        "(1) 递交入党申请书",
        "(15) 支部大会讨论",
        "(25) 材料归档",
        "公示",
    ] {
        assert!(pipeline.body.contains(step), "the pipeline lists {step}");
    }
    let steps = format!("/admission-records/{record}/steps");
    // A talk dated before the application it follows.
    let page = app
        .post(
            &secretary,
            &steps,
            &[
                ("step", "application_talk".into()),
                ("date", "2026-05-10".into()),
                ("people", app.world.voters[0].0.to_string()),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(
        page.body.contains("application_talk.held_on："),
        "{}",
        page.body
    );
    assert!(page.body.contains("RECRUIT.TALK.WITHIN_1_MONTH"));
    // Late without a recorded reason: refused too, naming the rule.
    let page = app
        .post(
            &secretary,
            &steps,
            &[
                ("step", "application_talk".into()),
                ("date", "2026-06-24".into()),
                ("people", app.world.voters[0].0.to_string()),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    let history = app
        .world
        .repo
        .history(RecordKind::AdmissionRecord, record)
        .await
        .expect("history");
    assert_eq!(history.len(), 1, "nothing was written");
    // In time: saved, and the next step moves on.
    let page = app
        .post(
            &secretary,
            &steps,
            &[
                ("step", "application_talk".into()),
                ("date", "2026-06-10".into()),
                ("people", app.world.voters[0].0.to_string()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let pipeline = app
        .get(&secretary, &format!("/admission-records/{record}?saved=1"))
        .await;
    assert!(pipeline.body.contains("已保存该步骤"));
    assert!(pipeline.body.contains("2026年6月10日"));
    assert!(pipeline.body.contains("党员00"), "the talker is named");
}

#[tokio::test]
async fn the_election_page_shows_each_round_with_the_threshold_and_members_are_kept_out() {
    let app = app(20).await;
    let world = &app.world;
    let entitled: Vec<MemberId> = world.voters.clone();
    let candidates: Vec<MemberId> = world.voters[..4].to_vec();
    let election = ElectionRecord {
        org_id: world.branch,
        meeting_id: world.meeting,
        held_on: NaiveDate::from_ymd_opt(2026, 6, 20).expect("date"),
        previous_term: None,
        form: LeadershipForm::Committee,
        seats: 3,
        entitled,
        rounds: vec![ElectionRoundRecord {
            seats: 3,
            candidates: candidates.clone(),
            present: world.voters.clone(),
            ballots_issued: 20,
            ballots: ElectionTally {
                seats: 3,
                returned: 20,
                void: 0,
                candidates: candidates
                    .iter()
                    .zip([15, 12, 10, 3])
                    .map(|(candidate, yes)| CandidateTally {
                        candidate: *candidate,
                        tally: Tally {
                            yes,
                            no: 20 - yes,
                            abstain: 0,
                        },
                    })
                    .collect(),
            },
        }],
        seats_reduced_with_consent: None,
        secretary: None,
        deputy_secretary: None,
        reported_on: None,
        approval: None,
    };
    let stored = world
        .repo
        .create(election, &ChangeMeta::by("secretary"))
        .await
        .expect("election");
    let secretary = app.secretary().await;
    let page = app
        .get(&secretary, &format!("/elections/{}", stored.id))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // 20 of 20 present: more than 16. A winner at exactly half (10 of 20) is not elected.
    assert!(
        page.body.contains("20 &#62; 16？满足，选举有效"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("10 &#62; 20 ÷ 2 = 10？未超过半数"),
        "{}",
        page.body
    );
    assert!(page.body.contains("当选人数不足，差1名"), "{}", page.body);
    assert!(page.body.contains("尚未上报"));
    let list = app
        .get(&secretary, &format!("/branches/{}/elections", world.branch))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&format!("/elections/{}", stored.id)));

    let member = app.session("member", Role::Member, world.voters[5]).await;
    for path in [
        format!("/elections/{}", stored.id),
        format!("/branches/{}/admissions", world.branch),
        format!("/admission-records/{}", world.candidate.0),
        format!("/meetings/{}/votes", world.meeting.0),
    ] {
        let page = app.get(&member, &path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} for a member");
        assert!(!page.body.contains("张发展"));
    }
}

#[tokio::test]
async fn a_secret_ballot_on_a_shared_device_takes_each_voter_once_and_stores_only_the_register_and_totals()
 {
    let app = app(11).await;
    let secretary = app.secretary().await;
    let meeting = app.world.meeting.0;
    let mut open = admission_vote(&app, 0, 0);
    open[2] = ("method", "device".into());
    let page = app
        .post(&secretary, &format!("/meetings/{meeting}/votes"), &open)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let ballot_box = format!("/meetings/{meeting}/ballot-box");
    assert_eq!(page.headers[header::LOCATION], ballot_box.as_str());
    assert_eq!(
        app.votes_stored().await,
        0,
        "nothing is stored while the box is open"
    );
    // Eleven present: eight yes, two no, one abstains, in an order that is not the id order.
    let choices = [
        "no", "yes", "yes", "abstain", "yes", "yes", "no", "yes", "yes", "yes", "yes",
    ];
    for (index, choice) in choices.iter().enumerate() {
        let voter = app.world.voters[10 - index];
        let page = app
            .post(
                &secretary,
                &format!("{ballot_box}/cast"),
                &[
                    ("voter", voter.0.to_string()),
                    ("choice", (*choice).to_string()),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    // No one votes twice; someone absent does not vote in the room.
    let twice = app
        .post(
            &secretary,
            &format!("{ballot_box}/cast"),
            &[
                ("voter", app.world.voters[3].0.to_string()),
                ("choice", "no".into()),
            ],
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        twice.body.contains("already voted") || twice.body.contains("已经投过票"),
        "{}",
        twice.body
    );
    let absent = app
        .post(
            &secretary,
            &format!("{ballot_box}/cast"),
            &[
                ("voter", app.world.voters[15].0.to_string()),
                ("choice", "yes".into()),
            ],
        )
        .await;
    assert_eq!(absent.status, StatusCode::UNPROCESSABLE_ENTITY);
    let screen = app.get(&secretary, &ballot_box).await;
    assert!(screen.body.contains("11 / 11"), "{}", screen.body);
    assert!(
        !screen.body.contains("赞成 8"),
        "the screen shows no running totals"
    );
    let closed = app
        .post(&secretary, &format!("{ballot_box}/close"), &[])
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    let location = closed.headers[header::LOCATION]
        .to_str()
        .expect("location")
        .to_string();
    let result = app.get(&secretary, &location).await;
    assert!(
        result.body.contains("id=\"vote-verdict\">未通过<"),
        "8 yes of 20 expected: {}",
        result.body
    );
    // One version, the voters in id order, the totals.
    let votes = app
        .backend
        .list(&RecordQuery::all(RecordKind::Vote))
        .await
        .expect("votes");
    assert_eq!(votes.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&votes[0].body).expect("json");
    let expected: Vec<i64> = app.world.voters[..11].iter().map(|id| id.0).collect();
    assert_eq!(body["voted"], json!(expected));
    assert_eq!(body["in_room"], json!({ "yes": 8, "no": 2, "abstain": 1 }));
    let history = app
        .world
        .repo
        .history(RecordKind::Vote, votes[0].id)
        .await
        .expect("history");
    assert_eq!(history.len(), 1);
    // The box is gone once stored.
    let after = app.get(&secretary, &ballot_box).await;
    assert!(after.body.contains("没有正在进行的投票"));
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

/// A candidate of the branch whose pipeline has reached the branch committee's review (listed
/// 2025-03-10 under the 2014 text, sponsors 党员01 and 党员02, reviewed and trained).
async fn reviewed_candidate(app: &App) -> i64 {
    use zhibu_core::admission::{
        AdmissionPerson, AdmissionRecord, MentorAssignment, PersonTalk, SponsorAssignment, Training,
    };
    let voters = &app.world.voters;
    let mut record = AdmissionRecord::new(
        AdmissionPerson {
            name: "陈审批".into(),
            birth_date: day("1999-05-04"),
            branch_id: app.world.branch,
            mobile: false,
        },
        day("2024-01-10"),
    );
    record.application_talk = Some(PersonTalk {
        held_on: day("2024-01-25"),
        talkers: vec![voters[0]],
    });
    record.activist_determined_on = Some(day("2024-03-01"));
    record.activist_filed_on = Some(day("2024-03-05"));
    record.mentors = vec![MentorAssignment {
        member_id: voters[1],
        assigned_on: day("2024-03-01"),
        released_on: None,
    }];
    record.activist_reviews = vec![day("2024-08-30"), day("2025-02-28")];
    record.candidate_listed_on = Some(day("2025-03-10"));
    record.candidate_reported_to_upper_on = Some(day("2025-03-12"));
    record.sponsors = [voters[1], voters[2]]
        .into_iter()
        .map(|member_id| SponsorAssignment {
            member_id,
            assigned_on: day("2025-03-15"),
        })
        .collect();
    record.political_review_concluded_on = Some(day("2025-04-01"));
    record.training = Some(Training {
        finished_on: day("2025-04-10"),
        days: 3,
        hours: 24,
    });
    record.committee_review_on = Some(day("2025-04-20"));
    app.world
        .repo
        .create(record, &ChangeMeta::by("secretary"))
        .await
        .expect("a reviewed candidate")
        .id
}

async fn versions(app: &App, record: i64) -> usize {
    app.world
        .repo
        .history(RecordKind::AdmissionRecord, record)
        .await
        .expect("history")
        .len()
}

/// 细则 第二十二条 (RECRUIT.APPROVAL.PARTY_COMMITTEE_ONLY), 第二十一条 (RECRUIT.RESOLUTION.FIELDS):
/// the next-step form names the approving committee (judged by the rule: the branch itself is
/// refused, the 工委 above it is taken), records the papers received with a step, and records the
/// resolution's main performance and the secretary's signature with the vote, whose counts come
/// from the stored vote record.
#[tokio::test]
async fn the_form_records_the_approving_committee_documents_and_the_resolution_fields_xize2026_art21_art22()
 {
    let app = app(11).await;
    let secretary = app.secretary().await;
    let branch = app.world.branch;
    let record = reviewed_candidate(&app).await;
    let steps = format!("/admission-records/{record}/steps");
    let pipeline = app
        .get(&secretary, &format!("/admission-records/{record}"))
        .await;
    assert_eq!(pipeline.status, StatusCode::OK, "{}", pipeline.body);
    assert!(
        pipeline.body.contains("市直机关工委（工委）"),
        "the committees above are offered"
    );
    assert!(
        pipeline.body.contains("思想汇报（培养教育考察"),
        "{}",
        pipeline.body
    );

    // The branch itself cannot approve: refused, naming the rule and the field; nothing written.
    let page = app
        .post(
            &secretary,
            &steps,
            &[
                ("step", "pretrial".into()),
                ("date", "2025-04-25".into()),
                ("approving_committee", branch.0.to_string()),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains("approving_committee："), "{}", page.body);
    assert!(page.body.contains("RECRUIT.APPROVAL.PARTY_COMMITTEE_ONLY"));
    assert_eq!(versions(&app, record).await, 1, "nothing was written");
    // Named with a step that does not name it: refused by field.
    let page = app
        .post(
            &secretary,
            &steps,
            &[
                ("step", "application_form".into()),
                ("date", "2025-04-25".into()),
                ("approving_committee", branch.0.to_string()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("approving_committee："), "{}", page.body);

    // The working committee above the branch: taken.
    let root = app
        .world
        .repo
        .org_path(branch)
        .await
        .expect("path")
        .split('/')
        .find(|segment| !segment.is_empty())
        .expect("root")
        .to_string();
    let page = app
        .post(
            &secretary,
            &steps,
            &[
                ("step", "pretrial".into()),
                ("date", "2025-04-25".into()),
                ("approving_committee", root.clone()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let stored = app
        .world
        .repo
        .get::<zhibu_core::admission::AdmissionRecord>(zhibu_core::admission::AdmissionRecordId(
            record,
        ))
        .await
        .expect("record");
    assert_eq!(
        stored.body.approving_committee.map(|org| org.0.to_string()),
        Some(root)
    );

    // Papers: an unknown one is refused by field; people on a step that names no one too.
    for (name, value) in [("documents", "diary"), ("people", "999999")] {
        let page = app
            .post(
                &secretary,
                &steps,
                &[
                    ("step", "application_form".into()),
                    ("date", "2025-04-28".into()),
                    (name, value.into()),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(page.body.contains(&format!("{name}：")), "{}", page.body);
    }
    let page = app
        .post(
            &secretary,
            &steps,
            &[
                ("step", "application_form".into()),
                ("date", "2025-04-28".into()),
                ("people", app.world.voters[0].0.to_string()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("people："), "{}", page.body);
    assert_eq!(
        versions(&app, record).await,
        2,
        "only the pre-review was written"
    );
    let page = app
        .post(
            &secretary,
            &steps,
            &[
                ("step", "application_form".into()),
                ("date", "2025-04-28".into()),
                ("documents", "application_form".into()),
                ("other_document", "体检报告".into()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let pipeline = app
        .get(&secretary, &format!("/admission-records/{record}"))
        .await;
    assert!(
        pipeline.body.contains("入党志愿书 — 2025年4月28日"),
        "{}",
        pipeline.body
    );
    assert!(pipeline.body.contains("体检报告 — 2025年4月28日"));
    assert!(pipeline.body.contains("id=\"approving-committee\""));

    // The general meeting votes (11 of 20 present, 11 yes) and the step takes its counts from
    // the stored vote; the main performance without the secretary's signature is kept, and the
    // page names the missing field.
    let meeting = app.world.meeting.0;
    let mut vote = admission_vote(&app, 11, 0);
    vote[1] = ("candidate", record.to_string());
    let answer = app
        .post(&secretary, &format!("/meetings/{meeting}/votes"), &vote)
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let vote_id = answer.headers[header::LOCATION]
        .to_str()
        .expect("location")
        .trim_start_matches("/votes/")
        .to_string();
    // The resolution's fields belong to the vote step only.
    let page = app
        .post(
            &secretary,
            &steps,
            &[
                ("step", "upper_talk".into()),
                ("date", "2026-06-21".into()),
                ("people", app.world.voters[3].0.to_string()),
                ("main_performance", "工作积极".into()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("main_performance："), "{}", page.body);
    assert!(page.body.contains("RECRUIT.RESOLUTION.FIELDS"));
    let page = app
        .post(
            &secretary,
            &steps,
            &[
                ("step", "admission_vote".into()),
                ("date", "2026-06-20".into()),
                ("vote_id", vote_id.clone()),
                ("main_performance", "工作积极主动，群众评价好".into()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let pipeline = app
        .get(&secretary, &format!("/admission-records/{record}"))
        .await;
    assert!(
        pipeline.body.contains("id=\"resolution\""),
        "{}",
        pipeline.body
    );
    assert!(pipeline.body.contains("工作积极主动，群众评价好"));
    assert!(
        pipeline
            .body
            .contains("<dt>应到会有表决权的党员人数</dt><dd>20</dd>"),
        "{}",
        pipeline.body
    );
    assert!(
        pipeline
            .body
            .contains("<dt>实际到会有表决权的党员人数</dt><dd>11</dd>")
    );
    assert!(pipeline.body.contains("<dt>表决结果</dt><dd>通过</dd>"));
    assert!(
        pipeline
            .body
            .contains("<dt>党支部书记签名</dt><dd class=\"alert\">未记录</dd>"),
        "{}",
        pipeline.body
    );
    // Signed by the secretary: recorded.
    let page = app
        .post(
            &secretary,
            &steps,
            &[
                ("step", "admission_vote".into()),
                ("date", "2026-06-20".into()),
                ("vote_id", vote_id),
                ("main_performance", "工作积极主动，群众评价好".into()),
                ("signed_by_secretary", app.world.voters[0].0.to_string()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let stored = app
        .world
        .repo
        .get::<zhibu_core::admission::AdmissionRecord>(zhibu_core::admission::AdmissionRecordId(
            record,
        ))
        .await
        .expect("record");
    assert!(zhibu_core::admission::missing_resolution_fields(&stored.body).is_empty());
    let resolution = stored.body.admission_resolution.expect("a resolution");
    assert_eq!(resolution.signed_by_secretary, Some(app.world.voters[0]));
    let vote = stored.body.admission_vote.expect("the vote");
    assert_eq!((vote.counts.expected, vote.counts.present), (20, 11));
}

/// The people a step needs: a talk names its talkers (细则 第七条), an activist has one or two
/// mentors (第九条); a member id that is not of the branch is refused by field, never dropped.
#[tokio::test]
async fn the_form_refuses_a_step_without_the_people_it_needs_naming_the_rule_xize2026_art7_art9() {
    let app = app(11).await;
    let secretary = app.secretary().await;
    let record = app.world.candidate.0;
    let steps = format!("/admission-records/{record}/steps");
    let voters = &app.world.voters;
    let rows: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![
                ("step", "application_talk".into()),
                ("date", "2026-06-10".into()),
            ],
            "RECRUIT.TALK.WITHIN_1_MONTH",
        ),
        (
            vec![
                ("step", "application_talk".into()),
                ("date", "2026-06-10".into()),
                ("people", "党员00".into()),
            ],
            "people：",
        ),
        (
            vec![
                ("step", "assign_mentors".into()),
                ("date", "2026-06-10".into()),
                ("people", voters[1].0.to_string()),
                ("people", voters[2].0.to_string()),
                ("people", voters[3].0.to_string()),
            ],
            "RECRUIT.ACTIVIST.CONTACTS_1_2",
        ),
    ];
    for (fields, expected) in rows {
        let page = app.post(&secretary, &steps, &fields).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(page.body.contains("people："), "{}", page.body);
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    assert_eq!(versions(&app, record).await, 1, "nothing was written");
}

/// Lesser sanctions are facts on the member page, shown to the officers who may read it and to
/// the member, never to another member.
#[tokio::test]
async fn the_member_page_shows_a_lesser_sanction_to_those_who_may_read_it() {
    let app = app(11).await;
    let secretary = app.secretary().await;
    let warned = app.world.voters[3];
    let stored = app
        .world
        .repo
        .get::<zhibu_core::Member>(warned)
        .await
        .expect("member");
    let mut body = stored.body.clone();
    body.sanctions.push(zhibu_core::DisciplinarySanction {
        kind: zhibu_core::SanctionKind::Warning,
        decided_on: day("2026-01-15"),
        decided_by: "市直机关纪工委".into(),
        influence_ends_on: day("2027-01-14"),
    });
    app.world
        .repo
        .amend::<zhibu_core::Member>(
            warned,
            stored.version,
            body,
            &ChangeMeta::because("secretary", "记录警告处分"),
        )
        .await
        .expect("the sanction is recorded");
    let page = app.get(&secretary, &format!("/members/{warned}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"sanctions\""), "{}", page.body);
    for fact in [
        "警告",
        "2026-01-15",
        "市直机关纪工委",
        "2027-01-14",
        "影响期内",
    ] {
        assert!(page.body.contains(fact), "shows {fact}");
    }
    let own = app.session("warned", Role::Member, warned).await;
    let page = app.get(&own, &format!("/members/{warned}")).await;
    assert!(
        page.body.contains("市直机关纪工委"),
        "the member sees their own"
    );
    let other = app
        .session("other", Role::Member, app.world.voters[4])
        .await;
    let page = app.get(&other, &format!("/members/{warned}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("市直机关纪工委"));

    // A sponsor assigned within a warning's influence period (细则 第十四条: 不宜): the record is
    // kept, and its page says so, naming the field and the rule.
    let sponsor = app.world.voters[1];
    let stored = app
        .world
        .repo
        .get::<zhibu_core::Member>(sponsor)
        .await
        .expect("member");
    let mut body = stored.body.clone();
    body.sanctions.push(zhibu_core::DisciplinarySanction {
        kind: zhibu_core::SanctionKind::SeriousWarning,
        decided_on: day("2025-01-02"),
        decided_by: "市直机关纪工委".into(),
        influence_ends_on: day("2026-07-01"),
    });
    app.world
        .repo
        .amend::<zhibu_core::Member>(
            sponsor,
            stored.version,
            body,
            &ChangeMeta::because("secretary", "记录严重警告处分"),
        )
        .await
        .expect("the sanction is recorded");
    let record = reviewed_candidate(&app).await;
    let page = app
        .get(&secretary, &format!("/admission-records/{record}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"warnings\""), "{}", page.body);
    assert!(
        page.body.contains("sponsors[0].member_id：")
            && page.body.contains("不宜作入党介绍人")
            && page.body.contains("RECRUIT.INTRODUCERS_2"),
        "{}",
        page.body
    );
}
