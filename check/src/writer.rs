//! Writers: resume, the restart rule, zero-size blobs, the state machine, concurrency.

use anyhow::{Result, bail, ensure};
use s3drv_host::{Error, Writer, WriterState};
use tokio::io::AsyncWriteExt;

use crate::context::Ctx;
use crate::helpers::{expect_not_found, random_bytes, read_stream, same_bytes, write_stream};

const CHUNK: usize = 5 << 20;

/// Opens `path` (appending or not), checks the size it starts at, writes `data`, and
/// closes (or commits).
async fn session(
    c: &Ctx,
    path: &str,
    append: bool,
    starts_at: usize,
    data: &[u8],
    commit: bool,
) -> Result<()> {
    let mut writer = c.driver.writer(path, append).await?;
    let size = writer.size().await?;
    ensure!(
        size == starts_at as u64,
        "resumed writer size {size}, expected {starts_at}"
    );
    writer.write_all(data).await?;
    let size = writer.size().await?;
    ensure!(
        size == (starts_at + data.len()) as u64,
        "size {size} after writing, expected {}",
        starts_at + data.len()
    );
    if commit {
        writer.commit().await?
    } else {
        writer.close().await?
    }
    Ok(())
}

/// Writes `pieces` in sessions (close, resume, ..., commit) and checks the content.
async fn sessions(c: &Ctx, pieces: &[usize], seed: u64) -> Result<()> {
    let total: usize = pieces.iter().sum();
    let data = random_bytes(total, seed);
    let mut offset = 0;
    for (i, len) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        session(
            c,
            "/appended",
            i > 0,
            offset,
            &data[offset..offset + len],
            last,
        )
        .await?;
        offset += len;
    }
    same_bytes(
        "resumed upload",
        &c.driver.get_content("/appended").await?,
        &data,
    )?;
    c.driver.delete("/appended").await?;
    Ok(())
}

/// TestContinueStreamAppendLarge (distribution): three sessions of one chunk each.
pub async fn continue_stream_append_large(c: &Ctx) -> Result<()> {
    sessions(c, &[CHUNK, CHUNK, CHUNK], 20).await
}

/// TestContinueStreamAppendLarge (GitLab): 25 MiB in uneven sessions (chunk, 101 bytes, the
/// rest), so that the second resume must restart the upload.
pub async fn continue_stream_append_uneven(c: &Ctx) -> Result<()> {
    let total = 25 << 20;
    sessions(c, &[CHUNK, 101, total - CHUNK - 101], 21).await
}

/// TestContinueStreamAppendSmall: sessions far below the part size (32 B each, then GitLab's
/// 1024 + 101 + 1947): every resume restarts the upload.
pub async fn continue_stream_append_small(c: &Ctx) -> Result<()> {
    sessions(c, &[32, 32, 32], 22).await?;
    sessions(c, &[1024, 101, 1947], 23).await
}

/// TestFlushObjectTwiceChunkSize: 2 chunks, close, resume, 2 chunks, commit.
pub async fn flush_object_twice_chunk_size(c: &Ctx) -> Result<()> {
    sessions(c, &[2 * CHUNK, 2 * CHUNK], 24).await
}

/// Appends 32 bytes to the committed empty object at `/zero` and checks the content.
async fn append_to_empty(c: &Ctx, seed: u64) -> Result<()> {
    let data = random_bytes(32, seed);
    session(c, "/zero", true, 0, &data, true).await?;
    same_bytes(
        "appended to empty",
        &c.driver.get_content("/zero").await?,
        &data,
    )?;
    c.driver.delete("/zero").await?;
    Ok(())
}

/// TestWriteZeroByteStreamThenAppend: an empty committed object can be appended to.
pub async fn write_zero_byte_stream_then_append(c: &Ctx) -> Result<()> {
    let mut writer = c.driver.writer("/zero", false).await?;
    writer.commit().await?;
    writer.close().await?;
    ensure!(
        read_stream(&c.driver, "/zero", 0).await?.is_empty(),
        "zero-size object is not empty"
    );
    append_to_empty(c, 25).await
}

