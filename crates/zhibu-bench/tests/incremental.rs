//! The incremental re-check gives the same findings as a full re-check.
//!
//! A small generated city is written through the bulk path; the chunked full pass must equal the
//! engine's `evaluate` over the whole tenant; then seeded random edits go through the repository
//! (validated like any write: attendance changed, meetings recorded, re-kinded and deleted, talks
//! recorded, members transferred between departments, findings exempted, a branch renamed, a
//! department's local rule), and after each one the incremental catch-up must give exactly the
//! findings of a fresh `evaluate`. The stored findings (migration 5), kept by two
//! `FindingsKeeper`s taking turns as two servers would, must equal the same fresh evaluation after
//! every edit, and again after "today" moves. Runs on SQLite always, and on PostgreSQL when
//! `ZHIBU_TEST_POSTGRES_URL` is set (required when `ZHIBU_REQUIRE_POSTGRES=1`).

use std::io::Write;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use sqlx::{AssertSqlSafe, Connection};
use zhibu_bench::city::{BENCH_YEAR, bench_today, city_config, load_city};
use zhibu_core::engine::{self, EvaluationRequest, Finding};
use zhibu_core::rules::{Catalogue, Citation, LocalRule, LocalRuleAction};
use zhibu_core::{
    AttendanceState, BranchPosting, Exemption, HeartToHeartTalk, Meeting, MeetingId, Member,
    MemberId, Org, OrgId, OrgLevel, Stored, TalkId,
};
use zhibu_demo::generate;
use zhibu_storage::recheck::{RecheckScope, Rechecker};
use zhibu_storage::stored::{finding_store, horizon_for, month_counted};
use zhibu_storage::{
    Backend, ChangeMeta, FindingFilter, FindingsKeeper, FindingsState, ListRequest, Replace,
    Repository, StatusFilter, StorageError, tenant_end,
};

const BRANCHES: u32 = 40;
const EDITS: u32 = 60;
/// Small chunks, so that transfers and exemptions cross chunk boundaries.
const CHUNK: usize = 6;

fn scope(tenant: OrgId) -> RecheckScope {
    RecheckScope {
        tenant,
        year: BENCH_YEAR,
        today: bench_today(),
        horizon_days: 30,
    }
}

fn day(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(BENCH_YEAR, month, day).expect("a valid date")
}

/// What a fresh evaluation of the whole tenant says now.
async fn reference(repository: &Repository, scope: RecheckScope) -> Vec<Finding> {
    let request = scope.request();
    let snapshot = repository
        .load_snapshot(scope.tenant, request.from, request.to)
        .await
        .expect("load the tenant");
    engine::evaluate(repository.catalogue(), &snapshot, &request).findings
}

fn describe_difference(left: &[Finding], right: &[Finding]) -> String {
    let keys = |list: &[Finding]| {
        list.iter()
            .map(|finding| finding.key.clone())
            .collect::<std::collections::BTreeSet<_>>()
    };
    let (l, r) = (keys(left), keys(right));
    let only_left: Vec<_> = l.difference(&r).take(5).collect();
    let only_right: Vec<_> = r.difference(&l).take(5).collect();
    let changed = left
        .iter()
        .zip(right)
        .find(|(a, b)| a != b)
        .map(|(a, b)| format!("first different pair:\n  incremental {a:?}\n  fresh       {b:?}"))
        .unwrap_or_default();
    format!(
        "{} vs {} findings; only incremental: {only_left:?}; only fresh: {only_right:?}; {changed}",
        left.len(),
        right.len()
    )
}

async fn all<T: zhibu_core::Record>(
    repository: &Repository,
    subtree: OrgId,
    from: Option<NaiveDate>,
) -> Vec<Stored<T>> {
    let mut items = Vec::new();
    let mut after = None;
    loop {
        let page = repository
            .list::<T>(&ListRequest {
                subtree: Some(subtree),
                event_from: from,
                after_id: after,
                limit: Some(1000),
                ..ListRequest::default()
            })
            .await
            .expect("list");
        items.extend(page.items);
        match page.next_after {
            Some(next) => after = Some(next),
            None => return items,
        }
    }
}

