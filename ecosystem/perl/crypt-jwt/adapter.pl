#!/usr/bin/env perl
# Ecosystem adapter: a verifier on Perl `Crypt::JWT` (Debian's libcrypt-jwt-perl, 0.034 in
# bookworm; `scripts/test` installs it with apt-get).
#
# How the integrator configures the library
#   decode_jwt(token => $token, key => $secret, accepted_alg => 'HS256', leeway => $leeway)
#     one call per key of the platform, in the workspace's order; HS256 pinned with
#     `accepted_alg` (Crypt::JWT's default accepts every algorithm but `none`); the workspace's
#     leeway. Every other option is Crypt::JWT's default: `exp` and `nbf` checked when present,
#     `iat` not checked, JSON payloads decoded.
#
# The clock
#   Crypt::JWT reads the real clock (`my $now = time;` in _verify_claims) and takes no other
#   instant, so this adapter declares `"clock": "system"`: the harness builds every time from the
#   real clock and skips, with that reason, the cases that need an exact instant.
#
# Which error names which rule (Crypt::JWT croaks with a message)
#   "JWS: invalid signature" under every key: jwt_signature_invalid; "alg ..." (missing, `none`,
#   not accepted): jwt_algorithm_not_allowed; "exp claim check failed": jwt_expired; "nbf claim
#   check failed": jwt_not_yet_valid; anything else (token format, header or payload part):
#   jwt_malformed.
#
# Around the library, the integrator's own code: the request's shape (rule 1), the user_hash
# path (rule 3), rules 4 and 5, and after decode_jwt the application's claims (`user_id`,
# `email`), the identity check (2.8) and the attributes (2.9); the same rules as
# ecosystem/python/integrator.py, in Perl (this is the only Perl adapter). What Crypt::JWT does
# differently from the profile is listed, with the line of its source, in expectations.yaml
# beside this file.

use strict;
use warnings;
use B ();
use Crypt::JWT qw(decode_jwt);
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP ();

binmode STDIN, ':raw';
binmode STDOUT, ':raw';
$| = 1;

my $JSON = JSON::PP->new->utf8->canonical;
my @PLATFORMS = qw(web ios android);
my @ACTIONS = qw(boot update);
my %RESERVED_ATTRIBUTES = map { $_ => 1 } qw(user_id email user_hash intercom_user_jwt);
my %REGISTERED_CLAIMS = map { $_ => 1 } qw(exp nbf iat iss aud sub jti);

# The adapter's hello, in one place.
my %HELLO = (
    type => 'hello',
    protocol => 1,
    implementation => { name => 'Crypt::JWT', version => "Crypt::JWT $Crypt::JWT::VERSION" },
    roles => ['verifier'],
    clock => 'system',
);

sub reject { die { code => $_[0], message => $_[1] } }

# A JSON string as JSON::PP decoded it (a number or a boolean is not one).
sub is_string {
    my ($value) = @_;
    return 0 if !defined $value || ref $value;
    my $flags = B::svref_2object(\$value)->FLAGS;
    return ($flags & B::SVp_POK) && !($flags & (B::SVp_IOK | B::SVp_NOK)) ? 1 : 0;
}

sub accepted {
    my ($verified, $identity, $attributes, $message) = @_;
    return { outcome => 'accepted', verified => $verified ? JSON::PP::true : JSON::PP::false,
             identity => $identity, error => undef, attributes => $attributes, message => $message };
}

sub request_attributes {
    my ($sent, $set_by_claims, $locked) = @_;
    my %attributes = (applied => {}, dropped => {});
    for my $name (sort keys %$sent) {
        if ($set_by_claims->{$name}) { $attributes{dropped}{$name} = 'overridden_by_jwt' }
        elsif ($locked->($name)) { $attributes{dropped}{$name} = 'locked_attribute' }
        else { $attributes{applied}{$name} = $sent->{$name} }
    }
    return \%attributes;
}

