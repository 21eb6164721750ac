# 004_no_secrets_in_logs.pl: no token value and no token hash ever reaches
# the server log.
#
# The server logs verbosely (log_min_messages = debug1, every error with
# its statement, log_error_verbosity = verbose).  A client that follows
# the README (token values as bind parameters: bind_client.py, psycopg
# 3 with server-side binding) runs create(), regenerate(), verify(),
# check() and every refusal and error path: malformed values, wrong
# checksum, disabled, expired, deleted and replaced tokens, the
# require_token() trigger rejecting rows, duplicate and invalid names.
# Then the log is searched for every value issued, its secret body and
# its SHA-256 (hex and base64): there must be no hit, while the expected
# error messages and statements must be there.
#
# A second round turns on log_statement = all with
# log_parameter_max_length = 0 (PostgreSQL's default, -1, would log bind
# values with every logged statement) and checks the same.
#
# A third round is the attack review's item 6 and 7: log_min_messages =
# debug5 for the server, and an apitoken_admin member who turns on
# debug_print_parse, debug_print_rewritten and debug_print_plan with
# client_min_messages = log, then creates, regenerates (also with a grace
# period, so that rows carry the previous value's hash), edits (another
# role's token, so the audit trigger runs on it), disables, enables and
# deletes; a superuser makes the statements fail whose errors print the
# failing row.  Neither the server log nor what the admin's session was
# sent may hold a value or a hash, in any form a plan prints (a constant
# is printed as its bytes in decimal).  The application's own statement is
# not part of this: a custom plan turns its bind parameters into constants,
# which is why debug_print_plan must stay off in application sessions.

use strict;
use warnings;
use Digest::SHA qw(sha256 sha256_hex);
use FindBin;
use IPC::Run;
use JSON::PP;
use MIME::Base64 qw(encode_base64);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $python = $ENV{PYTHON} // '/usr/bin/python3';
my $client = "$FindBin::RealBin/bind_client.py";

# the client needs psycopg 3 (Debian: python3-psycopg)
if (!IPC::Run::run([ $python, '-c', 'import psycopg' ], '>', \my $o, '2>', \my $e))
{
	fail("$python cannot import psycopg (install python3-psycopg): $e");
	done_testing();
	exit;
}

my $node = PostgreSQL::Test::Cluster->new('logs');
$node->init;
$node->append_conf('postgresql.conf', q{
log_min_messages = debug1
log_min_error_statement = error
log_statement = none
log_error_verbosity = verbose
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION apitoken;
	CREATE ROLE alice LOGIN IN ROLE apitoken_user;
	CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL,
	                     api_token text, placed_by regrole);
	CREATE TRIGGER orders_auth BEFORE INSERT OR UPDATE ON orders
		FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('api_token', 'placed_by');
	GRANT SELECT, INSERT, UPDATE ON orders TO alice;
	GRANT USAGE ON SEQUENCE orders_id_seq TO alice;
	ALTER SYSTEM SET apitoken.last_access_interval = 0;
	SELECT pg_reload_conf();
});

# what the client must see: the paths really were taken
my %expected = (
	'create 1'             => 'ok',
	'create 2'             => 'ok',
	'create 3'             => 'ok',
	'create 4'             => 'ok',
	'regenerate'           => 'ok',
	'verify valid'         => [ ['alice'] ],
	'verify typed'         => [ ['alice'] ],
	'check valid'          => [ ['valid'] ],
	'verify records'       => [ ['alice'] ],
	'verify old'           => [ [undef] ],
	'check old'            => [ ['unknown'] ],
	'disable'              => [ [1] ],
	'verify disabled'      => [ [undef] ],
	'check disabled'       => [ ['disabled'] ],
	'expire'               => [ [JSON::PP::true] ],
	'verify expired'       => [ [undef] ],
	'check expired'        => [ ['expired'] ],
	'delete'               => [ [JSON::PP::true] ],
	'verify deleted'       => [ [undef] ],
	'check deleted'        => [ ['unknown'] ],
	'verify bad checksum'  => [ [undef] ],
	'check bad checksum'   => [ ['malformed'] ],
	'verify truncated'     => [ [undef] ],
	'typed bad checksum'   => 'error 22P02',
	'typed truncated'      => 'error 22P02',
	'typed old'            => [ [undef] ],
	'insert valid'         => [ ['alice'] ],
	'insert disabled'      => 'error 28000',
	'insert expired'       => 'error 28000',
	'insert deleted'       => 'error 28000',
	'insert old'           => 'error 28000',
	'insert bad checksum'  => 'error 28000',
	'insert truncated'     => 'error 28000',
	'update disabled'      => 'error 28000',
	'create duplicate'     => 'error 23505',
	'create too long'      => 'error 22001',
	'create blank'         => 'error 22023',
	'create past expiry'   => 'error 22023',
	'regenerate missing'   => 'error 42704',
	'rolled back'          => 'error 22P02',
);

