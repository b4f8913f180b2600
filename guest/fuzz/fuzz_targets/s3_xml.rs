//! Every S3 answer the driver reads, from arbitrary bytes: parsing gives a value or a typed
//! error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3drv_guest::s3::errors;
use s3drv_guest::s3::xml::{
    self, CopyResult, DeleteResult, ErrorResponse, InitiateMultipartUploadResult,
    ListBucketResult, ListMultipartUploadsResult, ListPartsResult,
};

fuzz_target!(|body: &[u8]| {
    let _ = xml::parse::<ErrorResponse>("Error", body, 500);
    let _ = xml::parse::<ListBucketResult>("ListObjectsV2", body, 200);
    let _ = xml::parse::<InitiateMultipartUploadResult>("CreateMultipartUpload", body, 200);
    let _ = xml::parse::<ListMultipartUploadsResult>("ListMultipartUploads", body, 200);
    let _ = xml::parse::<ListPartsResult>("ListParts", body, 200);
    let _ = xml::parse::<CopyResult>("UploadPartCopy", body, 200);
    let _ = xml::parse::<DeleteResult>("DeleteObjects", body, 200);
    let _ = errors::is_error_document(body);
    let error = errors::from_response(503, &[], body);
    assert!(!error.message.is_empty() || !error.code.is_empty());
});
