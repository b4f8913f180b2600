//! AWS Signature Version 2 (`v4auth: false`): HMAC-SHA1 over the method, Content-MD5,
//! Content-Type, date, the `x-amz-*` headers and the resource, as the S3 documentation's
//! "Signing and Authenticating REST Requests" describes. Deprecated; only for stores without
//! SigV4 (never AWS, which the configuration refuses).

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::credentials::Credentials;

/// Query parameters that are part of the signed resource.
const SUB_RESOURCES: &[&str] = &[
    "acl",
    "delete",
    "location",
    "logging",
    "notification",
    "partNumber",
    "policy",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// What a SigV2 signature covers besides the headers.
pub struct Resource<'a> {
    /// The path as sent (percent-encoded), with the bucket in front even for virtual-hosted
    /// addressing: `/bucket/key`.
    pub path: &'a str,
    /// The query parameters, not encoded.
    pub query: &'a [(&'a str, String)],
}

impl Resource<'_> {
    fn canonical(&self) -> String {
        let mut subresources: Vec<_> = self
            .query
            .iter()
            .filter(|(name, _)| SUB_RESOURCES.contains(name))
            .collect();
        subresources.sort_by_key(|(name, _)| *name);
        let mut canonical = self.path.to_string();
        for (i, (name, value)) in subresources.iter().enumerate() {
            canonical.push(if i == 0 { '?' } else { '&' });
            canonical.push_str(name);
            if !value.is_empty() {
                canonical.push('=');
                canonical.push_str(value);
            }
        }
        canonical
    }
}

/// The string to sign; `date` is the `Date` header, or the expiry of a presigned URL.
pub fn string_to_sign(
    method: &str,
    headers: &[(String, String)],
    date: &str,
    resource: &Resource<'_>,
) -> String {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.trim())
    };
    let mut amz: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if !name.starts_with("x-amz-") {
            continue;
        }
        match amz.iter_mut().find(|(n, _)| *n == name) {
            Some((_, joined)) => {
                joined.push(',');
                joined.push_str(value.trim());
            }
            None => amz.push((name, value.trim().to_string())),
        }
    }
    amz.sort();
    let mut text = format!(
        "{method}\n{}\n{}\n{date}\n",
        header("content-md5"),
        header("content-type")
    );
    for (name, value) in amz {
        text.push_str(&format!("{name}:{value}\n"));
    }
    text.push_str(&resource.canonical());
    text
}

