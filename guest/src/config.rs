//! The driver's parameters: parsed once, validated together, every problem named by its key.
//!
//! Values arrive as strings (the host prints YAML booleans and numbers as YAML would), so
//! `true`, `"true"` and `"1"` are the same boolean, and `10485760` and `"10485760"` the same
//! number.

use crate::error::{ConfigProblem, Error, Result};
use crate::path::KeyMapper;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;
/// Smallest part S3 accepts (except the last).
pub const MIN_CHUNK_SIZE: u64 = 5 * MIB;
/// Largest part, and largest single PUT or copy source, S3 accepts.
pub const MAX_CHUNK_SIZE: u64 = 5 * GIB;

/// Keys this driver knows but does not apply yet: accepted with a warning.
const NOT_YET_APPLIED: &[&str] = &[
    "skipverify",
    "v4auth",
    "maxrequestspersecond",
    "maxretries",
    "loglevel",
    "useragent",
    "usedualstack",
    "accelerate",
    "usefipsendpoint",
    "redirectendpoint",
    "checksum_algorithm",
    "checksum_disabled",
];

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

/// Static credentials. `Debug` never shows the secret parts.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
    /// Session token of temporary credentials.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Where requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https` unless the endpoint or `secure: false` says `http`.
    pub secure: bool,
    /// `host[:port]` of the service, without the bucket.
    pub authority: String,
    /// Bucket in the path (`true`) or in the host name (`false`).
    pub path_style: bool,
}

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

/// The validated configuration of one driver.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bucket name.
    pub bucket: String,
    /// Signing region.
    pub region: String,
    /// Service endpoint and addressing style.
    pub endpoint: Endpoint,
    /// Credentials for signing.
    pub credentials: Credentials,
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
    /// Whether walk-parallel lists sub-trees concurrently.
    pub parallel_walk: bool,
    /// Attributes of new objects.
    pub attributes: ObjectAttributes,
    /// Warnings about the parameters.
    pub warnings: Vec<String>,
}

/// Collects values and problems while parsing.
struct Parser<'a> {
    params: &'a [(String, String)],
    problems: Vec<ConfigProblem>,
}

impl<'a> Parser<'a> {
    fn raw(&self, key: &str) -> Option<&'a str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    fn string(&self, key: &str) -> Option<String> {
        self.raw(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
    }

    fn problem(&mut self, key: &str, message: String) {
        self.problems.push(ConfigProblem {
            key: key.into(),
            message,
        });
    }

    fn bool(&mut self, key: &str, default: bool) -> bool {
        let Some(v) = self.string(key) else {
            return default;
        };
        match v.as_str() {
            "1" | "t" | "T" | "true" | "TRUE" | "True" | "yes" | "on" => true,
            "0" | "f" | "F" | "false" | "FALSE" | "False" | "no" | "off" => false,
            _ => {
                self.problem(
                    key,
                    format!("{v:?} is not a boolean (accepted: true or false)"),
                );
                default
            }
        }
    }

    fn integer(&mut self, key: &str, default: u64, min: u64, max: u64) -> u64 {
        let Some(v) = self.string(key) else {
            return default;
        };
        match v.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => {
                self.problem(
                    key,
                    format!("{v:?} is not a whole number between {min} and {max} (inclusive)"),
                );
                default
            }
        }
    }
}

