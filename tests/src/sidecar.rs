//! `s3drv serve` started for a test, the sidecar a Go registry reaches the driver through.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::servers::{Endpoint, server_command};

/// `s3drv serve` (the CLI at `cli`) of one tenant `default` for `endpoint` under `root`, on a
/// socket in a temporary directory; killed on drop.
pub struct Sidecar {
    child: Child,
    /// The socket it listens on.
    pub socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Sidecar {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a [`Sidecar`] for `endpoint`'s bucket under `root`.
pub fn start_sidecar(cli: &Path, endpoint: &Endpoint, root: &str) -> Result<Sidecar> {
    start_sidecar_at(cli, endpoint, root, None)
}

/// Like [`start_sidecar`], listening on `socket` when given (a restarted sidecar).
pub fn start_sidecar_at(
    cli: &Path,
    endpoint: &Endpoint,
    root: &str,
    socket: Option<&Path>,
) -> Result<Sidecar> {
    start_sidecar_with(cli, &endpoint.params(root), socket)
}

/// `s3drv serve` of one tenant `default` with the driver parameters `params`, on `socket` or
/// a socket in a temporary directory.
pub fn start_sidecar_with(
    cli: &Path,
    params: &[(String, String)],
    socket: Option<&Path>,
) -> Result<Sidecar> {
    let dir = tempfile::tempdir()?;
    let socket = socket.map_or_else(|| dir.path().join("s3drv.sock"), Path::to_path_buf);
    let mut command = server_command(cli);
    for (key, value) in params {
        command.arg("--param").arg(format!("{key}={value}"));
    }
    command
        .arg("serve")
        .arg("--socket")
        .arg(&socket)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("serve.log"))?);
    let mut child = command.spawn().context("starting s3drv serve")?;
    let started = Instant::now();
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        if let Some(status) = child.try_wait()? {
            let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
            bail!("s3drv serve exited with {status}:\n{log}");
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!(
                "s3drv serve did not listen on {} within 60 s",
                socket.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Sidecar {
        child,
        socket,
        _dir: dir,
    })
}
