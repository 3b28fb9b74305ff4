-- Zhibu's first PostgreSQL schema: current records, their hash-chained versions and the chain head.
--
-- Bodies are TEXT, not jsonb: the hash covers the exact text, and jsonb would reorder keys and
-- normalise whitespace. Instants are TIMESTAMPTZ, which keeps microseconds, the precision the
-- chain hashes.

-- Record ids come from one sequence for every kind, reserved before the insert because an org's
-- path contains its own id.
CREATE SEQUENCE record_ids AS BIGINT;

-- The current state of every record: a projection of its latest version in `record_versions`.
-- There is deliberately no foreign key between the two tables: the chain must outlive any damage
-- done to the projection, so that `zhibu verify` can report it.
CREATE TABLE records (
    id               BIGINT      PRIMARY KEY,
    kind             TEXT        NOT NULL,
    -- The subtree path, e.g. `/1/5/23/`: only digits and slashes, so a LIKE prefix is exact.
    org_path         TEXT        NOT NULL CHECK (org_path ~ '^/([0-9]+/)+$'),
    event_date       DATE        NOT NULL,
    version          INTEGER     NOT NULL CHECK (version >= 1),
    deleted          BOOLEAN     NOT NULL,
    first_entered_at TIMESTAMPTZ NOT NULL,
    last_changed_at  TIMESTAMPTZ NOT NULL,
    -- The JSON text exactly as hashed in the chain.
    body             TEXT        NOT NULL
);

-- Listing a kind of record in a subtree, optionally within dates. `text_pattern_ops` lets the
-- `org_path LIKE '/1/5/%'` prefix use the index whatever the database's collation.
CREATE INDEX records_by_kind_subtree_date ON records (kind, org_path text_pattern_ops, event_date);

-- Every version of every record, in one chain ordered by `seq`. Rows are only ever inserted.
CREATE TABLE record_versions (
    seq           BIGINT      PRIMARY KEY,
    record_id     BIGINT      NOT NULL,
    kind          TEXT        NOT NULL,
    version       INTEGER     NOT NULL CHECK (version >= 1),
    operation     TEXT        NOT NULL CHECK (operation IN ('create', 'amend', 'delete')),
    org_path      TEXT        NOT NULL,
    event_date    DATE        NOT NULL,
    entered_at    TIMESTAMPTZ NOT NULL,
    actor         TEXT        NOT NULL,
    reason        TEXT,
    body          TEXT        NOT NULL,
    previous_hash TEXT        NOT NULL,
    hash          TEXT        NOT NULL,
    UNIQUE (record_id, version)
);

-- The last entry of the chain, kept apart so that removing the newest versions is noticed. There
-- is always exactly one row, so that every writer has a row to lock (`FOR UPDATE`) and writers
-- queue behind each other; seq 0 with the genesis hash means the chain is empty.
CREATE TABLE chain_head (
    id   BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    seq  BIGINT  NOT NULL CHECK (seq >= 0),
    hash TEXT    NOT NULL
);

INSERT INTO chain_head (id, seq, hash)
VALUES (TRUE, 0, '0000000000000000000000000000000000000000000000000000000000000000');
