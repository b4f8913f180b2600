//! `make bench`: s3drv through the component, the native floor (the same guest code without
//! wasm) and aws-sdk-s3, side by side on one S3 server (and distribution's Go driver in the
//! stream rows): a Garage started here, or the store of the `S3DRV_TEST_*` variables (as for
//! the tests). Writes `results.json` (every run) and
//! `report.md` (the table) into `--out`.

mod clients;
mod data;
mod measure;
mod registry;
mod report;
mod workloads;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use s3drv_host::{Runtime, Tenant};
use s3drv_tests::servers;
use serde::Serialize;

use clients::Client;
use clients::go_driver::GoDriver;
use clients::native::NativeFloor;
use clients::sdk::SdkClient;
use data::DataPool;
use workloads::{Bench, Sample, Scale};

/// Benchmark s3drv against the native floor and aws-sdk-s3.
#[derive(Parser)]
struct Args {
    /// Rounds per workload (min / median / max over them).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Smaller sizes, for a quick look.
    #[arg(long)]
    quick: bool,
    /// An extra driver parameter for s3drv and the native floor (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Only these workload groups: streams, small, listings, moves, tenants, registry
    /// (repeatable).
    #[arg(long, value_name = "GROUP")]
    only: Vec<String>,
    /// Only these clients: s3drv, native, aws-sdk-s3, s3aws (repeatable; for profiling one of
    /// them).
    #[arg(long = "client", value_name = "NAME")]
    clients: Vec<String>,
    /// distribution's Go driver for the stream rows (`bench/go/s3aws-stream`).
    #[arg(
        long,
        env = "S3DRV_S3AWS_STREAM",
        default_value = "target/go/s3aws-stream"
    )]
    s3aws_stream: PathBuf,
    /// Where results.json and report.md go.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
    /// The component.
    #[arg(
        long,
        env = "S3DRV_COMPONENT",
        default_value = "target/release/s3drv.wasm"
    )]
    component: PathBuf,
}

/// Everything a run wrote.
#[derive(Serialize)]
struct Results {
    machine: String,
    cpus: usize,
    /// The commit checked out when the run started, with `-dirty` if the tree had changes.
    commit: String,
    command: String,
    server: String,
    scale: Scale,
    params: Vec<(String, String)>,
    samples: Vec<Sample>,
    tenants: Option<TenantCosts>,
    /// The registry benchmark's steps (`registry`).
    registry: Vec<registry::RegistrySample>,
}

/// (g) what opening and keeping drivers costs.
#[derive(Serialize)]
struct TenantCosts {
    /// Loading the component (compiled-artifact cache hit) and opening a driver, median ms.
    cold_open_ms: f64,
    /// Opening a driver of a new tenant on a loaded runtime: median and p99, ms.
    warm_open_p50_ms: f64,
    warm_open_p99_ms: f64,
    /// RSS per idle tenant with 1,000 tenants open, KiB.
    idle_tenant_kib: f64,
}

fn command_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("unknown CPU")
        .trim()
        .to_string();
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(String::new(), |kib| format!(", {} GiB RAM", kib >> 20));
    format!("{model}{memory}, {}", command_output("uname", &["-sr"]))
}

async fn tenant_costs(
    component: &std::path::Path,
    params: &[(String, String)],
) -> Result<TenantCosts> {
    let mut cold = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let runtime = Runtime::load(component)?;
        runtime
            .open_for(&Tenant::new("cold"), params.to_vec())
            .await?;
        cold.push(started.elapsed());
    }
    let runtime = Runtime::load(component)?;
    let mut warm = Vec::new();
    for i in 0..200 {
        let started = Instant::now();
        runtime
            .open_for(&Tenant::new(format!("warm-{i}")), params.to_vec())
            .await?;
        warm.push(started.elapsed());
    }
    let before = measure::rss_mib();
    let mut idle = Vec::new();
    for i in 0..1000 {
        idle.push(
            runtime
                .open_for(&Tenant::new(format!("idle-{i}")), params.to_vec())
                .await?,
        );
    }
    let per_tenant = (measure::rss_mib() - before) * 1024.0 / 1000.0;
    drop(idle);
    let ms = |d: &Duration| d.as_secs_f64() * 1e3;
    cold.sort();
    warm.sort();
    Ok(TenantCosts {
        cold_open_ms: ms(&cold[cold.len() / 2]),
        warm_open_p50_ms: ms(&warm[warm.len() / 2]),
        warm_open_p99_ms: ms(&warm[warm.len() * 99 / 100]),
        idle_tenant_kib: per_tenant,
    })
}

/// The allocator `s3drv serve` uses (`docs/decisions.md` §35), for every client of a run
/// alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    // Every client runs on a worker of the runtime, as a server's request handler does: on
    // the main thread (`block_on`) each wake-up from a connection's task is a thread's
    // unpark, which costs a client that reads on its caller's task more than one that reads
    // on a task of its own.
    tokio::spawn(bench(args))
        .await
        .context("the bench's task failed")?
}

