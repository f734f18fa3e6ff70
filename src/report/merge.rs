//! Sharding a run across machines (`run --partition K/N`) and merging the shards' event
//! streams back into one (`messenger-conformance merge OUT DIR...`).
//!
//! Partitioning is what `cargo nextest run --partition count:K/N` does: round robin over the
//! ordered list, so the case at 0-based index `i` of the selected suite (in suite order) runs
//! in shard `i % N + 1`. Shards stay balanced across areas and the assignment depends only on
//! the selection, never on timing.
//!
//! Shards merge only as a whole run: every shard `1/N` ... `N/N`, each run to its end with its
//! full share; a missing, unfinished or short shard is refused (exit 2), because a merge of part
//! of a run would pass the cases nobody ran. Suite order is restored: case `i` of the merged run
//! is case `i / N` of shard `i % N + 1`, and the properties (run in the first shard) follow.
//! Streams that are not shards (runs of different selections) are concatenated in the order
//! given. The header is the first shard's (the lowest `K`), with `partition` cleared,
//! `merged` counting the inputs, and `only: cases` when the shards hold no property results;
//! the footer is recomputed, its duration being the longest input's (shards run side by side).

use std::collections::HashSet;

use crate::event::{CaseEvent, Kind};
use crate::report::stream::{footer_for, Stream};
use crate::selection::{Only, Partition};

/// Why streams cannot be merged (a usage error).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MergeError {
    #[error("nothing to merge")]
    Empty,
    #[error("case {0} is in more than one of the runs: merge shards of one run, or runs of different cases")]
    Duplicate(String),
    #[error(
        "the runs are of different implementations ({0} and {1}): merge the shards of one run"
    )]
    DifferentImplementations(String, String),
    #[error(
        "the runs are of different suites ({0} and {1}): merge the shards of one run of one suite"
    )]
    DifferentSuites(String, String),
    #[error("the shards are of one run of {count}, and {missing} missing: merge every shard 1/{count} ... {count}/{count} of the run (a merge of some shards would pass a run that did not test the rest)")]
    MissingShards { count: usize, missing: String },
    #[error("the runs mix shards of a partitioned run ({0}) with other runs or with shards of another partition ({1}): merge the shards of one run")]
    MixedRuns(String, String),
    #[error("shard {shard} was run with other options than shard {first} ({differences}): every shard of a run must be run with the same flags but --partition (the same --filter, --skip, --role, --only, --strict, --timeout-ms...), or the merged run would claim cases or checks nobody ran; run the shards again alike, then merge")]
    DifferentOptions {
        first: String,
        shard: String,
        differences: String,
    },
    #[error("shard {0} did not complete (its events.jsonl has no footer): run that shard again, then merge")]
    CutShort(String),
    #[error("shard {shard} holds {found} cases where its share of the run is {expected}: it was cut short or ran another selection; run it again, then merge")]
    ShortShard {
        shard: String,
        found: usize,
        expected: usize,
    },
}

fn partition_of(stream: &Stream) -> Option<Partition> {
    stream.header.options.selection.shard()
}

