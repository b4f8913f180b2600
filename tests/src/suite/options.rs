//! The S3 options of the configuration on real servers: object attributes (moto reports
//! them), checksums (Garage verifies them), log levels, Signature Version 2 and TLS.

use anyhow::{Context, Result, ensure};
use s3drv_guest::checksum::{ChecksumAlgorithm, Crc};
use s3drv_host::{Driver, Tenant};

use super::{Ctx, random_bytes, raw_request, read_stream, same_bytes, write_stream};
use crate::logs;

const MIB: usize = 1024 * 1024;

/// The objects [`create_every_way`] leaves, in order.
const CREATED: [&str; 6] = [
    "put",
    "written",
    "resumed",
    "restarted",
    "moved-small",
    "moved-large",
];

/// The ways a driver creates an object: put-content, a writer, a resumed writer, a resumed
/// writer that must restart (its last part is not a whole chunk), move by CopyObject and move
/// by multipart copy. Leaves the objects of [`CREATED`].
async fn create_every_way(driver: &Driver) -> Result<()> {
    driver.put_content("/put", b"small".to_vec()).await?;
    write_stream(driver, "/written", &random_bytes(6 * MIB, 1), MIB).await?;

    let mut w = driver.writer("/resumed", false).await?;
    tokio::io::AsyncWriteExt::write_all(&mut w, &random_bytes(5 * MIB, 2)).await?;
    w.close().await?;
    let mut w = driver.writer("/resumed", true).await?;
    tokio::io::AsyncWriteExt::write_all(&mut w, b"tail").await?;
    w.commit().await?;

    let mut w = driver.writer("/restarted", false).await?;
    tokio::io::AsyncWriteExt::write_all(&mut w, &random_bytes(6 * MIB, 3)).await?;
    w.close().await?;
    let mut w = driver.writer("/restarted", true).await?;
    tokio::io::AsyncWriteExt::write_all(&mut w, b"tail").await?;
    w.commit().await?;

    driver
        .put_content("/to-move-small", b"moved".to_vec())
        .await?;
    driver.move_path("/to-move-small", "/moved-small").await?;
    write_stream(driver, "/to-move-large", &random_bytes(6 * MIB, 4), MIB).await?;
    driver.move_path("/to-move-large", "/moved-large").await?;
    Ok(())
}

/// The contents [`create_every_way`] wrote, in the order of [`CREATED`].
fn created_contents() -> [Vec<u8>; 6] {
    [
        b"small".to_vec(),
        random_bytes(6 * MIB, 1),
        [random_bytes(5 * MIB, 2), b"tail".to_vec()].concat(),
        [random_bytes(6 * MIB, 3), b"tail".to_vec()].concat(),
        b"moved".to_vec(),
        random_bytes(6 * MIB, 4),
    ]
}

/// HEAD of every object created shows the storage class, SSE mode and KMS key id; its ACL
/// is the configured canned ACL.
pub async fn attributes_of_every_new_object(c: &Ctx) -> Result<()> {
    let driver = c
        .open(
            &c.root,
            &[
                ("storageclass", "reduced_redundancy"),
                ("encrypt", "true"),
                ("keyid", "s3drv-test-key"),
                ("objectacl", "public-read"),
                ("multipartcopythresholdsize", "5242880"),
            ],
        )
        .await?;
    create_every_way(&driver).await?;
    for key in CREATED {
        let head = raw_request(c, "HEAD", key, &[], Vec::new()).await?;
        ensure!(head.status == 200, "HEAD {key}: {}", head.status);
        let expect = [
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-server-side-encryption", "aws:kms"),
            (
                "x-amz-server-side-encryption-aws-kms-key-id",
                "s3drv-test-key",
            ),
        ];
        for (name, value) in expect {
            ensure!(
                head.header(name).is_some_and(|v| v.ends_with(value)),
                "{key}: {name} is {:?}, expected {value}",
                head.header(name)
            );
        }
        let acl = raw_request(c, "GET", &format!("{key}?acl"), &[], Vec::new()).await?;
        ensure!(
            acl.body
                .contains("http://acs.amazonaws.com/groups/global/AllUsers")
                && acl.body.contains("<Permission>READ</Permission>"),
            "{key}: public-read not granted: {}",
            acl.body
        );
    }
    for key in CREATED {
        driver.delete(&format!("/{key}")).await?;
    }
    Ok(())
}

