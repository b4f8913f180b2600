//! The S3 servers the suite runs against: Garage, moto and SeaweedFS started here (free
//! loopback ports, temporary directories, their own bucket and key), or an external store named by
//! `S3DRV_TEST_ENDPOINT`, `S3DRV_TEST_BUCKET`, `S3DRV_TEST_ACCESS_KEY`,
//! `S3DRV_TEST_SECRET_KEY` and `S3DRV_TEST_REGION`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use s3drv_check::Store;

/// What a server checks, so cases that need a check run only where it is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// The server verifies SigV4 signatures (a wrong secret key is refused).
    pub verifies_signatures: bool,
    /// The server stores objects of 10 GiB without holding them in memory.
    pub stores_huge_objects: bool,
    /// HEAD reports storage class, SSE mode and KMS key id, and GET ?acl the canned ACL.
    pub reports_object_attributes: bool,
    /// The server's URL also serves STS AssumeRoleWithWebIdentity and EC2 instance metadata.
    pub serves_credential_endpoints: bool,
    /// The server accepts Signature Version 2 requests.
    pub accepts_sigv2: bool,
    /// A TLS copy of the server can be started here (moto with a generated certificate).
    pub can_start_tls_copy: bool,
    /// Delimited listings show the directories of deleted keys for a while (SeaweedFS removes
    /// an empty directory minutes after its last key).
    pub lists_deleted_directories: bool,
    /// Listings follow S3's key order, `StartAfter` included (SeaweedFS lists its directory
    /// tree, `a/` before `a-b/`, and skips a directory named by `StartAfter`).
    pub lists_in_key_order: bool,
    /// ListParts repeats each part's `x-amz-checksum-*` value, so an upload created with
    /// one can be resumed and completed (SeaweedFS 4.48 omits them: it runs with
    /// `checksum_algorithm: MD5`, `docs/decisions.md` §31).
    pub lists_part_checksums: bool,
}

impl Capabilities {
    /// A server that verifies signatures and body checksums, stores large objects, and
    /// lists as S3 does, with none of the optional features (attributes, credential
    /// endpoints, SigV2, a TLS copy): Garage.
    pub const VERIFYING_S3: Capabilities = Capabilities {
        verifies_signatures: true,
        stores_huge_objects: true,
        reports_object_attributes: false,
        serves_credential_endpoints: false,
        accepts_sigv2: false,
        can_start_tls_copy: false,
        lists_deleted_directories: false,
        lists_in_key_order: true,
        lists_part_checksums: true,
    };
}

/// A bucket to test against.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Short name for reports: `garage`, `moto`, `external`.
    pub name: String,
    /// `http(s)://host:port`.
    pub url: String,
    /// Bucket.
    pub bucket: String,
    /// Access key id.
    pub access_key: String,
    /// Secret key.
    pub secret_key: String,
    /// Region.
    pub region: String,
    /// What the server checks.
    pub capabilities: Capabilities,
    /// A key (access key, secret key) that may read the bucket but not write to it.
    pub read_only_key: Option<(String, String)>,
}

impl Endpoint {
    /// Driver parameters for this bucket under `root` (`chunksize` 5 MiB).
    pub fn params(&self, root: &str) -> Vec<(String, String)> {
        self.store().params(root)
    }

    /// The bucket as the [`s3drv_check`] cases see it.
    pub fn store(&self) -> Store {
        let params = [
            ("regionendpoint", self.url.as_str()),
            ("bucket", &self.bucket),
            ("accesskey", &self.access_key),
            ("secretkey", &self.secret_key),
            ("region", &self.region),
        ]
        .into_iter()
        .chain((!self.capabilities.lists_part_checksums).then_some(("checksum_algorithm", "MD5")))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Store {
            verifies_signatures: self.capabilities.verifies_signatures,
            stores_huge_objects: self.capabilities.stores_huge_objects,
            lists_deleted_directories: self.capabilities.lists_deleted_directories,
            lists_in_key_order: self.capabilities.lists_in_key_order,
            // Garage's and moto's buckets are the test's own.
            whole_bucket: self.name != "external",
            ..Store::new(params)
        }
    }
}

