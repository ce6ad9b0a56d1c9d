-- The inner nodes of the evidence Merkle log, stored as they complete, so
-- that a checkpoint or an inclusion proof reads O(log n) rows instead of
-- every leaf. Node (level, index) is the root of the 2^level leaves from
-- leaf index * 2^level; level 0 is evidence.leaf_hash and is not repeated
-- here. pos = index * 64 + level (one sortable key). nodes_n in the head
-- row counts the leaves whose nodes are stored: a log from before this
-- migration is caught up by the first append or checkpoint. Append-only.
CREATE TABLE evidence_nodes (
  pos BIGINT PRIMARY KEY,
  hash TEXT NOT NULL
);
ALTER TABLE evidence_head ADD COLUMN nodes_n BIGINT NOT NULL DEFAULT 0;
-- @sqlite
CREATE TRIGGER evidence_nodes_no_update BEFORE UPDATE ON evidence_nodes
BEGIN SELECT RAISE(ABORT, 'evidence nodes are append-only'); END;
CREATE TRIGGER evidence_nodes_no_delete BEFORE DELETE ON evidence_nodes
BEGIN SELECT RAISE(ABORT, 'evidence nodes are append-only'); END;
-- @pg
CREATE TRIGGER evidence_nodes_no_update BEFORE UPDATE OR DELETE ON evidence_nodes
FOR EACH ROW EXECUTE FUNCTION evidence_refuse();
CREATE TRIGGER evidence_nodes_no_truncate BEFORE TRUNCATE ON evidence_nodes
FOR EACH STATEMENT EXECUTE FUNCTION evidence_refuse();
