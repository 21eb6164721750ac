-- test/load/verify_judged.sql: verify a random live token whose answer is
-- known, and a random replaced value, and record any wrong answer in
-- load_wrong (run.sh requires it empty).
--
-- The live token's row in token_store is locked FOR SHARE first, then its
-- load_tok row: while both are held no regenerate, disable, enable or
-- delete of it can commit, and the locked versions are the latest ones,
-- so verify() (which reads the latest committed state) must accept the
-- value exactly when the row says enabled.  The locks are this test's
-- device for knowing the answer; verify() itself takes none, and
-- verify.sql exercises it without them.  A replaced value was committed
-- as replaced before this statement began: it must be refused.
\set r random(0, 999999)
\set s random(0, 999999)
WITH t AS MATERIALIZED (
	SELECT id, enabled FROM apitoken.token_store WHERE id = load_pick(:r) FOR SHARE),
live AS MATERIALIZED (
	SELECT l.id, l.token, t.enabled FROM load_tok l JOIN t ON t.id = l.id FOR SHARE OF l),
judged AS MATERIALIZED (
	SELECT 'live' AS kind, id, enabled AS expected, apitoken.verify(token) IS NOT NULL AS accepted
	  FROM live
	UNION ALL
	SELECT 'replaced', id, false, apitoken.verify(token) IS NOT NULL
	  FROM load_old WHERE n = load_pick_old(:s))
INSERT INTO load_wrong SELECT kind, id, expected, accepted FROM judged WHERE accepted <> expected;
