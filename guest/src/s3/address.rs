//! Where a request for a key goes: the bucket in the host name (virtual-hosted style) or in
//! the path (path style).

use crate::config::Config;
use crate::http::encode_key_path;

/// Where a request for a key goes.
#[derive(Debug, PartialEq, Eq)]
pub struct Address {
    /// `host[:port]`, with the bucket in front for virtual-hosted style.
    pub authority: String,
    /// Path (with the bucket in front for path style) and query.
    pub path_and_query: String,
    /// The whole URL.
    pub url: String,
}

/// The address of `key` with `query` (already encoded, may be empty) in the configured
/// addressing style.
pub fn address(config: &Config, key: &str, query: &str) -> Address {
    let endpoint = &config.endpoint;
    let key = encode_key_path(key);
    let authority = endpoint.bucket_authority(&config.bucket);
    let path = if endpoint.path_style {
        format!("/{}/{key}", config.bucket)
    } else {
        format!("/{key}")
    };
    let path_and_query = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    let url = format!("{}://{authority}{path_and_query}", endpoint.scheme());
    Address {
        authority,
        path_and_query,
        url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GitLab's TestS3DriverPathStyle: the URL host and path for path style and endpoint.
    #[test]
    fn addressing_styles() {
        let cases = [
            (
                None,
                None,
                "https://test-bucket.s3.us-west-2.amazonaws.com/k",
            ),
            (
                None,
                Some("true"),
                "https://s3.us-west-2.amazonaws.com/test-bucket/k",
            ),
            (
                Some("http://custom-endpoint:9000"),
                None,
                "http://custom-endpoint:9000/test-bucket/k",
            ),
            (
                Some("http://custom-endpoint:9000"),
                Some("false"),
                "http://test-bucket.custom-endpoint:9000/k",
            ),
            (
                Some("custom-endpoint:9000"),
                Some("true"),
                "https://custom-endpoint:9000/test-bucket/k",
            ),
        ];
        for (endpoint, path_style, want) in cases {
            let mut params: Vec<(String, String)> = [
                ("bucket", "test-bucket"),
                ("region", "us-west-2"),
                ("accesskey", "a"),
                ("secretkey", "s"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            if let Some(e) = endpoint {
                params.push(("regionendpoint".into(), e.into()));
            }
            if let Some(p) = path_style {
                params.push(("pathstyle".into(), p.into()));
            }
            let config = Config::from_params(&params).unwrap();
            assert_eq!(
                address(&config, "k", "").url,
                want,
                "{endpoint:?} {path_style:?}"
            );
        }
    }
}
