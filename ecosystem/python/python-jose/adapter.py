#!/usr/bin/env python3
"""Ecosystem adapter: a verifier on PyPI `python-jose` (pinned in ../requirements.txt).

How the integrator configures the library
    jwt.decode(token, [secret, ...], algorithms=["HS256"], options={"leeway": jwt_leeway_seconds})
        the platform's keys as python-jose's list of keys (it tries each); HS256 pinned; the
        workspace's leeway. Every other option is python-jose's default (it verifies `exp`,
        `nbf`, `iat`, `aud`, `iss`, `sub`, `jti` and `at_hash` when present).

The clock
    python-jose reads the real clock (`datetime.now(UTC)`) and takes no other instant, so this
    adapter declares `"clock": "system"`: the harness builds every time from the real clock and
    skips, with that reason, the cases that need an exact instant.

Which error names which rule
    python-jose raises JWTError with the JWS error's text: "Signature verification failed":
    jwt_signature_invalid; "alg" not allowed, missing or unsupported: jwt_algorithm_not_allowed;
    any other JWS or payload error (segments, padding, header or payload string):
    jwt_malformed; ExpiredSignatureError: jwt_expired; JWTClaimsError on `nbf`:
    jwt_not_yet_valid; any other JWTClaimsError: jwt_claims_invalid.

The rest of the verdict is ../integrator.py. What python-jose does differently from the profile
is listed, with the line of python-jose's source, in expectations.yaml beside this file.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import jose  # noqa: E402
from jose import jwt  # noqa: E402
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError  # noqa: E402

from integrator import Reject, serve  # noqa: E402

HELLO = {
    "type": "hello",
    "protocol": 1,
    "implementation": {"name": "python-jose", "version": f"python-jose {jose.__version__}"},
    "roles": ["verifier"],
    "clock": "system",
}

ALGORITHM_ERRORS = ("alg value is not allowed", "No algorithm was specified", "Invalid or unsupported algorithm",
                    "not supported")


def verify_token(token, keys, now, leeway):
    del now  # python-jose reads the real clock
    try:
        return jwt.decode(token, [k["secret"] for k in keys], algorithms=["HS256"], options={"leeway": leeway})
    except ExpiredSignatureError as error:
        raise Reject("jwt_expired", f"python-jose: {error}") from None
    except JWTClaimsError as error:
        code = "jwt_not_yet_valid" if "(nbf)" in str(error) and "not yet valid" in str(error) else "jwt_claims_invalid"
        raise Reject(code, f"python-jose: {error}") from None
    except JWTError as error:
        text = str(error)
        if "Signature verification failed" in text:
            raise Reject("jwt_signature_invalid", f"python-jose: {text}") from None
        if any(marker in text for marker in ALGORITHM_ERRORS):
            raise Reject("jwt_algorithm_not_allowed", f"python-jose: {text}") from None
        raise Reject("jwt_malformed", f"python-jose: {text}") from None


if __name__ == "__main__":
    serve(HELLO, verify_token=verify_token)
