//! `run` and `list`.

use std::io::Write;
use std::time::Instant;

use clap::Args;

use super::{load_or_report, CasesArg, EXIT_OK, EXIT_USAGE};
use crate::report::terminal;
use crate::run::{run_cases, RunOptions};
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
        let name = format!("{}::{}", case.area, case.id);
        let matches = |pattern: &String| {
            if self.exact {
                name == *pattern || case.id == *pattern
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
}

pub fn run(args: RunArgs) -> u8 {
    let suite = match load_or_report(&args.cases.cases) {
        Ok(suite) => suite,
        Err(code) => return code,
    };
    let cases = args.select.apply(&suite);
    let cases: Vec<&LoadedCase> = cases.into_iter().filter(|case| args.target.role.includes(case.role)).collect();
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
    let options = super::report::run_options(&args.select, args.jobs, args.strict, &args.report, args.target.options());
    let mut session =
        match super::report::ReportSession::start(&args.report, &args.select, args.strict, options, &suite, &cases, factory) {
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
    let events = match events {
        Ok(events) => events,
        Err(error) => {
            eprintln!("error: could not start {}: {error}", factory.describe());
            return EXIT_USAGE;
        }
    };
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
