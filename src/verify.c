/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  verify() and check(): a presented value, the index probe that finds
 *	  its token, and the judgement of that token.
 *
 * Applications call verify() once per request and triggers once per row,
 * so it avoids SPI and the planner: it hashes the presented value with
 * SHA-256, probes the hash index on token_store.hash directly (a hash
 * index stores a 4-byte hash code per entry and finds it without a tree
 * descent) with the latest committed snapshot, and compares the stored
 * hash of the heap tuple it finds in constant time.  Row-level security
 * does not apply here on purpose: holding the secret is the credential,
 * and the only thing returned is the owner of a valid token.  Nothing
 * here raises for any input.
 *
 * A token verifies only as the role it was issued to: from 1.1.1 on the
 * row records the owner's name and the issuing cluster, and the name of
 * the role that now has the owner's OID must match, or be explained by a
 * rename (owner_is_issuer()); otherwise the token is owner_mismatch.  The
 * comparison uses the role's syscache entry, looked up anyway to see that
 * the owner exists.  A valid token's last access, or the refused use of a
 * valid secret, is recorded by last_access.c while the probe still pins
 * its buffer.
 *
 * With apitoken.max_lifetime_applies_to_existing on, the lifetime policy
 * also applies to tokens issued before it: one whose last value was issued
 * longer ago than apitoken.max_lifetime is lifetime_exceeded, judged right
 * after its own expiry (created_at and regenerated_at are read only then).
 *
 * From 1.2 on a token regenerated with a grace period also verifies with
 * its previous value until prev_valid_until.  Only a value that the hash
 * index does not know as a current one is looked up there, in the partial
 * btree on prev_hash (find_previous()): a current value costs one probe as
 * before, and only a miss may take a second.  Both probes use the same
 * snapshot, so a value being rotated is either current or previous in it,
 * never neither.  A previous value is judged like the current one.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sodium.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inet.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "apitoken.h"
#include "compat.h"
#include "token_store.h"
#include "verify.h"

PG_FUNCTION_INFO_V1(apitoken_verify_text);
PG_FUNCTION_INFO_V1(apitoken_verify_token);
PG_FUNCTION_INFO_V1(apitoken_verify_scoped);
PG_FUNCTION_INFO_V1(apitoken_check);

static const char *const token_state_names[] = {
	"valid", "malformed", "unknown", "orphaned", "owner_mismatch",
	"owner_disabled", "disabled", "expired", "lifetime_exceeded", "scope_denied",
	"address_denied"
};

StaticAssertDecl(lengthof(token_state_names) == TOKEN_ADDRESS_DENIED + 1,
				 "token_state_names must name every TokenState");


/* the connection's client address (inet_client_addr()), or NULL */
static inet *
connection_addr(void)
{
	LOCAL_FCINFO(fcinfo, 0);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 0, InvalidOid, NULL, NULL);
	result = inet_client_addr(fcinfo);
	return fcinfo->isnull ? NULL : DatumGetInetPP(result);
}

/* the client address a request is judged and recorded by */
inet *
apitoken_request_addr(TokenRequest *req)
{
	if (!req->addr_given)
	{
		req->addr = connection_addr();
		req->addr_given = true;
	}
	return req->addr;
}

/*
 * Does a text[] of scopes allow the requested scope?  Empty =
 * unrestricted; a NULL scope (none requested) is allowed only by that.
 */
bool
apitoken_scope_allowed(ArrayType *scopes, text *scope)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	const char *want;
	int			wantlen;

	deconstruct_array(scopes, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		return true;
	if (scope == NULL)
		return false;
	want = VARDATA_ANY(scope);
	wantlen = VARSIZE_ANY_EXHDR(scope);
	for (i = 0; i < n; i++)
	{
		text	   *t;

		if (nulls[i])
			continue;
		t = DatumGetTextPP(elems[i]);
		if (VARSIZE_ANY_EXHDR(t) == (Size) wantlen && memcmp(VARDATA_ANY(t), want, wantlen) == 0)
			return true;
	}
	return false;
}

/* is addr inside one of the networks of a cidr[]?  Unknown addr: no */
static bool
address_allowed(ArrayType *allowed, inet *addr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	if (addr == NULL)
		return false;
	deconstruct_array(allowed, CIDROID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			continue;
		if (DatumGetBool(DirectFunctionCall2(network_subeq, InetPGetDatum(addr), elems[i])))
			return true;
	}
	return false;
}

