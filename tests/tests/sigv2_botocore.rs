//! s3drv's Signature Version 2 signer against an independent implementation: botocore's
//! `HmacV1Auth`, run with the Python of the moto virtualenv (`make moto`). A missing Python
//! is a failure, not a skip.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use s3drv_guest::credentials::Credentials;
use s3drv_guest::http::encode_query;
use s3drv_guest::s3::sigv2;

/// The virtualenv's Python: beside `S3DRV_MOTO_SERVER`, else the workspace's `.venv`.
fn python() -> PathBuf {
    match std::env::var_os("S3DRV_MOTO_SERVER") {
        Some(server) => PathBuf::from(server).with_file_name("python"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
    }
}

struct Case {
    method: &'static str,
    path: &'static str,
    query: Vec<(&'static str, String)>,
    headers: Vec<(String, String)>,
    token: Option<&'static str>,
}

fn case(
    method: &'static str,
    path: &'static str,
    query: &[(&'static str, &str)],
    headers: &[(&str, &str)],
    token: Option<&'static str>,
) -> Case {
    Case {
        method,
        path,
        query: query.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        token,
    }
}

#[test]
fn signatures_match_botocore() {
    let cases = [
        case("GET", "/bucket/blobs/sha256/ab/abcdef/data", &[], &[], None),
        case(
            "PUT",
            "/bucket/dir/file%20name",
            &[],
            &[
                ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
                ("content-type", "application/octet-stream"),
                ("x-amz-acl", "private"),
                ("x-amz-storage-class", "STANDARD"),
                ("x-amz-server-side-encryption", "aws:kms"),
                ("x-amz-server-side-encryption-aws-kms-key-id", "key-1"),
            ],
            None,
        ),
        case(
            "PUT",
            "/bucket/upload",
            &[("partNumber", "3"), ("uploadId", "abc/def+ghi")],
            &[("content-md5", "XrY7u+Ae7tCTyyK7j1rNww==")],
            None,
        ),
        case(
            "POST",
            "/bucket/upload",
            &[("uploads", "")],
            &[("x-amz-acl", "public-read")],
            None,
        ),
        case(
            "POST",
            "/bucket/",
            &[("delete", "")],
            &[
                ("content-md5", "XrY7u+Ae7tCTyyK7j1rNww=="),
                ("content-type", "application/xml"),
            ],
            None,
        ),
        case(
            "GET",
            "/bucket/",
            &[("list-type", "2"), ("prefix", "a/b c"), ("delimiter", "/")],
            &[],
            None,
        ),
        case(
            "PUT",
            "/bucket/copy",
            &[("partNumber", "1"), ("uploadId", "u1")],
            &[
                ("x-amz-copy-source", "/bucket/src"),
                ("x-amz-copy-source-range", "bytes=0-5242879"),
            ],
            Some("session-token/with+chars"),
        ),
        case(
            "DELETE",
            "/bucket/upload",
            &[("uploadId", "u1")],
            &[],
            Some("token"),
        ),
        case(
            "GET",
            "/bucket/k",
            &[("versionId", "v1")],
            &[("range", "bytes=10-20")],
            None,
        ),
    ];
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    let date = httpdate::fmt_http_date(time);
    let mut ours = Vec::new();
    let mut requests = Vec::new();
    for c in &cases {
        let credentials = Credentials {
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: c.token.map(String::from),
            expires: None,
        };
        let resource = sigv2::Resource {
            path: c.path,
            query: &c.query,
        };
        let signed = sigv2::sign_headers(c.method, &c.headers, &resource, &credentials, time);
        let authorization = signed
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.clone())
            .expect("an authorization header");
        ours.push(authorization);
        let query = encode_query(&c.query);
        let url = if query.is_empty() {
            format!("http://store{}", c.path)
        } else {
            format!("http://store{}?{query}", c.path)
        };
        requests.push(format!(
            "{{\"method\":{:?},\"url\":{:?},\"headers\":[{}],\"date\":{:?},\"access_key\":{:?},\"secret_key\":{:?},\"token\":{}}}",
            c.method,
            url,
            c.headers
                .iter()
                .map(|(k, v)| format!("[{k:?},{v:?}]"))
                .collect::<Vec<_>>()
                .join(","),
            date,
            credentials.access_key,
            credentials.secret_key,
            c.token.map_or("null".to_string(), |t| format!("{t:?}"))
        ));
    }
    let python = python();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/botocore_sigv2.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {} (run `make moto`): {e}", python.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("[{}]", requests.join(",")).as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "botocore failed: {output:?}");
    let theirs: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(theirs.len(), cases.len());
    for ((c, ours), theirs) in cases.iter().zip(&ours).zip(&theirs) {
        assert_eq!(ours, theirs, "{} {} {:?}", c.method, c.path, c.query);
    }
}
