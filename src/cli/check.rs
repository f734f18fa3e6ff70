//! `check`: lint the suite and report every problem at once.

use super::{load, outln, CasesArg, CliError, CommandResult};
use messenger_conformance::exit::Exit;
use messenger_conformance::scenario;

pub fn check(cases: &CasesArg) -> CommandResult {
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
    let several = scenario::several_rules(&suite);
    for (case, problem) in &several {
        eprintln!("{}: {}: {problem}", case.location(), case.id);
    }
    if !several.is_empty() {
        return Err(CliError::new(format!(
            "{} case step(s) break a rule whose code they do not list: a case breaks exactly one rule (list a code it cannot help breaking in `also:`)",
            several.len()
        )));
    }
    outln!("{} cases of {} checked: ids unique, requirements known, no secret under 32 bytes outside a short-key case, every must-level requirement covered both ways, every request breaks only the rules its case lists", suite.cases.len(), suite.identity)?;
    Ok(Exit::Passed)
}
