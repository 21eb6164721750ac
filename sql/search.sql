--
-- search: the list screen's filters, under row-level security, and mass
-- actions over a filter's result.
--
\set VERBOSITY default
DELETE FROM apitoken.token_store;
SET ROLE regress_alice;
SELECT count(*) FROM apitoken.create('CI deploy', expires_at => now() + interval '3 days');
SELECT count(*) FROM apitoken.create('ci_nightly', expires_at => now() + interval '30 days');
SELECT count(*) FROM apitoken.create('100% laptop');
SET ROLE regress_admin;
SELECT count(*) FROM apitoken.create('ci deploy', owner => 'regress_bob', expires_at => now() + interval '10 days');
SELECT count(*) FROM apitoken.create('reporting', owner => 'regress_bob', enabled => false);
SELECT id AS gone FROM apitoken.create('old', owner => 'regress_bob') \gset
RESET ROLE;
UPDATE apitoken.tokens SET expires_at = now() - interval '1 day' WHERE id = :gone;

SET ROLE regress_admin;
-- everything, sorted by name then owner
SELECT name, owner, created_by, status FROM apitoken.search();
-- name: case-insensitive substring; % and _ are plain characters
SELECT name, owner FROM apitoken.search(name => 'CI');
SELECT name FROM apitoken.search(name => '%');
SELECT name FROM apitoken.search(name => '_');
-- owners, creators, status
SELECT name, owner FROM apitoken.search(owners => '{regress_bob}');
SELECT name, owner FROM apitoken.search(created_by => '{regress_alice}');
SELECT name FROM apitoken.search(status => 'disabled');
SELECT name FROM apitoken.search(status => 'expired');
-- expiring within: not yet expired, and within the interval
SELECT name FROM apitoken.search(expires_within => interval '14 days');
SELECT name FROM apitoken.search(expires_within => interval '1 day');
-- combined
SELECT name, owner FROM apitoken.search(name => 'ci', owners => '{regress_alice}', expires_within => '14 days', status => 'active');
-- bad filters
SELECT * FROM apitoken.search(status => 'broken');
SELECT * FROM apitoken.search(expires_within => interval '-1 day');

-- RLS: alice searches only her own
SET ROLE regress_alice;
SELECT name, owner FROM apitoken.search(name => 'ci');
SET ROLE regress_eve;
SELECT count(*) FROM apitoken.search();

-- mass actions over a filter's result
SET ROLE regress_admin;
SELECT apitoken.disable(VARIADIC array_agg(id)) AS disabled FROM apitoken.search(name => 'ci');
SELECT name, status FROM apitoken.search(name => 'ci');
SELECT apitoken.enable(VARIADIC array_agg(id)) AS enabled FROM apitoken.search(status => 'disabled');
DELETE FROM apitoken.tokens WHERE id IN (SELECT id FROM apitoken.search(status => 'expired'));
SELECT name, status FROM apitoken.search();
RESET ROLE;

-- the README's query for tokens that outlive a lifetime policy
SET apitoken.max_lifetime = '7d';
SELECT name, owner FROM apitoken.search()
 WHERE expires_at IS NULL
    OR expires_at > now() + current_setting('apitoken.max_lifetime')::interval;
RESET apitoken.max_lifetime;
