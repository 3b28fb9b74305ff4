//! The behavioural storage suite that every backend must pass. Each backend crate's tests call
//! these functions, each with a fresh, migrated, empty store of its own, so that a failure names
//! one behaviour on one database.
//!
//! Everything goes through [`Repository`], the way the application uses storage. Tampering is done
//! by the backend's own raw SQL ([`RawSql`]), because only the backend's tests know how to reach
//! its database behind the application's back. The statements this suite sends are plain enough to
//! mean the same on every database it runs on.
//!
//! The functions panic on failure, like assertions; this module is compiled into the library only
//! so that both backend crates can share it, and it depends on no database crate.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, SubsecRound, TimeZone, Utc};
use zhibu_core::rules::{Catalogue, Citation, LocalRule, LocalRuleAction};
use zhibu_core::{
    Attendance, AttendanceState, BranchPosting, ChangeOperation, CommitteePosition, CommitteeRole,
    CommitteeTerm, EmploymentCategory, Exemption, HeartToHeartTalk, LeadershipForm, Meeting,
    MeetingKind, Member, MemberId, MemberStatus, Org, OrgId, OrgLevel, Record, RecordKind,
    RecordedOutcome, Resolution, Sex, StatusChange, Stored, TalkId, UnitKind,
};

use crate::{
    AuditQuery, Backend, ChainEntry, ChangeMeta, Clock, GENESIS_HASH, ListRequest, NewAccount,
    NewAuditEntry, ProblemKind, RecordRow, Repository, SessionRow, StorageError, VerifyReport,
    version_hash,
};

/// SQL run directly on the database under test, behind the application's back: how the suite
/// plays someone who edits the database file or tables by hand.
#[async_trait]
pub trait RawSql: Send + Sync {
    /// Runs the statements and returns how many rows they changed.
    async fn execute(&self, sql: &str) -> Result<u64, StorageError>;
}

/// A clock the test sets by hand, so that instants in records are known in advance.
pub struct TestClock {
    now: Mutex<DateTime<Utc>>,
}

impl TestClock {
    pub fn at(instant: DateTime<Utc>) -> Arc<TestClock> {
        Arc::new(TestClock {
            now: Mutex::new(instant),
        })
    }

    pub fn set(&self, instant: DateTime<Utc>) {
        *self
            .now
            .lock()
            .expect("the test clock's lock is never poisoned") = instant;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .expect("the test clock's lock is never poisoned")
    }
}

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid test date")
}

fn instant(
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
) -> DateTime<Utc> {
    let whole = Utc
        .with_ymd_and_hms(year, month, day, hour, minute, second)
        .single()
        .expect("a valid test instant");
    whole + chrono::Duration::nanoseconds(i64::from(nanos))
}

fn catalogue() -> Arc<Catalogue> {
    Arc::new(Catalogue::national().expect("the national catalogue loads"))
}

/// The instant every record is entered at unless a test moves the clock. It has nanoseconds on
/// purpose: storage keeps microseconds, and what it hands back must be what it stored.
fn first_instant() -> DateTime<Utc> {
    instant(2026, 3, 1, 8, 0, 0, 123_456_789)
}

fn repository(store: Arc<dyn Backend>) -> (Repository, Arc<TestClock>) {
    let clock = TestClock::at(first_instant());
    let repo = Repository::new(store, catalogue()).with_clock(clock.clone());
    (repo, clock)
}

fn by(actor: &str) -> ChangeMeta {
    ChangeMeta::by(actor)
}

fn org(parent: Option<OrgId>, name: &str, level: OrgLevel, established_on: NaiveDate) -> Org {
    Org {
        parent_id: parent,
        name: name.to_string(),
        level,
        unit_kind: UnitKind::GovernmentOrgan,
        established_on,
        dissolved_on: None,
    }
}

fn posting(
    branch: OrgId,
    group: Option<OrgId>,
    from: NaiveDate,
    until: Option<NaiveDate>,
) -> BranchPosting {
    BranchPosting {
        branch_id: branch,
        group_id: group,
        from,
        until,
        transferred_in_from: None,
        transferred_out_to: None,
    }
}

/// A full member since 2016, posted as given.
fn member(name: &str, postings: Vec<BranchPosting>) -> Member {
    Member {
        name: name.to_string(),
        sex: Sex::Female,
        birth_date: Some(date(1988, 5, 17)),
        joined_on: date(2015, 7, 1),
        status_history: vec![
            StatusChange {
                effective_on: date(2015, 7, 1),
                status: MemberStatus::Probationary,
                note: None,
            },
            StatusChange {
                effective_on: date(2016, 7, 1),
                status: MemberStatus::Full,
                note: None,
            },
        ],
        postings,
        employment: EmploymentCategory::Salaried,
        leading_cadre: false,
        org_life_exemption: None,
        registry: Default::default(),
        sanctions: Vec::new(),
    }
}

fn present(member: MemberId) -> Attendance {
    Attendance {
        member_id: member,
        state: AttendanceState::Present,
    }
}

/// A meeting at which `attendees` were present, chaired by the first and minuted by the second.
fn meeting(
    org: OrgId,
    kinds: &[MeetingKind],
    held_on: NaiveDate,
    attendees: &[MemberId],
) -> Meeting {
    Meeting {
        org_id: org,
        kinds: kinds.to_vec(),
        held_on,
        place: "党员活动室".to_string(),
        chair_id: attendees.first().copied(),
        recorder_id: attendees.get(1).copied(),
        topics: vec!["学习《中国共产党章程》".to_string()],
        minutes: "与会党员逐章学习并交流体会。".to_string(),
        resolutions: Vec::new(),
        attendance: attendees.iter().copied().map(present).collect(),
    }
}

fn general_meeting(org: OrgId, held_on: NaiveDate, attendees: &[MemberId]) -> Meeting {
    meeting(org, &[MeetingKind::GeneralMeeting], held_on, attendees)
}

fn talk(org: OrgId, held_on: NaiveDate, first: MemberId, second: MemberId) -> HeartToHeartTalk {
    HeartToHeartTalk {
        org_id: org,
        held_on,
        participants: [first, second],
        topic: "思想和工作情况".to_string(),
    }
}

/// A local rule of `issuer` that restates the monthly themed Party day for its subtree.
fn local_rule(issuer: OrgId, rule_id: &str) -> LocalRule {
    LocalRule {
        issued_by: issuer,
        document: Citation {
            document: "《关于进一步规范主题党日活动的通知》".to_string(),
            article: "第三条".to_string(),
            quote: "各党支部每月开展一次主题党日。".to_string(),
            source: None,
        },
        effective_from: date(2026, 1, 1),
        effective_to: None,
        action: LocalRuleAction::Tighten {
            rule_id: rule_id.to_string(),
            parameters: serde_json::json!({}),
            severity: None,
        },
    }
}

/// A working committee over a Party committee over two branches, the first with a Party group,
/// five members in the first branch (the first of them in the group) and two in the second.
struct Tree {
    working_committee: Stored<Org>,
    party_committee: Stored<Org>,
    branch: Stored<Org>,
    group: Stored<Org>,
    other_branch: Stored<Org>,
    members: Vec<Stored<Member>>,
    other_members: Vec<Stored<Member>>,
}

impl Tree {
    fn branch_id(&self) -> OrgId {
        self.branch.typed_id()
    }

    fn group_id(&self) -> OrgId {
        self.group.typed_id()
    }

    fn other_branch_id(&self) -> OrgId {
        self.other_branch.typed_id()
    }

    fn member(&self, index: usize) -> MemberId {
        self.members[index].typed_id()
    }

    fn other_member(&self, index: usize) -> MemberId {
        self.other_members[index].typed_id()
    }
}

async fn build_tree(repo: &Repository) -> Tree {
    let meta = by("organizer");
    let working_committee = repo
        .create(
            org(
                None,
                "示例市直机关工委",
                OrgLevel::WorkingCommittee,
                date(2010, 1, 1),
            ),
            &meta,
        )
        .await
        .expect("create the working committee");
    let party_committee = repo
        .create(
            org(
                Some(working_committee.typed_id()),
                "示例市财政局机关党委",
                OrgLevel::PartyCommittee,
                date(2012, 3, 1),
            ),
            &meta,
        )
        .await
        .expect("create the Party committee");
    let branch = repo
        .create(
            org(
                Some(party_committee.typed_id()),
                "办公室党支部",
                OrgLevel::Branch,
                date(2015, 5, 4),
            ),
            &meta,
        )
        .await
        .expect("create the branch");
    let group = repo
        .create(
            org(
                Some(branch.typed_id()),
                "第一党小组",
                OrgLevel::PartyGroup,
                date(2015, 5, 4),
            ),
            &meta,
        )
        .await
        .expect("create the Party group");
    let other_branch = repo
        .create(
            org(
                Some(party_committee.typed_id()),
                "预算处党支部",
                OrgLevel::Branch,
                date(2015, 5, 4),
            ),
            &meta,
        )
        .await
        .expect("create the other branch");
    let mut members = Vec::new();
    for (index, name) in ["王芳", "李强", "张伟", "刘洋", "陈静"]
        .into_iter()
        .enumerate()
    {
        let group = (index == 0).then(|| group.typed_id());
        let body = member(
            name,
            vec![posting(branch.typed_id(), group, date(2020, 1, 1), None)],
        );
        members.push(
            repo.create(body, &meta)
                .await
                .expect("create a member of the branch"),
        );
    }
    let mut other_members = Vec::new();
    for name in ["赵磊", "孙丽"] {
        let body = member(
            name,
            vec![posting(
                other_branch.typed_id(),
                None,
                date(2020, 1, 1),
                None,
            )],
        );
        other_members.push(
            repo.create(body, &meta)
                .await
                .expect("create a member of the other branch"),
        );
    }
    Tree {
        working_committee,
        party_committee,
        branch,
        group,
        other_branch,
        members,
        other_members,
    }
}

async fn chain_length(store: &dyn Backend) -> usize {
    let mut count = 0;
    let mut after = 0;
    loop {
        let entries = store
            .chain_entries(after, 1_000)
            .await
            .expect("read the chain");
        let Some(last) = entries.last() else {
            return count;
        };
        after = last.seq;
        count += entries.len();
    }
}

async fn record_count(store: &dyn Backend) -> usize {
    let mut count = 0;
    let mut after = 0;
    loop {
        let rows = store
            .all_records(after, 1_000)
            .await
            .expect("read the records");
        let Some(last) = rows.last() else {
            return count;
        };
        after = last.id;
        count += rows.len();
    }
}

/// How much is stored: versions in the chain and current rows.
async fn amount_stored(store: &dyn Backend) -> (usize, usize) {
    (chain_length(store).await, record_count(store).await)
}

/// Asserts that `outcome` is a refusal naming `field` with `code`.
fn assert_invalid<T: Debug>(what: &str, outcome: Result<T, StorageError>, field: &str, code: &str) {
    match outcome {
        Err(StorageError::Invalid(errors)) => assert!(
            errors
                .errors
                .iter()
                .any(|error| error.field == field && error.code == code),
            "{what}: expected an error on {field} ({code}), got {errors:?}"
        ),
        other => panic!("{what}: expected an error on {field} ({code}), got {other:?}"),
    }
}

/// Asserts that `outcome` is a refusal naming `field` with `code`, and that the store still holds
/// exactly what it held `before`: no record and no version.
async fn assert_refused<T: Debug>(
    store: &dyn Backend,
    before: (usize, usize),
    what: &str,
    outcome: Result<T, StorageError>,
    field: &str,
    code: &str,
) {
    assert_invalid(what, outcome, field, code);
    assert_eq!(
        amount_stored(store).await,
        before,
        "{what}: a refused change writes nothing"
    );
}

fn problem_kinds(report: &VerifyReport) -> Vec<ProblemKind> {
    report
        .problems
        .iter()
        .map(|problem| problem.problem)
        .collect()
}

/// A JSON text as an SQL string literal.
fn sql_text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

async fn tamper(raw: &dyn RawSql, sql: &str) {
    let changed = raw
        .execute(sql)
        .await
        .expect("the tampering statement runs");
    assert_eq!(
        changed, 1,
        "the tampering statement should change one row: {sql}"
    );
}

