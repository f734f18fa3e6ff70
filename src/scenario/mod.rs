//! Case files: the format (`model`), loading and linting, and resolving templates into
//! protocol messages and expectations.
//!
//! - [`load_suite`] reads `cases/fixtures.yaml` and every case file, checks everything (format,
//!   fixtures, keys, secrets, times, templates, unique ids, known requirements) and reports every
//!   problem with `file:line:column`, a snippet and a hint ([`LoadErrors`]).
//! - [`LoadedCase::build`] turns a case into `BuiltStep`s: the protocol message of each step
//!   and its resolved [`Expectation`], at the instant the harness chooses.
//! - `lint` and [`coverage_gaps`] check the suite as a whole against [`crate::spec`].
//! - [`case_schema`] and [`fixtures_schema`] give editors the format as JSON Schema.

pub(crate) mod model;
pub(crate) mod time;

mod audit;
mod crypto;
mod error;
mod hash;
mod lint;
mod load;
mod patch;
mod resolve;
mod schema;
mod secret;
mod source;
mod step;
mod token;
mod typo;

#[cfg(test)]
mod tests;

pub use crate::judge::{Expectation, ExpectedVerdict};
pub use audit::{coverage_gaps, lint, several_rules};
pub use error::{LoadError, LoadErrors};
pub use lint::MIN_SECRET_BYTES;
pub use load::{load_suite, LoadedCase, Suite, SuiteSource, FIXTURES_FILE};
#[cfg(test)]
use resolve::BuiltStep;
pub(crate) use resolve::DEFAULT_NOW;
pub use schema::{case_schema, fixtures_schema};
#[cfg(test)]
use secret::SECRET_FORMS;
