#!/usr/bin/env bash
# scripts/deps.sh: every Debian package the project's scripts need, and the
# PostgreSQL major they are for, in one place.
#
#   bash scripts/deps.sh SET...   install the packages of these sets
#   bash scripts/deps.sh --list SET...   print them, install nothing
#   . scripts/deps.sh             (from another script) defines PG_MAJOR,
#                                 deps_packages and ensure_deps
#
# Sets: build (compile and install the extension), regress (make
# installcheck: pg_regress, isolation, TAP; the TAP tests need pg_cron and
# psycopg), fuzz, memcheck, client, bench, package, and test (everything
# scripts/test.sh runs).
#
# PG_MAJOR is the PostgreSQL major to build and test against: taken from
# the environment when set, else the one this Debian release ships
# (bookworm 15, trixie 17, forky and sid 18), else the newest installed.

# the PostgreSQL major this machine's Debian release ships
deps_default_major() {
	local codename="" dir newest=""
	if [ -r /etc/os-release ]; then
		codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	fi
	case $codename in
	bookworm) echo 15; return ;;
	trixie) echo 17; return ;;
	forky | sid) echo 18; return ;;
	esac
	for dir in /usr/lib/postgresql/*/bin/pg_config; do
		[ -x "$dir" ] && newest=$(basename "$(dirname "$(dirname "$dir")")")
	done
	echo "${newest:-15}"
}

PG_MAJOR=${PG_MAJOR:-$(deps_default_major)}
export PG_MAJOR

# the packages of the named sets, one line
deps_packages() {
	local set out=()
	for set in "$@"; do
		case $set in
		build) out+=(postgresql-"$PG_MAJOR" postgresql-server-dev-"$PG_MAJOR" libsodium-dev make gcc) ;;
		regress) out+=(libipc-run-perl postgresql-"$PG_MAJOR"-cron python3-psycopg) ;;
		fuzz) out+=(gcc clang libclang-rt-dev python3) ;;
		memcheck) out+=(valgrind) ;;
		client) out+=(pgbouncer python3-psycopg python3-psycopg-pool) ;;
		bench) out+=(gnuplot-nox python3) ;;
		package) out+=(build-essential debhelper dpkg-dev lintian libsodium-dev postgresql-all postgresql-server-dev-all) ;;
		test) out+=($(deps_packages build regress fuzz memcheck client)) ;;
		*)
			echo "deps.sh: unknown set \"$set\" (build, regress, fuzz, memcheck, client, bench, package, test)" >&2
			return 1
			;;
		esac
	done
	echo "${out[@]}"
}

# run a command as root: directly, through sudo, or not at all
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo "$@"
	else
		return 1
	fi
}

# install the packages of the named sets that are missing; when that is
# not possible, print the exact command and exit
ensure_deps() {
	local missing=() p pkgs
	pkgs=$(deps_packages "$@") || exit 1
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "==> installing ${missing[*]}"
	if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null ||
		! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
		echo "cannot install packages; run as root or with sudo:" >&2
		echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	if [ "${1:-}" = --list ]; then
		shift
		deps_packages "${@:-build}"
	else
		ensure_deps "${@:-build}"
	fi
fi
