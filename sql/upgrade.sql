--
-- upgrade: ALTER EXTENSION apitoken UPDATE from 1.0 to 1.1 and on to
-- 1.1.1, 1.1.2 and 1.2 keeps every token working and gives the same catalog as
-- the current version's own install script (apitoken--1.2.sql), written
-- independently of the upgrade scripts; a deliberate difference shows.
--
\set VERBOSITY default
DROP EXTENSION apitoken;
CREATE EXTENSION apitoken VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'apitoken';

-- tokens made by 1.0: valid, disabled, expired, and one used
SELECT token AS valid_tok FROM apitoken.create('valid', owner => 'regress_alice') \gset
SELECT id AS dis, token AS dis_tok FROM apitoken.create('disabled', owner => 'regress_alice') \gset
SELECT id AS exp, token AS exp_tok FROM apitoken.create('expired', owner => 'regress_bob') \gset
SELECT id AS used, token AS used_tok FROM apitoken.create('used', owner => 'regress_bob') \gset
SELECT apitoken.disable(:dis) AS disabled;
UPDATE apitoken.tokens SET expires_at = now() - interval '1 second' WHERE id = :exp;
SET apitoken.last_access_interval = 0;
SELECT apitoken.verify(:'used_tok') AS used_once;
SELECT last_access AS used_at FROM apitoken.tokens WHERE id = :used \gset
SELECT string_agg(xmin::text, ',' ORDER BY id) AS xmins FROM apitoken.token_store \gset

ALTER EXTENSION apitoken UPDATE TO '1.1';
SELECT extversion FROM pg_extension WHERE extname = 'apitoken';
-- the upgrade changed the catalog only: no row has a new version
SELECT string_agg(xmin::text, ',' ORDER BY id) = :'xmins' AS no_row_rewritten FROM apitoken.token_store;

-- every old token answers as before, through old and new functions
SELECT apitoken.verify(:'valid_tok') AS valid,
       apitoken.verify(:'dis_tok') IS NULL AS disabled_refused,
       apitoken.verify(:'exp_tok') IS NULL AS expired_refused,
       apitoken.verify(:'valid_tok', NULL, NULL) AS valid_3arg;
SELECT status FROM apitoken.check(:'dis_tok');
SELECT status FROM apitoken.check(:'exp_tok', NULL, NULL);
SELECT last_access = :'used_at' AS last_access_kept, scopes, allowed_from, last_access_from
  FROM apitoken.tokens WHERE id = :used;
-- new features on old rows
UPDATE apitoken.tokens SET scopes = '{read}' WHERE id = :used;
SELECT apitoken.verify(:'used_tok', 'read', '203.0.113.5') AS scoped_ok,
       apitoken.verify(:'used_tok', 'write', '203.0.113.5') IS NULL AS other_scope_refused;
SELECT last_access_from FROM apitoken.tokens WHERE id = :used;
-- a row 1.0 wrote, not changed since, records its last access but not yet
-- the address: the row does not hold that column until it is written whole
SELECT apitoken.verify(:'valid_tok', NULL, '198.51.100.7') AS valid_from_addr;
SELECT last_access > '-infinity' AS recorded, last_access_from
  FROM apitoken.tokens WHERE name = 'valid';
SELECT action, token_name FROM apitoken.events ORDER BY id;
RESET apitoken.last_access_interval;

-- 1.1 -> 1.1.1: tokens made by 1.1 (valid, scoped, of an owner that is
-- dropped before the upgrade) keep answering as before, and get their
-- owner's name recorded afterwards, in batches
CREATE ROLE regress_upg_gone;
SELECT token AS scoped_tok FROM apitoken.create('scoped', owner => 'regress_bob', scopes => '{read}') \gset
SELECT token AS gone_tok FROM apitoken.create('gone', owner => 'regress_upg_gone') \gset
DROP ROLE regress_upg_gone;
ALTER EXTENSION apitoken UPDATE TO '1.1.1';
SELECT extversion FROM pg_extension WHERE extname = 'apitoken';
SELECT apitoken.verify(:'valid_tok') AS valid,
       apitoken.verify(:'scoped_tok', 'read') AS scoped,
       apitoken.verify(:'dis_tok') IS NULL AS disabled_refused;
SELECT status FROM apitoken.check(:'gone_tok');
SELECT count(*) AS not_yet_recorded FROM apitoken.token_store WHERE owner_name IS NULL;
-- a change records it for that token, with no extra row version
SELECT apitoken.enable(:dis) AS enabled;
SELECT name, owner_name FROM apitoken.token_store WHERE owner_name IS NOT NULL;
-- only superusers record them
SET ROLE regress_admin;
CALL apitoken.record_owner_names();
SELECT apitoken.record_owner_names_batch(10, 0, false);
RESET ROLE;
SET client_min_messages = warning;
CALL apitoken.record_owner_names(2);
RESET client_min_messages;
SELECT name, owner_name FROM apitoken.token_store ORDER BY name;
SELECT count(*) AS still_missing FROM apitoken.token_store WHERE owner_name IS NULL;
SELECT apitoken.verify(:'valid_tok') AS valid_after,
       apitoken.verify(:'scoped_tok', 'read') AS scoped_after;
