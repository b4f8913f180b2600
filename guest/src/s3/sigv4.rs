//! AWS Signature Version 4 of requests and presigned URLs (aws-sigv4), with the time given
//! explicitly.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningInstructions, SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;

use crate::credentials::Credentials;
use crate::error::BackendError;

/// S3 signs single-encoded paths, without normalisation.
fn s3_settings() -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings
}

fn signing_error(e: impl std::fmt::Display) -> BackendError {
    BackendError {
        code: "SigningFailed".into(),
        message: format!("cannot sign the request: {e}"),
        status: None,
        request_id: None,
        retryable: false,
    }
}

fn aws_credentials(credentials: &Credentials) -> AwsCredentials {
    AwsCredentials::new(
        &credentials.access_key,
        &credentials.secret_key,
        credentials.session_token.clone(),
        None,
        "s3drv",
    )
}

/// Signs `method url` with `settings`; the payload is not hashed (`UNSIGNED-PAYLOAD`).
fn instructions(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    settings: SigningSettings,
) -> Result<SigningInstructions, BackendError> {
    let identity = aws_credentials(credentials).into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("s3")
        .time(time)
        .settings(settings)
        .build()
        .map_err(signing_error)?
        .into();
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::UnsignedPayload,
    )
    .map_err(signing_error)?;
    let (instructions, _signature) = sign(signable, &params).map_err(signing_error)?.into_parts();
    Ok(instructions)
}

/// The headers to add to a request (`authorization`, `x-amz-date`, `x-amz-content-sha256`,
/// and `x-amz-security-token` for temporary credentials). The payload is not hashed
/// (`UNSIGNED-PAYLOAD`); bodies carry a signed checksum the server verifies instead
/// (`x-amz-checksum-*` or Content-MD5).
pub fn sign_headers(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<Vec<(String, String)>, BackendError> {
    let mut settings = s3_settings();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let signed = instructions(method, url, headers, credentials, region, time, settings)?;
    Ok(signed
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

/// A presigned URL for `url` valid for `expires_in`.
pub fn presign(
    method: &str,
    url: &str,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    expires_in: Duration,
) -> Result<String, BackendError> {
    let mut settings = s3_settings();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(expires_in);
    let signed = instructions(method, url, &[], credentials, region, time, settings)?;
    let mut presigned = url.to_string();
    let mut separator = if url.contains('?') { '&' } else { '?' };
    for (name, value) in signed.params() {
        presigned.push(separator);
        presigned.push_str(name);
        presigned.push('=');
        presigned.push_str(&crate::http::encode_query_value(value));
        separator = '&';
    }
    Ok(presigned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        // The example credentials of the AWS SigV4 documentation.
        Credentials {
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
            expires: None,
        }
    }

    fn at_2013_05_24() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1369353600)
    }

    #[test]
    fn presigned_url_matches_the_aws_documentation_example() {
        // "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)", example GET.
        let url = presign(
            "GET",
            "https://examplebucket.s3.amazonaws.com/test.txt",
            &creds(),
            "us-east-1",
            at_2013_05_24(),
            Duration::from_secs(86400),
        )
        .unwrap();
        assert!(url.contains("X-Amz-Expires=86400"), "{url}");
        assert!(
            url.ends_with(
                "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
            ),
            "{url}"
        );
    }

    #[test]
    fn header_signature_matches_the_aws_documentation_example() {
        // "Signature Calculations for the Authorization Header", example GET Object with a range,
        // here with UNSIGNED-PAYLOAD, so only the shape and the signed headers are checked.
        let headers = vec![("range".to_string(), "bytes=0-9".to_string())];
        let signed = sign_headers(
            "GET",
            "https://examplebucket.s3.amazonaws.com/test.txt",
            &headers,
            &creds(),
            "us-east-1",
            at_2013_05_24(),
        )
        .unwrap();
        let auth = &signed.iter().find(|(k, _)| k == "authorization").unwrap().1;
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"), "{auth}");
        assert!(
            auth.contains("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date"),
            "{auth}"
        );
        assert!(
            signed
                .iter()
                .any(|(k, v)| k == "x-amz-content-sha256" && v == "UNSIGNED-PAYLOAD")
        );
    }
}
