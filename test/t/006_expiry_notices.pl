# 006_expiry_notices.pl: notify_expiring() scheduled with pg_cron, as the
# README shows, and heard by an application (expiry_listener.py, psycopg 3).
#
# The node preloads pg_cron (cron.database_name = 'app', jobs in background
# workers, so no connection or password is involved).  An apitoken_admin
# member schedules the README's job, and a member of apitoken_user the same
# job of its own; pg_cron runs a job as the role that scheduled it.  The
# schedule is every minute: pg_cron 1.4 (Debian bookworm) has minute
# resolution only ('N seconds' came in 1.5), so the first run comes within
# a minute.  The listener, a role with no apitoken role (LISTEN needs no
# privilege, so any role that can connect hears the notices, as the README
# says), waits at most 90 seconds; that bound is a timeout, not a
# measurement.  Then: the payload names the token (id, name, owner,
# expires_at, nothing else), the admin's job succeeded and remembered the
# notice, the user's job failed with the refusal.  A dump of the database
# restored elsewhere keeps the notices: nothing is announced again there.
#
# pg_cron is needed: scripts/deps.sh installs postgresql-NN-cron (set
# regress); without it this test fails, saying what to install.

use strict;
use warnings;
use FindBin;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ApitokenTest;

my $python = $ENV{PYTHON} // '/usr/bin/python3';
my $listener = "$FindBin::RealBin/expiry_listener.py";

my $node = quiet_node('cron');
my $major = int($node->safe_psql('postgres', 'SHOW server_version_num') / 10000);

# what this test needs, or fail saying how to get it
my $missing = '';
$missing .= " postgresql-$major-cron"
  unless $node->safe_psql('postgres',
	"SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_cron'") == 1;
$missing .= ' python3-psycopg'
  unless IPC::Run::run([ $python, '-c', 'import psycopg' ], '>', \my $o, '2>', \my $e);
if ($missing ne '')
{
	fail("needed and not installed:$missing; install with: apt-get install -y$missing");
	done_testing();
	exit;
}

$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'app'
cron.use_background_workers = on
});
$node->restart;

$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->safe_psql('app', q{
	CREATE EXTENSION pg_cron;
	CREATE EXTENSION apitoken;
	CREATE ROLE admin LOGIN IN ROLE apitoken_admin;
	CREATE ROLE alice LOGIN IN ROLE apitoken_user;
	CREATE ROLE bob LOGIN IN ROLE apitoken_user;
	CREATE ROLE monitor LOGIN;
	GRANT USAGE ON SCHEMA cron TO admin, alice;
});

my ($soon) = create_token($node, 'app', 'admin', 'deploy-soon',
	"owner => 'bob', expires_at => now() + interval '2 days'");
create_token($node, 'app', 'admin', 'deploy-later',
	"owner => 'bob', expires_at => now() + interval '30 days'");

# the listener first, so that the first run is heard
my ($out, $err) = ('', '');
my $h = IPC::Run::start(
	[ $python, $listener, $node->connstr('app') . ' user=monitor', '90' ],
	'>', \$out, '2>', \$err, IPC::Run::timeout(150));
$h->pump until $out =~ /^listening\n/m;

# the README's job, every minute instead of every hour
$node->safe_psql('app', q{SET ROLE admin;
	SELECT cron.schedule('apitoken-expiring', '* * * * *',
		$$SELECT apitoken.notify_expiring('7 days')$$)});
$node->safe_psql('app', q{SET ROLE alice;
	SELECT cron.schedule('apitoken-expiring-user', '* * * * *',
		$$SELECT apitoken.notify_expiring('7 days')$$)});

my $heard = eval { $h->finish };
ok($heard, 'the listener heard a notice within 90 seconds') or diag("listener: $@ $err");
my ($payload) = $out =~ /^listening\n(.*)\n/m;
my $n = eval { decode_json($payload // '') } // {};
is_deeply([ sort keys %$n ], [qw(expires_at id name owner)],
	'the payload holds id, name, owner and expires_at, nothing else');
is($n->{id}, $soon, 'the payload names the token expiring within the window');
is($n->{name}, 'deploy-soon', 'its name');
is($n->{owner}, 'bob', 'its owner');
is( $node->safe_psql('app',
		"SELECT expires_at = '" . ($n->{expires_at} // 'infinity') . "'::timestamptz FROM apitoken.tokens WHERE id = $soon"),
	't', 'its expiry');

# both jobs have run (once each at least); pg_cron records how it went
ok( $node->poll_query_until('app', q{
		SELECT count(DISTINCT j.jobname) = 2
		  FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		 WHERE d.status IN ('succeeded', 'failed')}),
	'both jobs ran');
is( $node->safe_psql('app', q{
		SELECT string_agg(DISTINCT d.status, ',')
		  FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		 WHERE j.jobname = 'apitoken-expiring' AND d.status IN ('succeeded', 'failed')}),
	'succeeded', "the admin's job succeeded");
like( $node->safe_psql('app', q{
		SELECT string_agg(DISTINCT d.status || ': ' || d.return_message, ',')
		  FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		 WHERE j.jobname = 'apitoken-expiring-user' AND d.status IN ('succeeded', 'failed')}),
	qr/^failed: (ERROR: +)?permission denied to administer API tokens\b/,
	"the user's job was refused");
is( $node->safe_psql('app',
		"SELECT string_agg(token_id || ' ' || within, ',') FROM apitoken.expiry_notice_store"),
	"$soon 7 days", 'the notice is remembered, once, for the token expiring within the window');

# a restored dump keeps what was announced: it is not announced again
my $dump = PostgreSQL::Test::Utils::tempdir() . '/app.sql';
$node->command_ok([ 'pg_dump', '--extension=apitoken', '-f', $dump, '-d', $node->connstr('app') ],
	'pg_dump of the tokens and the notices');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $dump, '-d', $node->connstr('restored') ],
	'restored into another database');
is($node->safe_psql('restored', "SET ROLE admin; SELECT apitoken.notify_expiring('7 days')"),
	'0', 'the restored database does not announce again what was announced');
is($node->safe_psql('restored', "SET ROLE admin; SELECT apitoken.notify_expiring('30 days')"),
	'2', 'a window not announced yet is announced there');

$node->safe_psql('app',
	"SELECT cron.unschedule(jobid) FROM cron.job");
$node->stop;
done_testing();
