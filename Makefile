# Makefile for the apitoken extension (PGXS).  `make help` lists the targets.

EXTENSION = apitoken
MODULE_big = apitoken
OBJS = \
	src/apitoken.o \
	src/audit.o \
	src/expiry.o \
	src/find_tokens.o \
	src/guard.o \
	src/last_access.o \
	src/login.o \
	src/manage.o \
	src/require_token.o \
	src/roles.o \
	src/text_rules.o \
	src/token_codec.o \
	src/token_scan.o \
	src/token_store.o \
	src/token_type.o \
	src/verify.o

# The install script of the current version (apitoken--1.2.sql) describes
# its whole schema; the older versions' install script and the upgrade
# scripts are frozen.  sql/upgrade.sql checks that 1.0 upgraded step by
# step ends with the catalog a fresh install has.
DATA = apitoken--1.0.sql apitoken--1.0--1.1.sql apitoken--1.1--1.1.1.sql apitoken--1.1.1--1.1.2.sql \
	apitoken--1.1.2--1.2.sql \
	apitoken--1.2.sql
PGFILEDESC = "apitoken - API tokens inside PostgreSQL"

REGRESS = setup token_type manage visibility verify trigger errcodes audit search lifetime scopes owners \
	attack_review verify_only login notify_expiring revoke refused rotation find_tokens upgrade teardown

# isolation tests (pg_isolation_regress): concurrent verify, regenerate,
# disable, delete, create and revoke; expiry notices as a listener hears them
ISOLATION = regenerate disable_delete create_unique no_lock_wait mass_disable lock_refused last_access_update \
	first_tokens expiry_notices revoke_regenerate regenerate_grace upgrade_verify
ISOLATION_OPTS = --inputdir=test/isolation

# TAP tests (PostgreSQL::Test::Cluster): replica, crash, dump/restore, logs,
# owners across logical replication, expiry notices from a pg_cron job
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

SHLIB_LINK = -lsodium
# -Wextra minus unused-parameter: PostgreSQL headers and the fmgr and GUC
# callback conventions have parameters a function may not need.
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# the TAP tests' shared helpers (test/perl/ApitokenTest.pm); PROVE_FLAGS
# stays free for the caller (e.g. PROVE_FLAGS=--verbose)
PG_PROVE_FLAGS += -I test/perl

# The stages that start their own clusters or need none (scripts/test.sh
# runs installcheck against its cluster, then these).
.PHONY: help fuzzcheck memcheck clientcheck httpcheck loadcheck
help:
	@echo 'make                build apitoken.so'
	@echo 'make install        install it and the SQL scripts (needs root)'
	@echo 'make installcheck   pg_regress (sql/), isolation (test/isolation) and TAP (test/t)'
	@echo '                    against the server in PGHOST/PGPORT'
	@echo 'make fuzzcheck      unit tests and libFuzzer for the pure C (FUZZ_SECONDS per target)'
	@echo 'make memcheck       the pg_regress suites against a server under valgrind memcheck'
	@echo 'make clientcheck    psycopg 3 through pgbouncer in transaction pooling mode'
	@echo 'make httpcheck      examples/http_api over pgbouncer, judged through real HTTP requests'
	@echo 'make loadcheck      pgbench, 32 clients, mixed operations, every answer judged'
	@echo 'bash scripts/test.sh   all of them on throwaway clusters, after installing what they need'
fuzzcheck:
	bash test/fuzz/run.sh
memcheck:
	bash test/memcheck/run.sh
clientcheck:
	bash test/client/run.sh
httpcheck:
	bash test/http_api/run.sh
loadcheck:
	bash test/load/run.sh
