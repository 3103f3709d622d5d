-- A user's live groups kept with the user (`users.groups_json`), as on PostgreSQL (see its
-- migration): triggers recompute a user's value whenever a membership of theirs is added or
-- removed, and every member's when a group is renamed, deleted or restored. SQLite has one
-- writer, so no lock order to keep. `[]` when the user has no live group.
ALTER TABLE users ADD COLUMN groups_json TEXT;

UPDATE users SET groups_json = (
    SELECT json_group_array(json_array(g.id, g.display_name))
    FROM memberships m JOIN groups g ON g.id = m.group_id
    WHERE m.user_id = users.id AND g.tenant_id = users.tenant_id AND g.deleted_at IS NULL)
WHERE id IN (SELECT user_id FROM memberships);

CREATE TRIGGER memberships_user_groups_insert AFTER INSERT ON memberships BEGIN
    UPDATE users SET groups_json = (
        SELECT json_group_array(json_array(g.id, g.display_name))
        FROM memberships m JOIN groups g ON g.id = m.group_id
        WHERE m.user_id = users.id AND g.tenant_id = users.tenant_id AND g.deleted_at IS NULL)
    WHERE id = NEW.user_id;
END;
CREATE TRIGGER memberships_user_groups_delete AFTER DELETE ON memberships BEGIN
    UPDATE users SET groups_json = (
        SELECT json_group_array(json_array(g.id, g.display_name))
        FROM memberships m JOIN groups g ON g.id = m.group_id
        WHERE m.user_id = users.id AND g.tenant_id = users.tenant_id AND g.deleted_at IS NULL)
    WHERE id = OLD.user_id;
END;
CREATE TRIGGER groups_user_groups AFTER UPDATE OF display_name, deleted_at ON groups
WHEN OLD.display_name IS NOT NEW.display_name OR OLD.deleted_at IS NOT NEW.deleted_at BEGIN
    UPDATE users SET groups_json = (
        SELECT json_group_array(json_array(g.id, g.display_name))
        FROM memberships m JOIN groups g ON g.id = m.group_id
        WHERE m.user_id = users.id AND g.tenant_id = users.tenant_id AND g.deleted_at IS NULL)
    WHERE id IN (SELECT user_id FROM memberships WHERE group_id = NEW.id);
END;
