DROP VIEW operator_roles;
ALTER TABLE memberships DROP CONSTRAINT memberships_group_id_fkey,
    DROP CONSTRAINT memberships_user_id_fkey;
ALTER TABLE user_skills DROP CONSTRAINT user_skills_user_id_fkey;
ALTER TABLE users ALTER COLUMN id TYPE TEXT COLLATE "default", ALTER COLUMN tenant_id TYPE TEXT COLLATE "default";
ALTER TABLE groups ALTER COLUMN id TYPE TEXT COLLATE "default", ALTER COLUMN tenant_id TYPE TEXT COLLATE "default";
ALTER TABLE memberships ALTER COLUMN group_id TYPE TEXT COLLATE "default", ALTER COLUMN user_id TYPE TEXT COLLATE "default", ALTER COLUMN tenant_id TYPE TEXT COLLATE "default";
ALTER TABLE user_skills ALTER COLUMN user_id TYPE TEXT COLLATE "default";
ALTER TABLE sync_events ALTER COLUMN id TYPE TEXT COLLATE "default", ALTER COLUMN tenant_id TYPE TEXT COLLATE "default", ALTER COLUMN client_id TYPE TEXT COLLATE "default", ALTER COLUMN resource_id TYPE TEXT COLLATE "default";
ALTER TABLE live_order ALTER COLUMN tenant_id TYPE TEXT COLLATE "default", ALTER COLUMN kind TYPE TEXT COLLATE "default", ALTER COLUMN id TYPE TEXT COLLATE "default";
ALTER TABLE live_counts ALTER COLUMN tenant_id TYPE TEXT COLLATE "default", ALTER COLUMN kind TYPE TEXT COLLATE "default";
ALTER TABLE live_chunks ALTER COLUMN tenant_id TYPE TEXT COLLATE "default", ALTER COLUMN kind TYPE TEXT COLLATE "default";
ALTER TABLE scim_clients ALTER COLUMN id TYPE TEXT COLLATE "default";
ALTER TABLE memberships
    ADD CONSTRAINT memberships_group_id_fkey FOREIGN KEY (group_id) REFERENCES groups (id),
    ADD CONSTRAINT memberships_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE user_skills
    ADD CONSTRAINT user_skills_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
CREATE VIEW operator_roles AS
SELECT DISTINCT
    g.tenant_id AS tenant_id,
    m.user_id AS user_id,
    COALESCE(rm.role, builtin.role) AS role
FROM memberships m
JOIN groups g ON g.id = m.group_id AND g.deleted_at IS NULL
JOIN users u ON u.id = m.user_id AND u.tenant_id = g.tenant_id AND u.deleted_at IS NULL
LEFT JOIN role_mappings rm ON rm.tenant_id = g.tenant_id AND rm.group_key = g.display_name_key
LEFT JOIN (
    SELECT 'dialaiadmin' AS role_key, 'DialAiAdmin' AS role
    UNION ALL SELECT 'maintainer', 'Maintainer'
    UNION ALL SELECT 'read-only', 'Read-Only'
) builtin ON builtin.role_key = g.display_name_key
WHERE COALESCE(rm.role, builtin.role) IS NOT NULL;
