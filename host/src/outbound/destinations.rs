//! The origins a driver may send requests to: what its configuration names (its endpoint,
//! and the credential endpoints when it has no static keys), reported by the driver when it
//! opens, before it has seen any server's answer. Anything else is refused without a
//! connection attempt.

use http::Uri;

/// One `scheme://host:port`, the port explicit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    https: bool,
    host: String,
    port: u16,
}

impl Origin {
    fn of(uri: &Uri) -> Option<Origin> {
        let https = match uri.scheme_str()? {
            "https" => true,
            "http" => false,
            _ => return None,
        };
        Some(Origin {
            https,
            host: uri.host()?.to_ascii_lowercase(),
            port: uri.port_u16().unwrap_or(if https { 443 } else { 80 }),
        })
    }
}

/// The set of origins a driver may reach.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    allowed: Vec<Origin>,
}

impl Destinations {
    /// The origins of `urls` (`scheme://host[:port]`); unparsable entries allow nothing.
    pub fn new(urls: &[String]) -> Destinations {
        let allowed = urls
            .iter()
            .filter_map(|url| Origin::of(&url.parse().ok()?))
            .collect();
        Destinations { allowed }
    }

    /// The host of the storage endpoint (the first origin), a name or a literal address.
    pub fn storage_host(&self) -> Option<&str> {
        self.allowed.first().map(|origin| origin.host.as_str())
    }

    /// Whether `uri` goes to the storage endpoint (not to a credential endpoint).
    pub fn is_storage(&self, uri: &Uri) -> bool {
        Origin::of(uri).is_some_and(|origin| self.allowed.first() == Some(&origin))
    }

    /// Whether a request to `uri` may be sent.
    pub fn allows(&self, uri: &Uri) -> bool {
        Origin::of(uri).is_some_and(|origin| self.allowed.contains(&origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_origins() {
        let d = Destinations::new(&[
            "http://127.0.0.1:3900".into(),
            "https://Bucket.s3.us-east-1.amazonaws.com".into(),
            "http://169.254.169.254".into(),
        ]);
        let allows = |uri: &str| d.allows(&uri.parse().unwrap());
        assert!(allows("http://127.0.0.1:3900/bucket/key?uploads"));
        assert!(allows("https://bucket.s3.us-east-1.amazonaws.com:443/key"));
        assert!(allows("http://169.254.169.254/latest/api/token"));
        // Another port, host, scheme or a private address: refused.
        assert!(!allows("http://127.0.0.1:3901/bucket/key"));
        assert!(!allows("https://127.0.0.1:3900/bucket/key"));
        assert!(!allows("https://other.s3.us-east-1.amazonaws.com/key"));
        assert!(!allows("http://10.0.0.1/"));
        assert!(!allows("http://169.254.170.2/v2/credentials"));
        assert!(!Destinations::default().allows(&"http://127.0.0.1:3900/".parse().unwrap()));
    }
}
