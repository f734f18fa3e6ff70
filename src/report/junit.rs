//! `junit.xml`: one `testsuite` per area, one `testcase` per case named `area::id` with
//! classname `area`. A failure carries the first problem as its message and the rendered
//! failure plus the transcript as its body; a skip carries its reason. Suites are in order of
//! first appearance; within a suite, failures come first, critical before major before minor
//! (CI viewers show the top of the list), then the other cases in run order.

use std::fmt::Write as _;

use crate::event::CaseEvent;
use crate::judge::{OutcomeClass, Severity};
use crate::report::escape::xml_escape as esc;
use crate::report::gate::GateDecision;
use crate::report::stream::Stream;
use crate::report::terminal::{render_failure, Totals};

pub(crate) fn render(stream: &Stream, gate: &GateDecision) -> String {
    let mut areas: Vec<(&str, Vec<&CaseEvent>)> = Vec::new();
    for case in &stream.cases {
        match areas.iter_mut().find(|(area, _)| *area == case.area) {
            Some((_, cases)) => cases.push(case),
            None => areas.push((&case.area, vec![case])),
        }
    }
    let totals = Totals::of(&stream.cases);
    let coverage = coverage_cases(gate);
    let coverage_failed = coverage.iter().filter(|(failed, _)| *failed).count();
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"messenger-conformance\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\">",
        stream.cases.len() + coverage.len(),
        totals.failed + coverage_failed,
        totals.skipped + coverage.len() - coverage_failed,
        seconds(stream.footer.duration_ms)
    );
    for (index, (area, mut cases)) in areas.into_iter().enumerate() {
        cases.sort_by_key(|c| {
            if c.failed() {
                c.severity.unwrap_or(Severity::Minor) as u8
            } else {
                u8::MAX
            }
        });
        let totals = Totals::of(cases.iter().copied());
        let time: f64 = cases.iter().map(|c| c.duration_ms).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\">",
            esc(area),
            cases.len(),
            totals.failed,
            totals.skipped,
            seconds(time)
        );
        if index == 0 {
            let _ = writeln!(out, "    <properties>");
            property(
                &mut out,
                "implementation",
                &format!(
                    "{} {}",
                    stream.header.implementation.name, stream.header.implementation.version
                ),
            );
            property(&mut out, "target", &stream.header.target);
            property(&mut out, "harness_version", &stream.header.harness_version);
            if let Some(suite) = &stream.header.suite {
                property(&mut out, "suite_version", suite.version_label());
                property(&mut out, "suite_digest", &suite.digest);
                property(&mut out, "suite_cases", &suite.cases.to_string());
                property(&mut out, "suite_source", &suite.source);
                for extra in &suite.extra {
                    property(
                        &mut out,
                        "suite_extra",
                        &format!("{} ({} cases, {})", extra.dir, extra.cases, extra.digest),
                    );
                }
            }
            let _ = writeln!(out, "    </properties>");
        }
        for case in cases {
            render_case(&mut out, case);
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    if !coverage.is_empty() {
        let _ = writeln!(
            out,
            "  <testsuite name=\"coverage\" tests=\"{}\" failures=\"{coverage_failed}\" errors=\"0\" skipped=\"{}\" time=\"0.000\">",
            coverage.len(),
            coverage.len() - coverage_failed
        );
        for (index, (failed, line)) in coverage.iter().enumerate() {
            let tag = if *failed { "failure" } else { "skipped" };
            let _ = writeln!(
                out,
                "    <testcase classname=\"coverage\" name=\"coverage::{}\" time=\"0.000\"><{tag} message=\"{}\"/></testcase>",
                index + 1,
                esc(line)
            );
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

/// What the run did not test, as test cases: a failure when it fails the gate (nothing tested,
/// skipped `must` cases under `--fail-on-skipped-must`), else a skip.
fn coverage_cases(gate: &GateDecision) -> Vec<(bool, String)> {
    gate.coverage()
        .into_iter()
        .map(|note| (note.fails_gate, note.text))
        .collect()
}

fn property(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(
        out,
        "      <property name=\"{}\" value=\"{}\"/>",
        esc(name),
        esc(value)
    );
}

fn render_case(out: &mut String, case: &CaseEvent) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
        esc(&case.name()),
        esc(&case.area),
        seconds(case.duration_ms)
    );
    if case.failed() {
        let severity = case.severity.map_or("", |s| s.as_str());
        let _ = writeln!(
            out,
            ">\n      <failure message=\"{}\" type=\"{}\">{}\n{}</failure>",
            esc(&format!("[{severity}] {}", case.first_problem_line())),
            esc(case.outcome.as_str()),
            esc(&render_failure(case)),
            esc(&case.transcript_text())
        );
        if !case.stderr.trim().is_empty() {
            let _ = writeln!(out, "      <system-err>{}</system-err>", esc(&case.stderr));
        }
        let _ = writeln!(out, "    </testcase>");
    } else if case.outcome == OutcomeClass::Skipped {
        match &case.skip_reason {
            Some(reason) => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    esc(reason)
                );
            }
            None => {
                let _ = writeln!(out, ">\n      <skipped/>\n    </testcase>");
            }
        }
    } else {
        let _ = writeln!(out, "/>");
    }
}

