//! `zhibu remind` (for cron) and the reminder scheduler inside `zhibu serve`: the same code, from
//! `zhibu-notify`. Settings come from a TOML file (`--notify-config`), then flags and their
//! environment variables, which win.

use std::process::ExitCode;
use std::sync::Arc;

use chrono::NaiveDate;
use clap::Args;
use zhibu_notify::settings::{SmtpTls, parse_daily_at};
use zhibu_notify::{NotifySettings, Reminders, SmtpSettings};
use zhibu_storage::Repository;
use zhibu_storage::notify::ChannelProblems;

use crate::Failure;

/// Reminder settings shared by `serve` and `remind`.
#[derive(Debug, Clone, Args)]
pub struct NotifyArgs {
    /// 提醒配置文件（TOML）/ reminder configuration file (TOML; see README)
    #[arg(long, env = "ZHIBU_NOTIFY_CONFIG")]
    pub notify_config: Option<std::path::PathBuf>,
    /// SMTP服务器 / SMTP host
    #[arg(long, env = "ZHIBU_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP端口（默认按加密方式：25/587/465）/ SMTP port (default by TLS mode: 25/587/465)
    #[arg(long, env = "ZHIBU_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    /// 加密方式 none|starttls|tls / TLS mode none|starttls|tls
    #[arg(long, env = "ZHIBU_SMTP_TLS")]
    pub smtp_tls: Option<String>,
    /// SMTP用户名 / SMTP user name
    #[arg(long, env = "ZHIBU_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// SMTP密码（宜用环境变量）/ SMTP password (prefer the environment variable)
    #[arg(long, env = "ZHIBU_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// 发件人，如“支部提醒 <zhibu@example.org>” / sender, e.g. "Zhibu <zhibu@example.org>"
    #[arg(long, env = "ZHIBU_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// 每日提醒时间（北京时间 HH:MM，默认08:00）/ daily run time, China time HH:MM (default 08:00)
    #[arg(long, env = "ZHIBU_REMIND_AT")]
    pub remind_at: Option<String>,
    /// 消息中链接的网址前缀 / the address people open Zhibu at, for links in messages
    #[arg(long, env = "ZHIBU_PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl NotifyArgs {
    /// The settings: the file's, then each flag or environment variable given.
    pub fn settings(&self) -> Result<NotifySettings, Failure> {
        let mut settings = match &self.notify_config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|error| {
                    Failure(format!(
                        "无法读取提醒配置文件 {} / cannot read the reminder configuration {}: {error}",
                        path.display(),
                        path.display()
                    ))
                })?;
                NotifySettings::from_toml(&text).map_err(|error| Failure(error.to_string()))?
            }
            None => NotifySettings::default(),
        };
        if let Some(text) = &self.remind_at {
            settings.daily_at =
                parse_daily_at("--remind-at", text).map_err(|error| Failure(error.to_string()))?;
        }
        if self.public_url.is_some() {
            settings.public_url = self.public_url.clone();
        }
        let any_smtp_flag = self.smtp_host.is_some()
            || self.smtp_from.is_some()
            || self.smtp_tls.is_some()
            || self.smtp_port.is_some()
            || self.smtp_username.is_some()
            || self.smtp_password.is_some();
        if any_smtp_flag {
            let base = settings.smtp.clone();
            let tls = match &self.smtp_tls {
                Some(text) => SmtpTls::parse(text).ok_or_else(|| {
                    Failure(format!(
                        "--smtp-tls：“{text}”不是 none、starttls 或 tls / --smtp-tls: {text:?} is not none, starttls or tls"
                    ))
                })?,
                None => base.as_ref().map_or(SmtpTls::Starttls, |smtp| smtp.tls),
            };
            let host = self
                .smtp_host
                .clone()
                .or_else(|| base.as_ref().map(|smtp| smtp.host.clone()))
                .ok_or_else(|| {
                    Failure(
                        "--smtp-host：未填写SMTP服务器 / --smtp-host: the SMTP host is missing"
                            .into(),
                    )
                })?;
            let from = self
                .smtp_from
                .clone()
                .or_else(|| base.as_ref().map(|smtp| smtp.from.clone()))
                .ok_or_else(|| {
                    Failure("--smtp-from：未填写发件人 / --smtp-from: the sender is missing".into())
                })?;
            settings.smtp = Some(SmtpSettings {
                host,
                port: self.smtp_port.or(base.as_ref().and_then(|smtp| smtp.port)),
                tls,
                username: self
                    .smtp_username
                    .clone()
                    .or_else(|| base.as_ref().and_then(|smtp| smtp.username.clone())),
                password: self
                    .smtp_password
                    .clone()
                    .or_else(|| base.as_ref().and_then(|smtp| smtp.password.clone())),
                from,
            });
        }
        Ok(settings)
    }
}

