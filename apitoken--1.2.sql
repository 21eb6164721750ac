/* apitoken--1.2.sql: API tokens inside PostgreSQL, version 1.2: the whole schema as it is */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION apitoken" to load this file. \quit

/*
 * This script describes version 1.2 directly; a database upgraded from
 * 1.0 (apitoken--1.0.sql, apitoken--1.0--1.1.sql, apitoken--1.1--1.1.1.sql,
 * apitoken--1.1.1--1.1.2.sql, apitoken--1.1.2--1.2.sql) must end with
 * exactly the same catalog,
 * which sql/upgrade.sql checks.
 * Change both together: see "Adding a version" in the README.
 */

/*
 * Roles.  apitoken_user: "Manage API tokens" (own tokens only).
 * apitoken_admin: "Administration -> API tokens" (every role's tokens).
 * apitoken_owner: the roles tokens were issued to; create() makes each
 * owner a member; membership carries no privilege.  It tells a renamed
 * owner (still a member) from a role that was given the OID of a dropped
 * one (DROP ROLE ends the membership), see src/verify.c.  Roles are
 * cluster-wide, so they are created only when absent and are left in
 * place by DROP EXTENSION.
 */
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'apitoken_user') THEN
		CREATE ROLE apitoken_user NOLOGIN;
		COMMENT ON ROLE apitoken_user IS
			'apitoken: members see and manage the API tokens they own';
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'apitoken_admin') THEN
		CREATE ROLE apitoken_admin NOLOGIN;
		COMMENT ON ROLE apitoken_admin IS
			'apitoken: members see and manage every role''s API tokens';
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'apitoken_owner') THEN
		CREATE ROLE apitoken_owner NOLOGIN;
		COMMENT ON ROLE apitoken_owner IS
			'apitoken: roles API tokens were issued to (granted by apitoken.create(); carries no privilege, never grant it by hand)';
	END IF;
END
$roles$;

GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

/*
 * The token type: a token value as a client presents it.
 */
CREATE TYPE @extschema@.token;

CREATE FUNCTION @extschema@.token_in(cstring) RETURNS @extschema@.token
	AS 'MODULE_PATHNAME', 'apitoken_token_in'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.token_out(@extschema@.token) RETURNS cstring
	AS 'MODULE_PATHNAME', 'apitoken_token_out'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.token_recv(internal) RETURNS @extschema@.token
	AS 'MODULE_PATHNAME', 'apitoken_token_recv'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.token_send(@extschema@.token) RETURNS bytea
	AS 'MODULE_PATHNAME', 'apitoken_token_send'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.token_in(cstring) IS 'apitoken.token input: validates prefix, alphabet, length and checksum';
COMMENT ON FUNCTION @extschema@.token_out(@extschema@.token) IS 'apitoken.token output';
COMMENT ON FUNCTION @extschema@.token_recv(internal) IS 'apitoken.token binary input: validated like text input';
COMMENT ON FUNCTION @extschema@.token_send(@extschema@.token) IS 'apitoken.token binary output';

CREATE TYPE @extschema@.token (
	INPUT = @extschema@.token_in,
	OUTPUT = @extschema@.token_out,
	RECEIVE = @extschema@.token_recv,
	SEND = @extschema@.token_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended
);
COMMENT ON TYPE @extschema@.token IS
	'API token value as presented by a client: prefix, 256-bit base62 body, CRC32 checksum; input is validated and never echoed';

-- same bytes as text, so the cast to text needs no function; AS ASSIGNMENT
-- so that a returned token can be stored in a text column without a cast
CREATE CAST (@extschema@.token AS text) WITHOUT FUNCTION AS ASSIGNMENT;
CREATE CAST (text AS @extschema@.token) WITH INOUT;

CREATE FUNCTION @extschema@.hint(@extschema@.token) RETURNS text
	AS 'MODULE_PATHNAME', 'apitoken_token_hint'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hint(@extschema@.token) IS
	'non-secret fragment of a token (prefix and first 4 body characters), as shown in the hint column';

