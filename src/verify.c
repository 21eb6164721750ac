/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  The read path: verify(), check() and the require_token() trigger.
 *
 * Applications call verify() once per request and triggers once per row,
 * so it avoids SPI and the planner: it hashes the presented value with
 * SHA-256, probes the hash index on token_store.hash directly, and
 * compares the stored hash of the heap tuple it finds in constant time.
 * A hash index, not a btree: it stores a 4-byte hash code per entry (about
 * a third of the size of a btree on the 32-byte hash) and finds the entry
 * without a tree descent, which profiling showed was a fifth of the cost
 * of a verify at 1M tokens.  Row-level security does not apply here on
 * purpose: holding the secret is the credential, and the only thing
 * returned is the owner of a valid token.
 *
 * A token verifies only as the role it was issued to: from 1.1.1 on the
 * row records the owner's name and the issuing cluster, and the name of
 * the role that now has the owner's OID must match, or be explained by a
 * rename (owner_is_issuer()); otherwise the token is owner_mismatch.  The
 * comparison uses the role's syscache entry, looked up anyway to see that
 * the owner exists.
 *
 * The relation and index OIDs and column numbers are cached per backend
 * and dropped by a relcache invalidation callback, so DROP EXTENSION,
 * CREATE EXTENSION and REINDEX are all followed.
 *
 * Last access is recorded in place: verify() overwrites the 8-byte
 * last_access field (and the 16-byte last_access_from) of the tuple
 * version it found.  That creates no row version (no bloat, no index
 * work), needs no transaction id and takes no row lock, so it never waits
 * behind, or blocks, an UPDATE of the same token.  By default the write is
 * made the way PostgreSQL writes hint bits, with no WAL of its own: a WAL
 * record per recording was what halved verify's throughput when most
 * calls record (bench/results.md).  The price, documented in the README:
 * a recorded last access is durable from the next checkpoint, a crash can
 * lose the values recorded since, and standbys see it only when the page
 * is next logged whole.  apitoken.last_access_wal = on WAL-logs each
 * recording instead (heap_inplace_update()), for those who need it on
 * standbys.  Being non-transactional it survives a rollback of the
 * verifying transaction, which is what "last access" means anyway.  It is
 * skipped during recovery (hot standby), in parallel mode, and when
 * apitoken.last_access_interval says it was recorded recently.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>
#include <sodium.h>

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xlog.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inet.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "apitoken.h"

PG_FUNCTION_INFO_V1(apitoken_unpack_addr);
PG_FUNCTION_INFO_V1(apitoken_verify_text);
PG_FUNCTION_INFO_V1(apitoken_verify_token);
PG_FUNCTION_INFO_V1(apitoken_verify_scoped);
PG_FUNCTION_INFO_V1(apitoken_check);
PG_FUNCTION_INFO_V1(apitoken_require_token);

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

static const char *const token_state_names[] = {
	"valid", "malformed", "unknown", "orphaned", "owner_mismatch",
	"owner_disabled", "disabled", "expired", "scope_denied", "address_denied"
};

StaticAssertDecl(lengthof(token_state_names) == TOKEN_ADDRESS_DENIED + 1,
				 "token_state_names must name every TokenState");

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
} TokenLookup;

/* Per-backend cache of where tokens live. */
typedef struct TokenCatalog
{
	bool		valid;
	Oid			relid;
	Oid			indexid;
	Oid			token_typid;
	AttrNumber	att_id;
	AttrNumber	att_owner;
	AttrNumber	att_enabled;
	AttrNumber	att_last_access;
	AttrNumber	att_expires;
	AttrNumber	att_hash;
	AttrNumber	att_scopes;		/* 1.1 columns: InvalidAttrNumber in 1.0 */
	AttrNumber	att_allowed_from;
	AttrNumber	att_last_access_from;
	AttrNumber	att_owner_name; /* 1.1.1: InvalidAttrNumber before */
	AttrNumber	att_issued_in;
	int			last_access_off;	/* byte offset in tuple data, or -1 */
} TokenCatalog;

static TokenCatalog catalog;
static bool callback_registered = false;

