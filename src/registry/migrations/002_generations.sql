-- Change counters of the registry's big tables (1: enterprises and areas,
-- 2: workers). A list can reuse a total it counted before while the counter
-- has not moved; the counter lives in the store, so every process sees
-- every change.
CREATE TABLE registry_generations (
  id INTEGER PRIMARY KEY,
  n BIGINT NOT NULL
);
INSERT INTO registry_generations (id, n) VALUES (1, 0);
INSERT INTO registry_generations (id, n) VALUES (2, 0);
-- @sqlite
CREATE TRIGGER enterprises_gen_ins AFTER INSERT ON enterprises
BEGIN UPDATE registry_generations SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER enterprises_gen_upd AFTER UPDATE ON enterprises
BEGIN UPDATE registry_generations SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER enterprises_gen_del AFTER DELETE ON enterprises
BEGIN UPDATE registry_generations SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER areas_gen_ins AFTER INSERT ON areas
BEGIN UPDATE registry_generations SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER areas_gen_upd AFTER UPDATE ON areas
BEGIN UPDATE registry_generations SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER areas_gen_del AFTER DELETE ON areas
BEGIN UPDATE registry_generations SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER workers_gen_ins AFTER INSERT ON workers
BEGIN UPDATE registry_generations SET n = n + 1 WHERE id = 2; END;
CREATE TRIGGER workers_gen_upd AFTER UPDATE ON workers
BEGIN UPDATE registry_generations SET n = n + 1 WHERE id = 2; END;
CREATE TRIGGER workers_gen_del AFTER DELETE ON workers
BEGIN UPDATE registry_generations SET n = n + 1 WHERE id = 2; END;
-- @pg
CREATE OR REPLACE FUNCTION registry_bump_1() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE registry_generations SET n = n + 1 WHERE id = 1; RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION registry_bump_2() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE registry_generations SET n = n + 1 WHERE id = 2; RETURN NULL; END $$;
CREATE TRIGGER enterprises_gen AFTER INSERT OR UPDATE OR DELETE ON enterprises
FOR EACH STATEMENT EXECUTE FUNCTION registry_bump_1();
CREATE TRIGGER areas_gen AFTER INSERT OR UPDATE OR DELETE ON areas
FOR EACH STATEMENT EXECUTE FUNCTION registry_bump_1();
CREATE TRIGGER workers_gen AFTER INSERT OR UPDATE OR DELETE ON workers
FOR EACH STATEMENT EXECUTE FUNCTION registry_bump_2();
