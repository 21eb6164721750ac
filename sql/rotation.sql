--
-- rotation: regenerate(id, grace) keeps the replaced value verifying until
-- the grace period ends, so that a fleet can move to the new value first.
-- One previous value per token; disabling the token, changing its expiry
-- or deleting it ends the previous value; check() says until when a valid
-- value works; the regenerate event records the grace.  As the owner
-- (apitoken_user), an admin (apitoken_admin), another member and a role
-- with no apitoken role.
--
\set VERBOSITY default
DELETE FROM apitoken.token_store;
SET apitoken.last_access_interval = 0;

-- a statement run as a role: its SQLSTATE, message and hint (00000: none)
CREATE FUNCTION pg_temp.try(as_role text, stmt text)
RETURNS TABLE (code text, message text, hint text)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('SET ROLE %I', as_role);
	BEGIN
		EXECUTE stmt;
		code := '00000';
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
			hint = PG_EXCEPTION_HINT;
	END;
	RESET ROLE;
	RETURN NEXT;
END $$;

CREATE TABLE rot_orders (item text, tok text, who regrole);
CREATE TRIGGER rot_orders_auth BEFORE INSERT ON rot_orders
	FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('tok', 'who');
GRANT INSERT ON rot_orders TO PUBLIC;

-- the owner rotates with a grace period: both values verify
SET ROLE regress_alice;
SELECT id AS r, token AS r0 FROM apitoken.create('rot') \gset
SELECT apitoken.regenerate(:r, '1 hour') AS r1 \gset
SELECT apitoken.verify(:'r0') AS old_value, apitoken.verify(:'r1') AS new_value;
-- the view shows until when the previous value works: an hour from the call
SELECT previous_valid_until BETWEEN regenerated_at + interval '1 hour'
                                AND clock_timestamp() + interval '1 hour' AS grace_of_an_hour
  FROM apitoken.tokens WHERE id = :r;
SELECT previous_valid_until AS r_until FROM apitoken.tokens WHERE id = :r \gset
-- check(): the previous value is valid, until the grace ends; the current
-- one until its expiry (none: NULL)
SELECT token_id = :r AS same_token, owner, status, valid_until = :'r_until' AS until_grace_end
  FROM apitoken.check(:'r0');
SELECT token_id = :r AS same_token, owner, status, valid_until FROM apitoken.check(:'r1');
-- a use of the previous value is a use of the token: last access is recorded
SELECT apitoken.verify(:'r1') IS NOT NULL AS current_used;
SELECT last_access AS la0 FROM apitoken.tokens WHERE id = :r \gset
SELECT apitoken.verify(:'r0') IS NOT NULL AS previous_used;
SELECT last_access > :'la0' AS previous_use_recorded FROM apitoken.tokens WHERE id = :r;
RESET ROLE;
-- the previous value's hash is not readable, nor writable, by a member,
-- nor its end of grace, by any path
SELECT * FROM pg_temp.try('regress_alice', 'SELECT prev_hash FROM apitoken.token_store');
SELECT * FROM pg_temp.try('regress_alice', format($$UPDATE apitoken.token_store SET prev_valid_until = now() + interval '1 day' WHERE id = %s$$, :r));
SELECT * FROM pg_temp.try('regress_alice', format($$UPDATE apitoken.token_store SET prev_hash = NULL WHERE id = %s$$, :r));
SELECT * FROM pg_temp.try('regress_alice', format($$UPDATE apitoken.tokens SET previous_valid_until = now() + interval '1 day' WHERE id = %s$$, :r));

-- anyone may verify and check either value; require_token() takes both
SET ROLE regress_eve;
SELECT apitoken.verify(:'r0') AS old_value, apitoken.verify(:'r1') AS new_value;
SELECT status, valid_until IS NOT NULL AS has_until FROM apitoken.check(:'r0', NULL, NULL);
INSERT INTO rot_orders (item, tok) VALUES ('with old', :'r0'), ('with new', :'r1');
RESET ROLE;
SELECT item, tok, who FROM rot_orders ORDER BY item;
-- not even a superuser writes the previous value's columns directly
SELECT * FROM pg_temp.try('postgres', format($$UPDATE apitoken.token_store SET prev_valid_until = now() + interval '1 day' WHERE id = %s$$, :r));
SELECT * FROM pg_temp.try('postgres', format($$UPDATE apitoken.token_store SET prev_hash = hash WHERE id = %s$$, :r));
-- an admin cannot read the hash either
SELECT * FROM pg_temp.try('regress_admin', 'SELECT prev_hash FROM apitoken.token_store');
SET ROLE regress_admin;
SELECT id = :r AS same_token, previous_valid_until = :'r_until' AS admin_sees_until
  FROM apitoken.tokens WHERE id = :r;