// ---------------------------------------------------------------------------------------------
// Migrations
// ---------------------------------------------------------------------------------------------

/// A migrated store records its migrations, migrating again changes nothing, and a new store has
/// an empty chain that verifies.
pub async fn migrations_are_recorded(store: Arc<dyn Backend>) {
    let applied = store
        .applied_migrations()
        .await
        .expect("read the applied migrations");
    // Every migration this build knows, numbered from 1 without a gap (5 is the stored findings).
    assert_eq!(
        applied,
        (1..=applied.len() as i64).collect::<Vec<_>>(),
        "a fresh store is migrated to the latest version"
    );
    assert!(applied.len() >= 5, "{applied:?}");
    store.migrate().await.expect("migrating again is harmless");
    assert_eq!(
        store
            .applied_migrations()
            .await
            .expect("read the applied migrations"),
        applied
    );
    assert_eq!(
        store.chain_head().await.expect("read the head"),
        None,
        "a new store has an empty chain"
    );
    let (repo, _) = repository(store);
    let report = repo.verify().await.expect("verify");
    assert!(report.is_intact(), "{report:?}");
    assert_eq!((report.versions_checked, report.records_checked), (0, 0));
}

// ---------------------------------------------------------------------------------------------
// Reading back what was written
// ---------------------------------------------------------------------------------------------

/// Every kind of record comes back exactly as it was created, instants to the microsecond.
pub async fn records_round_trip(store: Arc<dyn Backend>) {
    let (repo, _) = repository(store);
    let tree = build_tree(&repo).await;
    let entered = first_instant().trunc_subsecs(6);
    assert_eq!(
        tree.branch.first_entered_at, entered,
        "instants are kept to the microsecond"
    );
    assert_eq!(tree.branch.last_changed_at, entered);
    assert_eq!(tree.branch.version, 1);
    for created in [
        &tree.working_committee,
        &tree.party_committee,
        &tree.branch,
        &tree.group,
        &tree.other_branch,
    ] {
        assert_eq!(
            &repo
                .get::<Org>(created.typed_id())
                .await
                .expect("read an org"),
            created
        );
    }
    for created in tree.members.iter().chain(&tree.other_members) {
        assert_eq!(
            &repo
                .get::<Member>(created.typed_id())
                .await
                .expect("read a member"),
            created
        );
    }

    let meta = by("secretary");
    let term = CommitteeTerm {
        org_id: tree.branch_id(),
        form: LeadershipForm::Committee,
        elected_on: date(2024, 6, 1),
        term_years: 3,
        positions: vec![
            CommitteePosition {
                member_id: tree.member(0),
                role: CommitteeRole::Secretary,
                left_on: None,
            },
            CommitteePosition {
                member_id: tree.member(1),
                role: CommitteeRole::OrganizationOfficer,
                left_on: None,
            },
            CommitteePosition {
                member_id: tree.member(2),
                role: CommitteeRole::PublicityOfficer,
                left_on: Some(date(2025, 9, 1)),
            },
        ],
        extended_until: None,
    };
    let term = repo
        .create(term, &meta)
        .await
        .expect("create a committee term");
    assert_eq!(
        repo.get::<CommitteeTerm>(term.typed_id())
            .await
            .expect("read the term"),
        term
    );

    let mut general = general_meeting(
        tree.branch_id(),
        date(2026, 2, 14),
        &[tree.member(0), tree.member(1), tree.member(2)],
    );
    general.kinds.push(MeetingKind::ThemedPartyDay);
    general.attendance.push(Attendance {
        member_id: tree.member(3),
        state: AttendanceState::Excused {
            reason: "出差".to_string(),
        },
    });
    general.attendance.push(Attendance {
        member_id: tree.member(4),
        state: AttendanceState::Absent,
    });
    general.resolutions.push(Resolution {
        subject: "接收预备党员".to_string(),
        yes: 3,
        no: 0,
        abstain: 0,
        recorded_outcome: RecordedOutcome::Passed,
    });
    let general = repo
        .create(general, &meta)
        .await
        .expect("create a general meeting");
    assert_eq!(
        repo.get::<Meeting>(general.typed_id())
            .await
            .expect("read the meeting"),
        general
    );
    assert_eq!(
        general.event_date,
        date(2026, 2, 14),
        "a meeting's event date is the day it was held"
    );

    let group_meeting = meeting(
        tree.group_id(),
        &[MeetingKind::GroupMeeting],
        date(2026, 2, 20),
        &[tree.member(0), tree.member(1)],
    );
    let group_meeting = repo
        .create(group_meeting, &meta)
        .await
        .expect("create a group meeting");
    assert_eq!(
        repo.get::<Meeting>(group_meeting.typed_id())
            .await
            .expect("read the group meeting"),
        group_meeting
    );

    let talk = repo
        .create(
            talk(
                tree.branch_id(),
                date(2026, 2, 21),
                tree.member(0),
                tree.member(4),
            ),
            &meta,
        )
        .await
        .expect("create a talk");
    assert_eq!(
        repo.get::<HeartToHeartTalk>(talk.typed_id())
            .await
            .expect("read the talk"),
        talk
    );

    // The same id read as another kind is not found, not misread.
    let wrong_kind = repo.get::<Member>(MemberId(general.id)).await;
    assert!(
        matches!(wrong_kind, Err(StorageError::NotFound { kind: RecordKind::Member, id }) if id == general.id),
        "{wrong_kind:?}"
    );
    let missing = repo.get::<Meeting>(zhibu_core::MeetingId(999_999)).await;
    assert!(
        matches!(
            missing,
            Err(StorageError::NotFound {
                kind: RecordKind::Meeting,
                id: 999_999
            })
        ),
        "{missing:?}"
    );

    assert_eq!(
        repo.org_path(tree.group_id())
            .await
            .expect("the group's path"),
        format!(
            "/{}/{}/{}/{}/",
            tree.working_committee.id, tree.party_committee.id, tree.branch.id, tree.group.id
        )
    );
    assert!(
        repo.is_within(tree.group_id(), tree.party_committee.typed_id())
            .await
            .expect("is within")
    );
    assert!(
        !repo
            .is_within(tree.group_id(), tree.other_branch_id())
            .await
            .expect("is within")
    );
}

/// Listing a subtree returns its records in id order, page by page, and nothing from beside it,
/// not even from an org whose id begins with the same digits.
pub async fn lists_by_subtree_with_keyset_paging(store: Arc<dyn Backend>) {
    let (repo, _) = repository(store);
    let tree = build_tree(&repo).await;
    let expected: Vec<i64> = tree.members.iter().map(|member| member.id).collect();

    let mut seen = Vec::new();
    let mut page_sizes = Vec::new();
    let mut after_id = None;
    loop {
        let request = ListRequest {
            subtree: Some(tree.branch_id()),
            after_id,
            limit: Some(2),
            ..ListRequest::default()
        };
        let page = repo
            .list::<Member>(&request)
            .await
            .expect("list a page of members");
        page_sizes.push(page.items.len());
        seen.extend(page.items.iter().map(|member| member.id));
        match page.next_after {
            Some(next) => {
                assert_eq!(
                    Some(&next),
                    seen.last(),
                    "the next page starts after the last item"
                );
                after_id = Some(next);
            }
            None => break,
        }
    }
    assert_eq!(
        seen, expected,
        "every member of the branch once, in id order"
    );
    assert_eq!(page_sizes, [2, 2, 1]);

    let in_subtree = |subtree: Option<OrgId>| ListRequest {
        subtree,
        ..ListRequest::default()
    };
    let count = |page: crate::Page<Stored<Member>>| page.items.len();
    assert_eq!(
        count(
            repo.list::<Member>(&in_subtree(Some(tree.party_committee.typed_id())))
                .await
                .expect("list")
        ),
        7
    );
    assert_eq!(
        count(
            repo.list::<Member>(&in_subtree(Some(tree.other_branch_id())))
                .await
                .expect("list")
        ),
        2
    );
    assert_eq!(
        count(repo.list::<Member>(&in_subtree(None)).await.expect("list")),
        7
    );
    // Members are filed under their branch, not their group.
    assert_eq!(
        count(
            repo.list::<Member>(&in_subtree(Some(tree.group_id())))
                .await
                .expect("list")
        ),
        0
    );
    let orgs = repo
        .list::<Org>(&in_subtree(Some(tree.branch_id())))
        .await
        .expect("list orgs");
    assert_eq!(
        orgs.items.iter().map(|org| org.id).collect::<Vec<_>>(),
        [tree.branch.id, tree.group.id],
        "an org is in its own subtree"
    );

    // Add sibling branches until one's id starts with the branch's id (3 and 30, say): a path
    // prefix without its closing slash would wrongly take that sibling into the subtree.
    let branch_digits = tree.branch.id.to_string();
    let mut lookalike = None;
    for index in 0..500 {
        let sibling = org(
            Some(tree.party_committee.typed_id()),
            &format!("第{index}党支部"),
            OrgLevel::Branch,
            date(2019, 1, 1),
        );
        let sibling = repo
            .create(sibling, &by("organizer"))
            .await
            .expect("create a sibling branch");
        if sibling.id.to_string().starts_with(&branch_digits) {
            lookalike = Some(sibling);
            break;
        }
    }
    let lookalike = lookalike.expect("some sibling's id begins with the branch's digits");
    let body = member(
        "周敏",
        vec![posting(lookalike.typed_id(), None, date(2020, 1, 1), None)],
    );
    repo.create(body, &by("organizer"))
        .await
        .expect("create a member of the look-alike branch");
    let listed = repo
        .list::<Member>(&in_subtree(Some(tree.branch_id())))
        .await
        .expect("list");
    assert_eq!(
        listed
            .items
            .iter()
            .map(|member| member.id)
            .collect::<Vec<_>>(),
        expected,
        "branch {} and branch {}",
        tree.branch.id,
        lookalike.id
    );
}

/// Listing by event date includes both ends of the range.
pub async fn lists_by_event_date_range(store: Arc<dyn Backend>) {
    let (repo, _) = repository(store);
    let tree = build_tree(&repo).await;
    let attendees = [tree.member(0), tree.member(1)];
    let mut ids = Vec::new();
    for held_on in [
        date(2025, 12, 30),
        date(2026, 1, 10),
        date(2026, 2, 10),
        date(2026, 3, 10),
    ] {
        let created = repo
            .create(
                general_meeting(tree.branch_id(), held_on, &attendees),
                &by("secretary"),
            )
            .await
            .expect("create a meeting");
        ids.push(created.id);
    }
    let other = general_meeting(
        tree.other_branch_id(),
        date(2026, 2, 10),
        &[tree.other_member(0)],
    );
    let other = repo
        .create(other, &by("secretary"))
        .await
        .expect("create a meeting of the other branch");

    struct Case {
        subtree: Option<OrgId>,
        event_from: Option<NaiveDate>,
        event_to: Option<NaiveDate>,
        expected: Vec<i64>,
    }
    let (branch, other_branch) = (Some(tree.branch_id()), Some(tree.other_branch_id()));
    let table = [
        Case {
            subtree: branch,
            event_from: Some(date(2026, 1, 10)),
            event_to: Some(date(2026, 2, 10)),
            expected: vec![ids[1], ids[2]],
        },
        Case {
            subtree: branch,
            event_from: Some(date(2026, 1, 11)),
            event_to: None,
            expected: vec![ids[2], ids[3]],
        },
        Case {
            subtree: branch,
            event_from: None,
            event_to: Some(date(2025, 12, 31)),
            expected: vec![ids[0]],
        },
        Case {
            subtree: branch,
            event_from: Some(date(2026, 4, 1)),
            event_to: None,
            expected: vec![],
        },
        Case {
            subtree: None,
            event_from: Some(date(2026, 2, 10)),
            event_to: Some(date(2026, 2, 10)),
            expected: vec![ids[2], other.id],
        },
        Case {
            subtree: other_branch,
            event_from: Some(date(2026, 1, 1)),
            event_to: Some(date(2026, 12, 31)),
            expected: vec![other.id],
        },
    ];
    for Case {
        subtree,
        event_from,
        event_to,
        expected,
    } in table
    {
        let request = ListRequest {
            subtree,
            event_from,
            event_to,
            ..ListRequest::default()
        };
        let page = repo.list::<Meeting>(&request).await.expect("list meetings");
        let listed: Vec<i64> = page.items.iter().map(|meeting| meeting.id).collect();
        assert_eq!(
            listed, expected,
            "{subtree:?} from {event_from:?} to {event_to:?}"
        );
        assert!(
            page.items
                .iter()
                .all(|meeting| event_from.is_none_or(|from| meeting.event_date >= from))
        );
    }
}

