//! `report.html`: one self-contained page (inline CSS and JS, no network, works from
//! `file://`): the gate, the critical findings, totals, a coverage matrix by requirement, and
//! the table of cases with filters. Each case row opens its failure and transcript.
//!
//! Filters are `<select>` elements `#filter-area`, `#filter-level`, `#filter-severity`,
//! `#filter-outcome` and `#filter-requirement`; the page reads them from the URL fragment (or
//! query) on load, e.g. `report.html#area=jwt&outcome=fail`, and writes them back when they
//! change, so a filtered view can be linked. Rows filtered out get the `hidden` attribute;
//! `#filter-status` says how many are shown. Everything that comes from a case file or an
//! implementation is escaped, and a Content-Security-Policy forbids any fetch.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::clock::format_utc;
use crate::event::CaseEvent;
use crate::judge::{OutcomeClass, Severity};
use crate::report::escape::html_escape as esc;
use crate::report::gate::GateDecision;
use crate::report::stream::Stream;
use crate::report::terminal::{failures_by_severity, render_failure, Totals};
use crate::spec::{self, Level};

const STYLE: &str = r#"
:root { --pass: #1a7f37; --fail: #cf222e; --skip: #9a6700; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 1.5rem; max-width: 1400px; color: #1f2328; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.meta { color: var(--muted); margin: 0 0 1rem; }
.gate { padding: .75rem 1rem; border-radius: 6px; border: 1px solid var(--line); margin-top: 1rem; }
.gate.passed { background: #dafbe1; border-color: #4ac26b; } .gate.failed { background: #ffebe9; border-color: #ff8182; }
.gate h2 { margin: 0; } .gate ul { margin: .5rem 0 0; }
.critical { background: #ffebe9; border: 2px solid var(--fail); border-radius: 6px; padding: .5rem 1rem; margin-top: 1rem; }
.critical h2 { color: var(--fail); margin-top: .25rem; }
.cards { display: flex; flex-wrap: wrap; gap: .75rem; margin-top: 1rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .9rem; background: var(--bg); min-width: 8rem; }
.card b { display: block; font-size: 1.4rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--bg); position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.has-fail { color: var(--fail); font-weight: 600; } td.has-pass { color: var(--pass); }
tr.uncovered td { color: var(--muted); }
tr[hidden] { display: none; }
.outcome-pass { color: var(--pass); } .outcome-fail { color: var(--fail); font-weight: 600; } .outcome-skipped { color: var(--skip); }
.sev-critical { background: var(--fail); color: #fff; border-radius: 4px; padding: 0 .3rem; }
.filters { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin: .5rem 0; }
details summary { cursor: pointer; }
pre { white-space: pre-wrap; word-break: break-word; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: .5rem; max-height: 40rem; overflow: auto; }
code { font-size: 12.5px; }
"#;

const SCRIPT: &str = r#"
(function () {
  var keys = ['area', 'level', 'severity', 'outcome', 'requirement'];
  function select(key) { return document.getElementById('filter-' + key); }
  function rows() { return document.querySelectorAll('#case-table tbody tr.case'); }
  function apply() {
    var f = {};
    keys.forEach(function (k) { f[k] = select(k).value; });
    var all = rows(), shown = 0;
    for (var i = 0; i < all.length; i++) {
      var r = all[i], d = r.dataset;
      var ok = (!f.area || d.area === f.area) && (!f.level || d.level === f.level) &&
        (!f.severity || d.severity === f.severity) &&
        (!f.outcome || d.outcome === f.outcome || (f.outcome === 'fail' && d.failed === 'true')) &&
        (!f.requirement || (' ' + d.requirements + ' ').indexOf(' ' + f.requirement + ' ') >= 0);
      if (ok) { r.removeAttribute('hidden'); shown++; } else { r.setAttribute('hidden', ''); }
    }
    document.getElementById('filter-status').textContent = 'showing ' + shown + ' of ' + all.length + ' cases';
    keys.forEach(function (k) {
      var options = select(k).options;
      for (var i = 0; i < options.length; i++) {
        if (options[i].value === f[k]) { options[i].setAttribute('selected', ''); } else { options[i].removeAttribute('selected'); }
      }
    });
  }
  function fromLocation() {
    var text = (location.hash || '').replace(/^#/, '');
    if (text.indexOf('=') < 0) { text = (location.search || '').replace(/^\?/, ''); }
    if (text.indexOf('=') < 0) { return false; }
    var wanted = {};
    text.split('&').forEach(function (pair) {
      var at = pair.indexOf('=');
      if (at > 0) {
        try { wanted[decodeURIComponent(pair.slice(0, at))] = decodeURIComponent(pair.slice(at + 1).replace(/\+/g, ' ')); } catch (e) {}
      }
    });
    keys.forEach(function (k) {
      var s = select(k), value = wanted[k] || '';
      for (var i = 0; i < s.options.length; i++) { if (s.options[i].value === value) { s.value = value; return; } }
      s.value = '';
    });
    return true;
  }
  function toLocation() {
    var parts = [];
    keys.forEach(function (k) { var v = select(k).value; if (v) { parts.push(k + '=' + encodeURIComponent(v)); } });
    var hash = parts.length ? '#' + parts.join('&') : location.pathname + location.search;
    try { history.replaceState(null, '', hash); } catch (e) { location.hash = parts.join('&'); }
  }
  function openTarget() {
    var id = decodeURIComponent((location.hash || '').replace(/^#/, ''));
    if (id.indexOf('=') >= 0 || !id) { return; }
    var row = document.getElementById(id);
    if (row) { var d = row.querySelector('details'); if (d) { d.open = true; } row.removeAttribute('hidden'); }
  }
  keys.forEach(function (k) { select(k).addEventListener('change', function () { apply(); toLocation(); }); });
  window.addEventListener('hashchange', function () { if (fromLocation()) { apply(); } else { openTarget(); } });
  document.getElementById('filter-reset').addEventListener('click', function () {
    keys.forEach(function (k) { select(k).value = ''; }); apply(); toLocation();
  });
  fromLocation();
  apply();
  openTarget();
  document.body.setAttribute('data-ready', 'true');
})();
"#;

/// The page.
pub(crate) fn render(stream: &Stream, gate: &GateDecision) -> String {
    let header = &stream.header;
    let implementation = format!(
        "{} {}",
        header.implementation.name, header.implementation.version
    );
    let mut out = String::with_capacity(64 * 1024 + stream.cases.len() * 2048);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <title>Messenger conformance: {}</title>\n<style>{STYLE}</style>\n</head>\n<body data-ready=\"false\">\n",
        esc(&implementation)
    );
    let _ = writeln!(
        out,
        "<header>\n<h1>Messenger conformance: {}</h1>",
        esc(&implementation)
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">target <code>{}</code> · roles {} · clock {} · harness {} · <span title=\"{}\">{}</span> · started {}{}</p>\n</header>",
        esc(&header.target),
        esc(&header.roles.join(", ")),
        header.clock.as_str(),
        esc(&header.harness_version),
        esc(header.suite.as_ref().map_or("", |s| s.digest.as_str())),
        esc(&super::markdown::suite_line(header.suite.as_ref())),
        format_utc(header.started_at),
        if stream.complete { "" } else { " · <strong>the run was cut short (no footer record)</strong>" }
    );

    render_critical(&mut out, &stream.cases);
    render_gate(&mut out, gate);
    render_totals(&mut out, &stream.cases);
    render_cases(&mut out, &stream.cases);
    render_coverage(&mut out, &stream.cases);

    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

fn render_gate(out: &mut String, gate: &GateDecision) {
    let class = if gate.passed { "passed" } else { "failed" };
    let _ = writeln!(
        out,
        "<section id=\"gate\" class=\"gate {class}\">\n<h2>{}</h2>",
        esc(&gate.headline())
    );
    // Without a baseline every failure that counts is new: the case table lists them all.
    let listed = if gate.baseline.is_some() {
        gate.new_failures.as_slice()
    } else {
        &[]
    };
    let lines: Vec<String> = gate
        .coverage_lines()
        .iter()
        .map(|line| format!("not covered: {}", esc(line)))
        .chain(listed.iter().map(|f| {
            format!(
                "new failure <a href=\"#{}\"><code>{}</code></a> [{}] {}{}",
                esc(&row_id(&f.id)),
                esc(&format!("{}::{}", f.area, f.id)),
                f.level,
                esc(&f.reason()),
                f.note
                    .as_deref()
                    .map(|n| format!(": {}", esc(n)))
                    .unwrap_or_default()
            )
        }))
        .chain(gate.stale.iter().map(|s| {
            format!(
                "stale baseline entry <code>{}</code> ({}): {}",
                esc(&s.id),
                esc(&s.location),
                esc(&s.why)
            )
        }))
        .chain(gate.expired.iter().map(|e| {
            format!(
                "expired baseline entry <code>{}</code> ({}): expired {}",
                esc(&e.id),
                esc(&e.location),
                esc(&e.expires)
            )
        }))
        .chain(gate.unjustified.iter().map(|u| {
            format!(
                "critical baseline entry without a reason <code>{}</code> ({})",
                esc(&u.id),
                esc(&u.location)
            )
        }))
        .collect();
    if gate.baseline.is_none() && !gate.new_failures.is_empty() {
        out.push_str("<p>Every failure that counts fails the run (no baseline): see the cases below, failures first.</p>\n");
    }
    if !lines.is_empty() {
        out.push_str("<ul>\n");
        for line in lines.iter().take(200) {
            let _ = writeln!(out, "<li>{line}</li>");
        }
        if lines.len() > 200 {
            let _ = writeln!(out, "<li>… and {} more</li>", lines.len() - 200);
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

fn render_critical(out: &mut String, cases: &[CaseEvent]) {
    let critical: Vec<&CaseEvent> = failures_by_severity(cases)
        .into_iter()
        .filter(|c| c.severity == Some(Severity::Critical))
        .collect();
    if critical.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<section id=\"critical\" class=\"critical\">\n<h2>{} critical finding{}: authentication bypass</h2>\n<ul>",
        critical.len(),
        if critical.len() == 1 { "" } else { "s" }
    );
    for case in critical {
        let _ = writeln!(
            out,
            "<li><a href=\"#{}\"><code>{}</code></a> {}: {}</li>",
            esc(&row_id(&case.id)),
            esc(&case.name()),
            esc(&case.title),
            esc(&case.first_problem_line())
        );
    }
    out.push_str("</ul>\n</section>\n");
}

fn render_totals(out: &mut String, cases: &[CaseEvent]) {
    let totals = Totals::of(cases);
    let failures: Vec<&CaseEvent> = cases.iter().filter(|c| c.failed()).collect();
    let severity = |s: Severity| failures.iter().filter(|c| c.severity == Some(s)).count();
    let level = |l: Level| {
        let t = Totals::of(cases.iter().filter(|c| c.level == l));
        format!(
            "{} passed, {} failed, {} skipped",
            t.passed, t.failed, t.skipped
        )
    };
    let _ = writeln!(out, "<section id=\"totals\" class=\"cards\">");
    let card = |out: &mut String, id: &str, value: String, label: &str| {
        let _ = writeln!(
            out,
            "<div class=\"card\" id=\"total-{id}\"><b>{}</b>{}</div>",
            esc(&value),
            esc(label)
        );
    };
    card(out, "cases", cases.len().to_string(), "cases");
    card(out, "passed", totals.passed.to_string(), "passed");
    card(out, "failed", totals.failed.to_string(), "failed");
    card(
        out,
        "skipped",
        totals.skipped.to_string(),
        &if totals.undeclared > 0 {
            format!("skipped ({} not declared in hello)", totals.undeclared)
        } else {
            "skipped".to_string()
        },
    );
    card(
        out,
        "severity",
        format!(
            "{} / {} / {}",
            severity(Severity::Critical),
            severity(Severity::Major),
            severity(Severity::Minor)
        ),
        "critical / major / minor",
    );
    for l in [Level::Must, Level::Should, Level::May] {
        card(out, l.as_str(), l.as_str().to_string(), &level(l));
    }
    out.push_str("</section>\n");
}

#[derive(Default)]
struct Coverage {
    passed: usize,
    failed: usize,
    skipped: usize,
}

fn render_coverage(out: &mut String, cases: &[CaseEvent]) {
    let mut ids: Vec<String> = spec::requirements().iter().map(|r| r.id.clone()).collect();
    let known: BTreeSet<String> = ids.iter().cloned().collect();
    for case in cases {
        for id in &case.requirements {
            if !known.contains(id) && !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    out.push_str(
        "<section id=\"coverage\">\n<h2>Coverage by requirement</h2>\n<table id=\"coverage-matrix\">\n<thead><tr><th>Requirement</th><th>Level</th><th>Title</th><th>Passed</th><th>Failed</th><th>Skipped</th></tr></thead>\n<tbody>\n",
    );
    for id in ids {
        let mut coverage = Coverage::default();
        for case in cases.iter().filter(|c| c.requirements.contains(&id)) {
            match case.outcome {
                OutcomeClass::Pass => coverage.passed += 1,
                OutcomeClass::Skipped => coverage.skipped += 1,
                _ => coverage.failed += 1,
            }
        }
        let (level, title) = match spec::find(&id) {
            Some(requirement) => (
                requirement.level.as_str().to_string(),
                requirement.title.clone(),
            ),
            None => (
                String::new(),
                "(not in the requirement registry)".to_string(),
            ),
        };
        let total = coverage.passed + coverage.failed + coverage.skipped;
        let class = if total == 0 {
            " class=\"uncovered\""
        } else {
            ""
        };
        let cell = |count: usize, kind: &str| {
            let class = if count > 0 {
                format!(" has-{kind}")
            } else {
                String::new()
            };
            format!("<td class=\"num{class}\">{count}</td>")
        };
        let _ = writeln!(
            out,
            "<tr id=\"req-{}\" data-requirement=\"{}\"{class}><td><a href=\"#requirement={}\"><code>{}</code></a></td><td>{}</td><td>{}</td>{}{}{}</tr>",
            esc(&id),
            esc(&id),
            esc(&url_component(&id)),
            esc(&id),
            esc(&level),
            esc(&title),
            cell(coverage.passed, "pass"),
            cell(coverage.failed, "fail"),
            cell(coverage.skipped, "skip"),
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn render_cases(out: &mut String, cases: &[CaseEvent]) {
    let mut areas: Vec<&str> = Vec::new();
    let mut requirements: BTreeSet<&str> = BTreeSet::new();
    for case in cases {
        if !areas.contains(&case.area.as_str()) {
            areas.push(&case.area);
        }
        requirements.extend(case.requirements.iter().map(String::as_str));
    }
    out.push_str("<section id=\"cases\">\n<h2>Cases</h2>\n<div class=\"filters\">\n");
    select(
        out,
        "area",
        "Area",
        &areas
            .iter()
            .map(|a| (a.to_string(), a.to_string()))
            .collect::<Vec<_>>(),
    );
    select(
        out,
        "level",
        "Level",
        &[Level::Must, Level::Should, Level::May]
            .map(|l| (l.as_str().to_string(), l.as_str().to_string())),
    );
    select(
        out,
        "severity",
        "Severity",
        &[
            ("critical", "critical"),
            ("major", "major"),
            ("minor", "minor"),
            ("none", "none (not failed)"),
        ]
        .map(|(v, l)| (v.to_string(), l.to_string())),
    );
    let mut outcomes = vec![("fail".to_string(), "any failure".to_string())];
    outcomes.extend(
        [
            OutcomeClass::Pass,
            OutcomeClass::Skipped,
            OutcomeClass::WrongVerdict,
            OutcomeClass::WrongErrorCode,
            OutcomeClass::WrongDetail,
            OutcomeClass::AdapterError,
            OutcomeClass::Timeout,
        ]
        .map(|c| (c.as_str().to_string(), c.as_str().to_string())),
    );
    select(out, "outcome", "Outcome", &outcomes);
    select(
        out,
        "requirement",
        "Requirement",
        &requirements
            .iter()
            .map(|r| (r.to_string(), r.to_string()))
            .collect::<Vec<_>>(),
    );
    let _ = writeln!(
        out,
        "<button type=\"button\" id=\"filter-reset\">Show all</button>\n<output id=\"filter-status\">showing {0} of {0} cases</output>\n</div>",
        cases.len()
    );
    out.push_str(
        "<table id=\"case-table\">\n<thead><tr><th>Outcome</th><th>Severity</th><th>Level</th><th>Area</th><th>Case (click to open its transcript)</th></tr></thead>\n<tbody>\n",
    );
    // Failures first (critical, major, minor), then the rest in run order.
    let mut ordered: Vec<&CaseEvent> = failures_by_severity(cases);
    ordered.extend(cases.iter().filter(|c| !c.failed()));
    for case in ordered {
        render_case_row(out, case);
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn select(out: &mut String, key: &str, label: &str, options: &[(String, String)]) {
    let _ = writeln!(
        out,
        "<label>{label} <select id=\"filter-{key}\" name=\"{key}\"><option value=\"\">all</option>"
    );
    for (value, text) in options {
        let _ = writeln!(
            out,
            "<option value=\"{}\">{}</option>",
            esc(value),
            esc(text)
        );
    }
    out.push_str("</select></label>\n");
}

fn render_case_row(out: &mut String, case: &CaseEvent) {
    let (kind, outcome_class) = match case.outcome {
        OutcomeClass::Pass => ("pass", "outcome-pass"),
        OutcomeClass::Skipped if case.undeclared_skip() => ("skipped", "outcome-fail"),
        OutcomeClass::Skipped => ("skipped", "outcome-skipped"),
        _ => ("fail", "outcome-fail"),
    };
    let severity = case
        .severity
        .filter(|_| case.failed())
        .map_or("none", |s| s.as_str());
    let severity_cell = match case.severity.filter(|_| case.failed()) {
        Some(Severity::Critical) => "<span class=\"sev-critical\">critical</span>".to_string(),
        Some(s) => s.as_str().to_string(),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "<tr id=\"{}\" class=\"case {kind}\" data-area=\"{}\" data-level=\"{}\" data-severity=\"{severity}\" data-outcome=\"{}\" data-failed=\"{}\" data-requirements=\"{}\">",
        esc(&row_id(&case.id)),
        esc(&case.area),
        case.level,
        case.outcome.as_str(),
        case.failed(),
        esc(&case.requirements.join(" ")),
    );
    let _ = writeln!(
        out,
        "<td class=\"{outcome_class}\">{}</td><td>{severity_cell}</td><td>{}</td><td>{}</td>",
        if case.undeclared_skip() {
            "skipped, not declared"
        } else {
            case.outcome.as_str()
        },
        esc(&case.level_label()),
        esc(&case.area)
    );
    let _ = writeln!(
        out,
        "<td><details><summary><code>{}</code> {}</summary>",
        esc(&case.id),
        esc(&case.title)
    );
    if case.failed() {
        let _ = writeln!(
            out,
            "<pre class=\"failure\">{}</pre>",
            esc(&render_failure(case))
        );
    } else if let Some(reason) = &case.skip_reason {
        let _ = writeln!(out, "<p>skipped: {}</p>", esc(reason));
    }
    if let Some(message) = case.message.as_ref().filter(|_| !case.failed()) {
        let _ = writeln!(
            out,
            "<p>the implementation said: <q>{}</q></p>",
            esc(message)
        );
    }
    if let Some(location) = case.location.as_ref().filter(|_| !case.failed()) {
        let _ = writeln!(out, "<p>defined at <code>{}</code></p>", esc(location));
    }
    let transcript = case.transcript_text();
    if !transcript.is_empty() {
        let _ = writeln!(out, "<pre class=\"transcript\">{}</pre>", esc(&transcript));
    }
    out.push_str("</details></td>\n</tr>\n");
}

/// The element id of a case's row.
fn row_id(id: &str) -> String {
    format!("case-{id}")
}

/// Percent-encode everything but unreserved characters.
fn url_component(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{case, gate, header};

    fn page(cases: Vec<CaseEvent>) -> String {
        let stream = Stream::new(header(), cases, 1.0);
        render(&stream, &gate(&stream))
    }

    #[test]
    fn nothing_from_an_implementation_becomes_markup() {
        let mut hostile = case(
            "X-1\"><script>alert(1)</script>",
            "jwt<b>",
            OutcomeClass::WrongVerdict,
        );
        hostile.title = "<img src=x onerror=alert(1)>".into();
        hostile.message = Some("<script>alert('message')</script>".into());
        hostile.problems[0].actual = "</pre><script>alert(2)</script>".into();
        hostile.stderr = "<iframe src=//evil>".into();
        hostile.requirements.push("R\"><script>x</script>".into());
        let html = page(vec![hostile, case("P-1", "jwt", OutcomeClass::Pass)]);
        // Exactly one script element: ours.
        assert_eq!(html.matches("<script").count(), 1, "{html}");
        assert!(!html.contains("<img"));
        assert!(!html.contains("<iframe"));
        assert!(!html.contains("jwt<b>") && html.contains("jwt&lt;b&gt;"));
        assert!(
            html.contains("&lt;script&gt;alert(&#39;message&#39;)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("&lt;/pre&gt;&lt;script&gt;alert(2)"));
    }

    #[test]
    fn has_filters_matrix_and_rows() {
        let mut should = case("S-1", "idv", OutcomeClass::Skipped);
        should.level = Level::Should;
        let html = page(vec![
            case("P-1", "jwt", OutcomeClass::Pass),
            case("F-1", "jwt", OutcomeClass::WrongVerdict),
            should,
        ]);
        for id in [
            "filter-area",
            "filter-level",
            "filter-severity",
            "filter-outcome",
            "filter-requirement",
            "filter-status",
            "coverage-matrix",
            "case-table",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("<option value=\"idv\">idv</option>"));
        assert_eq!(html.matches("<tr id=\"case-").count(), 3);
        assert!(
            html.find("id=\"case-F-1\"").unwrap() < html.find("id=\"case-P-1\"").unwrap(),
            "failures first"
        );
        assert!(
            html.find("id=\"critical\"").unwrap() < html.find("id=\"gate\"").unwrap(),
            "criticals lead"
        );
        assert!(html.find("id=\"gate\"").unwrap() < html.find("id=\"cases\"").unwrap());
        assert!(html.contains(
            "data-severity=\"critical\" data-outcome=\"wrong_verdict\" data-failed=\"true\""
        ));
        assert!(html.contains("<tr id=\"req-JWT-ALG\" data-requirement=\"JWT-ALG\"><td><a href=\"#requirement=JWT-ALG\"><code>JWT-ALG</code></a></td><td>must</td>"), "coverage row with level from the registry");
        assert!(html.contains("<td class=\"num has-pass\">1</td><td class=\"num has-fail\">1</td><td class=\"num has-skip\">1</td>"));
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no network"
        );
    }

    #[test]
    fn a_skip_hello_did_not_declare_is_marked_and_counted() {
        let html = page(vec![
            case("P-1", "jwt", OutcomeClass::Pass),
            case("S-1", "signer", OutcomeClass::Skipped),
            crate::report::fixtures::undeclared("U-1", "jwt"),
        ]);
        assert!(
            html.contains("<td class=\"outcome-fail\">skipped, not declared</td>"),
            "{html}"
        );
        assert!(html.contains("<td class=\"outcome-skipped\">skipped</td>"));
        assert!(
            html.contains("<b>2</b>skipped (1 not declared in hello)"),
            "{html}"
        );
        assert!(html.contains("skipped: answered `unsupported` (&quot;later&quot;)"));
    }
}