-- the backfill wrote every row whole: now the address is recorded too
SET apitoken.last_access_interval = 0;
SELECT apitoken.verify(:'valid_tok', NULL, '198.51.100.7') AS valid_from_addr;
SELECT last_access_from FROM apitoken.tokens WHERE name = 'valid';
RESET apitoken.last_access_interval;
SELECT status FROM apitoken.check(:'gone_tok');
SELECT rolname FROM pg_roles r
 WHERE r.oid IN (SELECT member FROM pg_auth_members WHERE roleid = 'apitoken_owner'::regrole)
   AND rolname LIKE 'regress%' ORDER BY 1;
-- no audit event for recording names
SELECT action, token_name FROM apitoken.events ORDER BY id;

-- 1.1.1 -> 1.1.2: the policies ask for the group roles' privileges; every
-- token answers as before, and each role sees what it saw
SET ROLE regress_alice;
SELECT string_agg(name, ',' ORDER BY name) AS alice_sees_before FROM apitoken.tokens \gset
RESET ROLE;
ALTER EXTENSION apitoken UPDATE TO '1.1.2';
SELECT extversion FROM pg_extension WHERE extname = 'apitoken';
SELECT apitoken.verify(:'valid_tok') AS valid,
       apitoken.verify(:'scoped_tok', 'read') AS scoped,
       apitoken.verify(:'exp_tok') IS NULL AS expired_refused;
SET ROLE regress_alice;
SELECT string_agg(name, ',' ORDER BY name) = :'alice_sees_before' AS alice_sees_the_same FROM apitoken.tokens;
SET ROLE regress_admin;
SELECT count(*) AS admin_sees FROM apitoken.tokens;
RESET ROLE;

-- 1.1.2 -> 1.2: catalog changes only; no row is rewritten, every token
-- answers as before, and each role sees what it saw
SELECT xmin::text AS xmin_before_12 FROM apitoken.token_store WHERE name = 'valid' \gset
ALTER EXTENSION apitoken UPDATE TO '1.2';
SELECT extversion FROM pg_extension WHERE extname = 'apitoken';
SELECT xmin::text = :'xmin_before_12' AS not_rewritten FROM apitoken.token_store WHERE name = 'valid';
SELECT apitoken.verify(:'valid_tok') AS valid,
       apitoken.verify(:'scoped_tok', 'read') AS scoped,
       apitoken.verify(:'exp_tok') IS NULL AS expired_refused;
SELECT status FROM apitoken.check(:'gone_tok');
SET ROLE regress_alice;
SELECT string_agg(name, ',' ORDER BY name) = :'alice_sees_before' AS alice_sees_the_same FROM apitoken.tokens;
RESET ROLE;
-- a row written before 1.2 does not hold the refused-use columns: a
-- refused use of its valid secret records nothing, and raises nothing,
-- until its next UPDATE writes the row whole
SET apitoken.last_access_interval = 0;
SELECT apitoken.verify(:'exp_tok', NULL, '198.51.100.9') IS NULL AS expired_refused;
SELECT last_refused_at, last_refused_from, last_refused_reason FROM apitoken.tokens WHERE name = 'expired';
-- (the rewrite the README suggests: a new row version, no audit event)
SELECT count(*) AS events_before FROM apitoken.events \gset
UPDATE apitoken.token_store SET enabled = enabled WHERE name = 'expired';
SELECT count(*) = :events_before AS no_event FROM apitoken.events;
SELECT apitoken.verify(:'exp_tok', NULL, '198.51.100.9') IS NULL AS expired_refused;
SELECT last_refused_at IS NOT NULL AS recorded, last_refused_from, last_refused_reason
  FROM apitoken.tokens WHERE name = 'expired';
RESET apitoken.last_access_interval;
-- a token 1.0 made rotates with a grace period: both values verify
SELECT apitoken.regenerate(:used, '1 hour') AS used_new \gset
SELECT apitoken.verify(:'used_tok') AS previous_value, apitoken.verify(:'used_new') AS new_value;
SELECT status, valid_until IS NOT NULL AS until_grace_end FROM apitoken.check(:'used_tok');

-- the catalog of the upgraded extension ...
CREATE TABLE upgrade_catalog (path text, item text);
-- an ACL as the set of grants it holds: the order of its entries depends
-- on the order of the GRANTs that made it, which means nothing
CREATE FUNCTION pg_temp.acl(a aclitem[]) RETURNS text LANGUAGE sql IMMUTABLE
	RETURN (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(a) x);
