//! The comparison model, from hand-made runs.

use serde_json::json;

use super::*;
use crate::report::fixtures::{case, header};

fn run(name: &str, events: Vec<CaseEvent>) -> ImplementationRun {
    let mut header = header();
    header.implementation.name = format!("{name}-lib");
    header.seed = Some(7);
    ImplementationRun {
        name: name.into(),
        target: format!("exec:{name}"),
        target_args: format!(" -- {name}"),
        header: Some(header),
        events,
        ..ImplementationRun::default()
    }
}

/// A verifier case answered with `outcome`/`error`, judged `class`.
fn verdict(id: &str, class: OutcomeClass, outcome: &str, error: Option<&str>) -> CaseEvent {
    let mut event = case(id, "jwt", class);
    event.actual = json!({"type": "verdict", "id": format!("{id}/1"), "outcome": outcome,
        "error": error, "message": "whatever it says"});
    event.reproduce = Some(format!(
        "messenger-conformance run --filter jwt::{id} --exact"
    ));
    event
}

fn rejected(id: &str) -> CaseEvent {
    verdict(
        id,
        OutcomeClass::Pass,
        "rejected",
        Some("jwt_algorithm_not_allowed"),
    )
}

fn accepted(id: &str) -> CaseEvent {
    verdict(id, OutcomeClass::WrongVerdict, "accepted", None)
}

fn group<'a>(case: &'a CaseComparison, answer: &str) -> &'a Group {
    case.groups
        .iter()
        .find(|g| g.answer == answer)
        .unwrap_or_else(|| panic!("no group {answer} in {:?}", case.groups))
}

#[test]
fn groups_implementations_by_answer_and_marks_the_expected_one() {
    let mut wrong_code = verdict(
        "A-1",
        OutcomeClass::WrongErrorCode,
        "rejected",
        Some("jwt_malformed"),
    );
    wrong_code.level = Level::Must;
    let comparison = Comparison::build(&[
        run("a", vec![rejected("A-1")]),
        run("b", vec![rejected("A-1")]),
        run("c", vec![accepted("A-1")]),
        run("d", vec![wrong_code]),
    ]);
    let case = &comparison.cases[0];
    assert_eq!(case.groups.len(), 3);
    let expected = group(case, "rejected: jwt_algorithm_not_allowed");
    assert!(expected.expected);
    assert_eq!(expected.implementations, ["a", "b"]);
    assert!(!group(case, "accepted (unverified)").expected);
    assert_eq!(
        group(case, "rejected: jwt_malformed").implementations,
        ["d"]
    );
    assert_eq!(
        case.groups[0].answer, "rejected: jwt_algorithm_not_allowed",
        "largest first"
    );
    assert_eq!(case.dissent, 2);
    assert!(case.disagreement);
    assert_eq!(case.lone_dissenter, None, "two dissent, in two answers");
    assert!(!case.suite_may_be_wrong, "half agree with the suite");
}

#[test]
fn flags_a_lone_dissenter_and_a_suite_most_disagree_with() {
    let lone = Comparison::build(&[
        run("a", vec![rejected("A-1")]),
        run("b", vec![rejected("A-1")]),
        run("c", vec![accepted("A-1")]),
    ]);
    assert_eq!(lone.cases[0].lone_dissenter.as_deref(), Some("c"));
    assert!(!lone.cases[0].suite_may_be_wrong);
    let suite = Comparison::build(&[
        run("a", vec![accepted("A-1")]),
        run("b", vec![accepted("A-1")]),
        run("c", vec![rejected("A-1")]),
    ]);
    assert!(
        suite.cases[0].suite_may_be_wrong,
        "two of three disagree with the suite"
    );
    assert_eq!(suite.cases[0].lone_dissenter.as_deref(), Some("c"));
    let two = Comparison::build(&[
        run("a", vec![rejected("A-1")]),
        run("c", vec![accepted("A-1")]),
    ]);
    assert_eq!(
        two.cases[0].lone_dissenter, None,
        "one of two is no lone dissenter"
    );
}

