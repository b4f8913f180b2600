//! The host's limits on a tenant's instances: memory, call deadline, instances in use
//! (backpressure) and recycling. A limit that is hit fails that call only, while ten other
//! tenants keep serving.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Result, ensure};
use s3drv_host::{Driver, Error, Limits, Tenant};

use super::{Ctx, random_bytes, read_stream, same_bytes, write_stream};

const MIB: usize = 1024 * 1024;

/// A driver on the case's root with `extra` parameters for a tenant with `limits`.
async fn limited(c: &Ctx, name: &str, limits: Limits, extra: &[(&str, &str)]) -> Result<Driver> {
    let tenant = Tenant {
        limits,
        ..Tenant::new(name)
    };
    let mut params = c.endpoint.params(&c.root);
    params.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Ok(c.runtime.open_for(&tenant, params).await?)
}

/// Runs `during` while ten other tenants serve small puts and gets; fails if any of their
/// calls failed, or if one of them served nothing (stalled) meanwhile.
async fn with_bystanders<T>(c: &Ctx, during: impl Future<Output = T>) -> Result<T> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut bystanders = Vec::new();
    for i in 0..10 {
        let driver = limited(c, &format!("bystander-{i}"), Limits::default(), &[]).await?;
        let stop = stop.clone();
        bystanders.push(tokio::spawn(async move {
            let path = format!("/bystander-{i}");
            let mut served = 0u32;
            while served == 0 || !stop.load(Ordering::Relaxed) {
                let data = format!("{i}-{served}").into_bytes();
                driver.put_content(&path, data.clone()).await?;
                anyhow::ensure!(
                    driver.get_content(&path).await? == data,
                    "{path} read back wrong"
                );
                served += 1;
            }
            driver.delete(&path).await?;
            Ok(served)
        }));
    }
    let outcome = during.await;
    stop.store(true, Ordering::Relaxed);
    for (i, bystander) in bystanders.into_iter().enumerate() {
        let served = bystander.await??;
        ensure!(served > 0, "bystander {i} served nothing");
    }
    Ok(outcome)
}

/// get-content of an object larger than the memory cap is a typed `limit-exceeded` error;
/// the same driver and others keep working.
pub async fn memory_cap_fails_that_call_only(c: &Ctx) -> Result<()> {
    let big = random_bytes(96 * MIB, 11);
    write_stream(&c.driver, "/big", &big, 4 * MIB).await?;
    c.driver.put_content("/small", b"small".to_vec()).await?;
    let capped = limited(
        c,
        "memory-cap",
        Limits {
            memory: 64 << 20,
            ..Limits::default()
        },
        &[],
    )
    .await?;
    match with_bystanders(c, capped.get_content("/big")).await? {
        Err(Error::LimitExceeded(message)) => {
            ensure!(message.contains("reader"), "unhelpful message: {message}")
        }
        other => anyhow::bail!("96 MiB fit in 64 MiB: {:?}", other.map(|v| v.len())),
    }
    ensure!(
        capped.get_content("/small").await? == b"small",
        "small read"
    );
    // Streams need only a chunk at a time: the capped driver still reads the big file.
    same_bytes("/big", &read_stream(&capped, "/big", 0).await?, &big)?;
    same_bytes("/big", &c.driver.get_content("/big").await?, &big)?;
    c.driver.delete("/big").await?;

    // A writer whose part (chunksize 100 MiB) outgrows the memory traps: that writer fails,
    // the driver's next call works on a fresh instance. The part grows with the writes, so
    // it takes 80 MiB of them to get there.
    let big_parts = limited(
        c,
        "memory-cap-writer",
        Limits {
            memory: 64 << 20,
            ..Limits::default()
        },
        &[("chunksize", "104857600")],
    )
    .await?;
    let fill = async {
        let mut writer = big_parts.writer("/parts", false).await?;
        for piece in big[..80 * MIB].chunks(4 * MIB) {
            writer.write(piece).await?;
        }
        writer.commit().await
    };
    let failed = with_bystanders(c, fill).await?;
    ensure!(
        matches!(failed, Err(Error::Component(_))),
        "80 MiB of a 100 MiB part fit in 64 MiB: {failed:?}"
    );
    ensure!(
        big_parts.get_content("/small").await? == b"small",
        "small read after the trap"
    );
    // The trapped writer's upload is left open: a new writer supersedes it, then cancels.
    c.driver.writer("/parts", false).await?.cancel().await?;
    c.driver.delete("/small").await?;
    Ok(())
}

