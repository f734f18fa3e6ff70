//! `summary.json` (totals by outcome, severity, level and area, the critical findings and the
//! gate decision) and `badge.json` (a shields.io endpoint badge).

use indexmap::IndexMap;
use serde_json::{json, Value};

use crate::event::CaseEvent;
use crate::judge::{OutcomeClass, Severity};
use crate::report::gate::GateDecision;
use crate::report::stream::Stream;
use crate::report::terminal::{MustTally, Totals};
use crate::spec::Level;

const CLASSES: [OutcomeClass; 7] = [
    OutcomeClass::Pass,
    OutcomeClass::WrongVerdict,
    OutcomeClass::WrongErrorCode,
    OutcomeClass::WrongDetail,
    OutcomeClass::AdapterError,
    OutcomeClass::Timeout,
    OutcomeClass::Skipped,
];

fn totals_json(totals: Totals) -> Value {
    json!({"passed": totals.passed, "failed": totals.failed, "skipped": totals.skipped})
}

/// The `summary.json` value.
pub(crate) fn summary(stream: &Stream, gate: &GateDecision) -> Value {
    let cases = &stream.cases;
    let totals = Totals::of(cases);
    let mut by_outcome = IndexMap::new();
    for class in CLASSES {
        by_outcome.insert(
            class.as_str(),
            cases.iter().filter(|c| c.outcome == class).count(),
        );
    }
    let mut by_severity = IndexMap::new();
    for severity in [Severity::Critical, Severity::Major, Severity::Minor] {
        by_severity.insert(
            severity.as_str(),
            cases
                .iter()
                .filter(|c| c.failed() && c.severity == Some(severity))
                .count(),
        );
    }
    let mut by_level = IndexMap::new();
    for level in [Level::Must, Level::Should, Level::May] {
        by_level.insert(
            level.as_str(),
            totals_json(Totals::of(cases.iter().filter(|c| c.level == level))),
        );
    }
    let mut by_area: IndexMap<&str, Vec<&CaseEvent>> = IndexMap::new();
    for case in cases {
        by_area.entry(case.area.as_str()).or_default().push(case);
    }
    let by_area: IndexMap<&str, Value> = by_area
        .into_iter()
        .map(|(area, cases)| (area, totals_json(Totals::of(cases))))
        .collect();
    let critical: Vec<String> = cases
        .iter()
        .filter(|c| c.failed() && c.severity == Some(Severity::Critical))
        .map(CaseEvent::name)
        .collect();
    json!({
        "harness_version": stream.header.harness_version,
        "suite": stream.header.suite,
        "target": stream.header.target,
        "implementation": stream.header.implementation,
        "lacks": stream.header.lacks,
        "started_at": stream.header.started_at,
        "complete": stream.complete,
        "totals": {
            "cases": cases.len(),
            "passed": totals.passed,
            "failed": totals.failed,
            "skipped": totals.skipped,
            "skipped_undeclared": cases.iter().filter(|c| c.undeclared_skip()).count(),
            "duration_ms": stream.footer.duration_ms,
        },
        "by_outcome": by_outcome,
        "by_severity": by_severity,
        "by_level": by_level,
        "by_area": by_area,
        "critical": critical,
        "gate": gate,
    })
}

pub(crate) fn render_summary(stream: &Stream, gate: &GateDecision) -> String {
    let mut text = serde_json::to_string_pretty(&summary(stream, gate)).unwrap_or_default();
    text.push('\n');
    text
}

/// The badge: `passed/all must`, and `, N skipped` when any `must` case or property was skipped
/// (for whatever reason: a skip is never a pass). Red when the gate fails, any critical failure
/// is present, or a `must` case was skipped for a reason `hello` did not declare; yellow when it
/// passes with failures (baselined, or should/may level); bright green otherwise, declared skips
/// (a role not offered, a declared lack) included, which the message counts.
pub(crate) fn badge(stream: &Stream, gate: &GateDecision) -> Value {
    let must = MustTally::of(&stream.cases);
    let any_failure = stream.cases.iter().any(|c| c.failed());
    let critical = stream
        .cases
        .iter()
        .any(|c| c.failed() && c.severity == Some(Severity::Critical));
    let color = if !gate.passed || critical || must.undeclared > 0 {
        "red"
    } else if any_failure {
        "yellow"
    } else {
        "brightgreen"
    };
    json!({
        "schemaVersion": 1,
        "label": "conformance",
        "message": must.short(),
        "color": color,
    })
}

