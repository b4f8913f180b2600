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
    /// The origin of `url`: `scheme://host[:port]` with nothing after it but a `/`.
    fn parse(url: &str) -> Option<Origin> {
        let uri: Uri = url.parse().ok()?;
        let bare = matches!(uri.path(), "" | "/") && uri.query().is_none();
        let userinfo = uri.authority().is_some_and(|a| a.as_str().contains('@'));
        (bare && !userinfo).then(|| Origin::of(&uri))?
    }

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

/// Whether the origin `asked` is `pattern`, or matches it where the pattern's host starts
/// with `*.` (standing for one or more labels). Scheme and port must be equal (default ports
/// made explicit); anything but `scheme://host[:port]` matches nothing.
pub fn origin_matches(pattern: &str, asked: &str) -> bool {
    let (Some(pattern), Some(asked)) = (Origin::parse(pattern), Origin::parse(asked)) else {
        return false;
    };
    if pattern.https != asked.https || pattern.port != asked.port {
        return false;
    }
    match pattern.host.strip_prefix("*.") {
        Some(suffix) => asked
            .host
            .strip_suffix(suffix)
            .and_then(|front| front.strip_suffix('.'))
            .is_some_and(|front| !front.is_empty()),
        None => pattern.host == asked.host,
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
        let allowed = urls.iter().filter_map(|url| Origin::parse(url)).collect();
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

    #[test]
    fn origin_patterns() {
        let p = "https://*.s3.us-east-1.amazonaws.com";
        assert!(origin_matches(p, "https://b.s3.us-east-1.amazonaws.com"));
        assert!(origin_matches(
            p,
            "https://a.b.s3.us-east-1.amazonaws.com:443"
        ));
        assert!(!origin_matches(p, "https://s3.us-east-1.amazonaws.com"));
        assert!(!origin_matches(p, "http://b.s3.us-east-1.amazonaws.com"));
        assert!(!origin_matches(
            p,
            "https://b.s3.us-east-1.amazonaws.com.evil"
        ));
        assert!(!origin_matches(p, "https://bs3.us-east-1.amazonaws.com"));
        assert!(origin_matches("http://127.0.0.1:80", "http://127.0.0.1"));
        assert!(!origin_matches(
            "http://127.0.0.1:3900",
            "http://127.0.0.1:3901"
        ));
        assert!(origin_matches("http://[::1]:9000", "http://[::1]:9000"));
        assert!(!origin_matches("http://h", "http://h/path"));
        assert!(!origin_matches("http://h", "http://u@h"));
    }
}
