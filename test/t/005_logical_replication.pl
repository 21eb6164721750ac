# 005_logical_replication.pl: verifying tokens in other clusters through
# logical replication, set up as the README's "Verifying in other
# clusters" says, and never to the wrong owner.
#
# A publisher publishes token_store without last_access (a column list)
# and event_store; two subscribers, one in text format and one in binary
# format, have apitoken.verify_only on and roles lr_alice and lr_bob
# created in the opposite order, so that alice's OID on the publisher is
# bob's OID on the subscribers.  The text format names the owner by name,
# so tokens verify there as their owners; the binary format carries the
# OID raw, so there, before 1.1.1, alice's token verified as lr_bob, and
# now it is refused (owner_mismatch).
#
# Tokens of every kind (plain, scoped, address-limited, expiring,
# disabled, regenerated, rotated with a grace period, deleted, orphaned)
# are judged on every cluster
# after apply: on the text subscriber exactly as on the publisher, on the
# binary one refused for the owner; zero accepts as a wrong owner, on any
# cluster.  Writes attempted on a subscriber are refused (25006) while
# replication goes on applying; last access recorded on a subscriber stays
# there; the audit trail arrives; a rename on the publisher, done on a
# subscriber too and recorded with record_owner_names(), keeps the token
# working on the text subscriber.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ApitokenTest;

# roles in this order on the publisher and lr_bob, lr_alice on the
# subscribers: alice's and bob's OIDs swap, lr_carol's and lr_gone's match
my $pub = quiet_node('pub', allows_streaming => 'logical');
$pub->safe_psql('postgres', q{
	CREATE ROLE lr_alice;
	CREATE ROLE lr_bob;
	CREATE ROLE lr_carol;
	CREATE ROLE lr_gone;
	CREATE EXTENSION apitoken;
	CREATE PUBLICATION apitoken_pub FOR TABLE
		apitoken.token_store (id, owner, name, description, hash, hint, enabled,
			expires_at, created_at, created_by, regenerated_at, scopes, allowed_from,
			owner_name, issued_in, prev_hash, prev_valid_until),
		apitoken.event_store;
});

