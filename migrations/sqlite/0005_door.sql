-- The door a call came through: `layercode`, or `openai` (Vapi, ElevenLabs and other
-- OpenAI clients through the OpenAI-compatible door). Calls kept before this version came
-- through Layercode's.
ALTER TABLE calls ADD COLUMN door TEXT NOT NULL DEFAULT 'layercode';
