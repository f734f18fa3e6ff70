//! `compare`: the same suite, selection and seed against many implementations, one comparison.
//!
//! Running one implementation is [`run_one`], and nothing else here knows how a run is made:
//! the rest parses flags, runs [`run_one`] for each implementation (`--parallel` at once), reads
//! earlier runs (`--from`), and hands the runs to the library's `compare` module.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;

use super::run::{
    end_adapters_on_signals, random_seed, Commands, PropertyArgs, SeedArg, SelectArgs,
};
use super::target::RoleArg;
use super::{load, CasesArg, CliError, CommandResult};
use messenger_conformance::adapter::builtin::BuiltinFactory;
use messenger_conformance::adapter::exec::{display_command, ExecFactory};
use messenger_conformance::adapter::http::HttpFactory;
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::compare::manifest::{self, ImplementationSpec, Target};
use messenger_conformance::compare::{render, write, Comparison, Expectations, ImplementationRun};
use messenger_conformance::event::RunOptions;
use messenger_conformance::properties::counterexample::Counterexamples;
use messenger_conformance::run::{redactor_for, Limits, RunError, RunEvent, Runner};
use messenger_conformance::scenario::Suite;
use messenger_conformance::selection::{Only, Selection};
use messenger_conformance::session::{ReportSettings, Session};
use messenger_conformance::visible::visible;

pub const DEFAULT_COMPARE_DIR: &str = "reports/compare";

#[derive(Debug, Args)]
#[command(after_help = "Flags of `run` compare does not take, and why:
  --url, --broken, -- COMMAND    give each implementation with --impl or --manifest
  --baseline, --update-baseline  each implementation's known failures are its expectations file
                                 (--manifest), with reasons
  --fail-on-skipped-must         a whole role skipped is a state of the implementation (`role
                                 unsupported`: a signer library is no verifier), not a failure
  --partition                    a comparison is of whole runs, and nothing merges the shards
                                 of one (`merge` takes run reports); narrow it with --filter,
                                 --skip or --role, spread it with --parallel and --jobs
  --no-report                    the comparison is written from each implementation's report
                                 (DIR/NAME/), and --from reads them back
  --snapshots                    one snapshot directory per run: give each implementation's run
                                 its own (`run --snapshots`)")]
pub struct CompareArgs {
    /// An implementation to compare (repeatable): NAME='COMMAND ARGS' (exec; split as a shell
    /// would), NAME=http://HOST:PORT/PATH, NAME=builtin:reference or NAME=builtin:broken/BUG.
    /// NAME names its report directory.
    #[arg(long = "impl", value_name = "NAME=IMPL", value_parser = manifest::parse_impl)]
    pub impls: Vec<ImplementationSpec>,
    /// A YAML file of implementations: `implementations:`, each with `name`, one of `command`
    /// (an argv list), `url` or `builtin`, and optionally `expectations` (known failures with
    /// reasons, as in ecosystem/*/expectations.yaml) and `configuration` (in words).
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Combine the reports of earlier runs: a `run` report directory (events.jsonl) or a
    /// `compare` report directory. Refused when their suites or seeds differ.
    #[arg(long = "from", value_name = "DIR", num_args = 1..)]
    pub from: Vec<PathBuf>,
    /// How many implementations run at once (default: twice the number of cores: a run
    /// through exec is two processes taking turns, the harness and the adapter, and keeps less
    /// than a core busy; docs/performance.md has the figures).
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub parallel: Option<usize>,
    /// Also fail (exit 1) when the implementations disagree on a must case.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub fail_on: Option<FailOn>,
    #[command(flatten)]
    pub cases: CasesArg,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub properties: PropertyArgs,
    /// Which cases to run by role: verifier cases, signer cases, or all.
    #[arg(long, value_enum, default_value = "all")]
    pub role: RoleArg,
    /// Parallel workers per implementation, each with its own adapter.
    #[arg(long, short = 'j', default_value_t = 1, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub jobs: usize,
    /// How long one request may take, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub timeout_ms: u64,
    /// Check every message each implementation sends against the protocol's JSON Schema.
    #[arg(long)]
    pub validate_protocol: bool,
    /// Stop sending an implementation requests after this many adapter errors in a row.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_consecutive_errors: u32,
    /// Stop after this many adapter errors in all.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_adapter_errors: u32,
    /// Stop once failed requests have cost this many seconds in all.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_error_seconds: u32,
    /// Where the comparison goes: compare.{jsonl,json,md,html}, badges/, and each
    /// implementation's own report in DIR/NAME/.
    #[arg(long = "report", value_name = "DIR", default_value = DEFAULT_COMPARE_DIR)]
    pub report_dir: PathBuf,
    /// Also write the conformance page (Markdown: which implementations conform out of the
    /// box, under which configuration, where each deviates and why) to FILE; this is how
    /// docs/ecosystem.md is made from ecosystem/manifest.yaml.
    #[arg(long, value_name = "FILE")]
    pub page: Option<PathBuf>,
    /// Also count should-level failures against an implementation that has no expectations
    /// file (with one, every failure it does not list counts already), as `run --strict` gates.
    #[arg(long)]
    pub strict: bool,
    /// Each implementation's summary.md (DIR/NAME/summary.md) lists failures and skips only.
    #[arg(long)]
    pub failures_only: bool,
    /// Print no progress line per implementation.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Implementations disagree on a must case.
    Disagreement,
}

