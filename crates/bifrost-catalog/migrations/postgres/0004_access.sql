-- Users, roles, membership, tokens, the journal (audit log + event stream), asset locks and
-- webhooks; PostgreSQL flavour. Keep in step with ../sqlite/0004_access.sql.

CREATE TABLE roles (
    name        TEXT COLLATE "C" PRIMARY KEY,
    permissions JSONB NOT NULL
);
INSERT INTO roles (name, permissions) VALUES
    ('admin', '["read","comment","edit","publish","review","manage","audit","admin"]'),
    ('supervisor', '["read","comment","edit","publish","review","manage","audit"]'),
    ('artist', '["read","comment","edit","publish"]'),
    ('vendor', '["read"]');

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT COLLATE "C" NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT,
    role          TEXT COLLATE "C" NOT NULL REFERENCES roles (name),
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE tokens (
    id          TEXT COLLATE "C" PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('personal', 'service')),
    secret_hash TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE members (
    project_id  BIGINT NOT NULL REFERENCES projects (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    role        TEXT COLLATE "C" NOT NULL REFERENCES roles (name),
    departments JSONB NOT NULL DEFAULT '[]',
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

ALTER TABLE assets ADD COLUMN department TEXT COLLATE "C";

-- The journal is append-only for everyone: the triggers refuse any change or removal.
CREATE TABLE journal (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    project     TEXT COLLATE "C",
    actor       TEXT COLLATE "C" NOT NULL,
    origin      TEXT NOT NULL,
    request_id  TEXT,
    action      TEXT COLLATE "C" NOT NULL,
    entity_kind TEXT NOT NULL,
    entity      TEXT NOT NULL,
    before      JSONB,
    after       JSONB
);
CREATE INDEX journal_at ON journal (at);
CREATE INDEX journal_actor ON journal (actor, id);
CREATE INDEX journal_project ON journal (project, id);
CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only';
END $$;
CREATE TRIGGER journal_no_change BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal
    FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only();

CREATE TABLE asset_locks (
    asset_id    BIGINT PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    holder      TEXT COLLATE "C" NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL,
    renewed_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    version     BIGINT
);

CREATE TABLE webhooks (
    id          BIGSERIAL PRIMARY KEY,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    project     TEXT COLLATE "C",
    actions     JSONB NOT NULL DEFAULT '[]',
    cursor      BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE dead_letters (
    id          BIGSERIAL PRIMARY KEY,
    webhook_id  BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id    BIGINT NOT NULL,
    attempts    BIGINT NOT NULL,
    error       TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX dead_letters_webhook ON dead_letters (webhook_id, id);
