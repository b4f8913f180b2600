//! `s3drv`: the storage-driver operations from the command line, through the component.
//!
//! The driver gets this process's `AWS_*` credential variables, `AWS_CA_BUNDLE` and instance
//! metadata, as an AWS SDK would. Its log (`loglevel`) goes to stderr; `S3DRV_LOG` (a
//! `tracing` filter, default `warn,s3drv::driver=debug`) narrows or widens it.
//!
//! Exit status: 0 on success, 1 when the driver (or the component) fails, with the error on
//! stderr (`s3aws: Path not found: /x`), 2 on usage errors (bad flags, unreadable `--config`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use s3drv_host::{Driver, Error, Runtime, Tenant, config_file};
use tokio::io::AsyncRead;

/// Run storage-driver operations against an S3 bucket through the s3drv component.
#[derive(Parser)]
#[command(version, about, after_help = EXAMPLES)]
struct Cli {
    /// YAML file with the driver's parameters: a registry configuration (its `storage: s3:`
    /// block) or a flat map of parameters.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// A parameter, overriding the configuration file (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// The driver component to load (default: the one installed beside this program).
    #[arg(long, value_name = "FILE", env = "S3DRV_COMPONENT")]
    component: Option<PathBuf>,
    /// Serve the driver's metrics (requests, retries, throttle waits, bytes, instances) for
    /// Prometheus at http://ADDR/metrics while the command runs.
    #[arg(long, value_name = "ADDR")]
    metrics_addr: Option<std::net::SocketAddr>,
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "Examples:
  s3drv --config registry.yml stat /docker/registry/v2
  s3drv --param bucket=registry --param regionendpoint=http://127.0.0.1:3900 \\
        --param accesskey=GK... --param secretkey=... put /hello hello.txt
  s3drv --config params.yml write /uploads/u1 part1 --close-only
  s3drv --config params.yml write /uploads/u1 part2 --append
  s3drv --config params.yml --metrics-addr 127.0.0.1:9187 write /blobs/big big.tar";

#[derive(Subcommand)]
enum Command {
    /// Store FILE (default: stdin) at PATH in one request.
    Put { path: String, file: Option<PathBuf> },
    /// Print the object at PATH to stdout, from byte OFFSET.
    Get {
        path: String,
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
    /// Print size, modification time and kind of PATH as one JSON object.
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
    },
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not KEY=VALUE"))?;
    Ok((key.trim().to_ascii_lowercase(), value.to_string()))
}

/// A failure and the exit status it gives.
enum Failure {
    Usage(String),
    Driver(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Driver(e.to_string())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        // The driver's own errors travel inside io errors through AsyncRead/AsyncWrite.
        match e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) {
            Some(driver) => Failure::Driver(driver.to_string()),
            None => Failure::Driver(format!("s3drv: {e}")),
        }
    }
}

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
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("s3drv: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Driver(message)) => {
            eprintln!("{message}");
            ExitCode::from(1)
        }
    }
}

/// The component: `--component`, else `s3drv.wasm` beside this program, else the guest's
/// build output next to this program's build directory.
fn find_component(explicit: Option<PathBuf>) -> Result<PathBuf, Failure> {
    if let Some(path) = explicit {
        return Ok(path);
    }
    let exe = std::env::current_exe()
        .map_err(|e| Failure::Usage(format!("cannot locate this program: {e}")))?;
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
            Failure::Usage(format!(
                "no driver component found (looked at {}); pass --component FILE",
                looked.join(", ")
            ))
        })
}

async fn open_driver(cli: &Cli) -> Result<Driver, Failure> {
    let mut params = match &cli.config {
        Some(path) => config_file::read(path).map_err(|e| Failure::Usage(e.to_string()))?,
        None => Vec::new(),
    };
    params.extend(cli.params.iter().cloned());
    let runtime = Runtime::load(&find_component(cli.component.clone())?)?;
    let driver = runtime
        .open_for(&Tenant::from_process_environment("cli"), params)
        .await?;
    for warning in driver.warnings() {
        eprintln!("s3drv: warning: {warning}");
    }
    Ok(driver)
}

async fn input(file: &Option<PathBuf>) -> Result<Box<dyn AsyncRead + Unpin + Send>, Failure> {
    Ok(match file {
        Some(path) => Box::new(
            tokio::fs::File::open(path)
                .await
                .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?,
        ),
        None => Box::new(tokio::io::stdin()),
    })
}

async fn run(cli: Cli) -> Result<(), Failure> {
    if let Some(address) = cli.metrics_addr {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .with_http_listener(address)
            .install()
            .map_err(|e| Failure::Usage(format!("cannot serve metrics at {address}: {e}")))?;
    }
    let driver = open_driver(&cli).await?;
    match cli.command {
        Command::Put { path, file } => {
            let mut content = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut input(&file).await?, &mut content).await?;
            driver.put_content(&path, content).await?;
        }
        Command::Get { path, offset } => {
            let mut reader = driver.reader(&path, offset).await?;
            // Large reads, written straight to a locked stdout (tokio's stdout hops to a
            // blocking thread for every small write).
            let mut buffer = vec![0; 1 << 20];
            let mut stdout = std::io::stdout().lock();
            loop {
                let n = tokio::io::AsyncReadExt::read(&mut reader, &mut buffer).await?;
                if n == 0 {
                    break;
                }
                std::io::Write::write_all(&mut stdout, &buffer[..n])?;
            }
            std::io::Write::flush(&mut stdout)?;
        }
        Command::Write {
            path,
            file,
            append,
            close_only,
        } => {
            let mut writer = driver.writer(&path, append).await?;
            tokio::io::copy_buf(
                &mut tokio::io::BufReader::with_capacity(1 << 20, input(&file).await?),
                &mut writer,
            )
            .await?;
            if close_only {
                writer.close().await?
            } else {
                writer.commit().await?
            }
        }
        Command::Stat { path } => {
            let info = driver.stat(&path).await?;
            let json = serde_json::json!({
                "path": info.path,
                "size": info.size,
                "mod_time": info.modified.map(|t| humantime::format_rfc3339_millis(t).to_string()),
                "is_dir": info.is_dir,
            });
            println!("{json}");
        }
        Command::Ls { path } => {
            for child in driver.list(&path).await? {
                println!("{child}");
            }
        }
        Command::Mv { src, dst } => driver.move_(&src, &dst).await?,
        Command::Rm { path } => driver.delete(&path).await?,
        Command::RmFiles { paths } => println!("{}", driver.delete_files(&paths).await?),
        Command::Url {
            path,
            method,
            expiry,
        } => {
            println!(
                "{}",
                driver
                    .url_for(&path, &method, expiry.map(Duration::from_secs))
                    .await?
            );
        }
        Command::Walk { path, start_after } => {
            let mut walker = driver.walk(&path, start_after.as_deref()).await?;
            while let Some(entry) = walker.next().await? {
                if entry.is_dir {
                    println!("d {}", entry.path);
                } else {
                    println!("f {} {}", entry.path, entry.size);
                }
            }
        }
    }
    Ok(())
}
