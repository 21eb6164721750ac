--
-- token_type: the apitoken.token type accepts exactly the values that
-- create() makes and rejects everything else with 22P02, never quoting
-- the input in the message.
--
CREATE TABLE tt (t apitoken.token);

-- a real token round-trips through text and the type
SELECT token AS tok FROM apitoken.create('type-test') \gset
SELECT :'tok'::apitoken.token::text = :'tok' AS round_trip;
SELECT length(:'tok') AS length, left(:'tok', 5) AS prefix,
       :'tok' ~ '^pgat_[0-9A-Za-z]{49}$' AS shape;
SELECT apitoken.hint(:'tok') = left(:'tok', 9) AS hint_is_prefix_and_4;
SELECT hint = apitoken.hint(:'tok') AS stored_hint_matches
  FROM apitoken.tokens WHERE name = 'type-test';

-- malformed values: the message is the same and the detail says why,
-- without the value.  \set VERBOSITY default shows detail and hint.
\set VERBOSITY default
SELECT ''::apitoken.token;
SELECT 'pgat_'::apitoken.token;
SELECT repeat('a', 1000000)::apitoken.token;
-- one character changed: checksum mismatch
SELECT overlay(:'tok' placing (CASE WHEN substr(:'tok', 10, 1) = 'A' THEN 'B' ELSE 'A' END) from 10 for 1)::apitoken.token;
-- truncated and extended
SELECT left(:'tok', -1)::apitoken.token;
-- (terse: the digits shift by one, so the detail depends on the value: a
-- body out of range or, far more often, a checksum mismatch)
\set VERBOSITY terse
SELECT (:'tok' || 'A')::apitoken.token;
\set VERBOSITY default
-- characters outside the alphabet, in the prefix and in the body
SELECT ('pg-t_' || substr(:'tok', 6))::apitoken.token;
SELECT (left(:'tok', 20) || '!' || substr(:'tok', 22))::apitoken.token;
SELECT (left(:'tok', 20) || 'é' || substr(:'tok', 22))::apitoken.token;
-- a different, valid prefix is still a token (the checksum covers it);
-- swapping the prefix of a real token breaks its checksum
SELECT ('ghp_' || substr(:'tok', 6))::apitoken.token;
-- a body above 2^256 is out of range, whatever the checksum says
SELECT ('pgat_' || repeat('z', 49))::apitoken.token;
\set VERBOSITY terse

-- the error never contains the value
SELECT set_config('regress.tok', :'tok', false) IS NOT NULL AS stashed;
DO $$
BEGIN
	PERFORM (current_setting('regress.tok') || 'x')::apitoken.token;
EXCEPTION WHEN invalid_text_representation THEN
	DECLARE
		m text; d text; h text;
	BEGIN
		GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
		RAISE NOTICE 'echoes input: %',
			strpos(m || d || h, left(current_setting('regress.tok'), 20)) > 0;
	END;
END
$$;

-- NULL stays NULL
SELECT NULL::apitoken.token IS NULL AS null_ok, apitoken.hint(NULL) IS NULL AS hint_null;

-- binary send/receive: COPY BINARY uses them.  bytea's binary form is the
-- raw bytes, so a bytea column written with COPY BINARY can be read back
-- as apitoken.token, which runs token_recv on exactly those bytes.
-- (server-side COPY needs an absolute path: use the data directory)
SELECT current_setting('data_directory') || '/apitoken_regress.bin' AS binfile \gset
CREATE TABLE tb (b bytea);
INSERT INTO tb VALUES (convert_to(:'tok', 'UTF8'));
COPY tb TO :'binfile' WITH (FORMAT binary);
COPY tt FROM :'binfile' WITH (FORMAT binary);
SELECT t::text = :'tok' AS recv_ok FROM tt;
-- the type's send writes the same bytes back
TRUNCATE tb;
COPY tt TO :'binfile' WITH (FORMAT binary);
COPY tb FROM :'binfile' WITH (FORMAT binary);
SELECT convert_from(b, 'UTF8') = :'tok' AS send_ok FROM tb;
-- invalid UTF-8, a NUL byte, and a bad checksum are all refused by recv
TRUNCATE tb;
INSERT INTO tb VALUES ('\xff'::bytea || substring(convert_to(:'tok', 'UTF8') from 2));
COPY tb TO :'binfile' WITH (FORMAT binary);
COPY tt FROM :'binfile' WITH (FORMAT binary);
TRUNCATE tb;
INSERT INTO tb VALUES ('\x00'::bytea || substring(convert_to(:'tok', 'UTF8') from 2));
COPY tb TO :'binfile' WITH (FORMAT binary);
COPY tt FROM :'binfile' WITH (FORMAT binary);
TRUNCATE tb;
INSERT INTO tb VALUES (convert_to(left(:'tok', -1) ||
	(CASE WHEN right(:'tok', 1) = 'x' THEN 'y' ELSE 'x' END), 'UTF8'));
COPY tb TO :'binfile' WITH (FORMAT binary);
COPY tt FROM :'binfile' WITH (FORMAT binary);
SELECT count(*) AS rows_after_bad_recv FROM tt;

-- casts: token -> text is free (and allowed in assignments), text -> token validates
SELECT castsource::regtype, casttarget::regtype, castcontext, castmethod
  FROM pg_cast WHERE castsource = 'apitoken.token'::regtype OR casttarget = 'apitoken.token'::regtype
 ORDER BY 1, 2;
SELECT 'nonsense'::text::apitoken.token;

DROP TABLE tt, tb;
DELETE FROM apitoken.tokens WHERE name = 'type-test';
