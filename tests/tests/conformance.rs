//! Runs the conformance suite through the component against Garage and moto, started here,
//! or against the external store of `S3DRV_TEST_ENDPOINT` (see `servers`).
//!
//! `cargo test -p s3drv-tests --release -- [FILTER]` runs the cases whose name contains
//! FILTER. `S3DRV_TEST_LARGE=1` runs the large cases at full size. The component and the CLI
//! are taken from `S3DRV_COMPONENT` and `S3DRV_CLI`, else from the workspace's `target/`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use s3drv_host::Runtime;
use s3drv_tests::servers::{self, Endpoint};
use s3drv_tests::suite::{Outcome, cases, random_name, run_case};

struct Tally {
    passed: usize,
    failed: Vec<String>,
    skipped: usize,
}

async fn run_server(
    endpoint: Endpoint,
    runtime: Runtime,
    cli: PathBuf,
    component: PathBuf,
    filter: Option<String>,
    large: bool,
) -> Tally {
    let run_id = format!("{}-{}", std::process::id(), random_name(6));
    let mut tally = Tally {
        passed: 0,
        failed: Vec::new(),
        skipped: 0,
    };
    for case in cases()
        .iter()
        .filter(|c| filter.as_deref().is_none_or(|f| c.name.contains(f)))
    {
        let start = Instant::now();
        let root = format!("s3drv-test/{run_id}/{}", case.name);
        let outcome = run_case(case, &endpoint, &runtime, &cli, &component, &root, large).await;
        let time = start.elapsed().as_secs_f64();
        match outcome {
            Outcome::Passed => {
                tally.passed += 1;
                println!("{:<8} {:<44} ok      {time:7.2}s", endpoint.name, case.name);
            }
            Outcome::Failed(why) => {
                println!(
                    "{:<8} {:<44} FAILED  {time:7.2}s\n         {why}",
                    endpoint.name, case.name
                );
                tally
                    .failed
                    .push(format!("{}/{}", endpoint.name, case.name));
            }
            Outcome::NotApplicable(why) => {
                tally.skipped += 1;
                println!("{:<8} {:<44} n/a     ({why})", endpoint.name, case.name);
            }
        }
    }
    tally
}

fn main() -> Result<()> {
    s3drv_tests::logs::capture();
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let large = std::env::var("S3DRV_TEST_LARGE").is_ok_and(|v| v == "1");
    let component = servers::artifact(
        "S3DRV_COMPONENT",
        "target/wasm32-wasip2/release/s3drv_guest.wasm",
        "build",
    )?;
    let cli = servers::artifact("S3DRV_CLI", "target/release/s3drv", "build")?;
    let (servers, endpoints) = servers::start_all()?;
    let runtime_threads = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let tallies = runtime_threads.block_on(async {
        let runtime = Runtime::load(&component)?;
        let runs = endpoints.into_iter().map(|e| {
            tokio::spawn(run_server(
                e,
                runtime.clone(),
                cli.clone(),
                component.clone(),
                filter.clone(),
                large,
            ))
        });
        let mut tallies = Vec::new();
        for run in runs.collect::<Vec<_>>() {
            tallies.push(run.await?);
        }
        anyhow::Ok(tallies)
    })?;
    let passed: usize = tallies.iter().map(|t| t.passed).sum();
    let skipped: usize = tallies.iter().map(|t| t.skipped).sum();
    let failed: Vec<&String> = tallies.iter().flat_map(|t| &t.failed).collect();
    if !failed.is_empty() {
        println!(
            "\nfailed cases: {}",
            failed
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for server in &servers {
            println!(
                "\n--- last lines of the {} log ---\n{}",
                server.endpoint.name,
                server.log_tail()
            );
        }
    }
    println!(
        "\nconformance: {passed} passed, {} failed, {skipped} skipped",
        failed.len()
    );
    drop(servers);
    if failed.is_empty() {
        Ok(())
    } else {
        std::process::exit(1)
    }
}
