//! The `s3drv` CLI as a user runs it: separate processes, exit statuses, messages.

use std::process::Output;

use anyhow::{Context, Result, ensure};
use tokio::process::Command;

use super::{Ctx, random_bytes, sha256, uploads_under_root};

/// `s3drv` with the case's bucket and root (`overrides` replacing some parameters) and
/// `args`, its stdout and stderr piped.
fn command(c: &Ctx, args: &[&str], overrides: &[(&str, &str)]) -> Command {
    let mut command = Command::new(&c.cli);
    for (key, value) in c.endpoint.params(&c.root) {
        let value = overrides
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(value, |(_, v)| v.to_string());
        command.arg("--param").arg(format!("{key}={value}"));
    }
    command
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    command
}

/// Runs `s3drv` with the case's bucket and root, `args`, and `stdin`.
async fn s3drv(
    c: &Ctx,
    args: &[&str],
    stdin: Option<&[u8]>,
    overrides: &[(&str, &str)],
) -> Result<Output> {
    let mut command = command(c, args, overrides);
    command.stdin(if stdin.is_some() {
        std::process::Stdio::piped()
    } else {
        std::process::Stdio::null()
    });
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", c.cli.display()))?;
    if let (Some(data), Some(mut input)) = (stdin, child.stdin.take()) {
        tokio::io::AsyncWriteExt::write_all(&mut input, data).await?;
    }
    Ok(child.wait_with_output().await?)
}

