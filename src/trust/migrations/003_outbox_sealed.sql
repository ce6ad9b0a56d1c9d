-- Outbox texts (one-time codes, signing links) are stored sealed
-- (AES-256-GCM with the personal-data key, bound to the recipient; see
-- src/trust/channels.c). sealed = 1 for every row written from now on.
-- Rows from before this migration keep sealed = 0 until `hexie serve`
-- seals them at start-up (hx_messages_seal_existing): SQL cannot encrypt.
ALTER TABLE outbox ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
