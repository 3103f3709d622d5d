DROP FUNCTION live_chunks_fold();
CREATE OR REPLACE FUNCTION live_page(p_tenant TEXT, p_kind TEXT, p_limit BIGINT, p_offset BIGINT)
RETURNS TABLE (seq BIGINT, id TEXT)
LANGUAGE plpgsql STABLE ROWS 100 SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    r RECORD;
    v_chunk BIGINT;
    v_sum BIGINT := 0;
    v_before BIGINT := 0;
BEGIN
    FOR r IN
        SELECT k.chunk, k.n FROM live_chunks k
        WHERE k.tenant_id = p_tenant AND k.kind = p_kind ORDER BY k.chunk
    LOOP
        IF v_chunk IS DISTINCT FROM r.chunk THEN
            v_before := v_sum;
        END IF;
        v_chunk := r.chunk;
        v_sum := v_sum + r.n;
        IF v_sum > p_offset THEN
            RETURN QUERY
                SELECT o.seq, o.id FROM live_order o
                WHERE o.tenant_id = p_tenant AND o.kind = p_kind AND o.seq >= v_chunk << 10
                ORDER BY o.seq LIMIT p_limit OFFSET p_offset - v_before;
            RETURN;
        END IF;
    END LOOP;
END
$$;
