//! `check`: lint the suite and report every problem at once.

use std::path::Path;

use super::{load_or_report, EXIT_OK, EXIT_USAGE};
use crate::scenario;

pub fn check(cases: &Path) -> u8 {
    let suite = match load_or_report(cases) {
        Ok(suite) => suite,
        Err(code) => return code,
    };
    let gaps = scenario::coverage_gaps(&suite);
    for gap in &gaps {
        eprintln!("coverage: {gap}");
    }
    if !gaps.is_empty() {
        eprintln!(
            "error: {} must-level requirement(s) lack an accepting or a rejecting case",
            gaps.len()
        );
        return EXIT_USAGE;
    }
    println!("{} cases in {} checked: ids unique, requirements known, every must-level requirement covered both ways", suite.cases.len(), cases.display());
    EXIT_OK
}
