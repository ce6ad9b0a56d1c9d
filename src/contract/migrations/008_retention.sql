-- Retention (劳动合同法 第五十条第三款; 个人信息保护法 第十九条): when
-- `hexie retention purge` removes a contract's documents, terms and
-- signatures after the two-year period, the row stays as a record that
-- the contract existed, marked with the time of the purge. The evidence
-- log's leaves stay too (their hashes are in signed checkpoints).
ALTER TABLE contracts ADD COLUMN purged_at TEXT;
