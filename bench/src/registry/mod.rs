//! The registry benchmark: one image pushed and pulled with skopeo through distribution
//! 2.8.2's registry with its built-in `s3aws` driver (Debian's `docker-registry`) and through
//! the same registry with the s3drv driver beside `s3drv serve`, on the same S3 server behind
//! a [`CountingProxy`], interleaved. Each step records wall time, CPU and peak RSS of the
//! registry (and of the sidecar), and the S3 requests by operation.
//!
//! Both registries run with the configuration an operator starts from: default chunk sizes,
//! redirects to presigned URLs on (a second registry of each kind with `redirect: disable`
//! serves the pull through the registry), each in its own root directory of one bucket.

mod proxy;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use s3drv_tests::registry::{
    NO_REDIRECT, Registry, checked_blobs, make_image, pull, push, registry_binaries, run,
    s3aws_storage, s3drv_storage, start_registry,
};
use s3drv_tests::servers::{self, Endpoint};
use s3drv_tests::sidecar::{Sidecar, start_sidecar_with};
use serde::Serialize;

use crate::measure::{cpu_seconds_of, peak_rss_mib, reset_peak_rss};
use proxy::CountingProxy;

/// The image's layers: 5, 100 and 400 MiB of random data (the measured workload's).
const LAYERS_MIB: [usize; 3] = [5, 100, 400];

/// One step of one round through one registry.
#[derive(Serialize)]
pub struct RegistrySample {
    /// `push`, `push again`, `pull (redirects)`, `pull (no redirects)`.
    pub step: String,
    /// `built-in s3aws` or `s3drv`.
    pub client: String,
    /// Round, from 0.
    pub round: usize,
    /// Wall seconds of the skopeo command.
    pub wall_s: f64,
    /// CPU seconds of the registry process.
    pub registry_cpu_s: f64,
    /// Peak RSS of the registry process during the step, MiB.
    pub registry_peak_mib: f64,
    /// CPU seconds of `s3drv serve` (s3drv only).
    pub sidecar_cpu_s: Option<f64>,
    /// Peak RSS of `s3drv serve` during the step, MiB (s3drv only).
    pub sidecar_peak_mib: Option<f64>,
    /// S3 requests the step caused, by operation.
    pub requests: BTreeMap<String, u64>,
}

/// One kind of registry: one that redirects blob reads, one that serves them, and the
/// sidecar behind both for s3drv.
struct Setup {
    name: &'static str,
    redirecting: Registry,
    serving: Registry,
    sidecar: Option<Sidecar>,
}

/// What the processes of a setup have used, to subtract.
struct Usage {
    registry_cpu: f64,
    sidecar_cpu: Option<f64>,
}

impl Setup {
    fn start_step(&self, registry: &Registry) -> Usage {
        reset_peak_rss(&registry.pid().to_string());
        if let Some(sidecar) = &self.sidecar {
            reset_peak_rss(&sidecar.pid().to_string());
        }
        Usage {
            registry_cpu: cpu_seconds_of(registry.pid()),
            sidecar_cpu: self.sidecar.as_ref().map(|s| cpu_seconds_of(s.pid())),
        }
    }
}

/// Runs `work` off the async runtime (skopeo blocks; the proxy runs on the runtime).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work).await?
}

