/* apitoken--1.0--1.1.sql: audit trail, search, lifetime policy, scopes, address allow-lists, owner lifecycle */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION apitoken UPDATE TO '1.1'" to load this file. \quit

/*
 * New columns.  last_access_from_raw holds the client address of the last
 * recorded access as 16 fixed bytes (IPv4 mapped into IPv6; all zeros =
 * none), so that verify() can overwrite it in place like last_access.
 * The view shows it as inet.
 */
ALTER TABLE @extschema@.token_store
	ADD COLUMN scopes text[] NOT NULL DEFAULT '{}',
	ADD COLUMN allowed_from cidr[],
	ADD COLUMN last_access_from_raw uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000';
ALTER TABLE @extschema@.token_store ALTER COLUMN last_access_from_raw SET STORAGE PLAIN;

COMMENT ON COLUMN @extschema@.token_store.scopes IS
	'scopes the token may be used for; empty = unrestricted';
COMMENT ON COLUMN @extschema@.token_store.allowed_from IS
	'networks the token may be used from; NULL = anywhere';
COMMENT ON COLUMN @extschema@.token_store.last_access_from_raw IS
	'client address of the last recorded access, 16 bytes (see apitoken.unpack_addr); overwritten in place by verify()';

/*
 * Rows written by 1.0 do not physically hold the new columns (ADD COLUMN
 * with a constant default changes only the catalog), and verify() can only
 * overwrite bytes a row holds: such a row records its last access without
 * the client address until its next change writes it whole, or until
 * apitoken.record_owner_names() (1.1.1) does, in batches.  Rewriting every
 * row here would hold the ACCESS EXCLUSIVE lock of ADD COLUMN, and stop
 * verify(), for as long as the rewrite takes.
 */

CREATE FUNCTION @extschema@.unpack_addr(uuid) RETURNS inet
	AS 'MODULE_PATHNAME', 'apitoken_unpack_addr'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.unpack_addr(uuid) IS
	'client address stored in token_store.last_access_from_raw, as inet (NULL = none)';

/*
 * The view gains the new columns at the end.
 */
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
	   @extschema@.unpack_addr(t.last_access_from_raw) AS last_access_from
  FROM @extschema@.token_store t;

COMMENT ON COLUMN @extschema@.tokens.scopes IS 'scopes the token may be used for (verify(token, scope)); empty = unrestricted';
COMMENT ON COLUMN @extschema@.tokens.allowed_from IS 'networks the token may be used from; NULL = anywhere';
COMMENT ON COLUMN @extschema@.tokens.last_access_from IS 'client address of the last recorded access; NULL = never, or not over TCP/IP';

GRANT SELECT (scopes, allowed_from, last_access_from_raw) ON @extschema@.token_store TO PUBLIC;
GRANT UPDATE (scopes, allowed_from) ON @extschema@.tokens, @extschema@.token_store
	TO apitoken_user, apitoken_admin;

/*
 * create() gains scopes and allowed_from.  The old signature has to go:
 * with both, any call with five or fewer arguments would be ambiguous.
 */
DROP FUNCTION @extschema@.create(text, regrole, text, timestamptz, boolean);
CREATE FUNCTION @extschema@.create(
	name text,
	owner regrole DEFAULT @extschema@.caller(),
	description text DEFAULT '',
	expires_at timestamptz DEFAULT NULL,
	enabled boolean DEFAULT true,
	scopes text[] DEFAULT '{}',
	allowed_from cidr[] DEFAULT NULL)
RETURNS TABLE (id bigint, token @extschema@.token)
	AS 'MODULE_PATHNAME', 'apitoken_create'
	LANGUAGE C VOLATILE ROWS 1;
COMMENT ON FUNCTION @extschema@.create(text, regrole, text, timestamptz, boolean, text[], cidr[]) IS
	'creates an API token and returns its value, the only time it is shown; owner defaults to current_user (others: apitoken_admin only)';
GRANT EXECUTE ON FUNCTION @extschema@.create(text, regrole, text, timestamptz, boolean, text[], cidr[]) TO PUBLIC;

/*
 * verify() and check() with a scope and a client address.
 */
