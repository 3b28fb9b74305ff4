//! Reminders' storage (migration 7): the in-app inbox, deliveries through the other channels with
//! their attempts, each account's channel choices, and the group bots configured per org.
//!
//! Like accounts, these live beside the records and outside the hash chain: a reminder is not a
//! record of what an organization did. Each backend implements [`NotificationStore`] with its own
//! SQL and hands it out from [`crate::Backend::notifications`].
//!
//! Idempotency is the database's: an inbox item is unique per account × item × day, and
//! [`NotificationStore::record_reminder`] writes the item and its deliveries in one transaction
//! only when the item is new, so two schedulers (two processes, or a cron run beside the server)
//! never tell anyone the same thing twice in a day. A delivery is claimed before it is sent by a
//! compare-and-set on its next attempt time, so two senders never send it twice either.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::StorageError;

/// The channels besides the inbox (which is always on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChannelKind {
    Email,
    /// 企业微信 group bot.
    Wecom,
    /// 钉钉 group bot.
    Dingtalk,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 3] = [
        ChannelKind::Email,
        ChannelKind::Wecom,
        ChannelKind::Dingtalk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Wecom => "wecom",
            ChannelKind::Dingtalk => "dingtalk",
        }
    }

    pub fn parse(text: &str) -> Option<ChannelKind> {
        ChannelKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            ChannelKind::Email => "电子邮件",
            ChannelKind::Wecom => "企业微信群机器人",
            ChannelKind::Dingtalk => "钉钉群机器人",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            ChannelKind::Email => "e-mail",
            ChannelKind::Wecom => "WeCom group bot",
            ChannelKind::Dingtalk => "DingTalk group bot",
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt (the first, or a retry after a failure).
    Pending,
    Sent,
    /// Every attempt failed; nothing more will be tried.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        match text {
            "pending" => Some(DeliveryStatus::Pending),
            "sent" => Some(DeliveryStatus::Sent),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// One thing told to one account on one day: an inbox item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInboxItem {
    pub account_id: i64,
    /// What "the same thing" is (a finding's key).
    pub item_key: String,
    /// The day it is told, in China Standard Time.
    pub day: NaiveDate,
    pub org_id: i64,
    pub subject_zh: String,
    pub subject_en: String,
    pub body_zh: String,
    pub body_en: String,
    pub link_path: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    pub id: i64,
    pub account_id: i64,
    pub item_key: String,
    pub day: NaiveDate,
    pub org_id: i64,
    pub subject_zh: String,
    pub subject_en: String,
    pub body_zh: String,
    pub body_en: String,
    pub link_path: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A delivery to write with its inbox item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub channel: ChannelKind,
    /// The e-mail address, or the group bot's id as text.
    pub destination: String,
    /// The group bot, for the webhook channels.
    pub channel_config_id: Option<i64>,
    /// Unique: a delivery whose key exists is not written again (a group told the same item the
    /// same day for two people gets it once).
    pub dedup_key: String,
}

/// A delivery with its attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub inbox_item_id: i64,
    pub account_id: i64,
    pub channel: ChannelKind,
    pub destination: String,
    pub channel_config_id: Option<i64>,
    pub dedup_key: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// When it may next be tried (for a pending delivery), or when it was last tried.
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// An account's choices. Without a row: no e-mail, no group bots (the inbox is always on).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChannelPreferences {
    pub account_id: i64,
    pub email: Option<String>,
    pub email_enabled: bool,
    /// The group bots (ids of [`ChannelConfig`]) through which the account wants to be told.
    pub group_channels: Vec<i64>,
}

/// A group bot of an org (企业微信 or 钉钉).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelConfig {
    pub id: i64,
    pub org_id: i64,
    pub kind: ChannelKind,
    pub name: String,
    /// The webhook URL (it holds the bot's access token).
    pub webhook_url: String,
    /// 钉钉's signing secret (`SEC…`), when the bot is set to sign.
    pub secret: Option<String>,
    pub enabled: bool,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChannelConfig {
    pub org_id: i64,
    pub kind: ChannelKind,
    pub name: String,
    pub webhook_url: String,
    pub secret: Option<String>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
}

