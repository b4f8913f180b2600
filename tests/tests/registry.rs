//! A real registry with real clients: distribution 2.8.2's registry with the s3drv driver
//! (`make registry`) beside `s3drv serve`, on Garage, moto and SeaweedFS. skopeo pushes generated OCI
//! images and pulls them back (every digest checked); a second push finds every blob; a
//! deleted image's blobs go at `garbage-collect` and nothing else does; an image pushed
//! through distribution's built-in `s3aws` driver (Debian's `docker-registry`) pulls through
//! s3drv from the same bucket and root, and the other way round; a sidecar killed while the
//! registry runs fails requests clearly, and they work again once it is back; a push cut short
//! by it is redone with exact blobs. `s3drv serve` on TCP listens on loopback only and refuses
//! requests without the tenant's token.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Result, bail, ensure};
use s3drv_tests::registry::{
    Registry, make_image, pull_and_check, push, registry_binaries, run, s3aws_storage,
    s3drv_storage, skopeo, start_registry,
};
use s3drv_tests::servers::{self, Endpoint, free_port, server_command, wait_for_port};
use s3drv_tests::sidecar::{Sidecar, start_sidecar_at};
use s3drv_tests::suite::random_name;

/// The blob digests stored under `root`, listed through the s3drv CLI.
fn stored_blobs(cli: &Path, endpoint: &Endpoint, root: &str) -> Result<BTreeSet<String>> {
    let mut command = Command::new(cli);
    for (key, value) in endpoint.params(root) {
        command.arg("--param").arg(format!("{key}={value}"));
    }
    let text = run(command.args(["walk", "/docker/registry/v2/blobs"]))?;
    Ok(text
        .lines()
        .filter_map(|l| l.strip_prefix("f "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|p| p.ends_with("/data"))
        .filter_map(|p| p.rsplit('/').nth(1).map(String::from))
        .collect())
}

/// One HTTP/1.0 request to `127.0.0.1:port`; the answer's text.
fn raw_http(port: u16, request: &str) -> Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.write_all(request.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

/// `s3drv serve --listen`: only loopback addresses, only with a token, and a request without
/// the token is refused while `/healthz` answers.
fn serve_over_tcp_needs_the_token(cli: &Path, endpoint: &Endpoint, root: &str) -> Result<()> {
    let serve = |listen: &str, token: Option<&str>| {
        let mut command = server_command(cli);
        for (key, value) in endpoint.params(root) {
            command.arg("--param").arg(format!("{key}={value}"));
        }
        command
            .args(["serve", "--listen", listen])
            .env_remove("S3DRV_TOKEN");
        if let Some(token) = token {
            command.args(["--token", token]);
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    };
    let port = free_port()?;
    for (listen, token, why) in [
        (
            format!("0.0.0.0:{port}"),
            Some("t"),
            "not a loopback address",
        ),
        (format!("127.0.0.1:{port}"), None, "has no token"),
    ] {
        let refused = serve(&listen, token).output()?;
        let text = String::from_utf8_lossy(&refused.stderr);
        ensure!(
            !refused.status.success() && text.contains(why),
            "serve --listen {listen}: {text}"
        );
    }
    let mut child = serve(&format!("127.0.0.1:{port}"), Some("s3cret")).spawn()?;
    let checked = (|| {
        wait_for_port(port, &mut child, "s3drv serve", Duration::from_secs(60))?;
        let health = raw_http(port, "GET /healthz HTTP/1.0\r\n\r\n")?;
        ensure!(health.starts_with("HTTP/1.0 200"), "healthz: {health}");
        let stat = "GET /v1/default/stat?path=%2F HTTP/1.0\r\n";
        let anonymous = raw_http(port, &format!("{stat}\r\n"))?;
        ensure!(
            anonymous.contains(" 401 ") && anonymous.contains("unauthorized"),
            "{anonymous}"
        );
        let wrong = raw_http(port, &format!("{stat}Authorization: Bearer s3creT\r\n\r\n"))?;
        ensure!(wrong.contains(" 401 "), "a wrong token: {wrong}");
        let allowed = raw_http(port, &format!("{stat}Authorization: Bearer s3cret\r\n\r\n"))?;
        ensure!(
            allowed.contains(" 404 ") && allowed.contains("path-not-found"),
            "{allowed}"
        );
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    checked
}

/// A push whose blob upload is under way when the sidecar is killed fails; redone once the
/// sidecar is back, it stores exact blobs (an upload cut short never becomes a blob the second
/// push would find and skip). Returns the restarted sidecar.
fn push_interrupted_by_the_sidecar(
    cli: &Path,
    endpoint: &Endpoint,
    root: &str,
    ours: &Registry,
    sidecar: Sidecar,
    dir: &Path,
) -> Result<Sidecar> {
    // One layer, so the first upload the registry logs is the large one (96 MiB: a PATCH of
    // more than half a second through the sidecar).
    let image = dir.join("interrupted");
    let big = make_image(&image, &[(96 << 20, 11)])?;
    let logged = std::fs::read_to_string(&ours.log)?.len();
    let mut pushing = skopeo()
        .args(["copy", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:v1", image.display()))
        .arg(format!(
            "docker://127.0.0.1:{}/team/interrupted:v1",
            ours.port
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&ours.log)?[logged..]
        .contains("POST /v2/team/interrupted/blobs/uploads/")
    {
        ensure!(
            started.elapsed() < Duration::from_secs(60) && pushing.try_wait()?.is_none(),
            "the push did not start an upload"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The PATCH with the layer's bytes follows the POST at once.
    std::thread::sleep(Duration::from_millis(100));
    let socket = sidecar.socket.clone();
    drop(sidecar);
    let output = pushing.wait_with_output()?;
    ensure!(
        !output.status.success(),
        "the push succeeded though the sidecar was killed during its upload"
    );
    let sidecar = start_sidecar_at(cli, endpoint, root, Some(&socket))?;
    push(&image, ours.port, "team/interrupted")?;
    pull_and_check(dir, ours.port, "team/interrupted", &big)?;
    Ok(sidecar)
}

fn registry_cases(endpoint: &Endpoint, cli: &Path, registry: &Path, builtin: &Path) -> Result<()> {
    let work = tempfile::tempdir()?;
    let dir = work.path();
    let root = format!("s3drv-registry/{}-{}", std::process::id(), random_name(6));
    serve_over_tcp_needs_the_token(cli, endpoint, &root)?;
    // The socket lives in the test's directory, so that a restarted sidecar takes its place.
    let socket = dir.join("s3drv.sock");
    let sidecar = start_sidecar_at(cli, endpoint, &root, Some(&socket))?;
    let ours = start_registry(registry, dir, &s3drv_storage(&sidecar))?;

    // Push and pull; the 12 MiB layer is more than two 5 MiB chunks.
    let app = make_image(&dir.join("app"), &[(1000, 1), (2 << 20, 2), (12 << 20, 3)])?;
    push(&dir.join("app"), ours.port, "team/app")?;
    pull_and_check(dir, ours.port, "team/app", &app)?;
    let logged = std::fs::read_to_string(&ours.log)?.len();
    push(&dir.join("app"), ours.port, "team/app")?;
    let second = std::fs::read_to_string(&ours.log)?[logged..].to_string();
    ensure!(
        second.contains("HEAD /v2/team/app/blobs/"),
        "no blob HEAD logged for the second push:\n{second}"
    );
    ensure!(
        !second.contains("/blobs/uploads/"),
        "the second push uploaded blobs again:\n{second}"
    );

    // A second image shares a layer; deleting the first and collecting garbage removes
    // exactly the first's own blobs.
    let other = make_image(&dir.join("other"), &[(1000, 1), (3 << 20, 4)])?;
    push(&dir.join("other"), ours.port, "team/other")?;
    let before = stored_blobs(cli, endpoint, &root)?;
    ensure!(before == &app | &other, "stored blobs {before:?}");
    run(skopeo()
        .args(["delete", "--tls-verify=false"])
        .arg(format!("docker://127.0.0.1:{}/team/app:v1", ours.port)))?;
    run(Command::new(registry)
        .arg("garbage-collect")
        .arg(&ours.config)
        .env_remove("AWS_CA_BUNDLE"))?;
    let after = stored_blobs(cli, endpoint, &root)?;
    ensure!(
        after == other,
        "after garbage-collect: {after:?}, expected {other:?}"
    );
    pull_and_check(dir, ours.port, "team/other", &other)?;

    // The same layout as the built-in driver, both ways.
    let theirs = start_registry(builtin, dir, &s3aws_storage(endpoint, &root))?;
    let native = make_image(&dir.join("native"), &[(4000, 5), (6 << 20, 6)])?;
    push(&dir.join("native"), theirs.port, "team/native")?;
    pull_and_check(dir, ours.port, "team/native", &native)?;
    let mine = make_image(&dir.join("mine"), &[(5000, 7), (7 << 20, 8)])?;
    push(&dir.join("mine"), ours.port, "team/mine")?;
    pull_and_check(dir, theirs.port, "team/mine", &mine)?;
    drop(theirs);

    // The sidecar killed while the registry runs: a clear failure, then work again.
    drop(sidecar);
    let down = skopeo()
        .args(["inspect", "--tls-verify=false"])
        .arg(format!("docker://127.0.0.1:{}/team/other:v1", ours.port))
        .stdin(Stdio::null())
        .output()?;
    ensure!(
        !down.status.success(),
        "inspect succeeded with the sidecar down"
    );
    let sidecar = start_sidecar_at(cli, endpoint, &root, Some(&socket))?;
    pull_and_check(dir, ours.port, "team/other", &other)?;
    let late = make_image(&dir.join("late"), &[(2000, 9), (11 << 20, 10)])?;
    push(&dir.join("late"), ours.port, "team/late")?;
    pull_and_check(dir, ours.port, "team/late", &late)?;
    let sidecar = push_interrupted_by_the_sidecar(cli, endpoint, &root, &ours, sidecar, dir)?;
    drop(ours);
    drop(sidecar);
    // Leave the bucket as found.
    let mut command = Command::new(cli);
    for (key, value) in endpoint.params(&root) {
        command.arg("--param").arg(format!("{key}={value}"));
    }
    run(command.args(["rm", "/docker"]))?;
    Ok(())
}

fn main() -> Result<()> {
    let cli = servers::artifact("S3DRV_CLI", "target/release/s3drv", "build")?;
    let (registry, builtin) = registry_binaries()?;
    let (servers, endpoints) = servers::start_all()?;
    let (mut passed, mut failed) = (0, 0);
    for endpoint in &endpoints {
        let started = std::time::Instant::now();
        match registry_cases(endpoint, &cli, &registry, &builtin) {
            Ok(()) => {
                passed += 1;
                println!(
                    "registry {:<8} ok      {:.1}s",
                    endpoint.name,
                    started.elapsed().as_secs_f64()
                );
            }
            Err(e) => {
                failed += 1;
                println!("registry {:<8} FAILED  {e:#}", endpoint.name);
            }
        }
    }
    drop(servers);
    println!("\nregistry: {passed} passed, {failed} failed");
    if failed > 0 {
        bail!("{failed} registry runs failed");
    }
    Ok(())
}
