-- Admin console and API (issue 8): admin bearer tokens, server-side sessions, per-tenant
-- OpenID Connect settings, pending sign-ins and one-time sign-in links. Instants are
-- microseconds since the Unix epoch; secrets are stored only as SHA-256 hashes, except the
-- OIDC client secret, which the service must present to the issuer.

CREATE TABLE admin_tokens (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    last_used_at INTEGER
);

CREATE TABLE admin_sessions (
    id_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    subject TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);

CREATE TABLE oidc_configs (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    issuer_url TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    redirect_url TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- An authorization request in flight: the state names it; the PKCE verifier and the nonce
-- are checked when the issuer redirects back (on whichever replica gets the callback).
CREATE TABLE oidc_logins (
    state TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    pkce_verifier TEXT NOT NULL,
    nonce TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- One-time console sign-in links printed by `serve` when a tenant has no OIDC settings.
CREATE TABLE admin_login_links (
    token_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- The event log is pruned by age and read per client and per kind of resource.
CREATE INDEX sync_events_at ON sync_events (at);