// ---------------------------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------------------------

/// An amendment adds a version and keeps the old one, with who, when and why.
pub async fn records_keep_their_history(store: Arc<dyn Backend>) {
    let (repo, clock) = repository(store);
    let tree = build_tree(&repo).await;
    let first = general_meeting(
        tree.branch_id(),
        date(2026, 2, 14),
        &[tree.member(0), tree.member(1)],
    );
    let created = repo
        .create(first.clone(), &by("secretary"))
        .await
        .expect("create a meeting");

    let later = instant(2026, 3, 5, 1, 2, 3, 456_789_000);
    clock.set(later);
    let mut second = first.clone();
    second.minutes = "与会党员逐章学习并交流体会，形成三条整改措施。".to_string();
    second.attendance.push(present(tree.member(2)));
    let amended = repo
        .amend(
            created.typed_id(),
            1,
            second.clone(),
            &ChangeMeta::because("organizer", "补录会议记录"),
        )
        .await
        .expect("amend the meeting");
    assert_eq!(amended.version, 2);
    assert_eq!(amended.body, second);
    assert_eq!(
        amended.first_entered_at, created.first_entered_at,
        "an amendment keeps when the record was first entered"
    );
    assert_eq!(amended.last_changed_at, later);
    assert_eq!(
        repo.get::<Meeting>(created.typed_id())
            .await
            .expect("read the meeting"),
        amended
    );

    let history = repo
        .history(RecordKind::Meeting, created.id)
        .await
        .expect("read the history");
    assert_eq!(history.len(), 2);
    let (old, new) = (&history[0], &history[1]);
    assert_eq!(
        (
            old.version,
            old.operation,
            old.actor.as_str(),
            old.reason.as_deref()
        ),
        (1, ChangeOperation::Create, "secretary", None)
    );
    assert_eq!(
        (new.version, new.operation, new.actor.as_str()),
        (2, ChangeOperation::Amend, "organizer")
    );
    assert_eq!(new.reason.as_deref(), Some("补录会议记录"));
    assert_eq!(
        (old.entered_at, new.entered_at),
        (created.first_entered_at, later)
    );
    assert_eq!(
        serde_json::from_str::<Meeting>(&old.body).expect("the old body decodes"),
        first,
        "the old version is kept as it was"
    );
    assert_eq!(
        serde_json::from_str::<Meeting>(&new.body).expect("the new body decodes"),
        second
    );
    assert_eq!(
        new.previous_hash, old.hash,
        "consecutive versions are chained"
    );

    let wrong_kind = repo.history(RecordKind::Talk, created.id).await;
    assert!(
        matches!(wrong_kind, Err(StorageError::NotFound { .. })),
        "{wrong_kind:?}"
    );
}

/// An amendment based on an outdated version is refused and writes nothing.
pub async fn stale_amendment_is_refused(store: Arc<dyn Backend>) {
    let (repo, _) = repository(store.clone());
    let tree = build_tree(&repo).await;
    let original = general_meeting(
        tree.branch_id(),
        date(2026, 2, 14),
        &[tree.member(0), tree.member(1)],
    );
    let created = repo
        .create(original.clone(), &by("secretary"))
        .await
        .expect("create a meeting");
    let mut first_edit = original.clone();
    first_edit.place = "三楼会议室".to_string();
    let current = repo
        .amend(
            created.typed_id(),
            1,
            first_edit,
            &ChangeMeta::because("secretary", "更正地点"),
        )
        .await
        .expect("first edit");

    let before = amount_stored(store.as_ref()).await;
    let mut second_edit = original;
    second_edit.minutes = "基于旧版本的修改".to_string();
    let outcome = repo
        .amend(
            created.typed_id(),
            1,
            second_edit,
            &ChangeMeta::because("organizer", "补充记录"),
        )
        .await;
    assert!(
        matches!(outcome, Err(StorageError::StaleVersion { id, expected: 1, actual: 2 }) if id == created.id),
        "{outcome:?}"
    );
    assert_eq!(
        amount_stored(store.as_ref()).await,
        before,
        "a refused amendment writes nothing"
    );
    assert_eq!(
        repo.get::<Meeting>(created.typed_id())
            .await
            .expect("read the meeting"),
        current
    );
}

/// Amending or deleting without a reason is refused and writes nothing.
pub async fn amend_and_delete_need_a_reason(store: Arc<dyn Backend>) {
    let (repo, _) = repository(store.clone());
    let tree = build_tree(&repo).await;
    let body = talk(
        tree.branch_id(),
        date(2026, 1, 5),
        tree.member(0),
        tree.member(1),
    );
    let created = repo
        .create(body.clone(), &by("secretary"))
        .await
        .expect("create a talk");
    let before = amount_stored(store.as_ref()).await;
    for meta in [by("secretary"), ChangeMeta::because("secretary", "   ")] {
        assert_invalid(
            "amend without a reason",
            repo.amend(created.typed_id(), 1, body.clone(), &meta).await,
            "reason",
            "required",
        );
        assert_invalid(
            "delete without a reason",
            repo.delete::<HeartToHeartTalk>(created.typed_id(), 1, &meta)
                .await,
            "reason",
            "required",
        );
    }
    assert_invalid(
        "amend without an actor",
        repo.amend(
            created.typed_id(),
            1,
            body,
            &ChangeMeta::because(" ", "更正"),
        )
        .await,
        "actor",
        "required",
    );
    assert_eq!(
        amount_stored(store.as_ref()).await,
        before,
        "a refused change writes nothing"
    );
    assert_eq!(
        repo.get::<HeartToHeartTalk>(created.typed_id())
            .await
            .expect("read the talk")
            .version,
        1
    );
}

