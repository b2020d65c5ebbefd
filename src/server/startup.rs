//! Connection startup: TLS, the connection limit and authentication.
//!
//! - TLS (rustls) is offered when a certificate is configured; with `require`, clients that
//!   did not negotiate it are refused (28000).
//! - A client is admitted when its startup message arrives; past `max_connections` admitted
//!   clients it gets SQLSTATE 53300, as from PostgreSQL. Sockets that never send a startup
//!   message hold no place and are closed after the startup timeout (see [`super::serve`]).
//! - Authentication is SCRAM-SHA-256 against the configured users, or `trust` (no password)
//!   for clients on loopback only. An unknown user goes through the same exchange with a
//!   made-up secret, so a wrong user and a wrong password both answer 28P01.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Debug;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use datafusion::common::{DataFusionError, Result};
use futures::Sink;
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::sasl::scram::{
    SCRAM_ITERATIONS, ScramAuth, ScramSecret, gen_salted_password,
};
use pgwire::api::auth::{
    self, AuthSource, DefaultServerParameterProvider, LoginInfo, Password, StartupHandler,
};
use pgwire::api::{
    ClientInfo, ConnectionGuard, ConnectionHandle, ConnectionManager, PgWireConnectionState,
    PidSecretKeyGenerator, RandomPidSecretKeyGenerator,
};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use crate::config::{AuthMethod, Security};

/// What a server admits.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Clients served at once; more get SQLSTATE 53300.
    pub max_connections: usize,
    pub security: Security,
}

/// Admits, authenticates and times connections.
pub struct Startup {
    security: Security,
    trust: Trust,
    scram: SASLAuthStartupHandler<DefaultServerParameterProvider>,
    places: Arc<Semaphore>,
    max_connections: usize,
    /// Clients that finished their startup (the startup timeout spares them).
    started: Mutex<HashSet<SocketAddr>>,
}

/// A client's place among the `max_connections`, kept in its session extensions.
struct Place(#[allow(dead_code)] OwnedSemaphorePermit);

impl Startup {
    pub fn new(
        security: &Security,
        max_connections: usize,
        connections: Arc<ConnectionManager>,
    ) -> Result<Self> {
        let users = Users::new(&security.users)?;
        let scram = SASLAuthStartupHandler::new(Arc::new(parameters()))
            .with_scram(ScramAuth::new(Arc::new(users)))
            .with_connection_manager(Arc::clone(&connections));
        Ok(Self {
            security: security.clone(),
            trust: Trust {
                connections,
                pids: RandomPidSecretKeyGenerator::default(),
            },
            scram,
            places: Arc::new(Semaphore::new(max_connections.max(1))),
            max_connections,
            started: Mutex::default(),
        })
    }

    /// Whether the client at `peer` has finished its startup.
    pub fn has_started(&self, peer: SocketAddr) -> bool {
        self.started.lock().is_ok_and(|s| s.contains(&peer))
    }

    /// Forgets `peer` once its connection ended.
    pub fn forget(&self, peer: SocketAddr) {
        if let Ok(mut started) = self.started.lock() {
            started.remove(&peer);
        }
    }

    /// Refuses clients without TLS where it is required, remote clients under `trust`,
    /// and clients past the connection limit.
    fn admit<C: ClientInfo>(&self, client: &C) -> PgWireResult<()> {
        if self.security.require_tls && !client.is_secure() {
            return Err(fatal(
                "28000",
                "this server requires TLS: connect with sslmode=require".into(),
            ));
        }
        let peer = client.socket_addr();
        if self.security.auth == AuthMethod::Trust && !peer.ip().is_loopback() {
            return Err(fatal(
                "28000",
                format!(
                    "no password authentication is configured, and trust is for loopback \
                     clients only: {} refused",
                    peer.ip()
                ),
            ));
        }
        let place = Arc::clone(&self.places).try_acquire_owned().map_err(|_| {
            log::warn!(
                "connection limit ({}) reached: refusing {peer}",
                self.max_connections
            );
            fatal("53300", "sorry, too many clients already".into())
        })?;
        client.session_extensions().insert(Place(place));
        Ok(())
    }
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if matches!(message, PgWireFrontendMessage::Startup(_)) {
            self.admit(client)?;
        }
        let result = match self.security.auth {
            AuthMethod::Trust => self.trust.on_startup(client, message).await,
            AuthMethod::Scram => self.scram.on_startup(client, message).await,
        };
        if let Err(PgWireError::InvalidPassword(_)) = result {
            // SCRAM's own user name is empty (libpq sends none): name the startup's user.
            let user = client.metadata().get("user").cloned().unwrap_or_default();
            log::info!(
                "password authentication failed for {user} from {}",
                client.socket_addr()
            );
            return Err(PgWireError::InvalidPassword(user));
        }
        result?;
        if matches!(client.state(), PgWireConnectionState::ReadyForQuery)
            && let Ok(mut started) = self.started.lock()
        {
            started.insert(client.socket_addr());
        }
        Ok(())
    }
}

