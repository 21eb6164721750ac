--
-- refused: a use of a valid secret that is refused (disabled, expired,
-- scope or address denied, over the lifetime policy) is recorded in place
-- in last_refused_at / _from / _reason, throttled by
-- apitoken.last_access_interval, not in read-only transactions, not by
-- check(); search() finds such tokens; and the lifetime policy for
-- existing tokens (apitoken.max_lifetime_applies_to_existing).
--
\set VERBOSITY default
DELETE FROM apitoken.token_store;
SET apitoken.last_access_interval = 0;
SET ROLE regress_alice;
SELECT id AS dis, token AS dis_tok FROM apitoken.create('rf-disabled') \gset
SELECT id AS exp, token AS exp_tok FROM apitoken.create('rf-expired') \gset
SELECT id AS sc, token AS sc_tok FROM apitoken.create('rf-scoped', scopes => '{read}') \gset
SELECT id AS net, token AS net_tok FROM apitoken.create('rf-net', allowed_from => '{192.0.2.0/24}') \gset
SELECT id AS ok, token AS ok_tok FROM apitoken.create('rf-fine') \gset
SELECT apitoken.disable(:dis) AS disabled;
UPDATE apitoken.tokens SET expires_at = now() - interval '1 second' WHERE id = :exp;
-- nothing refused yet
SELECT name, last_refused_at, last_refused_from, last_refused_reason
  FROM apitoken.tokens ORDER BY id;

-- check() explains and records nothing
SELECT status FROM apitoken.check(:'dis_tok', NULL, '10.0.0.1');
SELECT count(*) AS recorded FROM apitoken.tokens WHERE last_refused_at IS NOT NULL;

-- a read-only transaction records no refusal (the use is still refused);
-- last access is still recorded there, as before 1.2
BEGIN READ ONLY;
SELECT apitoken.verify(:'dis_tok', NULL, '10.0.0.1') IS NULL AS refused_read_only,
       apitoken.verify(:'ok_tok', NULL, '10.0.0.1') = 'regress_alice'::regrole AS valid_read_only;
COMMIT;
SELECT count(*) AS recorded FROM apitoken.tokens WHERE last_refused_at IS NOT NULL;
SELECT last_access_from FROM apitoken.tokens WHERE id = :ok;

-- each refusal, as any role (verify() is for everyone), from an address
RESET ROLE;
SELECT now() AS before_refusals \gset
SET ROLE regress_eve;
SELECT apitoken.verify(:'dis_tok', NULL, '10.0.0.1') IS NULL AS disabled_refused,
       apitoken.verify(:'exp_tok', NULL, '10.0.0.2') IS NULL AS expired_refused,
       apitoken.verify(:'sc_tok', 'write', '2001:db8::3') IS NULL AS scope_refused,
       apitoken.verify(:'net_tok', NULL, '10.0.0.4') IS NULL AS address_refused,
       apitoken.verify(:'ok_tok', NULL, '10.0.0.5') = 'regress_alice'::regrole AS fine;
-- unknown and malformed values belong to no token: nothing to record
SELECT apitoken.verify('pgat_junk') IS NULL AS malformed;
-- the refused-use columns are not for eve to read
\set VERBOSITY sqlstate
SELECT last_refused_at FROM apitoken.token_store;
\set VERBOSITY default
SET ROLE regress_alice;
SELECT name, last_refused_at >= :'before_refusals' AS refused_now,
       last_refused_from, last_refused_reason, last_access IS NOT NULL AS used
  FROM apitoken.tokens ORDER BY id;
-- the raw columns hold the same
SELECT name, last_refused_reason, apitoken.refusal_reason(last_refused_reason)
  FROM apitoken.token_store ORDER BY id;
-- require_token() (same path as verify()) records the refusal even though
-- the insert it refuses is rolled back
RESET ROLE;
CREATE TABLE rf_orders (token text, owner regrole);
CREATE TRIGGER rf_orders_token BEFORE INSERT ON rf_orders
	FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('token', 'owner', 'read');
GRANT INSERT ON rf_orders TO regress_eve;
SET ROLE regress_eve;
INSERT INTO rf_orders (token) VALUES (:'dis_tok');
RESET ROLE;
SELECT last_refused_reason, last_refused_from FROM apitoken.tokens WHERE id = :dis;
DROP TABLE rf_orders;

-- an UPDATE (as the owner) keeps the recorded refusal: the guard carries
-- it forward like last access
SET ROLE regress_alice;
SELECT last_refused_at AS dis_refused_at FROM apitoken.tokens WHERE id = :dis \gset
UPDATE apitoken.tokens SET description = 'edited' WHERE id = :dis;
SELECT apitoken.regenerate(:sc) IS NOT NULL AS regenerated;
SELECT last_refused_at = :'dis_refused_at' AS kept, last_refused_reason
  FROM apitoken.tokens WHERE id = :dis;
