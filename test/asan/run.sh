#!/usr/bin/env bash
# test/asan/run.sh: the regression and isolation suites against an
# AddressSanitizer + UndefinedBehaviorSanitizer build of the extension.
#
# The server itself is not instrumented: libasan is preloaded into the
# postmaster so that the extension's instrumented code can run, leak
# detection is off (PostgreSQL frees memory by dropping whole contexts),
# and any sanitizer report in the server log fails the stage.  The normal
# build is installed again on exit.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"

ensure_packages $BASE_PACKAGES
LIBASAN=$(gcc -print-file-name=libasan.so)
[ -f "$LIBASAN" ] || { echo "libasan not found (gcc's runtime)" >&2; exit 1; }

work_copy
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
make -C "$WORK" -s clean >/dev/null
make -C "$WORK" -s COPT="$SAN" SHLIB_LINK="-lsodium -fsanitize=address,undefined" with_llvm=no >/dev/null
as_root make -C "$WORK" -s with_llvm=no install >/dev/null

restore() {
	as_root make -C "$REPO" -s install >/dev/null 2>&1 || true
	make -C "$REPO" -s clean >/dev/null 2>&1 || true
	cleanup
}
trap restore EXIT INT TERM
make -C "$REPO" -s >/dev/null

rm -f /tmp/apitoken-asan.*
CLUSTER_ENV="LD_PRELOAD=$LIBASAN ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:log_path=/tmp/apitoken-asan UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=/tmp/apitoken-asan" \
	start_cluster
if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$WORK"; fi
status=0
as_pg make -C "$WORK" installcheck TAP_TESTS= PROVE_TESTS= || status=1
if ls /tmp/apitoken-asan.* >/dev/null 2>&1 || grep -q -E "AddressSanitizer|runtime error:" "$CLUSTER_LOG"; then
	cat /tmp/apitoken-asan.* 2>/dev/null | head -n 60 || true
	grep -A 30 -E "AddressSanitizer|runtime error:" "$CLUSTER_LOG" | head -n 60 || true
	echo "asan: sanitizer reports found"
	status=1
fi
if [ $status -ne 0 ]; then
	find "$WORK" -name regression.diffs -exec cat {} + | head -n 100
	echo "asan: FAILED"
	exit 1
fi
echo "asan: regression and isolation suites clean under ASan/UBSan"