/// What every implementation gets: the same suite, selection, seed and limits.
pub struct Plan {
    /// The suite every implementation runs, shared.
    pub suite: Arc<Suite>,
    /// The selection, seed, property budget and jobs: the same for every implementation.
    pub options: RunOptions,
    pub limits: Limits,
    pub timeout: Duration,
    pub validate_protocol: bool,
    pub report_dir: PathBuf,
    /// ` --cases DIR --extra-cases DIR`, for reproduce commands.
    pub suite_args: String,
    pub counterexamples: Option<PathBuf>,
    /// Set by the signal handler: every runner stops sending.
    pub cancel: Arc<AtomicBool>,
}

fn factory_of(
    target: &Target,
    timeout: Duration,
    validate: bool,
) -> Result<(Box<dyn AdapterFactory>, String), String> {
    match target {
        Target::Command(argv) => Ok((
            Box::new(ExecFactory::new(argv.clone(), timeout).validate_protocol(validate)),
            format!(" -- {}", display_command(argv)),
        )),
        Target::Url(url) => Ok((
            Box::new(HttpFactory::new(url.clone(), timeout).validate_protocol(validate)),
            format!(" --url {url}"),
        )),
        Target::Builtin(name) if name == "reference" => {
            Ok((Box::new(BuiltinFactory::reference()), String::new()))
        }
        Target::Builtin(name) => match name
            .strip_prefix("broken/")
            .and_then(messenger_conformance::broken::factory)
        {
            Some(factory) => Ok((
                Box::new(factory),
                format!(" --broken {}", name.trim_start_matches("broken/")),
            )),
            None => Err(format!(
                "unknown built-in implementation `{name}`: give `reference` or `broken/BUG`, BUG one of {}",
                messenger_conformance::broken::names().join(", ")
            )),
        },
    }
}

