# test/perl/ApitokenTest.pm: helpers shared by the TAP tests in test/t.
#
# quiet_node() starts a cluster that keeps token values out of its log:
# the tests carry values as literals in their SQL, so the server must not
# log ordinary statements (log_statement = ddl).  create_token() issues a
# token and dies unless a value came back, so a test never goes on with an
# empty one.

package ApitokenTest;

use strict;
use warnings;
use Exporter 'import';
use PostgreSQL::Test::Cluster;

our @EXPORT = qw(quiet_node create_token);

# a new cluster, initialised with %init (PostgreSQL::Test::Cluster's init
# options), logging only DDL, started
sub quiet_node
{
	my ($name, %init) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%init);
	$node->append_conf('postgresql.conf', "log_statement = ddl\n");
	$node->start;
	return $node;
}

# create() as $role in database $db, with extra named arguments $args
# (SQL, may be undef); returns (id, value)
sub create_token
{
	my ($node, $db, $role, $name, $args) = @_;
	$args = defined $args ? ", $args" : '';
	my $out = $node->safe_psql($db,
		"SET ROLE $role; SELECT id, token FROM apitoken.create('$name'$args)");
	my ($id, $tok) = split /\|/, $out;
	die "create('$name') returned no token" unless defined $tok && $tok =~ /^pgat_/;
	return ($id, $tok);
}

1;
