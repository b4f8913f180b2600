//! The native floor: the guest's own S3 logic (`s3drv-guest`, the same code the component
//! runs) compiled natively over a blocking keep-alive HTTP client (ureq). What s3drv costs
//! beyond this is the cost of the sandbox.
//!
//! `S3Client` is not `Send` (its credential environment is a plain trait object), so each
//! worker thread owns one client and runs the jobs sent to it.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use bytes::{Buf, Bytes};
use s3drv_guest::config::Config;
use s3drv_guest::error::BackendError;
use s3drv_guest::http::{Body, HttpRequest, HttpResponse, Method, Transport};
use s3drv_guest::s3::S3Client;

/// A blocking transport over one ureq agent (a keep-alive pool).
pub struct NativeTransport {
    agent: ureq::Agent,
}

impl NativeTransport {
    fn new() -> NativeTransport {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_idle_connections_per_host(64)
            .build()
            .into();
        NativeTransport { agent }
    }
}

/// An answer body being read.
pub struct NativeBody(ureq::BodyReader<'static>);

impl Body for NativeBody {
    fn read(&mut self, max: usize) -> Result<Vec<u8>, BackendError> {
        let mut buffer = vec![0; max];
        let n = self
            .0
            .read(&mut buffer)
            .map_err(|e| transport_error(&e.to_string()))?;
        buffer.truncate(n);
        Ok(buffer)
    }
}

/// A request body read piece by piece: ureq copies it into its own buffer, as it would a
/// vector, without the pieces being copied together first.
struct PiecesReader(VecDeque<Bytes>);

impl Read for PiecesReader {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let Some(piece) = self.0.front_mut() else {
            return Ok(0);
        };
        let n = piece.len().min(buffer.len());
        buffer[..n].copy_from_slice(&piece[..n]);
        piece.advance(n);
        if piece.is_empty() {
            self.0.pop_front();
        }
        Ok(n)
    }
}

fn transport_error(message: &str) -> BackendError {
    BackendError {
        code: "ConnectionTerminated".into(),
        message: message.to_string(),
        status: None,
        request_id: None,
        retryable: true,
    }
}

impl NativeTransport {
    /// Sends `request` and waits for the answer's head.
    fn exchange(&self, request: HttpRequest) -> Result<HttpResponse<NativeBody>, BackendError> {
        let scheme = if request.secure { "https" } else { "http" };
        let url = format!("{scheme}://{}{}", request.authority, request.path_and_query);
        let mut builder = ureq::http::Request::builder()
            .method(request.method.as_str())
            .uri(url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let body =
            if request.body.is_empty() && !matches!(request.method, Method::Put | Method::Post) {
                ureq::SendBody::none()
            } else {
                builder = builder.header("content-length", request.body.len());
                ureq::SendBody::from_owned_reader(PiecesReader(request.body.into_pieces().into()))
            };
        let built = builder
            .body(body)
            .map_err(|e| transport_error(&e.to_string()))?;
        let response = self
            .agent
            .run(built)
            .map_err(|e| transport_error(&e.to_string()))?;
        let (parts, body) = response.into_parts();
        let headers = parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    v.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        Ok(HttpResponse {
            status: parts.status.as_u16(),
            headers,
            body: NativeBody(body.into_with_config().limit(u64::MAX).reader()),
        })
    }
}

/// A request started by [`NativeTransport`]: large bodies are sent by a thread of their own,
/// as the host sends the component's requests while the guest goes on; small requests are
/// answered at once.
pub enum NativeInFlight {
    /// A small request, answered while it was started.
    Answered(Result<HttpResponse<NativeBody>, BackendError>),
    /// A large body being sent by its own thread.
    Sending(std::thread::JoinHandle<Result<HttpResponse<NativeBody>, BackendError>>),
}

/// Bodies from this size on are sent by a thread while the caller goes on.
const BACKGROUND_BODY: usize = 1 << 20;

impl Transport for NativeTransport {
    type Body = NativeBody;
    type InFlight = NativeInFlight;

    fn start(&self, request: HttpRequest) -> Result<NativeInFlight, BackendError> {
        if request.body.len() < BACKGROUND_BODY {
            return Ok(NativeInFlight::Answered(self.exchange(request)));
        }
        let transport = NativeTransport {
            agent: self.agent.clone(),
        };
        Ok(NativeInFlight::Sending(std::thread::spawn(move || {
            transport.exchange(request)
        })))
    }

    fn finish(&self, in_flight: NativeInFlight) -> Result<HttpResponse<NativeBody>, BackendError> {
        match in_flight {
            NativeInFlight::Answered(answer) => answer,
            NativeInFlight::Sending(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(transport_error("the sending thread panicked"))),
        }
    }
    fn send_all(
        &self,
        requests: Vec<HttpRequest>,
        in_flight: usize,
        body_limit: usize,
    ) -> Vec<Result<HttpResponse<Vec<u8>>, BackendError>> {
        let queue = Mutex::new(requests.into_iter().enumerate().collect::<Vec<_>>());
        let results = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..in_flight.max(1) {
                scope.spawn(|| {
                    while let Some((index, request)) = queue.lock().unwrap().pop() {
                        let answer = self.send(request).and_then(|mut response| {
                            let body = response.body.read_to_end(body_limit)?;
                            Ok(HttpResponse {
                                status: response.status,
                                headers: response.headers,
                                body,
                            })
                        });
                        results.lock().unwrap().push((index, answer));
                    }
                });
            }
        });
        let mut results = results.into_inner().unwrap();
        results.sort_by_key(|(index, _)| *index);
        results.into_iter().map(|(_, answer)| answer).collect()
    }
}

/// The S3 client one worker owns.
pub type NativeS3 = S3Client<NativeTransport>;

type Job = Box<dyn FnOnce(&NativeS3) + Send>;

/// Worker threads, each with its own client, taking jobs from one queue.
#[derive(Clone)]
pub struct NativeFloor {
    jobs: mpsc::Sender<Job>,
}

impl NativeFloor {
    /// `workers` threads with clients configured from `params`.
    pub fn start(params: &[(String, String)], workers: usize) -> Result<NativeFloor> {
        Config::from_params(params).map_err(|e| anyhow::anyhow!("{e}"))?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..workers {
            let (params, queue) = (params.to_vec(), queue.clone());
            std::thread::spawn(move || {
                let config = Config::from_params(&params).expect("checked above");
                let s3 = S3Client::new(config, NativeTransport::new());
                loop {
                    let job = queue.lock().unwrap().recv();
                    match job {
                        Ok(job) => job(&s3),
                        Err(_) => return,
                    }
                }
            });
        }
        Ok(NativeFloor { jobs })
    }

    /// Runs `job` on a worker's client and returns its result.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&NativeS3) -> T + Send + 'static,
    ) -> Result<T> {
        let (answer, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |s3| {
                let _ = answer.send(job(s3));
            }))
            .ok()
            .context("the native workers are gone")?;
        result.await.context("a native worker panicked")
    }
}
