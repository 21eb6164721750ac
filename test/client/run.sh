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
PGBOUNCER=/usr/sbin/pgbouncer

# common.sh's cleanup stops the cluster on exit; pgbouncer goes first
BOUNCER_PID=""
stop_bouncer() {
	if [ -n "$BOUNCER_PID" ]; then
		kill "$BOUNCER_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$BOUNCER_PID" 2>/dev/null || break; sleep 0.1; done
	fi
}
cleanup_on_exit stop_bouncer
ensure_deps client

EXTRA_PG_OPTS="-c listen_addresses=127.0.0.1 -c max_connections=40" start_cluster
make_tempdir
BDIR=$TMPDIR_MADE
cp "$HERE/auth_client.py" "$BDIR/"
BPORT=$(free_port $((PGPORT + 1)))

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

cat >"$BDIR/pgbouncer.ini" <<INI
[databases]
apitoken_client = host=127.0.0.1 port=$PGPORT dbname=apitoken_client

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BPORT
unix_socket_dir =
auth_type = trust
auth_file = $BDIR/userlist.txt
pool_mode = transaction
default_pool_size = $POOL_SIZE
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 50
logfile = $BDIR/pgbouncer.log
pidfile = $BDIR/pgbouncer.pid
INI
printf '"app" ""\n' >"$BDIR/userlist.txt"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$BDIR"/*; fi

as_pg "$PGBOUNCER" -d -q "$BDIR/pgbouncer.ini"
for _ in $(seq 100); do [ -s "$BDIR/pgbouncer.pid" ] && break; sleep 0.1; done
BOUNCER_PID=$(cat "$BDIR/pgbouncer.pid" 2>/dev/null || true)
ready=0
for _ in $(seq 100); do
	if as_pg psql -X -q -h 127.0.0.1 -p "$BPORT" -U app -d apitoken_client -c 'SELECT 1' >/dev/null 2>&1; then
		ready=1
		break
	fi
	sleep 0.1
done
if [ $ready -ne 1 ]; then
	tail -n 30 "$BDIR/pgbouncer.log" 2>/dev/null || true
	echo "client: FAILED (pgbouncer did not come up on 127.0.0.1:$BPORT)"
	exit 1
fi

echo "pgbouncer on 127.0.0.1:$BPORT (transaction pooling, $POOL_SIZE server connections), 8 workers, ${CLIENT_SECONDS}s"
status=0
as_pg /usr/bin/python3 "$BDIR/auth_client.py" \
	"host=$PGHOST port=$PGPORT dbname=apitoken_client user=postgres" \
	"host=127.0.0.1 port=$BPORT dbname=apitoken_client user=app" \
	"$CLIENT_SECONDS" "$POOL_SIZE" || status=$?

# pgbouncer must not have seen a failing server connection, nor the
# server an error (the requests themselves never raise)
bouncer_errors=$(grep -c -E "ERROR|closing because: (server conn crashed|unclean server)" "$BDIR/pgbouncer.log" || true)
server_errors=$(grep -c -E "ERROR:|FATAL:|PANIC:" "$CLUSTER_LOG" || true)
echo "pgbouncer errors=$bouncer_errors server errors=$server_errors"
if [ "$bouncer_errors" != 0 ] || [ "$server_errors" != 0 ]; then
	grep -E "ERROR|closing because" "$BDIR/pgbouncer.log" | head -n 10 || true
	grep -E "ERROR:|FATAL:|PANIC:" "$CLUSTER_LOG" | head -n 10 || true
	status=1
fi
if [ $status -ne 0 ]; then
	echo "client: FAILED"
	exit 1
fi
echo "client: ok"
