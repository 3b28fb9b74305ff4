//! The demo city's dues (issue 4): deterministic, valid record by record, kept by the branch the
//! rules say collects them, paid to the fen by everyone but the planted members, varied the way a
//! real city's books are — and loaded through the bulk path into SQLite and PostgreSQL, where the
//! engine reports exactly the planted imperfections and the chain verifies.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::NaiveDate;
use zhibu_core::dues::{
    DuesPayment, DuesRecords, DuesRelief, IncomeDeclaration, PaymentMethod, ReliefKind, YearMonth,
    dues_branch_for, member_ledger,
};
use zhibu_core::engine::{EvaluationRequest, FindingStatus, Snapshot, evaluate};
use zhibu_core::money::Fen;
use zhibu_core::rules::Catalogue;
use zhibu_core::{EmploymentCategory, MemberId, OrgId, OrgLevel, Record};
use zhibu_demo::{DemoConfig, DemoDataset, generate, load};
use zhibu_storage::sealing::DataKey;
use zhibu_storage::{Backend, Repository};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

fn standard() -> DemoConfig {
    DemoConfig::new(20_261_129, day("2026-11-29"))
}

const DUES_RULES: [&str; 2] = ["DUES.NONPAYMENT.SIX_MONTHS", "DUES.HARDSHIP"];

#[test]
fn the_same_seed_gives_the_same_dues() {
    let first = generate(&standard());
    let second = generate(&standard());
    for index in (0..first.branch_count()).step_by(7) {
        let records = first.branch_records(index);
        assert_eq!(
            first.branch_dues(index, &records),
            second.branch_dues(index, &second.branch_records(index)),
            "branch {index}"
        );
    }
    let other = generate(&DemoConfig {
        seed: standard().seed + 1,
        ..standard()
    });
    assert_ne!(
        first.branch_dues(0, &first.branch_records(0)),
        other.branch_dues(0, &other.branch_records(0))
    );
}

/// Every record passes its own checks, names the branch the rules say keeps it (第九条), and is in
/// the past; payments are made inside the six-month window and in advance only with consent.
#[test]
fn every_dues_record_is_valid_and_kept_by_the_collecting_branch() {
    let config = standard();
    let dataset = generate(&config);
    let snapshot = dataset.snapshot();
    let members: BTreeMap<i64, &zhibu_core::Member> = snapshot
        .members
        .iter()
        .map(|member| (member.id, &member.body))
        .collect();
    let parent: BTreeMap<i64, Option<OrgId>> = snapshot
        .orgs
        .iter()
        .map(|org| (org.id, org.body.parent_id))
        .collect();
    let branches = snapshot
        .orgs
        .iter()
        .filter(|org| org.body.level == OrgLevel::Branch)
        .count();
    let opened = YearMonth::of(dataset.first_day());
    let today = config.today;

    assert_eq!(
        snapshot.dues_policies.len(),
        branches,
        "one setting a branch"
    );
    for policy in &snapshot.dues_policies {
        policy.body.validate().expect("valid settings");
        assert_eq!(policy.body.ledger_opened, opened);
        assert!(policy.body.decided_on < dataset.first_day());
    }
    for declaration in &snapshot.income_declarations {
        let body = &declaration.body;
        body.validate()
            .unwrap_or_else(|errors| panic!("{body:?}: {errors}"));
        let member = members[&body.member_id.0];
        assert_eq!(
            dues_branch_for(member, body.effective_month),
            Some(body.branch_id),
            "{body:?}"
        );
        assert!(declaration.first_entered_at.date_naive() <= today);
    }
    for payment in &snapshot.dues_payments {
        let body = &payment.body;
        body.validate()
            .unwrap_or_else(|errors| panic!("{body:?}: {errors}"));
        let member = members[&body.member_id.0];
        assert_eq!(
            member.branch_on(body.paid_on),
            Some(body.branch_id),
            "{body:?}"
        );
        assert!(body.paid_on < today, "{body:?}");
        for month in &body.months_covered {
            assert_eq!(
                dues_branch_for(member, *month),
                Some(body.branch_id),
                "{body:?}"
            );
        }
        assert!(
            body.months_beyond_back_payment_window(6).is_empty(),
            "{body:?}"
        );
        assert!(!body.is_advance_without_consent(), "{body:?}");
        assert!(
            !matches!(
                body.method,
                PaymentMethod::Payroll | PaymentMethod::PaidByOrganization
            ),
            "第十四条: {body:?}"
        );
    }
    for relief in &snapshot.dues_reliefs {
        let body = &relief.body;
        body.validate_recording()
            .unwrap_or_else(|errors| panic!("{body:?}: {errors}"));
        let member = members[&body.member_id.0];
        assert_eq!(
            dues_branch_for(member, body.from_month),
            Some(body.branch_id)
        );
        if let Some(approver) = body.approved_by {
            assert_eq!(parent[&body.branch_id.0], Some(approver), "approved above");
        }
    }
}

