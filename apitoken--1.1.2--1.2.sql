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
 * Tokens as database identities (src/login.c).  login() is not SECURITY
 * DEFINER: the role switch is PostgreSQL's own SET LOCAL ROLE, allowed
 * only to a session user that may SET ROLE to the owner.  The helpers
 * answer for the calling transaction only; PARALLEL RESTRICTED, because
 * the login is the leader's.
 */
CREATE FUNCTION @extschema@.login(token text, scope text DEFAULT NULL,
								  client_addr inet DEFAULT pg_catalog.inet_client_addr())
RETURNS regrole
	AS 'MODULE_PATHNAME', 'apitoken_login'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.login(text, text, inet) IS
	'in a transaction block: checks the token as verify(token, scope, client_addr) does and runs the rest of the transaction as its owner, as SET LOCAL ROLE (the session user must be allowed to SET ROLE to it); 28000 if the token is not valid';

CREATE FUNCTION @extschema@.current_token() RETURNS bigint
	AS 'MODULE_PATHNAME', 'apitoken_current_token'
	LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.current_token() IS
	'id of the token apitoken.login() switched this transaction to, while current_user is its owner; otherwise NULL';

CREATE FUNCTION @extschema@.current_scopes() RETURNS text[]
	AS 'MODULE_PATHNAME', 'apitoken_current_scopes'
	LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.current_scopes() IS
	'scopes of the logged-in token (''{}'' = unrestricted), while current_user is its owner; otherwise NULL';

