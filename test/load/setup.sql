-- test/load/setup.sql: the database the pgbench load runs against (run by
-- test/load/run.sh as the bootstrap superuser, in a fresh database).
--
-- load_tok holds every live token the load made, with its current value;
-- load_old receives, from a trigger, every value a regenerate or a delete
-- took out of load_tok.  Both are written only in the same transaction as
-- the change to apitoken.token_store, so they must agree with it.
-- load_wrong receives every verify() answer verify_judged.sql found wrong.
CREATE EXTENSION apitoken;
CREATE ROLE load_admin LOGIN IN ROLE apitoken_admin;
-- every verify() records last access, so that UPDATEs race it all the
-- time (attack review, item 2: none of them may fail for it); the load
-- owns more tokens than the default quota allows
DO $$
BEGIN
	EXECUTE format('ALTER DATABASE %I SET apitoken.last_access_interval = 0', current_database());
	EXECUTE format('ALTER DATABASE %I SET apitoken.max_tokens_per_owner = 0', current_database());
END
$$;
SET apitoken.max_tokens_per_owner = 0;

CREATE SEQUENCE load_seq;
CREATE TABLE load_tok (id bigint PRIMARY KEY, token text NOT NULL);
CREATE TABLE load_old (id bigint NOT NULL, token text NOT NULL,
					   why text NOT NULL CHECK (why IN ('regenerate', 'delete')),
					   n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
CREATE TABLE load_wrong (kind text NOT NULL, id bigint NOT NULL,
						 expected boolean NOT NULL, accepted boolean NOT NULL);

CREATE FUNCTION load_keep_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		INSERT INTO load_old (id, token, why) VALUES (OLD.id, OLD.token, 'delete');
		RETURN OLD;
	END IF;
	IF NEW.token IS DISTINCT FROM OLD.token THEN
		INSERT INTO load_old (id, token, why) VALUES (OLD.id, OLD.token, 'regenerate');
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER load_keep_old BEFORE UPDATE OR DELETE ON load_tok
	FOR EACH ROW EXECUTE FUNCTION load_keep_old();

-- a pseudo-random live token id: the first one at or above the fraction
-- r / 1000000 of the id range (r comes from pgbench's random())
CREATE FUNCTION load_pick(r bigint) RETURNS bigint LANGUAGE sql STABLE
	RETURN (SELECT id FROM load_tok
			 WHERE id >= (SELECT max(id) FROM load_tok) * r / 1000000
			 ORDER BY id LIMIT 1);

-- the same for a replaced value
CREATE FUNCTION load_pick_old(r bigint) RETURNS bigint LANGUAGE sql STABLE
	RETURN (SELECT n FROM load_old
			 WHERE n >= (SELECT max(n) FROM load_old) * r / 1000000
			 ORDER BY n LIMIT 1);

GRANT SELECT, INSERT, UPDATE, DELETE ON load_tok TO load_admin;
GRANT SELECT, INSERT ON load_old TO load_admin;
GRANT INSERT ON load_wrong TO load_admin;
GRANT USAGE ON SEQUENCE load_seq TO load_admin;

-- the working set the load starts from
SET ROLE load_admin;
INSERT INTO load_tok
SELECT t.id, t.token FROM generate_series(1, 2000) g, apitoken.create('set-' || g) t;
RESET ROLE;
ANALYZE load_tok, apitoken.token_store;
