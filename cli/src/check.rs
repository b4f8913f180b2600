//! `s3drv check`: the conformance cases of [`s3drv_check`] against the operator's
//! bucket, under a fresh prefix that is deleted afterwards whatever happened.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use s3drv_check::{self as check, Outcome, Store};
use s3drv_host::{Driver, Error, Runtime, Tenant};

use crate::output::{Failure, Format, print_line};
use crate::progress;

/// What `s3drv check` was asked to do.
pub struct Request {
    /// The driver parameters (configuration file and `--param`s).
    pub params: Vec<(String, String)>,
    /// Whose grants the drivers get.
    pub tenant: Tenant,
    /// Run the long cases at full size (multi-GiB objects).
    pub large: bool,
    /// Only the cases whose name contains this.
    pub only: Option<String>,
}

/// One line of the report.
struct Row {
    name: &'static str,
    outcome: Outcome,
    seconds: f64,
}

/// Runs the check and prints its report; fails when a case failed or the prefix could not be
/// emptied.
pub async fn run(runtime: &Runtime, request: Request, format: Format) -> Result<(), Failure> {
    let base = param(&request.params, "rootdirectory")
        .map(|root| root.trim_matches('/').to_string())
        .unwrap_or_default();
    let run_name = format!(
        "s3drv-check-{}-{}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        check::random_name(6)
    );
    let prefix = match base.as_str() {
        "" => run_name.clone(),
        base => format!("{base}/{run_name}"),
    };
    let bucket = param(&request.params, "bucket").unwrap_or("?").to_string();
    let mut store = Store {
        tenant: request.tenant.clone(),
        stores_huge_objects: true,
        ..Store::new(request.params.clone())
    };

    // The parent of the run's prefix: it deletes the prefix at the end.
    let parent = runtime.open_for(&store.tenant, store.params(&base)).await?;
    for warning in parent.warnings() {
        eprintln!("s3drv: warning: {warning}");
    }
    let run_path = format!("/{run_name}");
    can_write(&parent, &run_path, &bucket, &prefix).await?;
    store.verifies_signatures = check::probe_signature_checks(runtime, &store, &prefix).await;
    store.lists_deleted_directories =
        check::probe_deleted_directories(runtime, &store, &format!("{prefix}/probe")).await;
    store.lists_in_key_order =
        check::probe_key_order(runtime, &store, &format!("{prefix}/probe")).await;

    let cases: Vec<check::Case> = check::cases()
        .into_iter()
        .filter(|c| request.only.as_deref().is_none_or(|o| c.name.contains(o)))
        .collect();
    if format == Format::Text {
        print_line(format_args!(
            "s3drv check: {} cases against bucket {bucket} under {prefix}/ (server verifies \
             signatures: {}; lists keys in S3 order: {}; lists the directories of deleted \
             keys: {})",
            cases.len(),
            yes_no(store.verifies_signatures),
            yes_no(store.lists_in_key_order),
            yes_no(store.lists_deleted_directories),
        ))?;
    }
    let bar = progress::cases(format, cases.len());
    let mut rows = Vec::new();
    let mut signals = Signals::new()?;
    // Why the run stopped before its last case: an interrupt, or a closed stdout.
    let mut stop: Option<Failure> = None;
    for case in &cases {
        bar.set_message(case.name);
        let start = Instant::now();
        let root = format!("{prefix}/{}", case.name);
        let run = check::run_case(case, runtime, &store, &root, request.large);
        tokio::pin!(run);
        let outcome = tokio::select! {
            outcome = &mut run => outcome,
            _ = signals.next() => {
                bar.suspend(|| eprintln!(
                    "s3drv check: interrupted; letting {} end what it started, then deleting \
                     {prefix}/ (interrupt again to stop at once)",
                    case.name
                ));
                stop = Some(Failure::failed("check", "s3drv check: interrupted"));
                tokio::select! {
                    outcome = &mut run => outcome,
                    _ = signals.next() => {
                        bar.suspend(|| eprintln!(
                            "s3drv check: stopped {} at once: an unfinished multipart upload \
                             may be left under {prefix}/",
                            case.name
                        ));
                        break;
                    }
                }
            }
        };
        let row = Row {
            name: case.name,
            outcome,
            seconds: start.elapsed().as_secs_f64(),
        };
        if format == Format::Text
            && let Err(closed) = bar.suspend(|| print_line(text_row(&row)))
        {
            stop.get_or_insert(closed);
        }
        rows.push(row);
        bar.inc(1);
        if stop.is_some() {
            break;
        }
    }
    bar.finish_and_clear();

    let cleanup = clean_up(&parent, &run_path).await;
    if let Some(Failure::ClosedOutput) = stop {
        match &cleanup {
            Ok(()) => eprintln!("s3drv check: stdout closed; {prefix}/ deleted"),
            Err(e) => eprintln!("s3drv check: stdout closed; CLEANUP FAILED: {e}"),
        }
        return Err(Failure::ClosedOutput);
    }
    let failed = rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
        .count();
    let passed = rows.iter().filter(|r| r.outcome == Outcome::Passed).count();
    let not_applicable = rows.len() - passed - failed;
    match format {
        Format::Text => print_line(format_args!(
            "\n{passed} passed, {failed} failed, {not_applicable} not applicable; {}",
            match &cleanup {
                Ok(()) => format!("{prefix}/ deleted, nothing left behind"),
                Err(e) => format!("CLEANUP FAILED: {e}"),
            }
        ))?,
        Format::Json => print_line(json_report(&bucket, &prefix, &rows, &cleanup))?,
    }
    if let Some(interrupted) = stop {
        return Err(interrupted);
    }
    match (failed, cleanup) {
        (0, Ok(())) => Ok(()),
        (0, Err(e)) => Err(Failure::failed("check", format!("s3drv check: {e}"))),
        (n, _) => Err(Failure::failed(
            "check",
            format!("s3drv check: {n} of {} cases failed", rows.len()),
        )),
    }
}

