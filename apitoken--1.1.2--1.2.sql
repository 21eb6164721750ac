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
