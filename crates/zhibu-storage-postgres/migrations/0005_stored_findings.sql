-- Stored findings (issue 6): the engine's findings for every branch of a tenant and year, kept
-- current by `zhibu_storage::recheck` after every write (and rebuilt on a new day), so that a
-- committee dashboard over thousands of branches reads counts instead of evaluating the rules.
-- They are derived data, never a record: a full re-check rebuilds them from the records, and a
-- test holds them equal to a fresh evaluation. docs/PERFORMANCE.md and ARCHITECTURE.md explain.
-- Like the record tables, every key starts with the tenant (docs/SCALING.md).

-- Postings of a member to branches other than the one their record is kept under (a member is
-- kept under the branch of their latest posting, so a transfer leaves the old branch without
-- them). A branch's snapshot and roster checks read these to see every member ever posted to it.
-- Written in the same transaction as the member's version.
CREATE TABLE member_postings_elsewhere (
    -- The tenant of the branch (the first segment of its path).
    tenant_id   BIGINT NOT NULL,
    branch_path TEXT   NOT NULL,
    branch_id   BIGINT NOT NULL,
    member_id   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, branch_path, member_id)
);

CREATE INDEX member_postings_elsewhere_by_path
    ON member_postings_elsewhere (tenant_id, branch_path text_pattern_ops);
CREATE INDEX member_postings_elsewhere_by_member ON member_postings_elsewhere (member_id);

-- Existing members: every posting to a branch whose path is not the member's own.
INSERT INTO member_postings_elsewhere (tenant_id, branch_path, branch_id, member_id)
SELECT DISTINCT b.tenant_id, b.org_path, b.id, m.id
FROM records AS m
CROSS JOIN LATERAL jsonb_array_elements(m.body::jsonb -> 'postings') AS p(value)
JOIN records AS b ON b.id = (p.value ->> 'branch_id')::bigint
WHERE m.kind = 'member' AND NOT m.deleted AND b.kind = 'org' AND b.org_path <> m.org_path;

-- What the stored findings of a tenant and year are current with: the chain entry (`generation`,
-- the `seq` of the chain head taken into account) and the day they were judged on (`as_of`, with
-- the coming-due horizon of that day). One row per tenant and year.
CREATE TABLE stored_findings_state (
    tenant_id    BIGINT      NOT NULL,
    year         INTEGER     NOT NULL,
    generation   BIGINT      NOT NULL CHECK (generation >= 0),
    as_of        DATE        NOT NULL,
    horizon_days INTEGER     NOT NULL CHECK (horizon_days >= 0),
    refreshed_at TIMESTAMPTZ NOT NULL,
    branches     BIGINT      NOT NULL,
    PRIMARY KEY (tenant_id, year)
);

-- One row per finding, in the engine's order within its branch (`ordinal`). The typed columns are
-- what the dashboard counts by: the month the finding is counted in (1–12; 0 when it falls outside
-- the year), its status and whether it is exempted. `body` is the finding as JSON text.
CREATE TABLE stored_findings (
    tenant_id   BIGINT  NOT NULL,
    year        INTEGER NOT NULL,
    branch_path TEXT    NOT NULL,
    ordinal     INTEGER NOT NULL,
    branch_id   BIGINT  NOT NULL,
    org_id      BIGINT  NOT NULL,
    finding_key TEXT    NOT NULL,
    rule_id     TEXT    NOT NULL,
    month       INTEGER NOT NULL CHECK (month BETWEEN 0 AND 12),
    status      TEXT    NOT NULL,
    exempted    BOOLEAN NOT NULL,
    title_zh    TEXT    NOT NULL,
    title_en    TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, year, branch_path, ordinal)
);

-- Path ranges (a committee's subtree) in byte order, whatever the collation.
CREATE INDEX stored_findings_by_path
    ON stored_findings (tenant_id, year, branch_path text_pattern_ops);
