//! Dues records checked in the write transaction (issue 4), shared by both backends' tests so that
//! the checks in `context.rs` run on SQLite and on PostgreSQL alike.
//!
//! A dues record (income declaration, payment, relief, branch settings) is kept under the branch it
//! names, and the transaction that writes it checks that against the records around it:
//! - the branch exists and is a 党支部 (not a committee, not a Party group);
//! - the member exists and is not deleted;
//! - the branch is the member's dues branch: for a declaration or relief, the branch holding the
//!   membership on the first day of the month (党费规定 第九条; a member transferred mid-month pays
//!   that month to the branch they left), for a payment the branch on the day it was paid;
//! - a relief's approver is an organization strictly above the branch (第七条).
//!
//! Every refusal names the field and a stable code, says why in Chinese and English, and writes
//! nothing (no record, no version); an amendment is checked the same way as a creation.

use std::fmt::Debug;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use zhibu_core::dues::{
    BasisPoints, BranchDuesPolicy, DuesPayment, DuesRelief, IncomeDeclaration, MonthlyBase,
    PaymentMethod, ReliefKind, YearMonth,
};
use zhibu_core::money::Fen;
use zhibu_core::rules::Catalogue;
use zhibu_core::{
    BranchPosting, EmploymentCategory, Member, MemberId, MemberStatus, Org, OrgId, OrgLevel, Sex,
    StatusChange, UnitKind,
};

use crate::sealing::DataKey;
use crate::testsuite::TestClock;
use crate::{Backend, ChangeMeta, Repository, StorageError};

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a valid test date")
}

fn month(text: &str) -> YearMonth {
    let (year, month) = text.split_once('-').expect("YYYY-MM");
    YearMonth::new(year.parse().expect("year"), month.parse().expect("month"))
        .expect("a valid test month")
}

fn first_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 20, 2, 0, 0)
        .single()
        .expect("a valid test instant")
}

fn org(parent: Option<OrgId>, name: &str, level: OrgLevel) -> Org {
    Org {
        parent_id: parent,
        name: name.to_string(),
        level,
        unit_kind: UnitKind::GovernmentOrgan,
        established_on: date("2010-01-01"),
        dissolved_on: None,
    }
}

fn posting(branch: OrgId, from: &str, until: Option<&str>) -> BranchPosting {
    BranchPosting {
        branch_id: branch,
        group_id: None,
        from: date(from),
        until: until.map(date),
        transferred_in_from: None,
        transferred_out_to: None,
    }
}

