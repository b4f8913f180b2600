//! Registry paths and their S3 keys.
//!
//! A valid path matches `^(/[A-Za-z0-9._-]+)+$`. The key of a path is the root directory
//! (without surrounding slashes, followed by `/` when not empty) plus the path without its
//! leading slash; the root path `/` maps to the root prefix itself.

use crate::error::{Error, Result};

/// Whether `path` is a valid registry path (the root `/` is not).
pub fn is_valid(path: &str) -> bool {
    path.len() > 1
        && path.starts_with('/')
        && path[1..].split('/').all(|component| {
            !component.is_empty()
                && component
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

/// `Ok` when `path` is valid, else `invalid-path`.
pub fn check(path: &str) -> Result<()> {
    if is_valid(path) {
        Ok(())
    } else {
        Err(Error::InvalidPath(path.to_string()))
    }
}

/// Like [`check`], but also accepts the root `/` (for stat, list and walk).
pub fn check_or_root(path: &str) -> Result<()> {
    if path == "/" { Ok(()) } else { check(path) }
}

/// Whether `path` is `dir` itself or lies below it, component-wise: `/a/b` is under `/a`,
/// `/a-b` is not.
pub fn is_under(path: &str, dir: &str) -> bool {
    if dir == "/" {
        return true;
    }
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Maps registry paths to S3 keys and back for one root directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMapper {
    /// `""` or `"root/dir/"`.
    prefix: String,
}

impl KeyMapper {
    /// A mapper for the `rootdirectory` parameter (surrounding slashes are ignored).
    pub fn new(root_directory: &str) -> Self {
        let trimmed = root_directory.trim_matches('/');
        let prefix = if trimmed.is_empty() {
            String::new()
        } else {
            format!("{trimmed}/")
        };
        KeyMapper { prefix }
    }

    /// The S3 key of `path`; for `/` the root prefix (possibly empty).
    pub fn key(&self, path: &str) -> String {
        format!("{}{}", self.prefix, path.trim_start_matches('/'))
    }

    /// The prefix under which the children of directory `path` are stored (`key/`, or the
    /// root prefix for `/`).
    pub fn dir_prefix(&self, path: &str) -> String {
        if path == "/" {
            self.prefix.clone()
        } else {
            format!("{}/", self.key(path))
        }
    }

    /// The registry path of `key`, or `None` when the key lies outside the root directory.
    pub fn path(&self, key: &str) -> Option<String> {
        key.strip_prefix(&self.prefix)
            .map(|rest| format!("/{rest}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_paths_of_the_reference_suite() {
        for p in [
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
            assert!(is_valid(p), "{p} should be valid");
        }
    }

    #[test]
    fn invalid_paths_of_the_reference_suite() {
        for p in [
            "",
            "/",
            "abc",
            "123.abc",
            "//bcd",
            "/abc_123/",
            "/a b",
            "/ä",
            "/a*",
        ] {
            assert!(!is_valid(p), "{p:?} should be invalid");
            assert_eq!(check(p), Err(Error::InvalidPath(p.to_string())));
        }
        assert!(check_or_root("/").is_ok());
    }

    #[test]
    fn keys_follow_the_root_directory() {
        assert_eq!(KeyMapper::new("").key("/a/b"), "a/b");
        assert_eq!(KeyMapper::new("/").key("/a/b"), "a/b");
        assert_eq!(KeyMapper::new("/reg/").key("/a"), "reg/a");
        assert_eq!(KeyMapper::new("reg").key("/"), "reg/");
        assert_eq!(KeyMapper::new("").key("/"), "");
        assert_eq!(KeyMapper::new("a/b").dir_prefix("/c"), "a/b/c/");
        assert_eq!(KeyMapper::new("").dir_prefix("/"), "");
        assert_eq!(
            KeyMapper::new("reg").path("reg/x/y").as_deref(),
            Some("/x/y")
        );
        assert_eq!(KeyMapper::new("").path("x").as_deref(), Some("/x"));
        assert_eq!(KeyMapper::new("reg").path("other/x"), None);
    }

    #[test]
    fn under_is_component_aware() {
        assert!(is_under("/tags/1.2/x", "/tags/1.2"));
        assert!(is_under("/tags/1.2", "/tags/1.2"));
        assert!(!is_under("/tags/1.20", "/tags/1.2"));
        assert!(!is_under("/a-b", "/a"));
        assert!(is_under("/anything", "/"));
    }
}
