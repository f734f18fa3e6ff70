#!/usr/bin/env python3
"""Ecosystem adapter: a verifier on PyPI `joserfc` (pinned in ../requirements.txt).

How the integrator configures the library
    jwt.decode(token, OctKey.import_key(secret), algorithms=["HS256"])
        the platform's keys, tried in the workspace's order; HS256 pinned (joserfc's default
        allows every recommended algorithm).
    JWTClaimsRegistry(now=<the request's now>, leeway=<jwt_leeway_seconds>).validate(claims)
        joserfc's claim checks (`exp`, `nbf`, `iat`, and the types of `iss`/`sub`/`aud`/`jti`)
        with the injected clock: the registry takes `now`, so the adapter declares
        `"clock": "injected"`. No claim is marked essential: `exp` is optional in the profile.
    Everything else is joserfc's default; joserfc's SecurityWarning for short keys is silenced
    (the harness's test secrets are short; a deployment would use long random ones).

Which error names which rule
    DecodeError, InvalidPayloadError, a header error (crit, unsupported header): jwt_malformed;
    UnsupportedAlgorithmError, MissingAlgorithmError: jwt_algorithm_not_allowed;
    BadSignatureError under every key, or a key joserfc will not use: jwt_signature_invalid;
    ExpiredTokenError: jwt_expired; InvalidClaimError on `nbf` "not yet valid":
    jwt_not_yet_valid; any other ClaimError: jwt_claims_invalid.

The rest of the verdict is ../integrator.py. What joserfc does differently from the profile is
listed, with the line of joserfc's source, in expectations.yaml beside this file.
"""

import os
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import joserfc  # noqa: E402
from joserfc import errors, jwt  # noqa: E402
from joserfc.jwk import OctKey  # noqa: E402
from joserfc.jwt import JWTClaimsRegistry  # noqa: E402

from integrator import Reject, serve  # noqa: E402

warnings.simplefilter("ignore", errors.SecurityWarning)

HELLO = {
    "type": "hello",
    "protocol": 1,
    "implementation": {"name": "joserfc", "version": f"joserfc {joserfc.__version__}"},
    "roles": ["verifier"],
    "clock": "injected",
}


def verify_token(token, keys, now, leeway):
    decoded = None
    for key in keys:
        try:
            octkey = OctKey.import_key(key["secret"])
        except ValueError:
            continue  # joserfc refuses empty key material: such a key verifies nothing
        try:
            decoded = jwt.decode(token, octkey, algorithms=["HS256"])
            break
        except errors.BadSignatureError:
            continue
        except (errors.InvalidKeyLengthError, errors.KeyParameterError):
            continue  # a key joserfc refuses verifies nothing in production either
        except (errors.UnsupportedAlgorithmError, errors.MissingAlgorithmError) as error:
            raise Reject("jwt_algorithm_not_allowed", f"joserfc: {error}") from None
        except errors.JoseError as error:  # DecodeError, InvalidPayloadError, header errors
            raise Reject("jwt_malformed", f"joserfc: {type(error).__name__}: {error}") from None
    if decoded is None:
        raise Reject("jwt_signature_invalid", "no key of the platform verifies the signature")
    try:
        JWTClaimsRegistry(now=now, leeway=leeway).validate(decoded.claims)
    except errors.ExpiredTokenError as error:
        raise Reject("jwt_expired", f"joserfc: {error}") from None
    except errors.InvalidClaimError as error:
        if error.claim == "nbf" and "not yet valid" in str(error):
            raise Reject("jwt_not_yet_valid", f"joserfc: {error}") from None
        raise Reject("jwt_claims_invalid", f"joserfc: {error}") from None
    except errors.ClaimError as error:
        raise Reject("jwt_claims_invalid", f"joserfc: {error}") from None
    return decoded.claims


if __name__ == "__main__":
    serve(HELLO, verify_token=verify_token)
