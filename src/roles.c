/*-------------------------------------------------------------------------
 *
 * roles.c
 *	  Who may do what: manage tokens (apitoken_user), administer them
 *	  (apitoken_admin), issue a token to a role (the issuer-power rule), and
 *	  whether a role carries the apitoken_owner mark.
 *
 * Row-level security decides which rows a role sees; these checks turn
 * "you may not manage tokens at all" into a clear 42501 with a hint before
 * RLS would silently hide rows, and refuse, unless the issuer is a
 * superuser, to issue a credential for a role more powerful than the
 * issuer.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/namespace.h"
#include "catalog/pg_auth_members.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "apitoken.h"
#include "compat.h"

PG_FUNCTION_INFO_V1(apitoken_caller);
PG_FUNCTION_INFO_V1(apitoken_assert_manager);
PG_FUNCTION_INFO_V1(apitoken_assert_admin);

/* apitoken.caller(): current_user as regrole (the role whose rights apply) */
Datum
apitoken_caller(PG_FUNCTION_ARGS)
{
	PG_RETURN_OID(GetUserId());
}

/*
 * true if roleid has the privileges of the named role (superusers always
 * do), as the row-level security policies ask: a membership that does not
 * inherit them (a NOINHERIT role; from PostgreSQL 16 a grant WITH INHERIT
 * FALSE) counts only after SET ROLE.
 */
static bool
is_member_of(Oid roleid, const char *rolename)
{
	Oid			group = get_role_oid(rolename, true);

	if (superuser_arg(roleid))
		return true;
	return OidIsValid(group) && has_privs_of_role(roleid, group);
}

/* may roleid manage every role's tokens? */
bool
apitoken_is_admin(Oid roleid)
{
	return is_member_of(roleid, APITOKEN_ADMIN_ROLE);
}

/* may roleid manage at least its own tokens? */
bool
apitoken_is_manager(Oid roleid)
{
	return apitoken_is_admin(roleid) || is_member_of(roleid, APITOKEN_USER_ROLE);
}

/*
 * The group role roleid belongs to without having its privileges (a
 * NOINHERIT role, or a grant WITH INHERIT FALSE), of the one or two named,
 * or NULL.
 */
static const char *
uninherited_group(Oid roleid, const char *first, const char *second)
{
	const char *names[2] = {first, second};
	int			i;

	for (i = 0; i < 2; i++)
	{
		Oid			group = names[i] ? get_role_oid(names[i], true) : InvalidOid;

		if (OidIsValid(group) && is_member_of_role(roleid, group))
			return names[i];
	}
	return NULL;
}

/*
 * raise 42501 ("permission denied to <verb> API tokens") telling roleid
 * to SET ROLE, when it is a member of group without its privileges
 */
static void
refuse_uninherited(Oid roleid, const char *group, const char *verb)
{
	if (group == NULL)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s API tokens", verb),
			 errdetail("Role \"%s\" is a member of \"%s\" but does not have its privileges.",
					   GetUserNameFromId(roleid, false), group),
			 errhint("SET ROLE %s first, or grant \"%s\" so that its privileges are inherited.",
					 quote_identifier(group), group)));
}

/* raise 42501 with a hint naming the role to grant, unless roleid may manage */
void
apitoken_require_manager(Oid roleid)
{
	if (apitoken_is_manager(roleid))
		return;
	refuse_uninherited(roleid, uninherited_group(roleid, APITOKEN_ADMIN_ROLE,
												 APITOKEN_USER_ROLE), "manage");
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to manage API tokens"),
			 errdetail("Role \"%s\" is not a member of \"%s\" or \"%s\".",
					   GetUserNameFromId(roleid, false),
					   APITOKEN_USER_ROLE, APITOKEN_ADMIN_ROLE),
			 errhint("Grant \"%s\" to manage the role's own tokens, or \"%s\" to manage every role's tokens.",
					 APITOKEN_USER_ROLE, APITOKEN_ADMIN_ROLE)));
}

/* apitoken.assert_manager(): SQL-callable apitoken_require_manager(current_user) */
Datum
apitoken_assert_manager(PG_FUNCTION_ARGS)
{
	apitoken_require_manager(GetUserId());
	PG_RETURN_VOID();
}

/* raise 42501 with a hint unless roleid may administer API tokens */
void
apitoken_require_admin(Oid roleid)
{
	if (apitoken_is_admin(roleid))
		return;
	refuse_uninherited(roleid, uninherited_group(roleid, APITOKEN_ADMIN_ROLE, NULL),
					   "administer");
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to administer API tokens"),
			 errdetail("Role \"%s\" is not a member of \"%s\".",
					   GetUserNameFromId(roleid, false), APITOKEN_ADMIN_ROLE),
			 errhint("Grant \"%s\" to the role.", APITOKEN_ADMIN_ROLE)));
}

