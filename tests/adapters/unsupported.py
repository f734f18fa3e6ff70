#!/usr/bin/env python3
"""An adapter that declares both roles and then supports nothing: every request is answered
`unsupported`. A run against it tested nothing, and must not pass."""

import json
import sys

for line in sys.stdin:
    message = json.loads(line)
    if message["type"] == "hello":
        reply = {"type": "hello", "protocol": 1,
                 "implementation": {"name": "supports-nothing", "version": "0"},
                 "roles": ["verifier", "signer"], "clock": "injected"}
    elif message["type"] == "bye":
        break
    else:
        reply = {"type": "unsupported", "id": message["id"], "message": "not implemented yet"}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
