/*-------------------------------------------------------------------------
 *
 * last_access.c
 *	  The in-place write of a token's last access (time and client
 *	  address), and the 16-byte form the address is stored in.
 *
 * Last access is recorded in place: verify() overwrites the 8-byte
 * last_access field (and the 16-byte last_access_from) of the tuple
 * version it found.  That creates no row version (no bloat, no index
 * work), needs no transaction id and takes no row lock, so it never waits
 * behind, or blocks, an UPDATE of the same token.  By default the write is
 * made the way PostgreSQL writes hint bits, with no WAL of its own (what a
 * WAL record per recording costs is measured in bench/).  The price,
 * documented in the README:
 * a recorded last access is durable from the next checkpoint, a crash can
 * lose the values recorded since, and standbys see it only when the page
 * is next logged whole.  apitoken.last_access_wal = on WAL-logs each
 * recording instead (a generic WAL record, access/generic_xlog.h), for
 * those who need it on standbys.  Being non-transactional it survives a
 * rollback of the verifying transaction, which is what "last access" means
 * anyway.  It is skipped during recovery (hot standby), in parallel mode,
 * and when apitoken.last_access_interval says it was recorded recently.
 *
 * Why not heap_inplace_update() or its successors: PostgreSQL 18 removed
 * heap_inplace_update(), and heap_inplace_lock(), which replaces it (and
 * exists from 15.9, 16.5 and 17.1 on), is meant for catalogs: it takes a
 * heavyweight tuple lock and waits for any transaction that holds the row
 * locked or is updating it.  verify() must never wait for that.  Generic
 * WAL is the interface PostgreSQL offers extensions for logging changes
 * to pages: the same on every supported version, applied under the same
 * conditional buffer lock as the hint-bit path, and a record holds only
 * the bytes that changed (a full-page image only as the first change after
 * a checkpoint, as for any WAL-logged change).
 *
 * This is the riskiest code of the extension: it writes into a shared
 * buffer.  Invariants: the slot keeps the buffer pinned; the write takes
 * the buffer's exclusive content lock only if it is free at once and
 * checks that the slot's tuple is the page's item at its TID before
 * writing; nothing that may allocate runs while the lock is held (the
 * generic WAL state is allocated before); only fixed-width bytes at known places
 * are overwritten (last_access at apitoken_store.last_access_off,
 * last_access_from_raw where heap_getattr() finds it inside the tuple).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>

#include "access/generic_xlog.h"
#include "access/htup_details.h"
#include "access/xlog.h"
#include "access/xact.h"
#include "fmgr.h"
#include "storage/bufmgr.h"
#include "utils/inet.h"
#include "utils/rel.h"
#include "utils/uuid.h"

#include "apitoken.h"
#include "token_store.h"
#include "verify.h"

PG_FUNCTION_INFO_V1(apitoken_unpack_addr);

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
 * The bytes are written under the buffer's exclusive content lock, taken
 * only if it is free at once.  By default they go straight into the shared
 * buffer, the way PostgreSQL writes hint bits, and MarkBufferDirtyHint()
 * adds a full-page image to WAL when checksums or wal_log_hints need one
 * and otherwise writes no WAL.  With apitoken.last_access_wal on, they are
 * written into generic WAL's copy of the page, and GenericXLogFinish()
 * puts it in place, dirties the buffer and logs the change in one critical
 * section.  The slot keeps the buffer pinned either way, so the tuple
 * cannot be pruned or moved underneath us.
 */
void
apitoken_record_access(Relation rel, TupleTableSlot *slot, TimestampTz now,
					   TokenRequest *req)
{
	BufferHeapTupleTableSlot *bslot = (BufferHeapTupleTableSlot *) slot;
	TimestampTz last;
	bool		isnull;
	bool		with_from;
	uint8		from[UUID_LEN];
	int			from_off = -1;
	int			last_off;
	GenericXLogState *xlog = NULL;
	HeapTuple	tuple;
	Buffer		buffer;
	Page		page;
	OffsetNumber offnum;
	ItemId		lp;

	if (apitoken_last_access_interval < 0 || apitoken_store.last_access_off < 0)
		return;
	if (RecoveryInProgress() || IsInParallelMode())
		return;

	last = DatumGetTimestampTz(slot_getattr(slot, apitoken_store.att_last_access, &isnull));
	if (isnull)
		return;
	if (!TIMESTAMP_IS_NOBEGIN(last) && last <= now &&
		now - last < (int64) apitoken_last_access_interval * USECS_PER_SEC)
		return;

	if (!TTS_IS_BUFFERTUPLE(slot) || !BufferIsValid(bslot->buffer))
		elog(ERROR, "apitoken: token tuple is not in a shared buffer");
	tuple = bslot->base.tuple;
	buffer = bslot->buffer;
	if (HeapTupleHeaderGetNatts(tuple->t_data) < apitoken_store.att_last_access)
		return;

	/* rows written before last_access_from existed do not hold it */
	with_from = apitoken_store.has_v11_columns &&
		HeapTupleHeaderGetNatts(tuple->t_data) >= apitoken_store.att_last_access_from;
	/* everything that may allocate happens before the buffer is locked */
	if (with_from)
		pack_addr(apitoken_request_addr(req), from);

	if (apitoken_last_access_wal)
		xlog = GenericXLogStart(rel);

	/* never wait: someone holding the page now just means no record */
	if (!ConditionalLockBuffer(buffer))
	{
		if (xlog != NULL)
			GenericXLogAbort(xlog);
		return;
	}
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

	/* where the bytes go, as offsets within the page */
	last_off = ((char *) tuple->t_data - (char *) page) + tuple->t_data->t_hoff +
		apitoken_store.last_access_off;

	/*
	 * last_access_from: a fixed 16 bytes, written where the tuple holds
	 * them (heap_getattr() only computes an address within the tuple).
	 */
	if (with_from)
	{
		Datum		raw = heap_getattr(tuple, apitoken_store.att_last_access_from,
									   RelationGetDescr(rel), &isnull);
		char	   *start = (char *) tuple->t_data;
		char	   *ptr = DatumGetPointer(raw);

		if (!isnull && ptr >= start && ptr + UUID_LEN <= start + tuple->t_len)
			from_off = ptr - (char *) page;
	}

	if (xlog != NULL)
	{
		/* generic WAL: change its copy of the page, then log and apply it */
		Page		image = GenericXLogRegisterBuffer(xlog, buffer, 0);

		memcpy((char *) image + last_off, &now, sizeof(now));
		if (from_off >= 0)
			memcpy((char *) image + from_off, from, UUID_LEN);
		GenericXLogFinish(xlog);
	}
	else
	{
		memcpy((char *) page + last_off, &now, sizeof(now));
		if (from_off >= 0)
			memcpy((char *) page + from_off, from, UUID_LEN);
		MarkBufferDirtyHint(buffer, true);
	}
	LockBuffer(buffer, BUFFER_LOCK_UNLOCK);
}
