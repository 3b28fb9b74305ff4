-- Import batches and per-record provenance (issue 4). A batch is one spreadsheet written in one
-- transaction; each record it created points to the batch and the spreadsheet row it came from.
-- A rollback does not remove anything: the records get deletion versions in the chain, and the
-- batch is marked rolled back with who, when and why. Keys start with tenant_id like the record
-- tables', so the tables can be partitioned or distributed by tenant with them.
CREATE TABLE import_batches (
    tenant_id       BIGINT      NOT NULL,
    id              BIGINT      NOT NULL,
    kind            TEXT        NOT NULL,
    org_path        TEXT        NOT NULL,
    file_name       TEXT        NOT NULL,
    file_sha256     TEXT        NOT NULL,
    sheet           TEXT,
    actor           TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    record_count    BIGINT      NOT NULL,
    first_seq       BIGINT      NOT NULL,
    last_seq        BIGINT      NOT NULL,
    rolled_back_at  TIMESTAMPTZ,
    rolled_back_by  TEXT,
    rollback_reason TEXT,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX import_batches_by_id ON import_batches (id);

CREATE TABLE import_rows (
    tenant_id  BIGINT NOT NULL,
    record_id  BIGINT NOT NULL,
    batch_id   BIGINT NOT NULL,
    row_number BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, record_id),
    FOREIGN KEY (tenant_id, batch_id) REFERENCES import_batches (tenant_id, id)
);

CREATE INDEX import_rows_by_batch ON import_rows (tenant_id, batch_id, row_number);
CREATE INDEX import_rows_by_record ON import_rows (record_id);
