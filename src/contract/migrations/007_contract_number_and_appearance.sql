-- Contract numbers (合同编号) and visible signatures.
-- number: "331125-2026-000123", the enterprise's county code, the year of
-- sending and a sequence within both, given once when the contract is
-- first sent and never changed (unique). sign_boxes: where the frozen PDF
-- has the boxes of 甲方（盖章） and 乙方（签字） (page, rectangle in PDF
-- points), recorded when it is rendered at sending; each signature's
-- appearance is drawn there.
ALTER TABLE contracts ADD COLUMN number TEXT;
ALTER TABLE contracts ADD COLUMN sign_boxes TEXT;
CREATE UNIQUE INDEX contracts_number ON contracts (number);

-- The last sequence number given per county code and year. Taken with
-- INSERT … ON CONFLICT DO UPDATE … RETURNING: one statement that holds
-- the row's lock (PostgreSQL) or the write lock (SQLite), so two
-- sendings at once never get the same number.
CREATE TABLE contract_numbers (
  prefix TEXT NOT NULL,
  seq_year INTEGER NOT NULL,
  last_seq BIGINT NOT NULL,
  PRIMARY KEY (prefix, seq_year)
);

-- The worker's handwritten signature (PNG, sealed: a person's signature
-- image), given with the prepare request and drawn as the signature's
-- appearance; its SHA-256 goes into the signed event.
ALTER TABLE contract_signatures ADD COLUMN handwriting_enc TEXT;
ALTER TABLE contract_signatures ADD COLUMN handwriting_sha256 TEXT;
