//! distribution 2.8.2's built-in `s3aws` driver (Go, aws-sdk-go v1), the S3 driver registries
//! run today, as the fourth client of the stream rows: `bench/go/s3aws-stream`, built by
//! `make bench`, one process per write or read. Its CPU time is the process's own (wait4),
//! since it runs outside the benchmark process; its memory is not measured.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use s3drv_tests::servers::Endpoint;

use crate::measure::Cost;

/// The client's name in reports.
pub const NAME: &str = "s3aws (Go)";

/// How to run `s3aws-stream` against the benchmark's bucket and root.
#[derive(Clone)]
pub struct GoDriver {
    binary: PathBuf,
    env: Vec<(&'static str, String)>,
}

impl GoDriver {
    /// The client of `binary` on `endpoint`'s bucket under `root` (the other clients' root).
    pub fn new(binary: PathBuf, endpoint: &Endpoint, root: &str) -> GoDriver {
        let env = vec![
            ("S3AWS_STREAM_ENDPOINT", endpoint.url.clone()),
            ("S3AWS_STREAM_BUCKET", endpoint.bucket.clone()),
            ("S3AWS_STREAM_ACCESS_KEY", endpoint.access_key.clone()),
            ("S3AWS_STREAM_SECRET_KEY", endpoint.secret_key.clone()),
            ("S3AWS_STREAM_REGION", endpoint.region.clone()),
            ("S3AWS_STREAM_ROOT", format!("/{root}")),
        ];
        GoDriver { binary, env }
    }

    /// Writes `size` bytes to `path` in 1 MiB writes (10 MiB parts) and commits.
    pub async fn write_stream(&self, path: &str, size: usize) -> Result<Cost> {
        let (_, cost) = self
            .run(vec!["write".into(), path.into(), size.to_string()])
            .await?;
        Ok(cost)
    }

    /// Reads `path` to the end with a 1 MiB buffer; returns the size.
    pub async fn read_stream(&self, path: &str) -> Result<(u64, Cost)> {
        let (out, cost) = self.run(vec!["read".into(), path.into()]).await?;
        let size = out
            .trim()
            .parse()
            .with_context(|| format!("s3aws-stream read printed {out:?}"))?;
        Ok((size, cost))
    }

    /// Deletes `path`.
    pub async fn delete(&self, path: &str) -> Result<()> {
        self.run(vec!["delete".into(), path.into()]).await.map(drop)
    }

    /// Runs `s3aws-stream ARGS` to its end: its stdout and what the process used.
    async fn run(&self, args: Vec<String>) -> Result<(String, Cost)> {
        let mut command = Command::new(&self.binary);
        command
            .args(&args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            // aws-sdk-go v1 cannot build a session with a custom CA bundle and its own
            // transport ("LoadCustomCABundleError"); the server is plain HTTP anyway.
            .env_remove("AWS_CA_BUNDLE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let binary = self.binary.display().to_string();
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let child = command
                .spawn()
                .with_context(|| format!("starting {binary} (make bench builds it)"))?;
            let (output, usage) = wait_with_usage(child)?;
            let wall = started.elapsed();
            if !output.status.success() {
                bail!(
                    "s3aws-stream {} failed: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&output.stderr).trim()
                );
            }
            let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
            let cost = Cost {
                wall,
                cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
                // Not measured: a child's ru_maxrss counts the parent's pages at fork time.
                rss_growth: f64::NAN,
            };
            Ok((String::from_utf8_lossy(&output.stdout).into_owned(), cost))
        })
        .await?
    }
}

/// Waits for `child` (reading its pipes to the end first) and returns its output and its own
/// resource usage, which `std` does not report.
fn wait_with_usage(mut child: std::process::Child) -> Result<(std::process::Output, libc::rusage)> {
    use std::io::Read;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut err_pipe = child.stderr.take().context("no stderr pipe")?;
    let reader = std::thread::spawn(move || {
        let _ = err_pipe.read_to_end(&mut stderr);
        stderr
    });
    child
        .stdout
        .take()
        .context("no stdout pipe")?
        .read_to_end(&mut stdout)?;
    let stderr = reader.join().unwrap_or_default();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 on our own unreaped child, writing into locals it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::wait4(pid, &mut status, 0, &mut usage) != pid {
            bail!("wait4: {}", std::io::Error::last_os_error());
        }
        usage
    };
    // Reaped by wait4; dropping a `Child` neither waits nor kills.
    drop(child);
    let status = std::os::unix::process::ExitStatusExt::from_raw(status);
    Ok((
        std::process::Output {
            status,
            stdout,
            stderr,
        },
        usage,
    ))
}
