-- Idempotency keys: a create repeated with the same key (a double-clicked form, a retried API
-- call) returns the record the first one made instead of making a second.
CREATE TABLE idempotency_keys (
    key        TEXT    PRIMARY KEY,
    record_id  INTEGER NOT NULL,
    created_at TEXT    NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z')
) STRICT;

-- Old keys can be pruned by age without a full scan.
CREATE INDEX idempotency_keys_by_created_at ON idempotency_keys (created_at);
