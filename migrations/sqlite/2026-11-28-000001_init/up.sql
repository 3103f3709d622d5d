-- Timestamps are INTEGER microseconds since the Unix epoch (UTC); ids are text UUIDs.
-- Same tables, columns and indexes as the PostgreSQL migration.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Service-wide settings such as the token signing key.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- SCIM clients: one bearer token each. Only the SHA-256 of the token is stored.
CREATE TABLE scim_clients (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    last_used_at INTEGER
);
CREATE UNIQUE INDEX scim_clients_live_name ON scim_clients (tenant_id, name) WHERE revoked_at IS NULL;

-- The tenant's skill catalog (operator extension `skills`).
CREATE TABLE skills (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name_key TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name_key)
);

-- Operator accounts (SCIM Users). `doc` is the canonical SCIM resource as last written
-- (without id, meta and groups); the typed columns are the account fields mapped from it.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    user_name TEXT NOT NULL,
    user_name_key TEXT NOT NULL,
    external_id TEXT,
    given_name TEXT,
    family_name TEXT,
    display_name TEXT,
    email TEXT,
    email_key TEXT,
    active BOOLEAN NOT NULL,
    mobile_phone TEXT,
    csr_user BOOLEAN NOT NULL,
    voice_calls BOOLEAN NOT NULL,
    max_chats INTEGER,
    max_emails INTEGER,
    status TEXT NOT NULL,
    doc TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    last_sync_at INTEGER,
    last_sync_client TEXT,
    last_sync_outcome TEXT
);
CREATE UNIQUE INDEX users_user_name_key ON users (tenant_id, user_name_key) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_email_key ON users (tenant_id, email_key) WHERE deleted_at IS NULL AND email_key IS NOT NULL;
CREATE INDEX users_external_id ON users (tenant_id, external_id) WHERE deleted_at IS NULL;
CREATE INDEX users_tenant_created ON users (tenant_id, created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE user_skills (
    user_id TEXT NOT NULL REFERENCES users (id),
    skill_key TEXT NOT NULL,
    PRIMARY KEY (user_id, skill_key)
);

-- Role groups (SCIM Groups). `doc` holds the resource without id, meta and members.
CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    display_name TEXT NOT NULL,
    display_name_key TEXT NOT NULL,
    external_id TEXT,
    doc TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    last_sync_at INTEGER,
    last_sync_client TEXT,
    last_sync_outcome TEXT
);
CREATE UNIQUE INDEX groups_display_name_key ON groups (tenant_id, display_name_key) WHERE deleted_at IS NULL;
CREATE INDEX groups_tenant_created ON groups (tenant_id, created_at, id) WHERE deleted_at IS NULL;

-- One row per (group, member): membership changes are set deltas.
CREATE TABLE memberships (
    group_id TEXT NOT NULL REFERENCES groups (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    tenant_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- Admin-set mapping of a group (by display name key) to a platform role.
CREATE TABLE role_mappings (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    group_key TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (tenant_id, group_key)
);

-- One row per authenticated SCIM request (design.md section 4).
CREATE TABLE sync_events (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    client_id TEXT,
    at INTEGER NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    resource_type TEXT,
    resource_id TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER NOT NULL,
    scim_type TEXT,
    detail TEXT,
    coercions TEXT,
    duration_us INTEGER NOT NULL
);
CREATE INDEX sync_events_tenant_at ON sync_events (tenant_id, at);
CREATE INDEX sync_events_resource ON sync_events (tenant_id, resource_id, at);
CREATE INDEX sync_events_client ON sync_events (tenant_id, client_id, at);
