# 004_no_secrets_in_logs.pl: no token value and no token hash ever reaches
# the server log.
#
# The server logs verbosely (log_min_messages = debug1, every error with
# its statement, log_error_verbosity = verbose).  A client that follows
# the README (token values as bind parameters: 004_bind_client.py, psycopg
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
my $client = "$FindBin::RealBin/004_bind_client.py";

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
		my $b64 = encode_base64(sha256($t), '');
		$n{$b64} = 1;
	}
	return keys %n;
}

sub count_hits
{
	my ($log, @needles) = @_;
	my $hits = 0;
	for my $n (@needles)
	{
		$hits++ if index(lc $log, lc $n) >= 0;
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

$node->stop;

# the whole log, both rounds and setup, one last time
is(count_hits(slurp_file($node->logfile), needles(@tokens)), 0,
	'the complete server log has no secret of round 2 either');

done_testing();
