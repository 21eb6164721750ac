# 005_logical_owner.pl: a token carried by logical replication never
# verifies as a role other than the one it was issued to.
#
# A publisher and two subscribers, one in text format and one in binary
# format, whose roles lr_alice and lr_bob were created in the opposite
# order, so that alice's OID on the publisher is bob's OID on the
# subscribers.  The text format names the owner by name, so both tokens
# verify there as their owners; the binary format carries the OID raw, so
# there, before 1.1.1, alice's token verified as lr_bob.  Now every answer
# on every cluster is the right owner or a refusal (owner_mismatch), never
# another role; a token disabled on the publisher is refused everywhere
# once applied; the audit trail arrives; and a rename on the publisher,
# done on a subscriber too and recorded with record_owner_names(), keeps
# the token working on the text subscriber.  (The set-up the README will
# give for verifying in other clusters, a verifier-only setting and the
# remaining kinds of tokens are the rest of that issue.)

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ApitokenTest;

my $pub = quiet_node('pub', allows_streaming => 'logical');
# the roles first, so that the OIDs they get line up as described above
$pub->safe_psql('postgres', q{
	CREATE ROLE lr_alice;
	CREATE ROLE lr_bob;
	CREATE EXTENSION apitoken;
	CREATE PUBLICATION apitoken_pub FOR TABLE apitoken.token_store, apitoken.event_store;
});

my %sub;
for my $kind ('text', 'binary')
{
	my $node = quiet_node("sub_$kind");
	$node->safe_psql('postgres', q{
		CREATE ROLE lr_bob;
		CREATE ROLE lr_alice;
		CREATE EXTENSION apitoken;
	});
	my $binary = $kind eq 'binary' ? 'true' : 'false';
	(my $connstr = $pub->connstr('postgres')) =~ s/'/''/g;
	$node->safe_psql('postgres',
		"CREATE SUBSCRIPTION s_$kind CONNECTION '$connstr' PUBLICATION apitoken_pub WITH (binary = $binary)");
	$node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM pg_subscription_rel WHERE srsubstate NOT IN ('r', 's')})
	  or die "initial sync of s_$kind did not finish";
	$sub{$kind} = $node;
}

my $oid = sub { my ($node, $role) = @_;
	$node->safe_psql('postgres', "SELECT oid FROM pg_roles WHERE rolname = '$role'") };
is($oid->($sub{binary}, 'lr_bob'), $oid->($pub, 'lr_alice'),
	"precondition: lr_alice's OID on the publisher is lr_bob's on the subscribers");

# tokens made after the subscriptions, so that they arrive by streaming
# apply (in binary format for s_binary), not by the initial copy
my %tok;
for my $who ('alice', 'bob')
{
	$tok{$who} = $pub->safe_psql('postgres',
		"SELECT token FROM apitoken.create('$who-api', owner => 'lr_$who')");
}
$tok{off} = $pub->safe_psql('postgres',
	q{SELECT token FROM apitoken.create('alice-off', owner => 'lr_alice')});
$pub->safe_psql('postgres',
	q{SELECT apitoken.disable(id) FROM apitoken.tokens WHERE name = 'alice-off'});
$pub->wait_for_catchup("s_$_") for keys %sub;

# what each cluster answers for a token: verify()'s owner and check()'s status
sub judge
{
	my ($node, $token) = @_;
	return $node->safe_psql('postgres',
		"SELECT coalesce(apitoken.verify('$token')::text, '-') || ' ' || status
		   FROM apitoken.check('$token')");
}

is(judge($pub, $tok{alice}), 'lr_alice valid', 'publisher: alice\'s token is alice\'s');
is(judge($pub, $tok{bob}), 'lr_bob valid', 'publisher: bob\'s token is bob\'s');
is(judge($sub{text}, $tok{alice}), 'lr_alice valid', 'text subscriber: alice\'s token is alice\'s');
is(judge($sub{text}, $tok{bob}), 'lr_bob valid', 'text subscriber: bob\'s token is bob\'s');
is(judge($sub{binary}, $tok{alice}), '- owner_mismatch',
	'binary subscriber: alice\'s token, whose OID is bob\'s there, is refused, not taken as bob\'s');
is(judge($sub{binary}, $tok{bob}), '- owner_mismatch',
	'binary subscriber: bob\'s token, whose OID is alice\'s there, is refused');
is(judge($_, $tok{off}), '- disabled', $_->name . ': the disabled token is refused')
  for ($pub, $sub{text});
is(judge($sub{binary}, $tok{off}), '- owner_mismatch',
	'sub_binary: the disabled token is refused (its owner is checked first)');

# zero accepts as a wrong owner, over every token and every cluster
my $wrong = 0;
for my $node ($pub, values %sub)
{
	for my $who ('alice', 'bob')
	{
		my $owner = $node->safe_psql('postgres', "SELECT apitoken.verify('$tok{$who}')");
		$wrong++ if $owner ne '' && $owner ne "lr_$who";
	}
}
is($wrong, 0, 'no cluster accepts a token as a role it was not issued to');

# the audit trail arrives too
my $events = $pub->safe_psql('postgres', 'SELECT count(*) FROM apitoken.event_store');
is($sub{$_}->safe_psql('postgres', 'SELECT count(*) FROM apitoken.event_store'), $events,
	"$_ subscriber: the audit trail arrived") for keys %sub;

# a rename: done on the subscriber first (a text-format row names its
# owner), then on the publisher, where record_owner_names() records it
$sub{text}->safe_psql('postgres', 'ALTER ROLE lr_alice RENAME TO lr_alicia');
is(judge($sub{text}, $tok{alice}), '- owner_mismatch',
	'text subscriber: renamed there before the publisher says so: refused, not accepted as another role');
$pub->safe_psql('postgres', 'ALTER ROLE lr_alice RENAME TO lr_alicia');
is(judge($pub, $tok{alice}), 'lr_alicia valid', 'publisher: the renamed owner\'s token keeps working');
$pub->safe_psql('postgres', 'CALL apitoken.record_owner_names()');
$pub->wait_for_catchup('s_text');
is(judge($sub{text}, $tok{alice}), 'lr_alicia valid',
	'text subscriber: once the new name has replicated, the renamed owner\'s token works there too');

$_->stop for ($pub, values %sub);
done_testing();
