//! Calendar feed tokens (issue 7, migration 6): the secret in the address of a subscribed
//! iCalendar feed (`/feeds/<token>.ics`).
//!
//! Like sessions, they are kept beside the records and outside the hash chain, and only a token's
//! SHA-256 is stored: a copy of the database does not let anyone read a feed. A token belongs to
//! one account and names what its feed shows (a branch, or the account holder as a member); the web
//! layer checks at every fetch that the account may still see it. A token is never deleted, only
//! revoked, so the account's page can show when each was made, last fetched and revoked.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{Backend, StorageError};

/// What a feed shows: `branch` (a branch's obligations and meetings) or `member` (the account
/// holder's own).
pub const FEED_SUBJECT_BRANCH: &str = "branch";
pub const FEED_SUBJECT_MEMBER: &str = "member";

/// A feed token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCalendarFeed {
    /// Lowercase hex SHA-256 of the token in the address.
    pub token_hash: String,
    pub account_id: i64,
    /// [`FEED_SUBJECT_BRANCH`] or [`FEED_SUBJECT_MEMBER`].
    pub subject_kind: String,
    /// The branch's org id, or the member's record id.
    pub subject_id: i64,
    pub created_at: DateTime<Utc>,
}

/// A feed token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarFeedRow {
    pub id: i64,
    pub token_hash: String,
    pub account_id: i64,
    pub subject_kind: String,
    pub subject_id: i64,
    pub created_at: DateTime<Utc>,
    /// Set once; a revoked token's feed answers 404 for ever.
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_fetched_at: Option<DateTime<Utc>>,
}

/// The calendar feed tokens of one database.
#[async_trait]
pub trait CalendarFeedStore: Send + Sync {
    /// Stores a new token. A subject kind other than `branch` or `member` is refused by the
    /// database.
    async fn create_calendar_feed(
        &self,
        feed: &NewCalendarFeed,
    ) -> Result<CalendarFeedRow, StorageError>;

    /// The token with this hash, revoked or not (the caller decides).
    async fn calendar_feed_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<CalendarFeedRow>, StorageError>;

    /// Every token of an account, newest first.
    async fn calendar_feeds_of_account(
        &self,
        account_id: i64,
    ) -> Result<Vec<CalendarFeedRow>, StorageError>;

    /// Revokes token `id` if it belongs to `account_id` and is not yet revoked, and returns it as
    /// it now stands; `None` when there is no such live token of that account.
    async fn revoke_calendar_feed(
        &self,
        id: i64,
        account_id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<CalendarFeedRow>, StorageError>;

    /// Notes that the feed was fetched at `at`.
    async fn record_calendar_feed_fetch(
        &self,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError>;
}

/// The store of a backend, or an error naming the backend when it keeps none.
pub fn calendar_feed_store(backend: &dyn Backend) -> Result<&dyn CalendarFeedStore, StorageError> {
    backend.calendar_feeds().ok_or_else(|| {
        StorageError::Database(
            format!(
                "此存储（{}）未保存日历订阅 / the {} backend keeps no calendar feed tokens",
                backend.name(),
                backend.name()
            )
            .into(),
        )
    })
}

/// The behaviour both databases must show, run by each backend's `tests/storage_suite.rs`.
pub mod suite {
    use super::*;
    use crate::{AccountStore, NewAccount};
    use chrono::TimeZone;

    fn instant(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_780_000_000 + seconds, 123_456_000)
            .single()
            .expect("a valid instant")
    }

    async fn account(accounts: &dyn AccountStore, login: &str) -> i64 {
        accounts
            .create_account(&NewAccount {
                login: login.to_string(),
                display_name: login.to_string(),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".to_string(),
                role: "member".to_string(),
                scope_org_id: Some(3),
                member_id: Some(4),
                must_change_password: false,
                created_at: instant(0),
            })
            .await
            .expect("create an account")
            .id
    }

    /// Tokens are stored by hash, listed per account newest first, revoked only by their own
    /// account and only once, and fetches are noted; an unknown subject kind is refused.
    pub async fn calendar_feed_tokens(store: Arc<dyn Backend>) {
        let feeds = calendar_feed_store(store.as_ref()).expect("the backend keeps feed tokens");
        let owner = account(store.accounts(), "feed-owner").await;
        let other = account(store.accounts(), "feed-other").await;
        let hash = |n: u8| format!("{n:02x}").repeat(32);
        let first = feeds
            .create_calendar_feed(&NewCalendarFeed {
                token_hash: hash(1),
                account_id: owner,
                subject_kind: FEED_SUBJECT_BRANCH.to_string(),
                subject_id: 3,
                created_at: instant(10),
            })
            .await
            .expect("create the first token");
        assert_eq!(
            (first.subject_kind.as_str(), first.subject_id),
            ("branch", 3)
        );
        assert_eq!(first.created_at, instant(10));
        assert_eq!((first.revoked_at, first.last_fetched_at), (None, None));
        let second = feeds
            .create_calendar_feed(&NewCalendarFeed {
                token_hash: hash(2),
                account_id: owner,
                subject_kind: FEED_SUBJECT_MEMBER.to_string(),
                subject_id: 4,
                created_at: instant(20),
            })
            .await
            .expect("create the second token");
        // The same token twice, or an unknown subject, is refused and stores nothing.
        assert!(
            feeds
                .create_calendar_feed(&NewCalendarFeed {
                    token_hash: hash(1),
                    account_id: other,
                    subject_kind: FEED_SUBJECT_BRANCH.to_string(),
                    subject_id: 3,
                    created_at: instant(30),
                })
                .await
                .is_err()
        );
        assert!(
            feeds
                .create_calendar_feed(&NewCalendarFeed {
                    token_hash: hash(3),
                    account_id: other,
                    subject_kind: "committee".to_string(),
                    subject_id: 2,
                    created_at: instant(30),
                })
                .await
                .is_err()
        );
        let listed = feeds.calendar_feeds_of_account(owner).await.expect("list");
        assert_eq!(listed, vec![second.clone(), first.clone()]);
        assert!(
            feeds
                .calendar_feeds_of_account(other)
                .await
                .expect("list")
                .is_empty()
        );
        assert_eq!(
            feeds.calendar_feed_by_token(&hash(2)).await.expect("read"),
            Some(second.clone())
        );
        assert_eq!(
            feeds.calendar_feed_by_token(&hash(9)).await.expect("read"),
            None
        );

        feeds
            .record_calendar_feed_fetch(first.id, instant(40))
            .await
            .expect("note a fetch");
        // Another account cannot revoke it; its owner can, once.
        assert_eq!(
            feeds
                .revoke_calendar_feed(first.id, other, instant(50))
                .await
                .expect("revoke"),
            None
        );
        let revoked = feeds
            .revoke_calendar_feed(first.id, owner, instant(60))
            .await
            .expect("revoke")
            .expect("the owner's live token");
        assert_eq!(revoked.revoked_at, Some(instant(60)));
        assert_eq!(revoked.last_fetched_at, Some(instant(40)));
        assert_eq!(
            feeds
                .revoke_calendar_feed(first.id, owner, instant(70))
                .await
                .expect("revoke"),
            None,
            "revoked only once"
        );
        let read = feeds
            .calendar_feed_by_token(&hash(1))
            .await
            .expect("read")
            .expect("still there");
        assert_eq!(read.revoked_at, Some(instant(60)));
        assert_eq!(
            feeds
                .calendar_feed_by_token(&hash(2))
                .await
                .expect("read")
                .expect("there")
                .revoked_at,
            None
        );
    }
}
