-- test/load/create.sql: create a token with a name unique to this client
-- and transaction, and keep its value
INSERT INTO load_tok (id, token)
SELECT id, token FROM apitoken.create('load-' || :client_id || '-' || nextval('load_seq'));
