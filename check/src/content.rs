//! put-content / get-content, readers and presigned URLs.

use anyhow::{Result, bail, ensure};
use s3drv_host::Error;

use crate::context::Ctx;
use crate::helpers::{
    expect_invalid_path, expect_not_found, fetch, random_bytes, read_stream, same_bytes,
    write_stream,
};

const MIB: usize = 1 << 20;

/// TestRootExists: list("/") works on an empty root.
pub async fn root_exists(c: &Ctx) -> Result<()> {
    let children = c.driver.list("/").await?;
    ensure!(
        children.is_empty(),
        "list(\"/\") of a fresh root returned {children:?}"
    );
    Ok(())
}

/// TestValidPaths: every valid path round-trips 64 bytes.
pub async fn valid_paths(c: &Ctx) -> Result<()> {
    let data = random_bytes(64, 1);
    for path in [
        "/a",
        "/2",
        "/aa",
        "/a.a",
        "/0-9/abcdefg",
        "/abcdefg/z.75",
        "/abc/1.2.3.4.5-6_zyx/123.z/4",
        "/docker/docker-registry",
        "/123.abc",
        "/abc./abc",
        "/.abc",
        "/a--b",
        "/a-.b",
        "/_.abc",
        "/Docker/docker-registry",
        "/Abc/Cba",
    ] {
        c.driver.put_content(path, data.clone()).await?;
        same_bytes(path, &c.driver.get_content(path).await?, &data)?;
        let top = format!("/{}", path.split('/').nth(1).unwrap_or_default());
        c.driver.delete(&top).await?;
    }
    Ok(())
}

/// TestInvalidPaths: put and get refuse invalid paths with the driver name in the message.
pub async fn invalid_paths(c: &Ctx) -> Result<()> {
    for path in ["", "/", "abc", "123.abc", "//bcd", "/abc_123/"] {
        expect_invalid_path(c.driver.put_content(path, b"x".to_vec()).await, path)?;
        let err = c.driver.get_content(path).await;
        ensure!(
            err.as_ref()
                .is_err_and(|e| e.to_string().starts_with("s3aws: invalid path")),
            "get {path:?}: {err:?}"
        );
        expect_invalid_path(err, path)?;
    }
    Ok(())
}

/// TestWriteRead1-4, TestWriteReadNonUTF8: put-content and get-content of small payloads.
pub async fn write_read(c: &Ctx) -> Result<()> {
    let payloads: [(&str, Vec<u8>); 5] = [
        ("a", b"a".to_vec()),
        ("unicode", "\u{df}".as_bytes().to_vec()),
        ("32 random bytes", random_bytes(32, 3)),
        ("1 MiB", random_bytes(MIB, 4)),
        ("non-UTF-8", vec![0x80; 4]),
    ];
    for (what, data) in payloads {
        c.driver.put_content("/file", data.clone()).await?;
        same_bytes(what, &c.driver.get_content("/file").await?, &data)?;
    }
    c.driver.delete("/file").await?;
    Ok(())
}

/// TestTruncate: a 1 KiB put-content replaces 1 MiB completely.
pub async fn truncate(c: &Ctx) -> Result<()> {
    c.driver.put_content("/t", random_bytes(MIB, 5)).await?;
    let small = random_bytes(1024, 6);
    c.driver.put_content("/t", small.clone()).await?;
    same_bytes("truncated", &c.driver.get_content("/t").await?, &small)?;
    c.driver.delete("/t").await?;
    Ok(())
}

/// TestReadNonexistent.
pub async fn read_nonexistent(c: &Ctx) -> Result<()> {
    expect_not_found(c.driver.get_content("/missing").await, "/missing")
}

