//! A hostile driver component (`make hostile`, `wasm32-wasip2`): it implements the s3drv world
//! like the real driver, but each `behaviour` parameter makes it attack the host the way a
//! malicious plugin would. `tests/tests/hostile_component.rs` loads it beside honest tenants
//! and checks that every attack is refused or contained.
//!
//! Behaviours (the `behaviour` parameter; `forbidden` names an origin it was not given):
//! - `greedy`: reports the `forbidden` origin besides the endpoint, and insecure TLS;
//! - `insecure`: reports its endpoint honestly but asks to skip TLS verification;
//! - `sneaky`: reports its endpoint honestly; `stat` sends a GET to `forbidden`;
//! - `spin`: `stat` never returns; `checksum-spin`: `stat` has the host checksum 32 MiB
//!   over and over; `hog`: `stat` allocates 1 GiB;
//! - `snoop`: `stat` reads an environment variable and a file it was not granted and
//!   reports what it found in its error;
//! - `flood-log`: `stat` logs one 1 MiB message and 100,000 more;
//! - `resume-forever`: a reader hands over bodies that break off at once (a GET of `/cut` from
//!   its endpoint), and one more each time the host asks it to resume;
//! - `huge-list`: `list` returns a million entries; `huge-walk`: a walker's batches hold ten
//!   times what the host asks for;
//! - `flood-requests`: `stat` sends 700 GETs to its own endpoint as fast as it can;
//!   `flood-at-once`: `stat` hands 200 GETs to the host before it waits for any answer;
//! - `panic`: every driver operation panics; `panic-open`, `panic-policy`: `open` or
//!   `transport-policy` panics; `panic-resources`: the reader's `body` and `resume`, every writer
//!   method, and the walker's `next-batch` (walking `/panic-next`), `skip-directory` and drop
//!   panic.
//!
//! Anything else answers `unsupported-method`.
#![cfg(target_arch = "wasm32")]

mod bindings {
    wit_bindgen::generate!({
        world: "s3-driver",
        path: "../../wit",
        with: {
            "wasi:io/error@0.2.12": wasip2::io::error,
            "wasi:io/poll@0.2.12": wasip2::io::poll,
            "wasi:io/streams@0.2.12": wasip2::io::streams,
        },
        pub_export_macro: true,
    });
}

use std::cell::{Cell, RefCell};

use wasip2::http::types::IncomingBody;
use wasip2::io::streams::InputStream;

use bindings::exports::s3drv::storage::driver::{
    self as wit, Guest, GuestDriver, GuestReader, GuestWalker, GuestWriter,
};
use bindings::s3drv::storage::types::{BackendError, DriverError, FileInfo, TransportPolicy};

type WitResult<T> = Result<T, DriverError>;

struct Component;

impl Guest for Component {
    type Driver = Hostile;
    type Reader = HostileReader;
    type Writer = PanickingWriter;
    type Walker = HostileWalker;
}

/// The driver resource: its behaviour and parameters.
struct Hostile {
    behaviour: String,
    /// `maxrequestspersecond`, reported as it is (350 when absent).
    rate: u32,
    endpoint: String,
    forbidden: String,
}

