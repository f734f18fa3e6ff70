//! Sharding a run across machines (`run --partition K/N`) and merging the shards' event
//! streams back into one (`messenger-conformance merge OUT DIR...`).
//!
//! Partitioning is what `cargo nextest run --partition count:K/N` does: round robin over the
//! ordered list, so the case at 0-based index `i` of the selected suite (in suite order) runs
//! in shard `i % N + 1`. Shards stay balanced across areas and the assignment depends only on
//! the selection, never on timing.
//!
//! Merging restores suite order exactly when the inputs are the N shards `1/N` ... `N/N` of
//! the same selection: case `i` of the merged run is case `i / N` of shard `i % N + 1`. Any
//! other set of streams (different selections, or a subset of the shards) is concatenated in
//! the order given. The header is the first shard's (the lowest `K`), with `partition` cleared
//! when the set is complete, `merged` counting the inputs, and `only: cases` when the shards
//! hold no property results (`run --partition` leaves the properties out); the footer is
//! recomputed, its duration being the longest input's (shards run side by side).

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
}

/// The merged stream and what the reader should know about how it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub stream: Stream,
    /// Notes for the terminal, e.g. why suite order could not be restored.
    pub notes: Vec<String>,
}

fn partition_of(stream: &Stream) -> Option<Partition> {
    stream.header.options.selection.shard()
}

pub fn merge(mut streams: Vec<Stream>) -> Result<Merged, MergeError> {
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
    }
    let mut seen = HashSet::new();
    for case in streams.iter().flat_map(|s| &s.cases) {
        if !seen.insert(case.id.as_str()) {
            return Err(MergeError::Duplicate(case.id.clone()));
        }
    }

    let mut notes = Vec::new();
    let partitions: Vec<Option<Partition>> = streams.iter().map(partition_of).collect();
    let count = partitions.first().copied().flatten().map(|p| p.count);
    let complete_set = count.is_some_and(|n| {
        let mut indexes: Vec<usize> = partitions
            .iter()
            .filter_map(|p| p.filter(|p| p.count == n).map(|p| p.index))
            .collect();
        indexes.sort_unstable();
        indexes == (1..=n).collect::<Vec<_>>()
    });
    if complete_set {
        streams.sort_by_key(|s| partition_of(s).map_or(0, |p| p.index));
    }
    let duration_ms = streams
        .iter()
        .map(|s| s.footer.duration_ms)
        .fold(0.0, f64::max);
    let complete = streams.iter().all(|s| s.complete);
    let total: usize = streams.iter().map(|s| s.cases.len()).sum();
    let shard_sizes_fit = complete_set && {
        let n = streams.len();
        streams
            .iter()
            .enumerate()
            .all(|(k, s)| s.cases.len() == (total + n - 1 - k) / n)
    };
    if complete_set && !shard_sizes_fit {
        notes.push(
            "the shards' sizes do not fit one round-robin partition (a shard was cut short, or the shards ran \
             different selections): cases are kept in shard order"
                .to_string(),
        );
    }
    let mut header = streams[0].header.clone();
    header.started_at = streams
        .iter()
        .map(|s| s.header.started_at)
        .min()
        .unwrap_or(header.started_at);
    let selection = &mut header.options.selection;
    if complete_set {
        selection.partition = None;
    } else if partitions.iter().any(Option::is_some) {
        let list: Vec<String> = partitions
            .iter()
            .map(|p| p.map_or("-".to_string(), |p| p.to_string()))
            .collect();
        selection.partition = Some(format!("merged {}", list.join(",")));
    }
    header.options.merged = Some(streams.len());

    let cases: Vec<CaseEvent> = if shard_sizes_fit {
        let n = streams.len();
        let mut shards: Vec<std::vec::IntoIter<CaseEvent>> =
            streams.into_iter().map(|s| s.cases.into_iter()).collect();
        (0..total).filter_map(|i| shards[i % n].next()).collect()
    } else {
        streams.into_iter().flat_map(|s| s.cases).collect()
    };
    // A partitioned run leaves the properties out (they are not split), so shards merged back
    // are a run of the cases only: say so, or every baselined property would look stale.
    let sharded = partitions.iter().any(Option::is_some);
    if sharded && !cases.iter().any(|c| c.kind == Kind::Property) {
        header.options.selection.only.get_or_insert(Only::Cases);
    }
    let footer = footer_for(&cases, duration_ms);
    Ok(Merged {
        stream: Stream {
            header,
            cases,
            footer,
            complete,
        },
        notes,
    })
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
            assert!(merged.notes.is_empty(), "{:?}", merged.notes);
            assert_eq!(merged.stream.cases, cases, "{n} cases in {shards} shards");
            assert_eq!(merged.stream.header.options.selection.partition, None);
            assert_eq!(
                merged.stream.header.options.selection.only,
                Some(Only::Cases),
                "shards hold no properties"
            );
            assert_eq!(
                merged.stream.footer,
                footer_for(&cases, 10.0 * shards as f64)
            );
        }
    }

    #[test]
    fn other_sets_are_concatenated_and_stay_partial() {
        let cases = suite(9);
        let merged = merge(vec![
            shard(&cases, Partition { index: 1, count: 3 }),
            shard(&cases, Partition { index: 3, count: 3 }),
        ])
        .unwrap();
        assert_eq!(merged.stream.cases.len(), 6);
        assert_eq!(
            merged.stream.header.options.selection.partition.as_deref(),
            Some("merged 1/3,3/3")
        );
        assert!(merged.stream.is_partial());
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
            merge(vec![one, other]),
            Err(MergeError::DifferentImplementations(..))
        ));
        assert_eq!(merge(vec![]), Err(MergeError::Empty));
    }

    #[test]
    fn a_cut_shard_keeps_shard_order_with_a_note() {
        let cases = suite(9);
        let mut second = shard(&cases, Partition { index: 2, count: 3 });
        second.cases.pop();
        let merged = merge(vec![
            shard(&cases, Partition { index: 1, count: 3 }),
            second,
            shard(&cases, Partition { index: 3, count: 3 }),
        ])
        .unwrap();
        assert_eq!(merged.notes.len(), 1);
        assert_eq!(merged.stream.cases.len(), 8);
    }
}
