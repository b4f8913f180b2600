//! A Go registry with real clients, for the registry test and the registry benchmark:
//! distribution 2.8.2's registry (ours with the s3drv driver, or Debian's `docker-registry`
//! with the built-in `s3aws`) started on a generated configuration, OCI images generated on
//! disk, and skopeo pushing and pulling them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, ensure};

use crate::servers::{Endpoint, free_port, server_command, wait_for_port};
use crate::sidecar::Sidecar;
use crate::suite::{random_bytes, random_name, sha256};

/// Debian's registry: distribution 2.8.2 with its built-in drivers.
const BUILTIN_REGISTRY: &str = "/usr/bin/docker-registry";

/// The two registry binaries: ours with the s3drv driver (`make registry`) and Debian's
/// with the built-in ones (`make go-deps`), or an error naming what is missing.
pub fn registry_binaries() -> Result<(PathBuf, PathBuf)> {
    let ours = crate::servers::artifact("S3DRV_REGISTRY", "target/go/registry", "registry")?;
    let builtin = PathBuf::from(BUILTIN_REGISTRY);
    ensure!(
        builtin.is_file(),
        "{} is missing: run `make go-deps`",
        builtin.display()
    );
    Ok((ours, builtin))
}

/// A registry process, killed on drop, at `127.0.0.1:port`.
pub struct Registry {
    child: Child,
    /// Its HTTP port on 127.0.0.1.
    pub port: u16,
    /// Its configuration file.
    pub config: PathBuf,
    /// Its log (stdout and stderr).
    pub log: PathBuf,
}

impl Registry {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes a registry configuration under `dir` with `storage` (the lines under `storage:`,
/// indented by two spaces) and starts `binary` on it.
pub fn start_registry(binary: &Path, dir: &Path, storage: &str) -> Result<Registry> {
    let port = free_port()?;
    let config = dir.join(format!("registry-{port}.yml"));
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n{storage}  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n"
        ),
    )?;
    let log = dir.join(format!("registry-{port}.log"));
    let file = std::fs::File::create(&log)?;
    let mut child = server_command(binary)
        .arg("serve")
        .arg(&config)
        .env_remove("AWS_CA_BUNDLE")
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    wait_for_port(port, &mut child, "the registry", Duration::from_secs(60))?;
    Ok(Registry {
        child,
        port,
        config,
        log,
    })
}

/// The storage block of the s3drv driver reaching `sidecar`'s tenant `default`.
pub fn s3drv_storage(sidecar: &Sidecar) -> String {
    format!(
        "  s3drv:\n    socket: {}\n    tenant: default\n",
        sidecar.socket.display()
    )
}

/// The storage block of the built-in `s3aws` driver for `endpoint`'s bucket under `root`.
pub fn s3aws_storage(endpoint: &Endpoint, root: &str) -> String {
    format!(
        "  s3:\n    accesskey: {}\n    secretkey: {}\n    region: {}\n    regionendpoint: {}\n    bucket: {}\n    rootdirectory: /{root}\n    secure: false\n",
        endpoint.access_key, endpoint.secret_key, endpoint.region, endpoint.url, endpoint.bucket
    )
}

/// The storage lines that make a registry serve blobs itself instead of redirecting clients
/// to presigned URLs.
pub const NO_REDIRECT: &str = "  redirect:\n    disable: true\n";

/// Runs `command` to completion; its stdout and stderr, or an error holding them.
pub fn run(command: &mut Command) -> Result<String> {
    let output = command.stdin(Stdio::null()).output()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    ensure!(output.status.success(), "{command:?} failed: {text}");
    Ok(text)
}