/// Starts the S3 server unless one is given, runs the workloads `args` asks for, and writes
/// the results and the report.
async fn bench(args: Args) -> Result<()> {
    let scale = if args.quick {
        Scale::QUICK
    } else {
        Scale::FULL
    };
    let (endpoint, server) = match servers::external()? {
        Some(endpoint) => (endpoint, None),
        None => {
            let server = servers::start_garage().context("starting Garage (make garage)")?;
            (server.endpoint.clone(), Some(server))
        }
    };
    let root = format!("s3drv-bench/{}", std::process::id());
    let mut params = endpoint.params(&root);
    params.retain(|(k, _)| k != "chunksize");
    params.push(("chunksize".into(), (10 << 20).to_string()));
    params.push(("parallelwalk".into(), "true".into()));
    // The driver's default of 350 requests per second (`docs/decisions.md` §22, GitLab's default)
    // would measure the limiter, not the driver: off unless `--param` sets it.
    params.push(("maxrequestspersecond".into(), "0".into()));
    for param in &args.params {
        let (key, value) = param.split_once('=').context("--param takes KEY=VALUE")?;
        params.push((key.to_string(), value.to_string()));
    }
    let runtime = Runtime::load(&args.component)?;
    let driver = runtime
        .open_for(&Tenant::new("bench"), params.clone())
        .await?;
    let mut clients = vec![
        Client::S3drv(driver),
        Client::Native(NativeFloor::start(&params, 16)?),
        Client::Sdk(SdkClient::new(&endpoint, &root)),
    ];
    let wants_client =
        |name: &str| args.clients.is_empty() || args.clients.iter().any(|c| c == name);
    clients.retain(|c| wants_client(c.name()));
    let go_driver =
        wants_client("s3aws").then(|| GoDriver::new(args.s3aws_stream.clone(), &endpoint, &root));
    anyhow::ensure!(
        !clients.is_empty() || go_driver.is_some(),
        "--client takes s3drv, native, aws-sdk-s3 or s3aws"
    );
    let mut bench = Bench {
        clients,
        go_driver,
        pool: Arc::new(DataPool::new()),
        scale,
        rounds: args.rounds,
        samples: Vec::new(),
    };
    eprintln!(
        "s3drv-bench against {} ({}), {} rounds",
        endpoint.name, endpoint.url, args.rounds
    );
    let wanted = |group: &str| args.only.is_empty() || args.only.iter().any(|o| o == group);
    let measured = async {
        bench.run(&args.only).await?;
        let tenants = if wanted("tenants") {
            Some(tenant_costs(&args.component, &params).await?)
        } else {
            None
        };
        let registry = if wanted("registry") {
            registry::run_rounds(&endpoint, args.rounds, &std::env::temp_dir()).await?
        } else {
            Vec::new()
        };
        anyhow::Ok((tenants, registry))
    };
    let (tenants, registry) = match measured.await {
        Ok(measured) => measured,
        Err(e) => {
            if let Some(server) = &server {
                eprintln!("the S3 server's log ends with:\n{}", server.log_tail());
            }
            return Err(e);
        }
    };
    let results = Results {
        machine: machine(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        commit: command_output("git", &["describe", "--always", "--dirty"]),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        server: endpoint.name.clone(),
        scale,
        params: params
            .into_iter()
            .filter(|(k, _)| k != "secretkey" && k != "accesskey")
            .collect(),
        samples: bench.samples,
        tenants,
        registry,
    };
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(
        args.out.join("results.json"),
        serde_json::to_string_pretty(&results)?,
    )?;
    let mut report = if results.samples.is_empty() {
        String::new()
    } else {
        report::table(&results.samples)
    };
    if let Some(tenants) = &results.tenants {
        report.push_str(&format!(
            "\nOpening drivers: cold (load + open) {:.1} ms, warm {:.2} ms p50 / {:.2} ms p99; {:.0} KiB RSS per idle tenant (1,000 open).\n",
            tenants.cold_open_ms,
            tenants.warm_open_p50_ms,
            tenants.warm_open_p99_ms,
            tenants.idle_tenant_kib
        ));
    }
    if !results.registry.is_empty() {
        report.push_str(
            "\nThe registry (skopeo push and pull of one image, layers of 5, 100 and 400 MiB):\n\n",
        );
        report.push_str(&report::registry_table(&results.registry));
    }
    std::fs::write(args.out.join("report.md"), &report)?;
    println!(
        "machine: {} ({} CPUs); commit {}; server {}\n\n{report}",
        results.machine, results.cpus, results.commit, results.server
    );
    Ok(())
}
