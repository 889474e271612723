-- Indexes that let a search start from the rows its most selective filter picks (see the
-- "drivers" in src/search.rs) instead of walking every search document of a project, and that
-- keep dependency walks on indexes alone. Keep in step with the other backend's 0003.

CREATE INDEX assets_type ON assets (asset_type, project_id);
CREATE INDEX assets_status ON assets (status, project_id);
CREATE INDEX shots_status ON shots (status, project_id);
-- Most versions wait for review ('pending'); only the reviewed ones are worth an index.
CREATE INDEX versions_reviewed ON versions (review_status) WHERE review_status <> 'pending';
-- Links by project (imports and project-wide cleanup), and `used-by` walks read the pin from
-- the index instead of the table.
CREATE INDEX links_project ON links (project_id);
DROP INDEX links_dst;
CREATE INDEX links_dst ON links (dst_kind, dst_id, src_kind, src_id, kind, pin);
