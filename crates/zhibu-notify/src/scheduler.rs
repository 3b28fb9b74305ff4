//! The daily run and the sender. `zhibu serve` runs both in a Tokio task ([`spawn`]); `zhibu
//! remind` runs them once ([`Reminders::run_day`] then [`Reminders::deliver_due`]).
//!
//! A day's run: evaluate every top-level org's subtree as of today (the engine's findings, with a
//! horizon long enough for the longest lead time), ask [`zhibu_core::reminders::plan`] what to tell
//! whom, and write each reminder as an inbox item with its deliveries (e-mail, the group bots the
//! person chose) in one transaction — only when the account was not yet told that item that day,
//! which the database enforces with a unique key. Then send what is due. A failed send is tried
//! again after an exponential back-off, at most `max_attempts` times, then marked failed; every
//! attempt's outcome is stored for the administrators' page.
//!
//! Nothing here stops the scheduler: a database error, a misconfigured SMTP server or webhook is
//! logged and reported ([`ChannelProblem`]), and the loop goes on.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use zhibu_core::OrgId;
use zhibu_core::calendar::{china_date, china_standard_time};
use zhibu_core::domain::Org;
use zhibu_core::engine::{EvaluationRequest, Finding, evaluate};
use zhibu_core::reminders::{AccountRole, Addressee, Directory, OrgNode, Reminder, plan, untold};
use zhibu_storage::notify::{
    ChannelKind, ChannelProblem, ChannelProblems, Delivery, NewDelivery, NewInboxItem,
    NotificationStore,
};
use zhibu_storage::{ListRequest, Repository, StorageError};

use crate::channels::{
    EmailChannel, Outgoing, WebhookClient, dingtalk_payload, dingtalk_signed_url,
    webhook_url_problem, wecom_payload,
};
use crate::settings::NotifySettings;

/// Something went wrong that the caller should hear of (the scheduler logs it and goes on).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("此数据库不保存提醒 / this database keeps no reminders")]
    NoStore,
}

/// One reminder as planned, with where it will go (for `--dry-run` and the run's report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedReminder {
    pub reminder: Reminder,
    pub login: String,
    pub channels: Vec<(ChannelKind, String)>,
    /// `false` when the account had already been told this item today.
    pub new: bool,
}

/// What a day's run did.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub day: Option<NaiveDate>,
    pub planned: Vec<PlannedReminder>,
    /// Inbox items written now (0 on a second run the same day).
    pub recorded: usize,
    pub deliveries_created: usize,
    /// Findings due to be told that nobody could be told (no account anywhere up the tree).
    pub untold: Vec<String>,
    /// Local rules that could not be applied, from the engine.
    pub rule_problems: Vec<String>,
}

/// What one pass of the sender did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliverReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// The reminders of one database: settings, channels, and the problems found so far.
pub struct Reminders {
    repository: Repository,
    settings: NotifySettings,
    email: Option<EmailChannel>,
    webhooks: Option<WebhookClient>,
    problems: ChannelProblems,
}

fn store(repository: &Repository) -> Result<&dyn NotificationStore, NotifyError> {
    repository
        .backend()
        .notifications()
        .ok_or(NotifyError::NoStore)
}

impl Reminders {
    /// Builds the channels from `settings`. A channel that cannot be built is reported in
    /// `problems` (and the log) and left out; this never fails. Call inside the Tokio runtime.
    pub fn new(
        repository: Repository,
        settings: NotifySettings,
        problems: ChannelProblems,
    ) -> Reminders {
        let mut found = Vec::new();
        let email = match &settings.smtp {
            None => None,
            Some(smtp) => match EmailChannel::new(smtp, settings.send_timeout) {
                Ok(channel) => Some(channel),
                Err(message) => {
                    found.push(problem("smtp", &message));
                    None
                }
            },
        };
        let webhooks = match WebhookClient::new(settings.send_timeout) {
            Ok(client) => Some(client),
            Err(message) => {
                found.push(problem("webhook", &message));
                None
            }
        };
        let reminders = Reminders {
            repository,
            settings,
            email,
            webhooks,
            problems,
        };
        reminders.replace_problems(found);
        reminders
    }

