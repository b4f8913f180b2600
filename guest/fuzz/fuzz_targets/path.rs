//! Registry paths and keys from arbitrary text: validation never panics, and every valid
//! path maps to a key under the root directory and back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3drv_guest::path::{self, KeyMapper};

fuzz_target!(|input: (&str, &str)| {
    let (root, candidate) = input;
    let mapper = KeyMapper::new(root);
    let valid = path::check(candidate).is_ok();
    assert_eq!(valid, path::is_valid(candidate));
    let _ = path::check_or_root(candidate);
    if valid {
        let key = mapper.key(candidate);
        assert_eq!(mapper.path(&key).as_deref(), Some(candidate));
        assert!(path::is_under(candidate, "/"));
    }
    let _ = mapper.path(candidate);
    let _ = mapper.dir_prefix(candidate);
});