CREATE FUNCTION @extschema@.caller() RETURNS regrole
	AS 'MODULE_PATHNAME', 'apitoken_caller'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.caller() IS
	'current_user as regrole: the role whose tokens the caller sees and manages';

CREATE FUNCTION @extschema@.assert_manager() RETURNS void
	AS 'MODULE_PATHNAME', 'apitoken_assert_manager'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.assert_manager() IS
	'raises 42501 with a hint unless current_user is a member of apitoken_user or apitoken_admin';

CREATE FUNCTION @extschema@.assert_admin() RETURNS void
	AS 'MODULE_PATHNAME', 'apitoken_assert_admin'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.assert_admin() IS
	'raises 42501 with a hint unless current_user is a member of apitoken_admin';

/*
 * Token storage.  Column order matters to verify(): id, owner, enabled
 * and last_access are fixed-width and NOT NULL so that last_access sits
 * at a fixed offset and can be overwritten in place (last_access_from_raw
 * too, found through heap_getattr()).  last_access is '-infinity' until
 * first use (the view shows NULL).  hash is always 32 bytes: only the
 * guard trigger writes it, for create() and regenerate().  Names are
 * checked in C (src/text_rules.c) by create() and the guard, before a row
 * is formed.  last_access_from_raw holds the client address of the last
 * recorded access as 16 fixed bytes (IPv4 mapped into IPv6; all zeros =
 * none).  owner_name and issued_in record whom and where the token was
 * issued to (see src/verify.c).  prev_hash and prev_valid_until are the
 * previous value of a token regenerated with a grace period, which keeps
 * verifying until then (written only by regenerate(), ended by the guard
 * when the token is disabled, expires or is given a new expiry).
 * last_refused_at, last_refused_from_raw and last_refused_reason record
 * the last use of a valid secret that was refused, in place like last
 * access (fixed width, NOT NULL; rows written before 1.2 do not hold them
 * until they are next updated).
 */
CREATE SEQUENCE @extschema@.token_store_id_seq;

CREATE TABLE @extschema@.token_store (
	id				bigint NOT NULL DEFAULT pg_catalog.nextval('@extschema@.token_store_id_seq'),
	owner			regrole NOT NULL,
	enabled			boolean NOT NULL DEFAULT true,
	last_access		timestamptz NOT NULL DEFAULT '-infinity',
	expires_at		timestamptz,
	hash			bytea NOT NULL,
	name			text NOT NULL,
	description		text NOT NULL DEFAULT '',
	created_by		regrole NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	regenerated_at	timestamptz,
	hint			text NOT NULL,
	scopes			text[] NOT NULL DEFAULT '{}',
	allowed_from	cidr[],
	last_access_from_raw uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
	owner_name		text,
	issued_in		bigint,
	prev_hash		bytea,
	prev_valid_until timestamptz,
	last_refused_at	timestamptz NOT NULL DEFAULT '-infinity',
	last_refused_from_raw uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
	last_refused_reason smallint NOT NULL DEFAULT 0,
	CONSTRAINT token_store_pkey PRIMARY KEY (id),
	CONSTRAINT token_store_owner_name_key UNIQUE (owner, name)
);
ALTER SEQUENCE @extschema@.token_store_id_seq OWNED BY @extschema@.token_store.id;
ALTER TABLE @extschema@.token_store ALTER COLUMN last_access_from_raw SET STORAGE PLAIN;

-- verify() probes this index directly (see src/verify.c).  A hash index:
-- equality is all verify() needs, it is a third of the size of a btree on
-- 32-byte values, and needs no tree descent.
CREATE INDEX token_store_hash_key ON @extschema@.token_store USING hash (hash);
-- the previous values still in their grace period, probed by verify()
-- only when the current values missed.  A partial btree: it holds only the
-- few tokens in a grace period (a hash index would be sized for the whole
-- table), and building it on upgrade reads the table but writes nothing.
CREATE INDEX token_store_prev_hash_key ON @extschema@.token_store (prev_hash)
	WHERE prev_hash IS NOT NULL;

