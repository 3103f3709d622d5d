CREATE INDEX sync_events_at ON sync_events (at);
