//! move: a HEAD of the source, a copy (CopyObject up to the threshold, a multipart copy above
//! it), then a DeleteObject of the source (`docs/decisions.md` §17).

use super::client::S3Client;
use super::object::{delete_object_request, head};
use super::request::S3Request;
use super::{multipart, xml};
use crate::error::{BackendError, Error, Result};
use crate::http::{Method, Transport};
use crate::{log, path};

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

/// move: the file at `source` to `dest`, replacing what `dest` held.
///
/// Only the object the HEAD found is copied, so only that object is deleted: keys below
/// `source/` (which S3 allows beside a key) stay where they are. A source that is not a file
/// (missing, or a directory) is path-not-found, and `dest` is untouched.
pub fn move_object<T: Transport>(s3: &S3Client<T>, source: &str, dest: &str) -> Result<()> {
    path::check(source)?;
    path::check(dest)?;
    let Some(info) = head(s3, source)? else {
        return Err(Error::PathNotFound(source.to_string()));
    };
    if source == dest {
        return Ok(());
    }
    let (source_key, dest_key) = (s3.key(source), s3.key(dest));
    let multipart_copy = info.size > s3.config.copy_threshold;
    if multipart_copy {
        multipart::copy_large(s3, &source_key, &dest_key, info.size)?;
    } else {
        copy_object(s3, &source_key, &dest_key)?;
    }
    let deleting = s3.start(delete_object_request(&source_key))?;
    if multipart_copy
        // Uploads of the destination an earlier copy left (a crash, or a replayed
        // CreateMultipartUpload), aborted while the source's deletion is on the wire. The
        // move has happened by then: a failed clean-up is logged, not the move's error (a
        // caller that retried the move would find no source).
        && let Err(e) = multipart::abort_others(s3, &dest_key, None)
    {
        log::emit(
            log::Level::Warn,
            "move",
            &format!(
                "aborting older uploads of {dest_key} failed: {}",
                Error::Backend(e)
            ),
        );
    }
    s3.finish_discard(deleting)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Script, static_key_client as client};

    const HEAD_1_MIB: &[(&str, &str)] = &[
        ("content-length", "1048576"),
        ("last-modified", "Wed, 02 Dec 2026 10:00:00 GMT"),
    ];
    const COPIED: &str = "<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>";

    /// The requests the client sent, as "METHOD path?query".
    fn requests(s3: &S3Client<Script>) -> Vec<String> {
        s3.transport()
            .seen
            .borrow()
            .iter()
            .map(|r| format!("{:?} {}", r.method, r.path_and_query))
            .collect()
    }

    #[test]
    fn a_small_file_moves_with_head_copy_and_one_delete() {
        let s3 = client(&[(200, HEAD_1_MIB, ""), (200, &[], COPIED), (204, &[], "")]);
        assert_eq!(move_object(&s3, "/src/a", "/dst/b"), Ok(()));
        assert_eq!(
            requests(&s3),
            ["Head /b/src/a", "Put /b/dst/b", "Delete /b/src/a"]
        );
        let seen = s3.transport().seen.borrow();
        assert!(
            seen[1]
                .headers
                .iter()
                .any(|(k, v)| k == "x-amz-copy-source" && v == "/b/src/a"),
            "{:?}",
            seen[1].headers
        );
    }

    #[test]
    fn a_missing_source_is_not_found_and_nothing_else_is_sent() {
        let s3 = client(&[(404, &[], "")]);
        assert_eq!(
            move_object(&s3, "/missing", "/dst"),
            Err(Error::PathNotFound("/missing".into()))
        );
        assert_eq!(requests(&s3), ["Head /b/missing"]);
    }

    #[test]
    fn a_failed_clean_up_after_a_multipart_copy_does_not_fail_the_move() {
        let head_64_mib = [
            ("content-length", "67108864"),
            ("last-modified", "Wed, 02 Dec 2026 10:00:00 GMT"),
        ];
        let initiated =
            "<InitiateMultipartUploadResult><UploadId>u</UploadId></InitiateMultipartUploadResult>";
        let part = "<CopyPartResult><ETag>\"p\"</ETag></CopyPartResult>";
        let refused = "<Error><Code>AccessDenied</Code><Message>no</Message></Error>";
        let s3 = client(&[
            (200, &head_64_mib, ""),
            (200, &[], initiated),
            (200, &[], part),
            (200, &[], part),
            (200, &[], COPIED),
            (204, &[], ""),
            (403, &[], refused),
        ]);
        assert_eq!(move_object(&s3, "/src", "/dst"), Ok(()));
        let sent = requests(&s3);
        assert_eq!(sent.len(), 7, "{sent:?}");
        assert_eq!(sent[5], "Delete /b/src");
        assert!(sent[6].starts_with("Get /b/?uploads"), "{sent:?}");
    }

    #[test]
    fn a_failed_copy_keeps_the_source() {
        let refused = "<Error><Code>AccessDenied</Code><Message>no</Message></Error>";
        let s3 = client(&[(200, HEAD_1_MIB, ""), (403, &[], refused)]);
        let error = move_object(&s3, "/src", "/dst").unwrap_err();
        assert!(
            matches!(error, Error::Backend(ref e) if e.code == "AccessDenied"),
            "{error:?}"
        );
        assert_eq!(requests(&s3), ["Head /b/src", "Put /b/dst"]);
    }
}