/* relcache callback: forget the cache when token_store may have changed */
static void
catalog_invalidate(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == catalog.relid)
		catalog.valid = false;
}

/* column number of attname in token_store, or error */
static AttrNumber
required_attnum(Oid relid, const char *attname)
{
	AttrNumber	attnum = get_attnum(relid, attname);

	if (attnum == InvalidAttrNumber)
		elog(ERROR, "column \"%s\" of apitoken.token_store not found", attname);
	return attnum;
}

/*
 * Offset of last_access within the tuple data, usable only when every
 * column before it is fixed-width and NOT NULL (so nulls elsewhere cannot
 * move it).  The install script lays the table out that way; -1 turns
 * recording off rather than writing to a wrong place.
 */
static int
compute_last_access_offset(Relation rel, AttrNumber att_last_access)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			off = 0;
	int			i;

	for (i = 0; i < att_last_access; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->attlen <= 0 || !att->attnotnull)
			return -1;
		off = att_align_nominal(off, att->attalign);
		if (i == att_last_access - 1)
			return (att->atttypid == TIMESTAMPTZOID) ? off : -1;
		off += att->attlen;
	}
	return -1;
}

/* fill the cache from the system catalogs */
static void
catalog_load(void)
{
	Oid			nsp;
	Relation	rel;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(catalog_invalidate, (Datum) 0);
		callback_registered = true;
	}

	nsp = get_namespace_oid(APITOKEN_SCHEMA, false);
	catalog.relid = get_relname_relid(APITOKEN_TABLE, nsp);
	catalog.indexid = get_relname_relid(APITOKEN_HASH_INDEX, nsp);
	if (!OidIsValid(catalog.relid) || !OidIsValid(catalog.indexid))
		elog(ERROR, "apitoken.token_store or its hash index does not exist");
	catalog.token_typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										  CStringGetDatum("token"),
										  ObjectIdGetDatum(nsp));
	catalog.att_id = required_attnum(catalog.relid, "id");
	catalog.att_owner = required_attnum(catalog.relid, "owner");
	catalog.att_enabled = required_attnum(catalog.relid, "enabled");
	catalog.att_last_access = required_attnum(catalog.relid, "last_access");
	catalog.att_expires = required_attnum(catalog.relid, "expires_at");
	catalog.att_hash = required_attnum(catalog.relid, "hash");
	catalog.att_scopes = get_attnum(catalog.relid, "scopes");
	catalog.att_allowed_from = get_attnum(catalog.relid, "allowed_from");
	catalog.att_last_access_from = get_attnum(catalog.relid, "last_access_from_raw");
	catalog.att_owner_name = get_attnum(catalog.relid, "owner_name");
	catalog.att_issued_in = get_attnum(catalog.relid, "issued_in");

	rel = table_open(catalog.relid, AccessShareLock);
	catalog.last_access_off = compute_last_access_offset(rel, catalog.att_last_access);
	table_close(rel, NoLock);

	catalog.valid = true;
}

/* SHA-256 of a token's text: the value stored in token_store.hash */
void
apitoken_hash_text(const char *text, size_t len, uint8 hash[APITOKEN_HASH_BYTES])
{
	crypto_hash_sha256(hash, (const unsigned char *) text, len);
}

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
static inet *
request_addr(TokenRequest *req)
{
	if (!req->addr_given)
	{
		req->addr = connection_addr();
		req->addr_given = true;
	}
	return req->addr;
}

/*
 * last_access_from is stored as 16 raw bytes (a uuid column), so that it
 * has a fixed size and can be overwritten in place like last_access:
 * IPv6 as is, IPv4 as an IPv4-mapped IPv6 address (::ffff:a.b.c.d), all
 * zeros for "not over TCP/IP".
 */
static void
pack_addr(const inet *addr, uint8 out[UUID_LEN])
{
	memset(out, 0, UUID_LEN);
	if (addr == NULL)
		return;
	if (ip_family(addr) == PGSQL_AF_INET)
	{
		out[10] = 0xFF;
		out[11] = 0xFF;
		memcpy(out + 12, ip_addr(addr), 4);
	}
	else
		memcpy(out, ip_addr(addr), 16);
}

