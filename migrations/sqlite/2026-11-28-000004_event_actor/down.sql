ALTER TABLE sync_events DROP COLUMN actor;
