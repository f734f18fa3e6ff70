//! `diff OLD_DIR NEW_DIR`: what changed between two runs, case by case.

use std::path::PathBuf;

use clap::Args;

use super::report::read_stream;
use super::{ended, out, outln, CommandResult};
use messenger_conformance::exit::Exit;
use messenger_conformance::report::diff::diff;
use messenger_conformance::visible::visible_lines;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier run's report directory (holding events.jsonl).
    #[arg(value_name = "OLD_DIR")]
    pub old: PathBuf,
    /// The later run's report directory.
    #[arg(value_name = "NEW_DIR")]
    pub new: PathBuf,
}

/// Prints the changed cases (new failures first) and the counts; exit 1 when any case is a new
/// failure, 0 otherwise, 2 when a directory holds no events.jsonl.
pub fn diff_command(args: DiffArgs) -> CommandResult {
    let old = read_stream(&args.old)?;
    let new = read_stream(&args.new)?;
    let who = |s: &messenger_conformance::report::Stream| {
        format!(
            "{} {}",
            s.header.implementation.name, s.header.implementation.version
        )
    };
    let difference = diff(&old.cases, &new.cases);
    let exit = if difference.has_new_failures() {
        Exit::Failed
    } else {
        Exit::Passed
    };
    let printed = (|| {
        outln!(
            "diff: {} ({}) -> {} ({})",
            args.old.display(),
            who(&old),
            args.new.display(),
            who(&new)
        )?;
        match (&old.header.suite, &new.header.suite) {
            (Some(a), Some(b)) if !a.same_as(b) => outln!(
                "the runs used different suites: {a} -> {b}; cases added or removed between them show as added or removed"
            )?,
            (None, Some(_)) | (Some(_), None) => {
                outln!("one of the runs did not record its suite: whether they used the same one cannot be told")?
            }
            _ => {}
        }
        out!("{}", visible_lines(&difference.render_table()))
    })();
    ended(exit, printed)
}
