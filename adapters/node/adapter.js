#!/usr/bin/env node
// Example exec adapter for messenger-conformance: Node.js, npm `jsonwebtoken` and `node:crypto`.
//
// What it is
//   A verifier and a signer for Messenger Identity Verification (user_hash = HMAC-SHA256) and
//   Messenger Security with JWTs, written the way a careful integrator would write them on the
//   libraries the vendor's own sample uses: `jwt.sign(payload, secret, { algorithm: "HS256" })`
//   and `jwt.verify(token, secret, { algorithms: ["HS256"], clockTimestamp, clockTolerance })`,
//   plus `crypto.createHmac` / `crypto.timingSafeEqual` for the user_hash. It speaks the exec
//   transport of the adapter protocol (docs/protocol.md): one JSON object per line on stdin and
//   stdout, logs on stderr, `hello` first, `bye` last. It decides with the `now` it is sent
//   (`"clock": "injected"`): jsonwebtoken takes the clock as `clockTimestamp`.
//
// How to run it against the suite (from the repository root)
//   (cd adapters/node && npm ci)
//   cargo run --release -- run -- node adapters/node/adapter.js
//   cargo run --release -- run --baseline adapters/node/baseline.yaml -- node adapters/node/adapter.js
//
// What jsonwebtoken does not check, and this file adds in a few lines each
//   - canonical base64url (the library's regex lets `=`-free but non-canonical trailing bits
//     through, and Buffer decoding is lenient): every part must re-encode to itself;
//   - header and payload must be UTF-8 JSON objects (the library silently replaces bad UTF-8);
//   - `alg` exactly "HS256" checked before any key is tried, so the error code is the profile's;
//   - `crit` is refused (the library ignores it);
//   - `exp`/`nbf` must be finite numbers: `1e400` parses to Infinity, which the library treats
//     as "never expires"; numbers that overflow inside attribute claims are refused the same way.
//
// Known deviations (those the suite exercises are listed, with reasons, in baseline.yaml)
//   - duplicate member names in the header or payload: JSON.parse keeps the last one (RFC 7515
//     allows that); the profile rejects them. Detecting them needs a hand-written JSON parser,
//     which is not "a few lines", so this adapter does not.
//   - JSON.parse accepts `\ud800`-style lone surrogate escapes, which the profile's parser
//     rejects as not JSON.

"use strict";

const crypto = require("node:crypto");
const readline = require("node:readline");
const jwt = require("jsonwebtoken");

const PLATFORMS = ["web", "ios", "android"];
const ACTIONS = ["boot", "update"];
const RESERVED_ATTRIBUTES = ["user_id", "email", "user_hash", "intercom_user_jwt"];
const REGISTERED_CLAIMS = ["exp", "nbf", "iat", "iss", "aud", "sub", "jti"];

/** A rejection: one error code from the contract's closed list, and why. */
class Reject extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const log = (...args) => console.error("[node-adapter]", ...args);
const has = (object, name) => Object.prototype.hasOwnProperty.call(object, name);
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
// Objects built from attacker-chosen names: no prototype, so "__proto__" is just a name.
const dict = () => Object.create(null);

// ---------------------------------------------------------------------------------------------
// Verifier
// ---------------------------------------------------------------------------------------------

function verify(message) {
  try {
    return { type: "verdict", id: message.id, ...decide(message.workspace, message.request, message.now) };
  } catch (error) {
    if (!(error instanceof Reject)) throw error;
    return {
      type: "verdict",
      id: message.id,
      outcome: "rejected",
      verified: false,
      identity: null,
      error: error.code,
      attributes: { applied: {}, dropped: {} },
      message: error.message,
    };
  }
}

function decide(workspace, raw, now) {
  const request = parseRequest(raw); // rule 1
  const settings = (has(workspace.platforms, request.platform) && workspace.platforms[request.platform]) || null;
  const locked = (name) => workspace.locked_attributes.includes(name);

  if (request.jwt !== null) return verifyJwt(workspace, settings, request, now, locked); // rule 2

  if (request.user_id === null && request.email === null) {
    if (request.user_hash !== null) {
      throw new Reject("missing_identifier", "a user_hash with neither user_id nor email"); // rule 4
    }
    const attributes = requestAttributes(request.attributes, [], locked); // rule 5
    return accepted(false, null, attributes, "anonymous visitor");
  }

  // Rule 3: no JWT, a logged-in user.
  if (settings && settings.jwt.enabled) {
    throw new Reject("jwt_required", `JWT is enabled on ${request.platform}: a user_hash is no substitute`);
  }
  const enforced = Boolean(settings && settings.identity_verification.enforced);
  let verified = false;
  if (request.user_hash === null) {
    if (enforced) throw new Reject("user_hash_required", `identity verification is enforced on ${request.platform}`);
  } else {
    const secret = settings ? settings.identity_verification.secret : "";
    const identifier = request.user_id !== null ? request.user_id : request.email;
    verified = userHashMatches(request.platform, secret, identifier, request.user_hash);
    if (!verified && enforced) throw new Reject("user_hash_mismatch", "the user_hash does not match");
  }
  const identity = { user_id: request.user_id, email: request.email };
  const attributes = requestAttributes(request.attributes, [], locked);
  if (request.user_id !== null && request.email !== null && locked("email")) {
    // An email beside a user_id is unsigned data: a locked one is not taken.
    identity.email = null;
    attributes.dropped.email = "locked_attribute";
  }
  return accepted(verified, identity, attributes, verified ? "verified by user_hash" : "not verified");
}

