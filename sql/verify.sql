--
-- verify: valid, disabled, expired, deleted, regenerated and orphaned
-- tokens; malformed input never raises; last_access is recorded as the
-- GUC says; works for anyone holding the value and in read-only
-- transactions.
--
\set VERBOSITY default
DELETE FROM apitoken.token_store;

SELECT id AS v1, token AS v1_tok FROM apitoken.create('v1', owner => 'regress_alice') \gset
SELECT apitoken.verify(:'v1_tok') AS owner_text,
       apitoken.verify(:'v1_tok'::apitoken.token) AS owner_typed;
SELECT token_id = :v1 AS same_id, owner, status FROM apitoken.check(:'v1_tok');

-- holding the value is the credential: anyone may verify, members or not
SET ROLE regress_eve;
SELECT apitoken.verify(:'v1_tok') AS as_eve;
SELECT status, owner IS NOT NULL AS has_owner FROM apitoken.check(:'v1_tok');
RESET ROLE;

-- malformed or unknown input: NULL, never an error
SELECT apitoken.verify('') IS NULL AS empty,
       apitoken.verify(NULL::text) IS NULL AS null_text,
       apitoken.verify(NULL::apitoken.token) IS NULL AS null_token,
       apitoken.verify(repeat('x', 1000000)) IS NULL AS one_mb,
       apitoken.verify('pgat_' || repeat('0', 49)) IS NULL AS bad_checksum,
       apitoken.verify(left(:'v1_tok', -1)) IS NULL AS truncated,
       apitoken.verify(:'v1_tok' || ' ') IS NULL AS trailing_space,
       apitoken.verify(upper(:'v1_tok')) IS NULL AS case_changed,
       apitoken.verify(E'\u00e9') IS NULL AS non_ascii;
SELECT * FROM apitoken.check('');
SELECT * FROM apitoken.check(NULL);
SELECT * FROM apitoken.check('pgat_' || repeat('0', 49));

-- an unknown but well-formed token: regenerate v1 and check the old one
SELECT apitoken.regenerate(:v1) AS v1_new \gset
SELECT * FROM apitoken.check(:'v1_tok');
SELECT apitoken.verify(:'v1_tok') IS NULL AS old_refused, apitoken.verify(:'v1_new') AS new_ok;

-- disabled, expired
SELECT apitoken.disable(:v1) AS disabled;
SELECT status FROM apitoken.check(:'v1_new');
SELECT apitoken.verify(:'v1_new') IS NULL AS refused;
SELECT apitoken.enable(:v1) AS enabled;
UPDATE apitoken.tokens SET expires_at = now() - interval '1 second' WHERE id = :v1;
SELECT status FROM apitoken.check(:'v1_new');
SELECT apitoken.verify(:'v1_new') IS NULL AS refused;
-- a token disabled and expired reports disabled
SELECT apitoken.disable(:v1) AS disabled;
SELECT status FROM apitoken.check(:'v1_new');
UPDATE apitoken.tokens SET expires_at = now() + interval '1 hour', enabled = true WHERE id = :v1;
SELECT apitoken.verify(:'v1_new') AS valid_again;

-- a token that expires a moment from now stops verifying by itself.  The
-- moment is 4 s away, so that a slow machine (or valgrind) still verifies
-- before it; the sleep lasts only until it has passed.
SELECT clock_timestamp() + interval '4 seconds' AS soon_at \gset
SELECT id AS soon, token AS soon_tok
  FROM apitoken.create('soon', owner => 'regress_alice', expires_at => :'soon_at') \gset
SELECT apitoken.verify(:'soon_tok') AS before_expiry;
SELECT pg_sleep(extract(epoch FROM :'soon_at'::timestamptz - clock_timestamp()) + 0.1);
SELECT apitoken.verify(:'soon_tok') IS NULL AS after_expiry;
SELECT status FROM apitoken.tokens WHERE id = :soon;

-- orphaned: the owner role is dropped
CREATE ROLE regress_temp IN ROLE apitoken_user;
SELECT id AS o1, token AS o1_tok FROM apitoken.create('orphan', owner => 'regress_temp') \gset
SELECT apitoken.verify(:'o1_tok') AS before_drop;
DROP ROLE regress_temp;
SELECT apitoken.verify(:'o1_tok') IS NULL AS after_drop;
SELECT token_id = :o1 AS same_id, status FROM apitoken.check(:'o1_tok');

-- deleted
DELETE FROM apitoken.tokens WHERE id = :o1;
SELECT status FROM apitoken.check(:'o1_tok');

-- read-only transactions: verify works and does not fail
SET apitoken.last_access_interval = 0;
BEGIN READ ONLY;
SELECT apitoken.verify(:'v1_new') AS in_read_only;
COMMIT;
SET default_transaction_read_only = on;
SELECT apitoken.verify(:'v1_new') AS default_read_only;
RESET default_transaction_read_only;

