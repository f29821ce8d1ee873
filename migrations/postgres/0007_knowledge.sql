-- The knowledge passages put before the model in a turn, as JSON:
-- [{"file": "faq.md", "heading": "Shop › Opening hours", "score": 2.6}].
ALTER TABLE turns ADD COLUMN knowledge TEXT NOT NULL DEFAULT '[]';
