-- A batch of decisions in one round trip (issue 15, the PostgreSQL p99). Before, the journal's batch was eight
-- statements awaited one after another (begin, a read of the request ids, the decisions, their records, the
-- trail's lock, its head, the entries, commit); on a loaded two-core machine each wait is a wake-up of the backend
-- and of the writer, and the tail latency grew with them. Now the audit chain's link is computed here, so an
-- appender locks the trail, reads its head, chains and inserts in one call, and a batch of new decisions is one
-- statement, its own transaction.
--
-- `audit_link` is `audit::link` (crates/audit/src/entry.rs) over the same bytes: SHA-256 of the tag, the number as
-- 8 bytes big-endian, each text field as its UTF-8 length (8 bytes big-endian) then its bytes, each optional digest
-- as 0 or 1 then its 32 bytes, and the previous hash. The store checks every hash the database returns against its
-- own computation: `append_in` before its transaction commits (a disagreement is refused and nothing is written);
-- the one-statement batch after it committed (a disagreement fails the batch, whose decisions then answer as
-- retries); and `audit verify` checks the whole chain.

-- In PL/pgSQL over local values, not as SQL functions calling SQL functions: those were planned at every call
-- (the nested helpers are not inlined), and cost a millisecond of the database's CPU per decision.
CREATE FUNCTION audit_link(prev bytea, seq bigint, at text, actor text, origin text, action text, target text,
                           outcome text, before_sha256 text, after_sha256 text, detail text)
    RETURNS bytea LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    message bytea := convert_to('agririsk.audit.entry.v1', 'UTF8') || '\x00'::bytea || int8send(seq);
    field bytea;
BEGIN
    FOREACH field IN ARRAY ARRAY[convert_to(at, 'UTF8'), convert_to(actor, 'UTF8'), convert_to(origin, 'UTF8'),
                                 convert_to(action, 'UTF8'), convert_to(target, 'UTF8'), convert_to(outcome, 'UTF8')]
    LOOP
        message := message || int8send(octet_length(field)::bigint) || field;
    END LOOP;
    FOREACH field IN ARRAY ARRAY[decode(before_sha256, 'hex'), decode(after_sha256, 'hex')] LOOP
        IF field IS NULL THEN
            message := message || '\x00'::bytea;
        ELSE
            message := message || '\x01'::bytea || field;
        END IF;
    END LOOP;
    field := convert_to(detail, 'UTF8');
    RETURN sha256(message || int8send(octet_length(field)::bigint) || field || prev);
END;
$$;

-- Appends entries after the head, a column an array, and answers each one's number, previous hash and hash. The
-- lock conflicts with itself and with every insert, not with reads: appenders queue for it, and the one holding it
-- reads the head as committed by all before it, so the chain never forks. Generic plans are fine for these
-- statements (no selectivity to guess), so the function does not pay the session's custom planning per call.
CREATE FUNCTION audit_append(p_at text[], p_at_offset_s integer[], p_actor text[], p_origin text[],
                             p_action text[], p_target text[], p_outcome text[], p_before_sha256 text[],
                             p_after_sha256 text[], p_detail text[])
    RETURNS TABLE (chained_seq bigint, chained_prev text, chained_hash text)
    LANGUAGE plpgsql SET plan_cache_mode = auto AS $$
DECLARE
    n integer := coalesce(cardinality(p_at), 0);
    head_seq bigint;
    head bytea;
    seqs bigint[] := '{}';
    prevs text[] := '{}';
    hashes text[] := '{}';
BEGIN
    IF n = 0 THEN
        RETURN;
    END IF;
    IF NOT coalesce(n = ALL (ARRAY[cardinality(p_at_offset_s), cardinality(p_actor), cardinality(p_origin),
                                   cardinality(p_action), cardinality(p_target), cardinality(p_outcome),
                                   cardinality(p_before_sha256), cardinality(p_after_sha256),
                                   cardinality(p_detail)]), false) THEN
        RAISE EXCEPTION 'audit_append: the columns of % entries differ in length', n
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE;
    SELECT a.seq, decode(a.hash, 'hex') INTO head_seq, head FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        head_seq := 0;
        head := decode(repeat('00', 32), 'hex');
    END IF;
    FOR i IN 1 .. n LOOP
        seqs[i] := head_seq + i;
        prevs[i] := encode(head, 'hex');
        head := audit_link(head, head_seq + i, p_at[i], p_actor[i], p_origin[i], p_action[i], p_target[i],
                           p_outcome[i], p_before_sha256[i], p_after_sha256[i], p_detail[i]);
        hashes[i] := encode(head, 'hex');
    END LOOP;
    INSERT INTO audit_log (seq, at, at_offset_s, actor, origin, action, target, outcome, before_sha256,
                           after_sha256, detail, prev, hash)
    SELECT * FROM UNNEST(seqs, p_at::timestamptz[], p_at_offset_s, p_actor, p_origin, p_action, p_target,
                         p_outcome, p_before_sha256, p_after_sha256, p_detail, prevs, hashes);
    RETURN QUERY SELECT * FROM UNNEST(seqs, prevs, hashes);
END;
$$;

-- Records new decisions, their packed records and their audit entries (the audit columns as `audit_append`'s),
-- and answers the entries' numbers and hashes. The inserts are plain: a request id or decision id stored before
-- (a retry, or another writer's) fails the whole statement with a unique violation and nothing is written; the
-- store then takes its careful path, which answers each decision as a retry is answered. The caller sorts the
-- decisions by request id, so two writers take the unique index's locks in one order.
CREATE FUNCTION record_decisions(p_decision_id text[], p_request_id text[], p_request_sha256 text[],
                                 p_subject text[], p_outcome text[], p_policy_version text[], p_model_id text[],
                                 p_decided_at text[], p_decided_at_offset_s integer[], p_packed bytea[],
                                 p_at text[], p_at_offset_s integer[], p_actor text[], p_origin text[],
                                 p_action text[], p_target text[], p_entry_outcome text[], p_before_sha256 text[],
                                 p_after_sha256 text[], p_detail text[])
    RETURNS TABLE (chained_seq bigint, chained_prev text, chained_hash text)
    LANGUAGE plpgsql SET plan_cache_mode = auto AS $$
DECLARE
    n integer := coalesce(cardinality(p_decision_id), 0);
BEGIN
    IF NOT coalesce(n = ALL (ARRAY[cardinality(p_request_id), cardinality(p_request_sha256), cardinality(p_subject),
                                   cardinality(p_outcome), cardinality(p_policy_version), cardinality(p_model_id),
                                   cardinality(p_decided_at), cardinality(p_decided_at_offset_s),
                                   cardinality(p_packed), cardinality(p_at)]), false) THEN
        RAISE EXCEPTION 'record_decisions: the columns of % decisions differ in length', n
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF n = 0 THEN
        RETURN;
    END IF;
    INSERT INTO decisions (decision_id, request_id, request_sha256, subject, outcome, policy_version, model_id,
                           decided_at, decided_at_offset_s, record_json)
    SELECT d, r, h, s, o, p, m, t::timestamptz, z, ''
    FROM UNNEST(p_decision_id, p_request_id, p_request_sha256, p_subject, p_outcome, p_policy_version, p_model_id,
                p_decided_at, p_decided_at_offset_s) AS u(d, r, h, s, o, p, m, t, z);
    INSERT INTO decision_records (decision_id, packed) SELECT * FROM UNNEST(p_decision_id, p_packed);
    RETURN QUERY SELECT * FROM audit_append(p_at, p_at_offset_s, p_actor, p_origin, p_action, p_target,
                                            p_entry_outcome, p_before_sha256, p_after_sha256, p_detail);
END;
$$;
