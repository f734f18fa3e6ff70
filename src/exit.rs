//! The process exit codes, documented once: the command line returns one for every command, and
//! the library's decisions (the gate, the smoke test) are expressed in them.
#![warn(missing_docs)]

/// How a command ends. CI reads the number; people read the README's table of the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Exit {
    /// 0: everything that gates passed (the implementation conforms, as far as this run saw).
    Passed,
    /// 1: nonconformance found, an adapter error, or a run that tested nothing.
    Failed,
    /// 2: a usage error, a broken case file, or an implementation that cannot be started.
    Usage,
    /// 128 + the signal: the run was interrupted (Ctrl-C 130, SIGTERM 143, SIGHUP 129); what ran
    /// is in the report directory as an incomplete stream.
    Interrupted(u8),
}

impl Exit {
    /// The number the process exits with.
    pub const fn code(self) -> u8 {
        match self {
            Exit::Passed => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Interrupted(signal) => 128u8.saturating_add(signal),
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    #[test]
    fn codes_are_the_documented_numbers() {
        assert_eq!(
            [Exit::Passed, Exit::Failed, Exit::Usage].map(Exit::code),
            [0, 1, 2]
        );
    }
}