#[test]
fn cases_are_sorted_by_dissent() {
    let comparison = Comparison::build(&[
        run("a", vec![rejected("A-1"), rejected("A-2"), rejected("A-3")]),
        run("b", vec![rejected("A-1"), accepted("A-2"), accepted("A-3")]),
        run("c", vec![rejected("A-1"), rejected("A-2"), accepted("A-3")]),
    ]);
    let ids: Vec<&str> = comparison.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["A-3", "A-2", "A-1"]);
    assert!(!comparison.cases[2].disagreement);
}

#[test]
fn no_implementation_is_dropped() {
    let broken = ImplementationRun {
        name: "gone".into(),
        target: "exec:gone".into(),
        start_error: Some("could not start: exited with 127\nstderr: gone: not found".into()),
        ..ImplementationRun::default()
    };
    let mut skipped = case("A-1", "jwt", OutcomeClass::Skipped);
    skipped.skip_reason = Some("the implementation does not offer the verifier role".into());
    let mut signer = run("signer", vec![skipped]);
    signer.header.as_mut().unwrap().roles = vec!["signer".into()];
    let mut stopped = run("stopped", vec![rejected("A-1")]);
    stopped.stopped = Some("not run: the run stopped after 10 adapter errors in a row".into());
    let comparison = Comparison::build(&[run("a", vec![rejected("A-1")]), broken, signer, stopped]);
    let states: Vec<(&str, State)> = comparison
        .implementations
        .iter()
        .map(|i| (i.name.as_str(), i.state))
        .collect();
    assert_eq!(
        states,
        [
            ("a", State::Ran),
            ("gone", State::DidNotStart),
            ("signer", State::RoleUnsupported),
            ("stopped", State::Stopped)
        ]
    );
    let gone = comparison.implementation("gone").unwrap();
    assert!(
        gone.detail.as_deref().unwrap().contains("gone: not found"),
        "the stderr tail stays"
    );
    let case = &comparison.cases[0];
    assert_eq!(group(case, DID_NOT_START).implementations, ["gone"]);
    assert!(group(case, DID_NOT_START).abstains);
    assert!(group(case, "skipped: role not offered").abstains);
    assert!(!case.disagreement, "abstentions are no disagreement");
    assert_eq!(
        comparison.exit(false),
        Exit::Usage,
        "an implementation that did not start: 2"
    );
}

#[test]
fn expectations_split_failures_and_decide_the_exit() {
    let mut should = accepted("S-1");
    should.level = Level::Should;
    let mut plain = run("plain", vec![rejected("A-1"), should.clone()]);
    // Without expectations only a must failure counts against it.
    let comparison = Comparison::build(std::slice::from_ref(&plain));
    let summary = &comparison.implementations[0];
    assert_eq!(summary.failing, ["S-1"]);
    assert!(summary.unexpected_failures.is_empty());
    assert!(summary.matches);
    assert_eq!(comparison.exit(false), Exit::Passed);
    assert_eq!(
        summary.levels.should,
        Tally {
            passed: 0,
            failed: 1,
            skipped: 0
        }
    );
    assert_eq!(
        summary.levels.must,
        Tally {
            passed: 1,
            failed: 0,
            skipped: 0
        }
    );

    plain.events.push(accepted("A-2"));
    let comparison = Comparison::build(std::slice::from_ref(&plain));
    assert_eq!(comparison.implementations[0].unexpected_failures, ["A-2"]);
    assert_eq!(comparison.exit(false), Exit::Failed);

    // With expectations: listed failures are expected, unlisted ones (any level) are not, and
    // a listed case that passed is unexpectedly passing.
    plain.expectations = Some(
        Expectations::parse(
            "library: lib 1\nfailures:\n  - {id: A-2, behaviour: accepts none, source: lib.py:3}\n  - {id: A-1, behaviour: was broken}\n",
        )
        .unwrap(),
    );
    let comparison = Comparison::build(std::slice::from_ref(&plain));
    let summary = &comparison.implementations[0];
    assert_eq!(summary.expected_failures.len(), 1);
    assert_eq!(summary.expected_failures[0].reason, "accepts none");
    assert_eq!(
        summary.expected_failures[0].source.as_deref(),
        Some("lib.py:3")
    );
    assert_eq!(summary.unexpected_failures, ["S-1"]);
    assert_eq!(summary.unexpectedly_passing[0].id, "A-1");
    assert!(!summary.matches);
    assert_eq!(summary.library.as_deref(), Some("lib 1"));
}