CREATE FUNCTION @extschema@.has_scope(scope text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'apitoken_has_scope'
	LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.has_scope(text) IS
	'true if a token is logged in (apitoken.login()), current_user is its owner and it allows the scope (an unrestricted token allows every scope); for a policy, (SELECT apitoken.has_scope(...)) evaluates it once per statement';
REVOKE ALL ON FUNCTION @extschema@.login(text, text, inet), @extschema@.current_token(),
	@extschema@.current_scopes(), @extschema@.has_scope(text) FROM PUBLIC;
-- tokens as database identities: anyone may present a token
GRANT EXECUTE ON FUNCTION @extschema@.login(text, text, inet), @extschema@.current_token(),
	@extschema@.current_scopes(), @extschema@.has_scope(text) TO PUBLIC;

/*
 * Expiry notices (1.2).  notify_expiring() (src/expiry.c) sends NOTIFY
 * apitoken_expiring for every enabled token of an existing owner that
 * expires within the window, once per window and expiry:
 * expiry_notice_store remembers what it announced, one row per token and
 * window (windows that compare equal, '7 days' and '168 hours', are one).
 * A token is announced again for a window when its expiry has changed
 * since.  Only the extension writes the table (as its owner, through
 * send_expiry_notices(), which no role may execute); admins may read it.
 * It is dumped, so that a restored database does not announce again what
 * was announced before the dump.
 */
CREATE TABLE @extschema@.expiry_notice_store (
	token_id	bigint NOT NULL,
	within		interval NOT NULL,
	expires_at	timestamptz NOT NULL,
	notified_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT expiry_notice_store_pkey PRIMARY KEY (token_id, within)
);
COMMENT ON TABLE @extschema@.expiry_notice_store IS
	'expiry notices sent by apitoken.notify_expiring(): one row per token and window; written only by the extension, readable by apitoken_admin';
COMMENT ON COLUMN @extschema@.expiry_notice_store.token_id IS 'the token announced (token_store.id)';
COMMENT ON COLUMN @extschema@.expiry_notice_store.within IS 'the window it was announced for (notify_expiring(within))';
COMMENT ON COLUMN @extschema@.expiry_notice_store.expires_at IS 'the expiry announced; a different expiry is announced again';
COMMENT ON COLUMN @extschema@.expiry_notice_store.notified_at IS 'when it was announced';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.expiry_notice_store', '');

ALTER TABLE @extschema@.expiry_notice_store ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.expiry_notice_store FORCE ROW LEVEL SECURITY;
CREATE POLICY expiry_notice_store_admin ON @extschema@.expiry_notice_store FOR SELECT
	USING (pg_catalog.pg_has_role('apitoken_admin', 'USAGE'));
COMMENT ON POLICY expiry_notice_store_admin ON @extschema@.expiry_notice_store IS
	'roles with the privileges of apitoken_admin (inherited, or after SET ROLE) see every expiry notice';

-- Run only by notify_expiring(), as the owner of token_store with the
-- search path pinned (see src/expiry.c), after it checked the caller and
-- the window; nobody else may execute it.  First forgets the notices that
-- no longer hold (token deleted, expiry changed, or the expiry announced
-- has passed), so the table holds at most one row per token and window
-- with a future expiry.  Then claims the due tokens with one INSERT ... ON
-- CONFLICT: a token is notified only if its row was inserted or its
-- expiry updated by this call, so two runs at once announce it once (the
-- second waits for the first's row and then finds it).  NOTIFY is sent at
-- commit, in expiry order, one per token.
CREATE FUNCTION @extschema@.send_expiry_notices(within interval) RETURNS integer
	LANGUAGE plpgsql VOLATILE STRICT
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer := 0;
	r record;
BEGIN
	DELETE FROM @extschema@.expiry_notice_store s
	 WHERE s.expires_at <= now()
		OR NOT EXISTS (SELECT FROM @extschema@.token_store t
						WHERE t.id = s.token_id AND t.expires_at = s.expires_at);
	FOR r IN
		WITH due AS (
			SELECT t.id, t.name, o.rolname, t.expires_at
			  FROM @extschema@.token_store t
			  JOIN pg_catalog.pg_roles o ON o.oid = t.owner
			 WHERE t.enabled
			   AND t.expires_at > now()
			   AND t.expires_at <= now() + send_expiry_notices.within),
		claimed AS (
			INSERT INTO @extschema@.expiry_notice_store AS s (token_id, within, expires_at)
			SELECT d.id, send_expiry_notices.within, d.expires_at FROM due d
			ON CONFLICT ON CONSTRAINT expiry_notice_store_pkey DO UPDATE
			   SET expires_at = excluded.expires_at, notified_at = excluded.notified_at
			 WHERE s.expires_at IS DISTINCT FROM excluded.expires_at
			RETURNING s.token_id)
		SELECT d.id, d.name, d.rolname, d.expires_at
		  FROM due d JOIN claimed c ON c.token_id = d.id
		 ORDER BY d.expires_at, d.id
	LOOP
		PERFORM pg_notify('apitoken_expiring',
			jsonb_build_object('id', r.id, 'name', r.name, 'owner', r.rolname,
							   'expires_at', r.expires_at)::text);
		n := n + 1;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.send_expiry_notices(interval) IS
	'internal: the work of apitoken.notify_expiring(), run by it as the owner of token_store';

CREATE FUNCTION @extschema@.notify_expiring(within interval DEFAULT '7 days') RETURNS integer
	AS 'MODULE_PATHNAME', 'apitoken_notify_expiring'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.notify_expiring(interval) IS
	'NOTIFY apitoken_expiring with {id, name, owner, expires_at} for each enabled token expiring within the window not yet announced for it at that expiry; returns how many (apitoken_admin only; schedule it hourly)';

-- expiry notices: notify_expiring() checks its caller; the table is read by admins, written by the extension alone
REVOKE ALL ON @extschema@.expiry_notice_store FROM PUBLIC;
GRANT SELECT ON @extschema@.expiry_notice_store TO apitoken_admin;
REVOKE ALL ON FUNCTION @extschema@.send_expiry_notices(interval), @extschema@.notify_expiring(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.notify_expiring(interval) TO PUBLIC;

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
			pg_catalog.jsonb_build_object('old', old_row.hint, 'new', new_row.hint),
			'previous_valid_until', new_row.prev_valid_until);
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
COMMENT ON COLUMN @extschema@.events.details IS 'create/delete: the token''s fields; update: {field: {old, new}}; regenerate: the old and new hint and until when the old value still works (previous_valid_until, null = not at all); revoke: {reason}';

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
CREATE FUNCTION @extschema@.revoke(token @extschema@.token, reason text DEFAULT NULL) RETURNS boolean
	AS 'MODULE_PATHNAME', 'apitoken_revoke'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION @extschema@.revoke(@extschema@.token, text) IS
	'revoke() for a value already typed, as apitoken.find_tokens() returns it';
COMMENT ON FUNCTION @extschema@.check(text) IS
	'why a token does or does not verify: valid, malformed, unknown, orphaned, owner_mismatch, owner_disabled, disabled, expired, lifetime_exceeded, address_denied; valid_until: until when a valid value works (NULL = no end)';
COMMENT ON FUNCTION @extschema@.check(text, text, inet) IS
	'why a token does or does not verify for a scope and address: also scope_denied, address_denied, lifetime_exceeded; valid_until: until when a valid value works (NULL = no end)';

-- revoke(): anyone holding a value may revoke it
REVOKE ALL ON FUNCTION @extschema@.revoke(text, text), @extschema@.revoke(@extschema@.token, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.revoke(text, text), @extschema@.revoke(@extschema@.token, text) TO PUBLIC;

-- rotation: privileges of the functions created again above
REVOKE ALL ON FUNCTION @extschema@.regenerate(bigint, interval),
	@extschema@.check(text), @extschema@.check(text, text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.regenerate(bigint, interval),
	@extschema@.check(text), @extschema@.check(text, text, inet) TO PUBLIC;

/*
 * Finding leaked tokens (1.2): find_tokens() scans a text for well-formed
 * token values (src/find_tokens.c, src/token_scan.c).  It reads no table
 * and no setting, hence IMMUTABLE; not STRICT, because a NULL prefix means
 * any prefix (a NULL text gives no rows).  ROWS 1: most texts hold none.
 */
CREATE FUNCTION @extschema@.find_tokens(text text, prefix text DEFAULT NULL)
RETURNS SETOF @extschema@.token
	AS 'MODULE_PATHNAME', 'apitoken_find_tokens'
	LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE ROWS 1;
COMMENT ON FUNCTION @extschema@.find_tokens(text, text) IS
	'every well-formed token (prefix, length, checksum) that stands as a whole word in the text, in text order, each occurrence once; with prefix, only tokens of that prefix; NULL text: none';

-- find_tokens (1.2): anyone; it returns only what its input holds
REVOKE ALL ON FUNCTION @extschema@.find_tokens(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.find_tokens(text, text) TO PUBLIC;
