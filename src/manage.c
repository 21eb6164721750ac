/*-------------------------------------------------------------------------
 *
 * manage.c
 *	  create() and regenerate(): the only places a token value exists in
 *	  clear, and the only code allowed to write token hashes.
 *
 * Both run as the caller (SECURITY INVOKER): their INSERT and UPDATE go
 * through the same row-level security policies and column privileges as
 * a DBA's own statements, so RLS stays the single gate for who may do
 * what.  What they add is the secret: 32 bytes from libsodium's CSPRNG,
 * encoded by token_codec.c, stored as its SHA-256 only.  The guard
 * triggers (apitoken.c) refuse to write hash and hint columns unless
 * apitoken_internal_write is set, which happens only around the one
 * prepared statement each function runs here.
 *
 * The statements are fully schema-qualified, operators included: they run
 * with the caller's search_path while the guard is open, so an operator
 * of the caller's own must never be picked up.
 *
 * Every buffer that held the value is wiped with
 * sodium_memzero() before this code lets go of it.  The value is returned
 * to the caller once and never logged: errors here never include it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sodium.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "apitoken.h"

PG_FUNCTION_INFO_V1(apitoken_create);
PG_FUNCTION_INFO_V1(apitoken_regenerate);

/* A freshly generated token: its text, hash and hint. */
typedef struct NewToken
{
	char		text[APITOKEN_TEXT_MAX + 1];
	size_t		len;
	char		hint[APITOKEN_HINT_MAX + 1];
	bytea	   *hash;			/* palloc'd SHA-256 of text, as a bytea */
} NewToken;

static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr insert_plan_v11 = NULL;
static SPIPlanPtr update_plan = NULL;

/* Generate a token with the current apitoken.prefix. */
static void
generate_token(NewToken *tok)
{
	uint8		secret[APITOKEN_SECRET_BYTES];

	randombytes_buf(secret, sizeof(secret));
	tok->len = apitoken_encode(apitoken_prefix, strlen(apitoken_prefix),
							   secret, tok->text);
	sodium_memzero(secret, sizeof(secret));
	if (tok->len == 0)
		elog(ERROR, "apitoken.prefix is not a valid token prefix");

	tok->hash = (bytea *) palloc(VARHDRSZ + APITOKEN_HASH_BYTES);
	SET_VARSIZE(tok->hash, VARHDRSZ + APITOKEN_HASH_BYTES);
	apitoken_hash_text(tok->text, tok->len, (uint8 *) VARDATA(tok->hash));
	apitoken_hint(tok->text, tok->len, strlen(apitoken_prefix), tok->hint);
}

/* Prepare (once per backend) and keep an SPI plan. */
static SPIPlanPtr
keep_plan(SPIPlanPtr *plan, const char *sql, int nargs, Oid *argtypes)
{
	if (*plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(sql, nargs, argtypes);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*plan = p;
	}
	return *plan;
}

/*
 * Run a kept plan that writes secret columns, with the guard triggers
 * told to let it through; returns the bigint in the first row of its
 * RETURNING list, or -1 if it touched no row.  If the statement fails,
 * the token is wiped before the error propagates.
 */
static int64
run_internal_write(SPIPlanPtr plan, Datum *values, const char *nulls,
				   NewToken *tok)
{
	int			ret = 0;
	int64		id = -1;

	apitoken_internal_write = true;
	PG_TRY();
	{
		ret = SPI_execute_plan(plan, values, nulls, false, 1);
	}
	PG_CATCH();
	{
		apitoken_internal_write = false;
		sodium_memzero(tok, sizeof(NewToken));
		PG_RE_THROW();
	}
	PG_END_TRY();
	apitoken_internal_write = false;

	if (ret != SPI_OK_INSERT_RETURNING && ret != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
	if (SPI_processed > 0)
	{
		bool		isnull;

		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 1, &isnull));
	}
	return id;
}

/*
 * apitoken.create(name, owner, description, expires_at, enabled
 *				   [, scopes, allowed_from])
 *	  RETURNS TABLE (id bigint, token apitoken.token)
 *
 * The same C function serves the 1.0 signature (5 arguments) and the 1.1
 * one (7), so a database still at 1.0 keeps working with this library.
 */
