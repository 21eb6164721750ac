/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  The audit trigger: every change to a token is recorded in
 *	  apitoken.event_store, in the same transaction, by whoever made it.
 *
 * The trigger is AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW on
 * apitoken.token_store, so it sees every path: the functions, the view
 * and direct DML on the table.  It must record the role that made the
 * change (current_user) while writing to a table that no role but a
 * superuser may write to.  A SECURITY DEFINER function cannot do both: it
 * would see its owner as current_user.  So this C function notes the
 * actor, switches to the owner of event_store with
 * SetUserIdAndSecContext() (SECURITY_RESTRICTED_OPERATION, as PostgreSQL
 * itself does for maintenance commands), pins the search path to
 * "pg_catalog, pg_temp" in a GUC nest level of its own (as PostgreSQL pins
 * it for maintenance commands; compat.h), and calls
 * apitoken.record_event(), a plpgsql function that works out the action
 * and the changed fields.  Every plan record_event() makes is made under
 * the pinned path.  If anything inside raises, the (sub)transaction abort
 * restores the path and the user id.  No role holds any
 * privilege on event_store besides SELECT, and row-level security decides
 * whose events it sees.
 *
 * Rows inserted other than by create() can only be a superuser's direct
 * load, which is what restoring a pg_dump does; they are not recorded, or
 * every restore would duplicate the creation events it also restores.
 * Neither is the owner-name backfill, which changes nothing anyone sees.
 *
 * From 1.1.1 on (the table has owner_name) the rows are handed to
 * record_event() with the hash set to NULL, and a regeneration is told by
 * the operation 'REGENERATE' worked out here: the call's plan holds the
 * rows as constants (debug_print_plan shows them), so they must not hold a
 * hash.  From 1.2 on the previous value's hash (prev_hash) is set to NULL
 * as well.  A database still at 1.1 gets the rows whole, as its
 * record_event() compares hashes.  From 1.2 on, record_event() takes a
 * fifth argument, the reason revoke() was given, and revoke()'s UPDATE is
 * the operation 'REVOKE'.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "apitoken.h"
#include "compat.h"
#include "token_store.h"

PG_FUNCTION_INFO_V1(apitoken_audit);

/*
 * the kept plan of the record_event() call, the row type it was made for
 * and its number of arguments (5 from 1.2 on: the reason of a revoke)
 */
static SPIPlanPtr record_plan = NULL;
static Oid	record_plan_rowtype = InvalidOid;
static int	record_plan_nargs = 0;

/* a copy of a row as a datum, with the nstrip columns strip[] set to NULL */
static Datum
row_datum(HeapTuple tuple, TupleDesc desc, int nstrip, int *strip)
{
	if (nstrip > 0)
	{
		Datum		values[2] = {(Datum) 0, (Datum) 0};
		bool		nulls[2] = {true, true};

		Assert(nstrip <= (int) lengthof(values));
		tuple = heap_modify_tuple_by_cols(tuple, desc, nstrip, strip, values, nulls);
	}
	return heap_copy_tuple_as_datum(tuple, desc);
}

/* did the hash change between the two row versions? */
static bool
hash_changed(HeapTuple oldtup, HeapTuple newtup, TupleDesc desc, int att_hash)
{
	bool		oldnull,
				newnull;
	Datum		o = heap_getattr(oldtup, att_hash, desc, &oldnull);
	Datum		n = heap_getattr(newtup, att_hash, desc, &newnull);

	if (oldnull || newnull)
		return oldnull != newnull;
	return !datumIsEqual(o, n, false, -1);
}

