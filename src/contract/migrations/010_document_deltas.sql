-- A signed revision is the one before plus the incremental update its
-- signature appended: such a row (delta = 1) holds only those appended
-- bytes (deflated, then sealed), and reading version N joins the last whole
-- copy at or before N with the deltas after it. Rows from before this
-- migration, and version 1 (the frozen text), are whole copies (delta = 0).
-- sha256 and size stay those of the whole revision.
ALTER TABLE contract_documents ADD COLUMN delta INTEGER NOT NULL DEFAULT 0;
