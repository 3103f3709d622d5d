CREATE INDEX users_tenant_live ON users (tenant_id) WHERE deleted_at IS NULL;
DROP TRIGGER users_live_insert ON users;
DROP TRIGGER users_live_update ON users;
DROP TRIGGER users_live_delete ON users;
DROP TRIGGER groups_live_insert ON groups;
DROP TRIGGER groups_live_update ON groups;
DROP TRIGGER groups_live_delete ON groups;
DROP FUNCTION live_count_change();
DROP TABLE live_counts;