/* trigger apitoken.audit() on apitoken.token_store */
Datum
apitoken_audit(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	Oid			rowtype;
	Oid			argtypes[5];
	Datum		args[5];
	char		argnulls[6] = "    n";
	int			nargs;
	const char *op;
	Oid			actor = OidIsValid(apitoken_acting_role) ? apitoken_acting_role : GetUserId();
	int			att_hash;
	bool		strip_hash;
	int			strip[2];
	int			nstrip = 0;
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		elog(ERROR, "apitoken.audit() must be fired AFTER ... FOR EACH ROW");

	desc = RelationGetDescr(trigdata->tg_relation);
	att_hash = SPI_fnumber(desc, "hash");
	strip_hash = SPI_fnumber(desc, "owner_name") > 0;

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		if (apitoken_internal_write == NULL ||
			apitoken_internal_write->kind != APITOKEN_WRITE_CREATE)
			return PointerGetDatum(NULL);
		op = "INSERT";
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		if (apitoken_internal_write != NULL &&
			(apitoken_internal_write->kind == APITOKEN_WRITE_OWNER_NAMES ||
			 apitoken_internal_write->kind == APITOKEN_WRITE_DISOWN))
			return PointerGetDatum(NULL);
		if (apitoken_internal_write != NULL &&
			apitoken_internal_write->kind == APITOKEN_WRITE_REVOKE)
			op = "REVOKE";
		else
			op = (strip_hash && hash_changed(trigdata->tg_trigtuple, trigdata->tg_newtuple,
											 desc, att_hash)) ? "REGENERATE" : "UPDATE";
	}
	else
	{
		/* the guard sees inserts and updates; deletes are refused here */
		apitoken_refuse_if_verify_only();
		op = "DELETE";
	}
	/* the current hash, and from 1.2 on the previous one */
	if (strip_hash)
	{
		strip[nstrip++] = att_hash;
		if (SPI_fnumber(desc, "prev_hash") > 0)
			strip[nstrip++] = SPI_fnumber(desc, "prev_hash");
	}

	rowtype = trigdata->tg_relation->rd_rel->reltype;
	argtypes[0] = REGROLEOID;
	argtypes[1] = TEXTOID;
	argtypes[2] = rowtype;
	argtypes[3] = rowtype;
	argtypes[4] = TEXTOID;
	args[0] = ObjectIdGetDatum(actor);
	args[1] = CStringGetTextDatum(op);
	args[4] = (Datum) 0;
	if (apitoken_internal_write != NULL && apitoken_internal_write->reason != NULL)
	{
		args[4] = PointerGetDatum(apitoken_internal_write->reason);
		argnulls[4] = ' ';
	}

	/* old row: UPDATE and DELETE; new row: INSERT and UPDATE */
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		args[2] = (Datum) 0;
		argnulls[2] = 'n';
		args[3] = row_datum(trigdata->tg_trigtuple, desc, nstrip, strip);
	}
	else
	{
		args[2] = row_datum(trigdata->tg_trigtuple, desc, nstrip, strip);
		if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
			args[3] = row_datum(trigdata->tg_newtuple, desc, nstrip, strip);
		else
		{
			args[3] = (Datum) 0;
			argnulls[3] = 'n';
		}
	}

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	apitoken_store_ensure();
	nargs = apitoken_store.has_v12_columns ? 5 : 4;
	if (!OidIsValid(apitoken_store.event_relid))
		elog(ERROR, "apitoken.event_store does not exist");
	SetUserIdAndSecContext(apitoken_relation_owner(apitoken_store.event_relid),
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = apitoken_push_search_path();
	PG_TRY();
	{
		int			ret;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (record_plan == NULL || record_plan_rowtype != rowtype ||
			record_plan_nargs != nargs)
		{
			SPIPlanPtr	plan;

			/*
			 * a recreated extension has a new row type, an updated one may
			 * take the reason: prepare again
			 */
			if (record_plan != NULL)
				SPI_freeplan(record_plan);
			record_plan = NULL;
			plan = SPI_prepare(nargs == 5 ?
							   "SELECT apitoken.record_event($1, $2, $3, $4, $5)" :
							   "SELECT apitoken.record_event($1, $2, $3, $4)",
							   nargs, argtypes);
			if (plan == NULL || SPI_keepplan(plan) != 0)
				elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
			record_plan = plan;
			record_plan_rowtype = rowtype;
			record_plan_nargs = nargs;
		}
		ret = SPI_execute_plan(record_plan, args, argnulls, false, 1);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
		SPI_finish();
	}
	PG_CATCH();
	{
		/* the abort that follows restores the search path */
		SetUserIdAndSecContext(save_userid, save_sec_context);
		PG_RE_THROW();
	}
	PG_END_TRY();
	apitoken_pop_search_path(save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);

	return PointerGetDatum(NULL);
}
