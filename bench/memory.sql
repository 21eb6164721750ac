-- bench/memory.sql: backend memory after many verifies, server shared
-- memory, bytes per token (as loaded and after VACUUM FULL) and per audit
-- event, and the bytes per token of the heap and of each index.  Prints
-- "rss_kB hwm_kB shmem_MB bytes bytes_full bytes_per_event zabbix_bytes
-- parts...", where zabbix_bytes is the same figure for the Zabbix-style peer
-- table (heap and indexes, as loaded).
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
SELECT format('%s %s %s %s %s %s %s %s', :'rss', :'hwm', :'shm', :'bpt', :'bpt_full', :'ept', :'zbx', :'parts');
