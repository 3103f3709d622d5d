-- One page of a tenant's live rows in creation order (SCIM startIndex paging): the keys
-- after skipping p_offset entries of live_order's index.
--
-- A function so that the skip is planned for its values on every call (a plan of this
-- one-table query, cheap to make) while the page statement around it, which reads the
-- page's rows and their groups, keeps one generic plan. With LIMIT and OFFSET as
-- parameters of the page statement itself, PostgreSQL planned the whole statement again on
-- every page (899 plans in 942 pages, a fifth of its time there): the generic plan, which
-- assumes a tenth of the tenant fetched, was dearer, and once forced it sorted a
-- sequential scan of live_order at 100,000 users (176 ms a page instead of 0.5 ms).
CREATE FUNCTION live_order_page(p_tenant TEXT, p_kind TEXT, p_limit BIGINT, p_offset BIGINT)
RETURNS TABLE (created_at BIGINT, id TEXT)
LANGUAGE plpgsql STABLE ROWS 100 AS $$
BEGIN
    RETURN QUERY
        SELECT o.created_at, o.id FROM live_order o
        WHERE o.tenant_id = p_tenant AND o.kind = p_kind
        ORDER BY o.created_at, o.id LIMIT p_limit OFFSET p_offset;
END
$$;