/// No password (loopback clients of a `trust` server). pgwire's own no-auth handler would
/// announce its own `server_version`; this one sends [`parameters`], as SCRAM does.
struct Trust {
    connections: Arc<ConnectionManager>,
    pids: RandomPidSecretKeyGenerator,
}

#[async_trait]
impl StartupHandler for Trust {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let PgWireFrontendMessage::Startup(startup) = &message else {
            return Ok(());
        };
        auth::protocol_negotiation(client, startup).await?;
        auth::save_startup_parameters_to_metadata(client, startup);
        let (pid, secret_key) = self.pids.generate(client);
        client.set_pid_and_secret_key(pid, secret_key.clone());
        // Registered for CancelRequests; the guard unregisters when the connection ends.
        let (handle, guard) = self.connections.register(pid, secret_key);
        client
            .session_extensions()
            .insert::<Arc<ConnectionHandle>>(handle);
        client.session_extensions().insert::<ConnectionGuard>(guard);
        auth::finish_authentication(client, &parameters()).await
    }
}

/// The parameters sent to every client after authentication.
fn parameters() -> DefaultServerParameterProvider {
    let mut parameters = DefaultServerParameterProvider::default();
    parameters.server_version = crate::version::SERVER_VERSION.to_string();
    parameters
}

fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".into(),
        code.into(),
        message,
    )))
}

/// The configured users' SCRAM secrets, derived once at startup.
#[derive(Debug)]
struct Users {
    secrets: BTreeMap<String, Secret>,
}

#[derive(Debug, Clone)]
enum Secret {
    Salted { salt: Vec<u8>, salted: Vec<u8> },
    Verifier(Verifier),
}

#[derive(Debug, Clone)]
struct Verifier {
    salt: Vec<u8>,
    iterations: usize,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl Users {
    fn new(users: &BTreeMap<String, String>) -> Result<Self> {
        let secrets = users
            .iter()
            .map(|(name, password)| Ok((name.clone(), Secret::new(name, password)?)))
            .collect::<Result<_>>()?;
        Ok(Self { secrets })
    }
}

impl Secret {
    /// A PostgreSQL `SCRAM-SHA-256$<iterations>:<salt>$<stored key>:<server key>` verifier,
    /// or a password salted here.
    fn new(user: &str, password: &str) -> Result<Self> {
        let Some(verifier) = password.strip_prefix("SCRAM-SHA-256$") else {
            let salt = random_bytes::<16>().to_vec();
            let salted = gen_salted_password(password, &salt, SCRAM_ITERATIONS);
            return Ok(Self::Salted { salt, salted });
        };
        let invalid = || {
            DataFusionError::Configuration(format!(
                "user {user}: invalid SCRAM-SHA-256 verifier (expected \
                 SCRAM-SHA-256$<iterations>:<salt>$<stored key>:<server key>)"
            ))
        };
        let (params, keys) = verifier.split_once('$').ok_or_else(invalid)?;
        let (iterations, salt) = params.split_once(':').ok_or_else(invalid)?;
        let (stored_key, server_key) = keys.split_once(':').ok_or_else(invalid)?;
        let decode = |text: &str| BASE64.decode(text).map_err(|_| invalid());
        Ok(Self::Verifier(Verifier {
            salt: decode(salt)?,
            iterations: iterations.parse().map_err(|_| invalid())?,
            stored_key: decode(stored_key)?,
            server_key: decode(server_key)?,
        }))
    }

