-- Calendar feed tokens (issue 7): the secret in the address of a subscribed iCalendar feed. Like
-- sessions, only the token's SHA-256 is kept, so that a copy of this table does not let anyone
-- read a feed. Tokens are revoked, never deleted, so an account's page can show its history.
CREATE TABLE calendar_feeds (
    id              BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash      TEXT        NOT NULL UNIQUE CHECK (char_length(token_hash) = 64),
    account_id      BIGINT      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- What the feed shows: a branch (its org id) or the account holder as a member (their record id).
    subject_kind    TEXT        NOT NULL CHECK (subject_kind IN ('branch', 'member')),
    subject_id      BIGINT      NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ,
    last_fetched_at TIMESTAMPTZ
);

CREATE INDEX calendar_feeds_by_account ON calendar_feeds (account_id, id);
