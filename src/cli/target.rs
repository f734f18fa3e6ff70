//! Which implementation `run` talks to: the built-in reference, a command (exec) or a URL (http).

use std::time::Duration;

use clap::Args;

use messenger_conformance::adapter::builtin::BuiltinFactory;
use messenger_conformance::adapter::exec::ExecFactory;
use messenger_conformance::adapter::http::HttpFactory;
use messenger_conformance::adapter::AdapterFactory;
use messenger_conformance::selection::RoleFilter;

#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// Test the implementation at this URL: every message is POSTed to it as a JSON body (http
    /// transport). Without --url and without a command, the built-in reference is tested.
    #[arg(long, value_name = "URL", conflicts_with = "command")]
    pub url: Option<String>,
    /// How long one request may take, in milliseconds (1 to 3600000, an hour); a late answer is
    /// an adapter error (timeout).
    #[arg(long, value_name = "MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub timeout_ms: u64,
    /// Check every message the implementation sends against the protocol's JSON Schema; a message
    /// that does not match is an adapter error naming the offending field.
    #[arg(long)]
    pub validate_protocol: bool,
    /// Which cases to run by role: verifier cases, signer cases, or all.
    #[arg(long, value_enum, default_value = "all")]
    pub role: RoleArg,
    /// The adapter command and its arguments, after `--` (exec transport: JSON lines on its stdin
    /// and stdout, one process per worker).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// `--role`: which cases run by role (the library's [`RoleFilter`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    Verifier,
    Signer,
    All,
}

impl From<RoleArg> for RoleFilter {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Verifier => RoleFilter::Verifier,
            RoleArg::Signer => RoleFilter::Signer,
            RoleArg::All => RoleFilter::All,
        }
    }
}

impl TargetArgs {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.max(1))
    }

    /// The factory these flags name. `Err` is a usage error (exit 2).
    pub fn factory(&self) -> Result<Box<dyn AdapterFactory>, String> {
        match (&self.url, self.command.is_empty()) {
            (Some(_), false) => Err("give either --url or a command after `--`, not both".into()),
            (Some(url), true) => {
                Ok(Box::new(HttpFactory::new(url.clone(), self.timeout()).validate_protocol(self.validate_protocol)))
            }
            (None, false) => Ok(Box::new(
                ExecFactory::new(self.command.clone(), self.timeout()).validate_protocol(self.validate_protocol),
            )),
            (None, true) if self.validate_protocol => {
                Err("--validate-protocol checks what an adapter sends: give a command after `--` or --url".into())
            }
            (None, true) => Ok(Box::new(BuiltinFactory::reference())),
        }
    }
}
