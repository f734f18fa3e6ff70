//! `run` and `list`.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Args;

use super::{load, outln, CasesArg, CliError, CommandResult};
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::event::{CaseEvent, RunOptions};
use messenger_conformance::exit::Exit;
use messenger_conformance::properties::counterexample::{self, Counterexamples};
use messenger_conformance::report::terminal;
use messenger_conformance::run::{Limits, Reproduce, RunError, RunEvent, Runner, MAX_JOBS};
use messenger_conformance::scenario::LoadedCase;
use messenger_conformance::selection::{Only, Selection};
use messenger_conformance::session::{Session, SessionError};
use messenger_conformance::visible::{visible, visible_lines};

#[derive(Debug, Args, Clone, Default)]
pub struct SelectArgs {
    /// Run only cases whose `area::id` contains this text (repeatable; any may match).
    #[arg(long = "filter", value_name = "TEXT")]
    pub filters: Vec<String>,
    /// With --filter: match `area::id` or `id` exactly instead of as a substring.
    #[arg(long)]
    pub exact: bool,
    /// Leave out cases whose `area::id` contains this text (repeatable).
    #[arg(long = "skip", value_name = "TEXT")]
    pub skips: Vec<String>,
}

impl SelectArgs {
    /// The library's selection: these name filters and everything else.
    pub fn selection(&self) -> Selection {
        Selection {
            filter: self.filters.clone(),
            exact: self.exact,
            skip: self.skips.clone(),
            ..Selection::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub cases: CasesArg,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Parallel workers, each with its own adapter: 1 or more, used up to the number of cases
    /// and at most 64 (a larger number is capped, with a note on stderr).
    #[arg(long, short = 'j', default_value_t = 1, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub jobs: usize,
    /// Also gate on should-level failures.
    #[arg(long)]
    pub strict: bool,
    /// Fail the gate when any must-level case or property was skipped, also for a reason hello
    /// declared (a role not offered, a lack in `lacks`, clock: system): for teams that want the
    /// whole suite to have run. Without it, a must skip hello did not declare (an `unsupported`
    /// answer to a request that needs nothing declared lacking) already fails the gate.
    #[arg(long)]
    pub fail_on_skipped_must: bool,
    /// Stop sending requests after this many adapter errors (crashes, hangs, garbage) in a row:
    /// the rest of the run is recorded as not run, and the run fails.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_consecutive_errors: u32,
    /// Stop after this many adapter errors in all (each restarts the adapter).
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_adapter_errors: u32,
    /// Stop once failed requests (hangs, crashes, garbage) have cost this many seconds in all:
    /// an adapter that hangs on every third request makes no errors in a row, and would
    /// otherwise cost --max-adapter-errors timeouts.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_error_seconds: u32,
    /// Print only failures and the summary, not a line per case.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub report: super::report::RunReportArgs,
    #[command(flatten)]
    pub target: super::target::TargetArgs,
    /// Test a bundled broken implementation (the reference with one realistic bug) instead of
    /// the reference; an unknown NAME lists the names.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["url", "command"])]
    pub broken: Option<String>,
    #[command(flatten)]
    pub properties: PropertyArgs,
}

#[derive(Debug, Args, Clone)]
pub struct PropertyArgs {
    /// Run only the YAML cases, or only the properties (default: both).
    #[arg(long, value_enum, value_name = "WHAT")]
    pub only: Option<OnlyArg>,
    /// Seed of the properties' generators: the same seed replays the same requests. Default: the
    /// suite's own (from its digest), so the same suite sends the same requests on every run and
    /// a gate cannot pass or fail by luck. `random` draws a fresh seed to explore, and prints it.
    #[arg(long, value_name = "N|random", value_parser = parse_seed)]
    pub seed: Option<SeedArg>,
    /// Generated requests per property.
    #[arg(long, value_name = "N", default_value_t = messenger_conformance::properties::DEFAULT_CASES)]
    pub property_cases: u32,
    /// Where shrunk counterexamples are written as YAML cases (default: `counterexamples/` in
    /// the report directory; with --no-report, none are written unless this is given).
    #[arg(long, value_name = "DIR")]
    pub counterexamples: Option<std::path::PathBuf>,
}

/// `--seed N` or `--seed random`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedArg {
    Fixed(u64),
    Random,
}

fn parse_seed(text: &str) -> Result<SeedArg, String> {
    if text == "random" {
        return Ok(SeedArg::Random);
    }
    text.parse().map(SeedArg::Fixed).map_err(|_| {
        format!("`{text}` is not a seed: give a whole number (0 to 2^64 - 1) or `random`")
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnlyArg {
    Cases,
    Properties,
}

impl From<OnlyArg> for Only {
    fn from(only: OnlyArg) -> Self {
        match only {
            OnlyArg::Cases => Only::Cases,
            OnlyArg::Properties => Only::Properties,
        }
    }
}

impl RunArgs {
    /// What the run selects: the name filters, the role, cases or properties, the shard.
    fn selection(&self) -> Selection {
        Selection {
            role: self.target.role.into(),
            only: self.properties.only.map(Only::from),
            partition: self.report.partition.map(|p| p.to_string()),
            ..self.select.selection()
        }
    }

    /// How this run's reproduce commands are phrased: its suite and its implementation.
    fn commands(&self) -> Commands {
        let path = |flag: &str, dir: &std::path::Path| {
            format!(
                " {flag} {}",
                messenger_conformance::adapter::exec::display_command(&[dir.display().to_string()])
            )
        };
        let mut suite: String = self
            .cases
            .cases
            .iter()
            .map(|d| path("--cases", d))
            .collect();
        for dir in &self.cases.extra_cases {
            suite.push_str(&path("--extra-cases", dir));
        }
        Commands {
            suite,
            target: self.target_args(),
        }
    }

    /// The arguments that name this run's implementation, last on a command line (` -- CMD`).
    fn target_args(&self) -> String {
        match (
            &self.broken,
            &self.target.url,
            self.target.command.is_empty(),
        ) {
            (Some(broken), _, _) => format!(" --broken {broken}"),
            (None, Some(url), _) => format!(" --url {url}"),
            (None, None, false) => format!(
                " -- {}",
                messenger_conformance::adapter::exec::display_command(&self.target.command)
            ),
            (None, None, true) => String::new(),
        }
    }

    /// Where counterexamples go: beside the report, or where asked; never into the current
    /// directory.
    fn counterexamples(&self) -> Counterexamples {
        match (&self.properties.counterexamples, self.report.no_report) {
            (Some(dir), _) => Counterexamples::WriteTo(dir.clone()),
            (None, false) => {
                Counterexamples::WriteTo(self.report.report_dir.join("counterexamples"))
            }
            (None, true) => Counterexamples::NotWritten(
                "--no-report; give --counterexamples DIR to keep it".to_string(),
            ),
        }
    }

    /// The options the report header records.
    fn options(&self, seed: u64) -> RunOptions {
        let path = |p: &std::path::Path| p.display().to_string();
        RunOptions {
            selection: self.selection(),
            jobs: self.jobs,
            strict: self.strict,
            fail_on_skipped_must: self.fail_on_skipped_must,
            baseline: self.report.baseline.as_deref().map(path),
            update_baseline: self.report.update_baseline,
            failures_only: self.report.failures_only,
            report: (!self.report.no_report).then(|| path(&self.report.report_dir)),
            snapshots: self.report.snapshots.as_deref().map(path),
            timeout_ms: Some(self.target.timeout_ms),
            validate_protocol: self.target.validate_protocol,
            seed: Some(seed),
            property_cases: Some(self.properties.property_cases),
            ..RunOptions::default()
        }
    }
}

/// The commands that reproduce a record against this run's implementation and suite, as printed.
pub(super) struct Commands {
    /// ` --cases DIR --extra-cases DIR`, or nothing for the built-in suite.
    pub(super) suite: String,
    /// ` --broken NAME`, ` --url URL`, ` -- CMD`.
    pub(super) target: String,
}

impl Reproduce for Commands {
    fn case(&self, area: &str, id: &str) -> String {
        format!(
            "messenger-conformance run{} --filter {area}::{id} --exact{}",
            self.suite, self.target
        )
    }

    fn property(&self, name: &str, seed: u64, requests: u32) -> String {
        // The budget too when it is not the default: a failure found at request 900 is not
        // reproduced by a run of 256.
        let budget = match requests {
            messenger_conformance::properties::DEFAULT_CASES => String::new(),
            cases => format!(" --property-cases {cases}"),
        };
        format!(
            "messenger-conformance run --only properties --filter properties::{name} --exact --seed {seed}{budget}{}",
            self.target
        )
    }
}

pub fn run(args: RunArgs) -> CommandResult {
    let suite = load(&args.cases)?;
    let (seed, origin) = match args.properties.seed {
        Some(SeedArg::Fixed(seed)) => (seed, "given"),
        Some(SeedArg::Random) => {
            let seed = random_seed();
            // Printed even with -q: a seed drawn at random is the one thing needed to replay it.
            let _ = writeln!(
                std::io::stdout(),
                "seed: drew {seed} at random (--seed random); replay this run with --seed {seed}"
            );
            (seed, "drawn at random")
        }
        None => (suite.identity.default_seed(), "the suite's own"),
    };
    let factory: Arc<dyn AdapterFactory> = match &args.broken {
        Some(name) => broken_factory(name),
        None => args.target.factory(),
    }
    .map_err(CliError::new)?
    .into();
    if args.jobs > MAX_JOBS {
        eprintln!(
            "note: --jobs {} is capped at {MAX_JOBS}: each job starts an adapter of its own",
            args.jobs
        );
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    end_adapters_on_signals(
        Arc::clone(&interrupted),
        "ending the adapters; the report directory holds what ran, without a footer",
    );
    let runner = Runner::new(Arc::new(suite), factory, args.options(seed))
        .with_breaker(Limits {
            consecutive: args.max_consecutive_errors as usize,
            total: args.max_adapter_errors as usize,
            error_time: Some(std::time::Duration::from_secs(u64::from(
                args.max_error_seconds,
            ))),
        })
        .with_counterexamples(args.counterexamples())
        .with_reproduce(args.commands())
        .with_cancel(Arc::clone(&interrupted));
    let stdout = std::io::stdout();
    let mut session: Option<Session> = None;
    let ran = runner.try_execute(|event| -> Result<(), SessionError> {
        match event {
            RunEvent::Started { header, .. } => {
                if !args.quiet {
                    // A closed stdout stops the printing, not the run: its reports and its exit
                    // code (the gate) are what it is for.
                    let _ = writeln!(stdout.lock(), "{}", runner.suite().identity);
                    for lack in &header.lacks {
                        let _ = writeln!(
                            stdout.lock(),
                            "hello declares the implementation lacks {} (`{lack}`): requests that need it are not sent, and their cases are skipped",
                            lack.describe()
                        );
                    }
                }
                session = Some(Session::start(
                    args.report.settings(),
                    header.clone(),
                    runner.redactor().clone(),
                )?);
                // The report's counterexamples are this run's alone: an earlier run's would be
                // read as evidence against a build that no longer fails them.
                if !args.report.no_report {
                    let dir = args.report.report_dir.join("counterexamples");
                    if let Err(error) = counterexample::clear_owned(&dir) {
                        eprintln!(
                            "warning: could not clear the earlier counterexamples in {}: {error}",
                            dir.display()
                        );
                    }
                }
            }
            RunEvent::PropertiesStarted {
                seed,
                requests_each,
                ..
            } if !args.quiet => {
                let _ = writeln!(
                    stdout.lock(),
                    "properties: seed {seed} ({origin}), {requests_each} requests each (replay with --seed {seed})"
                );
            }
            RunEvent::CaseFinished(event) | RunEvent::PropertyFinished { event, .. } => {
                if let Some(warning) = session.as_mut().and_then(|s| s.record(event)) {
                    eprintln!("warning: {}", visible_lines(&warning));
                }
                if !args.quiet {
                    let _ = writeln!(stdout.lock(), "{}", terminal::progress_line(event));
                }
            }
            _ => {}
        }
        Ok(())
    });
    let summary = match ran {
        Ok(summary) => summary,
        Err(RunError::Callback(error)) => return Err(error.into()),
        Err(error @ RunError::NotStarted { .. }) => return Err(CliError::new(error)),
    };
    if summary.cancelled {
        // The cases that ran after the signal only met ended adapters: the stream stays without
        // a footer, and the signal's thread exits with 128 + the signal.
        loop {
            std::thread::park();
        }
    }
    let session = session.expect("a run that finished has started its session");
    let mut out = stdout.lock();
    for run in &summary.properties {
        let secs = run.event.duration_ms / 1000.0;
        let rate = if secs > 0.0 {
            run.stats.requests as f64 / secs
        } else {
            0.0
        };
        let mut unsupported = match run.stats.unsupported {
            0 => String::new(),
            n => format!(", {n} answered unsupported without a declared lack"),
        };
        if run.stats.lacking > 0 {
            unsupported.push_str(&format!(
                ", {} not sent: they need what hello declares lacking",
                run.stats.lacking
            ));
        }
        let _ = writeln!(
            out,
            "property {}: {} requests in {secs:.3}s ({rate:.0} requests/s{unsupported})",
            run.event.id, run.stats.requests
        );
        if let Some((shrunk, replay)) = terminal::counterexample_words(&run.event) {
            let _ = writeln!(
                out,
                "  counterexample {}; {}",
                visible(&shrunk),
                visible(&replay)
            );
        }
    }
    let elapsed = summary.elapsed.as_secs_f64();
    let breaker = summary.breaker.clone();
    let events = summary.into_events();
    // The cases the breaker kept from the adapter are one line, not a failure block each.
    let not_run_events: Vec<CaseEvent> = events
        .iter()
        .filter(|e| terminal::not_run(e))
        .cloned()
        .collect();
    let not_run: Vec<&CaseEvent> = not_run_events.iter().collect();
    if let Some(why) = &breaker {
        let _ = writeln!(
            out,
            "\n{}: the adapter stopped answering; {}",
            terminal::count_not_run(&not_run),
            visible_lines(why.trim_start_matches("not run: "))
        );
    }
    let failures: Vec<&CaseEvent> = terminal::failures_by_severity(&events)
        .into_iter()
        .filter(|e| !terminal::not_run(e))
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\nfailures ({}), critical first:", failures.len());
        for event in &failures {
            let _ = writeln!(out, "{}", terminal::render_failure(event));
        }
    }
    let _ = writeln!(out);
    let _ = write!(out, "{}", terminal::render_summary(&events, elapsed));
    let finished = session.finish(events, elapsed)?;
    for note in &finished.notes {
        let _ = writeln!(out, "{note}");
    }
    let gate_text = visible_lines(&finished.gate.render_text());
    let _ = write!(out, "{}", collapse_not_run(&gate_text, &not_run));
    Ok(finished.gate.exit())
}

/// The gate's text without a `new failure:` line for each case the breaker kept from the
/// adapter: one line counts them instead.
fn collapse_not_run(gate_text: &str, not_run: &[&CaseEvent]) -> String {
    if not_run.is_empty() {
        return gate_text.to_string();
    }
    let names: std::collections::HashSet<String> = not_run
        .iter()
        .map(|e| format!("  new failure: {}::{} [", visible(&e.area), visible(&e.id)))
        .collect();
    let mut out = String::new();
    let mut dropped = 0;
    for line in gate_text.lines() {
        let name = line.find(" [").map(|at| &line[..at + 2]);
        if name.is_some_and(|name| names.contains(name)) {
            dropped += 1;
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    if dropped > 0 {
        out.push_str(&format!(
            "  new failures: {}: the adapter stopped answering\n",
            terminal::count_not_run(not_run)
        ));
    }
    out
}

/// On SIGINT, SIGTERM or SIGHUP (Ctrl-C, a CI timeout), set `interrupted` (the runner starts
/// and reports nothing more), end every adapter's process group (TERM, then KILL after a grace
/// period) and exit 128 + the signal. The event log already holds
/// every case that finished, as a stream without a footer: `report DIR` renders it and says it
/// is incomplete.
pub(super) fn end_adapters_on_signals(interrupted: Arc<AtomicBool>, what_happens: &'static str) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        eprintln!(
            "warning: cannot handle interrupts: an interrupted run may leave adapters running"
        );
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            interrupted.store(true, Ordering::SeqCst);
            eprintln!("\ninterrupted (signal {signal}): {what_happens}");
            messenger_conformance::adapter::exec::end_every_adapter(
                std::time::Duration::from_secs(2),
            );
            let exit = Exit::Interrupted(u8::try_from(signal).unwrap_or(0));
            std::process::exit(i32::from(exit.code()));
        }
    });
}

/// A seed for `--seed random`: the standard library's randomly keyed hasher (keyed from the
/// operating system's randomness), mixed with the clock; kept under 2^32 so it is short to type
/// and exact in any JSON reader.
pub(super) fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish() & 0xffff_ffff
}

/// The factory of the bundled broken implementation `name`, or a usage error naming them all.
fn broken_factory(name: &str) -> Result<Box<dyn AdapterFactory>, String> {
    match messenger_conformance::broken::factory(name) {
        Some(factory) => Ok(Box::new(factory)),
        None => Err(format!(
            "unknown broken implementation `{name}`; the bundled ones are:\n  {}",
            messenger_conformance::broken::names().join("\n  ")
        )),
    }
}

pub fn list(args: super::ListArgs) -> CommandResult {
    let suite = load(&args.cases)?;
    let selection = args.select.selection();
    let cases: Vec<&LoadedCase> = suite
        .cases
        .iter()
        .filter(|c| selection.selects_name(&c.area, &c.id))
        .collect();
    for case in &cases {
        outln!("{}::{}", case.area, case.id)?;
    }
    eprintln!("{} cases listed from {}", cases.len(), suite.identity);
    Ok(Exit::Passed)
}