pub(crate) fn render_badge(stream: &Stream, gate: &GateDecision) -> String {
    let mut text = serde_json::to_string_pretty(&badge(stream, gate)).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{case, gate, header, undeclared};

    #[test]
    fn summary_counts_every_way() {
        let mut should = case("S-1", "idv", OutcomeClass::WrongErrorCode);
        should.level = Level::Should;
        let stream = Stream::new(
            header(),
            vec![
                case("A-1", "jwt", OutcomeClass::Pass),
                case("A-2", "jwt", OutcomeClass::WrongVerdict),
                case("A-3", "idv", OutcomeClass::Skipped),
                should,
            ],
            10.0,
        );
        let value = summary(&stream, &gate(&stream));
        assert_eq!(
            value["totals"],
            json!({"cases": 4, "passed": 1, "failed": 2, "skipped": 1, "skipped_undeclared": 0, "duration_ms": 10.0})
        );
        assert_eq!(value["by_outcome"]["wrong_verdict"], 1);
        assert_eq!(value["by_outcome"]["timeout"], 0);
        assert_eq!(
            value["by_severity"],
            json!({"critical": 1, "major": 0, "minor": 1})
        );
        assert_eq!(
            value["by_level"]["should"],
            json!({"passed": 0, "failed": 1, "skipped": 0})
        );
        assert_eq!(
            value["by_area"]["jwt"],
            json!({"passed": 1, "failed": 1, "skipped": 0})
        );
        assert_eq!(value["critical"], json!(["jwt::A-2"]));
        assert_eq!(value["gate"]["passed"], false);
        assert_eq!(value["gate"]["new_failures"][0]["id"], "A-2");
        assert_eq!(value["gate"]["ignored_failures"][0]["id"], "S-1");
    }

    #[test]
    fn badge_colours() {
        let passing = Stream::new(
            header(),
            vec![
                case("A-1", "jwt", OutcomeClass::Pass),
                case("A-2", "jwt", OutcomeClass::Skipped),
            ],
            0.0,
        );
        assert_eq!(
            badge(&passing, &gate(&passing)),
            json!({"schemaVersion": 1, "label": "conformance", "message": "1/2 must, 1 skipped", "color": "brightgreen"}),
            "a declared skip is counted, and leaves the badge green"
        );
        let dodged = Stream::new(
            header(),
            vec![
                case("A-1", "jwt", OutcomeClass::Pass),
                undeclared("A-2", "jwt"),
            ],
            0.0,
        );
        assert_eq!(
            badge(&dodged, &gate(&dodged)),
            json!({"schemaVersion": 1, "label": "conformance", "message": "1/2 must, 1 skipped", "color": "red"})
        );
        let mut excused = gate(&dodged);
        excused.passed = true;
        assert_eq!(
            badge(&dodged, &excused)["color"],
            "red",
            "a must case skipped for a reason hello did not declare is never less than red"
        );
        assert_eq!(
            summary(&dodged, &gate(&dodged))["totals"]["skipped_undeclared"],
            1
        );
        let failing = Stream::new(
            header(),
            vec![
                case("A-1", "jwt", OutcomeClass::Pass),
                case("A-2", "jwt", OutcomeClass::WrongDetail),
            ],
            0.0,
        );
        assert_eq!(badge(&failing, &gate(&failing))["color"], "red");
        assert_eq!(badge(&failing, &gate(&failing))["message"], "1/2 must");
        let mut excused = gate(&failing);
        excused.passed = true;
        assert_eq!(badge(&failing, &excused)["color"], "yellow");
        let critical = Stream::new(
            header(),
            vec![case("A-2", "jwt", OutcomeClass::WrongVerdict)],
            0.0,
        );
        let mut excused = gate(&critical);
        excused.passed = true;
        assert_eq!(
            badge(&critical, &excused)["color"],
            "red",
            "a critical failure is never less than red"
        );
    }
}
