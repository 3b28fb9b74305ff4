//! `zhibu-bench`: Zhibu's benchmarks at city scale. Every subcommand prints its figures with the
//! settings that produced them; docs/PERFORMANCE.md records them with the exact commands.
//!
//! ```sh
//! cargo run --release -p zhibu-bench -- load --scale city --database-url sqlite:///var/tmp/zhibu-bench/city.db
//! cargo run --release -p zhibu-bench -- recheck --database-url sqlite:///var/tmp/zhibu-bench/city.db
//! cargo run --release -p zhibu-bench -- incremental --database-url sqlite:///var/tmp/zhibu-bench/city.db
//! cargo run --release -p zhibu-bench -- serve-load --database-url sqlite:///var/tmp/zhibu-bench/city.db
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Datelike;
use clap::{Parser, Subcommand};
use zhibu_bench::city::{BENCH_YEAR, bench_today, city_config, load_city};
use zhibu_bench::http::{Connection, LoadReport, drive, percentile, sign_in};
use zhibu_bench::{memory, open};
use zhibu_core::{AttendanceState, Meeting, MeetingId, Org, OrgId, OrgLevel};
use zhibu_storage::recheck::{DEFAULT_CHUNK_BRANCHES, RecheckScope, Rechecker, read_floor};
use zhibu_storage::stored::{finding_store, horizon_for};
use zhibu_storage::{ChangeMeta, FindingsKeeper, ListRequest, Replace, Repository, StorageError};

/// Branches in the city of the issue (about 1,000,000 members).
const CITY_BRANCHES: u32 = 50_000;

/// Cities in the "province" scale: 250,000 branches, about 5,000,000 members.
const PROVINCE_CITIES: u32 = 5;

#[derive(Parser)]
#[command(
    name = "zhibu-bench",
    about = "Zhibu benchmarks at city scale (see docs/PERFORMANCE.md)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generates cities (one year of records each) and writes them through the trusted bulk path.
    Load {
        /// `sqlite://PATH` or `postgres://USER@HOST/DATABASE` (an empty database).
        #[arg(long)]
        database_url: String,
        /// `city` (50,000 branches), `province` (five cities), or a number of branches.
        #[arg(long, default_value = "city")]
        scale: String,
        /// Cities to load, each a tenant (top-level org) of its own; `province` means five.
        #[arg(long)]
        tenants: Option<u32>,
        #[arg(long, default_value_t = 20_261_129)]
        seed: u64,
        /// PostgreSQL only: partition the record tables by tenant before loading.
        #[arg(long)]
        partitioned: bool,
        /// Run `verify` over the whole store afterwards and time it.
        #[arg(long)]
        verify: bool,
    },
    /// A full re-check of every rule for every branch of a tenant for the year, against the read
    /// floor (the same reads without evaluating), alternately, `runs` times each.
    Recheck {
        #[arg(long)]
        database_url: String,
        /// The tenant (top-level org id); the first top-level org when not given.
        #[arg(long)]
        tenant: Option<i64>,
        #[arg(long, default_value_t = DEFAULT_CHUNK_BRANCHES)]
        chunk: usize,
        #[arg(long, default_value_t = 3)]
        runs: u32,
    },
    /// One edit (a meeting amended or recorded) and the incremental re-check of what it reaches,
    /// `edits` times.
    Incremental {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        tenant: Option<i64>,
        #[arg(long, default_value_t = 200)]
        edits: u32,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Starts the server in this process and drives the committee dashboards (the whole city's
    /// and its departments'), the drill page and branch pages with concurrent clients.
    ServeLoad {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        tenant: Option<i64>,
        #[arg(long, default_value_t = 32)]
        clients: usize,
        /// Seconds per run.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
}

struct Failure(String);

impl From<StorageError> for Failure {
    fn from(error: StorageError) -> Self {
        Failure(error.to_string())
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("zhibu-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn secs(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

async fn run(cli: Cli) -> Result<(), Failure> {
    println!("machine: {} cores, {}", available_cores(), machine());
    match cli.command {
        Command::Load {
            database_url,
            scale,
            tenants,
            seed,
            partitioned,
            verify,
        } => load(&database_url, &scale, tenants, seed, partitioned, verify).await,
        Command::Recheck {
            database_url,
            tenant,
            chunk,
            runs,
        } => recheck(&database_url, tenant, chunk, runs).await,
        Command::Incremental {
            database_url,
            tenant,
            edits,
            seed,
        } => incremental(&database_url, tenant, edits, seed).await,
        Command::ServeLoad {
            database_url,
            tenant,
            clients,
            seconds,
        } => serve_load(&database_url, tenant, clients, Duration::from_secs(seconds)).await,
    }
}

fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                line.strip_prefix("model name")
                    .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                line.strip_prefix("MemTotal:")
                    .map(|rest| rest.trim().to_string())
            })
        })
        .unwrap_or_else(|| "unknown memory".to_string());
    format!("{cpu}, {memory}")
}

