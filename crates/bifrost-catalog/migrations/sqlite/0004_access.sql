-- Users, roles, membership, tokens, the journal (audit log + event stream), asset locks and
-- webhooks; SQLite flavour. Keep in step with ../postgres/0004_access.sql.

-- Roles are configurable; these four are the defaults (bifrost_core::access::default_roles).
CREATE TABLE roles (
    name        TEXT PRIMARY KEY,
    permissions TEXT NOT NULL CHECK (json_valid(permissions))
) STRICT;
INSERT INTO roles (name, permissions) VALUES
    ('admin', '["read","comment","edit","publish","review","manage","audit","admin"]'),
    ('supervisor', '["read","comment","edit","publish","review","manage","audit"]'),
    ('artist', '["read","comment","edit","publish"]'),
    ('vendor', '["read"]');

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT,
    role          TEXT NOT NULL REFERENCES roles (name),
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
) STRICT;

-- Token secrets are never stored: only the BLAKE3 of the secret part.
CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('personal', 'service')),
    secret_hash TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT
) STRICT;
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE members (
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    role        TEXT NOT NULL REFERENCES roles (name),
    departments TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(departments)),
    PRIMARY KEY (project_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX members_user ON members (user_id);

ALTER TABLE assets ADD COLUMN department TEXT;

-- The journal is append-only for everyone: the triggers refuse any change or removal.
CREATE TABLE journal (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    project     TEXT,
    actor       TEXT NOT NULL,
    origin      TEXT NOT NULL,
    request_id  TEXT,
    action      TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity      TEXT NOT NULL,
    before      TEXT CHECK (before IS NULL OR json_valid(before)),
    after       TEXT CHECK (after IS NULL OR json_valid(after))
);
CREATE INDEX journal_at ON journal (at);
CREATE INDEX journal_actor ON journal (actor, id);
CREATE INDEX journal_project ON journal (project, id);
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;

CREATE TABLE asset_locks (
    asset_id    INTEGER PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    holder      TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    renewed_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    version     INTEGER
) STRICT;

CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    project     TEXT,
    actions     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(actions)),
    cursor      INTEGER NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE dead_letters (
    id          INTEGER PRIMARY KEY,
    webhook_id  INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id    INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    error       TEXT NOT NULL,
    at          TEXT NOT NULL
) STRICT;
CREATE INDEX dead_letters_webhook ON dead_letters (webhook_id, id);
