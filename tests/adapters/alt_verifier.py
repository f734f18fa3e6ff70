#!/usr/bin/env python3
"""An independent implementation of CONTRACT.md that checks the verdict rules in other orders.

    alt_verifier.py --order alg-first [--eager]
    alt_verifier.py --order time-first [--eager]
    alt_verifier.py --order keys-first
    alt_verifier.py --order claims-first

Why it exists
    CONTRACT.md lists the verdict rules in one order and says: "Implementations check in other
    orders too, so when a request breaks several rules, the code of any rule it breaks
    conforms". The harness has to honour that: a correct implementation that checks in another
    order must pass every case and every property. This program is two such implementations,
    written from the contract alone (not from the reference in src/reference), in Python with
    the standard library only, speaking the exec transport (docs/protocol.md): one JSON object
    per line on stdin and stdout, logs on stderr, `hello` first, `bye` last. It plays both roles
    (verifier and signer) and decides with the `now` it is sent (`"clock": "injected"`).
    tests/alternative_orders.rs runs every order through the harness.

    CONTRACT.md also says which rules a request breaks: "A request breaks a rule when a verifier
    that checked that rule first, reading only what the rule needs, would reject it". Each order
    below checks some rule first in that sense.

The orders (rule numbers are CONTRACT.md's verdict rules)
    alg-first   The header's `alg` and `crit` (2.3) are looked at first, as soon as the request
                has a token string of three canonical base64url segments whose first decodes to
                a JSON object: before rule 1 (the request's shape and its attribute names) and
                before 2.1 (JWT enabled on the platform). The signature (2.4) is then checked on
                the raw segments before the payload is decoded (the rest of 2.2), and `kid` is
                trusted when it names one of the platform's keys (the `may` of 2.4). Rule 3 keeps
                the contract's order.
    time-first  After the signature, `nbf` and `exp` (2.7, 2.6, in that order, each with its
                type) are checked before `user_id`'s presence and the other claim types (2.5):
                the order of PyJWT and npm jsonwebtoken. Under rule 3 the user_hash sent (3.3)
                is checked before the JWT-required rule (3.1), which comes before 3.2. Every key
                of the platform is tried, whatever `kid` says.
    keys-first  After the request's shape (rule 1), the platform's keys are looked up before
                anything else about the token, JWT-enabled (2.1) included: a platform with no key
                that can verify (none listed for it, or only empty secrets) rejects every token
                `jwt_signature_invalid`, whatever its shape. Then 2.1 to 2.8 in the contract's
                order, every key of the platform tried.
    claims-first  After rule 1 and JWT-enabled (2.1), the payload is read as soon as the token is
                three canonical base64url segments whose second decodes to a JSON object: its
                `user_id` and the claim types (2.5) are checked before the header is decoded
                (the rest of 2.2), before `alg` (2.3) and before the signature (2.4). Then `exp`,
                `nbf` and the identity (2.6 to 2.8). Every key of the platform is tried.

    --eager     The widest reading of each order, still within the contract: alg-first reads
                the first segment's `alg` whatever follows it (a padded signature segment, or
                the five segments of a JWE), and time-first runs the whole user_hash check
                (3.2, then 3.3) before 3.1. Each rule is then read on only what it needs, as
                CONTRACT.md reads "breaks", so these conform too (tests/alternative_orders.rs
                runs them). keys-first and claims-first have no wider reading here.

Each gives every verdict the contract gives when a request breaks one rule; when it breaks
several, each answers with the code of the first broken rule in its own order.
"""

import base64
import hashlib
import hmac
import json
import math
import re
import sys
import traceback
from fractions import Fraction

# Integers in a token may be long; the verdict decides what they mean, not the parser.
if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)

PLATFORMS = ("web", "ios", "android")
ACTIONS = ("boot", "update")
IDENTITY_FIELDS = ("user_id", "email", "user_hash", "intercom_user_jwt")
# Rule 1: request attributes that may not exist.
RESERVED_ATTRIBUTES = frozenset(IDENTITY_FIELDS)
# Rule 2.9: registered claims (RFC 7519 section 4.1) are not attributes.
REGISTERED_CLAIMS = frozenset(("exp", "nbf", "iat", "iss", "aud", "sub", "jti"))
# Claims that make the identity, not attributes.
IDENTITY_CLAIMS = frozenset(("user_id", "email"))

BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
HEX = re.compile(r"[0-9A-Fa-f]{64}")


class Reject(Exception):
    """A verdict rule rejects the request with `code`; `why` is for people."""

    def __init__(self, code, why):
        super().__init__(why)
        self.code = code
        self.why = why


class Malformed(Exception):
    """A token segment or JSON text that rule 2.2 rejects."""


# --------------------------------------------------------------------------------------------
# JSON: numbers kept as written, and a serializer that writes them back unchanged
# --------------------------------------------------------------------------------------------


class Number:
    """A JSON number with a fraction or an exponent, kept as its source text.

    Python's float would turn `1e400` into infinity (which json.dumps cannot write back) and
    lose digits of an attribute's value; the text is what the token (or the harness) sent.
    """

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __eq__(self, other):
        return isinstance(other, Number) and other.text == self.text

    def __hash__(self):
        return hash(self.text)


def is_finite_number(value):
    """Rule 2.5: a finite JSON number: not a string, boolean or null, and within a double."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            return False
        return True
    if isinstance(value, Number):
        return math.isfinite(float(value.text))
    return False


def exact(value):
    """The exact value of a finite number (rules 2.6 and 2.7 compare without rounding)."""
    return Fraction(value.text) if isinstance(value, Number) else Fraction(value)


def dump(value):
    """Compact JSON; numbers as they were written; strings ASCII-escaped."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Number):
        return value.text
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dump(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dump(v) for k, v in value.items()) + "}"
    raise TypeError("cannot write %r as JSON" % (value,))


def _refuse_duplicates(pairs):
    """object_pairs_hook: two members of one name, at any depth, are malformed (rule 2.2)."""
    obj = {}
    for name, value in pairs:
        if name in obj:
            raise Malformed("duplicate member name %r" % name)
        obj[name] = value
    return obj


def _refuse_constant(name):
    """parse_constant: NaN, Infinity and -Infinity are not JSON."""
    raise Malformed("%s is not JSON" % name)


