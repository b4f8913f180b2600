//! Container credentials (ECS, EKS Pod Identity): `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
//! (under `http://169.254.170.2`) or `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with the
//! authorization token of `AWS_CONTAINER_AUTHORIZATION_TOKEN` or the file
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`.

use std::time::Duration;

use super::environment::Environment;
use super::fetch::{fetch_body, parse_json_credentials, split_url};
use super::keys::Lookup;
use crate::error::BackendError;
use crate::http::{HttpRequest, Method, Transport};

/// The container credentials URL the environment names, if any.
pub(super) fn url(env: &dyn Environment) -> Option<String> {
    s3drv_common::credential_urls::container_url(&|name| env.var(name))
}

pub(super) fn fetch<T: Transport>(
    transport: &T,
    env: &dyn Environment,
) -> Result<Lookup, BackendError> {
    let Some(url) = url(env) else {
        return Ok(Lookup::NotConfigured(
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set".into(),
        ));
    };
    let (secure, authority, path) = split_url("the container credentials URL", &url)?;
    let token = match env.var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
        Some(file) => Some(env.read_file(&file).map_err(|e| {
            BackendError::malformed(
                format!("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {file:?}: {e}"),
                None,
            )
        })?),
        None => env.var("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
    };
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    if let Some(token) = token {
        headers.push(("authorization".into(), token.trim().to_string()));
    }
    let request = HttpRequest {
        method: Method::Get,
        secure,
        authority,
        path_and_query: if path.is_empty() { "/".into() } else { path },
        headers,
        body: Default::default(),
        timeout: Some(Duration::from_secs(5)),
    };
    let body = fetch_body(transport, "the container credentials endpoint", request)?;
    Ok(Lookup::Found(parse_json_credentials(
        "the container credentials endpoint",
        &body,
    )?))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::testing::{MapEnvironment, Script};

    #[test]
    fn full_uri_with_token_file() {
        let env = MapEnvironment(HashMap::from([
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI".into(),
                "http://127.0.0.1:9/creds".into(),
            ),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE".into(),
                "/token".into(),
            ),
            ("/token".into(), "secret-token\n".into()),
        ]));
        let script = Script::new(&[(
            200,
            r#"{"AccessKeyId":"AK","SecretAccessKey":"SK","Token":"T","Expiration":"2030-01-01T00:00:00Z"}"#,
        )]);
        let Lookup::Found(c) = fetch(&script, &env).unwrap() else {
            panic!()
        };
        assert_eq!(c.access_key, "AK");
        assert!(c.expires.is_some());
        let seen = script.seen.borrow();
        assert_eq!(
            (seen[0].authority.as_str(), seen[0].path_and_query.as_str()),
            ("127.0.0.1:9", "/creds")
        );
        assert!(
            seen[0]
                .headers
                .contains(&("authorization".into(), "secret-token".into()))
        );
    }

    #[test]
    fn relative_uri_goes_to_the_ecs_host() {
        let env = MapEnvironment(HashMap::from([(
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI".into(),
            "/v2/credentials/abc".into(),
        )]));
        let script = Script::new(&[(200, "not json")]);
        let e = fetch(&script, &env).err().unwrap();
        assert_eq!(e.code, "MalformedResponse");
        assert_eq!(script.seen.borrow()[0].authority, "169.254.170.2");
    }
}