COMMENT ON TABLE @extschema@.token_store IS
	'API tokens (base table behind apitoken.tokens); members of apitoken_user/apitoken_admin read it within RLS, hash is readable by superusers only';
COMMENT ON COLUMN @extschema@.token_store.name IS
	'1 to 64 characters, not blank, unique per owner (checked by apitoken.create() and the guard trigger)';
COMMENT ON COLUMN @extschema@.token_store.hash IS
	'SHA-256 of the token text; written only by apitoken.create() and apitoken.regenerate()';
COMMENT ON COLUMN @extschema@.token_store.last_access IS
	'last successful verification, -infinity if never; written in place by verify(), carried forward by every UPDATE';
COMMENT ON COLUMN @extschema@.token_store.scopes IS
	'scopes the token may be used for; empty = unrestricted';
COMMENT ON COLUMN @extschema@.token_store.allowed_from IS
	'networks the token may be used from; NULL = anywhere';
COMMENT ON COLUMN @extschema@.token_store.last_access_from_raw IS
	'client address of the last recorded access, 16 bytes (see apitoken.unpack_addr); overwritten in place by verify()';
COMMENT ON COLUMN @extschema@.token_store.owner_name IS
	'name of the role the token was issued to (NULL: not yet recorded, see apitoken.record_owner_names; empty: disowned)';
COMMENT ON COLUMN @extschema@.token_store.issued_in IS
	'system identifier of the cluster the token was issued in: only there does an owner renamed since still verify before the new name is recorded';
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

