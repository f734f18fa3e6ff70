//! The whole suite, built in against exec: what `compare` pays for each implementation it runs
//! through the exec transport.
//!
//!     cargo bench -p messenger-conformance-benches --bench full_run
//!
//! Two targets, each one full run of the release binary (every case and property, no report):
//!
//! - `builtin`: `messenger-conformance run --no-report -q` (the reference in process);
//! - `exec`: `messenger-conformance run --no-report -q -- messenger-conformance serve --stdio`
//!   (the same reference behind the exec transport).
//!
//! After criterion's report it prints each target's mean wall time, the ratio exec / builtin,
//! the number of requests a run sends and the wall time per request. Criterion measures one
//! target after the other, so a machine whose load changes meanwhile skews its ratio; the
//! median ratio of interleaved pairs (builtin, exec, builtin, exec, ...) printed last does not
//! depend on that.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use messenger_conformance_benches::harness_binary;

/// Total time and runs per target, summed over every criterion sample.
static TOTALS: Mutex<BTreeMap<&'static str, (Duration, u64)>> = Mutex::new(BTreeMap::new());

/// Interleaved pairs measured after criterion's samples.
const PAIRS: usize = 15;

/// The command line of one target's full run.
fn command(binary: &str, target: &str) -> Command {
    let mut command = Command::new(binary);
    command.args(["run", "--no-report", "-q"]);
    if target == "exec" {
        command.args(["--", binary, "serve", "--stdio"]);
    }
    command
}

/// One full run; panics unless it passes. Returns its wall time and its stdout.
fn full_run(binary: &str, target: &str) -> (Duration, String) {
    let started = Instant::now();
    let output = command(binary, target).output().expect("the harness runs");
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "{target}: the full run did not pass:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (
        elapsed,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The requests one full run sends: every step of every case, and each property's requests as
/// the run reports them (`property NAME: N requests in ...`).
fn requests(run_output: &str) -> usize {
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases");
    let suite = messenger_conformance::scenario::load_suite(&cases)
        .unwrap_or_else(|errors| panic!("{errors}"));
    let steps: usize = suite
        .cases
        .iter()
        .filter_map(|case| case.build(case.now).ok())
        .map(|steps| steps.len())
        .sum();
    let properties: usize = run_output
        .lines()
        .filter(|line| line.starts_with("property "))
        .filter_map(|line| {
            line.split(": ")
                .nth(1)?
                .split(' ')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum();
    steps + properties
}

fn full_runs(c: &mut Criterion) {
    let binary = harness_binary();
    let mut group = c.benchmark_group("full-run");
    for target in ["builtin", "exec"] {
        group.bench_function(target, |b| {
            b.iter_custom(|iterations| {
                let mut elapsed = Duration::ZERO;
                for _ in 0..iterations {
                    elapsed += full_run(&binary, target).0;
                }
                let mut totals = TOTALS.lock().unwrap_or_else(|p| p.into_inner());
                let entry = totals.entry(target).or_default();
                entry.0 += elapsed;
                entry.1 += iterations;
                elapsed
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(10));
    targets = full_runs
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let binary = harness_binary();
    let (_, output) = full_run(&binary, "exec");
    let requests = requests(&output);
    let totals = TOTALS.lock().unwrap_or_else(|p| p.into_inner());
    let mean = |name: &str| {
        totals
            .get(name)
            .filter(|(_, n)| *n > 0)
            .map(|(d, n)| d.as_secs_f64() / *n as f64)
    };
    println!("\nmean full run over every sample ({requests} requests a run):");
    for name in totals.keys() {
        if let Some(seconds) = mean(name) {
            println!(
                "  {name:<8} {:>8.1} ms  {:>6.1} µs per request",
                seconds * 1e3,
                seconds * 1e6 / requests as f64
            );
        }
    }
    if let (Some(exec), Some(builtin)) = (mean("exec"), mean("builtin")) {
        println!("exec / builtin: {:.2}x", exec / builtin);
    }
    // Only when criterion measured (not under `cargo test --benches`, which runs each once).
    if totals.values().all(|(_, n)| *n > 1) {
        let ratios: Vec<f64> = (0..PAIRS)
            .map(|_| {
                let builtin = full_run(&binary, "builtin").0;
                let exec = full_run(&binary, "exec").0;
                exec.as_secs_f64() / builtin.as_secs_f64()
            })
            .collect();
        println!(
            "exec / builtin, median of {PAIRS} interleaved pairs: {:.2}x",
            median(ratios)
        );
    }
}
