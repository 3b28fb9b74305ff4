//! Reminders on SQLite (migration 7): inbox, deliveries, channel choices and group bots. Days are
//! `YYYY-MM-DD` text and instants the same sortable RFC 3339 text as everywhere else here.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::sqlite::SqliteRow;
use zhibu_storage::StorageError;
use zhibu_storage::notify::{
    ChannelConfig, ChannelKind, ChannelPreferences, Delivery, DeliveryQuery, DeliveryStatus,
    InboxItem, NewChannelConfig, NewDelivery, NewInboxItem, NotificationStore,
};

use crate::{SqliteBackend, column, corrupt, date_text, instant_column, instant_text};

const INSERT_ITEM: &str = "INSERT INTO inbox_items
(account_id, item_key, day, org_id, subject_zh, subject_en, body_zh, body_en, link_path, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
ON CONFLICT (account_id, item_key, day) DO NOTHING
RETURNING id";

const INSERT_DELIVERY: &str = "INSERT INTO deliveries
(inbox_item_id, account_id, channel, destination, channel_config_id, dedup_key, status, attempts, next_attempt_at, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?7)
ON CONFLICT (dedup_key) DO NOTHING";

const ITEM_COLUMNS: &str = "SELECT id, account_id, item_key, day, org_id, subject_zh, subject_en, body_zh, body_en, link_path, created_at, read_at FROM inbox_items ";

const DELIVERY_COLUMNS: &str = "SELECT id, inbox_item_id, account_id, channel, destination, channel_config_id, dedup_key, status, attempts, last_error, next_attempt_at, created_at, finished_at FROM deliveries ";

const CHANNEL_COLUMNS: &str = "SELECT id, org_id, kind, name, webhook_url, secret, enabled, created_by, created_at FROM notification_channels ";

fn sql(head: &str, tail: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!("{head}{tail}"))
}

fn optional_instant(
    row: &SqliteRow,
    id: i64,
    name: &str,
) -> Result<Option<DateTime<Utc>>, StorageError> {
    let text: Option<String> = column(row, id, name)?;
    text.map(|text| {
        DateTime::parse_from_rfc3339(&text)
            .map(|instant| instant.with_timezone(&Utc))
            .map_err(|error| corrupt(id, name, format!("{text:?}: {error}")))
    })
    .transpose()
}

fn decode_item(row: &SqliteRow) -> Result<InboxItem, StorageError> {
    let id: i64 = column(row, 0, "id")?;
    let day: String = column(row, id, "day")?;
    Ok(InboxItem {
        id,
        account_id: column(row, id, "account_id")?,
        item_key: column(row, id, "item_key")?,
        day: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .map_err(|error| corrupt(id, "day", error))?,
        org_id: column(row, id, "org_id")?,
        subject_zh: column(row, id, "subject_zh")?,
        subject_en: column(row, id, "subject_en")?,
        body_zh: column(row, id, "body_zh")?,
        body_en: column(row, id, "body_en")?,
        link_path: column(row, id, "link_path")?,
        created_at: instant_column(row, id, "created_at")?,
        read_at: optional_instant(row, id, "read_at")?,
    })
}

fn decode_delivery(row: &SqliteRow) -> Result<Delivery, StorageError> {
    let id: i64 = column(row, 0, "id")?;
    let channel: String = column(row, id, "channel")?;
    let status: String = column(row, id, "status")?;
    Ok(Delivery {
        id,
        inbox_item_id: column(row, id, "inbox_item_id")?,
        account_id: column(row, id, "account_id")?,
        channel: ChannelKind::parse(&channel)
            .ok_or_else(|| corrupt(id, "channel", format!("unknown channel {channel:?}")))?,
        destination: column(row, id, "destination")?,
        channel_config_id: column(row, id, "channel_config_id")?,
        dedup_key: column(row, id, "dedup_key")?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| corrupt(id, "status", format!("unknown status {status:?}")))?,
        attempts: column(row, id, "attempts")?,
        last_error: column(row, id, "last_error")?,
        next_attempt_at: instant_column(row, id, "next_attempt_at")?,
        created_at: instant_column(row, id, "created_at")?,
        finished_at: optional_instant(row, id, "finished_at")?,
    })
}

fn decode_channel(row: &SqliteRow) -> Result<ChannelConfig, StorageError> {
    let id: i64 = column(row, 0, "id")?;
    let kind: String = column(row, id, "kind")?;
    Ok(ChannelConfig {
        id,
        org_id: column(row, id, "org_id")?,
        kind: ChannelKind::parse(&kind)
            .ok_or_else(|| corrupt(id, "kind", format!("unknown channel {kind:?}")))?,
        name: column(row, id, "name")?,
        webhook_url: column(row, id, "webhook_url")?,
        secret: column(row, id, "secret")?,
        enabled: column(row, id, "enabled")?,
        created_by: column(row, id, "created_by")?,
        created_at: instant_column(row, id, "created_at")?,
    })
}

