/* apitoken--1.1--1.1.1.sql: the attack review's fixes, and the owner's identity */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION apitoken UPDATE TO '1.1.1'" to load this file. \quit

/*
 * Every statement here changes the catalog only: nothing scans, rewrites
 * or backfills token_store, so the locks some of them take are held for
 * as long as the script runs (milliseconds), whatever the number of
 * tokens.  Tokens made before 1.1.1 get their owner's name recorded with
 * their next change, or all at once, in committed batches, by CALL
 * apitoken.record_owner_names(); until then they verify as in 1.1.
 */

/*
 * apitoken_owner: the roles tokens were issued to.  create() makes each
 * owner a member; membership carries no privilege.  It tells a renamed
 * owner (still a member) from a role that was given the OID of a dropped
 * one (DROP ROLE ends the membership), see verify.c.
 */
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'apitoken_owner') THEN
		CREATE ROLE apitoken_owner NOLOGIN;
		COMMENT ON ROLE apitoken_owner IS
			'apitoken: roles API tokens were issued to (granted by apitoken.create(); carries no privilege, never grant it by hand)';
	END IF;
END
$roles$;

/*
 * The name of the role a token was issued to, recorded by the guard
 * trigger when the token is created.  verify() refuses a token whose
 * owner OID now names another role (owner_mismatch): a dropped owner's
 * OID given to a new role, or a row carried raw to another cluster
 * (binary logical replication).  NULL: made before 1.1.1 and not yet
 * recorded; '' : disowned, it can never verify.  issued_in, the system
 * identifier of the issuing cluster, limits rename tolerance to that
 * cluster (see verify.c).  No defaults, so adding the columns is a
 * catalog change only.
 */
ALTER TABLE @extschema@.token_store ADD COLUMN owner_name text, ADD COLUMN issued_in bigint;
COMMENT ON COLUMN @extschema@.token_store.owner_name IS
	'name of the role the token was issued to (NULL: not yet recorded, see apitoken.record_owner_names; empty: disowned)';
COMMENT ON COLUMN @extschema@.token_store.issued_in IS
	'system identifier of the cluster the token was issued in: only there does an owner renamed since still verify before the new name is recorded';

/*
 * One definition of a valid name, in C (src/text_rules.c), applied by
 * create() and the guard trigger before a row is formed.  The CHECK
 * constraint used a regular expression whose [[:space:]] depends on the
 * database's locale, and failed only after the row, hash included, was
 * formed (its error prints the row).
 */
ALTER TABLE @extschema@.token_store DROP CONSTRAINT token_store_name_check;
COMMENT ON COLUMN @extschema@.token_store.name IS
	'1 to 64 characters, not blank, unique per owner (checked by apitoken.create() and the guard trigger)';
COMMENT ON COLUMN @extschema@.token_store.last_access IS
	'last successful verification, -infinity if never; written in place by verify(), carried forward by every UPDATE';

/*
 * Audit events are written from rows without their hash: the call's plan
 * holds the rows as constants.  The audit trigger says REGENERATE itself.
 * The fields are listed here rather than in a SQL-standard function over
 * the row type, which made ALTER TABLE ... DROP COLUMN impossible.
 */
CREATE OR REPLACE FUNCTION @extschema@.record_event(actor regrole, op text,
													old_row @extschema@.token_store,
													new_row @extschema@.token_store)
RETURNS void
	LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
	old_f jsonb := pg_catalog.jsonb_build_object(
		'name', old_row.name, 'description', old_row.description,
		'expires_at', old_row.expires_at, 'enabled', old_row.enabled,
		'scopes', old_row.scopes, 'allowed_from', old_row.allowed_from);
	new_f jsonb := pg_catalog.jsonb_build_object(
		'name', new_row.name, 'description', new_row.description,
		'expires_at', new_row.expires_at, 'enabled', new_row.enabled,
		'scopes', new_row.scopes, 'allowed_from', new_row.allowed_from);
	changed jsonb;
	act text;
	det jsonb;
	r @extschema@.token_store := coalesce(new_row, old_row);
