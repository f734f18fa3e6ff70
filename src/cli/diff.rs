//! `diff OLD_DIR NEW_DIR`: what changed between two runs, case by case.

use std::path::PathBuf;

use clap::Args;

use super::report::read_stream;
use super::{EXIT_NONCONFORMANT, EXIT_OK};
use crate::report::diff::diff;

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
pub fn diff_command(args: DiffArgs) -> u8 {
    let old = match read_stream(&args.old) {
        Ok(stream) => stream,
        Err(code) => return code,
    };
    let new = match read_stream(&args.new) {
        Ok(stream) => stream,
        Err(code) => return code,
    };
    let who = |s: &crate::report::Stream| {
        format!(
            "{} {}",
            s.header.implementation.name, s.header.implementation.version
        )
    };
    println!(
        "diff: {} ({}) -> {} ({})",
        args.old.display(),
        who(&old),
        args.new.display(),
        who(&new)
    );
    let difference = diff(&old.cases, &new.cases);
    print!("{}", difference.render_table());
    if difference.has_new_failures() {
        EXIT_NONCONFORMANT
    } else {
        EXIT_OK
    }
}
