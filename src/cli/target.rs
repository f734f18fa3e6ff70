//! Which implementation `run` talks to: the built-in reference, a command (exec) or a URL (http).

use std::time::Duration;

use clap::Args;
use serde_json::{json, Value};

use crate::adapter::builtin::BuiltinFactory;
use crate::adapter::exec::ExecFactory;
use crate::adapter::http::HttpFactory;
use crate::adapter::AdapterFactory;
use crate::contract::Role;

#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// Test the implementation at this URL: every message is POSTed to it as a JSON body (http
    /// transport). Without --url and without a command, the built-in reference is tested.
    #[arg(long, value_name = "URL", conflicts_with = "command")]
    pub url: Option<String>,
    /// How long one request may take, in milliseconds; a late answer is an adapter error (timeout).
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub timeout_ms: u64,
    /// Check every message the implementation sends against the protocol's JSON Schema; a message
    /// that does not match is an adapter error naming the offending field.
    #[arg(long)]
    pub validate_protocol: bool,
    /// Which cases to run by role: verifier cases, signer cases, or all.
    #[arg(long, value_enum, default_value = "all")]
    pub role: RoleFilter,
    /// The adapter command and its arguments, after `--` (exec transport: JSON lines on its stdin
    /// and stdout, one process per worker).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleFilter {
    Verifier,
    Signer,
    All,
}

impl RoleFilter {
    pub fn includes(self, role: Role) -> bool {
        match self {
            RoleFilter::All => true,
            RoleFilter::Verifier => role == Role::Verifier,
            RoleFilter::Signer => role == Role::Signer,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            RoleFilter::Verifier => "verifier",
            RoleFilter::Signer => "signer",
            RoleFilter::All => "all",
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

    /// What the report header records about the target.
    pub fn options(&self) -> Value {
        json!({
            "timeout_ms": self.timeout_ms,
            "role": self.role.as_str(),
            "validate_protocol": self.validate_protocol,
        })
    }
}
