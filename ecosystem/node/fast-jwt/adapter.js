#!/usr/bin/env node
// Ecosystem adapter: a verifier on npm `fast-jwt` (pinned in ../package-lock.json).
//
// How the integrator configures the library
//   createVerifier({ key: secret, algorithms: ["HS256"], clockTimestamp: now * 1000,
//                    clockTolerance: jwt_leeway_seconds * 1000 })
//     one verifier per key of the platform, tried in the workspace's order; HS256 pinned
//     (fast-jwt's default accepts every algorithm); fast-jwt takes the clock as
//     `clockTimestamp` (milliseconds), so the adapter declares `"clock": "injected"`, and the
//     workspace's leeway as `clockTolerance` (milliseconds). Every other option is fast-jwt's
//     default (no cache, no required claim, no `allowed*` matcher).
//
// Which error names which rule (fast-jwt's TokenError codes)
//   FAST_JWT_INVALID_SIGNATURE under every key, or a key fast-jwt refuses (FAST_JWT_INVALID_OPTION
//   or FAST_JWT_INVALID_KEY when the verifier is created): jwt_signature_invalid; FAST_JWT_INVALID_ALGORITHM:
//   jwt_algorithm_not_allowed; FAST_JWT_EXPIRED: jwt_expired; FAST_JWT_INACTIVE:
//   jwt_not_yet_valid; FAST_JWT_INVALID_CLAIM_TYPE / _VALUE: jwt_claims_invalid; any other
//   TokenError (malformed, invalid payload, crit): jwt_malformed; FAST_JWT_MISSING_SIGNATURE (an
//   empty signature part) names the signature: jwt_signature_invalid.
//
// The rest of the verdict is ../integrator.js. What fast-jwt does differently from the profile
// is listed, with the line of fast-jwt's source, in expectations.yaml beside this file.

"use strict";

const { createVerifier, TokenError } = require("fast-jwt");
const { Reject, serve } = require("../integrator");

// The adapter's hello, in one place.
const HELLO = {
  type: "hello",
  protocol: 1,
  implementation: { name: "fast-jwt", version: `fast-jwt ${require("fast-jwt/package.json").version}` },
  roles: ["verifier"],
  clock: "injected",
};

const CODES = {
  [TokenError.codes.invalidAlgorithm]: "jwt_algorithm_not_allowed",
  [TokenError.codes.expired]: "jwt_expired",
  [TokenError.codes.inactive]: "jwt_not_yet_valid",
  [TokenError.codes.invalidClaimType]: "jwt_claims_invalid",
  [TokenError.codes.invalidClaimValue]: "jwt_claims_invalid",
  [TokenError.codes.missingSignature]: "jwt_signature_invalid",
};

function verifyToken(token, keys, now, leeway) {
  for (const key of keys) {
    let verifier;
    try {
      verifier = createVerifier({ key: key.secret, algorithms: ["HS256"], clockTimestamp: now * 1000, clockTolerance: leeway * 1000 });
    } catch (error) {
      if (error instanceof TokenError && [TokenError.codes.invalidKey, TokenError.codes.invalidOption].includes(error.code)) continue; // a key fast-jwt refuses (the empty one)
      throw error;
    }
    try {
      return verifier(token);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      if (error.code === TokenError.codes.invalidSignature) continue;
      throw new Reject(CODES[error.code] ?? "jwt_malformed", `fast-jwt: ${error.code}: ${error.message}`);
    }
  }
  throw new Reject("jwt_signature_invalid", "no key of the platform verifies the signature");
}

serve(HELLO, { verifyToken });