/* apitoken.unpack_addr(uuid) RETURNS inet: the inverse of pack_addr() */
Datum
apitoken_unpack_addr(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *raw = PG_GETARG_UUID_P(0);
	static const uint8 zeros[UUID_LEN];
	static const uint8 v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
	inet	   *result;

	if (memcmp(raw->data, zeros, UUID_LEN) == 0)
		PG_RETURN_NULL();
	result = (inet *) palloc0(sizeof(inet));
	if (memcmp(raw->data, v4mapped, sizeof(v4mapped)) == 0)
	{
		ip_family(result) = PGSQL_AF_INET;
		ip_bits(result) = 32;
		memcpy(ip_addr(result), raw->data + 12, 4);
	}
	else
	{
		ip_family(result) = PGSQL_AF_INET6;
		ip_bits(result) = 128;
		memcpy(ip_addr(result), raw->data, 16);
	}
	SET_INET_VARSIZE(result);
	PG_RETURN_INET_P(result);
}

/*
 * Overwrite last_access (and, from 1.1 on, last_access_from) of the tuple
 * the scan is positioned on, if the interval GUC asks for it.
 *
 * By default the bytes are written straight into the shared buffer, the
 * way PostgreSQL writes hint bits: under the buffer's exclusive content
 * lock, taken only if it is free at once, and MarkBufferDirtyHint(), which
 * adds a full-page image to WAL when checksums or wal_log_hints need one
 * and otherwise writes no WAL.  With apitoken.last_access_wal on, the
 * same bytes go through heap_inplace_update() instead, which WAL-logs
 * them.  The slot keeps the buffer pinned either way, so the tuple cannot
 * be pruned or moved underneath us.
 */
static void
record_access(Relation rel, TupleTableSlot *slot, TimestampTz now,
			  TokenRequest *req)
{
	BufferHeapTupleTableSlot *bslot = (BufferHeapTupleTableSlot *) slot;
	TimestampTz last;
	bool		isnull;
	bool		with_from;
	uint8		from[UUID_LEN];
	HeapTuple	tuple;
	HeapTuple	target;
	Buffer		buffer;
	Page		page;
	OffsetNumber offnum;
	ItemId		lp;

	if (apitoken_last_access_interval < 0 || catalog.last_access_off < 0)
		return;
	if (RecoveryInProgress() || IsInParallelMode())
		return;

	last = DatumGetTimestampTz(slot_getattr(slot, catalog.att_last_access, &isnull));
	if (isnull)
		return;
	if (!TIMESTAMP_IS_NOBEGIN(last) && last <= now &&
		now - last < (int64) apitoken_last_access_interval * USECS_PER_SEC)
		return;

	if (!TTS_IS_BUFFERTUPLE(slot) || !BufferIsValid(bslot->buffer))
		elog(ERROR, "apitoken: token tuple is not in a shared buffer");
	tuple = bslot->base.tuple;
	buffer = bslot->buffer;
	if (HeapTupleHeaderGetNatts(tuple->t_data) < catalog.att_last_access)
		return;

	/* rows written before last_access_from existed do not hold it */
	with_from = catalog.att_last_access_from != InvalidAttrNumber &&
		HeapTupleHeaderGetNatts(tuple->t_data) >= catalog.att_last_access_from;
	/* everything that may allocate happens before the buffer is locked */
	if (with_from)
		pack_addr(request_addr(req), from);

	if (apitoken_last_access_wal)
	{
		/* a private copy to change, then a logged in-place update */
		target = heap_copytuple(tuple);
	}
	else
	{
		/* never wait: someone holding the page now just means no record */
		if (!ConditionalLockBuffer(buffer))
			return;
		/* the slot's tuple must be the page's item at its TID, as pinned */
		page = BufferGetPage(buffer);
		offnum = ItemPointerGetOffsetNumber(&tuple->t_self);
		lp = (offnum >= FirstOffsetNumber && offnum <= PageGetMaxOffsetNumber(page)) ?
			PageGetItemId(page, offnum) : NULL;
		if (ItemPointerGetBlockNumber(&tuple->t_self) != BufferGetBlockNumber(buffer) ||
			lp == NULL || !ItemIdIsNormal(lp) ||
			(HeapTupleHeader) PageGetItem(page, lp) != tuple->t_data ||
			ItemIdGetLength(lp) != tuple->t_len)
			elog(ERROR, "apitoken: token tuple is not on its page");
		target = tuple;
	}

	memcpy((char *) target->t_data + target->t_data->t_hoff + catalog.last_access_off,
		   &now, sizeof(now));

	/*
	 * last_access_from: a fixed 16 bytes, written where the tuple holds
	 * them (heap_getattr() only computes an address within the tuple).
	 */
	if (with_from)
	{
		Datum		raw = heap_getattr(target, catalog.att_last_access_from,
									   RelationGetDescr(rel), &isnull);
		char	   *start = (char *) target->t_data;
		char	   *ptr = DatumGetPointer(raw);

		if (!isnull && ptr >= start && ptr + UUID_LEN <= start + target->t_len)
			memcpy(ptr, from, UUID_LEN);
	}

	if (apitoken_last_access_wal)
	{
		heap_inplace_update(rel, target);
		heap_freetuple(target);
	}
	else
	{
		MarkBufferDirtyHint(buffer, true);
		LockBuffer(buffer, BUFFER_LOCK_UNLOCK);
	}
}