RESET ROLE;

-- a second regenerate within the grace: the first value ends, the second
-- becomes the previous one (one previous value per token); by an admin
SET ROLE regress_admin;
SELECT apitoken.regenerate(:r, '2 hours') AS r2 \gset
RESET ROLE;
SELECT apitoken.verify(:'r0') IS NULL AS first_ended,
       apitoken.verify(:'r1') AS second_still_works,
       apitoken.verify(:'r2') AS third_works;
SELECT token_id, owner, status, valid_until FROM apitoken.check(:'r0');

-- another member sees none of it and cannot rotate alice's token
SELECT code, regexp_replace(message, '[0-9]+', 'N') AS message, hint
  FROM pg_temp.try('regress_bob', format($$SELECT apitoken.regenerate(%s, '1 hour')$$, :r));
SELECT * FROM pg_temp.try('regress_eve', format($$SELECT apitoken.regenerate(%s, '1 hour')$$, :r));
SET ROLE regress_bob;
SELECT count(*) AS bob_sees FROM apitoken.tokens WHERE id = :r;
RESET ROLE;
SELECT apitoken.verify(:'r1') IS NOT NULL AS still_works;

-- regenerate without a grace period: both older values end at once
SET ROLE regress_alice;
SELECT apitoken.regenerate(:r) AS r3 \gset
SELECT apitoken.verify(:'r1') IS NULL AS previous_ended,
       apitoken.verify(:'r2') IS NULL AS old_ended,
       apitoken.verify(:'r3') AS new_works;
SELECT previous_valid_until FROM apitoken.tokens WHERE id = :r;
-- a NULL grace is no grace; a NULL id gives NULL
SELECT apitoken.regenerate(:r, NULL) AS r4 \gset
SELECT apitoken.verify(:'r3') IS NULL AS old_ended, apitoken.verify(:'r4') AS new_works;
SELECT apitoken.regenerate(NULL, '1 hour') IS NULL AS null_id_null_result;

-- the grace period ends: the previous value is then unknown, like any
-- value that no longer exists (check() is PUBLIC: no "replaced" oracle)
SELECT apitoken.regenerate(:r, '10 milliseconds') AS r5 \gset
SELECT pg_sleep(0.05);
SELECT apitoken.verify(:'r4') IS NULL AS ended, apitoken.verify(:'r5') AS new_works;
SELECT token_id, owner, status, valid_until FROM apitoken.check(:'r4');
SELECT previous_valid_until FROM apitoken.tokens WHERE id = :r;
RESET ROLE;
-- the spent hash stays in the row until the next change, which drops it
SELECT prev_hash IS NOT NULL AS spent_hash_kept FROM apitoken.token_store WHERE id = :r;
SET ROLE regress_alice;
UPDATE apitoken.tokens SET description = 'rotated' WHERE id = :r;
RESET ROLE;
SELECT prev_hash IS NULL AS spent_hash_dropped, prev_valid_until IS NULL AS until_dropped
  FROM apitoken.token_store WHERE id = :r;

-- disabling ends the previous value, and enabling does not bring it back
SET ROLE regress_alice;
SELECT apitoken.regenerate(:r, '1 hour') AS r6 \gset
SELECT apitoken.verify(:'r5') AS previous_works;
SELECT apitoken.disable(:r) AS disabled;
SELECT status FROM apitoken.check(:'r5');
SELECT status FROM apitoken.check(:'r6');
SELECT apitoken.enable(:r) AS enabled;
SELECT apitoken.verify(:'r5') IS NULL AS previous_ended, apitoken.verify(:'r6') AS current_works;
SELECT previous_valid_until FROM apitoken.tokens WHERE id = :r;
-- rotating a disabled token keeps no previous value: it was not working
SELECT apitoken.disable(:r) AS disabled;
SELECT apitoken.regenerate(:r, '1 hour') AS r7 \gset
SELECT apitoken.enable(:r) AS enabled;
SELECT apitoken.verify(:'r6') IS NULL AS old_refused, apitoken.verify(:'r7') AS new_works,
       (SELECT previous_valid_until FROM apitoken.tokens WHERE id = :r) AS previous_valid_until;

