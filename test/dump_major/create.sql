-- test/dump_major/create.sql: tokens of every kind, for the dump that
-- test/dump_major/run.sh takes on the oldest major and restores into the
-- newer ones.  Runs as the bootstrap superuser in database "app".  Every
-- token value is kept in dumpcheck.value (label, token), so the values
-- travel inside the dump; answers.sql judges each of them.
\set ON_ERROR_STOP 1
CREATE EXTENSION apitoken;
CREATE ROLE alice LOGIN IN ROLE apitoken_user;
CREATE ROLE bob LOGIN IN ROLE apitoken_user;
CREATE ROLE admin LOGIN IN ROLE apitoken_admin;
CREATE ROLE gone LOGIN IN ROLE apitoken_user;

CREATE SCHEMA dumpcheck;
CREATE TABLE dumpcheck.value (label text PRIMARY KEY, token text NOT NULL);
GRANT USAGE ON SCHEMA dumpcheck TO PUBLIC;
GRANT SELECT, INSERT ON dumpcheck.value TO PUBLIC;

SET ROLE alice;
INSERT INTO dumpcheck.value SELECT 'alice-plain', token FROM apitoken.create('alice-plain', description => 'plain');
INSERT INTO dumpcheck.value SELECT 'alice-scoped', token FROM apitoken.create('alice-scoped', scopes => '{orders:read,reports}');
INSERT INTO dumpcheck.value SELECT 'alice-networked', token
  FROM apitoken.create('alice-networked', allowed_from => '{10.0.0.0/8,2001:db8::/32}');
INSERT INTO dumpcheck.value SELECT 'alice-regenerated-old', token FROM apitoken.create('alice-regenerated');
INSERT INTO dumpcheck.value SELECT 'alice-regenerated-new', apitoken.regenerate(id)
  FROM apitoken.tokens WHERE name = 'alice-regenerated';
INSERT INTO dumpcheck.value SELECT 'alice-expired', token FROM apitoken.create('alice-expired');
UPDATE apitoken.tokens SET expires_at = now() - interval '1 minute' WHERE name = 'alice-expired';
INSERT INTO dumpcheck.value SELECT 'alice-deleted', token FROM apitoken.create('alice-deleted');
DELETE FROM apitoken.tokens WHERE name = 'alice-deleted';

SET ROLE bob;
INSERT INTO dumpcheck.value SELECT 'bob-future', token
  FROM apitoken.create('bob-future', expires_at => '2999-01-01 00:00:00+00');
INSERT INTO dumpcheck.value SELECT 'bob-disabled', token FROM apitoken.create('bob-disabled');
SELECT apitoken.disable(id) FROM apitoken.tokens WHERE name = 'bob-disabled' \g /dev/null

SET ROLE admin;
INSERT INTO dumpcheck.value SELECT 'admin-own', token FROM apitoken.create('admin-own');
INSERT INTO dumpcheck.value SELECT 'bob-by-admin', token FROM apitoken.create('bob-by-admin', owner => 'bob');
INSERT INTO dumpcheck.value SELECT 'gone-orphaned', token FROM apitoken.create('gone-orphaned', owner => 'gone');
RESET ROLE;

-- orphaned: its owner is dropped (its row stays until purge_orphaned())
DROP ROLE gone;

INSERT INTO dumpcheck.value VALUES ('malformed', 'pgat_not-a-token');