/// Brings the stored findings up to date through `keeper` as of `today` and compares them with a
/// fresh evaluation; returns the state.
async fn stored_equals_fresh(
    repository: &Repository,
    keeper: &FindingsKeeper,
    tenant: OrgId,
    today: NaiveDate,
    what: &str,
) -> FindingsState {
    let state = keeper
        .refresh_now(tenant.0, BENCH_YEAR, today)
        .await
        .expect("refresh the stored findings");
    let head = repository
        .backend()
        .chain_head()
        .await
        .expect("head")
        .map_or(0, |head| head.seq);
    assert_eq!(
        (state.generation, state.as_of, state.horizon_days),
        (head, today, horizon_for(today)),
        "{what}: the state names the chain head and the day"
    );
    let stored = finding_store(repository)
        .expect("store")
        .list_findings(
            tenant.0,
            BENCH_YEAR,
            &FindingFilter {
                path_from: format!("/{tenant}/"),
                path_to: tenant_end(tenant.0),
                month: None,
                rule: None,
                status: StatusFilter::All,
                limit: u32::MAX / 2,
            },
        )
        .await
        .expect("list the stored findings");
    for row in &stored {
        assert_eq!(
            row.month,
            month_counted(&row.finding, BENCH_YEAR, today),
            "{what}: the month a finding is counted in"
        );
    }
    let mut findings: Vec<Finding> = stored.into_iter().map(|row| row.finding).collect();
    engine::sort_findings(&mut findings);
    let fresh = reference(
        repository,
        RecheckScope {
            tenant,
            year: BENCH_YEAR,
            today,
            horizon_days: horizon_for(today),
        },
    )
    .await;
    assert!(
        findings == fresh,
        "{what}: the stored findings differ from a fresh evaluation: {}",
        describe_difference(&findings, &fresh)
    );
    state
}

/// A splitmix64 stream: the edits are the same on every run.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// Accepts a refusal by validation (an edit that does not fit the data, e.g. an attendee not yet in
/// the branch on the new day) as "no edit"; anything else fails the test.
fn applied<T>(outcome: Result<T, StorageError>) -> bool {
    match outcome {
        Ok(_) => true,
        Err(StorageError::Invalid(_)) => false,
        Err(other) => panic!("the edit failed: {other}"),
    }
}

/// Records, in `branch`, a general meeting before May with a vote that cannot pass (one yes), so
/// that the branch has a finding that counts its voters on that day: whoever belonged to the branch
/// then, including members whose records later move elsewhere.
async fn failing_vote(
    repository: &Repository,
    branch: OrgId,
    meetings: &[Stored<Meeting>],
    stream: &mut Stream,
) -> bool {
    let general: Vec<&Stored<Meeting>> = meetings
        .iter()
        .filter(|meeting| {
            meeting.body.org_id == branch
                && meeting.body.held_on < day(5, 1)
                && meeting
                    .body
                    .is_kind(zhibu_core::MeetingKind::GeneralMeeting)
        })
        .collect();
    let Some(meeting) = stream.pick(&general) else {
        return false;
    };
    let mut vote = meeting.body.clone();
    vote.held_on = vote
        .held_on
        .with_day(1 + stream.below(27) as u32)
        .unwrap_or(vote.held_on);
    vote.minutes = "表决".to_string();
    vote.resolutions = vec![zhibu_core::Resolution {
        subject: "关于推荐优秀党员的决定".to_string(),
        yes: 1,
        no: 0,
        abstain: 0,
        recorded_outcome: zhibu_core::RecordedOutcome::Passed,
    }];
    applied(repository.create(vote, &ChangeMeta::by("tester")).await)
}

fn applied_vote_label(done: bool) -> Option<String> {
    done.then(|| "a vote that cannot pass".to_string())
}

async fn applied_vote(
    repository: &Repository,
    branch: OrgId,
    meetings: &[Stored<Meeting>],
    stream: &mut Stream,
) -> Option<String> {
    applied_vote_label(failing_vote(repository, branch, meetings, stream).await)
}

