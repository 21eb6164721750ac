/*-------------------------------------------------------------------------
 *
 * apitoken.c
 *	  Module setup: the library's magic block, _PG_init() (libsodium and the
 *	  GUCs) and the state the other files share for one statement.
 *
 * Where the rest lives (see also apitoken.h):
 *   token_type.c     the apitoken.token type, hint(), the SHA-256 of a value
 *   roles.c          who may manage, administer and issue tokens
 *   guard.c          the guard trigger and the field validators
 *   manage.c         create(), regenerate(), the view's delete trigger, the
 *                    owner-name backfill
 *   token_store.c    the per-backend cache of where tokens live
 *   verify.c         verify() and check(): request, probe, judgement
 *   last_access.c    the in-place write of last access, address packing
 *   login.c          login(): a token as the identity of a transaction;
 *                    current_token(), current_scopes(), has_scope()
 *   require_token.c  the require_token() trigger
 *   audit.c          the audit trigger
 *   token_codec.c, text_rules.c   pure C, no PostgreSQL: token format, names
 *   compat.h         the only differences between PostgreSQL versions
 *
 * The GUCs are all PGC_SUSET: they are policy (prefix, lifetime, quota,
 * last-access recording, verify-only), which a role must not change for
 * itself.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <sodium.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "apitoken.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

char	   *apitoken_prefix = NULL;
int			apitoken_last_access_interval = 60;
bool		apitoken_last_access_wal = false;
int			apitoken_max_lifetime = 0;
bool		apitoken_require_login_owner = false;
int			apitoken_max_tokens_per_owner = 1000;
bool		apitoken_verify_only = false;
ApitokenInternalWrite *apitoken_internal_write = NULL;
Oid			apitoken_acting_role = InvalidOid;

/* GUC check hook: a prefix must be something apitoken_decode accepts */
static bool
check_prefix(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || !apitoken_prefix_valid(*newval, strlen(*newval)))
	{
		GUC_check_errdetail("An API token prefix is 1 to %d letters, digits or underscores.",
							APITOKEN_PREFIX_MAX);
		return false;
	}
	return true;
}

/* Module load: start libsodium and define the GUCs */
void
_PG_init(void)
{
	if (sodium_init() < 0)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not initialize libsodium")));

	DefineCustomStringVariable("apitoken.prefix",
							   "Prefix of newly created API token values.",
							   "Existing tokens keep working when it changes.",
							   &apitoken_prefix,
							   "pgat_",
							   PGC_SUSET,
							   0,
							   check_prefix, NULL, NULL);

	DefineCustomIntVariable("apitoken.last_access_interval",
							"Minimum time between two recordings of a token's last access.",
							"0 records every verification, -1 disables recording.",
							&apitoken_last_access_interval,
							60, -1, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("apitoken.last_access_wal",
							 "WAL-log each recorded last access.",
							 "Off: last access is written like a hint bit, durable from the next checkpoint; "
							 "on: it survives a crash and reaches standbys, at the cost of a WAL record per recording.",
							 &apitoken_last_access_wal,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("apitoken.max_lifetime",
							"Longest lifetime a new or edited API token may have.",
							"0 means no limit.  When set, create() without an expiry gets now() plus this.",
							&apitoken_max_lifetime,
							0, 0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_MIN,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("apitoken.require_login_owner",
							 "Refuse tokens whose owner role cannot log in or whose VALID UNTIL has passed.",
							 NULL,
							 &apitoken_require_login_owner,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("apitoken.max_tokens_per_owner",
							"Most API tokens one role may own.",
							"create() refuses a token beyond it; 0 means no limit.",
							&apitoken_max_tokens_per_owner,
							1000, 0, INT_MAX,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("apitoken.verify_only",
							 "Refuse every change to API tokens: this database verifies tokens issued elsewhere.",
							 "For a logical replication subscriber.  Changes that replication applies are not refused.",
							 &apitoken_verify_only,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("apitoken");
}

