//! Web identity (EKS IRSA and the like): the token in `AWS_WEB_IDENTITY_TOKEN_FILE` exchanged
//! for credentials of `AWS_ROLE_ARN` with STS AssumeRoleWithWebIdentity (an unsigned request).
//! The STS endpoint is `AWS_ENDPOINT_URL_STS`, else `https://sts.<region>.amazonaws.com`.

use std::time::{Duration, SystemTime};

use serde::Deserialize;

use super::environment::Environment;
use super::fetch::{fetch_body, parse_expiry, split_url};
use super::keys::{Credentials, Lookup};
use crate::error::BackendError;
use crate::http::{HttpRequest, Method, Transport, encode_query_value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Response {
    assume_role_with_web_identity_result: AssumeResult,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeResult {
    credentials: StsCredentials,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

/// The STS endpoint: `AWS_ENDPOINT_URL_STS`, else the regional endpoint of `AWS_REGION`,
/// `AWS_DEFAULT_REGION` or the driver's `region`.
pub(super) fn sts_url(env: &dyn Environment, region: &str) -> String {
    s3drv_common::credential_urls::sts_url(&|name| env.var(name), region)
}

/// Exchanges the web identity token for credentials, if the environment names both.
pub(super) fn fetch<T: Transport>(
    transport: &T,
    env: &dyn Environment,
    region: &str,
    now: SystemTime,
) -> Result<Lookup, BackendError> {
    let (Some(token_file), Some(role_arn)) = (
        env.var("AWS_WEB_IDENTITY_TOKEN_FILE"),
        env.var("AWS_ROLE_ARN"),
    ) else {
        return Ok(Lookup::NotConfigured(
            "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not both set".into(),
        ));
    };
    let token = env.read_file(&token_file).map_err(|e| {
        BackendError::malformed(
            format!("cannot read AWS_WEB_IDENTITY_TOKEN_FILE {token_file:?}: {e}"),
            None,
        )
    })?;
    let session_name = env.var("AWS_ROLE_SESSION_NAME").unwrap_or_else(|| {
        let seconds = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        format!("s3drv-{seconds}")
    });
    let url = sts_url(env, region);
    let (secure, authority, path) = split_url("the STS endpoint", &url)?;
    let form = [
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", role_arn.as_str()),
        ("RoleSessionName", session_name.as_str()),
        ("WebIdentityToken", token.trim()),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
    .collect::<Vec<_>>()
    .join("&");
    let request = HttpRequest {
        method: Method::Post,
        secure,
        authority,
        path_and_query: if path.is_empty() { "/".into() } else { path },
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: form.into_bytes().into(),
        timeout: Some(Duration::from_secs(10)),
    };
    let what = "STS AssumeRoleWithWebIdentity";
    let body = fetch_body(transport, what, request)?;
    let answer: Response = crate::http::decode_xml(what, &body, 200)?;
    let c = answer.assume_role_with_web_identity_result.credentials;
    Ok(Lookup::Found(Credentials {
        access_key: c.access_key_id,
        secret_key: c.secret_access_key,
        session_token: Some(c.session_token),
        expires: parse_expiry(what, Some(&c.expiration))?,
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::testing::{MapEnvironment, Script};

    /// The answer of the STS API reference's AssumeRoleWithWebIdentity example.
    const ANSWER: &str = r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A</SubjectFromWebIdentityToken>
    <Audience>client.5498841531868486423.1548@apps.example.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:app1</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <Expiration>2014-10-24T23:00:23Z</Expiration>
      <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
    <SourceIdentity>SourceIdentityValue</SourceIdentity>
    <Provider>www.amazon.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"#;

    #[test]
    fn token_exchanged_at_the_regional_endpoint() {
        let env = MapEnvironment(HashMap::from([
            (
                "AWS_WEB_IDENTITY_TOKEN_FILE".into(),
                "/var/run/token".into(),
            ),
            (
                "AWS_ROLE_ARN".into(),
                "arn:aws:iam::123456789012:role/r".into(),
            ),
            ("AWS_ROLE_SESSION_NAME".into(), "app1".into()),
            ("/var/run/token".into(), "eyJ.token\n".into()),
        ]));
        let script = Script::new(&[(200, ANSWER)]);
        let Lookup::Found(c) = fetch(&script, &env, "eu-west-1", SystemTime::UNIX_EPOCH).unwrap()
        else {
            panic!()
        };
        assert_eq!(c.access_key, "ASgeIAIOSFODNN7EXAMPLE");
        assert!(c.session_token.unwrap().starts_with("AQoD"));
        let seen = script.seen.borrow();
        assert_eq!(seen[0].authority, "sts.eu-west-1.amazonaws.com");
        let form = String::from_utf8(seen[0].body.to_vec()).unwrap();
        assert!(
            form.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr"),
            "{form}"
        );
        assert!(
            form.contains("WebIdentityToken=eyJ.token&")
                || form.ends_with("WebIdentityToken=eyJ.token"),
            "{form}"
        );
    }

    #[test]
    fn missing_token_file_is_an_error_naming_it() {
        let env = MapEnvironment(HashMap::from([
            ("AWS_WEB_IDENTITY_TOKEN_FILE".into(), "/nope".into()),
            ("AWS_ROLE_ARN".into(), "arn".into()),
        ]));
        let e = fetch(&Script::new(&[]), &env, "us-east-1", SystemTime::UNIX_EPOCH)
            .err()
            .unwrap();
        assert!(e.message.contains("/nope"), "{}", e.message);
    }
}
