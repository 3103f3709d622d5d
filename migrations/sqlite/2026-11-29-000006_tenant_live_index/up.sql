-- The live users of a tenant, by tenant alone: what `totalResults` of an unfiltered list
-- counts on every page (the narrowest index to count through).
CREATE INDEX users_tenant_live ON users (tenant_id) WHERE deleted_at IS NULL;
