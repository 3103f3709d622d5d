-- Which admin made a change (session subject or admin token name); NULL for SCIM clients.
ALTER TABLE sync_events ADD COLUMN actor TEXT;
