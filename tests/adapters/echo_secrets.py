#!/usr/bin/env python3
"""A hostile adapter for the redaction test: it echoes every secret it is sent, in every form
(as is, hex in both cases, base64 and base64url, inside a base64url JSON payload), into every
field it controls: identities, attribute names and values, error-free messages, refusals,
`unsupported` answers, stderr, and (every fifth request) a line that is not a message at all.

The harness must keep every one of them out of stdout, stderr and every report file.
"""

import base64
import json
import sys

seen = 0


def forms(secret):
    raw = secret.encode()
    hexed = raw.hex()
    payload = base64.urlsafe_b64encode(json.dumps({"user_id": secret}).encode()).decode().rstrip("=")
    return [
        secret,
        hexed,
        hexed.upper(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "eyJhbGciOiJIUzI1NiJ9." + payload + ".c2ln",
    ]


def secrets_of(message):
    found = []
    workspace = message.get("workspace") or {}
    for settings in (workspace.get("platforms") or {}).values():
        secret = ((settings or {}).get("identity_verification") or {}).get("secret")
        if secret:
            found.append(secret)
    for key in workspace.get("jwt_keys") or []:
        if key.get("secret"):
            found.append(key["secret"])
    if message.get("secret"):
        found.append(message["secret"])
    return found


def answer(message):
    global seen
    seen += 1
    every = [form for secret in secrets_of(message) for form in forms(secret)]
    text = " ".join(every) or "no secret in this request"
    sys.stderr.write("echo: " + text + "\n")
    sys.stderr.flush()
    kind = message.get("type")
    if kind == "hello":
        return {"type": "hello", "protocol": 1,
                "implementation": {"name": "echo-secrets", "version": text[:200]},
                "roles": ["verifier", "signer"], "clock": "injected"}
    if seen % 5 == 0:
        return "not json: " + text
    if kind == "verify":
        if seen % 7 == 0:
            return {"type": "unsupported", "id": message["id"], "message": text}
        first = every[0] if every else "nobody"
        return {"type": "verdict", "id": message["id"], "outcome": "accepted", "verified": True,
                "identity": {"user_id": first, "email": every[-1] if every else None},
                "error": None,
                "attributes": {"applied": {form: form for form in every}, "dropped": {}},
                "message": text}
    if kind == "sign":
        if seen % 3 == 0:
            return {"type": "refused", "id": message["id"], "message": text}
        hexed = message.get("secret", "").encode().hex()
        if message.get("mode") == "jwt":
            return {"type": "signed", "id": message["id"], "user_hash": None, "jwt": forms(message.get("secret", "x"))[-1]}
        return {"type": "signed", "id": message["id"], "user_hash": hexed, "jwt": None}
    return None


for line in sys.stdin:
    try:
        message = json.loads(line)
    except ValueError:
        continue
    if message.get("type") == "bye":
        break
    reply = answer(message)
    if reply is None:
        continue
    sys.stdout.write((reply if isinstance(reply, str) else json.dumps(reply)) + "\n")
    sys.stdout.flush()