    fn scram(&self) -> ScramSecret {
        match self.clone() {
            Self::Salted { salt, salted } => ScramSecret::SaltedPassword {
                salt,
                salted_password: salted,
            },
            Self::Verifier(v) => ScramSecret::Verifier {
                salt: v.salt,
                iterations: v.iterations,
                stored_key: v.stored_key,
                server_key: v.server_key,
            },
        }
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // getrandom only fails where the OS has no randomness source; a zero salt still works.
    let _ = getrandom::getrandom(&mut bytes);
    bytes
}

#[async_trait]
impl AuthSource for Users {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        match self.secret(login).scram() {
            ScramSecret::SaltedPassword {
                salt,
                salted_password,
            } => Ok(Password::new(Some(salt), salted_password)),
            ScramSecret::Verifier { .. } => Err(PgWireError::InvalidPassword(
                login.user().unwrap_or_default().to_string(),
            )),
        }
    }

    async fn get_scram_secret(&self, login: &LoginInfo) -> PgWireResult<(ScramSecret, Option<()>)> {
        Ok((self.secret(login).scram(), None))
    }
}

impl Users {
    /// The user's secret; an unknown user gets a random one that no password matches.
    fn secret(&self, login: &LoginInfo) -> Secret {
        let known = login.user().and_then(|user| self.secrets.get(user));
        known.cloned().unwrap_or_else(|| Secret::Salted {
            salt: random_bytes::<16>().to_vec(),
            salted: random_bytes::<32>().to_vec(),
        })
    }
}

/// The TLS acceptor for `security`'s certificate and key; None when TLS is not configured.
pub fn tls_acceptor(security: &Security) -> Result<Option<TlsAcceptor>> {
    let (Some(cert), Some(key)) = (&security.tls_cert, &security.tls_key) else {
        if security.require_tls {
            return Err(DataFusionError::Configuration(
                "tls.require needs tls.cert and tls.key".into(),
            ));
        }
        return Ok(None);
    };
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let config_error = |what: &str, e: &dyn std::fmt::Display| {
        DataFusionError::Configuration(format!("TLS {what}: {e}"))
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| config_error(&format!("certificate {}", cert.display()), &e))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| config_error(&format!("key {}", key.display()), &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| config_error("protocols", &e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| config_error("certificate and key", &e))?;
    Ok(Some(TlsAcceptor::from(Arc::new(config))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_postgres_verifiers() {
        // From PostgreSQL: SELECT rolpassword FROM pg_authid (password 'secret').
        let verifier = "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0$\
                        c3RvcmVka2V5c3RvcmVka2V5c3RvcmVka2V5MTI=:\
                        c2VydmVya2V5c2VydmVya2V5c2VydmVya2V5MTI=";
        match Secret::new("alice", verifier).unwrap() {
            Secret::Verifier(v) => {
                assert_eq!(v.iterations, 4096);
                assert_eq!(v.salt, b"saltsaltsalt");
            }
            Secret::Salted { .. } => panic!("a verifier"),
        }
        assert!(Secret::new("bob", "SCRAM-SHA-256$x").is_err());
        assert!(matches!(
            Secret::new("carol", "plain").unwrap(),
            Secret::Salted { .. }
        ));
    }
}
