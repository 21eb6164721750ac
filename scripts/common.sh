# scripts/common.sh: helpers shared by the scripts that start clusters
# (scripts/, test/*/run.sh, bench/).
#
# They build and install the extension and run a throwaway cluster of
# PostgreSQL $PG_MAJOR (scripts/deps.sh chooses the major and installs
# packages).  PostgreSQL refuses to run as root, so when run as root the cluster (and every test that starts its own
# clusters) runs as the "postgres" OS user, from a copy of the tree in a
# temporary directory, because the checkout may live where that user cannot
# read (/root).  Everything made here is removed on exit, once the script
# has called cleanup_on_exit.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/scripts/deps.sh"
# PG_CONFIG in the environment picks another install of that major (e.g. a
# private copy under /opt); by default, Debian's
if [ -n "${PG_CONFIG:-}" ]; then
	PGBIN=$("$PG_CONFIG" --bindir)
else
	PGBIN=/usr/lib/postgresql/$PG_MAJOR/bin
fi
export PG_CONFIG=$PGBIN/pg_config
CLEANUP_DIRS=()
CLUSTER_DATA=""
EXIT_HOOK=""

# build the extension and install it into PostgreSQL $PG_MAJOR; with
# APITOKEN_USE_INSTALLED=1, build nothing and only check that it is
# installed already (from the Debian package), at the tree's version
build_and_install() {
	if [ "${APITOKEN_USE_INSTALLED:-0}" = 1 ]; then
		check_installed
		return
	fi
	echo "==> building"
	make -C "$REPO" -s clean >/dev/null
	make -C "$REPO" -s all
	echo "==> installing"
	if ! as_root make -C "$REPO" -s install >/dev/null; then
		echo "cannot install into $($PG_CONFIG --pkglibdir); rerun with sudo" >&2
		exit 1
	fi
	make -C "$REPO" -s clean >/dev/null
}

# the installed library, control file and install script of the tree's
# default version, or exit saying what is missing
check_installed() {
	local lib ext want have f
	lib=$($PG_CONFIG --pkglibdir)
	ext=$($PG_CONFIG --sharedir)/extension
	want=$(sed -n "s/^default_version = '\(.*\)'$/\1/p" "$REPO/apitoken.control")
	for f in "$lib/apitoken.so" "$ext/apitoken.control" "$ext/apitoken--$want.sql"; do
		if [ ! -f "$f" ]; then
			echo "APITOKEN_USE_INSTALLED=1: $f is missing; install postgresql-$PG_MAJOR-apitoken" \
				"(scripts/package.sh builds it) or unset APITOKEN_USE_INSTALLED to build and install this tree" >&2
			exit 1
		fi
	done
	have=$(sed -n "s/^default_version = '\(.*\)'$/\1/p" "$ext/apitoken.control")
	if [ "$have" != "$want" ]; then
		echo "APITOKEN_USE_INSTALLED=1: the installed apitoken is $have, this tree's is $want" >&2
		exit 1
	fi
	echo "==> using the installed apitoken $have ($lib/apitoken.so$(installed_by "$lib/apitoken.so"))"
}

# ", package P" when a Debian package owns the file
installed_by() {
	local p
	p=$(dpkg-query -S "$1" 2>/dev/null | cut -d: -f1) || true
	[ -n "$p" ] && echo ", package $p $(dpkg-query -W -f='${Version}' "$p")"
	return 0
}

# the OS user that runs clusters
pg_user() {
	if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

# run a command as that user, from /tmp, keeping the PostgreSQL environment
as_pg() {
	local vars=(PATH="$PGBIN:$PATH" PG_CONFIG="$PG_CONFIG") v
	for v in PGHOST PGPORT PGUSER PGDATABASE FUZZ_SECONDS PYTHON; do
		[ -n "${!v:-}" ] && vars+=("$v=${!v}")
	done
	if [ "$(id -u)" -eq 0 ]; then
		(cd /tmp && runuser -u postgres -- env HOME=/tmp "${vars[@]}" "$@")
	else
		env "${vars[@]}" "$@"
	fi
}

# make a temporary directory the cluster user owns, in $TMPDIR_MADE;
# removed on exit
make_tempdir() {
	TMPDIR_MADE=$(mktemp -d /tmp/apitoken.XXXXXX)
	chmod 755 "$TMPDIR_MADE"
	if [ "$(id -u)" -eq 0 ]; then chown postgres: "$TMPDIR_MADE"; fi
	CLEANUP_DIRS+=("$TMPDIR_MADE")
}

# stop the cluster and remove the temporary directories, after running
# EXIT_HOOK; exits with the status the script was leaving with
cleanup() {
	local rc=$?
	set +e
	if [ -n "$EXIT_HOOK" ]; then
		"$EXIT_HOOK"
	fi
	if [ -n "$CLUSTER_DATA" ] && [ -f "$CLUSTER_DATA/postmaster.pid" ]; then
		as_pg pg_ctl -D "$CLUSTER_DATA" -m immediate stop >/dev/null 2>&1
	fi
	if [ "${KEEP_TMP:-0}" != 1 ]; then
		for d in "${CLEANUP_DIRS[@]}"; do rm -rf "$d"; done
	fi
	exit $rc
}

# every script that sources this file calls this first: cleanup() runs on
# exit, after the optional function named by $1 (which must not exit)
cleanup_on_exit() {
	EXIT_HOOK=${1:-}
	trap cleanup EXIT INT TERM
}

# a free TCP port number, starting at $1
free_port() {
	local port=$1
	while as_pg pg_isready -q -h /tmp -p "$port" >/dev/null 2>&1 ||
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
		port=$((port + 1))
	done
	echo "$port"
}

# start a throwaway cluster on a private socket; exports PGHOST, PGPORT, PGUSER
start_cluster() {
	local dir port
	make_tempdir
	dir=$TMPDIR_MADE
	port=$(free_port "${APITOKEN_PORT_BASE:-54329}")
	CLUSTER_DATA=$dir/data
	mkdir "$dir/socket"
	if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir/socket"; fi
	echo "==> starting a throwaway cluster (port $port, socket $dir/socket)"
	as_pg initdb -D "$CLUSTER_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log"; exit 1; }
	export PGHOST=$dir/socket PGPORT=$port PGUSER=postgres PGDATABASE=postgres
	CLUSTER_LOG=$dir/server.log
	pg_start
}

