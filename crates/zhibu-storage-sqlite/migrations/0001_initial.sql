-- Zhibu's first SQLite schema: current records, their hash-chained versions and the chain head.
--
-- Dates are TEXT `YYYY-MM-DD` and instants are TEXT in RFC 3339 UTC with exactly six fractional
-- digits (`2026-03-01T08:00:00.123456Z`), so that both sort as text and read back unchanged. The
-- tables are STRICT so that a value of the wrong type is refused rather than silently kept.

-- The current state of every record: a projection of its latest version in `record_versions`.
-- There is deliberately no foreign key between the two tables: the chain must outlive any damage
-- done to the projection, so that `zhibu verify` can report it.
CREATE TABLE records (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL,
    -- The subtree path, e.g. `/1/5/23/`: only digits and slashes, so a GLOB prefix is exact.
    org_path         TEXT    NOT NULL CHECK (org_path GLOB '/*/' AND org_path NOT GLOB '*[^0-9/]*'),
    event_date       TEXT    NOT NULL CHECK (event_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    version          INTEGER NOT NULL CHECK (version >= 1),
    deleted          INTEGER NOT NULL CHECK (deleted IN (0, 1)),
    first_entered_at TEXT    NOT NULL CHECK (first_entered_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'),
    last_changed_at  TEXT    NOT NULL CHECK (last_changed_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'),
    -- The JSON text exactly as hashed in the chain.
    body             TEXT    NOT NULL
) STRICT;

-- Listing a kind of record in a subtree, optionally within dates. The index ends with the rowid
-- (`id`), which keyset paging orders by.
CREATE INDEX records_by_kind_subtree_date ON records (kind, org_path, event_date);

-- Every version of every record, in one chain ordered by `seq`. Rows are only ever inserted.
CREATE TABLE record_versions (
    seq           INTEGER PRIMARY KEY,
    record_id     INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    operation     TEXT    NOT NULL CHECK (operation IN ('create', 'amend', 'delete')),
    org_path      TEXT    NOT NULL,
    event_date    TEXT    NOT NULL CHECK (event_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    entered_at    TEXT    NOT NULL CHECK (entered_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'),
    actor         TEXT    NOT NULL,
    reason        TEXT,
    body          TEXT    NOT NULL,
    previous_hash TEXT    NOT NULL,
    hash          TEXT    NOT NULL,
    UNIQUE (record_id, version)
) STRICT;

-- The last entry of the chain, kept apart so that removing the newest versions is noticed. There
-- is always exactly one row; seq 0 with the genesis hash means the chain is empty.
CREATE TABLE chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL CHECK (seq >= 0),
    hash TEXT    NOT NULL
) STRICT;

INSERT INTO chain_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
