//! move: a copy (CopyObject up to the threshold, a multipart copy above it), then the
//! source deleted as a path, as the reference drivers do.

use super::client::S3Client;
use super::object::stat;
use super::request::S3Request;
use super::{delete, multipart, xml};
use crate::error::{BackendError, Error, Result};
use crate::http::{Method, Transport};
use crate::path;

/// CopyObject of `source_key` (at most 5 GiB) to `dest_key` with the configured attributes.
fn copy_object<T: Transport>(
    s3: &S3Client<T>,
    source_key: &str,
    dest_key: &str,
) -> Result<(), BackendError> {
    let request = S3Request::new(Method::Put, dest_key)
        .header("x-amz-copy-source", multipart::copy_source(s3, source_key));
    let request = request.with_attributes(&s3.config.attributes);
    s3.send_xml::<xml::CopyResult>("CopyObject", request)?;
    Ok(())
}

/// move: copy (CopyObject up to the threshold, multipart copy above), then delete the source.
pub fn move_object<T: Transport>(s3: &S3Client<T>, source: &str, dest: &str) -> Result<()> {
    path::check(source)?;
    path::check(dest)?;
    let info = stat(s3, source)?;
    if info.is_dir {
        return Err(Error::PathNotFound(source.to_string()));
    }
    if source == dest {
        return Ok(());
    }
    let (source_key, dest_key) = (s3.key(source), s3.key(dest));
    if info.size <= s3.config.copy_threshold {
        copy_object(s3, &source_key, &dest_key)?;
    } else {
        multipart::copy_large(s3, &source_key, &dest_key, info.size)?;
    }
    delete::delete(s3, source)
}
