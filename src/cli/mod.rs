//! The command line: every flag documented in one place, each command a thin layer over the
//! library that returns how it ended ([`Exit`]) or a [`CliError`], which `main` prints once.
//! Exit codes: 0 conforms, 1 nonconformance found, 2 usage, case-file or adapter-start error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use messenger_conformance::exit::Exit;
use messenger_conformance::scenario::{Suite, SuiteSource};
use messenger_conformance::visible::visible_lines;

mod check;
mod compare;
mod debug;
mod diff;
mod merge;
mod report;
mod run;
mod serve;
mod smoke;
mod suite;
mod target;

/// Why a command could not do its job: printed once, as `error: ...`, and the process exits 2;
/// or the reader of stdout went away (`list | head -1`), which ends the command quietly, exit 0.
#[derive(Debug)]
pub enum CliError {
    Failed(String),
    /// Printing to stdout met a closed pipe: the reader has what it wanted, and nothing is left
    /// to say. Not an error: no message, exit 0 (as ripgrep does).
    StdoutClosed,
}

impl CliError {
    pub fn new(message: impl std::fmt::Display) -> Self {
        CliError::Failed(message.to_string())
    }
}

impl<E: std::error::Error + 'static> From<E> for CliError {
    fn from(error: E) -> Self {
        match (&error as &dyn std::error::Error).downcast_ref::<std::io::Error>() {
            Some(io) if closed_pipe(io) => CliError::StdoutClosed,
            _ => CliError::new(error),
        }
    }
}

/// Whether a write failed because its reader went away. The harness keeps Rust's default of
/// ignoring SIGPIPE (an adapter that dies must never kill the harness as it writes to it), so a
/// closed stdout shows as this error, which the printing below turns into a quiet end.
fn closed_pipe(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::BrokenPipe
}

/// `println!` that returns the write's error instead of panicking on it: with `?` in a command,
/// a closed stdout ends the command quietly ([`CliError::StdoutClosed`]).
macro_rules! outln {
    () => {
        std::io::Write::write_all(&mut std::io::stdout().lock(), b"\n")
    };
    ($($arg:tt)*) => {
        std::io::Write::write_fmt(
            &mut std::io::stdout().lock(),
            format_args!("{}\n", format_args!($($arg)*)),
        )
    };
}

/// `print!` that returns the write's error, as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {
        std::io::Write::write_fmt(&mut std::io::stdout().lock(), format_args!($($arg)*))
    };
}
pub(crate) use {out, outln};

/// How a command whose exit code is a verdict (the gate, a diff, a smoke test, a debugged token)
/// ends after printing: with its verdict, also when stdout was closed part way (the printing
/// stops there, quietly); a closed pipe never turns a failure into a pass. Any other write
/// error is an error.
pub(crate) fn ended(exit: Exit, printed: std::io::Result<()>) -> CommandResult {
    match printed {
        Ok(()) => Ok(exit),
        Err(error) if closed_pipe(&error) => Ok(exit),
        Err(error) => Err(error.into()),
    }
}

/// What a command returns: its exit code, or the error `main` prints once.
pub type CommandResult = Result<Exit, CliError>;

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
    /// The suite built into the harness: `suite export DIR` writes it out as a cases directory;
    /// `suite info` prints a suite's version, digest and size.
    #[command(subcommand)]
    Suite(suite::SuiteCommand),
    /// Re-render every report of a report directory from its events.jsonl, and gate it again.
    Report(report::ReportArgs),
    /// Run many implementations against the same suite, selection and seed, and compare their
    /// answers case by case (compare.html, compare.md, compare.json). Exit 0 when each matches
    /// its expectations (none: no must failure), 1 otherwise, 2 when one did not start.
    Compare(compare::CompareArgs),
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

/// Which suite: the one built into the harness, or `--cases DIR`; and extra cases beside it.
#[derive(Debug, Args, Clone, Default)]
pub struct CasesArg {
    /// Use the suite in DIR (a directory holding fixtures.yaml and area folders of case files)
    /// instead of the one built into the harness. `suite export DIR` writes the built-in suite
    /// out, to read or to start a suite of one's own.
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// Also run the case files under DIR, beside the suite (repeatable): area folders of case
    /// files in the suite's format, checked the same way, run with the suite's fixtures. Their
    /// ids must not be the suite's.
    #[arg(long = "extra-cases", value_name = "DIR")]
    pub extra_cases: Vec<PathBuf>,
}

impl CasesArg {
    /// Where the suite is read from.
    pub fn source(&self) -> SuiteSource {
        match &self.cases {
            Some(dir) => SuiteSource::Dir(dir.clone()),
            None => SuiteSource::Embedded,
        }
    }

    /// The suite and the extra cases, in words: `the built-in suite and the extra cases under team/`.
    pub fn describe(&self) -> String {
        let mut text = match &self.cases {
            Some(dir) => format!("the case files under {}", dir.display()),
            None => "the built-in suite".to_string(),
        };
        if !self.extra_cases.is_empty() {
            let dirs: Vec<String> = self
                .extra_cases
                .iter()
                .map(|d| d.display().to_string())
                .collect();
            text.push_str(&format!(" and the extra cases under {}", dirs.join(", ")));
        }
        text
    }
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
        Command::Check(args) => check::check(&args),
        Command::Suite(command) => suite::suite(command),
        Command::Report(args) => report::report(args),
        Command::Compare(args) => compare::compare(args),
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
            outln!(
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            )
            .map(|()| Exit::Passed)
            .map_err(CliError::from)
        }
        Command::Spec => out!("{}", messenger_conformance::spec::render_markdown())
            .map(|()| Exit::Passed)
            .map_err(CliError::from),
    };
    match outcome {
        Ok(exit) => exit.into(),
        Err(CliError::StdoutClosed) => Exit::Passed.into(),
        Err(CliError::Failed(message)) => {
            eprintln!("error: {}", visible_lines(&message));
            Exit::Usage.into()
        }
    }
}

/// Load the suite, or print every error in it and say so.
pub(crate) fn load(cases: &CasesArg) -> Result<Suite, CliError> {
    Suite::load_with(&cases.source(), &cases.extra_cases).map_err(|errors| {
        eprintln!("{}", visible_lines(&errors.to_string()));
        CliError::new(format!(
            "{} have errors (see above); nothing was run",
            cases.describe()
        ))
    })
}
