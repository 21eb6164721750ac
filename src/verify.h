/*-------------------------------------------------------------------------
 *
 * verify.h
 *	  The read path's request and answer (verify.c), shared with the
 *	  last-access write (last_access.c) and require_token() (require_token.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef APITOKEN_VERIFY_H
#define APITOKEN_VERIFY_H

#include "postgres.h"

#include "executor/tuptable.h"
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
	TOKEN_SCOPE_DENIED,
	TOKEN_ADDRESS_DENIED
} TokenState;

/* What the caller presents: the value, and what it must be good for. */
typedef struct TokenRequest
{
	const char *text;
	size_t		len;
	bool		record;			/* record last access if valid */
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
	bool		previous;		/* it matched the previous value (1.2) */
	TimestampTz valid_until;	/* TOKEN_VALID: the value works until then
								 * (DT_NOEND: no end) */
} TokenLookup;

/* verify.c */
extern void apitoken_init_request(TokenRequest *req, text *token, bool record);
extern void apitoken_find_token(TokenRequest *req, TokenLookup *result);
extern inet *apitoken_request_addr(TokenRequest *req);

/* last_access.c */
extern void apitoken_record_access(Relation rel, TupleTableSlot *slot,
								   TimestampTz now, TokenRequest *req);

#endif							/* APITOKEN_VERIFY_H */
