//! The case loader (`scenario::load_suite`) on any bytes as a case file, beside the real
//! `cases/fixtures.yaml`.
//!
//! A broken case file is a list of errors, never a panic, and each error about the file carries
//! its position (`file:line:column`, line and column from 1) and prints. A suite that loads
//! builds every case at its own `now`, as `load_suite` promises.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use messenger_conformance::scenario::load_suite;

const FIXTURES: &str = include_str!("../../cases/fixtures.yaml");

/// A cases directory of this process: `fixtures.yaml` and the area folder `fuzz/`.
fn cases_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir()
            .join(format!("messenger-conformance-fuzz-{}", std::process::id()))
            .join("cases");
        std::fs::create_dir_all(dir.join("fuzz")).expect("a scratch cases directory");
        std::fs::write(dir.join("fixtures.yaml"), FIXTURES).expect("fixtures.yaml");
        dir
    })
}

pub fn check(data: &[u8]) {
    let dir = cases_dir();
    std::fs::write(dir.join("fuzz/case.yaml"), data).expect("the case file");
    match load_suite(dir) {
        Ok(suite) => {
            for case in &suite.cases {
                case.build(case.now).unwrap_or_else(|error| {
                    panic!(
                        "{} loaded but does not build at its own now: {error}",
                        case.id
                    )
                });
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            let _ = errors.to_string();
            for error in &errors.errors {
                assert_eq!(
                    error.file,
                    Path::new("cases/fuzz/case.yaml"),
                    "an error outside the case file: {error}"
                );
                assert!(
                    error.line > 0 && error.column > 0,
                    "an error without a position: {error}"
                );
                assert!(
                    error.snippet.is_some(),
                    "an error without a snippet: {error}"
                );
            }
        }
    }
}