/*
 * Does a text[] of scopes allow the requested scope?  Empty =
 * unrestricted; a NULL scope (none requested) is allowed only by that.
 */
static bool
scope_allowed(ArrayType *scopes, text *scope)
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
	if (len == 0 || catalog.att_issued_in == InvalidAttrNumber)
		return false;			/* disowned, or orphaned when recorded */
	issued_in = slot_getattr(slot, catalog.att_issued_in, &isnull);
	if (isnull || (uint64) DatumGetInt64(issued_in) != GetSystemIdentifier())
		return false;
	return apitoken_is_marked_owner(auth->oid);
}

/* judge a row whose hash matched: sets result->state */
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

	enabled = DatumGetBool(slot_getattr(slot, catalog.att_enabled, &isnull));
	expires = slot_getattr(slot, catalog.att_expires, &never_expires);

	authtup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(result->owner));
	if (!HeapTupleIsValid(authtup))
	{
		result->state = TOKEN_ORPHANED;
		return;
	}
	if (catalog.att_owner_name != InvalidAttrNumber)
	{
		Datum		issued_to = slot_getattr(slot, catalog.att_owner_name, &isnull);

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
	else
	{
		result->state = TOKEN_VALID;
		if ((req->scope != NULL || req->unrestricted_only) &&
			catalog.att_scopes != InvalidAttrNumber)
		{
			Datum		scopes = slot_getattr(slot, catalog.att_scopes, &isnull);

			if (!isnull && !scope_allowed(DatumGetArrayTypeP(scopes), req->scope))
				result->state = TOKEN_SCOPE_DENIED;
		}
		if (result->state == TOKEN_VALID && catalog.att_allowed_from != InvalidAttrNumber)
		{
			Datum		allowed = slot_getattr(slot, catalog.att_allowed_from, &isnull);

			if (!isnull && !address_allowed(DatumGetArrayTypeP(allowed), request_addr(req)))
				result->state = TOKEN_ADDRESS_DENIED;
		}
	}
}

/*
 * Find the token for a presented value and say what state it is in.
 * Costs one SHA-256 and one index probe; never raises for any input.
 */
