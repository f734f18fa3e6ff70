//! Which cases and properties a run takes: filters by name, the role, cases or properties only,
//! and one shard of a partitioned run ([`Partition`], as `cargo nextest run --partition
//! count:K/N` splits: round robin over the selection in suite order, so the case at 0-based
//! index `i` runs in shard `i % N + 1`). A run's selection is recorded in its header, so a later
//! reader (the gate, `report`, `merge`) knows whether a case missing from the run means anything.
#![warn(missing_docs)]

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::contract::Role;

/// `K/N`: the K-th of N shards, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partition {
    /// K: which shard this run is, from 1.
    pub index: usize,
    /// N: how many shards the suite is cut into.
    pub count: usize,
}

impl Partition {
    /// Whether the case at 0-based `position` of the selection belongs to this shard.
    pub(crate) fn contains(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }

    /// This shard's share of `items`, in order.
    pub fn select<T>(&self, items: Vec<T>) -> Vec<T> {
        items
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.contains(*i))
            .map(|(_, item)| item)
            .collect()
    }
}

/// Text that is not a partition (`K/N` with 1 <= K <= N); it holds the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a partition: write K/N with 1 <= K <= N, e.g. 2/4")]
pub struct NotAPartition(pub String);

impl FromStr for Partition {
    type Err = NotAPartition;

    /// `K/N`, or nextest's spelling `count:K/N`.
    fn from_str(text: &str) -> Result<Partition, NotAPartition> {
        let spec = text.strip_prefix("count:").unwrap_or(text);
        let usage = || NotAPartition(text.to_string());
        let (k, n) = spec.split_once('/').ok_or_else(usage)?;
        let index: usize = k.trim().parse().map_err(|_| usage())?;
        let count: usize = n.trim().parse().map_err(|_| usage())?;
        if count == 0 || index == 0 || index > count {
            return Err(usage());
        }
        Ok(Partition { index, count })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Cases by role: verifier cases, signer cases, or all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleFilter {
    /// Only what tests the verifier (`--role verifier`).
    Verifier,
    /// Only what tests the signer (`--role signer`).
    Signer,
    /// Both roles.
    #[default]
    All,
}

impl RoleFilter {
    /// Whether a case or property of `role` is selected.
    pub(crate) fn includes(self, role: Role) -> bool {
        match self {
            RoleFilter::All => true,
            RoleFilter::Verifier => role == Role::Verifier,
            RoleFilter::Signer => role == Role::Signer,
        }
    }
}

/// The YAML cases only, or the properties only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Only {
    /// The YAML cases, no properties (`--only cases`).
    Cases,
    /// The properties, no YAML cases (`--only properties`).
    Properties,
}

/// What part of the suite a run selected. The default selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Selection {
    /// Keep cases whose `area::id` contains one of these (any may match); empty keeps all.
    pub filter: Vec<String>,
    /// Match the filters against `area::id` or `id` exactly instead of as substrings.
    pub exact: bool,
    /// Leave out cases whose `area::id` contains one of these.
    pub skip: Vec<String>,
    /// The role whose cases and properties run.
    pub role: RoleFilter,
    /// Cases only or properties only; none runs both.
    pub only: Option<Only>,
    /// `K/N` for one shard of a partitioned run, as given.
    pub partition: Option<String>,
}

impl Selection {
    /// Whether the case or property `area::id` passes the name filters.
    pub fn selects_name(&self, area: &str, id: &str) -> bool {
        let name = format!("{area}::{id}");
        let matches = |pattern: &String| {
            if self.exact {
                name == *pattern || id == pattern
            } else {
                name.contains(pattern.as_str())
            }
        };
        (self.filter.is_empty() || self.filter.iter().any(matches))
            && !self.skip.iter().any(|s| name.contains(s.as_str()))
    }

    /// Whether YAML cases of `role` named `area::id` run.
    pub fn selects_case(&self, area: &str, id: &str, role: Role) -> bool {
        self.only != Some(Only::Properties)
            && self.role.includes(role)
            && self.selects_name(area, id)
    }