# run the client; returns its list of issued values
sub run_client
{
	my ($round) = @_;
	my $conninfo = $node->connstr('postgres') . ' user=alice';
	my ($out, $err) = ('', '');
	# stdout carries token values: it is parsed, never printed
	my $ok = IPC::Run::run([ $python, $client, $conninfo, "-$round" ],
		'>', \$out, '2>', \$err);
	ok($ok, "round $round: client ran") or diag("client stderr: $err");
	my $res = eval { decode_json($out) } // { tokens => [], results => {} };
	is_deeply($res->{results}, \%expected,
		"round $round: every path returned what it should");
	# 5 created, 2 regenerated, 1 checksum changed, 1 truncated
	is(scalar @{ $res->{tokens} }, 9, "round $round: the client saw every value it expects");
	return @{ $res->{tokens} };
}

# every form of a secret that must not be logged
sub needles
{
	my (@tokens) = @_;
	my %n;
	for my $t (@tokens)
	{
		$n{$t} = 1;
		# the secret body, shared by altered values
		$n{$1} = 1 if $t =~ /^pgat_([0-9A-Za-z]{43})/;
		next unless $t =~ /^pgat_[0-9A-Za-z]{49}$/;
		$n{ sha256_hex($t) } = 1;
		# PostgreSQL's "Failing row contains" shortens long values
		$n{ substr(sha256_hex($t), 0, 40) } = 1;
		my $b64 = encode_base64(sha256($t), '');
		$n{$b64} = 1;
		# how a plan prints a constant: its bytes as signed decimals
		$n{ decimal_bytes(sha256($t)) } = 1;
		$n{ decimal_bytes($t) } = 1;
	}
	return keys %n;
}

# the bytes of a datum as outDatum() prints them, signed decimals, with
# the white space left out: a printed plan is wrapped at arbitrary points,
# so count_hits() compares it with its white space left out too
sub decimal_bytes
{
	my ($bytes) = @_;
	return join('', map { $_ > 127 ? $_ - 256 : $_ } unpack('C*', $bytes));
}

sub count_hits
{
	my ($log, @needles) = @_;
	my $hits = 0;
	my $lower = lc $log;
	(my $packed = $lower) =~ s/\s+//g;
	for my $n (@needles)
	{
		$hits++ if index($lower, lc $n) >= 0 || index($packed, lc $n) >= 0;
	}
	return $hits;
}

# --- round 1: log_statement = none ---------------------------------------
my $offset = -s $node->logfile;
my @tokens = run_client(1);
# the trigger's last_access write and the errors are all in by now;
# make sure the log is flushed to the file
$node->safe_psql('postgres', 'SELECT 1');
my $log = slurp_file($node->logfile, $offset);

cmp_ok(length $log, '>', 1000, 'round 1: the server log is not empty');
like(slurp_file($node->logfile), qr/DEBUG:  00000: /, 'debug1 messages are logged');
my @needles = needles(@tokens);
cmp_ok(scalar @needles, '>=', 3 * 10, 'round 1: values, bodies and hashes to look for');
is(count_hits($log, @needles), 0,
	'round 1: no token value, secret body or hash in the server log');

