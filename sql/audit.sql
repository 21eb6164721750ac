--
-- audit: every change to a token is recorded in apitoken.events, in the
-- same transaction, with the role that made it, through every path; no
-- secret is ever in it; visibility follows the token rules; only a
-- superuser can change events.
--
\set VERBOSITY default
DELETE FROM apitoken.token_store;
DELETE FROM apitoken.event_store;

SET ROLE regress_alice;
SELECT id AS a1, token AS a1_tok FROM apitoken.create('audited', description => 'first') \gset
UPDATE apitoken.tokens SET description = 'second', expires_at = '2100-01-01 00:00+00' WHERE id = :a1;
SELECT apitoken.disable(:a1) AS disabled;
SELECT apitoken.enable(:a1) AS enabled;
SELECT apitoken.regenerate(:a1) AS a1_new \gset
-- an UPDATE that changes nothing visible records nothing
UPDATE apitoken.tokens SET description = 'second' WHERE id = :a1;
-- a rolled-back change leaves no event
BEGIN;
UPDATE apitoken.tokens SET name = 'never' WHERE id = :a1;
ROLLBACK;
RESET ROLE;

-- an admin acting on bob's token is the actor; bob stays the owner
SET ROLE regress_admin;
SELECT id AS b1 FROM apitoken.create('bobs', owner => 'regress_bob') \gset
UPDATE apitoken.tokens SET enabled = false, description = 'by admin' WHERE id = :b1;
RESET ROLE;
-- the superuser on the base table, and a delete through the view
UPDATE apitoken.token_store SET name = 'bobs-renamed' WHERE id = :b1;
SET ROLE regress_bob;
DELETE FROM apitoken.tokens WHERE id = :b1;
RESET ROLE;

SELECT token_name, owner, actor, action, details - 'expires_at' - 'hint' AS details
  FROM apitoken.events ORDER BY id;
SELECT details -> 'expires_at' ->> 'new' IS NOT NULL AS expiry_change_recorded
  FROM apitoken.events WHERE action = 'update' AND token_id = :a1;
SELECT (details -> 'hint' ->> 'new') = apitoken.hint(:'a1_new') AS new_hint_recorded
  FROM apitoken.events WHERE action = 'regenerate';

-- no value and no hash in any event
SELECT count(*) AS leaking_events
  FROM apitoken.events e
 WHERE strpos(e::text, :'a1_tok') > 0 OR strpos(e::text, :'a1_new') > 0
    OR strpos(e::text, encode(digest(:'a1_tok', 'sha256'), 'hex')) > 0
    OR strpos(e::text, encode(digest(:'a1_new', 'sha256'), 'hex')) > 0
    OR strpos(e::text, encode(digest(:'a1_new', 'sha256'), 'base64')) > 0;

-- who sees which events
SET ROLE regress_alice;
SELECT token_name, action FROM apitoken.events ORDER BY id;
SET ROLE regress_bob;
SELECT token_name, action, actor FROM apitoken.events ORDER BY id;
SET ROLE regress_admin;
SELECT count(*) AS admin_sees FROM apitoken.events;
SET ROLE regress_eve;
SELECT count(*) AS eve_sees FROM apitoken.events;

-- nobody but a superuser changes events
SET ROLE regress_alice;
INSERT INTO apitoken.event_store (token_id, token_name, owner, actor, action) VALUES (1, 'x', 'regress_alice', 'regress_alice', 'create');
UPDATE apitoken.event_store SET action = 'delete';
DELETE FROM apitoken.events;
SET ROLE regress_admin;
UPDATE apitoken.events SET actor = 'regress_eve';
DELETE FROM apitoken.event_store;
SELECT apitoken.record_event('regress_admin', 'DELETE', NULL, NULL, NULL);
RESET ROLE;
SELECT count(*) AS events_left FROM apitoken.events;
DELETE FROM apitoken.event_store WHERE action = 'delete';
SELECT count(*) AS superuser_may_delete FROM apitoken.events;

-- a role's own functions and operators early on search_path are not used
-- by the audit trigger, which runs as the owner of the events table
CREATE SCHEMA regress_evil AUTHORIZATION regress_alice;
SET ROLE regress_alice;
CREATE FUNCTION regress_evil.jsonb_build_object(text, text, text, jsonb) RETURNS jsonb
	LANGUAGE sql AS $$ SELECT '{"evil": true}'::jsonb $$;
CREATE FUNCTION regress_evil.arrow(jsonb, text) RETURNS jsonb
	LANGUAGE sql AS $$ SELECT '{"evil": true}'::jsonb $$;
CREATE OPERATOR regress_evil.-> (FUNCTION = regress_evil.arrow, LEFTARG = jsonb, RIGHTARG = text);
-- a new session, so that the audit code is planned for the first time
-- while the hostile search_path is in force
\c -
SET ROLE regress_alice;
SET search_path = regress_evil, pg_catalog;
UPDATE apitoken.tokens SET description = 'third' WHERE id = :a1;
RESET search_path;
RESET ROLE;
SELECT action, details FROM apitoken.events ORDER BY id DESC LIMIT 1;
DROP SCHEMA regress_evil CASCADE;

-- the audit trigger pins search_path for record_event() only: an error
-- raised inside leaves the caller's path and role as they were (the
-- subtransaction's abort restores them)
BEGIN;
CREATE OR REPLACE FUNCTION apitoken.record_event(actor regrole, op text,
		old_row apitoken.token_store, new_row apitoken.token_store, reason text) RETURNS void
	LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'inside: search_path %, as the caller: %',
		pg_catalog.current_setting('search_path'), current_user = 'regress_alice';
END $$;
SELECT set_config('regress.a1', :'a1', true) IS NOT NULL AS noted;
SET LOCAL search_path = public, pg_catalog;
SET LOCAL ROLE regress_alice;
DO $$
BEGIN
	UPDATE apitoken.tokens SET description = 'fails'
	 WHERE id = current_setting('regress.a1')::bigint;
EXCEPTION WHEN raise_exception THEN
	RAISE NOTICE '%; after: search_path %, as the caller: %', SQLERRM,
		current_setting('search_path'), current_user = 'regress_alice';
END $$;
ROLLBACK;
SELECT description FROM apitoken.tokens WHERE id = :a1;
