--
-- trigger: apitoken.require_token() verifies a token on every row
-- written, stores the owner and never the token.
--
\set VERBOSITY default
DELETE FROM apitoken.token_store;
SELECT token AS alice_tok FROM apitoken.create('writer', owner => 'regress_alice') \gset
SELECT id AS bob_id, token AS bob_tok FROM apitoken.create('writer', owner => 'regress_bob') \gset

CREATE TABLE orders (
	id serial PRIMARY KEY,
	item text NOT NULL,
	api_token text,
	placed_by regrole
);
CREATE TRIGGER orders_auth BEFORE INSERT OR UPDATE ON orders
	FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('api_token', 'placed_by');

INSERT INTO orders (item, api_token) VALUES ('apple', :'alice_tok');
INSERT INTO orders (item, api_token, placed_by) VALUES ('pear', :'bob_tok', 'regress_alice');
SELECT id, item, api_token, placed_by FROM orders ORDER BY id;

-- no token, a bad token, a disabled token: 28000, and the value is not echoed
INSERT INTO orders (item) VALUES ('plum');
INSERT INTO orders (item, api_token) VALUES ('plum', 'pgat_nonsense');
SELECT apitoken.disable(:bob_id) AS disabled;
INSERT INTO orders (item, api_token) VALUES ('plum', :'bob_tok');
SELECT apitoken.enable(:bob_id) AS enabled;
-- a multi-row insert stops at the first bad row: nothing is written
INSERT INTO orders (item, api_token) VALUES ('fig', :'alice_tok'), ('kiwi', 'bad');
-- every UPDATE needs a token too
UPDATE orders SET item = 'apples' WHERE item = 'apple';
UPDATE orders SET item = 'apples', api_token = :'alice_tok' WHERE item = 'apple';
SELECT id, item, api_token, placed_by FROM orders ORDER BY id;

-- COPY goes through the trigger as well
COPY orders (item, api_token) FROM stdin;
grape	not-a-token
\.
SELECT count(*) FROM orders;

-- other owner column types and a typed token column
CREATE TABLE notes (body text, tok apitoken.token, who_oid oid);
CREATE TRIGGER notes_auth BEFORE INSERT ON notes
	FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('tok', 'who_oid');
INSERT INTO notes VALUES ('hello', :'alice_tok');
SELECT body, tok, who_oid::regrole FROM notes;
CREATE TABLE notes2 (body text, tok varchar, who_name name, who_text text);
CREATE TRIGGER notes2_auth BEFORE INSERT ON notes2
	FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('tok', 'who_name');
CREATE TRIGGER notes2_auth2 BEFORE INSERT ON notes2
	FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('body', 'who_text');
INSERT INTO notes2 (body, tok) VALUES (:'bob_tok', :'alice_tok');
SELECT body, tok, who_name, who_text FROM notes2;
-- without an owner column it just checks
CREATE TABLE notes3 (tok text);
CREATE TRIGGER notes3_auth BEFORE INSERT ON notes3
	FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('tok');
INSERT INTO notes3 VALUES (:'alice_tok');
SELECT tok FROM notes3;

-- misconfiguration is reported clearly
CREATE TABLE bad (tok text, n int, who regrole);
CREATE TRIGGER bad1 BEFORE INSERT ON bad FOR EACH ROW EXECUTE FUNCTION apitoken.require_token();
INSERT INTO bad VALUES (:'alice_tok');
DROP TRIGGER bad1 ON bad;
CREATE TRIGGER bad2 BEFORE INSERT ON bad FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('missing');
INSERT INTO bad VALUES (:'alice_tok');
DROP TRIGGER bad2 ON bad;
CREATE TRIGGER bad3 BEFORE INSERT ON bad FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('n');
INSERT INTO bad VALUES (:'alice_tok', 1);
DROP TRIGGER bad3 ON bad;
CREATE TRIGGER bad4 BEFORE INSERT ON bad FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('tok', 'n');
INSERT INTO bad VALUES (:'alice_tok', 1);
DROP TRIGGER bad4 ON bad;
CREATE TRIGGER bad5 AFTER INSERT ON bad FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('tok');
INSERT INTO bad VALUES (:'alice_tok');
DROP TRIGGER bad5 ON bad;
CREATE TRIGGER bad6 BEFORE INSERT ON bad FOR EACH STATEMENT EXECUTE FUNCTION apitoken.require_token('tok');
INSERT INTO bad VALUES (:'alice_tok');
DROP TRIGGER bad6 ON bad;
CREATE TRIGGER bad7 BEFORE INSERT ON bad FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('tok', 'who', 'scope', 'addr', 'extra');
INSERT INTO bad VALUES (:'alice_tok');
DROP TRIGGER bad7 ON bad;
CREATE TRIGGER bad8 BEFORE INSERT ON bad FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('tok', 'who', '', 'n');
INSERT INTO bad VALUES (:'alice_tok');
DROP TABLE bad, orders, notes, notes2, notes3;

