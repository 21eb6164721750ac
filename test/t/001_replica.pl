# 001_replica.pl: apitoken on a streaming hot standby.
#
# Tokens created on the primary verify on the standby once replayed;
# disabling, regenerating (with a grace period too) and deleting on the
# primary take effect on the standby; verify() on the standby, even with apitoken.last_access_interval
# = 0, returns the owner without error and writes nothing; last_access
# recorded on the primary with apitoken.last_access_wal = on reaches the
# standby.  (By default it is written like a hint bit, without WAL of its
# own, and a standby sees it only when the page is next logged whole.)
# The same holds for a refused use of a valid secret (1.2).

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ApitokenTest;

my $primary = quiet_node('primary', allows_streaming => 1);

# the standby is cloned before the extension exists: CREATE EXTENSION
# itself has to replicate
$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;

$primary->safe_psql('postgres', q{
	CREATE EXTENSION apitoken;
	CREATE ROLE alice LOGIN IN ROLE apitoken_user;
});

# verify() on a node: the owner's name, or '' for NULL
sub verify_on
{
	my ($node, $tok, $settings) = @_;
	$settings //= '';
	return $node->safe_psql('postgres',
		"$settings SELECT apitoken.verify('$tok')");
}

sub status_on
{
	my ($node, $tok) = @_;
	return $node->safe_psql('postgres',
		"SELECT status FROM apitoken.check('$tok')");
}

my ($keep_id,  $keep)  = create_token($primary, 'postgres', 'alice', 'keep');
my ($dis_id,   $dis)   = create_token($primary, 'postgres', 'alice', 'to-disable');
my ($regen_id, $regen) = create_token($primary, 'postgres', 'alice', 'to-regenerate');
my ($del_id,   $del)   = create_token($primary, 'postgres', 'alice', 'to-delete');
my ($used_id,  $used)  = create_token($primary, 'postgres', 'alice', 'used-on-primary');

$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'standby is in recovery');
for my $t ([ keep => $keep ], [ dis => $dis ], [ regen => $regen ], [ del => $del ])
{
	is(verify_on($standby, $t->[1]), 'alice',
		"token $t->[0] verifies on the standby after replay");
}
is( $standby->safe_psql('postgres',
		"SELECT token_id, owner, status FROM apitoken.check('$keep')"),
	"$keep_id|alice|valid",
	'check() on the standby reports id, owner and status');

# change things on the primary
my $regen_new = $primary->safe_psql('postgres', qq{
	SET ROLE alice;
	SELECT apitoken.disable($dis_id);
	SELECT apitoken.regenerate($regen_id);
	DELETE FROM apitoken.tokens WHERE id = $del_id;
});
# output: disable()'s count, then the new value
my @lines = split /\n/, $regen_new;
is($lines[0], '1', 'disable() changed one token');
$regen_new = $lines[1];
like($regen_new, qr/^pgat_[0-9A-Za-z]{49}$/, 'regenerate() returned a new value');
isnt($regen_new, $regen, 'the new value differs from the old one');

$primary->wait_for_catchup($standby);

is(verify_on($standby, $keep), 'alice', 'untouched token still verifies on the standby');
is(verify_on($standby, $dis), '', 'disabled token is refused on the standby');
is(status_on($standby, $dis), 'disabled', 'check() says disabled');
is(verify_on($standby, $regen), '', 'old value of a regenerated token is refused on the standby');
is(status_on($standby, $regen), 'unknown', 'check() says unknown for the old value');
is(verify_on($standby, $regen_new), 'alice', 'new value of a regenerated token verifies on the standby');
is(verify_on($standby, $del), '', 'deleted token is refused on the standby');
is(status_on($standby, $del), 'unknown', 'check() says unknown for the deleted token');

# a rotation with a grace period: both values verify on the standby, and
# disabling the token on the primary ends the previous value there too
my ($rot_id, $rot) = create_token($primary, 'postgres', 'alice', 'to-rotate');
my $rot_new = $primary->safe_psql('postgres',
	"SET ROLE alice; SELECT apitoken.regenerate($rot_id, '1 hour')");
$primary->wait_for_catchup($standby);
is(verify_on($standby, $rot), 'alice', 'previous value of a rotated token verifies on the standby');
is(verify_on($standby, $rot_new), 'alice', 'its new value verifies on the standby');
is( $standby->safe_psql('postgres',
		"SELECT status, valid_until IS NOT NULL FROM apitoken.check('$rot')"),
	'valid|t', 'check() on the standby: the previous value is valid until its grace ends');
$primary->safe_psql('postgres', "SET ROLE alice; SELECT apitoken.disable($rot_id)");
$primary->wait_for_catchup($standby);
is(status_on($standby, $rot), 'unknown',
	'disabling on the primary ends the previous value on the standby');

# verify() with last_access_interval = 0 on the standby: no error, no write
my $log_offset = -s $standby->logfile;
my ($ret, $stdout, $stderr) = $standby->psql('postgres', qq{
	SET apitoken.last_access_interval = 0;
	SELECT apitoken.verify('$keep');
	SELECT apitoken.verify('$keep'::apitoken.token);
	SELECT apitoken.verify('$keep');
	SELECT pg_is_in_recovery();
});
is($ret, 0, 'verify() with last_access_interval = 0 succeeds on the standby');
is($stderr, '', 'no error or warning from verify() on the standby');
is($stdout, "alice\nalice\nalice\nt", 'standby returns the owner and stays in recovery');
is( $standby->safe_psql('postgres',
		"SELECT last_access IS NULL FROM apitoken.tokens WHERE id = $keep_id"),
	't', 'the standby recorded no last_access');
