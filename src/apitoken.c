/*-------------------------------------------------------------------------
 *
 * apitoken.c
 *	  Module setup, GUCs, the apitoken.token type, role checks, the guard
 *	  trigger and the input checks of the apitoken extension.
 *
 * Who may see and change which token is decided by row-level security
 * policies and column privileges on apitoken.token_store (see
 * apitoken--1.0.sql).  What the C code adds:
 *
 * - the token type, whose input and receive functions reject anything
 *   that is not a well-formed token without ever quoting the input;
 * - role checks that turn "you may not manage tokens at all" into a
 *   clear 42501 error with a hint, before RLS would silently hide rows;
 * - guard triggers that keep the secret columns (hash, hint) writable only
 *   by create() and regenerate(), and the owner of a token immutable for
 *   everyone, superusers included;
 * - the checks shared by create() and the update guard: names, scopes,
 *   address lists, and the apitoken.max_lifetime policy.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <limits.h>
#include <sodium.h>

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "apitoken.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

char	   *apitoken_prefix = NULL;
int			apitoken_last_access_interval = 60;
bool		apitoken_last_access_wal = false;
int			apitoken_max_lifetime = 0;
bool		apitoken_require_login_owner = false;
bool		apitoken_internal_write = false;

#define APITOKEN_NAME_MAX 64
#define APITOKEN_SCOPE_MAX 64

PG_FUNCTION_INFO_V1(apitoken_token_in);
PG_FUNCTION_INFO_V1(apitoken_token_out);
PG_FUNCTION_INFO_V1(apitoken_token_recv);
PG_FUNCTION_INFO_V1(apitoken_token_send);
PG_FUNCTION_INFO_V1(apitoken_token_hint);
PG_FUNCTION_INFO_V1(apitoken_caller);
PG_FUNCTION_INFO_V1(apitoken_assert_manager);
PG_FUNCTION_INFO_V1(apitoken_assert_admin);
PG_FUNCTION_INFO_V1(apitoken_guard);

/* GUC check hook: a prefix must be something apitoken_decode accepts */
static bool
check_prefix(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || !apitoken_prefix_valid(*newval, strlen(*newval)))
	{
		GUC_check_errdetail("An API token prefix is 1 to %d letters, digits or underscores.",
							APITOKEN_PREFIX_MAX);
		return false;
	}
	return true;
}

/* Module load: start libsodium and define the GUCs */
void
_PG_init(void)
{
	if (sodium_init() < 0)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not initialize libsodium")));

	DefineCustomStringVariable("apitoken.prefix",
							   "Prefix of newly created API token values.",
							   "Existing tokens keep working when it changes.",
							   &apitoken_prefix,
							   "pgat_",
							   PGC_SUSET,
							   0,
							   check_prefix, NULL, NULL);

	DefineCustomIntVariable("apitoken.last_access_interval",
							"Minimum time between two recordings of a token's last access.",
							"0 records every verification, -1 disables recording.",
							&apitoken_last_access_interval,
							60, -1, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("apitoken.last_access_wal",
							 "WAL-log each recorded last access.",
							 "Off: last access is written like a hint bit, durable from the next checkpoint; "
							 "on: it survives a crash and reaches standbys, at the cost of a WAL record per recording.",
							 &apitoken_last_access_wal,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("apitoken.max_lifetime",
							"Longest lifetime a new or edited API token may have.",
							"0 means no limit.  When set, create() without an expiry gets now() plus this.",
							&apitoken_max_lifetime,
							0, 0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_MIN,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("apitoken.require_login_owner",
							 "Refuse tokens whose owner role cannot log in or whose VALID UNTIL has passed.",
							 NULL,
							 &apitoken_require_login_owner,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("apitoken");
}

/* ereport a malformed token; the detail says why, never what */
static void
report_malformed(ApitokenParseStatus status)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type apitoken.token"),
			 errdetail("%s", apitoken_status_detail(status)),
			 errhint("An API token is shown once by apitoken.create() or apitoken.regenerate(); copy it whole.")));
}

/* Validate len bytes as a token and return them as a token datum */
static Datum
token_from_bytes(const char *str, size_t len)
{
	size_t		prefix_len;
	ApitokenParseStatus status = apitoken_decode(str, len, &prefix_len, NULL);

	if (status != APITOKEN_OK)
		report_malformed(status);
	return PointerGetDatum(cstring_to_text_with_len(str, (int) len));
}

/* apitoken.token input: strict validation, no echo of the input */
Datum
apitoken_token_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);

	return token_from_bytes(str, strlen(str));
}

