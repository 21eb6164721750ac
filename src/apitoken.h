/*-------------------------------------------------------------------------
 *
 * apitoken.h
 *	  Declarations shared by the C files of the apitoken extension; the
 *	  header comment of apitoken.c says which file holds what.  The read
 *	  path's own types are in verify.h and token_store.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APITOKEN_H
#define APITOKEN_H

#include "postgres.h"

#include "token_codec.h"

#define APITOKEN_SCHEMA		"apitoken"
#define APITOKEN_TABLE		"token_store"
#define APITOKEN_EVENT_TABLE "event_store"
#define APITOKEN_HASH_INDEX	"token_store_hash_key"
#define APITOKEN_PREV_HASH_INDEX "token_store_prev_hash_key"	/* 1.2 */
#define APITOKEN_USER_ROLE	"apitoken_user"
#define APITOKEN_ADMIN_ROLE	"apitoken_admin"
#define APITOKEN_OWNER_ROLE	"apitoken_owner"	/* marks roles tokens were issued to */
#define APITOKEN_HASH_BYTES	32	/* SHA-256 */

#include "datatype/timestamp.h"
#include "utils/array.h"

/* GUCs (apitoken.c) */
extern char *apitoken_prefix;
extern int	apitoken_last_access_interval;
extern bool apitoken_last_access_wal;
extern int	apitoken_max_lifetime;	/* minutes, 0 = no limit */
extern bool apitoken_max_lifetime_applies_to_existing;
extern bool apitoken_require_login_owner;
extern int	apitoken_max_tokens_per_owner;	/* 0 = no limit */
extern bool apitoken_verify_only;

/* limits on user-supplied fields (create() and the update guard) */
#define APITOKEN_NAME_MAX			64	/* characters */
#define APITOKEN_DESCRIPTION_MAX	1024	/* characters */
#define APITOKEN_REASON_MAX		1024	/* characters, revoke()'s reason */
#define APITOKEN_SCOPE_MAX			64	/* characters per scope */
#define APITOKEN_SCOPES_MAX			64	/* scopes per token */
#define APITOKEN_NETWORKS_MAX		64	/* networks in allowed_from */
#define APITOKEN_GRACE_MAX_DAYS		30	/* longest grace period of regenerate()
										 * when apitoken.max_lifetime is 0 */

/*
 * The statement create(), regenerate(), revoke() or the owner-name
 * backfill is running, or NULL.  The guard trigger lets exactly those
 * statements write the columns only the extension maintains, and fills in
 * the secret ones itself from here, so that a hash never appears in a
 * statement's parameters or plan; the audit trigger tells a revoke from
 * another UPDATE by it, and records its reason.
 */
typedef enum ApitokenWriteKind
{
	APITOKEN_WRITE_CREATE,		/* INSERT of a new token */
	APITOKEN_WRITE_REGENERATE,	/* UPDATE giving a token a new value */
	APITOKEN_WRITE_OWNER_NAMES, /* UPDATE recording owner_name */
	APITOKEN_WRITE_DISOWN,		/* UPDATE setting owner_name to '' */
	APITOKEN_WRITE_REVOKE		/* UPDATE disabling a token by revoke() */
} ApitokenWriteKind;

typedef struct ApitokenInternalWrite
{
	ApitokenWriteKind kind;
	bytea	   *hash;			/* CREATE, REGENERATE: the new hash */
	text	   *hint;			/* CREATE, REGENERATE: the new hint */
	text	   *reason;			/* REVOKE: the reason given, or NULL */
	bool		keep_previous;	/* REGENERATE: the replaced value stays valid */
	TimestampTz previous_until; /* ... until then (a grace period) */
} ApitokenInternalWrite;

extern ApitokenInternalWrite *apitoken_internal_write;

/*
 * The role a change is made for, when the extension makes it as another
 * role (the view's delete trigger runs its DELETE as the table owner); the
 * audit trail records this role.  InvalidOid otherwise.
 */
extern Oid	apitoken_acting_role;

/* roles (roles.c) and the checks of fields (guard.c) */
extern bool apitoken_is_admin(Oid roleid);
extern bool apitoken_is_manager(Oid roleid);
extern void apitoken_require_manager(Oid roleid);
extern void apitoken_require_admin(Oid roleid);
extern void apitoken_validate_name(text *name);
extern void apitoken_check_lifetime(TimestampTz *expires, bool *isnull,
									bool fill_default);
extern void apitoken_validate_scopes(ArrayType *scopes);
extern void apitoken_validate_allowed_from(ArrayType *allowed);
extern void apitoken_validate_description(text *description);
extern void apitoken_validate_reason(text *reason);
extern void apitoken_refuse_if_verify_only(void);
extern void apitoken_check_issuer_power(Oid issuer, Oid owner, const char *action);
extern bool apitoken_is_marked_owner(Oid owner);
extern Oid	apitoken_relation_owner(Oid relid);

/* token_type.c */
extern void apitoken_hash_text(const char *text, size_t len,
							   uint8 hash[APITOKEN_HASH_BYTES]);

#endif							/* APITOKEN_H */
