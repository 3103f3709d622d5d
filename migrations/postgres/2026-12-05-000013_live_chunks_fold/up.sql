-- A page's chunk walk reads only the chunks up to its start, and old chunks keep one row.
--
-- `live_page` (000011) read the chunk counts in a `FOR` loop over a query, which PL/pgSQL
-- plans for all of its rows: PostgreSQL sorted a sequential scan of the tenant's every chunk
-- row on each page, and creates from 16 slots leave 16 rows a chunk (1,808 rows at 115,000
-- users: 1.0 ms of a page's work at the benchmark's shallow offsets). A bound cursor is
-- planned for its first rows (`cursor_tuple_fraction`), so the walk follows the primary key
-- in chunk order and stops at the start's chunk (0.28 ms on the same table).
--
-- `live_chunks_fold()` adds the slots of every chunk before the newest into its slot 0 and
-- drops chunks that count nothing, so a deep page walks one row a chunk. The slots only
-- spread concurrent creates, which all land in the newest chunk. The service calls it once a
-- minute (`Store::fold_live_chunks`), in a transaction of its own with a short
-- `lock_timeout`: it waits on no request. The sum of a chunk's rows is what a page reads, and
-- one statement leaves it unchanged, so a page sees the same counts before and after.
CREATE OR REPLACE FUNCTION live_page(p_tenant TEXT, p_kind TEXT, p_limit BIGINT, p_offset BIGINT)
RETURNS TABLE (seq BIGINT, id TEXT)
LANGUAGE plpgsql STABLE ROWS 100 SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    chunks CURSOR FOR
        SELECT k.chunk, k.n FROM live_chunks k
        WHERE k.tenant_id = p_tenant AND k.kind = p_kind ORDER BY k.chunk;
    v_chunk BIGINT;
    v_sum BIGINT := 0;
    v_before BIGINT := 0;
BEGIN
    FOR r IN chunks LOOP
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

-- Two statements: the second sees the first's sums, so a chunk whose slots add up to nothing
-- goes in the same call.
CREATE FUNCTION live_chunks_fold() RETURNS VOID LANGUAGE sql AS $$
    WITH gone AS (
        DELETE FROM live_chunks k
        WHERE k.chunk < (SELECT s.last_value >> 10 FROM live_order_seq s) AND k.slot <> 0
        RETURNING k.tenant_id, k.kind, k.chunk, k.n
    )
    INSERT INTO live_chunks AS c (tenant_id, kind, chunk, slot, n)
    SELECT g.tenant_id, g.kind, g.chunk, 0, SUM(g.n) FROM gone g
    GROUP BY g.tenant_id, g.kind, g.chunk
    ON CONFLICT (tenant_id, kind, chunk, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    DELETE FROM live_chunks k
    WHERE k.chunk < (SELECT s.last_value >> 10 FROM live_order_seq s) AND k.n = 0;
$$;
