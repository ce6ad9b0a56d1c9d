-- The first use of each rubric version, with the SHA-256 of its file: a
-- version that has been used is never changed in place (a changed file is
-- refused until it is published as a new version).
CREATE TABLE rating_rubric_uses (
  rubric_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  first_used_at TEXT NOT NULL,
  PRIMARY KEY (rubric_id, version)
);
