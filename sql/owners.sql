--
-- owners: tokens of dropped roles (purge_orphaned) and of roles that can
-- no longer log in (apitoken.require_login_owner).
--
\set VERBOSITY default
DELETE FROM apitoken.token_store;
DELETE FROM apitoken.event_store;
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_gone, regress_nologin, regress_expired;
RESET client_min_messages;
CREATE ROLE regress_gone IN ROLE apitoken_user;
CREATE ROLE regress_nologin NOLOGIN IN ROLE apitoken_user;
CREATE ROLE regress_expired LOGIN VALID UNTIL '2000-01-01' IN ROLE apitoken_user;
SELECT token AS gone_tok FROM apitoken.create('g1', owner => 'regress_gone') \gset
SELECT count(*) FROM apitoken.create('g2', owner => 'regress_gone');
SELECT token AS nologin_tok FROM apitoken.create('n', owner => 'regress_nologin') \gset
SELECT token AS expired_tok FROM apitoken.create('e', owner => 'regress_expired') \gset
SELECT token AS alice_tok FROM apitoken.create('a', owner => 'regress_alice') \gset
DROP ROLE regress_gone;
SELECT status FROM apitoken.check(:'gone_tok');

-- only admins purge
SET ROLE regress_alice;
SELECT apitoken.purge_orphaned();
SET ROLE regress_eve;
SELECT apitoken.purge_orphaned();
SET ROLE regress_admin;
SELECT apitoken.purge_orphaned() AS purged;
SELECT apitoken.purge_orphaned() AS purged_again;
SELECT token_name, actor, action FROM apitoken.events WHERE action = 'delete' ORDER BY token_name;
RESET ROLE;
SELECT status FROM apitoken.check(:'gone_tok');

-- require_login_owner: off by default
SHOW apitoken.require_login_owner;
SELECT apitoken.verify(:'nologin_tok') AS nologin_off, apitoken.verify(:'expired_tok') AS expired_off;
SET apitoken.require_login_owner = on;
SELECT apitoken.verify(:'nologin_tok') IS NULL AS nologin_refused,
       apitoken.verify(:'expired_tok') IS NULL AS expired_refused,
       apitoken.verify(:'alice_tok') AS login_ok;
SELECT status FROM apitoken.check(:'nologin_tok');
SELECT status FROM apitoken.check(:'expired_tok');
ALTER ROLE regress_expired VALID UNTIL 'infinity';
SELECT apitoken.verify(:'expired_tok') AS valid_again;
SET ROLE regress_alice;
SET apitoken.require_login_owner = off;
RESET ROLE;
RESET apitoken.require_login_owner;
DELETE FROM apitoken.token_store;
DROP ROLE regress_nologin, regress_expired;