async fn load(
    url: &str,
    scale: &str,
    tenants: Option<u32>,
    seed: u64,
    partitioned: bool,
    verify: bool,
) -> Result<(), Failure> {
    let (branches, default_tenants) = match scale {
        "city" => (CITY_BRANCHES, 1),
        "province" => (CITY_BRANCHES, PROVINCE_CITIES),
        number => (
            number.parse::<u32>().map_err(|_| {
                Failure(format!(
                    "--scale {number}: say city, province or a number of branches"
                ))
            })?,
            1,
        ),
    };
    let tenants = tenants.unwrap_or(default_tenants).max(1);
    if partitioned {
        let backend = zhibu_storage_postgres::connect(url).await?;
        zhibu_storage::Backend::migrate(&backend).await?;
        backend.partition_by_tenant().await?;
        println!("record tables partitioned by tenant (8 hash partitions)");
    }
    let repository = open(url).await?;
    for tenant in 0..tenants {
        let config = city_config(seed + u64::from(tenant), branches);
        let stats = load_city(&repository, &config).await?;
        println!(
            "tenant {}: {} branches (seed {}), {} orgs, {} members ({} transfers), {} committee terms, {} meetings, {} talks: {} records, {:.0} MB of bodies",
            stats.root,
            branches,
            config.seed,
            stats.orgs,
            stats.members,
            stats.member_transfers,
            stats.committee_terms,
            stats.meetings,
            stats.talks,
            stats.records(),
            stats.body_bytes as f64 / 1e6
        );
        println!(
            "  generated and loaded in {} ({:.0} records/s; {} bulk transactions; the loader waited {} for the generator)",
            secs(stats.elapsed),
            stats.records_per_second(),
            stats.batches,
            secs(stats.waited_for_generator)
        );
    }
    if verify {
        let started = Instant::now();
        let report = repository.verify().await?;
        println!(
            "verify: {} versions and {} records checked in {}, {} problems",
            report.versions_checked,
            report.records_checked,
            secs(started.elapsed()),
            report.problems.len()
        );
        if !report.is_intact() {
            return Err(Failure(format!(
                "verify found problems: {:?}",
                report.problems.first()
            )));
        }
    }
    println!("{}", memory::describe());
    Ok(())
}

/// The tenant to work on: the one given, or the first top-level org.
async fn tenant_of(repository: &Repository, tenant: Option<i64>) -> Result<OrgId, Failure> {
    if let Some(id) = tenant {
        return Ok(OrgId(id));
    }
    let first = repository
        .list::<Org>(&ListRequest {
            limit: Some(1),
            ..ListRequest::default()
        })
        .await?;
    let org = first
        .items
        .first()
        .ok_or_else(|| Failure("the database holds no org: run `load` first".to_string()))?;
    match org.body.parent_id {
        None => Ok(OrgId(org.id)),
        Some(_) => Err(Failure(format!(
            "org {} is not a top-level org: say --tenant",
            org.id
        ))),
    }
}