def _check_scalar_values(value):
    """Strings must be Unicode scalar values: a lone surrogate escape (\\ud800) is not text."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise Malformed("a string holds a lone surrogate") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def json_object(raw):
    """Rule 2.2: the bytes are UTF-8 holding exactly one JSON object with unique member names."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("not UTF-8") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_refuse_duplicates,
            parse_constant=_refuse_constant,
            parse_float=Number,
        )
    except (ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError
        raise Malformed("not JSON: %s" % e) from None
    if not isinstance(value, dict):
        raise Malformed("JSON, but not an object")
    _check_scalar_values(value)
    return value


# --------------------------------------------------------------------------------------------
# Base64url (rule 2.2) and HMAC
# --------------------------------------------------------------------------------------------


def b64url_decode(segment):
    """Strict base64url: alphabet A-Z a-z 0-9 - _ only, no padding, canonical trailing bits."""
    if not BASE64URL.fullmatch(segment):
        raise Malformed("a character outside the base64url alphabet")
    if len(segment) % 4 == 1:
        raise Malformed("a length no base64 text has")
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if b64url_encode(raw) != segment:
        raise Malformed("non-zero trailing bits (a non-canonical spelling)")
    return raw


def b64url_encode(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def utf8(text):
    return text.encode("utf-8", "surrogatepass")


def hmac_sha256(secret, message):
    """Secrets and messages are the exact UTF-8 bytes of their strings."""
    return hmac.new(utf8(secret), utf8(message), hashlib.sha256).digest()


# --------------------------------------------------------------------------------------------
# Rule 1: the request's shape
# --------------------------------------------------------------------------------------------


def _is_optional_string(value):
    return value is None or isinstance(value, str)


def check_workspace(workspace):
    """Rule 1 (a field of the wrong type), for the workspace settings."""
    ok = isinstance(workspace, dict) and isinstance(workspace.get("name"), str)
    ok = ok and isinstance(workspace.get("platforms"), dict)
    if ok:
        for name, settings in workspace["platforms"].items():
            idv = settings.get("identity_verification") if isinstance(settings, dict) else None
            jwt = settings.get("jwt") if isinstance(settings, dict) else None
            ok = ok and name in PLATFORMS and isinstance(idv, dict) and isinstance(jwt, dict)
            ok = ok and isinstance(idv.get("secret"), str) and isinstance(idv.get("enforced"), bool)
            ok = ok and isinstance(jwt.get("enabled"), bool)
    keys = workspace.get("jwt_keys", []) if ok else None
    ok = ok and isinstance(keys, list)
    for key in keys or []:
        ok = ok and isinstance(key, dict) and isinstance(key.get("id"), str)
        ok = ok and isinstance(key.get("secret"), str) and isinstance(key.get("platforms"), list)
        ok = ok and all(p in PLATFORMS for p in key.get("platforms") or [])
    locked = workspace.get("locked_attributes", []) if ok else None
    ok = ok and isinstance(locked, list) and all(isinstance(n, str) for n in locked)
    leeway = workspace.get("jwt_leeway_seconds", 0) if ok else None
    ok = ok and isinstance(leeway, int) and not isinstance(leeway, bool)
    if not ok:
        raise Reject("invalid_request", "rule 1: the workspace settings have a field of the wrong type")


def check_shape(workspace, request):
    """Rule 1, all but the attribute names: platform, action, field types, empty identifiers."""
    check_workspace(workspace)
    if not isinstance(request, dict):
        raise Reject("invalid_request", "rule 1: the request is not a JSON object")
    platform = request.get("platform")
    if platform not in PLATFORMS or platform not in workspace["platforms"]:
        raise Reject("invalid_request", "rule 1: unknown platform %s" % dump(platform))
    if request.get("action") not in ACTIONS:
        raise Reject("invalid_request", "rule 1: unknown action %s" % dump(request.get("action")))
    for field in IDENTITY_FIELDS:
        if not _is_optional_string(request.get(field)):
            raise Reject("invalid_request", "rule 1: %s is neither a string nor null" % field)
    for field in ("user_id", "email"):
        if request.get(field) == "":
            raise Reject("invalid_request", "rule 1: %s is the empty string" % field)
    attributes = request.get("attributes")
    if attributes is not None and not isinstance(attributes, dict):
        raise Reject("invalid_request", "rule 1: attributes is not an object")


def check_attribute_names(request):
    """Rule 1: no request attribute is named like an identity or proof field."""
    for name in request.get("attributes") or {}:
        if name in RESERVED_ATTRIBUTES:
            raise Reject("invalid_request", "rule 1: an attribute is named %s" % name)


# --------------------------------------------------------------------------------------------
# Rule 2: a JWT is present
# --------------------------------------------------------------------------------------------


class Token:
    """The compact JWS under judgement, decoded step by step as the order asks."""

    def __init__(self, text):
        self.text = text
        self.header = None
        self.segments = None
        self.signature = None
        self._raw_payload = None
        self.payload = None

    def peek_header(self, eager):
        """The header as a JSON object, or None when it cannot be read yet (judged later).

        The header is read once the token is three segments of canonical base64url, before the
        payload is decoded; with `eager`, the first segment is read whatever follows it (a
        padded signature segment or a five-part JWE included).
        """
        segments = self.text.split(".")
        try:
            if not eager:
                if len(segments) != 3:
                    return None
                for segment in segments[1:]:
                    b64url_decode(segment)
            return json_object(b64url_decode(segments[0]))
        except Malformed:
            return None

    def peek_payload(self):
        """The claims, or None when they cannot be read yet (judged later, under 2.2).

        The payload is read once the token is three segments of canonical base64url and the
        second decodes to a JSON object, before the header is decoded.
        """
        segments = self.text.split(".")
        if len(segments) != 3:
            return None
        try:
            for segment in (segments[0], segments[2]):
                b64url_decode(segment)
            return json_object(b64url_decode(segments[1]))
        except Malformed:
            return None

    def decode_structure(self):
        """Rule 2.2: exactly three canonical base64url segments; the header a JSON object."""
        segments = self.text.split(".")
        if len(segments) != 3:
            raise Reject("jwt_malformed", "rule 2.2: %d segments, not 3" % len(segments))
        try:
            raw = [b64url_decode(segment) for segment in segments]
            self.header = json_object(raw[0])
        except Malformed as e:
            raise Reject("jwt_malformed", "rule 2.2: %s" % e) from None
        self.segments = segments
        self.signature = raw[2]
        self._raw_payload = raw[1]

    def decode_payload(self):
        """Rule 2.2: the payload is a JSON object."""
        try:
            self.payload = json_object(self._raw_payload)
        except Malformed as e:
            raise Reject("jwt_malformed", "rule 2.2: payload %s" % e) from None


def check_alg(header):
    """Rule 2.3: `alg` exactly the string HS256; a `crit` header is malformed."""
    alg = header.get("alg")
    if not (isinstance(alg, str) and alg == "HS256"):
        raise Reject("jwt_algorithm_not_allowed", "rule 2.3: alg %s is not HS256" % dump(alg))
    if "crit" in header:
        raise Reject("jwt_malformed", "rule 2.3: a crit header (no extension is understood)")


def check_enabled(workspace, platform):
    """Rule 2.1: JWTs enabled on the platform."""
    if not workspace["platforms"][platform]["jwt"]["enabled"]:
        raise Reject("jwt_not_enabled", "rule 2.1: JWTs are not enabled on %s" % platform)


def check_signature(workspace, platform, token, trust_kid):
    """Rule 2.4: HMAC-SHA256 under a key listed for this platform, compared in constant time.

    Keys of other platforms never verify, whatever `kid` says; empty secrets never verify.
    With trust_kid, a `kid` naming one of the platform's keys narrows the search to it; a `kid`
    naming none of them is ignored (it never selects another key).
    """
    keys = [k for k in workspace.get("jwt_keys", []) if platform in k["platforms"]]
    kid = token.header.get("kid")
    if trust_kid and isinstance(kid, str) and any(k["id"] == kid for k in keys):
        keys = [k for k in keys if k["id"] == kid]
    signing_input = utf8(token.segments[0] + "." + token.segments[1])
    verified = False
    for key in keys:
        if key["secret"] == "":
            continue
        mac = hmac.new(utf8(key["secret"]), signing_input, hashlib.sha256).digest()
        if hmac.compare_digest(mac, token.signature):
            verified = True
    if not verified:
        raise Reject("jwt_signature_invalid", "rule 2.4: no key of %s verifies the signature" % platform)


def check_platform_has_keys(workspace, platform):
    """Rule 2.4, the keys alone: without a key that can verify, no token verifies.

    A key can verify when it is listed for the platform and its secret is not empty (empty
    secrets never verify).
    """
    keys = [k for k in workspace.get("jwt_keys", []) if platform in k["platforms"] and k["secret"] != ""]
    if not keys:
        raise Reject("jwt_signature_invalid", "rule 2.4: no key is listed for %s: no token verifies" % platform)


def check_user_id(claims):
    """Rule 2.5: user_id present, not null, not empty; user_id and email strings."""
    user_id = claims.get("user_id")
    if user_id is None or user_id == "":
        raise Reject("jwt_missing_user_id", "rule 2.5: the user_id claim is missing, null or empty")
    if not isinstance(user_id, str):
        raise Reject("jwt_claims_invalid", "rule 2.5: the user_id claim is not a string")
    if "email" in claims and not isinstance(claims["email"], str):
        raise Reject("jwt_claims_invalid", "rule 2.5: the email claim is not a string")


def check_time_types(claims):
    """Rule 2.5: exp and nbf, when present, are finite JSON numbers."""
    for name in ("exp", "nbf"):
        if name in claims and not is_finite_number(claims[name]):
            raise Reject("jwt_claims_invalid", "rule 2.5: %s is not a finite number" % name)


def check_exp(claims, now, leeway):
    """Rule 2.6: expired when now >= exp + leeway (at the very second of exp)."""
    if "exp" not in claims:
        return
    if not is_finite_number(claims["exp"]):
        raise Reject("jwt_claims_invalid", "rule 2.5: exp is not a finite number")
    if now >= exact(claims["exp"]) + leeway:
        raise Reject("jwt_expired", "rule 2.6: expired (now >= exp + leeway)")


def check_nbf(claims, now, leeway):
    """Rule 2.7: not yet valid while now + leeway < nbf. iat is not checked."""
    if "nbf" not in claims:
        return
    if not is_finite_number(claims["nbf"]):
        raise Reject("jwt_claims_invalid", "rule 2.5: nbf is not a finite number")
    if now + leeway < exact(claims["nbf"]):
        raise Reject("jwt_not_yet_valid", "rule 2.7: not yet valid (now + leeway < nbf)")


def check_identity_match(claims, request):
    """Rule 2.8: the request may not contradict the token's user_id or email."""
    if request.get("user_id") is not None and request["user_id"] != claims["user_id"]:
        raise Reject("jwt_identity_mismatch", "rule 2.8: the request's user_id is not the token's")
    if request.get("email") is not None and "email" in claims and request["email"] != claims["email"]:
        raise Reject("jwt_identity_mismatch", "rule 2.8: the request's email is not the token's")


def accept_jwt(workspace, request, claims):
    """Rule 2.9: verified; identity from the claims; claims set attributes, locked or not."""
    locked = set(workspace.get("locked_attributes", []))
    claim_attributes = {
        name: value
        for name, value in claims.items()
        if name not in REGISTERED_CLAIMS and name not in IDENTITY_CLAIMS
    }
    applied, dropped = {}, {}
    for name, value in (request.get("attributes") or {}).items():
        if name in claim_attributes:
            dropped[name] = "overridden_by_jwt"
        elif name in locked:
            dropped[name] = "locked_attribute"
        else:
            applied[name] = value
    applied.update(claim_attributes)
    email = claims.get("email")
    if email is None and request.get("email") is not None:
        # The request's email stands in only when the token has none, and never when locked.
        if "email" in locked:
            dropped["email"] = "locked_attribute"
        else:
            email = request["email"]
    identity = {"user_id": claims["user_id"], "email": email}
    return accepted(True, identity, applied, dropped, "rule 2.9: a valid JWT")


# --------------------------------------------------------------------------------------------
# Rule 3: a logged-in user without a JWT; rules 4 and 5
# --------------------------------------------------------------------------------------------


def hash_matches(platform, secret, identifier, user_hash):
    """Rule 3.3: hex HMAC-SHA256 of the identifier under the platform's secret, constant time.

    Web accepts either hex case (mixed case too: the `may` of IDV-HEX-MIXED-CASE, decided here
    by folding ASCII hex digits); iOS and Android only lowercase. An empty secret never matches.
    """
    if secret == "":
        return False
    expected = hmac_sha256(secret, identifier).hex().encode("ascii")
    given = user_hash
    if platform == "web" and HEX.fullmatch(given):
        given = given.lower()
    return hmac.compare_digest(expected, utf8(given))


def request_attributes(workspace, request):
    """Rules 3.4 and 5: unlocked request attributes applied, locked ones dropped."""
    locked = set(workspace.get("locked_attributes", []))
    applied, dropped = {}, {}
    for name, value in (request.get("attributes") or {}).items():
        if name in locked:
            dropped[name] = "locked_attribute"
        else:
            applied[name] = value
    return applied, dropped


def accept_logged_in(workspace, request, verified, why):
    """The acceptance of rule 3: identity as sent, but a locked email beside a user_id left out."""
    applied, dropped = request_attributes(workspace, request)
    user_id, email = request.get("user_id"), request.get("email")
    if user_id is not None and email is not None and "email" in workspace.get("locked_attributes", []):
        email = None
        dropped["email"] = "locked_attribute"
    return accepted(verified, {"user_id": user_id, "email": email}, applied, dropped, why)


def check_jwt_required(settings, platform):
    """Rule 3.1: where JWTs are enabled, a logged-in user needs one; a user_hash is no substitute."""
    if settings["jwt"]["enabled"]:
        raise Reject("jwt_required", "rule 3.1: JWTs are enabled on %s: a logged-in user needs one" % platform)


def check_hash_required(settings, platform, request):
    """Rule 3.2: under enforcement a logged-in user sends a user_hash."""
    if request.get("user_hash") is None and settings["identity_verification"]["enforced"]:
        raise Reject("user_hash_required", "rule 3.2: enforced on %s and no user_hash" % platform)


def check_user_hash(settings, platform, request):
    """Rule 3.3: whether the user_hash sent verifies; a mismatch rejects only under enforcement."""
    enforced = settings["identity_verification"]["enforced"]
    user_hash = request.get("user_hash")
    if user_hash is None:
        return False
    identifier = request["user_id"] if request.get("user_id") is not None else request["email"]
    secret = settings["identity_verification"]["secret"]
    if hash_matches(platform, secret, identifier, user_hash):
        return True
    if enforced:
        raise Reject("user_hash_mismatch", "rule 3.3: the user_hash does not match")
    return False


def no_jwt(workspace, request, rule3_order):
    """Rules 3, 4 and 5, for a request without a JWT; rule 3's checks in `rule3_order`."""
    platform = request["platform"]
    settings = workspace["platforms"][platform]
    if request.get("user_id") is not None or request.get("email") is not None:
        verified = False
        for rule in rule3_order:
            if rule == "3.1":
                check_jwt_required(settings, platform)
            elif rule == "3.2":
                check_hash_required(settings, platform, request)
            else:
                verified = check_user_hash(settings, platform, request)  # 3.3
        why = "rule 3.4: the user_hash verifies" if verified else "rule 3.2/3.3: accepted unverified"
        return accept_logged_in(workspace, request, verified, why)
    if request.get("user_hash") is not None:
        raise Reject("missing_identifier", "rule 4: a user_hash with neither user_id nor email")
    applied, dropped = request_attributes(workspace, request)
    return accepted(False, None, applied, dropped, "rule 5: a visitor")


# --------------------------------------------------------------------------------------------
# The two orders
# --------------------------------------------------------------------------------------------


def verify_alg_first(now, workspace, request, eager):
    token_text = request.get("intercom_user_jwt") if isinstance(request, dict) else None
    token = Token(token_text) if isinstance(token_text, str) else None
    if token is not None:
        header = token.peek_header(eager)
        if header is not None:
            check_alg(header)  # 2.3, before anything else
    check_shape(workspace, request)  # 1
    check_attribute_names(request)  # 1
    if token is None:
        return no_jwt(workspace, request, ("3.1", "3.2", "3.3"))  # 3, 4, 5
    platform = request["platform"]
    check_enabled(workspace, platform)  # 2.1
    token.decode_structure()  # 2.2: segments and header
    check_alg(token.header)  # 2.3 (already passed when the header could be peeked)
    check_signature(workspace, platform, token, trust_kid=True)  # 2.4, on the raw segments
    token.decode_payload()  # 2.2: the payload, only now
    claims = token.payload
    leeway = workspace.get("jwt_leeway_seconds", 0)
    check_user_id(claims)  # 2.5
    check_time_types(claims)  # 2.5
    check_exp(claims, now, leeway)  # 2.6
    check_nbf(claims, now, leeway)  # 2.7
    check_identity_match(claims, request)  # 2.8
    return accept_jwt(workspace, request, claims)  # 2.9


def verify_time_first(now, workspace, request, eager):
    check_shape(workspace, request)  # 1
    check_attribute_names(request)  # 1
    token_text = request.get("intercom_user_jwt")
    if token_text is None:
        # 3.3 before 3.1; eager: the whole user_hash check (3.2 and 3.3) before 3.1.
        rule3_order = ("3.2", "3.3", "3.1") if eager else ("3.3", "3.1", "3.2")
        return no_jwt(workspace, request, rule3_order)  # 3, 4, 5
    platform = request["platform"]
    token = Token(token_text)
    check_enabled(workspace, platform)  # 2.1
    token.decode_structure()  # 2.2
    token.decode_payload()  # 2.2
    check_alg(token.header)  # 2.3
    check_signature(workspace, platform, token, trust_kid=False)  # 2.4
    claims = token.payload
    leeway = workspace.get("jwt_leeway_seconds", 0)
    check_nbf(claims, now, leeway)  # 2.7 (and nbf's type, 2.5), as the libraries do
    check_exp(claims, now, leeway)  # 2.6 (and exp's type, 2.5)
    check_user_id(claims)  # 2.5
    check_identity_match(claims, request)  # 2.8
    return accept_jwt(workspace, request, claims)  # 2.9


def verify_keys_first(now, workspace, request, eager):
    check_shape(workspace, request)  # 1
    check_attribute_names(request)  # 1
    token_text = request.get("intercom_user_jwt")
    if token_text is None:
        return no_jwt(workspace, request, ("3.1", "3.2", "3.3"))  # 3, 4, 5
    platform = request["platform"]
    check_platform_has_keys(workspace, platform)  # 2.4's keys, before the token is read
    check_enabled(workspace, platform)  # 2.1
    token = Token(token_text)
    token.decode_structure()  # 2.2
    token.decode_payload()  # 2.2
    check_alg(token.header)  # 2.3
    check_signature(workspace, platform, token, trust_kid=False)  # 2.4
    claims = token.payload
    leeway = workspace.get("jwt_leeway_seconds", 0)
    check_user_id(claims)  # 2.5
    check_time_types(claims)  # 2.5
    check_exp(claims, now, leeway)  # 2.6
    check_nbf(claims, now, leeway)  # 2.7
    check_identity_match(claims, request)  # 2.8
    return accept_jwt(workspace, request, claims)  # 2.9


def verify_claims_first(now, workspace, request, eager):
    check_shape(workspace, request)  # 1
    check_attribute_names(request)  # 1
    token_text = request.get("intercom_user_jwt")
    if token_text is None:
        return no_jwt(workspace, request, ("3.1", "3.2", "3.3"))  # 3, 4, 5
    platform = request["platform"]
    check_enabled(workspace, platform)  # 2.1
    token = Token(token_text)
    early_claims = token.peek_payload()
    if early_claims is not None:
        check_user_id(early_claims)  # 2.5, before the header is decoded
        check_time_types(early_claims)  # 2.5
    token.decode_structure()  # 2.2
    token.decode_payload()  # 2.2
    claims = token.payload
    check_user_id(claims)  # 2.5 (already passed when the payload could be peeked)
    check_time_types(claims)  # 2.5
    check_alg(token.header)  # 2.3
    check_signature(workspace, platform, token, trust_kid=False)  # 2.4
    leeway = workspace.get("jwt_leeway_seconds", 0)
    check_exp(claims, now, leeway)  # 2.6
    check_nbf(claims, now, leeway)  # 2.7
    check_identity_match(claims, request)  # 2.8
    return accept_jwt(workspace, request, claims)  # 2.9


ORDERS = {
    "alg-first": verify_alg_first,
    "time-first": verify_time_first,
    "keys-first": verify_keys_first,
    "claims-first": verify_claims_first,
}


# --------------------------------------------------------------------------------------------
# Verdicts
# --------------------------------------------------------------------------------------------


def accepted(verified, identity, applied, dropped, why):
    return {
        "outcome": "accepted",
        "verified": verified,
        "identity": identity,
        "error": None,
        "attributes": {"applied": applied, "dropped": dropped},
        "message": why,
    }


def rejected(reject):
    return {
        "outcome": "rejected",
        "verified": False,
        "identity": None,
        "error": reject.code,
        "attributes": {"applied": {}, "dropped": {}},
        "message": reject.why,
    }


def verify(order, eager, message):
    now = message.get("now")
    if not isinstance(now, int) or isinstance(now, bool):
        return rejected(Reject("invalid_request", "rule 1: now is not an integer"))
    try:
        return ORDERS[order](now, message.get("workspace"), message.get("request"), eager)
    except Reject as reject:
        return rejected(reject)


# --------------------------------------------------------------------------------------------
# The signer rules
# --------------------------------------------------------------------------------------------


# How this signer answers the inputs the signer rules leave open (CONTRACT.md, "Inputs the signer
# rules leave open"). `refuse` (the default) refuses every one of them. `open`, set with the
# environment variable ALT_SIGNER_READING=open, gives the other conforming answer of each row: an
# empty user_id beside an email is read as absent in user_hash mode (the hash over the email), an
# empty email beside a user_id is left out, an attribute with a reserved name is left out of the
# token, and a lifetime of zero or less gives exp = now + expires_in exactly. An empty secret, a
# JWT without a non-empty user_id and an exp that overflows 64 bits are refused in both readings.
SIGNER_READING = __import__("os").environ.get("ALT_SIGNER_READING", "refuse")
INT64_MAX = 2**63 - 1


def refused(why):
    return {"type": "refused", "message": why}


def signer_identifiers(mode, user_id, email):
    """The user's identifiers as the reading takes them, or a refusal."""
    open_reading = SIGNER_READING == "open"
    if user_id == "":
        if not (open_reading and mode == "user_hash"):
            return None, None, refused("an empty user_id is not an identifier")
        user_id = None
    if email == "":
        if not open_reading:
            return None, None, refused("an empty email is not an identifier")
        email = None
    return user_id, email, None


def sign(message):
    mode = message.get("mode")
    user = message.get("user") or {}
    secret = message.get("secret")
    if mode not in ("user_hash", "jwt"):
        return {"type": "unsupported", "message": "unknown sign mode %s" % dump(mode)}
    # SIGN-EMPTY-SECRET: an empty secret is refused, never used (verifiers reject it).
    if secret == "":
        return refused("the secret is empty")
    # SIGN-EMPTY-USER-ID, SIGN-EMPTY-EMAIL, SIGN-HASH-NEVER-EMPTY.
    user_id, email, refusal = signer_identifiers(mode, user.get("user_id"), user.get("email"))
    if refusal:
        return refusal
    if mode == "user_hash":
        # Lowercase hex HMAC-SHA256 over the user_id if there is one, else the email.
        identifier = user_id if user_id is not None else email
        if identifier is None:
            return refused("a user_hash needs a user_id or an email")
        return {"type": "signed", "user_hash": hmac_sha256(secret, identifier).hex(), "jwt": None}
    # SIGN-JWT-USER-ID-REQUIRED.
    if user_id is None:
        return refused("a user JWT needs a user_id")
    header = {"alg": "HS256", "typ": "JWT"}
    if message.get("key_id") is not None:
        header["kid"] = message["key_id"]
    claims = {"user_id": user_id}
    if email is not None:
        claims["email"] = email
    # SIGN-JWT-RESERVED-ATTRIBUTES: refused, or (open reading) left out.
    for name, value in (message.get("attributes") or {}).items():
        if name in RESERVED_ATTRIBUTES or name in REGISTERED_CLAIMS:
            if SIGNER_READING == "open":
                continue
            return refused("attribute %r would replace the claim of that name" % name)
        claims[name] = value
    # SIGN-JWT-EXP, SIGN-JWT-LIFETIME-RANGE.
    expires_in = message.get("expires_in")
    if expires_in is not None:
        exp = message["now"] + expires_in
        if expires_in <= 0 and SIGNER_READING != "open":
            return refused("expires_in would make a token expired on arrival")
        if not -INT64_MAX - 1 <= exp <= INT64_MAX:
            return refused("now + expires_in overflows")
        claims["exp"] = exp
    signing_input = b64url_encode(utf8(dump(header))) + "." + b64url_encode(utf8(dump(claims)))
    mac = hmac.new(utf8(secret), signing_input.encode("ascii"), hashlib.sha256).digest()
    return {"type": "signed", "user_hash": None, "jwt": signing_input + "." + b64url_encode(mac)}


# --------------------------------------------------------------------------------------------
# The exec transport
# --------------------------------------------------------------------------------------------


def answer(order, eager, message):
    kind = message.get("type")
    if kind == "hello":
        return {
            "type": "hello",
            "protocol": 1,
            "implementation": {"name": "alt-verifier", "version": "1 (%s%s)" % (order, ", eager" if eager else "")},
            "roles": ["verifier", "signer"],
            "clock": "injected",
        }
    reply = None
    if kind == "verify":
        reply = dict(type="verdict", **verify(order, eager, message))
    elif kind == "sign":
        reply = sign(message)
    else:
        reply = {"type": "unsupported", "message": "unknown message type %s" % dump(kind)}
    reply["id"] = message.get("id")
    return reply


def main(argv):
    args = argv[1:]
    eager = "--eager" in args
    if eager:
        args.remove("--eager")
    if len(args) != 2 or args[0] != "--order" or args[1] not in ORDERS:
        sys.stderr.write("usage: alt_verifier.py --order alg-first|time-first|keys-first|claims-first [--eager]\n")
        return 2
    order = args[1]
    sys.stdin.reconfigure(encoding="utf-8")
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line, parse_float=Number)
        if message.get("type") == "bye":
            break
        try:
            reply = answer(order, eager, message)
        except Exception:  # a bug here: say so, and let the harness count a skip, never a pass
            traceback.print_exc(file=sys.stderr)
            reply = {"type": "unsupported", "id": message.get("id"), "message": "internal error"}
        sys.stdout.write(dump(reply) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
