/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  The guard trigger on apitoken.token_store and the validators it
 *	  shares with create(): names, descriptions, scopes, address lists and
 *	  the apitoken.max_lifetime policy.
 *
 * Invariants the guard keeps, for every role, superusers included:
 * - only create() inserts (a superuser may insert complete rows, which is
 *   what restoring a pg_dump does), and the guard itself puts the hash,
 *   the hint, the owner's name and the issuing cluster into the row, so a
 *   hash is never a parameter or a constant of any statement;
 * - the owner never changes; the columns only the extension maintains are
 *   written only by the statement create(), regenerate() or the backfill
 *   runs (apitoken_internal_write);
 * - the previous value of a token (prev_hash, prev_valid_until) is written
 *   only for regenerate() with a grace period, copied from the row's own
 *   hash; disabling the token or changing its expiry ends it;
 * - last access and the last refused use are carried forward from the
 *   row as it is now, never compared: verify() writes them in place at
 *   any moment (a row from before 1.2 gets the refused-use columns, at
 *   their defaults, with its first UPDATE);
 * - every NOT NULL column and every changed field is checked before the
 *   executor forms the row, so that no constraint error prints a row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/htup_details.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "apitoken.h"
#include "text_rules.h"

PG_FUNCTION_INFO_V1(apitoken_guard);

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
	if (n > APITOKEN_SCOPES_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("an API token has too many scopes"),
				 errdetail("The list has %d scopes; at most %d are allowed.",
						   n, APITOKEN_SCOPES_MAX)));
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

/*
 * Reject an address list that is empty, too long or has NULL elements
 * (NULL = anywhere).
 */
void
apitoken_validate_allowed_from(ArrayType *allowed)
{
	int			n;

	if (allowed == NULL)
		return;
	n = ArrayGetNItems(ARR_NDIM(allowed), ARR_DIMS(allowed));
	if (n > APITOKEN_NETWORKS_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("allowed_from has too many networks"),
				 errdetail("The list has %d networks; at most %d are allowed.",
						   n, APITOKEN_NETWORKS_MAX),
				 errhint("Use wider networks, such as 10.0.0.0/8.")));
	if (n == 0)
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
 * Refuse a change to tokens when apitoken.verify_only is on.  Replication
 * applies its changes with session_replication_role = replica, which
 * fires neither the guard nor the audit trigger, so a subscriber marked
 * verify-only still receives every change from the issuing cluster.
 */
void
apitoken_refuse_if_verify_only(void)
{
	if (apitoken_verify_only)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("API tokens cannot be changed in this database"),
				 errdetail("apitoken.verify_only is on: this database verifies tokens issued elsewhere."),
				 errhint("Create, change and delete tokens in the database that issues them; replication brings the changes here.")));
}

/*
 * Refuse field value t when it has more than max characters; what names
 * the field in the messages ("name", "description").
 */
static void
check_length(text *t, int max, const char *what)
{
	int			nchars = pg_mbstrlen_with_len(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	if (nchars > max)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("API token %s is too long", what),
				 errdetail("The %s has %d characters; at most %d are allowed.",
						   what, nchars, max)));
}

/*
 * Reject a token name that is NULL, blank (text_rules.h: any kind of
 * white space, Unicode's included) or longer than 64 characters.  Shared
 * by create() and the update guard so both say the same thing.
 */
void
apitoken_validate_name(text *name)
{
	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("API token name must not be null")));
	check_length(name, APITOKEN_NAME_MAX, "name");
	if (apitoken_text_is_blank(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name),
							   GetDatabaseEncoding() == PG_UTF8))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("API token name must not be blank"),
				 errhint("Give the token a name that tells what it is for, such as \"ci-deploy\".")));
}

/* Reject a description that is NULL or longer than APITOKEN_DESCRIPTION_MAX. */
void
apitoken_validate_description(text *description)
{
	if (description == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("API token description must not be null"),
				 errhint("Use '' for no description.")));
	check_length(description, APITOKEN_DESCRIPTION_MAX, "description");
}

