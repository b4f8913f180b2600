//! The delete, delete-files and tight create-list-delete cases.

use anyhow::{Result, ensure};

use crate::context::Ctx;
use crate::helpers::{expect_invalid_path, expect_not_found, put_all, put_many};

/// TestDelete.
pub async fn delete(c: &Ctx) -> Result<()> {
    c.driver.put_content("/d/file", b"x".to_vec()).await?;
    c.driver.delete("/d/file").await?;
    expect_not_found(c.driver.get_content("/d/file").await, "/d/file")
}

/// TestDeleteNonexistent.
pub async fn delete_nonexistent(c: &Ctx) -> Result<()> {
    expect_not_found(c.driver.delete("/missing").await, "/missing")
}

/// TestDeleteFolder / TestDeleteDir1File.
pub async fn delete_folder(c: &Ctx) -> Result<()> {
    put_all(&c.driver, &["/dir/1", "/dir/2", "/dir/3"], 32).await?;
    c.driver.delete("/dir/1").await?;
    expect_not_found(c.driver.get_content("/dir/1").await, "/dir/1")?;
    c.driver.get_content("/dir/2").await?;
    c.driver.delete("/dir").await?;
    for p in ["/dir/2", "/dir/3"] {
        expect_not_found(c.driver.get_content(p).await, p)?;
    }
    Ok(())
}

/// TestDeleteOnlyDeletesSubpaths.
pub async fn delete_only_deletes_subpaths(c: &Ctx) -> Result<()> {
    put_all(
        &c.driver,
        &["/d/f", "/d/fsuffix", "/d/d/f", "/d/dsuffix/f"],
        32,
    )
    .await?;
    c.driver.delete("/d/f").await?;
    c.driver.get_content("/d/fsuffix").await?;
    c.driver.delete("/d/d").await?;
    c.driver.get_content("/d/dsuffix/f").await?;
    c.driver.delete("/d").await?;
    Ok(())
}

const DELETE_SET: [&str; 10] = [
    "/file1",
    "/file1-2",
    "/folder1/file1",
    "/folder2/file1",
    "/folder3/file1",
    "/folder3/subfolder1/subfolder1/file1",
    "/folder3/subfolder2/subfolder1/file1",
    "/folder4/file1",
    "/folder1-v2/file1",
    "/folder1-v2/subfolder1/file1",
];

/// TestDelete (distribution's table): each delete removes exactly its sub-tree.
pub async fn delete_table(c: &Ctx) -> Result<()> {
    let table: [(&str, &[&str]); 6] = [
        ("/file1", &["/file1"]),
        ("/folder1", &["/folder1/file1"]),
        (
            "/folder3",
            &[
                "/folder3/file1",
                "/folder3/subfolder1/subfolder1/file1",
                "/folder3/subfolder2/subfolder1/file1",
            ],
        ),
        (
            "/folder3/subfolder1",
            &["/folder3/subfolder1/subfolder1/file1"],
        ),
        (
            "/folder1-v2",
            &["/folder1-v2/file1", "/folder1-v2/subfolder1/file1"],
        ),
        ("/folder4/file1", &["/folder4/file1"]),
    ];
    for (target, removed) in table {
        put_all(&c.driver, &DELETE_SET, 8).await?;
        c.driver.delete(target).await?;
        for path in DELETE_SET {
            let exists = c.driver.stat(path).await.is_ok();
            ensure!(
                exists != removed.contains(&path),
                "after delete({target}): {path} exists={exists}"
            );
        }
        c.driver.delete_files(&DELETE_SET.map(String::from)).await?;
    }
    expect_not_found(
        c.driver.delete("/path/does/not/exist").await,
        "/path/does/not/exist",
    )?;
    expect_invalid_path(
        c.driver.delete("/path/is/invalid/").await,
        "/path/is/invalid/",
    )?;
    expect_invalid_path(
        c.driver.delete("/path/is/invalid*").await,
        "/path/is/invalid*",
    )
}

/// TestDeleteFileEqualFolderFileName.
pub async fn delete_file_equal_folder_file_name(c: &Ctx) -> Result<()> {
    c.driver
        .put_content("/dir/Maryna/Maryna", b"x".to_vec())
        .await?;
    c.driver.delete("/dir/Maryna/Maryna").await?;
    expect_not_found(c.driver.stat("/dir").await, "/dir")
}

/// TestOverThousandBlobs: delete of a folder of 1,005 files.
pub async fn over_thousand_blobs(c: &Ctx) -> Result<()> {
    let files = put_many(&c.driver, "/thousand", 1005, 8).await?;
    c.driver.delete("/thousand").await?;
    expect_not_found(c.driver.stat(&files[1004]).await, &files[1004])?;
    expect_not_found(c.driver.list("/thousand").await, "/thousand")
}

/// TestDeleteFiles: counts and removal.
pub async fn delete_files(c: &Ctx) -> Result<()> {
    for count in [0usize, 1, 9] {
        let files = put_many(&c.driver, "/df", count, 8).await?;
        ensure!(
            c.driver.delete_files(&files).await? == count as u64,
            "delete-files count for {count}"
        );
        for f in &files {
            expect_not_found(c.driver.stat(f).await, f)?;
        }
    }
    Ok(())
}

/// TestDeleteFilesNotFound: missing files count as deleted.
pub async fn delete_files_not_found(c: &Ctx) -> Result<()> {
    let files = put_many(&c.driver, "/dfn", 5, 8).await?;
    c.driver.delete_files(&files[..3]).await?;
    ensure!(
        c.driver.delete_files(&files).await? == 5,
        "count with 3 missing files"
    );
    Ok(())
}

/// TestCreateListDeleteTightLoop: 40 × put, list shows it, delete, list no longer does.
pub async fn create_list_delete_tight_loop(c: &Ctx) -> Result<()> {
    for i in 0..40 {
        let path = format!("/loop{i}");
        c.driver.put_content(&path, b"x".to_vec()).await?;
        ensure!(
            c.driver.list("/").await?.contains(&path),
            "{path} not listed after put"
        );
        c.driver.delete(&path).await?;
        ensure!(
            !c.driver.list("/").await?.contains(&path),
            "{path} still listed after delete"
        );
    }
    Ok(())
}
