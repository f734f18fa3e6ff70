//! The `messenger-conformance` command: a thin layer over the library. Everything the command
//! line knows (flags, printing, exit codes) lives in [`cli`]; the library never reaches up here.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
