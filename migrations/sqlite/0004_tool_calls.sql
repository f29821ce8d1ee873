-- How many tools a turn called, so a list of calls can count them without reading every
-- turn's tool records. Turns kept before this version are counted from those records.
ALTER TABLE turns ADD COLUMN tool_calls INTEGER NOT NULL DEFAULT 0;
UPDATE turns SET tool_calls = json_array_length(tools);
