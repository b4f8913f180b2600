//! What the cases share: deterministic data, streams written and read in pieces, byte and
//! error comparisons, walks collected as sets, and plain HTTP fetches of presigned URLs.

use std::collections::BTreeSet;

use anyhow::{Result, bail, ensure};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use s3drv_host::{Driver, Error};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Deterministic pseudo-random bytes.
///
/// ```
/// use s3drv_check::random_bytes;
/// assert_eq!(random_bytes(64, 7), random_bytes(64, 7));
/// assert_ne!(random_bytes(64, 7), random_bytes(64, 8));
/// ```
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut data = vec![0u8; len];
    rng.fill(&mut data[..]);
    data
}

/// A random path component of `[a-z0-9]`.
///
/// ```
/// let name = s3drv_check::random_name(12);
/// assert!(name.len() == 12 && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
/// ```
pub fn random_name(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// SHA-256 of `data`, hex.
///
/// ```
/// assert_eq!(
///     s3drv_check::sha256(b""),
///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// );
/// ```
pub fn sha256(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

/// Writes `data` through a new writer in `piece`-sized writes and commits.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> anyhow::Result<()> {
/// let blob = s3drv_check::random_bytes(12 << 20, 1);
/// s3drv_check::write_stream(&driver, "/blob", &blob, 1 << 20).await?;
/// # Ok(()) }
/// ```
pub async fn write_stream(driver: &Driver, path: &str, data: &[u8], piece: usize) -> Result<()> {
    let mut writer = driver.writer(path, false).await?;
    for chunk in data.chunks(piece.max(1)) {
        writer.write_all(chunk).await?;
    }
    let size = writer.size().await?;
    if size != data.len() as u64 {
        bail!("writer size {size} before commit, expected {}", data.len());
    }
    writer.commit().await?;
    Ok(())
}

/// Reads `path` from `offset` to the end through a reader.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> anyhow::Result<()> {
/// let tail = s3drv_check::read_stream(&driver, "/blob", 1 << 20).await?;
/// # Ok(()) }
/// ```
pub async fn read_stream(driver: &Driver, path: &str, offset: i64) -> Result<Vec<u8>> {
    let mut content = Vec::new();
    driver
        .reader(path, offset)
        .await?
        .read_to_end(&mut content)
        .await?;
    Ok(content)
}

/// Fails unless `data` equals `expected`, comparing SHA-256 digests for large data.
///
/// ```
/// use s3drv_check::same_bytes;
/// assert!(same_bytes("read back", b"abc", b"abc").is_ok());
/// assert!(same_bytes("read back", b"abc", b"abd").is_err());
/// ```
pub fn same_bytes(what: &str, data: &[u8], expected: &[u8]) -> Result<()> {
    if data.len() != expected.len() || sha256(data) != sha256(expected) {
        bail!(
            "{what}: got {} bytes (sha256 {}), expected {} bytes (sha256 {})",
            data.len(),
            sha256(data),
            expected.len(),
            sha256(expected)
        );
    }
    Ok(())
}

/// Fails unless `result` is `path-not-found` for exactly `path`, displayed with the driver name.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> anyhow::Result<()> {
/// s3drv_check::expect_not_found(driver.stat("/missing").await, "/missing")?;
/// # Ok(()) }
/// ```
pub fn expect_not_found<T: std::fmt::Debug>(result: Result<T, Error>, path: &str) -> Result<()> {
    match result {
        Err(Error::PathNotFound(p)) if p == path => {
            let text = Error::PathNotFound(p).to_string();
            if !text.starts_with("s3aws: ") {
                bail!("error text {text:?} does not start with the driver name");
            }
            Ok(())
        }
        other => bail!("expected path-not-found for {path}, got {other:?}"),
    }
}

/// Fails unless `result` is `invalid-path` for `path`.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> anyhow::Result<()> {
/// s3drv_check::expect_invalid_path(driver.stat("/bad path").await, "/bad path")?;
/// # Ok(()) }
/// ```
pub fn expect_invalid_path<T: std::fmt::Debug>(result: Result<T, Error>, path: &str) -> Result<()> {
    match result {
        Err(Error::InvalidPath(p)) if p == path => Ok(()),
        other => bail!("expected invalid-path for {path:?}, got {other:?}"),
    }
}

/// Every entry of a walk (or walk-parallel) from `from`, as `(path, is_dir)`; an entry
/// reported twice is an error.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> anyhow::Result<()> {
/// let entries = s3drv_check::walk_set(&driver, "/", false).await?;
/// assert!(entries.contains(&("/blob".to_string(), false)));
/// # Ok(()) }
/// ```
pub async fn walk_set(
    driver: &Driver,
    from: &str,
    parallel: bool,
) -> Result<BTreeSet<(String, bool)>> {
    let walker = if parallel {
        driver.walk_parallel(from).await?
    } else {
        driver.walk(from, None).await?
    };
    let mut entries = BTreeSet::new();
    for entry in walker.collect().await? {
        let what = if entry.is_dir { "directory" } else { "file" };
        ensure!(
            entries.insert((entry.path.clone(), entry.is_dir)),
            "the walk of {from} reported the {what} {} twice",
            entry.path
        );
    }
    Ok(entries)
}

/// The files a walk finds below `path`, none when `path` does not exist: what is left of a
/// tree, whatever a delimited listing still shows of its directories (SeaweedFS keeps them
/// for minutes, `docs/decisions.md` §33).
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
/// driver.delete("/uploads").await?;
/// assert!(s3drv_check::files_below(&driver, "/uploads").await?.is_empty());
/// # Ok(()) }
/// ```
pub async fn files_below(driver: &Driver, path: &str) -> Result<Vec<String>, Error> {
    let entries = match driver.walk(path, None).await {
        Ok(walker) => walker.collect().await,
        Err(e) => Err(e),
    };
    match entries {
        Ok(entries) => Ok(entries
            .into_iter()
            .filter(|entry| !entry.is_dir)
            .map(|entry| entry.path)
            .collect()),
        Err(Error::PathNotFound(_)) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// `paths`, sorted.
///
/// ```
/// let paths = vec!["/b".to_string(), "/a".to_string()];
/// assert_eq!(s3drv_check::sorted(paths), ["/a", "/b"]);
/// ```
pub fn sorted(mut paths: Vec<String>) -> Vec<String> {
    paths.sort();
    paths
}

/// An answer to a plain (unsigned) HTTP request: status, body, `content-length`.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> anyhow::Result<()> {
/// let url = driver.url_for("/blob", "HEAD", None).await?;
/// let fetched: s3drv_check::Fetched = s3drv_check::fetch("HEAD", &url).await?;
/// println!("{} {:?}", fetched.status, fetched.length);
/// # Ok(()) }
/// ```
pub struct Fetched {
    /// HTTP status.
    pub status: u16,
    /// The body (empty for HEAD).
    pub body: Vec<u8>,
    /// The `content-length` header.
    pub length: Option<String>,
}

/// Sends `method` (GET or HEAD) to `url`, as a browser or `curl` given a presigned URL would.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> anyhow::Result<()> {
/// let url = driver.url_for("/blob", "GET", None).await?;
/// let answer = s3drv_check::fetch("GET", &url).await?;
/// assert_eq!(answer.status, 200);
/// # Ok(()) }
/// ```
pub async fn fetch(method: &str, url: &str) -> Result<Fetched> {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())?
        .https_or_http()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, Empty<Bytes>>(connector);
    let request = http::Request::builder()
        .method(method)
        .uri(url)
        .body(Empty::new())?;
    let response = client.request(request).await?;
    let status = response.status().as_u16();
    let length = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let body = response.into_body().collect().await?.to_bytes().to_vec();
    Ok(Fetched {
        status,
        body,
        length,
    })
}

/// Puts a file of `len` bytes at each of `paths`.
pub async fn put_all(driver: &Driver, paths: &[&str], len: usize) -> Result<()> {
    for path in paths {
        driver.put_content(path, random_bytes(len, 40)).await?;
    }
    Ok(())
}

/// Puts `count` files of `len` bytes under `dir`, 16 requests at a time.
pub async fn put_many(driver: &Driver, dir: &str, count: usize, len: usize) -> Result<Vec<String>> {
    let paths: Vec<String> = (0..count).map(|i| format!("{dir}/file{i:05}")).collect();
    for batch in paths.chunks(16) {
        let tasks: Vec<_> = batch
            .iter()
            .map(|p| {
                let (driver, p) = (driver.clone(), p.clone());
                tokio::spawn(async move { driver.put_content(&p, random_bytes(len, 41)).await })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
    }
    Ok(paths)
}
