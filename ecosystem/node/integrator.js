// The integrator's code shared by the Node ecosystem adapters (ecosystem/node/*/adapter.js).
//
// Each adapter wraps one real library as an integrator would configure it; this module is what
// such an integrator writes around the library whatever the library: the exec transport of the
// adapter protocol (docs/protocol.md), the request's shape (rule 1), the user_hash path (rule
// 3), the visitor and `missing_identifier` rules (4, 5), and, around the library's JWT decoding,
// the application's own claims (`user_id`, `email`), the identity check (2.8) and the attribute
// bookkeeping (2.9). It never re-checks what the library is there to check (the token's form,
// `alg`, `crit`, the signature, `exp`/`nbf`): those verdicts are the library's, which is the
// point of the ecosystem tests.
//
// An adapter calls `serve(hello, { verifyToken, sign })`:
// - `verifyToken(token, keys, now, leeway)` decodes and verifies the token with the library
//   (keys: the platform's `{ id, secret }` in the workspace's order) and returns its claims, or
//   throws `new Reject(code, message)` naming the rule the library's error names;
// - `sign(message)` returns the answer to a `sign` request (`signed`, `refused`, `unsupported`).
// Anything else that throws kills the adapter with its stack on stderr: an adapter error, never
// a verdict (docs/protocol.md, "Wrapping a library").

"use strict";

const crypto = require("node:crypto");
const readline = require("node:readline");

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

const has = (object, name) => Object.prototype.hasOwnProperty.call(object, name);
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
// Objects built from attacker-chosen names: no prototype, so "__proto__" is just a name.
const dict = () => Object.create(null);

const unsupported = (message, why) => ({ type: "unsupported", id: message.id, message: why });
const refused = (message, why) => ({ type: "refused", id: message.id, message: why });
const signedHash = (message, userHash) => ({ type: "signed", id: message.id, user_hash: userHash, jwt: null });

// ---------------------------------------------------------------------------------------------
// Verifier: the integrator's code around the library
// ---------------------------------------------------------------------------------------------

function verify(message, verifyToken) {
  try {
    return { type: "verdict", id: message.id, ...decide(message.workspace, message.request, message.now, verifyToken) };
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

function decide(workspace, raw, now, verifyToken) {
  const request = parseRequest(raw); // rule 1
  const settings = (has(workspace.platforms, request.platform) && workspace.platforms[request.platform]) || null;
  const locked = (name) => workspace.locked_attributes.includes(name);

  if (request.jwt !== null) return verifyJwt(workspace, settings, request, now, locked, verifyToken); // rule 2

  if (request.user_id === null && request.email === null) {
    if (request.user_hash !== null) {
      throw new Reject("missing_identifier", "a user_hash with neither user_id nor email"); // rule 4
    }
    return accepted(false, null, requestAttributes(request.attributes, [], locked), "anonymous visitor"); // rule 5
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
    identity.email = null; // unsigned data beside a user_id: a locked email is not taken
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
  if (secret === "") return false;
  const shape = platform === "web" ? /^[0-9a-fA-F]{64}$/ : /^[0-9a-f]{64}$/;
  if (!shape.test(given)) return false;
  const expected = crypto.createHmac("sha256", secret).update(identifier, "utf8").digest();
  return crypto.timingSafeEqual(Buffer.from(given, "hex"), expected);
}

/** Rule 2: the library decides the token (2.2 to 2.7); the application's claims are ours. */
function verifyJwt(workspace, settings, request, now, locked, verifyToken) {
  if (!settings || !settings.jwt.enabled) {
    throw new Reject("jwt_not_enabled", `JWT is not enabled on ${request.platform}`);
  }
  const keys = workspace.jwt_keys
    .filter((k) => k.platforms.includes(request.platform))
    .map((k) => ({ id: k.id, secret: k.secret }));
  const claims = verifyToken(request.jwt, keys, now, workspace.jwt_leeway_seconds);

  // 2.5, the application's own claims.
  const userId = has(claims, "user_id") ? claims.user_id : undefined;
  if (userId === undefined || userId === null || userId === "") throw new Reject("jwt_missing_user_id", "no user_id claim");
  if (typeof userId !== "string") throw new Reject("jwt_claims_invalid", "`user_id` is not a string");
  if (has(claims, "email") && (typeof claims.email !== "string" || claims.email === "")) {
    throw new Reject("jwt_claims_invalid", "`email` is not a non-empty string");
  }

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
  return accepted(true, identity, attributes, "verified by a JWT");
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
// The exec transport: one JSON object per line; stdout carries only protocol messages.
// ---------------------------------------------------------------------------------------------

/** Answer the harness until `bye` or the end of stdin. `hello` is the adapter's hello answer. */
function serve(hello, { verifyToken = null, sign = null } = {}) {
  const name = hello.implementation.name;
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on("line", (line) => {
    if (line.trim() === "") return;
    const message = JSON.parse(line);
    if (message.type === "bye") {
      lines.close();
      process.stdin.destroy();
      return;
    }
    let reply;
    if (message.type === "hello") reply = hello;
    else if (message.type === "verify" && verifyToken) reply = verify(message, verifyToken);
    else if (message.type === "sign" && sign) reply = sign(message);
    else reply = unsupported(message, `${name} does not answer \`${message.type}\``);
    console.error(`[${name}]`, message.type, message.id ?? "", reply.outcome ?? reply.type, reply.error ?? "", reply.message ?? "");
    // On Linux, writes to a pipe are synchronous: the line is flushed when write returns.
    process.stdout.write(JSON.stringify(reply) + "\n");
  });
}

module.exports = { Reject, serve, refused, signedHash, unsupported };
