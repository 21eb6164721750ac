# 002_crash.pl: apitoken state after a crash (immediate shutdown).
#
# create(), regenerate(), disable() and DELETE done in committed
# transactions survive crash recovery, some from a checkpoint, some only
# from WAL replay; create(), regenerate() and disable() in a transaction
# still open at the crash leave no trace; last_access recorded by verify()
# survives when a checkpoint followed it (by default it is written like a
# hint bit, without WAL of its own, so values recorded after the last
# checkpoint may be lost) or when apitoken.last_access_wal was on;
# the id sequence does not hand out an id twice afterwards; data checksums
# stay valid throughout.

use strict;
use warnings;
use File::Temp ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ApitokenTest;

# data checksums on: last_access is written like a hint bit, which then
# needs a full-page image after each checkpoint to stay torn-page safe
my $node = quiet_node('crash', extra => ['--data-checksums']);

$node->safe_psql('postgres', q{
	CREATE EXTENSION apitoken;
	CREATE ROLE alice LOGIN IN ROLE apitoken_user;
});

sub alice_sql
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', "SET ROLE alice; $sql");
}

# status of a value according to check(), and verify()'s answer
sub state_of
{
	my ($tok) = @_;
	return $node->safe_psql('postgres',
		"SELECT status || '/' || coalesce(apitoken.verify('$tok')::text, 'NULL') FROM apitoken.check('$tok')");
}

# everything about the stored tokens that a committed change can alter
my $rows_sql = q{
	SELECT id, owner, name, enabled, hint, regenerated_at IS NOT NULL,
	       encode(hash, 'hex')
	  FROM apitoken.token_store ORDER BY id};

# verify a token with last access recorded on every call (plus $settings),
# and return the last_access it recorded
sub record_access
{
	my ($tok, $id, $settings, $what) = @_;
	is( $node->safe_psql('postgres',
			"SET apitoken.last_access_interval = 0; $settings SELECT apitoken.verify('$tok')"),
		'alice', "verify() records last_access$what");
	my $last = $node->safe_psql('postgres',
		"SELECT last_access FROM apitoken.tokens WHERE id = $id");
	isnt($last, '', "last_access is set$what");
	return $last;
}

# --- committed before the checkpoint ---------------------------------
my ($keep_id,  $keep)  = create_token($node, 'postgres', 'alice', 'keep');
my ($regen_id, $regen) = create_token($node, 'postgres', 'alice', 'regen-before-ckpt');
my $regen_new = alice_sql("SELECT apitoken.regenerate($regen_id)");
my ($dis_id,   $dis)   = create_token($node, 'postgres', 'alice', 'disable-before-ckpt');
alice_sql("SELECT apitoken.disable($dis_id)");
my ($victim_id, $victim) = create_token($node, 'postgres', 'alice', 'regenerated-uncommitted');
my ($still_id,  $still)  = create_token($node, 'postgres', 'alice', 'disabled-uncommitted');

# last_access recorded by verify(): durable from the next checkpoint on
my $keep_last = record_access($keep, $keep_id, '', ' before the checkpoint');

# --- a transaction left open across the crash ------------------------
my $scratch = File::Temp->newdir(DIR => $PostgreSQL::Test::Utils::tmp_check);
my $bg = $node->background_psql('postgres');
$bg->query_safe('BEGIN');
$bg->query_safe('SET LOCAL ROLE alice');
# background_psql notes every query and its output in the test log: keep
# token values in psql variables and files
$bg->query_safe("SELECT id AS u1_id, token AS u1 FROM apitoken.create('uncommitted-1') \\gset");
$bg->query_safe("SELECT :'u1_id', :'u1' \\g '$scratch/u1'");
$bg->query_safe("SELECT apitoken.regenerate($victim_id) AS victim_new \\gset");
$bg->query_safe("SELECT :'victim_new' \\g '$scratch/victim'");
$bg->query_safe("SELECT apitoken.disable($still_id)");

$node->safe_psql('postgres', 'CHECKPOINT');

# --- committed after the checkpoint: recovered by WAL replay only -----
my ($late_id, $late) = create_token($node, 'postgres', 'alice', 'created-after-ckpt');
my ($late_regen_id, $late_regen) = create_token($node, 'postgres', 'alice', 'regen-after-ckpt');
my $late_regen_new = alice_sql("SELECT apitoken.regenerate($late_regen_id)");
my ($late_dis_id, $late_dis) = create_token($node, 'postgres', 'alice', 'disable-after-ckpt');
alice_sql("SELECT apitoken.disable($late_dis_id)");
my ($gone_id, $gone) = create_token($node, 'postgres', 'alice', 'deleted-after-ckpt');
alice_sql("DELETE FROM apitoken.tokens WHERE id = $gone_id");

# more uncommitted work after the checkpoint
$bg->query_safe("SELECT id, token FROM apitoken.create('uncommitted-2') \\g '$scratch/u2'");

sub slurp_pair
{
	my ($file) = @_;
	my $s = slurp_file($file);
	chomp $s;
	return split /\|/, $s;
}
my ($u1_id, $u1) = slurp_pair("$scratch/u1");
my ($u2_id, $u2) = slurp_pair("$scratch/u2");
my ($victim_new) = slurp_pair("$scratch/victim");
like($u1, qr/^pgat_/, 'open transaction created a token');
like($victim_new, qr/^pgat_/, 'open transaction regenerated a token');