for my $re (
	qr/LOCATION:/,
	qr/ERROR:  22P02: invalid input syntax for type apitoken\.token/,
	# the failing bind parameter is named, its value is not (with
	# log_parameter_max_length_on_error = 0, PostgreSQL shows '...')
	qr/CONTEXT:  unnamed portal parameter \$1(?: = '\.\.\.')?\n/,
	qr/ERROR:  28000: invalid API token/,
	qr/DETAIL:  Trigger "orders_auth" on table "orders" requires a valid token in column "api_token"/,
	qr/ERROR:  23505: API token "primary-1" already exists for role "alice"/,
	qr/ERROR:  22001: API token name is too long/,
	qr/ERROR:  22023: API token name must not be blank/,
	qr/ERROR:  22023: expiry time of an API token must be in the future/,
	qr/ERROR:  42704: API token 999999999 not found/,
	qr/STATEMENT:  INSERT INTO orders \(item, api_token\) VALUES \(\$1, \$2\)/,
	qr/STATEMENT:  SELECT apitoken\.verify\(\$1::apitoken\.token\)/)
{
	like($log, $re, "round 1: log has $re");
}
unlike($log, qr/\$\d+ = '(?!\.\.\.')/, 'round 1: no bind parameter value is logged');

# --- round 2: log_statement = all, bind values not logged ----------------
$node->safe_psql('postgres', q{
	ALTER SYSTEM SET log_statement = 'all';
	ALTER SYSTEM SET log_parameter_max_length = 0;
	SELECT pg_reload_conf();
});
# wait until the postmaster has passed the reload on
$node->poll_query_until('postgres', q{SELECT current_setting('log_statement') = 'all'})
  or die 'log_statement = all not in effect';

$offset = -s $node->logfile;
@tokens = run_client(2);
$node->safe_psql('postgres', 'SELECT 1');
$log = slurp_file($node->logfile, $offset);

like($log, qr/execute <unnamed>: SELECT apitoken\.verify\(\$1\)/,
	'round 2: statements are logged, with placeholders');
is(count_hits($log, needles(@tokens)), 0,
	'round 2: no token value, secret body or hash in the server log');
unlike($log, qr/\$\d+ = '(?!\.\.\.')/, 'round 2: no bind parameter value is logged');

# --- round 3: plans printed, debug5 ----------------------------------------
$node->safe_psql('postgres', q{
	ALTER SYSTEM RESET log_statement;
	ALTER SYSTEM SET log_min_messages = debug5;
	SELECT pg_reload_conf();
	CREATE ROLE carol LOGIN IN ROLE apitoken_admin;
	CREATE ROLE bob LOGIN IN ROLE apitoken_user;
});
$node->poll_query_until('postgres', q{SELECT current_setting('log_min_messages') = 'debug5'})
  or die 'log_min_messages = debug5 not in effect';
$offset = -s $node->logfile;
my $bob_tok = $node->safe_psql('postgres',
	q{SELECT token FROM apitoken.create('bob-main', owner => 'bob')});
my ($ret3, $out3, $err3) = $node->psql('postgres', q{
	SET client_min_messages = log;
	SET debug_print_parse = on;
	SET debug_print_rewritten = on;
	SET debug_print_plan = on;
	SELECT token FROM apitoken.create('dbg-1', owner => 'bob');
	SELECT apitoken.regenerate(id) FROM apitoken.tokens WHERE name = 'dbg-1';
	SELECT apitoken.regenerate(id, '1 hour') FROM apitoken.tokens WHERE name = 'dbg-1';
	SELECT apitoken.regenerate(id, grace => '1 hour') FROM apitoken.tokens WHERE name = 'bob-main';
	UPDATE apitoken.tokens SET description = 'edited by carol' WHERE name = 'bob-main';
	SELECT apitoken.disable(id) FROM apitoken.tokens WHERE name = 'bob-main';
	SELECT apitoken.enable(id) FROM apitoken.tokens WHERE name = 'bob-main';
	UPDATE apitoken.tokens SET name = 'dbg-2' WHERE name = 'dbg-1';
	DELETE FROM apitoken.tokens WHERE name = 'dbg-2';
	SELECT count(*) FROM apitoken.search();
	SELECT apitoken.purge_orphaned();
}, extra_params => [ '-U', 'carol', '-At' ], on_error_stop => 1);
is($ret3, 0, 'round 3: the admin session ran') or diag($err3);
my @round3 = ($bob_tok, grep { /^pgat_/ } split /\n/, $out3);
is(scalar @round3, 5, 'round 3: bob\'s value, one created and three regenerated');
# a superuser's failing statements whose errors would print the row
my ($ret4, $out4, $err4) = $node->psql('postgres', q{
	UPDATE apitoken.tokens SET description = NULL WHERE name = 'bob-main';
	UPDATE apitoken.token_store SET enabled = NULL WHERE name = 'bob-main';
	SELECT apitoken.create(E'\u3000');
});
like($err4, qr/description must not be null/, 'round 3: the superuser\'s errors were raised');
$node->safe_psql('postgres', 'SELECT 1');
$log = slurp_file($node->logfile, $offset);
like($err3, qr/LOG:  plan:/, 'round 3: the admin session was sent its plans');
like($log, qr/DEBUG:  .*CommitTransaction/, 'round 3: debug5 messages are logged');
like($log, qr/plan:/, 'round 3: plans are in the server log');
like($log, qr/apitoken\.record_event/, 'round 3: the audit trigger\'s call was planned and printed');
@needles = needles(@round3);
cmp_ok(scalar @needles, '>=', 4 * 6, 'round 3: values, bodies and hashes in every form');
is(count_hits($err3, @needles), 0,
	'round 3: nothing the admin session was sent holds a value or a hash');
