//! The comparison's files: `compare.jsonl`, `compare.json`, `compare.md`, a badge per
//! implementation, and the terminal summary. Each is a pure function of the [`Comparison`].

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{CaseComparison, Comparison, ImplementationSummary, State, SuiteSummary, Tally};
use crate::report::escape::{clip, md_cell};
use crate::spec::Level;
use crate::visible::visible;

/// `count` and the noun in the number it calls for: `1 must failure`, `3 must failures`.
pub fn count(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// The files a comparison writes beside the implementations' own report directories.
pub const FILES: [&str; 4] = [
    "compare.jsonl",
    "compare.json",
    "compare.md",
    "compare.html",
];

/// The first line of `compare.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CompareHeader {
    pub format_version: u32,
    pub harness_version: String,
    pub suite: Option<SuiteSummary>,
    pub seed: Option<u64>,
    pub implementations: Vec<HeaderImplementation>,
}

/// An implementation as the header names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HeaderImplementation {
    pub name: String,
    /// `hello`'s name.
    pub implementation: Option<String>,
    /// `hello`'s version.
    pub version: Option<String>,
    pub target: String,
    pub state: State,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One case × implementation line of `compare.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CompareResult {
    pub case: String,
    pub area: String,
    pub kind: String,
    pub level: Level,
    pub implementation: String,
    /// The answer's group, in a few words.
    pub answer: String,
    /// The answer as it came back (redacted).
    pub actual: Value,
    /// The judge's outcome: `pass`, `wrong_verdict`, ..., `skipped`, `not_run`.
    pub outcome: String,
    /// Whether the answer's group is what the suite expects.
    pub expected: bool,
    /// Whether the implementation's expectations file lists this case.
    pub listed: bool,
    pub problems: Vec<String>,
}

/// A line of `compare.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum CompareRecord {
    Header(CompareHeader),
    Result(CompareResult),
}

/// `compare.jsonl`: the header, then one line per case × implementation, cases in the
/// comparison's order.
pub fn jsonl(comparison: &Comparison) -> String {
    let header = CompareRecord::Header(CompareHeader {
        format_version: comparison.format_version,
        harness_version: comparison.harness_version.clone(),
        suite: comparison.suite.clone(),
        seed: comparison.seed,
        implementations: comparison
            .implementations
            .iter()
            .map(|i| HeaderImplementation {
                name: i.name.clone(),
                implementation: i.implementation.clone(),
                version: i.version.clone(),
                target: i.target.clone(),
                state: i.state,
                detail: i.detail.clone(),
            })
            .collect(),
    });
    let mut out = line(&header);
    for case in &comparison.cases {
        for implementation in &comparison.implementations {
            let Some((group, member)) = case.groups.iter().find_map(|g| {
                g.members
                    .iter()
                    .find(|m| m.name == implementation.name)
                    .map(|m| (g, m))
            }) else {
                continue;
            };
            out.push_str(&line(&CompareRecord::Result(CompareResult {
                case: case.id.clone(),
                area: case.area.clone(),
                kind: case.kind.clone(),
                level: case.level,
                implementation: member.name.clone(),
                answer: group.answer.clone(),
                actual: member.answer.clone(),
                outcome: member.outcome.clone(),
                expected: group.expected,
                listed: member.listed,
                problems: member.problems.clone(),
            })));
        }
    }
    out
}

fn line(record: &CompareRecord) -> String {
    let mut text = serde_json::to_string(record).unwrap_or_default();
    text.push('\n');
    text
}

/// `compare.json`.
pub fn json(comparison: &Comparison) -> String {
    let mut text = serde_json::to_string_pretty(comparison).unwrap_or_default();
    text.push('\n');
    text
}

/// The JSON Schema of `compare.json`.
pub fn compare_schema() -> Value {
    schema_of::<Comparison>("messenger-conformance compare.json")
}

/// The JSON Schema of a line of `compare.jsonl`.
pub fn compare_jsonl_schema() -> Value {
    schema_of::<CompareRecord>("messenger-conformance compare.jsonl (one record per line)")
}