/** Rule 1: the request's shape. `null` counts as absent for every field. */
function parseRequest(raw) {
  if (!isObject(raw)) throw new Reject("invalid_request", "the request is not an object");
  const field = (name) => (has(raw, name) && raw[name] !== null ? raw[name] : null);
  const string = (name, nonEmpty) => {
    const value = field(name);
    if (value === null) return null;
    if (typeof value !== "string") throw new Reject("invalid_request", `\`${name}\` is not a string`);
    if (nonEmpty && value === "") throw new Reject("invalid_request", `\`${name}\` is an empty string`);
    return value;
  };
  const action = string("action", false);
  if (!ACTIONS.includes(action)) throw new Reject("invalid_request", `unknown action ${JSON.stringify(action)}`);
  const platform = string("platform", false);
  if (!PLATFORMS.includes(platform)) throw new Reject("invalid_request", `unknown platform ${JSON.stringify(platform)}`);
  const request = {
    action,
    platform,
    user_id: string("user_id", true),
    email: string("email", true),
    user_hash: string("user_hash", false),
    jwt: string("intercom_user_jwt", false),
    attributes: field("attributes") === null ? {} : field("attributes"),
  };
  if (!isObject(request.attributes)) throw new Reject("invalid_request", "`attributes` is not an object");
  const reserved = Object.keys(request.attributes).filter((n) => RESERVED_ATTRIBUTES.includes(n));
  if (reserved.length > 0) throw new Reject("invalid_request", `reserved attribute names: ${reserved.join(", ")}`);
  return request;
}

/** Rule 3.3: hex HMAC-SHA256(secret, identifier); either hex case on web, lowercase on mobile. */
function userHashMatches(platform, secret, identifier, given) {
  if (secret === "") return false; // an empty secret never verifies
  const shape = platform === "web" ? /^[0-9a-fA-F]{64}$/ : /^[0-9a-f]{64}$/;
  if (!shape.test(given)) return false; // only the attacker's own input is inspected here
  const expected = crypto.createHmac("sha256", secret).update(identifier, "utf8").digest();
  return crypto.timingSafeEqual(Buffer.from(given, "hex"), expected);
}

