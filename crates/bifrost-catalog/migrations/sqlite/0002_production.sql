-- Production model, SQLite flavour. Keep in step with ../postgres/0002_production.sql: same
-- tables, columns, constraints and indexes; only the column types (and the full-text index)
-- differ.
--
-- Assets and shots are both "entities": tables that point at either say which with a kind
-- column ('asset' | 'shot', plus 'version' for comments) next to the row id, and are cleaned up
-- explicitly when an entity is deleted.

-- Workflow: ordered statuses and allowed changes per project ('*' as from = any status).
CREATE TABLE workflow_statuses (
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (project_id, name),
    UNIQUE (project_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE workflow_transitions (
    project_id  INTEGER NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    PRIMARY KEY (project_id, from_status, to_status),
    FOREIGN KEY (project_id, to_status) REFERENCES workflow_statuses (project_id, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE departments (
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (project_id, name),
    UNIQUE (project_id, position)
) STRICT, WITHOUT ROWID;

-- The default workflow and departments for the projects that already exist (new projects get
-- theirs from the catalog, bifrost_core::production::{DEFAULT_STATUSES, DEFAULT_TRANSITIONS,
-- DEFAULT_DEPARTMENTS}).
INSERT INTO workflow_statuses (project_id, name, position)
SELECT p.id, s.column1, s.column2 FROM projects p CROSS JOIN (VALUES
    ('wtg', 0), ('ip', 1), ('review', 2), ('approved', 3), ('final', 4), ('on-hold', 5),
    ('omit', 6)) s;
INSERT INTO workflow_transitions (project_id, from_status, to_status)
SELECT p.id, t.column1, t.column2 FROM projects p CROSS JOIN (VALUES
    ('wtg', 'ip'), ('ip', 'review'), ('review', 'approved'), ('approved', 'final'),
    ('review', 'ip'), ('approved', 'ip'), ('*', 'on-hold'), ('*', 'omit'),
    ('on-hold', 'wtg'), ('on-hold', 'ip'), ('on-hold', 'review'), ('omit', 'wtg')) t;
INSERT INTO departments (project_id, name, position)
SELECT p.id, d.column1, d.column2 FROM projects p CROSS JOIN (VALUES
    ('layout', 0), ('animation', 1), ('fx', 2), ('lighting', 3), ('comp', 4)) d;

-- Assets get a workflow status ('wtg' is the first status of the default workflow).
ALTER TABLE assets ADD COLUMN status TEXT NOT NULL DEFAULT 'wtg';

CREATE TABLE sequences (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    name        TEXT NOT NULL,
    metadata    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at  TEXT NOT NULL,
    UNIQUE (project_id, name)
) STRICT;

CREATE TABLE shots (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    sequence_id INTEGER NOT NULL REFERENCES sequences (id),
    name        TEXT NOT NULL,
    frame_start INTEGER NOT NULL CHECK (frame_start >= 0),
    frame_end   INTEGER NOT NULL CHECK (frame_end >= frame_start),
    fps         REAL NOT NULL CHECK (fps > 0),
    status      TEXT NOT NULL,
    metadata    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at  TEXT NOT NULL,
    UNIQUE (sequence_id, name)
) STRICT;
CREATE INDEX shots_project ON shots (project_id, status);

-- One task per entity and department; the department must exist in the project.
CREATE TABLE tasks (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    entity_kind TEXT NOT NULL CHECK (entity_kind IN ('asset', 'shot')),
    entity_id   INTEGER NOT NULL,
    department  TEXT NOT NULL,
    assignee    TEXT,
    status      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (entity_kind, entity_id, department),
    FOREIGN KEY (project_id, department) REFERENCES departments (project_id, name)
) STRICT;
CREATE INDEX tasks_department ON tasks (project_id, department, status);
CREATE INDEX tasks_assignee ON tasks (project_id, assignee);

-- src uses dst. Indexed both ways: deps walk src -> dst, impact (used by) walks dst -> src.
CREATE TABLE links (
    src_kind    TEXT NOT NULL CHECK (src_kind IN ('asset', 'shot')),
    src_id      INTEGER NOT NULL,
    dst_kind    TEXT NOT NULL CHECK (dst_kind IN ('asset', 'shot')),
    dst_id      INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('reference', 'derived-from', 'member')),
    pin         INTEGER CHECK (pin >= 1),
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (src_kind, src_id, dst_kind, dst_id, kind),
    CHECK (src_kind <> dst_kind OR src_id <> dst_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX links_dst ON links (dst_kind, dst_id, src_kind, src_id);

-- Versions: a review status and metadata of their own.
ALTER TABLE versions ADD COLUMN review_status TEXT NOT NULL DEFAULT 'pending'
    CHECK (review_status IN ('pending', 'approved', 'changes-requested'));
ALTER TABLE versions ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata));

-- Status, review and task changes, per asset or shot (version_id set for review changes,
-- department for task changes).
CREATE TABLE history (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    entity_kind TEXT NOT NULL CHECK (entity_kind IN ('asset', 'shot')),
    entity_id   INTEGER NOT NULL,
    version_id  INTEGER REFERENCES versions (id),
    department  TEXT,
    field       TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    author      TEXT NOT NULL,
    at          TEXT NOT NULL
) STRICT;
CREATE INDEX history_entity ON history (entity_kind, entity_id, id);
CREATE INDEX history_version ON history (version_id);

CREATE TABLE comments (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    target_kind TEXT NOT NULL CHECK (target_kind IN ('asset', 'shot', 'version')),
    target_id   INTEGER NOT NULL,
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX comments_target ON comments (target_kind, target_id, id);

CREATE TABLE saved_searches (
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    name        TEXT NOT NULL,
    query       TEXT NOT NULL,
    saved_at    TEXT NOT NULL,
    PRIMARY KEY (project_id, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE collections (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (project_id, name)
) STRICT;

CREATE TABLE collection_members (
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    entity_kind   TEXT NOT NULL CHECK (entity_kind IN ('asset', 'shot')),
    entity_id     INTEGER NOT NULL,
    added_at      TEXT NOT NULL,
    PRIMARY KEY (collection_id, entity_kind, entity_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX collection_members_entity ON collection_members (entity_kind, entity_id);

-- Search: one document per asset, sequence, shot and version. `body` holds the searchable words
-- as the catalog normalised them (lowercase, split on anything but letters and digits, joined
-- by single spaces) so that both backends index the same tokens; `content` the original texts,
-- one per line, for snippets; `name_key` the lowercased short name for `name:` filters;
-- `asset_id` the asset of an asset or version document, `sequence_id` the sequence of a shot or
-- sequence document.
CREATE TABLE search_docs (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    kind        TEXT NOT NULL CHECK (kind IN ('asset', 'sequence', 'shot', 'version')),
    entity_id   INTEGER NOT NULL,
    asset_id    INTEGER,
    sequence_id INTEGER,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    content     TEXT NOT NULL,
    body        TEXT NOT NULL,
    UNIQUE (kind, entity_id)
) STRICT;
CREATE INDEX search_docs_order ON search_docs (project_id, kind, name);
CREATE INDEX search_docs_name ON search_docs (name_key);

-- External-content FTS5 index over search_docs.body, kept in sync by triggers (so in the same
-- transaction as every write). Token characters include marks and symbols so that FTS5 never
-- splits a token the catalog produced.
CREATE VIRTUAL TABLE search_fts USING fts5 (
    body,
    content = 'search_docs',
    content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 0 categories 'L* N* M* S* Co'"
);
CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER search_docs_au AFTER UPDATE OF body ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO search_fts (rowid, body) VALUES (new.id, new.body);
END;

-- Work the catalog does in Rust right after migrating (building the search documents of the
-- assets and versions that existed before this migration).
CREATE TABLE pending_jobs (
    name        TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;
INSERT INTO pending_jobs (name) VALUES ('search-backfill');