fn schema_of<T: JsonSchema>(title: &str) -> Value {
    let mut schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    if let Value::Object(map) = &mut schema {
        map.insert("title".into(), json!(title));
    }
    schema
}

/// `must 100% · should 92%` (and `may` when any may case ran).
pub fn badge_message(implementation: &ImplementationSummary) -> String {
    if implementation.state == State::DidNotStart {
        return "did not start".into();
    }
    let part = |name: &str, tally: &Tally| tally.percent().map(|p| format!("{name} {p}%"));
    let levels = &implementation.levels;
    let parts: Vec<String> = [part("must", &levels.must), part("should", &levels.should)]
        .into_iter()
        .flatten()
        .collect();
    if parts.is_empty() {
        "nothing judged".into()
    } else {
        parts.join(" · ")
    }
}

/// A shields.io endpoint badge for one implementation: the suite version in the label.
pub fn badge(comparison: &Comparison, implementation: &ImplementationSummary) -> Value {
    let suite = comparison
        .suite
        .as_ref()
        .and_then(|s| s.version.clone())
        .map_or_else(|| "own suite".to_string(), |v| format!("suite {v}"));
    let levels = &implementation.levels;
    let color = if implementation.state == State::DidNotStart {
        "lightgrey"
    } else if levels.must.failed > 0 {
        "red"
    } else if levels.should.failed > 0 || levels.may.failed > 0 {
        "yellow"
    } else {
        "brightgreen"
    };
    json!({
        "schemaVersion": 1,
        "label": format!("{} · {suite}", implementation.name),
        "message": badge_message(implementation),
        "color": color,
    })
}

/// A column's counts as `passed/judged`, or `-`.
fn ratio(tally: &Tally) -> String {
    match tally.passed + tally.failed {
        0 => "-".into(),
        judged => format!("{}/{judged}", tally.passed),
    }
}

/// The most disagreeing cases `compare.md` and the terminal list.
pub const TOP_CASES: usize = 25;

/// `compare.md`: small enough for a pull-request comment (GitHub takes 65,536 characters) or
/// the step summary. Every cell is escaped: names and answers come from the implementations.
pub fn markdown(comparison: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Messenger conformance: {} compared\n",
        count(
            comparison.implementations.len(),
            "implementation",
            "implementations"
        )
    );
    let _ = writeln!(out, "{}\n", md_cell(&suite_line(comparison)));
    let _ = writeln!(out, "| implementation | version | state | must | should | may | expected failures | unexpected | unexpectedly passing | matches |");
    let _ = writeln!(
        out,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    for i in &comparison.implementations {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            md_cell(&i.name),
            md_cell(&clip(i.version.as_deref().unwrap_or("-"), 40)),
            md_cell(&state_cell(i)),
            ratio(&i.levels.must),
            ratio(&i.levels.should),
            ratio(&i.levels.may),
            i.expected_failures.len(),
            i.unexpected_failures.len(),
            i.unexpectedly_passing.len(),
            if i.matches { "yes" } else { "**no**" }
        );
    }
    let disagreeing: Vec<&CaseComparison> =
        comparison.cases.iter().filter(|c| c.disagreement).collect();
    let _ = writeln!(
        out,
        "\n### Where they disagree ({} of {} cases and properties)\n",
        disagreeing.len(),
        comparison.cases.len()
    );
    if disagreeing.is_empty() {
        let _ = writeln!(
            out,
            "Every implementation that answered gave the same answer to every case."
        );
        return out;
    }
    let _ = writeln!(out, "| case | level | expected | other answers | flags |");
    let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
    for case in disagreeing.iter().take(TOP_CASES) {
        let expected: Vec<String> = case
            .groups
            .iter()
            .filter(|g| g.expected && !g.abstains)
            .map(|g| format!("{} ({})", g.answer, g.implementations.join(", ")))
            .collect();
        let others: Vec<String> = case
            .groups
            .iter()
            .filter(|g| !g.expected && !g.abstains)
            .map(|g| format!("{} ({})", g.answer, g.implementations.join(", ")))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            md_cell(&case.id),
            case.level,
            md_cell(&clip(&expected.join("; "), 200)),
            md_cell(&clip(&others.join("; "), 300)),
            md_cell(&flags(case).join(", "))
        );
    }
    if disagreeing.len() > TOP_CASES {
        let _ = writeln!(
            out,
            "\n… and {} more in compare.html and compare.json.",
            disagreeing.len() - TOP_CASES
        );
    }
    out
}

