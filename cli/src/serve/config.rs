//! What `s3drv serve` hosts: the tenants, each with its driver parameters, its token and what
//! the operator grants and bounds, read from a YAML file:
//!
//! ```yaml
//! tenants:
//!   team-a:
//!     token_file: /run/secrets/s3drv-team-a   # or token: TEXT; required on a TCP listener
//!     config: /etc/docker/registry/config.yml # its storage: s3: block, or flat parameters
//!     params: { rootdirectory: /team-a }      # override the file's
//!     environment: true                       # grant the AWS_* variables an SDK would use
//!     limits: { memory_mib: 512, max_instances: 16, call_deadline_seconds: 300 }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use s3drv_host::{AddressRange, Limits, Policy, Tenant};
use serde::Deserialize;

use crate::config_file;

/// One tenant as the server hosts it.
#[derive(Debug, Clone)]
pub struct TenantConfig {
    /// What the tenant's driver is granted and bounded by (its name is the tenant's).
    pub tenant: Tenant,
    /// The bearer token that opens this tenant's driver, if any.
    pub token: Option<String>,
    /// The driver parameters.
    pub params: Vec<(String, String)>,
}

/// Why a tenants file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ServeConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file's content is not what `s3drv serve` expects.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong, naming the tenant and key.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    tenants: BTreeMap<String, TenantEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantEntry {
    token: Option<String>,
    token_file: Option<PathBuf>,
    config: Option<PathBuf>,
    #[serde(default)]
    params: BTreeMap<String, serde_norway::Value>,
    #[serde(default)]
    environment: bool,
    #[serde(default)]
    limits: LimitsEntry,
    #[serde(default)]
    policy: PolicyEntry,
}

/// A tenant's `policy:` (`s3drv_host::Policy`); what is not set keeps the default.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PolicyEntry {
    origins: Option<Vec<String>>,
    origins_from_parameters: Option<bool>,
    insecure_tls: Option<bool>,
    max_requests_per_second: Option<u32>,
    max_retries: Option<u32>,
    max_requests_in_flight: Option<usize>,
    address_ranges: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LimitsEntry {
    memory_mib: Option<usize>,
    max_instances: Option<usize>,
    call_deadline_seconds: Option<u64>,
}

