//! Recursive delete and bulk delete-files (DeleteObjects, at most 1,000 keys a request,
//! always with Content-MD5).

use super::list::{ListRequest, list_page, next_token};
use super::xml::{self, DeleteError, DeleteResult};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use s3drv_common::backoff::backoff;
use s3drv_common::s3_errors::is_retryable;

use super::client::S3Client;
use super::request::{BodyChecksum, S3Request};
use crate::error::{BackendError, Error, Result};
use crate::http::{Method, Transport};
use crate::path;

/// Keys per DeleteObjects request.
const BATCH: usize = 1000;
/// Attempts for keys that failed with a transient per-key error (SlowDown, InternalError).
const KEY_ATTEMPTS: u32 = 3;
/// The first wait before keys are sent again, doubled for each further attempt: the host's
/// default first backoff ([`s3drv_common::backoff`] spreads the waits as the host does).
const KEY_BACKOFF_BASE: Duration = Duration::from_millis(100);

/// Deletes `keys` (≤ 1,000), retrying keys that failed transiently (SlowDown,
/// InternalError) after a backoff. The host retries whole requests but cannot see a 200
/// answer's per-key errors, so these retries are the guest's own. Returns the number deleted
/// and a description of every key that failed.
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
            .partition(|e| is_retryable(None, &e.code));
        failures.extend(permanent.into_iter().map(describe));
        if transient.is_empty() {
            break;
        }
        if attempt == KEY_ATTEMPTS {
            failures.extend(transient.into_iter().map(describe));
            break;
        }
        pending = transient.into_iter().map(|e| e.key).collect();
        s3.sleep(backoff(attempt, KEY_BACKOFF_BASE, jitter()));
    }
    Ok((deleted, failures))
}

/// Any value that differs between calls, for the backoff's jitter.
fn jitter() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos().into())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::scripted_client;

    const PARAMS: [(&str, &str); 4] = [
        ("bucket", "b"),
        ("region", "us-east-1"),
        ("accesskey", "AK"),
        ("secretkey", "SK"),
    ];

    #[test]
    fn keys_that_failed_transiently_are_sent_again_after_a_backoff() {
        let slow = "<DeleteResult><Deleted><Key>a</Key></Deleted>\
            <Error><Key>b</Key><Code>SlowDown</Code><Message>slow</Message></Error></DeleteResult>";
        let done = "<DeleteResult><Deleted><Key>b</Key></Deleted></DeleteResult>";
        let s3 = scripted_client(&PARAMS, &[(200, &[], slow), (200, &[], done)]);
        let deleted = delete_files(&s3, &["/a".into(), "/b".into()]).unwrap();
        assert_eq!(deleted, 2);
        let script = s3.transport();
        let seen = script.seen.borrow();
        assert_eq!(seen.len(), 2);
        let second = String::from_utf8_lossy(&seen[1].body.to_vec()).into_owned();
        assert!(
            second.contains("<Key>b</Key>") && !second.contains("<Key>a</Key>"),
            "{second}"
        );
        // One wait, between half and all of the first backoff.
        let slept = script.slept.borrow();
        assert_eq!(slept.len(), 1);
        assert!(
            slept[0] >= KEY_BACKOFF_BASE / 2 && slept[0] < KEY_BACKOFF_BASE,
            "{slept:?}"
        );
    }

    #[test]
    fn keys_that_keep_failing_are_reported_after_the_last_attempt() {
        let slow = "<DeleteResult><Error><Key>b</Key><Code>InternalError</Code><Message>x</Message></Error></DeleteResult>";
        let denied = "<DeleteResult><Error><Key>c</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>";
        let s3 = scripted_client(
            &PARAMS,
            &[(200, &[], slow), (200, &[], slow), (200, &[], slow)],
        );
        let e = delete_files(&s3, &["/b".into()]).unwrap_err();
        assert!(e.to_string().contains("deleting b: InternalError"), "{e}");
        assert_eq!(s3.transport().slept.borrow().len(), 2);
        // A permanent per-key error is not retried.
        let s3 = scripted_client(&PARAMS, &[(200, &[], denied)]);
        assert!(delete_files(&s3, &["/c".into()]).is_err());
        assert!(s3.transport().slept.borrow().is_empty());
    }
}
