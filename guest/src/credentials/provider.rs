//! [`Provider`]: static keys, or the chain environment → web identity → container
//! credentials → EC2 instance role, resolved at the first request, cached, and renewed
//! before they expire.

use std::sync::Mutex;
use std::time::SystemTime;

use super::environment::{self, Environment};
use super::keys::{Credentials, Lookup};
use super::{container, instance, web_identity};
use crate::error::BackendError;
use crate::http::Transport;

/// Where credentials came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `accesskey` / `secretkey` parameters.
    Parameters,
    /// `AWS_ACCESS_KEY_ID` and friends.
    Environment,
    /// STS AssumeRoleWithWebIdentity.
    WebIdentity,
    /// The container credentials endpoint.
    Container,
    /// The EC2 instance role through IMDSv2.
    InstanceRole,
}

/// Looks in one source of the chain.
type SourceLookup<'a> = dyn Fn() -> Result<Lookup, BackendError> + 'a;

/// Resolves, caches and renews the driver's credentials.
pub struct Provider {
    fixed: Option<Credentials>,
    region: String,
    cached: Mutex<Option<(Source, Credentials)>>,
}

impl Provider {
    /// A provider of `fixed` credentials, or of the chain when `None`. `region` is the region
    /// of STS requests when the environment names none.
    pub fn new(fixed: Option<Credentials>, region: &str) -> Self {
        Provider {
            fixed,
            region: region.to_string(),
            cached: Mutex::new(None),
        }
    }

    /// The credentials to sign with at `now`, fetched or renewed through `transport` when
    /// needed. A failed renewal keeps using credentials that have not expired yet.
    pub fn current<T: Transport>(
        &self,
        transport: &T,
        env: &dyn Environment,
        now: SystemTime,
    ) -> Result<(Source, Credentials), BackendError> {
        if let Some(fixed) = &self.fixed {
            return Ok((Source::Parameters, fixed.clone()));
        }
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((source, credentials)) = cached.as_ref()
            && !credentials.needs_refresh(now)
        {
            return Ok((*source, credentials.clone()));
        }
        match self.resolve(transport, env, now) {
            Ok(found) => {
                crate::log::emit(
                    crate::log::Level::Info,
                    "credentials",
                    &format!(
                        "access key {} from {:?}{}",
                        found.1.access_key,
                        found.0,
                        found.1.expires.map_or(String::new(), |t| format!(
                            ", expiring at {}",
                            httpdate::fmt_http_date(t)
                        ))
                    ),
                );
                *cached = Some(found.clone());
                Ok(found)
            }
            Err(e) => match cached.as_ref() {
                Some((source, old)) if old.valid_at(now) => Ok((*source, old.clone())),
                _ => Err(e),
            },
        }
    }

    fn resolve<T: Transport>(
        &self,
        transport: &T,
        env: &dyn Environment,
        now: SystemTime,
    ) -> Result<(Source, Credentials), BackendError> {
        let mut skipped = Vec::new();
        let sources: [(Source, &SourceLookup<'_>); 4] = [
            (Source::Environment, &|| Ok(environment::find(env))),
            (Source::WebIdentity, &|| {
                web_identity::fetch(transport, env, &self.region, now)
            }),
            (Source::Container, &|| container::fetch(transport, env)),
            (Source::InstanceRole, &|| {
                // Off EC2 nothing answers: that is "no instance role", not a failure.
                instance::fetch(transport, env).or_else(|e| {
                    Ok(Lookup::NotConfigured(format!(
                        "instance metadata: {}",
                        e.message
                    )))
                })
            }),
        ];
        for (source, find) in sources {
            match find()? {
                Lookup::Found(credentials) => return Ok((source, credentials)),
                Lookup::NotConfigured(why) => skipped.push(why),
            }
        }
        Err(BackendError {
            code: "NoCredentials".into(),
            message: format!(
                "no credentials: accesskey and secretkey are not set; {}",
                skipped.join("; ")
            ),
            status: None,
            request_id: None,
            retryable: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::*;
    use crate::testing::{MapEnvironment, Script};

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn instance_credentials_are_cached_then_renewed_before_expiry() {
        let role = r#"{"Code":"Success","AccessKeyId":"ASIA1","SecretAccessKey":"s1","Token":"t1","Expiration":"2026-01-01T01:00:00Z"}"#;
        let renewed = r#"{"Code":"Success","AccessKeyId":"ASIA2","SecretAccessKey":"s2","Token":"t2","Expiration":"2026-01-01T02:00:00Z"}"#;
        let script = Script::new(&[
            (200, "token"),
            (200, "role-a\n"),
            (200, role),
            (200, "token"),
            (200, "role-a"),
            (200, renewed),
        ]);
        let env = MapEnvironment::default();
        let provider = Provider::new(None, "us-east-1");
        let start = 1_767_225_600; // 2026-01-01T00:00:00Z
        let (source, c) = provider.current(&script, &env, at(start)).unwrap();
        assert_eq!(
            (source, c.access_key.as_str()),
            (Source::InstanceRole, "ASIA1")
        );
        // Still fresh 50 minutes later: no request.
        provider.current(&script, &env, at(start + 3000)).unwrap();
        assert_eq!(script.seen.borrow().len(), 3);
        // Within 5 minutes of expiry: renewed.
        let (_, c) = provider.current(&script, &env, at(start + 3400)).unwrap();
        assert_eq!(c.access_key, "ASIA2");
        assert_eq!(c.session_token.as_deref(), Some("t2"));
        let seen = script.seen.borrow();
        assert_eq!(seen[0].path_and_query, "/latest/api/token");
        assert_eq!(
            seen[2].path_and_query,
            "/latest/meta-data/iam/security-credentials/role-a"
        );
        assert!(
            seen[2]
                .headers
                .contains(&("x-aws-ec2-metadata-token".into(), "token".into()))
        );
    }

    #[test]
    fn a_failed_renewal_keeps_unexpired_credentials() {
        let role = r#"{"AccessKeyId":"A","SecretAccessKey":"s","Token":"t","Expiration":"2026-01-01T01:00:00Z"}"#;
        let script = Script::new(&[(200, "tok"), (200, "r"), (200, role), (500, "down")]);
        let provider = Provider::new(None, "us-east-1");
        let env = MapEnvironment::default();
        let start = 1_767_225_600;
        provider.current(&script, &env, at(start)).unwrap();
        let (_, c) = provider.current(&script, &env, at(start + 3500)).unwrap();
        assert_eq!(c.access_key, "A");
        assert!(
            provider
                .current(&Script::new(&[(500, "down")]), &env, at(start + 3700))
                .is_err()
        );
    }

    #[test]
    fn nothing_found_names_every_source() {
        let env = MapEnvironment(HashMap::from([(
            "AWS_EC2_METADATA_DISABLED".to_string(),
            "true".to_string(),
        )]));
        let e = Provider::new(None, "us-east-1")
            .current(&Script::new(&[]), &env, at(0))
            .unwrap_err();
        assert_eq!(e.code, "NoCredentials");
        for word in [
            "AWS_ACCESS_KEY_ID",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS",
            "AWS_EC2_METADATA_DISABLED",
        ] {
            assert!(e.message.contains(word), "{word}: {}", e.message);
        }
    }
}
