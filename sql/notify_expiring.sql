--
-- notify_expiring: expiry notices.  Each enabled token of an existing
-- owner that expires within the window is announced once per window and
-- expiry; admins only; the bookkeeping is written by the extension alone.
-- psql prints every notification with the sending backend's PID, which
-- changes from run to run, so this file does not LISTEN: it checks what
-- the function returns and what it remembers.  The payloads, and two runs
-- at once, are shown by test/isolation/specs/expiry_notices.spec; a
-- pg_cron job and a psycopg listener by test/t/006_expiry_notices.pl.
--
\set VERBOSITY default
DELETE FROM apitoken.token_store;
DELETE FROM apitoken.expiry_notice_store;
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_gone;
RESET client_min_messages;
CREATE ROLE regress_gone;

SET ROLE regress_alice;
SELECT id AS soon FROM apitoken.create('soon', expires_at => now() + interval '2 days') \gset
SELECT id AS later FROM apitoken.create('later', expires_at => now() + interval '20 days') \gset
SELECT id AS never FROM apitoken.create('never') \gset
SELECT id AS off FROM apitoken.create('off', expires_at => now() + interval '1 day', enabled => false) \gset
SET ROLE regress_admin;
SELECT id AS bobs FROM apitoken.create('bobs', owner => 'regress_bob', expires_at => now() + interval '6 days') \gset
SELECT id AS past FROM apitoken.create('past', owner => 'regress_bob') \gset
RESET ROLE;
UPDATE apitoken.tokens SET expires_at = now() - interval '1 hour' WHERE id = :past;
SELECT id AS orphan FROM apitoken.create('orphan', owner => 'regress_gone', expires_at => now() + interval '1 day') \gset
DROP ROLE regress_gone;

-- what is remembered: token, window, whether the expiry is the token's
CREATE FUNCTION pg_temp.notices() RETURNS TABLE (name text, within interval, current boolean)
	LANGUAGE sql AS $$
	SELECT t.name, n.within, n.expires_at = t.expires_at
	  FROM apitoken.expiry_notice_store n LEFT JOIN apitoken.token_store t ON t.id = n.token_id
	 ORDER BY n.within, t.name $$;

-- the default window is 7 days: soon and bobs; not later (20 days), never
-- (no expiry), off (disabled), past (expired), orphan (owner dropped)
SET ROLE regress_admin;
SELECT apitoken.notify_expiring() AS announced;
-- once: an hourly run announces nothing new
SELECT apitoken.notify_expiring() AS announced_again;
SELECT apitoken.notify_expiring('7 days') AS announced_7_days;
RESET ROLE;
SELECT * FROM pg_temp.notices();

-- another window is announced once of its own; windows that compare
-- equal ('30 days', '720 hours') are the same window
SET ROLE regress_admin;
SELECT apitoken.notify_expiring('30 days') AS announced_30_days;
SELECT apitoken.notify_expiring('30 days') AS announced_30_days_again;
SELECT apitoken.notify_expiring('720 hours') AS announced_720_hours;
-- a smaller window: its tokens were announced for 7 days, not for it
SELECT apitoken.notify_expiring('3 days') AS announced_3_days;
RESET ROLE;
SELECT * FROM pg_temp.notices();

-- a changed expiry is announced again, in every window it falls in
SET ROLE regress_alice;
UPDATE apitoken.tokens SET expires_at = now() + interval '4 days' WHERE id = :soon;
SET ROLE regress_admin;
SELECT apitoken.notify_expiring() AS announced_after_change;
SELECT apitoken.notify_expiring() AS announced_after_change_again;
SELECT apitoken.notify_expiring('3 days') AS announced_3_days;
SELECT apitoken.notify_expiring('30 days') AS announced_30_days;
-- an expiry moved out of the window: forgotten, nothing announced
UPDATE apitoken.tokens SET expires_at = now() + interval '60 days' WHERE id = :bobs;
SELECT apitoken.notify_expiring() AS announced_moved_out;
-- never expiring any more: forgotten
UPDATE apitoken.tokens SET expires_at = NULL WHERE id = :later;
SELECT apitoken.notify_expiring() AS announced_no_expiry;
RESET ROLE;
SELECT * FROM pg_temp.notices();

-- a disabled token is skipped; enabled, it is announced
SET ROLE regress_admin;
SELECT apitoken.enable(:off) AS enabled;
SELECT apitoken.notify_expiring() AS announced_enabled;
-- disabling and enabling again with the same expiry announces nothing new
SELECT apitoken.disable(:off) AS disabled;
SELECT apitoken.enable(:off) AS enabled;
SELECT apitoken.notify_expiring() AS announced_reenabled;
-- a deleted token's notices are forgotten by the next run
DELETE FROM apitoken.tokens WHERE id = :soon;
SELECT apitoken.notify_expiring() AS announced_after_delete;
RESET ROLE;
SELECT * FROM pg_temp.notices();
SELECT count(*) AS rows_of_deleted FROM apitoken.expiry_notice_store WHERE token_id = :soon;

