/*-------------------------------------------------------------------------
 *
 * manage.c
 *	  create(), regenerate(), revoke(), the delete trigger of
 *	  apitoken.tokens and the owner-name backfill: the only code that writes
 *	  the columns the extension maintains, and (with verification) the only
 *	  code a token value in clear passes through.
 *
 * create() and regenerate() run as the caller (SECURITY INVOKER): their
 * INSERT and UPDATE go through the same row-level security policies and
 * column privileges as a DBA's own statements, so RLS stays the single
 * gate for who may do what.  What they add is the secret: 32 bytes from
 * libsodium's CSPRNG, encoded by token_codec.c, stored as its SHA-256
 * only.  The statements they run do not carry the hash at all: they
 * point apitoken_internal_write at it, and the guard trigger (guard.c)
 * puts it into the row, so no hash is ever a parameter, a constant of a
 * plan (debug_print_plan) or part of a statement's text.
 *
 * Deleting through the view: no member holds DELETE on token_store, so
 * that no member can LOCK it in a mode that would make verify() wait
 * (PostgreSQL lets table-level UPDATE, DELETE or TRUNCATE lock in any
 * mode).  The view's INSTEAD OF DELETE trigger receives exactly the rows
 * row-level security shows the caller and deletes each by id as the owner
 * of token_store, with the caller recorded as the actor.
 *
 * The statements are fully schema-qualified, operators included: they run
 * with the caller's search_path while the guard is open, so an operator
 * of the caller's own must never be picked up.
 *
 * Every buffer that held the value is wiped with sodium_memzero() before
 * this code lets go of it.  The value is returned to the caller once and
 * never logged: errors here never include it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sodium.h>

#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "apitoken.h"
#include "token_store.h"
#include "verify.h"

PG_FUNCTION_INFO_V1(apitoken_create);
PG_FUNCTION_INFO_V1(apitoken_regenerate);
PG_FUNCTION_INFO_V1(apitoken_delete_token);
PG_FUNCTION_INFO_V1(apitoken_record_owner_names);
PG_FUNCTION_INFO_V1(apitoken_revoke);

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
static SPIPlanPtr count_plan = NULL;
static SPIPlanPtr delete_plan = NULL;
static SPIPlanPtr owner_names_plan = NULL;
static SPIPlanPtr owner_range_plan = NULL;
static SPIPlanPtr disown_plan = NULL;
static SPIPlanPtr revoke_plan = NULL;

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
 * Run a read-only query that returns one row of one bigint, through the
 * plan kept in *plan (prepared from sql on first use); returns the value,
 * with *isnull set when it is NULL.
 */
static int64
select_int8(SPIPlanPtr *plan, const char *sql, int nargs, Oid *argtypes,
			Datum *args, bool *isnull)
{
	keep_plan(plan, sql, nargs, argtypes);
	if (SPI_execute_plan(*plan, args, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "apitoken: a bookkeeping query returned no row");
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, isnull));
}

/*
 * Run a kept plan as an internal write of the given kind: the guard
 * trigger fills in tok's hash and hint (when tok is given) and lets the
 * statement write what only the extension writes.  Returns the bigint in
 * the first row of its RETURNING list, or -1 if it touched no row.  With
 * processed NULL the statement stops after one row (SPI's row count, like
 * a LIMIT: create and regenerate touch one); otherwise it writes every row
 * it applies to and *processed says how many.  With previous_until, a
 * REGENERATE keeps the replaced value valid until then (the guard decides
 * whether it can).  If the
 * statement fails, the token is wiped before the error propagates.
 */
static int64
run_internal_write(SPIPlanPtr plan, Datum *values, const char *nulls,
				   ApitokenWriteKind kind, NewToken *tok, uint64 *processed,
				   const TimestampTz *previous_until)
{
	ApitokenInternalWrite w;
	int			ret = 0;
	int64		id = -1;

	w.kind = kind;
	w.hash = tok ? tok->hash : NULL;
	w.hint = tok ? cstring_to_text(tok->hint) : NULL;
	w.reason = NULL;
	w.keep_previous = previous_until != NULL;
	w.previous_until = previous_until ? *previous_until : 0;
	apitoken_internal_write = &w;
	PG_TRY();
	{
		ret = SPI_execute_plan(plan, values, nulls, false, processed ? 0 : 1);
	}
	PG_CATCH();
	{
		apitoken_internal_write = NULL;
		if (tok)
		{
			sodium_memzero(tok->hash, VARHDRSZ + APITOKEN_HASH_BYTES);
			sodium_memzero(tok, sizeof(NewToken));
		}
		PG_RE_THROW();
	}
	PG_END_TRY();
	apitoken_internal_write = NULL;

	if (ret != SPI_OK_INSERT_RETURNING && ret != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
	if (processed)
		*processed = SPI_processed;
	if (SPI_processed > 0)
	{
		bool		isnull;

		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 1, &isnull));
	}
	return id;
}

