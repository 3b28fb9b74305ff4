-- Accounts, sign-in sessions and the audit log. They live outside the hash chain: they are not
-- records of what an organization did, and the chain must not grow with every sign-in.

CREATE TABLE accounts (
    id                   BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login                TEXT        NOT NULL UNIQUE CHECK (char_length(login) BETWEEN 1 AND 64),
    display_name         TEXT        NOT NULL,
    -- A PHC string ($argon2id$…); never the password itself.
    password_hash        TEXT        NOT NULL,
    role                 TEXT        NOT NULL CHECK (role IN ('administrator', 'committee_staff', 'branch_secretary', 'branch_committee_member', 'member')),
    -- The org whose subtree the account works in; NULL only for administrators. Not a foreign key:
    -- orgs are rows of `records`, which is a projection of the chain.
    scope_org_id         BIGINT,
    member_id            BIGINT,
    failed_attempts      INTEGER     NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until         TIMESTAMPTZ,
    must_change_password BOOLEAN     NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    CHECK ((role = 'administrator') = (scope_org_id IS NULL))
);

-- The cookie carries a random token; only its SHA-256 is kept, so that a copy of this table does
-- not let anyone sign in.
CREATE TABLE sessions (
    token_hash TEXT        PRIMARY KEY CHECK (char_length(token_hash) = 64),
    account_id BIGINT      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX sessions_by_account ON sessions (account_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Every sign-in, change, exemption and export. Rows are only ever inserted. The login is kept as
-- text beside the account id so that an entry still reads right if the account goes away.
CREATE TABLE audit_log (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    account_id  BIGINT,
    login       TEXT,
    action      TEXT        NOT NULL,
    target_kind TEXT,
    target_id   BIGINT,
    -- The target's org path (`/1/5/23/`), so that a committee's entries are a prefix search.
    org_path    TEXT        CHECK (org_path IS NULL OR org_path ~ '^/([0-9]+/)+$'),
    -- JSON text; jsonb is not needed, nothing queries inside it.
    detail      TEXT        NOT NULL,
    ip          TEXT
);

CREATE INDEX audit_log_by_at ON audit_log (at);
CREATE INDEX audit_log_by_login ON audit_log (login, id);
CREATE INDEX audit_log_by_action ON audit_log (action, id);
CREATE INDEX audit_log_by_org_path ON audit_log (org_path text_pattern_ops);
