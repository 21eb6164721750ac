/*-------------------------------------------------------------------------
 *
 * apitoken.h
 *	  Declarations shared by the C files of the apitoken extension.
 *
 * apitoken.c  module setup, GUCs, the token type, roles, guard triggers
 * manage.c    create() and regenerate(): the only code that writes secrets
 * verify.c    verify(), check() and require_token(): the read path
 * audit.c     the audit trigger that records every change in event_store
 * token_codec.c  the text format, free of PostgreSQL (fuzzed on its own)
 *
 *-------------------------------------------------------------------------
 */
#ifndef APITOKEN_H
#define APITOKEN_H

#include "postgres.h"

#include "token_codec.h"

#define APITOKEN_SCHEMA		"apitoken"
#define APITOKEN_TABLE		"token_store"
#define APITOKEN_HASH_INDEX	"token_store_hash_key"
#define APITOKEN_USER_ROLE	"apitoken_user"
#define APITOKEN_ADMIN_ROLE	"apitoken_admin"
#define APITOKEN_HASH_BYTES	32	/* SHA-256 */

#include "datatype/timestamp.h"
#include "utils/array.h"

/* GUCs (apitoken.c) */
extern char *apitoken_prefix;
extern int	apitoken_last_access_interval;
extern bool apitoken_last_access_wal;
extern int	apitoken_max_lifetime;	/* minutes, 0 = no limit */
extern bool apitoken_require_login_owner;

/*
 * True while create() or regenerate() runs its own statement: the guard
 * triggers let exactly those statements write the secret columns.
 */
extern bool apitoken_internal_write;

/* roles (apitoken.c) */
extern bool apitoken_is_admin(Oid roleid);
extern bool apitoken_is_manager(Oid roleid);
extern void apitoken_require_manager(Oid roleid);
extern void apitoken_validate_name(text *name);
extern void apitoken_check_lifetime(TimestampTz *expires, bool *isnull,
									bool fill_default);
extern void apitoken_validate_scopes(ArrayType *scopes);
extern void apitoken_validate_allowed_from(ArrayType *allowed);

/* verify.c */
extern void apitoken_hash_text(const char *text, size_t len,
							   uint8 hash[APITOKEN_HASH_BYTES]);

#endif							/* APITOKEN_H */