#[test]
fn fail_on_disagreement_only_for_must_cases() {
    let mut may_a = rejected("M-1");
    may_a.level = Level::May;
    let mut may_b = verdict("M-1", OutcomeClass::Pass, "accepted", None);
    may_b.level = Level::May;
    let comparison = Comparison::build(&[run("a", vec![may_a]), run("b", vec![may_b])]);
    assert!(comparison.cases[0].disagreement);
    assert_eq!(
        comparison.exit(true),
        Exit::Passed,
        "a may case allows both"
    );
    let mut expect_b = rejected("A-1");
    expect_b.actual["error"] = json!("jwt_malformed");
    let comparison =
        Comparison::build(&[run("a", vec![rejected("A-1")]), run("b", vec![expect_b])]);
    assert_eq!(comparison.exit(false), Exit::Passed, "both pass");
    assert_eq!(
        comparison.exit(true),
        Exit::Failed,
        "but they disagree on a must case"
    );
}

#[test]
fn redaction_reaches_every_string() {
    let secret = "s3cr3t-workspace-key-0001";
    let mut leaky = accepted("A-1");
    leaky.message = Some(format!("used {secret}"));
    leaky.actual["message"] = json!(format!("key {secret}"));
    let mut comparison = Comparison::build(&[run("a", vec![leaky])]);
    comparison.redact(&Redactor::new([secret]));
    for text in [
        render::json(&comparison),
        render::jsonl(&comparison),
        render::markdown(&comparison),
        render::terminal(&comparison),
        html::render(&comparison),
    ] {
        assert!(!text.contains(secret));
    }
    assert!(render::json(&comparison).contains(crate::redact::REDACTED));
}

#[test]
fn schemas_are_committed() {
    crate::contract::schema::check_committed(
        "compare.schema.json",
        render::compare_schema(),
        "src/compare/mod.rs",
        "compare::tests::schemas",
    );
    crate::contract::schema::check_committed(
        "compare-jsonl.schema.json",
        render::compare_jsonl_schema(),
        "src/compare/render.rs",
        "compare::tests::schemas",
    );
}

#[test]
fn written_files_match_their_schemas() {
    let comparison = Comparison::build(&[
        run("a", vec![rejected("A-1")]),
        run("b", vec![accepted("A-1")]),
    ]);
    let validate = |schema: Value, instance: Value| {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.add_resource("mem://s", schema).unwrap();
        let index = compiler.compile("mem://s", &mut schemas).unwrap();
        if let Err(error) = schemas.validate(&instance, index) {
            panic!("{error:#}\n{instance}");
        }
    };
    validate(
        render::compare_schema(),
        serde_json::from_str(&render::json(&comparison)).unwrap(),
    );
    for line in render::jsonl(&comparison).lines() {
        validate(
            render::compare_jsonl_schema(),
            serde_json::from_str(line).unwrap(),
        );
    }
}

#[test]
fn markdown_escapes_what_implementations_say() {
    let mut hostile = accepted("A-1");
    hostile.actual["error"] = json!("x|![t](https://t.example/p.gif)");
    hostile.actual["outcome"] = json!("rejected");
    let comparison = Comparison::build(&[run("a", vec![rejected("A-1")]), run("b", vec![hostile])]);
    let md = render::markdown(&comparison);
    assert!(!md.contains("![t]"), "{md}");
    assert!(md.contains("\\!\\[t\\]"), "{md}");
}