BEGIN
	IF op = 'INSERT' THEN
		act := 'create';
		det := new_f;
	ELSIF op = 'DELETE' THEN
		act := 'delete';
		det := old_f;
	ELSIF op = 'REGENERATE' THEN
		act := 'regenerate';
		det := pg_catalog.jsonb_build_object('hint',
			pg_catalog.jsonb_build_object('old', old_row.hint, 'new', new_row.hint));
	ELSE
		SELECT pg_catalog.jsonb_object_agg(k, pg_catalog.jsonb_build_object('old', old_f -> k, 'new', new_f -> k))
		  INTO changed
		  FROM pg_catalog.jsonb_object_keys(new_f) AS k
		 WHERE old_f -> k IS DISTINCT FROM new_f -> k;
		IF changed IS NULL THEN
			RETURN;				-- nothing anyone can see changed
		END IF;
		IF changed ?| ARRAY['enabled'] AND (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(changed)) = 1 THEN
			act := CASE WHEN new_row.enabled THEN 'enable' ELSE 'disable' END;
		ELSE
			act := 'update';
		END IF;
		det := changed;
	END IF;
	INSERT INTO @extschema@.event_store (token_id, token_name, owner, actor, action, details)
	VALUES (r.id, r.name, r.owner, actor, act, det);
END
$$;
DROP FUNCTION @extschema@.public_fields(@extschema@.token_store);

/*
 * Deleting through the view.  No member keeps DELETE on token_store:
 * PostgreSQL lets a role holding table-level UPDATE, DELETE or TRUNCATE
 * LOCK the table in ACCESS EXCLUSIVE mode, which made every verify() wait.
 * The view keeps DELETE; its trigger deletes the rows row-level security
 * shows the caller, as the table owner, and the audit trail names the
 * caller.  (Locking the view also locks token_store, and PostgreSQL checks
 * the caller's privilege on it for that, so the view cannot be locked
 * either.)
 */
CREATE FUNCTION @extschema@.delete_token() RETURNS trigger
	AS 'MODULE_PATHNAME', 'apitoken_delete_token'
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@.delete_token() IS
	'trigger on the view apitoken.tokens: deletes the tokens row-level security lets the caller see, as the table owner, audited as the caller';
REVOKE ALL ON FUNCTION @extschema@.delete_token() FROM PUBLIC;

CREATE TRIGGER tokens_delete
	INSTEAD OF DELETE ON @extschema@.tokens
	FOR EACH ROW EXECUTE FUNCTION @extschema@.delete_token();

/*
 * Privileges.  Roles outside apitoken_user and apitoken_admin hold none on
 * the tables and views (verify(), check() and require_token() read the
 * table in C and need none): with SELECT, EXPLAIN ANALYZE told them which
 * rows exist.  Members hold no table-level privilege that allows a lock
 * stronger than ROW EXCLUSIVE (INSERT) on token_store, and no UPDATE of
 * hash or hint (the guard trigger writes them).  REVOKE ALL on a table
 * also revokes its column privileges.
 */
REVOKE ALL ON @extschema@.token_store, @extschema@.tokens,
	@extschema@.event_store, @extschema@.events
	FROM PUBLIC, apitoken_user, apitoken_admin;

GRANT SELECT (id, owner, enabled, last_access, expires_at, name, description,
			  created_by, created_at, regenerated_at, hint, scopes, allowed_from,
			  last_access_from_raw, owner_name, issued_in)
	ON @extschema@.token_store TO apitoken_user, apitoken_admin;
GRANT INSERT ON @extschema@.token_store TO apitoken_user, apitoken_admin;
GRANT UPDATE (name, description, expires_at, enabled, owner, regenerated_at,
			  scopes, allowed_from)
	ON @extschema@.token_store TO apitoken_user, apitoken_admin;

GRANT SELECT, INSERT, DELETE ON @extschema@.tokens TO apitoken_user, apitoken_admin;
GRANT UPDATE (name, description, expires_at, enabled, owner, scopes, allowed_from)
	ON @extschema@.tokens TO apitoken_user, apitoken_admin;

GRANT SELECT ON @extschema@.event_store, @extschema@.events TO apitoken_user, apitoken_admin;

