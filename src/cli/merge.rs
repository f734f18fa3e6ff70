//! `merge OUT_DIR DIR...`: one run from the report directories of its shards.

use std::path::PathBuf;

use clap::Args;
use serde_json::Value;

use super::report::{read_stream, GateArgs};
use super::EXIT_USAGE;
use crate::report::merge::merge;
use crate::report::write_report;

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
pub fn merge_command(args: MergeArgs) -> u8 {
    let mut streams = Vec::new();
    for dir in &args.dirs {
        match read_stream(dir) {
            Ok(stream) => streams.push(stream),
            Err(code) => return code,
        }
    }
    let merged = match merge(streams) {
        Ok(merged) => merged,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_USAGE;
        }
    };
    for note in &merged.notes {
        eprintln!("note: {note}");
    }
    let mut stream = merged.stream;
    if let Value::Object(options) = &mut stream.header.options {
        let dirs: Vec<Value> = args
            .dirs
            .iter()
            .map(|d| Value::String(d.display().to_string()))
            .collect();
        options.insert("merged_from".into(), Value::Array(dirs));
    }
    let (gate, render) = match args.gate.decide(&stream) {
        Ok(decided) => decided,
        Err(code) => return code,
    };
    if let Err(error) = write_report(&args.out, &stream, &gate, &render) {
        eprintln!(
            "error: cannot write the merged report in {}: {error}",
            args.out.display()
        );
        return EXIT_USAGE;
    }
    let totals = crate::report::terminal::Totals::of(&stream.cases);
    println!(
        "merged {} run(s) into {}/report.html ({} cases: {})",
        args.dirs.len(),
        args.out.display(),
        stream.cases.len(),
        totals.closing_line()
    );
    print!("{}", gate.render_text());
    gate.exit_code()
}
