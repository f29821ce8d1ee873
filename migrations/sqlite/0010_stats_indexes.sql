-- The overview counts turns and calls of a period (GET /api/stats): by time, so a short
-- period reads only its own rows.
CREATE INDEX turns_by_time ON turns (at_ms);
CREATE INDEX calls_by_start ON calls (started_ms);
