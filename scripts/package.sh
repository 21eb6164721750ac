#!/usr/bin/env bash
# scripts/package.sh [OUTDIR]: build the Debian packages postgresql-NN-apitoken.
#
# Builds from a clean copy of the committed tree (git archive HEAD, so
# uncommitted changes are not in the package), with debian/ and
# pg_buildext as Debian builds PostgreSQL extensions, for every PostgreSQL
# major whose server is installed here (15 or later, see debian/pgversions),
# or only for PG_MAJOR=NN.  The build runs the pg_regress and isolation
# suites against each package in a throwaway cluster.  Then lintian; then
# it prints where the .deb files are.
#
# OUTDIR defaults to build/debian in the repository (ignored by git).  It
# holds the .deb, .changes, .buildinfo, .dsc and source tarball of the
# build, and build.log and lintian.log.
#
# Build dependencies (scripts/deps.sh, set "package") are installed with
# apt-get when run as root or through sudo; otherwise the script prints
# the apt-get command and stops.  It works on any Debian release with
# postgresql-common (bookworm, trixie, sid).
#
#   PG_MAJOR=NN        build for this major only (its server and
#                      postgresql-server-dev-NN are installed if missing)
#   DEB_BUILD_OPTIONS  passed through (nocheck skips the build-time tests)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$REPO/build/debian}
# only the caller's PG_MAJOR restricts the build (deps.sh picks a default)
WANT_MAJOR=${PG_MAJOR:-}
. "$REPO/scripts/deps.sh"

die() {
	echo "package.sh: $*" >&2
	exit 1
}

[ -n "$WANT_MAJOR" ] && ! [[ $WANT_MAJOR =~ ^[0-9]+$ ]] && die "PG_MAJOR must be a major version number, like 15"
git -C "$REPO" rev-parse --verify HEAD >/dev/null || die "cannot read the commit to package in $REPO (git says why above)"
# debian/pgversions is "NN+": the oldest major the package supports
min_major=$(git -C "$REPO" show HEAD:debian/pgversions | sed -n 's/^\([0-9][0-9]*\)+$/\1/p' | head -n 1)
if [ -n "$WANT_MAJOR" ] && [ -n "$min_major" ] && [ "$WANT_MAJOR" -lt "$min_major" ]; then
	die "PostgreSQL $WANT_MAJOR is older than the oldest major debian/pgversions allows ($min_major)"
fi

# What the build needs (deps.sh's "package" set: the Build-Depends of
# debian/control.in and the tools), and for PG_MAJOR a major the release
# may not list as supported
if [ -n "$WANT_MAJOR" ]; then ensure_deps package build; else ensure_deps package; fi

# the majors to build for: PG_MAJOR, or every installed server with its
# development files (pg_buildext keeps those debian/pgversions allows)
if [ -n "$WANT_MAJOR" ]; then
	majors=$WANT_MAJOR
else
	majors=$(for d in /usr/lib/postgresql/*/bin/postgres; do
		[ -x "$d" ] || continue
		v=${d#/usr/lib/postgresql/}
		v=${v%%/*}
		[ -e "/usr/lib/postgresql/$v/lib/pgxs/src/makefiles/pgxs.mk" ] && echo "$v"
	done | sort -n | xargs)
fi
[ -n "$majors" ] || die "no PostgreSQL server with its development files is installed"
# pg_buildext builds for debian/pgversions intersected with this list
export PG_SUPPORTED_VERSIONS="$majors"

# a clean copy of the committed tree; PostgreSQL runs the build-time tests
# as postgres when this runs as root, and reads the package's files from
# the copy, so it must be able to get in
work=$(mktemp -d "${TMPDIR:-/tmp}/apitoken-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
git -C "$REPO" archive --format=tar --prefix=src/ HEAD | tar -x -C "$work"
src=$work/src
commit=$(git -C "$REPO" rev-parse --short HEAD)
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then
	echo "==> note: uncommitted changes in $REPO are not in the package (it is built from $commit)"
fi

cd "$src"
versions=$(pg_buildext supported-versions | xargs)
[ -n "$versions" ] || die "debian/pgversions ($(xargs <debian/pgversions)) allows none of the majors: $majors"
# debian/control lists one binary package per major: the ones built here
pg_buildext updatecontrol
version=$(dpkg-parsechangelog -S Version)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
echo "==> building apitoken $version ($commit) for PostgreSQL $versions (log: $OUT/build.log)"
if ! dpkg-buildpackage -us -uc >"$OUT/build.log" 2>&1; then
	tail -n 60 "$OUT/build.log"
	die "dpkg-buildpackage failed; the whole log is $OUT/build.log"
fi
grep -E '^ *All [0-9]+ tests passed' "$OUT/build.log" | sed 's/^ */    /' || true

# what dpkg-buildpackage wrote next to the tree
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
changes=apitoken_${version}_${arch}.changes
mapfile -t files < <(awk '/^Files:/ { f = 1; next } /^[^ ]/ { f = 0 } f { print $NF }' "$work/$changes")
files=("$changes" "${files[@]}")
for f in "${files[@]}"; do
	cp "$work/$f" "$OUT/"
done

echo "==> lintian"
# errors fail the script; warnings and the rest (info, pedantic,
# experimental) are shown
set +e
lintian --display-info --pedantic --display-experimental --fail-on error "$OUT/$changes" >"$OUT/lintian.log" 2>&1
lintian_status=$?
set -e
sed -i '/^running with root privileges is not recommended!$/d' "$OUT/lintian.log"
if [ -s "$OUT/lintian.log" ]; then sed 's/^/    /' "$OUT/lintian.log"; else echo "    no tags"; fi

echo
echo "Packages in $OUT:"
for f in "${files[@]}"; do
	case $f in *.deb) echo "  $OUT/$f" ;; esac
done
echo "Install with:"
for f in "${files[@]}"; do
	case $f in *-dbgsym_*) ;; *.deb) echo "  sudo apt-get install $OUT/$f" ;; esac
done
[ "$lintian_status" -eq 0 ] || die "lintian reported errors (see above)"
