CREATE INDEX users_tenant_live ON users (tenant_id) WHERE deleted_at IS NULL;
DROP TRIGGER users_live_insert;
DROP TRIGGER users_live_update;
DROP TRIGGER users_live_delete;
DROP TRIGGER groups_live_insert;
DROP TRIGGER groups_live_update;
DROP TRIGGER groups_live_delete;
DROP TABLE live_counts;
