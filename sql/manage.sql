--
-- manage: create(), regenerate(), enable(), disable(), and editing and
-- deleting through the view, with every way they refuse bad input.
--
\set VERBOSITY default

-- create() returns the id and the value, once
SET ROLE regress_alice;
SELECT id AS a1, token AS a1_tok FROM apitoken.create('alice-ci', description => 'CI deploys') \gset
SELECT name, description, owner, created_by, expires_at, enabled, status,
       last_access, regenerated_at, created_at <= now() AS created_now
  FROM apitoken.tokens WHERE id = :a1;
RESET ROLE;

-- the stored hash is SHA-256 of the token text, as pgcrypto computes it
SELECT hash = digest(:'a1_tok', 'sha256') AS pgcrypto_agrees,
       octet_length(hash) AS hash_bytes
  FROM apitoken.token_store WHERE id = :a1;
-- and the value itself is stored nowhere
SELECT count(*) AS rows_holding_value
  FROM apitoken.token_store t
 WHERE strpos(t::text, :'a1_tok') > 0;

-- every create() makes a different value
SELECT count(DISTINCT hash) = count(*) AS all_distinct FROM apitoken.token_store;

-- options: expiry in the future, disabled at birth, description
SET ROLE regress_alice;
SELECT id AS a2 FROM apitoken.create('alice-nightly', expires_at => now() + interval '30 days',
                                     enabled => false, description => NULL) \gset
SELECT name, description, enabled, status, expires_at > now() AS expires_later
  FROM apitoken.tokens WHERE id = :a2;

