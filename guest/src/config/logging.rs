//! `loglevel`: which details of its work the driver logs.
//!
//! The value is a comma-separated list of GitLab v1's flags (distribution's spellings without the
//! `log` prefix are the same flags). `logoff` anywhere disables everything. GitLab `s3_v2` flags
//! and unknown words are ignored with a warning. No flag ever logs a secret key, a session token
//! or a whole signature.

/// What the driver logs at debug level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogFlags {
    /// Each request's method, URL (without query secrets), status and duration.
    pub requests: bool,
    /// The signing details: canonical request headers, credential scope, signed headers.
    pub signing: bool,
    /// Request and answer bodies of XML requests (not object data).
    pub http_bodies: bool,
    /// Each retry the host makes, with its reason and delay.
    pub retries: bool,
    /// Each failed request with the error answer.
    pub errors: bool,
}

const V2_FLAGS: &[&str] = &[
    "logsigning",
    "logretries",
    "logrequest",
    "logrequestwithbody",
    "logresponse",
    "logresponsewithbody",
    "logdeprecatedusage",
    "logrequesteventmessage",
    "logresponseeventmessage",
];

impl LogFlags {
    /// Parses `loglevel`; the warnings name the ignored words.
    pub fn parse(value: &str) -> (LogFlags, Vec<String>) {
        let mut flags = LogFlags::default();
        let mut warnings = Vec::new();
        let mut off = false;
        for word in value.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let lower = word.to_ascii_lowercase();
            let name = lower.strip_prefix("log").unwrap_or(&lower);
            match name {
                "off" | "false" => off = true,
                "debug" => flags.requests = true,
                "debugwithsigning" => (flags.requests, flags.signing) = (true, true),
                "debugwithhttpbody" => (flags.requests, flags.http_bodies) = (true, true),
                "debugwithrequestretries" => (flags.requests, flags.retries) = (true, true),
                "debugwithrequesterrors" => (flags.requests, flags.errors) = (true, true),
                // The driver sends no event streams: the flag means requests only.
                "debugwitheventstreambody" => flags.requests = true,
                _ if V2_FLAGS.contains(&lower.as_str()) => warnings.push(format!(
                    "loglevel {word:?} is a flag of GitLab's s3_v2 driver and is ignored"
                )),
                _ => warnings.push(format!(
                    "loglevel {word:?} is not a known flag and is ignored (accepted: logoff, \
                     logdebug, logdebugwithsigning, logdebugwithhttpbody, \
                     logdebugwithrequestretries, logdebugwithrequesterrors, \
                     logdebugwitheventstreambody)"
                )),
            }
        }
        if off {
            flags = LogFlags::default();
        }
        (flags, warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_combine_and_logoff_wins() {
        let (f, w) = LogFlags::parse("LogDebugWithSigning, logdebugwithrequestretries");
        assert!(f.requests && f.signing && f.retries && !f.http_bodies && !f.errors);
        assert!(w.is_empty());
        let (f, _) = LogFlags::parse("debugwithhttpbody");
        assert!(f.requests && f.http_bodies);
        let (f, _) = LogFlags::parse("logdebug,logoff");
        assert_eq!(f, LogFlags::default());
        let (f, _) = LogFlags::parse("false");
        assert_eq!(f, LogFlags::default());
    }

    #[test]
    fn other_flags_warn() {
        let (f, w) = LogFlags::parse("logsigning,verbose,logdebugwithrequesterrors");
        assert!(f.errors && f.requests);
        assert_eq!(w.len(), 2);
        assert!(w[0].contains("s3_v2") && w[1].contains("\"verbose\""));
    }
}
