-- Failed password sign-ins (keep in step with ../postgres/0006_signin.sql).
--
-- One row per user name and per client address that recently failed to sign in: how many
-- failures in a row, when the last one was, and until when further attempts are refused
-- (`blocked_until`: the growing delay after each failure, or a lockout when `locked`). The
-- facade decides the delays; keeping them here makes them hold across restarts and across
-- every server process sharing the catalog. A success forgets the user's row, an admin can
-- delete it (unlock), and rows whose last failure is old are forgotten.
CREATE TABLE sign_in_failures (
    scope            TEXT NOT NULL CHECK (scope IN ('user', 'address')),
    key              TEXT NOT NULL,
    failures         INTEGER NOT NULL CHECK (failures >= 0),
    last_failure_at  TEXT NOT NULL,
    blocked_until    TEXT,
    locked           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX sign_in_failures_last ON sign_in_failures (last_failure_at);
