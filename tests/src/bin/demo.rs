//! `make demo`: starts a local Garage with a bucket and walks through a short session of
//! real driver work with the `s3drv` CLI, printing every command and what it answered.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use s3drv_tests::servers;
use s3drv_tests::suite::{random_bytes, sha256};

/// Runs `s3drv --config CONFIG ARGS` (with `stdin` as input), shows it, and returns stdout.
fn step(
    cli: &PathBuf,
    config: &PathBuf,
    args: &[&str],
    stdin: Option<&[u8]>,
    show_output: bool,
) -> Result<Vec<u8>> {
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
        .spawn()
        .with_context(|| format!("running {}", cli.display()))?;
    if let (Some(data), Some(mut input)) = (stdin, child.stdin.take()) {
        input.write_all(data)?;
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!("s3drv {} failed with {}", args.join(" "), output.status);
    }
    if show_output {
        print!("{}", String::from_utf8_lossy(&output.stdout));
    }
    println!();
    Ok(output.stdout)
}

fn main() -> Result<()> {
    let cli =
        PathBuf::from(std::env::var("S3DRV_CLI").unwrap_or_else(|_| "target/release/s3drv".into()));
    println!("Starting a local Garage S3 server...");
    let server = servers::start_garage()?;
    let e = &server.endpoint;
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("params.yml");
    let params = format!(
        "regionendpoint: {}\nbucket: {}\naccesskey: {}\nsecretkey: {}\nregion: {}\nrootdirectory: /demo\nchunksize: 5242880\n",
        e.url, e.bucket, e.access_key, e.secret_key, e.region
    );
    std::fs::write(&config, &params)?;
    println!(
        "Garage listens on {}, bucket {:?}. params.yml:\n{params}",
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
    step(&cli, &config, &["ls", "/"], None, true)?;

    println!("Done; the Garage server stops now.");
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
