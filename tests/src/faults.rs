//! A fault-injection proxy: a loopback HTTP proxy between the host and an S3 server that,
//! from a seeded schedule, answers 503 SlowDown or 500 InternalError, resets connections
//! before and after the answer's head, cuts bodies short and delays answers.
//!
//! The request is forwarded unchanged (its `Host` header included, so the signature the
//! driver made for the proxy's address still verifies). Faults that come after forwarding
//! model lost answers: the server did the work, the client never heard.
//!
//! ```no_run
//! # async fn example() {
//! use s3drv_tests::faults::{FaultPlan, FaultProxy};
//! let proxy = FaultProxy::start("http://127.0.0.1:3900", FaultPlan::mixed(20, 7)).await.unwrap();
//! // Point the driver's `regionendpoint` at `proxy.url()`; later:
//! println!("{}", proxy.counts());
//! # }
//! ```

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// 503 SlowDown; the request is not forwarded.
    SlowDown,
    /// 500 InternalError; the request is not forwarded.
    InternalError,
    /// The request is forwarded and processed, then answered with 500 InternalError.
    InternalErrorAfterProcessing,
    /// The request is processed; the connection is closed before the answer's head.
    ResetBeforeHead,
    /// The answer's head is sent, then the connection is closed before any body byte.
    ResetAfterHead,
    /// The head and half of the body are sent, then the connection is closed.
    TruncatedBody,
    /// The answer comes 50-400 ms late.
    Delay,
}

impl Fault {
    /// Every kind.
    pub const ALL: [Fault; 7] = [
        Fault::SlowDown,
        Fault::InternalError,
        Fault::InternalErrorAfterProcessing,
        Fault::ResetBeforeHead,
        Fault::ResetAfterHead,
        Fault::TruncatedBody,
        Fault::Delay,
    ];
}

/// Which requests get which faults.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    /// Percentage of the matching requests that get a fault.
    pub percent: u32,
    /// The kinds drawn from, uniformly.
    pub kinds: Vec<Fault>,
    /// Only requests with this method (`None`: all).
    pub method: Option<http::Method>,
    /// At most this many faults, then none (`None`: no limit).
    pub budget: Option<u64>,
    /// Seed of the schedule.
    pub seed: u64,
    /// Answer SlowDown to requests beyond this many per second, as S3 does per prefix.
    pub rate_limit: Option<u32>,
}

impl FaultPlan {
    /// `percent` of all requests faulted with every kind, from `seed`.
    pub fn mixed(percent: u32, seed: u64) -> FaultPlan {
        FaultPlan {
            percent,
            kinds: Fault::ALL.to_vec(),
            method: None,
            budget: None,
            seed,
            rate_limit: None,
        }
    }

    /// No faults.
    pub fn none() -> FaultPlan {
        FaultPlan::mixed(0, 0)
    }

    /// SlowDown for requests beyond `per_second`, no other fault.
    pub fn rate_limited(per_second: u32) -> FaultPlan {
        FaultPlan {
            rate_limit: Some(per_second),
            ..FaultPlan::none()
        }
    }
}

/// What the proxy did: requests seen and faults injected by kind.
#[derive(Debug, Clone, Default)]
pub struct FaultCounts {
    /// Requests received.
    pub requests: u64,
    /// Faults injected, by kind.
    pub faults: BTreeMap<Fault, u64>,
}

impl FaultCounts {
    /// All faults injected.
    pub fn total(&self) -> u64 {
        self.faults.values().sum()
    }
}

impl fmt::Display for FaultCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} requests, {} faults (", self.requests, self.total())?;
        let kinds: Vec<String> = self
            .faults
            .iter()
            .map(|(k, n)| format!("{k:?} {n}"))
            .collect();
        write!(f, "{})", kinds.join(", "))
    }
}

struct Schedule {
    plan: FaultPlan,
    rng: StdRng,
    counts: FaultCounts,
    /// Start of the current second of the rate limit and the requests accepted in it.
    window: (std::time::Instant, u32),
}

