#!/usr/bin/env python3
"""A misbehaving adapter, for tests/adapters.rs.

    misbehave.py MODE [--at N] [--once FILE] -- CMD [ARGS...]

Proxies every line to CMD (a correct adapter, e.g. `messenger-conformance serve --stdio`) and
back, except that it misbehaves as MODE says, at the N-th request after hello (default 3). With
--once FILE it misbehaves only if FILE does not exist yet, and creates it: across the harness's
restarts the adapter then breaks exactly once, so every other case must still pass.

Modes: hang, exit, close-stdout, wrong-id, non-json, huge-line (64 MiB), banner (a line before
hello), protocol2 (hello says protocol 2), stderr (a line on stderr per request, nothing wrong),
extra-line (answers one request twice, both lines in one write), setsid-exit (dies while a
grandchild in its own session keeps stdout open), bad-field (a verdict whose outcome is "ok"),
hostile-text (terminal and CI-log attacks in every text it controls: its name and version in
hello, a stderr line per request, an applied attribute's name in each accepted verdict, a reason
code no contract knows, and a non-JSON answer to about one request in N, chosen by its id).
"""

import json
import os
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    split = args.index("--")
    options, command = args[:split], args[split + 1:]
    mode = options[0]
    at = 3
    once = None
    i = 1
    while i < len(options):
        if options[i] == "--at":
            at = int(options[i + 1])
            i += 2
        elif options[i] == "--once":
            once = options[i + 1]
            i += 2
        else:
            sys.exit("unknown option " + options[i])

    def armed():
        if once is None:
            return True
        if os.path.exists(once):
            return False
        with open(once, "w") as marker:
            marker.write(mode)
        return True

    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    out = sys.stdout

    def emit(line):
        out.write(line + "\n")
        out.flush()

    def forward(line):
        child.stdin.write(line + "\n")
        child.stdin.flush()
        return child.stdout.readline().rstrip("\n")

    if mode == "banner" and armed():
        emit("Misbehaving adapter v0.1 starting up...")

    # ESC sequences (clear the screen, set the title, OSC 52 writes the clipboard), NUL, and
    # lines that GitHub Actions would run as workflow commands.
    hostile = "\x1b[2J\x1b]0;owned\x07\x1b]52;c;ZXZpbA==\x07\x00\n::stop-commands::tok\n::error::forged"

    count = 0
    for line in sys.stdin:
        line = line.rstrip("\n")
        message = json.loads(line)
        kind = message.get("type")
        if kind == "bye":
            child.stdin.close()
            child.wait()
            return
        if kind == "hello":
            answer = json.loads(forward(line))
            if mode == "protocol2" and armed():
                answer["protocol"] = 2
            if mode == "hostile-text":
                answer["implementation"] = {"name": "evil" + hostile, "version": "1" + hostile}
            emit(json.dumps(answer))
            continue
        count += 1
        if mode == "stderr":
            # The mark goes out right before the answer, as a log line of the request would.
            answer = forward(line)
            sys.stderr.write("misbehave: handling %s\n" % message.get("id"))
            sys.stderr.flush()
            emit(answer)
            continue
        if mode == "hostile-text":
            sys.stderr.write("log %s\x1b]52;c;ZXZpbA==\x07\x00\n::add-mask::x\n  ::error::e\n" % message.get("id"))
            sys.stderr.flush()
            # Which request gets which attack depends on its id alone, not on the count, which
            # starts again with each restart the harness makes after an invalid answer.
            if sum(map(ord, str(message.get("id")))) % at == 0:
                emit("\x1b[2J::stop-commands::tok\x00 not json")
                continue
            answer = json.loads(forward(line))
            if answer.get("outcome") == "accepted":
                answer.setdefault("attributes", {}).setdefault("applied", {})["x" + hostile] = "v" + hostile
            elif answer.get("outcome") == "rejected":
                answer["error"] = "code" + hostile
            emit(json.dumps(answer))
            continue
        if count == at and mode not in ("banner", "protocol2", "stderr") and armed():
            if mode == "hang":
                sys.stderr.write("misbehave: hanging on %s\n" % message.get("id"))
                sys.stderr.flush()
                time.sleep(3600)
            elif mode == "setsid-exit":
                # A grandchild in a session of its own keeps stdout open; the adapter dies.
                subprocess.Popen(["setsid", "sleep", "30"], stdout=sys.stdout, stderr=subprocess.DEVNULL)
                os._exit(3)
            elif mode == "exit":
                sys.stderr.write("misbehave: exiting on %s\n" % message.get("id"))
                sys.stderr.flush()
                os._exit(3)
            elif mode == "close-stdout":
                try:
                    out.close()
                    os.close(1)
                except OSError:
                    pass
                time.sleep(3600)
            elif mode == "wrong-id":
                answer = json.loads(forward(line))
                answer["id"] = "not-" + str(answer.get("id"))
                emit(json.dumps(answer))
                continue
            elif mode == "non-json":
                emit("Traceback (most recent call last): oops")
                continue
            elif mode == "huge-line":
                chunk = "x" * (1 << 20)
                try:
                    for _ in range(64):
                        out.write(chunk)
                    out.write("\n")
                    out.flush()
                except BrokenPipeError:
                    os._exit(0)
                emit(forward(line))
                continue
            elif mode == "bad-field":
                answer = json.loads(forward(line))
                answer["outcome"] = "ok"
                emit(json.dumps(answer))
                continue
            elif mode == "extra-line":
                answer = forward(line)
                # Both lines in one write: with a flush between them, the harness could send
                # the next request before the second line reached it, and read that line as
                # the next answer (a wrong id) instead of as a line sent too early.
                emit(answer + "\n" + answer)
                continue
        emit(forward(line))


if __name__ == "__main__":
    try:
        main()
    except (BrokenPipeError, KeyboardInterrupt):
        os._exit(0)