/// TestWriteReadStreams1-4, TestWriteReadStreamsNonUTF8: the same payloads through writers.
pub async fn write_read_streams(c: &Ctx) -> Result<()> {
    for (what, data) in [
        ("a", b"a".to_vec()),
        ("unicode", "\u{df}".as_bytes().to_vec()),
        ("32 random bytes", random_bytes(32, 7)),
        ("1 MiB", random_bytes(MIB, 8)),
        ("non-UTF-8", vec![0x80; 4]),
    ] {
        write_stream(&c.driver, "/stream", &data, 64 * 1024).await?;
        same_bytes(what, &read_stream(&c.driver, "/stream", 0).await?, &data)?;
    }
    c.driver.delete("/stream").await?;
    Ok(())
}

/// TestWriteReadLargeStreams: 5 GiB with `large` (64 MiB otherwise), 256 MiB writes as
/// GitLab's suite does (32 MiB when reduced); SHA-256 of what was written and read.
pub async fn write_read_large_stream(c: &Ctx) -> Result<()> {
    let (size, piece) = if c.large {
        (5usize << 30, 256 * MIB)
    } else {
        (64 * MIB, 32 * MIB)
    };
    // Generated piece by piece so that 5 GiB never sits in memory.
    let mut writer = c.driver.writer("/large", false).await?;
    let mut digest = sha2::Sha256::default();
    let mut written = 0;
    let mut seed = 100;
    while written < size {
        let data = random_bytes(piece.min(size - written), seed);
        sha2::Digest::update(&mut digest, &data);
        tokio::io::AsyncWriteExt::write_all(&mut writer, &data).await?;
        written += data.len();
        seed += 1;
    }
    ensure!(
        writer.size().await? == size as u64,
        "writer size before commit"
    );
    writer.commit().await?;
    let expected = format!("{:x}", sha2::Digest::finalize(digest));
    let mut reader = c.driver.reader("/large", 0).await?;
    let mut digest = sha2::Sha256::default();
    let mut buf = vec![0; 4 * MIB];
    let mut read = 0;
    loop {
        let n = tokio::io::AsyncReadExt::read(&mut reader, &mut buf).await?;
        if n == 0 {
            break;
        }
        sha2::Digest::update(&mut digest, &buf[..n]);
        read += n;
    }
    ensure!(read == size, "read {read} bytes of {size}");
    ensure!(
        format!("{:x}", sha2::Digest::finalize(digest)) == expected,
        "SHA-256 of the large stream differs"
    );
    c.driver.delete("/large").await?;
    Ok(())
}

/// TestReaderWithOffset.
pub async fn reader_with_offset(c: &Ctx) -> Result<()> {
    let data = random_bytes(96, 9);
    c.driver.put_content("/offset", data.clone()).await?;
    for offset in [0usize, 32, 64, 95, 96] {
        same_bytes(
            &format!("offset {offset}"),
            &read_stream(&c.driver, "/offset", offset as i64).await?,
            &data[offset..],
        )?;
    }
    match c.driver.reader("/offset", -1).await {
        Err(e @ Error::InvalidOffset { .. }) => {
            ensure!(
                e.to_string() == "s3aws: invalid offset: -1 for path: /offset",
                "message: {e}"
            );
        }
        other => bail!("offset -1: expected invalid-offset, got {:?}", other.err()),
    }
    c.driver.delete("/offset").await?;
    Ok(())
}

/// TestReadNonexistentStream: readers of a missing path at 0 and 64.
pub async fn read_nonexistent_stream(c: &Ctx) -> Result<()> {
    expect_not_found(c.driver.reader("/missing", 0).await.map(|_| ()), "/missing")?;
    expect_not_found(
        c.driver.reader("/missing", 64).await.map(|_| ()),
        "/missing",
    )
}

/// TestPutContentMultipleTimes.
pub async fn put_content_multiple_times(c: &Ctx) -> Result<()> {
    c.driver.put_content("/p", random_bytes(4096, 10)).await?;
    let second = random_bytes(2048, 11);
    c.driver.put_content("/p", second.clone()).await?;
    same_bytes("second put", &c.driver.get_content("/p").await?, &second)?;
    c.driver.delete("/p").await?;
    Ok(())
}

