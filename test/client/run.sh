#!/usr/bin/env bash
# test/client/run.sh: a real application client (psycopg 3, Debian's
# python3-psycopg) through pgbouncer (Debian's, /usr/sbin/pgbouncer) in
# transaction pooling mode.  8 workers authenticate requests with
# apitoken.verify(), token as a bind parameter, while a mutator regenerates,
# rotates (regenerates with a grace period), disables, expires and deletes
# tokens; auth_client.py judges every request that did not overlap a change
# and requires zero false accepts and zero false refusals, the old value of
# a rotation during its grace included (see its header for the model).
#
# Starts its own throwaway cluster (private socket, plus TCP on 127.0.0.1
# for pgbouncer, trust authentication: local testing only) and its own
# pgbouncer on 127.0.0.1, both as the cluster user, from a temporary
# directory that user can read; stops both on exit.  Expects the extension
# built and installed (scripts/test.sh does that first).  Runs from any
# directory, as root or as a user who may run PostgreSQL.
#
#   CLIENT_SECONDS  how long the workers run (default 15)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLIENT_SECONDS=${CLIENT_SECONDS:-15}
POOL_SIZE=3

# common.sh's cleanup stops the cluster on exit; pgbouncer goes first
cleanup_on_exit stop_bouncer
ensure_deps client

EXTRA_PG_OPTS="-c listen_addresses=127.0.0.1 -c max_connections=40" start_cluster
make_tempdir
BDIR=$TMPDIR_MADE
cp "$HERE/auth_client.py" "$BDIR/"

as_pg psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE DATABASE apitoken_client;
\c apitoken_client
CREATE EXTENSION apitoken;
-- the roles tokens authenticate as (owners must be able to log in)
CREATE ROLE svc_a LOGIN;
CREATE ROLE svc_b LOGIN;
-- the application's own role: it only verifies (verify() is PUBLIC)
CREATE ROLE app LOGIN;
-- the mutator manages tokens as a member of apitoken_admin
CREATE ROLE app_admin IN ROLE apitoken_admin;
GRANT app_admin TO postgres;
SQL

start_bouncer apitoken_client $POOL_SIZE app || { echo "client: FAILED"; exit 1; }
BPORT=$BOUNCER_PORT

echo "pgbouncer on 127.0.0.1:$BPORT (transaction pooling, $POOL_SIZE server connections), 8 workers, ${CLIENT_SECONDS}s"
status=0
as_pg /usr/bin/python3 "$BDIR/auth_client.py" \
	"host=$PGHOST port=$PGPORT dbname=apitoken_client user=postgres" \
	"host=127.0.0.1 port=$BPORT dbname=apitoken_client user=app" \
	"$CLIENT_SECONDS" "$POOL_SIZE" || status=$?

# pgbouncer must not have seen a failing server connection, nor the
# server an error (the requests themselves never raise)
bouncer_errors=$(grep -c -E "ERROR|closing because: (server conn crashed|unclean server)" "$BOUNCER_LOG" || true)
server_errors=$(grep -c -E "ERROR:|FATAL:|PANIC:" "$CLUSTER_LOG" || true)
echo "pgbouncer errors=$bouncer_errors server errors=$server_errors"
if [ "$bouncer_errors" != 0 ] || [ "$server_errors" != 0 ]; then
	grep -E "ERROR|closing because" "$BOUNCER_LOG" | head -n 10 || true
	grep -E "ERROR:|FATAL:|PANIC:" "$CLUSTER_LOG" | head -n 10 || true
	status=1
fi
if [ $status -ne 0 ]; then
	echo "client: FAILED"
	exit 1
fi
echo "client: ok"