impl Config {
    /// Parses and validates the registry's parameter map.
    pub fn from_params(params: &[(String, String)]) -> Result<Config> {
        let mut p = Parser {
            params,
            problems: Vec::new(),
        };
        let mut warnings = Vec::new();

        let bucket = p.string("bucket").unwrap_or_default();
        if bucket.is_empty() {
            p.problem("bucket", "no bucket parameter provided".into());
        }
        let region_endpoint = p.string("regionendpoint");
        let region = match (p.string("region"), &region_endpoint) {
            (Some(r), _) => r,
            (None, Some(_)) => "us-east-1".to_string(),
            (None, None) => {
                p.problem(
                    "region",
                    "no region parameter provided (required unless regionendpoint is set)".into(),
                );
                String::new()
            }
        };
        let secure = p.bool("secure", true);
        let path_style = match (
            p.raw("pathstyle").is_some(),
            p.raw("forcepathstyle").is_some(),
        ) {
            (true, _) => p.bool("pathstyle", false),
            (false, true) => p.bool("forcepathstyle", false),
            (false, false) => region_endpoint.is_some(),
        };
        let endpoint = match &region_endpoint {
            Some(url) => match parse_endpoint(url, secure) {
                Ok((secure, authority)) => Endpoint {
                    secure,
                    authority,
                    path_style,
                },
                Err(message) => {
                    p.problem("regionendpoint", message);
                    Endpoint {
                        secure,
                        authority: String::new(),
                        path_style,
                    }
                }
            },
            None => Endpoint {
                secure,
                authority: format!("s3.{region}.amazonaws.com"),
                path_style,
            },
        };

        let access_key = p.string("accesskey").unwrap_or_default();
        let secret_key = p.string("secretkey").unwrap_or_default();
        if access_key.is_empty() != secret_key.is_empty() {
            let missing = if access_key.is_empty() {
                "accesskey"
            } else {
                "secretkey"
            };
            p.problem(
                missing,
                "accesskey and secretkey must be given together".into(),
            );
        } else if access_key.is_empty() {
            p.problem(
                "accesskey",
                "no credentials: set accesskey and secretkey (other credential sources are not supported yet)".into(),
            );
        }
        let credentials = Credentials {
            access_key,
            secret_key,
            session_token: p.string("sessiontoken"),
        };

        let chunk_size = p.integer("chunksize", 10 * MIB, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE);
        let copy_chunk_size = p.integer(
            "multipartcopychunksize",
            32 * MIB,
            MIN_CHUNK_SIZE,
            MAX_CHUNK_SIZE,
        );
        let copy_threshold = p.integer("multipartcopythresholdsize", 32 * MIB, 0, MAX_CHUNK_SIZE);
        let copy_max_concurrency =
            p.integer("multipartcopymaxconcurrency", 100, 1, u32::MAX as u64) as usize;
        let parallel_walk = p.bool("parallelwalk", false);

        let attributes = parse_attributes(&mut p);

        for (key, _) in params {
            let key = key.to_ascii_lowercase();
            if NOT_YET_APPLIED.contains(&key.as_str()) {
                warnings.push(format!(
                    "parameter {key} is not applied by this version of the driver and is ignored"
                ));
            } else if !KNOWN_KEYS.contains(&key.as_str()) {
                warnings.push(format!("unknown parameter {key} is ignored"));
            }
        }

        if !p.problems.is_empty() {
            return Err(Error::Config(p.problems));
        }
        Ok(Config {
            bucket,
            region,
            endpoint,
            credentials,
            keys: KeyMapper::new(&p.string("rootdirectory").unwrap_or_default()),
            chunk_size,
            copy_chunk_size,
            copy_threshold,
            copy_max_concurrency,
            parallel_walk,
            attributes,
            warnings,
        })
    }
}

/// Keys parsed by [`Config::from_params`].
const KNOWN_KEYS: &[&str] = &[
    "accesskey",
    "secretkey",
    "sessiontoken",
    "region",
    "regionendpoint",
    "bucket",
    "rootdirectory",
    "secure",
    "pathstyle",
    "forcepathstyle",
    "chunksize",
    "multipartcopychunksize",
    "multipartcopymaxconcurrency",
    "multipartcopythresholdsize",
    "parallelwalk",
    "encrypt",
    "keyid",
    "storageclass",
    "objectacl",
    "objectownership",
];

fn parse_attributes(p: &mut Parser<'_>) -> ObjectAttributes {
    let storage_class = match p.string("storageclass").map(|s| s.to_ascii_uppercase()) {
        None => Some("STANDARD".to_string()),
        Some(class) if class == "NONE" => None,
        Some(class) if STORAGE_CLASSES.contains(&class.as_str()) => Some(class),
        Some(class) => {
            p.problem(
                "storageclass",
                format!("{class:?} is not one of {}", STORAGE_CLASSES.join(", ")),
            );
            None
        }
    };
    let ownership = p.bool("objectownership", false);
    let acl = match (p.string("objectacl"), ownership) {
        (Some(_), true) => {
            p.problem(
                "objectacl",
                "must not be set when objectownership is true".into(),
            );
            None
        }
        (None, true) => None,
        (None, false) => Some("private".to_string()),
        (Some(acl), false) if CANNED_ACLS.contains(&acl.as_str()) => Some(acl),
        (Some(acl), false) => {
            p.problem(
                "objectacl",
                format!("{acl:?} is not one of {}", CANNED_ACLS.join(", ")),
            );
            None
        }
    };
    let key_id = p.string("keyid");
    let encryption = match (p.bool("encrypt", false), key_id) {
        (false, None) => None,
        (false, Some(_)) => {
            p.problem("keyid", "is set but encrypt is false".into());
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

/// Splits `regionendpoint` into (secure, authority). A scheme in the URL wins over `secure`.
fn parse_endpoint(url: &str, secure: bool) -> Result<(bool, String), String> {
    let (secure, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else if url.contains("://") {
        return Err(format!("{url:?} has a scheme other than http or https"));
    } else {
        (secure, url)
    };
    let authority = rest.trim_end_matches('/');
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!(
            "{url:?} is not an endpoint URL like https://host:port"
        ));
    }
    Ok((secure, authority.to_string()))
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
}
