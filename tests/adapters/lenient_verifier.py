#!/usr/bin/env python3
"""A verifier that is strict on the signature and the keys but lenient on the token's format.

    lenient_verifier.py -- COMMAND...

COMMAND speaks the exec transport (docs/protocol.md) and decides strictly: the tests give it
`messenger-conformance serve --stdio`, the reference. This program sits in front of it and
reads each token the way many JWT libraries do (golang-jwt, for one):

- whitespace anywhere in the token and `=` padding at the end of a segment are ignored;
- base64url segments are decoded without checking that unused trailing bits are zero;
- a header or payload with a member named twice keeps the last one;
- `crit` is ignored;
- an `exp` or `nbf` that is a string of digits is read as that number.

The signature is checked strictly: HS256 only, over the segments exactly as sent (or as read
leniently), under a key listed for the request's platform with a non-empty secret. Only when it
verifies is the token rewritten to its canonical form (the same claims and header as read above,
MACed again with the key that verified) before COMMAND decides; any other request passes
unchanged. So no token that someone without the platform's key could make is ever let in, yet
the verifier accepts tokens the contract refuses for their format: the failures it gets are a
lenient parser's, never an authentication bypass. tests/severity.rs runs it and checks that no
failure it gets is rated critical.

Python standard library only; logs on stderr.
"""

import base64
import hashlib
import hmac
import json
import re
import subprocess
import sys

DIGITS = re.compile(r"-?[0-9]+")


def b64decode_lenient(segment):
    """Decode base64url ignoring padding and the unused trailing bits; None if not base64url."""
    segment = segment.rstrip("=")
    if not re.fullmatch(r"[A-Za-z0-9_-]*", segment) or len(segment) % 4 == 1:
        return None
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def b64encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mac(secret, signing_input):
    return hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"), hashlib.sha256).digest()


def parse_object(data):
    """A JSON object, the last of duplicate members kept; None if it is not one."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def lenient_rewrite(request):
    """The request with its token respelled canonically, if the token verifies under a key of
    the request's platform once read leniently; else None (the request passes unchanged)."""
    raw = request.get("request") or {}
    token = raw.get("intercom_user_jwt")
    platform = raw.get("platform")
    if not isinstance(token, str) or not isinstance(platform, str):
        return None
    stripped = re.sub(r"\s", "", token)
    parts = stripped.split(".")
    if len(parts) != 3:
        return None
    header_bytes, payload_bytes, signature = (b64decode_lenient(p) for p in parts)
    if header_bytes is None or payload_bytes is None or signature is None:
        return None
    header, claims = parse_object(header_bytes), parse_object(payload_bytes)
    if header is None or claims is None or header.get("alg") != "HS256":
        return None
    inputs = {token.rsplit(".", 1)[0], ".".join(parts[:2]), ".".join(p.rstrip("=") for p in parts[:2])}
    keys = (request.get("workspace") or {}).get("jwt_keys") or []
    key = next(
        (
            k
            for k in keys
            if platform in (k.get("platforms") or [])
            and k.get("secret")
            and any(hmac.compare_digest(mac(k["secret"], i), signature) for i in inputs if i.isascii())
        ),
        None,
    )
    if key is None:
        return None
    header.pop("crit", None)
    for name in ("exp", "nbf"):
        if isinstance(claims.get(name), str) and DIGITS.fullmatch(claims[name]):
            claims[name] = int(claims[name])
    try:
        head = b64encode(json.dumps(header, allow_nan=False).encode("utf-8"))
        body = b64encode(json.dumps(claims, allow_nan=False).encode("utf-8"))
    except ValueError:
        return None
    signing_input = head + "." + body
    rewritten = dict(request)
    rewritten["request"] = dict(raw, intercom_user_jwt=signing_input + "." + b64encode(mac(key["secret"], signing_input)))
    return rewritten


def main():
    if len(sys.argv) < 3 or sys.argv[1] != "--":
        sys.exit("usage: lenient_verifier.py -- COMMAND...")
    strict = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if isinstance(message, dict) and message.get("type") == "verify":
            rewritten = lenient_rewrite(message)
            if rewritten is not None:
                print("lenient_verifier: token respelled canonically", file=sys.stderr)
                line = json.dumps(rewritten) + "\n"
        strict.stdin.write(line if line.endswith("\n") else line + "\n")
        strict.stdin.flush()
        if isinstance(message, dict) and message.get("type") == "bye":
            break
        answer = strict.stdout.readline()
        if not answer:
            break
        if isinstance(message, dict) and message.get("type") == "hello":
            reply = json.loads(answer)
            reply["implementation"] = {"name": "lenient-verifier", "version": "1"}
            answer = json.dumps(reply) + "\n"
        sys.stdout.write(answer)
        sys.stdout.flush()
    strict.stdin.close()
    strict.wait()


if __name__ == "__main__":
    main()