/// SIGINT and SIGTERM, each time one arrives.
struct Signals {
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Signals, Failure> {
        let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| {
            Failure::failed("io", format!("s3drv check: cannot catch SIGTERM: {e}"))
        })?;
        Ok(Signals { terminate })
    }

    /// Waits for the next SIGINT or SIGTERM.
    async fn next(&mut self) {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// The value of `key` as the driver reads it: the last one given (a `--param` overrides the
/// file), whatever the case of the key.
fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .rfind(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// Stores and deletes one small object at `path`/probe: a key that cannot write (or cannot
/// delete what it wrote) stops the check before any case runs.
async fn can_write(parent: &Driver, path: &str, bucket: &str, prefix: &str) -> Result<(), Failure> {
    let probe = format!("{path}/probe");
    if let Err(e) = parent.put_content(&probe, b"s3drv check".to_vec()).await {
        return Err(Failure::failed(
            "check",
            format!(
                "s3drv check: cannot write to bucket {bucket} under {prefix}/, so no case was \
                 run (the key needs s3:PutObject, s3:GetObject, s3:ListBucket, s3:DeleteObject \
                 and the multipart-upload actions on it): {e}"
            ),
        ));
    }
    parent.delete(&probe).await.map_err(|e| {
        Failure::failed(
            "check",
            format!(
                "s3drv check: stored {prefix}/probe in bucket {bucket} but cannot delete it, so \
                 no case was run (the key needs s3:DeleteObject; delete the object by hand): {e}"
            ),
        )
    })
}

/// Deletes the run's prefix and makes sure nothing is left under it.
async fn clean_up(parent: &Driver, path: &str) -> Result<(), String> {
    match parent.delete(path).await {
        Ok(()) | Err(Error::PathNotFound(_)) => {}
        Err(e) => return Err(format!("deleting {path}: {e}")),
    }
    // A walk, not a listing: some servers (SeaweedFS) keep listing the directories of
    // deleted keys for a while; a key left below `path` is what matters.
    let files = check::files_below(parent, path)
        .await
        .map_err(|e| format!("walking {path} after deleting it: {e}"))?;
    if files.is_empty() {
        Ok(())
    } else {
        Err(format!("{path} still holds {files:?}"))
    }
}

fn text_row(row: &Row) -> String {
    let (result, detail) = match &row.outcome {
        Outcome::Passed => ("ok", String::new()),
        Outcome::Failed(why) => ("FAILED", format!("\n    {why}")),
        Outcome::NotApplicable(why) => ("n/a", format!("  ({why})")),
    };
    format!("{:<44} {result:<7} {:8.2}s{detail}", row.name, row.seconds)
}

fn json_report(
    bucket: &str,
    prefix: &str,
    rows: &[Row],
    cleanup: &Result<(), String>,
) -> serde_json::Value {
    let cases: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            let (result, detail) = match &row.outcome {
                Outcome::Passed => ("passed", None),
                Outcome::Failed(why) => ("failed", Some(why.clone())),
                Outcome::NotApplicable(why) => ("not-applicable", Some(why.to_string())),
            };
            serde_json::json!({
                "name": row.name,
                "result": result,
                "seconds": row.seconds,
                "detail": detail,
            })
        })
        .collect();
    serde_json::json!({
        "bucket": bucket,
        "prefix": format!("{prefix}/"),
        "cases": cases,
        "cleanup": match cleanup {
            Ok(()) => serde_json::json!({ "ok": true }),
            Err(e) => serde_json::json!({ "ok": false, "detail": e }),
        },
    })
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}
