-- What an unfiltered page of users or groups needs, kept by triggers (see the PostgreSQL
-- migration): `live_counts`, the `totalResults` of an unfiltered list, instead of a count
-- on every page (SQLite has one writer at a time, so one slot per tenant and kind), and
-- `live_order`, the live rows' keys in creation order, which a page skips `startIndex - 1`
-- entries of.
CREATE TABLE live_counts (
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    slot INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, slot)
);

CREATE TABLE live_order (
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, created_at, id)
) WITHOUT ROWID;

CREATE TRIGGER users_live_insert AFTER INSERT ON users WHEN NEW.deleted_at IS NULL BEGIN
    INSERT INTO live_counts (tenant_id, kind, slot, n) VALUES (NEW.tenant_id, 'users', 0, 1)
    ON CONFLICT (tenant_id, kind, slot) DO UPDATE SET n = n + 1;
    INSERT INTO live_order (tenant_id, kind, created_at, id)
    VALUES (NEW.tenant_id, 'users', NEW.created_at, NEW.id);
END;
CREATE TRIGGER users_live_update AFTER UPDATE OF deleted_at ON users
WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) BEGIN
    INSERT INTO live_counts (tenant_id, kind, slot, n)
    VALUES (NEW.tenant_id, 'users', 0, CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
    ON CONFLICT (tenant_id, kind, slot) DO UPDATE SET n = n + excluded.n;
    DELETE FROM live_order WHERE NEW.deleted_at IS NOT NULL AND tenant_id = OLD.tenant_id
      AND kind = 'users' AND created_at = OLD.created_at AND id = OLD.id;
    INSERT INTO live_order (tenant_id, kind, created_at, id)
    SELECT NEW.tenant_id, 'users', NEW.created_at, NEW.id WHERE NEW.deleted_at IS NULL;
END;
CREATE TRIGGER users_live_delete AFTER DELETE ON users WHEN OLD.deleted_at IS NULL BEGIN
    INSERT INTO live_counts (tenant_id, kind, slot, n) VALUES (OLD.tenant_id, 'users', 0, -1)
    ON CONFLICT (tenant_id, kind, slot) DO UPDATE SET n = n - 1;
    DELETE FROM live_order WHERE tenant_id = OLD.tenant_id AND kind = 'users'
      AND created_at = OLD.created_at AND id = OLD.id;
END;
CREATE TRIGGER groups_live_insert AFTER INSERT ON groups WHEN NEW.deleted_at IS NULL BEGIN
    INSERT INTO live_counts (tenant_id, kind, slot, n) VALUES (NEW.tenant_id, 'groups', 0, 1)
    ON CONFLICT (tenant_id, kind, slot) DO UPDATE SET n = n + 1;
    INSERT INTO live_order (tenant_id, kind, created_at, id)
    VALUES (NEW.tenant_id, 'groups', NEW.created_at, NEW.id);
END;
CREATE TRIGGER groups_live_update AFTER UPDATE OF deleted_at ON groups
WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) BEGIN
    INSERT INTO live_counts (tenant_id, kind, slot, n)
    VALUES (NEW.tenant_id, 'groups', 0, CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
    ON CONFLICT (tenant_id, kind, slot) DO UPDATE SET n = n + excluded.n;
    DELETE FROM live_order WHERE NEW.deleted_at IS NOT NULL AND tenant_id = OLD.tenant_id
      AND kind = 'groups' AND created_at = OLD.created_at AND id = OLD.id;
    INSERT INTO live_order (tenant_id, kind, created_at, id)
    SELECT NEW.tenant_id, 'groups', NEW.created_at, NEW.id WHERE NEW.deleted_at IS NULL;
END;
CREATE TRIGGER groups_live_delete AFTER DELETE ON groups WHEN OLD.deleted_at IS NULL BEGIN
    INSERT INTO live_counts (tenant_id, kind, slot, n) VALUES (OLD.tenant_id, 'groups', 0, -1)
    ON CONFLICT (tenant_id, kind, slot) DO UPDATE SET n = n - 1;
    DELETE FROM live_order WHERE tenant_id = OLD.tenant_id AND kind = 'groups'
      AND created_at = OLD.created_at AND id = OLD.id;
END;

INSERT INTO live_counts (tenant_id, kind, slot, n)
SELECT tenant_id, 'users', 0, COUNT(*) FROM users WHERE deleted_at IS NULL GROUP BY tenant_id;
INSERT INTO live_counts (tenant_id, kind, slot, n)
SELECT tenant_id, 'groups', 0, COUNT(*) FROM groups WHERE deleted_at IS NULL GROUP BY tenant_id;
INSERT INTO live_order (tenant_id, kind, created_at, id)
SELECT tenant_id, 'users', created_at, id FROM users WHERE deleted_at IS NULL;
INSERT INTO live_order (tenant_id, kind, created_at, id)
SELECT tenant_id, 'groups', created_at, id FROM groups WHERE deleted_at IS NULL;

DROP INDEX users_tenant_live;