static void
lookup_token(TokenRequest *req, TokenLookup *result)
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

	result->state = TOKEN_MALFORMED;
	result->id = 0;
	result->owner = InvalidOid;

	if (apitoken_decode(req->text, req->len, &prefix_len, NULL) != APITOKEN_OK)
		return;
	result->state = TOKEN_UNKNOWN;

	if (!catalog.valid)
		catalog_load();

	apitoken_hash_text(req->text, req->len, hash);

	rel = table_open(catalog.relid, AccessShareLock);
	index = index_open(catalog.indexid, AccessShareLock);
	/* the latest committed state: a change is in force once it commits */
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	slot = table_slot_create(rel, NULL);

	SET_VARSIZE(&key.hdr, VARHDRSZ + APITOKEN_HASH_BYTES);
	memcpy(VARDATA(&key.hdr), hash, APITOKEN_HASH_BYTES);
	ScanKeyInit(&skey, 1, HTEqualStrategyNumber, F_BYTEAEQ,
				PointerGetDatum(&key.hdr));
	scan = index_beginscan(rel, index, snapshot, 1, 0);
	index_rescan(scan, &skey, 1, NULL, 0);

	/* hash codes can collide: the index rechecks, and so do we, in constant time */
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		bytea	   *stored = DatumGetByteaPP(slot_getattr(slot, catalog.att_hash, &isnull));
		TimestampTz now;

		if (isnull || VARSIZE_ANY_EXHDR(stored) != APITOKEN_HASH_BYTES ||
			sodium_memcmp(VARDATA_ANY(stored), hash, APITOKEN_HASH_BYTES) != 0)
			continue;

		now = GetCurrentTimestamp();
		result->id = DatumGetInt64(slot_getattr(slot, catalog.att_id, &isnull));
		result->owner = DatumGetObjectId(slot_getattr(slot, catalog.att_owner, &isnull));
		judge_token(slot, req, now, result);
		if (result->state == TOKEN_VALID && req->record)
			record_access(rel, slot, now, req);
		break;
	}

	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	UnregisterSnapshot(snapshot);
	index_close(index, NoLock);
	table_close(rel, NoLock);
	sodium_memzero(hash, sizeof(hash));
	sodium_memzero(&key, sizeof(key));
}

/* a request for a text datum, with no scope and the connection's address */
static void
init_request(TokenRequest *req, text *token, bool record)
{
	req->text = VARDATA_ANY(token);
	req->len = VARSIZE_ANY_EXHDR(token);
	req->record = record;
	req->scope = NULL;
	req->unrestricted_only = false;
	req->addr_given = false;
	req->addr = NULL;
}

/* apitoken.verify(text): the owner of a valid token, else NULL; never raises */
Datum
apitoken_verify_text(PG_FUNCTION_ARGS)
{
	TokenRequest req;
	TokenLookup result;

	init_request(&req, PG_GETARG_TEXT_PP(0), true);
	lookup_token(&req, &result);
	if (result.state != TOKEN_VALID)
		PG_RETURN_NULL();
	PG_RETURN_OID(result.owner);
}

/* apitoken.verify(apitoken.token): same, for a value already typed */
Datum
apitoken_verify_token(PG_FUNCTION_ARGS)
{
	return apitoken_verify_text(fcinfo);
}

/*
 * Fill a request from (token, scope, client_addr) arguments, any of which
 * may be NULL; returns false for a NULL token.
 */
static bool
request_from_args(FunctionCallInfo fcinfo, TokenRequest *req, bool record)
{
	if (PG_ARGISNULL(0))
		return false;
	init_request(req, PG_GETARG_TEXT_PP(0), record);
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

	if (!request_from_args(fcinfo, &req, true))
		PG_RETURN_NULL();
	lookup_token(&req, &result);
	if (result.state != TOKEN_VALID)
		PG_RETURN_NULL();
	PG_RETURN_OID(result.owner);
}

/*
 * apitoken.check(text [, scope text, client_addr inet]):
 * (token_id, owner, status) explaining verify()
 */
Datum
apitoken_check(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TokenRequest req;
	TokenLookup result;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	InitMaterializedSRF(fcinfo, 0);

	if (request_from_args(fcinfo, &req, false))
		lookup_token(&req, &result);
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
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

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

	if (!catalog.valid)
		catalog_load();

	token_att = trigger_column(rel, trigger->tgargs[0]);
	token_type = TupleDescAttr(desc, token_att - 1)->atttypid;
	if (token_type != TEXTOID && token_type != VARCHAROID &&
		token_type != catalog.token_typid)
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

		init_request(&req, DatumGetTextPP(token), true);
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
		lookup_token(&req, &result);
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
