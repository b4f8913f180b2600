//! Test doubles every unit test uses: a [`Script`]ed transport that answers requests in
//! order and records them, an [`S3Client`] over it, and an environment given as a map.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Cursor;
use std::time::Duration;

use crate::config::Config;
use crate::credentials::Environment;
use crate::error::BackendError;
use crate::http::{Body, HttpRequest, HttpResponse, Transport};
use crate::s3::S3Client;

/// An environment given as a map; files are entries whose name starts with `/`.
#[derive(Default)]
pub struct MapEnvironment(pub HashMap<String, String>);

impl Environment for MapEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
    fn read_file(&self, path: &str) -> std::io::Result<String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
}

/// One scripted answer: status, headers and body.
pub type Answer<'a> = (u16, &'a [(&'a str, &'a str)], &'a str);

/// An answer as the script keeps it.
type Kept = (u16, Vec<(String, String)>, String);

/// Answers requests in order from a script and records them.
pub struct Script {
    pub answers: RefCell<Vec<Kept>>,
    pub seen: RefCell<Vec<HttpRequest>>,
    /// Every wait the driver asked for, in order.
    pub slept: RefCell<Vec<Duration>>,
}

impl Script {
    pub fn new(answers: &[(u16, &str)]) -> Self {
        Script::with_headers(
            &answers
                .iter()
                .map(|(s, b)| (*s, &[][..], *b))
                .collect::<Vec<_>>(),
        )
    }

    pub fn with_headers(answers: &[Answer<'_>]) -> Self {
        let answers = answers
            .iter()
            .map(|(status, headers, body)| {
                let headers = headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                (*status, headers, body.to_string())
            })
            .collect();
        Script {
            answers: RefCell::new(answers),
            seen: RefCell::new(Vec::new()),
            slept: RefCell::new(Vec::new()),
        }
    }
}

/// An S3 client configured by `params` whose requests are answered from `answers`
/// (status, headers, body), in order.
pub fn scripted_client(params: &[(&str, &str)], answers: &[Answer<'_>]) -> S3Client<Script> {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    S3Client::new(
        Config::from_params(&params).unwrap(),
        Script::with_headers(answers),
    )
}

/// A client of bucket `b` in us-east-1 with static keys, `extra` parameters added, that is
/// answered nothing (for tests of what it would send).
pub fn client_with(extra: &[(&str, &str)]) -> S3Client<Script> {
    let mut params = vec![
        ("bucket", "b"),
        ("region", "us-east-1"),
        ("accesskey", "AK"),
        ("secretkey", "SK"),
    ];
    params.extend_from_slice(extra);
    scripted_client(&params, &[])
}

impl Transport for Script {
    type Body = Cursor<Vec<u8>>;
    type InFlight = HttpResponse<Self::Body>;
    fn start(&self, request: HttpRequest) -> Result<Self::InFlight, BackendError> {
        self.seen.borrow_mut().push(request);
        let (status, headers, body) = self.answers.borrow_mut().remove(0);
        Ok(HttpResponse {
            status,
            headers,
            body: Cursor::new(body.into_bytes()),
        })
    }
    fn sleep(&self, duration: Duration) {
        self.slept.borrow_mut().push(duration);
    }
    fn finish(&self, answer: Self::InFlight) -> Result<HttpResponse<Self::Body>, BackendError> {
        Ok(answer)
    }
    /// One after another, answered in order.
    fn send_all(
        &self,
        requests: Vec<HttpRequest>,
        _: usize,
        body_limit: usize,
    ) -> Vec<Result<HttpResponse<Vec<u8>>, BackendError>> {
        requests
            .into_iter()
            .map(|request| {
                let mut answer = self.start(request)?;
                Ok(HttpResponse {
                    body: Body::read_to_end(&mut answer.body, body_limit)?,
                    status: answer.status,
                    headers: answer.headers,
                })
            })
            .collect()
    }
}

/// A scripted client of bucket `b` at `http://s3:9000` with static keys.
pub fn static_key_client(answers: &[Answer<'_>]) -> S3Client<Script> {
    let params = [
        ("bucket", "b"),
        ("regionendpoint", "http://s3:9000"),
        ("accesskey", "AK"),
        ("secretkey", "SK"),
    ];
    scripted_client(&params, answers)
}
