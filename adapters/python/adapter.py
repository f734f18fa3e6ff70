#!/usr/bin/env python3
"""Example exec adapter for messenger-conformance: Python, PyJWT and the standard library.

What it is
    A verifier and a signer for Messenger Identity Verification (user_hash = HMAC-SHA256) and
    Messenger Security with JWTs, written the way a careful integrator would write them on PyJWT
    (`jwt.encode` / `jwt.decode` with `algorithms=["HS256"]`) and `hmac` /
    `hmac.compare_digest` for the user_hash. It speaks the exec transport of the adapter protocol
    (docs/protocol.md): one JSON object per line on stdin and stdout, logs on stderr, `hello`
    first, `bye` last. It decides with the `now` it is sent (`"clock": "injected"`).

How to run it against the suite (from the repository root)
    python3 -m pip install -r adapters/python/requirements.txt
    cargo run --release -- run -- python3 adapters/python/adapter.py
    cargo run --release -- run --baseline adapters/python/baseline.yaml -- python3 adapters/python/adapter.py

The clock
    PyJWT reads the real clock (`datetime.now(tz=timezone.utc)`) for `exp`, `nbf` and `iat` and
    has no parameter for another instant. The harness injects `now` so that every case replays
    exactly, so this adapter turns PyJWT's time checks off (`verify_exp`, `verify_nbf`,
    `verify_iat`: False) and checks `exp` and `nbf` itself against `now` with the workspace's
    leeway, in the profile's terms: expired at the very second of `exp + leeway`, not yet valid
    while `now + leeway < nbf`. A deployment on the real clock would keep PyJWT's `verify_exp`
    and `verify_nbf`, pass `leeway=`, and still turn `verify_iat` off (PyJWT refuses an `iat` in
    the future; the profile does not check `iat`).

What PyJWT does not check, and this file adds in a few lines each
    - canonical base64url: PyJWT accepts trailing `=` padding (for AWS ALB tokens);
    - duplicate member names: `json.loads` keeps the last one; an `object_pairs_hook` refuses;
    - `NaN` / `Infinity`, which `json.loads` accepts but are not JSON;
    - `alg` exactly "HS256" checked before any key is tried, so the code is the profile's;
    - `crit` of any kind is refused (PyJWT understands `crit: ["b64"]`);
    - `exp` / `nbf` must be finite JSON numbers: PyJWT's own check is `int(payload["exp"])`,
      which accepts a numeric string such as "1767225600" and a boolean; `1e400` parses to inf;
    - `aud`, `iss`, `sub`, `jti` are not checked by the profile: PyJWT rejects a token with an
      `aud` when no audience is configured, and a non-string `sub` or `jti`; those checks are off.

Known deviations (those the suite exercises are listed, with reasons, in baseline.yaml)
    - a header with `b64: false` and no `crit`: PyJWT refuses it (RFC 7797 says b64 must be
      listed in crit); the profile ignores an unknown header parameter and accepts the token.
    - a non-string `kid`: PyJWT refuses the token; the profile lets a verifier refuse it or
      ignore `kid` for key selection (KEY-HDR-017 is `may`).
    - `json.loads` accepts lone surrogate escapes such as "\\ud800", which the profile's parser
      rejects as not JSON.
"""

import hashlib
import hmac
import json
import math
import re
import sys
import warnings
from base64 import urlsafe_b64decode, urlsafe_b64encode

import jwt

# The harness's test secrets are short; PyJWT warns about HMAC keys under 32 bytes. Real
# deployments should use long random secrets and could set `enforce_minimum_key_length`.
warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)

PLATFORMS = ("web", "ios", "android")
ACTIONS = ("boot", "update")
RESERVED_ATTRIBUTES = ("user_id", "email", "user_hash", "intercom_user_jwt")
REGISTERED_CLAIMS = ("exp", "nbf", "iat", "iss", "aud", "sub", "jti")

# PyJWT options for this profile: the signature and algorithm only; every claim check is done
# below against the injected `now` (see "The clock" above).
PYJWT_OPTIONS = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
    "require": [],
}