fn describe(output: &Output) -> String {
    format!(
        "status {:?}, stderr {:?}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A writer opened by one `s3drv write --close-only` is resumed with `--append` by another
/// process; the committed object is byte-identical (SHA-256) to what was sent.
pub async fn cli_writer_resumed_by_another_process(c: &Ctx) -> Result<()> {
    let data = random_bytes((7 << 20) + 12345, 60);
    let (first, second) = data.split_at(3 << 20);
    let out = s3drv(c, &["write", "/resumed", "--close-only"], Some(first), &[]).await?;
    ensure!(
        out.status.success(),
        "write --close-only: {}",
        describe(&out)
    );
    let out = s3drv(c, &["write", "/resumed", "--append"], Some(second), &[]).await?;
    ensure!(out.status.success(), "write --append: {}", describe(&out));
    let out = s3drv(c, &["get", "/resumed"], None, &[]).await?;
    ensure!(out.status.success(), "get: {}", describe(&out));
    ensure!(
        sha256(&out.stdout) == sha256(&data),
        "SHA-256 of the resumed upload differs ({} bytes read)",
        out.stdout.len()
    );
    c.driver.delete("/resumed").await?;
    Ok(())
}

/// put, stat, ls, walk, mv, url, rm-files and rm through the CLI, as text and as JSON; a
/// shell completion script.
pub async fn cli_operations(c: &Ctx) -> Result<()> {
    let ok = |out: Output, what: &str| -> Result<String> {
        ensure!(out.status.success(), "{what}: {}", describe(&out));
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    ok(
        s3drv(c, &["put", "/dir/a"], Some(b"hello"), &[]).await?,
        "put",
    )?;
    let stat = ok(s3drv(c, &["stat", "/dir/a"], None, &[]).await?, "stat")?;
    ensure!(stat.starts_with("f /dir/a 5 "), "stat text: {stat}");
    let json = ["--output", "json"];
    let stat = ok(
        s3drv(c, &[&json[..], &["stat", "/dir/a"]].concat(), None, &[]).await?,
        "stat --output json",
    )?;
    ensure!(
        stat.contains("\"path\":\"/dir/a\"")
            && stat.contains("\"size\":5")
            && stat.contains("\"is_dir\":false"),
        "stat JSON: {stat}"
    );
    ensure!(
        ok(s3drv(c, &["ls", "/dir"], None, &[]).await?, "ls")? == "/dir/a\n",
        "ls output"
    );
    ensure!(
        ok(s3drv(c, &["walk", "/"], None, &[]).await?, "walk")? == "d /dir\nf /dir/a 5\n",
        "walk output"
    );
    let parallel = ["--param", "parallelwalk=true", "walk", "/", "--parallel"];
    ensure!(
        ok(s3drv(c, &parallel, None, &[]).await?, "walk --parallel")? == "d /dir\nf /dir/a 5\n",
        "walk --parallel output"
    );
    let walk = ok(
        s3drv(c, &[&json[..], &["walk", "/"]].concat(), None, &[]).await?,
        "walk --output json",
    )?;
    ensure!(
        walk == "{\"is_dir\":true,\"path\":\"/dir\",\"size\":0}\n\
                 {\"is_dir\":false,\"path\":\"/dir/a\",\"size\":5}\n",
        "walk --output json: {walk}"
    );
    ensure!(
        ok(
            s3drv(c, &[&json[..], &["ls", "/dir"]].concat(), None, &[]).await?,
            "ls --output json"
        )? == "[\"/dir/a\"]\n",
        "ls --output json"
    );
    ok(
        s3drv(c, &["mv", "/dir/a", "/dir/b"], None, &[]).await?,
        "mv",
    )?;
    let url = ok(
        s3drv(c, &["url", "/dir/b", "--expiry", "60"], None, &[]).await?,
        "url",
    )?;
    ensure!(url.contains("X-Amz-Expires=60"), "url: {url}");
    ensure!(
        ok(
            s3drv(c, &["rm-files", "/dir/b", "/dir/missing"], None, &[]).await?,
            "rm-files"
        )? == "2\n",
        "rm-files count"
    );
    ok(s3drv(c, &["put", "/dir/c"], Some(b"x"), &[]).await?, "put")?;
    ok(s3drv(c, &["rm", "/dir"], None, &[]).await?, "rm")?;
    let completions = ok(
        s3drv(c, &["completions", "bash"], None, &[]).await?,
        "completions",
    )?;
    ensure!(
        completions.contains("complete -F _s3drv") && completions.contains("rm-files"),
        "completions bash: {completions}"
    );
    Ok(())
}

/// Bad input: a clear message on stderr and the documented exit status (1 failed, 2 usage
/// or invalid parameters, 3 path not found); never a panic or a trap. `--output json` turns
/// the message into `{"error": {"kind", "message"}}`.
pub async fn cli_errors(c: &Ctx) -> Result<()> {
    let cases: [(&[&str], i32, &str); 7] = [
        (&["get", "/bad path"], 1, "s3aws: invalid path: /bad path"),
        (
            &["get", "/x", "--offset", "-1"],
            1,
            "s3aws: invalid offset: -1 for path: /x",
        ),
        (&["get", "/missing"], 3, "s3aws: Path not found: /missing"),
        (&["stat", "/missing"], 3, "s3aws: Path not found: /missing"),
        (
            &["--output", "json", "stat", "/missing"],
            3,
            r#"{"error":{"kind":"path-not-found","message":"s3aws: Path not found: /missing"}}"#,
        ),
        (&["get", "/missing", "--output", "json"], 2, "needs a FILE"),
        (&["frobnicate"], 2, "unrecognized subcommand"),
    ];
    for (args, status, message) in cases {
        let out = s3drv(c, args, None, &[]).await?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        ensure!(
            out.status.code() == Some(status) && stderr.contains(message),
            "{args:?}: {}",
            describe(&out)
        );
        ensure!(
            !stderr.contains("panicked") && !stderr.contains("wasm trap"),
            "{args:?} crashed: {stderr}"
        );
    }
    let out = s3drv(c, &["stat", "/x"], None, &[("chunksize", "1")]).await?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(2) && stderr.contains("s3aws: invalid configuration: chunksize"),
        "bad chunksize: {}",
        describe(&out)
    );
    Ok(())
}

/// A wrong secret key is refused by the server with a clear error and exit status 1.
pub async fn cli_wrong_secret_key(c: &Ctx) -> Result<()> {
    let out = s3drv(c, &["stat", "/x"], None, &[("secretkey", "not-the-secret")]).await?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(1) && stderr.starts_with("s3aws: ") && stderr.contains("403"),
        "wrong secret: {}",
        describe(&out)
    );
    Ok(())
}

/// `--metrics-addr` serves the driver's metrics while a command runs: scraped in the middle
/// of a streamed write, they count the requests by S3 operation, the bytes sent and the live
/// instances of the CLI's tenant.
pub async fn cli_metrics_endpoint(c: &Ctx) -> Result<()> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let address = format!("127.0.0.1:{port}");
    let mut command = Command::new(&c.cli);
    for (key, value) in c.endpoint.params(&c.root) {
        command.arg("--param").arg(format!("{key}={value}"));
    }
    let mut child = command
        .args(["--metrics-addr", &address, "write", "/metered"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut input = child.stdin.take().context("stdin")?;
    // More than one 5 MiB chunk: the first part is uploaded while stdin stays open.
    let data = random_bytes(6 << 20, 61);
    tokio::io::AsyncWriteExt::write_all(&mut input, &data).await?;
    let url = format!("http://{address}/metrics");
    let mut text = String::new();
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let url = url.clone();
        text = tokio::task::spawn_blocking(move || -> Result<String> {
            Ok(ureq::get(&url).call()?.body_mut().read_to_string()?)
        })
        .await?
        .unwrap_or_default();
        if text.contains("operation=\"UploadPart\"") {
            break;
        }
    }
    for expected in [
        "s3drv_requests_total{",
        "operation=\"CreateMultipartUpload\"",
        "operation=\"UploadPart\"",
        "status=\"200\"",
        "tenant=\"cli\"",
        "s3drv_bytes_sent_total{tenant=\"cli\"}",
        "s3drv_instances_live{tenant=\"cli\"} 1",
    ] {
        ensure!(
            text.contains(expected),
            "no {expected} in the metrics:\n{text}"
        );
    }
    drop(input);
    let out = child.wait_with_output().await?;
    ensure!(out.status.success(), "write: {}", describe(&out));
    let stored = c.driver.get_content("/metered").await?;
    ensure!(
        sha256(&stored) == sha256(&data),
        "/metered differs from what was sent"
    );
    c.driver.delete("/metered").await?;
    Ok(())
}

/// `s3drv check` against the case's bucket passes, prints a table of every case, and leaves
/// nothing behind; `--output json` gives the same as one document.
pub async fn cli_check_passes(c: &Ctx) -> Result<()> {
    let out = s3drv(c, &["check"], None, &[]).await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    ensure!(out.status.success(), "check: {}\n{stdout}", describe(&out));
    for case in s3drv_check::cases() {
        ensure!(
            stdout.contains(case.name),
            "no row for {} in:\n{stdout}",
            case.name
        );
    }
    ensure!(
        stdout.contains(" 0 failed") && stdout.contains("nothing left behind"),
        "summary: {stdout}"
    );
    let out = s3drv(
        c,
        &["check", "--only", "write_read", "--output", "json"],
        None,
        &[],
    )
    .await?;
    ensure!(
        out.status.success(),
        "check --output json: {}",
        describe(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("check JSON: {}", String::from_utf8_lossy(&out.stdout)))?;
    let cases = report["cases"].as_array().context("no cases array")?;
    ensure!(
        cases.len() >= 3 && cases.iter().all(|case| case["result"] == "passed"),
        "check JSON cases: {cases:?}"
    );
    ensure!(
        report["cleanup"]["ok"] == true,
        "check JSON cleanup: {report}"
    );
    ensure!(
        c.left_below("/").await?.is_empty(),
        "check left objects under the root"
    );
    Ok(())
}

/// A closed stdout (`s3drv walk / | head -1`) ends each printing command quietly with exit
/// status 141, as a tool ended by SIGPIPE, instead of a panic.
pub async fn cli_closed_stdout(c: &Ctx) -> Result<()> {
    for i in 0..3 {
        c.driver
            .put_content(&format!("/dir/f{i}"), random_bytes(1 << 20, i))
            .await?;
    }
    for args in [
        &["walk", "/"][..],
        &["ls", "/dir"],
        &["stat", "/dir/f0"],
        &["get", "/dir/f0"],
        &["--output", "json", "walk", "/"],
        &["completions", "bash"],
    ] {
        let mut child = command(c, args, &[])
            .stdin(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", c.cli.display()))?;
        // The reader goes away before anything is printed.
        drop(child.stdout.take());
        let out = child.wait_with_output().await?;
        ensure!(
            out.status.code() == Some(141) && out.stderr.is_empty(),
            "s3drv {}: {}",
            args.join(" "),
            describe(&out)
        );
    }
    c.driver.delete("/dir").await?;
    Ok(())
}

/// `s3drv check` interrupted by SIGINT, then by SIGTERM, while a case writes: the case ends
/// what it started, the run's prefix is deleted, no multipart upload is left, and it says so.
pub async fn cli_check_interrupted(c: &Ctx) -> Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let mut child = command(c, &["check", "--only", "concurrent_file_streams"], &[])
            .stdin(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", c.cli.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
        let header = lines.next_line().await?.unwrap_or_default();
        ensure!(header.starts_with("s3drv check:"), "first line: {header:?}");
        // Signal once the case has an upload open: what an interrupt must clean up. (A fixed
        // wait raced the case, which a fast server finishes in well under a second.)
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while uploads_under_root(c).await?.is_empty() {
            ensure!(
                child.try_wait()?.is_none(),
                "check ended before any upload was seen"
            );
            ensure!(
                std::time::Instant::now() < deadline,
                "the check opened no upload within 30 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        let pid = child.id().context("check ended before the signal")?;
        // SAFETY: kill(2) on the child this test started and has not reaped.
        unsafe { libc::kill(pid as i32, signal) };
        let out = child.wait_with_output().await?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        ensure!(
            out.status.code() == Some(1)
                && stderr.contains("interrupted")
                && stderr.contains("deleting"),
            "check after signal {signal}: {}",
            describe(&out)
        );
        let uploads = uploads_under_root(c).await?;
        ensure!(
            uploads.is_empty(),
            "signal {signal}: multipart uploads left: {uploads:?}"
        );
        let left = c.left_below("/").await?;
        ensure!(left.is_empty(), "signal {signal}: the check left {left:?}");
    }
    Ok(())
}

/// With a key that may read the bucket but not write to it, `s3drv check` fails before any
/// case runs, says why, and leaves nothing behind.
pub async fn cli_check_refused_without_write_access(c: &Ctx) -> Result<()> {
    let (access_key, secret_key) = c
        .endpoint
        .read_only_key
        .clone()
        .context("no read-only key")?;
    let overrides = [
        ("accesskey", access_key.as_str()),
        ("secretkey", secret_key.as_str()),
    ];
    let out = s3drv(c, &["check"], None, &overrides).await?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(1)
            && stderr.contains("cannot write to bucket")
            && stderr.contains("AccessDenied"),
        "check with a read-only key: {}",
        describe(&out)
    );
    ensure!(
        c.left_below("/").await?.is_empty(),
        "check left objects under the root"
    );
    Ok(())
}

/// `host/examples/embed.rs`, the embedding a registry developer copies, runs as documented
/// against the case's bucket.
pub async fn embedding_example_runs(c: &Ctx) -> Result<()> {
    let example = std::env::var_os("S3DRV_EMBED_EXAMPLE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| c.cli.with_file_name("examples").join("embed"));
    let out = Command::new(&example)
        .arg(&c.component)
        .env("AWS_ENDPOINT_URL", &c.endpoint.url)
        .env("AWS_REGION", &c.endpoint.region)
        .env("S3_BUCKET", &c.endpoint.bucket)
        .env("AWS_ACCESS_KEY_ID", &c.endpoint.access_key)
        .env("AWS_SECRET_ACCESS_KEY", &c.endpoint.secret_key)
        .env("S3DRV_ROOT", &c.root)
        .output()
        .await
        .with_context(|| format!("running {}", example.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success()
            && stdout.contains("wrote and read back 12582912 bytes")
            && stdout.contains("file /blobs/example 12582912"),
        "embed example: {}\n{stdout}",
        describe(&out)
    );
    Ok(())
}
