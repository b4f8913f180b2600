//! Credentials for signing (decisions §25): static keys from the parameters, else the chain
//! environment → web identity → container credentials → EC2 instance role (IMDSv2), resolved
//! at the first request and refreshed before they expire.
//!
//! The guest sees an environment variable or a file only when the host grants it to the
//! tenant, and reaches a metadata or STS endpoint only when the host allows it; a source the
//! guest cannot see is skipped. Each source is one module: [`environment`], [`web_identity`],
//! [`container`], [`instance`].

pub mod container;
pub mod environment;
pub mod instance;
pub mod web_identity;

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::error::BackendError;
use crate::s3::{Body, HttpRequest, Transport};

/// Credentials are renewed this long before they expire.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);
/// Largest credentials answer read.
const ANSWER_LIMIT: usize = 64 << 10;

/// A key pair, with the session token and expiry of temporary credentials. `Debug` never shows
/// the secret parts.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
    /// Session token of temporary credentials.
    pub session_token: Option<String>,
    /// When temporary credentials stop working.
    pub expires: Option<SystemTime>,
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
            .field("expires", &self.expires)
            .finish()
    }
}

impl Credentials {
    /// Whether these should be renewed at `now`.
    fn needs_refresh(&self, now: SystemTime) -> bool {
        self.expires
            .is_some_and(|expires| now + REFRESH_BEFORE_EXPIRY >= expires)
    }

    /// Whether these still work at `now`.
    fn valid_at(&self, now: SystemTime) -> bool {
        self.expires.is_none_or(|expires| now < expires)
    }
}

/// What the tenant's environment holds: variables and files, as far as the host granted them.
pub trait Environment {
    /// The value of variable `name`, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;
    /// The contents of the file at `path`.
    fn read_file(&self, path: &str) -> std::io::Result<String>;
}

/// The process environment: in the component, what the host granted.
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    fn read_file(&self, path: &str) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

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
type SourceLookup<'a> = dyn Fn() -> Result<Found, BackendError> + 'a;