/* Reject a revoke() reason longer than APITOKEN_REASON_MAX (NULL: none). */
void
apitoken_validate_reason(text *reason)
{
	if (reason != NULL)
		check_length(reason, APITOKEN_REASON_MAX, "revocation reason");
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

/* Replacements the guard makes in a new row, applied in one go. */
typedef struct RowEdits
{
	int			n;
	int			cols[12];
	Datum		values[12];
	bool		nulls[12];
} RowEdits;

/* queue "column attname := value" (ignored if this version lacks it) */
static void
edit_column(RowEdits *edits, TupleDesc desc, const char *attname,
			Datum value, bool isnull)
{
	int			attnum = SPI_fnumber(desc, attname);

	if (attnum <= 0)
		return;
	if (edits->n >= (int) lengthof(edits->cols))
		elog(ERROR, "apitoken: too many column edits in the guard");
	edits->cols[edits->n] = attnum;
	edits->values[edits->n] = value;
	edits->nulls[edits->n] = isnull;
	edits->n++;
}

/* copy column attname from the old row into the new one */
static void
carry_forward(RowEdits *edits, HeapTuple oldtup, TupleDesc desc,
			  const char *attname)
{
	int			attnum = SPI_fnumber(desc, attname);
	bool		isnull;
	Datum		value;

	if (attnum <= 0)
		return;
	value = heap_getattr(oldtup, attnum, desc, &isnull);
	edit_column(edits, desc, attname, value, isnull);
}

/* the owner's current name, or '' when the role no longer exists */
static Datum
owner_name_datum(Oid owner)
{
	char	   *name = GetUserNameFromId(owner, true);

	return CStringGetTextDatum(name ? name : "");
}

/* the owner of a row */
static Oid
row_owner(HeapTuple tup, TupleDesc desc)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, SPI_fnumber(desc, "owner"), desc, &isnull);

	if (isnull)
		elog(ERROR, "apitoken: token row without an owner");
	return DatumGetObjectId(d);
}

/* the value of column attname in a row (*isnull if NULL or missing) */
static Datum
row_value(HeapTuple tup, TupleDesc desc, const char *attname, bool *isnull)
{
	int			attnum = SPI_fnumber(desc, attname);

	if (attnum <= 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	return heap_getattr(tup, attnum, desc, isnull);
}

/*
 * REGENERATE: with a grace period (w->keep_previous), the value being
 * replaced becomes the previous value, valid until w->previous_until but
 * never after the token's expiry, provided it works now (enabled, not
 * expired): a value that was refused is not brought back.  Otherwise, or
 * without a grace period, there is no previous value; either way an
 * earlier one ends, so a token has at most one.  The hash is copied
 * within the row here, never passed to or through a statement.  Nothing
 * to do before 1.2 (no such columns).
 */
static void
set_previous_value(RowEdits *edits, HeapTuple oldtup, TupleDesc desc,
				   const ApitokenInternalWrite *w)
{
	bool		keep = w->keep_previous;
	TimestampTz until = w->previous_until;
	bool		isnull;
	Datum		value = (Datum) 0;

	if (SPI_fnumber(desc, "prev_hash") <= 0)
		return;
	if (keep)
	{
		value = row_value(oldtup, desc, "enabled", &isnull);
		keep = !isnull && DatumGetBool(value);
	}
	if (keep)
	{
		value = row_value(oldtup, desc, "expires_at", &isnull);
		if (!isnull && DatumGetTimestampTz(value) <= GetCurrentTimestamp())
			keep = false;
		else if (!isnull && DatumGetTimestampTz(value) < until)
			until = DatumGetTimestampTz(value);
	}
	if (keep)
	{
		value = row_value(oldtup, desc, "hash", &isnull);
		keep = !isnull;
	}
	if (keep)
	{
		edit_column(edits, desc, "prev_hash", value, false);
		edit_column(edits, desc, "prev_valid_until", TimestampTzGetDatum(until), false);
	}
	else
	{
		edit_column(edits, desc, "prev_hash", (Datum) 0, true);
		edit_column(edits, desc, "prev_valid_until", (Datum) 0, true);
	}
}

/*
 * Any other UPDATE: disabling the token or changing its expiry (to
 * anything: an earlier, a later or no expiry) ends its previous value, and
 * so does any change once the grace period is over, so that the row does
 * not keep a spent hash.  Re-enabling never brings a previous value back.
 */
static void
end_previous_value(RowEdits *edits, HeapTuple oldtup, HeapTuple newtup,
				   TupleDesc desc)
{
	bool		isnull;
	Datum		value;
	bool		ends;

	(void) row_value(oldtup, desc, "prev_hash", &isnull);
	if (isnull)
		return;
	value = row_value(oldtup, desc, "prev_valid_until", &isnull);
	ends = isnull || DatumGetTimestampTz(value) <= GetCurrentTimestamp() ||
		column_changed(oldtup, newtup, desc, "expires_at", NULL);
	if (!ends)
	{
		value = row_value(newtup, desc, "enabled", &isnull);
		ends = isnull || !DatumGetBool(value);
	}
	if (ends)
	{
		edit_column(edits, desc, "prev_hash", (Datum) 0, true);
		edit_column(edits, desc, "prev_valid_until", (Datum) 0, true);
	}
}

/*
 * Raise 23502 for the first NOT NULL column that is null in the row:
 * PostgreSQL's own not-null error would print the whole row in its
 * detail, hash included, for a superuser.
 */
static void
require_not_null(HeapTuple tup, TupleDesc desc)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attnotnull || att->attisdropped || !heap_attisnull(tup, i + 1, desc))
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("column \"%s\" of an API token must not be null",
						NameStr(att->attname)),
				 strcmp(NameStr(att->attname), "description") == 0 ?
				 errhint("Use '' for no description.") : 0));
	}
}

