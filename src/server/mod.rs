//! The Postgres wire front end: `serve(listener, engine, shutdown)`.
//!
//! Connections beyond the limit are refused at accept; on shutdown the server stops
//! accepting, gives open connections a grace period to finish, then closes them.

pub mod encode;
pub mod handler;
pub mod sqlstate;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use pgwire::tokio::process_socket;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::engine::Engine;
use handler::Handlers;

/// How long open connections may go on after shutdown is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `engine` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    engine: Engine,
    max_connections: usize,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let handlers = Arc::new(Handlers::new(engine));
    let limit = Arc::new(Semaphore::new(max_connections.max(1)));
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
                let Ok(permit) = Arc::clone(&limit).try_acquire_owned() else {
                    log::warn!("connection limit ({max_connections}) reached: refusing {peer}");
                    continue;
                };
                let handlers = Arc::clone(&handlers);
                connections.spawn(async move {
                    let _permit = permit;
                    if let Err(e) = process_socket(socket, None, handlers).await {
                        log::debug!("connection from {peer} ended: {e}");
                    }
                });
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
