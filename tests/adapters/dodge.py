#!/usr/bin/env python3
"""The reference (`messenger-conformance serve --stdio`, the binary given as the first argument)
behind an adapter that answers `unsupported` to some requests, with or without declaring in its
hello what it lacks. With a declared lack the harness does not send what is lacking, and the
skip passes the gate; an undeclared `unsupported` fails it.

  dodge.py BINARY rejects     every request the reference rejects or refuses is answered
                              `unsupported` (a verifier that never says no: it passes every case
                              that expects acceptance and skips the rest)
  dodge.py BINARY once        the first request is answered, every later one `unsupported`
  dodge.py BINARY lacks=jwt   hello declares `lacks: ["sign_jwt"]`, and every JWT sign is
                              answered `unsupported` (an honest hash-only signer)
  dodge.py BINARY jwt         the same unsupported JWT signs, but hello declares no lack

A role left out of `roles` is the other declared skip: tests/adapters/verifier_only.py.
"""

import json
import subprocess
import sys

binary, mode = sys.argv[1], sys.argv[2]
server = subprocess.Popen([binary, "serve", "--stdio"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
answered = 0
for line in sys.stdin:
    message = json.loads(line)
    server.stdin.write(line)
    server.stdin.flush()
    if message["type"] == "bye":
        break
    reply = json.loads(server.stdout.readline())
    kind = message["type"]
    unsupported = {"type": "unsupported", "id": message.get("id"), "message": "dodged"}
    if kind == "hello":
        if mode == "lacks=jwt":
            reply["lacks"] = ["sign_jwt"]
    elif mode == "rejects":
        if reply["type"] == "refused" or reply.get("outcome") == "rejected":
            reply = unsupported
    elif mode == "once":
        answered += 1
        if answered > 1:
            reply = unsupported
    elif mode in ("lacks=jwt", "jwt"):
        if kind == "sign" and message["mode"] == "jwt":
            reply = unsupported
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
server.stdin.close()
server.wait()
