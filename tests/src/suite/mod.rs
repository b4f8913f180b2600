//! The cases, their context and shared helpers.

mod cli;
mod content;
mod credentials;
mod faults;
mod options;
mod sandbox;
mod tree;
mod writer;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use anyhow::{Result, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use s3drv_host::{Driver, Error, Runtime};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::servers::Endpoint;

/// What one case gets: a driver rooted at a fresh prefix, and the means to open others.
pub struct Ctx {
    /// The driver of this case (`rootdirectory` = [`Ctx::root`], `chunksize` 5 MiB).
    pub driver: Driver,
    /// The case's root directory in the bucket.
    pub root: String,
    /// The bucket.
    pub endpoint: Endpoint,
    /// The runtime, to open more drivers.
    pub runtime: Runtime,
    /// Full-size cases (`make test-large`) instead of reduced ones.
    pub large: bool,
    /// The `s3drv` CLI binary, for the CLI cases.
    pub cli: PathBuf,
}

impl Ctx {
    /// A driver on the same bucket with `root` and extra parameters.
    pub async fn open(&self, root: &str, extra: &[(&str, &str)]) -> Result<Driver> {
        let mut params = self.endpoint.params(root);
        params.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Ok(self.runtime.open(params).await?)
    }
}

/// A boxed case future.
pub type CaseFuture<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// When a case applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Any S3 server.
    Nothing,
    /// A server that verifies signatures.
    SignatureChecks,
    /// Full-size runs only (`make test-large`), on a server that stores 10 GiB objects.
    LargeHugeObjects,
    /// A server reporting storage class, SSE and ACL of objects.
    ObjectAttributes,
    /// A server whose URL serves STS and instance metadata too.
    CredentialEndpoints,
    /// A server accepting Signature Version 2.
    SigV2,
    /// A server of which a TLS copy can be started.
    TlsCopy,
    /// A plain-HTTP endpoint the fault-injection proxy can stand in front of.
    PlainHttp,
}

/// One test case.
pub struct Case {
    /// `reference_name`: the name of the distribution / GitLab test it ports.
    pub name: &'static str,
    /// What the server must check for the case to mean anything.
    pub needs: Needs,
    /// The case.
    pub run: for<'a> fn(&'a Ctx) -> CaseFuture<'a>,
}

macro_rules! case {
    ($module:ident :: $name:ident) => {
        Case {
            name: stringify!($name),
            needs: Needs::Nothing,
            run: |c| Box::pin($module::$name(c)),
        }
    };
    ($module:ident :: $name:ident, $needs:expr) => {
        Case {
            name: stringify!($name),
            needs: $needs,
            run: |c| Box::pin($module::$name(c)),
        }
    };
}

/// Every case, in the order they run.
pub fn cases() -> Vec<Case> {
    vec![
        case!(content::root_exists),
        case!(content::valid_paths),
        case!(content::invalid_paths),
        case!(content::write_read),
        case!(content::truncate),
        case!(content::read_nonexistent),
        case!(content::write_read_streams),
        case!(content::write_read_large_stream),
        case!(content::reader_with_offset),
        case!(content::read_nonexistent_stream),
        case!(content::put_content_multiple_times),
        case!(content::put_content_zero_size_file),
        case!(content::concurrent_stream_reads),
        case!(content::url_for),
        case!(content::redirect_url),
        case!(writer::continue_stream_append_large),
        case!(writer::continue_stream_append_uneven),
        case!(writer::continue_stream_append_small),
        case!(writer::flush_object_twice_chunk_size),
        case!(writer::write_zero_byte_stream_then_append),
        case!(writer::write_zero_byte_content_then_append),
        case!(writer::continue_append_zero_size_blob),
        case!(writer::zero_byte_blob_upload_session),
        case!(writer::append_inexistent_blob),
        case!(writer::append_to_committed_content),
        case!(writer::writer_state_transitions),
        case!(writer::writer_cancel),
        case!(writer::concurrent_write_causes_error),
        case!(writer::concurrent_file_streams),
        case!(writer::write_read_small_stream),
        case!(writer::max_upload_size, Needs::LargeHugeObjects),
        case!(tree::list),
        case!(tree::list_1200_files),
        case!(tree::list_overlapping_paths),
        case!(tree::list_unprefixed),
        case!(tree::list_objects_v2),
        case!(tree::stat_call),
        case!(tree::move_content),
        case!(tree::move_overwrite),
        case!(tree::move_nonexistent),
        case!(tree::move_invalid),
        case!(tree::move_onto_itself),
        case!(tree::move_with_multipart_copy),
        case!(tree::delete),
        case!(tree::delete_nonexistent),
        case!(tree::delete_folder),
        case!(tree::delete_only_deletes_subpaths),
        case!(tree::delete_table),
        case!(tree::delete_file_equal_folder_file_name),
        case!(tree::over_thousand_blobs),
        case!(tree::delete_files),
        case!(tree::delete_files_not_found),
        case!(tree::create_list_delete_tight_loop),
        case!(tree::walk_table),
        case!(tree::walk_skip_dir),
        case!(tree::walk_error_path_not_found),
        case!(tree::walk_overlapping_paths),
        case!(tree::walk_parallel_matches_walk),
        case!(tree::walk_empty_dir),
        case!(cli::cli_writer_resumed_by_another_process),
        case!(cli::cli_operations),
        case!(cli::cli_errors),
        case!(cli::cli_wrong_secret_key, Needs::SignatureChecks),
        case!(cli::cli_metrics_endpoint),
        case!(
            options::attributes_of_every_new_object,
            Needs::ObjectAttributes
        ),
        case!(
            options::object_ownership_sends_no_acl,
            Needs::ObjectAttributes
        ),
        case!(options::checksum_algorithms, Needs::SignatureChecks),
        case!(options::corrupted_bodies_refused, Needs::SignatureChecks),
        case!(options::loglevels_never_print_secrets),
        case!(options::signature_version_2, Needs::SigV2),
        case!(options::tls_verification, Needs::TlsCopy),
        case!(options::max_retries_and_retry_log),
        case!(options::multipart_etag_is_md5_of_part_md5s),
        case!(options::request_rate_limited),
        case!(credentials::credentials_from_granted_environment),
        case!(credentials::no_credentials_named_clearly),
        case!(
            credentials::instance_role_credentials,
            Needs::CredentialEndpoints
        ),
        case!(
            credentials::web_identity_credentials,
            Needs::CredentialEndpoints
        ),
        case!(
            credentials::container_credentials,
            Needs::CredentialEndpoints
        ),
        case!(sandbox::memory_cap_fails_that_call_only),
        case!(sandbox::call_deadline_fails_that_call_only),
        case!(sandbox::concurrent_writers_wait_for_instances),
        case!(faults::reader_resumes_after_a_cut_body, Needs::PlainHttp),
        case!(faults::mixed_operations_under_faults, Needs::PlainHttp),
        case!(
            faults::faults_without_retries_never_corrupt,
            Needs::PlainHttp
        ),
        case!(faults::slow_down_lowers_the_rate, Needs::PlainHttp),
    ]
}