Datum
apitoken_create(PG_FUNCTION_ARGS)
{
	static Oid	argtypes[10] = {
		REGROLEOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, BOOLOID,
		BYTEAOID, TEXTOID, REGROLEOID, TEXTARRAYOID, CIDRARRAYOID
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		v11 = PG_NARGS() >= 7;
	Oid			caller = GetUserId();
	Oid			owner;
	text	   *name;
	TimestampTz expires = 0;
	bool		never_expires = PG_ARGISNULL(3);
	NewToken	tok;
	Datum		args[10];
	char		argnulls[11] = "          ";
	int64		id;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	apitoken_require_manager(caller);

	owner = PG_ARGISNULL(1) ? caller : PG_GETARG_OID(1);
	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(owner)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", owner)));
	if (owner != caller && !apitoken_is_admin(caller))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create API tokens for role \"%s\"",
						GetUserNameFromId(owner, false)),
				 errhint("Members of \"%s\" create tokens for themselves only; \"%s\" may create them for any role.",
						 APITOKEN_USER_ROLE, APITOKEN_ADMIN_ROLE)));

	name = PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0);
	apitoken_validate_name(name);

	if (!never_expires)
	{
		expires = PG_GETARG_TIMESTAMPTZ(3);
		if (expires <= GetCurrentTimestamp())
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("expiry time of an API token must be in the future"),
					 errhint("Pass expires_at => NULL for a token that never expires.")));
	}
	apitoken_check_lifetime(&expires, &never_expires, true);
	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("enabled must not be null")));
	if (v11)
	{
		apitoken_validate_scopes(PG_ARGISNULL(5) ? NULL : PG_GETARG_ARRAYTYPE_P(5));
		apitoken_validate_allowed_from(PG_ARGISNULL(6) ? NULL : PG_GETARG_ARRAYTYPE_P(6));
	}

	generate_token(&tok);

	args[0] = ObjectIdGetDatum(owner);
	args[1] = PointerGetDatum(name);
	args[2] = PG_ARGISNULL(2) ? CStringGetTextDatum("") : PG_GETARG_DATUM(2);
	args[3] = TimestampTzGetDatum(expires);
	if (never_expires)
		argnulls[3] = 'n';
	args[4] = PG_GETARG_DATUM(4);
	args[5] = PointerGetDatum(tok.hash);
	args[6] = CStringGetTextDatum(tok.hint);
	args[7] = ObjectIdGetDatum(caller);
	if (v11)
	{
		args[8] = PG_GETARG_DATUM(5);
		args[9] = PG_ARGISNULL(6) ? (Datum) 0 : PG_GETARG_DATUM(6);
		if (PG_ARGISNULL(6))
			argnulls[9] = 'n';
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (v11)
		keep_plan(&insert_plan_v11,
				  "INSERT INTO apitoken.token_store"
				  " (owner, name, description, expires_at, enabled, hash, hint, created_by,"
				  "  scopes, allowed_from)"
				  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
				  " ON CONFLICT (owner, name) DO NOTHING"
				  " RETURNING id",
				  10, argtypes);
	else
		keep_plan(&insert_plan,
				  "INSERT INTO apitoken.token_store"
				  " (owner, name, description, expires_at, enabled, hash, hint, created_by)"
				  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
				  " ON CONFLICT (owner, name) DO NOTHING"
				  " RETURNING id",
				  8, argtypes);
	id = run_internal_write(v11 ? insert_plan_v11 : insert_plan, args, argnulls, &tok);
	SPI_finish();

	if (id < 0)
	{
		sodium_memzero(&tok, sizeof(tok));
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("API token \"%s\" already exists for role \"%s\"",
						text_to_cstring(name), GetUserNameFromId(owner, false)),
				 errhint("Choose another name, or replace the existing token's value with apitoken.regenerate(id).")));
	}

	InitMaterializedSRF(fcinfo, 0);
	values[0] = Int64GetDatum(id);
	values[1] = PointerGetDatum(cstring_to_text_with_len(tok.text, (int) tok.len));
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	sodium_memzero(&tok, sizeof(tok));
	return (Datum) 0;
}

/* apitoken.regenerate(id bigint) RETURNS apitoken.token */
Datum
apitoken_regenerate(PG_FUNCTION_ARGS)
{
	static Oid	argtypes[3] = {INT8OID, BYTEAOID, TEXTOID};
	int64		id = PG_GETARG_INT64(0);
	NewToken	tok;
	Datum		args[3];
	text	   *result;

	apitoken_require_manager(GetUserId());

	generate_token(&tok);
	args[0] = Int64GetDatum(id);
	args[1] = PointerGetDatum(tok.hash);
	args[2] = CStringGetTextDatum(tok.hint);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	keep_plan(&update_plan,
			  "UPDATE apitoken.token_store"
			  " SET hash = $2, hint = $3, regenerated_at = pg_catalog.now()"
			  " WHERE id OPERATOR(pg_catalog.=) $1"
			  " RETURNING id",
			  3, argtypes);
	if (run_internal_write(update_plan, args, NULL, &tok) < 0)
	{
		SPI_finish();
		sodium_memzero(&tok, sizeof(tok));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("API token %lld not found", (long long) id),
				 errhint("apitoken.tokens lists the tokens you may manage.")));
	}
	SPI_finish();

	result = cstring_to_text_with_len(tok.text, (int) tok.len);
	sodium_memzero(&tok, sizeof(tok));
	PG_RETURN_TEXT_P(result);
}
