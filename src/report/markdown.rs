//! `summary.md`, made for GitHub's job summary (`$GITHUB_STEP_SUMMARY`): the gate and totals
//! line, the critical findings, what the gate found about the baseline, then one table of
//! cases, failures first (critical, major, minor), then skips, then passes (left out with
//! `--failures-only`). GitHub refuses a step summary over 1 MiB, so the text is cut at
//! [`MarkdownOptions::limit_bytes`] with a note saying how many rows were left out.

use std::fmt::Write as _;

use crate::event::CaseEvent;
use crate::judge::{OutcomeClass, Severity};
use crate::report::escape::{clip, md_cell};
use crate::report::gate::GateDecision;
use crate::report::stream::Stream;
use crate::report::terminal::{failures_by_severity, MustTally, Totals};

/// GitHub's limit for one step's summary is 1 MiB; stay clearly below it.
pub(crate) const GITHUB_SUMMARY_LIMIT: usize = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MarkdownOptions {
    /// Leave passing cases out of the table.
    pub failures_only: bool,
    /// The most bytes the text may have.
    pub limit_bytes: usize,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        MarkdownOptions {
            failures_only: false,
            limit_bytes: GITHUB_SUMMARY_LIMIT,
        }
    }
}

pub(crate) fn render(stream: &Stream, gate: &GateDecision, options: &MarkdownOptions) -> String {
    let mut head = String::new();
    let header = &stream.header;
    let _ = writeln!(
        head,
        "## Messenger conformance: {} {}\n",
        md_cell(&header.implementation.name),
        md_cell(&header.implementation.version)
    );
    let totals = Totals::of(&stream.cases);
    let mark = if gate.passed { "✅" } else { "❌" };
    let _ = writeln!(
        head,
        "{mark} **{}** · {} · {} · target `{}` · harness {} · {}{}\n",
        md_cell(&gate.headline()),
        MustTally::of(&stream.cases).short(),
        totals.closing_line(),
        md_cell(&header.target).replace('`', "'"),
        md_cell(&header.harness_version),
        md_cell(&suite_line(header.suite.as_ref())),
        if stream.complete {
            ""
        } else {
            " · **the run was cut short: no footer record**"
        }
    );

    let coverage = gate.coverage_lines();
    if !coverage.is_empty() {
        head.push_str("> [!WARNING]\n> **Not covered by this run.**\n");
        for line in &coverage {
            let _ = writeln!(head, "> - {}", md_cell(line));
        }
        head.push('\n');
    }

    let critical: Vec<&CaseEvent> = failures_by_severity(&stream.cases)
        .into_iter()
        .filter(|c| c.severity == Some(Severity::Critical))
        .collect();
    if !critical.is_empty() {
        let _ = writeln!(
            head,
            "> [!CAUTION]\n> **{} critical finding(s): authentication bypass.**",
            critical.len()
        );
        for case in critical.iter().take(50) {
            let _ = writeln!(
                head,
                "> - `{}` {}: {}",
                md_cell(&case.name()).replace('`', "'"),
                md_cell(&clip(&case.title, 120)),
                md_cell(&clip(&case.first_problem_line(), 200))
            );
        }
        if critical.len() > 50 {
            let _ = writeln!(
                head,
                "> - … and {} more (see the table below)",
                critical.len() - 50
            );
        }
        head.push('\n');
    }

    let baseline_findings =
        !gate.stale.is_empty() || !gate.expired.is_empty() || !gate.unjustified.is_empty();
    if (!gate.new_failures.is_empty() && gate.baseline.is_some()) || baseline_findings {
        let _ = writeln!(
            head,
            "### Baseline ({})\n",
            md_cell(gate.baseline.as_deref().unwrap_or("none"))
        );
        let new_failures = gate.new_failures.iter().take(100).map(|finding| {
            format!(
                "new failure `{}::{}`: {}{}",
                md_cell(&finding.area),
                md_cell(&finding.id),
                md_cell(&finding.reason()),
                finding
                    .note
                    .as_deref()
                    .map(|n| format!(" ({})", md_cell(n)))
                    .unwrap_or_default()
            )
        });
        let stale = gate.stale.iter().take(100).map(|entry| {
            format!(
                "stale entry `{}` ({}): {}",
                md_cell(&entry.id),
                md_cell(&entry.location),
                md_cell(&entry.why)
            )
        });
        let expired = gate.expired.iter().take(100).map(|entry| {
            format!(
                "expired entry `{}` ({}): expired {}",
                md_cell(&entry.id),
                md_cell(&entry.location),
                entry.expires
            )
        });
        let unjustified = gate.unjustified.iter().take(100).map(|entry| {
            format!(
                "critical entry without a reason `{}` ({})",
                md_cell(&entry.id),
                md_cell(&entry.location)
            )
        });
        for line in new_failures.chain(stale).chain(expired).chain(unjustified) {
            let _ = writeln!(head, "- {line}");
        }
        head.push('\n');
    }

    let mut rows: Vec<&CaseEvent> = failures_by_severity(&stream.cases);
    // Skips hello did not declare fail the gate: they lead the skips.
    let skipped = || {
        stream
            .cases
            .iter()
            .filter(|c| c.outcome == OutcomeClass::Skipped)
    };
    rows.extend(skipped().filter(|c| c.undeclared_skip()));
    rows.extend(skipped().filter(|c| !c.undeclared_skip()));
    if !options.failures_only {
        rows.extend(
            stream
                .cases
                .iter()
                .filter(|c| c.outcome == OutcomeClass::Pass),
        );
    }
    let title = if options.failures_only {
        "Failures and skips"
    } else {
        "Cases"
    };
    let _ = writeln!(head, "### {title}\n");
    if rows.is_empty() {
        let _ = writeln!(head, "No failures.");
        return head;
    }
    head.push_str("| Result | Severity | Level | Case | Title | Details |\n| --- | --- | --- | --- | --- | --- |\n");

    let mut out = head;
    // Leave room for the note that says what was cut.
    let reserve = 300;
    for (index, case) in rows.iter().enumerate() {
        let row = row(case);
        if out.len() + row.len() + reserve > options.limit_bytes {
            let _ = write!(
                out,
                "\n_{} more row(s) left out to keep this summary under GitHub's 1 MiB limit: see `report.html` or `events.jsonl` for every case._\n",
                rows.len() - index
            );
            return out;
        }
        out.push_str(&row);
    }
    out
}