SELECT last_refused_reason AS kept_after_regenerate FROM apitoken.tokens WHERE id = :sc;
RESET ROLE;
-- a superuser's direct UPDATE of the columns is overridden the same way
UPDATE apitoken.token_store SET last_refused_reason = 0,
	last_refused_at = '-infinity' WHERE id = :dis;
SELECT last_refused_at = :'dis_refused_at' AS kept, last_refused_reason
  FROM apitoken.tokens WHERE id = :dis;

-- throttling: within the interval a second refusal moves nothing
SET apitoken.last_access_interval = 3600;
SELECT apitoken.verify(:'dis_tok', NULL, '10.9.9.9') IS NULL AS refused_again;
SELECT last_refused_at = :'dis_refused_at' AS unchanged, last_refused_from
  FROM apitoken.tokens WHERE id = :dis;
-- -1 turns recording off altogether
SELECT last_refused_at AS net_refused_at FROM apitoken.tokens WHERE id = :net \gset
SET apitoken.last_access_interval = -1;
SELECT apitoken.verify(:'net_tok', NULL, '10.0.0.6') IS NULL AS address_refused;
SELECT last_refused_at = :'net_refused_at' AS unchanged, last_refused_from
  FROM apitoken.tokens WHERE id = :net;
SET apitoken.last_access_interval = 0;

-- search(refused_since => ...): the tokens refused since then
SET ROLE regress_alice;
SELECT name, last_refused_reason FROM apitoken.search(refused_since => :'before_refusals');
SELECT count(*) AS none_in_future FROM apitoken.search(refused_since => now() + interval '1 day');
SET ROLE regress_bob;
SELECT count(*) AS bob_sees_none FROM apitoken.search(refused_since => '-infinity');
SET ROLE regress_eve;
SELECT count(*) FROM apitoken.search(refused_since => '-infinity');
RESET ROLE;

--
-- the lifetime policy for existing tokens
--
DELETE FROM apitoken.token_store;
SET ROLE regress_alice;
SELECT id AS old, token AS old_tok FROM apitoken.create('lt-old') \gset
SELECT id AS regen, token AS regen_tok FROM apitoken.create('lt-regenerated') \gset
SELECT id AS new, token AS new_tok FROM apitoken.create('lt-new') \gset
RESET ROLE;
-- simulate tokens issued long ago: created_at is the guard's to keep, so
-- the test bypasses the guard and the audit trigger as a superuser, the
-- way replication applies a row (session_replication_role = replica)
SET session_replication_role = replica;
UPDATE apitoken.token_store SET created_at = now() - interval '100 days' WHERE id IN (:old, :regen);
RESET session_replication_role;
SET ROLE regress_alice;
SELECT apitoken.regenerate(:regen) AS regen_tok \gset
RESET ROLE;

-- off by default, and a superuser's setting
SHOW apitoken.max_lifetime_applies_to_existing;
\set VERBOSITY sqlstate
SET ROLE regress_admin;
SET apitoken.max_lifetime_applies_to_existing = on;
SET ROLE regress_alice;
SET apitoken.max_lifetime_applies_to_existing = on;
RESET ROLE;
\set VERBOSITY default

-- before turning it on: which tokens would a 30-day policy refuse?
SET ROLE regress_admin;
SELECT name FROM apitoken.search(over_max_lifetime => true);
RESET ROLE;
SET apitoken.max_lifetime = '30d';
SET ROLE regress_admin;
SELECT name FROM apitoken.search(over_max_lifetime => true);
SELECT name FROM apitoken.search(over_max_lifetime => false);
SET ROLE regress_alice;
SELECT name FROM apitoken.search(over_max_lifetime => true);
SET ROLE regress_bob;
SELECT name FROM apitoken.search(over_max_lifetime => true);
RESET ROLE;
-- max_lifetime alone does not refuse existing tokens
SELECT apitoken.verify(:'old_tok') AS old_still_verifies;

-- on: the token whose value is older than max_lifetime no longer verifies
SET apitoken.max_lifetime_applies_to_existing = on;
SET ROLE regress_eve;
SELECT apitoken.verify(:'old_tok') IS NULL AS old_refused,
       apitoken.verify(:'regen_tok') AS regenerated_verifies,
       apitoken.verify(:'new_tok') AS new_verifies;
SELECT status FROM apitoken.check(:'old_tok');
SELECT status FROM apitoken.check(:'old_tok', 'x', '10.0.0.1');
RESET ROLE;
SELECT name, last_refused_reason FROM apitoken.tokens WHERE last_refused_at IS NOT NULL;
-- a disabled or expired token says so first
UPDATE apitoken.tokens SET enabled = false WHERE id = :old;
SELECT status FROM apitoken.check(:'old_tok');
-- without a max_lifetime the setting does nothing
SET apitoken.max_lifetime = 0;
UPDATE apitoken.tokens SET enabled = true WHERE id = :old;
SELECT status FROM apitoken.check(:'old_tok');
RESET apitoken.max_lifetime_applies_to_existing;
RESET apitoken.max_lifetime;
RESET apitoken.last_access_interval;
DELETE FROM apitoken.token_store;