# Rule 1: the request's shape. JSON null counts as absent for every field.
sub parse_request {
    my ($raw) = @_;
    reject('invalid_request', 'the request is not an object') if ref $raw ne 'HASH';
    my $string = sub {
        my ($name, $non_empty) = @_;
        my $value = $raw->{$name};
        return undef if !defined $value;
        reject('invalid_request', "`$name` is not a string") if !is_string($value);
        reject('invalid_request', "`$name` is an empty string") if $non_empty && $value eq '';
        return $value;
    };
    my $action = $string->('action', 0);
    reject('invalid_request', 'unknown action') if !defined $action || !grep { $_ eq $action } @ACTIONS;
    my $platform = $string->('platform', 0);
    reject('invalid_request', 'unknown platform') if !defined $platform || !grep { $_ eq $platform } @PLATFORMS;
    my $attributes = defined $raw->{attributes} ? $raw->{attributes} : {};
    reject('invalid_request', '`attributes` is not an object') if ref $attributes ne 'HASH';
    my @reserved = grep { $RESERVED_ATTRIBUTES{$_} } sort keys %$attributes;
    reject('invalid_request', "reserved attribute names: @reserved") if @reserved;
    return { platform => $platform, user_id => $string->('user_id', 1), email => $string->('email', 1),
             user_hash => $string->('user_hash', 0), jwt => $string->('intercom_user_jwt', 0),
             attributes => $attributes };
}

# Rule 3.3: hex HMAC-SHA256(secret, identifier); either hex case on web, lowercase on mobile.
sub user_hash_matches {
    my ($platform, $secret, $identifier, $given) = @_;
    return 0 if $secret eq '';
    my $shape = $platform eq 'web' ? qr/\A[0-9a-fA-F]{64}\z/ : qr/\A[0-9a-f]{64}\z/;
    return 0 if $given !~ $shape;
    my $expected = hmac_sha256_hex(_utf8($identifier), _utf8($secret));
    my $difference = 0;
    $difference |= ord(substr($expected, $_, 1)) ^ ord(lc substr($given, $_, 1)) for 0 .. 63;
    return $difference == 0;
}

sub _utf8 { my ($text) = @_; utf8::encode($text); return $text }

# The library decides the token (2.2 to 2.7).
sub verify_token {
    my ($token, $keys, $leeway) = @_;
    for my $key (@$keys) {
        my $claims = eval { decode_jwt(token => $token, key => _utf8($key->{secret}), accepted_alg => 'HS256', leeway => $leeway) };
        return $claims if !$@;
        my $error = "$@";
        $error =~ s/ at \S+ line \d+.*\z//s;
        next if $error =~ /JWS: invalid signature/;
        next if $error =~ /hmac_init failed: Invalid key size/;  # a key the library refuses (the empty one)
        reject('jwt_algorithm_not_allowed', "Crypt::JWT: $error") if $error =~ /alg/;
        reject('jwt_expired', "Crypt::JWT: $error") if $error =~ /exp claim check failed/;
        reject('jwt_not_yet_valid', "Crypt::JWT: $error") if $error =~ /nbf claim check failed/;
        reject('jwt_malformed', "Crypt::JWT: $error");
    }
    reject('jwt_signature_invalid', 'no key of the platform verifies the signature');
}

sub verify_jwt {
    my ($workspace, $settings, $request, $locked) = @_;
    reject('jwt_not_enabled', "JWT is not enabled on $request->{platform}") if !$settings || !$settings->{jwt}{enabled};
    my @keys = grep { grep { $_ eq $request->{platform} } @{ $_->{platforms} } } @{ $workspace->{jwt_keys} };
    my $claims = verify_token($request->{jwt}, \@keys, $workspace->{jwt_leeway_seconds});
    reject('jwt_malformed', 'the payload is not a JSON object') if ref $claims ne 'HASH';

    # 2.5, the application's own claims.
    my $user_id = $claims->{user_id};
    reject('jwt_missing_user_id', 'no user_id claim') if !defined $user_id || (!ref $user_id && $user_id eq '');
    reject('jwt_claims_invalid', '`user_id` is not a string') if !is_string($user_id);
    my $claim_email = $claims->{email};
    reject('jwt_claims_invalid', '`email` is not a non-empty string')
        if exists $claims->{email} && (!is_string($claim_email) || $claim_email eq '');

    # 2.8
    reject('jwt_identity_mismatch', "the request's user_id differs from the claim")
        if defined $request->{user_id} && $request->{user_id} ne $user_id;
    reject('jwt_identity_mismatch', "the request's email differs from the claim")
        if defined $request->{email} && defined $claim_email && $request->{email} ne $claim_email;

    # 2.9: identity from the claims; other non-registered claims are attributes.
    my %identity = (user_id => $user_id, email => $claim_email);
    my %from_claims = map { $_ => 1 } grep { $_ ne 'user_id' && $_ ne 'email' && !$REGISTERED_CLAIMS{$_} } keys %$claims;
    my %attributes = (applied => { map { $_ => $claims->{$_} } keys %from_claims }, dropped => {});
    if (!defined $claim_email && defined $request->{email}) {
        if ($locked->('email')) { $attributes{dropped}{email} = 'locked_attribute' }
        else { $identity{email} = $request->{email} }
    }
    my $from_request = request_attributes($request->{attributes}, \%from_claims, $locked);
    %{ $attributes{applied} } = (%{ $attributes{applied} }, %{ $from_request->{applied} });
    %{ $attributes{dropped} } = (%{ $attributes{dropped} }, %{ $from_request->{dropped} });
    return accepted(1, \%identity, \%attributes, 'verified by a JWT');
}

