//! What the benchmarks of `messenger-conformance` share (see `benches/`).

use std::path::Path;
use std::process::Command;

/// The `messenger-conformance` binary, built in release mode into the bench's own profile
/// directory (`target/release/`): a bench of another package has no `CARGO_BIN_EXE_` for it, so
/// it is built here (a no-op when it is up to date).
pub fn harness_binary() -> String {
    let me = std::env::current_exe().expect("the bench binary's path");
    let profile_dir = me
        .parent()
        .and_then(Path::parent)
        .expect("the bench runs from target/<profile>/deps/");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "messenger-conformance",
        ])
        .args(["--bin", "messenger-conformance"])
        .status()
        .expect("cargo runs");
    let binary = profile_dir.join(format!(
        "messenger-conformance{}",
        std::env::consts::EXE_SUFFIX
    ));
    assert!(
        status.success() && binary.exists(),
        "could not build {}: run `cargo build --release` at the repository root",
        binary.display()
    );
    binary.display().to_string()
}
