//! `s3drv`: the storage-driver operations from the command line, through the component.
//!
//! The driver gets this process's `AWS_*` credential variables, `AWS_CA_BUNDLE` and instance
//! metadata, as an AWS SDK would. Its log (`loglevel`) goes to stderr; `S3DRV_LOG` (a
//! `tracing` filter, default `warn,s3drv::driver=debug`) narrows or widens it.
//!
//! Exit statuses: see [`output::EXIT_STATUSES`].

mod check;
mod output;
mod progress;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};
use s3drv_cli::{config_file, serve};
use s3drv_host::{Driver, Runtime, Tenant};
use tokio::io::AsyncRead;

use crate::output::{EXIT_STATUSES, Failure, Format, print};

/// Run storage-driver operations against an S3 bucket through the s3drv component.
#[derive(Parser)]
#[command(version, about, after_help = format!("{EXAMPLES}\n\n{EXIT_STATUSES}"))]
struct Cli {
    /// YAML file with the driver's parameters: a registry configuration (its `storage: s3:`
    /// block) or a flat map of parameters.
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// A parameter, overriding the configuration file (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param, global = true)]
    params: Vec<(String, String)>,
    /// The driver component to load (default: the one installed beside this program).
    #[arg(long, value_name = "FILE", env = "S3DRV_COMPONENT", global = true)]
    component: Option<PathBuf>,
    /// Serve the driver's metrics (requests, retries, throttle waits, bytes, instances) for
    /// Prometheus at http://ADDR/metrics while the command runs.
    #[arg(long, value_name = "ADDR", global = true)]
    metrics_addr: Option<std::net::SocketAddr>,
    /// Output for people, or JSON for programs (one object per command; one per line for
    /// `walk`; failures as `{"error": {"kind", "message"}}` on stderr).
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    output: Format,
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "Examples:
  s3drv check --config registry.yml           # is this bucket fit for a registry?
  s3drv --config registry.yml stat /docker/registry/v2
  s3drv --param bucket=registry --param regionendpoint=http://127.0.0.1:3900 \\
        --param accesskey=GK... --param secretkey=... put /hello hello.txt
  s3drv --config params.yml write /uploads/u1 part1 --close-only
  s3drv --config params.yml write /uploads/u1 part2 --append
  s3drv --config params.yml --metrics-addr 127.0.0.1:9187 write /blobs/big big.tar
  s3drv --config params.yml --output json walk /docker | jq -r .path
  s3drv completions bash > /etc/bash_completion.d/s3drv";

#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Operation(Operation),
    /// Run the conformance cases against the bucket under a fresh prefix, print a table
    /// (case, result, time), delete the prefix; fail if any case fails.
    #[command(after_help = "Examples:
  s3drv check --config /etc/docker/registry/config.yml
  s3drv check --config params.yml --only walk
  s3drv check --config params.yml --output json | jq '.cases[] | select(.result == \"failed\")'
  s3drv check --config params.yml --large        # streams of GiBs: minutes, and storage

The key needs s3:PutObject, s3:GetObject, s3:ListBucket, s3:DeleteObject and the
multipart-upload actions under the configuration's rootdirectory.")]
    Check {
        /// Run the long cases at full size (streams of GiBs, a 10 GiB upload limit).
        #[arg(long)]
        large: bool,
        /// Only the cases whose name contains TEXT.
        #[arg(long, value_name = "TEXT")]
        only: Option<String>,
    },
    /// Serve the driver to registries that cannot load a component (a Go registry with the
    /// s3drv storage driver of adapters/distribution), over HTTP/1.1 on a Unix socket or a
    /// loopback TCP port, until SIGTERM.
    #[command(after_help = "Examples:
  s3drv --config /etc/docker/registry/config.yml serve --socket /run/s3drv/s3drv.sock
  s3drv serve --tenants /etc/s3drv/tenants.yml --socket /run/s3drv/s3drv.sock
  S3DRV_TOKEN=... s3drv --config params.yml serve --listen 127.0.0.1:5050

Without --tenants, one tenant named `default` is served from --config and --param, with
this process's AWS_* credential variables. The protocol: docs/sidecar-protocol.md.")]
    Serve {
        /// The Unix socket to listen on (created with mode 0600).
        #[arg(
            long,
            value_name = "PATH",
            conflicts_with = "listen",
            required_unless_present = "listen"
        )]
        socket: Option<PathBuf>,
        /// A loopback TCP address to listen on instead; every tenant then needs a token.
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// The tenants to serve (YAML, see docs/sidecar-protocol.md), instead of one from
        /// --config and --param.
        #[arg(long, value_name = "FILE")]
        tenants: Option<PathBuf>,
        /// The bearer token of the single tenant `default`.
        #[arg(
            long,
            env = "S3DRV_TOKEN",
            hide_env_values = true,
            conflicts_with = "tenants"
        )]
        token: Option<String>,
        /// How long requests in flight may take to finish after SIGTERM.
        #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
        grace: Duration,
        /// How long a writer or walker may sit unused before it is ended (a writer is
        /// closed: its upload stays resumable).
        #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
        idle: Duration,
    },
    /// Print a completion script for SHELL.
    Completions { shell: clap_complete::Shell },
}