/*
 * Did column attname change?  If so, its new value (or NULL) is in *value
 * and *isnull.
 */
static bool
changed_value(HeapTuple oldtup, HeapTuple newtup, TupleDesc desc,
			  const char *attname, Datum *value, bool *isnull)
{
	AttrNumber	attnum;

	if (!column_changed(oldtup, newtup, desc, attname, &attnum))
		return false;
	*value = heap_getattr(newtup, attnum, desc, isnull);
	return true;
}

/*
 * Validate the user-editable fields of an UPDATE that changed them; all
 * errors are raised before the executor forms the row.
 */
static void
validate_changed_fields(HeapTuple oldtup, HeapTuple newtup, TupleDesc desc)
{
	Datum		value;
	bool		isnull;

	if (changed_value(oldtup, newtup, desc, "expires_at", &value, &isnull))
	{
		TimestampTz expires = isnull ? 0 : DatumGetTimestampTz(value);

		apitoken_check_lifetime(&expires, &isnull, false);
	}
	if (changed_value(oldtup, newtup, desc, "scopes", &value, &isnull))
		apitoken_validate_scopes(isnull ? NULL : DatumGetArrayTypeP(value));
	if (changed_value(oldtup, newtup, desc, "allowed_from", &value, &isnull))
		apitoken_validate_allowed_from(isnull ? NULL : DatumGetArrayTypeP(value));
	if (changed_value(oldtup, newtup, desc, "name", &value, &isnull))
		apitoken_validate_name(isnull ? NULL : DatumGetTextPP(value));
	if (changed_value(oldtup, newtup, desc, "description", &value, &isnull))
		apitoken_validate_description(isnull ? NULL : DatumGetTextPP(value));
}

/*
 * Trigger on apitoken.token_store, BEFORE INSERT OR UPDATE FOR EACH ROW.
 *
 * INSERT: only create() inserts tokens, so that every stored hash is the
 * hash of a value the extension generated; the guard itself puts the hash,
 * the hint and the owner's name into the row.  The one exception is a
 * superuser inserting complete rows, which is what restoring a pg_dump
 * does (a superuser could disable the trigger anyway); a row without a
 * hash, as an INSERT into the view makes, is refused for everyone with the
 * same hint.
 *
 * UPDATE: the owner never changes; the columns only create(),
 * regenerate() and the backfill maintain are refused to anything else (a
 * token made before 1.1.1 gets its owner's name with its next change);
 * last access and the last refused use, which verify() overwrites in
 * place at any moment, are carried forward from the row as it is now
 * rather than compared; changed fields are validated.  revoke()'s UPDATE
 * (which sets enabled only) is checked like any other.
 */
