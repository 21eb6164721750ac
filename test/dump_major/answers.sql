-- test/dump_major/answers.sql: everything a dump and restore must keep, as
-- plain text for diff: verify() and check() of every value (with and
-- without a scope and a client address), the token rows, what each role
-- sees through the view, and the audit trail's size.  Same output before
-- the dump and after the restore, or the restore changed something.
\set ON_ERROR_STOP 1
\pset pager off
\echo == verify() and check() of every value
SELECT v.label, apitoken.verify(v.token)::text AS verify,
       c.status, c.token_id, c.owner::text AS owner,
       (apitoken.check(v.token, 'reports')).status AS scope_reports,
       (apitoken.check(v.token, 'nope')).status AS scope_nope,
       (apitoken.check(v.token, 'reports', '10.1.2.3')).status AS from_10_1_2_3,
       (apitoken.check(v.token, 'reports', '192.0.2.1')).status AS from_192_0_2_1
  FROM dumpcheck.value v, apitoken.check(v.token) c
 ORDER BY v.label;
\echo == the tokens (superuser)
SELECT id, name, description, owner::text ~ '^[0-9]+$' AS owner_is_oid,
       CASE WHEN owner::text ~ '^[0-9]+$' THEN NULL ELSE owner::text END AS owner,
       created_by::text, enabled, status, expires_at > now() + interval '100 years' AS far_future,
       regenerated_at IS NOT NULL AS regenerated, hint, scopes, allowed_from
  FROM apitoken.tokens ORDER BY id;
\echo == what each role sees through the view
SET ROLE alice;
SELECT 'alice' AS role, name FROM apitoken.tokens ORDER BY name;
SET ROLE bob;
SELECT 'bob' AS role, name FROM apitoken.tokens ORDER BY name;
SET ROLE admin;
SELECT 'admin' AS role, name FROM apitoken.tokens ORDER BY name;
RESET ROLE;
\echo == the audit trail
SELECT count(*) AS events FROM apitoken.events;
SELECT action, actor::text, count(*) FROM apitoken.events GROUP BY 1, 2 ORDER BY 1, 2;