/// The flags of a case, in words.
pub fn flags(case: &CaseComparison) -> Vec<String> {
    let mut flags = Vec::new();
    if case.suite_may_be_wrong {
        flags.push("most disagree with the suite: the suite may be wrong".to_string());
    }
    if let Some(lone) = &case.lone_dissenter {
        // Alone, but conforming (a `may` case's other listed answer): different, not wrong.
        let conforms = case
            .groups
            .iter()
            .any(|g| g.expected && g.implementations.contains(lone));
        flags.push(if conforms {
            format!("lone dissenter: {lone} (its answer conforms too)")
        } else {
            format!("lone dissenter: {lone}")
        });
    }
    flags
}

fn state_cell(i: &ImplementationSummary) -> String {
    match i.state {
        State::Ran => "ran".into(),
        State::RoleUnsupported => format!(
            "ran; {}",
            i.detail.as_deref().unwrap_or("a role unsupported")
        ),
        other => other.as_str().into(),
    }
}

/// `suite 0.1.0 (sha256:…) · seed 42`.
pub fn suite_line(comparison: &Comparison) -> String {
    let suite = comparison.suite.as_ref().map_or_else(
        || "suite not recorded".to_string(),
        |s| {
            format!(
                "suite {} ({}, {} cases, {})",
                s.version.as_deref().unwrap_or("of its own"),
                s.digest,
                s.cases,
                s.source
            )
        },
    );
    match comparison.seed {
        Some(seed) => format!("{suite} · seed {seed}"),
        None => suite,
    }
}

/// The terminal summary: the implementations × levels grid, then the most disagreeing cases.
/// Everything an implementation said is made visible (no control characters).
pub fn terminal(comparison: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", visible(&suite_line(comparison)));
    let width = comparison
        .implementations
        .iter()
        .map(|i| visible(&i.name).chars().count())
        .max()
        .unwrap_or(4)
        .max(14);
    let _ = writeln!(
        out,
        "{:width$}  {:>9}  {:>9}  {:>9}  {:>8}  {:>10}  state",
        "implementation", "must", "should", "may", "expected", "unexpected"
    );
    for i in &comparison.implementations {
        let _ = writeln!(
            out,
            "{:width$}  {:>9}  {:>9}  {:>9}  {:>8}  {:>10}  {}",
            visible(&i.name),
            ratio(&i.levels.must),
            ratio(&i.levels.should),
            ratio(&i.levels.may),
            i.expected_failures.len(),
            i.unexpected_failures.len() + i.unexpectedly_passing.len(),
            visible(&state_cell(i)),
        );
        if let Some(detail) = i
            .detail
            .as_ref()
            .filter(|_| matches!(i.state, State::DidNotStart | State::Stopped))
        {
            for line in detail.lines().take(12) {
                let _ = writeln!(out, "    {}", visible(line));
            }
        }
    }
    let disagreeing: Vec<&CaseComparison> =
        comparison.cases.iter().filter(|c| c.disagreement).collect();
    let _ = writeln!(
        out,
        "\n{} of {} cases and properties got more than one answer{}",
        disagreeing.len(),
        comparison.cases.len(),
        if disagreeing.is_empty() {
            "."
        } else {
            ", most dissent first:"
        }
    );
    for case in disagreeing.iter().take(TOP_CASES) {
        let _ = writeln!(out, "  {} [{}]{}", visible(&case.id), case.level, {
            let flags = flags(case);
            if flags.is_empty() {
                String::new()
            } else {
                format!(" — {}", visible(&flags.join("; ")))
            }
        });
        for group in case.groups.iter().filter(|g| !g.abstains) {
            let _ = writeln!(
                out,
                "    {} {}: {}",
                if group.expected { "✓" } else { "✗" },
                visible(&clip(&group.answer, 100)),
                visible(&group.implementations.join(", "))
            );
        }
    }
    if disagreeing.len() > TOP_CASES {
        let _ = writeln!(
            out,
            "  … and {} more (compare.html)",
            disagreeing.len() - TOP_CASES
        );
    }
    out
}