fn param(params: &[(String, String)], key: &str) -> String {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// An error carrying what the attack saw, for the test to read.
fn report(message: String) -> DriverError {
    DriverError::Backend(BackendError {
        code: "hostile".into(),
        message,
        status: None,
        request_id: None,
        retryable: false,
    })
}

/// Sends a GET to `origin` (`http://host:port`); what happened.
fn send_get(origin: &str) -> String {
    send_get_to(origin, "/exfiltrate")
}

/// Sends a GET of `path` to `origin`; what happened.
fn send_get_to(origin: &str, path: &str) -> String {
    match start_get(origin, path) {
        Err(refused) => refused,
        Ok(future) => answer_of(future),
    }
}

/// Hands a GET of `path` to `origin` to the host without waiting for its answer.
fn start_get(
    origin: &str,
    path: &str,
) -> Result<wasip2::http::types::FutureIncomingResponse, String> {
    use wasip2::http::outgoing_handler;
    use wasip2::http::types::{Fields, Method, OutgoingRequest, Scheme};
    let request = OutgoingRequest::new(Fields::new());
    let authority = origin.trim_start_matches("http://");
    let _ = request.set_method(&Method::Get);
    let _ = request.set_scheme(Some(&Scheme::Http));
    let _ = request.set_authority(Some(authority));
    let _ = request.set_path_with_query(Some(path));
    outgoing_handler::handle(request, None).map_err(|code| format!("refused at once: {code:?}"))
}

/// Waits for the answer of a request handed to the host; what happened.
fn answer_of(future: wasip2::http::types::FutureIncomingResponse) -> String {
    match response_of(future) {
        Ok(response) => format!("answered {}", response.status()),
        Err(what) => what,
    }
}

/// Waits for the answer of a request handed to the host, or says why there is none.
fn response_of(
    future: wasip2::http::types::FutureIncomingResponse,
) -> Result<wasip2::http::types::IncomingResponse, String> {
    future.subscribe().block();
    match future.get() {
        Some(Ok(Ok(response))) => Ok(response),
        Some(Ok(Err(code))) => Err(format!("refused: {code:?}")),
        other => Err(format!("no answer: {other:?}")),
    }
}

impl Hostile {
    /// With `behaviour: panic`, every driver operation panics.
    fn panic_if_told(&self, operation: &str) {
        if self.behaviour == "panic" {
            panic!("a hostile panic in {operation}");
        }
    }
}

impl GuestDriver for Hostile {
    fn open(params: Vec<(String, String)>) -> WitResult<wit::Driver> {
        if param(&params, "behaviour") == "panic-open" {
            panic!("a hostile panic in open");
        }
        Ok(wit::Driver::new(Hostile {
            behaviour: param(&params, "behaviour"),
            rate: param(&params, "maxrequestspersecond")
                .parse()
                .unwrap_or(350),
            endpoint: param(&params, "regionendpoint"),
            forbidden: param(&params, "forbidden"),
        }))
    }

    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }

    fn transport_policy(&self) -> TransportPolicy {
        if self.behaviour == "panic-policy" {
            panic!("a hostile panic in transport-policy");
        }
        let mut destinations = vec![self.endpoint.clone()];
        if self.behaviour == "greedy" {
            destinations.push(self.forbidden.clone());
        }
        TransportPolicy {
            max_retries: 5,
            max_requests_per_second: self.rate,
            skip_verify: matches!(self.behaviour.as_str(), "greedy" | "insecure"),
            log_retries: false,
            destinations,
        }
    }

    fn name(&self) -> String {
        "s3aws".into()
    }

    fn get_content(&self, _path: String) -> WitResult<Vec<u8>> {
        self.panic_if_told("get-content");
        Err(DriverError::UnsupportedMethod)
    }

    fn put_content(&self, _path: String, _content: Vec<u8>) -> WitResult<()> {
        self.panic_if_told("put-content");
        Err(DriverError::UnsupportedMethod)
    }

    fn reader(&self, _path: String, _offset: i64) -> WitResult<wit::Reader> {
        self.panic_if_told("reader");
        match self.behaviour.as_str() {
            "panic-resources" => Ok(wit::Reader::new(HostileReader::Panicking)),
            "resume-forever" => Ok(wit::Reader::new(HostileReader::ResumingForever {
                endpoint: self.endpoint.clone(),
                bodies: RefCell::new(Vec::new()),
            })),
            _ => Err(DriverError::UnsupportedMethod),
        }
    }

    fn writer(&self, _path: String, _append: bool) -> WitResult<wit::Writer> {
        self.panic_if_told("writer");
        match self.behaviour.as_str() {
            "panic-resources" => Ok(wit::Writer::new(PanickingWriter)),
            _ => Err(DriverError::UnsupportedMethod),
        }
    }

    fn stat(&self, _path: String) -> WitResult<FileInfo> {
        self.panic_if_told("stat");
        match self.behaviour.as_str() {
            "sneaky" => Err(report(send_get(&self.forbidden))),
            "spin" => loop {
                std::hint::black_box(());
            },
            "checksum-spin" => {
                let data = vec![7u8; 32 << 20];
                loop {
                    std::hint::black_box(bindings::s3drv::storage::checksum::crc32(0, &data));
                }
            }
            "hog" => {
                let hoard = std::hint::black_box(vec![1u8; 1 << 30]);
                Err(report(format!("allocated {} bytes", hoard.len())))
            }
            "flood-requests" => {
                let answered = (0..700)
                    .filter(|_| send_get_to(&self.endpoint, "/flood").starts_with("answered"))
                    .count();
                Err(report(format!("{answered} answered")))
            }
            "flood-at-once" => {
                let started: Vec<_> = (0..200)
                    .filter_map(|_| start_get(&self.endpoint, "/at-once").ok())
                    .collect();
                let handed = started.len();
                let answered = started
                    .into_iter()
                    .map(answer_of)
                    .filter(|a| a.starts_with("answered"))
                    .count();
                Err(report(format!("{answered} of {handed} answered")))
            }
            "flood-log" => {
                use bindings::s3drv::storage::log::{Level, emit};
                emit(Level::Error, "stat", &"x".repeat(1 << 20));
                let line = "flood ".repeat(100);
                for _ in 0..100_000 {
                    emit(Level::Error, "stat", &line);
                }
                Err(report("flooded".into()))
            }
            "snoop" => {
                let variable = std::env::var("S3DRV_HOSTILE_SECRET").ok();
                let file = std::fs::read_to_string("/etc/hostname").ok();
                Err(report(format!("variable={variable:?} file={file:?}")))
            }
            _ => Err(DriverError::UnsupportedMethod),
        }
    }

    fn list(&self, _path: String) -> WitResult<Vec<String>> {
        self.panic_if_told("list");
        match self.behaviour.as_str() {
            "huge-list" => Ok((0..1_000_000).map(|i| format!("/x/{i}")).collect()),
            _ => Err(DriverError::UnsupportedMethod),
        }
    }

    fn move_(&self, _source: String, _dest: String) -> WitResult<()> {
        self.panic_if_told("move");
        Err(DriverError::UnsupportedMethod)
    }

    fn delete(&self, _path: String) -> WitResult<()> {
        self.panic_if_told("delete");
        Err(DriverError::UnsupportedMethod)
    }

    fn delete_files(&self, _paths: Vec<String>) -> WitResult<u64> {
        self.panic_if_told("delete-files");
        Err(DriverError::UnsupportedMethod)
    }

    fn url_for(
        &self,
        _path: String,
        _method: String,
        _expiry_seconds: Option<u64>,
    ) -> WitResult<String> {
        self.panic_if_told("url-for");
        Err(DriverError::UnsupportedMethod)
    }

    fn redirect_url(&self, _method: String, _path: String) -> WitResult<Option<String>> {
        self.panic_if_told("redirect-url");
        Err(DriverError::UnsupportedMethod)
    }

    fn walk(&self, path: String, _start_after: Option<String>) -> WitResult<wit::Walker> {
        self.panic_if_told("walk");
        match self.behaviour.as_str() {
            "huge-walk" => Ok(wit::Walker::new(HostileWalker::Flooding)),
            "panic-resources" => Ok(wit::Walker::new(HostileWalker::Panicking {
                panic_in_next_batch: path == "/panic-next",
                batches: Cell::new(0),
            })),
            _ => Err(DriverError::UnsupportedMethod),
        }
    }

    fn walk_parallel(&self, _path: String) -> WitResult<wit::Walker> {
        self.panic_if_told("walk-parallel");
        Err(DriverError::UnsupportedMethod)
    }
}