/// `zhibu remind`: one day's run, then one pass of the sender (deliveries whose retry is due).
/// Run it from cron every few minutes: the day's reminders are written once per day whatever
/// the number of runs, and each run retries what has come due.
#[derive(Debug, Clone, Args)]
pub struct RemindArgs {
    /// 以哪一天为“今天”（北京时间）/ the day treated as today (China time; default: today)
    #[arg(long)]
    pub today: Option<NaiveDate>,
    /// 只列出将发送的提醒，不写入、不发送 / list what would be sent; write and send nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub notify: NotifyArgs,
}

pub async fn run_remind(repository: Repository, args: RemindArgs) -> Result<ExitCode, Failure> {
    let settings = args.notify.settings()?;
    let today = args
        .today
        .unwrap_or_else(zhibu_notify::scheduler::china_today);
    let problems = ChannelProblems::default();
    let reminders = Reminders::new(repository, settings, problems);
    let found = reminders.check_channels().await;
    for problem in &found {
        eprintln!(
            "渠道问题 / channel problem [{}]: {} / {}",
            problem.channel, problem.message_zh, problem.message_en
        );
    }
    let report = reminders
        .run_day(today, args.dry_run)
        .await
        .map_err(|error| Failure(error.to_string()))?;
    for planned in &report.planned {
        let channels: Vec<String> = std::iter::once("inbox".to_string())
            .chain(
                planned
                    .channels
                    .iter()
                    .map(|(kind, destination)| format!("{}:{destination}", kind.as_str())),
            )
            .collect();
        println!(
            "{} {} → {} [{}]{}",
            planned.reminder.day,
            planned.reminder.subject_zh,
            planned.login,
            channels.join(", "),
            if planned.new {
                ""
            } else {
                "（今日已提醒 / already told today）"
            }
        );
    }
    for untold in &report.untold {
        println!("无人可告知 / nobody to tell: {untold}");
    }
    if args.dry_run {
        println!(
            "试运行：{} 条提醒，未写入、未发送 / dry run: {} reminder(s), nothing written or sent",
            report.planned.len(),
            report.planned.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let sent = reminders
        .deliver_due()
        .await
        .map_err(|error| Failure(error.to_string()))?;
    println!(
        "{today}：新提醒 {} 条，投递 {} 项；已发送 {}，待重试 {}，失败 {} / new reminders {}, deliveries {}; sent {}, to retry {}, failed {}",
        report.recorded,
        report.deliveries_created,
        sent.sent,
        sent.retrying,
        sent.failed,
        report.recorded,
        report.deliveries_created,
        sent.sent,
        sent.retrying,
        sent.failed
    );
    Ok(ExitCode::SUCCESS)
}

/// Starts the scheduler inside `zhibu serve`; its channel problems are shared with the pages and
/// `/healthz`. Settings that cannot be used are reported there and in the log, and the scheduler
/// runs on with the defaults (inbox and group bots still work): never a crash.
pub fn start_scheduler(
    repository: Repository,
    notify: &NotifyArgs,
    problems: ChannelProblems,
) -> tokio::task::JoinHandle<()> {
    let (settings, problem) = match notify.settings() {
        Ok(settings) => (settings, None),
        Err(Failure(message)) => {
            tracing::error!("reminders: the settings cannot be used: {message}");
            (NotifySettings::default(), Some(message))
        }
    };
    tracing::info!(daily_at = %settings.daily_at, smtp = ?settings.smtp, "reminders: scheduler started");
    let reminders = Reminders::new(repository, settings, problems.clone());
    let handle = zhibu_notify::spawn(Arc::new(reminders));
    if let Some(message) = problem {
        let (zh, en) = message
            .split_once(" / ")
            .map_or((message.as_str(), message.as_str()), |pair| pair);
        let settings_problem = zhibu_storage::notify::ChannelProblem {
            channel: "settings".into(),
            message_zh: zh.to_string(),
            message_en: en.to_string(),
        };
        match problems.write() {
            Ok(mut shared) => shared.push(settings_problem),
            Err(poisoned) => poisoned.into_inner().push(settings_problem),
        }
    }
    handle
}
