//! [`Tenant`]: what one tenant's drivers are granted beyond their parameters (`docs/decisions.md`
//! §25-26, §30): a name in logs, the environment variables the credential chain may read (and
//! the token files they name, read-only), extra trusted CA certificates, whether the instance
//! metadata endpoints may be reached, and the [`Policy`] their components are held to.
//!
//! A driver opened with [`Tenant::default`] sees no environment, no files, trusts only the
//! webpki roots and cannot reach instance metadata: static keys are its only credentials.

use std::path::{Path, PathBuf};

use wasmtime_wasi::{FsPerms, WasiCtx};

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::policy::Policy;

/// Environment variables naming files the credential chain reads.
const TOKEN_FILE_VARIABLES: &[&str] = &[
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// Variables [`Tenant::from_process_environment`] passes on.
const CREDENTIAL_VARIABLES: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_ENDPOINT_URL_STS",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
];

/// What a tenant's drivers may see and reach.
///
/// ```no_run
/// # fn demo() -> Result<(), ()> {
/// use std::time::Duration;
/// use s3drv_host::{Limits, Tenant};
/// let tenant = Tenant {
///     ca_bundle: Some("/etc/ssl/team-a-ca.pem".into()),
///     limits: Limits { memory: 256 << 20, call_deadline: Duration::from_secs(300), ..Limits::default() },
///     ..Tenant::new("team-a")
/// };
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Tenant {
    /// The tenant's name: the `tenant` field of every log event of its drivers.
    pub name: String,
    /// Environment variables the driver sees (the credential chain's `AWS_*`).
    pub environment: Vec<(String, String)>,
    /// A PEM file of CA certificates trusted besides the webpki roots.
    pub ca_bundle: Option<PathBuf>,
    /// Whether the EC2 instance metadata and container credential addresses may be reached.
    pub instance_metadata: bool,
    /// Memory, time and instance limits of the tenant's drivers.
    pub limits: Limits,
    /// Where the tenant's drivers may send requests and what they may ask the host for.
    pub policy: Policy,
}

impl Tenant {
    /// A tenant named `name` with no grants.
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), ()> {
    /// let tenant = s3drv_host::Tenant::new("team-a");
    /// assert!(tenant.environment.is_empty() && !tenant.instance_metadata);
    /// # Ok(()) }
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Tenant {
            name: name.into(),
            ..Tenant::default()
        }
    }

    /// What a registry or the CLI running as one tenant expects: the credential variables of
    /// this process, `AWS_CA_BUNDLE`, and instance metadata, as the AWS SDKs would use them.
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), ()> {
    /// let tenant = s3drv_host::Tenant::from_process_environment("registry");
    /// # Ok(()) }
    /// ```
    pub fn from_process_environment(name: impl Into<String>) -> Self {
        let environment = CREDENTIAL_VARIABLES
            .iter()
            .filter_map(|name| Some((name.to_string(), std::env::var(name).ok()?)))
            .collect();
        Tenant {
            name: name.into(),
            environment,
            ca_bundle: std::env::var_os("AWS_CA_BUNDLE").map(PathBuf::from),
            instance_metadata: true,
            limits: Limits::default(),
            policy: Policy::default(),
        }
    }

    /// Grants the variable `name`.
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), ()> {
    /// let tenant = s3drv_host::Tenant::new("team-a")
    ///     .with_var("AWS_ACCESS_KEY_ID", "AKIA...")
    ///     .with_var("AWS_SECRET_ACCESS_KEY", "...");
    /// # Ok(()) }
    /// ```
    pub fn with_var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.environment.push((name.into(), value.into()));
        self
    }

    /// The WASI context of the tenant's instances: its variables, and the directory of each
    /// token file a variable names, read-only at the same path.
    pub(crate) fn wasi_ctx(&self) -> Result<WasiCtx> {
        let mut builder = WasiCtx::builder();
        builder.envs(&self.environment);
        for (name, value) in &self.environment {
            if !TOKEN_FILE_VARIABLES.contains(&name.as_str()) {
                continue;
            }
            let Some(dir) = Path::new(value).parent().filter(|d| d.is_absolute()) else {
                return Err(Error::Grant(format!(
                    "{name} must be an absolute file path, not {value:?}"
                )));
            };
            let guest_dir = dir.to_string_lossy();
            builder
                .preopened_dir(dir, &*guest_dir, FsPerms::ReadOnly)
                .map_err(|e| Error::Grant(format!("{name}: cannot open {guest_dir}: {e:#}")))?;
        }
        Ok(builder.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_files_must_be_absolute_and_their_directory_exist() {
        let relative = Tenant::new("t").with_var("AWS_WEB_IDENTITY_TOKEN_FILE", "token");
        let Err(Error::Grant(message)) = relative.wasi_ctx() else {
            panic!("a relative token file was granted")
        };
        assert!(message.contains("AWS_WEB_IDENTITY_TOKEN_FILE"), "{message}");
        let missing = Tenant::new("t").with_var(
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            "/nonexistent-s3drv-dir/token",
        );
        assert!(matches!(missing.wasi_ctx(), Err(Error::Grant(_))));
        let granted = Tenant::new("t")
            .with_var("AWS_WEB_IDENTITY_TOKEN_FILE", "/tmp/token")
            .with_var("AWS_ROLE_ARN", "arn:aws:iam::1:role/r");
        assert!(granted.wasi_ctx().is_ok());
    }
}
