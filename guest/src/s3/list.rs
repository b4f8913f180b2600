//! ListObjectsV2 pages and the `list` operation.

use super::client::S3Client;
use super::request::S3Request;
use super::xml::ListBucketResult;
use crate::error::{BackendError, Error, Result};
use crate::http::{Method, Transport};
use crate::path;

/// One ListObjectsV2 request.
#[derive(Debug, Default, Clone)]
pub struct ListRequest {
    /// Key prefix.
    pub prefix: String,
    /// Group by `/` into common prefixes.
    pub delimited: bool,
    /// Keys after this one only.
    pub start_after: Option<String>,
    /// Token of the page to fetch.
    pub continuation: Option<String>,
    /// Page size (S3's default and maximum is 1,000).
    pub max_keys: Option<u32>,
}

impl ListRequest {
    /// The S3 request.
    pub fn to_s3(&self) -> S3Request {
        let mut request = S3Request::new(Method::Get, "")
            .query("list-type", "2")
            .query("prefix", self.prefix.clone());
        if self.delimited {
            request = request.query("delimiter", "/");
        }
        if let Some(after) = &self.start_after {
            request = request.query("start-after", after.clone());
        }
        if let Some(token) = &self.continuation {
            request = request.query("continuation-token", token.clone());
        }
        if let Some(max) = self.max_keys {
            request = request.query("max-keys", max.to_string());
        }
        request
    }
}

/// Fetches one page.
pub fn list_page<T: Transport>(
    s3: &S3Client<T>,
    request: &ListRequest,
) -> Result<ListBucketResult, BackendError> {
    s3.send_xml("ListObjectsV2", request.to_s3())
}

/// The continuation of a page, or `None` after the last page. A truncated page without a
/// token would repeat forever: it is an error.
pub fn next_token(page: &ListBucketResult) -> Result<Option<String>, BackendError> {
    match (page.is_truncated, &page.next_continuation_token) {
        (false, _) => Ok(None),
        (true, Some(token)) if !token.is_empty() => Ok(Some(token.clone())),
        (true, _) => Err(BackendError::malformed(
            "truncated ListObjectsV2 page without NextContinuationToken",
            None,
        )),
    }
}

/// The `NextContinuationToken` of a ListObjectsV2 answer body, found without parsing the
/// document, so that the next page can be requested while this one is parsed. The parsed
/// page remains the authority: a token found here that differs from it is not used.
pub fn peek_continuation(body: &[u8]) -> Option<String> {
    const OPEN: &[u8] = b"<NextContinuationToken>";
    const CLOSE: &[u8] = b"</NextContinuationToken>";
    let start = memchr::memmem::find(body, OPEN)? + OPEN.len();
    let length = memchr::memmem::find(&body[start..], CLOSE)?;
    let text = std::str::from_utf8(&body[start..start + length]).ok()?;
    let token = quick_xml::escape::unescape(text).ok()?;
    (!token.is_empty()).then(|| token.into_owned())
}

/// list: the direct children of `path`, files first, then directories.
pub fn list<T: Transport>(s3: &S3Client<T>, path: &str) -> Result<Vec<String>> {
    path::check_or_root(path)?;
    let keys = &s3.config.keys;
    let prefix = keys.dir_prefix(path);
    let mut request = ListRequest {
        prefix: prefix.clone(),
        delimited: true,
        ..Default::default()
    };
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    loop {
        let page = list_page(s3, &request)?;
        // A directory-marker object (`dir/`) is the listed directory itself, not a child.
        files.extend(
            page.contents
                .iter()
                .filter(|o| o.key != prefix)
                .filter_map(|o| keys.path(&o.key)),
        );
        dirs.extend(
            page.common_prefixes
                .iter()
                .filter_map(|p| keys.path(p.prefix.trim_end_matches('/'))),
        );
        match next_token(&page)? {
            Some(token) => request.continuation = Some(token),
            None => break,
        }
    }
    if path != "/" && files.is_empty() && dirs.is_empty() {
        return Err(Error::PathNotFound(path.to_string()));
    }
    files.append(&mut dirs);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_request_query() {
        let request = ListRequest {
            prefix: "a/b/".into(),
            delimited: true,
            start_after: Some("a/b/c".into()),
            continuation: Some("tok/en=".into()),
            max_keys: Some(1),
        }
        .to_s3();
        let query: Vec<(&str, &str)> = request
            .query
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        assert_eq!(
            query,
            [
                ("list-type", "2"),
                ("prefix", "a/b/"),
                ("delimiter", "/"),
                ("start-after", "a/b/c"),
                ("continuation-token", "tok/en="),
                ("max-keys", "1")
            ]
        );
        assert_eq!(request.key, "");
    }

    #[test]
    fn continuation_is_found_without_parsing() {
        let body = b"<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a</Key></Contents><NextContinuationToken>1/a&amp;b=</NextContinuationToken></ListBucketResult>";
        assert_eq!(peek_continuation(body).as_deref(), Some("1/a&b="));
        assert_eq!(
            peek_continuation(
                b"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"
            ),
            None
        );
        assert_eq!(peek_continuation(b"<NextContinuationToken>cut"), None);
        assert_eq!(
            peek_continuation(b"<NextContinuationToken></NextContinuationToken>"),
            None
        );
    }

    #[test]
    fn truncated_page_without_token_is_an_error() {
        let page = ListBucketResult {
            is_truncated: true,
            ..Default::default()
        };
        assert_eq!(next_token(&page).unwrap_err().code, "MalformedResponse");
        let page = ListBucketResult {
            is_truncated: false,
            ..Default::default()
        };
        assert_eq!(next_token(&page).unwrap(), None);
    }
}
