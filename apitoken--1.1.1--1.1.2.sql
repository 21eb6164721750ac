/* apitoken--1.1.1--1.1.2.sql: row-level security follows privileges, not bare membership */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION apitoken UPDATE TO '1.1.2'" to load this file. \quit

/*
 * The policies asked pg_has_role(..., 'MEMBER'), which counts any grant.
 * From PostgreSQL 16 a role can be granted apitoken_admin WITH INHERIT
 * FALSE, SET FALSE (how ADMIN OPTION is delegated alone), which confers
 * none of its privileges, and such a role still saw and managed every
 * token; a NOINHERIT member did the same on any version.  'USAGE' asks for
 * the privileges, inherited or after SET ROLE, as the tables' grants do.
 * Catalog changes only: each ALTER POLICY holds its lock for milliseconds.
 */
ALTER POLICY token_store_admin ON @extschema@.token_store
	USING (pg_catalog.pg_has_role('apitoken_admin', 'USAGE'))
	WITH CHECK (pg_catalog.pg_has_role('apitoken_admin', 'USAGE'));
COMMENT ON POLICY token_store_admin ON @extschema@.token_store IS
	'roles with the privileges of apitoken_admin (inherited, or after SET ROLE) see and manage every token';

ALTER POLICY token_store_owner ON @extschema@.token_store
	USING (owner = @extschema@.caller() AND pg_catalog.pg_has_role('apitoken_user', 'USAGE'))
	WITH CHECK (owner = @extschema@.caller() AND pg_catalog.pg_has_role('apitoken_user', 'USAGE'));
COMMENT ON POLICY token_store_owner ON @extschema@.token_store IS
	'roles with the privileges of apitoken_user (inherited, or after SET ROLE) see and manage the tokens they own';

ALTER POLICY event_store_admin ON @extschema@.event_store
	USING (pg_catalog.pg_has_role('apitoken_admin', 'USAGE'));
COMMENT ON POLICY event_store_admin ON @extschema@.event_store IS
	'roles with the privileges of apitoken_admin (inherited, or after SET ROLE) see every event';

ALTER POLICY event_store_owner ON @extschema@.event_store
	USING (owner = @extschema@.caller() AND pg_catalog.pg_has_role('apitoken_user', 'USAGE'));
COMMENT ON POLICY event_store_owner ON @extschema@.event_store IS
	'roles with the privileges of apitoken_user (inherited, or after SET ROLE) see the events of the tokens they own';
