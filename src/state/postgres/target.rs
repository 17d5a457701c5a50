//! `Target`: which PostgreSQL server and database to use, from a `postgres://` URL completed by
//! the libpq environment variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`,
//! `PGSSLMODE`, `PGCONNECT_TIMEOUT`, `PGAPPNAME`), as libpq users expect: what the URL says wins,
//! the environment fills the rest. `--backend postgres://` alone takes everything from the
//! environment.
//!
//! Decisions where libpq and tokio-postgres differ:
//! - No host anywhere means `localhost` (libpq would try its compiled-in Unix socket folder;
//!   a socket folder can still be named, `host=/var/run/postgresql`).
//! - `sslmode`: `disable`, `prefer` (the default) and `require` behave as in libpq — `prefer`
//!   and `require` encrypt without verifying the server's certificate. `verify-ca` and
//!   `verify-full` both verify the certificate chain *and* the host name against the system's
//!   trust store (stricter than libpq's `verify-ca`).
//! - The description used in messages never holds the password.

use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode};

use crate::state::postgres_error::PostgresError;

/// How the connection uses TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, certificate not verified (libpq's default).
    Prefer,
    /// TLS always, certificate not verified.
    Require,
    /// TLS always, certificate and host name verified against the system's trust store.
    VerifyFull,
}

impl FromStr for TlsMode {
    type Err = PostgresError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "disable" => TlsMode::Disable,
            "allow" | "prefer" => TlsMode::Prefer,
            "require" => TlsMode::Require,
            "verify-ca" | "verify-full" => TlsMode::VerifyFull,
            other => {
                return Err(PostgresError::Url {
                    detail: format!(
                        "sslmode `{other}` is not one of disable, allow, prefer, require, \
                         verify-ca, verify-full"
                    ),
                });
            }
        })
    }
}

/// A server, database and user to connect to.
#[derive(Clone)]
pub struct Target {
    /// The tokio-postgres configuration (password included).
    pub config: tokio_postgres::Config,
    /// How TLS is used.
    pub tls: TlsMode,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("server", &self.to_string())
            .field("tls", &self.tls)
            .finish()
    }
}

/// The application name the server shows for tailform's connections (`pg_stat_activity`).
const APPLICATION_NAME: &str = "tailform";
/// How long connecting may take unless `connect_timeout` says otherwise.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Target {
    /// True when `spec` names a PostgreSQL backend (`postgres://…` or `postgresql://…`).
    pub fn is_url(spec: &str) -> bool {
        spec.starts_with("postgres://") || spec.starts_with("postgresql://")
    }

    /// Parses `url`, completing it from the environment (`var`).
    pub fn parse(url: &str, var: impl Fn(&str) -> Option<String>) -> Result<Target, PostgresError> {
        if !Self::is_url(url) {
            return Err(PostgresError::Url {
                detail: "a PostgreSQL backend is a `postgres://` or `postgresql://` URL".into(),
            });
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut sslmode = None;
        let mut kept = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            if k == "sslmode" {
                sslmode = Some(v.into_owned());
            } else {
                kept.append_pair(&k, &v);
            }
        }
        let kept = kept.finish();
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{kept}")
        };
        let mut config =
            tokio_postgres::Config::from_str(&rest).map_err(|e| PostgresError::Url {
                detail: e.to_string(),
            })?;
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        if config.get_hosts().is_empty() {
            config.host(var("PGHOST").unwrap_or_else(|| "localhost".to_owned()));
        }
        if config.get_ports().is_empty()
            && let Some(port) = var("PGPORT")
        {
            let port = port.parse::<u16>().map_err(|_| PostgresError::Url {
                detail: format!("PGPORT `{port}` is not a port number"),
            })?;
            config.port(port);
        }
        if config.get_user().is_none()
            && let Some(user) = var("PGUSER")
        {
            config.user(user);
        }
        if config.get_password().is_none()
            && let Some(password) = var("PGPASSWORD")
        {
            config.password(password);
        }
        if config.get_dbname().is_none()
            && let Some(db) = var("PGDATABASE")
        {
            config.dbname(db);
        }
        if config.get_connect_timeout().is_none() {
            let timeout = var("PGCONNECT_TIMEOUT")
                .and_then(|s| s.parse::<u64>().ok())
                .map_or(CONNECT_TIMEOUT, Duration::from_secs);
            config.connect_timeout(timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name(var("PGAPPNAME").unwrap_or_else(|| APPLICATION_NAME.into()));
        }
        let tls = match sslmode.or_else(|| var("PGSSLMODE")) {
            Some(mode) => mode.parse()?,
            None => TlsMode::Prefer,
        };
        config.ssl_mode(match tls {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            TlsMode::Require | TlsMode::VerifyFull => SslMode::Require,
        });
        Ok(Target { config, tls })
    }
}

