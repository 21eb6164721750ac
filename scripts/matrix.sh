#!/bin/bash
# The version matrix: the test command, against the Debian package, on
# other PostgreSQL majors, each in a Debian root of its own (debootstrap +
# chroot), and a dump from the host's PostgreSQL 15 restored into each.
#
#   bash scripts/matrix.sh                       # trixie (PostgreSQL 17) and sid (18)
#   MATRIX_SUITES="sid" bash scripts/matrix.sh   # only some; "suite:NN" names the major
#   MATRIX_ROOTS=/path bash scripts/matrix.sh    # where the roots live (default below)
#
# The dump (test/dump_major/run.sh dump) is taken on PostgreSQL $DUMP_MAJOR
# (15): in the root of a suite of that major when MATRIX_SUITES names one
# ("bookworm trixie sid"; it runs first, and the dump is taken after its
# suites, from its package), else first of all on the host, with the
# apitoken installed there (.ci/run installs the package just before; it
# must be the tree's version).  For each suite: create the root with debootstrap (or reuse it when its
# stamp file says it is complete), mount /proc, /dev/pts and /dev/shm
# (PostgreSQL's dynamic shared memory) in it, install the packages of
# scripts/deps.sh's sets package, build, regress, memcheck and client for
# the suite's major (and git), clone this repository's HEAD into it, and
# inside it, as root, run scripts/test_package.sh: scripts/package.sh
# builds postgresql-NN-apitoken (its build runs pg_regress and isolation,
# then lintian), apt-get installs it, and scripts/test.sh runs every
# suite against the installed package (APITOKEN_USE_INSTALLED=1):
# installcheck (pg_regress, isolation, TAP), memcheck, clientcheck
# (pgbouncer on 127.0.0.1), loadcheck.  fuzzcheck needs no PostgreSQL and
# is skipped in the roots (APITOKEN_SKIP_FUZZ=1; the host runs it).  Then
# test/dump_major/run.sh restore: the host's dump in a fresh cluster of the
# root's major must answer exactly as on 15.  Clusters run as postgres
# (runuser) on private sockets; the roots share the host's loopback, so
# each major gets its own port range (APITOKEN_PORT_BASE 55000 + 100*NN).
#
# Needs root, debootstrap, git and the mirror below.  Standalone on purpose
# (it does not source scripts/common.sh).  Every stage prints "==> name" and
# "--- name: ok" or "--- name: FAILED" (test.sh's own stage lines are shown
# indented under its stage; on failure, the output of its failing stages,
# with the regression diffs).  At the end: stage times, one line per
# version, "PostgreSQL NN (suite): N passed, M failed ...; dump from 15:
# ok|FAILED", then "matrix: PostgreSQL NN: N passed, M failed / ..." and
# the exit status is non-zero when anything failed.  Mounts and processes
# in the roots are cleaned up on exit.
#
#   MATRIX_SKIP_DUMP=1  no dump stage (shown as skipped in the version lines)
#   MATRIX_BENCH=1      no tests: bench/run's smoke run (BENCH_QUICK=1) in
#                       each root instead, its raw figures copied to
#                       bench/versions/NN/ for bench/report (not for CI)
#   KEEP_LOGS=1         keep the stage logs (printed at the end)

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SUITES=${MATRIX_SUITES:-trixie sid}
ROOTS=${MATRIX_ROOTS:-/var/tmp/apitoken-roots}
MIRROR=${MATRIX_MIRROR:-http://deb.debian.org/debian}
BUILD_DIR=/build/apitoken		# inside each root: a clone of HEAD
DUMP_IN_ROOT=/tmp/apitoken-dump	# inside each root: the host's dump
DUMP_MAJOR=15					# the host's major the dump is taken on
STAMP=.apitoken-matrix-complete	# in a root: its creation finished

passed=0
failed=0
timings=()
versions=()						# one summary line per suite
closing=()						# "NN: N passed, M failed" per suite
MOUNTED=()						# mount points to undo, innermost last
DUMP_STATUS=""					# ok, FAILED or skipped: the dump on the host

log() { printf '%s\n' "$*"; }

# the PostgreSQL major a suite ships ("suite:NN" overrides)
pg_major() {
	case $1 in
		*:*) echo "${1#*:}" ;;
		bookworm) echo 15 ;;
		trixie) echo 17 ;;
		sid | unstable) echo 18 ;;
		*) echo "" ;;
	esac
}

