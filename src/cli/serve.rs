//! `serve`: the reference (or a bundled broken implementation) over the adapter protocol.

use clap::Args;

use super::{CliError, CommandResult};
use messenger_conformance::exit::Exit;
use messenger_conformance::serve::{implementation, serve_stdio, HttpServer, HttpTimeouts};

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("transport").required(true).args(["stdio", "http"]))]
pub struct ServeArgs {
    /// Speak JSON lines on stdin and stdout (the exec transport): `run -- messenger-conformance
    /// serve --stdio`. Exits 0 on `bye` or at the end of input.
    #[arg(long)]
    pub stdio: bool,
    /// Listen on ADDR for messages POSTed as JSON bodies (the http transport). Port 0 picks a free
    /// port; the address is printed on stderr as `listening on http://ADDR/`.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
    /// Serve a bundled broken implementation instead of the reference.
    #[arg(long, value_name = "NAME")]
    pub broken: Option<String>,
    /// With --http: worker threads, each with its own implementation.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub threads: usize,
    /// With --http: how long a request may take from its first byte to the end of its body, in
    /// milliseconds; a client that stalls is answered 408 and closed.
    #[arg(long, default_value_t = 10_000, value_name = "MS",
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub request_timeout_ms: u64,
}

pub fn serve(args: ServeArgs) -> CommandResult {
    let make = implementation(args.broken.as_deref()).map_err(CliError::new)?;
    if let Some(address) = &args.http {
        let server = HttpServer::bind(address)
            .map_err(CliError::new)?
            .with_timeouts(HttpTimeouts {
                request: std::time::Duration::from_millis(args.request_timeout_ms),
                ..HttpTimeouts::default()
            });
        eprintln!("listening on {}", server.url());
        server.serve(&make, args.threads);
        return Ok(Exit::Passed);
    }
    let mut implementation = make();
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    match serve_stdio(
        implementation.as_mut(),
        stdin.lock(),
        stdout.lock(),
        std::io::stderr(),
    ) {
        Ok(()) => Ok(Exit::Passed),
        // The harness went away (closed stdout): nothing left to answer.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(Exit::Passed),
        Err(error) => Err(error.into()),
    }
}