is(count_hits($log, @needles), 0,
	'round 3: no value or hash in the server log, plans and debug5 included');
is(count_hits($err4, @needles), 0,
	'round 3: no failing-row detail shows a hash to the superuser');

# --- round 4: login(), with the token as a literal in the statement -------
# The README tells applications to bind the value; a literal is what a DBA
# types in psql.  log_min_error_statement = error would log the statement
# of every error; login() sends its own errors, and the role check's,
# without it.  Every path: outside a transaction block, a refused value,
# a malformed one, an owner the session may not become, and a success.
$node->safe_psql('postgres', q{
	CREATE ROLE gateway LOGIN NOINHERIT;
	CREATE ROLE dave;
	GRANT alice TO gateway;
});
my ($login_ok, $login_off, $login_dave) = map {
	$node->safe_psql('postgres', qq{SELECT token FROM apitoken.create('$_->[0]', owner => '$_->[1]')})
} ([ 'login-ok', 'alice' ], [ 'login-off', 'alice' ], [ 'login-dave', 'dave' ]);
$node->safe_psql('postgres', q{SELECT apitoken.disable(id) FROM apitoken.tokens WHERE name = 'login-off'});
my $login_bad = substr($login_ok, 0, -1) . (substr($login_ok, -1) eq 'A' ? 'B' : 'A');
$offset = -s $node->logfile;
my %login_paths = (
	'outside a transaction block' => [ "SELECT apitoken.login('$login_ok')", qr/can only be used in a transaction block/ ],
	'disabled'      => [ "BEGIN; SELECT apitoken.login('$login_off'); COMMIT;", qr/invalid API token/ ],
	'bad checksum'  => [ "BEGIN; SELECT apitoken.login('$login_bad'); COMMIT;", qr/invalid API token/ ],
	'not permitted' => [ "BEGIN; SELECT apitoken.login('$login_dave'); COMMIT;", qr/permission denied to set role "dave"/ ],
	'valid'         => [ "BEGIN; SELECT apitoken.login('$login_ok'); SELECT current_user; COMMIT;", undef ]);
for my $path (sort keys %login_paths)
{
	my ($sql, $err_re) = @{ $login_paths{$path} };
	my ($ret, $out, $err) = $node->psql('postgres', $sql,
		extra_params => [ '-U', 'gateway', '-At' ], on_error_stop => 1);
	if (defined $err_re)
	{
		like($err, $err_re, "round 4: login() $path is refused");
	}
	else
	{
		is($ret, 0, "round 4: login() $path runs") or diag($err);
		like($out, qr/^alice$/m, 'round 4: and switches to the owner');
	}
}
$node->safe_psql('postgres', 'SELECT 1');
$log = slurp_file($node->logfile, $offset);
for my $re (qr/ERROR:  25P01: apitoken\.login\(\) can only be used in a transaction block/,
	qr/ERROR:  28000: invalid API token/,
	qr/ERROR:  42501: permission denied to set role "dave"/)
{
	like($log, $re, "round 4: log has $re");
}
unlike($log, qr/STATEMENT:.*apitoken\.login/, 'round 4: no login() statement is logged with its error');
is(count_hits($log, needles($login_ok, $login_off, $login_dave, $login_bad)), 0,
	'round 4: no token value, secret body or hash in the server log');

$node->stop;

# the whole log, both rounds and setup, one last time
is(count_hits(slurp_file($node->logfile), needles(@tokens)), 0,
	'the complete server log has no secret of round 2 either');

done_testing();
