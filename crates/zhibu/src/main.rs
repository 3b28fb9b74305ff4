//! `zhibu`: the command line. It parses arguments, opens the database and hands over to the
//! library crates; it holds no domain logic of its own.

mod database;
mod export;
mod import;
mod import_history;
mod remind;
mod table;

use std::process::ExitCode;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use zhibu_core::calendar::china_date;
use zhibu_core::engine::{EvaluationRequest, FindingStatus, evaluate};
use zhibu_core::rules::Catalogue;
use zhibu_core::{Org, OrgId};
use zhibu_storage::{ListRequest, NewAuditEntry, Repository, StorageError};
use zhibu_web::ApiError;
use zhibu_web::auth::handlers::{NewAccountRequest, create_account, reset_password};
use zhibu_web::auth::{DemoCredential, Role, create_demo_accounts};

#[derive(Parser)]
#[command(
    name = "zhibu",
    version,
    about = "支部 Zhibu — 党支部工作记录与合规检查 / Party branch records and compliance"
)]
struct Cli {
    /// 数据库地址 / database URL: sqlite://PATH or postgres://…
    #[arg(long, env = "ZHIBU_DATABASE_URL", default_value = database::DEFAULT_DATABASE_URL, global = true)]
    database_url: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 启动网页与接口服务 / serve the web application and API
    Serve {
        /// 监听地址 / address to listen on
        #[arg(long, default_value = "127.0.0.1:8080", env = "ZHIBU_LISTEN")]
        listen: String,
        /// 数据库为空时先生成示例组织，并为每种角色生成一次性演示账号 / build the demo organization first
        /// if the database is empty, and print fresh demo credentials for every role
        #[arg(long)]
        demo: bool,
        /// 会话Cookie仅经HTTPS发送（部署在TLS之后时使用）/ mark the session cookie Secure (behind TLS)
        #[arg(long, env = "ZHIBU_SECURE_COOKIES")]
        secure_cookies: bool,
        /// 提醒：SMTP、每日时间等 / reminders: SMTP, daily time and the rest
        #[command(flatten)]
        notify: remind::NotifyArgs,
        /// 补录标准：活动后满多少天才录入算补录（常态化情况，默认30）/ a record entered this many days
        /// or more after its event is a late entry on the regularity pages (default 30)
        #[arg(long, env = "ZHIBU_LATE_ENTRY_DAYS", default_value_t = 30,
              value_parser = clap::value_parser!(u32).range(1..=366))]
        late_entry_days: u32,
    },
    /// 账号管理 / manage accounts
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// 生成示例组织（虚构的市直机关）/ build the demo organization (a fictional city's organs)
    Demo {
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long, default_value_t = 300)]
        branches: u32,
        /// 以哪一天为“今天”生成 / the day the demo treats as today (default: today in China)
        #[arg(long)]
        today: Option<NaiveDate>,
    },
    /// 检查组织及其下级的合规情况 / check an organization's subtree against the rules
    Check {
        /// 组织编号；省略时为唯一的顶层组织 / org id; default: the single top-level org
        #[arg(long)]
        org: Option<i64>,
        /// 起始日期 / first day (default: 1 January of today's year)
        #[arg(long)]
        from: Option<NaiveDate>,
        /// 截止日期 / last day (default: today)
        #[arg(long)]
        to: Option<NaiveDate>,
        /// 以哪一天为“今天” / the day treated as today (default: today in China)
        #[arg(long)]
        today: Option<NaiveDate>,
        /// 提前提醒的天数 / how many days ahead to report duties coming due
        #[arg(long, default_value_t = 30)]
        horizon_days: u32,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// 只列出未豁免的问题，不含即将到期 / only open findings (no coming-due, no exempted)
        #[arg(long)]
        open_only: bool,
    },
    /// 校验历史记录未被绕过系统改动 / verify that no record was altered behind the application
    Verify,
    /// 执行数据库迁移 / apply database migrations
    Migrate,
    /// 发送今日的截止提醒（供cron调用；重复运行不会重复提醒）/ send today's deadline reminders (for
    /// cron; running it again the same day tells nobody twice) and retry failed deliveries
    Remind(remind::RemindArgs),
    /// 导入电子表格（党员名册、党费收缴历史、以往会议） / import spreadsheets (member rosters, dues history, past meetings)
    Import {
        #[command(subcommand)]
        command: import::ImportCommand,
    },
    /// 导出与打印：名册、党费登记表、出勤、年度纪实、会议记录、纪实表 / export registers (PDF, xlsx, DOCX)
    Export {
        #[command(subcommand)]
        command: export::ExportCommand,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// 新建账号并打印一次性密码 / create an account and print its one-time password
    Create {
        #[arg(long)]
        login: String,
        /// 姓名 / display name
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// 所属党组织编号（系统管理员不填）/ the org the account works in (not for administrators)
        #[arg(long)]
        org: Option<i64>,
        /// 本人的党员记录编号 / the holder's own member record
        #[arg(long)]
        member: Option<i64>,
    },
    /// 重置密码并打印新的一次性密码 / reset a password and print a new one-time password
    Reset {
        #[arg(long)]
        login: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Administrator,
    CommitteeStaff,
    BranchSecretary,
    BranchCommitteeMember,
    Member,
}

impl RoleArg {
    fn role(self) -> Role {
        match self {
            RoleArg::Administrator => Role::Administrator,
            RoleArg::CommitteeStaff => Role::CommitteeStaff,
            RoleArg::BranchSecretary => Role::BranchSecretary,
            RoleArg::BranchCommitteeMember => Role::BranchCommitteeMember,
            RoleArg::Member => Role::Member,
        }
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::Storage(storage) => Failure::from(storage),
            other => Failure(other.to_string()),
        }
    }
}

