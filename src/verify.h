/*-------------------------------------------------------------------------
 *
 * verify.h
 *	  The read path's request and answer (verify.c), shared with the
 *	  in-place writes (last_access.c), require_token() (require_token.c),
 *	  revoke() (manage.c) and login() (login.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef APITOKEN_VERIFY_H
#define APITOKEN_VERIFY_H

#include "postgres.h"

#include "executor/tuptable.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/inet.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

/*
 * What a presented value turned out to be, in the order the checks run;
 * names as check() reports them.
 */
typedef enum TokenState
{
	TOKEN_VALID,
	TOKEN_MALFORMED,
	TOKEN_UNKNOWN,
	TOKEN_ORPHANED,
	TOKEN_OWNER_MISMATCH,
	TOKEN_OWNER_DISABLED,
	TOKEN_DISABLED,
	TOKEN_EXPIRED,
	TOKEN_LIFETIME_EXCEEDED,	/* apitoken.max_lifetime_applies_to_existing */
	TOKEN_SCOPE_DENIED,
	TOKEN_ADDRESS_DENIED
} TokenState;

/* What the caller presents: the value, and what it must be good for. */
typedef struct TokenRequest
{
	const char *text;
	size_t		len;
	bool		record;			/* record last access if valid, the refusal
								 * if a valid secret is refused */
	bool		want_scopes;	/* copy a valid token's scopes (login()) */
	text	   *scope;			/* required scope, or NULL for none */
	bool		unrestricted_only;	/* with no scope: refuse scoped tokens */
	bool		addr_given;		/* the caller passed a client address */
	inet	   *addr;			/* that address; NULL = unknown */
} TokenRequest;

typedef struct TokenLookup
{
	TokenState	state;
	int64		id;				/* set when the secret matched */
	Oid			owner;			/* likewise */
	ArrayType  *scopes;			/* with want_scopes: a valid token's scopes,
								 * palloc'd; NULL = unrestricted */
	bool		previous;		/* it matched the previous value (1.2) */
	TimestampTz valid_until;	/* TOKEN_VALID: the value works until then
								 * (DT_NOEND: no end) */
} TokenLookup;

/* verify.c */
extern void apitoken_init_request(TokenRequest *req, text *token, bool record);
extern void apitoken_find_token(TokenRequest *req, TokenLookup *result);
extern inet *apitoken_request_addr(TokenRequest *req);
extern bool apitoken_request_from_args(FunctionCallInfo fcinfo, TokenRequest *req,
									   bool record);
extern bool apitoken_scope_allowed(ArrayType *scopes, text *scope);

/* last_access.c */
extern void apitoken_record_access(Relation rel, TupleTableSlot *slot,
								   TimestampTz now, TokenRequest *req);
extern void apitoken_record_refusal(Relation rel, TupleTableSlot *slot,
									TimestampTz now, TokenRequest *req,
									int16 reason);

#endif							/* APITOKEN_VERIFY_H */
