#!/usr/bin/env bash
# test/load/run.sh: pgbench, 32 clients for a bounded time (LOAD_SECONDS,
# default 20), on a fresh cluster and database with the extension, as a
# login role that is a member of apitoken_admin.  Weighted mix: verify
# (most; a fifth of them judged, see verify_judged.sql), create,
# regenerate, disable and enable (three random ids at once, in random
# order), delete, all on random live tokens.  The scripts are written so
# that racing each other is never an error (see regenerate.sql and
# delete.sql), so any error at all is a failure.
#
# Every verify() records last access (interval 0), so UPDATEs race the
# in-place write all the time.
#
# Passes only if pgbench exits 0 with no failed transaction, the server
# log has no ERROR (so no deadlock, and no UPDATE refused because a
# verify() recorded last access meanwhile), enough of every kind of change
# happened, no judged verify() during the run was wrong (a live token
# locked against change must verify exactly when enabled, a replaced value
# never), and at the end:
#   - the tokens in apitoken.tokens are exactly the ones load_tok holds;
#   - 2000 + creates (pgbench's count of create.sql transactions) =
#     tokens left + tokens deleted, and the audit trail agrees: one create,
#     regenerate and delete event per one the load made;
#   - every live token verifies exactly when it is enabled, and its enabled
#     flag agrees with its last enable/disable event;
#   - no value a regenerate or delete replaced verifies any more, and no
#     value was ever issued twice.
# Expects the extension built and installed (scripts/test.sh does that).
# Runs from any directory, as root (the cluster runs as postgres) or as a
# user who may run PostgreSQL.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
cleanup_on_exit
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOAD_SECONDS=${LOAD_SECONDS:-20}
CLIENTS=32
SCRIPTS="verify@16 verify_judged@4 create@3 regenerate@3 disable@1 enable@1 delete@2"

