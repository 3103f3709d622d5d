DROP INDEX sync_events_at;
DROP TABLE admin_login_links;
DROP TABLE oidc_logins;
DROP TABLE oidc_configs;
DROP TABLE admin_sessions;
DROP TABLE admin_tokens;
