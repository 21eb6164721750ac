/*-------------------------------------------------------------------------
 *
 * token_store.c
 *	  The per-backend cache of where tokens live, used by verify(),
 *	  check(), require_token(), the management functions and the audit
 *	  trigger (see token_store.h).
 *
 * Filled from the system catalogs on first use and dropped by a relcache
 * invalidation callback whenever token_store may have changed, so DROP
 * EXTENSION, CREATE EXTENSION, ALTER EXTENSION UPDATE and REINDEX are all
 * followed.  last_access_off is the byte offset of last_access within a
 * tuple's data; it is valid only while every column before last_access is
 * fixed-width and NOT NULL, which the install scripts keep (-1 otherwise,
 * which turns recording off rather than writing to a wrong place).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "apitoken.h"
#include "token_store.h"


ApitokenStore apitoken_store;
static bool callback_registered = false;

/*
 * relcache callback: forget the cache when token_store or event_store may
 * have changed
 */
static void
store_invalidate(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == apitoken_store.relid ||
		relid == apitoken_store.event_relid)
		apitoken_store.valid = false;
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

/*
 * Can the last refused use be written in place?  last_refused_at,
 * last_refused_from_raw and last_refused_reason must be consecutive
 * columns, NOT NULL, of types timestamptz (8 bytes, double-aligned), uuid
 * (16 bytes, no alignment) and smallint: then, wherever the row's
 * variable-width columns put them, the time lies just before the address
 * and the reason just after it (the address ends 8-aligned), which is how
 * last_access.c finds them from the address's place.  The install script
 * lays the table out that way; false turns the recording off rather than
 * writing to a wrong place.
 */
static bool
refused_layout_ok(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	static const Oid types[3] = {TIMESTAMPTZOID, UUIDOID, INT2OID};
	int			i;

	if (apitoken_store.att_last_refused_from != apitoken_store.att_last_refused_at + 1 ||
		apitoken_store.att_last_refused_reason != apitoken_store.att_last_refused_from + 1)
		return false;
	for (i = 0; i < 3; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, apitoken_store.att_last_refused_at - 1 + i);

		if (att->attisdropped || !att->attnotnull || att->atttypid != types[i])
			return false;
	}
	return TupleDescAttr(desc, apitoken_store.att_last_refused_at - 1)->attalign == TYPALIGN_DOUBLE &&
		TupleDescAttr(desc, apitoken_store.att_last_refused_from - 1)->attalign == TYPALIGN_CHAR;
}

/* fill the cache from the system catalogs */
void
apitoken_store_load(void)
{
	Oid			nsp;
	Relation	rel;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(store_invalidate, (Datum) 0);
		callback_registered = true;
	}

	nsp = get_namespace_oid(APITOKEN_SCHEMA, false);
	apitoken_store.relid = get_relname_relid(APITOKEN_TABLE, nsp);
	apitoken_store.indexid = get_relname_relid(APITOKEN_HASH_INDEX, nsp);
	if (!OidIsValid(apitoken_store.relid) || !OidIsValid(apitoken_store.indexid))
		elog(ERROR, "apitoken.token_store or its hash index does not exist");
	/* 1.1 and later; its trigger, the audit trigger, comes with it */
	apitoken_store.event_relid = get_relname_relid(APITOKEN_EVENT_TABLE, nsp);
	apitoken_store.token_typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										  CStringGetDatum("token"),
										  ObjectIdGetDatum(nsp));
	apitoken_store.att_id = required_attnum(apitoken_store.relid, "id");
	apitoken_store.att_owner = required_attnum(apitoken_store.relid, "owner");
	apitoken_store.att_enabled = required_attnum(apitoken_store.relid, "enabled");
	apitoken_store.att_last_access = required_attnum(apitoken_store.relid, "last_access");
	apitoken_store.att_expires = required_attnum(apitoken_store.relid, "expires_at");
	apitoken_store.att_hash = required_attnum(apitoken_store.relid, "hash");
	apitoken_store.att_created_at = required_attnum(apitoken_store.relid, "created_at");
	apitoken_store.att_regenerated_at = required_attnum(apitoken_store.relid, "regenerated_at");
	apitoken_store.att_scopes = get_attnum(apitoken_store.relid, "scopes");
	apitoken_store.att_allowed_from = get_attnum(apitoken_store.relid, "allowed_from");
	apitoken_store.att_last_access_from = get_attnum(apitoken_store.relid, "last_access_from_raw");
	apitoken_store.att_owner_name = get_attnum(apitoken_store.relid, "owner_name");
	apitoken_store.att_issued_in = get_attnum(apitoken_store.relid, "issued_in");
	apitoken_store.has_v11_columns = apitoken_store.att_scopes != InvalidAttrNumber &&
		apitoken_store.att_allowed_from != InvalidAttrNumber &&
		apitoken_store.att_last_access_from != InvalidAttrNumber;
	apitoken_store.has_owner_name = apitoken_store.att_owner_name != InvalidAttrNumber &&
		apitoken_store.att_issued_in != InvalidAttrNumber;
	apitoken_store.att_prev_hash = get_attnum(apitoken_store.relid, "prev_hash");
	apitoken_store.att_prev_valid_until = get_attnum(apitoken_store.relid, "prev_valid_until");
	apitoken_store.att_last_refused_at = get_attnum(apitoken_store.relid, "last_refused_at");
	apitoken_store.att_last_refused_from = get_attnum(apitoken_store.relid, "last_refused_from_raw");
	apitoken_store.att_last_refused_reason = get_attnum(apitoken_store.relid, "last_refused_reason");
	apitoken_store.prev_indexid = get_relname_relid(APITOKEN_PREV_HASH_INDEX, nsp);
	apitoken_store.has_v12_columns = apitoken_store.att_prev_hash != InvalidAttrNumber &&
		apitoken_store.att_prev_valid_until != InvalidAttrNumber &&
		apitoken_store.att_last_refused_at != InvalidAttrNumber &&
		apitoken_store.att_last_refused_from != InvalidAttrNumber &&
		apitoken_store.att_last_refused_reason != InvalidAttrNumber &&
		OidIsValid(apitoken_store.prev_indexid);

	rel = table_open(apitoken_store.relid, AccessShareLock);
	apitoken_store.last_access_off = compute_last_access_offset(rel, apitoken_store.att_last_access);
	apitoken_store.refused_layout_ok = apitoken_store.has_v12_columns &&
		refused_layout_ok(rel);
	table_close(rel, NoLock);

	apitoken_store.valid = true;
}