/* apitoken.token output: the token text as the client presented it */
Datum
apitoken_token_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(TextDatumGetCString(PG_GETARG_DATUM(0)));
}

/* apitoken.token binary input: the raw token bytes, validated like text */
Datum
apitoken_token_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			nbytes = buf->len - buf->cursor;
	const char *bytes = pq_getmsgbytes(buf, nbytes);

	return token_from_bytes(bytes, (size_t) nbytes);
}

/* apitoken.token binary output: the raw token bytes */
Datum
apitoken_token_send(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* apitoken.hint(token): the non-secret fragment stored in the hint column */
Datum
apitoken_token_hint(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const char *str = VARDATA_ANY(t);
	size_t		len = VARSIZE_ANY_EXHDR(t);
	size_t		prefix_len;
	char		hint[APITOKEN_HINT_MAX + 1];
	size_t		hint_len;

	if (apitoken_decode(str, len, &prefix_len, NULL) != APITOKEN_OK)
		elog(ERROR, "apitoken.token datum is not a valid token");
	hint_len = apitoken_hint(str, len, prefix_len, hint);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(hint, (int) hint_len));
}

/* apitoken.caller(): current_user as regrole (the role whose rights apply) */
Datum
apitoken_caller(PG_FUNCTION_ARGS)
{
	PG_RETURN_OID(GetUserId());
}

/* true if roleid is a member of the named role (superusers always are) */
static bool
is_member_of(Oid roleid, const char *rolename)
{
	Oid			group = get_role_oid(rolename, true);

	if (superuser_arg(roleid))
		return true;
	return OidIsValid(group) && is_member_of_role(roleid, group);
}

/* may roleid manage every role's tokens? */
bool
apitoken_is_admin(Oid roleid)
{
	return is_member_of(roleid, APITOKEN_ADMIN_ROLE);
}

/* may roleid manage at least its own tokens? */
bool
apitoken_is_manager(Oid roleid)
{
	return apitoken_is_admin(roleid) || is_member_of(roleid, APITOKEN_USER_ROLE);
}

/* raise 42501 with a hint naming the role to grant, unless roleid may manage */
void
apitoken_require_manager(Oid roleid)
{
	if (apitoken_is_manager(roleid))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to manage API tokens"),
			 errdetail("Role \"%s\" is not a member of \"%s\" or \"%s\".",
					   GetUserNameFromId(roleid, false),
					   APITOKEN_USER_ROLE, APITOKEN_ADMIN_ROLE),
			 errhint("Grant \"%s\" to manage the role's own tokens, or \"%s\" to manage every role's tokens.",
					 APITOKEN_USER_ROLE, APITOKEN_ADMIN_ROLE)));
}

/* apitoken.assert_manager(): SQL-callable apitoken_require_manager(current_user) */
Datum
apitoken_assert_manager(PG_FUNCTION_ARGS)
{
	apitoken_require_manager(GetUserId());
	PG_RETURN_VOID();
}

/* apitoken.assert_admin(): raise 42501 with a hint unless current_user is an admin */
Datum
apitoken_assert_admin(PG_FUNCTION_ARGS)
{
	Oid			roleid = GetUserId();

	if (!apitoken_is_admin(roleid))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to administer API tokens"),
				 errdetail("Role \"%s\" is not a member of \"%s\".",
						   GetUserNameFromId(roleid, false), APITOKEN_ADMIN_ROLE),
				 errhint("Grant \"%s\" to the role.", APITOKEN_ADMIN_ROLE)));
	PG_RETURN_VOID();
}

/*
 * Apply apitoken.max_lifetime to an expiry: with no expiry given, create()
 * gets the longest allowed one (fill_default); an expiry that is NULL or
 * later than now() + max_lifetime is refused.  Does nothing when the GUC is
 * 0.
 */
