"""The integrator's code shared by the Python ecosystem adapters (ecosystem/python/*/adapter.py).

Each adapter wraps one real library as an integrator would configure it; this module is what
such an integrator writes around the library whatever the library: the exec transport of the
adapter protocol (docs/protocol.md), the request's shape (rule 1), the user_hash path (rule 3),
the visitor and `missing_identifier` rules (4, 5), and, around the library's JWT decoding, the
application's own claims (`user_id`, `email`), the identity check (2.8) and the attribute
bookkeeping (2.9). It never re-checks what the library is there to check (the token's form,
`alg`, `crit`, the signature, `exp`/`nbf`): those verdicts are the library's, which is the point
of the ecosystem tests.

An adapter calls `serve(hello, verify_token=..., sign=...)`:
- `verify_token(token, keys, now, leeway)` decodes and verifies the token with the library
  (keys: the platform's `{"id", "secret"}` in the workspace's order) and returns its claims, or
  raises `Reject(code, message)` naming the rule the library's error names;
- `sign(message)` returns the answer to a `sign` request (`signed`, `refused`, `unsupported`).
Anything else that goes wrong raises, and the adapter dies with its traceback on stderr: an
adapter error, never a verdict (docs/protocol.md, "Wrapping a library").
"""

import hashlib
import hmac
import json
import re
import sys

PLATFORMS = ("web", "ios", "android")
ACTIONS = ("boot", "update")
RESERVED_ATTRIBUTES = ("user_id", "email", "user_hash", "intercom_user_jwt")
REGISTERED_CLAIMS = ("exp", "nbf", "iat", "iss", "aud", "sub", "jti")


class Reject(Exception):
    """A rejection: one error code from the contract's closed list, and why."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def unsupported(message, why):
    return {"type": "unsupported", "id": message["id"], "message": why}


def refused(message, why):
    return {"type": "refused", "id": message["id"], "message": why}


def signed_hash(message, user_hash):
    return {"type": "signed", "id": message["id"], "user_hash": user_hash, "jwt": None}


# ---------------------------------------------------------------------------------------------
# Verifier: the integrator's code around the library
# ---------------------------------------------------------------------------------------------


def verify(message, verify_token):
    try:
        verdict = decide(message["workspace"], message["request"], message["now"], verify_token)
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


def decide(workspace, raw, now, verify_token):
    request = parse_request(raw)  # rule 1
    settings = workspace["platforms"].get(request["platform"])

    def locked(name):
        return name in workspace["locked_attributes"]

    if request["jwt"] is not None:
        return verify_jwt(workspace, settings, request, now, locked, verify_token)  # rule 2

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
        identity["email"] = None  # unsigned data beside a user_id: a locked email is not taken
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
        return False
    shape = r"[0-9a-fA-F]{64}" if platform == "web" else r"[0-9a-f]{64}"
    if not re.fullmatch(shape, given):
        return False
    expected = hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(bytes.fromhex(given), expected)


def verify_jwt(workspace, settings, request, now, locked, verify_token):
    """Rule 2: the library decides the token (2.2 to 2.7); the application's claims are ours."""
    if not settings or not settings["jwt"]["enabled"]:
        raise Reject("jwt_not_enabled", f"JWT is not enabled on {request['platform']}")
    keys = [
        {"id": k["id"], "secret": k["secret"]}
        for k in workspace["jwt_keys"]
        if request["platform"] in k["platforms"]
    ]
    claims = verify_token(request["jwt"], keys, now, workspace["jwt_leeway_seconds"])

    # 2.5, the application's own claims.
    user_id = claims.get("user_id")
    if user_id is None or user_id == "":
        raise Reject("jwt_missing_user_id", "no user_id claim")
    if not isinstance(user_id, str):
        raise Reject("jwt_claims_invalid", "`user_id` is not a string")
    claim_email = claims.get("email")
    if "email" in claims and (not isinstance(claim_email, str) or claim_email == ""):
        raise Reject("jwt_claims_invalid", "`email` is not a non-empty string")

    # 2.8
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
    return accepted(True, identity, attributes, "verified by a JWT")


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
# The exec transport: one JSON object per line; stdout carries only protocol messages.
# ---------------------------------------------------------------------------------------------


def serve(hello, verify_token=None, sign=None):
    """Answer the harness until `bye` or the end of stdin. `hello` is the adapter's hello answer."""
    name = hello["implementation"]["name"]
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        kind = message.get("type")
        if kind == "bye":
            break
        if kind == "hello":
            reply = hello
        elif kind == "verify" and verify_token is not None:
            reply = verify(message, verify_token)
        elif kind == "sign" and sign is not None:
            reply = sign(message)
        else:
            reply = unsupported(message, f"{name} does not answer `{kind}`")
        print(f"[{name}]", kind, message.get("id", ""), reply.get("outcome", reply["type"]),
              reply.get("error") or "", reply.get("message", ""), file=sys.stderr, flush=True)
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