/* may the owner log in (apitoken.require_login_owner)? */
static bool
owner_may_login(HeapTuple authtup, TimestampTz now)
{
	Form_pg_authid auth = (Form_pg_authid) GETSTRUCT(authtup);
	bool		isnull;
	Datum		until;

	if (!auth->rolcanlogin)
		return false;
	until = SysCacheGetAttr(AUTHOID, authtup, Anum_pg_authid_rolvaliduntil, &isnull);
	return isnull || DatumGetTimestampTz(until) > now;
}

/*
 * Is the role with the token's owner OID (authtup) the role the token was
 * issued to, whose name was recorded in owner_name?
 *
 * The same name: yes (the fast path: one comparison).  Another name: a
 * role in another cluster (binary logical replication carries the OID
 * raw, and there it may be anyone) or one that got the OID of a dropped
 * owner, unless the role was renamed since.  A renamed role is told by
 * two facts that only the issuing cluster can vouch for: the token was
 * issued here (issued_in is this cluster's system identifier; physical
 * standbys share it) and the role is still a direct member of
 * apitoken_owner,
 * which DROP ROLE ends and which issuing a token to a new holder of the
 * OID grants only after disowning the old tokens (mark_owner() in
 * manage.c).  Elsewhere a rename takes effect when the issuing cluster's
 * new owner_name has replicated.
 */
static bool
owner_is_issuer(TupleTableSlot *slot, HeapTuple authtup, text *issued_to)
{
	Form_pg_authid auth = (Form_pg_authid) GETSTRUCT(authtup);
	const char *rolname = NameStr(auth->rolname);
	size_t		len = VARSIZE_ANY_EXHDR(issued_to);
	Datum		issued_in;
	bool		isnull;

	if (len > 0 && strlen(rolname) == len &&
		memcmp(rolname, VARDATA_ANY(issued_to), len) == 0)
		return true;
	if (len == 0)
		return false;			/* disowned, or orphaned when recorded */
	issued_in = slot_getattr(slot, apitoken_store.att_issued_in, &isnull);
	if (isnull || (uint64) DatumGetInt64(issued_in) != GetSystemIdentifier())
		return false;
	return apitoken_is_marked_owner(auth->oid);
}

/*
 * Was the token's last value issued (regenerated_at, else created_at)
 * longer ago than apitoken.max_lifetime?  Read only when
 * apitoken.max_lifetime_applies_to_existing is on.
 */
static bool
lifetime_exceeded(TupleTableSlot *slot, TimestampTz now)
{
	bool		isnull;
	Datum		issued = slot_getattr(slot, apitoken_store.att_regenerated_at, &isnull);

	if (isnull)
		issued = slot_getattr(slot, apitoken_store.att_created_at, &isnull);
	if (isnull)
		return false;
	return DatumGetTimestampTz(issued) < now - (int64) apitoken_max_lifetime * USECS_PER_MINUTE;
}

/*
 * The code stored in token_store.last_refused_reason for a state that is
 * a refused use of a valid secret (apitoken.refusal_reason() maps them),
 * or 0 for a state that is not recorded: malformed and unknown values are
 * no secret of a token; orphaned, owner_mismatch and owner_disabled are
 * the fate of the owner role, not a use of the token against its own
 * limits, and have no code.
 */
static int16
refusal_code(TokenState state)
{
	switch (state)
	{
		case TOKEN_DISABLED:
			return 1;
		case TOKEN_EXPIRED:
			return 2;
		case TOKEN_SCOPE_DENIED:
			return 3;
		case TOKEN_ADDRESS_DENIED:
			return 4;
		case TOKEN_LIFETIME_EXCEEDED:
			return 5;
		default:
			return 0;
	}
}

/*
 * judge a row whose hash matched: sets result->state, and for a valid
 * token result->valid_until to its expiry (DT_NOEND: none), read here
 * anyway
 */