/*
 * Make owner a member of apitoken_owner if it is not one yet.  The mark
 * is what tells a renamed owner (same OID, new name, still a member) from
 * a role that was given the OID of a dropped owner: DROP ROLE removes the
 * membership, so such a role is not a member until a token is issued to
 * it, and issuing one first disowns every token of that OID issued in
 * this cluster under another name (they were issued to the earlier holder
 * of the OID).  Tokens whose owner_name is NULL (made before 1.1.1, not
 * yet backfilled) are left alone.  Runs as the owner of token_store, the role that
 * installed the extension and so holds ADMIN on the group.  Does nothing
 * in a database still at 1.1 (no apitoken_owner role or owner_name).
 * Called with SPI connected.
 */
static void
mark_owner(Oid owner)
{
	static Oid	argtypes[3] = {OIDOID, TEXTOID, INT8OID};
	Oid			group = get_role_oid(APITOKEN_OWNER_ROLE, true);
	char	   *name;
	Datum		args[3];
	Oid			save_userid;
	int			save_sec_context;
	uint64		disowned;

	if (owner == group)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("API tokens cannot be issued to role \"%s\"", APITOKEN_OWNER_ROLE),
				 errhint("Role \"%s\" marks the roles tokens were issued to; issue the token to a role of its own.",
						 APITOKEN_OWNER_ROLE)));
	apitoken_store_ensure();
	if (!OidIsValid(group) || !apitoken_store.has_owner_name ||
		apitoken_is_marked_owner(owner))
		return;

	/*
	 * Two sessions issuing a new owner's first tokens would both grant the
	 * mark, and the second would fail on the duplicate membership once the
	 * first commits.  Marking an owner is serialized on a lock on the role
	 * (held to the end of the transaction; DROP ROLE takes a stronger one,
	 * verify() none), and whoever gets it looks again: taking the lock
	 * reads the invalidations of the transaction that held it.
	 */
	LockSharedObject(AuthIdRelationId, owner, 0, ExclusiveLock);
	if (apitoken_is_marked_owner(owner))
		return;
	name = GetUserNameFromId(owner, false);
	args[0] = ObjectIdGetDatum(owner);
	args[1] = CStringGetTextDatum(name);
	args[2] = Int64GetDatum((int64) GetSystemIdentifier());

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(apitoken_relation_owner(apitoken_store.relid),
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		if (SPI_execute(psprintf("GRANT %s TO %s", APITOKEN_OWNER_ROLE,
								 quote_identifier(name)),
						false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not mark role %u as an API token owner", owner);
		keep_plan(&disown_plan,
				  "UPDATE apitoken.token_store SET owner_name = ''"
				  " WHERE owner OPERATOR(pg_catalog.=) $1"
				  "   AND owner_name OPERATOR(pg_catalog.<>) $2"
				  "   AND issued_in OPERATOR(pg_catalog.=) $3"
				  " RETURNING id",
				  3, argtypes);
		run_internal_write(disown_plan, args, NULL, APITOKEN_WRITE_DISOWN, NULL, &disowned,
						   NULL);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
}

/*
 * Refuse a token beyond apitoken.max_tokens_per_owner for owner.  Counts
 * as the caller (RLS shows a member its own tokens, an admin all), with
 * the count stopped at the limit.  Concurrent creates for one owner may
 * together pass the limit by as many sessions as race: the quota bounds
 * what one role can make the database store, not an exact number.
 */
static void
check_quota(Oid owner)
{
	static Oid	argtypes[2] = {OIDOID, INT8OID};
	Datum		args[2];
	bool		isnull;
	int64		count;

	if (apitoken_max_tokens_per_owner <= 0)
		return;
	args[0] = ObjectIdGetDatum(owner);
	args[1] = Int64GetDatum(apitoken_max_tokens_per_owner);	/* the LIMIT */
	count = select_int8(&count_plan,
						"SELECT pg_catalog.count(*) FROM"
						" (SELECT FROM apitoken.token_store"
						"   WHERE owner OPERATOR(pg_catalog.=) $1 LIMIT $2) s",
						2, argtypes, args, &isnull);
	if (count >= apitoken_max_tokens_per_owner)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("role \"%s\" has too many API tokens",
						GetUserNameFromId(owner, false)),
				 errdetail("apitoken.max_tokens_per_owner is %d.",
						   apitoken_max_tokens_per_owner),
				 errhint("Delete tokens that are no longer used, or ask a superuser to raise apitoken.max_tokens_per_owner.")));
}

