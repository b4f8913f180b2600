//! Every parameter given YAML-typed (booleans, numbers) and as quoted strings (as environment
//! overrides give them) configures the driver the same way: the host's YAML reading and the
//! guest's parsing, together.

use s3drv_cli::config_file;
use s3drv_guest::config::Config;
use s3drv_guest::error::Error;

const TYPED: &str = "
storage:
  s3:
    bucket: registry
    region: eu-west-1
    regionendpoint: https://store.example:9000
    accesskey: AK
    secretkey: SK
    secure: true
    skipverify: false
    v4auth: true
    pathstyle: false
    parallelwalk: true
    encrypt: true
    keyid: key-1
    objectownership: false
    objectacl: bucket-owner-read
    storageclass: STANDARD_IA
    chunksize: 5242880
    multipartcopychunksize: 5368709120
    multipartcopythresholdsize: 0
    multipartcopymaxconcurrency: 7
    maxrequestspersecond: 0
    maxretries: 2
    usedualstack: false
    accelerate: false
    usefipsendpoint: false
    checksum_algorithm: CRC32C
    checksum_disabled: false
    loglevel: logdebugwithrequesterrors
    useragent: acme/1
    redirectendpoint: https://cdn.example
    rootdirectory: /r
";

/// `TYPED` with every scalar quoted.
fn quoted() -> String {
    TYPED
        .lines()
        .map(|line| match line.split_once(": ") {
            Some((key, value)) if key.starts_with("    ") => format!("{key}: \"{value}\""),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn config(yaml: &str) -> Result<Config, Error> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yml");
    std::fs::write(&file, yaml).unwrap();
    Config::from_params(&config_file::read(&file).unwrap())
}

#[test]
fn typed_and_quoted_values_configure_the_same_driver() {
    let typed = config(TYPED).unwrap();
    let text = quoted();
    assert!(text.contains("chunksize: \"5242880\""), "{text}");
    let from_strings = config(&text).unwrap();
    assert_eq!(format!("{typed:?}"), format!("{from_strings:?}"));
    assert!(typed.warnings.is_empty(), "{:?}", typed.warnings);
    assert_eq!(typed.chunk_size, 5 << 20);
    assert_eq!(typed.copy_max_concurrency, 7);
    assert_eq!(typed.policy.max_requests_per_second, 0);
    assert!(typed.parallel_walk && !typed.endpoint.path_style && typed.log.errors);
}

#[test]
fn typed_values_of_the_wrong_kind_are_named() {
    let bad = TYPED
        .replace("secure: true", "secure: 7")
        .replace("chunksize: 5242880", "chunksize: true")
        .replace("maxretries: 2", "maxretries: 2.5");
    let Err(Error::Config(problems)) = config(&bad) else {
        panic!("accepted")
    };
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["secure", "chunksize", "maxretries"]);
}
