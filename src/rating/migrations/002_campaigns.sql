-- Rating campaigns (创建活动): applications, self-assessment and review
-- answers, metrics with their source, evidence, the worker poll, honours
-- and reminders.
CREATE TABLE rating_campaigns (
  id {{ID}},
  name TEXT NOT NULL,
  year BIGINT NOT NULL,
  subject TEXT NOT NULL,
  rubric_id TEXT NOT NULL,
  rubric_version BIGINT NOT NULL,
  pass_line2 BIGINT NOT NULL,
  grades TEXT NOT NULL DEFAULT '[]',
  apply_until TEXT,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE rating_assignments (
  campaign_id BIGINT NOT NULL REFERENCES rating_campaigns (id),
  item_id TEXT NOT NULL,
  org_id BIGINT NOT NULL,
  PRIMARY KEY (campaign_id, item_id, org_id)
);

CREATE TABLE rating_applications (
  id {{ID}},
  campaign_id BIGINT NOT NULL REFERENCES rating_campaigns (id),
  applicant_key TEXT NOT NULL,
  enterprise_id BIGINT,
  area_id BIGINT,
  applicant TEXT NOT NULL,
  status TEXT NOT NULL,
  total2 BIGINT,
  vetoed INTEGER NOT NULL DEFAULT 0,
  vetoes TEXT NOT NULL DEFAULT '[]',
  passed INTEGER NOT NULL DEFAULT 0,
  grade TEXT,
  created_at TEXT NOT NULL,
  submitted_at TEXT,
  confirmed_at TEXT
);
CREATE UNIQUE INDEX rating_applications_once ON rating_applications (campaign_id, applicant_key);

CREATE TABLE rating_answers (
  application_id BIGINT NOT NULL REFERENCES rating_applications (id),
  criterion_id TEXT NOT NULL,
  source TEXT NOT NULL,
  value TEXT NOT NULL,
  note TEXT,
  org_id BIGINT,
  user_id BIGINT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (application_id, criterion_id, source)
);

CREATE TABLE rating_comments (
  application_id BIGINT NOT NULL REFERENCES rating_applications (id),
  item_id TEXT NOT NULL,
  org_id BIGINT NOT NULL,
  text TEXT NOT NULL,
  user_id BIGINT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (application_id, item_id, org_id)
);

CREATE TABLE rating_metrics (
  application_id BIGINT NOT NULL REFERENCES rating_applications (id),
  name TEXT NOT NULL,
  source TEXT NOT NULL,
  value TEXT NOT NULL,
  reason TEXT,
  user_id BIGINT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (application_id, name, source)
);

CREATE TABLE rating_evidence (
  id {{ID}},
  application_id BIGINT NOT NULL REFERENCES rating_applications (id),
  criterion_id TEXT NOT NULL,
  filename TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  data TEXT NOT NULL,
  user_id BIGINT,
  created_at TEXT NOT NULL
);
CREATE INDEX rating_evidence_app ON rating_evidence (application_id);

-- A link is marked used; the vote is stored apart from it, with its day
-- only, so that a vote cannot be traced back to a link.
CREATE TABLE rating_poll_links (
  id {{ID}},
  application_id BIGINT NOT NULL REFERENCES rating_applications (id),
  token_hash TEXT NOT NULL,
  used INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX rating_poll_links_token ON rating_poll_links (token_hash);
CREATE TABLE rating_poll_votes (
  id {{ID}},
  application_id BIGINT NOT NULL REFERENCES rating_applications (id),
  satisfied INTEGER NOT NULL,
  voted_on TEXT NOT NULL
);
CREATE INDEX rating_poll_votes_app ON rating_poll_votes (application_id);

CREATE TABLE rating_honours (
  id {{ID}},
  campaign_id BIGINT NOT NULL REFERENCES rating_campaigns (id),
  application_id BIGINT NOT NULL REFERENCES rating_applications (id),
  enterprise_id BIGINT,
  area_id BIGINT,
  applicant TEXT NOT NULL,
  title TEXT NOT NULL,
  grade TEXT,
  valid_from TEXT NOT NULL,
  valid_until TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE rating_notifications (
  id {{ID}},
  org_id BIGINT NOT NULL,
  text TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX rating_notifications_org ON rating_notifications (org_id);
