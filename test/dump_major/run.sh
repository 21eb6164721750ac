#!/usr/bin/env bash
# test/dump_major/run.sh: a dump taken on one PostgreSQL major, restored
# into another, must verify exactly as before.
#
#   bash test/dump_major/run.sh dump DIR      on the old major (PG_MAJOR)
#   bash test/dump_major/run.sh restore DIR   on a newer one, later
#
# dump: a throwaway cluster, database "app" with tokens of every kind
# (create.sql: plain, scoped, address-limited, expiring far in the future,
# expired, disabled, regenerated with its old value kept, deleted,
# orphaned by dropping its owner, made by an admin for another role) for
# alice, bob and admin, with the audit trail; answers.sql's output goes to
# DIR/answers.out; then pg_dumpall --globals-only (DIR/globals.sql) and a
# plain pg_dump of "app" (DIR/app.sql).  The token values travel as
# literals inside the dump (the cluster keeps log_statement off).
#
# restore: a fresh throwaway cluster; the roles first (globals.sql: the
# only error allowed is that the bootstrap superuser exists already),
# then "app" from app.sql with ON_ERROR_STOP; answers.sql again into
# DIR/restored-NN.out, which must equal answers.out line for line.
#
# Both use the apitoken installed for $PG_MAJOR (the package, or make
# install) and fail when it is not installed.  Prints "dump_major: ok" or
# "dump_major: FAILED" and the difference.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
cleanup_on_exit
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
	echo "usage: $0 dump|restore DIR" >&2
	exit 2
}
[ $# -eq 2 ] || usage
MODE=$1
DIR=$2
mkdir -p "$DIR"

# psql as the cluster user, SQL on stdin
psql_in() {
	as_pg psql -X -q -v ON_ERROR_STOP=1 "$@"
}

dump() {
	psql_in -c 'CREATE DATABASE app'
	psql_in -d app <"$HERE/create.sql"
	psql_in -d app <"$HERE/answers.sql" >"$DIR/answers.out"
	as_pg pg_dumpall --globals-only >"$DIR/globals.sql"
	as_pg pg_dump --format=plain app >"$DIR/app.sql"
	echo "PostgreSQL $PG_MAJOR: dumped $(grep -c . "$DIR/answers.out") lines of answers," \
		"$(wc -c <"$DIR/app.sql") bytes of dump, into $DIR"
	echo "dump_major: ok"
}

restore() {
	local errors unexpected out=$DIR/restored-$PG_MAJOR.out
	for f in answers.out globals.sql app.sql; do
		[ -s "$DIR/$f" ] || { echo "dump_major: FAILED ($DIR/$f missing: run \"$0 dump $DIR\" first)"; exit 1; }
	done
	errors=$(as_pg psql -X -q -d postgres <"$DIR/globals.sql" 2>&1 >/dev/null | grep ERROR || true)
	unexpected=$(printf '%s\n' "$errors" | grep -v '^$' | grep -v 'role "postgres" already exists' || true)
	if [ -n "$unexpected" ]; then
		echo "$unexpected"
		echo "dump_major: FAILED (restoring the roles)"
		exit 1
	fi
	psql_in -c 'CREATE DATABASE app'
	if ! psql_in -d app <"$DIR/app.sql" >"$DIR/restore-$PG_MAJOR.log" 2>&1; then
		tail -n 20 "$DIR/restore-$PG_MAJOR.log"
		echo "dump_major: FAILED (restoring the database)"
		exit 1
	fi
	psql_in -d app <"$HERE/answers.sql" >"$out"
	if ! diff -u "$DIR/answers.out" "$out"; then
		echo "dump_major: FAILED (PostgreSQL $PG_MAJOR answers differently from the dumped cluster; diff above)"
		exit 1
	fi
	echo "PostgreSQL $PG_MAJOR: $(grep -c . "$out") lines of answers, identical to the dumped cluster's"
	echo "dump_major: ok"
}

check_installed
EXTRA_PG_OPTS="-c log_statement=none" start_cluster
case $MODE in
dump) dump ;;
restore) restore ;;
*) usage ;;
esac