/// Run the plan against one implementation through the library's `Runner`, with its own
/// timeouts and circuit breaker, write its usual reports in `DIR/NAME/`, and return what
/// happened. An implementation that cannot be started comes back as such (never an error): no
/// implementation is dropped.
pub fn run_one(spec: &ImplementationSpec, plan: &Plan) -> ImplementationRun {
    let mut run = ImplementationRun {
        name: spec.name.clone(),
        ..ImplementationRun::default()
    };
    let (factory, target_args) =
        match factory_of(&spec.target, plan.timeout, plan.validate_protocol) {
            Ok(found) => found,
            Err(error) => {
                run.start_error = Some(error);
                return run;
            }
        };
    run.target = factory.describe();
    run.target_args = target_args.clone();
    let dir = plan.report_dir.join(&spec.name);
    let mut options = plan.options.clone();
    options.report = Some(dir.display().to_string());
    let counterexamples = match &plan.counterexamples {
        Some(root) => root.join(&spec.name),
        None => dir.join("counterexamples"),
    };
    let runner = Runner::new(Arc::clone(&plan.suite), factory.into(), options)
        .with_breaker(plan.limits)
        .with_counterexamples(Counterexamples::WriteTo(counterexamples))
        .with_reproduce(Commands {
            suite: plan.suite_args.clone(),
            target: target_args,
        })
        .with_cancel(Arc::clone(&plan.cancel));
    let settings = ReportSettings {
        report_dir: Some(dir.clone()),
        ..ReportSettings::default()
    };
    let mut session: Option<Session> = None;
    let ran = runner.try_execute(|event| -> Result<(), String> {
        match event {
            RunEvent::Started { header, .. } => {
                session = Some(
                    Session::start(settings.clone(), header.clone(), runner.redactor().clone())
                        .map_err(|error| {
                            format!("cannot write its report in {}: {error}", dir.display())
                        })?,
                );
            }
            RunEvent::CaseFinished(event) | RunEvent::PropertyFinished { event, .. } => {
                if let Some(warning) = session.as_mut().and_then(|s| s.record(event)) {
                    eprintln!("warning: {}: {}", visible(&spec.name), visible(&warning));
                }
            }
            _ => {}
        }
        Ok(())
    });
    let summary = match ran {
        Ok(summary) => summary,
        Err(RunError::Callback(error)) => {
            run.start_error = Some(error);
            return run;
        }
        Err(error @ RunError::NotStarted { .. }) => {
            run.start_error = Some(error.to_string());
            return run;
        }
    };
    run.header = Some(summary.header.clone());
    run.stopped = summary.breaker.clone();
    let elapsed = summary.elapsed.as_secs_f64();
    let events = summary.into_events();
    if let Some(session) = session {
        if let Err(error) = session.finish(events.clone(), elapsed) {
            eprintln!(
                "warning: {}: {}",
                visible(&spec.name),
                visible(&error.to_string())
            );
        }
    }
    run.events = events;
    run
}