class Reject(Exception):
    """A rejection: one error code from the contract's closed list, and why."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def log(*args):
    print("[python-adapter]", *args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Verifier
# ---------------------------------------------------------------------------------------------


def verify(message):
    try:
        verdict = decide(message["workspace"], message["request"], message["now"])
    except Reject as rejection:
        verdict = {
            "outcome": "rejected",
            "verified": False,
            "identity": None,
            "error": rejection.code,
            "attributes": {"applied": {}, "dropped": {}},
            "message": str(rejection),
        }
    return {"type": "verdict", "id": message["id"], **verdict}


def decide(workspace, raw, now):
    request = parse_request(raw)  # rule 1
    settings = workspace["platforms"].get(request["platform"])

    def locked(name):
        return name in workspace["locked_attributes"]

    if request["jwt"] is not None:
        return verify_jwt(workspace, settings, request, now, locked)  # rule 2

    if request["user_id"] is None and request["email"] is None:
        if request["user_hash"] is not None:
            raise Reject("missing_identifier", "a user_hash with neither user_id nor email")  # rule 4
        return accepted(False, None, request_attributes(request["attributes"], (), locked), "anonymous visitor")

    # Rule 3: no JWT, a logged-in user.
    if settings and settings["jwt"]["enabled"]:
        raise Reject("jwt_required", f"JWT is enabled on {request['platform']}: a user_hash is no substitute")
    enforced = bool(settings and settings["identity_verification"]["enforced"])
    verified = False
    if request["user_hash"] is None:
        if enforced:
            raise Reject("user_hash_required", f"identity verification is enforced on {request['platform']}")
    else:
        secret = settings["identity_verification"]["secret"] if settings else ""
        identifier = request["user_id"] if request["user_id"] is not None else request["email"]
        verified = user_hash_matches(request["platform"], secret, identifier, request["user_hash"])
        if not verified and enforced:
            raise Reject("user_hash_mismatch", "the user_hash does not match")
    identity = {"user_id": request["user_id"], "email": request["email"]}
    attributes = request_attributes(request["attributes"], (), locked)
    if request["user_id"] is not None and request["email"] is not None and locked("email"):
        # An email beside a user_id is unsigned data: a locked one is not taken.
        identity["email"] = None
        attributes["dropped"]["email"] = "locked_attribute"
    return accepted(verified, identity, attributes, "verified by user_hash" if verified else "not verified")


def parse_request(raw):
    """Rule 1: the request's shape. `None` counts as absent for every field."""
    if not isinstance(raw, dict):
        raise Reject("invalid_request", "the request is not an object")

    def string(name, non_empty):
        value = raw.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise Reject("invalid_request", f"`{name}` is not a string")
        if non_empty and value == "":
            raise Reject("invalid_request", f"`{name}` is an empty string")
        return value

    action = string("action", False)
    if action not in ACTIONS:
        raise Reject("invalid_request", f"unknown action {action!r}")
    platform = string("platform", False)
    if platform not in PLATFORMS:
        raise Reject("invalid_request", f"unknown platform {platform!r}")
    attributes = raw.get("attributes")
    if attributes is None:
        attributes = {}
    if not isinstance(attributes, dict):
        raise Reject("invalid_request", "`attributes` is not an object")
    reserved = [name for name in attributes if name in RESERVED_ATTRIBUTES]
    if reserved:
        raise Reject("invalid_request", f"reserved attribute names: {', '.join(reserved)}")
    return {
        "platform": platform,
        "user_id": string("user_id", True),
        "email": string("email", True),
        "user_hash": string("user_hash", False),
        "jwt": string("intercom_user_jwt", False),
        "attributes": attributes,
    }


def user_hash_matches(platform, secret, identifier, given):
    """Rule 3.3: hex HMAC-SHA256(secret, identifier); either hex case on web, lowercase on mobile."""
    if secret == "":
        return False  # an empty secret never verifies
    shape = r"[0-9a-fA-F]{64}" if platform == "web" else r"[0-9a-f]{64}"
    if not re.fullmatch(shape, given):
        return False  # only the attacker's own input is inspected here
    expected = hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(bytes.fromhex(given), expected)


