-- Organizations, users, sessions and login throttling.
CREATE TABLE organizations (
  id {{ID}},
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  area_id BIGINT,
  contact TEXT,
  phone TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX organizations_name ON organizations (name);

CREATE TABLE users (
  id {{ID}},
  username TEXT NOT NULL,
  display_name TEXT NOT NULL,
  phone TEXT,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  org_id BIGINT REFERENCES organizations (id),
  scope_area_id BIGINT,
  scope_enterprise_id BIGINT,
  scope_worker_id BIGINT,
  must_change_password INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_login_at TEXT
);
CREATE UNIQUE INDEX users_username ON users (username);

-- A session is known only by the SHA-256 of its token.
CREATE TABLE sessions (
  id {{ID}},
  token_hash TEXT NOT NULL,
  user_id BIGINT NOT NULL REFERENCES users (id),
  csrf TEXT NOT NULL,
  ip TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  seen_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sessions_token ON sessions (token_hash);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed logins per key (a keyed hash of "u:<username>" or "a:<address>").
CREATE TABLE login_failures (
  key TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);