/// A command for a server process that dies with the test runner: servers started from the
/// main thread get SIGTERM when it ends (Linux `PR_SET_PDEATHSIG`), even if the runner is
/// killed and never runs its destructors. (The signal follows the thread that started the
/// child, so servers started on other threads rely on `Drop` alone.)
pub fn server_command(binary: &Path) -> Command {
    let mut command = Command::new(binary);
    if std::thread::current().name() == Some("main") {
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut command, || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    command
}

/// Starts `command` in `dir`, its output going to `dir/server.log` ([`Server::log_tail`]);
/// `hint` says how to get the program when it cannot be started.
fn spawn_logged(mut command: Command, dir: &Path, hint: &str) -> Result<Child> {
    let log = std::fs::File::create(dir.join("server.log"))?;
    let program = command.get_program().to_string_lossy().into_owned();
    command
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {program} ({hint})"))
}

/// Whether the variable `name` is `1` or `true`.
fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// A server process (killed on drop) and its bucket.
pub struct Server {
    /// The bucket.
    pub endpoint: Endpoint,
    child: Option<Child>,
    /// Holds the server's files until the server is gone.
    dir: Option<tempfile::TempDir>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Server {
    /// The server's log, for failure reports.
    pub fn log_tail(&self) -> String {
        let Some(dir) = &self.dir else {
            return String::new();
        };
        let text = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `child` listens on `port` (an error if it exits first or takes longer than `timeout`).
pub fn wait_for_port(port: u16, child: &mut Child, what: &str, timeout: Duration) -> Result<()> {
    let start = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            bail!("{what} exited with {status} before listening on port {port}");
        }
        if start.elapsed() > timeout {
            bail!("{what} did not listen on port {port} within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The external store of the `S3DRV_TEST_*` variables, if `S3DRV_TEST_ENDPOINT` is set.
pub fn external() -> Result<Option<Endpoint>> {
    let Ok(url) = std::env::var("S3DRV_TEST_ENDPOINT") else {
        return Ok(None);
    };
    let var = |name: &str| {
        std::env::var(name)
            .with_context(|| format!("S3DRV_TEST_ENDPOINT is set, so {name} must be too"))
    };
    Ok(Some(Endpoint {
        name: "external".into(),
        url,
        bucket: var("S3DRV_TEST_BUCKET")?,
        access_key: var("S3DRV_TEST_ACCESS_KEY")?,
        secret_key: var("S3DRV_TEST_SECRET_KEY")?,
        region: std::env::var("S3DRV_TEST_REGION").unwrap_or_else(|_| "us-east-1".into()),
        capabilities: Capabilities {
            verifies_signatures: true,
            stores_huge_objects: true,
            reports_object_attributes: flag("S3DRV_TEST_REPORTS_ATTRIBUTES"),
            serves_credential_endpoints: false,
            accepts_sigv2: flag("S3DRV_TEST_ACCEPTS_SIGV2"),
            can_start_tls_copy: false,
            lists_deleted_directories: flag("S3DRV_TEST_LISTS_DELETED_DIRECTORIES"),
            lists_in_key_order: !flag("S3DRV_TEST_LISTS_TREE_ORDER"),
            lists_part_checksums: !flag("S3DRV_TEST_OMITS_PART_CHECKSUMS"),
        },
        read_only_key: None,
    }))
}

/// `garage`: `$S3DRV_GARAGE`, else on `PATH`, else `~/.cargo/bin/garage`.
fn garage_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("S3DRV_GARAGE") {
        return Ok(path.into());
    }
    let in_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("garage"))
        .find(|p| p.is_file());
    let cargo_bin = std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo/bin/garage"));
    in_path
        .or(cargo_bin.filter(|p| p.is_file()))
        .context("Garage is not installed (run `make garage`, or set S3DRV_GARAGE)")
}

fn run(command: &mut Command) -> Result<String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Starts a single-node Garage with bucket `s3drv-test` and a key allowed to use it.
pub fn start_garage() -> Result<Server> {
    let binary = garage_binary()?;
    let dir = tempfile::Builder::new().prefix("s3drv-garage-").tempdir()?;
    let (s3_port, rpc_port, admin_port) = (free_port()?, free_port()?, free_port()?);
    let config = dir.path().join("garage.toml");
    let root = dir.path().display();
    std::fs::write(
        &config,
        format!(
            r#"metadata_dir = "{root}/meta"
data_dir = "{root}/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc_port}"
rpc_public_addr = "127.0.0.1:{rpc_port}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "us-east-1"
api_bind_addr = "127.0.0.1:{s3_port}"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:{admin_port}"
admin_token = "s3drv-test-admin-token"
"#,
            secret = "3c1f4f6a1d9e2b7c8a5d0e6f4b3a2c1d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b"
        ),
    )?;
    let mut command = server_command(&binary);
    command.arg("-c").arg(&config).arg("server");
    let mut child = spawn_logged(
        command,
        dir.path(),
        "run `make garage`, or set S3DRV_GARAGE",
    )?;
    wait_for_port(s3_port, &mut child, "garage", Duration::from_secs(60))?;
    let mut server = Server {
        endpoint: Endpoint {
            name: "garage".into(),
            url: format!("http://127.0.0.1:{s3_port}"),
            bucket: "s3drv-test".into(),
            access_key: "GK0123456789abcdef01234567".into(),
            secret_key: "5ec12e7f0123456789abcdef0123456789abcdef0123456789abcdef01234567".into(),
            region: "us-east-1".into(),
            // Garage accepts and ignores storage class, ACL and SSE headers.
            capabilities: Capabilities::VERIFYING_S3,
            read_only_key: Some((
                "GKfedcba9876543210fedcba98".into(),
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
            )),
        },
        child: None,
        dir: None,
    };
    let garage = |args: &[&str]| run(Command::new(&binary).arg("-c").arg(&config).args(args));
    let start = Instant::now();
    let node = loop {
        match garage(&["node", "id", "-q"]) {
            Ok(id) => break id,
            Err(e) if start.elapsed() > Duration::from_secs(60) => {
                return Err(e.context("garage never answered"));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    };
    let node = node
        .trim()
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string();
    garage(&["layout", "assign", "-z", "dc1", "-c", "1G", &node])?;
    garage(&["layout", "apply", "--version", "1"])?;
    let e = &server.endpoint;
    garage(&[
        "key",
        "import",
        "--yes",
        "-n",
        "s3drv-test",
        &e.access_key,
        &e.secret_key,
    ])?;
    garage(&["bucket", "create", &e.bucket])?;
    garage(&[
        "bucket",
        "allow",
        "--read",
        "--write",
        "--owner",
        &e.bucket,
        "--key",
        &e.access_key,
    ])?;
    if let Some((access_key, secret_key)) = &e.read_only_key {
        garage(&[
            "key",
            "import",
            "--yes",
            "-n",
            "s3drv-read-only",
            access_key,
            secret_key,
        ])?;
        garage(&["bucket", "allow", "--read", &e.bucket, "--key", access_key])?;
    }
    server.child = Some(child);
    server.dir = Some(dir);
    Ok(server)
}

/// A tool installed in the workspace's virtualenv: `$variable`, else `.venv/bin/name`, else
/// `name` on `PATH`.
fn venv_tool(variable: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(variable) {
        return path.into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.venv/bin")
        .join(name);
    if venv.is_file() {
        venv
    } else {
        PathBuf::from(name)
    }
}

/// Starts moto with bucket `s3drv-test`.
pub fn start_moto() -> Result<Server> {
    start_moto_with(&[])
}

/// Starts moto serving TLS with `certificate` and `key` (PEM files), with bucket
/// `s3drv-test` created through boto3 (moto's own dependency).
pub fn start_moto_tls(certificate: &Path, key: &Path) -> Result<Server> {
    let certificate = certificate.to_string_lossy();
    let key = key.to_string_lossy();
    start_moto_with(&["-c", &certificate, "-k", &key])
}

fn start_moto_with(tls: &[&str]) -> Result<Server> {
    let binary = venv_tool("S3DRV_MOTO_SERVER", "moto_server");
    let dir = tempfile::Builder::new().prefix("s3drv-moto-").tempdir()?;
    let port = free_port()?;
    let mut command = server_command(&binary);
    command
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .args(tls);
    let mut child = spawn_logged(
        command,
        dir.path(),
        "run `make moto`, or set S3DRV_MOTO_SERVER",
    )?;
    wait_for_port(port, &mut child, "moto_server", Duration::from_secs(60))?;
    let scheme = if tls.is_empty() { "http" } else { "https" };
    let url = format!("{scheme}://127.0.0.1:{port}");
    let server = Server {
        endpoint: Endpoint {
            name: "moto".into(),
            url: url.clone(),
            bucket: "s3drv-test".into(),
            access_key: "moto-access-key".into(),
            secret_key: "moto-secret-key".into(),
            region: "us-east-1".into(),
            capabilities: Capabilities {
                verifies_signatures: false,
                // moto keeps objects in memory: a 5 GiB stream peaks near 17 GiB of RAM.
                stores_huge_objects: false,
                reports_object_attributes: true,
                serves_credential_endpoints: true,
                accepts_sigv2: true,
                can_start_tls_copy: true,
                lists_deleted_directories: false,
                lists_in_key_order: true,
                lists_part_checksums: true,
            },
            // moto does not enforce key permissions.
            read_only_key: None,
        },
        child: Some(child),
        dir: Some(dir),
    };
    if !tls.is_empty() {
        let python = binary.with_file_name("python");
        let script = format!(
            "import boto3; boto3.client('s3', endpoint_url='{url}', verify=False, \
             aws_access_key_id='a', aws_secret_access_key='b', region_name='us-east-1')\
             .create_bucket(Bucket='s3drv-test')"
        );
        let status = Command::new(&python)
            .args(["-c", &script])
            .stdin(Stdio::null())
            .status()
            .with_context(|| format!("running {}", python.display()))?;
        if !status.success() {
            bail!("boto3 could not create the bucket on the TLS moto: {status}");
        }
        return Ok(server);
    }
    // moto does not verify signatures: an unsigned PUT creates the bucket.
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        stream,
        "PUT /s3drv-test HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    if !answer.starts_with("HTTP/1.1 200") {
        bail!("moto refused to create the bucket: {answer}");
    }
    Ok(server)
}

/// Starts SeaweedFS (`weed mini`: master, volume, filer and S3 gateway in one process) with
/// bucket `s3drv-test`, a read-write key and a read-only key, telemetry off and every
/// listener, gRPC ones included, on a free port of 127.0.0.1.
pub fn start_seaweedfs() -> Result<Server> {
    let binary = venv_tool("S3DRV_SEAWEEDFS", "weed");
    let dir = tempfile::Builder::new()
        .prefix("s3drv-seaweedfs-")
        .tempdir()?;
    let (access_key, secret_key) = ("s3drv-seaweedfs-key", "s3drv-seaweedfs-secret");
    let (read_access_key, read_secret_key) = ("s3drv-seaweedfs-reader", "s3drv-seaweedfs-read");
    let identities = dir.path().join("identities.json");
    std::fs::write(
        &identities,
        format!(
            r#"{{"identities":[
{{"name":"s3drv","credentials":[{{"accessKey":"{access_key}","secretKey":"{secret_key}"}}],
  "actions":["Admin","Read","Write","List","Tagging"]}},
{{"name":"reader","credentials":[{{"accessKey":"{read_access_key}","secretKey":"{read_secret_key}"}}],
  "actions":["Read","List"]}}]}}"#
        ),
    )?;
    let s3_port = free_port()?;
    let filer_port = free_port()?;
    let mut args = vec![
        format!("-dir={}", dir.path().join("data").display()),
        "-ip=127.0.0.1".into(),
        "-ip.bind=127.0.0.1".into(),
        // On by default: it would report to telemetry.seaweedfs.com.
        "-master.telemetry=false".into(),
        "-admin.ui=false".into(),
        "-webdav=false".into(),
        "-s3.port.iceberg=0".into(),
        "-s3.port.lance=0".into(),
        format!("-s3.config={}", identities.display()),
        "-bucket=s3drv-test".into(),
        format!("-s3.port={s3_port}"),
        format!("-filer.port={filer_port}"),
    ];
    for flag in [
        "s3.port.grpc",
        "filer.port.grpc",
        "master.port",
        "master.port.grpc",
        "volume.port",
        "volume.port.grpc",
        "admin.port",
        "admin.port.grpc",
    ] {
        args.push(format!("-{flag}={}", free_port()?));
    }
    std::fs::create_dir(dir.path().join("data"))?;
    let mut command = server_command(&binary);
    command.arg("mini").args(&args);
    let mut child = spawn_logged(
        command,
        dir.path(),
        "run `make seaweedfs`, or set S3DRV_SEAWEEDFS",
    )?;
    wait_for_port(s3_port, &mut child, "weed mini", Duration::from_secs(60))?;
    wait_for_seaweedfs_bucket(filer_port, &mut child)?;
    Ok(Server {
        endpoint: Endpoint {
            name: "seaweedfs".into(),
            url: format!("http://127.0.0.1:{s3_port}"),
            bucket: "s3drv-test".into(),
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            region: "us-east-1".into(),
            capabilities: Capabilities {
                lists_deleted_directories: true,
                lists_in_key_order: false,
                lists_part_checksums: false,
                ..Capabilities::VERIFYING_S3
            },
            read_only_key: Some((read_access_key.into(), read_secret_key.into())),
        },
        child: Some(child),
        dir: Some(dir),
    })
}

/// Waits until SeaweedFS's filer lists the bucket `-bucket` asked for (the S3 port opens
/// before the bucket exists). The filer's HTTP API answers unsigned requests.
fn wait_for_seaweedfs_bucket(filer_port: u16, child: &mut Child) -> Result<()> {
    let start = Instant::now();
    loop {
        let listing = (|| -> std::io::Result<String> {
            let mut stream = TcpStream::connect(("127.0.0.1", filer_port))?;
            write!(
                stream,
                "GET /buckets/ HTTP/1.1\r\nHost: 127.0.0.1:{filer_port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
            )?;
            let mut answer = String::new();
            stream.read_to_string(&mut answer)?;
            Ok(answer)
        })();
        if listing.is_ok_and(|answer| answer.contains("\"/buckets/s3drv-test\"")) {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            bail!("weed mini exited with {status} before creating its bucket");
        }
        if start.elapsed() > Duration::from_secs(60) {
            bail!("weed mini did not create bucket s3drv-test within 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts one server.
type Starter = fn() -> Result<Server>;

/// The servers the suite can start, by the name `S3DRV_TEST_SERVERS` uses.
const STARTERS: [(&str, Starter); 3] = [
    ("garage", start_garage),
    ("moto", start_moto),
    ("seaweedfs", start_seaweedfs),
];

/// The conformance suite's servers: Garage, moto and SeaweedFS started here (or those of them
/// `S3DRV_TEST_SERVERS`, a comma-separated list, names), or none when `S3DRV_TEST_ENDPOINT`
/// names an external store; and the endpoints to test (the started servers', or the external
/// one). The servers stop when the returned list is dropped.
pub fn start_all() -> Result<(Vec<Server>, Vec<Endpoint>)> {
    start_among(&["garage", "moto", "seaweedfs"])
}

/// [`start_all`] without SeaweedFS, for the suites that check a store is empty with a
/// delimited listing (distribution's own suite) or need what only Garage and moto offer.
pub fn start_garage_and_moto() -> Result<(Vec<Server>, Vec<Endpoint>)> {
    start_among(&["garage", "moto"])
}

/// The servers of `names` that `S3DRV_TEST_SERVERS` (if set) also names, started, unless an
/// external store is set. A selection that leaves this binary no server at all is an error:
/// its tests would pass without running.
fn start_among(names: &[&str]) -> Result<(Vec<Server>, Vec<Endpoint>)> {
    let external = external()?;
    let chosen: Option<Vec<String>> = std::env::var("S3DRV_TEST_SERVERS")
        .ok()
        .map(|list| list.split(',').map(|n| n.trim().to_string()).collect());
    if let Some(chosen) = &chosen
        && let Some(unknown) = chosen
            .iter()
            .find(|name| !STARTERS.iter().any(|(known, _)| known == name))
    {
        bail!("S3DRV_TEST_SERVERS names {unknown:?}: the servers are garage, moto, seaweedfs");
    }
    let wanted: Vec<&(&str, Starter)> = STARTERS
        .iter()
        .filter(|(name, _)| names.contains(name))
        .filter(|(name, _)| chosen.as_ref().is_none_or(|c| c.iter().any(|n| n == name)))
        .collect();
    let mut servers = Vec::new();
    if external.is_none() {
        if wanted.is_empty() {
            bail!(
                "S3DRV_TEST_SERVERS leaves these tests no server: they run on {}",
                names.join(", ")
            );
        }
        for (name, start) in wanted {
            servers.push(start().with_context(|| format!("starting {name}"))?);
        }
    }
    let mut endpoints: Vec<Endpoint> = servers.iter().map(|s| s.endpoint.clone()).collect();
    endpoints.extend(external);
    Ok((servers, endpoints))
}

/// A file the tests need: `$variable`, else `relative` to the workspace; an error saying
/// what builds it (`make_target`) when it does not exist.
pub fn artifact(variable: &str, relative: &str, make_target: &str) -> Result<PathBuf> {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(relative)
        });
    if !path.is_file() {
        bail!(
            "{} does not exist: run `make {make_target}` first, or set {variable}",
            path.display()
        );
    }
    Ok(path)
}
