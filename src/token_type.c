/*-------------------------------------------------------------------------
 *
 * token_type.c
 *	  The apitoken.token type (input, output, binary receive and send),
 *	  hint(), and the SHA-256 of a token's text that token_store.hash holds.
 *
 * Input and receive accept only a well-formed token (token_codec.c) and
 * never quote what they were given; the type's bytes are the token's text,
 * so the cast to text needs no function.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sodium.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "apitoken.h"

PG_FUNCTION_INFO_V1(apitoken_token_in);
PG_FUNCTION_INFO_V1(apitoken_token_out);
PG_FUNCTION_INFO_V1(apitoken_token_recv);
PG_FUNCTION_INFO_V1(apitoken_token_send);
PG_FUNCTION_INFO_V1(apitoken_token_hint);

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
	ApitokenParseStatus status = apitoken_decode(str, len, &prefix_len);

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

	if (apitoken_decode(str, len, &prefix_len) != APITOKEN_OK)
		elog(ERROR, "apitoken.token datum is not a valid token");
	hint_len = apitoken_hint(str, len, prefix_len, hint);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(hint, (int) hint_len));
}

/* SHA-256 of a token's text: the value stored in token_store.hash */
void
apitoken_hash_text(const char *text, size_t len, uint8 hash[APITOKEN_HASH_BYTES])
{
	crypto_hash_sha256(hash, (const unsigned char *) text, len);
}
