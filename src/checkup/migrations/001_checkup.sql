-- Employment health checks (劳动用工体检).
CREATE TABLE checkup_targets (
  id {{ID}},
  year BIGINT NOT NULL,
  enterprise_id BIGINT NOT NULL,
  reasons TEXT NOT NULL DEFAULT '[]',
  priority BIGINT NOT NULL DEFAULT 0,
  included INTEGER NOT NULL DEFAULT 1,
  note TEXT,
  fixed INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX checkup_targets_once ON checkup_targets (year, enterprise_id);

-- Service contracts with third-party agencies: how many checks for what fee.
CREATE TABLE checkup_contracts (
  id {{ID}},
  org_id BIGINT NOT NULL,
  year BIGINT NOT NULL,
  check_count BIGINT NOT NULL,
  fee_cents BIGINT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE checkup_checks (
  id {{ID}},
  year BIGINT NOT NULL,
  enterprise_id BIGINT NOT NULL,
  org_id BIGINT NOT NULL,
  contract_id BIGINT,
  inspector_id BIGINT,
  scheduled_on TEXT,
  checklist_id TEXT NOT NULL,
  checklist_version BIGINT NOT NULL,
  status TEXT NOT NULL,
  grade TEXT,
  score BIGINT,
  flags TEXT NOT NULL DEFAULT '[]',
  reported_at TEXT,
  acknowledged_at TEXT,
  regraded_from TEXT,
  regraded_at TEXT,
  closed_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX checkup_checks_ent ON checkup_checks (enterprise_id, year);
CREATE INDEX checkup_checks_org ON checkup_checks (org_id, status);

CREATE TABLE checkup_answers (
  check_id BIGINT NOT NULL REFERENCES checkup_checks (id),
  item_id TEXT NOT NULL,
  result TEXT NOT NULL,
  note TEXT,
  auto INTEGER NOT NULL DEFAULT 0,
  user_id BIGINT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (check_id, item_id)
);

CREATE TABLE checkup_files (
  id {{ID}},
  check_id BIGINT NOT NULL REFERENCES checkup_checks (id),
  item_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  data TEXT NOT NULL,
  user_id BIGINT,
  created_at TEXT NOT NULL
);
CREATE INDEX checkup_files_check ON checkup_files (check_id);

CREATE TABLE checkup_rectifications (
  check_id BIGINT NOT NULL REFERENCES checkup_checks (id),
  item_id TEXT NOT NULL,
  action TEXT,
  due_on TEXT,
  status TEXT NOT NULL,
  followup_note TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (check_id, item_id)
);

CREATE TABLE checkup_warnings (
  id {{ID}},
  check_id BIGINT NOT NULL REFERENCES checkup_checks (id),
  enterprise_id BIGINT NOT NULL,
  item_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  due_on TEXT NOT NULL,
  note TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX checkup_warnings_once ON checkup_warnings (check_id, item_id, kind);

CREATE TABLE checkup_satisfaction (
  check_id BIGINT PRIMARY KEY REFERENCES checkup_checks (id),
  scores TEXT NOT NULL,
  comment TEXT,
  created_at TEXT NOT NULL
);
