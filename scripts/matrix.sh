#!/bin/bash
# The version matrix: build and test apitoken against other PostgreSQL
# majors, each in a Debian root of its own (debootstrap + chroot).
#
#   bash scripts/matrix.sh                       # trixie (PostgreSQL 17) and sid (18)
#   MATRIX_SUITES="sid" bash scripts/matrix.sh   # only some; "suite:NN" names the major
#   MATRIX_ROOTS=/path bash scripts/matrix.sh    # where the roots live (default below)
#
# For each suite: create the root with debootstrap (or reuse it when its
# stamp file says it is complete), install the packages the build and the
# tests need, copy the git-tracked files of this tree into it, and inside it
# build as the postgres user (the Makefile builds with -Werror), `make
# install` as root, start a throwaway cluster on a private socket directory
# and port 560NN, and run `make installcheck` (pg_regress, isolation, TAP).
# bookworm's PostgreSQL 15 is the host's own: scripts/test.sh covers it.
#
# Needs root, debootstrap, git and the mirror below.  Standalone on purpose
# (it does not source scripts/common.sh).  Every stage prints "==> name" and
# "--- name: ok" or "--- name: FAILED"; the last line is "N passed, M
# failed", and the exit status is non-zero when anything failed.  Mounts and
# clusters are cleaned up on exit.

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SUITES=${MATRIX_SUITES:-trixie sid}
ROOTS=${MATRIX_ROOTS:-/var/tmp/apitoken-roots}
MIRROR=${MATRIX_MIRROR:-http://deb.debian.org/debian}
BUILD_DIR=/build/apitoken		# inside each root
CLUSTER_DIR=/tmp/apitoken-matrix	# inside each root
STAMP=.apitoken-matrix-complete	# in a root: its creation finished

passed=0
failed=0
timings=()
MOUNTED=()						# mount points to undo, innermost last
CLUSTERS=()						# "root|pg_ctl|datadir" of running clusters

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
# command's output goes to $LOGDIR/<slug>.log and is shown on failure
stage() {
	local name=$1 slug start rc
	shift
	slug=$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '_')
	log "==> $name"
	start=$(date +%s)
	STAGE_LOG=$LOGDIR/$slug.log
	"$@" >"$STAGE_LOG" 2>&1
	rc=$?
	timings+=("$(printf '%-36s %5ss' "$name" $(($(date +%s) - start)))")
	if [ $rc -eq 0 ]; then
		log "--- $name: ok"
		passed=$((passed + 1))
	else
		tail -n 80 "$LOGDIR/$slug.log"
		log "--- $name: FAILED"
		failed=$((failed + 1))
	fi
	return $rc
}

