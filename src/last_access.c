/*-------------------------------------------------------------------------
 *
 * last_access.c
 *	  The in-place writes of a token's last access (time and client
 *	  address) and of its last refused use (time, address, reason), and
 *	  the 16-byte form the addresses are stored in.
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
 * A refused use of a valid secret (disabled, expired, scope or address
 * denied, over the lifetime policy: the strongest sign that a token
 * leaked) is recorded the same way, by the same writer, into
 * last_refused_at, last_refused_from_raw and last_refused_reason (1.2),
 * throttled by the same interval against the stored last_refused_at, and
 * surviving the rollback that a refusal by require_token() causes.  It is
 * also skipped in read-only transactions, which promise to write nothing;
 * last access, which predates it, is still recorded there (verifiers that
 * run read-only would otherwise lose it silently).  Rows written before
 * 1.2 do not physically hold the columns (HeapTupleHeaderGetNatts() is
 * lower): nothing is recorded for them until their next UPDATE writes a
 * full row version.
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
 * buffer, all of it in write_in_place().  Invariants: the slot keeps the
 * buffer pinned; the write takes the buffer's exclusive content lock only
 * if it is free at once and checks that the slot's tuple is the page's
 * item at its TID before writing; nothing that may allocate runs while the
 * lock is held (the generic WAL state is allocated before); only
 * fixed-width bytes of NOT NULL columns the tuple physically holds are
 * overwritten, each checked to lie inside the tuple's data (last_access at
 * apitoken_store.last_access_off; last_access_from_raw where heap_getattr()
 * finds it; the three last_refused_* columns around the place
 * heap_getattr() finds last_refused_from_raw, their layout checked by
 * token_store.c); a write is all of its fields or none.
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

/* the most fields one in-place write overwrites */
#define APITOKEN_INPLACE_FIELDS_MAX 3

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
 * Where each field goes: anchor is a fixed-width by-reference column whose
 * place in the tuple heap_getattr() finds, delta the offset of the bytes
 * from its start; with anchor InvalidAttrNumber, delta is the offset from
 * the start of the tuple's data (last_access, at a fixed offset).
 */
typedef struct InPlaceField
{
	AttrNumber	anchor;
	int			delta;
	const void *bytes;
	int			len;
} InPlaceField;

/*
 * Overwrite the given fields of the tuple the slot holds, in place, the
 * one writer of last access and last refusal.  Returns without writing
 * when the buffer's content lock is not free at once, or when a field
 * would not lie inside the tuple (then none is written).
 *
 * The bytes are written under the buffer's exclusive content lock, taken
 * only if it is free at once.  By default they go straight into the shared
 * buffer, the way PostgreSQL writes hint bits, and MarkBufferDirtyHint()
 * adds a full-page image to WAL when checksums or wal_log_hints need one
 * and otherwise writes no WAL.  With apitoken.last_access_wal on, they are
 * written into generic WAL's copy of the page, and GenericXLogFinish()
 * puts it in place, dirties the buffer and logs the change in one critical
 * section.  The slot keeps the buffer pinned either way, so the tuple
 * cannot be pruned or moved underneath us.  The caller has checked that
 * the tuple physically holds every field's column (HeapTupleHeaderGetNatts):
 * for a column it lacks, heap_getattr() returns the catalog's default,
 * which does not lie inside the tuple.
 */
static void
write_in_place(Relation rel, TupleTableSlot *slot, const InPlaceField *fields,
			   int nfields)
{
	BufferHeapTupleTableSlot *bslot = (BufferHeapTupleTableSlot *) slot;
	int			offs[APITOKEN_INPLACE_FIELDS_MAX];
	GenericXLogState *xlog = NULL;
	HeapTuple	tuple;
	Buffer		buffer;
	Page		page;
	char	   *start;
	char	   *data;
	char	   *anchor_ptr = NULL;
	OffsetNumber offnum;
	ItemId		lp;
	int			i;

	Assert(nfields <= APITOKEN_INPLACE_FIELDS_MAX);
	if (!TTS_IS_BUFFERTUPLE(slot) || !BufferIsValid(bslot->buffer))
		elog(ERROR, "apitoken: token tuple is not in a shared buffer");
	tuple = bslot->base.tuple;
	buffer = bslot->buffer;

	/* everything that may allocate happens before the buffer is locked */
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

	/*
	 * Where the bytes go, as offsets within the page: each field must lie
	 * inside the tuple's data (heap_getattr() only computes an address, and
	 * for a fixed-width by-reference column it is one within the tuple).
	 */
	start = (char *) tuple->t_data;
	data = start + tuple->t_data->t_hoff;
	for (i = 0; i < nfields; i++)
	{
		char	   *ptr = data;

		if (fields[i].anchor != InvalidAttrNumber &&
			i > 0 && fields[i].anchor == fields[i - 1].anchor)
			ptr = anchor_ptr;	/* found for the field before */
		else if (fields[i].anchor != InvalidAttrNumber)
		{
			bool		isnull;
			Datum		raw = heap_getattr(tuple, fields[i].anchor,
										   RelationGetDescr(rel), &isnull);

			if (isnull)
				ptr = NULL;
			else
				ptr = DatumGetPointer(raw);
		}
		anchor_ptr = ptr;
		if (ptr != NULL)
			ptr += fields[i].delta;
		if (ptr == NULL || ptr < data || ptr + fields[i].len > start + tuple->t_len)
		{
			LockBuffer(buffer, BUFFER_LOCK_UNLOCK);
			if (xlog != NULL)
				GenericXLogAbort(xlog);
			return;
		}
		offs[i] = ptr - (char *) page;
	}

	if (xlog != NULL)
	{
		/* generic WAL: change its copy of the page, then log and apply it */
		Page		image = GenericXLogRegisterBuffer(xlog, buffer, 0);

		for (i = 0; i < nfields; i++)
			memcpy((char *) image + offs[i], fields[i].bytes, fields[i].len);
		GenericXLogFinish(xlog);
	}
	else
	{
		for (i = 0; i < nfields; i++)
			memcpy((char *) page + offs[i], fields[i].bytes, fields[i].len);
		MarkBufferDirtyHint(buffer, true);
	}
	LockBuffer(buffer, BUFFER_LOCK_UNLOCK);
}