/// The members in arrears as the ledger (`zhibu_core::dues::member_ledger`, the function the
/// pages and the engine use) computes them up to the last whole month, by branch.
fn members_in_arrears(
    dataset: &DemoDataset,
    snapshot: &Snapshot,
) -> BTreeMap<OrgId, Vec<MemberId>> {
    let today = dataset.config.today;
    let through = YearMonth::of(today).previous();
    let opened = YearMonth::of(dataset.first_day());
    let mut by_branch: BTreeMap<
        OrgId,
        (Vec<IncomeDeclaration>, Vec<DuesPayment>, Vec<DuesRelief>),
    > = BTreeMap::new();
    for declaration in &snapshot.income_declarations {
        by_branch
            .entry(declaration.body.branch_id)
            .or_default()
            .0
            .push(declaration.body.clone());
    }
    for payment in &snapshot.dues_payments {
        by_branch
            .entry(payment.body.branch_id)
            .or_default()
            .1
            .push(payment.body.clone());
    }
    for relief in &snapshot.dues_reliefs {
        by_branch
            .entry(relief.body.branch_id)
            .or_default()
            .2
            .push(relief.body.clone());
    }
    let mut in_arrears: BTreeMap<OrgId, Vec<MemberId>> = BTreeMap::new();
    for member in &snapshot.members {
        let Some(branch) = dues_branch_for(&member.body, through) else {
            continue;
        };
        let Some((declarations, payments, reliefs)) = by_branch.get(&branch) else {
            panic!("branch {branch} keeps no dues");
        };
        // The member's present run in the branch, as the engine reads it.
        let mut since = through;
        while since > opened && dues_branch_for(&member.body, since.previous()) == Some(branch) {
            since = since.previous();
        }
        let records = DuesRecords {
            declarations,
            payments,
            reliefs,
        };
        let ledger = member_ledger(member, &records, &Default::default(), since, through);
        assert!(
            ledger.months_with_unknown_due.is_empty(),
            "{}: no base declared for {:?}",
            member.body.name,
            ledger.months_with_unknown_due
        );
        if ledger.is_in_arrears() {
            in_arrears
                .entry(branch)
                .or_default()
                .push(MemberId(member.id));
        }
    }
    in_arrears
}

/// Everyone pays what they owe, to the fen, except one member in each branch with a planted dues
/// imperfection (three or six months unpaid, or paying a reduction that was never approved).
#[test]
fn everyone_but_the_planted_members_is_paid_to_the_fen() {
    for config in [
        standard(),
        DemoConfig {
            branches: 150,
            ..DemoConfig::new(7, day("2026-01-05"))
        },
    ] {
        let dataset = generate(&config);
        let snapshot = dataset.snapshot();
        let in_arrears = members_in_arrears(&dataset, &snapshot);
        let planted: BTreeSet<OrgId> = dataset
            .planted
            .iter()
            .filter(|planted| DUES_RULES.contains(&planted.rule_id))
            .map(|planted| planted.org_id)
            .collect();
        assert!(planted.len() >= 3, "{planted:?}");
        assert_eq!(
            in_arrears.keys().copied().collect::<BTreeSet<_>>(),
            planted,
            "{config:?}: {in_arrears:?}"
        );
        assert!(in_arrears.values().all(|members| members.len() == 1));
    }
}

