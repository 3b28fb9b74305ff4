-- Idempotency keys: a create repeated with the same key (a double-clicked form, a retried API
-- call) returns the record the first one made instead of making a second.
CREATE TABLE idempotency_keys (
    key        TEXT        PRIMARY KEY,
    record_id  BIGINT      NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Old keys can be pruned by age without a full scan.
CREATE INDEX idempotency_keys_by_created_at ON idempotency_keys (created_at);
