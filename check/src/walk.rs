//! The walk and walk-parallel cases.

use std::collections::BTreeSet;

use anyhow::{Result, ensure};
use s3drv_host::Driver;

use crate::context::Ctx;
use crate::helpers::{expect_not_found, put_all, random_bytes, walk_set};

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
    for (driver, is_parallel) in c.walkers(&parallel) {
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
    if c.store.lists_deleted_directories {
        let left = c.left_below("/prefix").await?;
        ensure!(left.is_empty(), "delete(/prefix) left {left:?}");
        return Ok(());
    }
    expect_not_found(c.driver.list("/prefix").await, "/prefix")
}