-- keep the tokens (and the id sequence) in pg_dump output
SELECT pg_catalog.pg_extension_config_dump('@extschema@.token_store', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.token_store_id_seq', '');

/*
 * Who sees and changes which row.  Superusers bypass RLS as always; FORCE
 * makes the policies apply to the table owner as well.  A policy asks for
 * the privileges of apitoken_user or apitoken_admin ('USAGE'), as the
 * tables' own grants do, not for bare membership: a grant WITH INHERIT
 * FALSE, SET FALSE (PostgreSQL 16 and later; how ADMIN OPTION is handed
 * out alone) or to a NOINHERIT role confers nothing until SET ROLE.
 */
ALTER TABLE @extschema@.token_store ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.token_store FORCE ROW LEVEL SECURITY;

CREATE POLICY token_store_admin ON @extschema@.token_store
	USING (pg_catalog.pg_has_role('apitoken_admin', 'USAGE'))
	WITH CHECK (pg_catalog.pg_has_role('apitoken_admin', 'USAGE'));
COMMENT ON POLICY token_store_admin ON @extschema@.token_store IS
	'roles with the privileges of apitoken_admin (inherited, or after SET ROLE) see and manage every token';

CREATE POLICY token_store_owner ON @extschema@.token_store
	USING (owner = @extschema@.caller() AND pg_catalog.pg_has_role('apitoken_user', 'USAGE'))
	WITH CHECK (owner = @extschema@.caller() AND pg_catalog.pg_has_role('apitoken_user', 'USAGE'));
COMMENT ON POLICY token_store_owner ON @extschema@.token_store IS
	'roles with the privileges of apitoken_user (inherited, or after SET ROLE) see and manage the tokens they own';

/*
 * The guard trigger (src/guard.c): only create() inserts, only the
 * extension writes the columns it maintains, and puts the hash in itself;
 * nobody changes an owner; last access is carried forward.
 */
CREATE FUNCTION @extschema@.guard() RETURNS trigger
	AS 'MODULE_PATHNAME', 'apitoken_guard'
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@.guard() IS
	'trigger on apitoken.token_store: refuses direct inserts, owner changes and writes to generated columns';

CREATE TRIGGER token_store_guard
	BEFORE INSERT OR UPDATE ON @extschema@.token_store
	FOR EACH ROW EXECUTE FUNCTION @extschema@.guard();

CREATE FUNCTION @extschema@.unpack_addr(uuid) RETURNS inet
	AS 'MODULE_PATHNAME', 'apitoken_unpack_addr'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.unpack_addr(uuid) IS
	'client address stored in token_store.last_access_from_raw, as inet (NULL = none)';

CREATE FUNCTION @extschema@.refusal_reason(smallint) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN CASE $1 WHEN 1 THEN 'disabled' WHEN 2 THEN 'expired' WHEN 3 THEN 'scope_denied'
		WHEN 4 THEN 'address_denied' WHEN 5 THEN 'lifetime_exceeded' END;
COMMENT ON FUNCTION @extschema@.refusal_reason(smallint) IS
	'the reason stored in token_store.last_refused_reason, as text (NULL = none)';

/*
 * The view users work with.  security_invoker, so the policies above
 * apply to whoever queries or updates it.  DELETE goes through the
 * INSTEAD OF trigger delete_token() (src/manage.c): no member holds DELETE
 * on token_store, because PostgreSQL lets a role holding table-level
 * UPDATE, DELETE or TRUNCATE LOCK the table in any mode, which would make
 * every verify() wait.
 */
CREATE VIEW @extschema@.tokens WITH (security_invoker = true) AS
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

COMMENT ON VIEW @extschema@.tokens IS
	'API tokens the current role may see: its own (apitoken_user) or all (apitoken_admin); update name, description, expires_at, enabled; delete rows to revoke';
COMMENT ON COLUMN @extschema@.tokens.id IS 'token id, as passed to regenerate(), enable(), disable()';
COMMENT ON COLUMN @extschema@.tokens.name IS 'name, 1 to 64 characters, unique per owner';
COMMENT ON COLUMN @extschema@.tokens.description IS 'free text';
COMMENT ON COLUMN @extschema@.tokens.owner IS 'role the token authenticates as; cannot be changed';
COMMENT ON COLUMN @extschema@.tokens.created_by IS 'role that called apitoken.create()';
COMMENT ON COLUMN @extschema@.tokens.created_at IS 'creation time';
COMMENT ON COLUMN @extschema@.tokens.expires_at IS 'expiry time; NULL = never expires';
COMMENT ON COLUMN @extschema@.tokens.enabled IS 'false = disabled: the token does not verify';
COMMENT ON COLUMN @extschema@.tokens.status IS 'active, disabled or expired';
COMMENT ON COLUMN @extschema@.tokens.last_access IS 'last successful verification (recorded at most every apitoken.last_access_interval); NULL = never used';
COMMENT ON COLUMN @extschema@.tokens.regenerated_at IS 'time of the last apitoken.regenerate(); NULL = never';
COMMENT ON COLUMN @extschema@.tokens.hint IS 'non-secret start of the token value, to tell tokens apart';
COMMENT ON COLUMN @extschema@.tokens.scopes IS 'scopes the token may be used for (verify(token, scope)); empty = unrestricted';
COMMENT ON COLUMN @extschema@.tokens.allowed_from IS 'networks the token may be used from; NULL = anywhere';
COMMENT ON COLUMN @extschema@.tokens.last_access_from IS 'client address of the last recorded access; NULL = never, or not over TCP/IP';
COMMENT ON COLUMN @extschema@.tokens.previous_valid_until IS 'the value before the last apitoken.regenerate(id, grace) verifies until then; NULL = none, or its grace period is over';
COMMENT ON COLUMN @extschema@.tokens.last_refused_at IS 'last time a valid secret of this token was refused (recorded at most every apitoken.last_access_interval); NULL = never';
COMMENT ON COLUMN @extschema@.tokens.last_refused_from IS 'client address of that refused use; NULL = none, or not over TCP/IP';
COMMENT ON COLUMN @extschema@.tokens.last_refused_reason IS 'why it was refused: disabled, expired, scope_denied, address_denied or lifetime_exceeded';

CREATE FUNCTION @extschema@.delete_token() RETURNS trigger
	AS 'MODULE_PATHNAME', 'apitoken_delete_token'
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@.delete_token() IS
	'trigger on the view apitoken.tokens: deletes the tokens row-level security lets the caller see, as the table owner, audited as the caller';

CREATE TRIGGER tokens_delete
	INSTEAD OF DELETE ON @extschema@.tokens
	FOR EACH ROW EXECUTE FUNCTION @extschema@.delete_token();

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
	USING (pg_catalog.pg_has_role('apitoken_admin', 'USAGE'));
COMMENT ON POLICY event_store_admin ON @extschema@.event_store IS
	'roles with the privileges of apitoken_admin (inherited, or after SET ROLE) see every event';
CREATE POLICY event_store_owner ON @extschema@.event_store FOR SELECT
	USING (owner = @extschema@.caller() AND pg_catalog.pg_has_role('apitoken_user', 'USAGE'));
COMMENT ON POLICY event_store_owner ON @extschema@.event_store IS
	'roles with the privileges of apitoken_user (inherited, or after SET ROLE) see the events of the tokens they own';

CREATE VIEW @extschema@.events WITH (security_invoker = true) AS
SELECT e.id, e.at, e.token_id, e.token_name, e.owner, e.actor, e.action, e.details
  FROM @extschema@.event_store e;
COMMENT ON VIEW @extschema@.events IS
	'audit trail: every create, update, regenerate, enable, disable, revoke and delete of the tokens you may see';
COMMENT ON COLUMN @extschema@.events.id IS 'event id, increasing';
COMMENT ON COLUMN @extschema@.events.at IS 'when the change was made';
COMMENT ON COLUMN @extschema@.events.token_id IS 'the token changed';
COMMENT ON COLUMN @extschema@.events.token_name IS 'its name at the time';
COMMENT ON COLUMN @extschema@.events.owner IS 'its owner';
COMMENT ON COLUMN @extschema@.events.actor IS 'the role that made the change (current_user)';
COMMENT ON COLUMN @extschema@.events.action IS 'create, update, regenerate, enable, disable, revoke or delete';
COMMENT ON COLUMN @extschema@.events.details IS 'create/delete: the token''s fields; update: {field: {old, new}}; regenerate: the old and new hint and until when the old value still works (previous_valid_until, null = not at all); revoke: {reason}';

-- Called only by the audit trigger, which runs it as the owner of
-- event_store with the search path pinned to pg_catalog (see src/audit.c),
-- with the rows' hash set to NULL; nobody else may execute it.
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

CREATE FUNCTION @extschema@.audit() RETURNS trigger
	AS 'MODULE_PATHNAME', 'apitoken_audit'
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@.audit() IS
	'trigger on apitoken.token_store: records every change in apitoken.events';
CREATE TRIGGER token_store_audit
	AFTER INSERT OR UPDATE OR DELETE ON @extschema@.token_store
	FOR EACH ROW EXECUTE FUNCTION @extschema@.audit();

/*
 * Management functions.  All run as the caller; RLS decides.
 */
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
-- not STRICT: a NULL grace means none (a NULL id still gives NULL)
CREATE FUNCTION @extschema@.regenerate(id bigint, grace interval DEFAULT NULL)
RETURNS @extschema@.token
	AS 'MODULE_PATHNAME', 'apitoken_regenerate'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.regenerate(bigint, interval) IS
	'replaces a token''s value and returns the new one; the old value stops working when the transaction commits, or with a grace period (at most apitoken.max_lifetime, or 30 days) keeps working that much longer';

CREATE FUNCTION @extschema@.enable(VARIADIC ids bigint[]) RETURNS integer
	LANGUAGE sql VOLATILE
	SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT @extschema@.assert_manager();
	WITH changed AS (
		UPDATE @extschema@.token_store SET enabled = true
		 WHERE id = ANY (ids) AND NOT enabled
		RETURNING 1)
	SELECT count(*)::integer FROM changed;
END;
COMMENT ON FUNCTION @extschema@.enable(bigint[]) IS
	'enables the given tokens you may manage; returns how many changed';

CREATE FUNCTION @extschema@.disable(VARIADIC ids bigint[]) RETURNS integer
	LANGUAGE sql VOLATILE
	SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT @extschema@.assert_manager();
	WITH changed AS (
		UPDATE @extschema@.token_store SET enabled = false
		 WHERE id = ANY (ids) AND enabled
		RETURNING 1)
	SELECT count(*)::integer FROM changed;
END;
COMMENT ON FUNCTION @extschema@.disable(bigint[]) IS
	'disables the given tokens you may manage; returns how many changed';

/*
 * The list screen, in SQL.
 */
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
/*
 * Owner lifecycle.
 */
-- plpgsql, not a SQL-standard body: a SQL function plans its DELETE before
-- running its first statement, so a non-member got "permission denied for
-- view tokens" instead of assert_admin()'s error with its hint
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

/*
 * Verification.  PUBLIC: holding the secret is the credential.
 */
CREATE FUNCTION @extschema@.verify(token text) RETURNS regrole
	AS 'MODULE_PATHNAME', 'apitoken_verify_text'
	LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.verify(text) IS
	'owner of the token if it exists, is enabled, not expired and its owner exists; otherwise NULL; never raises';

CREATE FUNCTION @extschema@.verify(token @extschema@.token) RETURNS regrole
	AS 'MODULE_PATHNAME', 'apitoken_verify_token'
	LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.verify(@extschema@.token) IS
	'owner of the token if it exists, is enabled, not expired and its owner exists; otherwise NULL';

CREATE FUNCTION @extschema@.check(token text)
RETURNS TABLE (token_id bigint, owner regrole, status text, valid_until timestamptz)
	AS 'MODULE_PATHNAME', 'apitoken_check'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED ROWS 1;
COMMENT ON FUNCTION @extschema@.check(text) IS
	'why a token does or does not verify: valid, malformed, unknown, orphaned, owner_mismatch, owner_disabled, disabled, expired, lifetime_exceeded, address_denied; valid_until: until when a valid value works (NULL = no end)';

CREATE FUNCTION @extschema@.require_token() RETURNS trigger
	AS 'MODULE_PATHNAME', 'apitoken_require_token'
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@.require_token() IS
	'BEFORE INSERT OR UPDATE row trigger, arguments (token_column [, owner_column]): rejects rows without a valid token (28000), stores its owner, clears the token';

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
RETURNS TABLE (token_id bigint, owner regrole, status text, valid_until timestamptz)
	AS 'MODULE_PATHNAME', 'apitoken_check'
	LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 1;
COMMENT ON FUNCTION @extschema@.check(text, text, inet) IS
	'why a token does or does not verify for a scope and address: also scope_denied, address_denied, lifetime_exceeded; valid_until: until when a valid value works (NULL = no end)';

COMMENT ON FUNCTION @extschema@.require_token() IS
	'BEFORE INSERT OR UPDATE row trigger, arguments (token_column [, owner_column [, scope [, address_column]]]): rejects rows without a valid token allowing the scope (none given: only unrestricted tokens) (28000), stores its owner, clears the token';

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

/*
 * Privileges.  Roles outside apitoken_user and apitoken_admin hold none on
 * the tables and views (verify(), check() and require_token() read the
 * table in C and need none): with SELECT, EXPLAIN ANALYZE would tell them
 * which rows exist.  Members hold no table-level privilege that allows a
 * lock stronger than ROW EXCLUSIVE (INSERT) on token_store, no UPDATE of
 * hash or hint (the guard trigger writes them) and never read the hash.
 * UPDATE of owner is granted so that an attempt gets the guard's clear
 * error rather than "permission denied"; INSERT (on the view too) so that
 * create(), which runs as the caller, can insert, and a direct INSERT gets
 * the guard's hint.
 */
REVOKE ALL ON @extschema@.token_store, @extschema@.tokens,
	@extschema@.event_store, @extschema@.events FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.token_store_id_seq, @extschema@.event_store_id_seq FROM PUBLIC;

GRANT SELECT (id, owner, enabled, last_access, expires_at, name, description,
			  created_by, created_at, regenerated_at, hint, scopes, allowed_from,
			  last_access_from_raw, owner_name, issued_in, prev_valid_until,
			  last_refused_at, last_refused_from_raw, last_refused_reason)
	ON @extschema@.token_store TO apitoken_user, apitoken_admin;
GRANT INSERT ON @extschema@.token_store TO apitoken_user, apitoken_admin;
GRANT UPDATE (name, description, expires_at, enabled, owner, regenerated_at,
			  scopes, allowed_from)
	ON @extschema@.token_store TO apitoken_user, apitoken_admin;

GRANT SELECT, INSERT, DELETE ON @extschema@.tokens TO apitoken_user, apitoken_admin;
GRANT UPDATE (name, description, expires_at, enabled, owner, scopes, allowed_from)
	ON @extschema@.tokens TO apitoken_user, apitoken_admin;

GRANT SELECT ON @extschema@.event_store, @extschema@.events TO apitoken_user, apitoken_admin;
GRANT USAGE ON SEQUENCE @extschema@.token_store_id_seq TO apitoken_user, apitoken_admin;

-- functions and procedures: EXECUTE for whom each is meant, nobody else
REVOKE ALL ON ALL ROUTINES IN SCHEMA @extschema@ FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	@extschema@.token_in(cstring), @extschema@.token_out(@extschema@.token),
	@extschema@.token_recv(internal), @extschema@.token_send(@extschema@.token),
	@extschema@.hint(@extschema@.token), @extschema@.caller(),
	@extschema@.assert_manager(), @extschema@.assert_admin(),
	@extschema@.create(text, regrole, text, timestamptz, boolean, text[], cidr[]),
	@extschema@.regenerate(bigint, interval),
	@extschema@.enable(bigint[]), @extschema@.disable(bigint[]),
	@extschema@.verify(text), @extschema@.verify(@extschema@.token),
	@extschema@.verify(text, text, inet),
	@extschema@.check(text), @extschema@.check(text, text, inet),
	@extschema@.require_token(),
	@extschema@.search(text, regrole[], interval, regrole[], text, timestamptz, boolean),
	@extschema@.purge_orphaned()
	TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.unpack_addr(uuid), @extschema@.refusal_reason(smallint)
	TO apitoken_user, apitoken_admin;

-- tokens as database identities: anyone may present a token
GRANT EXECUTE ON FUNCTION @extschema@.login(text, text, inet), @extschema@.current_token(),
	@extschema@.current_scopes(), @extschema@.has_scope(text) TO PUBLIC;
-- expiry notices: notify_expiring() checks its caller; the table is read by admins, written by the extension alone
REVOKE ALL ON @extschema@.expiry_notice_store FROM PUBLIC;
GRANT SELECT ON @extschema@.expiry_notice_store TO apitoken_admin;
REVOKE ALL ON FUNCTION @extschema@.send_expiry_notices(interval), @extschema@.notify_expiring(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.notify_expiring(interval) TO PUBLIC;
-- revoke(): anyone holding a value may revoke it
REVOKE ALL ON FUNCTION @extschema@.revoke(text, text), @extschema@.revoke(@extschema@.token, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.revoke(text, text), @extschema@.revoke(@extschema@.token, text) TO PUBLIC;
-- find_tokens (1.2): anyone; it returns only what its input holds
REVOKE ALL ON FUNCTION @extschema@.find_tokens(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.find_tokens(text, text) TO PUBLIC;
