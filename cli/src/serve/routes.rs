//! One request of `s3drv serve`: the tenant is authenticated, then the operation is run on
//! its driver. Paths and operations are those of `docs/sidecar-protocol.md`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use s3drv_host::{Driver, Error};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::protocol::{
    Body, bytes, driver_error, file_info, json_answer, no_content, query, refusal,
};
use super::sessions::Sessions;

/// Entries a walker batch holds at most.
const MOST_ENTRIES: usize = 1000;

/// A tenant's driver and the token that opens it.
pub struct Hosted {
    /// The driver.
    pub driver: Driver,
    /// The bearer token requests must carry, if any.
    pub token: Option<String>,
}

/// What every request sees.
pub struct State {
    /// The tenants by name.
    pub tenants: HashMap<String, Hosted>,
    /// Open writers and walkers.
    pub sessions: Sessions,
}

/// What a request asks for, once routed.
struct Call<'a> {
    tenant: &'a str,
    driver: &'a Driver,
    query: HashMap<String, String>,
}

impl Call<'_> {
    /// The query parameter `name`, which the operation requires.
    fn param(&self, name: &str) -> Result<&str, Refused> {
        self.query.get(name).map(String::as_str).ok_or_else(|| {
            refuse(
                StatusCode::BAD_REQUEST,
                "bad-request",
                format!("the query parameter {name} is missing"),
            )
        })
    }

    /// The query parameter `name` as a `T`, `default` when absent.
    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, Refused> {
        match self.query.get(name) {
            None => Ok(default),
            Some(text) => text.parse().map_err(|_| {
                refuse(
                    StatusCode::BAD_REQUEST,
                    "bad-request",
                    format!("the query parameter {name}={text:?} is not a number"),
                )
            }),
        }
    }

    fn flag(&self, name: &str) -> bool {
        self.query
            .get(name)
            .is_some_and(|v| v == "true" || v == "1")
    }
}

/// Answers `request`.
pub async fn handle(state: Arc<State>, request: Request<Incoming>) -> Response<Body> {
    let path = request.uri().path().to_string();
    if path == "/healthz" {
        return bytes(StatusCode::OK, "ok\n");
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ["v1", tenant, rest @ ..] = segments.as_slice() else {
        return refusal(
            StatusCode::NOT_FOUND,
            "bad-request",
            format!("no such resource: {path}"),
        );
    };
    let Some(hosted) = state.tenants.get(*tenant) else {
        return refusal(
            StatusCode::NOT_FOUND,
            "unknown-tenant",
            format!("no tenant {tenant:?}"),
        );
    };
    if let Some(token) = &hosted.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| same_token(g, token)) {
            return refusal(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                format!("tenant {tenant}: a valid bearer token is required"),
            );
        }
    }
    let call = Call {
        tenant,
        driver: &hosted.driver,
        query: query(request.uri()),
    };
    let method = request.method().clone();
    let outcome = route(&state.sessions, &call, &method, rest, request.into_body()).await;
    outcome.unwrap_or_else(|refused| *refused)
}