void
apitoken_check_lifetime(TimestampTz *expires, bool *isnull, bool fill_default)
{
	TimestampTz latest;

	if (apitoken_max_lifetime <= 0)
		return;
	latest = GetCurrentTimestamp() + (int64) apitoken_max_lifetime * USECS_PER_MINUTE;
	if (*isnull && fill_default)
	{
		*expires = latest;
		*isnull = false;
		return;
	}
	if (*isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an API token must have an expiry time"),
				 errdetail("apitoken.max_lifetime is %s.",
						   GetConfigOptionByName("apitoken.max_lifetime", NULL, false)),
				 errhint("Set expires_at to at most now() + current_setting('apitoken.max_lifetime')::interval.")));
	if (*expires > latest)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expiry time exceeds the maximum API token lifetime"),
				 errdetail("apitoken.max_lifetime is %s; the latest allowed expiry is %s.",
						   GetConfigOptionByName("apitoken.max_lifetime", NULL, false),
						   timestamptz_to_str(latest)),
				 errhint("Choose an earlier expires_at, or ask a superuser to change apitoken.max_lifetime.")));
}

/*
 * Reject a scope list with NULL elements or a scope that is not 1 to 64
 * characters of [A-Za-z0-9_.:/-].  An empty list means unrestricted.
 */
void
apitoken_validate_scopes(ArrayType *scopes)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	if (scopes == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("scopes must not be null"),
				 errhint("Use '{}' for an unrestricted token.")));
	deconstruct_array(scopes, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		text	   *t;
		const char *p;
		int			len;
		int			j;
		bool		ok;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a scope of an API token must not be null")));
		t = DatumGetTextPP(elems[i]);
		p = VARDATA_ANY(t);
		len = VARSIZE_ANY_EXHDR(t);
		ok = len >= 1 && len <= APITOKEN_SCOPE_MAX;
		for (j = 0; ok && j < len; j++)
			ok = isalnum((unsigned char) p[j]) || strchr("_.:/-", p[j]) != NULL;
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid API token scope"),
					 errdetail("A scope is 1 to %d letters, digits or the characters _ . : / -.",
							   APITOKEN_SCOPE_MAX)));
	}
}

/* Reject an address list that is empty or has NULL elements (NULL = anywhere). */
void
apitoken_validate_allowed_from(ArrayType *allowed)
{
	if (allowed == NULL)
		return;
	if (ArrayGetNItems(ARR_NDIM(allowed), ARR_DIMS(allowed)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("allowed_from must not be empty"),
				 errhint("Use NULL for a token usable from anywhere.")));
	if (array_contains_nulls(allowed))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("allowed_from must not contain nulls")));
}

/*
 * Reject a token name that is NULL, blank or longer than 64 characters.
 * Shared by create() and the update guard so both say the same thing.
 */
void
apitoken_validate_name(text *name)
{
	const char *s;
	int			len;
	int			nchars;
	bool		blank = true;
	int			i;

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("API token name must not be null")));
	s = VARDATA_ANY(name);
	len = VARSIZE_ANY_EXHDR(name);
	nchars = pg_mbstrlen_with_len(s, len);
	if (nchars > APITOKEN_NAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("API token name is too long"),
				 errdetail("The name has %d characters; at most %d are allowed.",
						   nchars, APITOKEN_NAME_MAX)));
	for (i = 0; i < len; i++)
		if (!isspace((unsigned char) s[i]))
			blank = false;
	if (blank)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("API token name must not be blank"),
				 errhint("Give the token a name that tells what it is for, such as \"ci-deploy\".")));
}

/*
 * Did column attname change between two versions of a row?  Columns added
 * by a later version of the extension may be missing (the library serves
 * every version): a missing column never changes.
 */
