-- What calls cost: per turn, the prompt tokens the provider served from its cache and the
-- cost of the turn's tokens in USD (NULL when the model has no price); per call, what the
-- session's minutes cost on the voice side (NULL without per-minute prices).
ALTER TABLE turns ADD COLUMN cached_tokens INTEGER;
ALTER TABLE turns ADD COLUMN cost_usd REAL;
ALTER TABLE calls ADD COLUMN voice_cost_usd REAL;
