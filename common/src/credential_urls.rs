//! Where the credential chain fetches credentials when the parameters hold no keys: the STS
//! endpoint of web identity, the container credentials endpoint and the instance metadata
//! service, as the environment variables the tenant grants configure them.
//!
//! `var` looks a variable up (the guest: its WASI environment; the host: the tenant's grant).

use crate::regions;

/// Looks an environment variable up.
pub type Var<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The ECS credentials host of relative URIs.
const ECS_AUTHORITY: &str = "169.254.170.2";

/// The instance metadata service unless `AWS_EC2_METADATA_SERVICE_ENDPOINT` says otherwise.
const INSTANCE_METADATA: &str = "http://169.254.169.254";

/// Whether the environment configures web identity (a token file and a role).
pub fn web_identity_configured(var: Var<'_>) -> bool {
    var("AWS_WEB_IDENTITY_TOKEN_FILE").is_some() && var("AWS_ROLE_ARN").is_some()
}

/// The STS endpoint: `AWS_ENDPOINT_URL_STS`, else the regional endpoint of `AWS_REGION`,
/// `AWS_DEFAULT_REGION` or the driver's `region`.
///
/// ```
/// let var = |name: &str| (name == "AWS_REGION").then(|| "cn-north-1".to_string());
/// assert_eq!(
///     s3drv_common::credential_urls::sts_url(&var, "us-east-1"),
///     "https://sts.cn-north-1.amazonaws.com.cn"
/// );
/// ```
pub fn sts_url(var: Var<'_>, region: &str) -> String {
    let region = var("AWS_REGION")
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| region.to_string());
    var("AWS_ENDPOINT_URL_STS")
        .unwrap_or_else(|| format!("https://sts.{region}.{}", regions::dns_suffix(&region)))
}

/// The container credentials URL, if `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `_FULL_URI`
/// names one.
pub fn container_url(var: Var<'_>) -> Option<String> {
    match var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        Some(relative) => Some(format!("http://{ECS_AUTHORITY}{relative}")),
        None => var("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
    }
}

/// The instance metadata endpoint, unless `AWS_EC2_METADATA_DISABLED` is `true`.
pub fn instance_metadata_url(var: Var<'_>) -> Option<String> {
    let disabled = var("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    (!disabled).then(|| {
        var("AWS_EC2_METADATA_SERVICE_ENDPOINT").unwrap_or_else(|| INSTANCE_METADATA.to_string())
    })
}

/// Every endpoint the chain may fetch from, in the order it tries them.
pub fn all(var: Var<'_>, region: &str) -> Vec<String> {
    let mut urls = Vec::new();
    if web_identity_configured(var) {
        urls.push(sts_url(var, region));
    }
    urls.extend(container_url(var));
    urls.extend(instance_metadata_url(var));
    urls
}

/// The origin (`scheme://host[:port]`) of `url`: everything before its path.
///
/// ```
/// use s3drv_common::credential_urls::origin;
/// assert_eq!(origin("http://169.254.170.2/v2/credentials/x"), "http://169.254.170.2");
/// assert_eq!(origin("https://sts.amazonaws.com"), "https://sts.amazonaws.com");
/// ```
pub fn origin(url: &str) -> &str {
    let end = url
        .find("://")
        .and_then(|i| url[i + 3..].find('/').map(|j| i + 3 + j))
        .unwrap_or(url.len());
    &url[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_follows_the_environment() {
        let none = |_: &str| None;
        assert_eq!(all(&none, "eu-west-1"), vec![INSTANCE_METADATA.to_string()]);
        let granted = |name: &str| match name {
            "AWS_WEB_IDENTITY_TOKEN_FILE" => Some("/t".to_string()),
            "AWS_ROLE_ARN" => Some("arn".to_string()),
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" => Some("/v2/c".to_string()),
            "AWS_EC2_METADATA_DISABLED" => Some("TRUE".to_string()),
            _ => None,
        };
        assert_eq!(
            all(&granted, "eu-west-1"),
            vec![
                "https://sts.eu-west-1.amazonaws.com".to_string(),
                "http://169.254.170.2/v2/c".to_string()
            ]
        );
    }
}