def verify_jwt(workspace, settings, request, now, locked):
    """Rule 2: a JWT is present."""
    if not settings or not settings["jwt"]["enabled"]:
        raise Reject("jwt_not_enabled", f"JWT is not enabled on {request['platform']}")
    token = request["jwt"]
    header, claims = decode_strict(token)  # 2.2, what PyJWT lets through

    # 2.3, checked here so the code is the profile's.
    if header.get("alg") != "HS256":
        raise Reject("jwt_algorithm_not_allowed", f"alg {header.get('alg')!r} is not 'HS256'")
    if "crit" in header:
        raise Reject("jwt_malformed", "a `crit` header: this profile understands no extension")

    # 2.4: every key of this platform with a non-empty secret; keys of other platforms and
    # rotated-out keys are simply not in the list. `kid` selects nothing.
    keys = [k for k in workspace["jwt_keys"] if request["platform"] in k["platforms"] and k["secret"] != ""]
    key = None
    for candidate in keys:
        try:
            jwt.decode(token, candidate["secret"], algorithms=["HS256"], options=PYJWT_OPTIONS)
        except jwt.InvalidSignatureError:
            continue
        except jwt.InvalidAlgorithmError as error:
            raise Reject("jwt_algorithm_not_allowed", f"PyJWT: {error}") from None
        except jwt.InvalidTokenError as error:  # DecodeError and the header checks
            raise Reject("jwt_malformed", f"PyJWT: {error}") from None
        key = candidate
        break
    if key is None:
        raise Reject("jwt_signature_invalid", f"no key for {request['platform']} verifies the signature")

    # 2.5 on the claims parsed strictly (the same JSON text PyJWT verified).
    user_id = claims.get("user_id")
    if user_id is None or user_id == "":
        raise Reject("jwt_missing_user_id", "no user_id claim")
    if not isinstance(user_id, str):
        raise Reject("jwt_claims_invalid", "`user_id` is not a string")
    if "email" in claims and (not isinstance(claims["email"], str) or claims["email"] == ""):
        raise Reject("jwt_claims_invalid", "`email` is not a non-empty string")
    for name in ("exp", "nbf"):
        if name in claims and not is_finite_number(claims[name]):
            raise Reject("jwt_claims_invalid", f"`{name}` is not a finite JSON number")
    for name, value in claims.items():
        if name not in REGISTERED_CLAIMS and not holds_only_finite_numbers(value):
            raise Reject("jwt_claims_invalid", f"claim `{name}` holds a number that overflows")

    # 2.6 and 2.7 against the injected clock (PyJWT's checks would read the real one).
    leeway = workspace["jwt_leeway_seconds"]
    if "exp" in claims and now >= claims["exp"] + leeway:
        raise Reject("jwt_expired", f"exp {claims['exp']} + leeway {leeway} is not after now {now}")
    if "nbf" in claims and now + leeway < claims["nbf"]:
        raise Reject("jwt_not_yet_valid", f"nbf {claims['nbf']} is after now {now} + leeway {leeway}")

    # 2.8
    claim_email = claims.get("email")
    if request["user_id"] is not None and request["user_id"] != user_id:
        raise Reject("jwt_identity_mismatch", "the request's user_id differs from the claim")
    if request["email"] is not None and claim_email is not None and request["email"] != claim_email:
        raise Reject("jwt_identity_mismatch", "the request's email differs from the claim")

    # 2.9: identity from the claims; other non-registered claims are attributes.
    identity = {"user_id": user_id, "email": claim_email}
    from_claims = [n for n in claims if n not in ("user_id", "email") and n not in REGISTERED_CLAIMS]
    attributes = {"applied": {n: claims[n] for n in from_claims}, "dropped": {}}
    if claim_email is None and request["email"] is not None:
        if locked("email"):
            attributes["dropped"]["email"] = "locked_attribute"
        else:
            identity["email"] = request["email"]
    from_request = request_attributes(request["attributes"], from_claims, locked)
    attributes["applied"].update(from_request["applied"])
    attributes["dropped"].update(from_request["dropped"])
    return accepted(True, identity, attributes, f"verified by a JWT signed with key {key['id']}")


def decode_strict(token):
    """Rule 2.2, strictly: three canonical base64url parts, header and payload UTF-8 JSON objects
    without duplicate member names."""
    parts = token.split(".")
    if len(parts) != 3:
        raise Reject("jwt_malformed", f"{len(parts)} parts, not 3")
    decoded = []
    for part in parts:
        if not re.fullmatch(r"[A-Za-z0-9_-]*", part) or len(part) % 4 == 1:
            raise Reject("jwt_malformed", "a part is not base64url")
        raw = urlsafe_b64decode(part + "=" * (-len(part) % 4))
        if urlsafe_b64encode(raw).rstrip(b"=").decode() != part:
            raise Reject("jwt_malformed", "a part is not canonical base64url (unused bits set)")
        decoded.append(raw)
    objects = []
    for name, raw in (("header", decoded[0]), ("payload", decoded[1])):
        try:
            value = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates, parse_constant=not_json)
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise Reject("jwt_malformed", f"the {name} is not UTF-8 JSON: {error}") from None
        if not isinstance(value, dict):
            raise Reject("jwt_malformed", f"the {name} is not a JSON object")
        objects.append(value)
    return objects