ok(!$standby->log_contains(qr/ERROR|FATAL|PANIC|WARNING/, $log_offset),
	'nothing was logged at WARNING or above on the standby');
is( $primary->safe_psql('postgres',
		"SELECT last_access IS NULL FROM apitoken.tokens WHERE id = $keep_id"),
	't', 'the primary has no last_access for the token verified only on the standby');

# last_access recorded on the primary with last_access_wal = on is
# WAL-logged and reaches the standby
is( verify_on($primary, $used,
		'SET apitoken.last_access_interval = 0; SET apitoken.last_access_wal = on;'),
	'alice', 'token verifies on the primary');
my $primary_last = $primary->safe_psql('postgres',
	"SELECT last_access FROM apitoken.tokens WHERE id = $used_id");
isnt($primary_last, '', 'the primary recorded last_access');
$primary->wait_for_catchup($standby);
is( $standby->safe_psql('postgres',
		"SELECT last_access FROM apitoken.tokens WHERE id = $used_id"),
	$primary_last, 'the standby sees the same last_access after replay');
is( $standby->safe_psql('postgres',
		"SELECT count(*) FROM apitoken.token_store"),
	$primary->safe_psql('postgres', "SELECT count(*) FROM apitoken.token_store"),
	'standby and primary have the same number of tokens');

# login() on the standby: a hot standby's transactions are read-only, and
# SET LOCAL ROLE works there; login() switches, the helpers answer, the
# transaction ends as the gateway, and nothing is written
$primary->safe_psql('postgres', q{
	CREATE ROLE gateway LOGIN NOINHERIT;
	GRANT alice TO gateway;
});
$primary->wait_for_catchup($standby);
$log_offset = -s $standby->logfile;
($ret, $stdout, $stderr) = $standby->psql('postgres', qq{
	SET apitoken.last_access_interval = 0;
	BEGIN;
	SELECT apitoken.login('$keep');
	SELECT current_user, apitoken.current_token(), apitoken.has_scope('any');
	COMMIT;
	SELECT current_user, apitoken.current_token() IS NULL;
}, extra_params => [ '-U', 'gateway', '-At' ], on_error_stop => 1);
is($ret, 0, 'login() succeeds on the standby') or diag($stderr);
is($stdout, "alice\nalice|$keep_id|t\ngateway|t",
	'on the standby the transaction runs as the owner, with its token, and ends as the gateway');
($ret, $stdout, $stderr) = $standby->psql('postgres', qq{
	BEGIN;
	SELECT apitoken.login('$dis');
}, extra_params => [ '-U', 'gateway', '-At' ], on_error_stop => 1);
like($stderr, qr/invalid API token/, 'a disabled token is refused by login() on the standby');
ok(!$standby->log_contains(qr/PANIC|FATAL|cannot execute/, $log_offset),
	'login() wrote nothing on the standby');
is( $standby->safe_psql('postgres',
		"SELECT last_access IS NULL FROM apitoken.tokens WHERE id = $keep_id"),
	't', 'the standby recorded no last_access for login() either');
# a refused use of a valid secret (the disabled token) is not recorded on
# the standby, without error; on the primary with last_access_wal = on it
# is WAL-logged like last access and reaches the standby
$log_offset = -s $standby->logfile;
($ret, $stdout, $stderr) = $standby->psql('postgres', qq{
	SET apitoken.last_access_interval = 0;
	SELECT apitoken.verify('$dis') IS NULL;
});
is($ret, 0, 'a refused verify() succeeds on the standby');
is($stderr, '', 'no error or warning from a refused verify() on the standby');
is( $standby->safe_psql('postgres',
		"SELECT last_refused_at IS NULL FROM apitoken.tokens WHERE id = $dis_id"),
	't', 'the standby recorded no refused use');
ok(!$standby->log_contains(qr/ERROR|FATAL|PANIC|WARNING/, $log_offset),
	'nothing was logged at WARNING or above on the standby');
is( verify_on($primary, $dis,
		'SET apitoken.last_access_interval = 0; SET apitoken.last_access_wal = on;'),
	'', 'the disabled token is refused on the primary');
my $primary_refused = $primary->safe_psql('postgres',
	"SELECT last_refused_at, last_refused_reason FROM apitoken.tokens WHERE id = $dis_id");
like($primary_refused, qr/\|disabled$/, 'the primary recorded the refused use');
$primary->wait_for_catchup($standby);
is( $standby->safe_psql('postgres',
		"SELECT last_refused_at, last_refused_reason FROM apitoken.tokens WHERE id = $dis_id"),
	$primary_refused, 'the standby sees the same refused use after replay');

# revoke() on the standby: refused alike for a token's value and for any
# other value, before the lookup (the standby cannot write)
my (undef, undef, $err_known) = $standby->psql('postgres', "SELECT apitoken.revoke('$keep')");
my (undef, undef, $err_junk) = $standby->psql('postgres', "SELECT apitoken.revoke('pgat_junk')");
like($err_known, qr/cannot execute apitoken\.revoke\(\) in a read-only transaction/,
	'revoke() of a token value is refused on the standby');
is($err_junk, $err_known, 'revoke() of any other value gets the same error');

$standby->stop;
$primary->stop;

done_testing();