static void
judge_token(TupleTableSlot *slot, TokenRequest *req, TimestampTz now,
			TokenLookup *result)
{
	bool		isnull;
	bool		enabled;
	Datum		expires;
	bool		never_expires;
	HeapTuple	authtup;
	bool		login_ok = true;

	enabled = DatumGetBool(slot_getattr(slot, apitoken_store.att_enabled, &isnull));
	expires = slot_getattr(slot, apitoken_store.att_expires, &never_expires);

	authtup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(result->owner));
	if (!HeapTupleIsValid(authtup))
	{
		result->state = TOKEN_ORPHANED;
		return;
	}
	if (apitoken_store.has_owner_name)
	{
		Datum		issued_to = slot_getattr(slot, apitoken_store.att_owner_name, &isnull);

		if (!isnull && !owner_is_issuer(slot, authtup, DatumGetTextPP(issued_to)))
		{
			ReleaseSysCache(authtup);
			result->state = TOKEN_OWNER_MISMATCH;
			return;
		}
	}
	if (apitoken_require_login_owner)
		login_ok = owner_may_login(authtup, now);
	ReleaseSysCache(authtup);

	if (!login_ok)
		result->state = TOKEN_OWNER_DISABLED;
	else if (!enabled)
		result->state = TOKEN_DISABLED;
	else if (!never_expires && DatumGetTimestampTz(expires) <= now)
		result->state = TOKEN_EXPIRED;
	else if (apitoken_max_lifetime_applies_to_existing && apitoken_max_lifetime > 0 &&
			 lifetime_exceeded(slot, now))
		result->state = TOKEN_LIFETIME_EXCEEDED;
	else
	{
		result->state = TOKEN_VALID;
		if (never_expires)
			TIMESTAMP_NOEND(result->valid_until);
		else
			result->valid_until = DatumGetTimestampTz(expires);
		if ((req->scope != NULL || req->unrestricted_only) &&
			apitoken_store.has_v11_columns)
		{
			Datum		scopes = slot_getattr(slot, apitoken_store.att_scopes, &isnull);

			if (!isnull && !apitoken_scope_allowed(DatumGetArrayTypeP(scopes), req->scope))
				result->state = TOKEN_SCOPE_DENIED;
		}
		if (result->state == TOKEN_VALID && apitoken_store.has_v11_columns)
		{
			Datum		allowed = slot_getattr(slot, apitoken_store.att_allowed_from, &isnull);

			if (!isnull && !address_allowed(DatumGetArrayTypeP(allowed), apitoken_request_addr(req)))
				result->state = TOKEN_ADDRESS_DENIED;
		}
	}
}

/*
 * A row whose secret matched, as its current value (grace_end NULL) or its
 * previous one (grace_end: prev_valid_until): judge it, say until when it
 * works if it is valid (the expiry, or the end of the grace), copy its
 * scopes for login(), and record last access, or the refused use of a
 * valid secret, if the request asks for it.  Whatever else a valid match
 * hands back belongs here too, so that both values give the same answer.
 */
static void
judge_match(Relation rel, TupleTableSlot *slot, TokenRequest *req,
			TimestampTz now, const TimestampTz *grace_end, TokenLookup *result)
{
	bool		isnull;

	result->id = DatumGetInt64(slot_getattr(slot, apitoken_store.att_id, &isnull));
	result->owner = DatumGetObjectId(slot_getattr(slot, apitoken_store.att_owner, &isnull));
	judge_token(slot, req, now, result);
	if (result->state != TOKEN_VALID)
	{
		int16		code = refusal_code(result->state);

		if (req->record && code != 0)
			apitoken_record_refusal(rel, slot, now, req, code);
		return;
	}
	if (grace_end != NULL)
		result->valid_until = *grace_end;
	if (req->want_scopes && apitoken_store.has_v11_columns)
	{
		Datum		scopes = slot_getattr(slot, apitoken_store.att_scopes, &isnull);

		/* copied: the slot's tuple lives in the shared buffer */
		if (!isnull)
			result->scopes = DatumGetArrayTypePCopy(scopes);
	}
	if (req->record)
		apitoken_record_access(rel, slot, now, req);
}

/*
 * After the current values missed: is the presented value (hash, and key
 * as the index's bytea) the previous value of a token whose grace period
 * has not ended?  Probes the partial btree on prev_hash with the caller's
 * snapshot and slot, compares in constant time, then judges the row as
 * for a current value and records last access if it is valid: a previous
 * value in use is a use of the token.
 *
 * A previous value whose grace period is over is left TOKEN_UNKNOWN, as
 * any value that no longer works: check() is PUBLIC, and a "replaced"
 * answer would tell whoever holds an old value that it was real, which
 * token it belonged to and that it was rotated.  A DBA debugging a
 * rotation sees previous_valid_until in the view instead.
 */
