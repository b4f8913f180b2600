//! distribution 2.8.2's own storage-driver suite, unmodified, through its Go driver
//! (`adapters/distribution`) → `s3drv serve` → the component → Garage and moto (or the
//! `S3DRV_TEST_*` store). As a baseline, the same suite through distribution's built-in
//! `s3aws` driver on the same servers is run and reported, not judged.
//!
//! The suite binaries are built by `make adapter` (`S3DRV_DISTRIBUTION_SUITE`,
//! `S3DRV_S3AWS_SUITE`); `-test.short` leaves out its 5 GiB stream case
//! (`TestWriteReadLargeStreams`), which `make test-large` (`S3DRV_TEST_LARGE=1`) runs.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result};
use s3drv_tests::servers;
use s3drv_tests::sidecar::start_sidecar;
use s3drv_tests::suite::random_name;

/// The cases of one gocheck run: passed, failed and skipped names.
#[derive(Default)]
struct Tally {
    passed: Vec<String>,
    failed: Vec<String>,
    skipped: Vec<String>,
}

/// Runs the gocheck binary `suite` with `env`, printing its verbose output, and counts the
/// cases of its `PASS:`, `FAIL:` / `PANIC:` and `SKIP:` lines; prints its whole output when
/// a case failed and `print_failures`.
fn run_suite(
    suite: &Path,
    env: &[(&str, String)],
    remove: &[&str],
    print_failures: bool,
) -> Result<(Tally, bool)> {
    let mut command = Command::new(suite);
    if !std::env::var("S3DRV_TEST_LARGE").is_ok_and(|v| v == "1") {
        command.arg("-test.short");
    }
    command
        .args(["-test.timeout", "60m", "-check.v"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    for variable in remove {
        command.env_remove(variable);
    }
    let output = command
        .output()
        .with_context(|| format!("running {}", suite.display()))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let mut tally = Tally::default();
    for line in text.lines() {
        // `PASS: .../testsuites.go:92: DriverSuite.TestRootExists 0.000s`; plain Go tests
        // fail as `--- FAIL: TestStorageClass (0.00s)`.
        let name = || {
            let words = line.split_whitespace();
            let mut words = words.skip_while(|w| !w.contains("Test"));
            words.next().unwrap_or(line).to_string()
        };
        if line.starts_with("PASS:") {
            tally.passed.push(name());
        } else if ["FAIL:", "PANIC:", "--- FAIL:"]
            .iter()
            .any(|p| line.starts_with(p))
        {
            tally.failed.push(name());
        } else if line.starts_with("SKIP:") {
            tally.skipped.push(name());
        }
    }
    if print_failures && (!tally.failed.is_empty() || !output.status.success()) {
        println!("{text}");
    }
    Ok((tally, output.status.success()))
}

fn main() -> Result<()> {
    let cli = servers::artifact("S3DRV_CLI", "target/release/s3drv", "build")?;
    let ours = servers::artifact(
        "S3DRV_DISTRIBUTION_SUITE",
        "target/go/distribution-driver.test",
        "adapter",
    )?;
    let baseline = servers::artifact(
        "S3DRV_S3AWS_SUITE",
        "target/go/s3aws-driver.test",
        "adapter",
    )?;
    // Not SeaweedFS: distribution's suite checks a deleted tree is gone with a delimited
    // listing, which shows its directories there for minutes (docs/decisions.md §33).
    let (servers, endpoints) = servers::start_garage_and_moto()?;
    let mut failures = Vec::new();
    let (mut passed, mut skipped) = (0, 0);
    for endpoint in &endpoints {
        let root = format!(
            "s3drv-distribution/{}-{}",
            std::process::id(),
            random_name(6)
        );
        let sidecar = start_sidecar(&cli, endpoint, &root)?;
        let started = Instant::now();
        let env = [
            ("S3DRV_SOCKET", sidecar.socket.display().to_string()),
            ("S3DRV_TENANT", "default".to_string()),
        ];
        let (tally, success) = run_suite(&ours, &env, &[], true)?;
        println!(
            "distribution suite via s3drv on {:<8} {} passed, {} failed, {} skipped ({}) in {:.1} s",
            endpoint.name,
            tally.passed.len(),
            tally.failed.len(),
            tally.skipped.len(),
            tally.skipped.join(", "),
            started.elapsed().as_secs_f64()
        );
        passed += tally.passed.len();
        skipped += tally.skipped.len();
        failures.extend(
            tally
                .failed
                .iter()
                .map(|c| format!("{}/{c}", endpoint.name)),
        );
        if !success && tally.failed.is_empty() {
            failures.push(format!("{}: the suite binary failed", endpoint.name));
        }
        drop(sidecar);

        // The baseline: distribution's own s3aws driver (aws-sdk-go v1 cannot use a custom
        // CA bundle with its wrapped transport, so AWS_CA_BUNDLE is unset for it).
        let secure = endpoint.url.starts_with("https").to_string();
        let env = [
            ("AWS_ACCESS_KEY", endpoint.access_key.clone()),
            ("AWS_SECRET_KEY", endpoint.secret_key.clone()),
            ("AWS_REGION", endpoint.region.clone()),
            ("S3_BUCKET", endpoint.bucket.clone()),
            ("REGION_ENDPOINT", endpoint.url.clone()),
            ("S3_ENCRYPT", "false".into()),
            ("S3_SECURE", secure),
        ];
        let started = Instant::now();
        let (tally, _) = run_suite(&baseline, &env, &["AWS_CA_BUNDLE"], false)?;
        println!(
            "baseline: distribution's s3aws on {:<8} {} passed, {} failed ({}), {} skipped in {:.1} s",
            endpoint.name,
            tally.passed.len(),
            tally.failed.len(),
            tally.failed.join(", "),
            tally.skipped.len(),
            started.elapsed().as_secs_f64()
        );
    }
    drop(servers);
    println!(
        "\ndistribution: {passed} passed, {} failed, {skipped} skipped",
        failures.len()
    );
    if failures.is_empty() {
        Ok(())
    } else {
        println!("failed: {}", failures.join(", "));
        std::process::exit(1)
    }
}
