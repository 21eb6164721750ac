/* apitoken--1.1.2--1.2.sql: tokens as database identities, rotation with a grace period, leaked-token response, expiry notices */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION apitoken UPDATE TO '1.2'" to load this file. \quit

/*
 * Catalog changes only, so that verify() keeps answering while this runs
 * (bench/upgrade measures it): the columns are added with a constant
 * default or none, which rewrites no row; a row written before 1.2 holds
 * them only as the catalog's default until it is next updated.  The one
 * step that reads the table is the build of the index on prev_hash, which
 * is NULL in every existing row, so the index it writes is empty.
 */
ALTER TABLE @extschema@.token_store
	ADD COLUMN prev_hash bytea,
	ADD COLUMN prev_valid_until timestamptz,
	ADD COLUMN last_refused_at timestamptz NOT NULL DEFAULT '-infinity',
	ADD COLUMN last_refused_from_raw uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
	ADD COLUMN last_refused_reason smallint NOT NULL DEFAULT 0;

CREATE INDEX token_store_prev_hash_key ON @extschema@.token_store (prev_hash)
	WHERE prev_hash IS NOT NULL;

COMMENT ON COLUMN @extschema@.token_store.prev_hash IS
	'SHA-256 of the previous value while it is in its grace period (apitoken.regenerate(id, grace)); superusers only';
COMMENT ON COLUMN @extschema@.token_store.prev_valid_until IS
	'the previous value verifies until then; NULL = no previous value';
COMMENT ON COLUMN @extschema@.token_store.last_refused_at IS
	'last time a valid secret of this token was refused (disabled, expired, scope or address denied), -infinity if never; written in place';
COMMENT ON COLUMN @extschema@.token_store.last_refused_from_raw IS
	'client address of that refused use, 16 bytes (see apitoken.unpack_addr); written in place';
COMMENT ON COLUMN @extschema@.token_store.last_refused_reason IS
	'why that use was refused: 0 none, 1 disabled, 2 expired, 3 scope_denied, 4 address_denied, 5 lifetime_exceeded (apitoken.refusal_reason())';

GRANT SELECT (prev_valid_until, last_refused_at, last_refused_from_raw, last_refused_reason)
	ON @extschema@.token_store TO apitoken_user, apitoken_admin;

CREATE FUNCTION @extschema@.refusal_reason(smallint) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN CASE $1 WHEN 1 THEN 'disabled' WHEN 2 THEN 'expired' WHEN 3 THEN 'scope_denied'
		WHEN 4 THEN 'address_denied' WHEN 5 THEN 'lifetime_exceeded' END;
COMMENT ON FUNCTION @extschema@.refusal_reason(smallint) IS
	'the reason stored in token_store.last_refused_reason, as text (NULL = none)';
REVOKE ALL ON FUNCTION @extschema@.refusal_reason(smallint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.refusal_reason(smallint) TO apitoken_user, apitoken_admin;

-- the view gains columns at its end (CREATE OR REPLACE VIEW keeps the
-- others, its grants and its trigger)
CREATE OR REPLACE VIEW @extschema@.tokens WITH (security_invoker = true) AS
SELECT t.id,
	   t.name,
	   t.description,
	   t.owner,
	   t.created_by,
	   t.created_at,
	   t.expires_at,
	   t.enabled,
	   CASE
		   WHEN NOT t.enabled THEN 'disabled'
		   WHEN t.expires_at <= pg_catalog.now() THEN 'expired'
		   ELSE 'active'
	   END AS status,
	   NULLIF(t.last_access, '-infinity'::timestamptz) AS last_access,
	   t.regenerated_at,
	   t.hint,
	   t.scopes,
	   t.allowed_from,
	   @extschema@.unpack_addr(t.last_access_from_raw) AS last_access_from,
	   CASE WHEN t.prev_valid_until > pg_catalog.now() THEN t.prev_valid_until END
		   AS previous_valid_until,
	   NULLIF(t.last_refused_at, '-infinity'::timestamptz) AS last_refused_at,
	   @extschema@.unpack_addr(t.last_refused_from_raw) AS last_refused_from,
	   @extschema@.refusal_reason(t.last_refused_reason) AS last_refused_reason
  FROM @extschema@.token_store t;
COMMENT ON COLUMN @extschema@.tokens.previous_valid_until IS 'the value before the last apitoken.regenerate(id, grace) verifies until then; NULL = none, or its grace period is over';
COMMENT ON COLUMN @extschema@.tokens.last_refused_at IS 'last time a valid secret of this token was refused (recorded at most every apitoken.last_access_interval); NULL = never';
COMMENT ON COLUMN @extschema@.tokens.last_refused_from IS 'client address of that refused use; NULL = none, or not over TCP/IP';
COMMENT ON COLUMN @extschema@.tokens.last_refused_reason IS 'why it was refused: disabled, expired, scope_denied, address_denied or lifetime_exceeded';

/*
 * Rotation with a grace period: regenerate(id, grace) keeps the replaced
 * value verifying until then (the guard trigger and verify() in C),
 * check() says until when a valid value works, the regenerate event
 * records it.  Changed signatures and result types: dropped and created
 * again, with their comments and privileges.
 */
DROP FUNCTION @extschema@.regenerate(bigint);
CREATE FUNCTION @extschema@.regenerate(id bigint, grace interval DEFAULT NULL)
RETURNS @extschema@.token
	AS 'MODULE_PATHNAME', 'apitoken_regenerate'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.regenerate(bigint, interval) IS
	'replaces a token''s value and returns the new one; the old value stops working when the transaction commits, or with a grace period (at most apitoken.max_lifetime, or 30 days) keeps working that much longer';

DROP FUNCTION @extschema@.check(text);
DROP FUNCTION @extschema@.check(text, text, inet);
CREATE FUNCTION @extschema@.check(token text)
RETURNS TABLE (token_id bigint, owner regrole, status text, valid_until timestamptz)
	AS 'MODULE_PATHNAME', 'apitoken_check'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED ROWS 1;
CREATE FUNCTION @extschema@.check(token text, scope text, client_addr inet DEFAULT pg_catalog.inet_client_addr())
RETURNS TABLE (token_id bigint, owner regrole, status text, valid_until timestamptz)
	AS 'MODULE_PATHNAME', 'apitoken_check'
	LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 1;
COMMENT ON FUNCTION @extschema@.check(text) IS
	'why a token does or does not verify: valid, malformed, unknown, orphaned, owner_mismatch, owner_disabled, disabled, expired, address_denied; valid_until: until when a valid value works (NULL = no end)';
COMMENT ON FUNCTION @extschema@.check(text, text, inet) IS
	'why a token does or does not verify for a scope and address: also scope_denied, address_denied; valid_until: until when a valid value works (NULL = no end)';

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
			pg_catalog.jsonb_build_object('old', old_row.hint, 'new', new_row.hint),
			'previous_valid_until', new_row.prev_valid_until);
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
COMMENT ON COLUMN @extschema@.events.details IS 'create/delete: the token''s fields; update: {field: {old, new}}; regenerate: the old and new hint and until when the old value still works (previous_valid_until, null = not at all)';

-- rotation: privileges of the functions created again above
REVOKE ALL ON FUNCTION @extschema@.regenerate(bigint, interval),
	@extschema@.check(text), @extschema@.check(text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.regenerate(bigint, interval),
	@extschema@.check(text), @extschema@.check(text, text, inet) TO PUBLIC;
