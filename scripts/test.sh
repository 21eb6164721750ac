#!/usr/bin/env bash
# scripts/test.sh: the one test command (CI runs it, against the Debian
# package, through .ci/run and scripts/test_package.sh).
#
# Installs what the tests need, builds and installs the extension, starts a
# throwaway cluster and runs every suite: pg_regress (sql/), isolation
# (test/isolation), TAP (test/t) through `make installcheck`, then the
# stand-alone stages under test/ (fuzzing, the regression suites under
# valgrind memcheck, a real client through pgbouncer, the example HTTP API
# through pgbouncer, a pgbench load).
# Prints "N passed, M failed" and exits non-zero on any failure.
#
#   APITOKEN_USE_INSTALLED=1  build and install nothing: test the apitoken
#                      already installed for PostgreSQL $PG_MAJOR (the Debian
#                      package, as .ci/run and scripts/matrix.sh do); fails
#                      at once when it is not installed
#   APITOKEN_SKIP_FUZZ=1  skip `make fuzzcheck` (it needs no PostgreSQL, so
#                      one run per machine is enough; scripts/matrix.sh runs
#                      it on the host only).  The skip is printed, and the
#                      last line says "(skipped: fuzzcheck)"; never counted
#                      as passed
#   APITOKEN_PORT_BASE  first port tried for clusters (default 54329)
#   APITOKEN_AUX_PORT_BASE  first port tried for the stages' pgbouncer and
#                      HTTP server (default: the cluster's port + 1)
#   PG_CONFIG          another install of PostgreSQL $PG_MAJOR to build for
#                      and run (default: Debian's, /usr/lib/postgresql)
#   PG_MAJOR, FUZZ_SECONDS, CLIENT_SECONDS, HTTP_REQUESTS, LOAD_SECONDS: see deps.sh and
#                      the stages' run.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cleanup_on_exit

sets=(build regress memcheck client)
[ "${APITOKEN_SKIP_FUZZ:-0}" = 1 ] || sets+=(fuzz)
ensure_deps "${sets[@]}"
build_and_install
start_cluster
work_copy

passed=0
failed=0
skipped=()
stage() {
	local name=$1 start=$SECONDS
	shift
	echo
	echo "==> $name"
	if "$@"; then
		echo "--- $name: ok ($((SECONDS - start))s)"
		passed=$((passed + 1))
	else
		echo "--- $name: FAILED ($((SECONDS - start))s)"
		failed=$((failed + 1))
	fi
}

installcheck() {
	if as_pg make -C "$WORK" installcheck; then
		return 0
	fi
	local f
	for f in $(find "$WORK" -name regression.diffs); do
		echo "----- $f"
		cat "$f"
	done
	for f in $(find "$WORK/tmp_check" -name '*.log' 2>/dev/null | head -20); do
		echo "----- $f (last 40 lines)"
		tail -n 40 "$f"
	done
	return 1
}

stage "regression, isolation and TAP suites (make installcheck)" installcheck

for target in fuzzcheck memcheck clientcheck httpcheck loadcheck; do
	if [ "$target" = fuzzcheck ] && [ "${APITOKEN_SKIP_FUZZ:-0}" = 1 ]; then
		echo
		echo "--- make fuzzcheck: skipped (APITOKEN_SKIP_FUZZ=1: the codec fuzzing needs no PostgreSQL and runs on the host)"
		skipped+=(fuzzcheck)
		continue
	fi
	stage "make $target" make -C "$REPO" -s --no-print-directory "$target"
done

echo
if [ ${#skipped[@]} -gt 0 ]; then
	echo "$passed passed, $failed failed (skipped: ${skipped[*]})"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
