-- The per-contract chain of the evidence log (附件3 第十七条: evidence kept
-- complete). Each new leaf of a contract carries cseq, its position among
-- that contract's events (1, 2, …), and cprev, the hash of the contract's
-- previous event (64 zeros for the first), so a package that drops,
-- reorders, duplicates or borrows an event no longer chains. cseq is kept
-- here too so the next event finds it with one indexed lookup; the unique
-- index refuses a second event at the same position. Rows from before
-- this migration have cseq NULL (their leaves carry neither field): a
-- contract's first chained event counts them (docs/operations.md).
ALTER TABLE evidence ADD COLUMN cseq BIGINT;
CREATE UNIQUE INDEX evidence_contract_cseq ON evidence (contract_id, cseq);