CREATE FUNCTION pg_temp.describe_extension() RETURNS TABLE (item text)
LANGUAGE sql AS $$
	WITH members AS (
		SELECT classid, objid FROM pg_depend
		 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
		   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'apitoken')),
	rels AS (
		SELECT c.* FROM pg_class c JOIN members m
		    ON m.classid = 'pg_class'::regclass AND m.objid = c.oid)
	SELECT format('function %s returns %s vol=%s strict=%s secdef=%s parallel=%s config=%s acl=%s comment=%s body=%s',
	              p.oid::regprocedure, pg_get_function_result(p.oid), p.provolatile, p.proisstrict,
	              p.prosecdef, p.proparallel, p.proconfig, pg_temp.acl(p.proacl), obj_description(p.oid, 'pg_proc'),
	              coalesce(pg_get_function_sqlbody(p.oid), md5(p.prosrc)))
	  FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
	UNION ALL
	SELECT format('relation %s kind=%s options=%s rls=%s/%s acl=%s comment=%s',
	              r.oid::regclass, r.relkind, r.reloptions, r.relrowsecurity, r.relforcerowsecurity,
	              pg_temp.acl(r.relacl), obj_description(r.oid, 'pg_class'))
	  FROM rels r
	UNION ALL
	SELECT format('column %s.%s position=%s type=%s notnull=%s default=%s storage=%s acl=%s comment=%s',
	              a.attrelid::regclass, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull,
	              pg_get_expr(d.adbin, d.adrelid), a.attstorage, pg_temp.acl(a.attacl),
	              col_description(a.attrelid, a.attnum))
	  FROM pg_attribute a JOIN rels r ON r.oid = a.attrelid
	  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	 WHERE a.attnum > 0 AND NOT a.attisdropped
	UNION ALL
	SELECT format('view %s %s', r.oid::regclass, pg_get_viewdef(r.oid)) FROM rels r WHERE r.relkind = 'v'
	UNION ALL
	SELECT format('index %s', pg_get_indexdef(i.indexrelid))
	  FROM pg_index i JOIN rels r ON r.oid = i.indrelid
	UNION ALL
	SELECT format('constraint %s.%s %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
	  FROM pg_constraint c JOIN rels r ON r.oid = c.conrelid
	UNION ALL
	SELECT format('policy %s.%s cmd=%s permissive=%s roles=%s using=%s check=%s comment=%s',
	              p.polrelid::regclass, p.polname, p.polcmd, p.polpermissive, p.polroles::regrole[],
	              pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid),
	              obj_description(p.oid, 'pg_policy'))
	  FROM pg_policy p JOIN rels r ON r.oid = p.polrelid
	UNION ALL
	SELECT format('trigger %s', pg_get_triggerdef(t.oid))
	  FROM pg_trigger t JOIN rels r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
	UNION ALL
	SELECT format('type %s comment=%s', t.oid::regtype, obj_description(t.oid, 'pg_type'))
	  FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
	UNION ALL
	SELECT format('cast %s -> %s context=%s method=%s', c.castsource::regtype, c.casttarget::regtype,
	              c.castcontext, c.castmethod)
	  FROM pg_cast c JOIN members m ON m.classid = 'pg_cast'::regclass AND m.objid = c.oid
	UNION ALL
	SELECT format('schema %s acl=%s', n.nspname, pg_temp.acl(n.nspacl)) FROM pg_namespace n WHERE n.nspname = 'apitoken'
	UNION ALL
	SELECT format('config %s', c::regclass)
	  FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'apitoken'
$$;
INSERT INTO upgrade_catalog SELECT 'upgraded', item FROM pg_temp.describe_extension();

-- ... and of a fresh install of the current version
DROP EXTENSION apitoken;
CREATE EXTENSION apitoken;
SELECT extversion FROM pg_extension WHERE extname = 'apitoken';
INSERT INTO upgrade_catalog SELECT 'fresh', item FROM pg_temp.describe_extension();

SELECT count(*) > 100 AS described_enough FROM upgrade_catalog WHERE path = 'fresh';
-- every difference, both ways (no rows: the two paths agree)
(SELECT 'only after upgrade' AS side, item FROM upgrade_catalog WHERE path = 'upgraded'
 EXCEPT SELECT 'only after upgrade', item FROM upgrade_catalog WHERE path = 'fresh')
UNION ALL
(SELECT 'only in fresh install', item FROM upgrade_catalog WHERE path = 'fresh'
 EXCEPT SELECT 'only in fresh install', item FROM upgrade_catalog WHERE path = 'upgraded')
ORDER BY 1, 2;

-- the comparison sees a difference: one changed comment, one more grant
BEGIN;
COMMENT ON COLUMN apitoken.tokens.name IS 'drifted';
GRANT SELECT (hash) ON apitoken.token_store TO apitoken_admin;
INSERT INTO upgrade_catalog SELECT 'drifted', item FROM pg_temp.describe_extension();
SELECT 'only in the drifted catalog' AS side, item FROM upgrade_catalog WHERE path = 'drifted'
EXCEPT SELECT 'only in the drifted catalog', item FROM upgrade_catalog WHERE path = 'fresh'
ORDER BY 2;
ROLLBACK;
DROP TABLE upgrade_catalog;
