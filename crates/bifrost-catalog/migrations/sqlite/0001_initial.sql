-- Bifrost catalog, SQLite flavour. Keep in step with ../postgres/0001_initial.sql: same tables,
-- same columns, same constraints and indexes; only the column types differ.
-- Ids are 32-byte BLAKE3 hashes stored as BLOBs; timestamps are RFC 3339 UTC text written by the
-- catalog (so they sort as text); JSON is text.

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE assets (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    name        TEXT NOT NULL,
    asset_type  TEXT NOT NULL,
    metadata    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at  TEXT NOT NULL,
    UNIQUE (project_id, name)
) STRICT;

CREATE TABLE asset_tags (
    asset_id    INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (asset_id, tag)
) STRICT, WITHOUT ROWID;
CREATE INDEX asset_tags_tag ON asset_tags (tag, asset_id);

CREATE TABLE versions (
    id          INTEGER PRIMARY KEY,
    asset_id    INTEGER NOT NULL REFERENCES assets (id),
    number      INTEGER NOT NULL CHECK (number >= 1),
    author      TEXT NOT NULL,
    note        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    parent_id   INTEGER REFERENCES versions (id),
    file_count  INTEGER NOT NULL,
    total_bytes INTEGER NOT NULL,
    UNIQUE (asset_id, number)
) STRICT;

-- content_id is deliberately not a foreign key: fsck reports dangling references instead.
CREATE TABLE version_files (
    version_id  INTEGER NOT NULL REFERENCES versions (id),
    path        TEXT NOT NULL,
    size        INTEGER NOT NULL CHECK (size >= 0),
    mode        INTEGER NOT NULL,
    content_id  BLOB NOT NULL CHECK (length(content_id) = 32),
    PRIMARY KEY (version_id, path)
) STRICT, WITHOUT ROWID;
CREATE INDEX version_files_content ON version_files (content_id);

CREATE TABLE contents (
    id          BLOB PRIMARY KEY CHECK (length(id) = 32),
    size        INTEGER NOT NULL CHECK (size >= 0),
    chunk_count INTEGER NOT NULL,
    created_at  TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- chunk_id is deliberately not a foreign key: garbage collection and fsck reason about it.
CREATE TABLE content_chunks (
    content_id  BLOB NOT NULL REFERENCES contents (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    chunk_id    BLOB NOT NULL CHECK (length(chunk_id) = 32),
    PRIMARY KEY (content_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX content_chunks_chunk ON content_chunks (chunk_id);

CREATE TABLE packs (
    id          BLOB PRIMARY KEY CHECK (length(id) = 32),
    size        INTEGER NOT NULL CHECK (size >= 0),
    chunk_count INTEGER NOT NULL,
    created_at  TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX packs_created ON packs (created_at);

CREATE TABLE chunks (
    id          BLOB PRIMARY KEY CHECK (length(id) = 32),
    pack_id     BLOB NOT NULL REFERENCES packs (id),
    pack_offset INTEGER NOT NULL,
    stored_len  INTEGER NOT NULL,
    raw_len     INTEGER NOT NULL,
    codec       INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX chunks_pack ON chunks (pack_id, pack_offset);
