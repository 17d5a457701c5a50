//! The backend's one connection: opened once per command, driven on a private single-threaded
//! runtime while a call blocks on it (see `state::backend` for why the seam is synchronous), and
//! never re-opened — when it breaks, the lock is gone *and* the next save fails.

use std::future::Future;

use tokio_postgres::Client;

use super::target::{Target, TlsMode};
use super::tls;
use crate::state::postgres_error::PostgresError;

/// The one connection of a command, with the runtime that drives it.
pub(super) struct Connection {
    runtime: tokio::runtime::Runtime,
    pub(super) client: Client,
    pub(super) server: String,
}

impl Connection {
    pub(super) fn open(target: &Target) -> Result<Connection, PostgresError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| PostgresError::Tls {
                detail: format!("cannot start the connection's runtime: {e}"),
            })?;
        let server = target.to_string();
        let connect = async {
            let (client, connection) = match target.tls {
                TlsMode::Disable => {
                    let (c, conn) = target.config.connect(tokio_postgres::NoTls).await?;
                    (c, tokio::spawn(log_end(conn)))
                }
                mode => {
                    let tls = tls::connector(mode).map_err(Connect::Setup)?;
                    let (c, conn) = target.config.connect(tls).await?;
                    (c, tokio::spawn(log_end(conn)))
                }
            };
            drop(connection);
            Ok::<Client, Connect>(client)
        };
        let client = runtime.block_on(connect).map_err(|e| match e {
            Connect::Setup(e) => e,
            Connect::Driver(source) => PostgresError::Connect {
                server: server.clone(),
                source,
            },
        })?;
        Ok(Connection {
            runtime,
            client,
            server,
        })
    }

    /// Runs `f` on the connection's runtime, from any thread (inside a multi-thread runtime it
    /// steps out with `block_in_place`; inside a single-threaded one, on a scoped thread).
    pub(super) fn block<F>(&self, f: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        use tokio::runtime::{Handle, RuntimeFlavor};
        match Handle::try_current().map(|h| h.runtime_flavor()) {
            Err(_) => self.runtime.block_on(f),
            Ok(RuntimeFlavor::MultiThread) => {
                tokio::task::block_in_place(|| self.runtime.block_on(f))
            }
            Ok(_) => std::thread::scope(|s| {
                s.spawn(|| self.runtime.block_on(f))
                    .join()
                    .expect("a PostgreSQL call does not panic")
            }),
        }
    }

    /// Maps a driver error: a closed connection, or the server ending the session (a `FATAL`
    /// error: terminated, shutting down), is [`PostgresError::ConnectionLost`].
    pub(super) fn error(
        &self,
        action: &'static str,
    ) -> impl Fn(tokio_postgres::Error) -> PostgresError + '_ {
        move |source| {
            let fatal = source
                .as_db_error()
                .is_some_and(|d| matches!(d.severity(), "FATAL" | "PANIC"));
            if source.is_closed() || fatal {
                PostgresError::ConnectionLost {
                    server: self.server.clone(),
                    action,
                }
            } else {
                PostgresError::Query {
                    server: self.server.clone(),
                    action,
                    source,
                }
            }
        }
    }
}

enum Connect {
    Setup(PostgresError),
    Driver(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for Connect {
    fn from(e: tokio_postgres::Error) -> Self {
        Connect::Driver(e)
    }
}

/// Drives the connection until it ends; a broken one shows up at the next call.
async fn log_end<F: Future<Output = Result<(), tokio_postgres::Error>>>(conn: F) {
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "PostgreSQL connection ended");
    }
}
