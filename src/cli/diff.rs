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
    /// The earlier run's report directory (holding events.jsonl), or a compare report
    /// directory (holding compare.json): then the cells that changed are listed.
    #[arg(value_name = "OLD_DIR")]
    pub old: PathBuf,
    /// The later run's report directory.
    #[arg(value_name = "NEW_DIR")]
    pub new: PathBuf,
}

/// Prints the changed cases (new failures first) and the counts; exit 1 when any case is a new
/// failure, 0 otherwise, 2 when a directory holds no events.jsonl.
pub fn diff_command(args: DiffArgs) -> CommandResult {
    if args.old.join("compare.json").is_file() || args.new.join("compare.json").is_file() {
        return diff_comparisons(&args);
    }
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

/// Read `DIR/compare.json`.
fn read_comparison(
    dir: &std::path::Path,
) -> Result<messenger_conformance::compare::Comparison, super::CliError> {
    let path = dir.join("compare.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        super::CliError::new(format!(
            "cannot read {} ({e}): diff takes two compare reports, or two run reports",
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        super::CliError::new(format!(
            "{} is not a comparison this harness reads: {e}",
            path.display()
        ))
    })
}

/// Two compare reports: the cells (case × implementation) that changed; exit 1 when a cell
/// that passed (or was absent) now fails.
fn diff_comparisons(args: &DiffArgs) -> CommandResult {
    use messenger_conformance::compare::diff;
    let old = read_comparison(&args.old)?;
    let new = read_comparison(&args.new)?;
    let changes = diff::diff(&old, &new);
    let exit = if changes.iter().any(|c| c.is_regression()) {
        Exit::Failed
    } else {
        Exit::Passed
    };
    let printed = (|| {
        outln!(
            "diff: {} -> {} (compare reports)",
            args.old.display(),
            args.new.display()
        )?;
        if old.suite.as_ref().map(|s| &s.digest) != new.suite.as_ref().map(|s| &s.digest) {
            outln!("the comparisons ran different suites: cases added or removed show as absent")?;
        }
        out!("{}", visible_lines(&diff::render(&changes)))
    })();
    ended(exit, printed)
}
