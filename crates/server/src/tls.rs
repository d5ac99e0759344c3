//! TLS served natively, with rustls (the `ring` provider; TLS 1.2 and 1.3, HTTP/1.1 over ALPN): a certificate chain
//! and its private key from PEM files. Under TLS every answer carries `strict-transport-security` and session
//! cookies are `Secure`. Without a certificate the command line serves plain HTTP on a loopback address only, unless
//! told otherwise, and says so.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// `strict-transport-security` under TLS: a year, subdomains too.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Why a certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file is unreadable or holds nothing of the kind.
    #[error("{path}: {problem}")]
    File {
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// rustls refused the pair (the key does not match the certificate, an unsupported key type).
    #[error("the certificate and key cannot be used together: {0}")]
    Config(#[from] rustls::Error),
}

/// The acceptor for a certificate chain and key in PEM files.
pub fn acceptor(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
    let file_error = |path: &Path, problem: String| TlsError::File { path: path.display().to_string(), problem };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| file_error(cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_error(cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(file_error(cert, "holds no certificate (PEM `CERTIFICATE` block)".to_owned()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| file_error(key, e.to_string()))?;
    // rustls deprecates its ring provider for lacking post-quantum key exchange; aws-lc-rs, which has it, needs cmake
    // and a long C build on two cores. Classical ECDHE (X25519, P-256) is what the lenders' clients speak today.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Adds `strict-transport-security` to an answer served over TLS.
pub async fn hsts(mut response: Response) -> Response {
    response.headers_mut().insert(HeaderName::from_static("strict-transport-security"), HeaderValue::from_static(HSTS));
    response
}

/// Whether plain HTTP on `addr` stays on this machine.
pub fn loopback_only(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}
