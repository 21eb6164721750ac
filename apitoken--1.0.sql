/* apitoken--1.0.sql: API tokens inside PostgreSQL, version 1.0 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION apitoken" to load this file. \quit

/*
 * Roles.  apitoken_user: "Manage API tokens" (own tokens only).
 * apitoken_admin: "Administration -> API tokens" (every role's tokens).
 * Roles are cluster-wide, so they are created only when absent and are
 * left in place by DROP EXTENSION.
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

/*
 * Token storage.  hash is always 32 bytes: only create() and regenerate()
 * write it (the guard trigger sees to that), so it needs no CHECK, which
 * would cost a constraint evaluation on every create.  Column order matters
 * to verify(): id, owner, enabled
 * and last_access are fixed-width and NOT NULL so that last_access sits
 * at a fixed offset and can be overwritten in place.  last_access is
 * '-infinity' until first use (the view shows NULL).
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
	CONSTRAINT token_store_pkey PRIMARY KEY (id),
	CONSTRAINT token_store_owner_name_key UNIQUE (owner, name),
	CONSTRAINT token_store_name_check
		CHECK (pg_catalog.char_length(name) BETWEEN 1 AND 64 AND name !~ '^[[:space:]]*$')
);
ALTER SEQUENCE @extschema@.token_store_id_seq OWNED BY @extschema@.token_store.id;

-- verify() probes this index directly (see src/verify.c).  A hash index:
-- equality is all verify() needs, it is a third of the size of a btree on
-- 32-byte values, and needs no tree descent.
CREATE INDEX token_store_hash_key ON @extschema@.token_store USING hash (hash);

COMMENT ON TABLE @extschema@.token_store IS
	'API tokens (base table behind apitoken.tokens); hash is the SHA-256 of the token value and is readable by superusers only';
COMMENT ON COLUMN @extschema@.token_store.hash IS
	'SHA-256 of the token text; written only by apitoken.create() and apitoken.regenerate()';
COMMENT ON COLUMN @extschema@.token_store.last_access IS
	'last successful verification, -infinity if never; updated in place by verify()';

-- keep the tokens (and the id sequence) in pg_dump output
SELECT pg_catalog.pg_extension_config_dump('@extschema@.token_store', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.token_store_id_seq', '');

/*
 * Who sees and changes which row.  Superusers bypass RLS as always; FORCE
 * makes the policies apply to the table owner as well.
 */
ALTER TABLE @extschema@.token_store ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.token_store FORCE ROW LEVEL SECURITY;

CREATE POLICY token_store_admin ON @extschema@.token_store
	USING (pg_catalog.pg_has_role('apitoken_admin', 'MEMBER'))
	WITH CHECK (pg_catalog.pg_has_role('apitoken_admin', 'MEMBER'));
COMMENT ON POLICY token_store_admin ON @extschema@.token_store IS
	'members of apitoken_admin see and manage every token';

CREATE POLICY token_store_owner ON @extschema@.token_store
	USING (owner = @extschema@.caller() AND pg_catalog.pg_has_role('apitoken_user', 'MEMBER'))
	WITH CHECK (owner = @extschema@.caller() AND pg_catalog.pg_has_role('apitoken_user', 'MEMBER'));
COMMENT ON POLICY token_store_owner ON @extschema@.token_store IS
	'members of apitoken_user see and manage the tokens they own';

/*
 * Guard triggers: only create() inserts, only create()/regenerate() write
 * the secret columns, nobody changes an owner.
 */
CREATE FUNCTION @extschema@.guard() RETURNS trigger
	AS 'MODULE_PATHNAME', 'apitoken_guard'
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@.guard() IS
	'trigger on apitoken.token_store: refuses direct inserts, owner changes and writes to generated columns';

CREATE TRIGGER token_store_guard
	BEFORE INSERT OR UPDATE ON @extschema@.token_store
	FOR EACH ROW EXECUTE FUNCTION @extschema@.guard();

