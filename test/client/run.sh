#!/usr/bin/env bash
# test/client/run.sh: a real client (psycopg 3) through pgbouncer in
# transaction pooling mode: 8 workers authenticate requests with
# apitoken.verify() while another regenerates, disables and deletes
# tokens; zero false accepts and zero false refusals are required.
# Expects the extension to be installed (scripts/test.sh does that).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SECONDS_TO_RUN=${CLIENT_SECONDS:-15}

ensure_packages pgbouncer python3-psycopg
EXTRA_PG_OPTS="-c listen_addresses=127.0.0.1 -c max_connections=50" start_cluster
make_tempdir
BDIR=$TMPDIR_MADE
BPORT=$(free_port $((PGPORT + 1)))

as_pg psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE DATABASE apitoken_client;
\c apitoken_client
CREATE EXTENSION apitoken;
CREATE ROLE svc LOGIN;
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
default_pool_size = 3
max_client_conn = 100
logfile = $BDIR/pgbouncer.log
pidfile = $BDIR/pgbouncer.pid
INI
printf '"svc" ""\n"postgres" ""\n' >"$BDIR/userlist.txt"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$BDIR"/*; fi

stop_bouncer() {
	if [ -f "$BDIR/pgbouncer.pid" ]; then kill "$(cat "$BDIR/pgbouncer.pid")" 2>/dev/null || true; fi
	cleanup
}
trap stop_bouncer EXIT INT TERM
as_pg /usr/sbin/pgbouncer -d "$BDIR/pgbouncer.ini"
for _ in $(seq 50); do
	as_pg psql -X -q -h 127.0.0.1 -p "$BPORT" -U svc -d apitoken_client -c 'SELECT 1' >/dev/null 2>&1 && break
	sleep 0.1
done

echo "pgbouncer on 127.0.0.1:$BPORT (transaction pooling, 3 server connections), 8 workers, ${SECONDS_TO_RUN}s"
/usr/bin/python3 "$HERE/auth_client.py" \
	"host=127.0.0.1 port=$PGPORT dbname=apitoken_client user=postgres" \
	"host=127.0.0.1 port=$BPORT dbname=apitoken_client user=svc" \
	"$SECONDS_TO_RUN"
