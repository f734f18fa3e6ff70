#!/usr/bin/env node
// Ecosystem adapter: a user_hash signer on npm `intercom-client` 2.11.2, Intercom's official
// Node bindings (pinned in ../package-lock.json).
//
// How the integrator configures the library
//   new UserData({ app_id, verificationSecret: secret, user_id, email }).json()
//     the Messenger settings the integrator's server renders into the page. The README
//     ("Identity verification") documents the hashing helper,
//     `IdentityVerification.userHash({ secretKey, identifier })`, and leaves the identifier to
//     the caller; the library's own exported `UserData` (like its `Snippet`) is where it picks
//     one: `setUserHash` calls that helper with the user's id, else the email
//     (`user_id ? user_id.toString() : email`), and `json()` returns the settings with
//     `user_hash`. Using UserData rather than choosing the identifier ourselves keeps the
//     library's own choice under test. Only the fields the user has are passed (an absent one is left out, as
//     the integrator's user object would leave it). The adapter answers that `user_hash`.
//   The library's own refusals are the adapter's `refused`: UserData throws without a
//   verification secret ("You must provide your verification secret", so an empty secret is
//   refused), and IdentityVerification.userHash throws without an identifier. A user with
//   neither id nor email is logged out for UserData: the settings carry no `user_hash`, and the
//   adapter answers `refused`.
//
// intercom-client makes no JWTs: a `sign` in `jwt` mode is answered `unsupported`, and no
// `verify` either (the adapter offers the signer role only). What intercom-client does
// differently from the profile is listed, with the line of its source, in expectations.yaml
// beside this file.

"use strict";

const { UserData } = require("intercom-client");
const { refused, serve, signedHash, unsupported } = require("../integrator");

// The adapter's hello, in one place.
const HELLO = {
  type: "hello",
  protocol: 1,
  implementation: { name: "intercom-client", version: `intercom-client ${require("intercom-client/package.json").version}` },
  roles: ["signer"],
  clock: "injected",
  // It makes user_hash values only: JWT signing is a declared lack (docs/protocol.md).
  lacks: ["sign_jwt"],
};

// The library's own messages for what it refuses, from dist/user-data.js and dist/index.js.
const LIBRARY_REFUSALS = [/verification secret/, /secretKey must be provided/, /identifier must be provided/];

function sign(message) {
  if (message.mode !== "user_hash") return unsupported(message, "intercom-client makes no JWTs (IdentityVerification.userHash only)");
  const settings = { app_id: "conformance-app", verificationSecret: message.secret };
  for (const name of ["user_id", "email"]) {
    if (message.user[name] !== null && message.user[name] !== undefined) settings[name] = message.user[name];
  }
  let snippet;
  try {
    snippet = new UserData(settings).json();
  } catch (error) {
    if (LIBRARY_REFUSALS.some((pattern) => pattern.test(error.message))) return refused(message, `intercom-client: ${error.message}`);
    throw error;
  }
  if (snippet.user_hash === undefined) return refused(message, "a logged-out user for UserData: no user_hash");
  return signedHash(message, snippet.user_hash);
}

serve(HELLO, { sign });