-- last_access: recorded on verify (interval 0 = every call), even when
-- the verifying transaction rolls back, but never by check()
SELECT id AS la, token AS la_tok FROM apitoken.create('last-access', owner => 'regress_bob') \gset
SELECT last_access IS NULL AS never_used FROM apitoken.tokens WHERE id = :la;
SELECT * FROM apitoken.check(:'la_tok') WHERE false;
SELECT last_access IS NULL AS check_does_not_record FROM apitoken.tokens WHERE id = :la;
BEGIN;
SELECT apitoken.verify(:'la_tok') AS verified;
ROLLBACK;
SELECT last_access IS NOT NULL AS recorded, last_access <= clock_timestamp() AS sane
  FROM apitoken.tokens WHERE id = :la;
SELECT last_access AS la_first FROM apitoken.token_store WHERE id = :la \gset
SELECT apitoken.verify(:'la_tok') AS verified;
SELECT last_access > :'la_first' AS advanced FROM apitoken.token_store WHERE id = :la;
-- throttled: with a one-hour interval the second call writes nothing
SET apitoken.last_access_interval = '1h';
SELECT last_access AS la_second FROM apitoken.token_store WHERE id = :la \gset
SELECT apitoken.verify(:'la_tok') AS verified;
SELECT last_access = :'la_second' AS unchanged FROM apitoken.token_store WHERE id = :la;
-- off
SET apitoken.last_access_interval = -1;
UPDATE apitoken.token_store SET description = 'x' WHERE id = :la;
SELECT apitoken.verify(:'la_tok') AS verified;
SELECT last_access = :'la_second' AS unchanged FROM apitoken.token_store WHERE id = :la;
-- the in-place write makes no new row version (no bloat)
SET apitoken.last_access_interval = 0;
SELECT ctid AS la_ctid FROM apitoken.token_store WHERE id = :la \gset
SELECT apitoken.verify(:'la_tok') AS verified;
SELECT ctid = :'la_ctid' AS same_row_version FROM apitoken.token_store WHERE id = :la;
-- the same with each recording WAL-logged (last_access_wal): a write-ahead
-- log record, still no new row version
SET apitoken.last_access_wal = on;
SELECT last_access AS la_third FROM apitoken.token_store WHERE id = :la \gset
SELECT pg_current_wal_insert_lsn() AS lsn_before \gset
SELECT apitoken.verify(:'la_tok') AS verified;
SELECT last_access > :'la_third' AS advanced, ctid = :'la_ctid' AS same_row_version,
       pg_current_wal_insert_lsn() > :'lsn_before' AS wal_written
  FROM apitoken.token_store WHERE id = :la;
RESET apitoken.last_access_wal;
RESET apitoken.last_access_interval;

-- the GUCs: validated, and only superusers may change them
SET apitoken.prefix = 'bad-prefix';
SET apitoken.prefix = '';
SET apitoken.prefix = 'acme_';
SELECT left(token::text, 5) AS prefix, apitoken.verify(token) AS owner
  FROM apitoken.create('acme', owner => 'regress_alice');
RESET apitoken.prefix;
SET ROLE regress_alice;
SET apitoken.prefix = 'mine_';
SET apitoken.last_access_interval = 0;
SET apitoken.last_access_wal = on;
RESET ROLE;
SHOW apitoken.prefix;
SHOW apitoken.last_access_interval;
SHOW apitoken.last_access_wal;

-- in a query with a parallel plan: PostgreSQL takes no new snapshot during
-- a parallel operation, so verify() and check() use the statement's, and
-- answer as anywhere else (they raised before)
CREATE TABLE par_tok (token text);
INSERT INTO par_tok SELECT token FROM apitoken.create('par-1', owner => 'regress_alice');
INSERT INTO par_tok SELECT 'not a token ' || g FROM generate_series(1, 200) g;
INSERT INTO par_tok SELECT token FROM par_tok LIMIT 1;
ANALYZE par_tok;
CREATE FUNCTION pg_temp.plan_has_gather(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	l text;
BEGIN
	FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		IF l ~ 'Gather' THEN
			RETURN true;
		END IF;
	END LOOP;
	RETURN false;
END $$;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT pg_temp.plan_has_gather(
	'SELECT count(*) FILTER (WHERE apitoken.verify(token) IS NOT NULL) FROM par_tok') AS parallel_plan;
SELECT count(*) FILTER (WHERE apitoken.verify(token) = 'regress_alice'::regrole) AS verified,
       count(*) FILTER (WHERE apitoken.verify(token) IS NULL) AS refused
  FROM par_tok;
SELECT pg_temp.plan_has_gather(
	'SELECT c.status, count(*) FROM par_tok, apitoken.check(token) c GROUP BY 1') AS parallel_plan;
SELECT c.status, count(*) FROM par_tok, apitoken.check(token) c GROUP BY 1 ORDER BY 1;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE par_tok;