CREATE FUNCTION @extschema@.verify(token text, scope text, client_addr inet DEFAULT pg_catalog.inet_client_addr())
RETURNS regrole
	AS 'MODULE_PATHNAME', 'apitoken_verify_scoped'
	LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.verify(text, text, inet) IS
	'owner of the token if it is valid, unrestricted or carrying the scope (NULL: any), and allowed from client_addr (default: the connection''s address); otherwise NULL';

CREATE FUNCTION @extschema@.check(token text, scope text, client_addr inet DEFAULT pg_catalog.inet_client_addr())
RETURNS TABLE (token_id bigint, owner regrole, status text)
	AS 'MODULE_PATHNAME', 'apitoken_check'
	LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 1;
COMMENT ON FUNCTION @extschema@.check(text, text, inet) IS
	'why a token does or does not verify for a scope and address: also scope_denied, address_denied';

GRANT EXECUTE ON FUNCTION @extschema@.verify(text, text, inet), @extschema@.check(text, text, inet) TO PUBLIC;

COMMENT ON FUNCTION @extschema@.check(text) IS
	'why a token does or does not verify: valid, malformed, unknown, orphaned, owner_disabled, disabled, expired, address_denied';

/*
 * Audit trail: an append-only table that no role but a superuser can
 * write, filled by the audit trigger (src/audit.c) through record_event(),
 * which alone decides the action; the column comment lists the values.
 */
CREATE SEQUENCE @extschema@.event_store_id_seq;
CREATE TABLE @extschema@.event_store (
	id			bigint NOT NULL DEFAULT pg_catalog.nextval('@extschema@.event_store_id_seq'),
	at			timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	token_id	bigint NOT NULL,
	token_name	text NOT NULL,
	owner		regrole NOT NULL,
	actor		regrole NOT NULL,
	action		text NOT NULL,
	details		jsonb NOT NULL DEFAULT '{}',
	CONSTRAINT event_store_pkey PRIMARY KEY (id)
);
ALTER SEQUENCE @extschema@.event_store_id_seq OWNED BY @extschema@.event_store.id;
CREATE INDEX event_store_token_id_idx ON @extschema@.event_store (token_id);
COMMENT ON TABLE @extschema@.event_store IS
	'audit trail of API token changes (base table behind apitoken.events); written only by the audit trigger';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.event_store', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.event_store_id_seq', '');

ALTER TABLE @extschema@.event_store ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.event_store FORCE ROW LEVEL SECURITY;
CREATE POLICY event_store_admin ON @extschema@.event_store FOR SELECT
	USING (pg_catalog.pg_has_role('apitoken_admin', 'MEMBER'));
COMMENT ON POLICY event_store_admin ON @extschema@.event_store IS
	'members of apitoken_admin see every event';
CREATE POLICY event_store_owner ON @extschema@.event_store FOR SELECT
	USING (owner = @extschema@.caller() AND pg_catalog.pg_has_role('apitoken_user', 'MEMBER'));
COMMENT ON POLICY event_store_owner ON @extschema@.event_store IS
	'members of apitoken_user see the events of the tokens they own';

CREATE VIEW @extschema@.events WITH (security_invoker = true) AS
SELECT e.id, e.at, e.token_id, e.token_name, e.owner, e.actor, e.action, e.details
  FROM @extschema@.event_store e;
COMMENT ON VIEW @extschema@.events IS
	'audit trail: every create, update, regenerate, enable, disable and delete of the tokens you may see';
COMMENT ON COLUMN @extschema@.events.id IS 'event id, increasing';
COMMENT ON COLUMN @extschema@.events.at IS 'when the change was made';
COMMENT ON COLUMN @extschema@.events.token_id IS 'the token changed';
COMMENT ON COLUMN @extschema@.events.token_name IS 'its name at the time';
COMMENT ON COLUMN @extschema@.events.owner IS 'its owner';
COMMENT ON COLUMN @extschema@.events.actor IS 'the role that made the change (current_user)';
COMMENT ON COLUMN @extschema@.events.action IS 'create, update, regenerate, enable, disable or delete';
COMMENT ON COLUMN @extschema@.events.details IS 'create/delete: the token''s fields; update: {field: {old, new}}; regenerate: the old and new hint';

REVOKE ALL ON @extschema@.event_store, @extschema@.events FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.event_store_id_seq FROM PUBLIC;
GRANT SELECT ON @extschema@.event_store, @extschema@.events TO PUBLIC;

