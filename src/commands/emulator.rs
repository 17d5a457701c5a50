//! `tailform emulator`: serve the local Tailscale API emulator until SIGINT/SIGTERM.
//!
//! stdout gets exactly three lines, flushed at once, that a shell can `eval`:
//! `TAILSCALE_BASE_URL=…`, `TAILSCALE_OAUTH_CLIENT_ID=…`, `TAILSCALE_OAUTH_CLIENT_SECRET=…`;
//! a human line goes to stderr.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};

use crate::cli::{EmulatorArgs, GlobalArgs};
use crate::emulator::{Emulator, EmulatorConfig};
use crate::error::Error;
use crate::exit::Exit;

/// Runs `tailform emulator`.
pub fn run(global: &GlobalArgs, args: EmulatorArgs) -> Result<Exit, Error> {
    let config = EmulatorConfig {
        seed: args.seed,
        data: args.data,
        max_tailnets: global.max_tailnets,
        client_id: args.client_id,
        client_secret: args.client_secret,
        listen: parse_listen(&args.listen)?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("start the async runtime for", "the emulator", e))?;
    runtime.block_on(serve(config))
}

/// `HOST:PORT` with a literal IP, or `localhost:PORT`.
fn parse_listen(listen: &str) -> Result<SocketAddr, Error> {
    if let Some(Ok(port)) = listen.strip_prefix("localhost:").map(str::parse::<u16>) {
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    listen.parse().map_err(|_| {
        Error::Usage(format!(
            "`--listen {listen}` is not HOST:PORT with a loopback IP address (e.g. 127.0.0.1:8080)"
        ))
    })
}

async fn serve(config: EmulatorConfig) -> Result<Exit, Error> {
    // Install the handlers before announcing, so a signal sent right after the three lines
    // still shuts down cleanly.
    let stop = StopSignals::install()
        .map_err(|e| Error::io("listen for signals in", "the emulator", e))?;
    let emulator = Emulator::start(config).await?;
    announce(&emulator).map_err(|e| Error::io("write to", "stdout", e))?;
    eprintln!(
        "tailform emulator: serving the Tailscale API at {} (organization client {}); stop with Ctrl-C",
        emulator.base_url(),
        emulator.org_client_id()
    );
    stop.wait().await;
    emulator.shutdown().await;
    eprintln!("tailform emulator: stopped");
    Ok(Exit::Success)
}

fn announce(emulator: &Emulator) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "TAILSCALE_BASE_URL={}", emulator.base_url())?;
    writeln!(
        out,
        "TAILSCALE_OAUTH_CLIENT_ID={}",
        emulator.org_client_id()
    )?;
    writeln!(
        out,
        "TAILSCALE_OAUTH_CLIENT_SECRET={}",
        emulator.org_client_secret().expose()
    )?;
    out.flush()
}

/// SIGINT and SIGTERM, registered up front.
#[cfg(unix)]
struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// Ctrl-C where Unix signals do not exist.
#[cfg(not(unix))]
struct StopSignals;

#[cfg(not(unix))]
impl StopSignals {
    fn install() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(
            parse_listen("localhost:8080").unwrap(),
            "127.0.0.1:8080".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            parse_listen("[::1]:0").unwrap(),
            "[::1]:0".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            parse_listen("example.com:80").unwrap_err().to_string(),
            "`--listen example.com:80` is not HOST:PORT with a loopback IP address (e.g. 127.0.0.1:8080)"
        );
    }
}
