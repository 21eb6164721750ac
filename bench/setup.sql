-- bench/setup.sql: the extensions, an owner role, the side table of clear
-- token values and a timing helper (microseconds of one statement).
CREATE EXTENSION apitoken;
CREATE EXTENSION pgcrypto;
-- bench_owner owns millions of tokens: no per-owner quota here
DO $$
BEGIN
	EXECUTE format('ALTER DATABASE %I SET apitoken.max_tokens_per_owner = 0', current_database());
END $$;
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_owner') THEN
		CREATE ROLE bench_owner;
	END IF;
END $$;
CREATE TABLE bench_tokens (i int PRIMARY KEY, id bigint, token text, zbx text);
CREATE SEQUENCE bench_seq;
CREATE FUNCTION bench_time(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
BEGIN
	EXECUTE q;
	RETURN extract(epoch FROM clock_timestamp() - t0) * 1e6;
END $$;
