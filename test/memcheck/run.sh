#!/usr/bin/env bash
# test/memcheck/run.sh: the whole pg_regress suite (REGRESS in the
# Makefile) against a server running under valgrind memcheck.
#
# The postmaster is started under valgrind with --trace-children=yes, so
# every backend it forks runs instrumented, and the regression suites run
# against it through `make installcheck` (no isolation or TAP: those start
# or time their own sessions and add nothing here).  The stage fails when
# the suites fail, or when any valgrind error names code of the extension:
# a frame in apitoken.so or one of its source files, in the error's stack
# or in the origin of an uninitialised value (--track-origins=yes).
# Errors that lie wholly inside PostgreSQL are counted and shown but do not
# fail the stage: the server is Debian's, built without USE_VALGRIND, and
# PostgreSQL's own suppression file is not part of the server packages.
# One class is suppressed (wal.supp), as PostgreSQL's own file does: WAL
# writes of record padding, which would otherwise be counted as ours
# whenever the memory last held an allocation made under our trigger.
#
# What memcheck sees here: reads of uninitialised memory (on the stack, in
# malloc'd memory and in shared buffers), invalid reads and writes outside
# malloc'd blocks and mappings, bad frees, invalid syscall arguments.  What
# it does not see: overruns inside a palloc'd chunk that stay within its
# memory context's block, because only a server built with USE_VALGRIND
# tells memcheck where chunks begin and end.  The codec, where the
# byte-level work is, gets ASan and UBSan in test/fuzz/run.sh.
#
# Expects the extension built and installed (scripts/test.sh does that
# first).  Starts its own throwaway cluster and removes it on exit.
#
#   MEMCHECK_KEEP=1   keep the valgrind logs (printed path) for reading
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
cleanup_on_exit

ensure_deps memcheck
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

make_tempdir
DIR=$TMPDIR_MADE
CLUSTER_DATA=$DIR/data
mkdir "$DIR/socket" "$DIR/vg"
cp "$HERE/wal.supp" "$DIR/wal.supp"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$DIR/socket" "$DIR/vg" "$DIR/wal.supp"; fi
as_pg initdb -D "$CLUSTER_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
	{ cat "$DIR/initdb.log"; exit 1; }
PORT=$(free_port "$(( ${APITOKEN_PORT_BASE:-54329} + 50 ))")

echo "==> starting a cluster under valgrind memcheck (port $PORT)"
as_pg valgrind --quiet --tool=memcheck --trace-children=yes --track-origins=yes \
	--leak-check=no --read-var-info=no --num-callers=30 \
	--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END --suppressions="$DIR/wal.supp" \
	--log-file="$DIR/vg/%p.log" \
	postgres -D "$CLUSTER_DATA" -c listen_addresses= -k "$DIR/socket" -p "$PORT" \
	-c fsync=off -c shared_buffers=32MB -c max_connections=20 -c autovacuum=off \
	-c max_parallel_workers_per_gather=0 -c jit=off \
	>"$DIR/server.log" 2>&1 &
for _ in $(seq 240); do
	as_pg pg_isready -q -h "$DIR/socket" -p "$PORT" && break
	sleep 0.5
done
as_pg pg_isready -q -h "$DIR/socket" -p "$PORT" || { tail -n 40 "$DIR/server.log"; exit 1; }
export PGHOST=$DIR/socket PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres

work_copy
status=0
SECONDS=0
if ! as_pg make -C "$WORK" installcheck ISOLATION= TAP_TESTS= >"$DIR/installcheck.log" 2>&1; then
	tail -n 30 "$DIR/installcheck.log"
	find "$WORK" -name regression.diffs -exec head -n 100 {} +
	echo "memcheck: the regression suites failed under valgrind"
	status=1
fi
echo "regression suites under valgrind: ${SECONDS}s"
as_pg pg_ctl -D "$CLUSTER_DATA" -m fast -w stop >/dev/null 2>&1 || true
sleep 1

# split every log into its error blocks; keep those that name our code
ours='apitoken[.]so|[(](apitoken|audit|guard|last_access|manage|require_token|roles|text_rules|token_codec|token_store|token_type|verify)[.]c:'
total=$(cat "$DIR"/vg/*.log | grep -c '^==[0-9]*== VALGRINDERROR-BEGIN' || true)
awk -v ours="$ours" '
	/VALGRINDERROR-BEGIN/ { block = ""; inblock = 1; next }
	/VALGRINDERROR-END/ { if (block ~ ours) { print block; print "----" } inblock = 0; next }
	inblock { block = block $0 "\n" }
' "$DIR"/vg/*.log >"$DIR/ours.txt"
mine=$(grep -c '^----$' "$DIR/ours.txt" || true)
echo "valgrind errors: $total in all, $mine naming apitoken code"
if [ "$mine" -gt 0 ]; then
	head -n 120 "$DIR/ours.txt"
	status=1
fi
if [ "$total" -gt "$mine" ]; then
	echo "(errors inside PostgreSQL itself, first one shown; not ours, not failing:)"
	awk '/VALGRINDERROR-BEGIN/ { p = 1; next } /VALGRINDERROR-END/ { exit } p' "$DIR"/vg/*.log | head -n 12
fi
if [ "${MEMCHECK_KEEP:-0}" = 1 ]; then
	cp -r "$DIR/vg" /tmp/apitoken-memcheck-logs && echo "logs kept in /tmp/apitoken-memcheck-logs"
fi
[ $status -eq 0 ] && echo "memcheck: regression suites clean under valgrind"
exit $status
