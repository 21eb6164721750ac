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
 * recording instead (heap_inplace_update()), for those who need it on
 * standbys.  Being non-transactional it survives a rollback of the
 * verifying transaction, which is what "last access" means anyway.  It is
 * skipped during recovery (hot standby), in parallel mode, and when
 * apitoken.last_access_interval says it was recorded recently.
 *
 * This is the riskiest code of the extension: it writes into a shared
 * buffer.  Invariants: the slot keeps the buffer pinned; the default path
 * takes the buffer's exclusive content lock only if it is free at once and
 * checks that the slot's tuple is the page's item at its TID before
 * writing; nothing that may allocate runs while the lock is held; only
 * fixed-width bytes at known places are overwritten (last_access at
 * apitoken_store.last_access_off, last_access_from_raw where heap_getattr()
 * finds it inside the tuple).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>

#include "access/heapam.h"
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
 * By default the bytes are written straight into the shared buffer, the
 * way PostgreSQL writes hint bits: under the buffer's exclusive content
 * lock, taken only if it is free at once, and MarkBufferDirtyHint(), which
 * adds a full-page image to WAL when checksums or wal_log_hints need one
 * and otherwise writes no WAL.  With apitoken.last_access_wal on, the
 * same bytes go through heap_inplace_update() instead, which WAL-logs
 * them.  The slot keeps the buffer pinned either way, so the tuple cannot
 * be pruned or moved underneath us.
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
	HeapTuple	tuple;
	HeapTuple	target;
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

	memcpy((char *) target->t_data + target->t_data->t_hoff + apitoken_store.last_access_off,
		   &now, sizeof(now));

	/*
	 * last_access_from: a fixed 16 bytes, written where the tuple holds
	 * them (heap_getattr() only computes an address within the tuple).
	 */
	if (with_from)
	{
		Datum		raw = heap_getattr(target, apitoken_store.att_last_access_from,
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