/// TestWriteZeroByteContentThenAppend: the same after an empty put-content.
pub async fn write_zero_byte_content_then_append(c: &Ctx) -> Result<()> {
    c.driver.put_content("/zero", Vec::new()).await?;
    append_to_empty(c, 26).await
}

/// TestContinueAppendZeroSizeBlob: an empty write and close leave a resumable upload of size 0.
pub async fn continue_append_zero_size_blob(c: &Ctx) -> Result<()> {
    session(c, "/zero", false, 0, &[], false).await?;
    let data = random_bytes(2 << 20, 27);
    session(c, "/zero", true, 0, &data, true).await?;
    same_bytes(
        "resumed empty upload",
        &c.driver.get_content("/zero").await?,
        &data,
    )?;
    c.driver.delete("/zero").await?;
    Ok(())
}

/// TestZeroByteBlobUploadSession: commit with no write gives an empty object.
pub async fn zero_byte_blob_upload_session(c: &Ctx) -> Result<()> {
    c.driver.writer("/zero", false).await?.commit().await?;
    let info = c.driver.stat("/zero").await?;
    ensure!(
        info.size == 0 && !info.is_dir,
        "stat of empty blob: {info:?}"
    );
    ensure!(
        c.driver.get_content("/zero").await?.is_empty(),
        "empty blob has content"
    );
    c.driver.delete("/zero").await?;
    Ok(())
}

/// TestAppendInexistentBlob.
pub async fn append_inexistent_blob(c: &Ctx) -> Result<()> {
    expect_not_found(c.driver.writer("/never", true).await.map(|_| ()), "/never")
}

/// Appending to a committed non-empty object is refused (distribution's rule).
pub async fn append_to_committed_content(c: &Ctx) -> Result<()> {
    c.driver.put_content("/full", b"data".to_vec()).await?;
    match c.driver.writer("/full", true).await {
        Err(Error::InvalidAppend(p)) if p == "/full" => {}
        other => bail!("expected invalid-append, got {:?}", other.err()),
    }
    c.driver.delete("/full").await?;
    Ok(())
}

fn expect_state(result: Result<(), Error>, state: WriterState, what: &str) -> Result<()> {
    match result {
        Err(Error::WriterState(s)) if s == state => Ok(()),
        other => bail!("{what}: expected writer-state {state:?}, got {other:?}"),
    }
}

/// Fails unless write, commit and cancel all refuse with `state`.
async fn refuses_all(w: &mut Writer, state: WriterState, after: &str) -> Result<()> {
    expect_state(w.write(b"x").await, state, &format!("write after {after}"))?;
    expect_state(w.commit().await, state, &format!("commit after {after}"))?;
    expect_state(w.cancel().await, state, &format!("cancel after {after}"))
}

/// GitLab's TestWriter* cases: every operation after close, commit and cancel; close after
/// commit or cancel succeeds.
pub async fn writer_state_transitions(c: &Ctx) -> Result<()> {
    let mut w = c.driver.writer("/state", false).await?;
    w.write(b"0123456789").await?;
    w.close().await?;
    expect_state(w.close().await, WriterState::Closed, "close after close")?;
    refuses_all(&mut w, WriterState::Closed, "close").await?;
    let mut w = c.driver.writer("/state", true).await?;
    w.commit().await?;
    refuses_all(&mut w, WriterState::Committed, "commit").await?;
    w.close().await?;
    same_bytes(
        "committed",
        &c.driver.get_content("/state").await?,
        b"0123456789",
    )?;
    let mut w = c.driver.writer("/state2", false).await?;
    w.cancel().await?;
    refuses_all(&mut w, WriterState::Canceled, "cancel").await?;
    w.close().await?;
    expect_not_found(c.driver.stat("/state2").await, "/state2")?;
    c.driver.delete("/state").await?;
    Ok(())
}

/// TestWriterCancel: 96 bytes, cancel, close succeeds, nothing stored.
pub async fn writer_cancel(c: &Ctx) -> Result<()> {
    let mut w = c.driver.writer("/canceled", false).await?;
    w.write(&random_bytes(96, 28)).await?;
    w.cancel().await?;
    w.close().await?;
    expect_not_found(c.driver.stat("/canceled").await, "/canceled")
}