static bool
column_changed(HeapTuple oldtup, HeapTuple newtup, TupleDesc desc,
			   const char *attname, AttrNumber *attnum_out)
{
	int			attnum = SPI_fnumber(desc, attname);
	Form_pg_attribute att;
	Datum		oldval,
				newval;
	bool		oldnull,
				newnull;

	if (attnum_out)
		*attnum_out = InvalidAttrNumber;
	if (attnum <= 0)
		return false;
	att = TupleDescAttr(desc, attnum - 1);
	oldval = heap_getattr(oldtup, attnum, desc, &oldnull);
	newval = heap_getattr(newtup, attnum, desc, &newnull);
	if (attnum_out)
		*attnum_out = attnum;
	if (oldnull || newnull)
		return oldnull != newnull;
	return !datumIsEqual(oldval, newval, att->attbyval, att->attlen);
}

/*
 * Trigger on apitoken.token_store.
 *
 * BEFORE INSERT FOR EACH ROW: only create() inserts tokens, so that every
 * stored hash is the hash of a value the extension generated.  The one
 * exception is a superuser inserting complete rows, which is what
 * restoring a pg_dump does (a superuser could disable the trigger anyway);
 * a row without a hash, as an INSERT into the view makes, is refused for
 * everyone with the same hint.
 *
 * BEFORE UPDATE FOR EACH ROW: the owner never changes; the columns that
 * only create(), regenerate() and verification maintain do not change
 * either; a new name must be a valid name.
 */
Datum
apitoken_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	static const char *const readonly_columns[] = {
		"id", "created_by", "created_at", "hash", "hint",
		"regenerated_at", "last_access", "last_access_from_raw"
	};
	HeapTuple	oldtup,
				newtup;
	TupleDesc	desc;
	AttrNumber	attnum;
	size_t		i;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		elog(ERROR, "apitoken.guard() must be fired BEFORE ... FOR EACH ROW");

	desc = trigdata->tg_relation->rd_att;

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		newtup = trigdata->tg_trigtuple;
		if (!apitoken_internal_write &&
			(!superuser() || heap_attisnull(newtup, SPI_fnumber(desc, "hash"), desc)))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("API tokens cannot be inserted directly"),
					 errhint("Use apitoken.create(name, ...): it generates the token value and shows it once.")));
		return PointerGetDatum(newtup);
	}

	if (!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		elog(ERROR, "apitoken.guard() must be fired ON INSERT or ON UPDATE");

	oldtup = trigdata->tg_trigtuple;
	newtup = trigdata->tg_newtuple;

	if (column_changed(oldtup, newtup, desc, "owner", NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the owner of an API token cannot be changed"),
				 errhint("Create a token for the other role with apitoken.create() and delete this one.")));

	if (!apitoken_internal_write)
	{
		for (i = 0; i < lengthof(readonly_columns); i++)
		{
			if (column_changed(oldtup, newtup, desc, readonly_columns[i], NULL))
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("column \"%s\" of an API token cannot be changed",
								readonly_columns[i]),
						 errhint("Only name, description, expires_at, enabled, scopes and allowed_from can be updated; use apitoken.regenerate() for a new value.")));
		}
	}

	if (column_changed(oldtup, newtup, desc, "expires_at", &attnum))
	{
		bool		isnull;
		TimestampTz expires = DatumGetTimestampTz(heap_getattr(newtup, attnum, desc, &isnull));

		apitoken_check_lifetime(&expires, &isnull, false);
	}

	if (column_changed(oldtup, newtup, desc, "scopes", &attnum))
	{
		bool		isnull;
		Datum		scopes = heap_getattr(newtup, attnum, desc, &isnull);

		apitoken_validate_scopes(isnull ? NULL : DatumGetArrayTypeP(scopes));
	}

	if (column_changed(oldtup, newtup, desc, "allowed_from", &attnum))
	{
		bool		isnull;
		Datum		allowed = heap_getattr(newtup, attnum, desc, &isnull);

		apitoken_validate_allowed_from(isnull ? NULL : DatumGetArrayTypeP(allowed));
	}

	if (column_changed(oldtup, newtup, desc, "name", &attnum))
	{
		bool		isnull;
		Datum		name = heap_getattr(newtup, attnum, desc, &isnull);

		apitoken_validate_name(isnull ? NULL : DatumGetTextPP(name));
	}

	return PointerGetDatum(newtup);
}
