-- The turn's OpenTelemetry trace id (32 hex digits) when it was traced and sampled, so the
-- calls page can link a turn to its trace.
ALTER TABLE turns ADD COLUMN trace_id TEXT;