REVOKE ALL ON FUNCTION @extschema@.unpack_addr(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.unpack_addr(uuid) TO apitoken_user, apitoken_admin;

COMMENT ON TABLE @extschema@.token_store IS
	'API tokens (base table behind apitoken.tokens); members of apitoken_user/apitoken_admin read it within RLS, hash is readable by superusers only';

/*
 * Functions whose body changes: search() says who may call it, and
 * purge_orphaned() deletes through the view (no role but the table owner
 * deletes from token_store) and also removes disowned tokens.
 */
CREATE OR REPLACE FUNCTION @extschema@.search(
	name text DEFAULT NULL,
	owners regrole[] DEFAULT NULL,
	expires_within interval DEFAULT NULL,
	created_by regrole[] DEFAULT NULL,
	status text DEFAULT NULL)
RETURNS SETOF @extschema@.tokens
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	PERFORM @extschema@.assert_manager();
	IF search.status IS NOT NULL AND search.status NOT IN ('active', 'disabled', 'expired') THEN
		RAISE EXCEPTION 'invalid status filter "%"', search.status
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use active, disabled, expired, or NULL for any status.';
	END IF;
	IF search.expires_within < interval '0' THEN
		RAISE EXCEPTION 'expires_within must not be negative'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY
	SELECT t.*
	  FROM @extschema@.tokens t
	 WHERE (search.name IS NULL OR strpos(lower(t.name), lower(search.name)) > 0)
	   AND (search.owners IS NULL OR t.owner = ANY (search.owners))
	   AND (search.expires_within IS NULL
			OR (t.expires_at > now() AND t.expires_at <= now() + search.expires_within))
	   AND (search.created_by IS NULL OR t.created_by = ANY (search.created_by))
	   AND (search.status IS NULL OR t.status = search.status)
	 ORDER BY t.name, t.owner::text;
END
$$;

-- plpgsql, not a SQL-standard body: a SQL function plans its DELETE before
-- running its first statement, so a non-member got "permission denied for
-- view tokens" instead of assert_admin()'s error with its hint
DROP FUNCTION @extschema@.purge_orphaned();
CREATE FUNCTION @extschema@.purge_orphaned() RETURNS integer
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
BEGIN
	PERFORM @extschema@.assert_admin();
	DELETE FROM @extschema@.tokens t
	 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = t.owner::oid)
		OR t.id IN (SELECT s.id FROM @extschema@.token_store s WHERE s.owner_name = '');
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.purge_orphaned() IS
	'deletes the tokens whose owner role no longer exists or that were disowned (apitoken_admin only); each deletion is audited';
GRANT EXECUTE ON FUNCTION @extschema@.purge_orphaned() TO PUBLIC;

/*
 * Recording the owner's name of tokens made before 1.1.1, in batches
 * that each commit, so that the upgrade never rewrites the table.
 */
CREATE FUNCTION @extschema@.record_owner_names_batch(batch_size integer, after_id bigint,
													  adopt boolean)
RETURNS bigint
	AS 'MODULE_PATHNAME', 'apitoken_record_owner_names'
	LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.record_owner_names_batch(integer, bigint, boolean) IS
	'records owner_name where it is missing or stale (with adopt: claims tokens issued elsewhere whose owner name matches) for the next batch_size tokens after after_id; returns the last id looked at, NULL when done (superusers; CALL apitoken.record_owner_names() loops over it)';
REVOKE ALL ON FUNCTION @extschema@.record_owner_names_batch(integer, bigint, boolean) FROM PUBLIC;

CREATE PROCEDURE @extschema@.record_owner_names(batch_size integer DEFAULT 10000,
												adopt boolean DEFAULT false)
	LANGUAGE plpgsql
AS $$
DECLARE
	last_id bigint := 0;
BEGIN
	LOOP
		last_id := @extschema@.record_owner_names_batch(batch_size, last_id, adopt);
		COMMIT;
		EXIT WHEN last_id IS NULL;
		RAISE NOTICE 'apitoken: owner names recorded up to token id %', last_id;
	END LOOP;
END
$$;
COMMENT ON PROCEDURE @extschema@.record_owner_names(integer, boolean) IS
	'records the owner''s name of every token made before 1.1.1, and the new name of owners renamed since, committing after each batch; adopt => true, in a cluster restored from a dump or made by pg_upgrade that now issues the tokens, claims them as its own (superusers)';
REVOKE ALL ON PROCEDURE @extschema@.record_owner_names(integer, boolean) FROM PUBLIC;

/*
 * Comments of functions whose behaviour grew.
 */
COMMENT ON FUNCTION @extschema@.require_token() IS
	'BEFORE INSERT OR UPDATE row trigger, arguments (token_column [, owner_column [, scope [, address_column]]]): rejects rows without a valid token allowing the scope (none given: only unrestricted tokens) (28000), stores its owner, clears the token';
COMMENT ON FUNCTION @extschema@.check(text) IS
	'why a token does or does not verify: valid, malformed, unknown, orphaned, owner_mismatch, owner_disabled, disabled, expired, address_denied';
COMMENT ON FUNCTION @extschema@.check(text, text, inet) IS
	'why a token does or does not verify for a scope and address: also scope_denied, address_denied';
