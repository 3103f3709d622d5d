DROP TRIGGER groups_user_groups;
DROP TRIGGER memberships_user_groups_delete;
DROP TRIGGER memberships_user_groups_insert;
ALTER TABLE users DROP COLUMN groups_json;
