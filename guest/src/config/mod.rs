//! The driver's parameters (`docs/decisions.md` §21-25): parsed once, validated together, every problem
//! named by its key and the values it accepts.
//!
//! - `s3drv_common::params` reads typed values out of the string map;
//! - `s3drv_common::endpoint` resolves `regionendpoint`, AWS host names and
//!   `redirectendpoint` (shared with the host, which computes the driver's destinations);
//! - [`logging`] parses `loglevel`.

pub mod logging;

use crate::checksum::ChecksumAlgorithm;
use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::path::KeyMapper;
pub use logging::LogFlags;
pub use s3drv_common::endpoint::Endpoint;
use s3drv_common::endpoint::{Resolved, resolve};
use s3drv_common::params::Values;
use s3drv_common::transport::TransportSettings;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;
/// Smallest part S3 accepts (except the last).
pub const MIN_CHUNK_SIZE: u64 = 5 * MIB;
/// Largest part, and largest single PUT or copy source, S3 accepts.
pub const MAX_CHUNK_SIZE: u64 = 5 * GIB;
/// A writer's parts in flight by default (`multipartuploadconcurrency`).
const DEFAULT_UPLOAD_CONCURRENCY: u64 = 4;
/// The most parts a writer may have in flight: each holds a chunk in the host.
const MAX_UPLOAD_CONCURRENCY: u64 = 64;

/// Storage classes S3 accepts (`NONE` omits the header).
const STORAGE_CLASSES: &[&str] = &[
    "NONE",
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "OUTPOSTS",
    "GLACIER_IR",
    "EXPRESS_ONEZONE",
];

/// Canned ACLs (case-sensitive).
const CANNED_ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
];

/// Every key [`Config::from_params`] reads; others get an "unknown parameter" warning.
const KNOWN_KEYS: &[&str] = &[
    "accesskey",
    "secretkey",
    "sessiontoken",
    "region",
    "regionendpoint",
    "bucket",
    "rootdirectory",
    "encrypt",
    "keyid",
    "secure",
    "skipverify",
    "v4auth",
    "chunksize",
    "multipartcopychunksize",
    "multipartcopymaxconcurrency",
    "multipartcopythresholdsize",
    "multipartuploadconcurrency",
    "pathstyle",
    "forcepathstyle",
    "maxrequestspersecond",
    "maxretries",
    "parallelwalk",
    "loglevel",
    "objectacl",
    "objectownership",
    "storageclass",
    "useragent",
    "usedualstack",
    "accelerate",
    "usefipsendpoint",
    "redirectendpoint",
    "checksum_algorithm",
    "checksum_disabled",
];

/// Server-side encryption of new objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    /// `x-amz-server-side-encryption: AES256`.
    Aes256,
    /// `aws:kms`, with the key id when one is configured.
    Kms(Option<String>),
}

/// Attributes of every request that creates an object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectAttributes {
    /// Storage class header; `None` omits it.
    pub storage_class: Option<String>,
    /// Canned ACL header; `None` omits it (object ownership enforced).
    pub acl: Option<String>,
    /// Server-side encryption.
    pub encryption: Option<Encryption>,
}

/// How requests are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureVersion {
    /// AWS Signature Version 4 (the default).
    V4,
    /// The deprecated Signature Version 2 (`v4auth: false`), for old non-AWS stores.
    V2,
}

/// The validated configuration of one driver.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bucket name.
    pub bucket: String,
    /// Signing region.
    pub region: String,
    /// Service endpoint and addressing style.
    pub endpoint: Endpoint,
    /// Scheme and authority that replace the endpoint's in presigned URLs.
    pub redirect: Option<(bool, String)>,
    /// Static credentials; `None` = the credential chain (`docs/decisions.md` §25).
    pub credentials: Option<Credentials>,
    /// Signature version.
    pub signature: SignatureVersion,
    /// Registry path ↔ S3 key mapping.
    pub keys: KeyMapper,
    /// Multipart part size of writers.
    pub chunk_size: u64,
    /// Part size of multipart copies.
    pub copy_chunk_size: u64,
    /// Largest object moved with one CopyObject.
    pub copy_threshold: u64,
    /// Multipart copy requests in flight at most.
    pub copy_max_concurrency: usize,
    /// A writer's parts in flight at most while the next one fills.
    pub upload_concurrency: usize,
    /// Whether walk-parallel lists sub-trees concurrently.
    pub parallel_walk: bool,
    /// Attributes of new objects.
    pub attributes: ObjectAttributes,
    /// Checksum of bodies that create data; `None` with `checksum_disabled`.
    pub checksum: Option<ChecksumAlgorithm>,
    /// `User-Agent` of every request.
    pub user_agent: String,
    /// What the driver logs.
    pub log: LogFlags,
    /// What the host enforces (`docs/decisions.md` §26), handed over through the WIT
    /// `transport-policy` call.
    pub policy: TransportSettings,
    /// Warnings about the parameters.
    pub warnings: Vec<String>,
}