-- the non-secret fields of a token, as events show them
-- (a SQL-standard body is bound at creation, so it needs no SET search_path;
-- STABLE, not IMMUTABLE, as jsonb renders timestamps in the session's time
-- zone, and so that the planner inlines it)
CREATE FUNCTION @extschema@.public_fields(t @extschema@.token_store) RETURNS jsonb
	LANGUAGE sql STABLE PARALLEL SAFE
	RETURN pg_catalog.jsonb_build_object(
		'name', t.name, 'description', t.description, 'expires_at', t.expires_at,
		'enabled', t.enabled, 'scopes', t.scopes, 'allowed_from', t.allowed_from);
COMMENT ON FUNCTION @extschema@.public_fields(@extschema@.token_store) IS
	'the fields of a token that events record (never the hash)';

-- Called only by the audit trigger, which runs it as the owner of
-- event_store with the search path pinned to pg_catalog (see src/audit.c);
-- nobody else may execute it.
CREATE FUNCTION @extschema@.record_event(actor regrole, op text,
										 old_row @extschema@.token_store,
										 new_row @extschema@.token_store)
RETURNS void
	LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
	old_f jsonb := @extschema@.public_fields(old_row);
	new_f jsonb := @extschema@.public_fields(new_row);
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
	ELSIF old_row.hash IS DISTINCT FROM new_row.hash THEN
		act := 'regenerate';
		det := jsonb_build_object('hint', jsonb_build_object('old', old_row.hint, 'new', new_row.hint));
	ELSE
		SELECT jsonb_object_agg(k, jsonb_build_object('old', old_f -> k, 'new', new_f -> k))
		  INTO changed
		  FROM jsonb_object_keys(new_f) AS k
		 WHERE old_f -> k IS DISTINCT FROM new_f -> k;
		IF changed IS NULL THEN
			RETURN;				-- nothing anyone can see changed
		END IF;
		IF changed ?| ARRAY['enabled'] AND (SELECT count(*) FROM jsonb_object_keys(changed)) = 1 THEN
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
COMMENT ON FUNCTION @extschema@.record_event(regrole, text, @extschema@.token_store, @extschema@.token_store) IS
	'internal: writes one audit event; called by the audit trigger as the owner of event_store';
REVOKE ALL ON FUNCTION @extschema@.record_event(regrole, text, @extschema@.token_store, @extschema@.token_store) FROM PUBLIC;

CREATE FUNCTION @extschema@.audit() RETURNS trigger
	AS 'MODULE_PATHNAME', 'apitoken_audit'
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@.audit() IS
	'trigger on apitoken.token_store: records every change in apitoken.events';
REVOKE ALL ON FUNCTION @extschema@.audit() FROM PUBLIC;

CREATE TRIGGER token_store_audit
	AFTER INSERT OR UPDATE OR DELETE ON @extschema@.token_store
	FOR EACH ROW EXECUTE FUNCTION @extschema@.audit();

/*
 * The list screen, in SQL.
 */
CREATE FUNCTION @extschema@.search(
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
COMMENT ON FUNCTION @extschema@.search(text, regrole[], interval, regrole[], text) IS
	'the tokens you may see, filtered like the list screen: name substring (case-insensitive), owners, expiring within an interval, creators, status; sorted by name and owner';
GRANT EXECUTE ON FUNCTION @extschema@.search(text, regrole[], interval, regrole[], text) TO PUBLIC;

/*
 * Owner lifecycle.
 */
CREATE FUNCTION @extschema@.assert_admin() RETURNS void
	AS 'MODULE_PATHNAME', 'apitoken_assert_admin'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.assert_admin() IS
	'raises 42501 with a hint unless current_user is a member of apitoken_admin';
GRANT EXECUTE ON FUNCTION @extschema@.assert_admin() TO PUBLIC;

CREATE FUNCTION @extschema@.purge_orphaned() RETURNS integer
	LANGUAGE sql VOLATILE
	SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT @extschema@.assert_admin();
	WITH gone AS (
		DELETE FROM @extschema@.token_store t
		 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = t.owner::oid)
		RETURNING 1)
	SELECT count(*)::integer FROM gone;
END;
COMMENT ON FUNCTION @extschema@.purge_orphaned() IS
	'deletes the tokens whose owner role no longer exists (apitoken_admin only); each deletion is audited';
GRANT EXECUTE ON FUNCTION @extschema@.purge_orphaned() TO PUBLIC;
