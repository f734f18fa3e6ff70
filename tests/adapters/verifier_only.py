#!/usr/bin/env python3
"""The reference (`messenger-conformance serve --stdio`, the binary given as the first argument)
declaring the verifier role only: every signer case is skipped for its role."""

import json
import subprocess
import sys

server = subprocess.Popen([sys.argv[1], "serve", "--stdio"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
for line in sys.stdin:
    server.stdin.write(line)
    server.stdin.flush()
    if json.loads(line)["type"] == "bye":
        break
    reply = json.loads(server.stdout.readline())
    if reply["type"] == "hello":
        reply["roles"] = ["verifier"]
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
server.stdin.close()
server.wait()
