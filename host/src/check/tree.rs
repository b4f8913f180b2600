//! list, stat, move, delete, delete-files and walk.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::{Driver, Error};
use anyhow::{Result, bail, ensure};

use super::{
    Ctx, expect_invalid_path, expect_not_found, random_bytes, random_name, same_bytes, sorted,
    walk_set, write_stream,
};

async fn put_all(driver: &Driver, paths: &[&str], len: usize) -> Result<()> {
    for path in paths {
        driver.put_content(path, random_bytes(len, 40)).await?;
    }
    Ok(())
}

/// Puts `count` files of `len` bytes under `dir`, 16 requests at a time.
async fn put_many(driver: &Driver, dir: &str, count: usize, len: usize) -> Result<Vec<String>> {
    let paths: Vec<String> = (0..count).map(|i| format!("{dir}/file{i:05}")).collect();
    for batch in paths.chunks(16) {
        let tasks: Vec<_> = batch
            .iter()
            .map(|p| {
                let (driver, p) = (driver.clone(), p.clone());
                tokio::spawn(async move { driver.put_content(&p, random_bytes(len, 41)).await })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
    }
    Ok(paths)
}

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

/// TestMove.
pub async fn move_content(c: &Ctx) -> Result<()> {
    let data = random_bytes(32, 44);
    c.driver.put_content("/src/a", data.clone()).await?;
    c.driver.move_("/src/a", "/dst/b").await?;
    same_bytes("moved", &c.driver.get_content("/dst/b").await?, &data)?;
    expect_not_found(c.driver.get_content("/src/a").await, "/src/a")?;
    // TestMoveWritterBlob: a writer-created object moves the same way.
    write_stream(&c.driver, "/src/w", &data, 16).await?;
    c.driver.move_("/src/w", "/dst/w").await?;
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
    c.driver.move_("/src", "/dst").await?;
    same_bytes("overwritten", &c.driver.get_content("/dst").await?, &data)?;
    expect_not_found(c.driver.get_content("/src").await, "/src")?;
    c.driver.delete("/dst").await?;
    Ok(())
}

/// TestMoveNonexistent: the destination is untouched.
pub async fn move_nonexistent(c: &Ctx) -> Result<()> {
    let data = random_bytes(32, 47);
    c.driver.put_content("/dst", data.clone()).await?;
    expect_not_found(c.driver.move_("/missing", "/dst").await, "/missing")?;
    same_bytes("untouched", &c.driver.get_content("/dst").await?, &data)?;
    c.driver.delete("/dst").await?;
    Ok(())
}

/// TestMoveInvalid: below a file there is nothing to move.
pub async fn move_invalid(c: &Ctx) -> Result<()> {
    c.driver.put_content("/notadir", b"x".to_vec()).await?;
    ensure!(
        c.driver
            .move_("/notadir/foo", "/notadir/bar")
            .await
            .is_err(),
        "moving below a file succeeded"
    );
    c.driver.delete("/notadir").await?;
    Ok(())
}

/// Moving a path onto itself keeps the data.
pub async fn move_onto_itself(c: &Ctx) -> Result<()> {
    let data = random_bytes(32, 48);
    c.driver.put_content("/same", data.clone()).await?;
    c.driver.move_("/same", "/same").await?;
    same_bytes("kept", &c.driver.get_content("/same").await?, &data)?;
    c.driver.delete("/same").await?;
    Ok(())
}

/// TestMoveWithMultipartCopy: 2 × 32 MiB + 128 bytes (above the threshold, uneven last part).
pub async fn move_with_multipart_copy(c: &Ctx) -> Result<()> {
    let data = random_bytes((64 << 20) + 128, 49);
    write_stream(&c.driver, "/big", &data, 8 << 20).await?;
    c.driver.move_("/big", "/moved/big").await?;
    same_bytes(
        "multipart copy",
        &c.driver.get_content("/moved/big").await?,
        &data,
    )?;
    expect_not_found(c.driver.stat("/big").await, "/big")?;
    c.driver.delete("/moved").await?;
    Ok(())
}

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

const WALK_SET: [&str; 7] = [
    "/file1",
    "/folder1-suffix/file1",
    "/folder1/file1",
    "/folder2/file1",
    "/folder3/subfolder1/subfolder1/file1",
    "/folder3/subfolder2/subfolder1/file1",
    "/folder4/file1",
];

/// Walks `from`; `skip` directories are skipped, `stop_at` ends the walk after that entry.
async fn walk(
    driver: &Driver,
    from: &str,
    hint: Option<&str>,
    skip: &[&str],
    stop_at: Option<&str>,
) -> Result<Vec<String>> {
    let mut walker = driver.walk(from, hint).await?;
    let mut seen = Vec::new();
    while let Some(entry) = walker.next().await? {
        let label = if entry.is_dir {
            format!("{}/", entry.path)
        } else {
            entry.path.clone()
        };
        if entry.is_dir && skip.contains(&entry.path.as_str()) {
            walker.skip_directory().await?;
        }
        seen.push(label);
        if stop_at == Some(entry.path.as_str()) {
            break;
        }
    }
    Ok(seen)
}

/// TestWalk (distribution's table): exact, ordered entries (directories end with `/` here).
pub async fn walk_table(c: &Ctx) -> Result<()> {
    put_all(&c.driver, &WALK_SET, 8).await?;
    let all = [
        "/file1",
        "/folder1-suffix/",
        "/folder1-suffix/file1",
        "/folder1/",
        "/folder1/file1",
        "/folder2/",
        "/folder2/file1",
        "/folder3/",
        "/folder3/subfolder1/",
        "/folder3/subfolder1/subfolder1/",
        "/folder3/subfolder1/subfolder1/file1",
        "/folder3/subfolder2/",
        "/folder3/subfolder2/subfolder1/",
        "/folder3/subfolder2/subfolder1/file1",
        "/folder4/",
        "/folder4/file1",
    ];
    let after_folder3_hint = &all[7..];
    // (name, walk from, start-after hint, directories to skip, stop after, entries expected)
    type WalkCase<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        &'a [&'a str],
        Option<&'a str>,
        Vec<&'a str>,
    );
    let cases: [WalkCase; 8] = [
        ("walk all", "/", None, &[], None, all.to_vec()),
        (
            "skip /folder3",
            "/",
            None,
            &["/folder3"],
            None,
            all.iter()
                .copied()
                .filter(|p| !p.starts_with("/folder3/") || *p == "/folder3/")
                .collect(),
        ),
        (
            "hint without from",
            "/",
            Some("/folder3/subfolder1/subfolder1/file1"),
            &[],
            None,
            vec![
                "/folder3/",
                "/folder3/subfolder2/",
                "/folder3/subfolder2/subfolder1/",
                "/folder3/subfolder2/subfolder1/file1",
                "/folder4/",
                "/folder4/file1",
            ],
        ),
        (
            "hint with from",
            "/folder3",
            Some("/folder3/subfolder1/subfolder1/file1"),
            &[],
            None,
            vec![
                "/folder3/subfolder2/",
                "/folder3/subfolder2/subfolder1/",
                "/folder3/subfolder2/subfolder1/file1",
            ],
        ),
        (
            "hint outside from",
            "/folder3",
            Some("/folder4/file1"),
            &[],
            None,
            vec![],
        ),
        (
            "hint is from",
            "/folder3",
            Some("/folder3"),
            &[],
            None,
            after_folder3_hint[1..7].to_vec(),
        ),
        (
            "stop at /folder1/file1",
            "/",
            None,
            &[],
            Some("/folder1/file1"),
            all[..5].to_vec(),
        ),
        (
            "from /folder1",
            "/folder1",
            None,
            &[],
            None,
            vec!["/folder1/file1"],
        ),
    ];
    for (name, from, hint, skip, stop, want) in cases {
        let got = walk(&c.driver, from, hint, skip, stop).await?;
        ensure!(got == want, "{name}: got {got:?}, want {want:?}");
    }
    c.driver.delete_files(&WALK_SET.map(String::from)).await?;
    Ok(())
}

