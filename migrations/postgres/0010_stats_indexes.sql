-- The overview counts turns and calls of a period (GET /api/stats). These indexes hold
-- every column it reads, by time, so a period is read from the index alone, in order,
-- and a short period reads only its own rows.
CREATE INDEX turns_by_time ON turns (at_ms, event, agent, outcome, interrupted, first_tts_ms,
    cost_usd, prompt_tokens, cached_tokens, tool_calls);
CREATE INDEX calls_by_start ON calls (started_ms, agent, success);