sub decide {
    my ($workspace, $raw) = @_;
    my $request = parse_request($raw);
    my $settings = $workspace->{platforms}{ $request->{platform} };
    my %locked = map { $_ => 1 } @{ $workspace->{locked_attributes} };
    my $locked = sub { $locked{ $_[0] } };
    return verify_jwt($workspace, $settings, $request, $locked) if defined $request->{jwt};

    if (!defined $request->{user_id} && !defined $request->{email}) {
        reject('missing_identifier', 'a user_hash with neither user_id nor email') if defined $request->{user_hash};
        return accepted(0, undef, request_attributes($request->{attributes}, {}, $locked), 'anonymous visitor');
    }
    reject('jwt_required', "JWT is enabled on $request->{platform}: a user_hash is no substitute")
        if $settings && $settings->{jwt}{enabled};
    my $enforced = $settings && $settings->{identity_verification}{enforced};
    my $verified = 0;
    if (!defined $request->{user_hash}) {
        reject('user_hash_required', "identity verification is enforced on $request->{platform}") if $enforced;
    } else {
        my $secret = $settings ? $settings->{identity_verification}{secret} : '';
        my $identifier = defined $request->{user_id} ? $request->{user_id} : $request->{email};
        $verified = user_hash_matches($request->{platform}, $secret, $identifier, $request->{user_hash});
        reject('user_hash_mismatch', 'the user_hash does not match') if !$verified && $enforced;
    }
    my %identity = (user_id => $request->{user_id}, email => $request->{email});
    my $attributes = request_attributes($request->{attributes}, {}, $locked);
    if (defined $request->{user_id} && defined $request->{email} && $locked->('email')) {
        $identity{email} = undef;
        $attributes->{dropped}{email} = 'locked_attribute';
    }
    return accepted($verified, \%identity, $attributes, $verified ? 'verified by user_hash' : 'not verified');
}

sub verify {
    my ($message) = @_;
    my $verdict = eval { decide($message->{workspace}, $message->{request}) };
    if (!$verdict) {
        my $error = $@;
        die $error if ref $error ne 'HASH';  # not a rejection: an adapter error, with its message
        $verdict = { outcome => 'rejected', verified => JSON::PP::false, identity => undef, error => $error->{code},
                     attributes => { applied => {}, dropped => {} }, message => $error->{message} };
    }
    return { type => 'verdict', id => $message->{id}, %$verdict };
}

while (my $line = <STDIN>) {
    next if $line !~ /\S/;
    my $message = $JSON->decode($line);
    my $type = $message->{type} // '';
    last if $type eq 'bye';
    my $reply = $type eq 'hello' ? \%HELLO
        : $type eq 'verify' ? verify($message)
        : { type => 'unsupported', id => $message->{id}, message => "Crypt::JWT does not answer `$type`" };
    print STDERR "[Crypt::JWT] $type ", ($message->{id} // ''), ' ', ($reply->{outcome} // $reply->{type}), ' ',
        ($reply->{error} // ''), ' ', ($reply->{message} // ''), "\n";
    print $JSON->encode($reply), "\n";
}