# apt options a suite needs: sid's Release file on the mirror may be past
# its Valid-Until date, which apt refuses by default
apt_opts() {
	case $1 in
		sid | unstable) echo "-o Acquire::Check-Valid-Until=false" ;;
		*) echo "" ;;
	esac
}

# run a stage: "==> name", the command, "--- name: ok|FAILED"; the
# command's output goes to $LOGDIR/<slug>.log and its tail is shown on
# failure, unless the command showed what matters itself (fd 3, then
# STAGE_REPORTED=1)
stage() {
	local name=$1 slug start rc
	shift
	slug=$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '_')
	log "==> $name"
	start=$(date +%s)
	STAGE_LOG=$LOGDIR/$slug.log
	STAGE_REPORTED=0
	"$@" >"$STAGE_LOG" 2>&1
	rc=$?
	timings+=("$(printf '%-64s %5ss' "$name" $(($(date +%s) - start)))")
	if [ $rc -eq 0 ]; then
		log "--- $name: ok"
		passed=$((passed + 1))
	else
		[ "$STAGE_REPORTED" = 1 ] || tail -n 80 "$STAGE_LOG"
		log "--- $name: FAILED"
		failed=$((failed + 1))
	fi
	return $rc
}

# mount fstype on a point inside a root ("bind" binds the host's path of
# the same name), remembered for cleanup
mount_in() {
	local type=$1 point=$2 root=$3
	mkdir -p "$point"
	mountpoint -q "$point" && return 0
	if [ "$type" = bind ]; then
		mount --bind "${point#"$root"}" "$point" && MOUNTED+=("$point")
	else
		mount -t "$type" "$type" "$point" && MOUNTED+=("$point")
	fi
}

# undo the mounts of one root (or all), innermost first
unmount_all() {
	local prefix=${1:-/} i keep=()
	for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
		case ${MOUNTED[i]} in
			"$prefix"*) umount "${MOUNTED[i]}" 2>/dev/null || umount -l "${MOUNTED[i]}" ;;
			*) keep=("${MOUNTED[i]}" "${keep[@]}") ;;
		esac
	done
	MOUNTED=("${keep[@]}")
}

# stop any process still running inside a root this script used
# (clusters, pgbouncer or TAP nodes left behind by a failure or an
# interrupt; the scripts inside stop their own when they end normally)
stop_clusters() {
	local root p r
	for root in "${USED_ROOTS[@]}"; do
		for p in /proc/[0-9]*; do
			r=$(readlink "$p/root" 2>/dev/null) || continue
			[ "$r" = "$root" ] && kill -9 "${p#/proc/}" 2>/dev/null
		done
	done
}