/// Writes an OCI layout at `dir` tagged `v1`: a config and one `tar.gz` layer per
/// `(size, seed)` holding that many bytes of random data; returns the digests of its blobs.
///
/// The layers are compressed (fast, `gzip -1`) because skopeo compresses a plain tar layer
/// while pushing it, which would make a push measure gzip.
pub fn make_image(dir: &Path, layers: &[(usize, u64)]) -> Result<BTreeSet<String>> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs)?;
    let mut digests = BTreeSet::new();
    let mut store = |bytes: &[u8]| -> Result<(String, usize)> {
        let digest = sha256(bytes);
        std::fs::write(blobs.join(&digest), bytes)?;
        digests.insert(digest.clone());
        Ok((digest, bytes.len()))
    };
    let media = "application/vnd.oci.image.layer.v1.tar+gzip";
    let mut stored = Vec::new();
    for (size, seed) in layers {
        let work = tempfile::tempdir()?;
        std::fs::write(work.path().join("data"), random_bytes(*size, *seed))?;
        let layer = work.path().join("layer");
        run(Command::new("tar")
            .arg("-C")
            .arg(work.path())
            .args(["--use-compress-program", "gzip -1", "-cf"])
            .arg(&layer)
            .arg("data"))?;
        stored.push(store(&std::fs::read(&layer)?)?);
    }
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": { "type": "layers", "diff_ids": [] },
        "config": { "Labels": { "seed": layers.iter().map(|s| s.1.to_string()).collect::<Vec<_>>().join(",") } },
    })
    .to_string();
    let (config_digest, config_size) = store(config.as_bytes())?;
    let descriptor = |media: &str, (digest, size): &(String, usize)| serde_json::json!({ "mediaType": media, "digest": format!("sha256:{digest}"), "size": size });
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", &(config_digest, config_size)),
        "layers": stored.iter().map(|l| descriptor(media, l)).collect::<Vec<_>>(),
    })
    .to_string();
    let manifest = store(manifest.as_bytes())?;
    let mut index = descriptor("application/vnd.oci.image.manifest.v1+json", &manifest);
    index["annotations"] = serde_json::json!({ "org.opencontainers.image.ref.name": "v1" });
    std::fs::write(
        dir.join("index.json"),
        serde_json::json!({ "schemaVersion": 2, "manifests": [index] }).to_string(),
    )?;
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion": "1.0.0"}"#)?;
    Ok(digests)
}

/// The blobs of a `dir:` layout skopeo wrote (the manifest as `manifest.json`, the other
/// blobs named by their digest), each checked against its digest.
pub fn checked_blobs(dir: &Path) -> Result<BTreeSet<String>> {
    let mut digests = BTreeSet::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "version" {
            continue;
        }
        let actual = sha256(&std::fs::read(entry.path())?);
        ensure!(
            name == "manifest.json" || actual == name,
            "pulled blob {name} has SHA-256 {actual}"
        );
        digests.insert(actual);
    }
    Ok(digests)
}

/// skopeo, with the policy check off (the images are the test's own).
pub fn skopeo() -> Command {
    let mut command = Command::new("skopeo");
    command.arg("--insecure-policy");
    command
}

/// Pushes the OCI layout at `layout` (tag `v1`) to `name:v1` on the registry at `port`.
pub fn push(layout: &Path, port: u16, name: &str) -> Result<String> {
    run(skopeo()
        .args(["copy", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:v1", layout.display()))
        .arg(format!("docker://127.0.0.1:{port}/{name}:v1")))
}

/// Pulls `name:v1` from the registry at `port` into a new `dir:` layout under `dir` (which
/// keeps every blob as the registry sent it; an OCI layout would have skopeo compress plain
/// tar layers); its path.
pub fn pull(dir: &Path, port: u16, name: &str) -> Result<PathBuf> {
    let pulled = dir.join(format!("pulled-{}", random_name(6)));
    run(skopeo()
        .args(["copy", "--src-tls-verify=false"])
        .arg(format!("docker://127.0.0.1:{port}/{name}:v1"))
        .arg(format!("dir:{}", pulled.display())))?;
    Ok(pulled)
}

/// Pulls `name` into a fresh layout under `dir` and checks that it holds `expected`.
pub fn pull_and_check(
    dir: &Path,
    port: u16,
    name: &str,
    expected: &BTreeSet<String>,
) -> Result<()> {
    let pulled = pull(dir, port, name)?;
    let got = checked_blobs(&pulled)?;
    ensure!(
        &got == expected,
        "pulled {name}: blobs {got:?}, pushed {expected:?}"
    );
    Ok(())
}
