//! `run` and `list`.

use std::io::Write;
use std::time::Instant;

use clap::Args;

use super::{load_or_report, CasesArg, EXIT_OK, EXIT_USAGE};
use crate::properties::counterexample::Counterexample;
use crate::properties::{Property, Settings};
use crate::report::terminal;
use crate::run::{run_cases, run_parallel, RunOptions};
use crate::scenario::{LoadedCase, Suite};

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
    pub fn selects(&self, case: &LoadedCase) -> bool {
        self.selects_name(&case.area, &case.id)
    }

    /// Whether the case or property `area::id` is selected.
    pub fn selects_name(&self, area: &str, id: &str) -> bool {
        let name = format!("{area}::{id}");
        let matches = |pattern: &String| {
            if self.exact {
                name == *pattern || id == pattern
            } else {
                name.contains(pattern.as_str())
            }
        };
        (self.filters.is_empty() || self.filters.iter().any(matches))
            && !self.skips.iter().any(|s| name.contains(s.as_str()))
    }

    fn apply<'a>(&self, suite: &'a Suite) -> Vec<&'a LoadedCase> {
        suite.cases.iter().filter(|c| self.selects(c)).collect()
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub cases: CasesArg,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Parallel workers, each with its own adapter.
    #[arg(long, short = 'j', default_value_t = 1)]
    pub jobs: usize,
    /// Also gate on should-level failures.
    #[arg(long)]
    pub strict: bool,
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
    pub only: Option<Only>,
    /// Seed of the properties' generators: the same seed replays the same requests. Default: a
    /// fresh one, printed so a failing run can be replayed.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Generated requests per property.
    #[arg(long, value_name = "N", default_value_t = crate::properties::DEFAULT_CASES)]
    pub property_cases: u32,
    /// Where shrunk counterexamples are written as YAML cases.
    #[arg(long, value_name = "DIR", default_value = "reports/counterexamples")]
    pub counterexamples: std::path::PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Only {
    Cases,
    Properties,
}