    pub fn settings(&self) -> &NotifySettings {
        &self.settings
    }

    pub fn problems(&self) -> Vec<ChannelProblem> {
        match self.problems.read() {
            Ok(problems) => problems.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn replace_problems(&self, problems: Vec<ChannelProblem>) {
        for found in &problems {
            tracing::warn!(channel = %found.channel, "{} / {}", found.message_zh, found.message_en);
        }
        match self.problems.write() {
            Ok(mut shared) => *shared = problems,
            Err(poisoned) => *poisoned.into_inner() = problems,
        }
    }

    /// The start-up check: connects to the SMTP server (without sending) and checks every
    /// enabled group bot's URL. Every problem is logged and kept for `/healthz` and the
    /// administrators' page; none is fatal. Returns the problems.
    pub async fn check_channels(&self) -> Vec<ChannelProblem> {
        let mut found = Vec::new();
        if let Some(smtp) = &self.settings.smtp {
            match &self.email {
                Some(channel) => {
                    if let Err(message) = channel.check().await {
                        found.push(problem(
                            "smtp",
                            &format!("{}:{} — {message}", smtp.host, smtp.port()),
                        ));
                    }
                }
                None => {
                    // Kept from construction: the settings themselves are wrong.
                    found.extend(
                        self.problems()
                            .into_iter()
                            .filter(|known| known.channel == "smtp"),
                    );
                }
            }
        }
        if self.webhooks.is_none() {
            found.extend(
                self.problems()
                    .into_iter()
                    .filter(|known| known.channel == "webhook"),
            );
        }
        match store(&self.repository) {
            Ok(store) => match store.channel_configs().await {
                Ok(configs) => {
                    for config in configs.iter().filter(|config| config.enabled) {
                        let url = self
                            .open("webhook_url", &config.webhook_url)
                            .unwrap_or_else(|error| error);
                        if let Some((zh, en)) = webhook_url_problem(&url) {
                            found.push(ChannelProblem {
                                channel: format!("{}:{}", config.kind.as_str(), config.id),
                                message_zh: format!("群机器人“{}”：{zh}", config.name),
                                message_en: format!("group bot {:?}: {en}", config.name),
                            });
                        }
                    }
                }
                Err(error) => found.push(problem("database", &error.to_string())),
            },
            Err(error) => found.push(problem("database", &error.to_string())),
        }
        self.replace_problems(found.clone());
        found
    }

    /// The findings of every top-level org's subtree as of `today`, and the directory of who can
    /// be told.
    async fn findings_and_directory(
        &self,
        today: NaiveDate,
    ) -> Result<(Vec<Finding>, Directory, Vec<String>), NotifyError> {
        let repository = &self.repository;
        let mut directory = Directory::default();
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
            for org in page.items {
                if org.body.parent_id.is_none() {
                    roots.push(OrgId(org.id));
                }
                directory.orgs.insert(
                    OrgId(org.id),
                    OrgNode {
                        name: org.body.name.clone(),
                        level: org.body.level,
                        parent: org.body.parent_id,
                    },
                );
            }
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        for account in repository.accounts().list_accounts().await? {
            let Some(role) = AccountRole::parse(&account.role) else {
                tracing::warn!(account = account.id, role = %account.role, "an account with a role this build does not know is not told anything");
                continue;
            };
            directory.addressees.push(Addressee {
                account_id: account.id,
                display_name: account.display_name,
                role,
                scope_org: account.scope_org_id.map(OrgId),
            });
        }
        let leads = &self.settings.reminders;
        let longest_days = leads
            .period_end_days
            .iter()
            .chain(&leads.admission_days)
            .copied()
            .max()
            .unwrap_or(0);
        let longest_months = leads.term_end_months.iter().copied().max().unwrap_or(0);
        let horizon_days = longest_days.max(longest_months * 31 + 1);
        // Overdue duties are told up to `overdue_repeat_days × overdue_repeat_times` days after
        // their due date: evaluate from far enough back (at least the whole year).
        let overdue_window =
            i64::from(leads.overdue_repeat_days.max(1)) * i64::from(leads.overdue_repeat_times);
        let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        let from = year_start.min(today - chrono::Duration::days(overdue_window + 1));
        let mut findings = Vec::new();
        let mut rule_problems = Vec::new();
        for root in roots {
            let snapshot = repository.load_snapshot(root, from, today).await?;
            let request = EvaluationRequest {
                root,
                from,
                to: today,
                today,
                horizon_days,
            };
            let report = evaluate(repository.catalogue(), &snapshot, &request);
            findings.extend(report.findings);
            rule_problems.extend(report.rule_problems);
        }
        Ok((findings, directory, rule_problems))
    }

    /// The day's run for `today` (China Standard Time). With `dry_run` nothing is written or
    /// sent: the report lists what would be, and whether each account was already told.
    pub async fn run_day(&self, today: NaiveDate, dry_run: bool) -> Result<RunReport, NotifyError> {
        let store = store(&self.repository)?;
        let (findings, directory, rule_problems) = self.findings_and_directory(today).await?;
        let settings = &self.settings.reminders;
        let reminders = plan(&findings, &directory, today, settings);
        let mut report = RunReport {
            day: Some(today),
            untold: untold(&findings, &directory, today, settings)
                .into_iter()
                .map(|finding| format!("{} — {}", finding.org_name, finding.message_zh))
                .collect(),
            rule_problems,
            ..RunReport::default()
        };
        let accounts: HashMap<i64, String> = self
            .repository
            .accounts()
            .list_accounts()
            .await?
            .into_iter()
            .map(|account| (account.id, account.login))
            .collect();
        let configs: BTreeMap<i64, _> = store
            .channel_configs()
            .await?
            .into_iter()
            .map(|config| (config.id, config))
            .collect();
        let mut preferences = HashMap::new();
        let now = self.repository.now();
        for reminder in reminders {
            let account_id = reminder.account_id;
            let choice = match preferences.entry(account_id) {
                std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(store.preferences(account_id).await?)
                }
            };
            let mut deliveries = Vec::new();
            let key_tail = format!("{}|{}", reminder.item_key, reminder.day);
            if choice.email_enabled
                && let Some(email) = &choice.email
            {
                deliveries.push(NewDelivery {
                    channel: ChannelKind::Email,
                    destination: email.clone(),
                    channel_config_id: None,
                    dedup_key: format!("email:{account_id}|{key_tail}"),
                });
            }
            for channel_id in &choice.group_channels {
                let Some(config) = configs.get(channel_id).filter(|config| config.enabled) else {
                    continue;
                };
                deliveries.push(NewDelivery {
                    channel: config.kind,
                    destination: config.name.clone(),
                    channel_config_id: Some(config.id),
                    // One message per group, item and day, however many people it tells.
                    dedup_key: format!("group:{}|{key_tail}", config.id),
                });
            }
            let channels = deliveries
                .iter()
                .map(|delivery| {
                    let shown = match delivery.channel {
                        ChannelKind::Email => self
                            .open("email", &delivery.destination)
                            .unwrap_or_else(|error| error),
                        _ => delivery.destination.clone(),
                    };
                    (delivery.channel, shown)
                })
                .collect();
            let item = NewInboxItem {
                account_id,
                item_key: reminder.item_key.clone(),
                day: reminder.day,
                org_id: reminder.org_id.0,
                subject_zh: reminder.subject_zh.clone(),
                subject_en: reminder.subject_en.clone(),
                body_zh: reminder.body_zh.clone(),
                body_en: reminder.body_en.clone(),
                link_path: reminder.link_path.clone(),
                created_at: now,
            };
            let new = if dry_run {
                !store
                    .inbox(account_id, 500)
                    .await?
                    .iter()
                    .any(|told| told.item_key == item.item_key && told.day == item.day)
            } else {
                match store.record_reminder(&item, &deliveries).await? {
                    Some(_) => {
                        report.recorded += 1;
                        report.deliveries_created += deliveries.len();
                        true
                    }
                    None => false,
                }
            };
            report.planned.push(PlannedReminder {
                login: accounts.get(&account_id).cloned().unwrap_or_default(),
                reminder,
                channels,
                new,
            });
        }
        tracing::info!(
            day = %today,
            planned = report.planned.len(),
            recorded = report.recorded,
            deliveries = report.deliveries_created,
            dry_run,
            "reminders: the day's run"
        );
        Ok(report)
    }

    /// Sends every delivery due at the repository's clock, once each: claims it (so that no other
    /// sender sends it too), sends, and records the outcome with the next try or the failure.
    pub async fn deliver_due(&self) -> Result<DeliverReport, NotifyError> {
        let store = store(&self.repository)?;
        let mut report = DeliverReport::default();
        let now = self.repository.now();
        let due = store.due_deliveries(now, 200).await?;
        for delivery in due {
            let lease = chrono::Duration::from_std(self.settings.retry.lease)
                .unwrap_or(chrono::Duration::minutes(5));
            if !store.claim_delivery(delivery.id, now, now + lease).await? {
                continue;
            }
            let attempts = u32::try_from(delivery.attempts + 1).unwrap_or(u32::MAX);
            let outcome = self.send(store, &delivery).await;
            let finished = self.repository.now();
            match outcome {
                Ok(()) => {
                    store.mark_delivery_sent(delivery.id, finished).await?;
                    report.sent += 1;
                }
                Err(message) => {
                    let retry_at = self
                        .settings
                        .retry
                        .delay_after(attempts)
                        .and_then(|delay| chrono::Duration::from_std(delay).ok())
                        .map(|delay| finished + delay);
                    tracing::warn!(
                        delivery = delivery.id,
                        channel = delivery.channel.as_str(),
                        attempts,
                        retry_at = ?retry_at,
                        "a reminder was not delivered: {message}"
                    );
                    store
                        .mark_delivery_failed(delivery.id, &message, finished, retry_at)
                        .await?;
                    if retry_at.is_some() {
                        report.retrying += 1;
                    } else {
                        report.failed += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// A secret as stored (sealed with the data key, when the database has one), opened.
    fn open(&self, field: &str, stored: &str) -> Result<String, String> {
        zhibu_storage::notify::open_text(self.repository.data_key(), field, stored)
    }

    async fn send(&self, store: &dyn NotificationStore, delivery: &Delivery) -> Result<(), String> {
        let item = store
            .inbox_item(delivery.inbox_item_id)
            .await
            .map_err(|error| error.to_string())?
            .ok_or_else(|| "提醒已不存在 / the reminder no longer exists".to_string())?;
        let recipient_name = self
            .repository
            .accounts()
            .account(item.account_id)
            .await
            .map_err(|error| error.to_string())?
            .map(|account| account.display_name)
            .unwrap_or_default();
        let link = self
            .settings
            .public_url
            .as_ref()
            .map(|base| format!("{}{}", base.trim_end_matches('/'), item.link_path));
        let message = Outgoing {
            recipient_name,
            subject_zh: item.subject_zh,
            subject_en: item.subject_en,
            body_zh: item.body_zh,
            body_en: item.body_en,
            link,
        };
        match delivery.channel {
            ChannelKind::Email => match &self.email {
                Some(channel) => {
                    let address = self.open("email", &delivery.destination)?;
                    channel.send(&address, &message).await
                }
                None => Err(if self.settings.smtp.is_some() {
                    "SMTP设置有误，见管理页 / the SMTP settings are wrong: see the administrators' page".into()
                } else {
                    "未配置SMTP服务器 / no SMTP server is configured".into()
                }),
            },
            ChannelKind::Wecom | ChannelKind::Dingtalk => {
                let Some(client) = &self.webhooks else {
                    return Err("无法发送网络请求 / the HTTP client is not available".into());
                };
                let config = store
                    .channel_config(delivery.channel_config_id.unwrap_or(-1))
                    .await
                    .map_err(|error| error.to_string())?
                    .ok_or_else(|| {
                        "群机器人已不存在 / the group bot no longer exists".to_string()
                    })?;
                if !config.enabled {
                    return Err("群机器人已停用 / the group bot was turned off".into());
                }
                let webhook_url = self.open("webhook_url", &config.webhook_url)?;
                if delivery.channel == ChannelKind::Wecom {
                    client.post(&webhook_url, &wecom_payload(&message)).await
                } else {
                    let url = match &config.secret {
                        Some(secret) if !secret.is_empty() => dingtalk_signed_url(
                            &webhook_url,
                            &self.open("secret", secret)?,
                            self.repository.now().timestamp_millis(),
                        ),
                        _ => webhook_url,
                    };
                    client.post(&url, &dingtalk_payload(&message)).await
                }
            }
        }
    }
}

fn problem(channel: &str, message: &str) -> ChannelProblem {
    // Our messages are written "中文 / English"; split them where they are.
    let (zh, en) = message
        .split_once(" / ")
        .map_or((message, message), |(zh, en)| (zh, en));
    ChannelProblem {
        channel: channel.to_string(),
        message_zh: zh.to_string(),
        message_en: en.to_string(),
    }
}

/// When the next daily run is due, after `last_run` (the day last run, if any), as seen at `now`:
/// today's run is due once the daily time has passed (the start-up catch-up: a server started at
/// 10:00 runs today's reminders at once); otherwise it waits.
pub fn run_due(
    now: DateTime<Utc>,
    daily_at: chrono::NaiveTime,
    last_run: Option<NaiveDate>,
) -> Option<NaiveDate> {
    let local = now.with_timezone(&china_standard_time());
    let today = local.date_naive();
    (local.time() >= daily_at && last_run != Some(today)).then_some(today)
}

/// Runs the scheduler inside the server: checks the channels at start-up, then every
/// `poll_interval` sends what is due and, once a day after `daily_at`, runs the day (at once if
/// the server starts after that time and today's run has not happened). Never ends on an error.
pub fn spawn(reminders: Arc<Reminders>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        reminders.check_channels().await;
        let mut last_run = None;
        loop {
            let now = reminders.repository.now();
            if let Some(today) = run_due(now, reminders.settings.daily_at, last_run) {
                match reminders.run_day(today, false).await {
                    Ok(_) => last_run = Some(today),
                    Err(error) => {
                        tracing::error!(%error, "reminders: the day's run failed; trying again at the next tick");
                    }
                }
            }
            if let Err(error) = reminders.deliver_due().await {
                tracing::error!(%error, "reminders: sending failed; trying again at the next tick");
            }
            tokio::time::sleep(reminders.settings.poll_interval.max(Duration::from_secs(1))).await;
        }
    })
}

/// Today in China, for callers without a fixed day.
pub fn china_today() -> NaiveDate {
    china_date(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveTime, TimeZone};

    #[test]
    fn the_day_is_run_once_after_the_daily_time_and_at_once_on_a_late_start() {
        let at = NaiveTime::from_hms_opt(8, 0, 0).expect("time");
        // 07:59 China time (23:59 UTC the day before): not yet.
        let before = Utc
            .with_ymd_and_hms(2026, 3, 1, 23, 59, 0)
            .single()
            .expect("instant");
        assert_eq!(run_due(before, at, None), None);
        // A server started at 10:00 China time catches up at once.
        let late = Utc
            .with_ymd_and_hms(2026, 3, 2, 2, 0, 0)
            .single()
            .expect("instant");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("day");
        assert_eq!(run_due(late, at, None), Some(day));
        // …and not again that day.
        assert_eq!(run_due(late, at, Some(day)), None);
        // The next day, after 08:00 China time.
        let next = Utc
            .with_ymd_and_hms(2026, 3, 3, 0, 1, 0)
            .single()
            .expect("instant");
        assert_eq!(
            run_due(next, at, Some(day)),
            NaiveDate::from_ymd_opt(2026, 3, 3)
        );
    }
}
