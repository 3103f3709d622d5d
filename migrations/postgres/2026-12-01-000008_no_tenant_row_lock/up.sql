-- Users and groups no longer reference `tenants` by foreign key on PostgreSQL.
--
-- The key check of every insert takes a FOR KEY SHARE lock on its tenant's row: all the
-- tenant's concurrent creates lock that one row, and PostgreSQL records each new locker
-- beside the others as a MultiXact. `pg_waldump` over 10,000 creates at 16 connections
-- counted two Heap/LOCK records and 0.96 MultiXact/CREATE_ID per create (5% of the WAL),
-- and the lock's row visit and multixact bookkeeping ran on every create (create_users
-- 3,873–4,715/s with the key, 4,361–4,918/s without, alternating on one database).
--
-- What the key guarded still holds: a user or group is only ever written for the tenant of
-- a verified SCIM token or admin session, whose client row references `tenants` (that key
-- stays), the user create's statement inserts nothing unless that client row exists
-- (`store::admin::push_gate_holds`), and tenants are never deleted. SQLite keeps its keys:
-- its single writer has no lockers to record.
ALTER TABLE users DROP CONSTRAINT users_tenant_id_fkey;
ALTER TABLE groups DROP CONSTRAINT groups_tenant_id_fkey;
