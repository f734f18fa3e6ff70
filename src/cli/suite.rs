//! `suite export DIR` and `suite info`: the suite built into the harness, written out or named.

use std::path::PathBuf;

use clap::Subcommand;

use super::{load, outln, CasesArg, CliError, CommandResult};
use messenger_conformance::exit::Exit;

#[derive(Debug, Subcommand)]
pub enum SuiteCommand {
    /// Write the built-in suite into DIR (fixtures.yaml and the area folders), as a cases
    /// directory: read it, or make it a suite of your own and run it with `--cases DIR`.
    Export {
        /// Where to write it; created if missing, refused if it holds anything (see --force).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Write into a directory that is not empty: the suite's files are written over, other
        /// files are left as they are.
        #[arg(long)]
        force: bool,
    },
    /// Print the suite's version, digest and number of cases (with --cases and --extra-cases:
    /// of that suite), as run headers, reports and baselines record them.
    Info(CasesArg),
}

pub fn suite(command: SuiteCommand) -> CommandResult {
    match command {
        SuiteCommand::Export { dir, force } => {
            let exported =
                messenger_conformance::suite::export(&dir, force).map_err(CliError::new)?;
            outln!(
                "wrote the suite {} ({} files, digest {}) to {}; run it with --cases {}",
                messenger_conformance::suite::VERSION,
                exported.files.len(),
                messenger_conformance::suite::embedded_digest(),
                dir.display(),
                dir.display()
            )?;
            if !exported.foreign.is_empty() {
                let shown: Vec<String> = exported
                    .foreign
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect();
                eprintln!(
                    "warning: {} holds YAML files that are not part of the suite, and --cases {} would load them too: {}",
                    dir.display(),
                    dir.display(),
                    shown.join(", ")
                );
            }
            Ok(Exit::Passed)
        }
        SuiteCommand::Info(cases) => {
            let suite = load(&cases)?;
            let identity = &suite.identity;
            outln!("version: {}", identity.version_label())?;
            outln!("digest: {}", identity.digest)?;
            outln!("cases: {}", identity.cases)?;
            outln!("source: {}", identity.source)?;
            for extra in &identity.extra {
                outln!(
                    "extra: {} ({} cases, {})",
                    extra.dir,
                    extra.cases,
                    extra.digest
                )?;
            }
            Ok(Exit::Passed)
        }
    }
}
