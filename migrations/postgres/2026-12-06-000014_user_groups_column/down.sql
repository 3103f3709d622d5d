DROP TRIGGER groups_user_groups ON groups;
DROP FUNCTION groups_user_groups();
DROP TRIGGER memberships_user_groups ON memberships;
DROP FUNCTION memberships_user_groups();
DROP FUNCTION user_groups_json(TEXT, TEXT);
ALTER TABLE users DROP COLUMN groups_json;