static void
find_previous(Relation rel, Snapshot snapshot, TupleTableSlot *slot,
			  bytea *key, const uint8 *hash, TokenRequest *req,
			  TokenLookup *result)
{
	Relation	index;
	IndexScanDesc scan;
	ScanKeyData skey;

	index = index_open(apitoken_store.prev_indexid, AccessShareLock);
	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, F_BYTEAEQ, PointerGetDatum(key));
	scan = apitoken_index_beginscan(rel, index, snapshot, 1, 0);
	index_rescan(scan, &skey, 1, NULL, 0);

	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		value = slot_getattr(slot, apitoken_store.att_prev_hash, &isnull);
		bytea	   *stored;
		TimestampTz now;
		TimestampTz grace_end;

		if (isnull)
			continue;
		stored = DatumGetByteaPP(value);
		if (VARSIZE_ANY_EXHDR(stored) != APITOKEN_HASH_BYTES ||
			sodium_memcmp(VARDATA_ANY(stored), hash, APITOKEN_HASH_BYTES) != 0)
			continue;

		now = GetCurrentTimestamp();
		value = slot_getattr(slot, apitoken_store.att_prev_valid_until, &isnull);
		if (isnull || DatumGetTimestampTz(value) <= now)
			break;				/* its grace period is over: unknown */
		grace_end = DatumGetTimestampTz(value);
		result->previous = true;
		judge_match(rel, slot, req, now, &grace_end, result);
		break;
	}

	index_endscan(scan);
	index_close(index, NoLock);
}

/*
 * Find the token for a presented value and say what state it is in;
 * when the request asks for it, record last access if the token is valid,
 * or the refused use if the secret matched but was refused.
 * Costs one SHA-256 and one index probe, and a second probe (1.2 and
 * later) only for a value that is not a current one; never raises for any
 * input.
 */
void
apitoken_find_token(TokenRequest *req, TokenLookup *result)
{
	size_t		prefix_len;
	uint8		hash[APITOKEN_HASH_BYTES];
	union
	{
		bytea		hdr;
		char		data[VARHDRSZ + APITOKEN_HASH_BYTES];
	}			key;
	Relation	rel;
	Relation	index;
	Snapshot	snapshot;
	IndexScanDesc scan;
	ScanKeyData skey;
	TupleTableSlot *slot;
	bool		matched = false;

	result->state = TOKEN_MALFORMED;
	result->id = 0;
	result->owner = InvalidOid;
	result->scopes = NULL;
	result->previous = false;
	result->valid_until = 0;

	if (apitoken_decode(req->text, req->len, &prefix_len) != APITOKEN_OK)
		return;
	result->state = TOKEN_UNKNOWN;

	apitoken_store_ensure();

	apitoken_hash_text(req->text, req->len, hash);

	rel = table_open(apitoken_store.relid, AccessShareLock);
	index = index_open(apitoken_store.indexid, AccessShareLock);
	/*
	 * The latest committed state: a change is in force once it commits.
	 * PostgreSQL takes no new snapshot during a parallel operation (verify()
	 * in a query with a parallel plan): there the statement's is used.
	 */
	if (IsInParallelMode() && ActiveSnapshotSet())
		snapshot = RegisterSnapshot(GetActiveSnapshot());
	else
		snapshot = RegisterSnapshot(GetLatestSnapshot());
	slot = table_slot_create(rel, NULL);

	SET_VARSIZE(&key.hdr, VARHDRSZ + APITOKEN_HASH_BYTES);
	memcpy(VARDATA(&key.hdr), hash, APITOKEN_HASH_BYTES);
	ScanKeyInit(&skey, 1, HTEqualStrategyNumber, F_BYTEAEQ,
				PointerGetDatum(&key.hdr));
	scan = apitoken_index_beginscan(rel, index, snapshot, 1, 0);
	index_rescan(scan, &skey, 1, NULL, 0);

	/* hash codes can collide: the index rechecks, and so do we, in constant time */
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		bytea	   *stored = DatumGetByteaPP(slot_getattr(slot, apitoken_store.att_hash, &isnull));
		TimestampTz now;

		if (isnull || VARSIZE_ANY_EXHDR(stored) != APITOKEN_HASH_BYTES ||
			sodium_memcmp(VARDATA_ANY(stored), hash, APITOKEN_HASH_BYTES) != 0)
			continue;

		now = GetCurrentTimestamp();
		matched = true;
		judge_match(rel, slot, req, now, NULL, result);
		break;
	}

	index_endscan(scan);
	if (!matched && apitoken_store.has_v12_columns)
		find_previous(rel, snapshot, slot, &key.hdr, hash, req, result);
	ExecDropSingleTupleTableSlot(slot);
	UnregisterSnapshot(snapshot);
	index_close(index, NoLock);
	table_close(rel, NoLock);
	sodium_memzero(hash, sizeof(hash));
	sodium_memzero(&key, sizeof(key));
}

