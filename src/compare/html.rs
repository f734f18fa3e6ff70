//! `compare.html`: one self-contained page, no network (the Content-Security-Policy of
//! `report.html`). Its views: implementations × requirements (must, should and may apart), the
//! cases sorted by dissent with their groups, a drill-down per case (the request with its
//! decoded token and the hash input, each group's messages, a reproduce command per
//! implementation), and a section per implementation with its failures split by its
//! expectations. Everything an implementation said is escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::render::{badge_message, flags, suite_line};
use super::{CaseComparison, Comparison, ImplementationSummary, ListedFailure, State};
use crate::report::escape::html_escape as esc;
use crate::spec::Level;

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em; color: #1b1b1b; }
table { border-collapse: collapse; margin: .5em 0 1.2em; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.ok { background: #e5f5e5; } .bad { background: #fbe3e3; } .warn { background: #fff4d6; } .none { color: #888; }
.expected { font-weight: 600; } .flag { color: #9a4b00; font-weight: 600; }
pre { background: #f7f7f7; padding: .5em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
details { margin: .3em 0; } summary { cursor: pointer; }
code { font-size: 90%; }
nav a { margin-right: 1em; }
"#;

const SCRIPT: &str = r#"
(function () {
  function openTarget() {
    var id = decodeURIComponent((location.hash || '').replace(/^#/, ''));
    if (!id) { return; }
    var target = document.getElementById(id);
    if (target && target.tagName === 'DETAILS') { target.open = true; }
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
  document.body.setAttribute('data-ready', 'true');
})();
"#;

/// The page.
pub fn render(comparison: &Comparison) -> String {
    let mut out = String::with_capacity(64 * 1024 + comparison.cases.len() * 1024);
    let compared = super::render::count(
        comparison.implementations.len(),
        "implementation",
        "implementations",
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <title>Messenger conformance: {compared} compared</title>\n<style>{STYLE}</style>\n</head>\n<body data-ready=\"false\">\n",
    );
    let _ = writeln!(
        out,
        "<header><h1>Messenger conformance: {compared} compared</h1>\n<p>{} · harness {}</p>\n\
         <nav><a href=\"#implementations\">implementations</a><a href=\"#requirements\">requirements</a>\
         <a href=\"#cases\">cases by dissent</a><a href=\"#pages\">per implementation</a></nav></header>",
        esc(&suite_line(comparison)),
        esc(&comparison.harness_version)
    );
    implementations(&mut out, comparison);
    requirements(&mut out, comparison);
    cases(&mut out, comparison);
    pages(&mut out, comparison);
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

fn implementations(out: &mut String, comparison: &Comparison) {
    let _ = writeln!(
        out,
        "<section id=\"implementations\"><h2>Implementations</h2>\n<table>\n<tr><th>implementation</th><th>hello</th><th>state</th>\
         <th>must</th><th>should</th><th>may</th><th>expected failures</th><th>unexpected</th><th>unexpectedly passing</th><th>badge</th></tr>"
    );
    for i in &comparison.implementations {
        let cell = |t: &super::Tally| {
            let class = if t.passed + t.failed == 0 {
                "none"
            } else if t.failed == 0 {
                "ok"
            } else {
                "bad"
            };
            format!(
                "<td class=\"{class}\">{}/{}</td>",
                t.passed,
                t.passed + t.failed
            )
        };
        let _ = writeln!(
            out,
            "<tr data-impl=\"{name}\"><td><a href=\"#impl-{name}\">{name}</a></td><td>{}</td><td class=\"{}\">{}</td>{}{}{}<td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&format!(
                "{} {}",
                i.implementation.as_deref().unwrap_or("-"),
                i.version.as_deref().unwrap_or("")
            )),
            if matches!(i.state, State::Ran | State::RoleUnsupported) { "ok" } else { "bad" },
            esc(i.state.as_str()),
            cell(&i.levels.must),
            cell(&i.levels.should),
            cell(&i.levels.may),
            i.expected_failures.len(),
            if i.unexpected_failures.is_empty() { "ok" } else { "bad" },
            i.unexpected_failures.len(),
            i.unexpectedly_passing.len(),
            esc(&badge_message(i)),
            name = esc(&i.name),
        );
    }
    let _ = writeln!(out, "</table></section>");
}

/// Implementations × requirements, one table per level.
fn requirements(out: &mut String, comparison: &Comparison) {
    let _ = writeln!(out, "<section id=\"requirements\"><h2>Requirements</h2>");
    for level in [Level::Must, Level::Should, Level::May] {
        // requirement -> implementation -> (passed, failed)
        let mut table: BTreeMap<&str, BTreeMap<&str, (usize, usize)>> = BTreeMap::new();
        for case in comparison.cases.iter().filter(|c| c.level == level) {
            for requirement in &case.requirements {
                let row = table.entry(requirement.as_str()).or_default();
                for group in &case.groups {
                    for member in &group.members {
                        let cell = row.entry(member.name.as_str()).or_default();
                        match member.outcome.as_str() {
                            "pass" => cell.0 += 1,
                            "skipped" | "not_run" => {}
                            _ => cell.1 += 1,
                        }
                    }
                }
            }
        }
        if table.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<h3 id=\"requirements-{level}\">{level}</h3>\n<table class=\"level-{level}\">\n<tr><th>requirement</th>"
        );
        for i in &comparison.implementations {
            let _ = write!(out, "<th>{}</th>", esc(&i.name));
        }
        let _ = writeln!(out, "</tr>");
        for (requirement, row) in &table {
            let _ = write!(out, "<tr><td>{}</td>", esc(requirement));
            for i in &comparison.implementations {
                let (passed, failed) = row.get(i.name.as_str()).copied().unwrap_or_default();
                let class = match (passed, failed) {
                    (0, 0) => "none",
                    (_, 0) => "ok",
                    _ => "bad",
                };
                let _ = write!(
                    out,
                    "<td class=\"{class}\">{passed}/{}</td>",
                    passed + failed
                );
            }
            let _ = writeln!(out, "</tr>");
        }
        let _ = writeln!(out, "</table>");
    }
    let _ = writeln!(out, "</section>");
}

fn cases(out: &mut String, comparison: &Comparison) {
    let disagreeing = comparison.cases.iter().filter(|c| c.disagreement).count();
    let _ = writeln!(
        out,
        "<section id=\"cases\"><h2>Cases by dissent</h2>\n<p>{disagreeing} of {} cases and properties got more than one answer. \
         ✓ marks the answers the suite expects.</p>",
        comparison.cases.len()
    );
    for case in &comparison.cases {
        case_details(out, case, comparison);
    }
    let _ = writeln!(out, "</section>");
}

fn case_details(out: &mut String, case: &CaseComparison, comparison: &Comparison) {
    let flags = flags(case);
    let answers = case.groups.iter().filter(|g| !g.abstains).count();
    let _ = writeln!(
        out,
        "<details id=\"case-{id}\" data-dissent=\"{}\" data-level=\"{}\"><summary><code>{id}</code> [{}] {} — {answers} answer{}{}</summary>",
        case.dissent,
        case.level,
        case.level,
        esc(&case.title),
        if answers == 1 { "" } else { "s" },
        if flags.is_empty() {
            String::new()
        } else {
            format!(" <span class=\"flag\">{}</span>", esc(&flags.join("; ")))
        },
        id = esc(&case.id),
    );
    let _ = writeln!(
        out,
        "<table><tr><th>answer</th><th>implementations</th></tr>"
    );
    for group in &case.groups {
        let class = if group.abstains {
            "none"
        } else if group.expected {
            "ok expected"
        } else {
            "bad"
        };
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td>{}{}</td><td>{}</td></tr>",
            if group.expected && !group.abstains {
                "✓ "
            } else {
                ""
            },
            esc(&group.answer),
            esc(&group.implementations.join(", "))
        );
    }
    let _ = writeln!(out, "</table>");
    let _ = writeln!(
        out,
        "<p>requirements {} · {}</p>",
        esc(&case.requirements.join(", ")),
        esc(case.location.as_deref().unwrap_or(""))
    );
    if !case.request.is_null() {
        let _ = writeln!(
            out,
            "<details><summary>request</summary><pre>{}</pre>{}</details>",
            esc(&serde_json::to_string_pretty(&case.request).unwrap_or_default()),
            decoded(case)
        );
    }
    let _ = writeln!(
        out,
        "<details><summary>expected</summary><pre>{}</pre></details>",
        esc(&serde_json::to_string_pretty(&case.expected).unwrap_or_default())
    );
    for group in &case.groups {
        let _ = writeln!(out, "<h4>{}</h4><ul>", esc(&group.answer));
        for member in &group.members {
            let _ = write!(
                out,
                "<li><strong>{}</strong> ({})",
                esc(&member.name),
                esc(&member.outcome)
            );
            if member.listed {
                let _ = write!(out, " — listed in its expectations");
            }
            if let Some(message) = &member.message {
                let _ = write!(out, "<br>message: <q>{}</q>", esc(message));
            }
            for problem in &member.problems {
                let _ = write!(out, "<br>{}", esc(problem));
            }
            if let Some(command) = &member.reproduce {
                let _ = write!(out, "<br>reproduce: <code>{}</code>", esc(command));
            } else if comparison
                .implementation(&member.name)
                .is_some_and(|i| i.state == State::DidNotStart)
            {
                let _ = write!(
                    out,
                    "<br>did not start: see <a href=\"#impl-{0}\">{0}</a>",
                    esc(&member.name)
                );
            }
            let _ = writeln!(out, "</li>");
        }
        let _ = writeln!(out, "</ul>");
    }
    let _ = writeln!(out, "</details>");
}

/// The request's token, decoded (header and claims), and what a user_hash is computed over:
/// both from the comparison, which was redacted (a token's header may carry a key).
fn decoded(case: &CaseComparison) -> String {
    let mut out = String::new();
    if let Some(token) = &case.token {
        let show = |v: &Value| {
            if v.is_null() {
                "(not base64url JSON)".to_string()
            } else {
                serde_json::to_string_pretty(v).unwrap_or_default()
            }
        };
        let _ = write!(
            out,
            "<p>token header</p><pre>{}</pre><p>token claims</p><pre>{}</pre>",
            esc(&show(&token["header"])),
            esc(&show(&token["claims"]))
        );
    }
    if let Some(input) = &case.hash_input {
        let _ = write!(
            out,
            "<p>the user_hash is HMAC-SHA256 over {}</p>",
            esc(input)
        );
    }
    out
}

fn pages(out: &mut String, comparison: &Comparison) {
    let _ = writeln!(out, "<section id=\"pages\"><h2>Per implementation</h2>");
    for i in &comparison.implementations {
        page(out, i);
    }
    let _ = writeln!(out, "</section>");
}

fn page(out: &mut String, i: &ImplementationSummary) {
    let _ = writeln!(
        out,
        "<details id=\"impl-{name}\" open><summary><strong>{name}</strong> — {} · {}</summary>\n<p>target <code>{}</code>{}{}</p>",
        esc(i.state.as_str()),
        esc(&badge_message(i)),
        esc(&i.target),
        i.library.as_deref().map_or(String::new(), |l| format!(" · library {}", esc(l))),
        i.expectations
            .as_deref()
            .map_or(if i.strict { " · no expectations file, --strict: must and should failures count" } else { " · no expectations file: only must failures count" }.to_string(), |e| format!(" · expectations <code>{}</code>", esc(e))),
        name = esc(&i.name),
    );
    if let Some(detail) = &i.detail {
        let _ = writeln!(out, "<pre class=\"detail\">{}</pre>", esc(detail));
    }
    let listed = |out: &mut String, title: &str, class: &str, failures: &[ListedFailure]| {
        let _ = writeln!(
            out,
            "<h4 class=\"{class}\">{title} ({})</h4>",
            failures.len()
        );
        if failures.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "<table><tr><th>case</th><th>reason</th><th>source</th></tr>"
        );
        for f in failures {
            let _ = writeln!(
                out,
                "<tr><td><a href=\"#case-{id}\">{id}</a></td><td>{}{}</td><td>{}</td></tr>",
                esc(&f.reason),
                f.suspected_suite_bug
                    .as_deref()
                    .map_or(String::new(), |b| format!(
                        " <span class=\"flag\">suspected suite bug: {}</span>",
                        esc(b)
                    )),
                esc(f.source.as_deref().unwrap_or("")),
                id = esc(&f.id)
            );
        }
        let _ = writeln!(out, "</table>");
    };
    let _ = writeln!(
        out,
        "<h4 class=\"unexpected\">unexpected failures ({})</h4>",
        i.unexpected_failures.len()
    );
    if !i.unexpected_failures.is_empty() {
        let links: Vec<String> = i
            .unexpected_failures
            .iter()
            .map(|id| format!("<a href=\"#case-{0}\">{0}</a>", esc(id)))
            .collect();
        let _ = writeln!(out, "<p>{}</p>", links.join(", "));
    }
    listed(
        out,
        "expected failures",
        "expected-failures",
        &i.expected_failures,
    );
    listed(
        out,
        "unexpectedly passing",
        "unexpectedly-passing",
        &i.unexpectedly_passing,
    );
    let _ = writeln!(out, "</details>");
}