/* apitoken.assert_admin(): SQL-callable apitoken_require_admin(current_user) */
Datum
apitoken_assert_admin(PG_FUNCTION_ARGS)
{
	apitoken_require_admin(GetUserId());
	PG_RETURN_VOID();
}

/* raise the issuer-power refusal with the reason in the detail */
static void
refuse_issuer(Oid owner, const char *action, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s API tokens for role \"%s\"",
					action, GetUserNameFromId(owner, false)),
			 errdetail_internal("%s", detail),
			 errhint("A token carries the powers of its owner; only a superuser issues tokens for roles with powers the issuer lacks.")));
}

/*
 * Refuse, unless the issuer is a superuser, to issue a credential (create
 * or regenerate a token) for a role with powers the issuer lacks: a
 * superuser, a role with BYPASSRLS, CREATEROLE, CREATEDB or REPLICATION
 * the issuer does not have, or a member of a predefined role (every role
 * with an OID below FirstNormalObjectId: pg_read_server_files,
 * pg_execute_server_program, ...) the issuer is not a member of.  The
 * owner's membership is taken in the widest sense (any chain of grants);
 * the issuer's must convey the role's powers (apitoken_holds_role(): on 16
 * and later a grant WITH INHERIT FALSE, SET FALSE does not).
 */
void
apitoken_check_issuer_power(Oid issuer, Oid owner, const char *action)
{
	HeapTuple	otup;
	HeapTuple	itup;
	Form_pg_authid o;
	Form_pg_authid i;
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;

	if (issuer == owner || superuser_arg(issuer))
		return;
	otup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(owner));
	itup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(issuer));
	if (!HeapTupleIsValid(otup) || !HeapTupleIsValid(itup))
		elog(ERROR, "cache lookup failed for role %u or %u", owner, issuer);
	o = (Form_pg_authid) GETSTRUCT(otup);
	i = (Form_pg_authid) GETSTRUCT(itup);
	if (o->rolsuper)
		refuse_issuer(owner, action, "The role is a superuser.");
	if (o->rolbypassrls && !i->rolbypassrls)
		refuse_issuer(owner, action, "The role has the BYPASSRLS attribute and you do not.");
	if (o->rolcreaterole && !i->rolcreaterole)
		refuse_issuer(owner, action, "The role has the CREATEROLE attribute and you do not.");
	if (o->rolcreatedb && !i->rolcreatedb)
		refuse_issuer(owner, action, "The role has the CREATEDB attribute and you do not.");
	if (o->rolreplication && !i->rolreplication)
		refuse_issuer(owner, action, "The role has the REPLICATION attribute and you do not.");
	ReleaseSysCache(otup);
	ReleaseSysCache(itup);

	/* predefined roles: a short catalog scan (pg_authid holds few rows) */
	rel = table_open(AuthIdRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_authid r = (Form_pg_authid) GETSTRUCT(tup);

		if (r->oid >= FirstNormalObjectId || r->oid == BOOTSTRAP_SUPERUSERID)
			continue;
		if (is_member_of_role_nosuper(owner, r->oid) &&
			!apitoken_holds_role(issuer, r->oid))
		{
			char	   *detail = psprintf("The role is a member of \"%s\" and you are not.",
										  NameStr(r->rolname));

			systable_endscan(scan);
			table_close(rel, AccessShareLock);
			refuse_issuer(owner, action, detail);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* owner of one of the extension's relations: the role it writes as */
Oid
apitoken_relation_owner(Oid relid)
{
	HeapTuple	tup;
	Oid			owner;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Is owner a direct member of apitoken_owner, the mark create() gives the
 * roles it issues tokens to?  Direct only: a role that is a member through
 * a group (a token issued to the group marks the group) was not marked
 * itself.  Scans pg_auth_members by its (roleid, member) index, whose first
 * two columns are the same on every supported version.
 */
bool
apitoken_is_marked_owner(Oid owner)
{
	Oid			group = get_role_oid(APITOKEN_OWNER_ROLE, true);
	Relation	rel;
	ScanKeyData key[2];
	SysScanDesc scan;
	bool		found;

	if (!OidIsValid(group))
		return false;
	rel = table_open(AuthMemRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_auth_members_roleid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(group));
	ScanKeyInit(&key[1], Anum_pg_auth_members_member, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(owner));
	scan = systable_beginscan(rel, AuthMemRoleMemIndexId, true, NULL, 2, key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}