/** Rule 2: a JWT is present. */
function verifyJwt(workspace, settings, request, now, locked) {
  if (!settings || !settings.jwt.enabled) {
    throw new Reject("jwt_not_enabled", `JWT is not enabled on ${request.platform}`);
  }
  const token = request.jwt;
  const { header, claims } = decodeStrict(token); // 2.2, what the library lets through

  // 2.3, checked here so the code is the profile's (the library says "invalid algorithm" for
  // some of these and "jwt signature is required" or "invalid token" for others).
  if (header.alg !== "HS256") throw new Reject("jwt_algorithm_not_allowed", `alg ${JSON.stringify(header.alg)} is not "HS256"`);
  if (has(header, "crit")) throw new Reject("jwt_malformed", "a `crit` header: this profile understands no extension");

  // 2.4: every key of this platform with a non-empty secret; keys of other platforms and
  // rotated-out keys are simply not in the list. `kid` selects nothing.
  const keys = workspace.jwt_keys.filter((k) => k.platforms.includes(request.platform) && k.secret !== "");
  let timeError = null;
  let key = null;
  const options = { algorithms: ["HS256"], clockTimestamp: now, clockTolerance: workspace.jwt_leeway_seconds };
  for (const candidate of keys) {
    try {
      jwt.verify(token, candidate.secret, options);
    } catch (error) {
      if (error.message === "invalid signature" || error.message === "jwt signature is required") continue;
      if (error instanceof jwt.TokenExpiredError || error instanceof jwt.NotBeforeError) {
        timeError = error; // the signature did verify; exp/nbf are judged after the claim types
        if (error instanceof jwt.NotBeforeError) {
          // jsonwebtoken checks nbf before exp; the profile names an expired token first (2.6).
          timeError = expiredError(token, candidate.secret, { ...options, ignoreNotBefore: true }) || error;
        }
      } else {
        throw new Reject(libraryErrorCode(error), `jsonwebtoken: ${error.message}`);
      }
    }
    key = candidate;
    break;
  }
  if (key === null) throw new Reject("jwt_signature_invalid", `no key for ${request.platform} verifies the signature`);

  // 2.5 on the claims we parsed (the same JSON text the library verified).
  const userId = has(claims, "user_id") ? claims.user_id : undefined;
  if (userId === undefined || userId === null || userId === "") throw new Reject("jwt_missing_user_id", "no user_id claim");
  if (typeof userId !== "string") throw new Reject("jwt_claims_invalid", "`user_id` is not a string");
  if (has(claims, "email") && (typeof claims.email !== "string" || claims.email === "")) {
    throw new Reject("jwt_claims_invalid", "`email` is not a non-empty string");
  }
  for (const name of ["exp", "nbf"]) {
    if (has(claims, name) && !Number.isFinite(claims[name])) {
      throw new Reject("jwt_claims_invalid", `\`${name}\` is not a finite number`);
    }
  }
  for (const name of Object.keys(claims)) {
    if (!REGISTERED_CLAIMS.includes(name) && !holdsOnlyFiniteNumbers(claims[name])) {
      throw new Reject("jwt_claims_invalid", `claim \`${name}\` holds a number that overflows`);
    }
  }

  // 2.6 and 2.7, decided by jsonwebtoken with the injected clock and the workspace's leeway.
  if (timeError instanceof jwt.TokenExpiredError) throw new Reject("jwt_expired", `jsonwebtoken: ${timeError.message}`);
  if (timeError instanceof jwt.NotBeforeError) throw new Reject("jwt_not_yet_valid", `jsonwebtoken: ${timeError.message}`);

  // 2.8
  const claimEmail = has(claims, "email") ? claims.email : null;
  if (request.user_id !== null && request.user_id !== userId) {
    throw new Reject("jwt_identity_mismatch", "the request's user_id differs from the claim");
  }
  if (request.email !== null && claimEmail !== null && request.email !== claimEmail) {
    throw new Reject("jwt_identity_mismatch", "the request's email differs from the claim");
  }

  // 2.9: identity from the claims; other non-registered claims are attributes.
  const identity = { user_id: userId, email: claimEmail };
  const fromClaims = Object.keys(claims).filter((n) => n !== "user_id" && n !== "email" && !REGISTERED_CLAIMS.includes(n));
  const attributes = { applied: dict(), dropped: dict() };
  if (claimEmail === null && request.email !== null) {
    if (locked("email")) attributes.dropped.email = "locked_attribute";
    else identity.email = request.email;
  }
  for (const name of fromClaims) attributes.applied[name] = claims[name];
  const fromRequest = requestAttributes(request.attributes, fromClaims, locked);
  Object.assign(attributes.applied, fromRequest.applied);
  Object.assign(attributes.dropped, fromRequest.dropped);
  return accepted(true, identity, attributes, `verified by a JWT signed with key ${key.id}`);
}

/** Rule 2.2, strictly: three canonical base64url parts, header and payload UTF-8 JSON objects. */
function decodeStrict(token) {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Reject("jwt_malformed", `${parts.length} parts, not 3`);
  for (const part of parts) {
    const canonical = /^[A-Za-z0-9_-]*$/.test(part) && Buffer.from(part, "base64url").toString("base64url") === part;
    if (!canonical) throw new Reject("jwt_malformed", "a part is not canonical base64url");
  }
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const [header, claims] = parts.slice(0, 2).map((part, i) => {
    let value;
    try {
      value = JSON.parse(utf8.decode(Buffer.from(part, "base64url")));
    } catch (error) {
      throw new Reject("jwt_malformed", `the ${i === 0 ? "header" : "payload"} is not UTF-8 JSON: ${error.message}`);
    }
    if (!isObject(value)) throw new Reject("jwt_malformed", `the ${i === 0 ? "header" : "payload"} is not a JSON object`);
    return value;
  });
  return { header, claims };
}

/** JSON.parse turns a number too large for a double (1e400) into Infinity. */
function holdsOnlyFiniteNumbers(value) {
  if (typeof value === "number") return Number.isFinite(value);
  if (value !== null && typeof value === "object") return Object.values(value).every(holdsOnlyFiniteNumbers);
  return true;
}

/** The TokenExpiredError jwt.verify throws with these options, or null. */
function expiredError(token, secret, options) {
  try {
    jwt.verify(token, secret, options);
    return null;
  } catch (error) {
    return error instanceof jwt.TokenExpiredError ? error : null;
  }
}

