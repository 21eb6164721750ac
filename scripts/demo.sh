#!/usr/bin/env bash
# scripts/demo.sh: builds and installs apitoken, starts a throwaway cluster
# and walks through demo/demo.sql: roles, creating, listing, verifying,
# regenerating, disabling and expiring tokens, what each role can and cannot
# see, scopes, the audit trail and a lifetime policy.  The cluster is removed
# at the end.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cleanup_on_exit

ensure_deps build
build_and_install
start_cluster
echo "==> running demo/demo.sql"
echo
as_pg psql -X -v ON_ERROR_STOP=1 --echo-queries <"$REPO/demo/demo.sql"
