//! The report side of `run` (`--report`, `--baseline`, `--update-baseline`, `--snapshots`,
//! `--partition`, `--failures-only`) and the `report` command, which re-renders a report
//! directory from its `events.jsonl`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{json, Value};

use super::run::SelectArgs;
use super::EXIT_USAGE;
use crate::adapter::AdapterFactory;
use crate::report::baseline::Baseline;
use crate::report::gate::{decide, GateDecision, GateOptions};
use crate::report::merge::Partition;
use crate::report::snapshots::write_snapshots;
use crate::report::stream::{suite_secrets, EventLog, Stream};
use crate::report::{render_artefacts, write_report, CaseEvent, RenderOptions, RunHeader};
use crate::scenario::{LoadedCase, Suite};

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
    /// This shard's cases, or all of them without --partition.
    pub fn partition_cases<'a>(&self, cases: Vec<&'a LoadedCase>) -> Vec<&'a LoadedCase> {
        match self.partition {
            Some(partition) => partition.select(cases),
            None => cases,
        }
    }

    /// What narrowed the selection, for messages (`--filter`, `--partition` ...), if anything.
    fn narrowed_by(&self, select: &SelectArgs, options: &Value) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if !select.filters.is_empty() {
            flags.push("--filter");
        }
        if !select.skips.is_empty() {
            flags.push("--skip");
        }
        if crate::report::stream::is_partial(
            &json!({"role": options.get("role"), "roles": options.get("roles")}),
        ) {
            flags.push("--role");
        }
        if crate::report::stream::is_partial(&json!({"only": options.get("only")})) {
            flags.push("--only");
        }
        if self.partition.is_some() {
            flags.push("--partition");
        }
        flags
    }
}

/// What a run carries from before its first case to after its last: the header, the event
/// log, the secrets to keep out of every file, and the baseline.
pub struct ReportSession {
    args: RunReportArgs,
    strict: bool,
    header: RunHeader,
    secrets: Vec<String>,
    baseline: Option<Baseline>,
    log: Option<EventLog>,
}

/// The header's `options`: the flags as given, nothing secret (the final pass redacts any
/// fixture secret anyway).
pub fn run_options(
    select: &SelectArgs,
    jobs: usize,
    strict: bool,
    args: &RunReportArgs,
    extra: Value,
) -> Value {
    let mut options = json!({
        "filter": select.filters,
        "exact": select.exact,
        "skip": select.skips,
        "jobs": jobs,
        "strict": strict,
        "partition": args.partition.map(|p| p.to_string()),
        "baseline": args.baseline.as_ref().map(|p| p.display().to_string()),
        "update_baseline": args.update_baseline,
        "failures_only": args.failures_only,
        "report": (!args.no_report).then(|| args.report_dir.display().to_string()),
        "snapshots": args.snapshots.as_ref().map(|p| p.display().to_string()),
    });
    if let (Value::Object(options), Value::Object(extra)) = (&mut options, extra) {
        options.extend(extra);
    }
    options
}