# start the throwaway cluster's server on its socket and port, with
# EXTRA_PG_OPTS as they are now
pg_start() {
	if ! as_pg pg_ctl -w -D "$CLUSTER_DATA" -l "$CLUSTER_LOG" \
		-o "-c listen_addresses='' -k $PGHOST -p $PGPORT -c fsync=off ${EXTRA_PG_OPTS:-}" start >/dev/null; then
		tail -n 50 "$CLUSTER_LOG"
		exit 1
	fi
}

# restart it, with EXTRA_PG_OPTS as they are now
restart_cluster() {
	as_pg pg_ctl -w -D "$CLUSTER_DATA" -m fast stop >/dev/null
	pg_start
}

# a copy of the tree (without .git) the cluster user can read and write,
# in $WORK
work_copy() {
	make_tempdir
	WORK=$TMPDIR_MADE
	tar -C "$REPO" --exclude=.git -cf - . | tar -C "$WORK" -xf -
	if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$WORK"; fi
}

# the first free port for a stage's own servers (pgbouncer, an HTTP
# server), from APITOKEN_AUX_PORT_BASE (default: the cluster's port + 1)
aux_port() {
	free_port "${1:-${APITOKEN_AUX_PORT_BASE:-$((PGPORT + 1))}}"
}

# start Debian's pgbouncer on 127.0.0.1, as the cluster user, in
# transaction pooling mode, in front of database $1 of the throwaway
# cluster (which must listen on 127.0.0.1), with $2 server connections per
# user, trust authentication (local testing only), for users $3...; sets
# BOUNCER_PORT and BOUNCER_LOG.  The script's exit hook must call
# stop_bouncer.
BOUNCER_PID=""
start_bouncer() {
	local db=$1 pool=$2 dir u ready=0
	shift 2
	make_tempdir
	dir=$TMPDIR_MADE
	BOUNCER_PORT=$(aux_port)
	BOUNCER_LOG=$dir/pgbouncer.log
	cat >"$dir/pgbouncer.ini" <<INI
[databases]
$db = host=127.0.0.1 port=$PGPORT dbname=$db

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = $pool
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 50
logfile = $BOUNCER_LOG
pidfile = $dir/pgbouncer.pid
INI
	: >"$dir/userlist.txt"
	for u; do printf '"%s" ""\n' "$u" >>"$dir/userlist.txt"; done
	if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"/*; fi
	as_pg /usr/sbin/pgbouncer -d -q "$dir/pgbouncer.ini"
	for _ in $(seq 100); do [ -s "$dir/pgbouncer.pid" ] && break; sleep 0.1; done
	BOUNCER_PID=$(cat "$dir/pgbouncer.pid" 2>/dev/null || true)
	for _ in $(seq 100); do
		if as_pg psql -X -q -h 127.0.0.1 -p "$BOUNCER_PORT" -U "$1" -d "$db" -c 'SELECT 1' >/dev/null 2>&1; then
			ready=1
			break
		fi
		sleep 0.1
	done
	if [ $ready -ne 1 ]; then
		tail -n 30 "$BOUNCER_LOG" 2>/dev/null || true
		echo "pgbouncer did not come up on 127.0.0.1:$BOUNCER_PORT" >&2
		return 1
	fi
}

# stop pgbouncer if start_bouncer started it
stop_bouncer() {
	if [ -n "$BOUNCER_PID" ]; then
		kill "$BOUNCER_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$BOUNCER_PID" 2>/dev/null || break; sleep 0.1; done
	fi
}
