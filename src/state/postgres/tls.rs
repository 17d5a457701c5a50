//! TLS for the PostgreSQL connection with rustls and the aws-lc-rs provider reqwest already
//! uses (no OpenSSL). `prefer`/`require` encrypt without verifying the certificate, as libpq
//! does; `verify-full` verifies it against the system's trust store.

use std::sync::{Arc, Once};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::target::TlsMode;
use crate::state::postgres_error::PostgresError;

/// Installs aws-lc-rs as the process's default rustls provider, once (reqwest's choice too).
pub fn install_default_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err means another part of the process installed one first: that one stays.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}

/// The TLS connector for `mode`.
pub fn connector(mode: TlsMode) -> Result<MakeRustlsConnect, PostgresError> {
    install_default_provider();
    if mode == TlsMode::VerifyFull {
        // The system's trust store, with the process's default provider (installed above).
        return MakeRustlsConnect::with_native_certs()
            .map(|(connector, _unreadable)| connector)
            .map_err(|_| PostgresError::Tls {
                detail: "sslmode verify-full needs the system's trust store, and no certificate \
                         could be loaded from it"
                    .into(),
            });
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PostgresError::Tls {
            detail: e.to_string(),
        })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Unverified(algorithms)))
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// libpq's `sslmode=require`: any certificate is accepted (the channel is encrypted, the server
/// is not authenticated), but the handshake signatures are still checked.
#[derive(Debug)]
struct Unverified(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::crypto::CryptoProvider;

    #[test]
    fn connectors_build_for_every_mode_that_uses_tls() {
        for mode in [TlsMode::Prefer, TlsMode::Require] {
            connector(mode).unwrap();
        }
        let _ = CryptoProvider::get_default().expect("a default provider is installed");
    }
}
