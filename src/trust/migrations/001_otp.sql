-- One-time codes (验证码) and the outbox their default channel writes to.
-- A code is kept only as HMAC-SHA256(keys->misc, purpose|subject|code); one
-- row per (purpose, subject), replaced on resend. Instants are unix seconds
-- so that expiry and the resend interval are plain arithmetic.
CREATE TABLE otp_codes (
  id {{ID}},
  purpose TEXT NOT NULL,
  subject TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  sent_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0,
  used INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX otp_codes_key ON otp_codes (purpose, subject);

-- Messages the platform would send (SMS) when no gateway is configured;
-- administrators read them. They hold codes in clear: admin-only.
CREATE TABLE outbox (
  id {{ID}},
  channel TEXT NOT NULL,
  recipient TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at TEXT NOT NULL
);