impl ReportSession {
    /// Everything that can be checked before a case runs: `--update-baseline` after a narrowed
    /// selection is refused, the baseline must load, the target must answer `hello` (for the
    /// header), and the report directory must be writable. Errors print and give exit 2.
    /// `options` are the header's options ([`run_options`]).
    pub fn start(
        args: &RunReportArgs,
        select: &SelectArgs,
        strict: bool,
        options: Value,
        suite: &Suite,
        cases: &[&LoadedCase],
        factory: &dyn AdapterFactory,
    ) -> Result<ReportSession, u8> {
        let narrowed = args.narrowed_by(select, &options);
        if args.update_baseline && !narrowed.is_empty() {
            eprintln!(
                "error: --update-baseline needs a run of the whole suite, and this run was narrowed by {}: a baseline \
                 written from part of the suite would drop the entries of every case left out. Run again without \
                 {} (or edit the baseline by hand).",
                narrowed.join(", "),
                narrowed.join(", ")
            );
            return Err(EXIT_USAGE);
        }
        let baseline = match &args.baseline {
            // --update-baseline reads the old file itself, leniently (it may hold fresh critical
            // entries without a reason, which is what the update wrote last time).
            Some(_) if args.update_baseline => None,
            Some(path) => match Baseline::load(path) {
                Ok(baseline) => Some(baseline),
                Err(error) => {
                    eprintln!("error: {error}");
                    return Err(EXIT_USAGE);
                }
            },
            None => None,
        };
        let hello = match factory.start() {
            Ok(mut adapter) => {
                let hello = adapter.hello().clone();
                adapter.shutdown();
                hello
            }
            Err(error) => {
                eprintln!("error: could not start {}: {error}", factory.describe());
                return Err(EXIT_USAGE);
            }
        };
        let seed = options.get("seed").and_then(Value::as_u64);
        let header = crate::run::header_for(factory, &hello, options, seed);
        let secrets = suite_secrets(suite, cases);
        let log = if args.no_report {
            None
        } else {
            match EventLog::create(&args.report_dir, &header, &secrets) {
                Ok(log) => Some(log),
                Err(error) => {
                    eprintln!(
                        "error: cannot write the report in {}: {error}",
                        args.report_dir.display()
                    );
                    return Err(EXIT_USAGE);
                }
            }
        };
        Ok(ReportSession {
            args: args.clone(),
            strict,
            header,
            secrets,
            baseline,
            log,
        })
    }

    /// Append a finished case to `events.jsonl` as the run goes.
    pub fn record(&mut self, event: &CaseEvent) {
        if let Some(log) = &mut self.log {
            if let Err(error) = log.append(event) {
                eprintln!(
                    "warning: cannot append to {}/events.jsonl: {error}",
                    self.args.report_dir.display()
                );
                self.log = None;
            }
        }
    }

    /// After the last case: redact, decide the gate, write the reports, the snapshots and
    /// the updated baseline, print the gate. Returns the exit code.
    pub fn finish(self, events: Vec<CaseEvent>, elapsed_secs: f64) -> u8 {
        let ReportSession {
            args,
            strict,
            header,
            secrets,
            baseline,
            log,
        } = self;
        drop(log);
        let mut stream = Stream::new(header, events, elapsed_secs * 1000.0);
        stream.redact(&secrets);
        let mut out = std::io::stdout().lock();
        // After --update-baseline the gate is the new baseline's: what remains is its critical
        // entries without a reason, and entries whose kept `expires` has passed.
        let baseline = if args.update_baseline {
            let path = args.baseline.clone().unwrap_or_default();
            match update_baseline(&path, &stream.cases) {
                Ok((baseline, message)) => {
                    let _ = writeln!(out, "{message}");
                    Some(baseline)
                }
                Err(code) => return code,
            }
        } else {
            baseline
        };
        let options = GateOptions::new(strict, !stream.is_partial());
        let gate = decide(&stream.cases, baseline.as_ref(), &options);
        let render = RenderOptions {
            failures_only: args.failures_only,
        };
        if !args.no_report {
            match write_report(&args.report_dir, &stream, &gate, &render) {
                Ok(_) => {
                    let _ = writeln!(
                        out,
                        "report: {} ({})",
                        args.report_dir.display(),
                        crate::report::FILES.join(", ")
                    );
                }
                Err(error) => {
                    eprintln!(
                        "error: cannot write the report in {}: {error}",
                        args.report_dir.display()
                    );
                    return EXIT_USAGE;
                }
            }
        }
        if let Some(dir) = &args.snapshots {
            match write_snapshots(dir, &stream.cases) {
                Ok(outcome) => {
                    let _ = writeln!(out, "{}", outcome.summary_line(dir));
                }
                Err(error) => {
                    eprintln!(
                        "error: cannot write snapshots in {}: {error}",
                        dir.display()
                    );
                    return EXIT_USAGE;
                }
            }
        }
        let _ = write!(out, "{}", gate.render_text());
        gate.exit_code()
    }
}