/*
 * apitoken.create(name, owner, description, expires_at, enabled
 *				   [, scopes, allowed_from])
 *	  RETURNS TABLE (id bigint, token apitoken.token)
 *
 * The same C function serves the 1.0 signature (5 arguments) and the 1.1
 * one (7), so a database still at 1.0 keeps working with this library.
 * The INSERT carries neither hash nor hint: the guard trigger adds them.
 */
Datum
apitoken_create(PG_FUNCTION_ARGS)
{
	static Oid	argtypes[8] = {
		REGROLEOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, BOOLOID,
		REGROLEOID, TEXTARRAYOID, CIDRARRAYOID
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		v11 = PG_NARGS() >= 7;	/* 1.0's create() has five arguments */
	Oid			caller = GetUserId();
	Oid			owner;
	text	   *name;
	text	   *description;
	TimestampTz expires = 0;
	bool		never_expires = PG_ARGISNULL(3);
	NewToken	tok;
	Datum		args[8];
	char		argnulls[9] = "        ";
	int64		id;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	apitoken_require_manager(caller);
	apitoken_refuse_if_verify_only();

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
	apitoken_check_issuer_power(caller, owner, "create");

	name = PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0);
	apitoken_validate_name(name);
	description = PG_ARGISNULL(2) ? cstring_to_text("") : PG_GETARG_TEXT_PP(2);
	apitoken_validate_description(description);

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

	args[0] = ObjectIdGetDatum(owner);
	args[1] = PointerGetDatum(name);
	args[2] = PointerGetDatum(description);
	args[3] = TimestampTzGetDatum(expires);
	if (never_expires)
		argnulls[3] = 'n';
	args[4] = PG_GETARG_DATUM(4);
	args[5] = ObjectIdGetDatum(caller);
	if (v11)
	{
		args[6] = PG_GETARG_DATUM(5);
		args[7] = PG_ARGISNULL(6) ? (Datum) 0 : PG_GETARG_DATUM(6);
		if (PG_ARGISNULL(6))
			argnulls[7] = 'n';
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	check_quota(owner);
	mark_owner(owner);
	if (v11)
		keep_plan(&insert_plan_v11,
				  "INSERT INTO apitoken.token_store"
				  " (owner, name, description, expires_at, enabled, created_by,"
				  "  scopes, allowed_from)"
				  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
				  " ON CONFLICT (owner, name) DO NOTHING"
				  " RETURNING id",
				  8, argtypes);
	else
		keep_plan(&insert_plan,
				  "INSERT INTO apitoken.token_store"
				  " (owner, name, description, expires_at, enabled, created_by)"
				  " VALUES ($1, $2, $3, $4, $5, $6)"
				  " ON CONFLICT (owner, name) DO NOTHING"
				  " RETURNING id",
				  6, argtypes);
	generate_token(&tok);
	id = run_internal_write(v11 ? insert_plan_v11 : insert_plan, args, argnulls,
							APITOKEN_WRITE_CREATE, &tok, NULL, NULL);
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

/* refuse a grace period that is not positive */
static void
refuse_grace_not_positive(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("grace period must be positive"),
			 errhint("Pass an interval such as '1 hour' for the old value to keep working that long, or NULL for it to stop at commit.")));
}

/* refuse a grace period longer than the cap, saying what the cap is */
static void
refuse_grace_too_long(void)
{
	if (apitoken_max_lifetime > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("grace period exceeds the maximum API token lifetime"),
				 errdetail("apitoken.max_lifetime is %s.",
						   GetConfigOptionByName("apitoken.max_lifetime", NULL, false)),
				 errhint("Choose a grace period of at most current_setting('apitoken.max_lifetime')::interval.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("grace period exceeds the maximum of %d days", APITOKEN_GRACE_MAX_DAYS),
			 errhint("Choose a grace period of at most '%d days'.", APITOKEN_GRACE_MAX_DAYS)));
}

