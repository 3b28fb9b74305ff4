-- Reminders (issue 7): the in-app inbox, deliveries through e-mail and group bots with their
-- attempts, each account's channel choices, and the group bots configured per org. Like accounts,
-- outside the hash chain. Instants are RFC 3339 UTC text with six fractional digits; days are
-- YYYY-MM-DD in China Standard Time.

-- Group bots (企业微信 / 钉钉) of an org. The webhook URL holds the bot's access token and the
-- secret signs 钉钉 messages: both are secrets, shown masked and only to those who configure them.
CREATE TABLE notification_channels (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('wecom', 'dingtalk')),
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    webhook_url TEXT    NOT NULL,
    secret      TEXT,
    enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    created_by  INTEGER NOT NULL,
    created_at  TEXT    NOT NULL
) STRICT;

CREATE INDEX notification_channels_by_org ON notification_channels (org_id);

-- An account's choices; no row means no e-mail and no group bot (the inbox is always on).
CREATE TABLE notification_preferences (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    email         TEXT,
    email_enabled INTEGER NOT NULL CHECK (email_enabled IN (0, 1)),
    CHECK (email_enabled = 0 OR email IS NOT NULL)
) STRICT;

CREATE TABLE notification_subscriptions (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL REFERENCES notification_channels (id),
    PRIMARY KEY (account_id, channel_id)
) STRICT;

-- One thing told to one account on one day. The unique key is the idempotency of the scheduler:
-- however many schedulers run, nobody is told the same item twice in a day.
CREATE TABLE inbox_items (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    item_key   TEXT    NOT NULL,
    day        TEXT    NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    org_id     INTEGER NOT NULL,
    subject_zh TEXT    NOT NULL,
    subject_en TEXT    NOT NULL,
    body_zh    TEXT    NOT NULL,
    body_en    TEXT    NOT NULL,
    link_path  TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    read_at    TEXT,
    UNIQUE (account_id, item_key, day)
) STRICT;

CREATE INDEX inbox_items_by_account ON inbox_items (account_id, id);
CREATE INDEX inbox_items_unread ON inbox_items (account_id) WHERE read_at IS NULL;

-- A message to send through e-mail or a group bot, with its attempts. `next_attempt_at` is when a
-- pending delivery may be tried; a sender claims it by moving that time forward (a lease), so
-- that two senders never send it twice.
CREATE TABLE deliveries (
    id                INTEGER PRIMARY KEY,
    inbox_item_id     INTEGER NOT NULL REFERENCES inbox_items (id) ON DELETE CASCADE,
    account_id        INTEGER NOT NULL,
    channel           TEXT    NOT NULL CHECK (channel IN ('email', 'wecom', 'dingtalk')),
    destination       TEXT    NOT NULL,
    channel_config_id INTEGER REFERENCES notification_channels (id),
    dedup_key         TEXT    NOT NULL UNIQUE,
    status            TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error        TEXT,
    next_attempt_at   TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    finished_at       TEXT
) STRICT;

CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_by_status ON deliveries (status, id);