pub fn compare(args: CompareArgs) -> CommandResult {
    let mut specs = args.impls.clone();
    if let Some(path) = &args.manifest {
        specs.extend(manifest::load(path).map_err(CliError::new)?);
    }
    manifest::check_unique(&specs).map_err(CliError::new)?;
    if specs.is_empty() && args.from.is_empty() {
        return Err(CliError::new(
            "nothing to compare: give --impl NAME=IMPL (repeatable), --manifest FILE or --from DIR",
        ));
    }
    // Every expectations file is read before anything runs: a typo is a configuration error.
    let mut expectations = Vec::new();
    for spec in &specs {
        expectations.push(match &spec.expectations {
            Some(path) => Some((
                Expectations::load(Path::new(path)).map_err(CliError::new)?,
                path.clone(),
            )),
            None => None,
        });
        if matches!(spec.target, Target::Builtin(_)) {
            // An unknown built-in is a usage error, found before anything runs.
            factory_of(&spec.target, Duration::from_secs(1), false)
                .map_err(|e| CliError::new(format!("--impl {}: {e}", spec.name)))?;
        }
    }
    let suite = load(&args.cases)?;
    let seed = match args.properties.seed {
        Some(SeedArg::Fixed(seed)) => seed,
        Some(SeedArg::Random) => {
            let seed = random_seed();
            let _ = writeln!(
                std::io::stdout(),
                "seed: drew {seed} at random (--seed random); replay with --seed {seed}"
            );
            seed
        }
        None => suite.identity.default_seed(),
    };
    let selection = Selection {
        role: args.role.into(),
        only: args.properties.only.map(Only::from),
        ..args.select.selection()
    };
    let redactor = redactor_for(&suite);
    let mut suite_args = String::new();
    if let Some(dir) = &args.cases.cases {
        suite_args.push_str(&format!(
            " --cases {}",
            display_command(&[dir.display().to_string()])
        ));
    }
    for dir in &args.cases.extra_cases {
        suite_args.push_str(&format!(
            " --extra-cases {}",
            display_command(&[dir.display().to_string()])
        ));
    }
    let cancel = Arc::new(AtomicBool::new(false));
    let plan = Plan {
        suite: Arc::new(suite),
        options: RunOptions {
            selection,
            jobs: args.jobs,
            timeout_ms: Some(args.timeout_ms),
            validate_protocol: args.validate_protocol,
            strict: args.strict,
            failures_only: args.failures_only,
            seed: Some(seed),
            property_cases: Some(args.properties.property_cases),
            ..RunOptions::default()
        },
        limits: Limits {
            consecutive: args.max_consecutive_errors as usize,
            total: args.max_adapter_errors as usize,
            error_time: Some(Duration::from_secs(u64::from(args.max_error_seconds))),
        },
        timeout: Duration::from_millis(args.timeout_ms),
        validate_protocol: args.validate_protocol,
        report_dir: args.report_dir.clone(),
        suite_args,
        counterexamples: args.properties.counterexamples.clone(),
        cancel: Arc::clone(&cancel),
    };
    let earlier = args
        .from
        .iter()
        .map(|dir| read_earlier(dir))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    let parallel = args
        .parallel
        .unwrap_or_else(|| 2 * std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, specs.len().max(1));
    end_adapters_on_signals(
        Arc::clone(&cancel),
        "ending every implementation's adapters; each DIR/NAME/events.jsonl holds what ran, without a footer, and no comparison is written",
    );
    let mut fresh = run_all(&specs, &plan, parallel, args.quiet);
    if cancel.load(Ordering::SeqCst) {
        // The runs that ended after the signal only met ended adapters: nothing is compared,
        // and the signal's thread exits with 128 + the signal.
        loop {
            std::thread::park();
        }
    }
    for (run, expected) in fresh.iter_mut().zip(expectations) {
        run.configuration = specs
            .iter()
            .find(|s| s.name == run.name)
            .and_then(|s| s.configuration.clone());
        if let Some((expectations, path)) = expected {
            run.expectations = Some(expectations);
            run.expectations_path = Some(path);
        }
    }
    let mut runs = earlier;
    for run in fresh {
        if runs.iter().any(|r: &ImplementationRun| r.name == run.name) {
            return Err(CliError::new(format!(
                "`{}` is both an earlier run (--from) and an implementation to run: give it another name",
                run.name
            )));
        }
        runs.push(run);
    }
    check_same_suite_and_seed(&runs)?;
    let mut comparison = Comparison::build(&runs);
    comparison.redact(&redactor);
    let written = write::write_all(&args.report_dir, &comparison).map_err(|error| {
        CliError::new(format!(
            "cannot write the comparison in {}: {error}",
            args.report_dir.display()
        ))
    })?;
    if let Some(page) = &args.page {
        let command = page_command(&args, page);
        messenger_conformance::output::write_atomically(
            page,
            render::ecosystem_page(&comparison, &command).as_bytes(),
        )
        .map_err(|e| CliError::new(format!("cannot write the page {}: {e}", page.display())))?;
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out);
    let _ = write!(out, "{}", render::terminal(&comparison));
    let _ = writeln!(
        out,
        "\ncompare: {} ({} files; each implementation's own report in {}/NAME/)",
        args.report_dir.display(),
        written.len(),
        args.report_dir.display()
    );
    let exit = comparison.exit(args.fail_on == Some(FailOn::Disagreement));
    let _ = writeln!(
        out,
        "{}",
        exit_line(&comparison, exit, args.fail_on.is_some())
    );
    Ok(exit)
}

