--
-- revoke: apitoken.revoke(token, reason) disables the token a value
-- belongs to, for any role holding the value, audited as 'revoke' with
-- the caller and the reason, and says nothing but whether it disabled one.
--
\set VERBOSITY default
DELETE FROM apitoken.token_store;
SELECT id AS a1, token AS a1_tok FROM apitoken.create('rv-own', owner => 'regress_alice') \gset
SELECT id AS a2, token AS a2_tok FROM apitoken.create('rv-admin', owner => 'regress_alice') \gset
SELECT id AS a3, token AS a3_tok FROM apitoken.create('rv-public', owner => 'regress_alice') \gset
SELECT id AS a4, token AS a4_tok FROM apitoken.create('rv-verifier', owner => 'regress_alice') \gset

-- the owner revokes its own token
SET ROLE regress_alice;
SELECT apitoken.revoke(:'a1_tok', 'pasted into a chat') AS revoked;
SELECT apitoken.revoke(:'a1_tok', 'again') AS revoked_twice;
SELECT name, enabled, status FROM apitoken.tokens WHERE id = :a1;
SELECT status FROM apitoken.check(:'a1_tok');

-- an admin revokes another role's token
SET ROLE regress_admin;
SELECT apitoken.revoke(:'a2_tok') AS revoked_by_admin;

-- a role with no apitoken role at all may revoke a value it holds (found
-- in public), and still sees nothing of the token or its events
SET ROLE regress_eve;
SELECT apitoken.revoke(:'a3_tok', 'found in a public repository') AS revoked_by_anyone;
SELECT apitoken.revoke(:'a3_tok') AS already_revoked;
SELECT count(*) FROM apitoken.tokens;
SELECT count(*) FROM apitoken.events;
-- nothing to learn from values that are not tokens: always false, no error
SELECT apitoken.revoke('pgat_not-a-token') AS malformed,
       apitoken.revoke(NULL) AS null_value,
       apitoken.revoke(NULL, NULL) AS null_both,
       apitoken.revoke('') AS empty;
-- a well-formed value that belongs to no token (a deleted one)
RESET ROLE;
SELECT id AS gone, token AS gone_tok FROM apitoken.create('rv-gone', owner => 'regress_bob') \gset
DELETE FROM apitoken.tokens WHERE id = :gone;
SET ROLE regress_eve;
SELECT apitoken.revoke(:'gone_tok', 'too late') AS unknown;
-- the reason is limited like a description (1024 characters), whatever the value
SELECT apitoken.revoke(:'a4_tok', repeat('x', 1025));
\set VERBOSITY sqlstate
SELECT apitoken.revoke(NULL, repeat('x', 1025));
\set VERBOSITY default
SELECT apitoken.revoke('pgat_junk', repeat('é', 1024)) AS long_reason_ok;
-- members cannot write the refused-use columns (no column privilege)
\set VERBOSITY sqlstate
SET ROLE regress_alice;
UPDATE apitoken.token_store SET last_refused_reason = 0 WHERE id = :a1;
UPDATE apitoken.token_store SET last_refused_at = now(), last_refused_from_raw = gen_random_uuid() WHERE id = :a1;
SET ROLE regress_admin;
UPDATE apitoken.token_store SET last_refused_reason = 0 WHERE id = :a1;
RESET ROLE;
\set VERBOSITY default

-- the events: actor and reason, seen by the owner and by admins
SET ROLE regress_alice;
SELECT token_name, owner, actor, action, details FROM apitoken.events
 WHERE action = 'revoke' ORDER BY id;
SET ROLE regress_admin;
SELECT token_name, owner, actor, action, details FROM apitoken.events
 WHERE action = 'revoke' ORDER BY id;
SET ROLE regress_bob;
SELECT count(*) AS bob_sees FROM apitoken.events WHERE action = 'revoke';
RESET ROLE;
SELECT name, enabled FROM apitoken.token_store ORDER BY id;

-- a revoked token can be enabled again by whoever manages it (a
-- deliberate decision, audited as enable), and revoked again
SET ROLE regress_alice;
SELECT apitoken.enable(:a1) AS enabled;
SELECT apitoken.verify(:'a1_tok') AS verifies_again;
SELECT apitoken.revoke(:'a1_tok') AS revoked_again;
RESET ROLE;

-- an orphaned token (its owner dropped) is disabled too: it stays dead
-- if the OID is reused or the token adopted
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_rv_gone;
RESET client_min_messages;
CREATE ROLE regress_rv_gone IN ROLE apitoken_user;
SELECT id AS orph, token AS orph_tok FROM apitoken.create('rv-orphan', owner => 'regress_rv_gone') \gset
DROP ROLE regress_rv_gone;
SELECT status FROM apitoken.check(:'orph_tok');
SET ROLE regress_eve;
SELECT apitoken.revoke(:'orph_tok') AS orphan_revoked;
RESET ROLE;
SELECT enabled FROM apitoken.token_store WHERE id = :orph;

-- a read-only transaction (a hot standby's too) refuses revoke before
-- looking the value up, whatever it is
\set VERBOSITY sqlstate
BEGIN READ ONLY;
SELECT apitoken.revoke(:'a4_tok');
ROLLBACK;
BEGIN READ ONLY;
SELECT apitoken.revoke('pgat_junk');
ROLLBACK;
\set VERBOSITY default
BEGIN READ ONLY;
SELECT apitoken.revoke(NULL);
ROLLBACK;

-- a verifier (apitoken.verify_only) refuses revoke like every change
SET apitoken.verify_only = on;
SET ROLE regress_eve;
SELECT apitoken.revoke(:'a4_tok');
\set VERBOSITY sqlstate
SELECT apitoken.revoke('pgat_junk');
\set VERBOSITY default
RESET ROLE;
SELECT apitoken.revoke(:'a4_tok');
RESET apitoken.verify_only;
SELECT enabled FROM apitoken.token_store WHERE id = :a4;
SELECT apitoken.verify(:'a4_tok') = 'regress_alice'::regrole AS still_verifies;
DELETE FROM apitoken.token_store;