/// TestWalkSkipDir (GitLab): a skipped directory's entries are never delivered.
pub async fn walk_skip_dir(c: &Ctx) -> Result<()> {
    put_all(
        &c.driver,
        &[
            "/dir1/a", "/dir1/b", "/dir2/a", "/dir2/b", "/dir3/a", "/dir3/b",
        ],
        8,
    )
    .await?;
    let seen = walk(&c.driver, "/", None, &["/dir2"], None).await?;
    ensure!(
        seen.iter()
            .all(|p| !p.starts_with("/dir2/") || p == "/dir2/"),
        "skipped entries delivered: {seen:?}"
    );
    ensure!(seen.len() == 7, "expected 7 entries, got {seen:?}");
    for d in ["/dir1", "/dir2", "/dir3"] {
        c.driver.delete(d).await?;
    }
    Ok(())
}

/// TestWalkErrorPathNotFound: walk and walk-parallel of a missing path.
pub async fn walk_error_path_not_found(c: &Ctx) -> Result<()> {
    expect_not_found(
        c.driver.walk("/maryna/boryna", None).await.map(|_| ()),
        "/maryna/boryna",
    )?;
    expect_not_found(
        c.driver.walk_parallel("/maryna/boryna").await.map(|_| ()),
        "/maryna/boryna",
    )?;
    let parallel = c.open(&c.root, &[("parallelwalk", "true")]).await?;
    expect_not_found(
        parallel.walk_parallel("/maryna/boryna").await.map(|_| ()),
        "/maryna/boryna",
    )
}