/// The reader resource: `panic-resources` panics in `body` and `resume`; `resume-forever`
/// hands over the body of a GET of `/cut` from its endpoint (which breaks off at once), and
/// another one each time it is asked to resume.
enum HostileReader {
    Panicking,
    ResumingForever {
        endpoint: String,
        /// The bodies of the streams handed over (a stream's parent must outlive it).
        bodies: RefCell<Vec<IncomingBody>>,
    },
}

impl HostileReader {
    fn hand_over(&self, operation: &str) -> WitResult<Option<InputStream>> {
        match self {
            HostileReader::Panicking => panic!("a hostile panic in {operation}"),
            HostileReader::ResumingForever { endpoint, bodies } => {
                let response = start_get(endpoint, "/cut")
                    .and_then(response_of)
                    .map_err(|what| report(format!("GET /cut: {what}")))?;
                let body = response.consume().map_err(|()| report("no body".into()))?;
                let stream = body.stream().map_err(|()| report("no stream".into()))?;
                bodies.borrow_mut().push(body);
                Ok(Some(stream))
            }
        }
    }
}

impl GuestReader for HostileReader {
    fn body(&self) -> WitResult<Option<InputStream>> {
        self.hand_over("body")
    }

    fn resume(&self, _received: u64, _failure: String) -> WitResult<Option<InputStream>> {
        self.hand_over("resume")
    }
}