/*
 * The end of the grace period regenerate() was asked for, counted from
 * now (the call, not the transaction's start).  The grace must be
 * positive and at most apitoken.max_lifetime, or APITOKEN_GRACE_MAX_DAYS
 * when that is 0; both are refused with 22023.  Intervals are compared
 * first (PostgreSQL's order of intervals, a month as 30 days), so that no
 * accepted grace overflows the addition; then the timestamps decide, as a
 * calendar month may have 31 days.
 */
static TimestampTz
grace_end(Interval *grace)
{
	TimestampTz now = GetCurrentTimestamp();
	int64		cap = apitoken_max_lifetime > 0 ?
		(int64) apitoken_max_lifetime * USECS_PER_MINUTE :
		(int64) APITOKEN_GRACE_MAX_DAYS * USECS_PER_DAY;
	Interval   *zero = (Interval *) palloc0(sizeof(Interval));
	Interval   *longest = (Interval *) palloc0(sizeof(Interval));
	TimestampTz until;

	longest->time = cap;
	if (DatumGetBool(DirectFunctionCall2(interval_le, IntervalPGetDatum(grace),
										 IntervalPGetDatum(zero))))
		refuse_grace_not_positive();
	if (DatumGetBool(DirectFunctionCall2(interval_gt, IntervalPGetDatum(grace),
										 IntervalPGetDatum(longest))))
		refuse_grace_too_long();
	until = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
													TimestampTzGetDatum(now),
													IntervalPGetDatum(grace)));
	if (until <= now)
		refuse_grace_not_positive();
	if (until - now > cap)
		refuse_grace_too_long();
	return until;
}

/*
 * apitoken.regenerate(id bigint, grace interval DEFAULT NULL)
 *	  RETURNS apitoken.token
 *
 * The UPDATE only stamps regenerated_at; the guard trigger puts the new
 * hash and hint into the row and refuses owners with powers the caller
 * lacks.  With a grace period the guard also moves the replaced hash to
 * prev_hash, valid until now + grace (grace_end()); without one it clears
 * any previous value.  Not STRICT, so that a NULL grace means none: a NULL
 * id gives NULL, as the STRICT one-argument form of 1.1.2 and before
 * (which this function also serves) does.
 */