/*
 * The view users work with.  security_invoker, so the policies above
 * apply to whoever queries or updates it.
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
	   t.hint
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

/*
 * Privileges.  Everyone may read the non-secret columns (RLS shows
 * non-members no rows); members of the two roles may update the editable
 * columns and delete.  INSERT and UPDATE of hash/hint/regenerated_at are
 * granted only so that create() and regenerate(), which run as the
 * caller, can pass RLS; the guard triggers refuse them from anywhere else.
 * UPDATE of owner is granted so that an attempt gets the guard's clear
 * error rather than "permission denied".  The hash column is never
 * readable by non-superusers.
 */
REVOKE ALL ON @extschema@.token_store, @extschema@.tokens FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.token_store_id_seq FROM PUBLIC;

GRANT SELECT (id, owner, enabled, last_access, expires_at, name, description,
			  created_by, created_at, regenerated_at, hint)
	ON @extschema@.token_store TO PUBLIC;
GRANT SELECT ON @extschema@.tokens TO PUBLIC;

GRANT UPDATE (name, description, expires_at, enabled, owner)
	ON @extschema@.tokens TO apitoken_user, apitoken_admin;
GRANT UPDATE (name, description, expires_at, enabled, owner, hash, hint, regenerated_at)
	ON @extschema@.token_store TO apitoken_user, apitoken_admin;
GRANT DELETE ON @extschema@.tokens, @extschema@.token_store TO apitoken_user, apitoken_admin;
GRANT INSERT ON @extschema@.tokens, @extschema@.token_store TO apitoken_user, apitoken_admin;
GRANT USAGE ON SEQUENCE @extschema@.token_store_id_seq TO apitoken_user, apitoken_admin;

/*
 * Management functions.  All run as the caller; RLS decides.
 */
CREATE FUNCTION @extschema@.create(
	name text,
	owner regrole DEFAULT @extschema@.caller(),
	description text DEFAULT '',
	expires_at timestamptz DEFAULT NULL,
	enabled boolean DEFAULT true)
RETURNS TABLE (id bigint, token @extschema@.token)
	AS 'MODULE_PATHNAME', 'apitoken_create'
	LANGUAGE C VOLATILE ROWS 1;
COMMENT ON FUNCTION @extschema@.create(text, regrole, text, timestamptz, boolean) IS
	'creates an API token and returns its value, the only time it is shown; owner defaults to current_user (others: apitoken_admin only)';

CREATE FUNCTION @extschema@.regenerate(id bigint) RETURNS @extschema@.token
	AS 'MODULE_PATHNAME', 'apitoken_regenerate'
	LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.regenerate(bigint) IS
	'replaces a token''s value and returns the new one; the old value stops working when the transaction commits';

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
RETURNS TABLE (token_id bigint, owner regrole, status text)
	AS 'MODULE_PATHNAME', 'apitoken_check'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED ROWS 1;
COMMENT ON FUNCTION @extschema@.check(text) IS
	'why a token does or does not verify: valid, malformed, unknown, disabled, expired or orphaned';

CREATE FUNCTION @extschema@.require_token() RETURNS trigger
	AS 'MODULE_PATHNAME', 'apitoken_require_token'
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@.require_token() IS
	'BEFORE INSERT OR UPDATE row trigger, arguments (token_column [, owner_column]): rejects rows without a valid token (28000), stores its owner, clears the token';

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	@extschema@.token_in(cstring), @extschema@.token_out(@extschema@.token),
	@extschema@.token_recv(internal), @extschema@.token_send(@extschema@.token),
	@extschema@.hint(@extschema@.token), @extschema@.caller(),
	@extschema@.assert_manager(),
	@extschema@.create(text, regrole, text, timestamptz, boolean),
	@extschema@.regenerate(bigint),
	@extschema@.enable(bigint[]), @extschema@.disable(bigint[]),
	@extschema@.verify(text), @extschema@.verify(@extschema@.token),
	@extschema@.check(text), @extschema@.require_token()
	TO PUBLIC;
