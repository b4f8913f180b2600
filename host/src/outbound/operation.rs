//! The S3 API operation a request performs, for metrics and logs.

use http::{Method, Request};

/// The S3 operation of a request to the storage endpoint, from its method, query and headers
/// (`UploadPart`, `ListObjectsV2`, ...).
pub fn s3_operation<B>(request: &Request<B>) -> &'static str {
    let query = request.uri().query().unwrap_or_default();
    let has = |name: &str| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some(name))
    };
    let copy = request.headers().contains_key("x-amz-copy-source");
    match *request.method() {
        Method::GET if has("uploads") => "ListMultipartUploads",
        Method::GET if has("uploadId") => "ListParts",
        Method::GET if has("list-type") => "ListObjectsV2",
        Method::GET => "GetObject",
        Method::HEAD => "HeadObject",
        Method::PUT if has("partNumber") && copy => "UploadPartCopy",
        Method::PUT if has("partNumber") => "UploadPart",
        Method::PUT if copy => "CopyObject",
        Method::PUT => "PutObject",
        Method::POST if has("uploads") => "CreateMultipartUpload",
        Method::POST if has("uploadId") => "CompleteMultipartUpload",
        Method::POST if has("delete") => "DeleteObjects",
        Method::DELETE if has("uploadId") => "AbortMultipartUpload",
        Method::DELETE => "DeleteObject",
        _ => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operation(method: &str, uri: &str, copy: bool) -> &'static str {
        let mut request = Request::builder().method(method).uri(uri);
        if copy {
            request = request.header("x-amz-copy-source", "/b/src");
        }
        s3_operation(&request.body(()).unwrap())
    }

    #[test]
    fn every_request_the_driver_sends() {
        let base = "http://s3:3900/b/k";
        for (method, uri, copy, expected) in [
            (
                "GET",
                "http://s3:3900/b?uploads&prefix=k",
                false,
                "ListMultipartUploads",
            ),
            ("GET", "http://s3:3900/b/k?uploadId=u", false, "ListParts"),
            (
                "GET",
                "http://s3:3900/b?list-type=2&prefix=a%2F",
                false,
                "ListObjectsV2",
            ),
            ("GET", base, false, "GetObject"),
            ("HEAD", base, false, "HeadObject"),
            (
                "PUT",
                "http://s3:3900/b/k?partNumber=1&uploadId=u",
                true,
                "UploadPartCopy",
            ),
            (
                "PUT",
                "http://s3:3900/b/k?partNumber=1&uploadId=u",
                false,
                "UploadPart",
            ),
            ("PUT", base, true, "CopyObject"),
            ("PUT", base, false, "PutObject"),
            (
                "POST",
                "http://s3:3900/b/k?uploads",
                false,
                "CreateMultipartUpload",
            ),
            (
                "POST",
                "http://s3:3900/b/k?uploadId=u",
                false,
                "CompleteMultipartUpload",
            ),
            ("POST", "http://s3:3900/b?delete", false, "DeleteObjects"),
            (
                "DELETE",
                "http://s3:3900/b/k?uploadId=u",
                false,
                "AbortMultipartUpload",
            ),
            ("DELETE", base, false, "DeleteObject"),
        ] {
            assert_eq!(operation(method, uri, copy), expected, "{method} {uri}");
        }
        // A key merely containing a query word is not that operation.
        assert_eq!(
            operation("GET", "http://s3:3900/b/uploads?x-id=1", false),
            "GetObject"
        );
    }
}
