-- Effective operator roles, as the platform reads them (design.md section 3): the union over
-- an account's live groups of each group's role. A group's role is the admin's mapping of its
-- display name (`role_mappings`, set with `scim-connector role map`), else the built-in role
-- whose name equals the display name case-insensitively, else none. Soft-deleted users and
-- groups grant nothing. The same statement runs on PostgreSQL and SQLite.
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
