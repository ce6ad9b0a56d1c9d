-- Health-check reports generated in batch (体检报告批量生成): one job per
-- request, run by the server's worker thread like an import. scope is the
-- requester's principal as JSON (the job sees what they see); total and
-- done are the progress; data is the finished .zip, base64, kept until the
-- row is deleted.
CREATE TABLE checkup_report_batches (
  id {{ID}},
  year BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  scope TEXT NOT NULL,
  status TEXT NOT NULL,
  total BIGINT NOT NULL DEFAULT 0,
  done BIGINT NOT NULL DEFAULT 0,
  message TEXT,
  data TEXT,
  created_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX checkup_report_batches_status ON checkup_report_batches (status);
CREATE INDEX checkup_report_batches_user ON checkup_report_batches (user_id, id);