/// The command that made a page, as the page says (the flags that decide its content).
fn page_command(args: &CompareArgs, page: &Path) -> String {
    let mut command = String::from("messenger-conformance compare");
    if let Some(manifest) = &args.manifest {
        command.push_str(&format!(" --manifest {}", manifest.display()));
    }
    if let Some(SeedArg::Fixed(seed)) = args.properties.seed {
        command.push_str(&format!(" --seed {seed}"));
    }
    if args.properties.property_cases != messenger_conformance::properties::DEFAULT_CASES {
        command.push_str(&format!(
            " --property-cases {}",
            args.properties.property_cases
        ));
    }
    if args.validate_protocol {
        command.push_str(" --validate-protocol");
    }
    command.push_str(&format!(" --page {}", page.display()));
    command
}

/// The last line: why the exit code is what it is.
fn exit_line(
    comparison: &Comparison,
    exit: messenger_conformance::exit::Exit,
    fail_on_disagreement: bool,
) -> String {
    use messenger_conformance::compare::State;
    use messenger_conformance::exit::Exit;
    let names = |pick: &dyn Fn(&messenger_conformance::compare::ImplementationSummary) -> bool| {
        comparison
            .implementations
            .iter()
            .filter(|i| pick(i))
            .map(|i| visible(&i.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match exit {
        Exit::Usage => format!(
            "FAILED (exit 2): did not start: {}",
            names(&|i| i.state == State::DidNotStart)
        ),
        Exit::Failed if comparison.implementations.iter().any(|i| !i.matches) => format!(
            "FAILED (exit 1): not as expected (unexpected failures, or listed failures that passed): {}",
            names(&|i| !i.matches)
        ),
        Exit::Failed => format!(
            "FAILED (exit 1): --fail-on disagreement: the implementations disagree on {}",
            render::count(
                comparison.must_disagreements().len(),
                "must case",
                "must cases"
            )
        ),
        _ if fail_on_disagreement => {
            "PASSED: every implementation matches its expectations, and they agree on every must case".into()
        }
        _ if comparison.implementations.iter().any(|i| i.strict) => "PASSED: every implementation matches its expectations (without a file, --strict: no must or should failure)".into(),
        _ => "PASSED: every implementation matches its expectations (without a file: no must failure)".into(),
    }
}

/// Run every implementation, `parallel` at once; the runs come back in the order given.
fn run_all(
    specs: &[ImplementationSpec],
    plan: &Plan,
    parallel: usize,
    quiet: bool,
) -> Vec<ImplementationRun> {
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<ImplementationRun>>> = Mutex::new(vec![None; specs.len()]);
    std::thread::scope(|scope| {
        for _ in 0..parallel {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(spec) = specs.get(index) else { break };
                let started = Instant::now();
                let run = run_one(spec, plan);
                if !quiet {
                    let failed = run.events.iter().filter(|e| e.failed()).count();
                    let status = match &run.start_error {
                        Some(_) => "did not start".to_string(),
                        None => format!("{} results, {failed} failed", run.events.len()),
                    };
                    let _ = writeln!(
                        std::io::stdout().lock(),
                        "{}: {status} ({:.1}s)",
                        visible(&spec.name),
                        started.elapsed().as_secs_f64()
                    );
                }
                slots.lock().expect("no run panics")[index] = Some(run);
            });
        }
    });
    slots
        .into_inner()
        .expect("no run panics")
        .into_iter()
        .flatten()
        .collect()
}

/// The runs an earlier report directory holds: a `run` report (events.jsonl) is one, named
/// after the directory; a `compare` report is every implementation it compared.
fn read_earlier(dir: &Path) -> Result<Vec<ImplementationRun>, CliError> {
    use messenger_conformance::report::Stream;
    let compared = dir.join("compare.json");
    if compared.is_file() {
        let text = std::fs::read_to_string(&compared)
            .map_err(|e| CliError::new(format!("cannot read {}: {e}", compared.display())))?;
        let earlier: Comparison = serde_json::from_str(&text).map_err(|e| {
            CliError::new(format!(
                "{} is not a comparison this harness reads: {e}",
                compared.display()
            ))
        })?;
        let mut runs = Vec::new();
        for implementation in &earlier.implementations {
            let mut run = ImplementationRun {
                name: implementation.name.clone(),
                target: implementation.target.clone(),
                target_args: implementation.target_args.clone(),
                ..ImplementationRun::default()
            };
            if implementation.state == messenger_conformance::compare::State::DidNotStart {
                run.start_error = implementation.detail.clone();
            } else {
                let stream = Stream::read_dir(&dir.join(&implementation.name)).map_err(|e| {
                    CliError::new(format!(
                        "--from {}: {}: {e}",
                        dir.display(),
                        implementation.name
                    ))
                })?;
                if implementation.state == messenger_conformance::compare::State::Stopped {
                    run.stopped = implementation.detail.clone();
                }
                run.header = Some(stream.header);
                run.events = stream.cases;
            }
            run.configuration = implementation.configuration.clone();
            if let Some(path) = &implementation.expectations {
                run.expectations =
                    Some(Expectations::load(Path::new(path)).map_err(CliError::new)?);
                run.expectations_path = Some(path.clone());
            }
            runs.push(run);
        }
        return Ok(runs);
    }
    let stream = Stream::read_dir(dir).map_err(|e| {
        CliError::new(format!(
            "--from {}: neither a compare report (compare.json) nor a run report: {e}",
            dir.display()
        ))
    })?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "earlier".into());
    manifest::check_name(&name).map_err(CliError::new)?;
    let target = stream.header.target.clone();
    let target_args = if let Some(command) = target.strip_prefix("exec:") {
        format!(" -- {command}")
    } else if let Some(url) = target.strip_prefix("http:") {
        format!(" --url {url}")
    } else if let Some(bug) = target.strip_prefix("broken:") {
        format!(" --broken {bug}")
    } else {
        String::new()
    };
    Ok(vec![ImplementationRun {
        name,
        target,
        target_args,
        header: Some(stream.header),
        events: stream.cases,
        ..ImplementationRun::default()
    }])
}