impl Config {
    /// Parses and validates the registry's parameter map. Every problem is reported, each with
    /// its key; unknown keys and ignored values become [`Config::warnings`].
    pub fn from_params(params: &[(String, String)]) -> Result<Config> {
        let mut v = Values::new(params);
        let mut warnings = Vec::new();

        let Resolved {
            bucket,
            region,
            custom_endpoint,
            endpoint,
            redirect,
        } = resolve(&mut v, &mut warnings);

        let credentials = parse_credentials(&mut v);
        let signature = if v.bool("v4auth", true) {
            SignatureVersion::V4
        } else {
            let on_aws = !custom_endpoint
                || endpoint.authority.ends_with("amazonaws.com")
                || endpoint.authority.contains("amazonaws.com:");
            if on_aws {
                v.problem("v4auth", "on Amazon S3 this storage driver can only be used with v4 authentication (v4auth: false needs a regionendpoint that is not AWS)");
            } else {
                warnings.push("v4auth: false signs with Signature Version 2, which is deprecated; use it only for stores without SigV4".into());
            }
            SignatureVersion::V2
        };

        let chunk_size = v.integer("chunksize", 10 * MIB, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE);
        let copy_chunk_size = v.integer(
            "multipartcopychunksize",
            32 * MIB,
            MIN_CHUNK_SIZE,
            MAX_CHUNK_SIZE,
        );
        let copy_threshold = v.integer("multipartcopythresholdsize", 32 * MIB, 0, MAX_CHUNK_SIZE);
        let copy_max_concurrency =
            v.integer("multipartcopymaxconcurrency", 100, 1, u32::MAX as u64) as usize;
        let upload_concurrency = v.integer(
            "multipartuploadconcurrency",
            DEFAULT_UPLOAD_CONCURRENCY,
            1,
            MAX_UPLOAD_CONCURRENCY,
        ) as usize;
        let parallel_walk = v.bool("parallelwalk", false);
        let policy = TransportSettings::read(&mut v);

        let attributes = parse_attributes(&mut v);
        let checksum = parse_checksum(&mut v, &mut warnings);
        let log = match v.string("loglevel") {
            Some(level) => {
                let (flags, ignored) = LogFlags::parse(&level);
                warnings.extend(ignored);
                flags
            }
            None => LogFlags::default(),
        };
        let user_agent = match v.string("useragent") {
            Some(token) => format!("{} {token}", default_user_agent()),
            None => default_user_agent(),
        };

        for (key, _) in params {
            let key = key.to_ascii_lowercase();
            if !KNOWN_KEYS.contains(&key.as_str()) {
                warnings.push(format!("unknown parameter {key} is ignored"));
            }
        }

        if !v.problems.is_empty() {
            return Err(Error::Config(v.problems));
        }
        Ok(Config {
            bucket,
            region,
            endpoint,
            redirect,
            credentials,
            signature,
            keys: KeyMapper::new(&v.string("rootdirectory").unwrap_or_default()),
            chunk_size,
            copy_chunk_size,
            copy_threshold,
            copy_max_concurrency,
            upload_concurrency,
            parallel_walk,
            attributes,
            checksum,
            user_agent,
            log,
            policy,
            warnings,
        })
    }
}

/// `s3drv/<version>`, the start of every `User-Agent`.
fn default_user_agent() -> String {
    format!("s3drv/{}", env!("CARGO_PKG_VERSION"))
}