pub fn merge(mut streams: Vec<Stream>) -> Result<Stream, MergeError> {
    if streams.is_empty() {
        return Err(MergeError::Empty);
    }
    let who = |s: &Stream| {
        format!(
            "{} {} via {}",
            s.header.implementation.name, s.header.implementation.version, s.header.target
        )
    };
    for other in &streams[1..] {
        if other.header.implementation != streams[0].header.implementation
            || other.header.target != streams[0].header.target
        {
            return Err(MergeError::DifferentImplementations(
                who(&streams[0]),
                who(other),
            ));
        }
        if let (Some(first), Some(suite)) = (&streams[0].header.suite, &other.header.suite) {
            if !first.same_as(suite) {
                return Err(MergeError::DifferentSuites(
                    first.to_string(),
                    suite.to_string(),
                ));
            }
        }
    }
    // Shards of one run are run alike: checked first, since a shard that ran another selection
    // also holds other cases than its share.
    if let Some(first) = streams.iter().find(|s| partition_of(s).is_some()) {
        for other in streams.iter().filter(|s| partition_of(s).is_some()) {
            if let Some(differences) = differing_options(first, other) {
                let name = |s: &Stream| partition_of(s).map_or_else(String::new, |p| p.to_string());
                return Err(MergeError::DifferentOptions {
                    first: name(first),
                    shard: name(other),
                    differences,
                });
            }
        }
    }
    let mut seen = HashSet::new();
    for case in streams.iter().flat_map(|s| &s.cases) {
        if !seen.insert(case.id.as_str()) {
            return Err(MergeError::Duplicate(case.id.clone()));
        }
    }

    let partitions: Vec<Option<Partition>> = streams.iter().map(partition_of).collect();
    let sharded = partitions.iter().any(Option::is_some);
    if sharded {
        check_shards(&streams, &partitions)?;
        streams.sort_by_key(|s| partition_of(s).map_or(0, |p| p.index));
    }
    let duration_ms = streams
        .iter()
        .map(|s| s.footer.duration_ms)
        .fold(0.0, f64::max);
    let complete = streams.iter().all(|s| s.complete);
    let mut header = streams[0].header.clone();
    header.started_at = streams
        .iter()
        .map(|s| s.header.started_at)
        .min()
        .unwrap_or(header.started_at);
    header.options.selection.partition = None;
    header.options.merged = Some(streams.len());

    let cases: Vec<CaseEvent> = if sharded {
        // Round robin back into suite order; the properties (run whole, in the first shard)
        // follow the cases, as in a run that was not partitioned.
        let (mut shards, properties): (Vec<_>, Vec<_>) = streams
            .into_iter()
            .map(|s| {
                let (properties, cases): (Vec<_>, Vec<_>) =
                    s.cases.into_iter().partition(|c| c.kind == Kind::Property);
                (cases.into_iter(), properties)
            })
            .unzip();
        let total: usize = shards.iter().map(|s| s.len()).sum();
        let n = shards.len();
        let mut cases: Vec<CaseEvent> = (0..total).filter_map(|i| shards[i % n].next()).collect();
        cases.extend(properties.into_iter().flatten());
        cases
    } else {
        streams.into_iter().flat_map(|s| s.cases).collect()
    };
    // A partitioned run with no property results (`--only cases`, or the first shard's
    // properties filtered out) is a run of the cases only: say so, or every baselined property
    // would look stale.
    if sharded && !cases.iter().any(|c| c.kind == Kind::Property) {
        header.options.selection.only.get_or_insert(Only::Cases);
    }
    let footer = footer_for(&cases, duration_ms);
    Ok(Stream {
        header,
        cases,
        footer,
        complete,
    })
}

/// The options two shards of one run may not differ in, named where they do: all but the
/// partition and what does not change what ran or how it is judged (the report and snapshot
/// directories, the number of jobs, the seed, which only the first shard's properties use, a
/// merge's own record).
fn differing_options(first: &Stream, other: &Stream) -> Option<String> {
    let comparable = |s: &Stream| {
        let mut options = s.header.options.clone();
        options.selection.partition = None;
        options.report = None;
        options.snapshots = None;
        options.jobs = 0;
        // Properties run in the first shard alone: the others' seeds generate nothing.
        options.seed = None;
        options.merged = None;
        options.merged_from = Vec::new();
        serde_json::to_value(options).unwrap_or_default()
    };
    let (a, b) = (comparable(first), comparable(other));
    if a == b {
        return None;
    }
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return Some("options".into());
    };
    let names: Vec<String> = a
        .iter()
        .filter(|(name, value)| b.get(name.as_str()) != Some(value))
        .map(|(name, value)| {
            let theirs = b.get(name.as_str()).cloned().unwrap_or_default();
            format!("{name}: {value} and {theirs}")
        })
        .chain(
            b.keys()
                .filter(|name| !a.contains_key(name.as_str()))
                .map(|name| name.to_string()),
        )
        .collect();
    Some(names.join("; "))
}