/// Refuse runs of different suites (extra cases included) or seeds: their answers are to
/// different requests.
fn check_same_suite_and_seed(runs: &[ImplementationRun]) -> Result<(), CliError> {
    let mut first: Option<(&str, Option<String>, Option<u64>)> = None;
    for run in runs {
        let Some(header) = &run.header else { continue };
        // The suite and the extra cases beside it (`--extra-cases`, digested on their own).
        let digest = header.suite.as_ref().map(|s| {
            s.extra.iter().fold(s.digest.clone(), |key, extra| {
                format!("{key} with extra cases {}", extra.digest)
            })
        });
        match &first {
            None => first = Some((&run.name, digest, header.seed)),
            Some((name, d, s)) => {
                if *d != digest {
                    return Err(CliError::new(format!(
                        "`{name}` and `{}` ran different suites ({} and {}): a comparison needs one suite; run them again with the same --cases",
                        run.name,
                        d.as_deref().unwrap_or("not recorded"),
                        digest.as_deref().unwrap_or("not recorded")
                    )));
                }
                if *s != header.seed {
                    return Err(CliError::new(format!(
                        "`{name}` and `{}` ran with different seeds ({} and {}): their properties sent different requests; run them again with the same --seed",
                        run.name,
                        s.map_or("none".into(), |s| s.to_string()),
                        header.seed.map_or("none".into(), |s| s.to_string())
                    )));
                }
            }
        }
    }
    Ok(())
}