/// `user@host:port/database` (no password), for messages.
impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".to_owned(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        if let Some(user) = self.config.get_user() {
            write!(f, "{user}@")?;
        }
        write!(f, "{host}:{port}")?;
        match self.config.get_dbname().or(self.config.get_user()) {
            Some(db) => write!(f, "/{db}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_url_wins_and_the_environment_fills_the_rest() {
        let t = Target::parse(
            "postgres://ci@db.internal:6543/tailform?sslmode=disable",
            env(&[("PGHOST", "ignored"), ("PGPASSWORD", "pw"), ("PGPORT", "1")]),
        )
        .unwrap();
        assert_eq!(t.to_string(), "ci@db.internal:6543/tailform");
        assert_eq!(t.tls, TlsMode::Disable);
        assert_eq!(t.config.get_password(), Some(&b"pw"[..]));
        assert_eq!(t.config.get_application_name(), Some("tailform"));
        assert_eq!(
            t.config.get_connect_timeout(),
            Some(&Duration::from_secs(10))
        );
    }

    #[test]
    fn a_bare_url_takes_everything_from_the_pg_variables() {
        let t = Target::parse(
            "postgres://",
            env(&[
                ("PGHOST", "10.0.0.5"),
                ("PGPORT", "5433"),
                ("PGUSER", "team"),
                ("PGDATABASE", "states"),
                ("PGSSLMODE", "verify-full"),
                ("PGCONNECT_TIMEOUT", "3"),
            ]),
        )
        .unwrap();
        assert_eq!(t.to_string(), "team@10.0.0.5:5433/states");
        assert_eq!(t.tls, TlsMode::VerifyFull);
        assert_eq!(t.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(
            t.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        let local = Target::parse("postgresql://", env(&[])).unwrap();
        assert_eq!(local.to_string(), "localhost:5432");
        assert_eq!(local.tls, TlsMode::Prefer);
    }

    #[test]
    fn the_description_never_holds_the_password() {
        let t = Target::parse("postgres://u:hunter2@h/db?sslmode=require", env(&[])).unwrap();
        assert_eq!(t.to_string(), "u@h:5432/db");
        assert!(!format!("{t:?}").contains("hunter2"));
        assert_eq!(t.tls, TlsMode::Require);
    }

    #[test]
    fn bad_urls_and_modes_are_clear_errors() {
        let err = Target::parse("mysql://x", env(&[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the PostgreSQL backend URL is invalid: a PostgreSQL backend is a `postgres://` or `postgresql://` URL"
        );
        let err = Target::parse("postgres://h/db?sslmode=sometimes", env(&[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the PostgreSQL backend URL is invalid: sslmode `sometimes` is not one of disable, allow, prefer, require, verify-ca, verify-full"
        );
        let err = Target::parse("postgres://", env(&[("PGPORT", "x")])).unwrap_err();
        assert!(err.to_string().contains("PGPORT `x` is not a port number"));
    }
}
