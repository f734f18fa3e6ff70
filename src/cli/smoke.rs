//! `smoke`: for adapter authors. Prints each observation of the library's smoke test as it is
//! made.
//!
//! Exit codes: 0 every check passed, 1 some check failed, 2 the adapter could not be started
//! (or reached) at all.

use std::time::Duration;

use clap::Args;

use super::{ended, outln, CliError, CommandResult};
use messenger_conformance::exit::Exit;
use messenger_conformance::smoke::{smoke as smoke_test, Target};

#[derive(Debug, Args)]
pub struct SmokeArgs {
    /// Smoke-test the implementation at this URL (http transport).
    #[arg(long, value_name = "URL", conflicts_with = "command")]
    pub url: Option<String>,
    /// How long one request may take, in milliseconds (1 to 3600000, an hour).
    #[arg(long, value_name = "MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub timeout_ms: u64,
    /// The adapter command and its arguments, after `--` (exec transport).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

pub fn smoke(args: SmokeArgs) -> CommandResult {
    let timeout = Duration::from_millis(args.timeout_ms.max(1));
    let target = match (args.url, args.command.is_empty()) {
        (Some(url), true) => Target::Http(url),
        (None, false) => Target::Exec(args.command),
        _ => {
            return Err(CliError::new(
                "give the adapter command after `--` (smoke -- CMD ARGS...) or --url URL",
            ))
        }
    };
    // A closed stdout stops the printing, not the checks: the exit code is their verdict.
    let mut printed = outln!(
        "smoke test of {} (timeout {} ms)",
        target.describe(),
        timeout.as_millis()
    );
    let result = smoke_test(&target, timeout, |observation| {
        if printed.is_ok() {
            printed = outln!("{}", observation.line());
        }
    });
    let printed = printed.and_then(|()| {
        outln!()?;
        outln!(
            "{} checks: {} passed, {} failed",
            result.passed + result.failed,
            result.passed,
            result.failed
        )?;
        if result.exit == Exit::Passed {
            outln!("the adapter speaks the protocol; now run the suite: messenger-conformance run -- CMD (or --url URL)")?;
        }
        Ok(())
    });
    ended(result.exit, printed)
}
