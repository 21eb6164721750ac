--
-- scopes: tokens limited to scopes and to client networks;
-- verify(token, scope, client_addr) and check() with them; the address of
-- the last access.
--
\set VERBOSITY default
DELETE FROM apitoken.token_store;
SET ROLE regress_alice;
SELECT id AS open, token AS open_tok FROM apitoken.create('open') \gset
SELECT id AS sc, token AS sc_tok FROM apitoken.create('scoped', scopes => '{orders:read,reports}') \gset
SELECT id AS net, token AS net_tok FROM apitoken.create('networked', allowed_from => '{10.0.0.0/8,2001:db8::/32}') \gset
SELECT name, scopes, allowed_from FROM apitoken.tokens ORDER BY name;

-- scopes: an unrestricted token allows any scope; NULL asks for none
SELECT apitoken.verify(:'open_tok', 'anything', NULL) AS open_any,
       apitoken.verify(:'sc_tok', 'orders:read', NULL) AS scoped_ok,
       apitoken.verify(:'sc_tok', 'orders:write', NULL) IS NULL AS scoped_refused,
       apitoken.verify(:'sc_tok', NULL, NULL) AS no_scope_asked,
       apitoken.verify(:'sc_tok') AS one_arg;
SELECT status FROM apitoken.check(:'sc_tok', 'orders:write', NULL);

-- networks: inside, outside, other family, unknown address
SELECT apitoken.verify(:'net_tok', NULL, '10.20.30.40') AS v4_inside,
       apitoken.verify(:'net_tok', NULL, '11.0.0.1') IS NULL AS v4_outside,
       apitoken.verify(:'net_tok', NULL, '2001:db8::1') AS v6_inside,
       apitoken.verify(:'net_tok', NULL, '2001:db9::1') IS NULL AS v6_outside,
       apitoken.verify(:'net_tok', NULL, NULL) IS NULL AS unknown_address;
SELECT status FROM apitoken.check(:'net_tok', NULL, '192.0.2.1');
-- over the Unix socket inet_client_addr() is NULL: refused by an
-- allow-list, fine without one
SELECT inet_client_addr() IS NULL AS over_socket,
       apitoken.verify(:'net_tok') IS NULL AS listed_refused,
       apitoken.verify(:'open_tok') AS unlisted_ok,
       apitoken.verify(:'net_tok', 'x') IS NULL AS default_addr_refused;
SELECT status FROM apitoken.check(:'net_tok');

-- editing scopes and networks, and the validation of both
UPDATE apitoken.tokens SET scopes = '{orders:write}' WHERE id = :sc;
SELECT apitoken.verify(:'sc_tok', 'orders:write', NULL) AS now_allowed;
UPDATE apitoken.tokens SET allowed_from = NULL WHERE id = :net;
SELECT apitoken.verify(:'net_tok') AS anywhere_again;
UPDATE apitoken.tokens SET scopes = '{}' WHERE id = :sc;
SELECT apitoken.verify(:'sc_tok', 'whatever', NULL) AS unrestricted_again;
UPDATE apitoken.tokens SET scopes = NULL WHERE id = :sc;
UPDATE apitoken.tokens SET scopes = '{"has space"}' WHERE id = :sc;
UPDATE apitoken.tokens SET scopes = '{""}' WHERE id = :sc;
UPDATE apitoken.tokens SET scopes = ARRAY[NULL]::text[] WHERE id = :sc;
UPDATE apitoken.tokens SET allowed_from = '{}' WHERE id = :net;
UPDATE apitoken.tokens SET allowed_from = ARRAY[NULL]::cidr[] WHERE id = :net;
SELECT count(*) FROM apitoken.create('bad', scopes => NULL);
SELECT count(*) FROM apitoken.create('bad', scopes => ARRAY[repeat('s', 65)]);
SELECT count(*) FROM apitoken.create('bad', allowed_from => '{}');
SELECT count(*) FROM apitoken.create('bad', scopes => '{ok:scope/1-2_3.x}');
RESET ROLE;

-- last_access_from: the address of the last recorded access
SET apitoken.last_access_interval = 0;
SELECT last_access_from IS NULL AS none_yet FROM apitoken.tokens WHERE id = :open;
SELECT apitoken.verify(:'open_tok', NULL, '192.0.2.10') AS verified;
SELECT last_access_from FROM apitoken.tokens WHERE id = :open;
SELECT apitoken.verify(:'open_tok', NULL, '2001:db8::42') AS verified;
SELECT last_access_from FROM apitoken.tokens WHERE id = :open;
SELECT apitoken.verify(:'open_tok') AS verified;
SELECT last_access_from IS NULL AS socket_has_no_address FROM apitoken.tokens WHERE id = :open;
-- a refused use records nothing
UPDATE apitoken.tokens SET scopes = '{a}' WHERE id = :sc;
SELECT last_access AS sc_before FROM apitoken.token_store WHERE id = :sc \gset
SELECT apitoken.verify(:'sc_tok', 'b', '192.0.2.99') IS NULL AS refused;
SELECT s.last_access = :'sc_before' AND t.last_access_from IS NULL AS nothing_recorded
  FROM apitoken.tokens t JOIN apitoken.token_store s USING (id) WHERE id = :sc;
SELECT apitoken.unpack_addr('00000000-0000-0000-0000-00000000ffff'::uuid) AS not_mapped_v6;
RESET apitoken.last_access_interval;
