# Makefile for the apitoken extension (PGXS).
#
#   make                 build apitoken.so
#   make install         install it and the SQL scripts (needs root)
#   make installcheck    run the regression, isolation and TAP suites against
#                        the server in PGHOST/PGPORT (scripts/test.sh sets one up)

EXTENSION = apitoken
MODULE_big = apitoken
OBJS = \
	src/apitoken.o \
	src/manage.o \
	src/token_codec.o \
	src/verify.o

DATA = apitoken--1.0.sql
PGFILEDESC = "apitoken - API tokens inside PostgreSQL"

REGRESS = setup token_type manage visibility verify trigger errcodes teardown

# TAP tests (PostgreSQL::Test::Cluster): replica, crash, dump/restore, logs
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

SHLIB_LINK = -lsodium
# -Wextra minus unused-parameter: PostgreSQL headers and the fmgr and GUC
# callback conventions have parameters a function may not need.
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