-- scopes and addresses (attack review, item 5): a token limited to
-- orders:read must not pass a trigger guarding writes.  A trigger that
-- names no scope accepts unrestricted tokens only; one that names a scope
-- accepts tokens that allow it.  The client address comes from a column
-- when one is named, otherwise from the connection (NULL over a Unix
-- socket, which an address list refuses).
SELECT token AS ro_tok FROM apitoken.create('ro', owner => 'regress_alice', scopes => '{orders:read}') \gset
SELECT token AS rw_tok FROM apitoken.create('rw', owner => 'regress_alice', scopes => '{orders:read,orders:write}') \gset
SELECT token AS net_tok FROM apitoken.create('net', owner => 'regress_alice', allowed_from => '{10.0.0.0/8}') \gset
CREATE TABLE placed (item text, api_token text, placed_by regrole, client inet);
CREATE TRIGGER placed_any BEFORE INSERT ON placed
	FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('api_token', 'placed_by');
INSERT INTO placed (item, api_token) VALUES ('read-only token, no scope named', :'ro_tok');
INSERT INTO placed (item, api_token) VALUES ('unrestricted token, no scope named', :'alice_tok');
SELECT status FROM apitoken.check(:'ro_tok', NULL, NULL);
DROP TRIGGER placed_any ON placed;
CREATE TRIGGER placed_write BEFORE INSERT ON placed
	FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('api_token', 'placed_by', 'orders:write');
INSERT INTO placed (item, api_token) VALUES ('read-only token, write scope', :'ro_tok');
INSERT INTO placed (item, api_token) VALUES ('read-write token, write scope', :'rw_tok');
INSERT INTO placed (item, api_token) VALUES ('unrestricted token, write scope', :'alice_tok');
-- over this test's Unix socket the connection has no address
INSERT INTO placed (item, api_token) VALUES ('address-limited, no address', :'net_tok');
DROP TRIGGER placed_write ON placed;
CREATE TRIGGER placed_from BEFORE INSERT ON placed
	FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('api_token', 'placed_by', '', 'client');
INSERT INTO placed (item, api_token, client) VALUES ('address-limited, inside', :'net_tok', '10.1.2.3');
INSERT INTO placed (item, api_token, client) VALUES ('address-limited, outside', :'net_tok', '192.0.2.1');
INSERT INTO placed (item, api_token, client) VALUES ('address-limited, unknown', :'net_tok', NULL);
SELECT item, api_token, placed_by, client FROM placed ORDER BY item;
DROP TABLE placed;

-- the extension can be dropped and created again in one session: the
-- cached catalog entries of verify() follow
SELECT apitoken.verify(:'alice_tok') AS before_drop;
DROP EXTENSION apitoken;
CREATE EXTENSION apitoken;
SELECT apitoken.verify(:'alice_tok') IS NULL AS gone_after_recreate;
SELECT token AS again_tok FROM apitoken.create('again', owner => 'regress_alice') \gset
SELECT apitoken.verify(:'again_tok') AS verifies_after_recreate;
-- a REINDEX swaps the index underneath
REINDEX TABLE apitoken.token_store;
SELECT apitoken.verify(:'again_tok') AS verifies_after_reindex;
