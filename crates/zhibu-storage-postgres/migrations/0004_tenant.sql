-- The tenant: the top-level organization whose subtree holds a record, i.e. the first segment of
-- its path (`/7/12/` belongs to tenant 7). Every key and index of the record tables now starts with
-- it, and no unique constraint leaves it out, so that the tables can be partitioned by tenant on
-- one server (`PARTITION BY HASH (tenant_id)`) or distributed by it with Citus
-- (`create_distributed_table('records', 'tenant_id')`) without changing the schema. Queries that
-- know the subtree filter on it, so they touch one partition or one shard. docs/SCALING.md has
-- the whole path.
--
-- Ids stay unique because one sequence hands them out (and `chain_head` serializes the writers);
-- the database no longer enforces uniqueness of `id` alone, which neither partitioned nor
-- distributed tables can do. `zhibu verify` would report a duplicate (a row without history).

ALTER TABLE records ADD COLUMN tenant_id BIGINT;
UPDATE records SET tenant_id = split_part(org_path, '/', 2)::bigint;
ALTER TABLE records
    ALTER COLUMN tenant_id SET NOT NULL,
    ADD CONSTRAINT records_tenant_is_path_root CHECK (tenant_id = split_part(org_path, '/', 2)::bigint),
    DROP CONSTRAINT records_pkey,
    ADD PRIMARY KEY (tenant_id, id);

-- Reading one record by id (pages, amendments) when the tenant is not known.
CREATE INDEX records_by_id ON records (id);

-- Listing a kind of record in a subtree, optionally within dates, inside one tenant.
-- `text_pattern_ops` lets `org_path LIKE '/1/5/%'` and the byte-order ranges of `~>=~`/`~<~` use
-- the index whatever the database's collation.
DROP INDEX records_by_kind_subtree_date;
CREATE INDEX records_by_tenant_kind_subtree_date
    ON records (tenant_id, kind, org_path text_pattern_ops, event_date);

ALTER TABLE record_versions ADD COLUMN tenant_id BIGINT;
UPDATE record_versions SET tenant_id = split_part(org_path, '/', 2)::bigint;
ALTER TABLE record_versions
    ALTER COLUMN tenant_id SET NOT NULL,
    ADD CONSTRAINT record_versions_tenant_is_path_root CHECK (tenant_id = split_part(org_path, '/', 2)::bigint),
    DROP CONSTRAINT record_versions_pkey,
    DROP CONSTRAINT record_versions_record_id_version_key,
    ADD PRIMARY KEY (tenant_id, seq),
    ADD UNIQUE (tenant_id, record_id, version);

-- Walking the chain in order (`zhibu verify`, the findings cache) and one record's history.
CREATE INDEX record_versions_by_seq ON record_versions (seq);
CREATE INDEX record_versions_by_record ON record_versions (record_id, seq);