/// A branch holding a vote that cannot pass, and one of its full members who could vote on that
/// day, sits on no committee and has been in the branch since before the vote.
async fn voter_to_move(
    repository: &Repository,
    tenant: OrgId,
    orgs: &[Stored<Org>],
    stream: &mut Stream,
) -> Option<(Stored<Org>, Stored<Member>)> {
    let votes: Vec<Stored<Meeting>> = all::<Meeting>(repository, tenant, Some(day(1, 1)))
        .await
        .into_iter()
        .filter(|meeting| {
            meeting
                .body
                .resolutions
                .iter()
                .any(|resolution| resolution.yes == 1)
        })
        .collect();
    let vote = stream.pick(&votes)?.clone();
    let source = orgs
        .iter()
        .find(|org| org.id == vote.body.org_id.0)?
        .clone();
    let terms = all::<zhibu_core::CommitteeTerm>(repository, OrgId(source.id), None).await;
    let members = all::<Member>(repository, OrgId(source.id), None).await;
    let voters: Vec<&Stored<Member>> = members
        .iter()
        .filter(|member| {
            member.body.postings.last().is_some_and(|posting| {
                posting.branch_id.0 == source.id
                    && posting.until.is_none()
                    && posting.from < vote.body.held_on
            }) && member
                .body
                .status_on(vote.body.held_on)
                .is_some_and(|status| status.has_voting_rights())
                && !terms.iter().any(|term| {
                    term.body
                        .positions
                        .iter()
                        .any(|position| position.member_id.0 == member.id)
                })
        })
        .collect();
    let member = (*stream.pick(&voters)?).clone();
    Some((source, member))
}

