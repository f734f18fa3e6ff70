//! The command line: every flag documented in one place, each command a thin layer over the
//! library that returns how it ended ([`Exit`]) or a [`CliError`], which `main` prints once.
//! Exit codes: 0 conforms, 1 nonconformance found, 2 usage, case-file or adapter-start error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use messenger_conformance::exit::Exit;

mod check;
mod debug;
mod diff;
mod merge;
mod report;
mod run;
mod serve;
mod smoke;
mod target;

/// Why a command could not do its job: printed once, as `error: ...`, and the process exits 2.
#[derive(Debug)]
pub struct CliError(String);

impl CliError {
    pub fn new(message: impl std::fmt::Display) -> Self {
        CliError(message.to_string())
    }
}

impl<E: std::error::Error> From<E> for CliError {
    fn from(error: E) -> Self {
        CliError::new(error)
    }
}

/// What a command returns.
pub type Outcome = Result<Exit, CliError>;

#[derive(Debug, Parser)]
#[command(
    name = "messenger-conformance",
    version,
    about = "Conformance harness for Messenger Identity Verification (user_hash) and Messenger Security with JWTs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the size of the `run` variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the suite against an implementation (the built-in reference by default).
    Run(run::RunArgs),
    /// List the cases the suite holds (after filters), one `area::id` per line.
    List(ListArgs),
    /// Lint the case files: parse, unique ids, known requirements, coverage of must-level rules.
    Check(CasesArg),
    /// Print a JSON Schema: the case format (default), fixtures, or the adapter protocol.
    Schema(SchemaArgs),
    /// Print the spec (docs/spec.md), rendered from the requirement registry.
    Spec,
    /// Re-render every report of a report directory from its events.jsonl, and gate it again.
    Report(report::ReportArgs),
    /// Compare two runs case by case (new failures, fixed, reason changed, added, removed).
    Diff(diff::DiffArgs),
    /// Merge the report directories of a run's shards (`run --partition K/N`) into one.
    Merge(merge::MergeArgs),
    /// Serve the reference (or a bundled broken implementation) over the adapter protocol.
    Serve(serve::ServeArgs),
    /// Check an adapter's plumbing: handshake, one verify, one sign, every message against the
    /// protocol schema. For adapter authors.
    Smoke(smoke::SmokeArgs),
    /// Troubleshooting: `debug jwt TOKEN` (a token debugger) and `debug hash` (what a user_hash
    /// was computed over, and the mistake). Exit 0 accepted, 1 not, 2 bad input.
    Debug(debug::DebugArgs),
}

#[derive(Debug, Args, Clone)]
pub struct CasesArg {
    /// The directory of case files.
    #[arg(long, default_value = "cases", value_name = "DIR")]
    pub cases: PathBuf,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub cases: CasesArg,
    #[command(flatten)]
    pub select: run::SelectArgs,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema.
    #[arg(value_enum, default_value = "case")]
    pub which: SchemaKind,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SchemaKind {
    Case,
    Fixtures,
    Protocol,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run(args) => run::run(args),
        Command::List(args) => run::list(args),
        Command::Check(args) => check::check(&args.cases),
        Command::Report(args) => report::report(args),
        Command::Diff(args) => diff::diff_command(args),
        Command::Merge(args) => merge::merge_command(args),
        Command::Serve(args) => serve::serve(args),
        Command::Smoke(args) => smoke::smoke(args),
        Command::Debug(args) => debug::debug(args),
        Command::Schema(args) => {
            let schema = match args.which {
                SchemaKind::Case => messenger_conformance::scenario::case_schema(),
                SchemaKind::Fixtures => messenger_conformance::scenario::fixtures_schema(),
                SchemaKind::Protocol => messenger_conformance::contract::schema::protocol_schema(),
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
            Ok(Exit::Passed)
        }
        Command::Spec => {
            print!("{}", messenger_conformance::spec::render_markdown());
            Ok(Exit::Passed)
        }
    };
    match outcome {
        Ok(exit) => exit.into(),
        Err(CliError(message)) => {
            eprintln!("error: {message}");
            Exit::Usage.into()
        }
    }
}

/// Load the suite, or print every error in it and say so.
pub(crate) fn load(
    cases: &std::path::Path,
) -> Result<messenger_conformance::scenario::Suite, CliError> {
    messenger_conformance::scenario::load_suite(cases).map_err(|errors| {
        eprintln!("{errors}");
        CliError::new(format!(
            "the case files under {} have errors (see above); nothing was run",
            cases.display()
        ))
    })
}
