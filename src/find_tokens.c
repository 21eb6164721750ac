/*-------------------------------------------------------------------------
 *
 * find_tokens.c
 *	  apitoken.find_tokens(text [, prefix]): every well-formed token inside
 *	  a text, for a DBA scanning tables and logs for leaked values.
 *
 * The scan itself is token_scan.c; this file turns its matches into the
 * rows of a materialized set of apitoken.token, in text order, each
 * occurrence once (a value that occurs twice is returned twice).  It reads
 * no table and no setting, so it is IMMUTABLE and anyone may call it: it
 * returns only what its input holds.
 *
 * The values found are secrets the caller passed in.  Apart from the rows
 * of the result, nothing here keeps a copy of one: each match goes through
 * one reused buffer that is wiped at the end, and a detoasted copy of the
 * input is wiped before it is freed (an error while a row is added, such
 * as running out of memory, leaves them to the memory context's reset).
 * No message quotes the input or the prefix argument.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sodium.h>

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "apitoken.h"
#include "token_scan.h"

PG_FUNCTION_INFO_V1(apitoken_find_tokens);

/* what the scan callback needs to add a row */
typedef struct FindState
{
	FunctionCallInfo fcinfo;
	text	   *buf;			/* NULL until the first match, then room for
								 * VARHDRSZ + APITOKEN_TEXT_MAX */
} FindState;

/*
 * scan callback: add str[offset..offset+len) to the result as a token.
 * The result's tuplestore is made at the first match: most texts hold no
 * token, and a materialized SRF that leaves setResult NULL returns no
 * rows.
 */
static bool
add_found(const char *str, size_t offset, size_t len, size_t prefix_len,
		  void *arg)
{
	FindState  *st = (FindState *) arg;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) st->fcinfo->resultinfo;
	Datum		value;
	bool		isnull = false;

	if (st->buf == NULL)
	{
		InitMaterializedSRF(st->fcinfo, MAT_SRF_USE_EXPECTED_DESC);
		st->buf = (text *) palloc(VARHDRSZ + APITOKEN_TEXT_MAX);
	}
	SET_VARSIZE(st->buf, VARHDRSZ + len);
	memcpy(VARDATA(st->buf), str + offset, len);
	value = PointerGetDatum(st->buf);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	return true;
}

/*
 * apitoken.find_tokens(text text, prefix text DEFAULT NULL)
 * RETURNS SETOF apitoken.token: the tokens in text (NULL: none), of any
 * prefix or, when prefix is not NULL, of that prefix only (an invalid
 * prefix raises 22023, whatever the text).
 */
Datum
apitoken_find_tokens(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const char *prefix = NULL;
	size_t		prefix_len = 0;
	text	   *input;
	FindState	st;

	/* the checks InitMaterializedSRF() makes, for a text with no token */
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0 ||
		rsinfo->expectedDesc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	rsinfo->returnMode = SFRM_Materialize;

	if (!PG_ARGISNULL(1))
	{
		text	   *p = PG_GETARG_TEXT_PP(1);

		prefix = VARDATA_ANY(p);
		prefix_len = VARSIZE_ANY_EXHDR(p);
		if (!apitoken_prefix_valid(prefix, prefix_len))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid API token prefix"),
					 errhint("A prefix is 1 to %d letters, digits or underscores; pass NULL to find tokens of any prefix.",
							 APITOKEN_PREFIX_MAX)));
	}
	if (PG_ARGISNULL(0))
		return (Datum) 0;

	input = PG_GETARG_TEXT_PP(0);
	st.fcinfo = fcinfo;
	st.buf = NULL;
	apitoken_scan(VARDATA_ANY(input), VARSIZE_ANY_EXHDR(input),
				  prefix, prefix_len, add_found, &st);
	if (st.buf != NULL)
	{
		sodium_memzero(st.buf, VARHDRSZ + APITOKEN_TEXT_MAX);
		pfree(st.buf);
	}

	/* a detoasted copy of the input is ours: wipe it too */
	if ((Pointer) input != DatumGetPointer(PG_GETARG_DATUM(0)))
	{
		sodium_memzero(input, VARSIZE_ANY(input));
		pfree(input);
	}
	return (Datum) 0;
}
