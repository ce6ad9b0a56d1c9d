-- A paper labor contract (纸质劳动合同) recorded on the roster: its start and
-- end (NULL end: open-ended, 无固定期限). The written-contract rate counts it
-- like a signed electronic one (劳动合同法 第十条: a written contract, paper
-- or electronic).
ALTER TABLE workers ADD COLUMN paper_contract_start TEXT;
ALTER TABLE workers ADD COLUMN paper_contract_end TEXT;
