//! The conformance suite: every case of [`s3drv_check`] (what `s3drv check` runs
//! against an operator's bucket) plus the cases that need this crate's servers, proxies,
//! CLI binary or raw S3 requests.

mod cli;
mod credentials;
mod faults;
mod options;
mod sandbox;
mod tree;

use std::ops::Deref;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
pub use s3drv_check::{
    CaseFuture, Outcome, random_bytes, random_name, read_stream, same_bytes, sha256, sorted,
    walk_set, write_stream,
};

use crate::servers::Endpoint;

/// What a harness case gets: the context of a [`s3drv_check`] case, plus the server it
/// runs against and the `s3drv` CLI.
pub struct Ctx {
    /// The case's driver, root, store and runtime.
    pub check: s3drv_check::Ctx,
    /// The bucket, with its keys and what the server checks.
    pub endpoint: Endpoint,
    /// The `s3drv` CLI binary, for the CLI cases.
    pub cli: PathBuf,
    /// The component the runtime loaded, for programs the cases start.
    pub component: PathBuf,
}

impl Deref for Ctx {
    type Target = s3drv_check::Ctx;

    fn deref(&self) -> &Self::Target {
        &self.check
    }
}

/// When a harness case applies, beyond [`s3drv_check::Needs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// What a library case needs.
    Check(s3drv_check::Needs),
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
    /// A server on which keys with read-only access can be made.
    ReadOnlyKeys,
}

impl Needs {
    /// `Err(why)` when a case with these needs does not apply to `endpoint`.
    pub fn applies(self, endpoint: &Endpoint, large: bool) -> Result<(), &'static str> {
        let has = &endpoint.capabilities;
        match self {
            Needs::Check(needs) => needs.applies(&endpoint.store(), large),
            Needs::ObjectAttributes if !has.reports_object_attributes => {
                Err("the server does not report object attributes")
            }
            Needs::CredentialEndpoints if !has.serves_credential_endpoints => {
                Err("the server serves no STS or instance metadata")
            }
            Needs::SigV2 if !has.accepts_sigv2 => {
                Err("the server does not accept Signature Version 2")
            }
            Needs::TlsCopy if !has.can_start_tls_copy => {
                Err("no TLS copy of this server can be started here")
            }
            Needs::PlainHttp if !endpoint.url.starts_with("http://") => {
                Err("the fault proxy forwards plain HTTP only")
            }
            Needs::ReadOnlyKeys if endpoint.read_only_key.is_none() => {
                Err("no read-only key can be made on this server")
            }
            _ => Ok(()),
        }
    }
}

/// How a case runs: with the library's context, or with this crate's.
pub enum Run {
    /// A case of [`s3drv_check::cases`].
    Check(for<'a> fn(&'a s3drv_check::Ctx) -> CaseFuture<'a>),
    /// A case of this crate.
    Harness(for<'a> fn(&'a Ctx) -> CaseFuture<'a>),
}

/// One test case.
pub struct Case {
    /// `reference_name`: the name of the distribution / GitLab test it ports.
    pub name: &'static str,
    /// What the server must offer for the case to mean anything.
    pub needs: Needs,
    /// The case.
    pub run: Run,
}

macro_rules! case {
    ($module:ident :: $name:ident) => {
        case!($module::$name, Needs::Check(s3drv_check::Needs::Nothing))
    };
    ($module:ident :: $name:ident, $needs:expr) => {
        Case {
            name: stringify!($name),
            needs: $needs,
            run: Run::Harness(|c| Box::pin($module::$name(c))),
        }
    };
}

/// Every case, in the order they run: the library's, then this crate's.
pub fn cases() -> Vec<Case> {
    let library = s3drv_check::cases().into_iter().map(|case| Case {
        name: case.name,
        needs: Needs::Check(case.needs),
        run: Run::Check(case.run),
    });
    let signature_checks = Needs::Check(s3drv_check::Needs::SignatureChecks);
    library
        .chain([
            case!(tree::walk_empty_dir),
            case!(cli::cli_writer_resumed_by_another_process),
            case!(cli::cli_operations),
            case!(cli::cli_errors),
            case!(cli::cli_wrong_secret_key, signature_checks),
            case!(cli::cli_metrics_endpoint),
            case!(cli::cli_check_passes),
            case!(cli::cli_check_interrupted),
            case!(cli::cli_closed_stdout),
            case!(
                cli::cli_check_refused_without_write_access,
                Needs::ReadOnlyKeys
            ),
            case!(cli::embedding_example_runs),
            case!(
                options::attributes_of_every_new_object,
                Needs::ObjectAttributes
            ),
            case!(
                options::object_ownership_sends_no_acl,
                Needs::ObjectAttributes
            ),
            case!(options::checksum_algorithms, signature_checks),
            case!(options::corrupted_bodies_refused, signature_checks),
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
            case!(sandbox::dropped_readers_give_back_their_instance),
            case!(faults::reader_resumes_after_a_cut_body, Needs::PlainHttp),
            case!(faults::mixed_operations_under_faults, Needs::PlainHttp),
            case!(
                faults::faults_without_retries_never_corrupt,
                Needs::PlainHttp
            ),
            case!(faults::slow_down_lowers_the_rate, Needs::PlainHttp),
        ])
        .collect()
}

/// Runs `case` against `endpoint` in a driver rooted at `root`, and cleans up after it.
pub async fn run_case(
    case: &Case,
    endpoint: &Endpoint,
    runtime: &s3drv_host::Runtime,
    cli: &Path,
    component: &Path,
    root: &str,
    large: bool,
) -> Outcome {
    if let Err(why) = case.needs.applies(endpoint, large) {
        return Outcome::NotApplicable(why);
    }
    let check = match s3drv_check::Ctx::new(runtime, &endpoint.store(), root, large).await {
        Ok(check) => check,
        Err(e) => return Outcome::Failed(format!("{e:#}")),
    };
    let ctx = Ctx {
        check,
        endpoint: endpoint.clone(),
        cli: cli.to_path_buf(),
        component: component.to_path_buf(),
    };
    let result = s3drv_check::within_case_timeout(match &case.run {
        Run::Check(run) => run(&ctx.check),
        Run::Harness(run) => run(&ctx),
    })
    .await;
    ctx.conclude(result).await
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
        s3drv_guest::http::decode_xml("ListMultipartUploads", answer.body.as_bytes(), 200)
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
