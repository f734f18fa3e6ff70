fn main() -> std::process::ExitCode {
    messenger_conformance::cli::main()
}
