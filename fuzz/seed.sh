#!/usr/bin/env bash
# Regenerates the committed seed corpora, fuzz/seeds/<target>/ (README.md). Run from anywhere,
# after `cargo build` of the harness (it runs the suite once to collect the tokens its cases
# build):
#
#     fuzz/seed.sh [path/to/messenger-conformance]
#
# - jws: every Wycheproof JWS vector (vectors/wycheproof/json_web_signature_hs256_test.json)
#   and every token the suite's cases send, each as `token NUL key` (the target's input form);
# - json: the decoded header and payload of each of those tokens that has JSON ones, and a few
#   documents at the parser's edges;
# - exec_lines: the lines the reference answers with over the exec transport.
#
# case_loader needs no committed seeds: scripts/fuzz seeds it with cases/**/*.yaml as they are.
# jws_differential builds its tokens from structure: its seeds (fuzz/seeds/jws_differential/)
# are 24 byte strings of 8 to 512 bytes from a seeded generator (any bytes decode to an input),
# which this script leaves as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-${CARGO_TARGET_DIR:-target}/debug/messenger-conformance}"
binary="$(realpath "$binary")"
seeds=fuzz/seeds
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# The suite against the reference over the exec transport, both directions recorded.
"$binary" run --no-report --quiet -- sh -c \
    "tee -a '$scratch/requests' | '$binary' serve --stdio | tee -a '$scratch/answers'" \
    >/dev/null || true

rm -rf "$seeds/jws" "$seeds/json" "$seeds/exec_lines"
mkdir -p "$seeds/jws" "$seeds/json" "$seeds/exec_lines"

python3 - "$scratch" "$seeds" <<'EOF'
import base64, hashlib, hmac, json, re, sys

scratch, seeds = sys.argv[1], sys.argv[2]

def b64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

def name(data):
    return hashlib.sha1(data).hexdigest()

def write(target, data):
    with open(f"{seeds}/{target}/{name(data)}", "wb") as f:
        f.write(data)

tokens = []  # (token, key)
vectors = json.load(open("vectors/wycheproof/json_web_signature_hs256_test.json"))
for group in vectors["testGroups"]:
    key = b64(group["private"]["k"])
    for test in group["tests"]:
        jws = test["jws"]
        tokens.append((jws if isinstance(jws, str) else json.dumps(jws), key))

seen_cases = set()
for line in open(f"{scratch}/requests", encoding="utf-8"):
    message = json.loads(line)
    token = (message.get("request") or {}).get("intercom_user_jwt")
    # One token per case (the properties send thousands more of the same shapes).
    case = re.sub(r"(/[0-9]+|-[0-9]+)$", "", str(message.get("id", "")))
    if not isinstance(token, str) or case in seen_cases:
        continue
    seen_cases.add(case)
    secrets = [k.get("secret", "") for k in message["workspace"].get("jwt_keys", [])]
    secrets = [s.encode() for s in secrets if isinstance(s, str) and s]
    key = secrets[0] if secrets else b"k"
    head, _, signature = token.rpartition(".")
    for secret in secrets:
        try:
            if hmac.compare_digest(hmac.new(secret, head.encode(), "sha256").digest(), b64(signature)):
                key = secret
        except Exception:
            pass
    tokens.append((token, key))

for token, key in tokens:
    write("jws", token.encode() + b"\0" + key)
    for part in token.split(".")[:2]:
        try:
            write("json", b64(part))
        except Exception:
            pass

edges = [
    b'{"a":1,"a":2}', b'{"a":{"b":1,"\\u0062":2}}', b'{"exp":1e400,"n":[-1e400]}',
    b'{"s":"\\ud83d\\ude00","t":"\\ud800"}', b"[" * 130 + b"]" * 130, b'{"n":-0,"m":1.5e-400}',
    b'{"big":18446744073709551616,"neg":-9223372036854775809}', b' \t\r\n{"a":[true,false,null]} ',
]
for edge in edges:
    write("json", edge)

# One answer of each kind (verdict or signature, outcome, error), with a CRLF variant of the
# first and the stream so far as one more.
kinds = {}
for line in open(f"{scratch}/answers", "rb"):
    answer = json.loads(line)
    kind = (answer.get("type"), answer.get("outcome"), answer.get("error"))
    kinds.setdefault(kind, line)
lines = sorted(kinds.values())
for line in lines:
    write("exec_lines", line)
write("exec_lines", lines[0].replace(b"\n", b"\r\n"))
write("exec_lines", b"".join(lines[:8]))
EOF

for target in jws json exec_lines; do
    printf '%s: %s seeds, %s\n' "$target" "$(ls "$seeds/$target" | wc -l)" \
        "$(du -sh "$seeds/$target" | cut -f1)"
done
