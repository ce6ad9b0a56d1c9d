-- Supervision of agencies: phased acceptance of batches of checks, and
-- random spot checks of a batch with a recorded seed.
CREATE TABLE checkup_batches (
  id {{ID}},
  org_id BIGINT NOT NULL,
  status TEXT NOT NULL,
  reasons TEXT,
  submitted_by BIGINT,
  submitted_at TEXT NOT NULL,
  decided_by BIGINT,
  decided_at TEXT
);
CREATE TABLE checkup_batch_checks (
  batch_id BIGINT NOT NULL REFERENCES checkup_batches (id),
  check_id BIGINT NOT NULL,
  PRIMARY KEY (check_id)
);
CREATE INDEX checkup_batch_checks_batch ON checkup_batch_checks (batch_id);

CREATE TABLE checkup_spotchecks (
  id {{ID}},
  batch_id BIGINT NOT NULL REFERENCES checkup_batches (id),
  org_id BIGINT NOT NULL,
  seed TEXT NOT NULL,
  share_pm BIGINT NOT NULL,
  drawn TEXT NOT NULL,
  created_by BIGINT,
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX checkup_spotchecks_batch ON checkup_spotchecks (batch_id);

CREATE TABLE checkup_spot_records (
  spotcheck_id BIGINT NOT NULL REFERENCES checkup_spotchecks (id),
  check_id BIGINT NOT NULL,
  method TEXT NOT NULL,
  truthful INTEGER NOT NULL,
  note TEXT,
  user_id BIGINT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (spotcheck_id, check_id)
);