/// TestPutContentZeroSizeFile.
pub async fn put_content_zero_size_file(c: &Ctx) -> Result<()> {
    c.driver.put_content("/empty", Vec::new()).await?;
    ensure!(
        c.driver.get_content("/empty").await?.is_empty(),
        "empty object is not empty"
    );
    ensure!(
        c.driver.stat("/empty").await?.size == 0,
        "stat size of empty object"
    );
    c.driver.delete("/empty").await?;
    Ok(())
}

/// TestConcurrentStreamReads: 10 readers at random offsets (128 MiB with `large`, 10 MiB
/// otherwise).
pub async fn concurrent_stream_reads(c: &Ctx) -> Result<()> {
    let size = if c.large { 128 * MIB } else { 10 * MIB };
    let data = std::sync::Arc::new(random_bytes(size, 12));
    write_stream(&c.driver, "/concurrent", &data, 4 * MIB).await?;
    let mut tasks = Vec::new();
    for i in 0..10 {
        let (driver, data) = (c.driver.clone(), data.clone());
        tasks.push(tokio::spawn(async move {
            let offset = (i * 997 * 1024) % size;
            let read = read_stream(&driver, "/concurrent", offset as i64).await?;
            same_bytes(&format!("reader at {offset}"), &read, &data[offset..])
        }));
    }
    for task in tasks {
        task.await??;
    }
    c.driver.delete("/concurrent").await?;
    Ok(())
}

/// TestURLFor / TestS3DriverURLFor: presigned GET and HEAD work, each only for its method;
/// default expiry 1200 s, custom 3600 s; POST is unsupported.
pub async fn url_for(c: &Ctx) -> Result<()> {
    let data = random_bytes(32, 13);
    c.driver.put_content("/url", data.clone()).await?;
    let get = c.driver.url_for("/url", "GET", None).await?;
    ensure!(get.contains("X-Amz-Expires=1200"), "default expiry: {get}");
    let head = c.driver.url_for("/url", "HEAD", None).await?;
    let got = fetch("GET", &get).await?;
    ensure!(
        got.status == 200 && got.body == data,
        "GET of a GET URL: status {}, {} bytes",
        got.status,
        got.body.len()
    );
    let got = fetch("HEAD", &head).await?;
    ensure!(
        got.status == 200 && got.length.as_deref() == Some("32"),
        "HEAD of a HEAD URL: status {}, length {:?}",
        got.status,
        got.length
    );
    if c.store.verifies_signatures {
        let status = fetch("GET", &head).await?.status;
        ensure!(status == 403, "GET of a HEAD URL answered {status}");
    }
    let custom = c
        .driver
        .url_for("/url", "GET", Some(std::time::Duration::from_secs(3600)))
        .await?;
    ensure!(
        custom.contains("X-Amz-Expires=3600"),
        "custom expiry: {custom}"
    );
    match c.driver.url_for("/url", "POST", None).await {
        Err(Error::UnsupportedMethod) => {}
        other => bail!("POST: expected unsupported-method, got {other:?}"),
    }
    c.driver.delete("/url").await?;
    Ok(())
}

/// TestRedirectURL: GET and HEAD redirect to a working URL; other methods do not redirect.
pub async fn redirect_url(c: &Ctx) -> Result<()> {
    let data = random_bytes(32, 14);
    c.driver.put_content("/redirect", data.clone()).await?;
    let Some(url) = c.driver.redirect_url("GET", "/redirect").await? else {
        bail!("no redirect for GET")
    };
    let got = fetch("GET", &url).await?;
    ensure!(
        got.status == 200 && got.body == data,
        "redirect GET: status {}",
        got.status
    );
    let Some(url) = c.driver.redirect_url("HEAD", "/redirect").await? else {
        bail!("no redirect for HEAD")
    };
    let got = fetch("HEAD", &url).await?;
    ensure!(
        got.status == 200 && got.length.as_deref() == Some("32"),
        "redirect HEAD: status {}",
        got.status
    );
    ensure!(
        c.driver.redirect_url("PUT", "/redirect").await?.is_none(),
        "PUT must not redirect"
    );
    c.driver.delete("/redirect").await?;
    Ok(())
}
