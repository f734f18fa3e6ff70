//! Two comparisons (a library upgrade, say), cell by cell: each case × implementation whose
//! answer or outcome changed, appeared or went away.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Comparison;

/// One cell: what an implementation answered to a case, and how it was judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub answer: String,
    pub outcome: String,
}

/// A cell that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellChange {
    pub case: String,
    pub implementation: String,
    pub old: Option<Cell>,
    pub new: Option<Cell>,
}

impl CellChange {
    /// It passed before (or was not there) and fails now.
    pub fn is_regression(&self) -> bool {
        let fails = |c: &Option<Cell>| {
            c.as_ref()
                .is_some_and(|c| !matches!(c.outcome.as_str(), "pass" | "skipped" | "not_run"))
        };
        fails(&self.new) && !fails(&self.old)
    }
}

fn cells(comparison: &Comparison) -> BTreeMap<(String, String), Cell> {
    let mut cells = BTreeMap::new();
    for case in &comparison.cases {
        // A case an implementation's run did not hold is no cell of it.
        for group in case.groups.iter().filter(|g| g.answer != super::NOT_IN_RUN) {
            for member in &group.members {
                cells.insert(
                    (case.id.clone(), member.name.clone()),
                    Cell {
                        answer: group.answer.clone(),
                        outcome: member.outcome.clone(),
                    },
                );
            }
        }
    }
    cells
}

/// Every cell that differs between `old` and `new`, regressions first, then by case.
pub fn diff(old: &Comparison, new: &Comparison) -> Vec<CellChange> {
    let old = cells(old);
    let new = cells(new);
    let mut keys: Vec<&(String, String)> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut changes: Vec<CellChange> = keys
        .into_iter()
        .filter_map(|key| {
            let (a, b) = (old.get(key), new.get(key));
            (a != b).then(|| CellChange {
                case: key.0.clone(),
                implementation: key.1.clone(),
                old: a.cloned(),
                new: b.cloned(),
            })
        })
        .collect();
    changes.sort_by_key(|c| !c.is_regression());
    changes
}

/// The changes as text, one line each.
pub fn render(changes: &[CellChange]) -> String {
    let show = |cell: &Option<Cell>| {
        cell.as_ref().map_or_else(
            || "(absent)".to_string(),
            |c| format!("{} [{}]", c.answer, c.outcome),
        )
    };
    let mut out = String::new();
    for change in changes {
        let _ = writeln!(
            out,
            "{} {} × {}: {} -> {}",
            if change.is_regression() {
                "worse  "
            } else {
                "changed"
            },
            change.case,
            change.implementation,
            show(&change.old),
            show(&change.new)
        );
    }
    let regressions = changes.iter().filter(|c| c.is_regression()).count();
    let _ = writeln!(
        out,
        "{} cells changed, {regressions} of them now failing",
        changes.len()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::tests::{accepted_event, rejected_event, run_of};

    #[test]
    fn lists_the_cells_that_changed_regressions_first() {
        let old = Comparison::build(&[
            run_of("a", vec![rejected_event("A-1"), rejected_event("A-2")]),
            run_of("b", vec![rejected_event("A-1"), rejected_event("A-2")]),
        ]);
        let new = Comparison::build(&[
            run_of("a", vec![rejected_event("A-1"), rejected_event("A-2")]),
            run_of("b", vec![accepted_event("A-1")]),
            run_of("c", vec![rejected_event("A-1")]),
        ]);
        let changes = diff(&old, &new);
        let names: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| (c.case.as_str(), c.implementation.as_str()))
            .collect();
        assert_eq!(names, [("A-1", "b"), ("A-1", "c"), ("A-2", "b")]);
        assert!(changes[0].is_regression());
        assert_eq!(changes[0].new.as_ref().unwrap().outcome, "wrong_verdict");
        assert!(changes[2].new.is_none(), "A-2 is gone from b");
        assert!(render(&changes).contains("3 cells changed, 1 of them now failing"));
        assert!(diff(&old, &old).is_empty());
    }
}