-- names: 64 characters is fine, 65 is not; blank and NULL are refused
SELECT count(*) FROM apitoken.create(repeat('n', 64));
SELECT count(*) FROM apitoken.create(repeat('n', 65));
SELECT count(*) FROM apitoken.create(repeat('é', 64));
SELECT count(*) FROM apitoken.create('   ');
SELECT count(*) FROM apitoken.create('');
SELECT count(*) FROM apitoken.create(NULL);
-- an injection-shaped name is just a name
SELECT count(*) FROM apitoken.create($$x'); DROP TABLE apitoken.token_store; --$$);
SELECT name FROM apitoken.tokens WHERE name LIKE 'x%' ORDER BY name;

-- names are unique per owner, and the error names the owner
SELECT count(*) FROM apitoken.create('alice-ci');
RESET ROLE;
SELECT count(*) FROM apitoken.create('alice-ci', owner => 'regress_bob');

-- expiry must be in the future; enabled must not be NULL
SELECT count(*) FROM apitoken.create('old', expires_at => now() - interval '1 second');
SELECT count(*) FROM apitoken.create('old', expires_at => '-infinity');
SELECT count(*) FROM apitoken.create('nulls', enabled => NULL);

-- the owner must exist
SELECT count(*) FROM apitoken.create('ghost', owner => 4000000000::oid::regrole);
SELECT count(*) FROM apitoken.create('ghost', owner => 'regress_nobody');

-- nothing was half-created by the failures above
SELECT owner, count(*) FROM apitoken.tokens GROUP BY owner ORDER BY 1;

-- created_by is current_user, not the session user
SET ROLE regress_admin;
SELECT id AS b1, token AS b1_tok FROM apitoken.create('bob-by-admin', owner => 'regress_bob') \gset
RESET ROLE;
SELECT owner, created_by, session_user AS session_user FROM apitoken.tokens WHERE id = :b1;

-- regenerate: a new value, the old one dies, regenerated_at is set
SELECT apitoken.regenerate(:a1) AS a1_new \gset
SELECT :'a1_new' <> :'a1_tok' AS new_value,
       apitoken.verify(:'a1_tok') IS NULL AS old_refused,
       apitoken.verify(:'a1_new') AS new_owner;
SELECT regenerated_at IS NOT NULL AS regenerated, hint = apitoken.hint(:'a1_new') AS hint_updated
  FROM apitoken.tokens WHERE id = :a1;
SELECT hash = digest(:'a1_new', 'sha256') AS pgcrypto_agrees FROM apitoken.token_store WHERE id = :a1;
-- regenerate of a missing token, and of NULL
SELECT apitoken.regenerate(-1);
SELECT apitoken.regenerate(NULL) IS NULL AS null_in_null_out;
-- a regenerate that rolls back leaves the old value working
BEGIN;
SELECT apitoken.regenerate(:a1) IS NOT NULL AS regenerated;
ROLLBACK;
SELECT apitoken.verify(:'a1_new') AS still_valid;

-- enable / disable: counts only rows that changed, ignores NULLs and
-- unknown ids
SELECT apitoken.disable(:a1, :a1, -5, NULL) AS disabled;
SELECT apitoken.disable(:a1) AS again;
SELECT apitoken.verify(:'a1_new') IS NULL AS refused_while_disabled;
SELECT apitoken.enable(VARIADIC ARRAY[:a1, NULL]::bigint[]) AS enabled;
SELECT apitoken.enable(VARIADIC NULL::bigint[]) AS null_array;
SELECT apitoken.enable(VARIADIC '{}'::bigint[]) AS empty_array;
SELECT apitoken.verify(:'a1_new') AS valid_again;

-- editing through the view: name, description, expires_at, enabled
UPDATE apitoken.tokens SET name = 'alice-ci-2', description = 'renamed', enabled = false,
       expires_at = now() + interval '1 day'
 WHERE id = :a1;
SELECT name, description, enabled, status FROM apitoken.tokens WHERE id = :a1;
UPDATE apitoken.tokens SET enabled = true, expires_at = NULL WHERE id = :a1;
-- a name update is checked like create()
UPDATE apitoken.tokens SET name = '  ' WHERE id = :a1;
UPDATE apitoken.tokens SET name = repeat('x', 65) WHERE id = :a1;
\set VERBOSITY terse
UPDATE apitoken.tokens SET name = 'alice-nightly' WHERE id = :a1;
\set VERBOSITY default
-- setting expires_at in the past expires a token at once
UPDATE apitoken.tokens SET expires_at = now() - interval '1 minute', enabled = true WHERE id = :a2;
SELECT status FROM apitoken.tokens WHERE id = :a2;

-- the owner cannot be changed, not even by a superuser
UPDATE apitoken.tokens SET owner = 'regress_bob' WHERE id = :a1;
UPDATE apitoken.token_store SET owner = 'regress_bob' WHERE id = :a1;
-- the generated columns are not writable either
UPDATE apitoken.tokens SET status = 'active' WHERE id = :a1;
UPDATE apitoken.tokens SET last_access = now() WHERE id = :a1;
UPDATE apitoken.tokens SET hint = 'pgat_abcd' WHERE id = :a1;
UPDATE apitoken.tokens SET created_by = 'regress_bob' WHERE id = :a1;
UPDATE apitoken.tokens SET created_at = now() WHERE id = :a1;
UPDATE apitoken.tokens SET regenerated_at = NULL WHERE id = :a1;
UPDATE apitoken.tokens SET id = 999 WHERE id = :a1;
-- nobody can plant a hash of a secret of their choosing
UPDATE apitoken.token_store SET hash = digest('my secret', 'sha256') WHERE id = :a1;
INSERT INTO apitoken.tokens (name, owner) VALUES ('planted', 'regress_alice');
SET ROLE regress_alice;
INSERT INTO apitoken.token_store (owner, name, hash, hint, created_by)
VALUES ('regress_alice', 'planted', digest('my secret', 'sha256'), 'pgat_mine', 'regress_alice');
INSERT INTO apitoken.tokens (name) VALUES ('planted');
COPY apitoken.token_store (owner, name, hash, hint, created_by) FROM stdin;
regress_alice	planted	\\x00	pgat_mine	regress_alice
\.
UPDATE apitoken.token_store SET hash = digest('my secret', 'sha256') WHERE id = :a1;
RESET ROLE;
SELECT count(*) AS planted FROM apitoken.token_store WHERE name = 'planted';
SELECT hash = digest(:'a1_new', 'sha256') AS hash_unchanged FROM apitoken.token_store WHERE id = :a1;

-- delete through the view revokes at once
SELECT id AS d1, token AS d1_tok FROM apitoken.create('to-delete') \gset
DELETE FROM apitoken.tokens WHERE id = :d1;
SELECT apitoken.verify(:'d1_tok') IS NULL AS deleted_refused;