/// Static keys, or `None` for the credential chain.
fn parse_credentials(v: &mut Values<'_>) -> Option<Credentials> {
    let access_key = v.string("accesskey");
    let secret_key = v.string("secretkey");
    let session_token = v.string("sessiontoken");
    match (access_key, secret_key) {
        (Some(access_key), Some(secret_key)) => Some(Credentials {
            access_key,
            secret_key,
            session_token,
            expires: None,
        }),
        (None, None) => {
            if session_token.is_some() {
                v.problem("sessiontoken", "needs accesskey and secretkey");
            }
            None
        }
        (Some(_), None) => {
            v.problem(
                "secretkey",
                "accesskey and secretkey must be given together",
            );
            None
        }
        (None, Some(_)) => {
            v.problem(
                "accesskey",
                "accesskey and secretkey must be given together",
            );
            None
        }
    }
}

fn parse_attributes(v: &mut Values<'_>) -> ObjectAttributes {
    let storage_class = match v.string("storageclass") {
        None => Some("STANDARD".to_string()),
        Some(_) => v
            .one_of("storageclass", STORAGE_CLASSES, true)
            .filter(|class| *class != "NONE")
            .map(String::from),
    };
    let ownership = v.bool("objectownership", false);
    let acl = match (v.string("objectacl"), ownership) {
        (Some(_), true) => {
            v.problem("objectacl", "must not be set when objectownership is true");
            None
        }
        (None, true) => None,
        (None, false) => Some("private".to_string()),
        (Some(_), false) => v.one_of("objectacl", CANNED_ACLS, false).map(String::from),
    };
    let key_id = v.string("keyid");
    let encryption = match (v.bool("encrypt", false), key_id) {
        (false, None) => None,
        (false, Some(_)) => {
            v.problem("keyid", "is set but encrypt is false");
            None
        }
        (true, None) => Some(Encryption::Aes256),
        (true, Some(id)) => Some(Encryption::Kms(Some(id))),
    };
    ObjectAttributes {
        storage_class,
        acl,
        encryption,
    }
}