USED_ROOTS=()
cleanup() {
	stop_clusters
	unmount_all /
	[ -n "${LOGDIR:-}" ] && [ "${KEEP_LOGS:-0}" != 1 ] && rm -rf "$LOGDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# is anything mounted at or below a path?
has_mounts() {
	findmnt -rn -o TARGET | grep -q "^$1\(/\|$\)"
}

# create the root with debootstrap, unless a complete one is there
make_root() {
	local suite=$1 root=$2
	if [ -f "$root/$STAMP" ]; then
		echo "reusing $root"
		return 0
	fi
	if [ -e "$root" ]; then
		has_mounts "$root" && { echo "$root has mounts; not removing it"; return 1; }
		echo "removing incomplete $root"
		rm -rf "$root"
	fi
	mkdir -p "$ROOTS"
	debootstrap --variant=minbase "$suite" "$root" "$MIRROR" || return 1
	date -u +%FT%TZ >"$root/$STAMP"
}

# install what the suites and the package build need for the major (the
# sets of scripts/deps.sh, and git for scripts/package.sh), and bring
# everything in the root up to date (a reused root gets the suite's
# current minor releases too)
install_packages() {
	local suite=$1 root=$2 major=$3 pkgs apt sets="package build regress memcheck client"
	[ "${MATRIX_BENCH:-0}" = 1 ] && sets="$sets bench"
	pkgs="git $(PG_MAJOR=$major bash "$REPO/scripts/deps.sh" --list $sets)" || return 1
	# no service starts inside the root, and no cluster is made by the packages
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	mkdir -p "$root/etc/postgresql-common"
	[ -f "$root/etc/postgresql-common/createcluster.conf" ] ||
		echo "create_main_cluster = false" >"$root/etc/postgresql-common/createcluster.conf"
	# a stable suite's current minor releases are in -updates and -security
	case $suite in
		sid | unstable) ;;
		*)
			grep -q -- "$suite-security" "$root/etc/apt/sources.list" ||
				printf 'deb %s %s-updates main\ndeb %s-security %s-security main\n' \
					"$MIRROR" "$suite" "$MIRROR" "$suite" >>"$root/etc/apt/sources.list"
			;;
	esac
	apt="chroot $root env DEBIAN_FRONTEND=noninteractive apt-get $(apt_opts "$suite") -q -y
		--no-install-recommends -o Dpkg::Options::=--force-confold"
	echo "packages: $pkgs"
	$apt update || return 1
	$apt upgrade || return 1
	$apt install $pkgs || return 1
	chroot "$root" dpkg-query -W "postgresql-$major" libpq5 pgbouncer valgrind python3-psycopg
	# postgresql-all (Build-Depends) pulls the servers of every major the
	# release supports: one on trixie and sid; the package is built for
	# $major only (PG_MAJOR)
	echo "servers: $(cd "$root/usr/lib/postgresql" && echo *)"
}

# clone this repository into the root and check out HEAD: scripts/package.sh
# packages the committed tree, and the suites run from the same commit
copy_tree() {
	local root=$1 head
	head=$(git -C "$REPO" rev-parse HEAD) || return 1
	rm -rf "$root$BUILD_DIR"
	mkdir -p "$(dirname "$root$BUILD_DIR")"
	git clone -q --no-hardlinks "$REPO" "$root$BUILD_DIR" || return 1
	git -C "$root$BUILD_DIR" checkout -q --detach "$head" || return 1
	echo "commit $(git -C "$REPO" log -1 --format='%h %s')"
	if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then
		echo "note: uncommitted changes in $REPO are not tested in the roots" >&3
	fi
}

# the dump of tokens of every kind (test/dump_major), into $DUMP_DIR
dump_on_host() {
	PG_MAJOR=$DUMP_MAJOR APITOKEN_PORT_BASE=55900 bash "$REPO/test/dump_major/run.sh" dump "$DUMP_DIR"
}

# the same, in a root of that major, from its installed package
dump_in_root() {
	local root=$1
	rm -rf "$root$DUMP_IN_ROOT" "$DUMP_DIR"
	chroot "$root" env -C "$BUILD_DIR" PG_MAJOR="$DUMP_MAJOR" APITOKEN_PORT_BASE=$((55000 + 100 * DUMP_MAJOR + 90)) \
		bash test/dump_major/run.sh dump "$DUMP_IN_ROOT" || return 1
	cp -r "$root$DUMP_IN_ROOT" "$DUMP_DIR"
}

# take the dump: "ok" or "FAILED" in DUMP_STATUS
take_dump() {
	if stage "$@"; then DUMP_STATUS=ok; else DUMP_STATUS=FAILED; fi
}

