-- A call's structured analysis, once it is over (an agent file's [analysis]): the model's
-- validated answer as JSON, and whether the call met the success rubric (NULL when not
-- analysed or no rubric), kept apart so the calls list can filter on it.
ALTER TABLE calls ADD COLUMN analysis TEXT;
ALTER TABLE calls ADD COLUMN success INTEGER;
