-- Custody of bytes in flight (keep in step with ../sqlite/0005_custody.sql, which explains it).
CREATE TABLE pack_leases (
    pack_id     BYTEA NOT NULL CHECK (octet_length(pack_id) = 32),
    holder      TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (pack_id, holder)
);
CREATE INDEX pack_leases_holder ON pack_leases (holder);

CREATE TABLE upload_receipts (
    project_id  BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    chunk_id    BYTEA NOT NULL CHECK (octet_length(chunk_id) = 32),
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, chunk_id)
);
CREATE INDEX upload_receipts_created ON upload_receipts (created_at);
