//! A file of known failures, in the format of `ecosystem/*/expectations.yaml`: which cases and
//! properties an implementation fails, each with the behaviour that deviates and where.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Known failures of one implementation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// The library and version the failures were observed on.
    #[serde(default)]
    pub library: Option<String>,
    #[serde(default)]
    pub failures: Vec<KnownFailure>,
}

/// One known failure: a case id or a property name, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KnownFailure {
    pub id: String,
    /// What the implementation does that the suite does not accept.
    #[serde(alias = "reason")]
    pub behaviour: String,
    /// Where in the implementation's source (`file:line`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Set when the entry is thought to be the suite's mistake, with the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspected_suite_bug: Option<String>,
}

/// Why an expectations file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ExpectationsError {
    #[error("cannot read the expectations file {path}: {error}")]
    Read { path: String, error: String },
    #[error(
        "the expectations file {path} is not in the expected format ({error}): give `library:` and \
         `failures:`, a list of `{{id, behaviour, source}}`, as in ecosystem/*/expectations.yaml"
    )]
    Parse { path: String, error: String },
}

impl Expectations {
    /// Read a file.
    pub fn load(path: &Path) -> Result<Expectations, ExpectationsError> {
        let text = crate::input::read_text(path, crate::input::FILE_LIMIT).map_err(|error| {
            ExpectationsError::Read {
                path: path.display().to_string(),
                error: error.to_string(),
            }
        })?;
        Expectations::parse(&text).map_err(|error| ExpectationsError::Parse {
            path: path.display().to_string(),
            error: error.to_string(),
        })
    }

    /// Parse the YAML text of a file: an expectations file, or a baseline (`known_failures:`,
    /// each with its `reason`), whose entries are read as known failures.
    pub fn parse(text: &str) -> Result<Expectations, serde_saphyr::Error> {
        #[derive(Deserialize)]
        struct Baseline {
            known_failures: Vec<BaselineEntry>,
        }
        #[derive(Deserialize)]
        struct BaselineEntry {
            id: String,
            #[serde(default)]
            reason: Option<String>,
        }
        match serde_saphyr::from_str::<Expectations>(text) {
            Ok(expectations) => Ok(expectations),
            Err(error) => match serde_saphyr::from_str::<Baseline>(text) {
                Ok(baseline) => Ok(Expectations {
                    library: None,
                    failures: baseline
                        .known_failures
                        .into_iter()
                        .map(|entry| KnownFailure {
                            id: entry.id,
                            behaviour: entry
                                .reason
                                .unwrap_or_else(|| "(the baseline gives no reason)".into()),
                            source: None,
                            suspected_suite_bug: None,
                        })
                        .collect(),
                }),
                Err(_) => Err(error),
            },
        }
    }

    /// The entry for `id`.
    pub fn get(&self, id: &str) -> Option<&KnownFailure> {
        self.failures.iter().find(|f| f.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_ecosystem_format() {
        let text = "library: \"x 1\"\nfailures:\n  - id: JWT-ALG-021\n    behaviour: \"crit ignored\"\n    source: jose/jws.py:189\n";
        let e = Expectations::parse(text).unwrap();
        assert_eq!(e.library.as_deref(), Some("x 1"));
        assert_eq!(e.get("JWT-ALG-021").unwrap().behaviour, "crit ignored");
        assert!(
            Expectations::parse("failures: [{id: A}]").is_err(),
            "a failure needs its behaviour"
        );
    }

    #[test]
    fn every_ecosystem_file_reads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("ecosystem");
        let mut read = 0;
        for language in std::fs::read_dir(&root).unwrap().flatten() {
            for adapter in std::fs::read_dir(language.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = adapter.path().join("expectations.yaml");
                if path.is_file() {
                    Expectations::load(&path).unwrap();
                    read += 1;
                }
            }
        }
        assert!(read >= 7, "read {read} expectations files");
        let baseline = Expectations::load(&root.join("../adapters/node/baseline.yaml")).unwrap();
        assert!(baseline
            .get("JWT-DUP-001")
            .unwrap()
            .behaviour
            .contains("JSON.parse"));
    }
}