/// Writes an audit entry for a change made at the command line, which has no account.
async fn audit_cli(
    repository: &Repository,
    action: &str,
    account_id: i64,
    detail: serde_json::Value,
) -> Result<(), Failure> {
    let entry = NewAuditEntry {
        at: repository.now(),
        account_id: None,
        login: Some("cli".into()),
        action: action.into(),
        target_kind: Some("account".into()),
        target_id: Some(account_id),
        org_path: None,
        detail: detail.to_string(),
        ip: None,
    };
    repository.accounts().append_audit(&entry).await?;
    Ok(())
}

async fn run_account(
    repository: &Repository,
    command: AccountCommand,
) -> Result<ExitCode, Failure> {
    match command {
        AccountCommand::Create {
            login,
            name,
            role,
            org,
            member,
        } => {
            let request = NewAccountRequest {
                login,
                display_name: name,
                role: role.role(),
                scope_org: org,
                member_id: member,
            };
            let created = create_account(repository, &request, true).await?;
            audit_cli(
                repository,
                "account_create",
                created.account.id,
                serde_json::json!({"login": created.account.login, "role": created.account.role}),
            )
            .await?;
            println!(
                "账号已创建 / account created: {} ({})",
                created.account.login,
                created.account.role.name_zh()
            );
            println!(
                "一次性密码（首次登录后须修改）/ one-time password (must be changed at first sign-in): {}",
                created.one_time_password
            );
        }
        AccountCommand::Reset { login } => {
            let login = zhibu_web::auth::handlers::normalize_login(&login);
            let account = repository
                .accounts()
                .account_by_login(&login)
                .await?
                .ok_or_else(|| {
                    Failure(format!(
                        "没有登录名为“{login}”的账号 / there is no account {login:?}"
                    ))
                })?;
            let (reset, ended) = reset_password(repository, account.id).await?;
            audit_cli(
                repository,
                "password_reset",
                account.id,
                serde_json::json!({"login": login, "sessions_ended": ended}),
            )
            .await?;
            println!(
                "密码已重置 / password reset for {login}; 一次性密码 / one-time password: {}",
                reset.one_time_password
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints where to sign in and the demo credentials of every role.
fn print_demo_credentials(address: &std::net::SocketAddr, credentials: &[DemoCredential]) {
    println!(
        "\n演示账号（每次启动重新生成的一次性密码）/ demo accounts (passwords generated afresh on every start):"
    );
    println!("登录地址 / sign in at: http://{address}/login");
    let rows: Vec<Vec<String>> = credentials
        .iter()
        .map(|credential| {
            vec![
                credential.role.name_zh().to_string(),
                credential.login.clone(),
                credential.password.clone(),
                credential.description.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table::render(
            &["角色 role", "登录名 login", "密码 password", "范围 scope"],
            &rows
        )
    );
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

/// A failure the user must see: what went wrong, in Chinese and English.
struct Failure(String);

impl From<StorageError> for Failure {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::Invalid(errors) => {
                Failure(format!("输入有误 / invalid input:\n{errors}"))
            }
            StorageError::BadUrl(lesson) => Failure(lesson),
            other => Failure(format!(
                "数据库操作失败 / database operation failed: {other}"
            )),
        }
    }
}

fn today_in_china() -> NaiveDate {
    china_date(Utc::now())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZHIBU_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(Failure(message)) => {
            eprintln!("错误 / error: {message}");
            ExitCode::from(2)
        }
    }
}

async fn repository(url: &str) -> Result<Repository, Failure> {
    let backend = database::open(url).await?;
    backend.migrate().await?;
    let catalogue = Catalogue::national().map_err(|error| Failure(error.to_string()))?;
    let repository = Repository::new(backend, Arc::new(catalogue));
    // Personal data is sealed with the database's data key (ZHIBU_DATA_KEY_FILE, or a key file
    // beside a SQLite file, created on first use).
    match zhibu_storage::sealing::DataKey::configured_for(url)
        .map_err(|error| Failure(error.to_string()))?
    {
        Some(key) => Ok(repository.with_data_key(Arc::new(key))),
        None => Ok(repository),
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Import { command } => {
            let repository = repository(&cli.database_url).await?;
            import::run(&repository, command).await.map_err(Failure)
        }
        Command::Export { command } => export::run(&cli.database_url, command).await,
        Command::Remind(args) => {
            let repository = repository(&cli.database_url).await?;
            remind::run_remind(repository, args).await
        }
        Command::Migrate => {
            let backend = database::open(&cli.database_url).await?;
            backend.migrate().await?;
            let applied = backend.applied_migrations().await?;
            println!(
                "数据库迁移完成 / migrations applied: {applied:?} ({})",
                backend.name()
            );
            // Personal values older versions hold in clear (income bases written before they were
            // sealed) are sealed by a new version with the reason, when a data key is configured.
            let repository = repository(&cli.database_url).await?;
            if repository.data_key().is_some() {
                let report =
                    zhibu_storage::sealing::reseal_clear_values(&repository, "zhibu migrate")
                        .await?;
                println!(
                    "个人信息重新加密 {} 条记录 / personal data re-sealed in {} records",
                    report.resealed.len(),
                    report.resealed.len()
                );
                for (kind, id, reason) in &report.refused {
                    eprintln!(
                        "未能重新加密 / not re-sealed: {} {id}: {reason}",
                        kind.as_str()
                    );
                }
            } else {
                println!(
                    "未配置数据密钥，未重新加密个人信息（设置 ZHIBU_DATA_KEY_FILE） / no data key configured: personal data not re-sealed (set ZHIBU_DATA_KEY_FILE)"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            seed,
            branches,
            today,
        } => {
            let repository = repository(&cli.database_url).await?;
            build_demo(
                &repository,
                seed,
                branches,
                today.unwrap_or_else(today_in_china),
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Account { command } => {
            let repository = repository(&cli.database_url).await?;
            run_account(&repository, command).await
        }
        Command::Serve {
            listen,
            demo,
            secure_cookies,
            late_entry_days,
            notify,
        } => {
            let repository = repository(&cli.database_url).await?;
            let mut credentials = Vec::new();
            if demo {
                if top_level_orgs(&repository).await?.is_empty() {
                    build_demo(&repository, 2026, 300, today_in_china()).await?;
                }
                let root = single_top_level_org(&repository).await?;
                credentials = create_demo_accounts(&repository, root).await?;
            }
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(|error| {
                    Failure(format!(
                        "无法监听 {listen} / cannot listen on {listen}: {error}"
                    ))
                })?;
            let address = listener
                .local_addr()
                .map_err(|error| Failure(error.to_string()))?;
            println!(
                "支部 Zhibu 已启动 / is running: http://{address}/  (API: http://{address}/api/v1/openapi.json)"
            );
            if demo {
                print_demo_credentials(&address, &credentials);
            } else if repository.accounts().list_accounts().await?.is_empty() {
                println!(
                    "尚无账号：请先运行 zhibu account create --role administrator … / no accounts yet: run zhibu account create --role administrator … first"
                );
            }
            let auth = zhibu_web::AuthSettings {
                secure_cookies,
                ..zhibu_web::AuthSettings::default()
            };
            let state = zhibu_web::AppState::new(repository, Arc::new(today_in_china))
                .with_auth(auth)
                .with_regularity(zhibu_core::regularity::RegularityParameters {
                    late_entry_days,
                    ..zhibu_core::regularity::RegularityParameters::default()
                });
            // The reminder scheduler runs beside the server; its channel problems show on
            // /healthz and /admin/deliveries.
            let channel_problems = zhibu_storage::notify::ChannelProblems::default();
            let _scheduler = remind::start_scheduler(
                state.repository.clone(),
                &notify,
                channel_problems.clone(),
            );
            let state = state.with_channel_problems(channel_problems);
            zhibu_web::serve(listener, state)
                .await
                .map_err(|error| Failure(format!("服务中断 / server stopped: {error}")))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify => {
            let repository = repository(&cli.database_url).await?;
            let report = repository.verify().await?;
            println!(
                "已校验 {} 个版本、{} 条记录 / checked {} versions and {} records",
                report.versions_checked,
                report.records_checked,
                report.versions_checked,
                report.records_checked
            );
            if report.is_intact() {
                println!(
                    "完好：历史链与当前记录一致 / intact: the history chain and the current records agree"
                );
                Ok(ExitCode::SUCCESS)
            } else {
                for problem in &report.problems {
                    println!("✗ {}\n  {}", problem.message_zh, problem.message_en);
                }
                println!(
                    "发现 {} 处问题 / {} problem(s) found",
                    report.problems.len(),
                    report.problems.len()
                );
                Ok(ExitCode::from(1))
            }
        }
        Command::Check {
            org,
            from,
            to,
            today,
            horizon_days,
            format,
            open_only,
        } => {
            let repository = repository(&cli.database_url).await?;
            let today = today.unwrap_or_else(today_in_china);
            let root = match org {
                Some(id) => OrgId(id),
                None => single_top_level_org(&repository).await?,
            };
            let from = from.unwrap_or_else(|| {
                NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).unwrap_or(today)
            });
            let to = to.unwrap_or(today);
            if from > to {
                return Err(Failure(format!(
                    "起始日期 {from} 晚于截止日期 {to} / --from {from} is after --to {to}"
                )));
            }
            let snapshot = repository.load_snapshot(root, from, to).await?;
            let request = EvaluationRequest {
                root,
                from,
                to,
                today,
                horizon_days,
            };
            let mut report = evaluate(repository.catalogue(), &snapshot, &request);
            if open_only {
                report.findings.retain(|finding| finding.is_open());
            }
            match format {
                Format::Json => {
                    let text = serde_json::to_string_pretty(&report)
                        .map_err(|error| Failure(error.to_string()))?;
                    println!("{text}");
                }
                Format::Table => print_findings_table(&report),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn top_level_orgs(repository: &Repository) -> Result<Vec<zhibu_core::Stored<Org>>, Failure> {
    let mut roots = Vec::new();
    let mut after = None;
    loop {
        let page = repository
            .list::<Org>(&ListRequest {
                after_id: after,
                limit: Some(1000),
                ..ListRequest::default()
            })
            .await?;
        roots.extend(
            page.items
                .into_iter()
                .filter(|org| org.body.parent_id.is_none()),
        );
        match page.next_after {
            Some(next) => after = Some(next),
            None => return Ok(roots),
        }
    }
}

async fn single_top_level_org(repository: &Repository) -> Result<OrgId, Failure> {
    let roots = top_level_orgs(repository).await?;
    match roots.as_slice() {
        [only] => Ok(OrgId(only.id)),
        [] => Err(Failure("数据库中还没有组织；可先运行 zhibu demo / the database holds no organization yet; try zhibu demo".into())),
        many => {
            let names: Vec<String> = many.iter().map(|org| format!("{} {}", org.id, org.body.name)).collect();
            Err(Failure(format!("有多个顶层组织，请用 --org 指定 / several top-level orgs, choose one with --org: {}", names.join(", "))))
        }
    }
}

async fn build_demo(
    repository: &Repository,
    seed: u64,
    branches: u32,
    today: NaiveDate,
) -> Result<(), Failure> {
    if !top_level_orgs(repository).await?.is_empty() {
        return Err(Failure("数据库中已有组织，示例组织只能生成到空数据库 / the database already holds organizations; the demo is built into an empty one".into()));
    }
    let config = zhibu_demo::DemoConfig::new(seed, today).with_branches(branches);
    let started = std::time::Instant::now();
    let dataset = zhibu_demo::generate(&config);
    let summary = zhibu_demo::load(repository, &dataset).await?;
    // Admission pipelines, a vote and an election for the pages of issue 5.
    let showcase = zhibu_demo::load_showcase(repository, summary.root, today).await?;
    println!(
        "示例组织已生成 / demo built in {:.1}s: {} 个组织 orgs, {} 名党员 members, {} 次会议 meetings, {} 次谈话 talks (root org {})",
        started.elapsed().as_secs_f64(),
        summary.counts.orgs,
        summary.counts.members,
        summary.counts.meetings,
        summary.counts.talks,
        summary.root
    );
    println!(
        "其中埋设的问题 {} 项、补录记录 {} 条 / planted imperfections: {}, late entries: {}",
        summary.planted.len(),
        summary.late_entries.len(),
        summary.planted.len(),
        summary.late_entries.len()
    );
    println!(
        "发展党员、表决与选举示例 / admission, vote and election examples: branch {:?}, admission records {:?}, vote {:?}, election {:?}",
        showcase.branch, showcase.admission_records, showcase.vote, showcase.election
    );
    Ok(())
}

fn print_findings_table(report: &zhibu_core::engine::Report) {
    let rows: Vec<Vec<String>> = report
        .findings
        .iter()
        .map(|finding| {
            let status = match (&finding.exemption, finding.status) {
                (Some(_), status) => format!("{}（已豁免）", status.name_zh()),
                (None, status) => status.name_zh().to_string(),
            };
            vec![
                finding.org_name.clone(),
                finding.period_label.clone(),
                status,
                finding.severity.name_zh().to_string(),
                finding.rule_id.clone(),
                format!("{}{}", finding.citation.document, finding.citation.article),
                finding.message_zh.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table::render(
            &["组织", "期间", "状态", "级别", "规则", "依据", "说明"],
            &rows
        )
    );
    let open = report
        .findings
        .iter()
        .filter(|finding| finding.is_open())
        .count();
    let coming = report
        .findings
        .iter()
        .filter(|finding| finding.status == FindingStatus::ComingDue)
        .count();
    println!(
        "\n{} 至 {}（今天 {}）：问题 {} 项，即将到期 {} 项 / {} to {} (today {}): {} open finding(s), {} coming due",
        report.request.from,
        report.request.to,
        report.request.today,
        open,
        coming,
        report.request.from,
        report.request.to,
        report.request.today,
        open,
        coming
    );
    for problem in &report.rule_problems {
        println!("! {problem}");
    }
}
