DROP INDEX users_tenant_live;