fn seconds(ms: f64) -> String {
    format!("{:.3}", ms.max(0.0) / 1000.0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::fixtures::{case, header};

    /// Well-formedness as a strict XML parser (roxmltree) judges it, after the declaration;
    /// the number of elements.
    pub(crate) fn check_well_formed(xml: &str) -> Result<usize, String> {
        if !xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") {
            return Err("no XML declaration".into());
        }
        let document = roxmltree::Document::parse(xml).map_err(|error| error.to_string())?;
        Ok(document
            .descendants()
            .filter(|node| node.is_element())
            .count())
    }

    fn stream() -> Stream {
        let mut hostile = case("J-2", "jwt", OutcomeClass::WrongVerdict);
        hostile.title = "quotes \" ' & <tags> ]]> \u{1b}[31m".into();
        hostile.message = Some("<script>alert(1)</script>".into());
        hostile.problems[0].actual = "accepted \"<b>\" & \u{0}".into();
        hostile.stderr = "warn: <x>".into();
        Stream::new(
            header(),
            vec![
                case("J-1", "jwt", OutcomeClass::Pass),
                hostile,
                case("I-1", "idv", OutcomeClass::Skipped),
                case("I-2", "idv", OutcomeClass::WrongErrorCode),
            ],
            2500.0,
        )
    }

    fn render(stream: &Stream) -> String {
        let gate = crate::report::gate::decide(
            &stream.cases,
            None,
            &crate::report::gate::GateOptions::new(false, true),
        );
        super::render(stream, &gate)
    }

    #[test]
    fn a_run_that_tested_nothing_says_so_as_a_failing_coverage_case() {
        let stream = Stream::new(
            header(),
            vec![case("I-1", "idv", OutcomeClass::Skipped)],
            1.0,
        );
        let xml = render(&stream);
        check_well_formed(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        assert!(xml.contains("<testsuite name=\"coverage\""), "{xml}");
        assert!(
            xml.contains("<failure message=\"nothing was tested"),
            "{xml}"
        );
    }

    #[test]
    fn is_well_formed_and_escaped() {
        let xml = render(&stream());
        let elements = check_well_formed(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        assert!(elements > 10);
        assert!(!xml.contains("<script>"));
        assert!(xml.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!xml.contains('\u{0}'));
    }

    #[test]
    fn one_suite_per_area_and_one_case_per_case() {
        let xml = render(&stream());
        assert_eq!(xml.matches("<testsuite ").count(), 2);
        assert!(xml.contains("<testsuites name=\"messenger-conformance\" tests=\"4\" failures=\"2\" errors=\"0\" skipped=\"1\" time=\"2.500\">"));
        assert!(xml.contains(
            "<testsuite name=\"jwt\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""
        ));
        assert!(xml.contains("<testcase name=\"jwt::J-1\" classname=\"jwt\" time=\"0.002\"/>"));
        assert!(xml.contains("<failure message=\"[critical] outcome: expected rejected (jwt_algorithm_not_allowed), got accepted &quot;&lt;b&gt;&quot; &amp; \u{FFFD}\" type=\"wrong_verdict\">"), "{xml}");
        assert!(xml
            .contains("<skipped message=\"the implementation does not offer the signer role\"/>"));
        assert!(
            xml.contains("step 1: request"),
            "the transcript is in the failure body"
        );
        // Within a suite, failures lead.
        let idv = &xml[xml.find("name=\"idv\"").unwrap()..];
        assert!(idv.find("idv::I-2").unwrap() < idv.find("idv::I-1").unwrap());
    }

    #[test]
    fn the_checker_catches_broken_xml() {
        assert!(
            check_well_formed("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a><b></a></b>")
                .is_err()
        );
        assert!(
            check_well_formed("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>x & y</a>").is_err()
        );
        assert!(
            check_well_formed("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a x=\"<\"/>").is_err()
        );
        assert!(check_well_formed("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>").is_err());
        assert_eq!(
            check_well_formed("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a x=\"1\"><b/>t</a>\n"),
            Ok(2)
        );
    }

    #[test]
    fn a_skip_hello_did_not_declare_is_a_counted_skip_and_a_failing_coverage_case() {
        let stream = Stream::new(
            header(),
            vec![
                case("J-1", "jwt", OutcomeClass::Pass),
                crate::report::fixtures::undeclared("J-2", "jwt"),
            ],
            1.0,
        );
        let xml = render(&stream);
        check_well_formed(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        assert!(
            xml.contains(
                "<testsuite name=\"jwt\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"1\""
            ),
            "{xml}"
        );
        assert!(
            xml.contains("<skipped message=\"answered `unsupported` (&quot;later&quot;), but hello declared no lack of what this request needs"),
            "{xml}"
        );
        assert!(
            xml.contains("<failure message=\"1 case skipped for a reason hello did not declare"),
            "the gate fails, so JUnit has a failure: {xml}"
        );
        assert!(xml.contains("failures=\"1\""), "{xml}");
    }
}