pub fn run(args: RunArgs) -> u8 {
    let suite = match load_or_report(&args.cases.cases) {
        Ok(suite) => suite,
        Err(code) => return code,
    };
    let cases = args.select.apply(&suite);
    let cases: Vec<&LoadedCase> = cases
        .into_iter()
        .filter(|case| {
            args.target.role.includes(case.role) && args.properties.only != Some(Only::Properties)
        })
        .collect();
    let properties: Vec<&Property> = crate::properties::all()
        .iter()
        .filter(|p| {
            args.select.selects_name("properties", p.name) && args.target.role.includes(p.role)
        })
        // Properties run whole, in the first shard of a partitioned run.
        .filter(|_| {
            args.properties.only != Some(Only::Cases)
                && args.report.partition.is_none_or(|p| p.index == 1)
        })
        .collect();
    let seed = args.properties.seed.unwrap_or_else(fresh_seed);
    let settings = Settings {
        seed,
        cases: args.properties.property_cases,
    };
    // Partition last, over the final selection, so shards are balanced and merge restores order.
    let cases = args.report.partition_cases(cases);
    let factory = match &args.broken {
        Some(name) => broken_factory(name),
        None => args.target.factory(),
    };
    let factory = match factory {
        Ok(factory) => factory,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
    };
    let factory = factory.as_ref();
    let mut extra = args.target.options();
    if let Some(extra) = extra.as_object_mut() {
        extra.insert(
            "only".into(),
            serde_json::json!(args
                .properties
                .only
                .map(|o| format!("{o:?}").to_lowercase())),
        );
        extra.insert("seed".into(), serde_json::json!(seed));
        extra.insert("property_cases".into(), serde_json::json!(settings.cases));
    }
    let options =
        super::report::run_options(&args.select, args.jobs, args.strict, &args.report, extra);
    let mut session = match super::report::ReportSession::start(
        &args.report,
        &args.select,
        args.strict,
        options,
        &suite,
        &cases,
        factory,
    ) {
        Ok(session) => session,
        Err(code) => return code,
    };
    let started = Instant::now();
    let stdout = std::io::stdout();
    let events = run_cases(&cases, factory, &RunOptions { jobs: args.jobs }, |event| {
        session.record(event);
        if !args.quiet {
            let _ = writeln!(stdout.lock(), "{}", terminal::progress_line(event));
        }
    });
    let mut events = match events {
        Ok(events) => events,
        Err(error) => {
            eprintln!("error: could not start {}: {error}", factory.describe());
            return EXIT_USAGE;
        }
    };
    if !properties.is_empty() {
        if !args.quiet {
            let _ = writeln!(
                stdout.lock(),
                "properties: seed {seed}, {} requests each (replay with --seed {seed})",
                settings.cases
            );
        }
        let runs = run_parallel(
            &properties,
            factory,
            args.jobs,
            |adapter, p| p.run(adapter, &settings),
            |run| {
                session.record(&run.event);
                if !args.quiet {
                    let _ = writeln!(stdout.lock(), "{}", terminal::progress_line(&run.event));
                }
            },
        );
        let runs = match runs {
            Ok(runs) => runs,
            Err(error) => {
                eprintln!("error: could not start {}: {error}", factory.describe());
                return EXIT_USAGE;
            }
        };
        let mut out = stdout.lock();
        for run in runs {
            let secs = run.event.duration_ms / 1000.0;
            let rate = if secs > 0.0 {
                run.requests as f64 / secs
            } else {
                0.0
            };
            let _ = writeln!(
                out,
                "property {}: {} requests in {secs:.3}s ({rate:.0} requests/s)",
                run.event.id, run.requests
            );
            if let Some(counterexample) = &run.counterexample {
                match write_counterexample(&args.properties.counterexamples, counterexample) {
                    Ok(path) => {
                        let _ = writeln!(
                            out,
                            "  counterexample written to {} (seed {seed})",
                            path.display()
                        );
                    }
                    Err(error) => eprintln!("warning: cannot write the counterexample: {error}"),
                }
            }
            events.push(run.event);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut out = stdout.lock();
    let failures = terminal::failures_by_severity(&events);
    if !failures.is_empty() {
        let _ = writeln!(out, "\nfailures ({}), critical first:", failures.len());
        for event in &failures {
            let _ = writeln!(out, "{}", terminal::render_failure(event));
        }
    }
    let _ = writeln!(out);
    let _ = write!(out, "{}", terminal::render_summary(&events, elapsed));
    // The gate (crate::report::gate) decides the exit code, with the baseline if any.
    session.finish(events, elapsed)
}

/// A seed for a run that was not given one: the clock's nanoseconds are enough to vary runs.
fn fresh_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64 % 1_000_000_000)
}

fn write_counterexample(
    dir: &std::path::Path,
    counterexample: &Counterexample,
) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(&counterexample.file_name);
    std::fs::write(&path, &counterexample.yaml)?;
    Ok(path)
}

/// The factory of the bundled broken implementation `name`, or a usage error naming them all.
fn broken_factory(name: &str) -> Result<Box<dyn crate::adapter::AdapterFactory>, String> {
    match crate::mutants::factory(name) {
        Some(factory) => Ok(Box::new(factory)),
        None => Err(format!(
            "unknown broken implementation `{name}`; the bundled ones are:\n  {}",
            crate::mutants::names().join("\n  ")
        )),
    }
}

pub fn list(args: super::ListArgs) -> u8 {
    let suite = match load_or_report(&args.cases.cases) {
        Ok(suite) => suite,
        Err(code) => return code,
    };
    let cases = args.select.apply(&suite);
    for case in &cases {
        println!("{}::{}", case.area, case.id);
    }
    eprintln!("{} cases", cases.len());
    EXIT_OK
}
