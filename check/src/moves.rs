//! The move cases.

use anyhow::{Result, ensure};

use crate::context::Ctx;
use crate::helpers::{expect_not_found, random_bytes, same_bytes, write_stream};

/// TestMove.
pub async fn move_content(c: &Ctx) -> Result<()> {
    let data = random_bytes(32, 44);
    c.driver.put_content("/src/a", data.clone()).await?;
    c.driver.move_path("/src/a", "/dst/b").await?;
    same_bytes("moved", &c.driver.get_content("/dst/b").await?, &data)?;
    expect_not_found(c.driver.get_content("/src/a").await, "/src/a")?;
    // TestMoveWritterBlob: a writer-created object moves the same way.
    write_stream(&c.driver, "/src/w", &data, 16).await?;
    c.driver.move_path("/src/w", "/dst/w").await?;
    same_bytes(
        "moved writer blob",
        &c.driver.get_content("/dst/w").await?,
        &data,
    )?;
    c.driver.delete("/dst").await?;
    Ok(())
}

/// TestMoveOverwrite: 32 bytes over 64.
pub async fn move_overwrite(c: &Ctx) -> Result<()> {
    let data = random_bytes(32, 45);
    c.driver.put_content("/src", data.clone()).await?;
    c.driver.put_content("/dst", random_bytes(64, 46)).await?;
    c.driver.move_path("/src", "/dst").await?;
    same_bytes("overwritten", &c.driver.get_content("/dst").await?, &data)?;
    expect_not_found(c.driver.get_content("/src").await, "/src")?;
    c.driver.delete("/dst").await?;
    Ok(())
}

/// TestMoveNonexistent: the destination is untouched.
pub async fn move_nonexistent(c: &Ctx) -> Result<()> {
    let data = random_bytes(32, 47);
    c.driver.put_content("/dst", data.clone()).await?;
    expect_not_found(c.driver.move_path("/missing", "/dst").await, "/missing")?;
    same_bytes("untouched", &c.driver.get_content("/dst").await?, &data)?;
    c.driver.delete("/dst").await?;
    Ok(())
}

/// TestMoveInvalid: below a file there is nothing to move.
pub async fn move_invalid(c: &Ctx) -> Result<()> {
    c.driver.put_content("/notadir", b"x".to_vec()).await?;
    ensure!(
        c.driver
            .move_path("/notadir/foo", "/notadir/bar")
            .await
            .is_err(),
        "moving below a file succeeded"
    );
    c.driver.delete("/notadir").await?;
    Ok(())
}

/// A file with keys below it (S3 allows `/f` beside `/f/x`): the move takes the file and
/// leaves the keys below it, which it did not copy (`docs/decisions.md` §17; the references
/// deleted them as part of the source path, losing them).
pub async fn move_keeps_keys_below_the_source(c: &Ctx) -> Result<()> {
    let (file, below) = (random_bytes(32, 50), random_bytes(16, 51));
    c.driver.put_content("/f", file.clone()).await?;
    c.driver.put_content("/f/x", below.clone()).await?;
    c.driver.move_path("/f", "/g").await?;
    same_bytes("moved", &c.driver.get_content("/g").await?, &file)?;
    same_bytes("kept below", &c.driver.get_content("/f/x").await?, &below)?;
    ensure!(
        c.driver.stat("/f").await?.is_dir,
        "/f is still a file after it moved"
    );
    c.driver.delete("/f").await?;
    c.driver.delete("/g").await?;
    Ok(())
}

/// Moving a path onto itself keeps the data.
pub async fn move_onto_itself(c: &Ctx) -> Result<()> {
    let data = random_bytes(32, 48);
    c.driver.put_content("/same", data.clone()).await?;
    c.driver.move_path("/same", "/same").await?;
    same_bytes("kept", &c.driver.get_content("/same").await?, &data)?;
    c.driver.delete("/same").await?;
    Ok(())
}

/// TestMoveWithMultipartCopy: 2 × 32 MiB + 128 bytes (above the threshold, uneven last part).
pub async fn move_with_multipart_copy(c: &Ctx) -> Result<()> {
    let data = random_bytes((64 << 20) + 128, 49);
    write_stream(&c.driver, "/big", &data, 8 << 20).await?;
    c.driver.move_path("/big", "/moved/big").await?;
    same_bytes(
        "multipart copy",
        &c.driver.get_content("/moved/big").await?,
        &data,
    )?;
    expect_not_found(c.driver.stat("/big").await, "/big")?;
    c.driver.delete("/moved").await?;
    Ok(())
}