fn row(case: &CaseEvent) -> String {
    let result = match case.outcome {
        OutcomeClass::Pass => "✅ pass".to_string(),
        OutcomeClass::Skipped if case.undeclared_skip() => "⛔ skipped, not declared".to_string(),
        OutcomeClass::Skipped => "⏭️ skipped".to_string(),
        class => format!("❌ {}", class.as_str()),
    };
    let details = match case.outcome {
        OutcomeClass::Pass => String::new(),
        _ => md_cell(&clip(&case.first_problem_line(), 300)),
    };
    // A failure's note says why the case expects what it expects.
    let details = match case.note.as_deref().map(str::trim) {
        Some(note) if case.failed() && !note.is_empty() => {
            format!("{details}<br>note: {}", md_cell(&clip(note, 300)))
        }
        _ => details,
    };
    format!(
        "| {result} | {} | {} | `{}` | {} | {details} |\n",
        case.severity.map_or("", |s| s.as_str()),
        case.level_label(),
        md_cell(&case.name()).replace('`', "'"),
        md_cell(&clip(&case.title, 160)),
    )
}

/// The suite a run used, as one line: `suite 0.1.0 (sha256:0123456789ab, 95 cases, embedded)`.
pub(crate) fn suite_line(suite: Option<&crate::suite::SuiteIdentity>) -> String {
    suite.map_or_else(
        || "suite not recorded (a run of an older harness)".to_string(),
        ToString::to_string,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{case, gate, header, undeclared};

    fn stream(count: usize) -> Stream {
        let mut cases = vec![
            case("F-1", "jwt", OutcomeClass::WrongErrorCode),
            case("F-2", "jwt", OutcomeClass::WrongVerdict),
        ];
        cases[1].title = "a | pipe <script>alert(1)</script>\nnewline".into();
        cases.extend((0..count).map(|i| case(&format!("P-{i}"), "idv", OutcomeClass::Pass)));
        cases.push(case("S-1", "sign", OutcomeClass::Skipped));
        Stream::new(header(), cases, 1.0)
    }

    #[test]
    fn criticals_lead_and_cells_are_escaped() {
        let s = stream(2);
        let md = render(&s, &gate(&s), &MarkdownOptions::default());
        let caution = md.find("[!CAUTION]").unwrap();
        let table = md.find("| Result |").unwrap();
        assert!(caution < table);
        assert!(
            md.contains(
                // `(` and `)` are escaped: GitHub shows them as they are, and no link forms.
                "❌ **gate: FAILED: 2 failures \\(1 critical\\)** · 2/5 must, 1 skipped · 2 passed, 2 failed, 1 skipped"
            ),
            "{md}"
        );
        assert!(
            md.find("`jwt::F-2`").unwrap() < md.find("`jwt::F-1`").unwrap(),
            "critical rows first"
        );
        assert!(!md.contains("<script>"));
        assert!(md.contains("a \\| pipe &lt;script&gt;"));
        assert!(
            md.find("sign::S-1").unwrap() < md.find("idv::P-0").unwrap(),
            "skips before passes"
        );
    }

    #[test]
    fn failures_only_leaves_out_passing_rows() {
        let s = stream(3);
        let md = render(
            &s,
            &gate(&s),
            &MarkdownOptions {
                failures_only: true,
                ..MarkdownOptions::default()
            },
        );
        assert!(!md.contains("idv::P-0"));
        assert!(md.contains("sign::S-1"));
        assert!(md.contains("### Failures and skips"));
    }

    #[test]
    fn stays_under_the_limit_with_a_note() {
        let s = stream(5000);
        let limit = 20_000;
        let md = render(
            &s,
            &gate(&s),
            &MarkdownOptions {
                failures_only: false,
                limit_bytes: limit,
            },
        );
        assert!(md.len() <= limit, "{} bytes", md.len());
        assert!(md.contains("more row(s) left out to keep this summary under GitHub's 1 MiB limit"));
        let full = render(&s, &gate(&s), &MarkdownOptions::default());
        assert!(full.len() < GITHUB_SUMMARY_LIMIT && !full.contains("left out"));
    }

    #[test]
    fn a_failure_s_row_carries_its_case_s_note() {
        let mut failed = case("N-1", "keys", OutcomeClass::WrongErrorCode);
        failed.note = Some("a verifier may | reject it".into());
        let mut passed = case("N-2", "keys", OutcomeClass::Pass);
        passed.note = Some("never shown".into());
        let s = Stream::new(header(), vec![failed, passed], 1.0);
        let md = render(&s, &gate(&s), &MarkdownOptions::default());
        assert!(
            md.contains("<br>note: a verifier may \\| reject it |"),
            "{md}"
        );
        assert!(!md.contains("never shown"), "{md}");
    }

    #[test]
    fn says_so_when_all_pass() {
        let s = Stream::new(header(), vec![case("P-1", "jwt", OutcomeClass::Pass)], 1.0);
        let md = render(
            &s,
            &gate(&s),
            &MarkdownOptions {
                failures_only: true,
                ..MarkdownOptions::default()
            },
        );
        assert!(md.contains("✅ **gate: passed**"), "{md}");
        assert!(md.ends_with("No failures.\n"));
    }

    #[test]
    fn a_skip_hello_did_not_declare_is_counted_marked_and_leads_the_skips() {
        let mut s = stream(1);
        s.cases.push(undeclared("U-1", "jwt"));
        let gate = gate(&s);
        let md = render(&s, &gate, &MarkdownOptions::default());
        assert!(
            md.contains("❌ **gate: FAILED: 2 failures \\(1 critical\\), 1 case skipped for a reason hello did not declare** · 1/5 must, 2 skipped · 1 passed, 2 failed, 2 skipped (1 not declared in hello)"),
            "{md}"
        );
        assert!(md.contains("| ⛔ skipped, not declared |"), "{md}");
        assert!(
            md.find("jwt::U-1").unwrap() < md.find("sign::S-1").unwrap(),
            "the skip that fails the gate before the declared one"
        );
        assert!(
            md.contains("skipped for a reason hello did not declare \\(answered 'unsupported'"),
            "the coverage note says why: {md}"
        );
    }
}
