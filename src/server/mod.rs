//! The Postgres wire front end: `serve(listener, engine, shutdown)`.
//!
//! Who gets in is [`startup`]'s business (TLS, the connection limit, SCRAM or loopback
//! trust); a socket that has not finished its startup within the startup timeout is closed.
//! On shutdown the server stops accepting, gives open connections a grace period to finish,
//! then closes them. A client that goes away mid-statement has its statement cancelled.

pub mod encode;
pub mod handler;
pub mod notice;
pub mod params;
pub mod sqlstate;
pub mod startup;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use std::net::SocketAddr;

use datafusion::common::Result;
use pgwire::tokio::process_socket;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::engine::Engine;
use handler::{Handlers, Sessions};

pub use startup::ServerOptions;

/// How long open connections may go on after shutdown is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `engine` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    engine: Engine,
    options: ServerOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let tls = startup::tls_acceptor(&options.security)?;
    let timeout = options.security.startup_timeout;
    let handlers = Arc::new(Handlers::new(engine, &options)?);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let (socket, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        log::warn!("accept failed: {e}");
                        continue;
                    }
                };
                connections.spawn(connection(socket, peer, Arc::clone(&handlers), tls.clone(), timeout));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    log::info!("shutting down: {} connection(s) open", connections.len());
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        connections.abort_all();
    }
    Ok(())
}

/// Serves one client; closes it when it has not started within `timeout`.
async fn connection(
    socket: TcpStream,
    peer: SocketAddr,
    handlers: Arc<Handlers>,
    tls: Option<pgwire::tokio::TlsAcceptor>,
    timeout: Duration,
) {
    let (socket, watcher) = match watch_hangup(socket, peer, handlers.sessions()) {
        Ok(watched) => watched,
        Err(e) => {
            log::warn!("connection from {peer}: {e}");
            return;
        }
    };
    let startup = handlers.startup();
    let served = process_socket(socket, tls, Arc::clone(&handlers));
    tokio::pin!(served);
    let result = tokio::select! {
        result = &mut served => result,
        () = tokio::time::sleep(timeout) => {
            if startup.has_started(peer) {
                served.await
            } else {
                log::debug!("{peer} did not finish its startup within {timeout:?}: closed");
                Ok(())
            }
        }
    };
    if let Err(e) = result {
        log::debug!("connection from {peer} ended: {e}");
    }
    startup.forget(peer);
    watcher.abort();
}

/// How often a connection's socket is checked for a client that went away.
const HANGUP_CHECK: Duration = Duration::from_millis(250);

/// Watches a second handle of `socket` for the client closing it, and cancels the statement
/// of its session when it does: pgwire only notices a closed socket when it next writes,
/// which a query computing before its first row may not do for minutes. The check peeks
/// without consuming anything, so the protocol reads stay pgwire's.
fn watch_hangup(
    socket: TcpStream,
    peer: SocketAddr,
    sessions: Arc<Sessions>,
) -> std::io::Result<(TcpStream, JoinHandle<()>)> {
    // Both handles share one non-blocking file description (tokio sets it non-blocking).
    let socket = socket.into_std()?;
    let watched = socket.try_clone()?;
    let socket = TcpStream::from_std(socket)?;
    let watcher = tokio::spawn(async move {
        let mut byte = [0u8; 1];
        loop {
            tokio::time::sleep(HANGUP_CHECK).await;
            let gone = match watched.peek(&mut byte) {
                Ok(0) => true,
                Ok(_) => false,
                Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
            };
            if gone {
                log::debug!("client {peer} went away: cancelling its statement");
                sessions.cancel_peer(peer);
                return;
            }
        }
    });
    Ok((socket, watcher))
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
