-- bench/peers.sql: the peers, built on the same number of rows.
-- Zabbix: SHA-512 hex of the token in a unique varchar(128) column, a
-- status column, lastaccess as an int; bcrypt: crypt() with gen_salt('bf').
UPDATE bench_tokens SET zbx = 'zbx_' || encode(gen_random_bytes(32), 'hex');
CREATE TABLE zbx_token (
	tokenid bigint PRIMARY KEY,
	name text NOT NULL,
	userid bigint NOT NULL,
	token varchar(128) UNIQUE,
	status int NOT NULL DEFAULT 0,
	expires_at int NOT NULL DEFAULT 0,
	lastaccess int NOT NULL DEFAULT 0
);
INSERT INTO zbx_token (tokenid, name, userid, token)
SELECT i, 'b' || i, 1, encode(digest(zbx, 'sha512'), 'hex') FROM bench_tokens;
CREATE TABLE bcrypt_token (tokenid bigint PRIMARY KEY, userid bigint NOT NULL, hash text NOT NULL);
INSERT INTO bcrypt_token SELECT i, 1, crypt(zbx, gen_salt('bf')) FROM bench_tokens WHERE i <= :bcrypt_rows;
-- the in-backend peers: a primary-key lookup and the Zabbix pattern as
-- SQL functions, one call per token, as an application would write them
CREATE FUNCTION pk_lookup(bigint) RETURNS regrole LANGUAGE sql STABLE
	AS 'SELECT owner FROM apitoken.token_store WHERE id = $1';
CREATE FUNCTION zbx_lookup(text) RETURNS bigint LANGUAGE sql STABLE
	AS $$ SELECT userid FROM zbx_token WHERE token = encode(digest($1, 'sha512'), 'hex') AND status = 0 $$;
