-- Custody of bytes in flight (keep in step with ../postgres/0005_custody.sql).
--
-- pack_leases: a writer leases a pack id before it writes the pack object and keeps the lease
-- until its version commits (or fails). gc never deletes a pack, recorded or not, that has an
-- unexpired lease; it removes an expired lease (under the write lock, only while the pack is
-- still unrecorded) before it deletes the object, and recording a pack requires its lease, so a
-- writer suspended past its lease can never record a pack that gc deleted. A writer killed with
-- -9 simply stops renewing; its leases expire.
CREATE TABLE pack_leases (
    pack_id     BLOB NOT NULL CHECK (length(pack_id) = 32),
    holder      TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (pack_id, holder)
) STRICT, WITHOUT ROWID;
CREATE INDEX pack_leases_holder ON pack_leases (holder);

-- upload_receipts: chunks whose bytes a remote client uploaded to a project (proof of
-- possession). A remote commit may name only contents already in its project or whose chunks
-- are in the project or were uploaded to it.
CREATE TABLE upload_receipts (
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    chunk_id    BLOB NOT NULL CHECK (length(chunk_id) = 32),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (project_id, chunk_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX upload_receipts_created ON upload_receipts (created_at);