/// Compares tokens in time independent of where they differ.
fn same_token(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// An answer, or the refusal that ends the request early (boxed: it is large).
type Answer = Result<Response<Body>, Refused>;
type Refused = Box<Response<Body>>;

/// A refusal with its own kind.
fn refuse(status: StatusCode, kind: &str, message: impl Into<String>) -> Refused {
    Box::new(refusal(status, kind, message))
}

/// The refusal for a driver error.
fn fail(e: Error) -> Refused {
    Box::new(driver_error(&e))
}

async fn route(
    sessions: &Sessions,
    call: &Call<'_>,
    method: &Method,
    rest: &[&str],
    body: Incoming,
) -> Answer {
    let driver = call.driver;
    match (method, rest) {
        (&Method::GET, ["content"]) => {
            let content = driver
                .get_content(call.param("path")?)
                .await
                .map_err(fail)?;
            Ok(bytes(StatusCode::OK, content))
        }
        (&Method::PUT, ["content"]) => {
            let path = call.param("path")?.to_string();
            let content = read_all(body).await?;
            driver.put_content(&path, content).await.map_err(fail)?;
            Ok(no_content())
        }
        (&Method::GET, ["reader"]) => {
            let offset = call.number("offset", 0i64)?;
            let reader = driver
                .reader(call.param("path")?, offset)
                .await
                .map_err(fail)?;
            // hyper's frames as the driver's reader holds them: no copy on the way out.
            let frames = futures_util::stream::unfold(reader, |mut reader| async move {
                match reader.chunk().await {
                    Ok(Some(bytes)) => Some((Ok(Frame::data(bytes)), reader)),
                    Ok(None) => None,
                    Err(e) => Some((Err(std::io::Error::other(e)), reader)),
                }
            });
            let mut response = Response::new(BodyExt::boxed(StreamBody::new(frames)));
            *response.status_mut() = StatusCode::OK;
            Ok(response)
        }
        (&Method::GET, ["stat"]) => {
            let info = driver.stat(call.param("path")?).await.map_err(fail)?;
            Ok(json_answer(StatusCode::OK, &file_info(&info)))
        }
        (&Method::GET, ["list"]) => {
            let children = driver.list(call.param("path")?).await.map_err(fail)?;
            Ok(json_answer(StatusCode::OK, &json!(children)))
        }
        (&Method::POST, ["move"]) => {
            let (from, to) = (call.param("from")?, call.param("to")?);
            driver.move_path(from, to).await.map_err(fail)?;
            Ok(no_content())
        }
        (&Method::DELETE, ["files"]) => {
            driver.delete(call.param("path")?).await.map_err(fail)?;
            Ok(no_content())
        }
        (&Method::POST, ["delete-files"]) => {
            let paths: Vec<String> = serde_json::from_slice(&read_all(body).await?)
                .map_err(|e| bad_request(format!("the body is not a JSON list of paths: {e}")))?;
            let deleted = driver.delete_files(&paths).await.map_err(fail)?;
            Ok(json_answer(StatusCode::OK, &json!({ "deleted": deleted })))
        }
        (&Method::GET, ["url"]) => {
            let method = call.query.get("method").map_or("GET", String::as_str);
            let expiry = match call.query.get("expiry") {
                Some(_) => Some(Duration::from_secs(call.number("expiry", 0u64)?)),
                None => None,
            };
            let url = driver
                .url_for(call.param("path")?, method, expiry)
                .await
                .map_err(fail)?;
            Ok(json_answer(StatusCode::OK, &json!({ "url": url })))
        }
        (&Method::GET, ["redirect-url"]) => {
            let method = call.query.get("method").map_or("GET", String::as_str);
            let url = driver
                .redirect_url(method, call.param("path")?)
                .await
                .map_err(fail)?;
            Ok(json_answer(StatusCode::OK, &json!({ "url": url })))
        }
        (_, ["writers", ..]) => writers(sessions, call, method, &rest[1..], body).await,
        (_, ["walkers", ..]) => walkers(sessions, call, method, &rest[1..]).await,
        _ => Err(refuse(
            StatusCode::NOT_FOUND,
            "bad-request",
            format!("no operation {method} {}", rest.join("/")),
        )),
    }
}

fn bad_request(message: String) -> Refused {
    refuse(StatusCode::BAD_REQUEST, "bad-request", message)
}

fn unknown_session(what: &str, id: &str) -> Refused {
    refuse(
        StatusCode::NOT_FOUND,
        "unknown-session",
        format!("no {what} {id} (ended, idle too long, or of an earlier server)"),
    )
}

fn session_id(what: &str, text: &str) -> Result<u64, Refused> {
    text.parse().map_err(|_| unknown_session(what, text))
}

async fn read_all(body: Incoming) -> Result<Vec<u8>, Refused> {
    let collected = body
        .collect()
        .await
        .map_err(|e| bad_request(format!("the request body broke off: {e}")))?;
    Ok(collected.to_bytes().to_vec())
}

/// `writers`: open (`POST`), then `data`, `size`, `close`, `commit`, `cancel` of one.
async fn writers(
    sessions: &Sessions,
    call: &Call<'_>,
    method: &Method,
    rest: &[&str],
    body: Incoming,
) -> Answer {
    if let (&Method::POST, []) = (method, rest) {
        let mut writer = call
            .driver
            .writer(call.param("path")?, call.flag("append"))
            .await
            .map_err(fail)?;
        let size = writer.size().await.map_err(fail)?;
        let id = sessions.add_writer(call.tenant, writer);
        return Ok(json_answer(
            StatusCode::CREATED,
            &json!({ "id": id.to_string(), "size": size }),
        ));
    }
    let [id, action] = rest else {
        return Err(bad_request(format!(
            "no writer operation {}",
            rest.join("/")
        )));
    };
    let number = session_id("writer", id)?;
    let session = sessions
        .writer(call.tenant, number)
        .ok_or_else(|| unknown_session("writer", id))?;
    match (method, *action) {
        (&Method::POST, "data") => {
            let writer = session.try_lock_owned().map_err(|_| {
                refuse(
                    StatusCode::CONFLICT,
                    "busy",
                    format!("writer {id} is receiving data already"),
                )
            })?;
            // The copy runs on its own task: a client that goes away mid-body ends the
            // body, not the copy, so what arrived is handed to the driver and the upload
            // stays resumable with exactly those bytes.
            let copied = tokio::spawn(copy_into(writer, body));
            let size = copied.await.map_err(|e| {
                refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "component",
                    e.to_string(),
                )
            })??;
            Ok(json_answer(StatusCode::OK, &json!({ "size": size })))
        }
        (&Method::GET, "size") => {
            let size = session.lock().await.size().await.map_err(fail)?;
            Ok(json_answer(StatusCode::OK, &json!({ "size": size })))
        }
        (&Method::POST, "commit") => {
            session.lock().await.commit().await.map_err(fail)?;
            Ok(no_content())
        }
        (&Method::POST, "cancel") => {
            session.lock().await.cancel().await.map_err(fail)?;
            Ok(no_content())
        }
        (&Method::POST, "close") => {
            let outcome = session.lock().await.close().await;
            sessions.remove_writer(call.tenant, number);
            outcome.map_err(fail)?;
            Ok(no_content())
        }
        _ => Err(bad_request(format!(
            "no writer operation {method} {action}"
        ))),
    }
}

