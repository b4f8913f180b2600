//! The driver's parameters from arbitrary text (`key=value` per line): a configuration or
//! one error naming the problems, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3drv_guest::config::Config;

fuzz_target!(|text: &str| {
    let params: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let _ = Config::from_params(&params);
});
