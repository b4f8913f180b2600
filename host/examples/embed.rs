//! A minimal embedding of s3drv, to copy into a registry written in Rust: load the component,
//! open a driver from the registry's storage parameters, stream a blob in, read it back, walk.
//!
//! ```sh
//! AWS_ENDPOINT_URL=http://127.0.0.1:3900 AWS_REGION=garage S3_BUCKET=registry \
//! AWS_ACCESS_KEY_ID=GK... AWS_SECRET_ACCESS_KEY=... \
//!   cargo run --release -p s3drv-host --example embed -- target/release/s3drv.wasm
//! ```
//!
//! `make test` runs it against Garage and moto.

use s3drv_host::{Runtime, Tenant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let component = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/release/s3drv.wasm".into());
    let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));

    // Compile the component once per process (cached on disk); open one driver per tenant.
    let runtime = Runtime::load(component.as_ref())?;
    let params = [
        ("regionendpoint", var("AWS_ENDPOINT_URL")?),
        ("region", var("AWS_REGION")?),
        ("bucket", var("S3_BUCKET")?),
        ("accesskey", var("AWS_ACCESS_KEY_ID")?),
        ("secretkey", var("AWS_SECRET_ACCESS_KEY")?),
        (
            "rootdirectory",
            std::env::var("S3DRV_ROOT").unwrap_or("/embed-example".into()),
        ),
    ];
    let driver = runtime.open_for(&Tenant::new("example"), params).await?;

    // Stream a 12 MiB blob in 1 MiB writes: parts go out while the next one fills.
    let blob: Vec<u8> = (0..12u32 << 20).map(|i| (i % 251) as u8).collect();
    let mut writer = driver.writer("/blobs/example", false).await?;
    for piece in blob.chunks(1 << 20) {
        writer.write_all(piece).await?;
    }
    writer.commit().await?;

    // Read it back from the start and compare.
    let mut stored = Vec::new();
    driver
        .reader("/blobs/example", 0)
        .await?
        .read_to_end(&mut stored)
        .await?;
    if stored != blob {
        return Err(format!("read back {} bytes that differ", stored.len()).into());
    }
    println!("wrote and read back {} bytes", stored.len());

    // Walk everything below the root.
    let mut walker = driver.walk("/", None).await?;
    while let Some(entry) = walker.next().await? {
        let kind = if entry.is_dir { "dir " } else { "file" };
        println!("{kind} {} {}", entry.path, entry.size);
    }

    driver.delete("/blobs").await?;
    Ok(())
}