/// What one source of the chain found.
enum Found {
    /// Credentials.
    Yes(Credentials),
    /// The source is not configured here (reason for the final error).
    NotHere(String),
}

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

    /// The URLs the credential chain may send requests to (none for static credentials):
    /// STS when web identity is configured, the container endpoint, instance metadata.
    pub fn endpoints(&self, env: &dyn Environment) -> Vec<String> {
        if self.fixed.is_some() {
            return Vec::new();
        }
        let mut urls = Vec::new();
        if web_identity::configured(env) {
            urls.push(web_identity::sts_url(env, &self.region));
        }
        urls.extend(container::url(env));
        urls.extend(instance::url(env));
        urls
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
                instance::fetch(transport, env)
                    .or_else(|e| Ok(Found::NotHere(format!("instance metadata: {}", e.message))))
            }),
        ];
        for (source, find) in sources {
            match find()? {
                Found::Yes(credentials) => return Ok((source, credentials)),
                Found::NotHere(why) => skipped.push(why),
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

/// The JSON credentials document of the container and instance metadata endpoints.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JsonCredentials {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
    expiration: Option<String>,
}

/// Parses a JSON credentials document; `what` names the endpoint in errors.
fn parse_json_credentials(what: &str, body: &[u8]) -> Result<Credentials, BackendError> {
    let doc: JsonCredentials = serde_json::from_slice(body).map_err(|e| {
        BackendError::malformed(format!("{what} answered with no credentials: {e}"), None)
    })?;
    Ok(Credentials {
        access_key: doc.access_key_id,
        secret_key: doc.secret_access_key,
        session_token: doc.token.filter(|t| !t.is_empty()),
        expires: parse_expiry(what, doc.expiration.as_deref())?,
    })
}

fn parse_expiry(what: &str, text: Option<&str>) -> Result<Option<SystemTime>, BackendError> {
    text.map(|t| {
        crate::s3::parse_time(t).ok_or_else(|| {
            BackendError::malformed(format!("{what}: expiration {t:?} is not a time"), None)
        })
    })
    .transpose()
}

/// Sends `request` and returns the body of a 2xx answer; `what` names the endpoint in errors.
fn fetch_body<T: Transport>(
    transport: &T,
    what: &str,
    request: HttpRequest,
) -> Result<Vec<u8>, BackendError> {
    let mut response = transport.send(request).map_err(|mut e| {
        e.message = format!("{what}: {}", e.message);
        e
    })?;
    let body = response.body.read_to_end(ANSWER_LIMIT)?;
    if (200..300).contains(&response.status) {
        Ok(body)
    } else {
        Err(BackendError {
            code: "CredentialsRefused".into(),
            message: format!(
                "{what} answered {}: {}",
                response.status,
                String::from_utf8_lossy(&body[..body.len().min(512)])
            ),
            status: Some(response.status),
            request_id: None,
            retryable: response.status >= 500,
        })
    }
}

/// Splits `http[s]://host[:port][/path]` into (secure, authority, path); `what` names the
/// URL's source in the error.
fn split_url(what: &str, url: &str) -> Result<(bool, String, String), BackendError> {
    let refused = || BackendError::malformed(format!("{what} {url:?} is not an http(s) URL"), None);
    let (secure, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else {
        (false, url.strip_prefix("http://").ok_or_else(refused)?)
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err(refused());
    }
    Ok((secure, authority.to_string(), path.to_string()))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::io::Cursor;

    use super::*;
    use crate::s3::HttpResponse;

    /// An environment given as a map; files are entries whose name starts with `/`.
    #[derive(Default)]
    pub struct MapEnvironment(pub HashMap<String, String>);

    impl Environment for MapEnvironment {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
        fn read_file(&self, path: &str) -> std::io::Result<String> {
            self.0
                .get(path)
                .cloned()
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
        }
    }

    /// Answers requests in order from a script and records them.
    pub struct Script {
        pub answers: RefCell<Vec<(u16, Vec<(String, String)>, String)>>,
        pub seen: RefCell<Vec<HttpRequest>>,
    }

    impl Script {
        pub fn new(answers: &[(u16, &str)]) -> Self {
            Script::with_headers(
                &answers
                    .iter()
                    .map(|(s, b)| (*s, &[][..], *b))
                    .collect::<Vec<_>>(),
            )
        }

        pub fn with_headers(answers: &[(u16, &[(&str, &str)], &str)]) -> Self {
            let answers = answers
                .iter()
                .map(|(status, headers, body)| {
                    let headers = headers
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    (*status, headers, body.to_string())
                })
                .collect();
            Script {
                answers: RefCell::new(answers),
                seen: RefCell::new(Vec::new()),
            }
        }
    }

    /// An S3 client configured by `params` whose requests are answered from `answers`
    /// (status, headers, body), in order.
    pub fn scripted_client(
        params: &[(&str, &str)],
        answers: &[(u16, &[(&str, &str)], &str)],
    ) -> crate::s3::S3Client<Script> {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        crate::s3::S3Client::new(
            crate::config::Config::from_params(&params).unwrap(),
            Script::with_headers(answers),
        )
    }

    impl Transport for Script {
        type Body = Cursor<Vec<u8>>;
        type InFlight = HttpResponse<Self::Body>;
        fn start(&self, request: HttpRequest) -> Result<Self::InFlight, BackendError> {
            self.seen.borrow_mut().push(request);
            let (status, headers, body) = self.answers.borrow_mut().remove(0);
            Ok(HttpResponse {
                status,
                headers,
                body: Cursor::new(body.into_bytes()),
            })
        }
        fn finish(&self, answer: Self::InFlight) -> Result<HttpResponse<Self::Body>, BackendError> {
            Ok(answer)
        }
        /// One after another, answered in order.
        fn send_all(
            &self,
            requests: Vec<HttpRequest>,
            _: usize,
            body_limit: usize,
        ) -> Vec<Result<HttpResponse<Vec<u8>>, BackendError>> {
            requests
                .into_iter()
                .map(|request| {
                    let mut answer = self.start(request)?;
                    Ok(HttpResponse {
                        body: crate::s3::Body::read_to_end(&mut answer.body, body_limit)?,
                        status: answer.status,
                        headers: answer.headers,
                    })
                })
                .collect()
        }
    }

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

    #[test]
    fn debug_hides_secrets() {
        let c = Credentials {
            access_key: "AK".into(),
            secret_key: "SECRET".into(),
            session_token: Some("TOKEN".into()),
            expires: None,
        };
        let text = format!("{c:?}");
        assert!(
            !text.contains("SECRET") && !text.contains("TOKEN"),
            "{text}"
        );
    }
}