/// A deleted record is gone from reads and lists but keeps its whole history, and cannot be
/// changed any more.
pub async fn deletion_keeps_history(store: Arc<dyn Backend>) {
    let (repo, clock) = repository(store);
    let tree = build_tree(&repo).await;
    let body = talk(
        tree.branch_id(),
        date(2026, 1, 5),
        tree.member(0),
        tree.member(1),
    );
    let created = repo
        .create(body.clone(), &by("secretary"))
        .await
        .expect("create a talk");
    let kept = repo
        .create(
            talk(
                tree.branch_id(),
                date(2026, 1, 6),
                tree.member(2),
                tree.member(3),
            ),
            &by("secretary"),
        )
        .await
        .expect("create a talk");

    let deleted_at = instant(2026, 3, 9, 10, 0, 0, 0);
    clock.set(deleted_at);
    repo.delete::<HeartToHeartTalk>(
        created.typed_id(),
        1,
        &ChangeMeta::because("organizer", "重复录入"),
    )
    .await
    .expect("delete");

    let read = repo.get::<HeartToHeartTalk>(created.typed_id()).await;
    assert!(
        matches!(read, Err(StorageError::NotFound { kind: RecordKind::Talk, id }) if id == created.id),
        "{read:?}"
    );
    let listed = repo
        .list::<HeartToHeartTalk>(&ListRequest {
            subtree: Some(tree.branch_id()),
            ..ListRequest::default()
        })
        .await
        .expect("list talks");
    assert_eq!(
        listed.items.iter().map(|talk| talk.id).collect::<Vec<_>>(),
        [kept.id],
        "deleted records are not listed"
    );

    let history = repo
        .history(RecordKind::Talk, created.id)
        .await
        .expect("the history outlives the record");
    assert_eq!(
        history
            .iter()
            .map(|version| version.operation)
            .collect::<Vec<_>>(),
        [ChangeOperation::Create, ChangeOperation::Delete]
    );
    let deletion = &history[1];
    assert_eq!(
        (
            deletion.actor.as_str(),
            deletion.reason.as_deref(),
            deletion.entered_at
        ),
        ("organizer", Some("重复录入"), deleted_at)
    );
    let row = repo
        .backend()
        .get(created.id)
        .await
        .expect("read the row")
        .expect("the row stays, marked deleted");
    assert!(row.deleted);
    assert_eq!(row.version, 2);

    let amend = repo
        .amend(
            created.typed_id(),
            2,
            body,
            &ChangeMeta::because("organizer", "恢复"),
        )
        .await;
    assert!(
        matches!(amend, Err(StorageError::Deleted { id }) if id == created.id),
        "{amend:?}"
    );

    // An org that still holds records cannot be deleted.
    let outcome = repo
        .delete::<Org>(
            tree.branch_id(),
            1,
            &ChangeMeta::because("organizer", "撤销"),
        )
        .await;
    assert_invalid(
        "delete a branch with members",
        outcome,
        "id",
        "org_not_empty",
    );

    let report = repo.verify().await.expect("verify");
    assert!(report.is_intact(), "{report:?}");
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// Input that breaks a rule of the domain is refused, naming the field, and nothing is written:
/// no record and no version.
pub async fn invalid_input_writes_nothing(store: Arc<dyn Backend>) {
    let (repo, _) = repository(store.clone());
    let tree = build_tree(&repo).await;
    let meta = by("secretary");
    let before = amount_stored(store.as_ref()).await;

    let mut stranger_attends = general_meeting(
        tree.branch_id(),
        date(2026, 2, 14),
        &[tree.member(0), tree.member(1)],
    );
    stranger_attends
        .attendance
        .push(present(tree.other_member(0)));
    assert_refused(
        store.as_ref(),
        before,
        "an attendee from another branch",
        repo.create(stranger_attends, &meta).await,
        "attendance[2].member_id",
        "not_a_member_of_branch",
    )
    .await;

    let mut more_votes_than_present = general_meeting(
        tree.branch_id(),
        date(2026, 2, 14),
        &[tree.member(0), tree.member(1)],
    );
    more_votes_than_present.resolutions.push(Resolution {
        subject: "接收预备党员".to_string(),
        yes: 3,
        no: 0,
        abstain: 0,
        recorded_outcome: RecordedOutcome::Passed,
    });
    assert_refused(
        store.as_ref(),
        before,
        "three votes from two present",
        repo.create(more_votes_than_present, &meta).await,
        "resolutions[0].yes",
        "votes_exceed_present",
    )
    .await;

    // Nine seats are refused by the record's own checks, before its members are looked up.
    let roles = [
        CommitteeRole::Secretary,
        CommitteeRole::DeputySecretary,
        CommitteeRole::OrganizationOfficer,
    ];
    let committee_of_nine = CommitteeTerm {
        org_id: tree.branch_id(),
        form: LeadershipForm::Committee,
        elected_on: date(2024, 6, 1),
        term_years: 3,
        positions: (0..9)
            .map(|seat| CommitteePosition {
                member_id: MemberId(9_000 + seat),
                role: roles
                    .get(seat as usize)
                    .copied()
                    .unwrap_or(CommitteeRole::CommitteeMember),
                left_on: None,
            })
            .collect(),
        extended_until: None,
    };
    assert_refused(
        store.as_ref(),
        before,
        "a committee of nine",
        repo.create(committee_of_nine, &meta).await,
        "positions",
        "committee_too_large",
    )
    .await;

    let outsider_on_committee = CommitteeTerm {
        org_id: tree.branch_id(),
        form: LeadershipForm::SecretaryOnly,
        elected_on: date(2024, 6, 1),
        term_years: 3,
        positions: vec![CommitteePosition {
            member_id: tree.other_member(0),
            role: CommitteeRole::Secretary,
            left_on: None,
        }],
        extended_until: None,
    };
    assert_refused(
        store.as_ref(),
        before,
        "a secretary from another branch",
        repo.create(outsider_on_committee, &meta).await,
        "positions[0].member_id",
        "not_a_member_of_branch",
    )
    .await;

    let group_of_another_branch = member(
        "吴刚",
        vec![posting(
            tree.other_branch_id(),
            Some(tree.group_id()),
            date(2021, 1, 1),
            None,
        )],
    );
    assert_refused(
        store.as_ref(),
        before,
        "a posting to another branch's group",
        repo.create(group_of_another_branch, &meta).await,
        "postings[0].group_id",
        "group_not_in_branch",
    )
    .await;

    let two_branches_at_once = member(
        "郑洁",
        vec![
            posting(tree.branch_id(), None, date(2020, 1, 1), None),
            posting(tree.other_branch_id(), None, date(2023, 1, 1), None),
        ],
    );
    assert_refused(
        store.as_ref(),
        before,
        "two branches at once",
        repo.create(two_branches_at_once, &meta).await,
        "postings[1].from",
        "two_branches_at_once",
    )
    .await;

    let posted_to_a_committee = member(
        "钱程",
        vec![posting(
            tree.party_committee.typed_id(),
            None,
            date(2020, 1, 1),
            None,
        )],
    );
    assert_refused(
        store.as_ref(),
        before,
        "a posting to a Party committee",
        repo.create(posted_to_a_committee, &meta).await,
        "postings[0].branch_id",
        "not_a_branch",
    )
    .await;

    let talk_with_stranger = talk(
        tree.branch_id(),
        date(2026, 1, 5),
        tree.member(0),
        tree.other_member(1),
    );
    assert_refused(
        store.as_ref(),
        before,
        "a talk with a member of another branch",
        repo.create(talk_with_stranger, &meta).await,
        "participants[1]",
        "not_a_member_of_branch",
    )
    .await;

    let group_meeting_under_branch = meeting(
        tree.branch_id(),
        &[MeetingKind::GroupMeeting],
        date(2026, 1, 5),
        &[tree.member(0)],
    );
    assert_refused(
        store.as_ref(),
        before,
        "a group meeting under a branch",
        repo.create(group_meeting_under_branch, &meta).await,
        "org_id",
        "not_a_group",
    )
    .await;

    let before_joining = general_meeting(tree.branch_id(), date(2019, 12, 31), &[tree.member(0)]);
    assert_refused(
        store.as_ref(),
        before,
        "attendance before the posting began",
        repo.create(before_joining, &meta).await,
        "attendance[0].member_id",
        "not_a_member_of_branch",
    )
    .await;

    let branch_under_group = org(
        Some(tree.group_id()),
        "错误的支部",
        OrgLevel::Branch,
        date(2020, 1, 1),
    );
    assert_refused(
        store.as_ref(),
        before,
        "a branch under a Party group",
        repo.create(branch_under_group, &meta).await,
        "level",
        "invalid_parent_level",
    )
    .await;

    let unknown_rule = local_rule(tree.party_committee.typed_id(), "NO.SUCH.RULE");
    assert_refused(
        store.as_ref(),
        before,
        "a local rule tightening no national rule",
        repo.create(unknown_rule, &meta).await,
        "rule_id",
        "unknown_rule",
    )
    .await;

    let rule_of_a_branch = local_rule(tree.branch_id(), "BRANCH.THEME_DAY.MONTHLY");
    assert_refused(
        store.as_ref(),
        before,
        "a local rule issued by a branch",
        repo.create(rule_of_a_branch, &meta).await,
        "issued_by",
        "not_upper_org",
    )
    .await;

    // An amendment is checked the same way and leaves the record as it was.
    let valid = general_meeting(tree.branch_id(), date(2026, 2, 14), &[tree.member(0)]);
    let created = repo
        .create(valid.clone(), &meta)
        .await
        .expect("create a valid meeting");
    let after_valid = amount_stored(store.as_ref()).await;
    let mut invalid_amendment = valid;
    invalid_amendment
        .attendance
        .push(present(tree.other_member(1)));
    assert_refused(
        store.as_ref(),
        after_valid,
        "an amendment adding a stranger",
        repo.amend(
            created.typed_id(),
            1,
            invalid_amendment,
            &ChangeMeta::because("secretary", "补充出席"),
        )
        .await,
        "attendance[1].member_id",
        "not_a_member_of_branch",
    )
    .await;
    assert_eq!(
        after_valid,
        (before.0 + 1, before.1 + 1),
        "none of the refused creates wrote anything"
    );
    assert_eq!(
        repo.get::<Meeting>(created.typed_id())
            .await
            .expect("read the meeting"),
        created
    );
}

/// A batch is written whole or not at all; the error names the item by its position.
pub async fn create_many_is_all_or_nothing(store: Arc<dyn Backend>) {
    let (repo, _) = repository(store.clone());
    let tree = build_tree(&repo).await;
    let before = amount_stored(store.as_ref()).await;
    let attendees = [tree.member(0), tree.member(1)];
    let mut batch = vec![
        general_meeting(tree.branch_id(), date(2026, 1, 10), &attendees),
        general_meeting(tree.branch_id(), date(2026, 2, 10), &attendees),
        general_meeting(tree.branch_id(), date(2026, 3, 10), &[tree.other_member(0)]),
    ];
    assert_invalid(
        "a batch whose third item is invalid",
        repo.create_many(batch.clone(), &by("importer")).await,
        "[2].attendance[0].member_id",
        "not_a_member_of_branch",
    );
    assert_eq!(
        amount_stored(store.as_ref()).await,
        before,
        "nothing of the batch is written"
    );
    let listed = repo
        .list::<Meeting>(&ListRequest::default())
        .await
        .expect("list meetings");
    assert!(listed.items.is_empty(), "{listed:?}");

    batch[2] = general_meeting(tree.branch_id(), date(2026, 3, 10), &attendees);
    let created = repo
        .create_many(batch.clone(), &by("importer"))
        .await
        .expect("the corrected batch is written");
    assert_eq!(
        created
            .iter()
            .map(|meeting| &meeting.body)
            .collect::<Vec<_>>(),
        batch.iter().collect::<Vec<_>>()
    );
    assert_eq!(
        amount_stored(store.as_ref()).await,
        (before.0 + 3, before.1 + 3)
    );
    for stored in &created {
        assert_eq!(
            &repo
                .get::<Meeting>(stored.typed_id())
                .await
                .expect("read a batch item"),
            stored
        );
    }
    let report = repo.verify().await.expect("verify");
    assert!(report.is_intact(), "{report:?}");
}

/// A create repeated with the same idempotency key returns the first record and writes nothing.
pub async fn idempotent_create_gives_one_record(store: Arc<dyn Backend>) {
    let (repo, _) = repository(store.clone());
    let tree = build_tree(&repo).await;
    let meta = ChangeMeta {
        idempotency_key: Some("form-2026-02-14-general".to_string()),
        ..by("secretary")
    };
    let body = general_meeting(
        tree.branch_id(),
        date(2026, 2, 14),
        &[tree.member(0), tree.member(1)],
    );
    let first = repo
        .create(body.clone(), &meta)
        .await
        .expect("the first create");
    let before = amount_stored(store.as_ref()).await;

    let mut resubmitted = body.clone();
    resubmitted.minutes = "第二次提交".to_string();
    let second = repo
        .create(resubmitted, &meta)
        .await
        .expect("the repeated create");
    assert_eq!(
        second, first,
        "the repeat returns the first record as it was stored"
    );
    assert_eq!(
        amount_stored(store.as_ref()).await,
        before,
        "the repeat writes nothing"
    );

    let other_key = ChangeMeta {
        idempotency_key: Some("form-2026-02-14-general-2".to_string()),
        ..by("secretary")
    };
    let third = repo
        .create(body, &other_key)
        .await
        .expect("a create with another key");
    assert_ne!(third.id, first.id);
    let listed = repo
        .list::<Meeting>(&ListRequest::default())
        .await
        .expect("list meetings");
    assert_eq!(
        listed
            .items
            .iter()
            .map(|meeting| meeting.id)
            .collect::<Vec<_>>(),
        [first.id, third.id]
    );
}

/// Writers running at the same time still build one unbroken chain, and a key submitted by
/// several of them at once still makes one record.
pub async fn concurrent_writers_keep_one_chain(store: Arc<dyn Backend>) {
    let (repo, _) = repository(store.clone());
    let tree = build_tree(&repo).await;
    let before = amount_stored(store.as_ref()).await;
    let writers = 6_u32;
    let start_line = Arc::new(tokio::sync::Barrier::new(writers as usize));
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let repo = repo.clone();
        let start_line = Arc::clone(&start_line);
        let (branch, first, second) = (
            tree.branch_id(),
            tree.member(0),
            tree.member(1 + writer as usize % 4),
        );
        tasks.push(tokio::spawn(async move {
            // Every writer submits the shared key first, all at once, so that they race for it.
            start_line.wait().await;
            let meta = ChangeMeta {
                idempotency_key: Some("shared-key".to_string()),
                ..by("secretary")
            };
            let shared = repo
                .create(talk(branch, date(2026, 12, 1), first, second), &meta)
                .await
                .expect("a concurrent keyed create");
            let mut ids = Vec::new();
            for day in 1..=3 {
                let body = talk(branch, date(2026, 1 + writer, day), first, second);
                ids.push(
                    repo.create(body, &by("secretary"))
                        .await
                        .expect("a concurrent create")
                        .id,
                );
            }
            (ids, shared.id)
        }));
    }
    let mut all_ids = BTreeSet::new();
    let mut shared_ids = BTreeSet::new();
    for task in tasks {
        let (ids, shared) = task.await.expect("a writer task finishes");
        all_ids.extend(ids);
        shared_ids.insert(shared);
    }
    assert_eq!(all_ids.len(), 18, "every create got its own id");
    assert_eq!(
        shared_ids.len(),
        1,
        "one record for the shared key: {shared_ids:?}"
    );
    assert_eq!(
        amount_stored(store.as_ref()).await,
        (before.0 + 19, before.1 + 19)
    );
    let report = repo.verify().await.expect("verify");
    assert!(report.is_intact(), "{report:?}");
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/// Builds the tree plus a little history: an amended meeting, a deleted talk, a committee term.
/// Returns the repository, the tree and the meeting.
async fn store_with_history(store: Arc<dyn Backend>) -> (Repository, Tree, Stored<Meeting>) {
    let (repo, clock) = repository(store);
    let tree = build_tree(&repo).await;
    let body = general_meeting(
        tree.branch_id(),
        date(2026, 2, 14),
        &[tree.member(0), tree.member(1), tree.member(2)],
    );
    let created = repo
        .create(body.clone(), &by("secretary"))
        .await
        .expect("create a meeting");
    clock.set(instant(2026, 3, 2, 9, 0, 0, 0));
    let mut amended = body;
    amended.place = "三楼会议室".to_string();
    let meeting = repo
        .amend(
            created.typed_id(),
            1,
            amended,
            &ChangeMeta::because("secretary", "更正地点"),
        )
        .await
        .expect("amend");
    let duplicate_talk = repo
        .create(
            talk(
                tree.branch_id(),
                date(2026, 1, 5),
                tree.member(0),
                tree.member(1),
            ),
            &by("secretary"),
        )
        .await
        .expect("create a talk");
    repo.delete::<HeartToHeartTalk>(
        TalkId(duplicate_talk.id),
        1,
        &ChangeMeta::because("secretary", "重复录入"),
    )
    .await
    .expect("delete");
    let term = CommitteeTerm {
        org_id: tree.branch_id(),
        form: LeadershipForm::SecretaryOnly,
        elected_on: date(2024, 6, 1),
        term_years: 3,
        positions: vec![CommitteePosition {
            member_id: tree.member(0),
            role: CommitteeRole::Secretary,
            left_on: None,
        }],
        extended_until: None,
    };
    repo.create(term, &by("secretary"))
        .await
        .expect("create a committee term");
    (repo, tree, meeting)
}

/// Data written only through the application verifies.
pub async fn verify_is_intact_on_untouched_data(store: Arc<dyn Backend>) {
    let (repo, _, _) = store_with_history(store.clone()).await;
    let report = repo.verify().await.expect("verify");
    assert!(report.is_intact(), "{report:?}");
    let (versions, records) = amount_stored(store.as_ref()).await;
    assert_eq!(
        (report.versions_checked, report.records_checked),
        (versions as u64, records as u64)
    );
}

/// A current row edited behind the application is reported by its id.
pub async fn verify_reports_an_altered_record(store: Arc<dyn Backend>, raw: &dyn RawSql) {
    let (repo, _, meeting) = store_with_history(store.clone()).await;
    let row = store
        .get(meeting.id)
        .await
        .expect("read the row")
        .expect("the meeting exists");
    let mut body: serde_json::Value = serde_json::from_str(&row.body).expect("the body is JSON");
    body["minutes"] = serde_json::Value::String("会议一致通过了从未讨论过的事项。".to_string());
    tamper(
        raw,
        &format!(
            "UPDATE records SET body = {} WHERE id = {}",
            sql_text(&body.to_string()),
            meeting.id
        ),
    )
    .await;

    let report = repo.verify().await.expect("verify");
    assert_eq!(
        problem_kinds(&report),
        [ProblemKind::RecordAltered],
        "{report:?}"
    );
    assert_eq!(report.problems[0].record_id, Some(meeting.id));
    assert_eq!(report.problems[0].kind, Some(RecordKind::Meeting));
}

/// A stored version edited behind the application is reported by its id and position.
pub async fn verify_reports_an_altered_version(store: Arc<dyn Backend>, raw: &dyn RawSql) {
    let (repo, _, meeting) = store_with_history(store.clone()).await;
    let history = store.history(meeting.id).await.expect("read the history");
    let first = &history[0];
    tamper(
        raw,
        &format!(
            "UPDATE record_versions SET actor = 'someone-else' WHERE seq = {}",
            first.seq
        ),
    )
    .await;

    let report = repo.verify().await.expect("verify");
    assert_eq!(
        problem_kinds(&report),
        [ProblemKind::VersionAltered],
        "{report:?}"
    );
    assert_eq!(
        (report.problems[0].record_id, report.problems[0].seq),
        (Some(meeting.id), Some(first.seq))
    );
}

/// Removing the newest version leaves the head pointing past the end of the chain.
pub async fn verify_reports_a_removed_newest_version(store: Arc<dyn Backend>, raw: &dyn RawSql) {
    let (repo, _, _) = store_with_history(store.clone()).await;
    let head = store
        .chain_head()
        .await
        .expect("read the head")
        .expect("the chain is not empty");
    tamper(
        raw,
        &format!("DELETE FROM record_versions WHERE seq = {}", head.seq),
    )
    .await;

    let report = repo.verify().await.expect("verify");
    let kinds = problem_kinds(&report);
    assert!(kinds.contains(&ProblemKind::HeadMismatch), "{report:?}");
    assert_eq!(report.versions_checked as i64, head.seq - 1);
}

/// A current row removed behind the application is reported by its id.
pub async fn verify_reports_a_removed_record(store: Arc<dyn Backend>, raw: &dyn RawSql) {
    let (repo, _, meeting) = store_with_history(store.clone()).await;
    tamper(
        raw,
        &format!("DELETE FROM records WHERE id = {}", meeting.id),
    )
    .await;

    let report = repo.verify().await.expect("verify");
    assert_eq!(
        problem_kinds(&report),
        [ProblemKind::RecordRemoved],
        "{report:?}"
    );
    assert_eq!(report.problems[0].record_id, Some(meeting.id));
    let read = repo.get::<Meeting>(meeting.typed_id()).await;
    assert!(
        matches!(read, Err(StorageError::NotFound { .. })),
        "{read:?}"
    );
}

/// A row that cannot be decoded is an error naming the record, never "not found".
pub async fn undecodable_rows_are_corrupt_not_missing(store: Arc<dyn Backend>, raw: &dyn RawSql) {
    let (repo, tree, meeting) = store_with_history(store.clone()).await;
    tamper(
        raw,
        &format!(
            "UPDATE records SET kind = 'gossip' WHERE id = {}",
            tree.members[4].id
        ),
    )
    .await;
    let read = store.get(tree.members[4].id).await;
    assert!(
        matches!(read, Err(StorageError::Corrupt { id, .. }) if id == tree.members[4].id),
        "{read:?}"
    );
    let listed = store.all_records(0, 1_000).await;
    assert!(
        matches!(listed, Err(StorageError::Corrupt { .. })),
        "{listed:?}"
    );

    tamper(
        raw,
        &format!(
            "UPDATE records SET body = 'not json' WHERE id = {}",
            meeting.id
        ),
    )
    .await;
    let read = repo.get::<Meeting>(meeting.typed_id()).await;
    assert!(
        matches!(read, Err(StorageError::Corrupt { id, .. }) if id == meeting.id),
        "{read:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The trusted bulk path
// ---------------------------------------------------------------------------------------------

/// Records written by `bulk_load` are chained exactly like created ones (so `verify` holds), read
/// back like any other, are numbered from a reservation that a writer in between respects, and a
/// malformed path is refused with nothing written. Path ranges read a tenant in byte order and
/// never reach into another tenant.
pub async fn bulk_load_chains_every_record(store: Arc<dyn Backend>) {
    let (repo, _) = repository(store.clone());
    let tree = build_tree(&repo).await;
    let first = repo
        .reserve_record_ids(5)
        .await
        .expect("reserve ids for the bulk load");
    // A writer that comes between the reservation and the load is given an id after it.
    let between = repo
        .create(
            talk(
                tree.branch_id(),
                date(2026, 2, 1),
                tree.member(0),
                tree.member(1),
            ),
            &by("secretary"),
        )
        .await
        .expect("create between the reservation and the load");
    assert!(
        between.id >= first + 5,
        "{} is inside the reservation from {first}",
        between.id
    );
    let before = amount_stored(store.as_ref()).await;

    let party_path = format!(
        "/{}/{}/",
        tree.working_committee.id, tree.party_committee.id
    );
    let branch_id = OrgId(first);
    let branch_path = format!("{party_path}{first}/");
    let entered = instant(2025, 12, 1, 9, 30, 0, 987_654_321);
    let branch = org(
        Some(tree.party_committee.typed_id()),
        "批量导入党支部",
        OrgLevel::Branch,
        date(2016, 1, 1),
    );
    let members = [
        member(
            "周敏",
            vec![posting(branch_id, None, date(2020, 1, 1), None)],
        ),
        member(
            "吴刚",
            vec![posting(branch_id, None, date(2020, 1, 1), None)],
        ),
    ];
    let (first_member, second_member) = (MemberId(first + 1), MemberId(first + 2));
    let held = general_meeting(branch_id, date(2026, 1, 15), &[first_member, second_member]);
    let talked = talk(branch_id, date(2026, 1, 20), first_member, second_member);
    let records = vec![
        crate::TrustedRecord::new(first, branch_path.clone(), &branch, entered)
            .expect("the branch"),
        crate::TrustedRecord::new(first + 1, branch_path.clone(), &members[0], entered)
            .expect("a member"),
        crate::TrustedRecord::new(first + 2, branch_path.clone(), &members[1], entered)
            .expect("a member"),
        crate::TrustedRecord::new(first + 3, branch_path.clone(), &held, entered)
            .expect("a meeting"),
        crate::TrustedRecord::new(first + 4, branch_path.clone(), &talked, entered)
            .expect("a talk"),
    ];

    let mut malformed = records.clone();
    malformed[2].org_path = "/1//".to_string();
    assert_refused(
        store.as_ref(),
        before,
        "a malformed path",
        repo.bulk_load(&malformed, "generator").await,
        "[2].org_path",
        "malformed_path",
    )
    .await;

    repo.bulk_load(&records, "generator")
        .await
        .expect("bulk load");
    assert_eq!(
        amount_stored(store.as_ref()).await,
        (before.0 + 5, before.1 + 5),
        "one version and one row per record"
    );
    let report = repo.verify().await.expect("verify");
    assert!(report.is_intact(), "{report:?}");

    let stored = repo
        .get::<Member>(first_member)
        .await
        .expect("read a loaded member");
    assert_eq!(stored.body, members[0]);
    assert_eq!(
        (
            stored.version,
            stored.first_entered_at,
            stored.last_changed_at
        ),
        (1, entered.trunc_subsecs(6), entered.trunc_subsecs(6))
    );
    let history = repo
        .history(RecordKind::Meeting, first + 3)
        .await
        .expect("the meeting's history");
    assert_eq!(history.len(), 1);
    assert_eq!(
        (
            history[0].operation,
            history[0].actor.as_str(),
            history[0].reason.as_deref()
        ),
        (ChangeOperation::Create, "generator", None)
    );
    let snapshot = repo
        .load_snapshot(branch_id, date(2026, 1, 1), date(2026, 12, 31))
        .await
        .expect("load the loaded branch");
    assert_eq!(
        (
            snapshot.members.len(),
            snapshot.meetings.len(),
            snapshot.talks.len()
        ),
        (2, 1, 1)
    );
    // Loaded records are ordinary: they can be amended through the repository.
    let mut amended = held.clone();
    amended.minutes = "补记会议内容。".to_string();
    repo.amend(
        zhibu_core::MeetingId(first + 3),
        1,
        amended,
        &ChangeMeta::because("secretary", "补记"),
    )
    .await
    .expect("amend a loaded meeting");
    assert!(repo.verify().await.expect("verify").is_intact());

    // A second tenant: a top-level org of its own, with a branch and a member.
    let other_root = repo
        .create(
            org(
                None,
                "另一市直机关工委",
                OrgLevel::WorkingCommittee,
                date(2010, 1, 1),
            ),
            &by("organizer"),
        )
        .await
        .expect("another top-level org");
    let other_branch = repo
        .create(
            org(
                Some(other_root.typed_id()),
                "另一党支部",
                OrgLevel::Branch,
                date(2015, 1, 1),
            ),
            &by("organizer"),
        )
        .await
        .expect("its branch");
    repo.create(
        member(
            "郑洁",
            vec![posting(
                other_branch.typed_id(),
                None,
                date(2020, 1, 1),
                None,
            )],
        ),
        &by("organizer"),
    )
    .await
    .expect("its member");

    let tenant = tree.working_committee.id;
    let range = |from: String, to: String| crate::PathRangeQuery {
        kinds: vec![RecordKind::Member],
        path_from: from,
        path_to: to,
        event_from: None,
        event_to: None,
    };
    let ids = |rows: Vec<RecordRow>| rows.into_iter().map(|row| row.id).collect::<BTreeSet<_>>();
    let whole_tenant = store
        .list_path_range(&range(format!("/{tenant}/"), crate::tenant_end(tenant)))
        .await
        .expect("the tenant's members");
    let mut expected: BTreeSet<i64> = tree
        .members
        .iter()
        .chain(&tree.other_members)
        .map(|member| member.id)
        .collect();
    expected.extend([first + 1, first + 2]);
    assert_eq!(
        ids(whole_tenant),
        expected,
        "every member of the tenant and none of the other"
    );
    let from_loaded_branch = store
        .list_path_range(&range(branch_path.clone(), crate::tenant_end(tenant)))
        .await
        .expect("members from the loaded branch on");
    // Every member of the tenant with its path; a range holds those whose path falls in it.
    let paths: Vec<(i64, String)> = tree
        .members
        .iter()
        .chain(&tree.other_members)
        .map(|member| {
            (
                member.id,
                format!("{party_path}{}/", member.body.postings[0].branch_id),
            )
        })
        .chain([
            (first + 1, branch_path.clone()),
            (first + 2, branch_path.clone()),
        ])
        .collect();
    let expected_after: BTreeSet<i64> = paths
        .iter()
        .filter(|(_, path)| *path >= branch_path)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(
        ids(from_loaded_branch),
        expected_after,
        "a range starts at its first path"
    );
    let only_loaded_branch = store
        .list_path_range(&range(branch_path.clone(), format!("{party_path}{first}0")))
        .await
        .expect("the loaded branch's members");
    assert_eq!(
        ids(only_loaded_branch),
        BTreeSet::from([first + 1, first + 2])
    );
    // Several kinds at once, within dates: the loaded branch's own subtree in one read.
    let subtree = store
        .list_path_range(&crate::PathRangeQuery {
            kinds: vec![RecordKind::Org, RecordKind::Meeting, RecordKind::Talk],
            path_from: branch_path.clone(),
            path_to: crate::subtree_end(&branch_path),
            event_from: Some(date(2016, 1, 1)),
            event_to: Some(date(2026, 1, 15)),
        })
        .await
        .expect("the loaded branch's org and its meeting of 15 January");
    assert_eq!(ids(subtree), BTreeSet::from([first, first + 3]));
    // Reading by ids gives the rows that exist, deleted or not.
    let mut many: Vec<i64> = store
        .get_many(&[first + 4, tree.branch.id, i64::MAX])
        .await
        .expect("read by ids")
        .into_iter()
        .map(|row| row.id)
        .collect();
    many.sort();
    assert_eq!(many, [tree.branch.id, first + 4]);
}

// ---------------------------------------------------------------------------------------------
// The engine's snapshot
// ---------------------------------------------------------------------------------------------

/// A snapshot holds the subtree's records (events of the whole years concerned) and the
/// ancestors, and nothing from beside the subtree.
pub async fn load_snapshot_returns_the_subtree_and_its_ancestors(store: Arc<dyn Backend>) {
    let (repo, _) = repository(store);
    let tree = build_tree(&repo).await;
    let meta = by("secretary");
    let attendees = [tree.member(0), tree.member(1)];
    let mut expected_meetings = BTreeSet::new();
    for held_on in [date(2026, 1, 10), date(2026, 11, 10)] {
        expected_meetings.insert(
            repo.create(
                general_meeting(tree.branch_id(), held_on, &attendees),
                &meta,
            )
            .await
            .expect("create")
            .id,
        );
    }
    let group_meeting = meeting(
        tree.group_id(),
        &[MeetingKind::GroupMeeting],
        date(2026, 2, 3),
        &[tree.member(0)],
    );
    expected_meetings.insert(
        repo.create(group_meeting, &meta)
            .await
            .expect("create a group meeting")
            .id,
    );
    repo.create(
        general_meeting(tree.branch_id(), date(2025, 12, 30), &attendees),
        &meta,
    )
    .await
    .expect("create last year's meeting");
    repo.create(
        general_meeting(
            tree.other_branch_id(),
            date(2026, 1, 10),
            &[tree.other_member(0)],
        ),
        &meta,
    )
    .await
    .expect("create a meeting beside the subtree");
    let branch_talk = repo
        .create(
            talk(
                tree.branch_id(),
                date(2026, 3, 1),
                tree.member(0),
                tree.member(1),
            ),
            &meta,
        )
        .await
        .expect("create a talk");
    repo.create(talk_between_others(&tree), &meta)
        .await
        .expect("create a talk beside the subtree");
    let term = CommitteeTerm {
        org_id: tree.branch_id(),
        form: LeadershipForm::SecretaryOnly,
        elected_on: date(2024, 6, 1),
        term_years: 3,
        positions: vec![CommitteePosition {
            member_id: tree.member(0),
            role: CommitteeRole::Secretary,
            left_on: None,
        }],
        extended_until: None,
    };
    let term = repo
        .create(term, &meta)
        .await
        .expect("create a committee term");
    let exemption = Exemption {
        org_id: tree.branch_id(),
        finding_key: format!("BRANCH.THEME_DAY.MONTHLY|{}|2026-01|-", tree.branch.id),
        granted_by: tree.party_committee.typed_id(),
        granted_on: date(2026, 2, 1),
        reason: "支部集中参加抗洪抢险".to_string(),
    };
    let exemption = repo
        .create(exemption, &by("committee-organizer"))
        .await
        .expect("create an exemption");
    // Rules of the ancestors reach the branch; a rule of the ancestors' other subtrees does not.
    let upper_meta = by("committee-organizer");
    let mut expected_rules = BTreeSet::new();
    for issuer in [
        tree.working_committee.typed_id(),
        tree.party_committee.typed_id(),
    ] {
        let rule = repo
            .create(local_rule(issuer, "BRANCH.THEME_DAY.MONTHLY"), &upper_meta)
            .await
            .expect("create a local rule");
        expected_rules.insert(rule.id);
    }
    let sibling = org(
        Some(tree.working_committee.typed_id()),
        "示例市教育局机关党委",
        OrgLevel::PartyCommittee,
        date(2012, 3, 1),
    );
    let sibling = repo
        .create(sibling, &upper_meta)
        .await
        .expect("create a sibling Party committee");
    repo.create(
        local_rule(sibling.typed_id(), "BRANCH.THEME_DAY.MONTHLY"),
        &upper_meta,
    )
    .await
    .expect("create the sibling's local rule");

    let snapshot = repo
        .load_snapshot(tree.branch_id(), date(2026, 1, 1), date(2026, 3, 31))
        .await
        .expect("load the snapshot");
    let ids = |items: Vec<i64>| items.into_iter().collect::<BTreeSet<_>>();
    assert_eq!(
        ids(snapshot.orgs.iter().map(|org| org.id).collect()),
        ids(vec![
            tree.working_committee.id,
            tree.party_committee.id,
            tree.branch.id,
            tree.group.id
        ]),
        "the subtree's orgs and its ancestors, not its siblings"
    );
    assert_eq!(
        ids(snapshot.members.iter().map(|member| member.id).collect()),
        ids(tree.members.iter().map(|member| member.id).collect())
    );
    assert_eq!(
        ids(snapshot.meetings.iter().map(|meeting| meeting.id).collect()),
        expected_meetings,
        "the whole of 2026, the group's included"
    );
    assert_eq!(
        snapshot
            .talks
            .iter()
            .map(|talk| talk.id)
            .collect::<Vec<_>>(),
        [branch_talk.id]
    );
    assert_eq!(snapshot.committee_terms, [term]);
    assert_eq!(snapshot.exemptions, [exemption]);
    assert_eq!(
        ids(snapshot.local_rules.iter().map(|rule| rule.id).collect()),
        expected_rules
    );
}

fn talk_between_others(tree: &Tree) -> HeartToHeartTalk {
    talk(
        tree.other_branch_id(),
        date(2026, 3, 1),
        tree.other_member(0),
        tree.other_member(1),
    )
}

// ---------------------------------------------------------------------------------------------
// Upgrade from an older schema
// ---------------------------------------------------------------------------------------------

/// One change the first schema's writers made, in chain order.
struct FixtureChange {
    record_id: i64,
    kind: RecordKind,
    operation: ChangeOperation,
    org_path: &'static str,
    event_date: NaiveDate,
    body: String,
    reason: Option<&'static str>,
}

impl FixtureChange {
    fn of<T: Record>(
        record_id: i64,
        operation: ChangeOperation,
        org_path: &'static str,
        body: &T,
        reason: Option<&'static str>,
    ) -> FixtureChange {
        FixtureChange {
            record_id,
            kind: T::KIND,
            operation,
            org_path,
            event_date: body.event_date(),
            body: serde_json::to_string(body).expect("a domain record always serializes"),
            reason,
        }
    }
}

/// What the upgrade fixtures hold, as the first schema stored it: the current rows and the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeFixture {
    pub records: Vec<RecordRow>,
    pub versions: Vec<ChainEntry>,
}

fn upgrade_fixture_orgs() -> [Org; 3] {
    [
        org(
            None,
            "示例市直机关工委",
            OrgLevel::WorkingCommittee,
            date(2010, 1, 1),
        ),
        org(
            Some(OrgId(1)),
            "示例市财政局机关党委",
            OrgLevel::PartyCommittee,
            date(2012, 3, 1),
        ),
        org(
            Some(OrgId(2)),
            "办公室党支部",
            OrgLevel::Branch,
            date(2015, 5, 4),
        ),
    ]
}

fn upgrade_fixture_members() -> [Member; 2] {
    let wang = Member {
        name: "王芳".to_string(),
        sex: Sex::Female,
        birth_date: Some(date(1985, 4, 12)),
        joined_on: date(2010, 7, 1),
        status_history: vec![
            StatusChange {
                effective_on: date(2010, 7, 1),
                status: MemberStatus::Probationary,
                note: None,
            },
            StatusChange {
                effective_on: date(2011, 7, 1),
                status: MemberStatus::Full,
                note: Some("按期转正".to_string()),
            },
        ],
        postings: vec![posting(OrgId(3), None, date(2016, 1, 1), None)],
        employment: EmploymentCategory::Salaried,
        leading_cadre: true,
        org_life_exemption: None,
        registry: Default::default(),
        sanctions: Vec::new(),
    };
    let li = Member {
        name: "李强".to_string(),
        sex: Sex::Male,
        birth_date: None,
        joined_on: date(2018, 6, 30),
        status_history: vec![
            StatusChange {
                effective_on: date(2018, 6, 30),
                status: MemberStatus::Probationary,
                note: None,
            },
            StatusChange {
                effective_on: date(2019, 7, 1),
                status: MemberStatus::Full,
                note: None,
            },
        ],
        postings: vec![BranchPosting {
            transferred_in_from: Some("示例市税务局第二党支部".to_string()),
            ..posting(OrgId(3), None, date(2019, 3, 1), None)
        }],
        employment: EmploymentCategory::Salaried,
        leading_cadre: false,
        org_life_exemption: None,
        registry: Default::default(),
        sanctions: Vec::new(),
    };
    [wang, li]
}

fn upgrade_fixture_meeting() -> (Meeting, Meeting) {
    let mut first = meeting(
        OrgId(3),
        &[MeetingKind::GeneralMeeting, MeetingKind::ThemedPartyDay],
        date(2025, 5, 20),
        &[MemberId(4)],
    );
    first.recorder_id = Some(MemberId(4));
    first.minutes = String::new();
    first.attendance.push(Attendance {
        member_id: MemberId(5),
        state: AttendanceState::Excused {
            reason: "出差".to_string(),
        },
    });
    let mut amended = first.clone();
    amended.minutes = "会议学习了党章第一章，王芳同志领学。".to_string();
    (first, amended)
}

/// The data both backends' upgrade fixtures insert by raw SQL into a database at migration 1: a
/// working committee (1), Party committee (2) and branch (3), two members (4, 5) and a general
/// meeting (6) created and then amended, seven versions in all. The hashes are computed here, so
/// the fixtures' literal hashes prove that data hashed by an older build still verifies.
pub fn upgrade_fixture() -> UpgradeFixture {
    let orgs = upgrade_fixture_orgs();
    let members = upgrade_fixture_members();
    let (meeting_v1, meeting_v2) = upgrade_fixture_meeting();
    let changes = [
        FixtureChange::of(1, ChangeOperation::Create, "/1/", &orgs[0], None),
        FixtureChange::of(2, ChangeOperation::Create, "/1/2/", &orgs[1], None),
        FixtureChange::of(3, ChangeOperation::Create, "/1/2/3/", &orgs[2], None),
        FixtureChange::of(4, ChangeOperation::Create, "/1/2/3/", &members[0], None),
        FixtureChange::of(5, ChangeOperation::Create, "/1/2/3/", &members[1], None),
        FixtureChange::of(6, ChangeOperation::Create, "/1/2/3/", &meeting_v1, None),
        FixtureChange::of(
            6,
            ChangeOperation::Amend,
            "/1/2/3/",
            &meeting_v2,
            Some("补充会议记录"),
        ),
    ];
    let mut versions: Vec<ChainEntry> = Vec::new();
    let mut records: Vec<RecordRow> = Vec::new();
    for (
        index,
        FixtureChange {
            record_id,
            kind,
            operation,
            org_path,
            event_date,
            body,
            reason,
        },
    ) in changes.into_iter().enumerate()
    {
        let seq = index as i64 + 1;
        let entered_at = if operation == ChangeOperation::Amend {
            instant(2025, 6, 2, 9, 30, 0, 500_000_000)
        } else {
            instant(2025, 6, 1, 2, 0, seq as u32, seq as u32 * 1_000)
        };
        let version = versions
            .iter()
            .filter(|entry| entry.record_id == record_id)
            .count() as i32
            + 1;
        let mut entry = ChainEntry {
            seq,
            record_id,
            kind,
            version,
            operation,
            org_path: org_path.to_string(),
            event_date,
            entered_at,
            actor: if reason.is_some() {
                "organizer"
            } else {
                "import"
            }
            .to_string(),
            reason: reason.map(str::to_string),
            body,
            previous_hash: versions.last().map_or_else(
                || GENESIS_HASH.to_string(),
                |previous| previous.hash.clone(),
            ),
            hash: String::new(),
        };
        entry.hash = version_hash(&entry);
        let first_entered_at = records
            .iter()
            .find(|row| row.id == record_id)
            .map_or(entered_at, |row| row.first_entered_at);
        records.retain(|row| row.id != record_id);
        records.push(RecordRow {
            id: record_id,
            kind,
            org_path: entry.org_path.clone(),
            event_date,
            version,
            deleted: false,
            first_entered_at,
            last_changed_at: entered_at,
            body: entry.body.clone(),
        });
        versions.push(entry);
    }
    UpgradeFixture { records, versions }
}

/// Takes a store migrated only to migration 1 into which the backend's test has inserted the
/// [`upgrade_fixture`] by raw SQL, the way the first schema held it; migrates it to the latest
/// version and checks that the old data reads back, verifies and can be built on.
/// `store` was migrated to migration `from` (1 or 2) and loaded with the fixture by raw SQL;
/// migrating it to the latest schema keeps every record and version, and the accounts added by
/// migration 3 work on it.
pub async fn upgrade_keeps_old_data(store: Arc<dyn Backend>, from: i64) {
    assert_eq!(
        store
            .applied_migrations()
            .await
            .expect("read the applied migrations"),
        (1..=from).collect::<Vec<_>>(),
        "the store starts at migration {from}"
    );
    let fixture = upgrade_fixture();
    assert_eq!(
        store
            .chain_entries(0, 100)
            .await
            .expect("read the old chain"),
        fixture.versions,
        "the raw SQL fixture holds the expected chain"
    );

    store
        .migrate()
        .await
        .expect("migrate to the latest version");
    let applied = store
        .applied_migrations()
        .await
        .expect("read the applied migrations");
    assert!(applied.len() >= 3, "{applied:?}");
    assert_eq!(applied, (1..=applied.len() as i64).collect::<Vec<_>>());
    assert_eq!(
        store.chain_entries(0, 100).await.expect("read the chain"),
        fixture.versions,
        "migrating leaves the chain as it was"
    );
    assert_eq!(
        store.all_records(0, 100).await.expect("read the records"),
        fixture.records,
        "migrating leaves the records as they were"
    );

    let clock = TestClock::at(instant(2026, 3, 1, 8, 0, 0, 0));
    let repo = Repository::new(store.clone(), catalogue()).with_clock(clock);
    let report = repo.verify().await.expect("verify");
    assert!(report.is_intact(), "{report:?}");
    assert_eq!((report.versions_checked, report.records_checked), (7, 6));

    let orgs = upgrade_fixture_orgs();
    for (index, expected) in orgs.iter().enumerate() {
        assert_eq!(
            &repo
                .get::<Org>(OrgId(index as i64 + 1))
                .await
                .expect("read an old org")
                .body,
            expected
        );
    }
    let members = upgrade_fixture_members();
    assert_eq!(
        repo.get::<Member>(MemberId(4))
            .await
            .expect("read an old member")
            .body,
        members[0]
    );
    assert_eq!(
        repo.get::<Member>(MemberId(5))
            .await
            .expect("read an old member")
            .body,
        members[1]
    );
    let old_meeting = repo
        .get::<Meeting>(zhibu_core::MeetingId(6))
        .await
        .expect("read the old meeting");
    assert_eq!(old_meeting.body, upgrade_fixture_meeting().1);
    assert_eq!(
        (
            old_meeting.version,
            old_meeting.first_entered_at,
            old_meeting.last_changed_at
        ),
        (
            2,
            instant(2025, 6, 1, 2, 0, 6, 6_000),
            instant(2025, 6, 2, 9, 30, 0, 500_000_000)
        )
    );
    let history = repo
        .history(RecordKind::Meeting, 6)
        .await
        .expect("read the old history");
    assert_eq!(
        history
            .iter()
            .map(|version| version.reason.as_deref())
            .collect::<Vec<_>>(),
        [None, Some("补充会议记录")]
    );
    let listed = repo
        .list::<Member>(&ListRequest {
            subtree: Some(OrgId(3)),
            ..ListRequest::default()
        })
        .await
        .expect("list old members");
    assert_eq!(
        listed
            .items
            .iter()
            .map(|member| member.id)
            .collect::<Vec<_>>(),
        [4, 5]
    );

    // The new migration's feature works on the old data, and new ids follow the old ones.
    let meta = ChangeMeta {
        idempotency_key: Some("after-upgrade".to_string()),
        ..by("secretary")
    };
    let body = talk(OrgId(3), date(2026, 2, 1), MemberId(4), MemberId(5));
    let created = repo
        .create(body.clone(), &meta)
        .await
        .expect("create after the upgrade");
    assert_eq!(created.id, 7);
    assert_eq!(
        repo.create(body, &meta).await.expect("repeat the create"),
        created
    );
    let report = repo.verify().await.expect("verify");
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.versions_checked, 8);

    // Migration 3's accounts work on the upgraded database, linked to an old member.
    let account = store
        .accounts()
        .create_account(&new_account(
            "secretary",
            "branch_secretary",
            Some(3),
            Some(4),
        ))
        .await
        .expect("create an account after the upgrade");
    assert_eq!(
        store
            .accounts()
            .account_by_login("secretary")
            .await
            .expect("read it back"),
        Some(account)
    );
}

fn new_account(login: &str, role: &str, scope: Option<i64>, member: Option<i64>) -> NewAccount {
    NewAccount {
        login: login.to_string(),
        display_name: format!("{login}的名字"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g".to_string(),
        role: role.to_string(),
        scope_org_id: scope,
        member_id: member,
        must_change_password: true,
        created_at: instant(2026, 3, 1, 8, 0, 0, 123_456_000),
    }
}

/// Accounts, sign-in failures and locks, sessions and the audit log, as each database keeps them.
pub async fn accounts_sessions_and_audit(store: Arc<dyn Backend>) {
    let accounts = store.accounts();
    let admin = accounts
        .create_account(&new_account("admin", "administrator", None, None))
        .await
        .expect("create an administrator");
    assert_eq!(
        (
            admin.login.as_str(),
            admin.failed_attempts,
            admin.locked_until,
            admin.must_change_password
        ),
        ("admin", 0, None, true)
    );
    assert_eq!(admin.created_at, instant(2026, 3, 1, 8, 0, 0, 123_456_000));
    match accounts
        .create_account(&new_account("admin", "member", Some(3), Some(4)))
        .await
    {
        Err(StorageError::Invalid(errors)) => {
            assert_eq!(errors.errors[0].field, "login");
            assert_eq!(errors.errors[0].code, "taken");
        }
        other => panic!("a taken login is refused by field, got {other:?}"),
    }
    let member = accounts
        .create_account(&new_account("wang", "member", Some(3), Some(4)))
        .await
        .expect("create a member");
    assert_eq!(
        accounts
            .list_accounts()
            .await
            .expect("list")
            .iter()
            .map(|account| account.login.as_str())
            .collect::<Vec<_>>(),
        ["admin", "wang"]
    );
    assert_eq!(
        accounts.account(member.id).await.expect("read"),
        Some(member.clone())
    );
    assert_eq!(
        accounts.account_by_login("nobody").await.expect("read"),
        None
    );

    // Failures count up in the database; a lock and a success clear as they should.
    assert_eq!(
        accounts
            .count_failed_sign_in(member.id)
            .await
            .expect("count"),
        1
    );
    assert_eq!(
        accounts
            .count_failed_sign_in(member.id)
            .await
            .expect("count"),
        2
    );
    let until = instant(2026, 3, 1, 8, 5, 0, 0);
    accounts.lock_account(member.id, until).await.expect("lock");
    let locked = accounts
        .account(member.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        (locked.failed_attempts, locked.locked_until),
        (2, Some(until))
    );
    accounts
        .clear_failed_sign_ins(member.id)
        .await
        .expect("clear");
    let cleared = accounts
        .account(member.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!((cleared.failed_attempts, cleared.locked_until), (0, None));
    accounts
        .set_password(member.id, "$argon2id$new", false)
        .await
        .expect("set");
    let changed = accounts
        .account(member.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        (changed.password_hash.as_str(), changed.must_change_password),
        ("$argon2id$new", false)
    );
    assert!(matches!(
        accounts.set_password(9999, "x", false).await,
        Err(StorageError::Invalid(_))
    ));

    // Sessions: stored by token hash, found, expired, ended one by one or all at once.
    let session = |hash: char, account_id: i64, expires_minute: u32| SessionRow {
        token_hash: hash.to_string().repeat(64),
        account_id,
        csrf_token: format!("csrf-{hash}"),
        created_at: instant(2026, 3, 1, 8, 0, 0, 0),
        expires_at: instant(2026, 3, 1, 9, expires_minute, 0, 0),
    };
    for row in [
        session('a', admin.id, 0),
        session('b', member.id, 30),
        session('c', member.id, 59),
    ] {
        accounts
            .create_session(&row)
            .await
            .expect("create a session");
    }
    assert_eq!(
        accounts.session(&"b".repeat(64)).await.expect("read"),
        Some(session('b', member.id, 30))
    );
    assert_eq!(accounts.session(&"z".repeat(64)).await.expect("read"), None);
    assert_eq!(
        accounts
            .delete_expired_sessions(instant(2026, 3, 1, 9, 10, 0, 0))
            .await
            .expect("sweep"),
        1
    );
    assert_eq!(accounts.session(&"a".repeat(64)).await.expect("read"), None);
    accounts.delete_session(&"b".repeat(64)).await.expect("end");
    assert_eq!(accounts.session(&"b".repeat(64)).await.expect("read"), None);
    assert_eq!(
        accounts
            .delete_sessions_of_account(member.id)
            .await
            .expect("end all"),
        1
    );

    // The audit log: appended, searched newest first by login, action, time and subtree, paged.
    let entry = |minute: u32, login: &str, action: &str, path: Option<&str>| NewAuditEntry {
        at: instant(2026, 3, 1, 8, minute, 0, 0),
        account_id: Some(admin.id),
        login: Some(login.to_string()),
        action: action.to_string(),
        target_kind: Some("meeting".to_string()),
        target_id: Some(6),
        org_path: path.map(str::to_string),
        detail: r#"{"reason":"补充"}"#.to_string(),
        ip: Some("127.0.0.1".to_string()),
    };
    let mut ids = Vec::new();
    for row in [
        entry(1, "admin", "sign_in", None),
        entry(2, "admin", "create", Some("/1/2/3/")),
        entry(3, "wang", "sign_in_failed", None),
        entry(4, "admin", "amend", Some("/1/2/3/")),
        entry(5, "admin", "create", Some("/1/7/")),
    ] {
        ids.push(accounts.append_audit(&row).await.expect("append"));
    }
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    let search =
        |query: AuditQuery| async move { accounts.search_audit(&query).await.expect("search") };
    let all = search(AuditQuery {
        limit: 10,
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(
        all.iter().map(|entry| entry.id).collect::<Vec<_>>(),
        ids.iter().rev().copied().collect::<Vec<_>>()
    );
    assert_eq!(all[1].detail, r#"{"reason":"补充"}"#);
    assert_eq!(all[1].at, instant(2026, 3, 1, 8, 4, 0, 0));
    let admin_creates = search(AuditQuery {
        login: Some("admin".into()),
        action: Some("create".into()),
        limit: 10,
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(
        admin_creates
            .iter()
            .map(|entry| entry.id)
            .collect::<Vec<_>>(),
        [ids[4], ids[1]]
    );
    let in_subtree = search(AuditQuery {
        path_prefix: Some("/1/2/".into()),
        limit: 10,
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(
        in_subtree.iter().map(|entry| entry.id).collect::<Vec<_>>(),
        [ids[3], ids[1]]
    );
    let in_time = search(AuditQuery {
        from: Some(instant(2026, 3, 1, 8, 2, 0, 0)),
        until: Some(instant(2026, 3, 1, 8, 4, 0, 0)),
        limit: 10,
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(
        in_time.iter().map(|entry| entry.id).collect::<Vec<_>>(),
        [ids[2], ids[1]]
    );
    let page = search(AuditQuery {
        before_id: Some(ids[3]),
        limit: 2,
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(
        page.iter().map(|entry| entry.id).collect::<Vec<_>>(),
        [ids[2], ids[1]]
    );
    assert!(matches!(
        accounts
            .search_audit(&AuditQuery {
                path_prefix: Some("/1/%".into()),
                limit: 10,
                ..AuditQuery::default()
            })
            .await,
        Err(StorageError::Invalid(_))
    ));
}

/// A branch sees every member ever posted to it (issue 6, migration 5): after a transfer the
/// member's record is kept under the new branch, yet the old branch's snapshot still holds them,
/// an old meeting of the old branch that lists them can be entered, and the new branch's roster
/// only counts them from the day they arrived. Undoing the transfer, or a bulk load of a
/// transferred member, keeps the postings index right.
pub async fn a_branch_sees_every_member_ever_posted_to_it(store: Arc<dyn Backend>) {
    let (repo, _clock) = repository(store.clone());
    let tree = build_tree(&repo).await;
    let year = (date(2026, 1, 1), date(2026, 12, 31));
    let moved = tree.members[1].clone();
    let transferred = Member {
        postings: vec![
            posting(
                tree.branch_id(),
                None,
                date(2020, 1, 1),
                Some(date(2026, 6, 1)),
            ),
            posting(tree.other_branch_id(), None, date(2026, 6, 1), None),
        ],
        ..moved.body.clone()
    };
    let moved = repo
        .amend(
            moved.typed_id(),
            moved.version,
            transferred,
            &ChangeMeta::because("organizer", "组织关系转至预算处党支部"),
        )
        .await
        .expect("transfer the member");
    let other_path = repo.org_path(tree.other_branch_id()).await.expect("path");
    let branch_path = repo.org_path(tree.branch_id()).await.expect("path");
    assert_eq!(
        store
            .get(moved.id)
            .await
            .expect("row")
            .expect("row")
            .org_path,
        other_path,
        "a transferred member is kept under the new branch"
    );
    for (root, what) in [
        (tree.branch_id(), "the old branch"),
        (tree.other_branch_id(), "the new branch"),
        (tree.party_committee.typed_id(), "the committee above both"),
    ] {
        let snapshot = repo
            .load_snapshot(root, year.0, year.1)
            .await
            .expect("snapshot");
        assert_eq!(
            snapshot
                .members
                .iter()
                .filter(|member| member.id == moved.id)
                .count(),
            1,
            "{what}'s snapshot holds the transferred member once"
        );
        let ids: Vec<i64> = snapshot.members.iter().map(|member| member.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted, "{what}'s members stay in id order");
    }
    assert_eq!(
        store
            .members_posted_within(&branch_path)
            .await
            .expect("index"),
        vec![moved.id]
    );
    assert!(
        store
            .members_posted_within(&other_path)
            .await
            .expect("index")
            .is_empty(),
        "the branch a member is kept under is not in the index"
    );

    // Back-entering a meeting of the old branch from before the transfer that lists them.
    let attendees = [tree.member(0), moved.typed_id(), tree.member(2)];
    repo.create(
        general_meeting(tree.branch_id(), date(2026, 3, 10), &attendees),
        &by("secretary"),
    )
    .await
    .expect("an old meeting of the old branch may list a member who has transferred out since");
    // After the transfer they belong to the new branch only.
    let before = amount_stored(store.as_ref()).await;
    assert_refused(
        store.as_ref(),
        before,
        "a meeting of the old branch after the transfer",
        repo.create(
            general_meeting(tree.branch_id(), date(2026, 7, 10), &attendees),
            &by("secretary"),
        )
        .await,
        "attendance[1].member_id",
        "not_a_member_of_branch",
    )
    .await;
    assert_refused(
        store.as_ref(),
        before,
        "a meeting of the new branch before the transfer",
        repo.create(
            general_meeting(
                tree.other_branch_id(),
                date(2026, 3, 10),
                &[tree.other_member(0), moved.typed_id()],
            ),
            &by("secretary"),
        )
        .await,
        "attendance[1].member_id",
        "not_a_member_of_branch",
    )
    .await;
    repo.create(
        general_meeting(
            tree.other_branch_id(),
            date(2026, 7, 10),
            &[tree.other_member(0), moved.typed_id()],
        ),
        &by("secretary"),
    )
    .await
    .expect("after the transfer the new branch's meetings list them");

    // The transfer undone: the old branch keeps them under its own path again.
    let undone = Member {
        postings: vec![posting(tree.branch_id(), None, date(2020, 1, 1), None)],
        ..moved.body.clone()
    };
    repo.amend(
        moved.typed_id(),
        moved.version,
        undone,
        &ChangeMeta::because("organizer", "转接信息录入有误"),
    )
    .await
    .expect("undo the transfer");
    assert!(
        store
            .members_posted_within(&branch_path)
            .await
            .expect("index")
            .is_empty(),
        "the index follows the member's latest version"
    );

    // A bulk-loaded member who moved from the other branch to the branch.
    let id = repo.reserve_record_ids(1).await.expect("reserve");
    let arrived = member(
        "周敏",
        vec![
            posting(
                tree.other_branch_id(),
                None,
                date(2018, 1, 1),
                Some(date(2026, 2, 1)),
            ),
            posting(tree.branch_id(), None, date(2026, 2, 1), None),
        ],
    );
    repo.bulk_load(
        &[
            crate::TrustedRecord::new(id, branch_path.clone(), &arrived, first_instant())
                .expect("trusted record"),
        ],
        "importer",
    )
    .await
    .expect("bulk load");
    let snapshot = repo
        .load_snapshot(tree.other_branch_id(), year.0, year.1)
        .await
        .expect("snapshot");
    assert!(
        snapshot.members.iter().any(|member| member.id == id),
        "a bulk-loaded transfer is indexed too"
    );
}

// ---------------------------------------------------------------------------------------------
// Planned meetings (issue 7)
// ---------------------------------------------------------------------------------------------

fn plan(org: OrgId, kinds: &[MeetingKind], planned_on: NaiveDate) -> zhibu_core::MeetingPlan {
    zhibu_core::MeetingPlan {
        org_id: org,
        kinds: kinds.to_vec(),
        planned_on,
        starts_at: Some("14:30".to_string()),
        place: "党员活动室".to_string(),
        topic: "学习传达上级会议精神".to_string(),
    }
}

/// A plan is filed under a branch, or a group meeting under its party group, and refused (by
/// field, writing nothing) anywhere else; it is moved and cancelled with a reason through the
/// versioned path; and it is never a meeting: the engine still reports the month's duty undone.
pub async fn meeting_plans_are_checked_and_never_count_as_meetings(store: Arc<dyn Backend>) {
    use zhibu_core::engine::{EvaluationRequest, FindingStatus, evaluate};
    use zhibu_core::{MeetingPlan, MeetingPlanId};

    let (repo, clock) = repository(store.clone());
    let tree = build_tree(&repo).await;
    let meta = by("secretary");
    clock.set(instant(2026, 7, 2, 2, 0, 0, 0));

    let theme_day_plan = repo
        .create(
            plan(
                tree.branch_id(),
                &[MeetingKind::ThemedPartyDay],
                date(2026, 7, 20),
            ),
            &meta,
        )
        .await
        .expect("plan a themed Party day under the branch");
    assert_eq!(theme_day_plan.event_date, date(2026, 7, 20));
    repo.create(
        plan(
            tree.group_id(),
            &[MeetingKind::GroupMeeting],
            date(2026, 7, 9),
        ),
        &meta,
    )
    .await
    .expect("plan a group meeting under the party group");

    let before = amount_stored(store.as_ref()).await;
    assert_refused(
        store.as_ref(),
        before,
        "a plan under a Party committee",
        repo.create(
            plan(
                tree.party_committee.typed_id(),
                &[MeetingKind::GeneralMeeting],
                date(2026, 7, 20),
            ),
            &meta,
        )
        .await,
        "org_id",
        "not_a_branch",
    )
    .await;
    assert_refused(
        store.as_ref(),
        before,
        "a general meeting planned under a group",
        repo.create(
            plan(
                tree.group_id(),
                &[MeetingKind::GeneralMeeting],
                date(2026, 7, 20),
            ),
            &meta,
        )
        .await,
        "kinds",
        "group_holds_group_meetings",
    )
    .await;
    assert_refused(
        store.as_ref(),
        before,
        "a group meeting planned under the branch",
        repo.create(
            plan(
                tree.branch_id(),
                &[MeetingKind::GroupMeeting],
                date(2026, 7, 20),
            ),
            &meta,
        )
        .await,
        "org_id",
        "not_a_group",
    )
    .await;
    assert_refused(
        store.as_ref(),
        before,
        "a plan under an org that does not exist",
        repo.create(
            plan(
                OrgId(987_654),
                &[MeetingKind::PartyLecture],
                date(2026, 7, 20),
            ),
            &meta,
        )
        .await,
        "org_id",
        "unknown_org",
    )
    .await;
    let mut bad_time = plan(
        tree.branch_id(),
        &[MeetingKind::PartyLecture],
        date(2026, 7, 20),
    );
    bad_time.starts_at = Some("25:00".to_string());
    assert_refused(
        store.as_ref(),
        before,
        "a plan at 25:00",
        repo.create(bad_time, &meta).await,
        "starts_at",
        "invalid_time",
    )
    .await;

    // A plan is not a meeting: July's themed Party day is still to be held.
    let snapshot = repo
        .load_snapshot(tree.branch_id(), date(2026, 1, 1), date(2026, 12, 31))
        .await
        .expect("snapshot");
    let report = evaluate(
        &catalogue(),
        &snapshot,
        &EvaluationRequest {
            root: tree.branch_id(),
            from: date(2026, 1, 1),
            to: date(2026, 12, 31),
            today: date(2026, 7, 2),
            horizon_days: 31,
        },
    );
    let july_theme_day = report
        .findings
        .iter()
        .find(|finding| {
            finding.rule_id == "BRANCH.THEME_DAY.MONTHLY"
                && finding.org_id == tree.branch_id()
                && finding
                    .period
                    .is_some_and(|period| period.first_day == date(2026, 7, 1))
        })
        .unwrap_or_else(|| panic!("July's themed Party day is reported: {:?}", report.findings));
    assert_eq!(july_theme_day.status, FindingStatus::ComingDue);

    // Moved with a reason, then cancelled with a reason; the history keeps all three versions.
    let mut moved = theme_day_plan.body.clone();
    moved.planned_on = date(2026, 7, 22);
    let moved_meta = ChangeMeta {
        reason: Some("与上级会议冲突，改期".to_string()),
        ..by("secretary")
    };
    let amended = repo
        .amend(theme_day_plan.typed_id(), 1, moved, &moved_meta)
        .await
        .expect("move the plan");
    assert_eq!(
        (amended.version, amended.event_date),
        (2, date(2026, 7, 22))
    );
    let cancel = ChangeMeta {
        reason: Some("取消：并入主题党日".to_string()),
        ..by("secretary")
    };
    repo.delete::<MeetingPlan>(theme_day_plan.typed_id(), 2, &cancel)
        .await
        .expect("cancel the plan");
    let listed = repo
        .list::<MeetingPlan>(&ListRequest {
            subtree: Some(tree.branch_id()),
            ..ListRequest::default()
        })
        .await
        .expect("list plans");
    assert_eq!(
        listed
            .items
            .iter()
            .map(|item| item.body.kinds.clone())
            .collect::<Vec<_>>(),
        vec![vec![MeetingKind::GroupMeeting]],
        "a cancelled plan is no longer listed"
    );
    let history = repo
        .history(RecordKind::MeetingPlan, theme_day_plan.id)
        .await
        .expect("history");
    assert_eq!(
        history
            .iter()
            .map(|version| (version.operation, version.reason.clone()))
            .collect::<Vec<_>>(),
        vec![
            (ChangeOperation::Create, None),
            (ChangeOperation::Amend, moved_meta.reason.clone()),
            (ChangeOperation::Delete, cancel.reason.clone()),
        ]
    );
    let read = repo
        .get::<MeetingPlan>(MeetingPlanId(theme_day_plan.id))
        .await;
    assert!(
        matches!(read, Err(StorageError::NotFound { kind: RecordKind::MeetingPlan, id }) if id == theme_day_plan.id),
        "a cancelled plan reads as gone: {read:?}"
    );
}