/// Hands the body's bytes to `writer`; its size afterwards. A body that breaks off still
/// hands over what arrived.
async fn copy_into(
    mut writer: tokio::sync::OwnedMutexGuard<s3drv_host::Writer>,
    mut body: Incoming,
) -> Result<u64, Refused> {
    let io_failed = |e: std::io::Error| match e.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
        Some(driver) => Box::new(driver_error(driver)),
        None => refuse(StatusCode::INTERNAL_SERVER_ERROR, "io", e.to_string()),
    };
    loop {
        match body.frame().await {
            None => break,
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    writer.write_all(&data).await.map_err(io_failed)?;
                }
            }
            Some(Err(e)) => {
                writer.flush().await.map_err(io_failed)?;
                return Err(bad_request(format!("the data broke off: {e}")));
            }
        }
    }
    writer.flush().await.map_err(io_failed)?;
    writer.size().await.map_err(fail)
}

/// `walkers`: open (`POST`), then `next`, `skip` and `DELETE` (stop) of one.
async fn walkers(sessions: &Sessions, call: &Call<'_>, method: &Method, rest: &[&str]) -> Answer {
    if let (&Method::POST, []) = (method, rest) {
        let path = call.param("path")?;
        let walker = match call.flag("parallel") {
            true => call.driver.walk_parallel(path).await,
            false => {
                let start_after = call.query.get("start_after").map(String::as_str);
                call.driver.walk(path, start_after).await
            }
        }
        .map_err(fail)?;
        let id = sessions.add_walker(call.tenant, walker);
        return Ok(json_answer(
            StatusCode::CREATED,
            &json!({ "id": id.to_string() }),
        ));
    }
    let (id, action) = match rest {
        [id] => (*id, ""),
        [id, action] => (*id, *action),
        _ => {
            return Err(bad_request(format!(
                "no walker operation {}",
                rest.join("/")
            )));
        }
    };
    let number = session_id("walker", id)?;
    if method == Method::DELETE && action.is_empty() {
        sessions.remove_walker(call.tenant, number);
        return Ok(no_content());
    }
    let session = sessions
        .walker(call.tenant, number)
        .ok_or_else(|| unknown_session("walker", id))?;
    match (method, action) {
        (&Method::GET, "next") => {
            let most = call.number("max", MOST_ENTRIES)?.clamp(1, MOST_ENTRIES);
            let mut walker = session.lock().await;
            let mut entries = Vec::new();
            // A batch ends with its first directory, so that `skip` names that directory.
            while entries.len() < most {
                match walker.next().await {
                    Ok(Some(entry)) => {
                        let is_dir = entry.is_dir;
                        entries.push(file_info(&entry));
                        if is_dir {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        drop(walker);
                        sessions.remove_walker(call.tenant, number);
                        return Err(fail(e));
                    }
                }
            }
            if entries.is_empty() {
                drop(walker);
                sessions.remove_walker(call.tenant, number);
            }
            Ok(json_answer(StatusCode::OK, &json!(entries)))
        }
        (&Method::POST, "skip") => {
            session.lock().await.skip_directory().await.map_err(fail)?;
            Ok(no_content())
        }
        _ => Err(bad_request(format!(
            "no walker operation {method} {action}"
        ))),
    }
}
