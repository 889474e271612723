-- Failed password sign-ins (keep in step with ../sqlite/0006_signin.sql, which explains it).
CREATE TABLE sign_in_failures (
    scope            TEXT NOT NULL CHECK (scope IN ('user', 'address')),
    key              TEXT NOT NULL,
    failures         BIGINT NOT NULL CHECK (failures >= 0),
    last_failure_at  TIMESTAMPTZ NOT NULL,
    blocked_until    TIMESTAMPTZ,
    locked           BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (scope, key)
);
CREATE INDEX sign_in_failures_last ON sign_in_failures (last_failure_at);
