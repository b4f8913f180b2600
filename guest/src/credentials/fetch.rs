//! What the HTTP sources of the chain (web identity, container, instance metadata) share:
//! fetching a body, splitting an endpoint URL, reading a JSON credentials document.

use std::time::SystemTime;

use serde::Deserialize;

use super::keys::Credentials;
use crate::error::BackendError;
use crate::http::{Body, HttpRequest, Transport, parse_time};

/// Largest credentials answer read.
const ANSWER_LIMIT: usize = 64 << 10;

/// The JSON credentials document of the container and instance metadata endpoints.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JsonCredentials {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
    expiration: Option<String>,
}

/// Parses a JSON credentials document; `what` names the endpoint in errors.
pub(super) fn parse_json_credentials(what: &str, body: &[u8]) -> Result<Credentials, BackendError> {
    let doc: JsonCredentials = serde_json::from_slice(body).map_err(|e| {
        BackendError::malformed(format!("{what} answered with no credentials: {e}"), None)
    })?;
    Ok(Credentials {
        access_key: doc.access_key_id,
        secret_key: doc.secret_access_key,
        session_token: doc.token.filter(|t| !t.is_empty()),
        expires: parse_expiry(what, doc.expiration.as_deref())?,
    })
}

pub(super) fn parse_expiry(
    what: &str,
    text: Option<&str>,
) -> Result<Option<SystemTime>, BackendError> {
    text.map(|t| {
        parse_time(t).ok_or_else(|| {
            BackendError::malformed(format!("{what}: expiration {t:?} is not a time"), None)
        })
    })
    .transpose()
}

/// Sends `request` and returns the body of a 2xx answer; `what` names the endpoint in errors.
pub(super) fn fetch_body<T: Transport>(
    transport: &T,
    what: &str,
    request: HttpRequest,
) -> Result<Vec<u8>, BackendError> {
    let mut response = transport.send(request).map_err(|mut e| {
        e.message = format!("{what}: {}", e.message);
        e
    })?;
    let body = response.body.read_to_end(ANSWER_LIMIT)?;
    if (200..300).contains(&response.status) {
        Ok(body)
    } else {
        Err(BackendError {
            code: "CredentialsRefused".into(),
            message: format!(
                "{what} answered {}: {}",
                response.status,
                String::from_utf8_lossy(&body[..body.len().min(512)])
            ),
            status: Some(response.status),
            request_id: None,
            retryable: response.status >= 500,
        })
    }
}

/// Splits `http[s]://host[:port][/path]` into (secure, authority, path); `what` names the
/// URL's source in the error.
pub(super) fn split_url(what: &str, url: &str) -> Result<(bool, String, String), BackendError> {
    let refused = || BackendError::malformed(format!("{what} {url:?} is not an http(s) URL"), None);
    let (secure, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else {
        (false, url.strip_prefix("http://").ok_or_else(refused)?)
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err(refused());
    }
    Ok((secure, authority.to_string(), path.to_string()))
}