fn signature(secret_key: &str, text: &str) -> String {
    let mut mac =
        Hmac::<Sha1>::new_from_slice(secret_key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The headers to add to a request: `date`, `x-amz-security-token` of temporary credentials,
/// and `authorization`.
pub fn sign_headers(
    method: &str,
    headers: &[(String, String)],
    resource: &Resource<'_>,
    credentials: &Credentials,
    time: SystemTime,
) -> Vec<(String, String)> {
    let date = httpdate::fmt_http_date(time);
    let mut added = vec![("date".to_string(), date.clone())];
    if let Some(token) = &credentials.session_token {
        added.push(("x-amz-security-token".into(), token.clone()));
    }
    let all: Vec<_> = headers.iter().chain(&added).cloned().collect();
    let text = string_to_sign(method, &all, &date, resource);
    added.push((
        "authorization".into(),
        format!(
            "AWS {}:{}",
            credentials.access_key,
            signature(&credentials.secret_key, &text)
        ),
    ));
    added
}

/// A presigned URL: `url` (without query) plus `AWSAccessKeyId`, `Expires` and `Signature`
/// (and `x-amz-security-token`, which is signed as a header).
pub fn presign(
    method: &str,
    url: &str,
    resource: &Resource<'_>,
    credentials: &Credentials,
    time: SystemTime,
    expires_in: Duration,
) -> String {
    let expires = (time + expires_in)
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        .to_string();
    let mut headers = Vec::new();
    if let Some(token) = &credentials.session_token {
        headers.push(("x-amz-security-token".to_string(), token.clone()));
    }
    let text = string_to_sign(method, &headers, &expires, resource);
    let mut presigned = format!(
        "{url}?AWSAccessKeyId={}&Expires={expires}&Signature={}",
        crate::http::encode_query_value(&credentials.access_key),
        crate::http::encode_query_value(&signature(&credentials.secret_key, &text)),
    );
    if let Some(token) = &credentials.session_token {
        presigned.push_str("&x-amz-security-token=");
        presigned.push_str(&crate::http::encode_query_value(token));
    }
    presigned
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        // The example credentials of the S3 documentation.
        Credentials {
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
            expires: None,
        }
    }

    fn header_signature(method: &str, headers: &[(&str, &str)], resource: Resource<'_>) -> String {
        let headers: Vec<_> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let date = &headers.iter().find(|(k, _)| k == "date").unwrap().1;
        signature(
            &creds().secret_key,
            &string_to_sign(method, &headers, date, &resource),
        )
    }

    /// The examples of "Signing and Authenticating REST Requests" (bucket johnsmith).
    #[test]
    fn documentation_examples() {
        let no_query: &[(&str, String)] = &[];
        let object = Resource {
            path: "/johnsmith/photos/puppy.jpg",
            query: no_query,
        };
        assert_eq!(
            header_signature(
                "GET",
                &[("date", "Tue, 27 Mar 2007 19:36:42 +0000")],
                object
            ),
            "bWq2s1WEIj+Ydj0vQ697zp+IXMU="
        );
        let object = Resource {
            path: "/johnsmith/photos/puppy.jpg",
            query: no_query,
        };
        assert_eq!(
            header_signature(
                "PUT",
                &[
                    ("content-type", "image/jpeg"),
                    ("content-length", "94328"),
                    ("date", "Tue, 27 Mar 2007 21:15:45 +0000")
                ],
                object
            ),
            "MyyxeRY7whkBe+bq8fHCL/2kKUg="
        );
        // List: prefix, max-keys and marker are not sub-resources.
        let query = [
            ("prefix", "photos".to_string()),
            ("max-keys", "50".to_string()),
            ("marker", "puppy".to_string()),
        ];
        let list = Resource {
            path: "/johnsmith/",
            query: &query,
        };
        assert_eq!(
            header_signature(
                "GET",
                &[
                    ("user-agent", "Mozilla/5.0"),
                    ("date", "Tue, 27 Mar 2007 19:42:41 +0000")
                ],
                list
            ),
            "htDYFYduRNen8P9ZfE/s9SuKy0U="
        );
        let query = [("acl", String::new())];
        let acl = Resource {
            path: "/johnsmith/",
            query: &query,
        };
        assert_eq!(
            header_signature("GET", &[("date", "Tue, 27 Mar 2007 19:44:46 +0000")], acl),
            "c2WLPFtWHVgbEmeEG93a4cG37dM="
        );
    }

    /// The documentation's query string authentication example (expires 1175139620).
    #[test]
    fn documentation_presigned_example() {
        let resource = Resource {
            path: "/johnsmith/photos/puppy.jpg",
            query: &[],
        };
        let url = presign(
            "GET",
            "https://johnsmith.s3.amazonaws.com/photos/puppy.jpg",
            &resource,
            &creds(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(1175139620 - 60),
            Duration::from_secs(60),
        );
        assert_eq!(
            url,
            "https://johnsmith.s3.amazonaws.com/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
        );
    }

    #[test]
    fn sub_resources_are_sorted_and_amz_headers_joined() {
        let query = [
            ("uploadId", "u1".to_string()),
            ("partNumber", "3".to_string()),
            ("x-id", "ignored".to_string()),
        ];
        let resource = Resource {
            path: "/b/k",
            query: &query,
        };
        let headers = vec![
            ("X-Amz-Meta-B".to_string(), " 2 ".to_string()),
            ("x-amz-meta-a".to_string(), "1".to_string()),
            ("x-amz-meta-b".to_string(), "3".to_string()),
        ];
        assert_eq!(
            string_to_sign("PUT", &headers, "D", &resource),
            "PUT\n\n\nD\nx-amz-meta-a:1\nx-amz-meta-b:2,3\n/b/k?partNumber=3&uploadId=u1"
        );
    }
}