/// The writer resource (`panic-resources`): every method panics.
struct PanickingWriter;

impl GuestWriter for PanickingWriter {
    fn write(&self, _data: Vec<u8>) -> WitResult<()> {
        panic!("a hostile panic in write")
    }
    fn size(&self) -> u64 {
        panic!("a hostile panic in size")
    }
    fn close(&self) -> WitResult<()> {
        panic!("a hostile panic in close")
    }
    fn cancel(&self) -> WitResult<()> {
        panic!("a hostile panic in cancel")
    }
    fn commit(&self) -> WitResult<()> {
        panic!("a hostile panic in commit")
    }
}

/// The walker resource. `huge-walk`: batches of ten times what it is asked for, forever.
/// `panic-resources`: one directory, then the end, panicking in `skip-directory`, in its
/// drop, and (walking `/panic-next`) in `next-batch`.
enum HostileWalker {
    Flooding,
    Panicking {
        panic_in_next_batch: bool,
        batches: Cell<u32>,
    },
}

impl GuestWalker for HostileWalker {
    fn next(&self) -> WitResult<Option<FileInfo>> {
        Err(DriverError::UnsupportedMethod)
    }
    fn next_batch(&self, max: u32) -> WitResult<Vec<FileInfo>> {
        let entry = |i: u32, is_dir: bool| FileInfo {
            path: format!("/w/{i}"),
            size: 0,
            modified: None,
            is_dir,
        };
        match self {
            HostileWalker::Flooding => Ok((0..max.saturating_mul(10))
                .map(|i| entry(i, false))
                .collect()),
            HostileWalker::Panicking {
                panic_in_next_batch: true,
                ..
            } => panic!("a hostile panic in next-batch"),
            HostileWalker::Panicking { batches, .. } => {
                batches.set(batches.get() + 1);
                Ok(match batches.get() {
                    1 => vec![entry(0, true)],
                    _ => Vec::new(),
                })
            }
        }
    }
    fn skip_directory(&self) {
        if let HostileWalker::Panicking { .. } = self {
            panic!("a hostile panic in skip-directory")
        }
    }
}

impl Drop for HostileWalker {
    fn drop(&mut self) {
        if let HostileWalker::Panicking { .. } = self {
            panic!("a hostile panic in the walker's drop")
        }
    }
}

bindings::export!(Component with_types_in bindings);
