-- Electronic labor contracts (电子劳动合同): contracts and their documents,
-- signatures, certificates, seal keys, the signer's sessions, drafting
-- batches, the evidence log (append-only, hash-chained, the leaves of the
-- Merkle log) with its checkpoints, and the admin's minimum-wage tiers.
-- Terms and documents hold ID numbers: they are sealed (AES-256-GCM).
CREATE TABLE contracts (
  id {{ID}},
  enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
  worker_id BIGINT NOT NULL REFERENCES workers (id),
  kind TEXT NOT NULL,
  template_id TEXT NOT NULL,
  event TEXT NOT NULL,
  parent_id BIGINT REFERENCES contracts (id),
  status TEXT NOT NULL,
  pending INTEGER NOT NULL DEFAULT 0,
  sign_order TEXT NOT NULL,
  expires_days INTEGER NOT NULL,
  terms_enc TEXT NOT NULL,
  lint TEXT NOT NULL DEFAULT '{}',
  lint_errors INTEGER NOT NULL DEFAULT 0,
  term_type TEXT,
  term_start TEXT,
  term_end TEXT,
  job TEXT,
  monthly_wage TEXT,
  effective_date TEXT,
  doc_sha256 TEXT,
  doc_version INTEGER NOT NULL DEFAULT 0,
  link_hash TEXT,
  link_enc TEXT,
  worker_signed_at TEXT,
  enterprise_signed_at TEXT,
  sent_at TEXT,
  expires_at TEXT,
  reminded_at TEXT,
  completed_at TEXT,
  ended_at TEXT,
  closed_reason TEXT,
  created_by BIGINT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX contracts_enterprise ON contracts (enterprise_id, status);
CREATE INDEX contracts_worker ON contracts (worker_id);
CREATE UNIQUE INDEX contracts_link ON contracts (link_hash);
CREATE INDEX contracts_parent ON contracts (parent_id);
CREATE INDEX contracts_completed ON contracts (completed_at);

-- Each revision of a contract's PDF: 1 is the frozen text, each signature
-- adds one. The PDF is sealed; sha256 is of the plain bytes.
CREATE TABLE contract_documents (
  contract_id BIGINT NOT NULL REFERENCES contracts (id),
  version INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  size BIGINT NOT NULL,
  pdf_enc TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (contract_id, version)
);
CREATE INDEX contract_documents_sha ON contract_documents (sha256);

-- A signature from prepare to done. prepared: the incremental update is
-- made and the signer has the bytes to sign; pending: signed, waiting for
-- a timestamp; done: in the document. base_version is the revision it was
-- prepared on: a signature made on an older revision is stale.
CREATE TABLE contract_signatures (
  id {{ID}},
  contract_id BIGINT NOT NULL REFERENCES contracts (id),
  party TEXT NOT NULL,
  method TEXT NOT NULL,
  status TEXT NOT NULL,
  base_version INTEGER NOT NULL,
  cert_serial TEXT NOT NULL,
  signer TEXT NOT NULL,
  signing_time TEXT NOT NULL,
  attrs TEXT NOT NULL,
  signature TEXT,
  prep_enc TEXT,
  contents_off BIGINT,
  contents_len BIGINT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  timestamp_time TEXT,
  tst TEXT,
  sig_digest TEXT,
  created_at TEXT NOT NULL,
  signed_at TEXT
);
CREATE INDEX contract_signatures_contract ON contract_signatures (contract_id, party);
CREATE UNIQUE INDEX contract_signatures_done ON contract_signatures (contract_id, party)
  WHERE status <> 'prepared';

-- Certificates the platform CA issued: to a worker (holder = the ID
-- number's lookup hash), an HR user (holder = user id) or an enterprise
-- seal (holder = enterprise id).
CREATE TABLE certificates (
  serial TEXT PRIMARY KEY,
  holder_kind TEXT NOT NULL,
  holder TEXT NOT NULL,
  enterprise_id BIGINT,
  cn TEXT NOT NULL,
  cert TEXT NOT NULL,
  not_before TEXT NOT NULL,
  not_after TEXT NOT NULL,
  revoked_at TEXT,
  revoke_reason TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX certificates_holder ON certificates (holder_kind, holder);

CREATE TABLE seal_keys (
  enterprise_id BIGINT PRIMARY KEY REFERENCES enterprises (id),
  key_enc TEXT NOT NULL,
  cert_serial TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- A signer's session after the identity check: bound to one contract
-- (the link) or to a person (the worker portal, contract_id NULL).
CREATE TABLE signer_sessions (
  token_hash TEXT PRIMARY KEY,
  contract_id BIGINT,
  holder TEXT NOT NULL,
  confirmed INTEGER NOT NULL DEFAULT 0,
  read_at TEXT,
  intent_at TEXT,
  created_at TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);

-- Wrong identity tries per link (5 lock it for 15 minutes).
CREATE TABLE signer_attempts (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  locked_until BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL
);

CREATE TABLE contract_batches (
  id {{ID}},
  enterprise_id BIGINT NOT NULL,
  user_id BIGINT,
  actor_name TEXT NOT NULL,
  principal TEXT,
  request TEXT NOT NULL,
  status TEXT NOT NULL,
  total INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  errors TEXT NOT NULL DEFAULT '[]',
  contract_ids TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  finished_at TEXT
);

-- The evidence log: every step of every contract, in one sequence (idx
-- from 0, no gaps: the head row hands out indexes under its row lock),
-- each row carrying the hash of the one before (hash = SHA-256(prev_hash
-- || leaf bytes)) and being leaf idx of the Merkle log (leaf hash
-- SHA-256(0x00 || leaf bytes), RFC 9162). No update or delete path.
CREATE TABLE evidence_head (
  id INTEGER PRIMARY KEY,
  n BIGINT NOT NULL,
  last_hash TEXT NOT NULL
);
INSERT INTO evidence_head (id, n, last_hash)
  VALUES (1, 0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

CREATE TABLE evidence (
  idx BIGINT PRIMARY KEY,
  contract_id BIGINT,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  at TEXT NOT NULL,
  leaf TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  leaf_hash TEXT NOT NULL
);
CREATE INDEX evidence_contract ON evidence (contract_id, idx);

CREATE TABLE evidence_checkpoints (
  size BIGINT PRIMARY KEY,
  root TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE wage_tiers (
  area_id BIGINT PRIMARY KEY REFERENCES areas (id),
  tier INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
-- @sqlite
CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence
BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER evidence_checkpoints_no_update BEFORE UPDATE ON evidence_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER evidence_checkpoints_no_delete BEFORE DELETE ON evidence_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
-- @pg
CREATE OR REPLACE FUNCTION evidence_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'evidence is append-only'; END $$;
CREATE TRIGGER evidence_no_update BEFORE UPDATE OR DELETE ON evidence
FOR EACH ROW EXECUTE FUNCTION evidence_refuse();
CREATE TRIGGER evidence_no_truncate BEFORE TRUNCATE ON evidence
FOR EACH STATEMENT EXECUTE FUNCTION evidence_refuse();
CREATE TRIGGER evidence_checkpoints_no_update BEFORE UPDATE OR DELETE ON evidence_checkpoints
FOR EACH ROW EXECUTE FUNCTION evidence_refuse();