/// One random edit through the repository. Returns what it did, or `None` if it did not apply.
async fn random_edit(
    repository: &Repository,
    tenant: OrgId,
    stream: &mut Stream,
    fresh: &[Finding],
) -> Option<String> {
    let orgs = all::<Org>(repository, tenant, None).await;
    let branches: Vec<&Stored<Org>> = orgs
        .iter()
        .filter(|org| org.body.level == OrgLevel::Branch)
        .collect();
    let branch = *stream.pick(&branches)?;
    let branch_id = OrgId(branch.id);
    let meetings: Vec<Stored<Meeting>> =
        all::<Meeting>(repository, branch_id, Some(day(1, 1))).await;
    let because = |reason: &str| ChangeMeta::because("tester", reason);
    let by = ChangeMeta::by("tester");
    match stream.below(100) {
        0..26 => {
            let meeting = stream.pick(&meetings)?.clone();
            let mut body = meeting.body.clone();
            let entry = stream.pick(&body.attendance.clone())?.clone();
            let at = body
                .attendance
                .iter()
                .position(|item| item.member_id == entry.member_id)?;
            body.attendance[at].state = match entry.state {
                AttendanceState::Present => AttendanceState::Absent,
                _ => AttendanceState::Present,
            };
            applied(
                repository
                    .amend(
                        MeetingId(meeting.id),
                        meeting.version,
                        body,
                        &because("更正出席"),
                    )
                    .await,
            )
            .then(|| {
                format!(
                    "attendance of member {} at meeting {}",
                    entry.member_id, meeting.id
                )
            })
        }
        26..34 => {
            let meeting = stream.pick(&meetings)?.clone();
            let mut body = meeting.body.clone();
            body.held_on = body
                .held_on
                .with_day(1 + stream.below(27) as u32)
                .unwrap_or(body.held_on);
            body.minutes = "补录".to_string();
            applied(repository.create(body, &by).await)
                .then(|| format!("a copy of meeting {}", meeting.id))
        }
        34..40 => {
            let meeting = stream.pick(&meetings)?.clone();
            applied(
                repository
                    .delete::<Meeting>(MeetingId(meeting.id), meeting.version, &because("误录"))
                    .await,
            )
            .then(|| format!("deleted meeting {}", meeting.id))
        }
        40..46 => {
            let several: Vec<&Stored<Meeting>> = meetings
                .iter()
                .filter(|meeting| meeting.body.kinds.len() > 1)
                .collect();
            let meeting = (*stream.pick(&several)?).clone();
            let mut body = meeting.body.clone();
            body.kinds.remove(stream.below(body.kinds.len()));
            applied(
                repository
                    .amend(
                        MeetingId(meeting.id),
                        meeting.version,
                        body,
                        &because("更正会议类型"),
                    )
                    .await,
            )
            .then(|| format!("a kind off meeting {}", meeting.id))
        }
        46..54 => {
            let talks = all::<HeartToHeartTalk>(repository, branch_id, Some(day(1, 1))).await;
            let talk = stream.pick(&talks)?.clone();
            let mut body = talk.body.clone();
            body.held_on = day(1 + stream.below(12) as u32, 1 + stream.below(27) as u32);
            let created = applied(repository.create(body, &by).await);
            // Sometimes the original is amended to another day too.
            let moved = stream.below(2) == 0 && {
                let mut body = talk.body.clone();
                body.held_on = day(12, 20);
                applied(
                    repository
                        .amend(TalkId(talk.id), talk.version, body, &because("更正日期"))
                        .await,
                )
            };
            (created || moved).then(|| format!("talks like {}", talk.id))
        }
        54..60 => applied_vote(repository, branch_id, &meetings, stream).await,
        60..68 => {
            // A member transfers to a branch of another department. Their old branch holds a vote
            // that counts them among the voters of its day, and nothing else of that branch names
            // them (their talks there are deleted first): the old branch's findings now depend on
            // a member whose record is kept under another branch's path.
            let (source, member) = voter_to_move(repository, tenant, &orgs, stream).await?;
            let elsewhere: Vec<&&Stored<Org>> = branches
                .iter()
                .filter(|other| other.body.parent_id != source.body.parent_id)
                .collect();
            let target = OrgId(stream.pick(&elsewhere)?.id);
            let on = day(6 + stream.below(6) as u32, 1 + stream.below(27) as u32);
            for talk in all::<HeartToHeartTalk>(repository, OrgId(source.id), None)
                .await
                .iter()
                .filter(|talk| talk.body.involves(MemberId(member.id)))
            {
                applied(
                    repository
                        .delete::<HeartToHeartTalk>(TalkId(talk.id), talk.version, &because("误录"))
                        .await,
                );
            }
            let mut body = member.body.clone();
            let last = body.postings.len() - 1;
            body.postings[last].until = Some(on);
            body.postings[last].transferred_out_to = Some("另一党支部".to_string());
            body.postings.push(BranchPosting {
                branch_id: target,
                group_id: None,
                from: on,
                until: None,
                transferred_in_from: Some(source.body.name.clone()),
                transferred_out_to: None,
            });
            applied(
                repository
                    .amend(
                        MemberId(member.id),
                        member.version,
                        body,
                        &because("组织关系转接"),
                    )
                    .await,
            )
            .then(|| {
                format!(
                    "transferred member {} from {} to {target} on {on}",
                    member.id, source.id
                )
            })
        }
        68..76 => {
            // A member's record corrected: they were entered in the wrong branch. Only the version
            // before names the old branch, whose vote then counts one voter fewer.
            let (source, member) = voter_to_move(repository, tenant, &orgs, stream).await?;
            let elsewhere: Vec<&&Stored<Org>> = branches
                .iter()
                .filter(|other| other.id != source.id)
                .collect();
            let target = OrgId(stream.pick(&elsewhere)?.id);
            let mut body = member.body.clone();
            let last = body.postings.len() - 1;
            body.postings[last].branch_id = target;
            body.postings[last].group_id = None;
            applied(
                repository
                    .amend(
                        MemberId(member.id),
                        member.version,
                        body,
                        &because("更正所在支部"),
                    )
                    .await,
            )
            .then(|| {
                format!(
                    "member record {} corrected from {} to branch {target}",
                    member.id, source.id
                )
            })
        }
        76..86 => {
            // An exemption for a finding of this branch (or one of its groups), from its department.
            let mine: Vec<&Finding> = fresh
                .iter()
                .filter(|finding| {
                    finding.org_id == branch_id
                        || orgs.iter().any(|org| {
                            org.id == finding.org_id.0 && org.body.parent_id == Some(branch_id)
                        })
                })
                .collect();
            let finding = *stream.pick(&mine)?;
            let department = branch.body.parent_id?;
            let exemption = Exemption {
                org_id: finding.org_id,
                finding_key: finding.key.clone(),
                granted_by: department,
                granted_on: day(12, 1),
                reason: "经党委研究同意".to_string(),
            };
            applied(repository.create(exemption, &by).await)
                .then(|| format!("exempted {}", finding.key))
        }
        86..94 => {
            let mut body = branch.body.clone();
            body.name = format!("{}（更名）", body.name);
            applied(
                repository
                    .amend(branch_id, branch.version, body, &because("更名"))
                    .await,
            )
            .then(|| format!("renamed branch {branch_id}"))
        }
        _ => {
            let department = branch.body.parent_id?;
            let rule = LocalRule {
                issued_by: department,
                document: Citation {
                    document: "《关于规范主题党日的通知》".to_string(),
                    article: "第二条".to_string(),
                    quote: "主题党日固定在每月15日。".to_string(),
                    source: None,
                },
                effective_from: day(1, 1),
                effective_to: None,
                action: LocalRuleAction::Tighten {
                    rule_id: "BRANCH.THEME_DAY.MONTHLY".to_string(),
                    parameters: serde_json::json!({ "fixed_day_of_month": 15 }),
                    severity: None,
                },
            };
            applied(repository.create(rule, &by).await)
                .then(|| format!("a local rule of {department}"))
        }
    }
}

