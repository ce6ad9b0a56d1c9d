-- The worker's phone frozen with the contract when it is sent: every code
-- and message about the contract goes to the number the link was sent to,
-- never to whatever the roster (typed by the employer) says later (附件3
-- 第七、八条). Contracts already sent take the roster's phone of today.
ALTER TABLE contracts ADD COLUMN worker_phone TEXT;
UPDATE contracts SET worker_phone = (SELECT w.phone FROM workers w WHERE w.id = contracts.worker_id)
  WHERE status <> 'draft';

-- Phones on which a person (holder = the ID number's lookup hash)
-- confirmed a one-time code for their own contract: the only numbers the
-- worker portal (/my) sends its login code to. A roster row alone, typed
-- by any employer, never binds a phone.
CREATE TABLE signer_phones (
  holder TEXT NOT NULL,
  phone TEXT NOT NULL,
  contract_id BIGINT NOT NULL REFERENCES contracts (id),
  bound_at TEXT NOT NULL,
  PRIMARY KEY (holder, phone)
);

-- A portal session is for the phone its code went to: it shows the
-- person's contracts sent to that phone.
ALTER TABLE signer_sessions ADD COLUMN phone TEXT;