impl Schedule {
    /// The fault for the next request, if any.
    fn next(&mut self, method: &http::Method) -> Option<Fault> {
        self.counts.requests += 1;
        if let Some(limit) = self.plan.rate_limit {
            let now = std::time::Instant::now();
            if now.duration_since(self.window.0) >= Duration::from_secs(1) {
                self.window = (now, 0);
            }
            if self.window.1 >= limit {
                *self.counts.faults.entry(Fault::SlowDown).or_default() += 1;
                return Some(Fault::SlowDown);
            }
            self.window.1 += 1;
        }
        let plan = &self.plan;
        if plan.method.as_ref().is_some_and(|m| m != method)
            || plan.budget.is_some_and(|b| self.counts.total() >= b)
            || plan.kinds.is_empty()
            || self.rng.random_range(0..100) >= plan.percent
        {
            return None;
        }
        let fault = plan.kinds[self.rng.random_range(0..plan.kinds.len())];
        *self.counts.faults.entry(fault).or_default() += 1;
        Some(fault)
    }
}

type ProxyBody = BoxBody<Bytes, std::io::Error>;

/// A running fault-injection proxy; stops when dropped.
pub struct FaultProxy {
    url: String,
    schedule: Arc<Mutex<Schedule>>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream` (`http://host:port`).
    pub async fn start(upstream: &str, plan: FaultPlan) -> Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let upstream: Arc<str> = upstream.trim_end_matches('/').into();
        anyhow::ensure!(
            upstream.starts_with("http://"),
            "the fault proxy forwards plain HTTP only, not {upstream}"
        );
        let schedule = Arc::new(Mutex::new(Schedule {
            rng: StdRng::seed_from_u64(plan.seed),
            plan,
            counts: FaultCounts::default(),
            window: (std::time::Instant::now(), 0),
        }));
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let shared = schedule.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (client, schedule, upstream) =
                    (client.clone(), shared.clone(), upstream.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        forward(request, client.clone(), schedule.clone(), upstream.clone())
                    });
                    // A fault ends the connection with an error: that is the point.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(FaultProxy {
            url,
            schedule,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Replaces the plan (the counts go on).
    pub fn set_plan(&self, plan: FaultPlan) {
        let mut schedule = self.schedule.lock().unwrap();
        schedule.rng = StdRng::seed_from_u64(plan.seed);
        schedule.plan = plan;
    }

    /// What the proxy did so far.
    pub fn counts(&self) -> FaultCounts {
        self.schedule.lock().unwrap().counts.clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn s3_error(status: u16, code: &str) -> http::Response<ProxyBody> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
         <Message>injected by the fault proxy</Message></Error>"
    );
    http::Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .header("content-length", body.len())
        .body(Full::new(Bytes::from(body)).map_err(|e| match e {}).boxed())
        .expect("a valid response")
}

/// A body that sends its bytes, then fails: hyper then closes the connection mid-body.
struct CutBody(Option<Bytes>);

impl hyper::body::Body for CutBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        std::task::Poll::Ready(Some(match self.0.take() {
            Some(bytes) if !bytes.is_empty() => Ok(Frame::data(bytes)),
            _ => Err(std::io::Error::other("cut short by the fault proxy")),
        }))
    }
}

fn cut_body(bytes: Bytes) -> ProxyBody {
    CutBody(Some(bytes)).boxed()
}

async fn forward(
    request: http::Request<Incoming>,
    client: Client<HttpConnector, Full<Bytes>>,
    schedule: Arc<Mutex<Schedule>>,
    upstream: Arc<str>,
) -> Result<http::Response<ProxyBody>> {
    let fault = schedule.lock().unwrap().next(request.method());
    match fault {
        Some(Fault::SlowDown) => return Ok(s3_error(503, "SlowDown")),
        Some(Fault::InternalError) => return Ok(s3_error(500, "InternalError")),
        Some(Fault::Delay) => {
            let millis = rand::rng().random_range(50..400);
            tokio::time::sleep(Duration::from_millis(millis)).await;
        }
        _ => {}
    }
    let (mut parts, body) = request.into_parts();
    let body = body.collect().await.context("request body")?.to_bytes();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = format!("{upstream}{path}").parse()?;
    let response = client
        .request(http::Request::from_parts(parts, Full::new(body)))
        .await
        .context("upstream")?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.context("upstream body")?.to_bytes();
    let response = |body: ProxyBody| http::Response::from_parts(parts, body);
    Ok(match fault {
        Some(Fault::InternalErrorAfterProcessing) => s3_error(500, "InternalError"),
        Some(Fault::ResetBeforeHead) => anyhow::bail!("connection reset by the fault proxy"),
        Some(Fault::ResetAfterHead) => response(cut_body(Bytes::new())),
        Some(Fault::TruncatedBody) => response(cut_body(body.slice(..body.len() / 2))),
        _ => response(Full::new(body).map_err(|e: Infallible| match e {}).boxed()),
    })
}
