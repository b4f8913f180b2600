//! `make demo`: starts a local SeaweedFS (the quickest of the suite's servers to install: a
//! PyPI wheel) with a bucket and walks through a short session of real driver work with the
//! `s3drv` CLI, printing every command and what it answered.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use s3drv_tests::servers;
use s3drv_tests::suite::{random_bytes, sha256};

/// Shows and runs `s3drv --config CONFIG ARGS` (with `stdin` as input).
fn run(
    cli: &PathBuf,
    config: &PathBuf,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> Result<std::process::Output> {
    let shown_input = stdin
        .map(|d| format!(" < ({} bytes)", d.len()))
        .unwrap_or_default();
    println!(
        "$ s3drv --config params.yml {}{shown_input}",
        args.join(" ")
    );
    let mut child = Command::new(cli)
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", cli.display()))?;
    if let (Some(data), Some(mut input)) = (stdin, child.stdin.take()) {
        input.write_all(data)?;
    }
    Ok(child.wait_with_output()?)
}

/// [`run`], which must succeed; returns its stdout (shown when `show_output`).
fn step(
    cli: &PathBuf,
    config: &PathBuf,
    args: &[&str],
    stdin: Option<&[u8]>,
    show_output: bool,
) -> Result<Vec<u8>> {
    let output = run(cli, config, args, stdin)?;
    if !output.status.success() {
        bail!(
            "s3drv {} failed with {}: {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    if show_output {
        print!("{}", String::from_utf8_lossy(&output.stdout));
    }
    println!();
    Ok(output.stdout)
}

/// [`run`], which must end with exit status 3 (path not found); shows its message.
fn step_not_found(cli: &PathBuf, config: &PathBuf, args: &[&str]) -> Result<()> {
    let output = run(cli, config, args, None)?;
    if output.status.code() != Some(3) {
        bail!(
            "s3drv {} ended with {}, not \"not found\"",
            args.join(" "),
            output.status
        );
    }
    println!(
        "{}(exit status 3)\n",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

fn main() -> Result<()> {
    let cli =
        PathBuf::from(std::env::var("S3DRV_CLI").unwrap_or_else(|_| "target/release/s3drv".into()));
    println!("Starting a local SeaweedFS S3 server (weed mini, telemetry off, 127.0.0.1 only)...");
    let server = servers::start_seaweedfs()?;
    let e = &server.endpoint;
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("params.yml");
    // The suite's parameters for this server, its quirks included (SeaweedFS lists no part
    // checksums, so its uploads carry Content-MD5: docs/decisions.md §31).
    let params: String = e
        .params("/demo")
        .iter()
        .map(|(key, value)| format!("{key}: {value:?}\n"))
        .collect();
    std::fs::write(&config, &params)?;
    println!(
        "SeaweedFS listens on {}, bucket {:?}. params.yml:\n{params}",
        e.url, e.bucket
    );

    step(
        &cli,
        &config,
        &["put", "/hello.txt"],
        Some(b"hello from s3drv\n"),
        true,
    )?;
    step(&cli, &config, &["get", "/hello.txt"], None, true)?;

    println!("# A chunked blob upload as a registry does it: one process writes and closes,");
    println!("# another resumes the same multipart upload and commits.");
    let blob = random_bytes(12 << 20, 7);
    let (first, rest) = blob.split_at(7 << 20);
    step(
        &cli,
        &config,
        &["write", "/uploads/blob", "--close-only"],
        Some(first),
        true,
    )?;
    step(
        &cli,
        &config,
        &["write", "/uploads/blob", "--append"],
        Some(rest),
        true,
    )?;
    step(&cli, &config, &["stat", "/uploads/blob"], None, true)?;
    let read = step(&cli, &config, &["get", "/uploads/blob"], None, false)?;
    println!(
        "sha256 sent {}\nsha256 read {}\n",
        sha256(&blob),
        sha256(&read)
    );
    if read != blob {
        bail!("the blob read back differs from the blob written");
    }

    step(
        &cli,
        &config,
        &["mv", "/uploads/blob", "/blobs/sha256/ab/blob"],
        None,
        true,
    )?;
    step(&cli, &config, &["walk", "/"], None, true)?;
    let url = step(
        &cli,
        &config,
        &["url", "/hello.txt", "--expiry", "300"],
        None,
        true,
    )?;
    let url = String::from_utf8(url)?.trim().to_string();
    println!("$ curl --silent --fail \"$URL\"    # no credentials: the URL carries a signature");
    let curl = Command::new("curl")
        .args(["--silent", "--show-error", "--fail", &url])
        .output()
        .context("running curl")?;
    if !curl.status.success() {
        bail!(
            "curl failed: {}",
            String::from_utf8_lossy(&curl.stderr).trim()
        );
    }
    println!("{}", String::from_utf8_lossy(&curl.stdout));
    step(&cli, &config, &["rm", "/blobs"], None, true)?;
    step(&cli, &config, &["rm-files", "/hello.txt"], None, true)?;
    println!(
        "# Nothing is left: a walk of the root finds no key. (`ls /` would still show /blobs and"
    );
    println!("# /uploads for about two minutes: SeaweedFS lists emptied directories until its");
    println!("# cleaner removes them; docs/decisions.md §33.)");
    step_not_found(&cli, &config, &["walk", "/"])?;

    println!("Done; the SeaweedFS server stops now.");
    println!();
    println!("To use your own bucket (AWS, MinIO, Ceph, R2, Garage), write its parameters");
    println!("(regionendpoint, bucket, region, accesskey, secretkey, rootdirectory) to a YAML");
    println!("file, or point --config at your registry's configuration file (its storage: s3:");
    println!("block). Then check that the bucket does everything a registry needs (every case");
    println!("runs under a fresh prefix, deleted afterwards):");
    println!("  target/release/s3drv check --config registry.yml");
    println!("and use it:");
    println!("  target/release/s3drv --config registry.yml ls /");
    drop(server);
    Ok(())
}
