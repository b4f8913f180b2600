//! distribution 2.8.2's built-in `s3aws` driver (Go, aws-sdk-go v1), the S3 driver registries
//! run today, as the fourth client of the stream rows: `bench/go/s3aws-stream`, built by
//! `make bench`, one process per write or read. Its CPU time is the process's own (what the
//! benchmark's reaped children used), since it runs outside the benchmark process; its
//! memory is not measured.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use s3drv_tests::servers::Endpoint;
use tokio::process::Command;

use crate::measure::{Cost, STALLED_AFTER, children_cpu_seconds, stalled};

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

    /// Runs `s3aws-stream ARGS` to its end: its stdout and what the process used (the
    /// growth of this process's reaped children's CPU time: nothing else is reaped meanwhile,
    /// the S3 server runs until the end). A process still running after
    /// [`STALLED_AFTER`] is killed and the run fails.
    async fn run(&self, args: Vec<String>) -> Result<(String, Cost)> {
        let mut command = Command::new(&self.binary);
        command
            .args(&args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            // aws-sdk-go v1 cannot build a session with a custom CA bundle and its own
            // transport ("LoadCustomCABundleError"); the server is plain HTTP anyway.
            .env_remove("AWS_CA_BUNDLE")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let (started, cpu) = (Instant::now(), children_cpu_seconds());
        let output = tokio::time::timeout(STALLED_AFTER, command.output())
            .await
            .map_err(|_| stalled(&format!("s3aws-stream {}", args.join(" "))))?
            .with_context(|| {
                format!("starting {} (make bench builds it)", self.binary.display())
            })?;
        let cost = Cost {
            wall: started.elapsed(),
            cpu: children_cpu_seconds() - cpu,
            // Not measured: a child's ru_maxrss counts the parent's pages at fork time.
            rss_growth: f64::NAN,
        };
        if !output.status.success() {
            bail!(
                "s3aws-stream {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok((String::from_utf8_lossy(&output.stdout).into_owned(), cost))
    }
}
