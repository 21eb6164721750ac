#!/usr/bin/env bash
# test/load/run.sh: pgbench with 32 clients for a bounded time, mixing
# verify (most), create, regenerate, disable, enable and delete, as a
# member of apitoken_admin.  Requires: pgbench exits 0 with no failed
# transactions, no deadlock in the server log, the audit trail's creates
# minus deletes equal the tokens left, and every token of the working set
# verifies exactly when it is enabled.  Expects the extension installed.
#
# The working set (load_tok) is only regenerated, disabled and enabled;
# only tokens made during the run are deleted, so no statement can fail
# because another deleted its token first.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOAD_SECONDS=${LOAD_SECONDS:-20}

EXTRA_PG_OPTS="-c max_connections=60 -c deadlock_timeout=100ms" start_cluster
work_copy   # the pgbench scripts, readable by the cluster user

as_pg psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE DATABASE apitoken_load;
\c apitoken_load
CREATE EXTENSION apitoken;
CREATE ROLE load_admin LOGIN IN ROLE apitoken_admin;
CREATE SEQUENCE load_seq;
CREATE TABLE load_tok (i int PRIMARY KEY, id bigint NOT NULL, token text NOT NULL);
INSERT INTO load_tok SELECT g, t.id, t.token FROM generate_series(1, 2000) g, apitoken.create('set-' || g) t;
GRANT ALL ON load_tok, load_seq TO load_admin;
SQL

echo "pgbench: 32 clients, ${LOAD_SECONDS}s"
if ! as_pg pgbench -n -c 32 -j 2 -T "$LOAD_SECONDS" -M prepared -U load_admin -d apitoken_load \
	--failures-detailed \
	-f "$WORK/test/load/verify.sql@20" -f "$WORK/test/load/create.sql@3" \
	-f "$WORK/test/load/regenerate.sql@2" -f "$WORK/test/load/disable.sql@1" \
	-f "$WORK/test/load/enable.sql@1" -f "$WORK/test/load/delete.sql@2" >"$WORK/pgbench.out" 2>&1; then
	cat "$WORK/pgbench.out"
	echo "load: FAILED (pgbench)"
	exit 1
fi
grep -E "^(number of transactions actually processed|number of failed transactions|tps)" "$WORK/pgbench.out"

failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")
deadlocks=$(grep -c "deadlock detected" "$CLUSTER_LOG" || true)
check=$(as_pg psql -X -A -t -d apitoken_load <<'SQL'
SELECT (SELECT count(*) FILTER (WHERE action = 'create') - count(*) FILTER (WHERE action = 'delete')
          FROM apitoken.events) = (SELECT count(*) FROM apitoken.tokens)
   AND (SELECT count(*) FROM load_tok l JOIN apitoken.tokens t USING (id)) = 2000
   AND (SELECT bool_and((apitoken.verify(l.token) IS NOT NULL) = t.enabled)
          FROM load_tok l JOIN apitoken.tokens t USING (id))
SQL
)
counts=$(as_pg psql -X -A -t -d apitoken_load -c \
	"SELECT format('tokens=%s creates=%s deletes=%s regenerates=%s', (SELECT count(*) FROM apitoken.tokens), count(*) FILTER (WHERE action = 'create'), count(*) FILTER (WHERE action = 'delete'), count(*) FILTER (WHERE action = 'regenerate')) FROM apitoken.events")
echo "failed transactions=${failed:-?} deadlocks=$deadlocks consistent=$check $counts"
if [ "${failed:-1}" = 0 ] && [ "$deadlocks" = 0 ] && [ "$check" = t ]; then
	echo "load: ok"
else
	echo "load: FAILED"
	exit 1
fi