/// The storage-driver operations.
#[derive(Subcommand)]
enum Operation {
    /// Store FILE (default: stdin) at PATH in one request.
    Put { path: String, file: Option<PathBuf> },
    /// Write the object at PATH, from byte OFFSET, to FILE (default: stdout).
    Get {
        path: String,
        file: Option<PathBuf>,
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        offset: i64,
    },
    /// Stream FILE (default: stdin) into PATH with a multipart writer, then commit.
    Write {
        path: String,
        file: Option<PathBuf>,
        /// Resume the unfinished upload of PATH.
        #[arg(long)]
        append: bool,
        /// Close instead of committing: the upload stays open for a later --append.
        #[arg(long)]
        close_only: bool,
    },
    /// Print size, modification time and kind of PATH.
    Stat { path: String },
    /// Print the direct children of PATH, one per line.
    Ls { path: String },
    /// Move SRC to DST.
    Mv { src: String, dst: String },
    /// Delete PATH and everything below it.
    Rm { path: String },
    /// Delete the given files without listing; print how many were deleted.
    RmFiles {
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Print a presigned URL for PATH.
    Url {
        path: String,
        #[arg(long, default_value = "GET", value_parser = ["GET", "HEAD"])]
        method: String,
        /// Validity in seconds (default 1200).
        #[arg(long)]
        expiry: Option<u64>,
    },
    /// Print everything below PATH: `d PATH` or `f PATH SIZE` per line.
    Walk {
        path: String,
        #[arg(long, value_name = "P")]
        start_after: Option<String>,
        /// walk-parallel, as a registry with `parallelwalk: true` walks: sub-trees listed
        /// concurrently, entries in no particular order (with `parallelwalk` unset, a walk).
        #[arg(long, conflicts_with = "start_after")]
        parallel: bool,
    },
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not KEY=VALUE"))?;
    Ok((key.trim().to_ascii_lowercase(), value.to_string()))
}

/// mimalloc rather than glibc's malloc: a write's bytes are allocated on one worker (lifted
/// out of the component) and freed on another (hyper's connection task), which makes glibc's
/// per-thread arenas grow, trim and fault pages in again (`docs/decisions.md` §35).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("S3DRV_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,s3drv::driver=debug"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let format = cli.output;
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(format),
    }
}

/// The component: `--component`, else `s3drv.wasm` beside this program, else the guest's
/// build output next to this program's build directory.
fn find_component(explicit: Option<PathBuf>) -> Result<PathBuf, Failure> {
    if let Some(path) = explicit {
        return Ok(path);
    }
    let exe = std::env::current_exe()
        .map_err(|e| Failure::usage(format!("cannot locate this program: {e}")))?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    let candidates = [
        dir.join("s3drv.wasm"),
        dir.join("../wasm32-wasip2/release/s3drv_guest.wasm"),
    ];
    candidates
        .iter()
        .find(|c| c.is_file())
        .cloned()
        .ok_or_else(|| {
            let looked: Vec<String> = candidates.iter().map(|c| c.display().to_string()).collect();
            Failure::usage(format!(
                "no driver component found (looked at {}); pass --component FILE",
                looked.join(", ")
            ))
        })
}

