-- A user's live groups kept with the user (`users.groups_json`, `[[id, displayName], ...]`
-- as JSON text, NULL when none), so that every read of a user and every page of users takes
-- them from the row: as a subquery per user (the memberships probe, then each group's row
-- for its display name) they were two thirds of a page's work, and a tenth of a read by id
-- where users have groups.
--
-- Triggers keep the column, so every path that changes a membership or a group's name or
-- liveness keeps it, in the same transaction: each recomputes the whole value from
-- `memberships` and `groups` (a user's groups are few), which stays right whatever order a
-- statement's rows come in. Transactions that change several users' groups take the users'
-- row locks in id order first (`store::groups::lock_users`, and the group trigger below),
-- so two of them never wait on each other in a cycle.
--
-- The value is what every read computed before, driven from the user's memberships, each
-- group probed by primary key: as a plain join a cached plan walked the tenant's every group
-- and probed memberships for each (a cost growing with the tenant's groups), which the
-- `LATERAL … OFFSET 0`, which cannot be flattened, rules out; its tenant is compared
-- outside it (beside `g.id` the planner took the tenant's creation-order index). Unordered:
-- the reader orders the groups (`store::models::parse_group_refs`).
ALTER TABLE users ADD COLUMN groups_json TEXT;

--
-- PL/pgSQL, not SQL: a SQL function that is not inlined plans its query again on every
-- statement that calls it (an `UPDATE` of one user by a trigger took 224 µs with it, 62 µs
-- with this function, whose plan is kept for the session).
CREATE FUNCTION user_groups_json(p_user TEXT, p_tenant TEXT) RETURNS TEXT
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT json_agg(json_build_array(g.id, g.display_name))::text
        FROM memberships m CROSS JOIN LATERAL (SELECT g.id, g.display_name, g.tenant_id
            FROM groups g WHERE g.id = m.group_id AND g.deleted_at IS NULL OFFSET 0) g
        WHERE m.user_id = p_user AND g.tenant_id = p_tenant);
END
$$;

UPDATE users t SET groups_json = user_groups_json(t.id, t.tenant_id)
WHERE EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = t.id);

-- A membership added or removed: its user's groups again.
CREATE FUNCTION memberships_user_groups() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    uid TEXT := CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END;
BEGIN
    UPDATE users t SET groups_json = user_groups_json(t.id, t.tenant_id) WHERE t.id = uid;
    RETURN NULL;
END
$$;
CREATE TRIGGER memberships_user_groups AFTER INSERT OR DELETE ON memberships
FOR EACH ROW EXECUTE FUNCTION memberships_user_groups();

-- A group renamed, deleted or restored: its members' groups again, their rows locked in id
-- order first (a big group's members are many; another transaction changing several of
-- them takes them in the same order). One aggregate over the members' memberships, not
-- `user_groups_json` per member: a rename of a 5,000-member group took 136 ms so against
-- 365 ms (106 ms of either is rewriting the rows). A membership's tenant is its group's and
-- its user's (the service adds only users of the group's tenant).
CREATE FUNCTION groups_user_groups() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM users u
    WHERE u.id IN (SELECT m.user_id FROM memberships m WHERE m.group_id = NEW.id)
    ORDER BY u.id FOR NO KEY UPDATE;
    UPDATE users t SET groups_json = a.groups_json
    FROM (SELECT m0.user_id, (json_agg(json_build_array(g.id, g.display_name))
                FILTER (WHERE g.id IS NOT NULL))::text AS groups_json
          FROM memberships m0 JOIN memberships m ON m.user_id = m0.user_id
          LEFT JOIN groups g
            ON g.id = m.group_id AND g.deleted_at IS NULL AND g.tenant_id = m.tenant_id
          WHERE m0.group_id = NEW.id
          GROUP BY m0.user_id) a
    WHERE t.id = a.user_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER groups_user_groups AFTER UPDATE OF display_name, deleted_at ON groups
FOR EACH ROW
WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name
      OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
EXECUTE FUNCTION groups_user_groups();
