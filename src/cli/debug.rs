//! `debug`: troubleshooting tools for integrators. `debug jwt TOKEN` is a token debugger,
//! `debug hash` finds what a `user_hash` was computed over. Both print for people by default
//! and JSON with `--json`; exit 0 when the token or hash would be accepted, 1 when not, 2 on
//! bad input (an unreadable workspace file, a bad flag).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{ended, out, outln, CliError, CommandResult};
use messenger_conformance::contract::{Platform, Workspace};
use messenger_conformance::debug::{self, HashQuery, JwtOptions};
use messenger_conformance::exit::Exit;
use messenger_conformance::visible::visible_lines;

#[derive(Debug, Args)]
pub struct DebugArgs {
    #[command(subcommand)]
    pub what: DebugCommand,
}

#[derive(Debug, Subcommand)]
pub enum DebugCommand {
    /// Decode a user JWT and walk every rule: header, claims, times in words, the signature
    /// under which key, the attributes, and the reference's verdict.
    Jwt(JwtArgs),
    /// Find what a user_hash was computed over and with which secret, and name the mistake.
    Hash(HashArgs),
}

#[derive(Debug, Args)]
pub struct JwtArgs {
    /// The token (intercom_user_jwt); `-` reads it from stdin.
    pub token: String,
    /// The workspace's settings (the protocol's `workspace` object), JSON or YAML. Without it
    /// the signature is not checked.
    #[arg(long, value_name = "FILE")]
    pub workspace: Option<PathBuf>,
    /// The platform the request comes from.
    #[arg(long, default_value = "web", value_parser = parse_platform)]
    pub platform: Platform,
    /// The instant to decide at: Unix seconds or RFC 3339. Default: the real clock.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// The request's user_id (checked against the claim, rule 2.8).
    #[arg(long)]
    pub user_id: Option<String>,
    /// The request's email (checked against the claim, rule 2.8).
    #[arg(long)]
    pub email: Option<String>,
    /// Print JSON for tools instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HashArgs {
    /// The user_id sent beside the hash.
    #[arg(long)]
    pub user_id: Option<String>,
    /// The email sent beside the hash.
    #[arg(long)]
    pub email: Option<String>,
    /// The user_hash as sent (omit it to diagnose a request without one).
    #[arg(long)]
    pub hash: Option<String>,
    /// The platform the request comes from.
    #[arg(long, default_value = "web", value_parser = parse_platform)]
    pub platform: Platform,
    /// A workspace's settings, JSON or YAML. Repeat it (test and production): the first is the
    /// workspace the request goes to, the others are searched for the secret that made the hash.
    #[arg(long, value_name = "FILE", required = true)]
    pub workspace: Vec<PathBuf>,
    /// Print JSON for tools instead of text.
    #[arg(long)]
    pub json: bool,
}

fn parse_platform(text: &str) -> Result<Platform, String> {
    Platform::parse(text).ok_or_else(|| format!("unknown platform `{text}` (web, ios or android)"))
}

pub fn debug(args: DebugArgs) -> CommandResult {
    match args.what {
        DebugCommand::Jwt(args) => jwt(args),
        DebugCommand::Hash(args) => hash(args),
    }
}

fn load(path: &std::path::Path) -> Result<Workspace, CliError> {
    Ok(debug::load_workspace(path)?)
}

/// The longest token read from stdin: 1 MiB (a Messenger JWT is a few hundred bytes).
const TOKEN_LIMIT: u64 = 1 << 20;

fn jwt(args: JwtArgs) -> CommandResult {
    let now = match args.now.as_deref().map(debug::parse_now) {
        None => messenger_conformance::clock::system_now(),
        Some(Ok(now)) => now,
        Some(Err(message)) => return Err(CliError::new(format!("--now: {message}"))),
    };
    let workspace = args.workspace.as_deref().map(load).transpose()?;
    let token = if args.token == "-" {
        let bytes = messenger_conformance::input::read_limited(std::io::stdin(), TOKEN_LIMIT)
            .map_err(|e| CliError::new(format!("cannot read the token from stdin: {e}")))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| CliError::new("cannot read the token from stdin: it is not UTF-8"))?;
        text.trim_end_matches(['\n', '\r']).to_string()
    } else {
        args.token
    };
    let options = JwtOptions {
        workspace,
        platform: args.platform,
        now,
        user_id: args.user_id,
        email: args.email,
    };
    let diagnosis = debug::diagnose_jwt(&token, &options);
    show(
        &diagnosis,
        || diagnosis.render(),
        args.json,
        diagnosis.accepted,
    )
}

fn hash(args: HashArgs) -> CommandResult {
    let workspaces = args
        .workspace
        .iter()
        .map(|path| load(path))
        .collect::<Result<Vec<_>, _>>()?;
    let query = HashQuery {
        user_id: args.user_id.as_deref(),
        email: args.email.as_deref(),
        user_hash: args.hash.as_deref(),
        platform: args.platform,
    };
    let diagnosis = debug::diagnose_hash(query, &workspaces);
    show(
        &diagnosis,
        || diagnosis.render(),
        args.json,
        diagnosis.accepted,
    )
}

/// Print a diagnosis as pretty JSON (`--json`) or as its text rendering, and exit by whether
/// the token or hash would be accepted.
fn show(
    diagnosis: &impl serde::Serialize,
    render: impl FnOnce() -> String,
    json: bool,
    accepted: bool,
) -> CommandResult {
    let printed = if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(diagnosis).unwrap_or_default()
        )
    } else {
        // The token's claim names and values are the implementation's (or anyone's) text.
        out!("{}", visible_lines(&render()))
    };
    ended(verdict(accepted), printed)
}

/// 0 when the token or hash would be accepted, 1 when not.
fn verdict(accepted: bool) -> Exit {
    if accepted {
        Exit::Passed
    } else {
        Exit::Failed
    }
}