fn scope(tenant: OrgId) -> RecheckScope {
    RecheckScope {
        tenant,
        year: BENCH_YEAR,
        today: bench_today(),
        // What the pages use on that day, so that the stored findings serve them.
        horizon_days: horizon_for(bench_today()),
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

async fn recheck(url: &str, tenant: Option<i64>, chunk: usize, runs: u32) -> Result<(), Failure> {
    let repository = open(url).await?;
    let tenant = tenant_of(&repository, tenant).await?;
    let scope = scope(tenant);
    println!(
        "tenant {tenant}, year {BENCH_YEAR} as of {}, {} branches per chunk",
        scope.today, chunk
    );
    // One pass to bring the database's pages into memory, so that every timed run starts warm.
    let started = Instant::now();
    let warm = read_floor(&repository, scope, chunk).await?;
    println!(
        "warm-up read: {} in {} ({} rows, {:.0} MB of bodies; {} members, {} meetings, {} talks, {} terms, {} orgs)",
        warm.chunks,
        secs(started.elapsed()),
        warm.rows,
        warm.body_bytes as f64 / 1e6,
        warm.members,
        warm.meetings,
        warm.talks,
        warm.committee_terms,
        warm.orgs
    );
    let mut floors = Vec::new();
    let mut rechecks = Vec::new();
    let mut findings = 0;
    let mut branches = 0;
    for run in 1..=runs.max(1) {
        let started = Instant::now();
        read_floor(&repository, scope, chunk).await?;
        let floor = started.elapsed();
        let started = Instant::now();
        let (rechecker, _) = Rechecker::full(&repository, scope, chunk).await?;
        let full = started.elapsed();
        findings = rechecker.finding_count();
        branches = rechecker.branch_count();
        println!(
            "run {run}: read floor {}, full re-check {} ({:.2}× the floor), {} branches, {} findings",
            secs(floor),
            secs(full),
            full.as_secs_f64() / floor.as_secs_f64().max(1e-9),
            branches,
            findings
        );
        floors.push(floor);
        rechecks.push(full);
    }
    let (floor, full) = (median(floors), median(rechecks));
    println!(
        "median: read floor {}, full re-check {} ({:.2}× the floor); {:.1} µs per branch; {} findings over {} branches",
        secs(floor),
        secs(full),
        full.as_secs_f64() / floor.as_secs_f64().max(1e-9),
        full.as_secs_f64() * 1e6 / branches.max(1) as f64,
        findings,
        branches
    );
    // Once more, and the findings stored (migration 5) for the pages.
    let started = Instant::now();
    let (rechecker, _) = Rechecker::full(&repository, scope, chunk).await?;
    let evaluated = started.elapsed();
    let storing = Instant::now();
    let rows = rechecker.stored_rows_all();
    let stored = finding_store(&repository)?
        .store_findings(&rechecker.state(repository.now()), Replace::All, &rows)
        .await?;
    println!(
        "full re-check and store: {} ({} to store {} findings{})",
        secs(evaluated + storing.elapsed()),
        secs(storing.elapsed()),
        rows.len(),
        if stored {
            ""
        } else {
            "; refused: a later state is stored"
        }
    );
    println!("{}", memory::describe());
    Ok(())
}

/// A small deterministic random stream (splitmix64) for choosing edits.
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
}

/// One edit of a branch's year: a meeting's attendance changed (three edits in four) or a meeting
/// recorded again on another day of its month. `None` when the branch has no suitable meeting.
async fn edit_branch(
    repository: &Repository,
    branch: OrgId,
    stream: &mut Stream,
    round: u32,
) -> Result<Option<&'static str>, Failure> {
    let year_start = chrono::NaiveDate::from_ymd_opt(BENCH_YEAR, 1, 1);
    let year_end = chrono::NaiveDate::from_ymd_opt(BENCH_YEAR, 12, 31);
    let meetings = repository
        .list::<Meeting>(&ListRequest {
            subtree: Some(branch),
            event_from: year_start,
            event_to: year_end,
            limit: Some(100),
            ..ListRequest::default()
        })
        .await?
        .items;
    let candidates: Vec<_> = meetings
        .into_iter()
        .filter(|meeting| meeting.body.org_id == branch && meeting.body.attendance.len() >= 3)
        .collect();
    if candidates.is_empty() {
        return Ok(None);
    }
    let chosen = &candidates[stream.below(candidates.len())];
    if stream.below(4) == 0 {
        let mut copy = chosen.body.clone();
        copy.minutes = format!("基准测试补录第{round}次");
        let day = copy
            .held_on
            .with_day(1 + stream.below(27) as u32)
            .unwrap_or(copy.held_on);
        copy.held_on = day;
        match repository.create(copy, &ChangeMeta::by("bench")).await {
            Ok(_) => Ok(Some("recorded a meeting")),
            // A day on which an attendee was not yet (or no longer) in the branch: try another edit.
            Err(StorageError::Invalid(_)) => Ok(None),
            Err(other) => Err(other.into()),
        }
    } else {
        let mut amended = chosen.body.clone();
        let at = 1 + stream.below(amended.attendance.len() - 1);
        let entry = &mut amended.attendance[at];
        entry.state = match entry.state {
            AttendanceState::Present => AttendanceState::Absent,
            _ => AttendanceState::Present,
        };
        match repository
            .amend(
                MeetingId(chosen.id),
                chosen.version,
                amended,
                &ChangeMeta::because("bench", "更正出席情况"),
            )
            .await
        {
            Ok(_) => Ok(Some("changed an attendance")),
            // A vote's counts that no longer fit the attendance: try another edit.
            Err(StorageError::Invalid(_)) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }
}

async fn incremental(url: &str, tenant: Option<i64>, edits: u32, seed: u64) -> Result<(), Failure> {
    let repository = open(url).await?;
    let tenant = tenant_of(&repository, tenant).await?;
    let scope = scope(tenant);
    let started = Instant::now();
    let (mut rechecker, _) = Rechecker::full(&repository, scope, DEFAULT_CHUNK_BRANCHES).await?;
    println!(
        "full re-check first: {} ({} branches, {} findings, {} postings outside their record's branch)",
        secs(started.elapsed()),
        rechecker.branch_count(),
        rechecker.finding_count(),
        rechecker.foreign_postings()
    );
    let branches = rechecker.branches();
    // The stored findings, kept as a server keeps them: resumed from what is stored (or stored by
    // a full pass first), then brought up to date after each edit.
    let keeper = FindingsKeeper::new(repository.clone());
    let started = Instant::now();
    keeper
        .refresh_now(tenant.0, BENCH_YEAR, scope.today)
        .await?;
    println!(
        "stored findings ready: {} (a full pass and store if none were stored for the day, else reading the tenant's orgs)",
        secs(started.elapsed())
    );
    let mut stores = Vec::new();
    let mut stream = Stream(seed);
    let (mut writes, mut checks, mut totals) = (Vec::new(), Vec::new(), Vec::new());
    let mut reached = 0;
    let mut round = 0;
    while (checks.len() as u32) < edits && round < edits * 4 {
        round += 1;
        let branch = branches[stream.below(branches.len())];
        let began = Instant::now();
        let Some(_what) = edit_branch(&repository, branch, &mut stream, round).await? else {
            continue;
        };
        let written = began.elapsed();
        let checking = Instant::now();
        let outcome = rechecker.catch_up().await?;
        let checked = checking.elapsed();
        if outcome.full {
            return Err(Failure(format!(
                "edit {round} reached {} branches and ran a full pass",
                outcome.branches.len()
            )));
        }
        reached += outcome.branches.len();
        let storing = Instant::now();
        keeper
            .refresh_now(tenant.0, BENCH_YEAR, scope.today)
            .await?;
        stores.push(storing.elapsed());
        writes.push(written);
        checks.push(checked);
        totals.push(written + checked);
    }
    writes.sort();
    checks.sort();
    totals.sort();
    stores.sort();
    println!(
        "{} edits (a meeting's attendance changed, or a meeting recorded), {:.2} branches re-checked per edit",
        checks.len(),
        reached as f64 / checks.len().max(1) as f64
    );
    println!(
        "incremental re-check (catch up with the chain, evaluate the branches reached): p50 {}, p99 {}, max {}",
        ms(percentile(&checks, 0.5)),
        ms(percentile(&checks, 0.99)),
        ms(percentile(&checks, 1.0))
    );
    println!(
        "stored findings brought up to date (catch up, re-check, replace the branch's rows and the generation in one transaction): p50 {}, p99 {}, max {}",
        ms(percentile(&stores, 0.5)),
        ms(percentile(&stores, 0.99)),
        ms(percentile(&stores, 1.0))
    );
    println!(
        "the write itself (validated, one transaction): p50 {}, p99 {}",
        ms(percentile(&writes, 0.5)),
        ms(percentile(&writes, 0.99))
    );
    println!(
        "write + re-check: p50 {}, p99 {}",
        ms(percentile(&totals, 0.5)),
        ms(percentile(&totals, 0.99))
    );
    println!("{}", memory::describe());
    Ok(())
}

fn print_load(label: &str, clients: usize, report: &LoadReport) {
    println!(
        "{label}: {clients} clients, {} requests in {}: {:.1} requests/s, p50 {}, p99 {}, max {}, {} errors, {:.0} KB per page{}",
        report.requests(),
        secs(report.elapsed),
        report.throughput(),
        ms(report.percentile(0.5)),
        ms(report.percentile(0.99)),
        ms(report.percentile(1.0)),
        report.errors,
        report.bytes as f64 / report.requests().max(1) as f64 / 1024.0,
        report
            .first_error
            .as_ref()
            .map_or_else(String::new, |error| format!(" (first error: {error})"))
    );
}

async fn serve_load(
    url: &str,
    tenant: Option<i64>,
    clients: usize,
    duration: Duration,
) -> Result<(), Failure> {
    let repository = open(url).await?;
    let tenant = tenant_of(&repository, tenant).await?;
    println!("after opening the database: {}", memory::describe());
    let credentials = zhibu_web::auth::create_demo_accounts(&repository, tenant)
        .await
        .map_err(|error| Failure(format!("demo accounts: {error:?}")))?;
    let staff = credentials
        .iter()
        .find(|credential| credential.login == "demo-staff")
        .ok_or_else(|| Failure("no demo staff account".to_string()))?;
    let mut committees = Vec::new();
    let mut branches = Vec::new();
    let mut after = None;
    loop {
        let page = repository
            .list::<Org>(&ListRequest {
                subtree: Some(tenant),
                after_id: after,
                limit: Some(1000),
                ..ListRequest::default()
            })
            .await?;
        for org in &page.items {
            match org.body.level {
                OrgLevel::PartyCommittee => committees.push(OrgId(org.id)),
                OrgLevel::Branch => branches.push(OrgId(org.id)),
                _ => {}
            }
        }
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    if committees.is_empty() || branches.is_empty() {
        return Err(Failure(
            "the tenant has no department committee or no branch".to_string(),
        ));
    }
    let state = zhibu_web::AppState::with_fixed_today(repository.clone(), bench_today());
    let app = zhibu_web::spawn(state)
        .await
        .map_err(|error| Failure(format!("start the server: {error}")))?;
    let address = app.address();
    let cookie = sign_in(address, &staff.login, &staff.password)
        .await
        .map_err(Failure)?;
    println!(
        "server on {address}; signed in as {} (committee staff of {tenant}); {} department committees, {} branches; year {BENCH_YEAR}",
        staff.login,
        committees.len(),
        branches.len()
    );
    let year = BENCH_YEAR;
    let committee_path = |id: OrgId| format!("/committees/{id}?year={year}");
    let branch_path = |id: OrgId| format!("/branches/{id}?year={year}");

    let mut runs: Vec<(String, Pick)> = Vec::new();
    let path = committee_path(tenant);
    runs.push((
        "root committee dashboard (the whole city, from the stored findings)".to_string(),
        Arc::new(move |_, _| path.clone()),
    ));
    let drill = format!("/committees/{tenant}/findings?year={year}");
    runs.push((
        "root committee drill page (the city's open findings, first 50)".to_string(),
        Arc::new(move |_, _| drill.clone()),
    ));
    let one_committee = committee_path(committees[0]);
    runs.push((
        format!("one department committee's dashboard ({})", committees[0]),
        Arc::new(move |_, _| one_committee.clone()),
    ));
    let committee_paths: Arc<Vec<String>> =
        Arc::new(committees.iter().map(|id| committee_path(*id)).collect());
    runs.push((
        format!(
            "department dashboards, each request a random one of {}",
            committee_paths.len()
        ),
        Arc::new(move |client, n| {
            committee_paths[spread(client, n, committee_paths.len())].clone()
        }),
    ));
    let one_branch = branch_path(branches[0]);
    runs.push((
        format!("one branch page ({})", branches[0]),
        Arc::new(move |_, _| one_branch.clone()),
    ));
    let branch_paths: Arc<Vec<String>> =
        Arc::new(branches.iter().map(|id| branch_path(*id)).collect());
    runs.push((
        format!(
            "branch pages, each request a random one of {}",
            branch_paths.len()
        ),
        Arc::new(move |client, n| branch_paths[spread(client, n, branch_paths.len())].clone()),
    ));

    for (label, pick) in runs {
        // The first request of a fixed page fills the caches (for a committee: the keeper reads
        // the tenant's orgs, or makes the day's full pass if nothing is stored); it is timed on
        // its own, and repeated until the stored findings are ready.
        let first = pick(0, 0);
        let started = Instant::now();
        let mut connection = Connection::open(address).await.map_err(Failure)?;
        loop {
            let (status, _, body) = connection
                .send("GET", &first, Some(&cookie), None)
                .await
                .map_err(Failure)?;
            let text = String::from_utf8_lossy(&body);
            if text.contains("id=\"findings-pending\"")
                && started.elapsed() < Duration::from_secs(600)
            {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            println!(
                "{label}: first request {} ({status}, {} KB)",
                ms(started.elapsed()),
                body.len() / 1024
            );
            break;
        }
        let report = drive(address, &cookie, clients, duration, pick).await;
        print_load(&label, clients, &report);
        println!("  server process: {}", memory::describe());
    }
    app.stop()
        .await
        .map_err(|error| Failure(format!("stop the server: {error}")))?;
    Ok(())
}

/// Which page client `c` asks for in its `n`-th request.
type Pick = Arc<dyn Fn(usize, u64) -> String + Send + Sync>;

/// A deterministic spread of request `n` of client `client` over `len` pages.
fn spread(client: usize, n: u64, len: usize) -> usize {
    let mut stream = Stream((client as u64) << 32 ^ n);
    stream.below(len)
}
