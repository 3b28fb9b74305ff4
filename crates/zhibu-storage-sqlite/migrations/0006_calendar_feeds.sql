-- Calendar feed tokens (issue 7): the secret in the address of a subscribed iCalendar feed. Like
-- sessions, only the token's SHA-256 is kept, so that a copy of this table does not let anyone
-- read a feed. Tokens are revoked, never deleted, so an account's page can show its history.
CREATE TABLE calendar_feeds (
    id              INTEGER PRIMARY KEY,
    token_hash      TEXT    NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- What the feed shows: a branch (its org id) or the account holder as a member (their record id).
    subject_kind    TEXT    NOT NULL CHECK (subject_kind IN ('branch', 'member')),
    subject_id      INTEGER NOT NULL,
    created_at      TEXT    NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'),
    revoked_at      TEXT    CHECK (revoked_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'),
    last_fetched_at TEXT    CHECK (last_fetched_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z')
) STRICT;

CREATE INDEX calendar_feeds_by_account ON calendar_feeds (account_id, id);