/// `checksum_algorithm` unless `checksum_disabled`. The default is CRC32 (`docs/decisions.md` §18):
/// MD5 computed in the guest cost 3.46 s of client CPU per GiB written, CRC32 2.51 s
/// (BENCHMARKS.md).
fn parse_checksum(v: &mut Values<'_>, warnings: &mut Vec<String>) -> Option<ChecksumAlgorithm> {
    let algorithm = v
        .one_of("checksum_algorithm", ChecksumAlgorithm::NAMES, true)
        .and_then(ChecksumAlgorithm::from_name);
    if v.bool("checksum_disabled", false) {
        if algorithm.is_some() {
            warnings.push("checksum_algorithm is ignored because checksum_disabled is true".into());
        }
        return None;
    }
    Some(algorithm.unwrap_or(ChecksumAlgorithm::Crc32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn base() -> Vec<(String, String)> {
        params(&[
            ("bucket", "b"),
            ("region", "us-east-1"),
            ("accesskey", "AK"),
            ("secretkey", "SK"),
        ])
    }

    #[test]
    fn defaults() {
        let c = Config::from_params(&base()).unwrap();
        assert_eq!(c.chunk_size, 10 * MIB);
        assert_eq!(c.copy_chunk_size, 32 * MIB);
        assert_eq!(c.copy_threshold, 32 * MIB);
        assert_eq!(c.copy_max_concurrency, 100);
        assert_eq!(
            c.endpoint,
            Endpoint {
                secure: true,
                authority: "s3.us-east-1.amazonaws.com".into(),
                path_style: false
            }
        );
        assert_eq!(c.attributes.storage_class.as_deref(), Some("STANDARD"));
        assert_eq!(c.attributes.acl.as_deref(), Some("private"));
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn endpoint_sets_path_style_and_scheme() {
        let mut p = base();
        p.push(("regionendpoint".into(), "http://127.0.0.1:3900".into()));
        let c = Config::from_params(&p).unwrap();
        assert_eq!(
            c.endpoint,
            Endpoint {
                secure: false,
                authority: "127.0.0.1:3900".into(),
                path_style: true
            }
        );
        p.push(("pathstyle".into(), "false".into()));
        assert!(!Config::from_params(&p).unwrap().endpoint.path_style);
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let p = params(&[
            ("chunksize", "10M"),
            ("secure", "maybe"),
            ("storageclass", "GOLD"),
            ("accesskey", "x"),
        ]);
        let Err(Error::Config(problems)) = Config::from_params(&p) else {
            panic!("expected config error")
        };
        let keys: Vec<_> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "bucket",
                "region",
                "secure",
                "secretkey",
                "chunksize",
                "storageclass"
            ]
        );
        assert!(problems[4].message.contains("5242880"));
    }

    #[test]
    fn unknown_keys_warn() {
        let mut p = base();
        p.push(("frobnicate".into(), "1".into()));
        let c = Config::from_params(&p).unwrap();
        assert_eq!(c.warnings, ["unknown parameter frobnicate is ignored"]);
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let mut p = base();
        p.push(("sessiontoken".into(), "TOKEN".into()));
        let text = format!("{:?}", Config::from_params(&p).unwrap());
        assert!(!text.contains("SK") && !text.contains("TOKEN"), "{text}");
    }

    /// The configuration of the base parameters plus `extra`.
    fn with(extra: &[(&str, &str)]) -> Result<Config> {
        let mut p = base();
        p.extend(params(extra));
        Config::from_params(&p)
    }

    /// The problems of the base parameters plus `extra`, as `key: message`.
    fn problems_of(extra: &[(&str, &str)]) -> Vec<String> {
        match with(extra) {
            Err(Error::Config(problems)) => problems
                .iter()
                .map(|p| format!("{}: {}", p.key, p.message))
                .collect(),
            other => panic!("expected a config error for {extra:?}, got {other:?}"),
        }
    }

    type Field = fn(&Config) -> String;

    /// Every boolean key: its default, the spellings accepted, the refusal of anything else.
    #[test]
    fn boolean_parameters() {
        let endpoint = ("regionendpoint", "store:9000");
        let cases: &[(&str, bool, Field)] = &[
            ("secure", true, |c| c.endpoint.secure.to_string()),
            ("skipverify", false, |c| c.policy.skip_verify.to_string()),
            ("v4auth", true, |c| {
                (c.signature == SignatureVersion::V4).to_string()
            }),
            ("pathstyle", true, |c| c.endpoint.path_style.to_string()),
            ("forcepathstyle", true, |c| {
                c.endpoint.path_style.to_string()
            }),
            ("parallelwalk", false, |c| c.parallel_walk.to_string()),
            ("encrypt", false, |c| {
                c.attributes.encryption.is_some().to_string()
            }),
            ("objectownership", false, |c| {
                c.attributes.acl.is_none().to_string()
            }),
            ("checksum_disabled", false, |c| {
                c.checksum.is_none().to_string()
            }),
        ];
        for (key, default, field) in cases {
            let c = with(&[endpoint]).unwrap();
            assert_eq!(field(&c), default.to_string(), "{key} default");
            for (text, value) in [
                ("true", true),
                ("True", true),
                ("1", true),
                ("false", false),
                ("FALSE", false),
                ("0", false),
            ] {
                let c = with(&[endpoint, (key, text)]).unwrap();
                assert_eq!(field(&c), value.to_string(), "{key}: {text}");
            }
            assert_eq!(
                problems_of(&[endpoint, (key, "maybe")]),
                [format!(
                    "{key}: \"maybe\" is not a boolean (accepted: true or false)"
                )]
            );
        }
        // The AWS host name variants (no regionendpoint).
        let aws: &[(&str, &str)] = &[
            ("usedualstack", "s3.dualstack.us-east-1.amazonaws.com"),
            ("usefipsendpoint", "s3-fips.us-east-1.amazonaws.com"),
            ("accelerate", "s3-accelerate.amazonaws.com"),
        ];
        for (key, host) in aws {
            assert_eq!(
                with(&[]).unwrap().endpoint.authority,
                "s3.us-east-1.amazonaws.com"
            );
            assert_eq!(with(&[(key, "true")]).unwrap().endpoint.authority, *host);
            assert_eq!(
                with(&[(key, "false")]).unwrap().endpoint.authority,
                "s3.us-east-1.amazonaws.com"
            );
            assert_eq!(problems_of(&[(key, "yes please")]).len(), 1);
        }
    }

    /// Every number: default, bounds accepted, values outside or not decimal refused.
    #[test]
    fn integer_parameters() {
        let cases: &[(&str, u64, u64, u64, Field)] = &[
            ("chunksize", 10 * MIB, 5 * MIB, 5 * GIB, |c| {
                c.chunk_size.to_string()
            }),
            ("multipartcopychunksize", 32 * MIB, 5 * MIB, 5 * GIB, |c| {
                c.copy_chunk_size.to_string()
            }),
            ("multipartcopythresholdsize", 32 * MIB, 0, 5 * GIB, |c| {
                c.copy_threshold.to_string()
            }),
            (
                "multipartcopymaxconcurrency",
                100,
                1,
                u32::MAX as u64,
                |c| c.copy_max_concurrency.to_string(),
            ),
            ("multipartuploadconcurrency", 4, 1, 64, |c| {
                c.upload_concurrency.to_string()
            }),
            ("maxrequestspersecond", 350, 0, u32::MAX as u64, |c| {
                c.policy.max_requests_per_second.to_string()
            }),
            ("maxretries", 5, 0, u32::MAX as u64, |c| {
                c.policy.max_retries.to_string()
            }),
        ];
        for (key, default, min, max, field) in cases {
            assert_eq!(
                field(&with(&[]).unwrap()),
                default.to_string(),
                "{key} default"
            );
            for value in [*min, *max] {
                let text = value.to_string();
                assert_eq!(field(&with(&[(key, &text)]).unwrap()), text, "{key}");
            }
            let mut refused = vec![
                (max + 1).to_string(),
                "10M".into(),
                "-1".into(),
                "1.5".into(),
                "0x10".into(),
            ];
            if *min > 0 {
                refused.push((min - 1).to_string());
            }
            for text in refused {
                assert_eq!(
                    problems_of(&[(key, &text)]),
                    [format!(
                        "{key}: {text:?} is not a whole number between {min} and {max} (inclusive)"
                    )]
                );
            }
        }
    }

    #[test]
    fn storage_class_acl_and_encryption() {
        let class = |v| {
            with(&[("storageclass", v)])
                .unwrap()
                .attributes
                .storage_class
        };
        assert_eq!(class("standard_ia").as_deref(), Some("STANDARD_IA"));
        assert_eq!(class("NONE"), None);
        assert_eq!(class(""), Some("STANDARD".into()));
        assert!(problems_of(&[("storageclass", "GOLD")])[0].starts_with(
            "storageclass: \"GOLD\" is not one of NONE, STANDARD, REDUCED_REDUNDANCY"
        ));

        let acl = |v| with(&[("objectacl", v)]).unwrap().attributes.acl;
        assert_eq!(acl("public-read").as_deref(), Some("public-read"));
        assert_eq!(
            acl("bucket-owner-full-control").as_deref(),
            Some("bucket-owner-full-control")
        );
        assert!(
            problems_of(&[("objectacl", "Private")])[0]
                .starts_with("objectacl: \"Private\" is not one of private, public-read")
        );
        assert_eq!(
            problems_of(&[("objectacl", "private"), ("objectownership", "true")]),
            ["objectacl: must not be set when objectownership is true"]
        );

        let encryption = |extra: &[(&str, &str)]| with(extra).unwrap().attributes.encryption;
        assert_eq!(encryption(&[]), None);
        assert_eq!(encryption(&[("encrypt", "true")]), Some(Encryption::Aes256));
        assert_eq!(
            encryption(&[("encrypt", "true"), ("keyid", "arn:aws:kms:k")]),
            Some(Encryption::Kms(Some("arn:aws:kms:k".into())))
        );
        assert_eq!(
            problems_of(&[("keyid", "k")]),
            ["keyid: is set but encrypt is false"]
        );
    }

    #[test]
    fn checksum_parameters() {
        let algorithm = |extra: &[(&str, &str)]| with(extra).unwrap().checksum;
        assert_eq!(algorithm(&[]), Some(ChecksumAlgorithm::Crc32));
        for name in ChecksumAlgorithm::NAMES {
            assert_eq!(
                algorithm(&[("checksum_algorithm", &name.to_lowercase())]),
                ChecksumAlgorithm::from_name(name)
            );
        }
        assert_eq!(algorithm(&[("checksum_disabled", "true")]), None);
        let c = with(&[
            ("checksum_disabled", "true"),
            ("checksum_algorithm", "CRC32"),
        ])
        .unwrap();
        assert_eq!(c.checksum, None);
        assert_eq!(
            c.warnings,
            ["checksum_algorithm is ignored because checksum_disabled is true"]
        );
        assert_eq!(
            problems_of(&[("checksum_algorithm", "XXH3")]),
            [
                "checksum_algorithm: \"XXH3\" is not one of MD5, CRC32, CRC32C, SHA1, SHA256, CRC64NVME"
            ]
        );
    }

    #[test]
    fn region_and_endpoints() {
        assert_eq!(
            with(&[("region", "eu-central-2")]).unwrap().region,
            "eu-central-2"
        );
        assert_eq!(
            problems_of(&[("region", "moon-1")]),
            ["region: \"moon-1\" is not an AWS region (set regionendpoint for other stores)"]
        );
        // Any region name with an endpoint; us-east-1 when absent.
        let c = with(&[("region", "garage"), ("regionendpoint", "store:3900")]).unwrap();
        assert_eq!((c.region.as_str(), c.endpoint.secure), ("garage", true));
        let no_region = Config::from_params(&params(&[
            ("bucket", "b"),
            ("regionendpoint", "http://s:1"),
        ]))
        .unwrap();
        assert_eq!(no_region.region, "us-east-1");
        assert!(
            !with(&[("regionendpoint", "store:3900"), ("secure", "false")])
                .unwrap()
                .endpoint
                .secure
        );
        assert!(
            problems_of(&[("regionendpoint", "https://s/base")])[0].starts_with("regionendpoint: ")
        );

        let c = with(&[("redirectendpoint", "https://cdn.example.com")]).unwrap();
        assert_eq!(c.redirect, Some((true, "cdn.example.com".into())));
        for bad in [
            "cdn.example.com",
            "https://cdn/x",
            "https://cdn?a=b",
            "ftp://cdn",
        ] {
            assert!(
                problems_of(&[("redirectendpoint", bad)])[0].starts_with("redirectendpoint: "),
                "{bad}"
            );
        }
        assert!(
            problems_of(&[("accelerate", "true"), ("pathstyle", "true")])[0]
                .starts_with("accelerate: ")
        );
        let c = with(&[("usedualstack", "true"), ("regionendpoint", "http://s:1")]).unwrap();
        assert_eq!(c.endpoint.authority, "s:1");
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn signature_version_two_only_off_aws() {
        let c = with(&[("v4auth", "false"), ("regionendpoint", "http://ceph:7480")]).unwrap();
        assert_eq!(c.signature, SignatureVersion::V2);
        assert!(c.warnings[0].contains("deprecated"));
        for aws in [None, Some("https://s3.us-east-1.amazonaws.com")] {
            let mut extra = vec![("v4auth", "false")];
            extra.extend(aws.map(|e| ("regionendpoint", e)));
            assert!(problems_of(&extra)[0].starts_with("v4auth: on Amazon S3"));
        }
    }

    #[test]
    fn strings_credentials_loglevel_and_user_agent() {
        let c = with(&[
            ("rootdirectory", "/registry/"),
            ("sessiontoken", "T"),
            ("useragent", "acme/1"),
        ])
        .unwrap();
        assert_eq!(c.keys.key("/a"), "registry/a");
        assert_eq!(c.credentials.unwrap().session_token.as_deref(), Some("T"));
        assert_eq!(
            c.user_agent,
            format!("s3drv/{} acme/1", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(
            with(&[]).unwrap().user_agent,
            format!("s3drv/{}", env!("CARGO_PKG_VERSION"))
        );
        // No keys at all: the credential chain.
        let chain =
            Config::from_params(&params(&[("bucket", "b"), ("region", "us-east-1")])).unwrap();
        assert!(chain.credentials.is_none());
        let token_only = Config::from_params(&params(&[
            ("bucket", "b"),
            ("region", "us-east-1"),
            ("sessiontoken", "T"),
        ]));
        assert!(matches!(token_only, Err(Error::Config(p)) if p[0].key == "sessiontoken"));

        let c = with(&[("loglevel", "logdebugwithsigning,logsigning")]).unwrap();
        assert!(c.log.signing && c.log.requests);
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(with(&[]).unwrap().log, LogFlags::default());
    }

    #[test]
    fn five_bad_keys_give_one_error_naming_all_five() {
        let problems = problems_of(&[
            ("chunksize", "1"),
            ("secure", "perhaps"),
            ("storageclass", "DIAMOND"),
            ("checksum_algorithm", "ADLER32"),
            ("region", "atlantis-1"),
        ]);
        let keys: Vec<&str> = problems
            .iter()
            .map(|p| p.split(':').next().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "region",
                "secure",
                "chunksize",
                "storageclass",
                "checksum_algorithm"
            ]
        );
    }
}