def no_duplicates(pairs):
    names = [name for name, _ in pairs]
    if len(names) != len(set(names)):
        raise ValueError("duplicate member name")
    return dict(pairs)


def not_json(constant):
    raise ValueError(f"{constant} is not JSON")


def is_finite_number(value):
    """A JSON number that fits a double: not a string, not a boolean, not 1e400 (inf)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer literal too large for a double
        return False


def holds_only_finite_numbers(value):
    if isinstance(value, dict):
        return all(holds_only_finite_numbers(v) for v in value.values())
    if isinstance(value, list):
        return all(holds_only_finite_numbers(v) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return is_finite_number(value)
    return True


def request_attributes(sent, set_by_claims, locked):
    """Request attributes: a claim's value wins; locked ones need a JWT."""
    attributes = {"applied": {}, "dropped": {}}
    for name, value in sent.items():
        if name in set_by_claims:
            attributes["dropped"][name] = "overridden_by_jwt"
        elif locked(name):
            attributes["dropped"][name] = "locked_attribute"
        else:
            attributes["applied"][name] = value
    return attributes


def accepted(verified, identity, attributes, message):
    return {
        "outcome": "accepted",
        "verified": verified,
        "identity": identity,
        "error": None,
        "attributes": attributes,
        "message": message,
    }


# ---------------------------------------------------------------------------------------------
# Signer
# ---------------------------------------------------------------------------------------------


def sign(message):
    def refuse(why):
        return {"type": "refused", "id": message["id"], "message": why}

    user, secret = message["user"], message["secret"]
    user_id, email = user.get("user_id"), user.get("email")
    if secret == "":
        return refuse("the secret is empty: no verifier accepts what it signs")
    if user_id == "" or email == "":
        return refuse("an empty user_id or email: verifiers reject those")

    if message["mode"] == "user_hash":
        identifier = user_id if user_id is not None else email
        if identifier is None:
            return refuse("a user_hash needs a user_id or an email")
        user_hash = hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).hexdigest()
        return {"type": "signed", "id": message["id"], "user_hash": user_hash, "jwt": None}
    if message["mode"] != "jwt":
        return {"type": "unsupported", "id": message["id"], "message": f"mode {message['mode']}"}

    if user_id is None:
        return refuse("a user JWT needs a user_id")
    attributes = message.get("attributes") or {}
    clashing = [n for n in attributes if n in RESERVED_ATTRIBUTES or n in REGISTERED_CLAIMS]
    if clashing:
        return refuse(f"attributes {', '.join(clashing)} would overwrite claims with a meaning of their own")
    expires_in = message.get("expires_in")
    if expires_in is not None and expires_in <= 0:
        return refuse(f"expires_in {expires_in} would be expired on arrival")
    # Python integers do not overflow, but a verifier's 64-bit times do: refuse an exp that does
    # not fit (SIGN-JWT-LIFETIME-RANGE).
    if expires_in is not None and message["now"] + expires_in > 2**63 - 1:
        return refuse(f"now + expires_in {expires_in} does not fit in 64 bits")

    payload = {"user_id": user_id}
    if email is not None:
        payload["email"] = email
    payload.update(attributes)
    if expires_in is not None:
        payload["exp"] = message["now"] + expires_in  # seconds, an integer
    headers = {"kid": message["key_id"]} if message.get("key_id") is not None else None
    token = jwt.encode(payload, secret, algorithm="HS256", headers=headers)
    return {"type": "signed", "id": message["id"], "user_hash": None, "jwt": token}


# ---------------------------------------------------------------------------------------------
# The exec transport: one JSON object per line; stdout carries only protocol messages.
# ---------------------------------------------------------------------------------------------


def hello():
    return {
        "type": "hello",
        "protocol": 1,
        "implementation": {"name": "python PyJWT example adapter", "version": f"PyJWT {jwt.__version__}"},
        "roles": ["verifier", "signer"],
        "clock": "injected",
    }


def answer(message):
    kind = message.get("type")
    if kind == "hello":
        return hello()
    if kind == "verify":
        return verify(message)
    if kind == "sign":
        return sign(message)
    return {"type": "unsupported", "id": message.get("id", ""), "message": f"unknown message type {kind}"}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        if message.get("type") == "bye":
            break
        reply = answer(message)
        log(message.get("type"), message.get("id", ""), reply.get("outcome", reply["type"]), reply.get("error") or "", reply.get("message", ""))
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