async fn incremental_equals_full(backend: Arc<dyn Backend>) {
    let repository = Repository::new(backend, Arc::new(Catalogue::national().expect("catalogue")));
    let loaded = load_city(&repository, &city_config(11, BRANCHES))
        .await
        .expect("load the city");
    let scope = scope(loaded.root);
    assert!(
        loaded.member_transfers > 0,
        "the city has transfers between branches"
    );

    let (mut rechecker, stats) = Rechecker::full(&repository, scope, CHUNK)
        .await
        .expect("full pass");
    assert!(stats.chunks > 3, "the pass is split into chunks: {stats:?}");
    let mut fresh = reference(&repository, scope).await;
    assert!(!fresh.is_empty(), "the city has findings to compare");
    let full = rechecker.report().findings;
    assert!(
        full == fresh,
        "the chunked full pass differs from evaluate: {}",
        describe_difference(&full, &fresh)
    );

    // Two keepers of the stored findings, as two servers on one database would be.
    let keepers = [
        FindingsKeeper::new(repository.clone()),
        FindingsKeeper::new(repository.clone()),
    ];
    let today = bench_today();
    assert_eq!(horizon_for(today), scope.horizon_days);
    let mut stream = Stream(20_260_601);
    // "Today" moves: first a day inside the year (duties coming due, periods not yet ended), a
    // write on that day (applied to the stored rows by the other keeper, which resumes from what
    // is stored), then the next day, which rebuilds everything.
    let in_year = day(11, 16);
    stored_equals_fresh(&repository, &keepers[0], scope.tenant, in_year, "16 Nov").await;
    while random_edit(&repository, scope.tenant, &mut stream, &fresh)
        .await
        .is_none()
    {}
    stored_equals_fresh(
        &repository,
        &keepers[1],
        scope.tenant,
        in_year,
        "a write on 16 Nov",
    )
    .await;
    stored_equals_fresh(&repository, &keepers[0], scope.tenant, today, "1 Jan").await;

    let mut done = Vec::new();
    let mut attempts = 0;
    while done.len() < EDITS as usize {
        attempts += 1;
        assert!(attempts < EDITS * 10, "too few edits applied: {done:?}");
        let Some(edit) = random_edit(&repository, scope.tenant, &mut stream, &fresh).await else {
            continue;
        };
        let outcome = rechecker.catch_up().await.expect("catch up");
        assert!(outcome.changes >= 1, "{edit}: the catch-up saw the write");
        fresh = reference(&repository, scope).await;
        let incremental = rechecker.report().findings;
        assert!(
            incremental == fresh,
            "after edit {} ({edit}; {} branches re-checked, full pass: {}): {}",
            done.len() + 1,
            outcome.branches.len(),
            outcome.full,
            describe_difference(&incremental, &fresh)
        );
        let keeper = &keepers[done.len() % 2];
        stored_equals_fresh(
            &repository,
            keeper,
            scope.tenant,
            today,
            &format!("after edit {} ({edit})", done.len() + 1),
        )
        .await;
        done.push(edit);
    }

    // A catch-up from another generation than the stored one is refused, writing nothing.
    let store = finding_store(&repository).expect("store");
    let state = store
        .findings_state(scope.tenant.0, BENCH_YEAR)
        .await
        .expect("state")
        .expect("stored");
    assert!(
        !store
            .store_findings(
                &FindingsState {
                    generation: state.generation + 5,
                    ..state.clone()
                },
                Replace::Branches {
                    paths: &[format!("/{}/", scope.tenant)],
                    expected_generation: state.generation - 1,
                },
                &[],
            )
            .await
            .expect("store"),
        "a stale catch-up is refused"
    );
    assert_eq!(
        store
            .findings_state(scope.tenant.0, BENCH_YEAR)
            .await
            .expect("state"),
        Some(state.clone())
    );
    // A server whose clock is behind does not take the stored findings back to an earlier day.
    let kept = keepers[1]
        .refresh_now(scope.tenant.0, BENCH_YEAR, in_year)
        .await
        .expect("refresh");
    assert_eq!(
        kept.as_of, today,
        "the stored findings stay on the later day"
    );
    // Every kind of edit was exercised.
    for what in [
        "attendance",
        "copy of meeting",
        "deleted meeting",
        "a kind off",
        "talks like",
        "vote",
        "transferred",
        "corrected",
        "exempted",
        "renamed",
        "local rule",
    ] {
        assert!(
            done.iter().any(|edit| edit.contains(what)),
            "no edit of the kind {what:?} in {done:#?}"
        );
    }
    // A second full pass over the edited data agrees too, and the store verifies.
    let (again, _) = Rechecker::full(&repository, scope, CHUNK)
        .await
        .expect("full pass again");
    assert!(
        again.report().findings == fresh,
        "{}",
        describe_difference(&again.report().findings, &fresh)
    );
    assert!(
        again.foreign_postings() > 0,
        "transfers left postings outside the members' branches"
    );
    let report = repository.verify().await.expect("verify");
    assert!(report.is_intact(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_recheck_equals_a_full_recheck_on_sqlite() {
    let path = std::env::temp_dir().join(format!("zhibu-incremental-{}.db", std::process::id()));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open SQLite");
    backend.migrate().await.expect("migrate");
    incremental_equals_full(Arc::new(backend.clone())).await;
    backend.pool().close().await;
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", path.display());
        if std::path::Path::new(&file).exists() {
            std::fs::remove_file(&file).expect("remove the test database");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_recheck_equals_a_full_recheck_on_postgres() {
    let url = match std::env::var("ZHIBU_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            assert!(
                !std::env::var("ZHIBU_REQUIRE_POSTGRES").is_ok_and(|value| value == "1"),
                "ZHIBU_REQUIRE_POSTGRES=1 but ZHIBU_TEST_POSTGRES_URL is not set"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: ZHIBU_TEST_POSTGRES_URL not set — PostgreSQL incremental test did not run"
            );
            return;
        }
    };
    let schema = format!("zhibu_incremental_{}", std::process::id());
    let backend = zhibu_storage_postgres::connect_with_schema(&url, &schema)
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    let outcome = tokio::spawn(incremental_equals_full(Arc::new(backend.clone()))).await;
    backend.pool().close().await;
    let mut connection = sqlx::PgConnection::connect(&url)
        .await
        .expect("connect to drop the schema");
    sqlx::raw_sql(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut connection)
        .await
        .expect("drop the schema");
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// `evaluate_branches` over any split of the branches gives, branch for branch, what `evaluate`
/// gives over the whole city (no database: the generator's own snapshot).
#[test]
fn evaluating_parts_equals_evaluating_the_whole() {
    let dataset = generate(&city_config(5, 60));
    let snapshot = dataset.snapshot();
    let request = EvaluationRequest {
        root: dataset.root_id(),
        from: day(1, 1),
        to: day(12, 31),
        today: bench_today(),
        horizon_days: 30,
    };
    let catalogue = Catalogue::national().expect("catalogue");
    let whole = engine::evaluate(&catalogue, &snapshot, &request);
    assert!(!whole.findings.is_empty());
    let branches: Vec<OrgId> = dataset
        .orgs
        .iter()
        .filter(|org| org.body.level == OrgLevel::Branch)
        .map(|org| org.id)
        .collect();
    let parent_of = |id: OrgId| {
        dataset
            .org(id)
            .map(|org| (org.body.level, org.body.parent_id))
    };
    let mut merged = Vec::new();
    for part in branches.chunks(7) {
        let report = engine::evaluate_branches(&catalogue, &snapshot, &request, part);
        for finding in &report.findings {
            assert!(
                part.contains(&engine::branch_of_finding(finding, parent_of)),
                "{finding:?} is not of {part:?}"
            );
        }
        merged.extend(report.findings);
    }
    engine::sort_findings(&mut merged);
    assert!(
        merged == whole.findings,
        "{}",
        describe_difference(&merged, &whole.findings)
    );
    // A branch outside the request's root, or an id that is not a branch, is skipped.
    let department = dataset
        .orgs
        .iter()
        .find(|org| org.body.level == OrgLevel::PartyCommittee)
        .expect("a department")
        .id;
    assert!(
        engine::evaluate_branches(
            &catalogue,
            &snapshot,
            &request,
            &[department, OrgId(999_999)]
        )
        .findings
        .is_empty()
    );
    let elsewhere = EvaluationRequest {
        root: department,
        ..request
    };
    let outside: Vec<OrgId> = branches
        .iter()
        .copied()
        .filter(|branch| parent_of(*branch).and_then(|(_, parent)| parent) != Some(department))
        .collect();
    assert!(
        engine::evaluate_branches(&catalogue, &snapshot, &elsewhere, &outside)
            .findings
            .is_empty()
    );
}
