# 003_dump_restore.pl: apitoken survives pg_dump and restore into a fresh
# cluster.
#
# Node A: roles alice, bob (apitoken_user) and admin (apitoken_admin) with
# tokens in every state, one of them rotated with a grace period (its
# previous value still verifies).  Its roles go to node B with pg_dumpall
# --globals-only (after filler roles, so every OID differs), the database
# with a plain pg_dump restored by psql.  Then: every token verifies or is
# refused exactly as before with the same owner; the rows are identical;
# each role sees the same tokens through RLS; the id sequence continues;
# the restored tokens can still be managed.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ApitokenTest;

my $node_a = quiet_node('node_a');

$node_a->safe_psql('postgres', 'CREATE DATABASE app');
$node_a->safe_psql('app', q{
	CREATE EXTENSION apitoken;
	CREATE ROLE alice LOGIN IN ROLE apitoken_user;
	CREATE ROLE bob LOGIN IN ROLE apitoken_user;
	CREATE ROLE admin LOGIN IN ROLE apitoken_admin;
});

my %tok;
my %id;
($id{a1}, $tok{a1}) = create_token($node_a, 'app', 'alice', 'alice-ci', "description => 'CI deploys'");
($id{a2}, $tok{a2}) = create_token($node_a, 'app', 'alice', 'alice-disabled');
($id{a3}, $tok{a3}) = create_token($node_a, 'app', 'alice', 'alice-expired', "expires_at => now() + interval '1 hour'");
($id{a4}, $tok{a4}) = create_token($node_a, 'app', 'alice', 'alice-regenerated');
($id{a5}, $tok{a5}) = create_token($node_a, 'app', 'alice', 'alice-deleted');
($id{a6}, $tok{a6}) = create_token($node_a, 'app', 'alice', 'alice-future', "expires_at => '2999-01-01 00:00:00+00'");
($id{a7}, $tok{a7}) = create_token($node_a, 'app', 'alice', 'alice-rotated');
($id{b1}, $tok{b1}) = create_token($node_a, 'app', 'bob', 'bob-main');
($id{b2}, $tok{b2}) = create_token($node_a, 'app', 'admin', 'bob-by-admin', "owner => 'bob'");
($id{m1}, $tok{m1}) = create_token($node_a, 'app', 'admin', 'admin-own');
$tok{a4_old} = $tok{a4};
$tok{a4} = $node_a->safe_psql('app', "SET ROLE alice; SELECT apitoken.regenerate($id{a4})");
$tok{a7_old} = $tok{a7};
$tok{a7} = $node_a->safe_psql('app', "SET ROLE alice; SELECT apitoken.regenerate($id{a7}, '1 day')");
$node_a->safe_psql('app', qq{
	SET ROLE alice;
	SELECT apitoken.disable($id{a2});
	UPDATE apitoken.tokens SET expires_at = now() - interval '1 minute' WHERE id = $id{a3};
	DELETE FROM apitoken.tokens WHERE id = $id{a5};
});
# a recorded last_access must survive too
$node_a->safe_psql('app',
	"SET apitoken.last_access_interval = 0; SELECT apitoken.verify('$tok{b1}')");

my @names = sort keys %tok;

# verify() and check() of every value on a node, one line each
sub verdicts
{
	my ($node) = @_;
	my $sql = join("\nUNION ALL ", map {
		"SELECT '$_' AS k, apitoken.verify('$tok{$_}')::text AS v, c.token_id, c.owner, c.status"
		  . " FROM apitoken.check('$tok{$_}') c"
	} @names);
	# last_access_interval = -1: the comparison itself records nothing
	return $node->safe_psql('app',
		"SET apitoken.last_access_interval = -1; SELECT * FROM ($sql) s ORDER BY k");
}

my $all_rows_sql = 'SELECT * FROM apitoken.tokens ORDER BY id';
my $store_sql = q{
	SELECT id, owner, enabled, last_access, expires_at, encode(hash, 'hex'),
	       name, description, created_by, created_at, regenerated_at, hint,
	       encode(prev_hash, 'hex'), prev_valid_until
	  FROM apitoken.token_store ORDER BY id};
sub visible_as
{
	my ($node, $role) = @_;
	return $node->safe_psql('app',
		"SET ROLE $role; SELECT id, name FROM apitoken.tokens ORDER BY id");
}

my $verdicts_a = verdicts($node_a);
my $rows_a     = $node_a->safe_psql('app', $all_rows_sql);
my $store_a    = $node_a->safe_psql('app', $store_sql);
my %visible_a  = map { $_ => visible_as($node_a, $_) } qw(alice bob admin);
my $last_id_a  = $node_a->safe_psql('app',
	'SELECT last_value FROM apitoken.token_store_id_seq');

# sanity of what A says, so that comparing with B means something
is( $verdicts_a,
	join("\n",
		"a1|alice|$id{a1}|alice|valid",
		"a2||$id{a2}|alice|disabled",
		"a3||$id{a3}|alice|expired",
		"a4|alice|$id{a4}|alice|valid",
		"a4_old||||unknown",
		"a5||||unknown",
		"a6|alice|$id{a6}|alice|valid",
		"a7|alice|$id{a7}|alice|valid",
		"a7_old|alice|$id{a7}|alice|valid",
		"b1|bob|$id{b1}|bob|valid",
		"b2|bob|$id{b2}|bob|valid",
		"m1|admin|$id{m1}|admin|valid"),
	'node A: verify() and check() of every token');
