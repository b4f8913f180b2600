//! The S3 API operation a request performs (`UploadPart`, `ListObjectsV2`, ...), from its
//! method, query and `x-amz-copy-source` header: the host's metrics and logs name requests
//! with it, and the registry benchmark's counting proxy counts them with it.

/// The S3 operation of a request with `method`, `query` (without `?`) and, when
/// `copy_source`, an `x-amz-copy-source` header.
///
/// ```
/// use s3drv_common::operations::s3_operation;
/// assert_eq!(s3_operation("PUT", "partNumber=1&uploadId=u", false), "UploadPart");
/// assert_eq!(s3_operation("GET", "list-type=2&prefix=a%2F", false), "ListObjectsV2");
/// ```
pub fn s3_operation(method: &str, query: &str, copy_source: bool) -> &'static str {
    let has = |name: &str| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some(name))
    };
    match method {
        "GET" if has("uploads") => "ListMultipartUploads",
        "GET" if has("uploadId") => "ListParts",
        "GET" if has("list-type") => "ListObjectsV2",
        "GET" => "GetObject",
        "HEAD" => "HeadObject",
        "PUT" if has("partNumber") && copy_source => "UploadPartCopy",
        "PUT" if has("partNumber") => "UploadPart",
        "PUT" if copy_source => "CopyObject",
        "PUT" => "PutObject",
        "POST" if has("uploads") => "CreateMultipartUpload",
        "POST" if has("uploadId") => "CompleteMultipartUpload",
        "POST" if has("delete") => "DeleteObjects",
        "DELETE" if has("uploadId") => "AbortMultipartUpload",
        "DELETE" => "DeleteObject",
        _ => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_the_driver_sends() {
        for (method, query, copy, expected) in [
            ("GET", "uploads&prefix=k", false, "ListMultipartUploads"),
            ("GET", "uploadId=u", false, "ListParts"),
            ("GET", "list-type=2&prefix=a%2F", false, "ListObjectsV2"),
            ("GET", "", false, "GetObject"),
            ("HEAD", "", false, "HeadObject"),
            ("PUT", "partNumber=1&uploadId=u", true, "UploadPartCopy"),
            ("PUT", "partNumber=1&uploadId=u", false, "UploadPart"),
            ("PUT", "", true, "CopyObject"),
            ("PUT", "", false, "PutObject"),
            ("POST", "uploads", false, "CreateMultipartUpload"),
            ("POST", "uploadId=u", false, "CompleteMultipartUpload"),
            ("POST", "delete", false, "DeleteObjects"),
            ("DELETE", "uploadId=u", false, "AbortMultipartUpload"),
            ("DELETE", "", false, "DeleteObject"),
        ] {
            assert_eq!(
                s3_operation(method, query, copy),
                expected,
                "{method} ?{query}"
            );
        }
        // A query word inside a key's value is not that operation.
        assert_eq!(s3_operation("GET", "x-id=uploads", false), "GetObject");
    }
}
