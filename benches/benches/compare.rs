//! `compare` over the ecosystem manifest against the same implementations run one after another.
//!
//!     cargo bench -p messenger-conformance-benches --bench compare
//!
//! Issue 19 asks that on the project's 2-core machine `compare --manifest
//! ecosystem/manifest.yaml` finish in at most 0.7 of the summed wall times of `run` against each
//! of its implementations, one after another, with the same flags. Each repetition times both,
//! interleaved (compare, then the sequential runs; next repetition the other way round), so a
//! change in the machine's load skews both alike; the bench prints each repetition, the median
//! of each and the median of the per-repetition ratios.
//!
//! The flags are the ecosystem page's (the manifest's header): `--seed 20260101
//! --property-cases 64 --validate-protocol`, and each writes its reports, as compare does (into
//! a temporary directory). It needs the ecosystem installed (`scripts/test` installs it) and the
//! Rust examples built (`cargo build --examples`): an implementation that cannot start stops the
//! bench with what it said; none is left out.
//!
//! `COMPARE_BENCH_REPS=N` sets the repetitions (default 5). Under `cargo test --benches` (no
//! `--bench` argument) it runs one repetition, to check that it works.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use messenger_conformance::compare::manifest::{self, ImplementationSpec, Target};
use messenger_conformance_benches::harness_binary;

const MANIFEST: &str = "ecosystem/manifest.yaml";
/// The ecosystem page's flags (the manifest's header says the same; checked below).
const FLAGS: [&str; 5] = [
    "--seed",
    "20260101",
    "--property-cases",
    "64",
    "--validate-protocol",
];

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the repository root")
}

fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

fn timed(command: &mut Command) -> (Duration, Output) {
    let started = Instant::now();
    let output = command.output().expect("the harness runs");
    (started.elapsed(), output)
}

