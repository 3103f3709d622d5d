-- The number of live users and groups of each tenant, kept by triggers (see the PostgreSQL
-- migration): the `totalResults` of an unfiltered list is read from here instead of counted
-- on every page. SQLite has one writer at a time, so one slot per tenant and kind.
--
-- SQLite has no `live_order`: its index entries need no visit of the table to be counted
-- or skipped (no visibility map), so a page skips through the users' creation-order index
-- as cheaply, and the one writer would pay for a second table on every create.
CREATE TABLE live_counts (
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    slot INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, slot)
);

CREATE TRIGGER users_live_insert AFTER INSERT ON users WHEN NEW.deleted_at IS NULL BEGIN
    INSERT INTO live_counts (tenant_id, kind, slot, n) VALUES (NEW.tenant_id, 'users', 0, 1)
    ON CONFLICT (tenant_id, kind, slot) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER users_live_update AFTER UPDATE OF deleted_at ON users
WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) BEGIN
    INSERT INTO live_counts (tenant_id, kind, slot, n)
    VALUES (NEW.tenant_id, 'users', 0, CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
    ON CONFLICT (tenant_id, kind, slot) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER users_live_delete AFTER DELETE ON users WHEN OLD.deleted_at IS NULL BEGIN
    INSERT INTO live_counts (tenant_id, kind, slot, n) VALUES (OLD.tenant_id, 'users', 0, -1)
    ON CONFLICT (tenant_id, kind, slot) DO UPDATE SET n = n - 1;
END;
CREATE TRIGGER groups_live_insert AFTER INSERT ON groups WHEN NEW.deleted_at IS NULL BEGIN
    INSERT INTO live_counts (tenant_id, kind, slot, n) VALUES (NEW.tenant_id, 'groups', 0, 1)
    ON CONFLICT (tenant_id, kind, slot) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER groups_live_update AFTER UPDATE OF deleted_at ON groups
WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) BEGIN
    INSERT INTO live_counts (tenant_id, kind, slot, n)
    VALUES (NEW.tenant_id, 'groups', 0, CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
    ON CONFLICT (tenant_id, kind, slot) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER groups_live_delete AFTER DELETE ON groups WHEN OLD.deleted_at IS NULL BEGIN
    INSERT INTO live_counts (tenant_id, kind, slot, n) VALUES (OLD.tenant_id, 'groups', 0, -1)
    ON CONFLICT (tenant_id, kind, slot) DO UPDATE SET n = n - 1;
END;

INSERT INTO live_counts (tenant_id, kind, slot, n)
SELECT tenant_id, 'users', 0, COUNT(*) FROM users WHERE deleted_at IS NULL GROUP BY tenant_id;
INSERT INTO live_counts (tenant_id, kind, slot, n)
SELECT tenant_id, 'groups', 0, COUNT(*) FROM groups WHERE deleted_at IS NULL GROUP BY tenant_id;

DROP INDEX users_tenant_live;
