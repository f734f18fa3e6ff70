#!/usr/bin/env python3
"""The reference (`messenger-conformance serve --stdio`, the binary given as the first argument)
behind an adapter that answers `unsupported` to some requests, with or without declaring in its
hello what it lacks. Only a declared lack makes `unsupported` a skip that passes the gate.

  dodge.py BINARY rejects     every request the reference rejects or refuses is answered
                              `unsupported` (a verifier that never says no: it passes every case
                              that expects acceptance and skips the rest)
  dodge.py BINARY once        the first request is answered, every later one `unsupported`
  dodge.py BINARY lacks=jwt   hello declares `lacks: ["sign_jwt"]`, and every JWT sign is
                              answered `unsupported` (an honest hash-only signer)
  dodge.py BINARY jwt         the same unsupported JWT signs, but hello declares no lack
  dodge.py BINARY role=verifier
                              hello declares the verifier role only, and every sign is answered
                              `unsupported`
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
        if mode == "role=verifier":
            reply["roles"] = ["verifier"]
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
    elif mode == "role=verifier":
        if kind == "sign":
            reply = unsupported
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
server.stdin.close()
server.wait()