/// One `compare` over the manifest; panics when an implementation did not start.
fn compare(binary: &str, reports: &Path) -> (Duration, String) {
    let dir = reports.join("compare");
    let (elapsed, output) = timed(
        Command::new(binary)
            .current_dir(repository())
            .args(["compare", "--manifest", MANIFEST])
            .args(FLAGS)
            .arg("--report")
            .arg(&dir),
    );
    let json = std::fs::read_to_string(dir.join("compare.json")).unwrap_or_else(|e| {
        panic!(
            "compare wrote no compare.json ({e}); exit {:?}:\n{}\n{}",
            output.status.code(),
            tail(&output.stdout),
            tail(&output.stderr)
        )
    });
    let comparison: serde_json::Value = serde_json::from_str(&json).expect("compare.json");
    let not_started: Vec<String> = comparison["implementations"]
        .as_array()
        .expect("implementations[]")
        .iter()
        .filter(|i| i["state"] == "did_not_start")
        .map(|i| format!("{}: {}", i["name"], i["detail"]))
        .collect();
    assert!(
        not_started.is_empty(),
        "compare: implementations did not start (install the ecosystem with scripts/test, and \
         `cargo build --examples`); the bench leaves none out:\n{}",
        not_started.join("\n")
    );
    let progress = String::from_utf8_lossy(&output.stdout)
        .lines()
        .take_while(|line| !line.is_empty())
        .map(str::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    (elapsed, progress)
}

/// The `run` arguments that name an implementation.
fn target_args(spec: &ImplementationSpec) -> Vec<String> {
    match &spec.target {
        Target::Command(argv) => std::iter::once("--".to_string())
            .chain(argv.iter().cloned())
            .collect(),
        Target::Url(url) => vec!["--url".into(), url.clone()],
        Target::Builtin(name) if name == "reference" => Vec::new(),
        Target::Builtin(name) => vec![
            "--broken".into(),
            name.trim_start_matches("broken/").to_string(),
        ],
    }
}

/// Every implementation run alone, one after another: the total and each one's time. Panics
/// when one did not start (exit 2).
fn one_after_another(
    binary: &str,
    specs: &[ImplementationSpec],
    reports: &Path,
) -> (Duration, Vec<Duration>) {
    let mut each = Vec::new();
    for spec in specs {
        let (elapsed, output) = timed(
            Command::new(binary)
                .current_dir(repository())
                .args(["run", "-q"])
                // `run` refuses --validate-protocol for the built-in (it sends no messages);
                // compare gives it to the others only.
                .args(match spec.target {
                    Target::Builtin(_) => &FLAGS[..4],
                    _ => &FLAGS[..],
                })
                .arg("--report")
                .arg(reports.join("runs").join(&spec.name))
                .args(target_args(spec)),
        );
        // 0: passed, 1: failed (a deviating library fails its run); 2 and up: it did not run.
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "run {}: exit {:?}: it did not run through (install the ecosystem with scripts/test, \
             and `cargo build --examples`); the bench leaves none out:\n{}\n{}",
            spec.name,
            output.status.code(),
            tail(&output.stdout),
            tail(&output.stderr)
        );
        each.push(elapsed);
    }
    (each.iter().sum(), each)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let reps: usize = if benching {
        std::env::var("COMPARE_BENCH_REPS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(5)
    } else {
        1
    };
    let root = repository();
    let header = std::fs::read_to_string(root.join(MANIFEST)).expect("the manifest");
    for flag in [&FLAGS[..2], &FLAGS[2..4]] {
        assert!(
            header.contains(&flag.join(" ")),
            "{MANIFEST}'s header no longer names `{}`: update FLAGS in benches/benches/compare.rs",
            flag.join(" ")
        );
    }
    let specs = manifest::load(&root.join(MANIFEST)).unwrap_or_else(|e| panic!("{e}"));
    let binary = harness_binary();
    let reports = std::env::temp_dir().join(format!("compare-bench-{}", std::process::id()));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "compare over {MANIFEST} ({} implementations, {} --report DIR) against `run` of each \
         one after another; {cores} cores; {reps} repetitions",
        specs.len(),
        FLAGS.join(" "),
    );
    let mut rows = Vec::new();
    let mut last_each = Vec::new();
    let mut last_progress = String::new();
    for rep in 0..reps {
        let (compared, sequential) = if rep % 2 == 0 {
            let c = compare(&binary, &reports);
            (c, one_after_another(&binary, &specs, &reports))
        } else {
            let s = one_after_another(&binary, &specs, &reports);
            (compare(&binary, &reports), s)
        };
        let (compare_time, progress) = compared;
        let (sum, each) = sequential;
        let ratio = compare_time.as_secs_f64() / sum.as_secs_f64();
        println!(
            "  rep {}: compare {:>6.2} s   one after another {:>6.2} s   ratio {ratio:.2}",
            rep + 1,
            compare_time.as_secs_f64(),
            sum.as_secs_f64()
        );
        rows.push((compare_time.as_secs_f64(), sum.as_secs_f64(), ratio));
        last_each = each;
        last_progress = progress;
    }
    let _ = std::fs::remove_dir_all(&reports);
    println!("\neach implementation alone (last repetition):");
    let mut by_time: Vec<(&ImplementationSpec, &Duration)> =
        specs.iter().zip(last_each.iter()).collect();
    by_time.sort_by(|a, b| b.1.cmp(a.1));
    for (spec, time) in by_time {
        println!("  {:<22} {:>6.2} s", spec.name, time.as_secs_f64());
    }
    println!("\ncompare's own progress (last repetition):\n{last_progress}");
    let compare_median = median(rows.iter().map(|r| r.0).collect());
    let sum_median = median(rows.iter().map(|r| r.1).collect());
    let ratio_median = median(rows.iter().map(|r| r.2).collect());
    println!(
        "\nmedian of {reps}: compare {compare_median:.2} s, one after another {sum_median:.2} s; \
         compare / one after another: median ratio {ratio_median:.2} (the goal: at most 0.70)"
    );
}
