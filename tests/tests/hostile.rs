//! Broken and hostile servers: each answer gives a typed error (never a trap of the component
//! or a hang) with bounded memory. The server is a loopback socket answering every request
//! with one canned reply, then closing the connection.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use s3drv_host::{Error, Limits, Runtime, Tenant};

/// How the server answers.
#[derive(Clone)]
enum Reply {
    /// These bytes, then close.
    Raw(String),
    /// A 200 with a chunked body of zeros that never ends.
    Endless,
    /// Nothing at all: the connection stays open and silent.
    Silent,
    /// A head announcing 100 MB and a few bytes, then silence.
    Stalled,
}

/// Starts a server answering every request with `reply`; returns its URL.
fn serve(reply: Reply) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let reply = reply.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if stream.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                match reply {
                    Reply::Raw(text) => {
                        let _ = stream.write_all(text.as_bytes());
                    }
                    Reply::Silent => std::thread::sleep(Duration::from_secs(600)),
                    Reply::Stalled => {
                        let _ = stream.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\nfirst bytes",
                        );
                        std::thread::sleep(Duration::from_secs(600));
                    }
                    Reply::Endless => {
                        let _ = stream
                            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                        let chunk = [0u8; 65536];
                        loop {
                            let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
                            frame.extend_from_slice(&chunk);
                            frame.extend_from_slice(b"\r\n");
                            if stream.write_all(&frame).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    url
}

fn component() -> PathBuf {
    std::env::var_os("S3DRV_COMPONENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/s3drv.wasm")
        })
}

/// The error of `operation` on a driver of a server answering `reply`, within 30 s.
async fn error_of(reply: Reply, operation: &str) -> Error {
    let limits = Limits {
        memory: 64 << 20,
        ..Limits::default()
    };
    error_with(reply, operation, limits).await
}

/// The error of `operation` for a tenant with `limits` on a server answering `reply`.
async fn error_with(reply: Reply, operation: &str, limits: Limits) -> Error {
    let tenant = Tenant {
        limits,
        ..Tenant::new("hostile")
    };
    let keys = [("accesskey", "AK"), ("secretkey", "SK")];
    error_for(&tenant, &serve(reply), &keys, operation).await
}

/// The error of `operation` for `tenant` with endpoint `url` and `extra` parameters.
async fn error_for(tenant: &Tenant, url: &str, extra: &[(&str, &str)], operation: &str) -> Error {
    let runtime = Runtime::load(&component()).expect("run `make build` first");
    let mut params = vec![
        ("regionendpoint".to_string(), url.to_string()),
        ("bucket".into(), "bucket".into()),
        ("maxretries".into(), "0".into()),
    ];
    params.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let driver = runtime.open_for(tenant, params).await.unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(30), async {
        match operation {
            "list" => driver.list("/dir").await.map(|_| ()),
            "get" => driver.get_content("/file").await.map(|_| ()),
            "stat" => driver.stat("/file").await.map(|_| ()),
            _ => unreachable!(),
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{operation} hung"));
    let error = outcome.expect_err("a broken answer was accepted");
    assert!(
        !matches!(error, Error::Component(_)),
        "{operation}: the component trapped: {error}"
    );
    error
}

fn backend_code(error: &Error) -> &str {
    match error {
        Error::Backend(e) => &e.code,
        other => panic!("expected a backend error, got {other}"),
    }
}

#[tokio::test]
async fn garbage_and_truncated_xml() {
    let garbage = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\n<<<>>>&&&";
    assert_eq!(
        backend_code(&error_of(Reply::Raw(garbage.into()), "list").await),
        "MalformedResponse"
    );
    let truncated = "HTTP/1.1 200 OK\r\nContent-Length: 40\r\nConnection: close\r\n\r\n<ListBucketResult><IsTruncated>tr";
    let error = error_of(Reply::Raw(truncated.into()), "list").await;
    assert!(matches!(error, Error::Backend(_)), "{error}");
}

#[tokio::test]
async fn a_200_carrying_an_s3_error() {
    let reply = "HTTP/1.1 200 OK\r\nContent-Length: 93\r\nConnection: close\r\n\r\n<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>";
    assert_eq!(
        backend_code(&error_of(Reply::Raw(reply.into()), "list").await),
        "InternalError"
    );
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length() {
    let reply = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\nonly this";
    let error = error_of(Reply::Raw(reply.into()), "get").await;
    assert!(matches!(error, Error::Backend(_)), "{error}");
}

#[tokio::test]
async fn an_endless_body_is_a_limit_not_a_trap() {
    let error = error_of(Reply::Endless, "get").await;
    assert!(matches!(error, Error::LimitExceeded(_)), "{error}");
}

#[tokio::test]
async fn huge_headers() {
    let header = format!("X-Junk: {}\r\n", "j".repeat(1 << 20));
    let reply =
        format!("HTTP/1.1 200 OK\r\n{header}Content-Length: 0\r\nConnection: close\r\n\r\n");
    let error = error_of(Reply::Raw(reply), "stat").await;
    assert!(matches!(error, Error::Backend(_)), "{error}");
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let reply = "HTTP/1.1 301 Moved Permanently\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let error = error_of(Reply::Raw(reply.into()), "list").await;
    match &error {
        Error::Backend(e) => assert_eq!(e.status, Some(301), "{error}"),
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_silent_server_times_out_at_the_first_byte_timeout() {
    let limits = Limits {
        first_byte_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let started = std::time::Instant::now();
    let error = error_with(Reply::Silent, "stat", limits).await;
    assert_eq!(backend_code(&error), "ConnectionReadTimeout", "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_body_that_stalls_ends_at_the_between_bytes_timeout() {
    let limits = Limits {
        between_bytes_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let started = std::time::Instant::now();
    let error = error_with(Reply::Stalled, "get", limits).await;
    assert!(error.to_string().contains("read timeout"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

/// Loopback, private and link-local addresses are refused, promptly and by name, unless the
/// driver's storage endpoint is in that range: here through the container credential URL,
/// which the configuration (the granted environment) names.
#[tokio::test]
async fn private_addresses_only_where_the_endpoint_is() {
    let credentials_server = serve(Reply::Raw(
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
    ));
    let loopback_name = credentials_server.replace("127.0.0.1", "localhost");
    for (endpoint, credentials_url) in [
        // A public endpoint: a name resolving to loopback is refused.
        ("http://192.0.2.1:9000", format!("{loopback_name}/creds")),
        // A loopback endpoint: a private or link-local address is refused, without waiting
        // for a connection that would never come.
        (
            credentials_server.as_str(),
            "http://10.255.255.1/creds".to_string(),
        ),
        (
            credentials_server.as_str(),
            "http://169.254.170.23/creds".to_string(),
        ),
    ] {
        let tenant = Tenant::new("addresses").with_var(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            credentials_url.as_str(),
        );
        let started = std::time::Instant::now();
        let error = error_for(&tenant, endpoint, &[], "stat").await;
        let text = error.to_string();
        assert!(
            text.contains("DestinationIpProhibited") || text.contains("not let this driver reach"),
            "{endpoint} / {credentials_url}: {text}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
    }
    // The endpoint's own range is allowed: the same loopback name works for a loopback
    // endpoint (the credential server answers 404, a different error).
    let tenant = Tenant::new("addresses").with_var(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        format!("{loopback_name}/creds"),
    );
    let text = error_for(&tenant, &credentials_server, &[], "stat")
        .await
        .to_string();
    assert!(!text.contains("DestinationIpProhibited"), "{text}");
}
