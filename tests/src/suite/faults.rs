//! The driver behind the fault-injection proxy ([`crate::faults`]): retries absorb 503s,
//! 500s, lost answers and cut bodies without losing or corrupting a byte, and without
//! retries the same faults surface as errors, never as wrong data.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use s3drv_host::{Driver, Error, Limits, Tenant};

use super::{Ctx, random_bytes, random_name, read_stream, same_bytes, sha256, uploads_under_root};
use crate::faults::{Fault, FaultPlan, FaultProxy};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// The process-wide metrics recorder the fault cases read retries from (installed once).
fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed, and then the sums below are zero.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The sum of `metric` over the series of `tenant`, from the Prometheus text.
fn metric_sum(metric: &str, tenant: &str) -> u64 {
    let tenant_label = format!("tenant=\"{tenant}\"");
    metrics()
        .render()
        .lines()
        .filter(|line| line.starts_with(&format!("{metric}{{")) && line.contains(&tenant_label))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// A driver of a tenant named `tenant` on the case's root through `proxy`, with a 10 ms
/// first backoff so the retries do not dominate the run.
async fn behind(
    c: &Ctx,
    proxy: &FaultProxy,
    tenant: &str,
    extra: &[(&str, &str)],
) -> Result<Driver> {
    metrics();
    let tenant = Tenant {
        limits: Limits {
            backoff_base: Duration::from_millis(10),
            ..Limits::default()
        },
        ..Tenant::new(tenant)
    };
    let mut params = c.endpoint.params(&c.root);
    for (key, value) in params.iter_mut() {
        if key == "regionendpoint" {
            *value = proxy.url().to_string();
        }
    }
    params.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Ok(c.runtime.open_for(&tenant, params).await?)
}

/// A proxy faulting 20 % of requests from `seed`, and a driver of a new tenant named
/// `prefix-…` behind it with `maxretries`.
async fn faulted(
    c: &Ctx,
    seed: u64,
    prefix: &str,
    max_retries: &str,
) -> Result<(FaultProxy, String, Driver)> {
    let proxy = FaultProxy::start(&c.endpoint.url, FaultPlan::mixed(20, seed)).await?;
    let tenant = format!("{prefix}-{}", random_name(6));
    let driver = behind(c, &proxy, &tenant, &[("maxretries", max_retries)]).await?;
    Ok((proxy, tenant, driver))
}

/// A reader whose body is cut twice (at the first GET and at its first resume) still returns
/// exact bytes: the driver resumes from the last byte it received.
pub async fn reader_resumes_after_a_cut_body(c: &Ctx) -> Result<()> {
    let data = random_bytes(8 * MIB + 13, 31);
    super::write_stream(&c.driver, "/blob", &data, MIB).await?;
    let proxy = FaultProxy::start(&c.endpoint.url, FaultPlan::none()).await?;
    let tenant = format!("cut-reader-{}", random_name(6));
    let driver = behind(c, &proxy, &tenant, &[]).await?;
    for fault in [Fault::TruncatedBody, Fault::ResetAfterHead] {
        proxy.set_plan(FaultPlan {
            percent: 100,
            kinds: vec![fault],
            method: Some(http::Method::GET),
            budget: Some(proxy.counts().total() + 2),
            seed: 1,
            rate_limit: None,
        });
        same_bytes(
            &format!("read after {fault:?}"),
            &read_stream(&driver, "/blob", 0).await?,
            &data,
        )?;
        let tail = read_stream(&driver, "/blob", 5 * MIB as i64).await?;
        same_bytes("read at an offset", &tail, &data[5 * MIB..])?;
    }
    let counts = proxy.counts();
    ensure!(
        counts.total() == 4,
        "expected 4 cut bodies, the proxy injected {counts}"
    );
    c.driver.delete("/blob").await?;
    Ok(())
}

/// What one registry operation does; the model is updated only after it succeeded.
#[derive(Debug, Clone)]
enum Operation {
    Put(String, usize),
    Writer(String, usize),
    Read(String),
    GetContent(String),
    Stat(String),
    Move(String, String),
    Delete(String),
    Walk,
    List(String),
}

/// The expected bucket: path → content.
type Model = BTreeMap<String, Vec<u8>>;

fn pick(rng: &mut StdRng, model: &Model) -> Option<String> {
    let n = model.len();
    (n > 0).then(|| {
        model
            .keys()
            .nth(rng.random_range(0..n))
            .cloned()
            .unwrap_or_default()
    })
}

/// The next operation: writes to new paths, or reads, moves and deletes of stored ones.
fn next_operation(rng: &mut StdRng, model: &Model, serial: usize) -> Operation {
    let fresh = |rng: &mut StdRng| format!("/d{}/f{serial}", rng.random_range(0..8));
    let existing = pick(rng, model);
    match (rng.random_range(0..100), existing) {
        (0..25, _) | (_, None) => Operation::Put(fresh(rng), rng.random_range(1..256 * KIB)),
        (25..33, _) => Operation::Writer(fresh(rng), 5 * MIB + rng.random_range(1..512 * KIB)),
        (33..50, Some(p)) => Operation::Read(p),
        (50..60, Some(p)) => Operation::GetContent(p),
        (60..70, Some(p)) => Operation::Stat(p),
        (70..78, Some(p)) => Operation::Move(p, fresh(rng)),
        (78..85, Some(p)) => Operation::Delete(p),
        (85..92, _) => Operation::Walk,
        (_, Some(p)) => Operation::List(p.rsplit_once('/').map_or("/", |(d, _)| d).to_string()),
    }
}

/// A writer session closed after the first chunk and a bit, resumed, then committed:
/// multipart create, parts, close, resume (ListMultipartUploads, ListParts), the restart
/// rule (complete, UploadPartCopy, ranged GET) and the final completion.
async fn resumed_write(driver: &Driver, path: &str, data: &[u8]) -> Result<()> {
    let split = 5 * MIB + 7;
    let mut writer = driver.writer(path, false).await?;
    writer.write(&data[..split.min(data.len())]).await?;
    writer.close().await?;
    let mut writer = driver.writer(path, true).await?;
    let size = writer.size().await?;
    ensure!(
        size == split as u64,
        "resumed writer of {path} has {size} bytes, expected {split}"
    );
    writer.write(&data[split.min(data.len())..]).await?;
    writer.commit().await?;
    Ok(())
}

/// One attempt of `operation` against `driver`, checked against `model`; on success the
/// model is updated. `retry` is set when an earlier attempt failed, so that a move or delete
/// whose lost answer hid its success is recognised.
async fn perform(
    driver: &Driver,
    model: &mut Model,
    operation: &Operation,
    retry: bool,
    seed: u64,
) -> Result<()> {
    let expected = |path: &str| model.get(path).cloned().unwrap_or_default();
    match operation {
        Operation::Put(path, size) => {
            let data = random_bytes(*size, seed);
            driver.put_content(path, data.clone()).await?;
            model.insert(path.clone(), data);
        }
        Operation::Writer(path, size) => {
            let data = random_bytes(*size, seed);
            resumed_write(driver, path, &data).await?;
            model.insert(path.clone(), data);
        }
        Operation::Read(path) => {
            let data = expected(path);
            let offset = data.len() / 3;
            same_bytes(
                path,
                &read_stream(driver, path, offset as i64).await?,
                &data[offset..],
            )?;
        }
        Operation::GetContent(path) => {
            same_bytes(path, &driver.get_content(path).await?, &expected(path))?
        }
        Operation::Stat(path) => {
            let info = driver.stat(path).await?;
            ensure!(
                info.size == expected(path).len() as u64 && !info.is_dir,
                "stat {path}: {info:?}"
            );
        }
        Operation::Move(source, dest) => {
            let data = expected(source);
            match driver.move_path(source, dest).await {
                Err(Error::PathNotFound(_)) if retry => {
                    same_bytes(dest, &driver.get_content(dest).await?, &data)?;
                }
                outcome => outcome?,
            }
            model.remove(source);
            model.insert(dest.clone(), data);
        }
        Operation::Delete(path) => {
            match driver.delete(path).await {
                Err(Error::PathNotFound(_)) if retry => {}
                outcome => outcome?,
            }
            model.remove(path);
        }
        Operation::Walk => {
            let files: BTreeMap<String, u64> = driver
                .walk("/", None)
                .await?
                .collect()
                .await?
                .into_iter()
                .filter(|info| !info.is_dir)
                .map(|info| (info.path, info.size))
                .collect();
            let expected: BTreeMap<String, u64> = model
                .iter()
                .map(|(p, d)| (p.clone(), d.len() as u64))
                .collect();
            ensure!(
                files == expected,
                "walk found {files:?}, expected {expected:?}"
            );
        }
        Operation::List(dir) => {
            let mut children = driver.list(dir).await?;
            children.sort();
            let mut expected: Vec<String> = model
                .keys()
                .filter(|p| p.rsplit_once('/').is_some_and(|(d, _)| d == dir))
                .cloned()
                .collect();
            expected.sort();
            ensure!(
                children == expected,
                "list {dir}: {children:?}, expected {expected:?}"
            );
        }
    }
    Ok(())
}

/// Fails unless the bucket under the root holds exactly `model` (SHA-256 of every object)
/// and no multipart upload is left.
async fn verify_bucket(c: &Ctx, driver: &Driver, model: &Model) -> Result<()> {
    let stored: Vec<String> = driver
        .walk("/", None)
        .await?
        .collect()
        .await?
        .into_iter()
        .filter(|info| !info.is_dir)
        .map(|info| info.path)
        .collect();
    let expected: Vec<String> = model.keys().cloned().collect();
    ensure!(
        stored == expected,
        "stored {stored:?}, expected {expected:?}"
    );
    for (path, data) in model {
        let read = driver.get_content(path).await?;
        ensure!(
            sha256(&read) == sha256(data),
            "{path}: SHA-256 differs from what was written"
        );
    }
    let uploads = uploads_under_root(c).await?;
    ensure!(uploads.is_empty(), "multipart uploads left: {uploads:?}");
    Ok(())
}

/// 500 mixed registry operations with 20 % of requests faulted: every operation succeeds
/// (within a registry's own few attempts, which the driver's retries make rare) or fails
/// with a typed error; afterwards every object's SHA-256 equals what was written and no
/// stray object or multipart upload remains.
pub async fn mixed_operations_under_faults(c: &Ctx) -> Result<()> {
    const OPERATIONS: usize = 500;
    let seed = 20_261_127;
    let (proxy, tenant, driver) = faulted(c, seed, "faults", "6").await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut model = Model::new();
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    let started = Instant::now();
    for serial in 0..OPERATIONS {
        let operation = next_operation(&mut rng, &model, serial);
        let mut attempt = 0;
        loop {
            match perform(&driver, &mut model, &operation, attempt > 0, serial as u64).await {
                Ok(()) => break,
                Err(e) => {
                    // A typed driver error is a clear failure; anything else is a bug.
                    let Some(driver_error) = e.downcast_ref::<Error>() else {
                        bail!("operation {serial} {operation:?}: {e:#}");
                    };
                    let kind = driver_error
                        .to_string()
                        .chars()
                        .take(90)
                        .collect::<String>();
                    *failures.entry(kind).or_default() += 1;
                    attempt += 1;
                    if attempt == 4 {
                        bail!("operation {serial} {operation:?} failed 4 times: {driver_error}");
                    }
                }
            }
        }
    }
    let elapsed = started.elapsed();
    let counts = proxy.counts();
    let retries = metric_sum("s3drv_retries_total", &tenant);
    let requests = metric_sum("s3drv_requests_total", &tenant);
    proxy.set_plan(FaultPlan::none());
    verify_bucket(c, &driver, &model).await?;
    println!(
        "      {OPERATIONS} operations in {:.1} s, {} objects; proxy: {counts}; host: {requests} attempts, {retries} retries; operations failed once: {failures:?}",
        elapsed.as_secs_f64(),
        model.len()
    );
    ensure!(
        counts.total() >= counts.requests / 10,
        "too few faults injected: {counts}"
    );
    ensure!(retries > 0, "no retry was counted (metrics of {tenant})");
    let paths: Vec<String> = model.into_keys().collect();
    c.driver.delete_files(&paths).await?;
    Ok(())
}

/// With `maxretries: 0` the proxy's faults reach the caller as errors; no write that failed
/// left a partial or wrong object and every read that succeeded returned exact bytes.
pub async fn faults_without_retries_never_corrupt(c: &Ctx) -> Result<()> {
    const OPERATIONS: usize = 120;
    let seed = 7;
    let (proxy, _, driver) = faulted(c, seed, "no-retries", "0").await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut written = Model::new();
    let mut attempted = Model::new();
    let (mut errors, mut reads) = (0, 0);
    for serial in 0..OPERATIONS {
        let path = format!("/n/f{serial}");
        let choice = rng.random_range(0..3);
        if choice == 0 && !written.is_empty() {
            let existing = pick(&mut rng, &written).unwrap_or_default();
            match read_stream(&driver, &existing, 0).await {
                Ok(data) => {
                    same_bytes(&existing, &data, &written[&existing])?;
                    reads += 1;
                }
                Err(e) if e.downcast_ref::<Error>().is_some() => errors += 1,
                Err(e) => bail!("read {existing}: {e:#}"),
            }
            continue;
        }
        let size = if choice == 1 {
            rng.random_range(1..2 * MIB)
        } else {
            5 * MIB + rng.random_range(1..MIB)
        };
        let data = random_bytes(size, serial as u64);
        attempted.insert(path.clone(), data.clone());
        let outcome = if choice == 1 {
            driver
                .put_content(&path, data.clone())
                .await
                .map_err(anyhow::Error::from)
        } else {
            super::write_stream(&driver, &path, &data, MIB).await
        };
        match outcome {
            Ok(()) => {
                written.insert(path, data);
            }
            Err(e) if e.downcast_ref::<Error>().is_some() => errors += 1,
            Err(e) => bail!("write {path}: {e:#}"),
        }
    }
    let counts = proxy.counts();
    proxy.set_plan(FaultPlan::none());
    // Written objects are exact; a failed write left nothing, or (its answer lost) exact bytes.
    for (path, data) in &attempted {
        match driver.get_content(path).await {
            Ok(stored) => ensure!(
                sha256(&stored) == sha256(data),
                "{path}: stored bytes differ"
            ),
            Err(Error::PathNotFound(_)) if !written.contains_key(path) => {}
            Err(e) => bail!("{path}: {e}"),
        }
    }
    println!(
        "      maxretries 0: {} writes succeeded, {errors} operations failed with typed errors, {reads} reads exact; proxy: {counts}",
        written.len()
    );
    ensure!(
        errors > 0,
        "20 % faults without retries surfaced no error: {counts}"
    );
    // Failed writers leave their uploads: a registry purges them; here the new writers of a
    // cleanup pass supersede and cancel them.
    for path in attempted.keys() {
        c.driver.writer(path, false).await?.cancel().await?;
    }
    let paths: Vec<String> = attempted.into_keys().collect();
    c.driver.delete_files(&paths).await?;
    Ok(())
}

/// A server that answers SlowDown beyond 100 requests per second: the driver's adaptive rate
/// brings its 16 concurrent stats down to what the server accepts, so that most requests
/// are accepted at the first attempt, and every stat succeeds.
pub async fn slow_down_lowers_the_rate(c: &Ctx) -> Result<()> {
    const STATS: usize = 1_000;
    c.driver.put_content("/hot", b"hot".to_vec()).await?;
    let proxy = FaultProxy::start(&c.endpoint.url, FaultPlan::rate_limited(100)).await?;
    let tenant = format!("adaptive-{}", random_name(6));
    let driver = behind(c, &proxy, &tenant, &[("maxretries", "10")]).await?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..16 {
        let driver = driver.clone();
        tasks.push(tokio::spawn(async move {
            for _ in (task..STATS).step_by(16) {
                driver.stat("/hot").await?;
            }
            Ok::<_, Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed();
    let counts = proxy.counts();
    let slow_downs = counts.faults.get(&Fault::SlowDown).copied().unwrap_or(0);
    // Refused requests per hundred (integers: `check!` negates its condition).
    let share = slow_downs * 100 / counts.requests.max(1);
    println!(
        "      {STATS} stats in {:.1} s against 100/s; {} requests, {slow_downs} SlowDown ({share} %)",
        elapsed.as_secs_f64(),
        counts.requests,
    );
    ensure!(
        share < 25,
        "{share} % of the requests were refused: the rate did not adapt"
    );
    c.driver.delete("/hot").await?;
    Ok(())
}
