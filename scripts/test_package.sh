#!/usr/bin/env bash
# scripts/test_package.sh: the test command against the Debian package.
#
# Builds postgresql-$PG_MAJOR-apitoken from the committed tree with
# scripts/package.sh (its build runs pg_regress and isolation, then
# lintian), installs that .deb with apt-get, and runs scripts/test.sh with
# APITOKEN_USE_INSTALLED=1, so that every suite tests the installed package
# rather than a `make install` of the work tree.  .ci/run runs it on the
# host, scripts/matrix.sh inside each Debian root.  Needs root (apt-get).
#
# Its last line is scripts/test.sh's "N passed, M failed"; a failed
# package build or install prints "0 passed, 1 failed (package)" instead,
# so that a caller always finds a count.  The environment goes through to
# test.sh (APITOKEN_SKIP_FUZZ, APITOKEN_PORT_BASE, *_SECONDS).
#
#   PACKAGE_OUT=DIR   where package.sh writes (default: a temporary
#                     directory, removed on exit)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/scripts/deps.sh"

fail() {
	echo "test_package.sh: $*" >&2
	echo
	echo "0 passed, 1 failed (package)"
	exit 1
}

[ "$(id -u)" -eq 0 ] || fail "needs root, to install the package with apt-get"
out=${PACKAGE_OUT:-}
if [ -z "$out" ]; then
	out=$(mktemp -d /tmp/apitoken-deb.XXXXXX)
	trap 'rm -rf "$out"' EXIT
fi

echo "==> package: scripts/package.sh for PostgreSQL $PG_MAJOR"
# a PACKAGE_OUT kept from an earlier run may hold packages of another
# version: only this build's may be installed
rm -f "$out"/*.deb
SECONDS=0
PG_MAJOR=$PG_MAJOR bash "$REPO/scripts/package.sh" "$out" || fail "scripts/package.sh failed (output above)"
debs=("$out"/postgresql-"$PG_MAJOR"-apitoken_*.deb)
[ -f "${debs[0]}" ] || fail "scripts/package.sh made no postgresql-$PG_MAJOR-apitoken .deb in $out"
echo "==> installing ${debs[*]##*/} (${SECONDS}s for the package)"
# --reinstall: every build of a version has the same version number, and
# apt-get would keep an installed package of the same version
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall --no-install-recommends "${debs[@]}" >"$out/apt.log" 2>&1 ||
	{ tail -n 30 "$out/apt.log"; fail "apt-get install ${debs[*]} failed"; }

status=0
APITOKEN_USE_INSTALLED=1 bash "$REPO/scripts/test.sh" || status=$?
exit $status