/// The ecosystem page (`docs/ecosystem.md`): which implementations conform out of the box,
/// under which configuration, and where each deviates, with the reasons from its expectations.
/// Deterministic: no times and no digest, so it changes only when a verdict does. `command` is
/// the command that generated it.
pub fn ecosystem_page(comparison: &Comparison, command: &str) -> String {
    let level_of = |id: &str| {
        comparison
            .cases
            .iter()
            .find(|c| c.id == id)
            .map_or("?".to_string(), |c| c.level.to_string())
    };
    let mut out = String::new();
    let _ = writeln!(out, "# The ecosystem's conformance\n");
    let _ = writeln!(
        out,
        "Generated from `ecosystem/manifest.yaml` by `{command}`: do not edit by hand. \
         `tests/ecosystem.rs` checks that this page matches a fresh comparison.\n"
    );
    let _ = writeln!(
        out,
        "Suite {}, seed {}. An implementation *conforms out of the box* when it fails no `must` \
         case or property under the configuration shown (its adapter's header comment says why \
         each option is set). Every deviation below is listed, with its reason, in the \
         implementation's expectations file.\n",
        comparison
            .suite
            .as_ref()
            .and_then(|s| s.version.clone())
            .unwrap_or_else(|| "of its own".into()),
        comparison.seed.map_or("none".into(), |s| s.to_string())
    );
    let _ = writeln!(out, "| implementation | library | configuration | state | must | should | may | out of the box |");
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- | --- |");
    for i in &comparison.implementations {
        let verdict = if i.state == State::DidNotStart {
            "did not start".to_string()
        } else if i.levels.must.failed == 0 {
            match i.levels.should.failed + i.levels.may.failed {
                0 => "conforms".to_string(),
                n => format!(
                    "conforms ({} should/may {})",
                    n,
                    if n == 1 { "deviation" } else { "deviations" }
                ),
            }
        } else {
            format!(
                "no: {}",
                count(i.levels.must.failed, "must failure", "must failures")
            )
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            md_cell(&i.name),
            md_cell(
                i.library
                    .as_deref()
                    .or(i.implementation.as_deref())
                    .unwrap_or("-")
            ),
            md_cell(i.configuration.as_deref().unwrap_or("-")),
            md_cell(&state_cell(i)),
            ratio(&i.levels.must),
            ratio(&i.levels.should),
            ratio(&i.levels.may),
            md_cell(&verdict)
        );
    }
    let _ = writeln!(out, "\n## Where each deviates");
    for i in &comparison.implementations {
        let _ = writeln!(out, "\n### {}\n", md_cell(&i.name));
        if let Some(expectations) = &i.expectations {
            let _ = writeln!(out, "Expectations: {}.\n", md_cell(expectations));
        }
        if i.failing.is_empty() {
            let _ = writeln!(out, "No deviation: every case and property it ran passed.");
            continue;
        }
        let _ = writeln!(out, "| case | level | reason | source |");
        let _ = writeln!(out, "| --- | --- | --- | --- |");
        for id in &i.failing {
            let listed = i.expected_failures.iter().find(|f| &f.id == id);
            let reason = match listed {
                Some(f) => match &f.suspected_suite_bug {
                    Some(bug) => format!("{} (suspected suite bug: {bug})", f.reason),
                    None => f.reason.clone(),
                },
                None => "not listed in its expectations".to_string(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                md_cell(id),
                level_of(id),
                md_cell(&reason),
                md_cell(listed.and_then(|f| f.source.as_deref()).unwrap_or("-"))
            );
        }
        for f in &i.unexpectedly_passing {
            let _ = writeln!(
                out,
                "\n{} is listed in its expectations but passed.",
                md_cell(&f.id)
            );
        }
    }
    out
}