/// TestConcurentWriteCausesError: a second new writer of the same path invalidates the first.
pub async fn concurrent_write_causes_error(c: &Ctx) -> Result<()> {
    let data = random_bytes(32 << 20, 29);
    let mut a = c.driver.writer("/raced", false).await?;
    a.write_all(&data[..8 << 20]).await?;
    a.flush().await?;
    let mut b = c.driver.writer("/raced", false).await?;
    b.write_all(&data[8 << 20..24 << 20]).await?;
    let late = async {
        a.write(&data[..8 << 20]).await?;
        a.commit().await
    };
    ensure!(late.await.is_err(), "the superseded writer kept writing");
    b.commit().await?;
    same_bytes(
        "winner",
        &c.driver.get_content("/raced").await?,
        &data[8 << 20..24 << 20],
    )?;
    c.driver.delete("/raced").await?;
    Ok(())
}

/// TestConcurrentFileStreams: 8 streams of 8 MiB (32 of 32 MiB with `large`), each checked.
pub async fn concurrent_file_streams(c: &Ctx) -> Result<()> {
    let streams = if c.large { 32 } else { 8 };
    let mut tasks = Vec::new();
    for i in 0..streams {
        let driver = c.driver.clone();
        tasks.push(tokio::spawn(async move {
            let data = random_bytes(streams << 20, 200 + i as u64);
            let path = format!("/streams/{i}");
            write_stream(&driver, &path, &data, 1 << 20).await?;
            same_bytes(&path, &read_stream(&driver, &path, 0).await?, &data)
        }));
    }
    for task in tasks {
        task.await??;
    }
    c.driver.delete("/streams").await?;
    Ok(())
}

/// TestWriteReadSmallStream: 2 KiB written in one call, size before commit.
pub async fn write_read_small_stream(c: &Ctx) -> Result<()> {
    let data = random_bytes(2048, 30);
    write_stream(&c.driver, "/small", &data, 2 << 20).await?;
    same_bytes(
        "small stream",
        &read_stream(&c.driver, "/small", 0).await?,
        &data,
    )?;
    c.driver.delete("/small").await?;
    Ok(())
}

/// TestMaxUploadSize (GitLab): about 10 GiB built from sessions of 3 GiB and 5 MiB - 128 B,
/// each closed and resumed, so that every resume restarts the upload and copies more than
/// 5 GiB back in ranged parts. The content is generated and checked piece by piece.
pub async fn max_upload_size(c: &Ctx) -> Result<()> {
    const GIB: usize = 1 << 30;
    const PIECE: usize = 64 << 20;
    let sessions = [3 * GIB, (5 << 20) - 128, 3 * GIB, (5 << 20) - 128, 3 * GIB];
    let total: usize = sessions.iter().sum();
    // Byte i of the blob is generated from piece i / PIECE, so any range can be regenerated.
    let piece = |index: usize| random_bytes(PIECE, 1000 + index as u64);
    let mut offset = 0;
    for (i, length) in sessions.iter().enumerate() {
        let mut writer = c.driver.writer("/huge", i > 0).await?;
        ensure!(
            writer.size().await? == offset as u64,
            "session {i} resumed at {}",
            writer.size().await?
        );
        let end = offset + length;
        while offset < end {
            let data = piece(offset / PIECE);
            let start = offset % PIECE;
            let take = (PIECE - start).min(end - offset);
            writer.write_all(&data[start..start + take]).await?;
            offset += take;
        }
        if i + 1 == sessions.len() {
            writer.commit().await?
        } else {
            writer.close().await?
        }
    }
    let mut reader = c.driver.reader("/huge", 0).await?;
    let mut buffer = vec![0; PIECE];
    for index in 0..total.div_ceil(PIECE) {
        let length = PIECE.min(total - index * PIECE);
        tokio::io::AsyncReadExt::read_exact(&mut reader, &mut buffer[..length]).await?;
        ensure!(
            buffer[..length] == piece(index)[..length],
            "content differs in piece {index}"
        );
    }
    ensure!(
        tokio::io::AsyncReadExt::read(&mut reader, &mut buffer).await? == 0,
        "more than {total} bytes read"
    );
    c.driver.delete("/huge").await?;
    Ok(())
}
