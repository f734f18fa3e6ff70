//! Trust every verdict: a correct implementation that checks the verdict rules in another order
//! than the reference passes every case and every property.
//!
//! CONTRACT.md: "Implementations check in other orders too, so when a request breaks several
//! rules, the code of any rule it breaks conforms: a case therefore breaks exactly one rule, and
//! a generated request is judged against the set of rules it breaks. A request breaks a rule
//! when a verifier that checked that rule first, reading only what the rule needs, would reject
//! it." `tests/adapters/alt_verifier.py` is such an implementation, written from the contract
//! alone in Python's standard library, in four orders: `alg-first` (the header's `alg` before
//! the request's shape, before JWT-enabled and before the payload is decoded; the signature
//! before the payload), `time-first` (`nbf`/`exp` before `user_id` and the claim types, as PyJWT
//! and npm jsonwebtoken do; the user_hash before the JWT-required rule), `keys-first` (the
//! platform's keys before the token is read: no key for the platform rejects every token
//! `jwt_signature_invalid`) and `claims-first` (`user_id` and the claim types before the header,
//! `alg` and the signature). `keys-first` failed `jwt-differential` and `verdict-deterministic`
//! on every seed until `broken_rules` read rule 2.4 on its own: a two-part token on a platform
//! with no key listed breaks 2.2 and 2.4. alg-first and time-first also run `--eager`, their
//! widest readings (alg read from a JWE's first part; the user_hash checked before
//! JWT-required), which failed JWT-FORMAT-027 and IDV-ENF-010 until those cases listed the
//! second rule they break in `also`. Each is run through the exec transport by
//! the real binary, and every record of the report's `events.jsonl` must be a pass: a failure
//! here is either a bug of the Python or a case (or the harness's rule-set judging) that tells a
//! correct implementation it is broken.

use crate::common;

use serde_json::Value;

/// Each implementation: its `--order`, and whether with `--eager` (the widest reading of that
/// order: `alg` read from the first segment whatever follows, the whole user_hash check before
/// JWT-required).
const ORDERS: [(&str, bool); 6] = [
    ("alg-first", false),
    ("time-first", false),
    ("keys-first", false),
    ("claims-first", false),
    ("alg-first", true),
    ("time-first", true),
];
/// Generated requests per property: as many as eight seeds of the tests' usual 64, in one run
/// (a run's start-up, the harness's and Python's, costs as much as a hundred requests).
const PROPERTY_CASES: &str = "512";

/// Runs one order of the alternative implementation over the cases or the properties, and
/// returns the case records of its `events.jsonl`, after checking that the run passed the gate,
/// that the adapter (not the built-in reference) answered and that nothing was skipped.
fn run_order((order, eager): (&str, bool), only: &str) -> Vec<Value> {
    let label = if eager {
        format!("{order}, eager")
    } else {
        order.to_string()
    };
    let dir = common::scratch(&format!("{order}-{eager}-{only}"));
    let report = dir.join("report");
    let mut args = vec!["run", "--only", only, "--jobs", "2", "--seed", "1"];
    if only == "properties" {
        args.extend(["--property-cases", PROPERTY_CASES]);
    }
    let report_text = report.display().to_string();
    let counterexamples = dir.join("counterexamples").display().to_string();
    args.extend([
        "--report",
        &report_text,
        "--counterexamples",
        &counterexamples,
    ]);
    args.extend([
        "--",
        "python3",
        "tests/adapters/alt_verifier.py",
        "--order",
        order,
    ]);
    if eager {
        args.push("--eager");
    }
    let run = common::bin(&args);
    let rerun = run.command_line();
    let output = run.output();
    let events = std::fs::read_to_string(report.join("events.jsonl"))
        .unwrap_or_else(|e| panic!("`{rerun}` wrote no events.jsonl ({e}); {output}"));
    let records: Vec<Value> = events
        .lines()
        .map(|line| serde_json::from_str(line).expect("events.jsonl holds one JSON record a line"))
        .collect();

    let header = records
        .iter()
        .find(|r| r["record"] == "header")
        .expect("events.jsonl has a header record");
    assert_eq!(
        header["implementation"]["version"],
        format!("1 ({label})"),
        "`{rerun}`: the run must have tested the Python adapter in the {label} order, not {}",
        header["implementation"]
    );

    let cases: Vec<Value> = records
        .iter()
        .filter(|r| r["record"] == "case")
        .cloned()
        .collect();
    let not_passing: Vec<String> = cases
        .iter()
        .filter(|c| c["outcome"] != "pass")
        .map(|c| {
            format!(
                "{}::{} {}: expected {}, the {label} implementation answered {}; problems {}",
                c["area"].as_str().unwrap_or("?"),
                c["id"].as_str().unwrap_or("?"),
                c["outcome"],
                c["expected"],
                c["actual"],
                c["problems"]
            )
        })
        .collect();
    assert!(
        not_passing.is_empty(),
        "CONTRACT.md lets an implementation check the rules in any order (\"the code of any rule \
         it breaks conforms\"), so the {label} implementation must pass every {only} record; \
         {} did not. Each is a bug of tests/adapters/alt_verifier.py or a case or judgement \
         that breaks more than one rule. Rerun with `{rerun}` and read the report.\n{}",
        not_passing.len(),
        not_passing.join("\n")
    );
    let footer = records
        .iter()
        .find(|r| r["record"] == "footer")
        .unwrap_or_else(|| panic!("`{rerun}`: events.jsonl has no footer: the run did not finish"));
    assert_eq!(
        (&footer["failed"], &footer["skipped"]),
        (&Value::from(0), &Value::from(0)),
        "`{rerun}`: the footer must count no failure and no skip: {footer}"
    );
    assert_eq!(
        output.code, 0,
        "`{rerun}`: every record passed, so the gate must pass (exit 0), got {output}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    cases
}

#[test]
fn every_case_passes_in_every_other_order() {
    // A run spends most of its time waiting for the Python adapter's answers over a pipe, so the
    // six overlap on two cores.
    let runs = common::in_threads(ORDERS, |order| run_order(order, "cases"));
    for (order, cases) in ORDERS.into_iter().zip(runs) {
        // The whole suite ran, both roles included: not a filtered or empty selection.
        assert!(
            cases.len() > 400,
            "{order:?}: only {} case records; the suite has over 400",
            cases.len()
        );
        for area in [
            "request",
            "jwt",
            "keys",
            "idv",
            "attributes",
            "visitors",
            "signer",
        ] {
            assert!(
                cases.iter().any(|c| c["area"] == area),
                "{order:?}: no case of area {area} ran"
            );
        }
    }
}

#[test]
fn every_property_passes_in_every_other_order_for_512_requests_each() {
    let runs = common::in_threads(ORDERS, |order| run_order(order, "properties"));
    for (order, properties) in ORDERS.into_iter().zip(runs) {
        assert!(
            properties.len() >= 7,
            "{order:?}: {} property records; there are 7 properties",
            properties.len()
        );
    }
}
