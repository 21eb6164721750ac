#!/usr/bin/env bash
# scripts/test.sh: the one test command (CI runs it through .ci/run).
#
# Installs what the tests need, builds and installs the extension, starts a
# throwaway cluster and runs every suite: pg_regress (sql/), isolation
# (test/isolation), TAP (test/t) through `make installcheck`, then the
# stand-alone stages under test/ (fuzzing, the regression suites under
# valgrind memcheck, a real client through pgbouncer, a pgbench load).
# Prints "N passed, M failed" and exits non-zero on any failure.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cleanup_on_exit

ensure_deps test
build_and_install
start_cluster
work_copy

passed=0
failed=0
stage() {
	local name=$1
	shift
	echo
	echo "==> $name"
	if "$@"; then
		echo "--- $name: ok"
		passed=$((passed + 1))
	else
		echo "--- $name: FAILED"
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

for target in fuzzcheck memcheck clientcheck loadcheck; do
	stage "make $target" make -C "$REPO" -s --no-print-directory "$target"
done

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