/// The books look like a real city's: every band, retirees, students, mid-year changes,
/// probationary members from their vote, proxies, quarterly payers, back payment, approved relief.
#[test]
fn the_books_are_varied() {
    let config = standard();
    let dataset = generate(&config);
    let snapshot = dataset.snapshot();
    let members: BTreeMap<i64, &zhibu_core::Member> = snapshot
        .members
        .iter()
        .map(|member| (member.id, &member.body))
        .collect();
    let opened = YearMonth::of(dataset.first_day());
    let mut salaried_bands = BTreeSet::new();
    let mut retiree_bands = BTreeSet::new();
    let mut categories = BTreeSet::new();
    let mut at_the_edge = 0;
    let mut mid_year = 0;
    for declaration in &snapshot.income_declarations {
        let body = &declaration.body;
        categories.insert(format!("{:?}", body.category));
        let base = body
            .monthly_base
            .amount()
            .expect("in clear in the generator");
        match body.category {
            EmploymentCategory::Salaried => {
                salaried_bands.insert(match base.fen() {
                    ..=300_000 => 0,
                    300_001..=500_000 => 1,
                    500_001..=1_000_000 => 2,
                    _ => 3,
                });
                if base == Fen::from_yuan(3_000) {
                    at_the_edge += 1;
                }
            }
            EmploymentCategory::Retired => {
                retiree_bands.insert(base > Fen::from_yuan(5_000));
            }
            EmploymentCategory::Student => assert_eq!(base, Fen::ZERO),
            _ => {}
        }
        if body.effective_month != opened && !matches!(body.effective_month.month(), 1) {
            mid_year += 1;
        }
    }
    assert_eq!(salaried_bands.len(), 4, "{salaried_bands:?}");
    assert_eq!(retiree_bands.len(), 2);
    for category in ["Salaried", "Retired", "Student"] {
        assert!(categories.contains(category), "{categories:?}");
    }
    assert!(at_the_edge >= 1, "a base of exactly 3000.00元");
    assert!(mid_year >= 20, "{mid_year} mid-year changes");

    // Probationary members owe from the month of the vote: their first declaration is for it.
    let mut first_declared: BTreeMap<(i64, OrgId), YearMonth> = BTreeMap::new();
    for declaration in &snapshot.income_declarations {
        let key = (declaration.body.member_id.0, declaration.body.branch_id);
        let month = declaration.body.effective_month;
        first_declared
            .entry(key)
            .and_modify(|first| *first = (*first).min(month))
            .or_insert(month);
    }
    let joiners: Vec<_> = first_declared
        .iter()
        .filter(|((member, _), _)| members[member].joined_on >= dataset.first_day())
        .collect();
    assert!(joiners.len() >= 10, "{} joiners", joiners.len());
    for ((member, _), first) in joiners {
        assert_eq!(*first, YearMonth::of(members[member].joined_on));
    }

    let payments = &snapshot.dues_payments;
    let count = |test: &dyn Fn(&DuesPayment) -> bool| {
        payments
            .iter()
            .filter(|payment| test(&payment.body))
            .count()
    };
    assert!(payments.len() > 150_000, "{} payments", payments.len());
    assert!(count(&|payment| payment.proxy.is_some()) >= 100);
    assert!(count(&|payment| payment.quarterly_consent_ref.is_some()) >= 100);
    assert!(count(&|payment| payment.months_covered.len() == 2) >= 100);
    assert!(count(&|payment| payment.method == PaymentMethod::Cash) >= 1000);
    assert!(count(&|payment| payment.method == PaymentMethod::Transfer) >= 1000);
    assert!(
        snapshot.dues_reliefs.iter().any(|relief| {
            !relief.body.upper_approval_ref.is_empty()
                && matches!(relief.body.kind, ReliefKind::Reduce { .. })
        }),
        "an approved reduction"
    );
}

/// The engine's dues findings over the generator's snapshot: exactly the planted ones, for several
/// seeds and days (the whole-city test in `engine.rs` covers every rule at once).
fn dues_findings(
    snapshot: &Snapshot,
    dataset: &DemoDataset,
    root: OrgId,
) -> BTreeSet<common::FindingKey> {
    let catalogue = Catalogue::national().expect("the national catalogue loads");
    let today = dataset.config.today;
    let request = EvaluationRequest {
        root,
        from: dataset.first_day(),
        to: today,
        today,
        horizon_days: 0,
    };
    evaluate(&catalogue, snapshot, &request)
        .findings
        .into_iter()
        .filter(|finding| finding.rule_id.starts_with("DUES."))
        .map(|finding| {
            (
                finding.rule_id.clone(),
                finding.org_id.0,
                finding.period_label.clone(),
                finding.status == FindingStatus::ComingDue,
            )
        })
        .collect()
}

fn planted_dues(planted: &[zhibu_demo::Planted]) -> BTreeSet<common::FindingKey> {
    common::planted_keys(planted)
        .into_iter()
        .filter(|(rule, ..)| rule.starts_with("DUES."))
        .collect()
}

#[test]
fn the_engine_finds_exactly_the_planted_dues_imperfections() {
    for config in [
        DemoConfig {
            branches: 150,
            ..DemoConfig::new(99, day("2025-07-01"))
        },
        DemoConfig {
            branches: 120,
            ..DemoConfig::new(3, day("2027-03-31"))
        },
    ] {
        let dataset = generate(&config);
        let found = dues_findings(&dataset.snapshot(), &dataset, dataset.root_id());
        let planted = planted_dues(&dataset.planted);
        assert!(planted.len() >= 3, "{planted:?}");
        assert_eq!(found, planted, "{config:?}");
    }
}

/// Removes a SQLite file and its WAL companions when the test ends, pass or fail.
struct TempDatabase(std::path::PathBuf);

impl Drop for TempDatabase {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

fn nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default()
}

/// A small city with every dues imperfection.
fn small_city() -> DemoConfig {
    DemoConfig::new(20_261_129, day("2026-11-29")).with_branches(40)
}

