//! The report flags of `run` (`--report`, `--baseline`, `--update-baseline`, `--snapshots`,
//! `--partition`, `--failures-only`) and the `report` command, which re-renders a report
//! directory from its `events.jsonl`. The work is the library's ([`messenger_conformance::session`]).

use std::path::{Path, PathBuf};

use clap::Args;

use super::{ended, out, outln, CliError, CommandResult};
use messenger_conformance::report::render_artefacts;
use messenger_conformance::report::stream::Stream;
use messenger_conformance::selection::Partition;
use messenger_conformance::session::{Regate, ReportSettings};
use messenger_conformance::visible::visible_lines;

/// The default report directory.
pub const DEFAULT_REPORT_DIR: &str = "reports/latest";

/// `run`'s report flags.
#[derive(Debug, Args, Clone)]
pub struct RunReportArgs {
    /// Write `events.jsonl` and every report rendered from it (junit.xml, summary.md,
    /// summary.json, badge.json, report.html) into DIR.
    #[arg(long = "report", value_name = "DIR", default_value = DEFAULT_REPORT_DIR)]
    pub report_dir: PathBuf,
    /// Write no report directory.
    #[arg(long)]
    pub no_report: bool,
    /// Known failures (YAML): the run fails only on failures not listed, on listed cases that
    /// now pass or are gone (stale), and on entries past their `expires` date.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Rewrite the --baseline FILE from this run's failures, keeping the reason, link and
    /// expiry of entries that still match. Refused after --filter, --skip, --role, --only or
    /// --partition: a baseline comes from a run of the whole suite.
    #[arg(long, requires = "baseline")]
    pub update_baseline: bool,
    /// summary.md lists failures and skips only, not passing cases.
    #[arg(long)]
    pub failures_only: bool,
    /// Write each case's implementation `message` as an insta snapshot in DIR
    /// (`<area>__<id>.snap`); changed messages become `.snap.new` for `cargo insta review
    /// --workspace-root DIR`.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Run only shard K of N (1-based), as `cargo nextest --partition count:K/N` does: case i
    /// of the selection (in suite order) runs in shard i % N + 1. Merge the shards' report
    /// directories with `messenger-conformance merge`.
    #[arg(long, value_name = "K/N")]
    pub partition: Option<Partition>,
}

impl RunReportArgs {
    /// The library's report settings these flags ask for.
    pub fn settings(&self) -> ReportSettings {
        ReportSettings {
            report_dir: (!self.no_report).then(|| self.report_dir.clone()),
            baseline: self.baseline.clone(),
            update_baseline: self.update_baseline,
            snapshots: self.snapshots.clone(),
        }
    }
}

/// `report DIR`: re-render every report in DIR from its events.jsonl.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A report directory holding events.jsonl.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub gate: GateArgs,
}

/// How a stored run is gated again (`report`, `merge`).
#[derive(Debug, Args, Clone, Default)]
pub struct GateArgs {
    /// The baseline to gate with (default: the one the run used, if the file is still there).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Gate without any baseline, even if the run used one.
    #[arg(long, conflicts_with = "baseline")]
    pub no_baseline: bool,
    /// Also gate on should-level failures (default: as the run did).
    #[arg(long)]
    pub strict: bool,
    /// summary.md lists failures and skips only (default: as the run did).
    #[arg(long)]
    pub failures_only: bool,
    /// A must-level case skipped for a reason hello declared fails the gate too (default: as the
    /// run did); one skipped for a reason hello did not declare always does.
    #[arg(long)]
    pub fail_on_skipped_must: bool,
}

/// Read `DIR/events.jsonl`, or say why not.
pub(crate) fn read_stream(dir: &Path) -> Result<Stream, CliError> {
    Stream::read_dir(dir).map_err(|error| {
        if error.is_missing() {
            CliError::new(format!("{} holds no events.jsonl: is it a report directory written by `messenger-conformance run --report`?", dir.display()))
        } else {
            CliError::new(error)
        }
    })
}

impl GateArgs {
    /// The library's regate settings these flags ask for.
    pub(crate) fn regate(&self) -> Regate {
        Regate {
            baseline: self.baseline.clone(),
            no_baseline: self.no_baseline,
            strict: self.strict,
            failures_only: self.failures_only,
            fail_on_skipped_must: self.fail_on_skipped_must,
        }
    }
}

pub fn report(args: ReportArgs) -> CommandResult {
    let stream = read_stream(&args.dir).inspect_err(|_| {
        let removed = messenger_conformance::report::remove_rendered(&args.dir);
        if !removed.is_empty() {
            eprintln!(
                "note: removed {} from {}: they were rendered from a stream that can no longer be read",
                removed.join(", "),
                args.dir.display()
            );
        }
    })?;
    let regated = args.gate.regate().decide(&stream)?;
    for note in &regated.notes {
        eprintln!("note: {note}");
    }
    render_artefacts(&args.dir, &stream, &regated.gate, &regated.render).map_err(|error| {
        CliError::new(format!(
            "cannot write the reports in {}: {error}",
            args.dir.display()
        ))
    })?;
    let totals = messenger_conformance::report::terminal::Totals::of(&stream.cases);
    let printed = (|| {
        outln!(
            "report: {}/report.html re-rendered from events.jsonl ({})",
            args.dir.display(),
            totals.closing_line()
        )?;
        if !stream.complete {
            outln!("note: events.jsonl has no footer: the run was cut short, and these reports show what it did")?;
        }
        out!("{}", visible_lines(&regated.gate.render_text()))
    })();
    ended(regated.gate.exit(), printed)
}