EXTRA_PG_OPTS="-c max_connections=50 -c deadlock_timeout=100ms" start_cluster
# the pgbench scripts, where the cluster user can read them
make_tempdir
LDIR=$TMPDIR_MADE
cp "$HERE"/*.sql "$LDIR/"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$LDIR"/*; fi

as_pg createdb apitoken_load
as_pg psql -X -q -v ON_ERROR_STOP=1 -d apitoken_load -f "$LDIR/setup.sql"

args=()
for s in $SCRIPTS; do args+=(-f "$LDIR/${s%@*}.sql@${s#*@}"); done
echo "pgbench: $CLIENTS clients, ${LOAD_SECONDS}s, $SCRIPTS"
status=0
as_pg pgbench -n -c "$CLIENTS" -j 2 -T "$LOAD_SECONDS" -M prepared --random-seed=1 \
	--failures-detailed -U load_admin -d apitoken_load "${args[@]}" >"$LDIR/pgbench.out" 2>&1 || status=$?
if [ $status -ne 0 ]; then
	tail -n 40 "$LDIR/pgbench.out"
	echo "load: FAILED (pgbench exited $status)"
	exit 1
fi
grep -E "^(number of transactions actually processed|number of failed transactions|tps)" "$LDIR/pgbench.out"

# per-script transaction counts: " - 1234 transactions (..." after "SQL script N: .../name.sql"
script_count() {
	awk -v want="/$1.sql" '
		/^SQL script [0-9]+:/ { cur = $NF }
		/^ - [0-9]+ transactions/ && index(cur, want) { print $2; exit }' "$LDIR/pgbench.out"
}
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$LDIR/pgbench.out")
creates=$(script_count create)
judged=$(script_count verify_judged)
errors=$(grep -c "ERROR:" "$CLUSTER_LOG" || true)
deadlocks=$(grep -c "deadlock detected" "$CLUSTER_LOG" || true)
# an UPDATE that lost to a verify() recording last access (attack review, item 2)
raced=$(grep -c "of an API token cannot be changed" "$CLUSTER_LOG" || true)
echo "failed transactions=${failed:-?} server errors=$errors deadlocks=$deadlocks last-access update failures=$raced create transactions=${creates:-?} judged verify transactions=${judged:-?}"
if [ "${failed:-x}" != 0 ] || [ "$errors" != 0 ] || [ -z "$creates" ] || [ -z "$judged" ]; then
	grep -B1 -A2 "ERROR:" "$CLUSTER_LOG" | head -n 20 || true
	echo "load: FAILED (errors during the run)"
	exit 1
fi

# every check is one row: name, detail, ok
as_pg psql -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 -v creates="$creates" -v judged="$judged" -v clients="$CLIENTS" -d apitoken_load \
	>"$LDIR/checks.out" <<'SQL'
SET apitoken.last_access_interval = -1;  -- the checks below change nothing
WITH ev AS (SELECT count(*) FILTER (WHERE action = 'create') AS c,
				   count(*) FILTER (WHERE action = 'regenerate') AS r,
				   count(*) FILTER (WHERE action = 'delete') AS d,
				   count(*) FILTER (WHERE action = 'disable') AS dis,
				   count(*) FILTER (WHERE action = 'enable') AS en
			  FROM apitoken.events),
	 lo AS (SELECT count(*) FILTER (WHERE why = 'regenerate') AS r,
				   count(*) FILTER (WHERE why = 'delete') AS d
			  FROM load_old),
	 n AS (SELECT (SELECT count(*) FROM apitoken.tokens) AS tokens,
				  (SELECT count(*) FROM load_tok) AS kept),
	 last_switch AS (
		SELECT DISTINCT ON (token_id) token_id, action
		  FROM apitoken.events WHERE action IN ('enable', 'disable')
		 ORDER BY token_id, id DESC)
SELECT 'verify-right-during-run',
	   format('%s judged transactions, %s wrong answers (%s)', :judged, count(*),
			  coalesce(array_to_string((array_agg(format('%s token %s: expected %s, got %s',
											   kind, id, expected, accepted)))[1:5], '; '), 'none')),
	   count(*) = 0 AND :judged >= 200
  FROM load_wrong
UNION ALL
SELECT 'same-ids', format('tokens=%s load_tok=%s', n.tokens, n.kept),
	   NOT EXISTS ((SELECT id FROM apitoken.tokens EXCEPT SELECT id FROM load_tok)
				   UNION ALL
				   (SELECT id FROM load_tok EXCEPT SELECT id FROM apitoken.tokens))
  FROM n
UNION ALL
-- pgbench counts a transaction once it has read the answer: when -T ends
-- it, up to one create per client may have committed uncounted
SELECT 'created-minus-deleted', format('%s created (2000 + %s, pgbench counted %s), %s left, %s deleted',
									  ev.c, ev.c - 2000, :creates, n.tokens, lo.d),
	   ev.c = n.tokens + lo.d AND ev.c - 2000 BETWEEN :creates AND :creates + :clients
  FROM ev, n, lo
UNION ALL
SELECT 'audit-agrees', format('events: create=%s regenerate=%s delete=%s disable=%s enable=%s; load: regenerate=%s',
							  ev.c, ev.r, ev.d, ev.dis, ev.en, lo.r),
	   ev.r = lo.r AND ev.d = lo.d
  FROM ev, lo
UNION ALL
SELECT 'enough-changes', format('regenerated=%s deleted=%s disabled=%s enabled=%s', lo.r, lo.d, ev.dis, ev.en),
	   :creates >= 100 AND lo.r >= 100 AND lo.d >= 50 AND ev.dis >= 20 AND ev.en >= 20
  FROM ev, lo
UNION ALL
SELECT 'live-verify-iff-enabled',
	   format('%s live tokens, %s enabled, %s wrong', count(*), count(*) FILTER (WHERE t.enabled),
			  count(*) FILTER (WHERE (apitoken.verify(l.token) IS NOT NULL) <> t.enabled)),
	   count(*) FILTER (WHERE (apitoken.verify(l.token) IS NOT NULL) <> t.enabled) = 0
  FROM load_tok l JOIN apitoken.tokens t USING (id)
UNION ALL
SELECT 'enabled-matches-last-event', format('%s tokens switched, %s disagree', count(*),
	   count(*) FILTER (WHERE t.enabled <> (s.action = 'enable'))),
	   count(*) FILTER (WHERE t.enabled <> (s.action = 'enable')) = 0
  FROM last_switch s JOIN apitoken.tokens t ON t.id = s.token_id
UNION ALL
SELECT 'replaced-values-refused', format('%s replaced values, %s still verify', count(*),
	   count(*) FILTER (WHERE apitoken.verify(o.token) IS NOT NULL)),
	   count(*) FILTER (WHERE apitoken.verify(o.token) IS NOT NULL) = 0
  FROM load_old o
UNION ALL
SELECT 'values-unique', format('%s values issued, %s distinct', count(*), count(DISTINCT token)),
	   count(*) = count(DISTINCT token)
  FROM (SELECT token FROM load_tok UNION ALL SELECT token FROM load_old) v;
SQL
cat "$LDIR/checks.out"
if grep -q ' f$' "$LDIR/checks.out" || [ "$(grep -c ' t$' "$LDIR/checks.out")" != 9 ]; then
	echo "load: FAILED (inconsistent at the end)"
	exit 1
fi
deadlocks=$(grep -c "deadlock detected" "$CLUSTER_LOG" || true)
[ "$deadlocks" = 0 ] || { echo "load: FAILED ($deadlocks deadlocks)"; exit 1; }
echo "load: ok"