/// Loads the small city, then checks what storage holds: the dues records, the engine's dues
/// findings over the stored snapshot equal to the planted ones, and an intact chain.
async fn loads_with_its_dues(backend: Arc<dyn Backend>) {
    // Income is sealed at rest: the loader writes dues only with a data key.
    let repo = Repository::new(
        backend,
        Arc::new(Catalogue::from_rules(Vec::new()).expect("empty")),
    )
    .with_data_key(Arc::new(DataKey::generate().0));
    let config = small_city();
    let dataset = generate(&config);
    let summary = load(&repo, &dataset).await.expect("the demo city loads");
    assert!(summary.dues_written);
    let generated = dataset.snapshot();
    let counts = summary.counts;
    assert_eq!(
        (
            counts.dues_policies,
            counts.income_declarations,
            counts.dues_payments,
            counts.dues_reliefs
        ),
        (
            generated.dues_policies.len() as u64,
            generated.income_declarations.len() as u64,
            generated.dues_payments.len() as u64,
            generated.dues_reliefs.len() as u64
        )
    );
    let stored = repo
        .load_snapshot(summary.root, dataset.first_day(), config.today)
        .await
        .expect("snapshot");
    assert_eq!(stored.dues_payments.len(), generated.dues_payments.len());
    assert_eq!(
        stored.income_declarations.len(),
        generated.income_declarations.len()
    );
    assert_eq!(stored.dues_reliefs.len(), generated.dues_reliefs.len());
    assert_eq!(stored.dues_policies.len(), generated.dues_policies.len());
    let planted = planted_dues(&summary.planted);
    assert!(planted.len() >= 3, "{planted:?}");
    assert_eq!(dues_findings(&stored, &dataset, summary.root), planted);
    // Read back through the repository (which opens sealed fields when it holds the key): the
    // payments are the generator's, member by member.
    let paid = |snapshot: &Snapshot| {
        let mut by_member: BTreeMap<String, i64> = BTreeMap::new();
        let names: BTreeMap<i64, String> = snapshot
            .members
            .iter()
            .map(|member| (member.id, member.body.name.clone()))
            .collect();
        for payment in &snapshot.dues_payments {
            *by_member
                .entry(names[&payment.body.member_id.0].clone())
                .or_default() += payment.body.amount.fen();
        }
        by_member
    };
    assert_eq!(paid(&stored), paid(&generated));
    let verified = repo.verify().await.expect("verify");
    assert!(
        verified.is_intact(),
        "{:?}",
        &verified.problems[..verified.problems.len().min(5)]
    );
}

/// Without a data key the repository refuses income in clear, so the loader writes no dues at all
/// and says so; the planted list it returns leaves the dues imperfections out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_data_key_the_city_has_no_dues() {
    let file = TempDatabase(std::env::temp_dir().join(format!(
        "zhibu-demo-nokey-{}-{}.db",
        std::process::id(),
        nanos()
    )));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", file.0.display()))
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    let repo = Repository::new(
        Arc::new(backend),
        Arc::new(Catalogue::from_rules(Vec::new()).expect("empty")),
    );
    let dataset = generate(&DemoConfig::new(5, day("2026-11-29")).with_branches(8));
    let summary = load(&repo, &dataset).await.expect("the demo city loads");
    assert!(!summary.dues_written);
    assert_eq!(
        summary.counts.dues_payments + summary.counts.income_declarations,
        0
    );
    assert!(
        summary
            .planted
            .iter()
            .all(|planted| !planted.rule_id.starts_with("DUES."))
    );
    let stored = repo
        .load_snapshot(summary.root, dataset.first_day(), dataset.config.today)
        .await
        .expect("snapshot");
    assert!(stored.dues_payments.is_empty() && stored.dues_policies.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dues_load_into_sqlite() {
    let file = TempDatabase(std::env::temp_dir().join(format!(
        "zhibu-demo-dues-{}-{}.db",
        std::process::id(),
        nanos()
    )));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", file.0.display()))
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    loads_with_its_dues(Arc::new(backend)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dues_load_into_postgres() {
    let url = match std::env::var("ZHIBU_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            assert!(
                !std::env::var("ZHIBU_REQUIRE_POSTGRES").is_ok_and(|value| value == "1"),
                "ZHIBU_REQUIRE_POSTGRES=1 but ZHIBU_TEST_POSTGRES_URL is not set"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: ZHIBU_TEST_POSTGRES_URL not set — the PostgreSQL demo dues test did not run"
            );
            return;
        }
    };
    let schema = format!("zhibu_demo_dues_{}_{}", std::process::id(), nanos());
    let backend = zhibu_storage_postgres::connect_with_schema(&url, &schema)
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    let outcome = tokio::spawn(loads_with_its_dues(Arc::new(backend.clone()))).await;
    backend.pool().close().await;
    let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("connect to drop the schema");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut connection)
        .await
        .expect("drop the schema");
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}