Datum
apitoken_regenerate(PG_FUNCTION_ARGS)
{
	static Oid	argtypes[1] = {INT8OID};
	int64		id;
	bool		with_grace = PG_NARGS() >= 2 && !PG_ARGISNULL(1);
	TimestampTz until = 0;
	NewToken	tok;
	Datum		args[1];
	text	   *result;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	id = PG_GETARG_INT64(0);
	apitoken_require_manager(GetUserId());
	apitoken_refuse_if_verify_only();
	if (with_grace)
		until = grace_end(PG_GETARG_INTERVAL_P(1));

	args[0] = Int64GetDatum(id);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	keep_plan(&update_plan,
			  "UPDATE apitoken.token_store"
			  " SET regenerated_at = pg_catalog.now()"
			  " WHERE id OPERATOR(pg_catalog.=) $1"
			  " RETURNING id",
			  1, argtypes);
	generate_token(&tok);
	if (run_internal_write(update_plan, args, NULL, APITOKEN_WRITE_REGENERATE,
						   &tok, NULL, with_grace ? &until : NULL) < 0)
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

/*
 * Run the statement sql (a kept plan in *plan, prepared on first use),
 * whose one parameter is a token id, as the owner of token_store for the
 * caller: the caller needs no privilege on the table and row-level
 * security hides no row from it, and the audit trail records the caller
 * as the actor.  w, if given, is the internal write the statement is.
 * Returns how many rows it changed.
 */
static uint64
write_by_id_as_owner(SPIPlanPtr *plan, const char *sql, Datum id,
					 ApitokenInternalWrite *w)
{
	static Oid	argtypes[1] = {INT8OID};
	volatile uint64 processed = 0;
	ApitokenInternalWrite *save_write = apitoken_internal_write;
	Oid			save_acting_role = apitoken_acting_role;
	Oid			save_userid;
	int			save_sec_context;
	int			ret;

	apitoken_store_ensure();
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	apitoken_acting_role = save_userid;
	apitoken_internal_write = w;
	SetUserIdAndSecContext(apitoken_relation_owner(apitoken_store.relid),
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		keep_plan(plan, sql, 1, argtypes);
		ret = SPI_execute_plan(*plan, &id, NULL, false, 0);
		if (ret != SPI_OK_DELETE && ret != SPI_OK_UPDATE)
			elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
		processed = SPI_processed;
		SPI_finish();
	}
	PG_FINALLY();
	{
		apitoken_internal_write = save_write;
		apitoken_acting_role = save_acting_role;
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
	return processed;
}

/*
 * Trigger apitoken.delete_token(), INSTEAD OF DELETE FOR EACH ROW on the
 * view apitoken.tokens.  The row is one the caller's RLS policies show;
 * it is deleted by id as the owner of token_store (the caller holds no
 * DELETE privilege there), and the audit trail records the caller.
 * Returns the row when it was deleted, so DELETE counts and RETURNING
 * work as on a plain view; NULL when a concurrent change got there first.
 */
Datum
apitoken_delete_token(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	Datum		id;
	bool		isnull;
	uint64		deleted;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_INSTEAD(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		elog(ERROR, "apitoken.delete_token() must be fired INSTEAD OF DELETE ... FOR EACH ROW");
	apitoken_refuse_if_verify_only();

	desc = RelationGetDescr(trigdata->tg_relation);
	id = heap_getattr(trigdata->tg_trigtuple, SPI_fnumber(desc, "id"), desc, &isnull);
	if (isnull)
		return PointerGetDatum(NULL);

	deleted = write_by_id_as_owner(&delete_plan,
								   "DELETE FROM apitoken.token_store WHERE id OPERATOR(pg_catalog.=) $1",
								   id, NULL);

	return PointerGetDatum(deleted > 0 ? trigdata->tg_trigtuple : NULL);
}

/*
 * apitoken.revoke(token text, reason text DEFAULT NULL) RETURNS boolean
 *
 * Whoever holds a value may kill it, as GitHub does with tokens found in
 * public: any role may call it.  The token the value belongs to (whatever
 * row apitoken_find_token() matched, the current value or a previous one
 * in its grace period, and whatever became of its owner, so that an
 * orphaned token stays dead if its OID is reused or it is adopted) is
 * disabled by id as the owner of token_store, as the view's delete
 * trigger deletes, so that row-level security does not hide the row from
 * the caller; the guard ends any grace, and the audit trail records a
 * 'revoke' event with the caller as the actor and the reason.  Returns
 * whether it disabled a token: false for NULL, malformed and unknown
 * values and for a token already disabled.  Nothing else is said: no
 * notice, no error that depends on the value, no owner, no id.
 *
 * The UPDATE's condition is "id = $1 AND enabled", not the hash: when a
 * regenerate() of the token is in progress, the UPDATE waits for its row
 * lock and then disables the row as that transaction left it, so a
 * revoke that races a regeneration never leaves a working token behind
 * (test/isolation/specs/revoke_regenerate.spec).
 */
Datum
apitoken_revoke(PG_FUNCTION_ARGS)
{
	text	   *reason = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
	TokenRequest req;
	TokenLookup found;
	ApitokenInternalWrite w;
	uint64		disabled;

	/*
	 * None of these depends on the value: a read-only transaction (a hot
	 * standby's too) is refused before the lookup, not by the UPDATE, which
	 * would tell a matching value from others.
	 */
	apitoken_refuse_if_verify_only();
	PreventCommandIfReadOnly("apitoken.revoke()");
	apitoken_validate_reason(reason);
	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);

	apitoken_init_request(&req, PG_GETARG_TEXT_PP(0), false);
	apitoken_find_token(&req, &found);
	if (found.state == TOKEN_MALFORMED || found.state == TOKEN_UNKNOWN)
		PG_RETURN_BOOL(false);

	w.kind = APITOKEN_WRITE_REVOKE;
	w.hash = NULL;
	w.hint = NULL;
	w.reason = reason;
	w.keep_previous = false;
	w.previous_until = 0;
	disabled = write_by_id_as_owner(&revoke_plan,
									"UPDATE apitoken.token_store SET enabled = false"
									" WHERE id OPERATOR(pg_catalog.=) $1 AND enabled",
									Int64GetDatum(found.id), &w);

	PG_RETURN_BOOL(disabled > 0);
}

/*
 * apitoken.record_owner_names_batch(batch_size integer, after_id bigint,
 *								   adopt boolean) RETURNS bigint
 *
 * Superusers only.  Looks at the next batch_size tokens in id order after
 * after_id and records the owner's current name (and the apitoken_owner
 * mark) where it is missing, for the tokens made before 1.1.1, or stale,
 * for tokens issued here to an owner renamed since (so that the new name
 * replicates to other clusters).  With adopt, tokens issued in another
 * cluster whose recorded name is their owner's name here become tokens of
 * this cluster (issued_in): for the cluster a dump was restored into, or
 * that pg_upgrade made, once it issues the tokens.  A token whose owner role no longer
 * exists gets '' (it can never verify again).  Returns the last id it
 * looked at, or NULL when there is none left.  Each call is one short
 * transaction's work, so that the upgrade itself never rewrites the
 * table; the procedure apitoken.record_owner_names() loops over it with a
 * COMMIT after each batch.
 */
Datum
apitoken_record_owner_names(PG_FUNCTION_ARGS)
{
	static Oid	range_types[2] = {INT4OID, INT8OID};
	static Oid	update_types[5] = {INT8OID, INT8OID, INT8OID, OIDOID, BOOLOID};
	int32		batch = PG_GETARG_INT32(0);
	int64		after = PG_GETARG_INT64(1);
	bool		adopt = PG_GETARG_BOOL(2);
	Datum		args[5];
	bool		isnull;
	int64		last;
	uint64		done;
	uint64		i;
	Oid		   *owners;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to record API token owner names"),
				 errhint("Run CALL apitoken.record_owner_names() as a superuser.")));
	if (batch <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch size must be positive")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = Int32GetDatum(batch);
	args[1] = Int64GetDatum(after);
	last = select_int8(&owner_range_plan,
					   "SELECT pg_catalog.max(id) FROM"
					   " (SELECT id FROM apitoken.token_store"
					   "   WHERE id OPERATOR(pg_catalog.>) $2 ORDER BY id LIMIT $1) s",
					   2, range_types, args, &isnull);
	if (isnull)
	{
		SPI_finish();
		PG_RETURN_NULL();
	}

	keep_plan(&owner_names_plan,
			  "UPDATE apitoken.token_store t SET owner_name = NULL"
			  " WHERE t.id OPERATOR(pg_catalog.>) $1 AND t.id OPERATOR(pg_catalog.<=) $2"
			  "   AND (t.owner_name IS NULL"
			  "        OR (t.owner_name OPERATOR(pg_catalog.<>) ''"
			  "            AND t.issued_in OPERATOR(pg_catalog.=) $3"
			  "            AND EXISTS (SELECT FROM pg_catalog.pg_roles r"
			  "                         WHERE r.oid OPERATOR(pg_catalog.=) t.owner::pg_catalog.oid"
			  "                           AND r.rolname::pg_catalog.text OPERATOR(pg_catalog.<>) t.owner_name)"
			  "            AND EXISTS (SELECT FROM pg_catalog.pg_auth_members m"
			  "                         WHERE m.member OPERATOR(pg_catalog.=) t.owner::pg_catalog.oid"
			  "                           AND m.roleid OPERATOR(pg_catalog.=) $4))"
			  "        OR ($5 AND t.issued_in IS DISTINCT FROM $3"
			  "            AND EXISTS (SELECT FROM pg_catalog.pg_roles r"
			  "                         WHERE r.oid OPERATOR(pg_catalog.=) t.owner::pg_catalog.oid"
			  "                           AND r.rolname::pg_catalog.text OPERATOR(pg_catalog.=) t.owner_name)))"
			  " RETURNING id, owner",
			  5, update_types);
	args[0] = Int64GetDatum(after);
	args[1] = Int64GetDatum(last);
	args[2] = Int64GetDatum((int64) GetSystemIdentifier());
	args[3] = ObjectIdGetDatum(get_role_oid(APITOKEN_OWNER_ROLE, true));
	args[4] = BoolGetDatum(adopt);
	run_internal_write(owner_names_plan, args, NULL, APITOKEN_WRITE_OWNER_NAMES,
					   NULL, &done, NULL);

	/* collect the owners first: marking one runs SPI statements of its own */
	owners = (Oid *) palloc0(sizeof(Oid) * (done + 1));
	for (i = 0; i < done; i++)
		owners[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
												   SPI_tuptable->tupdesc, 2, &isnull));
	for (i = 0; i < done; i++)
		if (SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(owners[i])))
			mark_owner(owners[i]);
	SPI_finish();
	PG_RETURN_INT64(last);
}