    /// Whether the property `name` of `role` runs. Properties are not split across shards: they
    /// run whole, in the first shard of a partitioned run.
    pub fn selects_property(&self, name: &str, role: Role) -> bool {
        self.only != Some(Only::Cases)
            && self.role.includes(role)
            && self.selects_name("properties", name)
            && self.shard().is_none_or(|p| p.index == 1)
    }

    /// The shard this run is, when it is one shard of a partitioned run.
    pub fn shard(&self) -> Option<Partition> {
        self.partition.as_deref().and_then(|p| p.parse().ok())
    }

    /// The flags that left part of the suite out (`--filter`, `--partition` ...), in the order
    /// the help lists them; empty for a run of the whole suite.
    pub(crate) fn narrowed_by(&self) -> Vec<&'static str> {
        [
            ("--filter", !self.filter.is_empty()),
            ("--skip", !self.skip.is_empty()),
            ("--role", self.role != RoleFilter::All),
            ("--only", self.only.is_some()),
            ("--partition", self.partition.is_some()),
        ]
        .into_iter()
        .filter_map(|(flag, narrowed)| narrowed.then_some(flag))
        .collect()
    }

    /// Whether the run left out part of the suite, so that a case missing from it means nothing.
    pub(crate) fn is_partial(&self) -> bool {
        !self.narrowed_by().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_selects_the_whole_suite() {
        let all = Selection::default();
        assert!(!all.is_partial());
        assert!(all.selects_case("jwt", "JWT-ALG-001", Role::Signer));
        assert!(all.selects_property("idv-hash", Role::Verifier));
    }

    #[test]
    fn every_narrowing_flag_makes_it_partial() {
        let cases = [
            Selection {
                filter: vec!["jwt".into()],
                ..Selection::default()
            },
            Selection {
                skip: vec!["jwt".into()],
                ..Selection::default()
            },
            Selection {
                role: RoleFilter::Verifier,
                ..Selection::default()
            },
            Selection {
                only: Some(Only::Cases),
                ..Selection::default()
            },
            Selection {
                partition: Some("1/3".into()),
                ..Selection::default()
            },
        ];
        for (selection, flag) in
            cases
                .iter()
                .zip(["--filter", "--skip", "--role", "--only", "--partition"])
        {
            assert!(selection.is_partial(), "{selection:?}");
            assert_eq!(selection.narrowed_by(), [flag]);
        }
    }

    #[test]
    fn filters_match_substrings_or_exact_names() {
        let loose = Selection {
            filter: vec!["ALG-00".into()],
            skip: vec!["ALG-002".into()],
            ..Selection::default()
        };
        assert!(loose.selects_name("jwt", "JWT-ALG-001"));
        assert!(!loose.selects_name("jwt", "JWT-ALG-002"));
        assert!(!loose.selects_name("idv", "IDV-001"));
        let exact = Selection {
            filter: vec!["JWT-ALG-001".into()],
            exact: true,
            ..Selection::default()
        };
        assert!(exact.selects_name("jwt", "JWT-ALG-001"));
        assert!(!exact.selects_name("jwt", "JWT-ALG-0011"));
    }

    #[test]
    fn properties_run_in_the_first_shard_only() {
        let first = Selection {
            partition: Some("1/2".into()),
            ..Selection::default()
        };
        let second = Selection {
            partition: Some("2/2".into()),
            ..Selection::default()
        };
        assert!(first.selects_property("idv-hash", Role::Verifier));
        assert!(!second.selects_property("idv-hash", Role::Verifier));
    }

    #[test]
    fn it_round_trips_through_the_header_spelling() {
        let selection = Selection {
            filter: vec!["jwt".into()],
            role: RoleFilter::Signer,
            only: Some(Only::Cases),
            ..Selection::default()
        };
        let json = serde_json::to_value(&selection).unwrap();
        assert_eq!(json["role"], "signer");
        assert_eq!(json["only"], "cases");
        assert_eq!(
            serde_json::from_value::<Selection>(json).unwrap(),
            selection
        );
    }
}
