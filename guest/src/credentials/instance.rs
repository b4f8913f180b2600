//! EC2 instance-role credentials through IMDSv2: PUT `/latest/api/token`, then GET
//! `/latest/meta-data/iam/security-credentials/` (the role name) and the role's credentials,
//! both with the session token. `AWS_EC2_METADATA_SERVICE_ENDPOINT` points elsewhere (tests);
//! `AWS_EC2_METADATA_DISABLED=true` turns the source off.

use std::time::Duration;

use super::environment::Environment;
use super::fetch::{fetch_body, parse_json_credentials, split_url};
use super::keys::Lookup;
use crate::error::BackendError;
use crate::http::{HttpRequest, Method, Transport};

const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials/";
/// Metadata answers in milliseconds on EC2; elsewhere nothing answers at all.
const TIMEOUT: Duration = Duration::from_secs(2);

fn request(
    endpoint: &(bool, String, String),
    method: Method,
    path: &str,
    header: (&str, &str),
) -> HttpRequest {
    let (secure, authority, base) = endpoint;
    HttpRequest {
        method,
        secure: *secure,
        authority: authority.clone(),
        path_and_query: format!("{}{path}", base.trim_end_matches('/')),
        headers: vec![(header.0.to_string(), header.1.to_string())],
        body: Default::default(),
        timeout: Some(TIMEOUT),
    }
}

/// The metadata service's URL, unless the environment turns the source off.
pub(super) fn url(env: &dyn Environment) -> Option<String> {
    s3drv_common::credential_urls::instance_metadata_url(&|name| env.var(name))
}

/// Fetches the instance role's credentials.
pub(super) fn fetch<T: Transport>(
    transport: &T,
    env: &dyn Environment,
) -> Result<Lookup, BackendError> {
    let Some(url) = url(env) else {
        return Ok(Lookup::NotConfigured(
            "instance metadata is off (AWS_EC2_METADATA_DISABLED)".into(),
        ));
    };
    let endpoint = split_url("the instance metadata endpoint", &url)?;
    let what = "the instance metadata service";
    let token = fetch_body(
        transport,
        what,
        request(
            &endpoint,
            Method::Put,
            "/latest/api/token",
            ("x-aws-ec2-metadata-token-ttl-seconds", "21600"),
        ),
    )?;
    let token = String::from_utf8_lossy(&token).trim().to_string();
    let with_token = ("x-aws-ec2-metadata-token", token.as_str());
    let roles = fetch_body(
        transport,
        what,
        request(&endpoint, Method::Get, CREDENTIALS_PATH, with_token),
    )?;
    let roles = String::from_utf8_lossy(&roles);
    let Some(role) = roles.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return Err(BackendError::malformed(
            "the instance has no IAM role (instance metadata lists none)",
            None,
        ));
    };
    let path = format!("{CREDENTIALS_PATH}{role}");
    let body = fetch_body(
        transport,
        what,
        request(&endpoint, Method::Get, &path, with_token),
    )?;
    Ok(Lookup::Found(parse_json_credentials(what, &body)?))
}
