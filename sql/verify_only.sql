--
-- verify_only: apitoken.verify_only marks a database as a verifier of
-- tokens issued elsewhere (a logical replication subscriber).  Every change
-- to tokens is refused with 25006 whoever makes it and by whatever path;
-- verify(), check() and last-access recording go on; the owner-name
-- backfill, which changes nothing anyone sees, is allowed.  What
-- replication applies is not refused (test/t/005_logical_owner.pl).
--
\set VERBOSITY default
DELETE FROM apitoken.token_store;
SELECT id AS tid, token AS tok FROM apitoken.create('vo-main', owner => 'regress_alice') \gset
SELECT id AS oid2 FROM apitoken.create('vo-other', owner => 'regress_alice') \gset
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_vo_gone;
RESET client_min_messages;
CREATE ROLE regress_vo_gone IN ROLE apitoken_user;
SELECT count(*) FROM apitoken.create('vo-orphan', owner => 'regress_vo_gone');
DROP ROLE regress_vo_gone;

-- off by default; only a superuser may change it
SHOW apitoken.verify_only;
SET ROLE regress_admin;
SET apitoken.verify_only = on;
SET ROLE regress_alice;
SET apitoken.verify_only = off;
RESET ROLE;

SET apitoken.verify_only = on;
SET apitoken.last_access_interval = 0;

-- reading goes on, and so does recording last access
SELECT apitoken.verify(:'tok') AS verified;
SELECT status FROM apitoken.check(:'tok');
SELECT last_access IS NOT NULL AS recorded FROM apitoken.token_store WHERE id = :tid;

-- every change is refused, for members, admins and superusers alike
SET ROLE regress_alice;
SELECT * FROM apitoken.create('vo-new');
SELECT apitoken.regenerate(:tid);
SELECT apitoken.disable(:tid);
UPDATE apitoken.tokens SET description = 'edited' WHERE id = :tid;
DELETE FROM apitoken.tokens WHERE id = :tid;
SET ROLE regress_admin;
SELECT * FROM apitoken.create('vo-new', owner => 'regress_bob');
SELECT apitoken.disable(:oid2);
DELETE FROM apitoken.tokens WHERE id = :oid2;
RESET ROLE;
SELECT * FROM apitoken.create('vo-new', owner => 'regress_bob');
UPDATE apitoken.token_store SET enabled = false WHERE id = :tid;
DELETE FROM apitoken.token_store WHERE id = :tid;
SET ROLE regress_admin;
SELECT apitoken.purge_orphaned();
RESET ROLE;

-- nothing changed, and nothing was recorded as if it had
SELECT name, enabled, description FROM apitoken.token_store ORDER BY id;
SELECT apitoken.verify(:'tok') AS still_verified;
SELECT count(*) AS events FROM apitoken.events WHERE token_id IN (:tid, :oid2) AND action <> 'create';

-- the owner-name backfill runs on a verifier
SET client_min_messages = warning;
CALL apitoken.record_owner_names();
RESET client_min_messages;

-- turned off, changes work again
RESET apitoken.verify_only;
SELECT apitoken.disable(:oid2) AS disabled;
DELETE FROM apitoken.tokens WHERE id = :oid2;
SELECT apitoken.purge_orphaned() AS purged;
RESET apitoken.last_access_interval;
DELETE FROM apitoken.token_store;
