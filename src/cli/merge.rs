//! `merge OUT_DIR DIR...`: one run from the report directories of its shards.

use std::path::PathBuf;

use clap::Args;

use super::report::{read_stream, GateArgs};
use super::{ended, out, outln, CliError, CommandResult};
use messenger_conformance::report::merge::merge;
use messenger_conformance::report::write_report;
use messenger_conformance::visible::visible_lines;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Where the merged events.jsonl and reports go.
    #[arg(value_name = "OUT_DIR")]
    pub out: PathBuf,
    /// The shards' report directories (`run --partition K/N --report DIR`), in any order.
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub gate: GateArgs,
}

/// Merges the streams (suite order restored when the dirs are all N shards of one run),
/// renders every report into OUT_DIR, prints the gate and exits with it (0 or 1); 2 when a
/// directory holds no events.jsonl or the runs cannot be merged.
pub fn merge_command(args: MergeArgs) -> CommandResult {
    let streams = args
        .dirs
        .iter()
        .map(|dir| read_stream(dir))
        .collect::<Result<Vec<_>, _>>()?;
    let mut stream = merge(streams)?;
    stream.header.options.merged_from = args.dirs.iter().map(|d| d.display().to_string()).collect();
    let regated = args.gate.regate().decide(&stream)?;
    for note in &regated.notes {
        eprintln!("note: {note}");
    }
    write_report(&args.out, &stream, &regated.gate, &regated.render).map_err(|error| {
        CliError::new(format!(
            "cannot write the merged report in {}: {error}",
            args.out.display()
        ))
    })?;
    let totals = messenger_conformance::report::terminal::Totals::of(&stream.cases);
    let printed = outln!(
        "merged {} run(s) into {}/report.html ({} cases: {})",
        args.dirs.len(),
        args.out.display(),
        stream.cases.len(),
        totals.closing_line()
    )
    .and_then(|()| out!("{}", visible_lines(&regated.gate.render_text())));
    ended(regated.gate.exit(), printed)
}