# inside the open transaction its own changes are visible ...
is($bg->query_safe("SELECT apitoken.verify(:'u1'), apitoken.verify(:'victim_new')"),
	'alice|alice', 'the open transaction sees its own create() and regenerate()');
# ... and nowhere else
is(state_of($u1), 'unknown/NULL', 'uncommitted create() is not visible outside');
is(state_of($victim), 'valid/alice', 'uncommitted regenerate() has not replaced the old value');
is(state_of($still), 'valid/alice', 'uncommitted disable() is not in force');

# last_access recorded with last_access_wal = on after the checkpoint, then
# made durable by a later commit (the in-place update needs no
# transaction id, so its own "commit" does not flush WAL)
my $late_last = record_access($late, $late_id, 'SET apitoken.last_access_wal = on;',
	' with WAL, before the crash');
my ($flush_id, $flush) = create_token($node, 'postgres', 'alice', 'flushes-wal');

my $rows_before  = $node->safe_psql('postgres', $rows_sql);
my $count_before = $node->safe_psql('postgres', 'SELECT count(*) FROM apitoken.token_store');
my $max_id       = $node->safe_psql('postgres', 'SELECT max(id) FROM apitoken.token_store');

# --- crash ------------------------------------------------------------
my $log_offset = -s $node->logfile;
$node->stop('immediate');
# the background psql lost its server; reap it
eval { $bg->quit; };
$node->start;
ok($node->log_contains(qr/database system was not properly shut down; automatic recovery in progress/, $log_offset)
	  && $node->log_contains(qr/redo starts at/, $log_offset),
	'the restart ran crash recovery with WAL replay');

is($node->safe_psql('postgres', 'SELECT count(*) FROM apitoken.token_store'),
	$count_before, 'same number of tokens after crash recovery');
is($node->safe_psql('postgres', $rows_sql), $rows_before,
	'stored tokens are identical after crash recovery');
# read before anything below verifies again
is( $node->safe_psql('postgres',
		"SELECT last_access FROM apitoken.tokens WHERE id = $keep_id"),
	$keep_last, 'last_access recorded before the checkpoint survived the crash');
is( $node->safe_psql('postgres',
		"SELECT last_access FROM apitoken.tokens WHERE id = $late_id"),
	$late_last, 'last_access recorded with last_access_wal = on was replayed');

my @expect = (
	[ $keep,           'valid/alice',    'committed create() before the checkpoint' ],
	[ $regen,          'unknown/NULL',   'old value, regenerated before the checkpoint' ],
	[ $regen_new,      'valid/alice',    'new value, regenerated before the checkpoint' ],
	[ $dis,            'disabled/NULL',  'disabled before the checkpoint' ],
	[ $late,           'valid/alice',    'committed create() after the checkpoint' ],
	[ $late_regen,     'unknown/NULL',   'old value, regenerated after the checkpoint' ],
	[ $late_regen_new, 'valid/alice',    'new value, regenerated after the checkpoint' ],
	[ $late_dis,       'disabled/NULL',  'disabled after the checkpoint' ],
	[ $gone,           'unknown/NULL',   'deleted after the checkpoint' ],
	[ $flush,          'valid/alice',    'last committed create()' ],
	[ $u1,             'unknown/NULL',   'uncommitted create() before the checkpoint' ],
	[ $u2,             'unknown/NULL',   'uncommitted create() after the checkpoint' ],
	[ $victim,         'valid/alice',    'old value of an uncommitted regenerate()' ],
	[ $victim_new,     'unknown/NULL',   'new value of an uncommitted regenerate()' ],
	[ $still,          'valid/alice',    'token disabled by an uncommitted disable()' ],
);
for my $e (@expect)
{
	is(state_of($e->[0]), $e->[1], "after crash: $e->[2]");
}

is( $node->safe_psql('postgres',
		"SELECT count(*) FROM apitoken.token_store WHERE id IN ($u1_id, $u2_id) OR name LIKE 'uncommitted%'"),
	'0', 'no row of the uncommitted transaction survives');

# the sequence does not hand out an id that exists (nor one the lost
# transaction used)
my ($new_id, $new) = create_token($node, 'postgres', 'alice', 'after-recovery');
cmp_ok($new_id, '>', $max_id, 'create() after recovery gets a fresh id');
cmp_ok($new_id, '>', $u2_id, 'ids used by the lost transaction are not reused');
is(state_of($new), 'valid/alice', 'a token created after recovery verifies');

# every page that last_access writes touched still has a valid checksum
$node->safe_psql('postgres', qq{
	SET apitoken.last_access_interval = 0;
	SELECT apitoken.verify('$keep'), apitoken.verify('$late'), apitoken.verify('$new');
	CHECKPOINT;
	SELECT apitoken.verify('$keep');
});
$node->stop;
command_ok([ 'pg_checksums', '--check', '-D', $node->data_dir ],
	'data checksums are valid after last_access writes and crash recovery');

done_testing();
