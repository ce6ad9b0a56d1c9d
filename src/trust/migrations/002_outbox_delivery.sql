-- The outbox becomes a transactional outbox: a message is written in the
-- transaction of the operation that makes it, then delivered by a background
-- worker (src/trust/channels.c) outside any transaction.
--   status: 'kept'   stays in the outbox for administrators (no channel set)
--           'queued' waits for delivery (next_try_at: unix seconds when due)
--           'sent'   delivered at sent_at
--           'failed' given up after the last attempt (error says why)
-- error never holds the text (it may hold a one-time code).
ALTER TABLE outbox ADD COLUMN status TEXT NOT NULL DEFAULT 'kept';
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_try_at BIGINT;
ALTER TABLE outbox ADD COLUMN sent_at TEXT;
ALTER TABLE outbox ADD COLUMN error TEXT;
ALTER TABLE outbox ADD COLUMN subject TEXT;
CREATE INDEX outbox_due ON outbox (status, next_try_at);
