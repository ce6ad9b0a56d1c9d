-- Messages to an organization's users, an enterprise's users, or a user.
CREATE TABLE notifications (
  id {{ID}},
  org_id BIGINT,
  enterprise_id BIGINT,
  user_id BIGINT,
  text TEXT NOT NULL,
  link TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX notifications_org ON notifications (org_id);
CREATE INDEX notifications_enterprise ON notifications (enterprise_id);
CREATE INDEX notifications_user ON notifications (user_id);