/// The driver parameters: the configuration file's, then the `--param`s.
fn params(cli: &Cli) -> Result<Vec<(String, String)>, Failure> {
    let mut params = match &cli.config {
        Some(path) => config_file::read(path).map_err(Failure::usage)?,
        None => Vec::new(),
    };
    params.extend(cli.params.iter().cloned());
    Ok(params)
}

fn load_runtime(cli: &Cli) -> Result<Runtime, Failure> {
    Ok(Runtime::load(&find_component(cli.component.clone())?)?)
}

async fn open_driver(cli: &Cli) -> Result<Driver, Failure> {
    let driver = load_runtime(cli)?
        .open_for(&Tenant::from_process_environment("cli"), params(cli)?)
        .await?;
    for warning in driver.warnings() {
        eprintln!("s3drv: warning: {warning}");
    }
    Ok(driver)
}

/// FILE (default: stdin) and its length when known, counted by a progress bar.
async fn input(
    file: &Option<PathBuf>,
    format: Format,
    what: &str,
) -> Result<(Box<dyn AsyncRead + Unpin + Send>, indicatif::ProgressBar), Failure> {
    let (reader, len): (Box<dyn AsyncRead + Unpin + Send>, _) = match file {
        Some(path) => {
            let file = tokio::fs::File::open(path)
                .await
                .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
            let len = file.metadata().await.ok().map(|m| m.len());
            (Box::new(file), len)
        }
        None => (Box::new(tokio::io::stdin()), None),
    };
    let bar = progress::transfer(format, what, len);
    Ok((Box::new(bar.wrap_async_read(reader)), bar))
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let format = cli.output;
    if let Some(address) = cli.metrics_addr {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .with_http_listener(address)
            .install()
            .map_err(|e| Failure::usage(format!("cannot serve metrics at {address}: {e}")))?;
    }
    match &cli.command {
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "s3drv", &mut script);
            std::io::Write::write_all(&mut std::io::stdout().lock(), &script)
                .map_err(|e| Failure::writing_stdout(&e))
        }
        Command::Check { large, only } => {
            let request = check::Request {
                params: params(&cli)?,
                tenant: Tenant::from_process_environment("cli"),
                large: *large,
                only: only.clone(),
            };
            check::run(&load_runtime(&cli)?, request, format).await
        }
        Command::Serve {
            socket,
            listen,
            tenants,
            token,
            grace,
            idle,
        } => {
            let tenants = match tenants {
                Some(file) => serve::read_tenants(file).map_err(Failure::usage)?,
                None => vec![serve::TenantConfig {
                    tenant: Tenant::from_process_environment("default"),
                    token: token.clone(),
                    params: params(&cli)?,
                }],
            };
            let listen = match (socket, listen) {
                (Some(path), _) => serve::Listen::Unix(path.clone()),
                (None, Some(address)) => serve::Listen::Tcp(*address),
                (None, None) => return Err(Failure::usage("serve needs --socket or --listen")),
            };
            let options = serve::Options {
                listen,
                grace: *grace,
                idle: *idle,
            };
            serve::serve(&load_runtime(&cli)?, tenants, options)
                .await
                .map_err(|e| Failure::failed("serve", format!("s3drv serve: {e}")))
        }
        Command::Operation(operation) => {
            let driver = open_driver(&cli).await?;
            run_operation(&driver, operation, format).await
        }
    }
}