-- a change of expiry ends it, a later expiry as well as an earlier one
SELECT apitoken.regenerate(:r, '1 hour') AS r8 \gset
SELECT apitoken.verify(:'r7') AS previous_works;
UPDATE apitoken.tokens SET expires_at = now() + interval '1 day' WHERE id = :r;
SELECT apitoken.verify(:'r7') IS NULL AS previous_ended, apitoken.verify(:'r8') AS current_works;
-- the grace never outlasts the token: it ends at the expiry at the latest
UPDATE apitoken.tokens SET expires_at = now() + interval '10 minutes' WHERE id = :r;
SELECT apitoken.regenerate(:r, '1 hour') AS r9 \gset
SELECT previous_valid_until = expires_at AS grace_ends_at_expiry
  FROM apitoken.tokens WHERE id = :r;
SELECT status, valid_until = (SELECT expires_at FROM apitoken.tokens WHERE id = :r) AS until_expiry
  FROM apitoken.check(:'r9');

-- the previous value is judged like the current one: scopes and networks
SELECT id AS s, token AS s0 FROM apitoken.create('rot-scoped', scopes => '{read}',
                                                   allowed_from => '{10.0.0.0/8}') \gset
SELECT apitoken.regenerate(:s, '1 hour') AS s1 \gset
SELECT apitoken.verify(:'s0', 'read', '10.1.2.3') AS read_from_inside,
       apitoken.verify(:'s0', 'write', '10.1.2.3') IS NULL AS write_refused,
       apitoken.verify(:'s0', 'read', '192.0.2.1') IS NULL AS outside_refused;
SELECT token_id = :s AS same_token, status, valid_until FROM apitoken.check(:'s0', 'write', '10.1.2.3');
SELECT token_id = :s AS same_token, status, valid_until FROM apitoken.check(:'s0', 'read', '192.0.2.1');
-- deleting the token ends both values
DELETE FROM apitoken.tokens WHERE id = :s;
SELECT apitoken.verify(:'s0', 'read', '10.1.2.3') IS NULL AS previous_gone,
       apitoken.verify(:'s1', 'read', '10.1.2.3') IS NULL AS current_gone;
SELECT token_id, status FROM apitoken.check(:'s0', 'read', '10.1.2.3');
UPDATE apitoken.tokens SET expires_at = NULL WHERE id = :r;
RESET ROLE;

-- the grace is positive and at most 30 days, or apitoken.max_lifetime
SELECT * FROM pg_temp.try('regress_alice', format($$SELECT apitoken.regenerate(%s, '0')$$, :r));
SELECT * FROM pg_temp.try('regress_alice', format($$SELECT apitoken.regenerate(%s, '-1 hour')$$, :r));
SELECT * FROM pg_temp.try('regress_alice', format($$SELECT apitoken.regenerate(%s, '1 day -24 hours')$$, :r));
SELECT * FROM pg_temp.try('regress_alice', format($$SELECT apitoken.regenerate(%s, '30 days 1 second')$$, :r));
SELECT * FROM pg_temp.try('regress_alice', format($$SELECT apitoken.regenerate(%s, '1000000 years')$$, :r));
SELECT * FROM pg_temp.try('regress_alice', format($$SELECT apitoken.regenerate(%s, '30 days')$$, :r));
SET apitoken.max_lifetime = '1d';
SELECT * FROM pg_temp.try('regress_alice', format($$SELECT apitoken.regenerate(%s, '25 hours')$$, :r));
SELECT * FROM pg_temp.try('regress_alice', format($$SELECT apitoken.regenerate(%s, '1 day')$$, :r));
RESET apitoken.max_lifetime;
-- a refused grace changes nothing
SELECT previous_valid_until - regenerated_at BETWEEN interval '1 day' AND interval '1 day 1 minute'
       AS last_accepted_grace
  FROM apitoken.tokens WHERE id = :r;

-- the audit trail: every regenerate says until when the old value works
-- (null: not at all), and never holds a hash
SELECT actor, action, jsonb_typeof(details -> 'previous_valid_until') AS previous_valid_until,
       details ? 'hint' AS has_hint
  FROM apitoken.events WHERE token_id = :r AND action = 'regenerate' ORDER BY id;
SELECT (details ->> 'previous_valid_until')::timestamptz = :'r_until' AS first_grace_recorded
  FROM apitoken.events WHERE token_id = :r AND action = 'regenerate' ORDER BY id LIMIT 1;
SELECT count(*) AS events_with_a_hash
  FROM apitoken.events e, apitoken.token_store t
 WHERE strpos(e.details::text, encode(t.hash, 'hex')) > 0
    OR strpos(e.details::text, encode(t.prev_hash, 'hex')) > 0
    OR e.details::text ~ 'hash';

DROP TABLE rot_orders;
RESET apitoken.last_access_interval;
