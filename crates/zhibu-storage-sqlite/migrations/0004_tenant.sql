-- The tenant: the top-level organization whose subtree holds a record, i.e. the first segment of
-- its path (`/7/12/` belongs to tenant 7). PostgreSQL leads its keys with it so that the records
-- can be partitioned or distributed by tenant; SQLite serves one machine and only keeps the column,
-- so that a database can be copied into PostgreSQL as it is.
--
-- Existing rows get their tenant from their path; every writer sets it from then on.
ALTER TABLE records ADD COLUMN tenant_id INTEGER NOT NULL DEFAULT 0;
UPDATE records SET tenant_id = CAST(substr(org_path, 2, instr(substr(org_path, 2), '/') - 1) AS INTEGER);

ALTER TABLE record_versions ADD COLUMN tenant_id INTEGER NOT NULL DEFAULT 0;
UPDATE record_versions SET tenant_id = CAST(substr(org_path, 2, instr(substr(org_path, 2), '/') - 1) AS INTEGER);

-- Record ids reserved for a bulk load that has not written them yet. New ids are taken above the
-- highest of the records, the versions and this reservation, so a writer that runs between a bulk
-- loader's reservation and its inserts cannot take one of its ids. One row, for ever.
CREATE TABLE record_id_reservations (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    last_reserved INTEGER NOT NULL CHECK (last_reserved >= 0)
) STRICT;

INSERT INTO record_id_reservations (id, last_reserved) VALUES (1, 0);
