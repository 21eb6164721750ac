/*-------------------------------------------------------------------------
 *
 * token_store.h
 *	  The per-backend cache of where tokens live (token_store.c): the OIDs
 *	  of apitoken.token_store, its hash index and the token type, the
 *	  column numbers verify() reads, and the byte offset of last_access.
 *
 * The library serves every version of the schema: a column a version does
 * not have is InvalidAttrNumber here, and the flags below are the one
 * place where the C tells versions apart (has_v11_columns: 1.1 and later;
 * has_owner_name: 1.1.1 and later; has_v12_columns: 1.2 and later).
 *
 *-------------------------------------------------------------------------
 */
#ifndef APITOKEN_TOKEN_STORE_H
#define APITOKEN_TOKEN_STORE_H

#include "postgres.h"

#include "access/attnum.h"

/* Per-backend cache of where tokens live. */
typedef struct ApitokenStore
{
	bool		valid;
	Oid			relid;
	Oid			indexid;
	Oid			prev_indexid;	/* token_store_prev_hash_key (1.2 and
								 * later), else InvalidOid */
	Oid			event_relid;	/* apitoken.event_store (1.1 and later), for
								 * the audit trigger */
	Oid			token_typid;
	AttrNumber	att_id;
	AttrNumber	att_owner;
	AttrNumber	att_enabled;
	AttrNumber	att_last_access;
	AttrNumber	att_expires;
	AttrNumber	att_hash;
	AttrNumber	att_created_at;
	AttrNumber	att_regenerated_at;
	AttrNumber	att_scopes;		/* 1.1 columns: InvalidAttrNumber in 1.0 */
	AttrNumber	att_allowed_from;
	AttrNumber	att_last_access_from;
	AttrNumber	att_owner_name; /* 1.1.1: InvalidAttrNumber before */
	AttrNumber	att_issued_in;
	AttrNumber	att_prev_hash;	/* 1.2: InvalidAttrNumber before */
	AttrNumber	att_prev_valid_until;
	AttrNumber	att_last_refused_at;
	AttrNumber	att_last_refused_from;
	AttrNumber	att_last_refused_reason;
	int			last_access_off;	/* byte offset in tuple data, or -1 */
	bool		refused_layout_ok;	/* last_refused_at, _from_raw, _reason
									 * are consecutive, fixed-width, NOT
									 * NULL: they can be written in place */
	bool		has_v11_columns;	/* 1.1 and later: scopes, networks */
	bool		has_owner_name; /* 1.1.1 and later: tokens know their owner */
	bool		has_v12_columns;	/* 1.2 and later: previous value, last
									 * refused use */
} ApitokenStore;

extern ApitokenStore apitoken_store;

/* fill apitoken_store from the system catalogs */
extern void apitoken_store_load(void);

/* make apitoken_store valid, loading it if it is not */
static inline void
apitoken_store_ensure(void)
{
	if (!apitoken_store.valid)
		apitoken_store_load();
}

#endif							/* APITOKEN_TOKEN_STORE_H */
