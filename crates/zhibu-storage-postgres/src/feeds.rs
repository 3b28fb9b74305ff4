//! Calendar feed tokens on PostgreSQL (migration 6).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use zhibu_storage::{CalendarFeedRow, CalendarFeedStore, NewCalendarFeed, StorageError};

use crate::{PostgresBackend, column};

const INSERT_FEED: &str = "INSERT INTO calendar_feeds
(token_hash, account_id, subject_kind, subject_id, created_at, revoked_at, last_fetched_at)
VALUES ($1, $2, $3, $4, $5, NULL, NULL)
RETURNING id, token_hash, account_id, subject_kind, subject_id, created_at, revoked_at, last_fetched_at";

const SELECT_BY_TOKEN: &str = "SELECT id, token_hash, account_id, subject_kind, subject_id, created_at, revoked_at, last_fetched_at
FROM calendar_feeds WHERE token_hash = $1";

const SELECT_OF_ACCOUNT: &str = "SELECT id, token_hash, account_id, subject_kind, subject_id, created_at, revoked_at, last_fetched_at
FROM calendar_feeds WHERE account_id = $1 ORDER BY id DESC";

const REVOKE_FEED: &str = "UPDATE calendar_feeds SET revoked_at = $3
WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL
RETURNING id, token_hash, account_id, subject_kind, subject_id, created_at, revoked_at, last_fetched_at";

const RECORD_FETCH: &str = "UPDATE calendar_feeds SET last_fetched_at = $2 WHERE id = $1";

fn decode(row: &PgRow) -> Result<CalendarFeedRow, StorageError> {
    let id: i64 = column(row, 0, "id")?;
    Ok(CalendarFeedRow {
        id,
        token_hash: column(row, id, "token_hash")?,
        account_id: column(row, id, "account_id")?,
        subject_kind: column(row, id, "subject_kind")?,
        subject_id: column(row, id, "subject_id")?,
        created_at: column(row, id, "created_at")?,
        revoked_at: column(row, id, "revoked_at")?,
        last_fetched_at: column(row, id, "last_fetched_at")?,
    })
}

#[async_trait]
impl CalendarFeedStore for PostgresBackend {
    async fn create_calendar_feed(
        &self,
        feed: &NewCalendarFeed,
    ) -> Result<CalendarFeedRow, StorageError> {
        let row = sqlx::query(INSERT_FEED)
            .bind(&feed.token_hash)
            .bind(feed.account_id)
            .bind(&feed.subject_kind)
            .bind(feed.subject_id)
            .bind(feed.created_at)
            .fetch_one(self.pool())
            .await
            .map_err(StorageError::database)?;
        decode(&row)
    }

    async fn calendar_feed_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<CalendarFeedRow>, StorageError> {
        let row = sqlx::query(SELECT_BY_TOKEN)
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await
            .map_err(StorageError::database)?;
        row.as_ref().map(decode).transpose()
    }

    async fn calendar_feeds_of_account(
        &self,
        account_id: i64,
    ) -> Result<Vec<CalendarFeedRow>, StorageError> {
        let rows = sqlx::query(SELECT_OF_ACCOUNT)
            .bind(account_id)
            .fetch_all(self.pool())
            .await
            .map_err(StorageError::database)?;
        rows.iter().map(decode).collect()
    }

    async fn revoke_calendar_feed(
        &self,
        id: i64,
        account_id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<CalendarFeedRow>, StorageError> {
        let row = sqlx::query(REVOKE_FEED)
            .bind(id)
            .bind(account_id)
            .bind(at)
            .fetch_optional(self.pool())
            .await
            .map_err(StorageError::database)?;
        row.as_ref().map(decode).transpose()
    }

    async fn record_calendar_feed_fetch(
        &self,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        sqlx::query(RECORD_FETCH)
            .bind(id)
            .bind(at)
            .execute(self.pool())
            .await
            .map_err(StorageError::database)?;
        Ok(())
    }
}