/// A full member since 2016 with these postings.
fn member(name: &str, postings: Vec<BranchPosting>) -> Member {
    Member {
        name: name.to_string(),
        sex: Sex::Male,
        birth_date: Some(date("1986-09-02")),
        joined_on: date("2015-07-01"),
        status_history: vec![
            StatusChange {
                effective_on: date("2015-07-01"),
                status: MemberStatus::Probationary,
                note: None,
            },
            StatusChange {
                effective_on: date("2016-07-01"),
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

fn declaration(member: MemberId, branch: OrgId, effective: &str) -> IncomeDeclaration {
    IncomeDeclaration {
        member_id: member,
        branch_id: branch,
        category: EmploymentCategory::Salaried,
        monthly_base: MonthlyBase::Amount(Fen::from_fen(500_000)),
        effective_month: month(effective),
        note: String::new(),
    }
}

fn payment(member: MemberId, branch: OrgId, paid_on: &str, months: &[&str]) -> DuesPayment {
    DuesPayment {
        member_id: member,
        branch_id: branch,
        paid_on: date(paid_on),
        amount: Fen::from_fen(1_500),
        months_covered: months.iter().map(|m| month(m)).collect(),
        method: PaymentMethod::Transfer,
        proxy: None,
        quarterly_consent_ref: None,
    }
}

fn relief(
    member: MemberId,
    branch: OrgId,
    from: &str,
    to: &str,
    approved_by: Option<OrgId>,
) -> DuesRelief {
    DuesRelief {
        member_id: member,
        branch_id: branch,
        from_month: month(from),
        to_month: month(to),
        kind: ReliefKind::Waive,
        branch_decision_ref: "2026年3月支委会决定".into(),
        upper_approval_ref: "机关党委〔2026〕5号".into(),
        approved_by,
    }
}

fn policy(branch: OrgId) -> BranchDuesPolicy {
    BranchDuesPolicy {
        branch_id: branch,
        decided_on: date("2026-01-05"),
        ledger_opened: month("2026-01"),
        farmer_monthly_amount: Fen::from_fen(50),
        remit_share: BasisPoints::ALL,
    }
}

/// The chain's length and the number of current rows, read by the backend itself.
async fn amount_stored(store: &dyn Backend) -> (i64, usize) {
    let seq = store
        .chain_head()
        .await
        .expect("read the chain head")
        .map_or(0, |head| head.seq);
    let mut rows = 0;
    let mut after = 0;
    loop {
        let page = store.all_records(after, 500).await.expect("read the rows");
        let Some(last) = page.last() else { break };
        after = last.id;
        rows += page.len();
    }
    (seq, rows)
}

/// Asserts a refusal naming `field` with `code`, with a message in both languages that contains
/// `zh` and `en`, and that nothing was written.
async fn assert_refused<T: Debug>(
    store: &dyn Backend,
    what: &str,
    outcome: Result<T, StorageError>,
    (field, code): (&str, &str),
    (zh, en): (&str, &str),
) {
    let before = amount_stored(store).await;
    match outcome {
        Err(StorageError::Invalid(errors)) => {
            let error = errors
                .errors
                .iter()
                .find(|error| error.field == field && error.code == code)
                .unwrap_or_else(|| {
                    panic!("{what}: expected an error on {field} ({code}), got {errors:?}")
                });
            assert!(
                error.message_zh.contains(zh),
                "{what}: the Chinese message should say {zh:?}: {}",
                error.message_zh
            );
            assert!(
                error.message_en.contains(en),
                "{what}: the English message should say {en:?}: {}",
                error.message_en
            );
        }
        other => panic!("{what}: expected an error on {field} ({code}), got {other:?}"),
    }
    assert_eq!(
        amount_stored(store).await,
        before,
        "{what}: a refused write leaves the store as it was"
    );
}

/// The tree: 示例市直机关工委 ⊃ 财政局机关党委 ⊃ {办公室党支部 ⊃ 第一党小组, 预算处党支部}.
/// 王芳 moved from 办公室 to 预算处 on 2026-03-15 (so March's dues are 办公室's, April's 预算处's);
/// 李强 is in 预算处 throughout; 张伟 was in 办公室 and is deleted.
pub async fn dues_records_are_checked_in_the_write_transaction(store: Arc<dyn Backend>) {
    let (key, _) = DataKey::generate();
    let clock = TestClock::at(first_instant());
    let repo = Repository::new(
        store.clone(),
        Arc::new(Catalogue::national().expect("the national catalogue loads")),
    )
    .with_clock(clock)
    .with_data_key(Arc::new(key));
    let meta = ChangeMeta::by("treasurer");
    let create_org = |body: Org| {
        let repo = &repo;
        let meta = &meta;
        async move {
            repo.create(body, meta)
                .await
                .expect("create an org")
                .typed_id()
        }
    };
    let root = create_org(org(None, "示例市直机关工委", OrgLevel::WorkingCommittee)).await;
    let committee = create_org(org(Some(root), "财政局机关党委", OrgLevel::PartyCommittee)).await;
    let office = create_org(org(Some(committee), "办公室党支部", OrgLevel::Branch)).await;
    let group = create_org(org(Some(office), "第一党小组", OrgLevel::PartyGroup)).await;
    let budget = create_org(org(Some(committee), "预算处党支部", OrgLevel::Branch)).await;
    let moved = repo
        .create(
            member(
                "王芳",
                vec![
                    posting(office, "2015-01-01", Some("2026-03-15")),
                    posting(budget, "2026-03-15", None),
                ],
            ),
            &meta,
        )
        .await
        .expect("create the member who moved")
        .typed_id();
    let stayed = repo
        .create(
            member("李强", vec![posting(budget, "2018-01-01", None)]),
            &meta,
        )
        .await
        .expect("create the member who stayed")
        .typed_id();
    let gone = repo
        .create(
            member("张伟", vec![posting(office, "2018-01-01", None)]),
            &meta,
        )
        .await
        .expect("create the member to delete");
    repo.delete::<Member>(
        gone.typed_id(),
        gone.version,
        &ChangeMeta::because("treasurer", "重复录入"),
    )
    .await
    .expect("delete the member");
    let gone = gone.typed_id();
    let store = store.as_ref();
    let not_member = ("branch_id", "not_member_of_branch");
    let art9 = ("党费规定第九条", "dues rules art. 9");

    // Income declarations: the dues branch of the month they take effect.
    repo.create(declaration(moved, office, "2026-03"), &meta)
        .await
        .expect("March is the old branch's: it held the membership on 1 March");
    repo.create(declaration(moved, budget, "2026-04"), &meta)
        .await
        .expect("April is the new branch's");
    assert_refused(
        store,
        "declaration for March under the new branch",
        repo.create(declaration(moved, budget, "2026-03"), &meta)
            .await,
        not_member,
        ("预算处党支部", "did not belong to 预算处党支部 in 2026-03"),
    )
    .await;
    assert_refused(
        store,
        "declaration for April under the old branch",
        repo.create(declaration(moved, office, "2026-04"), &meta)
            .await,
        not_member,
        art9,
    )
    .await;
    assert_refused(
        store,
        "declaration before the member joined the branch",
        repo.create(declaration(stayed, budget, "2017-12"), &meta)
            .await,
        not_member,
        art9,
    )
    .await;
    assert_refused(
        store,
        "declaration under a committee",
        repo.create(declaration(stayed, committee, "2026-04"), &meta)
            .await,
        ("branch_id", "not_a_branch"),
        ("财政局机关党委", "dues are recorded under a branch"),
    )
    .await;
    assert_refused(
        store,
        "declaration under a Party group",
        repo.create(declaration(moved, group, "2026-02"), &meta)
            .await,
        ("branch_id", "not_a_branch"),
        ("第一党小组", "第一党小组"),
    )
    .await;
    assert_refused(
        store,
        "declaration under an org that does not exist",
        repo.create(declaration(stayed, OrgId(999_999), "2026-04"), &meta)
            .await,
        ("branch_id", "unknown_org"),
        ("999999", "999999"),
    )
    .await;
    assert_refused(
        store,
        "declaration for a deleted member",
        repo.create(declaration(gone, office, "2026-02"), &meta)
            .await,
        ("member_id", "unknown_member"),
        ("不存在", "does not exist"),
    )
    .await;
    assert_refused(
        store,
        "declaration for a member who does not exist",
        repo.create(declaration(MemberId(999_998), office, "2026-02"), &meta)
            .await,
        ("member_id", "unknown_member"),
        ("999998", "999998"),
    )
    .await;

    // Payments: the branch the member belonged to on the day they paid.
    let paid = repo
        .create(payment(moved, office, "2026-03-10", &["2026-03"]), &meta)
        .await
        .expect("paid to the old branch before the move");
    repo.create(payment(moved, budget, "2026-03-20", &["2026-04"]), &meta)
        .await
        .expect("paid to the new branch after the move");
    assert_refused(
        store,
        "payment to the old branch after the move",
        repo.create(payment(moved, office, "2026-03-20", &["2026-03"]), &meta)
            .await,
        not_member,
        ("在2026-03-20不在办公室党支部", "on 2026-03-20"),
    )
    .await;
    assert_refused(
        store,
        "payment to the new branch on the day before the move",
        repo.create(payment(moved, budget, "2026-03-14", &["2026-03"]), &meta)
            .await,
        not_member,
        art9,
    )
    .await;
    assert_refused(
        store,
        "payment to another branch",
        repo.create(payment(stayed, office, "2026-04-02", &["2026-04"]), &meta)
            .await,
        not_member,
        art9,
    )
    .await;
    assert_refused(
        store,
        "payment to the working committee",
        repo.create(payment(stayed, root, "2026-04-02", &["2026-04"]), &meta)
            .await,
        ("branch_id", "not_a_branch"),
        ("示例市直机关工委", "dues are recorded under a branch"),
    )
    .await;
    assert_refused(
        store,
        "payment of a deleted member",
        repo.create(payment(gone, office, "2026-02-02", &["2026-02"]), &meta)
            .await,
        ("member_id", "unknown_member"),
        ("不存在", "does not exist"),
    )
    .await;
    // An amendment is checked like a creation, and a refused one leaves the version as it was.
    assert_refused(
        store,
        "payment amended to the new branch on a day before the move",
        repo.amend::<DuesPayment>(
            paid.typed_id(),
            paid.version,
            payment(moved, budget, "2026-03-10", &["2026-03"]),
            &ChangeMeta::because("treasurer", "改记到预算处"),
        )
        .await,
        not_member,
        art9,
    )
    .await;
    let amended = repo
        .amend::<DuesPayment>(
            paid.typed_id(),
            paid.version,
            payment(moved, office, "2026-03-12", &["2026-03"]),
            &ChangeMeta::because("treasurer", "更正交纳日期"),
        )
        .await
        .expect("amended within the old branch's days");
    assert_eq!(amended.version, paid.version + 1);

    // Reliefs: decided by the dues branch of the first month, approved from strictly above it.
    repo.create(
        relief(moved, office, "2026-03", "2026-03", Some(committee)),
        &meta,
    )
    .await
    .expect("approved by the Party committee above");
    repo.create(
        relief(stayed, budget, "2026-04", "2026-06", Some(root)),
        &meta,
    )
    .await
    .expect("approved by the working committee further up");
    let awaiting = DuesRelief {
        upper_approval_ref: String::new(),
        ..relief(stayed, budget, "2026-07", "2026-08", None)
    };
    repo.create(awaiting, &meta)
        .await
        .expect("awaiting approval: stored (and flagged by the engine), not refused here");
    assert_refused(
        store,
        "relief from March decided by the new branch",
        repo.create(
            relief(moved, budget, "2026-03", "2026-04", Some(committee)),
            &meta,
        )
        .await,
        not_member,
        ("预算处党支部", "did not belong to 预算处党支部 in 2026-03"),
    )
    .await;
    let not_upper = ("approved_by", "not_upper_org");
    assert_refused(
        store,
        "relief approved by a sibling branch",
        repo.create(
            relief(stayed, budget, "2026-04", "2026-04", Some(office)),
            &meta,
        )
        .await,
        not_upper,
        (
            "办公室党支部不是预算处党支部的上级党组织",
            "办公室党支部 is not above 预算处党支部",
        ),
    )
    .await;
    assert_refused(
        store,
        "relief approved by the branch itself",
        repo.create(
            relief(stayed, budget, "2026-04", "2026-04", Some(budget)),
            &meta,
        )
        .await,
        not_upper,
        ("党费规定第七条", "dues rules art. 7"),
    )
    .await;
    assert_refused(
        store,
        "relief approved by a Party group below the branch",
        repo.create(
            relief(moved, office, "2026-02", "2026-02", Some(group)),
            &meta,
        )
        .await,
        not_upper,
        (
            "第一党小组不是办公室党支部的上级党组织",
            "第一党小组 is not above",
        ),
    )
    .await;
    assert_refused(
        store,
        "relief approved by an org that does not exist",
        repo.create(
            relief(stayed, budget, "2026-04", "2026-04", Some(OrgId(999_997))),
            &meta,
        )
        .await,
        ("approved_by", "unknown_org"),
        ("999997", "999997"),
    )
    .await;

    // Branch settings are kept by a branch.
    repo.create(policy(office), &meta)
        .await
        .expect("a branch keeps its dues settings");
    assert_refused(
        store,
        "dues settings of a committee",
        repo.create(policy(committee), &meta).await,
        ("branch_id", "not_a_branch"),
        ("财政局机关党委", "dues are recorded under a branch"),
    )
    .await;

    // Everything accepted is kept under its branch, and the chain is whole.
    let report = repo.verify().await.expect("verify");
    assert!(report.is_intact(), "{:?}", report.problems);
    let office_path = store
        .get(office.0)
        .await
        .expect("read the branch")
        .expect("the branch exists")
        .org_path;
    let kept = store
        .get(amended.id)
        .await
        .expect("read the payment")
        .expect("the payment exists");
    assert_eq!(
        kept.org_path, office_path,
        "a payment is kept under its branch"
    );
}
