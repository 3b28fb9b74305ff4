-- Turns the two record tables into tables partitioned by tenant (`PARTITION BY HASH (tenant_id)`,
-- eight partitions) on one PostgreSQL server, keeping every row, key, index and check. It is not a
-- migration: a deployment chooses it (`zhibu-bench load --partitioned`, or by hand in one
-- transaction after `zhibu migrate`), because it rewrites both tables. The schema of migration 4
-- allows it as it stands: every key and unique constraint starts with `tenant_id`.
--
-- A query that filters on `tenant_id` (every subtree query does) reads one partition. Later
-- migrations that change these tables must work on partitioned tables too.

ALTER TABLE records RENAME TO records_unpartitioned;
CREATE TABLE records (LIKE records_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY HASH (tenant_id);
DO $$
BEGIN
    FOR remainder IN 0..7 LOOP
        EXECUTE format('CREATE TABLE records_p%s PARTITION OF records FOR VALUES WITH (MODULUS 8, REMAINDER %s)', remainder, remainder);
    END LOOP;
END
$$;
INSERT INTO records SELECT * FROM records_unpartitioned;
DROP TABLE records_unpartitioned;
ALTER TABLE records ADD PRIMARY KEY (tenant_id, id);
CREATE INDEX records_by_id ON records (id);
CREATE INDEX records_by_tenant_kind_subtree_date
    ON records (tenant_id, kind, org_path text_pattern_ops, event_date);

ALTER TABLE record_versions RENAME TO record_versions_unpartitioned;
CREATE TABLE record_versions (LIKE record_versions_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY HASH (tenant_id);
DO $$
BEGIN
    FOR remainder IN 0..7 LOOP
        EXECUTE format('CREATE TABLE record_versions_p%s PARTITION OF record_versions FOR VALUES WITH (MODULUS 8, REMAINDER %s)', remainder, remainder);
    END LOOP;
END
$$;
INSERT INTO record_versions SELECT * FROM record_versions_unpartitioned;
DROP TABLE record_versions_unpartitioned;
ALTER TABLE record_versions
    ADD PRIMARY KEY (tenant_id, seq),
    ADD UNIQUE (tenant_id, record_id, version);
CREATE INDEX record_versions_by_seq ON record_versions (seq);
CREATE INDEX record_versions_by_record ON record_versions (record_id, seq);