/// Reads the tenants file at `path`; relative `config` and `token_file` paths are relative
/// to the file's directory.
///
/// ```no_run
/// let tenants = s3drv_cli::serve::read_tenants("/etc/s3drv/tenants.yml".as_ref()).unwrap();
/// for t in &tenants {
///     println!("{}: {} parameters", t.tenant.name, t.params.len());
/// }
/// ```
pub fn read_tenants(path: &Path) -> Result<Vec<TenantConfig>, ServeConfigError> {
    let shown = path.display().to_string();
    let invalid = |message: String| ServeConfigError::Invalid {
        path: shown.clone(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|source| ServeConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    let file: File = serde_norway::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    if file.tenants.is_empty() {
        return Err(invalid("no tenants".into()));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    file.tenants
        .into_iter()
        .map(|(name, entry)| tenant(base, name, entry).map_err(&invalid))
        .collect()
}

fn tenant(base: &Path, name: String, entry: TenantEntry) -> Result<TenantConfig, String> {
    if !valid_name(&name) {
        return Err(format!(
            "tenant name {name:?}: use letters, digits, '-', '_' and '.' only"
        ));
    }
    let token = match (entry.token, entry.token_file) {
        (Some(_), Some(_)) => {
            return Err(format!("tenant {name}: token and token_file are exclusive"));
        }
        (Some(token), None) => Some(token),
        (None, Some(file)) => {
            let file = base.join(file);
            let token = std::fs::read_to_string(&file)
                .map_err(|e| format!("tenant {name}: token_file {}: {e}", file.display()))?;
            Some(token.trim().to_string())
        }
        (None, None) => None,
    };
    if token.as_deref() == Some("") {
        return Err(format!("tenant {name}: the token is empty"));
    }
    let mut params = match entry.config {
        Some(file) => {
            config_file::read(&base.join(file)).map_err(|e| format!("tenant {name}: {e}"))?
        }
        None => Vec::new(),
    };
    for (key, value) in entry.params {
        let value = config_file::scalar(&value)
            .ok_or_else(|| format!("tenant {name}: params.{key} is not a scalar"))?;
        params.push((key.to_ascii_lowercase(), value));
    }
    let mut tenant = match entry.environment {
        true => Tenant::from_process_environment(&name),
        false => Tenant::new(&name),
    };
    tenant.limits = limits(entry.limits);
    tenant.policy = policy(entry.policy).map_err(|e| format!("tenant {name}: {e}"))?;
    Ok(TenantConfig {
        tenant,
        token,
        params,
    })
}

fn policy(entry: PolicyEntry) -> Result<Policy, String> {
    let defaults = Policy::default();
    let address_ranges = entry
        .address_ranges
        .unwrap_or_default()
        .iter()
        .map(|range| match range.as_str() {
            "loopback" => Ok(AddressRange::Loopback),
            "private" => Ok(AddressRange::Private),
            "link-local" => Ok(AddressRange::LinkLocal),
            other => Err(format!(
                "policy.address_ranges: {other:?} is not loopback, private or link-local"
            )),
        })
        .collect::<Result<_, _>>()?;
    if entry.max_requests_in_flight == Some(0) {
        return Err(
            "policy.max_requests_in_flight: 0 would stop every request; use 1 or more".into(),
        );
    }
    Ok(Policy {
        origins_from_parameters: entry
            .origins_from_parameters
            .unwrap_or(defaults.origins_from_parameters),
        extra_origins: entry.origins.unwrap_or_default(),
        insecure_tls: entry.insecure_tls.unwrap_or(defaults.insecure_tls),
        max_requests_per_second: entry.max_requests_per_second,
        max_retries: entry.max_retries,
        max_requests_in_flight: entry.max_requests_in_flight,
        address_ranges,
    })
}

fn limits(entry: LimitsEntry) -> Limits {
    let defaults = Limits::default();
    Limits {
        memory: entry.memory_mib.map_or(defaults.memory, |m| m << 20),
        max_instances: entry.max_instances.unwrap_or(defaults.max_instances),
        call_deadline: entry
            .call_deadline_seconds
            .map_or(defaults.call_deadline, Duration::from_secs),
        ..defaults
    }
}

/// Tenant names appear in URLs and metrics: keep them plain.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn tenants_with_their_tokens_parameters_limits_and_policy() {
        let dir = std::env::temp_dir().join(format!("s3drv-serve-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        write(
            &dir,
            "registry.yml",
            "storage:\n  s3:\n    bucket: b\n    chunksize: 5242880\n",
        );
        write(&dir, "token", "secret\n");
        let file = write(
            &dir,
            "tenants.yml",
            "tenants:\n  a:\n    token_file: token\n    config: registry.yml\n    params: { rootdirectory: /a }\n    limits: { memory_mib: 64 }\n    policy: { insecure_tls: false, max_retries: 2, max_requests_in_flight: 16, origins: ['https://*.example.com'], address_ranges: [private] }\n  b:\n    params: { bucket: other, secure: false }\n",
        );
        let tenants = read_tenants(&file).unwrap();
        assert_eq!(tenants[0].tenant.name, "a");
        assert_eq!(tenants[0].token.as_deref(), Some("secret"));
        assert!(
            tenants[0]
                .params
                .contains(&("rootdirectory".into(), "/a".into()))
        );
        assert!(
            tenants[0]
                .params
                .contains(&("chunksize".into(), "5242880".into()))
        );
        assert_eq!(tenants[0].tenant.limits.memory, 64 << 20);
        let policy = &tenants[0].tenant.policy;
        assert!(!policy.insecure_tls && policy.origins_from_parameters);
        assert_eq!(policy.max_retries, Some(2));
        assert_eq!(policy.max_requests_in_flight, Some(16));
        assert_eq!(policy.extra_origins, ["https://*.example.com"]);
        assert_eq!(policy.address_ranges, [AddressRange::Private]);
        assert_eq!(tenants[1].tenant.policy, Policy::default());
        assert_eq!(tenants[1].token, None);
        assert!(
            tenants[1]
                .params
                .contains(&("secure".into(), "false".into()))
        );
        let bad = write(&dir, "bad.yml", "tenants:\n  a:\n    tokn: x\n");
        assert!(read_tenants(&bad).unwrap_err().to_string().contains("tokn"));
        let bad = write(
            &dir,
            "bad.yml",
            "tenants:\n  a:\n    policy: { address_ranges: [lan] }\n",
        );
        assert!(read_tenants(&bad).unwrap_err().to_string().contains("lan"));
        let bad = write(
            &dir,
            "bad.yml",
            "tenants:\n  a:\n    policy: { max_requests_in_flight: 0 }\n",
        );
        let message = read_tenants(&bad).unwrap_err().to_string();
        assert!(message.contains("max_requests_in_flight"), "{message}");
        let bad = write(&dir, "bad.yml", "tenants:\n  'a b': {}\n");
        assert!(read_tenants(&bad).unwrap_err().to_string().contains("a b"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