Datum
apitoken_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	static const char *const readonly_columns[] = {
		"id", "created_by", "created_at", "hash", "hint",
		"regenerated_at", "owner_name", "issued_in",
		"prev_hash", "prev_valid_until"
	};
	ApitokenInternalWrite *w = apitoken_internal_write;
	HeapTuple	oldtup,
				newtup;
	TupleDesc	desc;
	RowEdits	edits = {0};
	size_t		i;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		elog(ERROR, "apitoken.guard() must be fired BEFORE ... FOR EACH ROW");
	/* the owner-name backfill changes nothing anyone sees: a verifier runs it */
	if (w == NULL || w->kind != APITOKEN_WRITE_OWNER_NAMES)
		apitoken_refuse_if_verify_only();

	desc = trigdata->tg_relation->rd_att;

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		newtup = trigdata->tg_trigtuple;
		if (w != NULL && w->kind == APITOKEN_WRITE_CREATE)
		{
			Oid			owner = row_owner(newtup, desc);

			apitoken_check_issuer_power(GetUserId(), owner, "create");
			edit_column(&edits, desc, "hash", PointerGetDatum(w->hash), false);
			edit_column(&edits, desc, "hint", PointerGetDatum(w->hint), false);
			edit_column(&edits, desc, "owner_name", owner_name_datum(owner), false);
			edit_column(&edits, desc, "issued_in", Int64GetDatum((int64) GetSystemIdentifier()), false);
			newtup = heap_modify_tuple_by_cols(newtup, desc, edits.n, edits.cols,
											   edits.values, edits.nulls);
		}
		else if (!superuser() || heap_attisnull(newtup, SPI_fnumber(desc, "hash"), desc))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("API tokens cannot be inserted directly"),
					 errhint("Use apitoken.create(name, ...): it generates the token value and shows it once.")));
		require_not_null(newtup, desc);
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

	if (w == NULL || w->kind == APITOKEN_WRITE_REVOKE)
	{
		/* revoke() sets enabled only, like any caller might */
		for (i = 0; i < lengthof(readonly_columns); i++)
		{
			if (column_changed(oldtup, newtup, desc, readonly_columns[i], NULL))
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("column \"%s\" of an API token cannot be changed",
								readonly_columns[i]),
						 errhint("Only name, description, expires_at, enabled, scopes and allowed_from can be updated; use apitoken.regenerate() for a new value.")));
		}
		end_previous_value(&edits, oldtup, newtup, desc);
	}
	else if (w->kind == APITOKEN_WRITE_REGENERATE)
	{
		apitoken_check_issuer_power(GetUserId(), row_owner(oldtup, desc), "regenerate");
		edit_column(&edits, desc, "hash", PointerGetDatum(w->hash), false);
		edit_column(&edits, desc, "hint", PointerGetDatum(w->hint), false);
		set_previous_value(&edits, oldtup, desc, w);
	}
	else if (w->kind == APITOKEN_WRITE_OWNER_NAMES)
	{
		edit_column(&edits, desc, "owner_name", owner_name_datum(row_owner(oldtup, desc)), false);
		edit_column(&edits, desc, "issued_in", Int64GetDatum((int64) GetSystemIdentifier()), false);
	}
	else if (w->kind == APITOKEN_WRITE_DISOWN)
		edit_column(&edits, desc, "owner_name", CStringGetTextDatum(""), false);
	else
		elog(ERROR, "apitoken: unexpected internal write on UPDATE");

	/*
	 * A token made before 1.1.1 records whom it was issued to with its next
	 * change, which writes a new row version anyway.
	 */
	if (w == NULL || w->kind == APITOKEN_WRITE_REGENERATE ||
		w->kind == APITOKEN_WRITE_REVOKE)
	{
		int			att = SPI_fnumber(desc, "owner_name");

		if (att > 0 && heap_attisnull(oldtup, att, desc))
		{
			edit_column(&edits, desc, "owner_name", owner_name_datum(row_owner(oldtup, desc)), false);
			edit_column(&edits, desc, "issued_in", Int64GetDatum((int64) GetSystemIdentifier()), false);
		}
	}

	/* what verify() maintains in place: the row as it is now has the latest */
	carry_forward(&edits, oldtup, desc, "last_access");
	carry_forward(&edits, oldtup, desc, "last_access_from_raw");
	carry_forward(&edits, oldtup, desc, "last_refused_at");
	carry_forward(&edits, oldtup, desc, "last_refused_from_raw");
	carry_forward(&edits, oldtup, desc, "last_refused_reason");
	newtup = heap_modify_tuple_by_cols(newtup, desc, edits.n, edits.cols,
									   edits.values, edits.nulls);

	validate_changed_fields(oldtup, newtup, desc);
	require_not_null(newtup, desc);
	return PointerGetDatum(newtup);
}
