-- The call store (Postgres): one row per call, one row per turn. JSON is kept as text,
-- written and read whole, the same as in SQLite.

CREATE TABLE calls (
    agent TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    last_ms BIGINT NOT NULL,
    from_phone_number TEXT,
    to_phone_number TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    session_report TEXT,
    ended_ms BIGINT,
    recording_status TEXT,
    recording_url TEXT,
    recording_details TEXT NOT NULL DEFAULT '{}',
    summary TEXT,
    PRIMARY KEY (agent, conversation_id)
);

-- Listing newest first, for everyone or one agent.
CREATE INDEX calls_by_last ON calls (last_ms DESC);
CREATE INDEX calls_by_agent_last ON calls (agent, last_ms DESC);

CREATE TABLE turns (
    agent TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    turn_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    event TEXT NOT NULL,
    user_text TEXT NOT NULL DEFAULT '',
    agent_text TEXT NOT NULL DEFAULT '',
    interrupted BOOLEAN NOT NULL DEFAULT FALSE,
    outcome TEXT NOT NULL,
    model TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    first_token_ms BIGINT,
    first_tts_ms BIGINT,
    total_ms BIGINT,
    prompt_tokens BIGINT,
    completion_tokens BIGINT,
    tools TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (agent, conversation_id, turn_id),
    FOREIGN KEY (agent, conversation_id) REFERENCES calls (agent, conversation_id) ON DELETE CASCADE
);

-- A call's turns in order (and the text search, which scans one call's turns).
CREATE INDEX turns_by_seq ON turns (agent, conversation_id, seq);