/// Runs the benchmark against `endpoint` for `rounds` rounds, images and pulls in `scratch`.
pub async fn run_rounds(
    endpoint: &Endpoint,
    rounds: usize,
    scratch: &Path,
) -> Result<Vec<RegistrySample>> {
    let cli = servers::artifact("S3DRV_CLI", "target/release/s3drv", "build")?;
    let (ours, builtin) = registry_binaries()?;
    let proxy = CountingProxy::start(&endpoint.url).await?;
    let proxied = Endpoint {
        url: proxy.url.clone(),
        ..endpoint.clone()
    };
    let base = format!("s3drv-bench-registry/{}", std::process::id());
    let roots = [format!("{base}/builtin"), format!("{base}/s3drv")];
    let dir = tempfile::tempdir_in(scratch)?;

    let builtin_storage = s3aws_storage(&proxied, &roots[0]);
    let builtin_setup = Setup {
        name: "built-in s3aws",
        redirecting: start_registry(&builtin, dir.path(), &builtin_storage)?,
        serving: start_registry(
            &builtin,
            dir.path(),
            &format!("{builtin_storage}{NO_REDIRECT}"),
        )?,
        sidecar: None,
    };
    // The registry's own defaults (chunk size 10 MiB), not the test suite's 5 MiB.
    let mut params = proxied.params(&roots[1]);
    params.retain(|(key, _)| key != "chunksize");
    let sidecar = start_sidecar_with(&cli, &params, None)?;
    let ours_storage = s3drv_storage(&sidecar);
    let s3drv_setup = Setup {
        name: "s3drv",
        redirecting: start_registry(&ours, dir.path(), &ours_storage)?,
        serving: start_registry(&ours, dir.path(), &format!("{ours_storage}{NO_REDIRECT}"))?,
        sidecar: Some(sidecar),
    };
    let setups = [builtin_setup, s3drv_setup];

    let mut samples = Vec::new();
    for round in 0..rounds {
        let image = dir.path().join(format!("image-{round}"));
        let seed = 1000 + round as u64 * 10;
        let layers: Vec<(usize, u64)> = LAYERS_MIB
            .iter()
            .zip(seed..)
            .map(|(mib, seed)| (mib << 20, seed))
            .collect();
        let digests = {
            let image = image.clone();
            blocking(move || make_image(&image, &layers)).await?
        };
        let name = format!("bench/image{round}");
        // Alternate which registry goes first, so neither always meets a warmer server.
        let order: Vec<&Setup> = if round % 2 == 0 {
            setups.iter().collect()
        } else {
            setups.iter().rev().collect()
        };
        for step in [
            "push",
            "push again",
            "pull (redirects)",
            "pull (no redirects)",
        ] {
            for setup in &order {
                let registry = if step == "pull (no redirects)" {
                    &setup.serving
                } else {
                    &setup.redirecting
                };
                proxy.take();
                let usage = setup.start_step(registry);
                let started = Instant::now();
                let port = registry.port;
                let pulled = if step.starts_with("push") {
                    let (image, name) = (image.clone(), name.clone());
                    blocking(move || push(&image, port, &name).map(|_| None)).await?
                } else {
                    let (into, name) = (dir.path().to_path_buf(), name.clone());
                    blocking(move || pull(&into, port, &name).map(Some)).await?
                };
                let wall = started.elapsed().as_secs_f64();
                let requests = proxy.take();
                samples.push(RegistrySample {
                    step: step.into(),
                    client: setup.name.into(),
                    round,
                    wall_s: wall,
                    registry_cpu_s: cpu_seconds_of(registry.pid()) - usage.registry_cpu,
                    registry_peak_mib: peak_rss_mib(&registry.pid().to_string()),
                    sidecar_cpu_s: setup
                        .sidecar
                        .as_ref()
                        .zip(usage.sidecar_cpu)
                        .map(|(s, before)| cpu_seconds_of(s.pid()) - before),
                    sidecar_peak_mib: setup
                        .sidecar
                        .as_ref()
                        .map(|s| peak_rss_mib(&s.pid().to_string())),
                    requests: requests
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                });
                if let Some(pulled) = pulled {
                    let got: BTreeSet<String> = blocking(move || {
                        let got = checked_blobs(&pulled);
                        std::fs::remove_dir_all(&pulled)?;
                        got
                    })
                    .await?;
                    ensure!(
                        got == digests,
                        "{step} through {}: blobs {got:?}, pushed {digests:?}",
                        setup.name
                    );
                }
                eprintln!(
                    "registry round {round} {step:<20} {:<15} {wall:.2} s",
                    setup.name
                );
            }
        }
        std::fs::remove_dir_all(&image)?;
    }
    drop(setups);
    for root in &roots {
        let mut command = std::process::Command::new(&cli);
        for (key, value) in endpoint.params(root) {
            command.arg("--param").arg(format!("{key}={value}"));
        }
        blocking(move || {
            run(command.args(["rm", "/docker"])).context("removing the bench's images")
        })
        .await?;
    }
    Ok(samples)
}
