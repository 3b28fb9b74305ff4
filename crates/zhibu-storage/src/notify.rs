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
