-- The post-call webhook, once per call across machines and restarts: a machine claims a
-- call (post_call_claim_ms, a lease) before delivering it, and marks it delivered
-- (post_call_delivered_ms). The start-up scan for calls still owed reads calls by
-- last_ms, which calls_by_last already indexes.

ALTER TABLE calls ADD COLUMN post_call_claim_ms INTEGER;
ALTER TABLE calls ADD COLUMN post_call_delivered_ms INTEGER;

-- Calls kept before this version: the ones that ended, or were quiet for 30 minutes (the
-- default SESSION_IDLE_TTL_SECS, after which it delivered an idle call), were handed on by
-- it already (or it had no webhook), so they are not owed now; the others are delivered
-- once they are over.
UPDATE calls SET post_call_delivered_ms = last_ms
WHERE ended_ms IS NOT NULL
   OR last_ms < CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 30 * 60 * 1000;
