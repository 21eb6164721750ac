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
CREATE TRIGGER bad7 BEFORE INSERT ON bad FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('tok', 'who', 'extra');
INSERT INTO bad VALUES (:'alice_tok');
DROP TABLE bad, orders, notes, notes2, notes3;

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