/// Runs one storage-driver operation and prints its result.
async fn run_operation(
    driver: &Driver,
    operation: &Operation,
    format: Format,
) -> Result<(), Failure> {
    match operation {
        Operation::Put { path, file } => {
            let (mut reader, bar) = input(file, format, path).await?;
            let mut content = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut content).await?;
            let size = content.len();
            driver.put_content(path, content).await?;
            bar.finish_and_clear();
            print(
                format,
                String::new,
                || serde_json::json!({ "path": path, "size": size }),
            )?;
        }
        Operation::Get { path, offset, file } => {
            if format == Format::Json && file.is_none() {
                return Err(Failure::usage(
                    "get --output json needs a FILE for the content: stdout carries the JSON",
                ));
            }
            let reader = driver.reader(path, *offset).await?;
            // The size only for the bar: scripts pay no extra request.
            let remaining = match progress::wanted(format) {
                true => Some(driver.stat(path).await?.size.saturating_sub(*offset as u64)),
                false => None,
            };
            let bar = progress::transfer(format, path, remaining);
            let mut reader = bar.wrap_async_read(reader);
            let mut out: Box<dyn std::io::Write> = match &file {
                Some(path) => Box::new(std::fs::File::create(path).map_err(|e| {
                    Failure::usage(format!("cannot create {}: {e}", path.display()))
                })?),
                // Large reads, written straight to a locked stdout (tokio's stdout hops to a
                // blocking thread for every small write).
                None => Box::new(std::io::stdout().lock()),
            };
            let write_failed = |e: std::io::Error| match file {
                None => Failure::writing_stdout(&e),
                Some(path) => {
                    Failure::failed("io", format!("s3drv: writing {}: {e}", path.display()))
                }
            };
            let mut buffer = vec![0; 1 << 20];
            let mut copied = 0u64;
            loop {
                let n = tokio::io::AsyncReadExt::read(&mut reader, &mut buffer).await?;
                if n == 0 {
                    break;
                }
                out.write_all(&buffer[..n]).map_err(write_failed)?;
                copied += n as u64;
            }
            out.flush().map_err(write_failed)?;
            bar.finish_and_clear();
            print(
                format,
                String::new,
                || serde_json::json!({ "path": path, "offset": offset, "size": copied }),
            )?;
        }
        Operation::Write {
            path,
            file,
            append,
            close_only,
        } => {
            let mut writer = driver.writer(path, *append).await?;
            let (reader, bar) = input(file, format, path).await?;
            tokio::io::copy_buf(
                &mut tokio::io::BufReader::with_capacity(1 << 20, reader),
                &mut writer,
            )
            .await?;
            let size = writer.size().await?;
            if *close_only {
                writer.close().await?
            } else {
                writer.commit().await?
            }
            bar.finish_and_clear();
            print(
                format,
                String::new,
                || serde_json::json!({ "path": path, "size": size, "committed": !close_only }),
            )?;
        }
        Operation::Stat { path } => {
            let info = driver.stat(path).await?;
            let modified = info
                .modified
                .map(|t| humantime::format_rfc3339_millis(t).to_string());
            print(
                format,
                || {
                    format!(
                        "{} {} {} {}",
                        if info.is_dir { "d" } else { "f" },
                        info.path,
                        info.size,
                        modified.as_deref().unwrap_or("-")
                    )
                },
                || {
                    serde_json::json!({
                        "path": info.path,
                        "size": info.size,
                        "mod_time": modified,
                        "is_dir": info.is_dir,
                    })
                },
            )?;
        }
        Operation::Ls { path } => {
            let children = driver.list(path).await?;
            print(
                format,
                || children.join("\n"),
                || serde_json::json!(children),
            )?;
        }
        Operation::Mv { src, dst } => {
            driver.move_path(src, dst).await?;
            print(
                format,
                String::new,
                || serde_json::json!({ "moved": src, "to": dst }),
            )?;
        }
        Operation::Rm { path } => {
            driver.delete(path).await?;
            print(
                format,
                String::new,
                || serde_json::json!({ "deleted": path }),
            )?;
        }
        Operation::RmFiles { paths } => {
            let deleted = driver.delete_files(paths).await?;
            print(
                format,
                || deleted.to_string(),
                || serde_json::json!({ "deleted": deleted }),
            )?;
        }
        Operation::Url {
            path,
            method,
            expiry,
        } => {
            let url = driver
                .url_for(path, method, expiry.map(Duration::from_secs))
                .await?;
            print(format, || url.clone(), || serde_json::json!({ "url": url }))?;
        }
        Operation::Walk {
            path,
            start_after,
            parallel,
        } => {
            let mut walker = match parallel {
                true => driver.walk_parallel(path).await?,
                false => driver.walk(path, start_after.as_deref()).await?,
            };
            while let Some(entry) = walker.next().await? {
                print(
                    format,
                    || match entry.is_dir {
                        true => format!("d {}", entry.path),
                        false => format!("f {} {}", entry.path, entry.size),
                    },
                    || {
                        serde_json::json!({
                            "path": entry.path,
                            "is_dir": entry.is_dir,
                            "size": entry.size,
                        })
                    },
                )?;
            }
        }
    }
    Ok(())
}
