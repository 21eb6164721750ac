--
-- lifetime: apitoken.max_lifetime caps the expiry of new tokens and of
-- edited expiry times; existing tokens keep working.
-- (terse errors: their detail names the latest allowed expiry, a time)
--
\set VERBOSITY terse
DELETE FROM apitoken.token_store;
SELECT id AS forever, token AS forever_tok FROM apitoken.create('forever', owner => 'regress_alice') \gset

SHOW apitoken.max_lifetime;
SET apitoken.max_lifetime = '30d';
SHOW apitoken.max_lifetime;

SET ROLE regress_alice;
-- no expiry given: the longest allowed
SELECT id AS capped FROM apitoken.create('capped') \gset
SELECT expires_at BETWEEN now() + interval '30 days' - interval '1 minute'
                      AND now() + interval '30 days' + interval '1 minute' AS expires_in_30_days
  FROM apitoken.tokens WHERE id = :capped;
-- within is fine, beyond and never are refused
SELECT count(*) FROM apitoken.create('within', expires_at => now() + interval '29 days');
SELECT count(*) FROM apitoken.create('beyond', expires_at => now() + interval '31 days');
SELECT count(*) FROM apitoken.create('infinite', expires_at => 'infinity');
UPDATE apitoken.tokens SET expires_at = now() + interval '31 days' WHERE id = :capped;
\set VERBOSITY default
UPDATE apitoken.tokens SET expires_at = NULL WHERE id = :capped;
\set VERBOSITY terse
UPDATE apitoken.tokens SET expires_at = now() + interval '1 day' WHERE id = :capped;
-- a token from before the policy: still valid, other edits still work,
-- but its expiry can only be brought within the policy
SELECT apitoken.verify(:'forever_tok') AS still_verifies;
UPDATE apitoken.tokens SET description = 'kept' WHERE id = :forever;
UPDATE apitoken.tokens SET expires_at = now() + interval '1 year' WHERE id = :forever;
SELECT name, description, expires_at IS NULL AS never_expires FROM apitoken.tokens WHERE id = :forever;
-- only superusers set the policy
SET apitoken.max_lifetime = 0;
RESET ROLE;
SET apitoken.max_lifetime = 0;
SELECT count(*) FROM apitoken.create('unlimited', owner => 'regress_alice', expires_at => 'infinity');
RESET apitoken.max_lifetime;
