-- Accounts, sign-in sessions and the audit log. They live outside the hash chain: they are not
-- records of what an organization did, and the chain must not grow with every sign-in.
-- Instants are TEXT in RFC 3339 UTC with six fractional digits, as in the first migration.

CREATE TABLE accounts (
    id                   INTEGER PRIMARY KEY,
    login                TEXT    NOT NULL UNIQUE CHECK (length(login) BETWEEN 1 AND 64),
    display_name         TEXT    NOT NULL,
    -- A PHC string ($argon2id$…); never the password itself.
    password_hash        TEXT    NOT NULL,
    role                 TEXT    NOT NULL CHECK (role IN ('administrator', 'committee_staff', 'branch_secretary', 'branch_committee_member', 'member')),
    -- The org whose subtree the account works in; NULL only for administrators. Not a foreign key:
    -- orgs are rows of `records`, which is a projection of the chain.
    scope_org_id         INTEGER,
    member_id            INTEGER,
    failed_attempts      INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until         TEXT    CHECK (locked_until GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'),
    must_change_password INTEGER NOT NULL CHECK (must_change_password IN (0, 1)),
    created_at           TEXT    NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'),
    CHECK ((role = 'administrator') = (scope_org_id IS NULL))
) STRICT;

-- The cookie carries a random token; only its SHA-256 is kept, so that a copy of this table does
-- not let anyone sign in.
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY CHECK (length(token_hash) = 64),
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    created_at TEXT    NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'),
    expires_at TEXT    NOT NULL CHECK (expires_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z')
) STRICT;

CREATE INDEX sessions_by_account ON sessions (account_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Every sign-in, change, exemption and export. Rows are only ever inserted. The login is kept as
-- text beside the account id so that an entry still reads right if the account goes away.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT    NOT NULL CHECK (at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'),
    account_id  INTEGER,
    login       TEXT,
    action      TEXT    NOT NULL,
    target_kind TEXT,
    target_id   INTEGER,
    -- The target's org path (`/1/5/23/`), so that a committee's entries are a prefix search.
    org_path    TEXT    CHECK (org_path IS NULL OR (org_path GLOB '/*/' AND org_path NOT GLOB '*[^0-9/]*')),
    -- A JSON object.
    detail      TEXT    NOT NULL CHECK (json_valid(detail)),
    ip          TEXT
) STRICT;

CREATE INDEX audit_log_by_at ON audit_log (at);
CREATE INDEX audit_log_by_login ON audit_log (login, id);
CREATE INDEX audit_log_by_action ON audit_log (action, id);
