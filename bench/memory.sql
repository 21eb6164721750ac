-- bench/memory.sql: backend memory after many verifies, server shared
-- memory, bytes per token (as loaded and after VACUUM FULL) and per audit
-- event, and the bytes per token of the heap and of each index.  Prints
-- "rss_kB hwm_kB shmem_MB bytes bytes_full bytes_per_event zabbix_bytes
-- tight_bytes parts...", where zabbix_bytes is the same figure for the
-- Zabbix-style peer table (heap and indexes, as loaded) and tight_bytes is
-- the floor for the same data: a copy of token_store with its columns in
-- the order that wastes no alignment padding, an empty scopes array stored
-- as NULL, and the same three indexes built after the load at fillfactor
-- 100.
CREATE TEMP TABLE s AS SELECT token FROM bench_tokens ORDER BY random() LIMIT :sample;
SELECT count(apitoken.verify(token)) FROM s, generate_series(1, 10);
SELECT (regexp_match(st, 'VmRSS:\s+(\d+)'))[1] AS rss, (regexp_match(st, 'VmHWM:\s+(\d+)'))[1] AS hwm
  FROM (SELECT pg_read_file('/proc/' || pg_backend_pid() || '/status') AS st) x \gset
SELECT round(sum(allocated_size) / 1048576.0) AS shm FROM pg_shmem_allocations \gset
SELECT round(pg_total_relation_size('apitoken.token_store')::numeric / count(*)) AS bpt FROM apitoken.token_store \gset
SELECT round(pg_total_relation_size('zbx_token')::numeric / count(*)) AS zbx FROM zbx_token \gset
SELECT round(pg_total_relation_size('apitoken.event_store')::numeric / greatest(count(*), 1)) AS ept FROM apitoken.event_store \gset
SELECT string_agg(format('%s %s', c.relname, round(pg_relation_size(c.oid)::numeric / (SELECT count(*) FROM apitoken.token_store))), ', ' ORDER BY c.relname) AS parts
  FROM pg_class c WHERE c.relnamespace = 'apitoken'::regnamespace
   AND c.relname IN ('token_store', 'token_store_pkey', 'token_store_hash_key', 'token_store_owner_name_key') \gset
VACUUM FULL apitoken.token_store;
SELECT round(pg_total_relation_size('apitoken.token_store')::numeric / count(*)) AS bpt_full FROM apitoken.token_store \gset
CREATE TABLE bench_tight (
	id bigint NOT NULL, last_access timestamptz NOT NULL, created_at timestamptz NOT NULL,
	expires_at timestamptz, regenerated_at timestamptz,
	owner oid NOT NULL, created_by oid NOT NULL,
	last_access_from_raw uuid NOT NULL, enabled boolean NOT NULL,
	hash bytea NOT NULL, name text NOT NULL, description text NOT NULL, hint text NOT NULL,
	scopes text[], allowed_from cidr[]);
INSERT INTO bench_tight
	SELECT id, last_access, created_at, expires_at, regenerated_at, owner, created_by,
		   last_access_from_raw, enabled, hash, name, description, hint,
		   NULLIF(scopes, '{}'), allowed_from
	  FROM apitoken.token_store ORDER BY id;
CREATE UNIQUE INDEX ON bench_tight (id) WITH (fillfactor = 100);
CREATE INDEX ON bench_tight USING hash (hash) WITH (fillfactor = 100);
CREATE UNIQUE INDEX ON bench_tight (owner, name) WITH (fillfactor = 100);
SELECT round(pg_total_relation_size('bench_tight')::numeric / count(*)) AS tight FROM bench_tight \gset
DROP TABLE bench_tight;
SELECT format('%s %s %s %s %s %s %s %s %s', :'rss', :'hwm', :'shm', :'bpt', :'bpt_full', :'ept', :'zbx', :'tight', :'parts');
