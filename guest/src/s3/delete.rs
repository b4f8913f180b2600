//! Recursive delete and bulk delete-files (DeleteObjects, at most 1,000 keys a request,
//! always with Content-MD5).

use super::list::{ListRequest, list_page, next_token};
use super::xml::{self, DeleteError, DeleteResult};
use super::{BodyChecksum, Method, S3Client, S3Request, Transport};
use crate::error::{BackendError, Error, Result};
use crate::path;

/// Keys per DeleteObjects request.
const BATCH: usize = 1000;
/// Attempts for keys that failed with a transient per-key error (SlowDown, InternalError).
const KEY_ATTEMPTS: u32 = 3;

/// Deletes `keys` (≤ 1,000), retrying keys that failed transiently (SlowDown,
/// InternalError). Returns the number deleted and a description of every key that failed.
fn delete_batch<T: Transport>(
    s3: &S3Client<T>,
    keys: Vec<String>,
) -> Result<(u64, Vec<String>), BackendError> {
    let describe = |e: DeleteError| format!("deleting {}: {}: {}", e.key, e.code, e.message);
    let mut pending = keys;
    let mut deleted = 0;
    let mut failures = Vec::new();
    for attempt in 1..=KEY_ATTEMPTS {
        let request = S3Request::new(Method::Post, "")
            .query("delete", "")
            .header("content-type", "application/xml")
            .body(xml::delete_objects(&pending), BodyChecksum::Md5);
        let result: DeleteResult = s3.send_xml("DeleteObjects", request)?;
        deleted += result.deleted.len() as u64;
        let (transient, permanent): (Vec<_>, Vec<_>) = result
            .errors
            .into_iter()
            .partition(|e| super::errors::is_retryable(None, &e.code));
        failures.extend(permanent.into_iter().map(describe));
        if transient.is_empty() {
            break;
        }
        if attempt == KEY_ATTEMPTS {
            failures.extend(transient.into_iter().map(describe));
            break;
        }
        pending = transient.into_iter().map(|e| e.key).collect();
    }
    Ok((deleted, failures))
}

fn failures_error(failures: Vec<String>) -> Error {
    Error::Backend(BackendError {
        code: "DeleteObjectsFailed".into(),
        message: failures.join("; "),
        status: Some(200),
        request_id: None,
        retryable: false,
    })
}

/// delete: `path` and everything below it; `/a` never touches `/a-b` or `/a.txt`.
pub fn delete<T: Transport>(s3: &S3Client<T>, path: &str) -> Result<()> {
    path::check(path)?;
    let key = s3.key(path);
    let child_prefix = format!("{key}/");
    let mut request = ListRequest {
        prefix: key.clone(),
        ..Default::default()
    };
    let mut matched = false;
    let mut failures = Vec::new();
    loop {
        let page = list_page(s3, &request)?;
        let keys: Vec<String> = page
            .contents
            .iter()
            .filter(|o| o.key == key || o.key.starts_with(&child_prefix))
            .map(|o| o.key.clone())
            .collect();
        for batch in keys.chunks(BATCH) {
            matched = true;
            let (_, failed) = delete_batch(s3, batch.to_vec())?;
            failures.extend(failed);
        }
        match next_token(&page)? {
            Some(token) => request.continuation = Some(token),
            None => break,
        }
    }
    if !failures.is_empty() {
        return Err(failures_error(failures));
    }
    if matched {
        Ok(())
    } else {
        Err(Error::PathNotFound(path.to_string()))
    }
}

/// delete-files: the given files, without listing; missing files count as deleted.
pub fn delete_files<T: Transport>(s3: &S3Client<T>, paths: &[String]) -> Result<u64> {
    for p in paths {
        path::check(p)?;
    }
    let keys: Vec<String> = paths.iter().map(|p| s3.key(p)).collect();
    let mut count = 0;
    let mut failures = Vec::new();
    for batch in keys.chunks(BATCH) {
        match delete_batch(s3, batch.to_vec()) {
            Ok((deleted, failed)) => {
                count += deleted;
                failures.extend(failed);
            }
            // Best effort: later batches still run; the failure is reported with the rest.
            Err(e) => failures.push(format!(
                "deleting {} keys: {}",
                batch.len(),
                Error::Backend(e)
            )),
        }
    }
    if failures.is_empty() {
        Ok(count)
    } else {
        Err(failures_error(failures))
    }
}