function libraryErrorCode(error) {
  if (error.message === "invalid algorithm") return "jwt_algorithm_not_allowed";
  if (error.message === "invalid exp value" || error.message === "invalid nbf value") return "jwt_claims_invalid";
  return "jwt_malformed"; // "jwt malformed", "invalid token" and anything else about the format
}

/** Request attributes: a claim's value wins; locked ones need a JWT. */
function requestAttributes(sent, setByClaims, locked) {
  const attributes = { applied: dict(), dropped: dict() };
  for (const [name, value] of Object.entries(sent)) {
    if (setByClaims.includes(name)) attributes.dropped[name] = "overridden_by_jwt";
    else if (locked(name)) attributes.dropped[name] = "locked_attribute";
    else attributes.applied[name] = value;
  }
  return attributes;
}

function accepted(verified, identity, attributes, message) {
  return { outcome: "accepted", verified, identity, error: null, attributes, message };
}

// ---------------------------------------------------------------------------------------------
// Signer
// ---------------------------------------------------------------------------------------------

function sign(message) {
  const refuse = (why) => ({ type: "refused", id: message.id, message: why });
  const { user, secret } = message;
  const userId = user.user_id ?? null;
  const email = user.email ?? null;
  if (secret === "") return refuse("the secret is empty: no verifier accepts what it signs");
  if (userId === "" || email === "") return refuse("an empty user_id or email: verifiers reject those");

  if (message.mode === "user_hash") {
    const identifier = userId ?? email;
    if (identifier === null) return refuse("a user_hash needs a user_id or an email");
    const userHash = crypto.createHmac("sha256", secret).update(identifier, "utf8").digest("hex");
    return { type: "signed", id: message.id, user_hash: userHash, jwt: null };
  }
  if (message.mode !== "jwt") return { type: "unsupported", id: message.id, message: `mode ${message.mode}` };

  if (userId === null) return refuse("a user JWT needs a user_id");
  const attributes = message.attributes || {};
  const clashing = Object.keys(attributes).filter((n) => RESERVED_ATTRIBUTES.includes(n) || REGISTERED_CLAIMS.includes(n));
  if (clashing.length > 0) return refuse(`attributes ${clashing.join(", ")} would overwrite claims with a meaning of their own`);
  const expiresIn = message.expires_in ?? null;
  if (expiresIn !== null && expiresIn <= 0) return refuse(`expires_in ${expiresIn} would be expired on arrival`);
  // A double cannot hold every integer: refuse an exp that is not a safe integer rather than
  // write a rounded one (SIGN-JWT-LIFETIME-RANGE).
  if (expiresIn !== null && !Number.isSafeInteger(message.now + expiresIn)) {
    return refuse(`now + expires_in ${expiresIn} is not a safe integer`);
  }

  // The seed's sample: a payload with user_id, email, the attributes and exp in seconds.
  const payload = { user_id: userId };
  if (email !== null) payload.email = email;
  Object.assign(payload, attributes);
  if (expiresIn !== null) payload.exp = message.now + expiresIn;
  const options = { algorithm: "HS256", noTimestamp: true }; // no `iat` from the real clock
  if (message.key_id !== null && message.key_id !== undefined) options.keyid = message.key_id;
  return { type: "signed", id: message.id, user_hash: null, jwt: jwt.sign(payload, secret, options) };
}

// ---------------------------------------------------------------------------------------------
// The exec transport: one JSON object per line; stdout carries only protocol messages.
// ---------------------------------------------------------------------------------------------

function hello() {
  return {
    type: "hello",
    protocol: 1,
    implementation: { name: "node jsonwebtoken example adapter", version: `jsonwebtoken ${require("jsonwebtoken/package.json").version}` },
    roles: ["verifier", "signer"],
    clock: "injected",
  };
}

function answer(message) {
  switch (message.type) {
    case "hello":
      return hello();
    case "verify":
      return verify(message);
    case "sign":
      return sign(message);
    default:
      return { type: "unsupported", id: message.id ?? "", message: `unknown message type ${message.type}` };
  }
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (line.trim() === "") return;
  const message = JSON.parse(line);
  if (message.type === "bye") {
    // Stop reading; node exits once stdout has drained (the harness also closes stdin).
    lines.close();
    process.stdin.destroy();
    return;
  }
  const reply = answer(message);
  log(message.type, message.id ?? "", reply.outcome ?? reply.type, reply.error ?? "", reply.message ?? "");
  // On Linux, writes to a pipe are synchronous: the line is flushed when write returns.
  process.stdout.write(JSON.stringify(reply) + "\n");
});