#[async_trait]
impl NotificationStore for SqliteBackend {
    async fn record_reminder(
        &self,
        item: &NewInboxItem,
        deliveries: &[NewDelivery],
    ) -> Result<Option<i64>, StorageError> {
        // Not the record writers' lock: reminders are outside the chain. BEGIN IMMEDIATE still
        // serializes this with every other writer of the file.
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StorageError::database)?;
        let id: Option<i64> = sqlx::query_scalar(INSERT_ITEM)
            .bind(item.account_id)
            .bind(item.item_key.as_str())
            .bind(date_text(item.day))
            .bind(item.org_id)
            .bind(item.subject_zh.as_str())
            .bind(item.subject_en.as_str())
            .bind(item.body_zh.as_str())
            .bind(item.body_en.as_str())
            .bind(item.link_path.as_str())
            .bind(instant_text(item.created_at))
            .fetch_optional(&mut *tx)
            .await
            .map_err(StorageError::database)?;
        let Some(id) = id else {
            return Ok(None);
        };
        for delivery in deliveries {
            sqlx::query(INSERT_DELIVERY)
                .bind(id)
                .bind(item.account_id)
                .bind(delivery.channel.as_str())
                .bind(delivery.destination.as_str())
                .bind(delivery.channel_config_id)
                .bind(delivery.dedup_key.as_str())
                .bind(instant_text(item.created_at))
                .execute(&mut *tx)
                .await
                .map_err(StorageError::database)?;
        }
        tx.commit().await.map_err(StorageError::database)?;
        Ok(Some(id))
    }

    async fn inbox(&self, account_id: i64, limit: u32) -> Result<Vec<InboxItem>, StorageError> {
        let rows = sqlx::query(sql(
            ITEM_COLUMNS,
            "WHERE account_id = ?1 ORDER BY id DESC LIMIT ?2",
        ))
        .bind(account_id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(StorageError::database)?;
        rows.iter().map(decode_item).collect()
    }

    async fn inbox_item(&self, id: i64) -> Result<Option<InboxItem>, StorageError> {
        let row = sqlx::query(sql(ITEM_COLUMNS, "WHERE id = ?1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(StorageError::database)?;
        row.as_ref().map(decode_item).transpose()
    }

    async fn unread_count(&self, account_id: i64) -> Result<i64, StorageError> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM inbox_items WHERE account_id = ?1 AND read_at IS NULL",
        )
        .bind(account_id)
        .fetch_one(self.pool())
        .await
        .map_err(StorageError::database)
    }

    async fn mark_read(
        &self,
        account_id: i64,
        item_id: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let result = sqlx::query(
            "UPDATE inbox_items SET read_at = ?3
             WHERE account_id = ?1 AND read_at IS NULL AND (?2 IS NULL OR id = ?2)",
        )
        .bind(account_id)
        .bind(item_id)
        .bind(instant_text(at))
        .execute(self.pool())
        .await
        .map_err(StorageError::database)?;
        Ok(result.rows_affected())
    }

    async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StorageError> {
        let rows = sqlx::query(sql(
            DELIVERY_COLUMNS,
            "WHERE status = 'pending' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2",
        ))
        .bind(instant_text(now))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(StorageError::database)?;
        rows.iter().map(decode_delivery).collect()
    }

    async fn claim_delivery(
        &self,
        id: i64,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let result = sqlx::query(
            "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?3
             WHERE id = ?1 AND status = 'pending' AND next_attempt_at <= ?2",
        )
        .bind(id)
        .bind(instant_text(now))
        .bind(instant_text(lease_until))
        .execute(self.pool())
        .await
        .map_err(StorageError::database)?;
        Ok(result.rows_affected() == 1)
    }

    async fn mark_delivery_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE deliveries SET status = 'sent', last_error = NULL, finished_at = ?2, next_attempt_at = ?2 WHERE id = ?1",
        )
        .bind(id)
        .bind(instant_text(at))
        .execute(self.pool())
        .await
        .map_err(StorageError::database)?;
        Ok(())
    }

    async fn mark_delivery_failed(
        &self,
        id: i64,
        error: &str,
        at: DateTime<Utc>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError> {
        let (status, next, finished) = match retry_at {
            Some(retry) => ("pending", retry, None),
            None => ("failed", at, Some(instant_text(at))),
        };
        sqlx::query(
            "UPDATE deliveries SET status = ?2, last_error = ?3, next_attempt_at = ?4, finished_at = ?5 WHERE id = ?1",
        )
        .bind(id)
        .bind(status)
        .bind(error)
        .bind(instant_text(next))
        .bind(finished)
        .execute(self.pool())
        .await
        .map_err(StorageError::database)?;
        Ok(())
    }

    async fn delivery(&self, id: i64) -> Result<Option<Delivery>, StorageError> {
        let row = sqlx::query(sql(DELIVERY_COLUMNS, "WHERE id = ?1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(StorageError::database)?;
        row.as_ref().map(decode_delivery).transpose()
    }

    async fn search_deliveries(
        &self,
        query: &DeliveryQuery,
    ) -> Result<Vec<Delivery>, StorageError> {
        let rows = sqlx::query(sql(
            DELIVERY_COLUMNS,
            "WHERE (?1 IS NULL OR status = ?1) AND id < ?2 ORDER BY id DESC LIMIT ?3",
        ))
        .bind(query.status.map(DeliveryStatus::as_str))
        .bind(query.before_id.unwrap_or(i64::MAX))
        .bind(i64::from(query.limit))
        .fetch_all(self.pool())
        .await
        .map_err(StorageError::database)?;
        rows.iter().map(decode_delivery).collect()
    }

    async fn preferences(&self, account_id: i64) -> Result<ChannelPreferences, StorageError> {
        let row = sqlx::query(
            "SELECT email, email_enabled FROM notification_preferences WHERE account_id = ?1",
        )
        .bind(account_id)
        .fetch_optional(self.pool())
        .await
        .map_err(StorageError::database)?;
        let (email, email_enabled) = match row {
            Some(row) => (
                column(&row, account_id, "email")?,
                column(&row, account_id, "email_enabled")?,
            ),
            None => (None, false),
        };
        let group_channels: Vec<i64> = sqlx::query_scalar(
            "SELECT channel_id FROM notification_subscriptions WHERE account_id = ?1 ORDER BY channel_id",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await
        .map_err(StorageError::database)?;
        Ok(ChannelPreferences {
            account_id,
            email,
            email_enabled,
            group_channels,
        })
    }

    async fn set_preferences(&self, preferences: &ChannelPreferences) -> Result<(), StorageError> {
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StorageError::database)?;
        sqlx::query(
            "INSERT INTO notification_preferences (account_id, email, email_enabled) VALUES (?1, ?2, ?3)
             ON CONFLICT (account_id) DO UPDATE SET email = excluded.email, email_enabled = excluded.email_enabled",
        )
        .bind(preferences.account_id)
        .bind(preferences.email.as_deref())
        .bind(preferences.email_enabled)
        .execute(&mut *tx)
        .await
        .map_err(StorageError::database)?;
        sqlx::query("DELETE FROM notification_subscriptions WHERE account_id = ?1")
            .bind(preferences.account_id)
            .execute(&mut *tx)
            .await
            .map_err(StorageError::database)?;
        for channel in &preferences.group_channels {
            sqlx::query(
                "INSERT INTO notification_subscriptions (account_id, channel_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )
            .bind(preferences.account_id)
            .bind(*channel)
            .execute(&mut *tx)
            .await
            .map_err(StorageError::database)?;
        }
        tx.commit().await.map_err(StorageError::database)
    }

    async fn create_channel_config(
        &self,
        config: &NewChannelConfig,
    ) -> Result<ChannelConfig, StorageError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO notification_channels (org_id, kind, name, webhook_url, secret, enabled, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7) RETURNING id",
        )
        .bind(config.org_id)
        .bind(config.kind.as_str())
        .bind(config.name.as_str())
        .bind(config.webhook_url.as_str())
        .bind(config.secret.as_deref())
        .bind(config.created_by)
        .bind(instant_text(config.created_at))
        .fetch_one(self.pool())
        .await
        .map_err(StorageError::database)?;
        self.channel_config(id).await?.ok_or_else(|| {
            corrupt(
                id,
                "notification_channels",
                "the group bot just created cannot be read",
            )
        })
    }

    async fn channel_config(&self, id: i64) -> Result<Option<ChannelConfig>, StorageError> {
        let row = sqlx::query(sql(CHANNEL_COLUMNS, "WHERE id = ?1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(StorageError::database)?;
        row.as_ref().map(decode_channel).transpose()
    }

    async fn channel_configs(&self) -> Result<Vec<ChannelConfig>, StorageError> {
        let rows = sqlx::query(sql(CHANNEL_COLUMNS, "ORDER BY id"))
            .fetch_all(self.pool())
            .await
            .map_err(StorageError::database)?;
        rows.iter().map(decode_channel).collect()
    }

    async fn set_channel_enabled(&self, id: i64, enabled: bool) -> Result<(), StorageError> {
        sqlx::query("UPDATE notification_channels SET enabled = ?2 WHERE id = ?1")
            .bind(id)
            .bind(enabled)
            .execute(self.pool())
            .await
            .map_err(StorageError::database)?;
        Ok(())
    }
}