-- a superuser may run it too
SELECT apitoken.notify_expiring('1 year') AS announced_by_superuser;

-- the window must be a positive interval
SET ROLE regress_admin;
SELECT apitoken.notify_expiring(NULL);
SELECT apitoken.notify_expiring('0');
SELECT apitoken.notify_expiring('-1 day');
SELECT apitoken.notify_expiring('1 month -40 days');

-- admins only: a member of apitoken_user and a role with no apitoken role
-- are refused with the hint, and nothing is announced or remembered
UPDATE apitoken.tokens SET expires_at = now() + interval '5 days' WHERE id = :bobs;
SET ROLE regress_alice;
SELECT apitoken.notify_expiring();
SET ROLE regress_eve;
SELECT apitoken.notify_expiring();
RESET ROLE;
SELECT count(*) AS bobs_announced FROM apitoken.expiry_notice_store
 WHERE token_id = :bobs AND within = '7 days';

-- the SQLSTATE of every refusal: only the extension writes the notices
-- table, nobody calls its worker function, members and others cannot read
-- the table
CREATE FUNCTION pg_temp.code(as_role text, stmt text) RETURNS text
	LANGUAGE plpgsql AS $$
DECLARE
	c text := '00000';
BEGIN
	EXECUTE format('SET ROLE %I', as_role);
	BEGIN
		EXECUTE stmt;
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS c = RETURNED_SQLSTATE;
	END;
	RESET ROLE;
	RETURN c;
END $$;
SELECT case_name, pg_temp.code(r, s) AS code
  FROM (VALUES
	('user runs it',            'regress_alice', 'SELECT apitoken.notify_expiring()'),
	('non-member runs it',      'regress_eve',   'SELECT apitoken.notify_expiring()'),
	('NULL window',             'regress_admin', 'SELECT apitoken.notify_expiring(NULL)'),
	('negative window',         'regress_admin', $q$SELECT apitoken.notify_expiring('-1 day')$q$),
	('admin runs the worker',   'regress_admin', $q$SELECT apitoken.send_expiry_notices('7 days')$q$),
	('user runs the worker',    'regress_alice', $q$SELECT apitoken.send_expiry_notices('7 days')$q$),
	('admin inserts a notice',  'regress_admin', format($f$INSERT INTO apitoken.expiry_notice_store (token_id, within, expires_at) VALUES (%s, '7 days', now() + interval '5 days')$f$, :bobs)),
	('admin forgets notices',   'regress_admin', 'DELETE FROM apitoken.expiry_notice_store'),
	('admin edits a notice',    'regress_admin', $q$UPDATE apitoken.expiry_notice_store SET notified_at = now()$q$),
	('admin truncates',         'regress_admin', 'TRUNCATE apitoken.expiry_notice_store'),
	('admin locks exclusively', 'regress_admin', 'LOCK TABLE apitoken.expiry_notice_store IN EXCLUSIVE MODE'),
	('admin reads',             'regress_admin', 'SELECT * FROM apitoken.expiry_notice_store'),
	('user reads',              'regress_alice', 'SELECT * FROM apitoken.expiry_notice_store'),
	('non-member reads',        'regress_eve',   'SELECT * FROM apitoken.expiry_notice_store')
  ) AS c (case_name, r, s);
-- an admin reads every notice
SET ROLE regress_admin;
SELECT count(*) AS admin_sees FROM apitoken.expiry_notice_store;
RESET ROLE;

-- the caller's search path does not reach the worker: a now() that
-- would put every token in the window is not used
CREATE SCHEMA regress_expiry_evil AUTHORIZATION regress_admin;
SET ROLE regress_admin;
CREATE FUNCTION regress_expiry_evil.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT 'infinity'::timestamptz $$;
CREATE FUNCTION regress_expiry_evil.pg_notify(text, text) RETURNS void LANGUAGE sql AS $$ SELECT $$;
SET search_path = regress_expiry_evil, pg_catalog;
SELECT apitoken.notify_expiring() AS announced_evil_path;
RESET search_path;
RESET ROLE;
DROP SCHEMA regress_expiry_evil CASCADE;

-- the table is part of pg_dump output, forced under row-level security
SELECT extconfig::regclass[] @> '{apitoken.expiry_notice_store}' AS dumped
  FROM pg_extension WHERE extname = 'apitoken';
SELECT relrowsecurity, relforcerowsecurity
  FROM pg_class WHERE oid = 'apitoken.expiry_notice_store'::regclass;

DELETE FROM apitoken.token_store;
DELETE FROM apitoken.expiry_notice_store;
