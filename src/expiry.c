/*-------------------------------------------------------------------------
 *
 * expiry.c
 *	  apitoken.notify_expiring(): announce the tokens about to expire on the
 *	  channel apitoken_expiring, each once per window and expiry.
 *
 * What was announced is kept in apitoken.expiry_notice_store, which no
 * role but the extension may write: an admin who could write it would
 * forget a notice (to have it sent again) or record one that was never
 * sent (to suppress it).  So this function, which runs as the caller,
 * checks that the caller is an admin and that the window is a positive
 * interval, then switches to the owner of token_store with
 * SetUserIdAndSecContext() (SECURITY_RESTRICTED_OPERATION) and the search
 * path pinned to "pg_catalog, pg_temp", as the audit trigger does, and runs
 * one fixed statement, "SELECT apitoken.send_expiry_notices($1)": a
 * plpgsql function no role may execute, which does the work (see its
 * comment in apitoken--1.2.sql).  It reads token_store as the owner, a
 * superuser (the extension needs one to be installed), which bypasses
 * row-level security: the rows an admin sees through it anyway.  No
 * SECURITY DEFINER function is needed, so none is added: one could not
 * check the caller (it sees its owner as current_user).  The payloads
 * hold no secret: id, name, owner's name and expiry.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "apitoken.h"
#include "compat.h"
#include "token_store.h"

PG_FUNCTION_INFO_V1(apitoken_notify_expiring);

/*
 * apitoken.notify_expiring(within interval): the number of tokens announced
 */
Datum
apitoken_notify_expiring(PG_FUNCTION_ARGS)
{
	Interval	zero;
	Oid			argtypes[1] = {INTERVALOID};
	Datum		args[1];
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	int32		announced = 0;

	apitoken_require_admin(GetUserId());
	memset(&zero, 0, sizeof(zero));
	if (PG_ARGISNULL(0) ||
		DatumGetInt32(DirectFunctionCall2(interval_cmp, PG_GETARG_DATUM(0),
										  IntervalPGetDatum(&zero))) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the window of apitoken.notify_expiring() must be a positive interval"),
				 errhint("Pass how long before their expiry tokens are to be announced, e.g. '7 days'.")));
	args[0] = PG_GETARG_DATUM(0);

	apitoken_store_ensure();
	if (!OidIsValid(apitoken_store.relid))
		elog(ERROR, "apitoken.token_store does not exist");
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(apitoken_relation_owner(apitoken_store.relid),
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = apitoken_push_search_path();
	PG_TRY();
	{
		int			ret;
		bool		isnull;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		ret = SPI_execute_with_args("SELECT apitoken.send_expiry_notices($1)",
									1, argtypes, args, NULL, false, 1);
		if (ret != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
		announced = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
												SPI_tuptable->tupdesc, 1, &isnull));
		if (isnull)
			elog(ERROR, "apitoken.send_expiry_notices() returned NULL");
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

	PG_RETURN_INT32(announced);
}
