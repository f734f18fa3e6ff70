//! `check`: lint the suite and report every problem at once.

use super::{load, CasesArg, CliError, Outcome};
use messenger_conformance::exit::Exit;
use messenger_conformance::scenario;

pub fn check(cases: &CasesArg) -> Outcome {
    let suite = load(cases)?;
    let gaps = scenario::coverage_gaps(&suite);
    for gap in &gaps {
        eprintln!("coverage: {gap}");
    }
    if !gaps.is_empty() {
        return Err(CliError::new(format!(
            "{} must-level requirement(s) lack an accepting or a rejecting case",
            gaps.len()
        )));
    }
    println!("{} cases of {} checked: ids unique, requirements known, no secret under 32 bytes outside a short-key case, every must-level requirement covered both ways", suite.cases.len(), suite.identity);
    Ok(Exit::Passed)
}
