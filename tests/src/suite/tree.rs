//! Tree cases that need objects only other tools create.

use std::collections::BTreeSet;

use anyhow::{Result, ensure};

use super::{Ctx, raw_put, sorted, walk_set};

/// TestWalkEmptyUploadsDir / TestWalkEmptyDir: a directory-marker object (`dir2/`, written by
/// other tools) is a directory for walk and walk-parallel, never an entry with an empty name.
pub async fn walk_empty_dir(c: &Ctx) -> Result<()> {
    c.driver.put_content("/dir1/file", b"x".to_vec()).await?;
    raw_put(c, "dir2/", Vec::new()).await?;
    let parallel = c.open(&c.root, &[("parallelwalk", "true")]).await?;
    let want: BTreeSet<(String, bool)> = [("/dir1", true), ("/dir1/file", false), ("/dir2", true)]
        .iter()
        .map(|(p, d)| (p.to_string(), *d))
        .collect();
    for (driver, is_parallel) in c.walkers(&parallel) {
        let got = walk_set(driver, "/", is_parallel).await?;
        ensure!(got == want, "walk parallel={is_parallel}: {got:?}");
    }
    ensure!(
        sorted(c.driver.list("/").await?) == ["/dir1", "/dir2"],
        "list(/) with a marker"
    );
    c.driver.delete("/dir2").await?;
    c.driver.delete("/dir1").await?;
    Ok(())
}