/// Shards merge only as a whole run: every shard `1/N` ... `N/N` of one partition, each run to
/// its end and holding its full share. A missing or short shard is refused (a usage error: the
/// inputs are not one run, and passing them would pass cases nobody ran).
fn check_shards(streams: &[Stream], partitions: &[Option<Partition>]) -> Result<(), MergeError> {
    let first = partitions
        .iter()
        .flatten()
        .next()
        .copied()
        .expect("sharded");
    let count = first.count;
    for (stream, partition) in streams.iter().zip(partitions) {
        match partition {
            Some(p) if p.count == count => {}
            other => {
                let other = other.map_or_else(
                    || "a run without --partition".to_string(),
                    |p| p.to_string(),
                );
                return Err(MergeError::MixedRuns(first.to_string(), other));
            }
        }
        if !stream.complete {
            return Err(MergeError::CutShort(
                partition.expect("checked").to_string(),
            ));
        }
    }
    let present: HashSet<usize> = partitions.iter().flatten().map(|p| p.index).collect();
    let missing: Vec<String> = (1..=count)
        .filter(|k| !present.contains(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        let verb = if missing.len() == 1 { "is" } else { "are" };
        return Err(MergeError::MissingShards {
            count,
            missing: format!("{} {verb}", missing.join(", ")),
        });
    }
    // Shard k holds the cases at positions k-1, k-1+N, ...: its share of the total.
    let cases_of = |s: &Stream| s.cases.iter().filter(|c| c.kind == Kind::Case).count();
    let total: usize = streams.iter().map(cases_of).sum();
    for (stream, partition) in streams.iter().zip(partitions) {
        let p = partition.expect("checked");
        let expected = (total + count - p.index) / count;
        let found = cases_of(stream);
        if found != expected {
            return Err(MergeError::ShortShard {
                shard: p.to_string(),
                found,
                expected,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::OutcomeClass;
    use crate::report::fixtures::{case, header};

    fn suite(n: usize) -> Vec<crate::event::CaseEvent> {
        (0..n)
            .map(|i| {
                case(
                    &format!("C-{i:02}"),
                    if i < n / 2 { "jwt" } else { "idv" },
                    if i % 3 == 0 {
                        OutcomeClass::WrongDetail
                    } else {
                        OutcomeClass::Pass
                    },
                )
            })
            .collect()
    }

    fn shard(cases: &[crate::event::CaseEvent], p: Partition) -> Stream {
        let mut h = header();
        h.options.selection.partition = Some(p.to_string());
        Stream::new(h, p.select(cases.to_vec()), 10.0 * p.index as f64)
    }

    #[test]
    fn partitions_parse_like_nextest() {
        assert_eq!(
            "2/4".parse::<Partition>(),
            Ok(Partition { index: 2, count: 4 })
        );
        assert_eq!(
            "count:1/3".parse::<Partition>(),
            Ok(Partition { index: 1, count: 3 })
        );
        for bad in ["0/3", "4/3", "1/0", "a/b", "3", "hash:1/2"] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
        assert_eq!(
            "0/3".parse::<Partition>().unwrap_err().to_string(),
            "`0/3` is not a partition: write K/N with 1 <= K <= N, e.g. 2/4"
        );
        let p = Partition { index: 2, count: 3 };
        assert_eq!(p.select((0..8).collect()), vec![1, 4, 7]);
    }

    #[test]
    fn merging_every_shard_restores_the_run() {
        for (n, shards) in [(10, 3), (7, 7), (5, 8), (12, 1)] {
            let cases = suite(n);
            let mut streams: Vec<Stream> = (1..=shards)
                .map(|k| {
                    shard(
                        &cases,
                        Partition {
                            index: k,
                            count: shards,
                        },
                    )
                })
                .collect();
            streams.reverse(); // any order of arguments
            let merged = merge(streams).unwrap();
            assert_eq!(merged.cases, cases, "{n} cases in {shards} shards");
            assert_eq!(merged.header.options.selection.partition, None);
            assert_eq!(
                merged.header.options.selection.only,
                Some(Only::Cases),
                "shards hold no properties"
            );
            assert_eq!(merged.footer, footer_for(&cases, 10.0 * shards as f64));
        }
    }

    #[test]
    fn a_missing_shard_is_refused() {
        let cases = suite(9);
        let merged = merge(vec![
            shard(&cases, Partition { index: 1, count: 3 }),
            shard(&cases, Partition { index: 3, count: 3 }),
        ]);
        assert_eq!(
            merged,
            Err(MergeError::MissingShards {
                count: 3,
                missing: "2/3 is".into()
            })
        );
    }

    #[test]
    fn properties_in_the_first_shard_do_not_disturb_the_order() {
        let cases = suite(9);
        let mut first = shard(&cases, Partition { index: 1, count: 3 });
        let mut property = case("idv-hash", "properties", OutcomeClass::Pass);
        property.kind = Kind::Property;
        first.cases.push(property.clone());
        let merged = merge(vec![
            first,
            shard(&cases, Partition { index: 2, count: 3 }),
            shard(&cases, Partition { index: 3, count: 3 }),
        ])
        .unwrap();
        let mut expected = cases.clone();
        expected.push(property);
        assert_eq!(merged.cases, expected);
        assert_eq!(merged.header.options.selection.only, None);
    }

    #[test]
    fn refuses_duplicates_and_mixed_implementations() {
        let cases = suite(4);
        let one = shard(&cases, Partition { index: 1, count: 2 });
        assert_eq!(
            merge(vec![one.clone(), one.clone()]),
            Err(MergeError::Duplicate("C-00".into()))
        );
        let mut other = shard(&cases, Partition { index: 2, count: 2 });
        other.header.implementation.name = "someone else".into();
        assert!(matches!(
            merge(vec![one.clone(), other]),
            Err(MergeError::DifferentImplementations(..))
        ));
        let mut other_suite = shard(&cases, Partition { index: 2, count: 2 });
        if let Some(suite) = other_suite.header.suite.as_mut() {
            suite.digest = format!("sha256:{}", "cd".repeat(32));
        }
        assert!(matches!(
            merge(vec![one, other_suite]),
            Err(MergeError::DifferentSuites(..))
        ));
        assert_eq!(merge(vec![]), Err(MergeError::Empty));
    }

    #[test]
    fn a_short_or_unfinished_shard_is_refused() {
        let cases = suite(9);
        let mut second = shard(&cases, Partition { index: 2, count: 3 });
        second.cases.pop();
        let all = |second: Stream| {
            merge(vec![
                shard(&cases, Partition { index: 1, count: 3 }),
                second,
                shard(&cases, Partition { index: 3, count: 3 }),
            ])
        };
        assert!(matches!(
            all(second),
            Err(MergeError::ShortShard {
                found: 2,
                expected: 3,
                ..
            })
        ));
        let mut unfinished = shard(&cases, Partition { index: 2, count: 3 });
        unfinished.complete = false;
        assert_eq!(all(unfinished), Err(MergeError::CutShort("2/3".into())));
    }

    #[test]
    fn a_skip_hello_did_not_declare_survives_the_event_log_and_the_merge() {
        let mut cases: Vec<_> = (0..4)
            .map(|i| case(&format!("C-{i:02}"), "jwt", OutcomeClass::Pass))
            .collect();
        cases[3] = crate::report::fixtures::undeclared("C-03", "jwt");
        cases[2] = case("C-02", "signer", OutcomeClass::Skipped);
        let shards: Vec<Stream> = [1, 2]
            .map(|index| shard(&cases, Partition { index, count: 2 }))
            .into_iter()
            // Through events.jsonl and back, as `merge OUT DIR...` reads them.
            .map(|s| Stream::parse(&s.to_jsonl(), std::path::Path::new("e.jsonl")).unwrap())
            .collect();
        let merged = merge(shards).unwrap();
        let by_id = |id: &str| merged.cases.iter().find(|c| c.id == id).unwrap();
        assert!(by_id("C-03").undeclared_skip());
        assert!(
            !by_id("C-02").undeclared_skip(),
            "a role skip stays declared"
        );
        let gate = crate::report::fixtures::gate(&merged);
        assert!(!gate.passed);
        assert_eq!(gate.undeclared_skips.len(), 1);
        assert_eq!(gate.undeclared_skips[0].id, "C-03");
    }
}
