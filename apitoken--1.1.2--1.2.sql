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
	   t.prev_valid_until AS previous_valid_until,
	   NULLIF(t.last_refused_at, '-infinity'::timestamptz) AS last_refused_at,
	   @extschema@.unpack_addr(t.last_refused_from_raw) AS last_refused_from,
	   @extschema@.refusal_reason(t.last_refused_reason) AS last_refused_reason
  FROM @extschema@.token_store t;
COMMENT ON COLUMN @extschema@.tokens.previous_valid_until IS 'the value before the last apitoken.regenerate(id, grace) verifies until then; NULL = none';
COMMENT ON COLUMN @extschema@.tokens.last_refused_at IS 'last time a valid secret of this token was refused (recorded at most every apitoken.last_access_interval); NULL = never';
COMMENT ON COLUMN @extschema@.tokens.last_refused_from IS 'client address of that refused use; NULL = none, or not over TCP/IP';
COMMENT ON COLUMN @extschema@.tokens.last_refused_reason IS 'why it was refused: disabled, expired, scope_denied, address_denied or lifetime_exceeded';

/*
 * Leaked tokens: revoke(), the reason in the audit trail, search() by
 * refused use and by the lifetime policy.  record_event() takes the
 * reason of a revoke as a fifth argument; search() gains two filters at
 * its end.  Both are dropped and created again (their signatures change).
 */
DROP FUNCTION @extschema@.record_event(regrole, text, @extschema@.token_store, @extschema@.token_store);
CREATE FUNCTION @extschema@.record_event(actor regrole, op text,
													old_row @extschema@.token_store,
													new_row @extschema@.token_store,
													reason text)
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
	ELSIF op = 'REVOKE' THEN
		act := 'revoke';
		det := pg_catalog.jsonb_build_object('reason', reason);
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
COMMENT ON FUNCTION @extschema@.record_event(regrole, text, @extschema@.token_store, @extschema@.token_store, text) IS
	'internal: writes one audit event; called by the audit trigger as the owner of event_store (reason: that of a revoke)';
REVOKE ALL ON FUNCTION @extschema@.record_event(regrole, text, @extschema@.token_store, @extschema@.token_store, text) FROM PUBLIC;

COMMENT ON VIEW @extschema@.events IS
	'audit trail: every create, update, regenerate, enable, disable, revoke and delete of the tokens you may see';
COMMENT ON COLUMN @extschema@.events.action IS 'create, update, regenerate, enable, disable, revoke or delete';
COMMENT ON COLUMN @extschema@.events.details IS 'create/delete: the token''s fields; update: {field: {old, new}}; regenerate: the old and new hint; revoke: {reason}';

DROP FUNCTION @extschema@.search(text, regrole[], interval, regrole[], text);
CREATE FUNCTION @extschema@.search(
	name text DEFAULT NULL,
	owners regrole[] DEFAULT NULL,
	expires_within interval DEFAULT NULL,
	created_by regrole[] DEFAULT NULL,
	status text DEFAULT NULL,
	refused_since timestamptz DEFAULT NULL,
	over_max_lifetime boolean DEFAULT NULL)
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
	IF search.over_max_lifetime IS NOT NULL
	   AND current_setting('apitoken.max_lifetime')::interval = interval '0' THEN
		RAISE EXCEPTION 'over_max_lifetime needs a lifetime policy'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'apitoken.max_lifetime is 0 (no limit).',
				  HINT = 'A superuser can SET apitoken.max_lifetime in a session to see which tokens a policy would affect.';
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
	   AND (search.refused_since IS NULL OR t.last_refused_at >= search.refused_since)
	   AND (search.over_max_lifetime IS NULL
			OR (coalesce(t.regenerated_at, t.created_at)
				< now() - current_setting('apitoken.max_lifetime')::interval) = search.over_max_lifetime)
	 ORDER BY t.name, t.owner::text;
END
$$;

COMMENT ON FUNCTION @extschema@.search(text, regrole[], interval, regrole[], text, timestamptz, boolean) IS
	'the tokens you may see, filtered like the list screen: name substring (case-insensitive), owners, expiring within an interval, creators, status, refused since a time, value issued longer ago than apitoken.max_lifetime; sorted by name and owner';
REVOKE ALL ON FUNCTION @extschema@.search(text, regrole[], interval, regrole[], text, timestamptz, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.search(text, regrole[], interval, regrole[], text, timestamptz, boolean) TO PUBLIC;

/*
 * Leaked tokens: revoke() (src/manage.c).  Anyone holding a value may
 * disable its token; the refused uses of valid secrets are recorded in
 * place by verify() (src/last_access.c).
 */
CREATE FUNCTION @extschema@.revoke(token text, reason text DEFAULT NULL) RETURNS boolean
	AS 'MODULE_PATHNAME', 'apitoken_revoke'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION @extschema@.revoke(text, text) IS
	'disables the token a value belongs to (any role may: holding the value is enough), audited as revoke with the reason; returns whether it disabled one, and says nothing else';
COMMENT ON FUNCTION @extschema@.check(text) IS
	'why a token does or does not verify: valid, malformed, unknown, orphaned, owner_mismatch, owner_disabled, disabled, expired, lifetime_exceeded, address_denied';
COMMENT ON FUNCTION @extschema@.check(text, text, inet) IS
	'why a token does or does not verify for a scope and address: also scope_denied, address_denied, lifetime_exceeded';

-- revoke(): anyone holding a value may revoke it
REVOKE ALL ON FUNCTION @extschema@.revoke(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.revoke(text, text) TO PUBLIC;
