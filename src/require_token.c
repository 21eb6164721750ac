/*-------------------------------------------------------------------------
 *
 * require_token.c
 *	  The require_token() trigger: a table that accepts only rows carrying
 *	  a valid token, judged by the same code as verify() (verify.c).
 *
 * The token column is set to NULL before the row is written, so the
 * secret is never stored in the user's table; the owner goes into the
 * owner column.  With no scope named, only unrestricted tokens pass.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inet.h"
#include "utils/rel.h"

#include "apitoken.h"
#include "token_store.h"
#include "verify.h"

PG_FUNCTION_INFO_V1(apitoken_require_token);

/* column number of a trigger argument naming a column, or error */
static int
trigger_column(Relation rel, const char *colname)
{
	int			attnum = SPI_fnumber(RelationGetDescr(rel), colname);

	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						colname, RelationGetRelationName(rel)),
				 errhint("The arguments of apitoken.require_token() are the token column and, optionally, the owner column.")));
	return attnum;
}

/*
 * Trigger apitoken.require_token(token_column [, owner_column [, scope
 * [, address_column]]]).
 *
 * BEFORE INSERT OR UPDATE FOR EACH ROW: the row is written only if
 * token_column holds a valid token; its owner goes into owner_column
 * (regrole, oid, name or text) and token_column is set to NULL, so the
 * secret is never stored in the user's table.  With a scope, the token
 * must allow it (as verify(token, scope) requires); without one, only an
 * unrestricted token passes: a token limited to some scopes is never taken
 * as good for writes that name none.  The client address is
 * address_column's value when one is named (an inet column, for an
 * application behind a pooler), else the connection's, as verify() does.
 * An empty owner_column or scope argument means none.
 */
Datum
apitoken_require_token(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	tuple;
	int			token_att;
	int			owner_att = 0;
	int			addr_att = 0;
	Oid			token_type;
	Datum		token;
	bool		isnull;
	TokenLookup result;
	int			replcols[2];
	Datum		replvalues[2];
	bool		replnulls[2] = {true, false};
	int			nrepl = 1;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("apitoken.require_token() must be fired BEFORE INSERT OR UPDATE FOR EACH ROW")));

	trigger = trigdata->tg_trigger;
	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	if (trigger->tgnargs < 1 || trigger->tgnargs > 4)
		ereport(ERROR,
				(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
				 errmsg("apitoken.require_token() takes one to four arguments"),
				 errhint("Pass the token column and, optionally, the owner column, a required scope and a client address column: EXECUTE FUNCTION apitoken.require_token('token', 'owner', 'orders:write').")));

	apitoken_store_ensure();

	token_att = trigger_column(rel, trigger->tgargs[0]);
	token_type = TupleDescAttr(desc, token_att - 1)->atttypid;
	if (token_type != TEXTOID && token_type != VARCHAROID &&
		token_type != apitoken_store.token_typid)
		ereport(ERROR,
				(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
				 errmsg("token column \"%s\" must be of type text, varchar or apitoken.token",
						trigger->tgargs[0])));

	if (trigger->tgnargs >= 2 && trigger->tgargs[1][0] != '\0')
	{
		Oid			owner_type;

		owner_att = trigger_column(rel, trigger->tgargs[1]);
		owner_type = TupleDescAttr(desc, owner_att - 1)->atttypid;
		if (owner_type != REGROLEOID && owner_type != OIDOID &&
			owner_type != NAMEOID && owner_type != TEXTOID)
			ereport(ERROR,
					(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
					 errmsg("owner column \"%s\" must be of type regrole, oid, name or text",
							trigger->tgargs[1])));
	}
	if (trigger->tgnargs >= 4)
	{
		addr_att = trigger_column(rel, trigger->tgargs[3]);
		if (TupleDescAttr(desc, addr_att - 1)->atttypid != INETOID)
			ereport(ERROR,
					(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
					 errmsg("client address column \"%s\" must be of type inet",
							trigger->tgargs[3])));
	}

	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;

	token = heap_getattr(tuple, token_att, desc, &isnull);
	if (isnull)
		result.state = TOKEN_MALFORMED;
	else
	{
		TokenRequest req;

		apitoken_init_request(&req, DatumGetTextPP(token), true);
		if (trigger->tgnargs >= 3 && trigger->tgargs[2][0] != '\0')
			req.scope = cstring_to_text(trigger->tgargs[2]);
		else
			req.unrestricted_only = true;
		if (addr_att > 0)
		{
			Datum		addr = heap_getattr(tuple, addr_att, desc, &isnull);

			req.addr_given = true;
			req.addr = isnull ? NULL : DatumGetInetPP(addr);
		}
		apitoken_find_token(&req, &result);
	}
	if (result.state != TOKEN_VALID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("invalid API token"),
				 errdetail("Trigger \"%s\" on table \"%s\" requires a valid token in column \"%s\".",
						   trigger->tgname, RelationGetRelationName(rel),
						   trigger->tgargs[0])));

	replcols[0] = token_att;
	replvalues[0] = (Datum) 0;
	if (owner_att > 0)
	{
		Oid			owner_type = TupleDescAttr(desc, owner_att - 1)->atttypid;
		char	   *rolname;

		replcols[1] = owner_att;
		switch (owner_type)
		{
			case NAMEOID:
				rolname = GetUserNameFromId(result.owner, false);
				replvalues[1] = DirectFunctionCall1(namein, CStringGetDatum(rolname));
				break;
			case TEXTOID:
				rolname = GetUserNameFromId(result.owner, false);
				replvalues[1] = CStringGetTextDatum(rolname);
				break;
			default:
				replvalues[1] = ObjectIdGetDatum(result.owner);
				break;
		}
		nrepl = 2;
	}

	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, nrepl,
													 replcols, replvalues,
													 replnulls));
}