# mount fstype on a point inside a root, remembered for cleanup
mount_in() {
	local type=$1 point=$2
	mkdir -p "$point"
	mountpoint -q "$point" && return 0
	mount -t "$type" "$type" "$point" && MOUNTED+=("$point")
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

# stop the clusters this script started; then any process still running
# inside a root this script used (TAP nodes left behind by a failure)
stop_clusters() {
	local c root pgctl data p r
	for c in "${CLUSTERS[@]}"; do
		IFS='|' read -r root pgctl data <<<"$c"
		chroot "$root" runuser -u postgres -- "$pgctl" -D "$data" -m immediate stop >/dev/null 2>&1
	done
	CLUSTERS=()
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

# install the packages into the root, and bring everything in it up to
# date (a reused root gets the suite's current minor releases too)
install_packages() {
	local suite=$1 root=$2 major=$3 pkgs apt
	pkgs="postgresql-$major postgresql-server-dev-$major postgresql-$major-pgtap
		libsodium-dev make gcc libipc-run-perl python3-psycopg"
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
	$apt update || return 1
	$apt upgrade || return 1
	$apt install $pkgs || return 1
	chroot "$root" dpkg-query -W "postgresql-$major" libpq5
}

# copy the git-tracked files of this tree (as they are in the work tree)
copy_tree() {
	local root=$1
	rm -rf "$root$BUILD_DIR"
	mkdir -p "$root$BUILD_DIR"
	git -C "$REPO" ls-files -z | (cd "$REPO" && tar --null -T - -cf -) |
		tar -C "$root$BUILD_DIR" -xf - || return 1
	chroot "$root" chown -R postgres: "$BUILD_DIR"
}

# run a command inside the root as postgres, from the build directory
as_pg_in() {
	local root=$1
	shift
	chroot "$root" runuser -u postgres -- env -C "$BUILD_DIR" HOME=/tmp "$@"
}

# a free TCP port from $1 on (the roots share the host's network)
free_port() {
	local port=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null ||
		[ -e "/tmp/.s.PGSQL.$port" ]; do
		port=$((port + 1))
	done
	echo "$port"
}

# initdb and start a throwaway cluster in the root on a private socket
start_cluster() {
	local root=$1 bin=$2 port=$3
	chroot "$root" sh -c "rm -rf $CLUSTER_DIR && mkdir -p $CLUSTER_DIR/socket && chown -R postgres: $CLUSTER_DIR" || return 1
	as_pg_in "$root" "$bin/initdb" -D "$CLUSTER_DIR/data" -U postgres --auth=trust -E UTF8 \
		--locale=C.UTF-8 || return 1
	as_pg_in "$root" "$bin/pg_ctl" -w -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" \
		-o "-c listen_addresses='' -k $CLUSTER_DIR/socket -p $port -c fsync=off" start || {
		cat "$root$CLUSTER_DIR/server.log"
		return 1
	}
	CLUSTERS+=("$root|$bin/pg_ctl|$CLUSTER_DIR/data")
}

# make installcheck against that cluster.  Straight to the terminal (fd
# 3), indented so that no line looks like a stage line: each test's
# result, and on failure the diffs and the failing TAP tests' logs.
installcheck() {
	local root=$1 bin=$2 port=$3 rc f
	as_pg_in "$root" env PATH="$bin:/usr/bin:/bin" PGHOST="$CLUSTER_DIR/socket" PGPORT="$port" \
		PGUSER=postgres PGDATABASE=postgres make PG_CONFIG="$bin/pg_config" installcheck
	rc=$?
	grep -E '^(ok|not ok) |^test |tests (passed|failed)|^test/t/|^Files=|^Result:' "$STAGE_LOG" |
		sed 's/^/    /' >&3
	[ $rc -eq 0 ] && return 0
	for f in "$root$BUILD_DIR/regression.diffs" "$root$BUILD_DIR/output_iso/regression.diffs"; do
		[ -f "$f" ] && { echo "=== $f"; cat "$f"; } | sed 's/^/    /' >&3
	done
	for f in "$root$BUILD_DIR"/tmp_check/log/regress_log_*; do
		[ -f "$f" ] && grep -q 'not ok' "$f" &&
			{ echo "=== $f (tail)"; tail -n 40 "$f"; } | sed 's/^/    /' >&3
	done
	return 1
}

run_suite() {
	local entry=$1 suite major root bin port
	suite=${entry%%:*}
	major=$(pg_major "$entry")
	if [ -z "$major" ]; then
		log "==> $suite: unknown PostgreSQL major (write $suite:NN)"
		log "--- $suite: FAILED"
		failed=$((failed + 1))
		return
	fi
	root=$ROOTS/$suite
	bin=/usr/lib/postgresql/$major/bin
	USED_ROOTS+=("$root")

	stage "$suite: debootstrap" make_root "$suite" "$root" || return
	mount_in proc "$root/proc" && mount_in tmpfs "$root/dev/shm" || {
		log "--- $suite: mounts: FAILED"
		failed=$((failed + 1))
		return
	}
	stage "$suite: packages (PostgreSQL $major)" install_packages "$suite" "$root" "$major" || return
	stage "$suite: copy tree" copy_tree "$root" || return
	stage "$suite: build (-Werror)" as_pg_in "$root" make PG_CONFIG="$bin/pg_config" || return
	stage "$suite: make install" chroot "$root" make -C "$BUILD_DIR" PG_CONFIG="$bin/pg_config" install || return
	port=$(free_port $((56000 + major)))
	stage "$suite: cluster (port $port)" start_cluster "$root" "$bin" "$port" || return
	stage "$suite: installcheck" installcheck "$root" "$bin" "$port"
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
exec 3>&1

for entry in $SUITES; do
	run_suite "$entry"
	stop_clusters
	unmount_all "$ROOTS/${entry%%:*}/"
done

log ""
log "stage times:"
for t in "${timings[@]}"; do log "  $t"; done
log "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
