#!/usr/bin/env bash
# test/http_api/run.sh: the example HTTP API (examples/http_api/) end to
# end.  Starts a throwaway cluster (private socket, plus TCP on 127.0.0.1
# for pgbouncer), pgbouncer on 127.0.0.1 in transaction pooling mode with 3
# server connections for the gateway role, and examples/http_api/server.py
# on 127.0.0.1, all as the cluster user from a temporary directory that user
# can read; then http_client.py sends real HTTP requests and judges every
# answer (see its header).  Stops the HTTP server, pgbouncer and the
# cluster on exit, also on failure.  Expects the extension built and
# installed (scripts/test.sh does that first).  Runs from any directory, as
# root or as a user who may run PostgreSQL.
#
#   HTTP_REQUESTS  requests per client thread in the concurrent phase
#                  (default 200; 8 threads)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HTTP_REQUESTS=${HTTP_REQUESTS:-200}
POOL_SIZE=3
DB=apitoken_http

# common.sh's cleanup stops the cluster on exit; the HTTP server and
# pgbouncer go first
SERVER_PID=""
SERVER_JOB=""
stop_servers() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$SERVER_PID" 2>/dev/null
	fi
	[ -n "$SERVER_JOB" ] && wait "$SERVER_JOB" 2>/dev/null
	stop_bouncer
}
cleanup_on_exit stop_servers
ensure_deps client

EXTRA_PG_OPTS="-c listen_addresses=127.0.0.1 -c max_connections=40" start_cluster
make_tempdir
DIR=$TMPDIR_MADE
cp "$REPO/examples/http_api/schema.sql" "$REPO/examples/http_api/server.py" "$HERE/http_client.py" "$DIR/"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$DIR"/*; fi

as_pg psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE DATABASE $DB;
\c $DB
CREATE EXTENSION apitoken;
\i $DIR/schema.sql
-- the token owners: alice and bob are served by the gateway, carol is not
CREATE ROLE alice LOGIN IN ROLE app_users;
GRANT alice TO app_gateway;
CREATE ROLE bob LOGIN IN ROLE app_users;
GRANT bob TO app_gateway;
CREATE ROLE carol LOGIN IN ROLE app_users;
-- a name that is no plain identifier ('Dave-Ops'::regrole would fail)
CREATE ROLE "Dave-Ops" LOGIN IN ROLE app_users;
GRANT "Dave-Ops" TO app_gateway;
SQL

start_bouncer $DB $POOL_SIZE app_gateway || { echo "http_api: FAILED"; exit 1; }
GATEWAY_DSN="host=127.0.0.1 port=$BOUNCER_PORT dbname=$DB user=app_gateway"

HTTP_PORT=$(aux_port $((BOUNCER_PORT + 1)))
SERVER_LOG=$DIR/server.log
# as_pg runs it in a subshell: the PID written by the server itself is the
# one to stop
as_pg sh -c 'echo $$ >"$1"; exec /usr/bin/python3 "$2" --dsn "$3" --listen 127.0.0.1 --port "$4" --pool-size 8 >"$5" 2>&1' \
	sh "$DIR/server.pid" "$DIR/server.py" "$GATEWAY_DSN" "$HTTP_PORT" "$SERVER_LOG" 2>/dev/null &
SERVER_JOB=$!
ready=0
for _ in $(seq 100); do
	[ -z "$SERVER_PID" ] && [ -s "$DIR/server.pid" ] && SERVER_PID=$(cat "$DIR/server.pid")
	if grep -q '^listening on' "$SERVER_LOG" 2>/dev/null; then
		ready=1
		break
	fi
	sleep 0.1
done
if [ $ready -ne 1 ]; then
	cat "$SERVER_LOG" 2>/dev/null || true
	echo "http_api: FAILED (server.py did not come up on 127.0.0.1:$HTTP_PORT)"
	exit 1
fi

echo "server.py on http://127.0.0.1:$HTTP_PORT/ -> pgbouncer on 127.0.0.1:$BOUNCER_PORT (transaction pooling, $POOL_SIZE server connections)"
status=0
as_pg /usr/bin/python3 "$DIR/http_client.py" \
	"host=$PGHOST port=$PGPORT dbname=$DB user=postgres" \
	"$GATEWAY_DSN" "http://127.0.0.1:$HTTP_PORT" "$POOL_SIZE" "$HTTP_REQUESTS" \
	"$SERVER_LOG" "$CLUSTER_LOG" || status=$?

# the server must not have answered 500 nor logged a traceback, pgbouncer
# must not have seen a failing server connection
server_errors=$(grep -c -E "error:|Traceback" "$SERVER_LOG" || true)
bouncer_errors=$(grep -c -E "closing because: (server conn crashed|unclean server)" "$BOUNCER_LOG" || true)
echo "server.py errors=$server_errors pgbouncer errors=$bouncer_errors, refusals server.py logged: $(grep -c 'refused token' "$SERVER_LOG" || true)"
if [ "$server_errors" != 0 ] || [ "$bouncer_errors" != 0 ]; then
	grep -E -A5 "error:|Traceback" "$SERVER_LOG" | head -n 20 || true
	grep -E "closing because" "$BOUNCER_LOG" | head -n 10 || true
	status=1
fi
if [ $status -ne 0 ]; then
	echo "http_api: FAILED"
	exit 1
fi
echo "http_api: ok"
