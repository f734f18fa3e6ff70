//! What a case costs on each transport, against the floor of the exec transport: an echo adapter
//! that only does the JSON round trip over the same pipes.
//!
//!     cargo bench -p messenger-conformance-benches
//!
//! (a package of its own, `benches/`, so that `cargo test` of the harness never builds
//! criterion; it builds the `messenger-conformance` binary in release mode first).
//!
//! Every iteration is one `Adapter::call` with the first message of the next case of the real
//! suite (`cases/`), so the mix of message sizes is the suite's. The targets:
//!
//! - `builtin`: the reference in process (no transport at all);
//! - `exec-echo`: this bench binary re-run as an adapter that answers every request with a fixed
//!   answer echoing the id (JSON parse and print only): the floor of the exec transport;
//! - `exec-serve`: `messenger-conformance serve --stdio`, the reference behind the exec transport;
//! - `http-serve`: `messenger-conformance serve --http`, the reference behind the http transport.
//!
//! After criterion's report it prints each target's mean per call and the ratio of
//! `exec-serve` to the floor.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use messenger_conformance::adapter::builtin::BuiltinFactory;
use messenger_conformance::adapter::exec::ExecFactory;
use messenger_conformance::adapter::http::HttpFactory;
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::contract::ToAdapter;
use messenger_conformance_benches::harness_binary;
use serde_json::json;

/// Set in the environment of the copy of this binary that plays the echo adapter.
const ECHO_ENV: &str = "MESSENGER_CONFORMANCE_BENCH_ECHO";

/// Total time and calls per target, summed over every criterion sample.
static TOTALS: Mutex<BTreeMap<&'static str, (Duration, u64)>> = Mutex::new(BTreeMap::new());

fn messages() -> Vec<ToAdapter> {
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases");
    let suite = messenger_conformance::scenario::load_suite(&cases)
        .unwrap_or_else(|errors| panic!("{errors}"));
    let messages: Vec<ToAdapter> = suite
        .cases
        .iter()
        .filter_map(|case| case.build(case.now).ok())
        .filter_map(|steps| steps.into_iter().next())
        .map(|step| step.message)
        .collect();
    assert!(!messages.is_empty(), "no case could be built");
    messages
}

fn bench_target(
    c: &mut Criterion,
    name: &'static str,
    factory: &dyn AdapterFactory,
    messages: &[ToAdapter],
) {
    let mut adapter = factory
        .start()
        .unwrap_or_else(|error| panic!("{name}: {error}"));
    let mut next = 0usize;
    c.bench_function(name, |b| {
        b.iter_custom(|iterations| {
            let started = Instant::now();
            for _ in 0..iterations {
                let message = &messages[next % messages.len()];
                next += 1;
                if let Err(error) = adapter.call(message) {
                    panic!("{name}: {error}");
                }
            }
            let elapsed = started.elapsed();
            let mut totals = TOTALS.lock().unwrap_or_else(|p| p.into_inner());
            let entry = totals.entry(name).or_default();
            entry.0 += elapsed;
            entry.1 += iterations;
            elapsed
        })
    });
    adapter.shutdown();
}

/// `serve --http 127.0.0.1:0`, stopped on drop.
struct HttpServe {
    child: Child,
    url: String,
}

impl HttpServe {
    fn start(binary: &str) -> HttpServe {
        let mut child = Command::new(binary)
            .args(["serve", "--http", "127.0.0.1:0", "--threads", "1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve --http starts");
        let mut first = String::new();
        let stderr = child.stderr.take().expect("stderr");
        std::io::BufReader::new(stderr)
            .read_line(&mut first)
            .expect("serve prints its address");
        let url = first.trim().trim_start_matches("listening on ").to_string();
        HttpServe { child, url }
    }
}

impl Drop for HttpServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn transports(c: &mut Criterion) {
    let binary = harness_binary();
    let messages = messages();
    let timeout = Duration::from_secs(5);
    let me = std::env::current_exe()
        .expect("the bench binary's path")
        .display()
        .to_string();
    // Re-run this binary as the echo adapter (see `main`), via `env` to set its variable.
    let echo = ExecFactory::new(vec!["env".into(), format!("{ECHO_ENV}=1"), me], timeout);
    let serve = ExecFactory::new(
        vec![binary.clone(), "serve".into(), "--stdio".into()],
        timeout,
    );
    bench_target(c, "builtin", &BuiltinFactory::reference(), &messages);
    bench_target(c, "exec-echo", &echo, &messages);
    bench_target(c, "exec-serve", &serve, &messages);
    let server = HttpServe::start(&binary);
    bench_target(
        c,
        "http-serve",
        &HttpFactory::new(server.url.clone(), timeout),
        &messages,
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = transports
}

/// The part of a request the floor reads: serde scans the rest of the line without keeping it.
#[derive(serde::Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: Option<String>,
}

/// The floor: read each line, scan it as JSON, print a fixed answer that echoes the id.
fn echo_adapter() {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    let hello = json!({"type": "hello", "protocol": 1,
        "implementation": {"name": "echo", "version": "0"},
        "roles": ["verifier", "signer"], "clock": "injected"})
    .to_string();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { return };
        let Ok(head) = serde_json::from_str::<Head>(&line) else {
            continue;
        };
        let id = serde_json::to_string(&head.id.unwrap_or_default()).unwrap_or_default();
        let answer = match head.kind.as_str() {
            "hello" => hello.clone(),
            "verify" => format!(
                r#"{{"type":"verdict","id":{id},"outcome":"accepted","verified":false,"identity":null,"error":null,"attributes":{{"applied":{{}},"dropped":{{}}}},"message":"echo"}}"#
            ),
            "sign" => format!(r#"{{"type":"signed","id":{id},"user_hash":"00","jwt":null}}"#),
            _ => return,
        };
        let mut encoded = answer;
        encoded.push('\n');
        if stdout
            .write_all(encoded.as_bytes())
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return;
        }
    }
}

fn main() {
    if std::env::var_os(ECHO_ENV).is_some() {
        echo_adapter();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    let totals = TOTALS.lock().unwrap_or_else(|p| p.into_inner());
    let mean = |name: &str| {
        totals
            .get(name)
            .filter(|(_, n)| *n > 0)
            .map(|(d, n)| d.as_secs_f64() * 1e6 / *n as f64)
    };
    println!("\nmean per call over every sample:");
    for name in totals.keys() {
        if let Some(us) = mean(name) {
            println!("  {name:<11} {us:>9.1} µs");
        }
    }
    if let (Some(serve), Some(floor)) = (mean("exec-serve"), mean("exec-echo")) {
        println!(
            "exec-serve / exec-echo (the transport's floor): {:.2}x",
            serve / floor
        );
    }
}