/// TestWalkOverlappingPaths: walks of `foo/bar` never include `foo/barman`.
pub async fn walk_overlapping_paths(c: &Ctx) -> Result<()> {
    put_all(
        &c.driver,
        &["/foo/bar/a", "/foo/bar/b/c", "/foo/barman/d"],
        8,
    )
    .await?;
    let parallel = c.open(&c.root, &[("parallelwalk", "true")]).await?;
    for (driver, is_parallel) in [(&c.driver, false), (&parallel, true)] {
        let got = walk_set(driver, "/foo/bar", is_parallel).await?;
        let want: BTreeSet<(String, bool)> = [
            ("/foo/bar/a", false),
            ("/foo/bar/b", true),
            ("/foo/bar/b/c", false),
        ]
        .iter()
        .map(|(p, d)| (p.to_string(), *d))
        .collect();
        ensure!(
            got == want,
            "walk(/foo/bar) parallel={is_parallel}: {got:?}"
        );
        ensure!(
            walk_set(driver, "/foo", is_parallel).await?.len() == 6,
            "walk(/foo) parallel={is_parallel}"
        );
    }
    c.driver.delete("/foo").await?;
    Ok(())
}

/// TestWalk (GitLab): walk-parallel reports exactly what walk reports, each entry once, on a
/// random tree beside a registry's `blobs/sha256/<xx>/<digest>/data` (one directory with
/// many below it: walk-parallel cuts inside `blobs/sha256`, which several cursors enter).
pub async fn walk_parallel_matches_walk(c: &Ctx) -> Result<()> {
    let mut paths = Vec::new();
    for i in 0..40 {
        let depth = 1 + i % 4;
        let dirs: Vec<String> = (0..depth)
            .map(|d| format!("d{}", (i * 7 + d * 3) % 5))
            .collect();
        paths.push(format!("/tree/{}/f{i}", dirs.join("/")));
    }
    for i in 0..16u32 {
        let digest = format!("{:08x}", i.wrapping_mul(0x9e37_79b9));
        paths.push(format!("/tree/blobs/sha256/{}/{digest}/data", &digest[..2]));
    }
    for p in &paths {
        c.driver.put_content(p, b"x".to_vec()).await?;
    }
    let parallel = c.open(&c.root, &[("parallelwalk", "true")]).await?;
    let serial = walk_set(&c.driver, "/tree", false).await?;
    let concurrent = walk_set(&parallel, "/tree", true).await?;
    ensure!(
        serial == concurrent,
        "walk-parallel differs: only in walk {:?}, only in walk-parallel {:?}",
        serial.difference(&concurrent).collect::<Vec<_>>(),
        concurrent.difference(&serial).collect::<Vec<_>>()
    );
    let files = serial.iter().filter(|(_, d)| !d).count();
    ensure!(
        files == paths.len(),
        "walk found {files} files of {}",
        paths.len()
    );
    c.driver.delete("/tree").await?;
    Ok(())
}

/// TestListObjectsV2 (distribution): 6 files and `sub/0` under one prefix: stat, list, walk
/// (kinds and sizes) and delete of the prefix.
pub async fn list_objects_v2(c: &Ctx) -> Result<()> {
    let files: Vec<String> = (0..6)
        .map(|i| format!("/prefix/{i}"))
        .chain(["/prefix/sub/0".to_string()])
        .collect();
    for (i, f) in files.iter().enumerate() {
        c.driver.put_content(f, random_bytes(10 + i, 50)).await?;
    }
    for (i, f) in files.iter().enumerate() {
        let info = c.driver.stat(f).await?;
        ensure!(
            !info.is_dir && info.size == (10 + i) as u64,
            "stat {f}: {info:?}"
        );
    }
    let mut want: Vec<String> = files[..6].to_vec();
    want.push("/prefix/sub".into());
    ensure!(
        c.driver.list("/prefix").await? == want,
        "list(/prefix): files then the directory"
    );
    let walked = c.driver.walk("/prefix", None).await?.collect().await?;
    ensure!(
        walked.len() == 8,
        "walk(/prefix) gave {} entries",
        walked.len()
    );
    for entry in &walked {
        let expected = files
            .iter()
            .position(|f| *f == entry.path)
            .map(|i| (false, (10 + i) as u64));
        ensure!(
            expected.unwrap_or((true, 0)) == (entry.is_dir, entry.size),
            "walk entry {entry:?}"
        );
    }
    c.driver.delete("/prefix").await?;
    expect_not_found(c.driver.list("/prefix").await, "/prefix")
}
