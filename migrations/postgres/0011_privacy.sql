-- What a call's record keeps (RECORD_CONTENT: full, redacted or none) and, when its words
-- were redacted, how many distinct values of each type were replaced ({"phone": 2}): the
-- audit that redaction ran, never the values.
ALTER TABLE calls ADD COLUMN record_content TEXT;
ALTER TABLE calls ADD COLUMN redactions TEXT;