is($visible_a{alice}, join("\n", map { "$id{$_}|" . {
	a1 => 'alice-ci', a2 => 'alice-disabled', a3 => 'alice-expired',
	a4 => 'alice-regenerated', a6 => 'alice-future', a7 => 'alice-rotated' }->{$_} } qw(a1 a2 a3 a4 a6 a7)),
	'node A: alice sees her tokens only');
is($visible_a{bob}, "$id{b1}|bob-main\n$id{b2}|bob-by-admin", 'node A: bob sees his tokens only');
is(scalar(() = $visible_a{admin} =~ /\n/g) + 1, 9, 'node A: admin sees all 9 tokens');

# --- dump -------------------------------------------------------------
my $tempdir = PostgreSQL::Test::Utils::tempdir;
$node_a->command_ok([ 'pg_dumpall', '--globals-only', '--no-role-passwords',
		'-f', "$tempdir/globals.sql" ], 'pg_dumpall --globals-only');
$node_a->command_ok([ 'pg_dump', '--format=plain', '-f', "$tempdir/app.sql", 'app' ],
	'pg_dump of the database');

# --- restore into a fresh cluster --------------------------------------
my $node_b = quiet_node('node_b');

# shift the OIDs so that a role stored by OID would come back wrong
$node_b->safe_psql('postgres', 'CREATE ROLE filler_1; CREATE ROLE filler_2; CREATE ROLE filler_3');

# the bootstrap superuser exists on B already: that is the only error
my ($ret, $out, $err) = $node_b->psql('postgres', slurp_file("$tempdir/globals.sql"),
	on_error_stop => 0);
my $superuser = $node_b->safe_psql('postgres', 'SELECT current_user');
my @errors = grep { /ERROR/ } split /\n/, $err;
is_deeply(\@errors, [ grep { /role "\Q$superuser\E" already exists/ } @errors ],
	'globals restore: no error except the existing bootstrap superuser');
is(scalar(@errors), 1, 'globals restore: exactly that one error');
is( $node_b->safe_psql('postgres',
		q{SELECT string_agg(r.rolname || ':' || g.rolname, ',' ORDER BY r.rolname)
		    FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member
		    JOIN pg_roles g ON g.oid = m.roleid
		   WHERE r.rolname IN ('alice', 'bob', 'admin')}),
	'admin:apitoken_admin,admin:apitoken_owner,alice:apitoken_owner,alice:apitoken_user,'
	  . 'bob:apitoken_owner,bob:apitoken_user',
	'roles and memberships are on node B (apitoken_owner: the roles tokens were issued to)');
isnt( $node_b->safe_psql('postgres', "SELECT oid FROM pg_roles WHERE rolname = 'alice'"),
	$node_a->safe_psql('postgres', "SELECT oid FROM pg_roles WHERE rolname = 'alice'"),
	'alice has a different OID on node B');

$node_b->safe_psql('postgres', 'CREATE DATABASE app');
($ret, $out, $err) = $node_b->psql('app', slurp_file("$tempdir/app.sql"),
	on_error_stop => 1);
is($ret, 0, 'plain dump restores with psql and ON_ERROR_STOP');
is($err, '', 'restore printed no error or warning');

# --- compare -------------------------------------------------------------
is($node_b->safe_psql('app', $store_sql), $store_a,
	'token_store rows are identical (owner names, hashes, previous hashes, timestamps, last_access)');
is($node_b->safe_psql('app', $all_rows_sql), $rows_a, 'apitoken.tokens shows the same rows');
is(verdicts($node_b), $verdicts_a,
	'every value verifies or is refused exactly as before, with the same owner');
for my $role (qw(alice bob admin))
{
	is(visible_as($node_b, $role), $visible_a{$role}, "RLS: $role sees the same tokens");
}

# the sequence continues: a new token does not collide
my $new = $node_b->safe_psql('app', "SET ROLE alice; SELECT id FROM apitoken.create('created-on-b')");
cmp_ok($new, '>', $last_id_a, 'create() on node B gets an id past the last one of node A');
is( $node_b->safe_psql('app', "SELECT count(*) FROM apitoken.token_store WHERE id = $new"),
	'1', 'the new token is stored once');

# restored tokens can still be managed, within RLS
is( $node_b->safe_psql('app', "SET ROLE bob; SELECT apitoken.disable($id{a1})"),
	'0', 'bob cannot disable alice\'s restored token');
my $a1_new = $node_b->safe_psql('app', "SET ROLE alice; SELECT apitoken.regenerate($id{a1})");
is( $node_b->safe_psql('app',
		"SELECT apitoken.verify('$a1_new'), apitoken.verify('$tok{a1}') IS NULL"),
	'alice|t', 'alice regenerates her restored token: new value valid, old refused');
is( $node_b->safe_psql('app', "SET ROLE alice; SELECT apitoken.enable($id{a2})"),
	'1', 'alice re-enables her restored disabled token');
is($node_b->safe_psql('app', "SELECT apitoken.verify('$tok{a2}')"), 'alice',
	'the re-enabled token verifies');

$node_b->stop;
$node_a->stop;

done_testing();