/*
 * The slot's tuple, if it physically holds column needed and the time in
 * its column att_last was recorded at least apitoken.last_access_interval
 * ago (-infinity: never; a time in the future, after a clock change, does
 * not hold back a new one); NULL when there is nothing to record.
 */
static HeapTuple
tuple_due(TupleTableSlot *slot, AttrNumber att_last, AttrNumber needed,
		  TimestampTz now)
{
	HeapTuple	tuple;
	TimestampTz last;
	bool		isnull;

	if (!TTS_IS_BUFFERTUPLE(slot))
		elog(ERROR, "apitoken: token tuple is not in a shared buffer");
	tuple = ((BufferHeapTupleTableSlot *) slot)->base.tuple;
	if (HeapTupleHeaderGetNatts(tuple->t_data) < needed)
		return NULL;
	last = DatumGetTimestampTz(slot_getattr(slot, att_last, &isnull));
	if (isnull)
		return NULL;
	if (!TIMESTAMP_IS_NOBEGIN(last) && last <= now &&
		now - last < (int64) apitoken_last_access_interval * USECS_PER_SEC)
		return NULL;
	return tuple;
}

/*
 * Overwrite last_access (and, from 1.1 on, last_access_from) of the tuple
 * the scan is positioned on, if the interval GUC asks for it.
 */
void
apitoken_record_access(Relation rel, TupleTableSlot *slot, TimestampTz now,
					   TokenRequest *req)
{
	HeapTuple	tuple;
	uint8		from[UUID_LEN];
	InPlaceField fields[2];
	int			nfields = 1;

	if (apitoken_last_access_interval < 0 || apitoken_store.last_access_off < 0)
		return;
	if (RecoveryInProgress() || IsInParallelMode())
		return;
	tuple = tuple_due(slot, apitoken_store.att_last_access,
					  apitoken_store.att_last_access, now);
	if (tuple == NULL)
		return;

	fields[0] = (InPlaceField) {InvalidAttrNumber, apitoken_store.last_access_off, &now, sizeof(now)};
	/* rows written before last_access_from existed do not hold it */
	if (apitoken_store.has_v11_columns &&
		HeapTupleHeaderGetNatts(tuple->t_data) >= apitoken_store.att_last_access_from)
	{
		pack_addr(apitoken_request_addr(req), from);
		fields[nfields++] = (InPlaceField) {apitoken_store.att_last_access_from, 0, from, UUID_LEN};
	}
	write_in_place(rel, slot, fields, nfields);
}

/*
 * Record a refused use of a valid secret: last_refused_at (now),
 * last_refused_from_raw and last_refused_reason, in place like last
 * access and throttled by the same interval against the stored
 * last_refused_at.  Also skipped in read-only transactions, unlike last
 * access (see the header comment), and for rows written before 1.2, which
 * do not hold the columns until they are next updated.  The three columns
 * are consecutive and NOT NULL (timestamptz, uuid, smallint), which
 * token_store.c checks (refused_layout_ok): they are found from the place
 * of last_refused_from_raw.
 */
void
apitoken_record_refusal(Relation rel, TupleTableSlot *slot, TimestampTz now,
						TokenRequest *req, int16 reason)
{
	uint8		from[UUID_LEN];
	InPlaceField fields[3];

	if (apitoken_last_access_interval < 0 || !apitoken_store.refused_layout_ok)
		return;
	if (RecoveryInProgress() || IsInParallelMode() || XactReadOnly)
		return;
	/* rows written before 1.2 do not hold the columns: nothing to overwrite */
	if (tuple_due(slot, apitoken_store.att_last_refused_at,
				  apitoken_store.att_last_refused_reason, now) == NULL)
		return;

	pack_addr(apitoken_request_addr(req), from);
	fields[0] = (InPlaceField) {apitoken_store.att_last_refused_from, -(int) sizeof(now), &now, sizeof(now)};
	fields[1] = (InPlaceField) {apitoken_store.att_last_refused_from, 0, from, UUID_LEN};
	fields[2] = (InPlaceField) {apitoken_store.att_last_refused_from, UUID_LEN, &reason, sizeof(reason)};
	write_in_place(rel, slot, fields, lengthof(fields));
}