/// A channel that is misconfigured or unreachable, found at start-up or while sending: shown in
/// the log, on `/healthz` and on the administrators' deliveries page. Never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelProblem {
    /// `smtp`, or `wecom:<id>` / `dingtalk:<id>` for a group bot.
    pub channel: String,
    pub message_zh: String,
    pub message_en: String,
}

/// The problems the running server knows of, shared between the scheduler and the pages.
pub type ChannelProblems = std::sync::Arc<std::sync::RwLock<Vec<ChannelProblem>>>;

/// A search of deliveries for administrators, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryQuery {
    pub status: Option<DeliveryStatus>,
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// The inbox, deliveries, channel choices and group bots of one database.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Writes the inbox item and its deliveries in one transaction, unless the account was
    /// already told this item on this day (then nothing is written and `None` returned). A
    /// delivery whose dedup key exists is skipped. Returns the new item's id.
    async fn record_reminder(
        &self,
        item: &NewInboxItem,
        deliveries: &[NewDelivery],
    ) -> Result<Option<i64>, StorageError>;

    /// The inbox of an account, newest first, at most `limit`.
    async fn inbox(&self, account_id: i64, limit: u32) -> Result<Vec<InboxItem>, StorageError>;

    async fn inbox_item(&self, id: i64) -> Result<Option<InboxItem>, StorageError>;

    async fn unread_count(&self, account_id: i64) -> Result<i64, StorageError>;

    /// Marks the account's items read (`None`: all of them); returns how many changed.
    async fn mark_read(
        &self,
        account_id: i64,
        item_id: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<u64, StorageError>;

    /// Pending deliveries whose next attempt is due at `now`, oldest first.
    async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StorageError>;

    /// Claims a pending delivery for one attempt: counts the attempt and moves its next attempt
    /// to `lease_until`, only if it is still pending and due at `now`. `false` when another
    /// sender claimed it first.
    async fn claim_delivery(
        &self,
        id: i64,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StorageError>;

    async fn mark_delivery_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), StorageError>;

    /// Records a failed attempt: pending again at `retry_at`, or failed for good when `None`.
    async fn mark_delivery_failed(
        &self,
        id: i64,
        error: &str,
        at: DateTime<Utc>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError>;

    async fn delivery(&self, id: i64) -> Result<Option<Delivery>, StorageError>;

    async fn search_deliveries(&self, query: &DeliveryQuery)
    -> Result<Vec<Delivery>, StorageError>;

    /// The account's choices, or the defaults (no e-mail, no group bot) when it has made none.
    async fn preferences(&self, account_id: i64) -> Result<ChannelPreferences, StorageError>;

    /// Replaces the account's choices.
    async fn set_preferences(&self, preferences: &ChannelPreferences) -> Result<(), StorageError>;

    async fn create_channel_config(
        &self,
        config: &NewChannelConfig,
    ) -> Result<ChannelConfig, StorageError>;

    async fn channel_config(&self, id: i64) -> Result<Option<ChannelConfig>, StorageError>;

    /// Every group bot, in id order.
    async fn channel_configs(&self) -> Result<Vec<ChannelConfig>, StorageError>;

    /// Turns a group bot on or off (a bot is never deleted: its deliveries refer to it).
    async fn set_channel_enabled(&self, id: i64, enabled: bool) -> Result<(), StorageError>;
}

/// Seals a secret (a webhook URL with its token, a signing secret, an e-mail address) with the
/// database's data key when it has one: the text stored is then the sealed JSON value
/// (`crate::sealing`), bound to `field`. Without a key the clear text is stored.
pub fn seal_text(key: Option<&crate::sealing::DataKey>, field: &str, clear: &str) -> String {
    match key {
        Some(key) => key.seal(field, &serde_json::Value::from(clear)).to_string(),
        None => clear.to_string(),
    }
}

/// Opens what [`seal_text`] stored. Clear text (stored before a key was configured) comes back
/// as it is; a sealed value without the key, with another key, or altered is an error that says
/// so in both languages.
pub fn open_text(
    key: Option<&crate::sealing::DataKey>,
    field: &str,
    stored: &str,
) -> Result<String, String> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(stored) else {
        return Ok(stored.to_string());
    };
    if !crate::sealing::is_sealed(&value) {
        return Ok(stored.to_string());
    }
    let Some(key) = key else {
        return Err(crate::sealing::SealingError::NoKey {
            field: field.to_string(),
        }
        .to_string());
    };
    let clear = key.open(field, &value).map_err(|error| error.to_string())?;
    clear
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{field}：密文内容不是文本 / {field}: the sealed value is not text"))
}