# scripts/test_package.sh inside the root: package, install, every suite.
# test.sh's stage lines go to the terminal as they come, indented; on
# failure, the whole output of each failing stage (it holds the diffs and
# logs), or the tail when no stage failed (the package did not build)
tests_in_root() {
	local root=$1 major=$2 out=$3 rc blocks
	chroot "$root" env -C "$BUILD_DIR" PG_MAJOR="$major" APITOKEN_SKIP_FUZZ=1 \
		APITOKEN_PORT_BASE=$((55000 + 100 * major)) PACKAGE_OUT=/tmp/apitoken-deb \
		${FUZZ_SECONDS:+FUZZ_SECONDS=$FUZZ_SECONDS} ${CLIENT_SECONDS:+CLIENT_SECONDS=$CLIENT_SECONDS} \
		${LOAD_SECONDS:+LOAD_SECONDS=$LOAD_SECONDS} \
		bash scripts/test_package.sh 2>&1 | tee "$out" |
		grep --line-buffered -E '^(==>|---) |^[0-9]+ passed' | sed -u 's/^/    /' >&3
	rc=${PIPESTATUS[0]}
	[ "$rc" -eq 0 ] && return 0
	blocks=$(awk '/^==> /{ buf = ""; inb = 1 } inb { buf = buf $0 "\n" } /^--- .*: FAILED/ { printf "%s", buf; inb = 0 }' "$out")
	if [ -n "$blocks" ]; then
		printf '%s\n' "$blocks" | head -n 800 | sed 's/^/    | /' >&3
	else
		tail -n 80 "$out" | sed 's/^/    | /' >&3
	fi
	STAGE_REPORTED=1
	return "$rc"
}

# MATRIX_BENCH=1: bench/run's smoke run in the root; its raw figures go to
# bench/versions/NN/ of this tree
bench_in_root() {
	local root=$1 major=$2 out=$3
	rm -rf "$root/tmp/apitoken-bench"
	if ! chroot "$root" env -C "$BUILD_DIR" PG_MAJOR="$major" BENCH_QUICK=1 BENCH_OUT=/tmp/apitoken-bench \
		APITOKEN_PORT_BASE=$((55000 + 100 * major)) bash bench/run >"$out" 2>&1; then
		tail -n 40 "$out" | sed 's/^/    | /' >&3
		return 1
	fi
	mkdir -p "$REPO/bench/versions/$major"
	cp "$root/tmp/apitoken-bench/results.tsv" "$root/tmp/apitoken-bench/run_info.tsv" "$REPO/bench/versions/$major/"
}

# the host's dump restored in a fresh cluster of the root's major
restore_in_root() {
	local root=$1 major=$2
	rm -rf "$root$DUMP_IN_ROOT"
	cp -r "$DUMP_DIR" "$root$DUMP_IN_ROOT" || return 1
	chroot "$root" env -C "$BUILD_DIR" PG_MAJOR="$major" APITOKEN_PORT_BASE=$((55000 + 100 * major + 90)) \
		bash test/dump_major/run.sh restore "$DUMP_IN_ROOT"
}

# the restore stage of a suite, if there is a dump; its result in DUMP_RESULT
restore_stage() {
	local suite=$1 root=$2 major=$3
	case $DUMP_STATUS in
		ok)
			if stage "$suite: restore the PostgreSQL $DUMP_MAJOR dump" restore_in_root "$root" "$major"; then
				DUMP_RESULT=ok
			else
				DUMP_RESULT=FAILED
			fi
			;;
		skipped) DUMP_RESULT=skipped ;;
		*)
			DUMP_RESULT="FAILED (no dump to restore)"
			failed=$((failed + 1))
			;;
	esac
}

