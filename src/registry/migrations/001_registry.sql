-- Areas, enterprises, workers (the roster) and agencies' enterprises.
CREATE TABLE areas (
  id {{ID}},
  code TEXT,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  parent_id BIGINT REFERENCES areas (id),
  path TEXT NOT NULL,
  former_name TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX areas_code ON areas (code);
CREATE UNIQUE INDEX areas_name ON areas (parent_id, name);
CREATE INDEX areas_path ON areas (path);

CREATE TABLE enterprises (
  id {{ID}},
  uscc TEXT NOT NULL,
  name TEXT NOT NULL,
  legal_representative TEXT,
  address TEXT,
  area_id BIGINT NOT NULL REFERENCES areas (id),
  industry TEXT,
  registered_on TEXT,
  employee_count BIGINT NOT NULL DEFAULT 0,
  above_scale INTEGER NOT NULL DEFAULT 0,
  is_company INTEGER NOT NULL DEFAULT 0,
  special_difficulty INTEGER NOT NULL DEFAULT 0,
  is_sme INTEGER NOT NULL DEFAULT 0,
  is_demo INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
);
CREATE UNIQUE INDEX enterprises_uscc ON enterprises (uscc) WHERE deleted_at IS NULL;
CREATE INDEX enterprises_area ON enterprises (area_id);
CREATE INDEX enterprises_updated ON enterprises (updated_at);
CREATE INDEX enterprises_name ON enterprises (name);

CREATE TABLE workers (
  id {{ID}},
  enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
  name TEXT NOT NULL,
  id_enc TEXT NOT NULL,
  id_hash TEXT NOT NULL,
  id_masked TEXT NOT NULL,
  sex TEXT NOT NULL,
  birth_date TEXT NOT NULL,
  phone TEXT,
  hire_date TEXT NOT NULL,
  job TEXT,
  employment_type TEXT NOT NULL,
  leave_date TEXT,
  is_demo INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
);
CREATE UNIQUE INDEX workers_active_id ON workers (enterprise_id, id_hash)
  WHERE deleted_at IS NULL AND leave_date IS NULL;
CREATE INDEX workers_enterprise ON workers (enterprise_id, created_at);
CREATE INDEX workers_hash ON workers (id_hash);

CREATE TABLE agency_enterprises (
  org_id BIGINT NOT NULL,
  enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
  assigned_at TEXT NOT NULL,
  PRIMARY KEY (org_id, enterprise_id)
);
CREATE INDEX agency_enterprises_ent ON agency_enterprises (enterprise_id);

-- Import jobs: the uploaded file is kept until the job ends.
CREATE TABLE imports (
  id {{ID}},
  kind TEXT NOT NULL,
  filename TEXT NOT NULL,
  enterprise_id BIGINT,
  user_id BIGINT,
  actor_name TEXT NOT NULL,
  ip TEXT NOT NULL,
  scope TEXT NOT NULL,
  status TEXT NOT NULL,
  total_rows BIGINT NOT NULL DEFAULT 0,
  processed_rows BIGINT NOT NULL DEFAULT 0,
  imported_rows BIGINT NOT NULL DEFAULT 0,
  error_count BIGINT NOT NULL DEFAULT 0,
  errors TEXT NOT NULL DEFAULT '[]',
  message TEXT,
  data TEXT,
  created_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX imports_status ON imports (status);
