/*-------------------------------------------------------------------------
 *
 * login.c
 *	  apitoken.login(): a token becomes the identity of the transaction;
 *	  and current_token(), current_scopes() and has_scope(), which the
 *	  application's own row-level security policies ask.
 *
 * login() checks a token exactly as verify(token, scope, client_addr)
 * does (the same lookup, the same last-access recording) and, when it is
 * valid, sets the role parameter for the rest of the transaction, as SET
 * LOCAL ROLE does, through set_config_option().  PostgreSQL's own check
 * of that parameter decides whether the session user may become the
 * owner; nothing here bypasses it, and the function is not SECURITY
 * DEFINER.  It refuses outside a transaction block, where the role switch
 * would end with the statement and protect nothing.
 *
 * The logged-in tokens form a stack kept in TopTransactionContext, one
 * entry per login() with the subtransaction nesting level it was made at.
 * PostgreSQL rolls the role parameter back with a savepoint, and the
 * subtransaction callback does the same to the stack: an aborted
 * subtransaction pops what was pushed inside it, a committed one hands
 * its entries to its parent.  Transaction end forgets everything.  The
 * helpers answer only while current_user is the top entry's owner, so
 * after RESET ROLE, SET ROLE to anyone else, or inside a SECURITY DEFINER
 * function owned by another role, no token is logged in: the identity and
 * the token never disagree.
 *
 * Errors raised here or by the role check are sent with hide_stmt, so
 * that the statement, which may hold a token value as a literal, is not
 * written to the server log with them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "apitoken.h"
#include "verify.h"

PG_FUNCTION_INFO_V1(apitoken_login);
PG_FUNCTION_INFO_V1(apitoken_current_token);
PG_FUNCTION_INFO_V1(apitoken_current_scopes);
PG_FUNCTION_INFO_V1(apitoken_has_scope);

/* one login() of this transaction */
typedef struct LoginEntry
{
	int			nest_level;		/* subtransaction level it was made at */
	int64		token_id;
	Oid			owner;
	ArrayType  *scopes;			/* the token's scopes; empty = unrestricted */
	struct LoginEntry *prev;
} LoginEntry;

static LoginEntry *login_top = NULL;
static bool callbacks_registered = false;

/* transaction end: forget every login (the memory goes with the context) */
static void
login_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			login_top = NULL;
			break;
		default:
			break;
	}
}

/*
 * subtransaction end: an abort pops the logins made inside it, a commit
 * hands them to the parent (runs while the ending level is current)
 */
static void
login_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	LoginEntry *e;

	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		while (login_top != NULL && login_top->nest_level >= level)
			login_top = login_top->prev;
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (e = login_top; e != NULL && e->nest_level >= level; e = e->prev)
			e->nest_level = level - 1;
	}
}

/* the login in force: the top entry, while current_user is its owner */
static LoginEntry *
current_login(void)
{
	if (login_top == NULL || GetUserId() != login_top->owner)
		return NULL;
	return login_top;
}

/*
 * Switch the transaction to role, as SET LOCAL ROLE does: the role
 * parameter's check decides whether the session user may.  Its error is
 * re-raised without the statement.
 */
static void
set_local_role(const char *rolname)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		(void) set_config_option("role", rolname,
								 superuser() ? PGC_SUSET : PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_LOCAL,
								 true, ERROR, false);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		edata->hide_stmt = true;
		ReThrowError(edata);
	}
	PG_END_TRY();
}

/*
 * apitoken.login(token text, scope text, client_addr inet) RETURNS
 * regrole: in a transaction block, the owner of a valid token, which the
 * transaction now runs as; 28000 otherwise, with nothing changed.
 */
Datum
apitoken_login(PG_FUNCTION_ARGS)
{
	TokenRequest req;
	TokenLookup result;
	LoginEntry *entry;
	MemoryContext oldcxt;

	if (!IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
				 errmsg("apitoken.login() can only be used in a transaction block"),
				 errdetail("Outside a transaction block the role it switches to would end with the statement."),
				 errhint("Call it first in the transaction of each request: BEGIN; SELECT apitoken.login($1); ...; COMMIT;"),
				 errhidestmt(true)));

	result.state = TOKEN_MALFORMED;
	if (apitoken_request_from_args(fcinfo, &req, true))
	{
		req.want_scopes = true;
		apitoken_find_token(&req, &result);
	}
	if (result.state != TOKEN_VALID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("invalid API token"),
				 errhint("apitoken.check() tells why a token does not verify."),
				 errhidestmt(true)));

	set_local_role(GetUserNameFromId(result.owner, false));

	if (!callbacks_registered)
	{
		RegisterXactCallback(login_xact_callback, NULL);
		RegisterSubXactCallback(login_subxact_callback, NULL);
		callbacks_registered = true;
	}
	oldcxt = MemoryContextSwitchTo(TopTransactionContext);
	entry = (LoginEntry *) palloc(sizeof(LoginEntry));
	entry->nest_level = GetCurrentTransactionNestLevel();
	entry->token_id = result.id;
	entry->owner = result.owner;
	if (result.scopes != NULL)
		entry->scopes = (ArrayType *) PG_DETOAST_DATUM_COPY(PointerGetDatum(result.scopes));
	else
		entry->scopes = construct_empty_array(TEXTOID);
	entry->prev = login_top;
	MemoryContextSwitchTo(oldcxt);
	login_top = entry;

	PG_RETURN_OID(result.owner);
}

/* apitoken.current_token() RETURNS bigint: the logged-in token's id, or NULL */
Datum
apitoken_current_token(PG_FUNCTION_ARGS)
{
	LoginEntry *e = current_login();

	if (e == NULL)
		PG_RETURN_NULL();
	PG_RETURN_INT64(e->token_id);
}

/*
 * apitoken.current_scopes() RETURNS text[]: the logged-in token's scopes
 * ('{}' = unrestricted), or NULL
 */
Datum
apitoken_current_scopes(PG_FUNCTION_ARGS)
{
	LoginEntry *e = current_login();

	if (e == NULL)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(PG_DETOAST_DATUM_COPY(PointerGetDatum(e->scopes)));
}

/*
 * apitoken.has_scope(scope text) RETURNS boolean: does the logged-in token
 * allow the scope?  An unrestricted token allows every scope; no login, or
 * a NULL scope: false.
 */
Datum
apitoken_has_scope(PG_FUNCTION_ARGS)
{
	LoginEntry *e = current_login();

	if (e == NULL || PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(apitoken_scope_allowed(e->scopes, PG_GETARG_TEXT_PP(0)));
}