/// The behaviour both databases' [`NotificationStore`] must show, run by
/// `crates/zhibu-notify/tests/store_suite.rs` on SQLite and on PostgreSQL.
pub mod suite {
    use std::sync::Arc;

    use chrono::{Duration, NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::{Backend, NewAccount};

    fn item(account_id: i64, key: &str, day: NaiveDate) -> NewInboxItem {
        NewInboxItem {
            account_id,
            item_key: key.to_string(),
            day,
            org_id: 7,
            subject_zh: "【支部提醒】主题党日".into(),
            subject_en: "[Zhibu] themed Party day".into(),
            body_zh: "尚未开展".into(),
            body_en: "not yet held".into(),
            link_path: "/branches/7".into(),
            created_at: Utc
                .with_ymd_and_hms(2026, 3, 24, 0, 0, 0)
                .single()
                .expect("instant"),
        }
    }

    fn email(account_id: i64, key: &str, day: NaiveDate) -> NewDelivery {
        NewDelivery {
            channel: ChannelKind::Email,
            destination: "wang@example.org".into(),
            channel_config_id: None,
            dedup_key: format!("email:{account_id}|{key}|{day}"),
        }
    }

    async fn account(backend: &dyn Backend, login: &str) -> i64 {
        backend
            .accounts()
            .create_account(&NewAccount {
                login: login.into(),
                display_name: login.into(),
                password_hash: "$argon2id$x".into(),
                role: "branch_secretary".into(),
                scope_org_id: Some(7),
                member_id: None,
                must_change_password: false,
                created_at: Utc::now(),
            })
            .await
            .expect("account")
            .id
    }

    /// Runs every check on a freshly migrated database.
    pub async fn run(backend: Arc<dyn Backend>) {
        let store = backend
            .notifications()
            .expect("the backend keeps reminders");
        let first = account(backend.as_ref(), "first").await;
        let second = account(backend.as_ref(), "second").await;
        let day = NaiveDate::from_ymd_opt(2026, 3, 24).expect("day");

        // Once per account × item × day, enforced by the database, also under concurrency.
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let backend = backend.clone();
            tasks.push(tokio::spawn(async move {
                let store = backend.notifications().expect("store");
                store
                    .record_reminder(&item(first, "A", day), &[email(first, "A", day)])
                    .await
                    .expect("record")
            }));
        }
        let mut new = 0;
        for task in tasks {
            if task.await.expect("task").is_some() {
                new += 1;
            }
        }
        assert_eq!(
            new, 1,
            "exactly one of eight concurrent writers tells the account"
        );
        assert!(
            store
                .record_reminder(&item(first, "A", day), &[email(first, "A", day)])
                .await
                .expect("again")
                .is_none()
        );
        let next_day = day.succ_opt().expect("day");
        assert!(
            store
                .record_reminder(&item(first, "A", next_day), &[])
                .await
                .expect("next day")
                .is_some()
        );

        // A group told the same item for two people gets one delivery.
        let bot = store
            .create_channel_config(&NewChannelConfig {
                org_id: 7,
                kind: ChannelKind::Dingtalk,
                name: "支部钉钉群".into(),
                webhook_url: "https://oapi.dingtalk.com/robot/send?access_token=t".into(),
                secret: Some("SECx".into()),
                created_by: first,
                created_at: Utc::now(),
            })
            .await
            .expect("bot");
        assert_eq!(
            store.channel_config(bot.id).await.expect("read"),
            Some(bot.clone())
        );
        let group = || NewDelivery {
            channel: ChannelKind::Dingtalk,
            destination: bot.name.clone(),
            channel_config_id: Some(bot.id),
            dedup_key: format!("group:{}|B|{day}", bot.id),
        };
        for account_id in [first, second] {
            assert!(
                store
                    .record_reminder(&item(account_id, "B", day), &[group()])
                    .await
                    .expect("record")
                    .is_some()
            );
        }
        let all = store
            .search_deliveries(&DeliveryQuery {
                limit: 100,
                ..DeliveryQuery::default()
            })
            .await
            .expect("deliveries");
        assert_eq!(
            all.len(),
            2,
            "one e-mail (A) and one group message (B): {all:?}"
        );

        // Claims: one sender wins; a failure with a retry is pending again; the last is failed.
        let now = Utc
            .with_ymd_and_hms(2026, 3, 24, 1, 0, 0)
            .single()
            .expect("instant");
        let due = store.due_deliveries(now, 10).await.expect("due");
        assert_eq!(due.len(), 2);
        let id = due[0].id;
        assert!(
            store
                .claim_delivery(id, now, now + Duration::minutes(5))
                .await
                .expect("claim")
        );
        assert!(
            !store
                .claim_delivery(id, now, now + Duration::minutes(5))
                .await
                .expect("claim")
        );
        assert_eq!(store.due_deliveries(now, 10).await.expect("due").len(), 1);
        store
            .mark_delivery_failed(id, "HTTP 500", now, Some(now + Duration::minutes(1)))
            .await
            .expect("failed once");
        let retried = store.delivery(id).await.expect("read").expect("exists");
        assert_eq!(
            (
                retried.status,
                retried.attempts,
                retried.last_error.as_deref()
            ),
            (DeliveryStatus::Pending, 1, Some("HTTP 500"))
        );
        assert_eq!(retried.next_attempt_at, now + Duration::minutes(1));
        assert!(
            store
                .due_deliveries(now, 10)
                .await
                .expect("due")
                .iter()
                .all(|d| d.id != id)
        );
        let later = now + Duration::minutes(1);
        assert!(
            store
                .claim_delivery(id, later, later + Duration::minutes(5))
                .await
                .expect("claim")
        );
        store
            .mark_delivery_failed(id, "HTTP 500", later, None)
            .await
            .expect("failed");
        let failed = store.delivery(id).await.expect("read").expect("exists");
        assert_eq!(
            (failed.status, failed.attempts),
            (DeliveryStatus::Failed, 2)
        );
        assert!(failed.finished_at.is_some());
        let other = due[1].id;
        assert!(store.claim_delivery(other, now, now).await.expect("claim"));
        store.mark_delivery_sent(other, now).await.expect("sent");
        assert_eq!(
            store
                .delivery(other)
                .await
                .expect("read")
                .expect("exists")
                .status,
            DeliveryStatus::Sent
        );
        let failed_only = store
            .search_deliveries(&DeliveryQuery {
                status: Some(DeliveryStatus::Failed),
                limit: 100,
                ..DeliveryQuery::default()
            })
            .await
            .expect("failed");
        assert_eq!(failed_only.len(), 1);

        // The inbox: unread counts, and only the account's own items can be marked read.
        assert_eq!(store.unread_count(first).await.expect("unread"), 3);
        let second_item = store.inbox(second, 10).await.expect("inbox")[0].id;
        assert_eq!(
            store
                .mark_read(first, Some(second_item), now)
                .await
                .expect("mark"),
            0,
            "not the first account's item"
        );
        assert_eq!(store.unread_count(second).await.expect("unread"), 1);
        assert_eq!(store.mark_read(first, None, now).await.expect("mark"), 3);
        assert_eq!(store.unread_count(first).await.expect("unread"), 0);
        let inbox = store.inbox(first, 10).await.expect("inbox");
        assert_eq!(inbox.len(), 3);
        assert!(
            inbox.windows(2).all(|pair| pair[0].id > pair[1].id),
            "newest first"
        );
        assert_eq!(inbox[0].subject_zh, "【支部提醒】主题党日");

        // Channel choices.
        assert_eq!(
            store.preferences(first).await.expect("none yet"),
            ChannelPreferences {
                account_id: first,
                ..ChannelPreferences::default()
            }
        );
        let chosen = ChannelPreferences {
            account_id: first,
            email: Some("wang@example.org".into()),
            email_enabled: true,
            group_channels: vec![bot.id],
        };
        store.set_preferences(&chosen).await.expect("set");
        assert_eq!(store.preferences(first).await.expect("read"), chosen);
        let fewer = ChannelPreferences {
            group_channels: Vec::new(),
            email_enabled: false,
            ..chosen
        };
        store.set_preferences(&fewer).await.expect("set");
        assert_eq!(store.preferences(first).await.expect("read"), fewer);
        store.set_channel_enabled(bot.id, false).await.expect("off");
        assert!(!store.channel_configs().await.expect("bots")[0].enabled);
    }
}
