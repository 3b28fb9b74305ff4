-- Import batches and per-record provenance (issue 4). A batch is one spreadsheet written in one
-- transaction; each record it created points to the batch and the spreadsheet row it came from.
-- A rollback does not remove anything: the records get deletion versions in the chain, and the
-- batch is marked rolled back with who, when and why.
CREATE TABLE import_batches (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    org_path        TEXT    NOT NULL,
    file_name       TEXT    NOT NULL,
    file_sha256     TEXT    NOT NULL,
    sheet           TEXT,
    actor           TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    record_count    INTEGER NOT NULL,
    first_seq       INTEGER NOT NULL,
    last_seq        INTEGER NOT NULL,
    rolled_back_at  TEXT,
    rolled_back_by  TEXT,
    rollback_reason TEXT
) STRICT;

CREATE TABLE import_rows (
    tenant_id  INTEGER NOT NULL,
    record_id  INTEGER NOT NULL PRIMARY KEY,
    batch_id   INTEGER NOT NULL REFERENCES import_batches (id),
    row_number INTEGER NOT NULL
) STRICT;

CREATE INDEX import_rows_by_batch ON import_rows (batch_id, row_number);
