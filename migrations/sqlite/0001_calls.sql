-- The call store (SQLite): one row per call, one row per turn. JSON is kept as text.

CREATE TABLE calls (
    agent TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    from_phone_number TEXT,
    to_phone_number TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    session_report TEXT,
    ended_ms INTEGER,
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
    seq INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    event TEXT NOT NULL,
    user_text TEXT NOT NULL DEFAULT '',
    agent_text TEXT NOT NULL DEFAULT '',
    interrupted INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL,
    model TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    first_token_ms INTEGER,
    first_tts_ms INTEGER,
    total_ms INTEGER,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    tools TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (agent, conversation_id, turn_id),
    FOREIGN KEY (agent, conversation_id) REFERENCES calls (agent, conversation_id) ON DELETE CASCADE
);

-- A call's turns in order (and the text search, which scans one call's turns).
CREATE INDEX turns_by_seq ON turns (agent, conversation_id, seq);
