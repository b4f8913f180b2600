//! The server: opens every tenant's driver, listens on a Unix socket (mode 0600) or a
//! loopback TCP port, serves each connection over HTTP/1.1, ends idle sessions, and on
//! SIGTERM or SIGINT stops accepting, lets the requests in flight finish within the grace
//! period, closes the writers still open (their uploads stay resumable) and exits.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use s3drv_host::Runtime;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio::signal::unix::{SignalKind, signal};

use super::config::TenantConfig;
use super::routes::{Hosted, State, handle};
use super::sessions::Sessions;

/// Where the server listens.
#[derive(Debug, Clone)]
pub enum Listen {
    /// A Unix socket, created with mode 0600 (a stale socket file is replaced).
    Unix(PathBuf),
    /// A loopback TCP address; every tenant must have a token.
    Tcp(SocketAddr),
}

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where it listens.
    pub listen: Listen,
    /// How long requests in flight may take to finish after SIGTERM.
    pub grace: Duration,
    /// How long a writer or walker may sit unused before it is ended.
    pub idle: Duration,
}

/// Opens every tenant's driver from `runtime`, then serves until SIGTERM or SIGINT.
pub async fn serve(
    runtime: &Runtime,
    tenants: Vec<TenantConfig>,
    options: Options,
) -> Result<(), String> {
    if let Listen::Tcp(address) = &options.listen {
        if !address.ip().is_loopback() {
            return Err(format!(
                "{address} is not a loopback address: serve on a Unix socket, or on 127.0.0.1"
            ));
        }
        if let Some(open) = tenants.iter().find(|t| t.token.is_none()) {
            return Err(format!(
                "tenant {} has no token: every tenant needs one on a TCP listener",
                open.tenant.name
            ));
        }
    }
    let mut hosted = HashMap::new();
    for config in tenants {
        let name = config.tenant.name.clone();
        let driver = runtime
            .open_for(&config.tenant, config.params)
            .await
            .map_err(|e| format!("tenant {name}: {e}"))?;
        for warning in driver.warnings() {
            tracing::warn!(target: "s3drv::serve", tenant = name, "{warning}");
        }
        let token = config.token;
        hosted.insert(name, Hosted { driver, token });
    }
    let state = Arc::new(State {
        tenants: hosted,
        sessions: Sessions::new(),
    });
    let sweeper = tokio::spawn(end_idle_sessions(state.clone(), options.idle));
    let listener = match &options.listen {
        Listen::Unix(path) => Listener::Unix(bind_unix(path)?),
        Listen::Tcp(address) => Listener::Tcp(
            TcpListener::bind(address)
                .await
                .map_err(|e| format!("cannot listen on {address}: {e}"))?,
        ),
    };
    tracing::info!(target: "s3drv::serve", "listening on {:?}", options.listen);
    let outcome = accept(&listener, state.clone(), options.grace).await;
    if let Listen::Unix(path) = &options.listen {
        let _ = std::fs::remove_file(path);
    }
    sweeper.abort();
    let closed = state.sessions.end_idle(None).await;
    tracing::info!(target: "s3drv::serve", "stopped; {closed} sessions ended");
    outcome
}

fn bind_unix(path: &PathBuf) -> Result<UnixListener, String> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(format!("{} exists and is not a socket", path.display()));
        }
        std::fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let listener = UnixListener::bind(path)
        .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(listener)
}

/// A bound listener.
enum Listener {
    Unix(UnixListener),
    Tcp(TcpListener),
}

impl Listener {
    /// Accepts one connection and serves it on its own task, watched by `graceful`.
    async fn accept(&self, state: &Arc<State>, graceful: &GracefulShutdown) -> std::io::Result<()> {
        match self {
            Listener::Unix(listener) => {
                let (stream, _) = listener.accept().await?;
                serve_connection(stream, state.clone(), graceful);
            }
            Listener::Tcp(listener) => {
                let (stream, _) = listener.accept().await?;
                stream.set_nodelay(true)?;
                serve_connection(stream, state.clone(), graceful);
            }
        }
        Ok(())
    }
}

fn serve_connection<S>(stream: S, state: Arc<State>, graceful: &GracefulShutdown)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let state = state.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(state, request).await) }
    });
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(target: "s3drv::serve", "connection ended: {e}");
        }
    });
}

/// Accepts connections until SIGTERM or SIGINT, then waits up to `grace` for them to finish.
async fn accept(listener: &Listener, state: Arc<State>, grace: Duration) -> Result<(), String> {
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept(&state, &graceful) => {
                if let Err(e) = accepted {
                    tracing::warn!(target: "s3drv::serve", "accept failed: {e}");
                }
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    tracing::info!(target: "s3drv::serve", "stopping: waiting up to {grace:?} for requests in flight");
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(target: "s3drv::serve", "requests still in flight after {grace:?}: stopped");
    }
    Ok(())
}

/// Ends, every tenth of `idle`, the sessions unused for longer than `idle`.
async fn end_idle_sessions(state: Arc<State>, idle: Duration) {
    let mut tick = tokio::time::interval((idle / 10).max(Duration::from_secs(1)));
    loop {
        tick.tick().await;
        let ended = state.sessions.end_idle(Some(idle)).await;
        if ended > 0 {
            tracing::info!(target: "s3drv::serve", "ended {ended} sessions idle for {idle:?}");
        }
    }
}