/// Write the baseline at `path` from the run's failures. Returns it and what to print.
fn update_baseline(path: &Path, cases: &[CaseEvent]) -> Result<(Baseline, String), u8> {
    let previous = if path.exists() {
        match Baseline::read(path) {
            Ok(previous) => Some(previous),
            Err(error) => {
                eprintln!(
                    "error: {error}\n(fix or delete the file, then run --update-baseline again)"
                );
                return Err(EXIT_USAGE);
            }
        }
    } else {
        None
    };
    let mut baseline = Baseline::updated(previous.as_ref(), cases);
    baseline.path = Some(path.to_path_buf());
    if let Err(error) = std::fs::write(path, baseline.render()) {
        eprintln!(
            "error: cannot write the baseline {}: {error}",
            path.display()
        );
        return Err(EXIT_USAGE);
    }
    // Read it back so entries know their lines for later messages.
    let baseline = Baseline::read(path).unwrap_or(baseline);
    let kept = previous.as_ref().map_or(0, |p| {
        baseline
            .entries
            .iter()
            .filter(|e| {
                p.find(&e.id)
                    .is_some_and(|old| old.reason == e.reason && !e.reason.is_empty())
            })
            .count()
    });
    let mut message = format!(
        "baseline: wrote {} known failure(s) to {} ({kept} kept their reason)",
        baseline.entries.len(),
        path.display()
    );
    let unjustified = baseline.unjustified_critical().len();
    if unjustified > 0 {
        message.push_str(&format!(
            "\nbaseline: {unjustified} critical failure(s) are listed with `reason: \"\"`. A critical failure is an \
             authentication bypass: the baseline is refused until each says why it is accepted (and, ideally, a \
             link and an expiry date)."
        ));
    }
    Ok((baseline, message))
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
}

/// Read `DIR/events.jsonl`, or print why not (exit 2).
pub(crate) fn read_stream(dir: &Path) -> Result<Stream, u8> {
    Stream::read_dir(dir).map_err(|error| {
        if error.is_missing() {
            eprintln!("error: {} holds no events.jsonl: is it a report directory written by `messenger-conformance run --report`?", dir.display());
        } else {
            eprintln!("error: {error}");
        }
        EXIT_USAGE
    })
}

impl GateArgs {
    /// The gate of a stored run, with these flags or the run's own options.
    pub(crate) fn decide(&self, stream: &Stream) -> Result<(GateDecision, RenderOptions), u8> {
        let recorded_strict = stream
            .option("strict")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let recorded_failures_only = stream
            .option("failures_only")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let path = match (&self.baseline, self.no_baseline) {
            (_, true) => None,
            (Some(path), false) => Some(path.clone()),
            (None, false) => match stream.option("baseline").and_then(Value::as_str) {
                Some(recorded) if Path::new(recorded).exists() => Some(PathBuf::from(recorded)),
                Some(recorded) => {
                    eprintln!("note: the run used the baseline {recorded}, which is not there any more: gating without it");
                    None
                }
                None => None,
            },
        };
        let baseline = match path {
            Some(path) => match Baseline::load(&path) {
                Ok(baseline) => Some(baseline),
                Err(error) => {
                    eprintln!("error: {error}");
                    return Err(EXIT_USAGE);
                }
            },
            None => None,
        };
        let options = GateOptions::new(self.strict || recorded_strict, !stream.is_partial());
        let gate = decide(&stream.cases, baseline.as_ref(), &options);
        Ok((
            gate,
            RenderOptions {
                failures_only: self.failures_only || recorded_failures_only,
            },
        ))
    }
}

pub fn report(args: ReportArgs) -> u8 {
    let stream = match read_stream(&args.dir) {
        Ok(stream) => stream,
        Err(code) => return code,
    };
    let (gate, render) = match args.gate.decide(&stream) {
        Ok(decided) => decided,
        Err(code) => return code,
    };
    if let Err(error) = render_artefacts(&args.dir, &stream, &gate, &render) {
        eprintln!(
            "error: cannot write the reports in {}: {error}",
            args.dir.display()
        );
        return EXIT_USAGE;
    }
    let totals = crate::report::terminal::Totals::of(&stream.cases);
    println!(
        "report: {}/report.html re-rendered from events.jsonl ({})",
        args.dir.display(),
        totals.closing_line()
    );
    if !stream.complete {
        println!("note: events.jsonl has no footer: the run was cut short, and these reports show what it did");
    }
    print!("{}", gate.render_text());
    gate.exit_code()
}
