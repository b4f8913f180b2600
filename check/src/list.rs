//! The list and stat cases.

use std::time::Duration;

use anyhow::{Result, bail, ensure};
use s3drv_host::Error;

use crate::context::Ctx;
use crate::helpers::{expect_not_found, put_all, put_many, random_bytes, random_name, sorted};

/// TestList: missing directory, 50 files, the root and a parent.
pub async fn list(c: &Ctx) -> Result<()> {
    let root = format!("/{}", random_name(10));
    expect_not_found(
        c.driver.list(&format!("{root}/nonexistent")).await,
        &format!("{root}/nonexistent"),
    )?;
    let parent = format!("{root}/{}", random_name(8));
    let mut files = Vec::new();
    for _ in 0..50 {
        let path = format!("{parent}/{}", random_name(12));
        c.driver.put_content(&path, random_bytes(32, 42)).await?;
        files.push(path);
    }
    ensure!(
        c.driver.list("/").await? == vec![root.clone()],
        "list(/) is not [{root}]"
    );
    ensure!(
        c.driver.list(&root).await? == vec![parent.clone()],
        "list({root}) is not [{parent}]"
    );
    ensure!(
        sorted(c.driver.list(&parent).await?) == sorted(files),
        "list({parent}) differs"
    );
    c.driver.delete(&root).await?;
    Ok(())
}

/// TestList1200Files: listing pages (more than 1,000 entries).
pub async fn list_1200_files(c: &Ctx) -> Result<()> {
    let files = put_many(&c.driver, "/many", 1200, 8).await?;
    ensure!(
        sorted(c.driver.list("/many").await?) == files,
        "list of 1200 files differs"
    );
    c.driver.delete("/many").await?;
    Ok(())
}

/// TestListOverlappingPaths: `foo/bar` lists only its own children, not `foo/barman`'s.
pub async fn list_overlapping_paths(c: &Ctx) -> Result<()> {
    put_all(
        &c.driver,
        &["/foo/bar/a", "/foo/bar/b/c", "/foo/barman/d", "/foo/bar.x"],
        8,
    )
    .await?;
    ensure!(
        sorted(c.driver.list("/foo/bar").await?) == ["/foo/bar/a", "/foo/bar/b"],
        "list(/foo/bar) differs"
    );
    ensure!(
        sorted(c.driver.list("/foo").await?) == ["/foo/bar", "/foo/bar.x", "/foo/barman"],
        "list(/foo): files first then directories, got {:?}",
        c.driver.list("/foo").await?
    );
    c.driver.delete("/foo").await?;
    Ok(())
}

/// TestListUnprefixed / TestEmptyRootList: a driver without root directory lists valid paths.
pub async fn list_unprefixed(c: &Ctx) -> Result<()> {
    let rootless = c.open("", &[]).await?;
    let name = format!("/{}", random_name(64));
    rootless.put_content(&name, b"x".to_vec()).await?;
    let children = rootless.list("/").await?;
    let outcome = (|| {
        ensure!(
            children.contains(&name),
            "list(/) of the bucket lacks {name}"
        );
        for child in &children {
            ensure!(
                child.starts_with('/') && !child.ends_with('/') && !child.contains("//"),
                "invalid path {child:?} in list(/)"
            );
        }
        Ok(())
    })();
    rootless.delete(&name).await?;
    outcome
}

/// TestStatCall (GitLab): files, directories, partial prefixes, modification time, the root.
pub async fn stat_call(c: &Ctx) -> Result<()> {
    put_all(
        &c.driver,
        &[
            "/base/fooabc/f",
            "/base/foo./f",
            "/base/foo/f",
            "/base/bara",
            "/base/barabc",
            "/base/bar.a",
        ],
        4096,
    )
    .await?;
    match c.driver.stat("/").await {
        Ok(info) => ensure!(info.is_dir && info.path == "/", "stat(/): {info:?}"),
        Err(Error::PathNotFound(_)) => {}
        Err(e) => bail!("stat(/): {e}"),
    }
    expect_not_found(c.driver.stat("/base/missingdir").await, "/base/missingdir")?;
    expect_not_found(c.driver.stat("/base/missing").await, "/base/missing")?;
    let file = c.driver.stat("/base/bara").await?;
    ensure!(
        !file.is_dir && file.size == 4096 && file.path == "/base/bara" && file.modified.is_some(),
        "file: {file:?}"
    );
    let dir = c.driver.stat("/base/foo").await?;
    ensure!(
        dir.is_dir && dir.size == 0 && dir.path == "/base/foo",
        "dir with partial-prefix siblings: {dir:?}"
    );
    ensure!(
        c.driver.stat("/base").await?.is_dir,
        "dir with sub-directories"
    );
    expect_not_found(c.driver.stat("/base/fo").await, "/base/fo")?;
    expect_not_found(c.driver.stat("/base/bar").await, "/base/bar")?;
    expect_not_found(c.driver.stat("/base/barb").await, "/base/barb")?;
    // ModTime: a rewrite is strictly later (S3 times have one-second resolution).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    c.driver
        .put_content("/base/bara", random_bytes(4096, 43))
        .await?;
    let later = c.driver.stat("/base/bara").await?;
    ensure!(
        later.modified > file.modified,
        "modification time did not advance: {:?} then {:?}",
        file.modified,
        later.modified
    );
    c.driver.delete("/base").await?;
    Ok(())
}