# one suite; appends its lines to versions and closing
run_suite() {
	local entry=$1 suite major root out count dump
	suite=${entry%%:*}
	major=$(pg_major "$entry")
	if [ -z "$major" ]; then
		log "==> $suite: unknown PostgreSQL major (write $suite:NN)"
		log "--- $suite: FAILED"
		failed=$((failed + 1))
		versions+=("$suite: unknown PostgreSQL major: FAILED")
		closing+=("$suite: FAILED")
		return
	fi
	root=$ROOTS/$suite
	USED_ROOTS+=("$root")
	# until the suites ran, the version's line says which stage stopped it
	versions+=("PostgreSQL $major ($suite): not run (see the FAILED stage above)")
	closing+=("$major: not run")

	stage "$suite: debootstrap" make_root "$suite" "$root" || return
	if ! { mount_in proc "$root/proc" "$root" && mount_in bind "$root/dev/pts" "$root" &&
		mount_in tmpfs "$root/dev/shm" "$root"; }; then
		log "--- $suite: mounts: FAILED"
		failed=$((failed + 1))
		return
	fi
	stage "$suite: packages (PostgreSQL $major)" install_packages "$suite" "$root" "$major" || return
	stage "$suite: clone HEAD" copy_tree "$root" || return
	if [ "${MATRIX_BENCH:-0}" = 1 ]; then
		stage "$suite: bench/run smoke run (PostgreSQL $major)" bench_in_root "$root" "$major" "$LOGDIR/bench-$suite.log" &&
			versions[-1]="PostgreSQL $major ($suite): smoke-run figures in bench/versions/$major" &&
			closing[-1]="$major: bench ok"
		return
	fi
	out=$LOGDIR/tests-$suite.log
	stage "$suite: package, install, scripts/test.sh (PostgreSQL $major)" tests_in_root "$root" "$major" "$out"
	count=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	[ -n "$count" ] || count="0 passed, 1 failed (no count: see above)"
	if [ "$entry" = "$DUMP_SUITE" ]; then
		take_dump "$suite: take the PostgreSQL $DUMP_MAJOR dump" dump_in_root "$root"
		dump="taken here, $DUMP_STATUS"
	else
		restore_stage "$suite" "$root" "$major"
		dump=$DUMP_RESULT
	fi
	versions[-1]="PostgreSQL $major ($suite): $count; dump from $DUMP_MAJOR: $dump"
	closing[-1]="$major: $count, dump $dump"
	stop_clusters
	unmount_all "$root/"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "scripts/matrix.sh needs root (debootstrap, chroot, mount)" >&2
	exit 2
fi
for tool in debootstrap git chroot findmnt flock; do
	command -v "$tool" >/dev/null || {
		echo "missing $tool (apt-get install -y $tool)" >&2
		exit 2
	}
done
mkdir -p "$ROOTS"
# one run at a time per set of roots: cleanup stops every process in them
exec 9>"$ROOTS/.matrix.lock"
flock -n 9 || {
	echo "another scripts/matrix.sh is using $ROOTS" >&2
	exit 2
}
LOGDIR=$(mktemp -d /tmp/apitoken-matrix.XXXXXX)
DUMP_DIR=$LOGDIR/dump
exec 3>&1
MATRIX_START=$(date +%s)

# the suite the dump is taken in, if any, runs first
DUMP_SUITE=""
for entry in $SUITES; do
	if [ "$(pg_major "$entry")" = "$DUMP_MAJOR" ]; then
		DUMP_SUITE=$entry
		break
	fi
done
if [ -n "$DUMP_SUITE" ]; then
	SUITES="$DUMP_SUITE $(for e in $SUITES; do [ "$e" = "$DUMP_SUITE" ] || printf '%s ' "$e"; done)"
fi
if [ "${MATRIX_SKIP_DUMP:-0}" = 1 ] || [ "${MATRIX_BENCH:-0}" = 1 ]; then
	log "--- dump on PostgreSQL $DUMP_MAJOR: skipped (MATRIX_SKIP_DUMP=1 or MATRIX_BENCH=1)"
	DUMP_STATUS=skipped
	DUMP_SUITE=""
elif [ -z "$DUMP_SUITE" ]; then
	take_dump "dump on the host's PostgreSQL $DUMP_MAJOR" dump_on_host
fi

for entry in $SUITES; do
	run_suite "$entry"
	stop_clusters
	unmount_all "$ROOTS/${entry%%:*}/"
done

log ""
log "stage times:"
for t in "${timings[@]}"; do log "  $t"; done
log "  $(printf '%-64s %5ss' "matrix in all" $(($(date +%s) - MATRIX_START)))"
[ "${KEEP_LOGS:-0}" = 1 ] && log "logs kept in $LOGDIR"
log "$passed stages passed, $failed failed"
for v in "${versions[@]}"; do log "$v"; done
log "matrix: PostgreSQL $(IFS=/; printf '%s' "${closing[*]}" | sed 's|/| / |g')"
[ "$failed" -eq 0 ]
