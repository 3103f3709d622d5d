-- Retention deletes old events tenant by tenant through sync_events_tenant_at
-- (Store::prune_events): the time index of its own was one more entry written with every
-- event, that is with every SCIM request, for an hourly delete.
DROP INDEX sync_events_at;