/* a request for a text datum, with no scope and the connection's address */
void
apitoken_init_request(TokenRequest *req, text *token, bool record)
{
	req->text = VARDATA_ANY(token);
	req->len = VARSIZE_ANY_EXHDR(token);
	req->record = record;
	req->want_scopes = false;
	req->scope = NULL;
	req->unrestricted_only = false;
	req->addr_given = false;
	req->addr = NULL;
}

/*
 * Fill a request from (token, scope, client_addr) arguments, any of which
 * may be NULL; returns false for a NULL token.
 */
bool
apitoken_request_from_args(FunctionCallInfo fcinfo, TokenRequest *req, bool record)
{
	if (PG_ARGISNULL(0))
		return false;
	apitoken_init_request(req, PG_GETARG_TEXT_PP(0), record);
	if (PG_NARGS() > 1 && !PG_ARGISNULL(1))
		req->scope = PG_GETARG_TEXT_PP(1);
	if (PG_NARGS() > 2)
	{
		req->addr_given = true;
		req->addr = PG_ARGISNULL(2) ? NULL : PG_GETARG_INET_PP(2);
	}
	return true;
}

/*
 * apitoken.verify(token text, scope text, client_addr inet): the owner
 * when the token is valid, allows the scope (NULL: none asked) and may be
 * used from client_addr (NULL: unknown, refused by an address list).
 */
Datum
apitoken_verify_scoped(PG_FUNCTION_ARGS)
{
	TokenRequest req;
	TokenLookup result;

	if (!apitoken_request_from_args(fcinfo, &req, true))
		PG_RETURN_NULL();
	apitoken_find_token(&req, &result);
	if (result.state != TOKEN_VALID)
		PG_RETURN_NULL();
	PG_RETURN_OID(result.owner);
}

/*
 * apitoken.verify(text): the owner of a valid token, else NULL; never
 * raises.  The one-argument form is verify(token, NULL, <not given>).
 */
Datum
apitoken_verify_text(PG_FUNCTION_ARGS)
{
	return apitoken_verify_scoped(fcinfo);
}

/* apitoken.verify(apitoken.token): same, for a value already typed */
Datum
apitoken_verify_token(PG_FUNCTION_ARGS)
{
	return apitoken_verify_scoped(fcinfo);
}

/*
 * apitoken.check(text [, scope text, client_addr inet]):
 * (token_id, owner, status, valid_until) explaining verify().  valid_until
 * (1.2 and later) is, for a valid value, until when it works: the end of
 * the grace period for a previous value, the expiry (NULL: none) for a
 * current one; NULL otherwise.  A previous value in its grace period is
 * 'valid', so that applications testing status = 'valid' keep working.
 * With the three-column result of 1.1.2 and before the fourth value is
 * not used (the tuple is formed by the declared result's descriptor).
 */
Datum
apitoken_check(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TokenRequest req;
	TokenLookup result;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, true};

	InitMaterializedSRF(fcinfo, 0);

	if (apitoken_request_from_args(fcinfo, &req, false))
		apitoken_find_token(&req, &result);
	else
		result.state = TOKEN_MALFORMED;

	if (result.state == TOKEN_MALFORMED || result.state == TOKEN_UNKNOWN)
	{
		nulls[0] = true;
		nulls[1] = true;
	}
	else
	{
		values[0] = Int64GetDatum(result.id);
		values[1] = ObjectIdGetDatum(result.owner);
		/* the role now holding the OID is not the token's owner */
		nulls[1] = (result.state == TOKEN_OWNER_MISMATCH);
	}
	values[2] = CStringGetTextDatum(token_state_names[result.state]);
	if (result.state == TOKEN_VALID && !TIMESTAMP_IS_NOEND(result.valid_until))
	{
		values[3] = TimestampTzGetDatum(result.valid_until);
		nulls[3] = false;
	}
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}