/// Deterministic pseudo-random bytes.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut data = vec![0u8; len];
    rng.fill(&mut data[..]);
    data
}

/// A random path component of `[a-z0-9]`.
pub fn random_name(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// SHA-256 of `data`, hex.
pub fn sha256(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

/// Writes `data` through a new writer in `piece`-sized writes and commits.
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
pub fn expect_invalid_path<T: std::fmt::Debug>(result: Result<T, Error>, path: &str) -> Result<()> {
    match result {
        Err(Error::InvalidPath(p)) if p == path => Ok(()),
        other => bail!("expected invalid-path for {path:?}, got {other:?}"),
    }
}

/// An answer of [`raw_request`]: status, headers (lower-case names) and body text.
pub struct RawAnswer {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body as text.
    pub body: String,
}

impl RawAnswer {
    /// The value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `method` for the raw S3 `key_and_query` (relative to the case's root, path style),
/// with `headers` and `body`, signed by the guest's own SigV4 signer; any status is an answer.
pub async fn raw_request(
    c: &Ctx,
    method: &str,
    key_and_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<RawAnswer> {
    let url = format!(
        "{}/{}/{}/{key_and_query}",
        c.endpoint.url, c.endpoint.bucket, c.root
    );
    signed_request(c, method, url, headers, body).await
}

/// The in-progress multipart uploads under the case's root (bucket-level
/// ListMultipartUploads, first page), as `key uploadId` lines.
pub async fn uploads_under_root(c: &Ctx) -> Result<Vec<String>> {
    let url = format!(
        "{}/{}?uploads=&prefix={}%2F",
        c.endpoint.url,
        c.endpoint.bucket,
        c.root.replace('/', "%2F")
    );
    let answer = signed_request(c, "GET", url, &[], Vec::new()).await?;
    if answer.status != 200 {
        bail!(
            "ListMultipartUploads: status {}: {}",
            answer.status,
            answer.body
        );
    }
    let listing: s3drv_guest::s3::xml::ListMultipartUploadsResult =
        s3drv_guest::s3::xml::parse("ListMultipartUploads", answer.body.as_bytes(), 200)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(listing
        .uploads
        .into_iter()
        .map(|u| format!("{} {}", u.key, u.upload_id))
        .collect())
}

/// Sends `method` to `url` with `headers` and `body`, signed by the guest's SigV4 signer.
async fn signed_request(
    c: &Ctx,
    method: &str,
    url: String,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<RawAnswer> {
    let credentials = s3drv_guest::credentials::Credentials {
        access_key: c.endpoint.access_key.clone(),
        secret_key: c.endpoint.secret_key.clone(),
        session_token: None,
        expires: None,
    };
    let mut headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let signed = s3drv_guest::s3::sigv4::sign_headers(
        method,
        &url,
        &headers,
        &credentials,
        &c.endpoint.region,
        std::time::SystemTime::now(),
    )
    .map_err(|e| anyhow::anyhow!("signing: {e:?}"))?;
    headers.extend(signed);
    let method = method.to_string();
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut request = ureq::http::Request::builder()
            .method(method.as_str())
            .uri(&url);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut response = agent.run(request.body(body)?)?;
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    v.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let status = response.status().as_u16();
        let body = if method == "HEAD" {
            String::new()
        } else {
            response.body_mut().read_to_string()?
        };
        Ok(RawAnswer {
            status,
            headers,
            body,
        })
    })
    .await?
}

/// Stores `body` at the raw S3 `key` (relative to the case's root, e.g. `dir/` for a
/// directory marker that the driver itself can never create).
pub async fn raw_put(c: &Ctx, key: &str, body: Vec<u8>) -> Result<()> {
    let answer = raw_request(c, "PUT", key, &[], body).await?;
    if answer.status != 200 {
        bail!("raw PUT {key}: status {}: {}", answer.status, answer.body);
    }
    Ok(())
}

/// Checks a condition inside a case.
#[macro_export]
macro_rules! check {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            anyhow::bail!($($msg)+);
        }
    };
}