/// With `objectownership: true` no request carries `x-amz-acl` (the signing log lists every
/// header sent), and AES256 and the storage class still arrive.
pub async fn object_ownership_sends_no_acl(c: &Ctx) -> Result<()> {
    let tenant = format!("ownership-{}", c.endpoint.name);
    let mut params = c.endpoint.params(&c.root);
    params.extend(
        [
            ("objectownership", "true"),
            ("encrypt", "true"),
            ("storageclass", "STANDARD_IA"),
            ("loglevel", "logdebugwithsigning"),
            ("multipartcopythresholdsize", "5242880"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let driver = c.runtime.open_for(&Tenant::new(&tenant), params).await?;
    create_every_way(&driver).await?;
    let lines = logs::lines_of(&tenant);
    let signed = lines
        .iter()
        .filter(|l| l.contains("signed (V4) headers"))
        .count();
    ensure!(
        signed >= 10,
        "only {signed} signing lines logged for {tenant}"
    );
    ensure!(
        !lines.iter().any(|l| l.contains("x-amz-acl")),
        "an x-amz-acl header was sent: {:?}",
        lines.iter().find(|l| l.contains("x-amz-acl"))
    );
    for key in CREATED {
        let head = raw_request(c, "HEAD", key, &[], Vec::new()).await?;
        ensure!(
            head.header("x-amz-server-side-encryption") == Some("AES256")
                && head.header("x-amz-storage-class") == Some("STANDARD_IA"),
            "{key}: headers {:?}",
            head.headers
        );
        driver.delete(&format!("/{key}")).await?;
    }
    Ok(())
}

/// Every checksum algorithm, and none, through every way of writing: the headers sent (the
/// signing log lists them) are the algorithm's, and the data read back is the data written.
pub async fn checksum_algorithms(c: &Ctx) -> Result<()> {
    let mut settings: Vec<(&str, &str)> = ChecksumAlgorithm::NAMES
        .iter()
        .map(|name| ("checksum_algorithm", *name))
        .collect();
    settings.push(("checksum_disabled", "true"));
    for (key, value) in settings {
        let tenant = format!("checksum-{value}-{}", c.endpoint.name);
        let mut params = c.endpoint.params(&format!("{}/{value}", c.root));
        params.extend(
            [
                (key, value),
                ("multipartcopythresholdsize", "5242880"),
                ("loglevel", "logdebugwithsigning"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let driver = c.runtime.open_for(&Tenant::new(&tenant), params).await?;
        let outcome: Result<()> = async {
            match create_every_way(&driver).await {
                Ok(()) => {}
                // A server that lists parts without their checksums may refuse to complete
                // a resumed upload that declared one (SeaweedFS: all but CRC64NVME, which
                // it checks whole): the writer says so and how to configure the driver.
                Err(e)
                    if !c.endpoint.capabilities.lists_part_checksums
                        && format!("{e:#}").contains("checksum_algorithm: MD5") =>
                {
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
            for (key, data) in CREATED.iter().zip(created_contents()) {
                let read = read_stream(&driver, &format!("/{key}"), 0).await?;
                same_bytes(key, &read, &data)?;
            }
            let lines = logs::lines_of(&tenant);
            let sent = |header: &str| lines.iter().any(|l| l.contains(header));
            match ChecksumAlgorithm::from_name(value) {
                Some(ChecksumAlgorithm::Md5) => {
                    ensure!(!sent("x-amz-checksum-"), "MD5 sent x-amz-checksum headers")
                }
                Some(algorithm) => ensure!(
                    sent(algorithm.header()) && sent("x-amz-checksum-algorithm"),
                    "{value}: {} or x-amz-checksum-algorithm never sent",
                    algorithm.header()
                ),
                None => ensure!(
                    !sent("x-amz-checksum-"),
                    "checksum_disabled sent x-amz-checksum headers"
                ),
            }
            Ok(())
        }
        .await;
        for key in CREATED {
            driver.delete(&format!("/{key}")).await.ok();
        }
        outcome.with_context(|| format!("{key}: {value}"))?;
    }
    Ok(())
}

/// A body that does not match its checksum is refused by the server, for every algorithm:
/// the checksums the driver computes are the ones the server verifies.
pub async fn corrupted_bodies_refused(c: &Ctx) -> Result<()> {
    let body = random_bytes(100_000, 7);
    let mut corrupted = body.clone();
    corrupted[50_000] ^= 1;
    for name in ChecksumAlgorithm::NAMES {
        let algorithm = ChecksumAlgorithm::from_name(name).expect("a known name");
        let checksum = algorithm.compute([body.as_slice()].into_iter(), Crc::extend);
        let key = format!("corrupt-{name}");
        let headers = [(algorithm.header(), checksum.as_str())];
        let refused = raw_request(c, "PUT", &key, &headers, corrupted.clone()).await?;
        ensure!(
            (400..500).contains(&refused.status),
            "{name}: corrupted body answered {}: {}",
            refused.status,
            refused.body
        );
        let accepted = raw_request(c, "PUT", &key, &headers, body.clone()).await?;
        ensure!(
            accepted.status == 200,
            "{name}: intact body answered {}: {}",
            accepted.status,
            accepted.body
        );
        c.driver.delete(&format!("/{key}")).await?;
    }
    Ok(())
}

/// Every `loglevel` on a driver doing every kind of request: the levels that log print what
/// they promise, and no output ever holds the secret key, the session token or a signature.
pub async fn loglevels_never_print_secrets(c: &Ctx) -> Result<()> {
    let session_token = "s3drv-session-token-SECRET";
    let levels = [
        ("logoff", None),
        ("logdebug", Some(" in ")),
        ("logdebugwithsigning", Some("signed (V4) headers")),
        ("logdebugwithhttpbody", Some("answer body: ")),
        ("logdebugwithrequestretries", Some(" in ")),
        ("logdebugwithrequesterrors", Some("failed: ")),
        ("logdebugwitheventstreambody", Some(" in ")),
        ("logdebug,logoff", None),
    ];
    for (level, expected) in levels {
        let tenant = format!("loglevel-{}-{}", level.replace(',', "+"), c.endpoint.name);
        let mut params = c.endpoint.params(&c.root);
        params.push(("loglevel".into(), level.into()));
        if !c.endpoint.capabilities.verifies_signatures {
            params.push(("sessiontoken".into(), session_token.into()));
        }
        let driver = c.runtime.open_for(&Tenant::new(&tenant), params).await?;
        write_stream(&driver, "/log/a", &random_bytes(6 * MIB, 4), MIB).await?;
        driver.put_content("/log/b", b"b".to_vec()).await?;
        driver.stat("/log/a").await?;
        driver.list("/log").await?;
        ensure!(
            driver.get_content("/log/missing").await.is_err(),
            "missing file read"
        );
        driver.url_for("/log/a", "GET", None).await?;
        driver.delete("/log").await?;
        // What the driver logged (the host's own `s3drv::outbound` events are the
        // platform's, not governed by `loglevel`).
        let lines: Vec<String> = logs::lines_of(&tenant)
            .into_iter()
            .filter(|line| line.contains("s3drv::driver"))
            .collect();
        match expected {
            None => ensure!(lines.is_empty(), "{level} logged {lines:?}"),
            Some(text) => ensure!(
                lines.iter().any(|l| l.contains(text)),
                "{level} logged nothing with {text:?}: {lines:?}"
            ),
        }
    }
    let all = logs::captured();
    for secret in [c.endpoint.secret_key.as_str(), session_token] {
        ensure!(!all.contains(secret), "a secret appears in the log");
    }
    for (i, _) in all.match_indices("Signature=") {
        ensure!(
            all[i..].starts_with("Signature=<redacted>"),
            "a signature appears in the log: {}",
            &all[i..(i + 60).min(all.len())]
        );
    }
    Ok(())
}

/// `v4auth: false` on a store that accepts SigV2: every operation works, with a deprecation
/// warning, and URLs are presigned the SigV2 way.
pub async fn signature_version_2(c: &Ctx) -> Result<()> {
    let driver = c.open(&c.root, &[("v4auth", "false")]).await?;
    ensure!(
        driver.warnings().iter().any(|w| w.contains("deprecated")),
        "no deprecation warning: {:?}",
        driver.warnings()
    );
    let data = random_bytes(11 * MIB, 5);
    write_stream(&driver, "/v2/blob", &data, MIB).await?;
    same_bytes(
        "/v2/blob",
        &read_stream(&driver, "/v2/blob", 0).await?,
        &data,
    )?;
    driver.move_path("/v2/blob", "/v2/moved").await?;
    let url = driver.url_for("/v2/moved", "GET", None).await?;
    ensure!(
        url.contains("AWSAccessKeyId=") && url.contains("&Signature="),
        "not a SigV2 URL: {url}"
    );
    driver.delete("/v2").await?;
    Ok(())
}

/// `secure: true` against a TLS copy of the server with a certificate made here: refused
/// without trust (`skipverify: false`) with an error naming the certificate, accepted with
/// the certificate as the tenant's CA bundle, and with `skipverify: true`.
pub async fn tls_verification(c: &Ctx) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])?;
    let certificate = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&certificate, certified.cert.pem())?;
    std::fs::write(&key, certified.signing_key.serialize_pem())?;
    let server = tokio::task::spawn_blocking({
        let (certificate, key) = (certificate.clone(), key.clone());
        move || crate::servers::start_moto_tls(&certificate, &key)
    })
    .await??;
    let endpoint = &server.endpoint;
    let params = |skip_verify: &str| {
        let mut p = endpoint.params(&c.root);
        p.push(("skipverify".into(), skip_verify.into()));
        p.push(("secure".into(), "true".into()));
        p
    };

    let untrusted = c.runtime.open(params("false")).await?;
    let refused = untrusted.put_content("/tls", b"x".to_vec()).await;
    let text = format!(
        "{}",
        refused
            .as_ref()
            .err()
            .context("an untrusted certificate was accepted")?
    );
    ensure!(
        text.contains("TlsCertificateError"),
        "unclear TLS error: {text}"
    );

    let trusting = Tenant {
        ca_bundle: Some(certificate.clone()),
        ..Tenant::new("tls")
    };
    let trusted = c.runtime.open_for(&trusting, params("false")).await?;
    trusted.put_content("/tls", b"trusted".to_vec()).await?;

    let skipping = c.runtime.open(params("true")).await?;
    ensure!(
        skipping.get_content("/tls").await? == b"trusted",
        "skipverify read other data"
    );
    skipping.delete("/tls").await?;
    Ok(())
}

/// `maxretries` bounds the host's retries of a request that gets no answer (a closed port),
/// and `logdebugwithrequestretries` logs each one.
pub async fn max_retries_and_retry_log(c: &Ctx) -> Result<()> {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    for retries in [0, 2] {
        let tenant = format!("retries-{retries}-{}", c.endpoint.name);
        let mut params = c.endpoint.params(&c.root);
        params.extend(
            [
                ("regionendpoint", format!("http://127.0.0.1:{closed_port}")),
                ("maxretries", retries.to_string()),
                ("loglevel", "logdebugwithrequestretries".to_string()),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        let driver = c.runtime.open_for(&Tenant::new(&tenant), params).await?;
        let error = driver
            .stat("/x")
            .await
            .err()
            .context("a closed port answered")?;
        ensure!(
            format!("{error}").contains("ConnectionRefused"),
            "unexpected error: {error}"
        );
        let logged = logs::lines_of(&tenant)
            .iter()
            .filter(|l| l.contains("retry "))
            .count();
        ensure!(
            logged == retries,
            "{logged} retries logged with maxretries {retries}"
        );
    }
    Ok(())
}

/// `maxrequestspersecond` holds a driver to its rate over any window: 500 stats at 50 per
/// second take 10 s (±5 %: 499 intervals of 20 ms), while a second tenant without a limit,
/// running at the same time, keeps (within the server's own slowdown) its pace alone.
pub async fn request_rate_limited(c: &Ctx) -> Result<()> {
    c.driver.put_content("/rate", b"r".to_vec()).await?;
    // Eight stats in flight at a time, so that the limiter, not the server's latency (moto's
    // exceeds 100 ms on a loaded machine), sets the pace.
    let stats = |driver: s3drv_host::Driver, count: usize| async move {
        let started = std::time::Instant::now();
        let mut streams = Vec::new();
        for stream in 0..8 {
            let driver = driver.clone();
            streams.push(tokio::spawn(async move {
                for _ in (stream..count).step_by(8) {
                    driver.stat("/rate").await?;
                }
                Ok::<_, s3drv_host::Error>(())
            }));
        }
        for stream in streams {
            stream.await??;
        }
        Ok::<_, anyhow::Error>(started.elapsed())
    };
    let mut limited = c.endpoint.params(&c.root);
    limited.push(("maxrequestspersecond".into(), "50".into()));
    let mut unlimited = c.endpoint.params(&c.root);
    unlimited.push(("maxrequestspersecond".into(), "0".into()));
    let limited = c.runtime.open_for(&Tenant::new("rate-50"), limited).await?;
    let unlimited = c
        .runtime
        .open_for(&Tenant::new("rate-0"), unlimited)
        .await?;
    // The unlimited tenant's pace alone, then beside the limited one.
    let alone = stats(unlimited.clone(), 200).await?;
    let (slow, fast) = tokio::join!(
        tokio::spawn(stats(limited, 500)),
        tokio::spawn(stats(unlimited, 200))
    );
    let (slow, fast) = (slow??, fast??);
    let seconds = slow.as_secs_f64();
    println!(
        "      500 stats at 50/s: {seconds:.2} s; 200 unlimited stats: {alone:.2?} alone, {fast:.2?} beside"
    );
    ensure!(
        (9.5..=10.5).contains(&seconds),
        "500 stats at 50/s took {seconds:.2} s"
    );
    ensure!(
        fast < alone * 2 + std::time::Duration::from_secs(1),
        "the unlimited tenant was slowed: 200 stats took {fast:?} beside the limited tenant, {alone:?} alone"
    );
    c.driver.delete("/rate").await?;
    Ok(())
}

/// The ETag of a committed multipart upload is the MD5 of its part MD5s with the part count,
/// which is how a completion repeated after a lost answer recognises its own object.
pub async fn multipart_etag_is_md5_of_part_md5s(c: &Ctx) -> Result<()> {
    use sha2::Digest as _;
    let data = random_bytes(12 * MIB, 21);
    write_stream(&c.driver, "/etag", &data, MIB).await?;
    let mut digests = Vec::new();
    for part in data.chunks(5 * MIB) {
        digests.extend_from_slice(&md5::Md5::digest(part));
    }
    let expected = format!("\"{:x}-3\"", md5::Md5::digest(&digests));
    let head = raw_request(c, "HEAD", "etag", &[], Vec::new()).await?;
    ensure!(
        head.header("etag") == Some(expected.as_str()),
        "ETag {:?}, expected {expected}",
        head.header("etag")
    );
    c.driver.delete("/etag").await?;
    Ok(())
}