#[test]
fn badge_says_must_and_should_with_the_suite_version() {
    let mut should = accepted("S-1");
    should.level = Level::Should;
    let comparison = Comparison::build(&[run("a", vec![rejected("A-1"), should, rejected("A-2")])]);
    let badge = render::badge(&comparison, &comparison.implementations[0]);
    assert_eq!(badge["message"], "must 100% · should 0%");
    assert_eq!(badge["label"], "a · suite 0.1.0");
    assert_eq!(badge["color"], "yellow");
}

#[test]
fn the_page_escapes_and_holds_every_view() {
    let mut hostile = accepted("A-1");
    hostile.message = Some("<script>alert(1)</script>".into());
    let mut b = run("b", vec![hostile]);
    b.expectations = Some(
        Expectations::parse("failures:\n  - {id: A-1, behaviour: \"<img src=x>\"}\n").unwrap(),
    );
    let comparison = Comparison::build(&[run("a", vec![rejected("A-1")]), b]);
    let page = html::render(&comparison);
    assert!(!page.contains("<script>alert"), "the message is escaped");
    assert!(!page.contains("<img src=x>"), "the reason is escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        page.contains("default-src 'none'"),
        "the CSP of report.html"
    );
    for id in [
        "id=\"implementations\"",
        "id=\"requirements-must\"",
        "id=\"case-A-1\"",
        "id=\"impl-b\"",
        "reproduce",
    ] {
        assert!(page.contains(id), "{id}");
    }
}

pub(crate) fn run_of(name: &str, events: Vec<CaseEvent>) -> ImplementationRun {
    run(name, events)
}

pub(crate) fn rejected_event(id: &str) -> CaseEvent {
    rejected(id)
}

pub(crate) fn accepted_event(id: &str) -> CaseEvent {
    accepted(id)
}

#[test]
fn a_key_inside_a_token_header_is_redacted_in_the_drill_down() {
    use base64::Engine;
    let secret = "attacker-key-0123456789abcdef";
    let encode = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    let jwt = format!(
        "{}.{}.sig",
        encode(json!({"alg": "HS256", "jwk": {"kty": "oct", "k": key}})),
        encode(json!({"user_id": "u-1"}))
    );
    let mut event = rejected("A-1");
    event.transcript[0].request = json!({"type": "verify", "request": {"intercom_user_jwt": jwt}});
    let mut comparison = Comparison::build(&[run("a", vec![event])]);
    assert_eq!(
        comparison.cases[0].token.as_ref().unwrap()["claims"]["user_id"],
        "u-1"
    );
    comparison.redact(&Redactor::new([secret]));
    let page = html::render(&comparison);
    assert!(page.contains("token header"));
    assert!(!page.contains(&key), "the decoded header's key is redacted");
}

#[test]
fn counts_take_the_number_they_call_for() {
    let mut must = accepted("M-1");
    must.level = Level::Must;
    let mut should = accepted("S-1");
    should.level = Level::Should;
    let mut musts = vec![accepted("M-2"), accepted("M-3")];
    for event in &mut musts {
        event.level = Level::Must;
    }
    let one = Comparison::build(&[run("one", vec![must.clone()])]);
    let page = render::ecosystem_page(&one, "cmd");
    assert!(page.contains("| no: 1 must failure |"), "{page}");
    assert!(render::markdown(&one).contains("1 implementation compared"));
    assert!(html::render(&one).contains("<h1>Messenger conformance: 1 implementation compared"));
    let page = render::ecosystem_page(
        &Comparison::build(&[run("two", musts), run("three", vec![should])]),
        "cmd",
    );
    assert!(page.contains("| no: 2 must failures |"), "{page}");
    assert!(page.contains("| conforms \\(1 should/may deviation\\) |"), "{page}");
}
