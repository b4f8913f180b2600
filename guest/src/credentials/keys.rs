//! [`Credentials`] and what one source of the credential chain finds.

use std::time::{Duration, SystemTime};

/// Credentials are renewed this long before they expire.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

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
    pub(super) fn needs_refresh(&self, now: SystemTime) -> bool {
        self.expires
            .is_some_and(|expires| now + REFRESH_BEFORE_EXPIRY >= expires)
    }

    /// Whether these still work at `now`.
    pub(super) fn valid_at(&self, now: SystemTime) -> bool {
        self.expires.is_none_or(|expires| now < expires)
    }
}

/// What one source of the chain found.
pub(super) enum Lookup {
    /// Credentials.
    Found(Credentials),
    /// The source is not configured here; the reason goes into the final error.
    NotConfigured(String),
}

#[cfg(test)]
mod tests {
    use super::*;

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