my %sub;
for my $kind ('text', 'binary')
{
	my $node = quiet_node("sub_$kind");
	$node->safe_psql('postgres', q{
		CREATE ROLE lr_bob;
		CREATE ROLE lr_alice;
		CREATE ROLE lr_carol;
		CREATE ROLE lr_gone;
		CREATE EXTENSION apitoken;
		ALTER SYSTEM SET apitoken.verify_only = on;
		SELECT pg_reload_conf();
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
my @subs = ($sub{text}, $sub{binary});
my $catch_up = sub { $pub->wait_for_catchup("s_$_") for keys %sub };

my $oid = sub { my ($node, $role) = @_;
	$node->safe_psql('postgres', "SELECT oid FROM pg_roles WHERE rolname = '$role'") };
is($oid->($sub{binary}, 'lr_bob'), $oid->($pub, 'lr_alice'),
	"precondition: lr_alice's OID on the publisher is lr_bob's on the subscribers");
is($oid->($sub{binary}, 'lr_carol'), $oid->($pub, 'lr_carol'),
	"precondition: lr_carol has the same OID everywhere");

# tokens made after the subscriptions, so that they arrive by streaming
# apply (in binary format for s_binary), not by the initial copy
my %tok;
my $issue = sub {
	my ($key, $owner, $args) = @_;
	$args = defined $args ? ", $args" : '';
	$tok{$key} = $pub->safe_psql('postgres',
		"SELECT token FROM apitoken.create('$key', owner => '$owner'$args)");
};
$issue->('alice', 'lr_alice');
$issue->('bob', 'lr_bob');
$issue->('alice_off', 'lr_alice');
$issue->('plain', 'lr_carol');
$issue->('scoped', 'lr_carol', q{scopes => '{orders:read}'});
$issue->('networked', 'lr_carol', q{allowed_from => '{10.0.0.0/8}'});
$issue->('expiring', 'lr_carol', q{expires_at => now() + interval '2 seconds'});
$issue->('disabled', 'lr_carol');
$issue->('regenerated', 'lr_carol');
$issue->('rotated', 'lr_carol');
$issue->('deleted', 'lr_carol');
$issue->('orphaned', 'lr_gone');
$pub->safe_psql('postgres', q{
	SELECT apitoken.disable(id) FROM apitoken.tokens WHERE name IN ('alice_off', 'disabled');
	DELETE FROM apitoken.tokens WHERE name = 'deleted';
});
$tok{regenerated_old} = $tok{regenerated};
$tok{regenerated} = $pub->safe_psql('postgres',
	q{SELECT apitoken.regenerate(id) FROM apitoken.tokens WHERE name = 'regenerated'});
# the previous value verifies wherever the previous hash is published
$tok{rotated_old} = $tok{rotated};
$tok{rotated} = $pub->safe_psql('postgres',
	q{SELECT apitoken.regenerate(id, '1 hour') FROM apitoken.tokens WHERE name = 'rotated'});
# a DBA drops a role everywhere; the tokens stay behind, orphaned
$_->safe_psql('postgres', 'DROP ROLE lr_gone') for ($pub, @subs);
$catch_up->();
# past the expiry, on every cluster
$pub->poll_query_until('postgres',
	q{SELECT now() > expires_at FROM apitoken.token_store WHERE name = 'expiring'})
  or die 'the expiring token did not expire';

# what a cluster answers for a token, with a scope and a client address:
# verify()'s owner and check()'s status
sub judge
{
	my ($node, $token, $scope, $addr) = @_;
	my $args = "'$token', " . (defined $scope ? "'$scope'" : 'NULL') . ', '
	  . (defined $addr ? "'$addr'" : 'NULL');
	return $node->safe_psql('postgres',
		"SELECT coalesce(apitoken.verify($args)::text, '-') || ' ' || status
		   FROM apitoken.check($args)");
}

# every kind of token, judged as the publisher judges it
my @cases = (
	[ 'plain', undef, undef, 'lr_carol valid' ],
	[ 'scoped', 'orders:read', undef, 'lr_carol valid' ],
	[ 'scoped', 'orders:write', undef, '- scope_denied' ],
	[ 'networked', undef, '10.1.2.3', 'lr_carol valid' ],
	[ 'networked', undef, '192.0.2.1', '- address_denied' ],
	[ 'expiring', undef, undef, '- expired' ],
	[ 'disabled', undef, undef, '- disabled' ],
	[ 'regenerated', undef, undef, 'lr_carol valid' ],
	[ 'regenerated_old', undef, undef, '- unknown' ],
	[ 'rotated', undef, undef, 'lr_carol valid' ],
	[ 'rotated_old', undef, undef, 'lr_carol valid' ],
	[ 'deleted', undef, undef, '- unknown' ],
	[ 'orphaned', undef, undef, '- orphaned' ],
	[ 'alice', undef, undef, 'lr_alice valid' ],
	[ 'bob', undef, undef, 'lr_bob valid' ],
	[ 'alice_off', undef, undef, '- disabled' ],);
for my $case (@cases)
{
	my ($key, $scope, $addr, $want) = @$case;
	my $what = $key . (defined $scope ? " for $scope" : '') . (defined $addr ? " from $addr" : '');
	is(judge($pub, $tok{$key}, $scope, $addr), $want, "publisher: $what: $want");
	is(judge($sub{text}, $tok{$key}, $scope, $addr), $want, "text subscriber: $what: as on the publisher");
	# binary: alice's and bob's OIDs name the other role there
	my $binary_want = $key =~ /^(alice|bob)/ && $want ne '- unknown' ? '- owner_mismatch' : $want;
	is(judge($sub{binary}, $tok{$key}, $scope, $addr), $binary_want,
		"binary subscriber: $what: $binary_want");
}

# zero accepts as a wrong owner, over every token and every cluster
my %issued_to = (alice => 'lr_alice', bob => 'lr_bob', alice_off => 'lr_alice');
my $wrong = 0;
for my $node ($pub, @subs)
{
	for my $key (keys %tok)
	{
		my $owner = $node->safe_psql('postgres', "SELECT apitoken.verify('$tok{$key}')");
		my $right = $issued_to{$key} // 'lr_carol';
		$wrong++ if $owner ne '' && $owner ne $right;
	}
}
is($wrong, 0, 'no cluster accepts a token as a role it was not issued to');

# a write on a subscriber is refused, whoever tries, by every path
for my $node (@subs)
{
	for my $sql (
		q{SELECT apitoken.create('local', owner => 'lr_carol')},
		q{SELECT apitoken.disable(id) FROM apitoken.tokens WHERE name = 'plain'},
		q{SELECT apitoken.regenerate(id) FROM apitoken.tokens WHERE name = 'plain'},
		q{UPDATE apitoken.tokens SET description = 'local' WHERE name = 'plain'},
		q{DELETE FROM apitoken.tokens WHERE name = 'plain'})
	{
		my ($ret, $out, $err) = $node->psql('postgres', $sql, on_error_stop => 1);
		like($err, qr/25006|API tokens cannot be changed in this database/,
			$node->name . ": refused: $sql");
	}
}

# last access recorded on a subscriber stays there: the publication leaves
# the column out, so a change arriving for the row does not overwrite it
my $access_sql = q{SELECT last_access FROM apitoken.token_store WHERE name = 'plain'};
my $pub_access = $pub->safe_psql('postgres', $access_sql);
$sub{text}->safe_psql('postgres',
	"SET apitoken.last_access_interval = 0; SELECT apitoken.verify('$tok{plain}')");
my $sub_access = $sub{text}->safe_psql('postgres', $access_sql);
ok($sub_access ne '-infinity' && $sub_access ne $pub_access,
	'text subscriber: last access recorded there, not the publisher\'s');

# replication goes on applying after the refused writes
$pub->safe_psql('postgres', q{
	UPDATE apitoken.tokens SET description = 'from the publisher' WHERE name = 'plain';
	SELECT apitoken.disable(id) FROM apitoken.tokens WHERE name = 'scoped';
});
$catch_up->();
for my $node (@subs)
{
	is($node->safe_psql('postgres', q{SELECT description FROM apitoken.tokens WHERE name = 'plain'}),
		'from the publisher', $node->name . ': an edit on the publisher arrives');
	is(judge($node, $tok{scoped}, 'orders:read', undef), '- disabled',
		$node->name . ': a token disabled on the publisher is refused once applied');
}
is($sub{text}->safe_psql('postgres', $access_sql), $sub_access,
	'text subscriber: its last access survived the change from the publisher');

# the audit trail arrives too
my $events = $pub->safe_psql('postgres', 'SELECT count(*) FROM apitoken.event_store');
is($_->safe_psql('postgres', 'SELECT count(*) FROM apitoken.event_store'), $events,
	$_->name . ': the audit trail arrived') for @subs;

# a rename: done on the subscriber first (a text-format row names its
# owner), then on the publisher, where record_owner_names() records it
$sub{text}->safe_psql('postgres', 'ALTER ROLE lr_alice RENAME TO lr_alicia');
is(judge($sub{text}, $tok{alice}), '- owner_mismatch',
	'text subscriber: renamed there before the publisher says so: refused, not accepted as another role');
$pub->safe_psql('postgres', 'ALTER ROLE lr_alice RENAME TO lr_alicia');
is(judge($pub, $tok{alice}), 'lr_alicia valid', 'publisher: the renamed owner\'s token keeps working');
$pub->safe_psql('postgres', 'CALL apitoken.record_owner_names()');
$catch_up->();
is(judge($sub{text}, $tok{alice}), 'lr_alicia valid',
	'text subscriber: once the new name has replicated, the renamed owner\'s token works there too');

$_->stop for ($pub, @subs);
done_testing();
