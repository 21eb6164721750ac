/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  The only place where apitoken tells PostgreSQL major versions apart:
 *	  thin wrappers over the internal APIs that differ between the supported
 *	  versions (15, 16, 17 and 18), or that a version removed.
 *
 * Invariants:
 *	- Every PG_VERSION_NUM test of the extension is in this file; the other
 *	  C files call the wrappers and never test the version themselves.
 *	- A wrapper has one meaning on every version, whatever calls it takes
 *	  to get there (the same call under another signature, or the calls
 *	  that now say what an older version's call said): the extension
 *	  behaves the same on every supported version.  Where a version lacks
 *	  a mechanism, the build stops with #error rather than fall back to a
 *	  different behaviour.
 *	- Nothing here depends on a minor release.
 *	- The in-place write of last access (last_access.c) needs no wrapper:
 *	  the buffer and generic WAL calls it makes are the same on every
 *	  supported version.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APITOKEN_COMPAT_H
#define APITOKEN_COMPAT_H

#include "postgres.h"

#include "access/genam.h"
#include "utils/acl.h"
#include "utils/guc.h"

#if PG_VERSION_NUM < 150000
#error "apitoken needs PostgreSQL 15 or later"
#endif

/*
 * index_beginscan(): PostgreSQL 18 added an IndexScanInstrumentation
 * argument; we collect no instrumentation, so pass NULL there.
 */
static inline IndexScanDesc
apitoken_index_beginscan(Relation heap, Relation index, Snapshot snapshot,
						 int nkeys, int norderbys)
{
#if PG_VERSION_NUM >= 180000
	return index_beginscan(heap, index, snapshot, NULL, nkeys, norderbys);
#else
	return index_beginscan(heap, index, snapshot, nkeys, norderbys);
#endif
}

/*
 * Does member hold the powers of role: may it use role's privileges or
 * become it with SET ROLE?  Up to 15 every grant allows SET ROLE, so any
 * chain of grants does.  From 16 on a grant may allow neither (WITH
 * INHERIT FALSE, SET FALSE); a chain through such a grant conveys no power,
 * so it takes one of grants that all allow inheritance, or all SET.
 */
static inline bool
apitoken_holds_role(Oid member, Oid role)
{
#if PG_VERSION_NUM >= 160000
	return has_privs_of_role(member, role) || member_can_set_role(member, role);
#else
	return is_member_of_role_nosuper(member, role);
#endif
}

/*
 * Pin search_path to "pg_catalog, pg_temp" in a new GUC nest level and
 * return the level, for apitoken_pop_search_path().  This is how
 * PostgreSQL itself pins the path for code it runs on behalf of another
 * role (RestrictSearchPath() in 17 and later, the same setting); the
 * temporary schema is named last so that it is searched last for
 * relations and types and, as always, never for functions or operators.
 * The same calls exist with the same signatures from 15 on (17 removed
 * PushOverrideSearchPath(), which 15 and 16 had).  If an error
 * is raised before the pop, transaction or subtransaction abort
 * (AtEOXact_GUC() in AbortTransaction()/AbortSubTransaction()) restores
 * the path, as for a function's SET clause.
 */
static inline int
apitoken_push_search_path(void)
{
	int			nestlevel = NewGUCNestLevel();

	if (set_config_option("search_path", "pg_catalog, pg_temp",
						  PGC_USERSET, PGC_S_SESSION,
						  GUC_ACTION_SAVE, true, ERROR, false) <= 0)
		elog(ERROR, "could not pin search_path");
	return nestlevel;
}

/*
 * Restore the search_path (and any other setting changed since) that was in
 * force before apitoken_push_search_path() returned nestlevel.
 */
static inline void
apitoken_pop_search_path(int nestlevel)
{
	AtEOXact_GUC(false, nestlevel);
}

#endif							/* APITOKEN_COMPAT_H */