/// A call that computes past its deadline traps; the next call of the driver works.
pub async fn call_deadline_fails_that_call_only(c: &Ctx) -> Result<()> {
    let hasty = limited(
        c,
        "deadline",
        Limits {
            call_deadline: Duration::from_millis(60),
            ..Limits::default()
        },
        // The guest computes SHA-256 (unlike CRC32, which the host computes) of the whole
        // body before the request starts: far longer than 60 ms for 64 MiB, so the call
        // traps before anything is sent, whatever the load on the machine.
        &[("checksum_algorithm", "sha256")],
    )
    .await?;
    let slow = hasty.put_content("/slow", random_bytes(64 * MIB, 12));
    match with_bystanders(c, slow).await? {
        Err(Error::Component(e)) => ensure!(
            format!("{e:#}").contains("deadline"),
            "unexpected trap: {e:#}"
        ),
        other => anyhow::bail!("64 MiB were checksummed within 60 ms: {other:?}"),
    }
    hasty.put_content("/quick", b"q".to_vec()).await?;
    ensure!(
        c.driver.get_content("/quick").await? == b"q",
        "quick write lost"
    );
    c.driver.delete("/quick").await?;
    // The trap came before the upload: nothing was stored.
    ensure!(c.driver.stat("/slow").await.is_err(), "/slow exists");
    Ok(())
}

/// 64 concurrent writers of one tenant limited to 8 instances in use: the others wait, all
/// complete, every file holds exactly its bytes. Instances are recycled every 5 calls.
pub async fn concurrent_writers_wait_for_instances(c: &Ctx) -> Result<()> {
    let driver = limited(
        c,
        "backpressure",
        Limits {
            max_instances: 8,
            uses_per_instance: 5,
            ..Limits::default()
        },
        &[],
    )
    .await?;
    let tasks: Vec<_> = (0..64u64)
        .map(|i| {
            let driver = driver.clone();
            tokio::spawn(async move {
                let data = random_bytes(MIB + i as usize * 1000, 100 + i);
                write_stream(&driver, &format!("/w/{i}"), &data, 256 << 10).await?;
                Ok::<_, anyhow::Error>(data)
            })
        })
        .collect();
    let mut written = Vec::new();
    for task in tasks {
        written.push(task.await??);
    }
    for (i, data) in written.iter().enumerate() {
        let path = format!("/w/{i}");
        same_bytes(&path, &read_stream(&driver, &path, 0).await?, data)?;
    }
    driver.delete("/w").await?;
    Ok(())
}

/// A tenant limited to one instance in use drops readers part-way, between calls and in the
/// middle of one: each gives its instance back, so the next call neither waits for good nor
/// reads anything but its own object.
pub async fn dropped_readers_give_back_their_instance(c: &Ctx) -> Result<()> {
    let driver = limited(
        c,
        "dropped-readers",
        Limits {
            max_instances: 1,
            ..Limits::default()
        },
        &[],
    )
    .await?;
    let data = random_bytes(4 * MIB, 7);
    driver.put_content("/dropped", data.clone()).await?;
    let within =
        |what: &'static str| move |_| anyhow::anyhow!("{what}: no instance came back within 30 s");
    for mid_call in [false, true, false, true] {
        let mut reader =
            tokio::time::timeout(Duration::from_secs(30), driver.reader("/dropped", 0))
                .await
                .map_err(within("opening a reader"))??;
        ensure!(
            reader.chunk().await?.is_some(),
            "the first chunk is missing"
        );
        if mid_call {
            // One poll starts waiting for the next frame unless hyper already holds it; the
            // reader is dropped while it waits.
            let _ = tokio::time::timeout(Duration::ZERO, reader.chunk()).await;
        }
        drop(reader);
    }
    let read = tokio::time::timeout(Duration::from_secs(30), read_stream(&driver, "/dropped", 0))
        .await
        .map_err(within("reading after the dropped readers"))??;
    same_bytes("/dropped", &read, &data)?;
    driver.delete("/dropped").await?;
    Ok(())
}
