//! [`Policy`]: what the operator allows a tenant's drivers, whatever the component reports
//! (`docs/decisions.md` §30). At open the host computes, from the parameters it passes and the
//! environment it grants, what an honest driver reports (the same code in `s3drv-common` the
//! guest runs); the component's `transport-policy` may ask for less, never for more: a report
//! that asks for another origin, insecure TLS, a higher request rate or more retries than the
//! policy allows is refused before any request is sent.

use s3drv_common::destinations;
use s3drv_common::params::Values;
use s3drv_common::transport::TransportSettings;

use crate::bindings::s3drv::storage::types::TransportPolicy;
use crate::error::{Error, Result};
use crate::outbound::addresses::AddressRange;
use crate::outbound::destinations::origin_matches;

/// What a tenant's drivers may reach and ask the host for.
///
/// The default allows what the parameters say, and nothing else: the origins they resolve
/// to, `skipverify` when they set it, any `maxrequestspersecond` and `maxretries`.
///
/// ```
/// use s3drv_host::{Policy, Tenant};
/// // A platform: only AWS in us-east-1, never insecure TLS, at most 100 requests a second.
/// let tenant = Tenant {
///     policy: Policy {
///         origins_from_parameters: false,
///         extra_origins: vec!["https://*.s3.us-east-1.amazonaws.com".into()],
///         insecure_tls: false,
///         max_requests_per_second: Some(100),
///         ..Policy::default()
///     },
///     ..Tenant::new("team-a")
/// };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Allow the origins computed from the driver's parameters: its bucket's endpoint, and
    /// the credential chain's endpoints when the parameters hold no keys (default true).
    pub origins_from_parameters: bool,
    /// Further origins: `scheme://host[:port]`, where the host may start with `*.` (one or
    /// more labels), e.g. `https://*.s3.us-east-1.amazonaws.com`.
    pub extra_origins: Vec<String>,
    /// Whether `skipverify: true` may be used at all (default true: when the parameters say so).
    pub insecure_tls: bool,
    /// The highest `maxrequestspersecond` allowed; `None`: any, unlimited (0) included.
    pub max_requests_per_second: Option<u32>,
    /// The most `maxretries` allowed; `None`: any.
    pub max_retries: Option<u32>,
    /// Requests one driver may have awaiting their answer at once, whatever the component
    /// sends (multipart copies, parallel walks, or a flood); further requests wait for one
    /// to be answered: backpressure, not failure. `None`: no ceiling.
    pub max_requests_in_flight: Option<usize>,
    /// Non-public address ranges (loopback, private, link-local) the tenant's drivers may
    /// connect to besides the storage endpoint's own (default: none). The instance-metadata
    /// addresses still need [`Tenant::instance_metadata`](crate::Tenant::instance_metadata).
    pub address_ranges: Vec<AddressRange>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            origins_from_parameters: true,
            extra_origins: Vec::new(),
            insecure_tls: true,
            max_requests_per_second: None,
            max_retries: None,
            max_requests_in_flight: None,
            address_ranges: Vec::new(),
        }
    }
}

impl Policy {
    /// Checks the component's `reported` policy against this policy for a driver opened with
    /// `params` in the environment `environment`; the refusal names what was asked and what
    /// the tenant allows.
    pub(crate) fn check(
        &self,
        params: &[(String, String)],
        environment: &[(String, String)],
        reported: &TransportPolicy,
    ) -> Result<()> {
        let refuse = |what: String| Err(Error::Refused(what));
        let var = |name: &str| {
            environment
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        let mut allowed = self.extra_origins.clone();
        if self.origins_from_parameters {
            match destinations::of_params(params, &var) {
                Ok(origins) => allowed.extend(origins),
                Err(problems) => {
                    let problems: Vec<String> = problems
                        .iter()
                        .map(|p| format!("{}: {}", p.key, p.message))
                        .collect();
                    return refuse(format!(
                        "the host cannot resolve endpoint parameters the driver accepted ({})",
                        problems.join("; ")
                    ));
                }
            }
        }
        for asked in &reported.destinations {
            if !allowed.iter().any(|pattern| origin_matches(pattern, asked)) {
                return refuse(format!(
                    "the driver asks to reach {asked}; the tenant allows {}",
                    if allowed.is_empty() {
                        "no origin".to_string()
                    } else {
                        allowed.join(", ")
                    }
                ));
            }
        }
        let configured = TransportSettings::read(&mut Values::new(params));
        if reported.skip_verify && !(configured.skip_verify && self.insecure_tls) {
            return refuse(if configured.skip_verify {
                "skipverify: true is not allowed for this tenant".to_string()
            } else {
                "the driver asks to skip TLS verification, which its parameters do not set"
                    .to_string()
            });
        }
        let rate_ceiling = lowest(
            configured.max_requests_per_second,
            self.max_requests_per_second,
        );
        if let Some(ceiling) = rate_ceiling
            && (reported.max_requests_per_second == 0 || reported.max_requests_per_second > ceiling)
        {
            return refuse(format!(
                "the driver asks for {} requests a second; the tenant allows at most {ceiling}",
                rate_text(reported.max_requests_per_second)
            ));
        }
        let retry_ceiling = self
            .max_retries
            .map_or(configured.max_retries, |c| c.min(configured.max_retries));
        if reported.max_retries > retry_ceiling {
            return refuse(format!(
                "the driver asks for {} retries; the tenant allows at most {retry_ceiling}",
                reported.max_retries
            ));
        }
        Ok(())
    }
}

/// The lower of two request-rate limits, where 0 (or `None`) is no limit.
fn lowest(configured: u32, operator: Option<u32>) -> Option<u32> {
    let configured = (configured > 0).then_some(configured);
    match (configured, operator) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn rate_text(rate: u32) -> String {
    if rate == 0 {
        "unlimited".to_string()
    } else {
        rate.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        [
            ("bucket", "b"),
            ("regionendpoint", "http://127.0.0.1:3900"),
            ("accesskey", "k"),
            ("secretkey", "s"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn honest(destinations: &[&str]) -> TransportPolicy {
        TransportPolicy {
            max_retries: 5,
            max_requests_per_second: 350,
            skip_verify: false,
            log_retries: false,
            destinations: destinations.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn an_honest_report_passes_and_one_more_origin_is_refused() {
        let policy = Policy::default();
        assert!(
            policy
                .check(&params(&[]), &[], &honest(&["http://127.0.0.1:3900"]))
                .is_ok()
        );
        let Err(Error::Refused(message)) = policy.check(
            &params(&[]),
            &[],
            &honest(&["http://127.0.0.1:3900", "http://127.0.0.2:3900"]),
        ) else {
            panic!("an extra origin was allowed")
        };
        assert!(
            message.contains("http://127.0.0.2:3900") && message.contains("http://127.0.0.1:3900"),
            "{message}"
        );
        // Without keys, the credential chain's endpoints are the parameters' too.
        let keyless: Vec<_> = params(&[])
            .into_iter()
            .filter(|(k, _)| !k.ends_with("key"))
            .collect();
        let chain = honest(&["http://127.0.0.1:3900", "http://169.254.169.254"]);
        assert!(policy.check(&keyless, &[], &chain).is_ok());
        assert!(policy.check(&params(&[]), &[], &chain).is_err());
    }

    #[test]
    fn insecure_tls_rate_and_retries_only_as_allowed() {
        let policy = Policy::default();
        let skipping = TransportPolicy {
            skip_verify: true,
            ..honest(&[])
        };
        assert!(policy.check(&params(&[]), &[], &skipping).is_err());
        let asked = params(&[("skipverify", "true")]);
        assert!(policy.check(&asked, &[], &skipping).is_ok());
        let strict = Policy {
            insecure_tls: false,
            max_requests_per_second: Some(100),
            max_retries: Some(2),
            ..Policy::default()
        };
        assert!(strict.check(&asked, &[], &skipping).is_err());
        let slow = TransportPolicy {
            max_requests_per_second: 100,
            max_retries: 2,
            ..honest(&[])
        };
        assert!(strict.check(&params(&[]), &[], &slow).is_ok());
        for (rate, retries) in [(0, 2), (101, 2), (100, 3)] {
            let more = TransportPolicy {
                max_requests_per_second: rate,
                max_retries: retries,
                ..honest(&[])
            };
            assert!(
                strict.check(&params(&[]), &[], &more).is_err(),
                "{rate} {retries}"
            );
        }
        // The parameters' own values are ceilings too.
        let limited = params(&[("maxrequestspersecond", "10"), ("maxretries", "1")]);
        assert!(policy.check(&limited, &[], &slow).is_err());
    }
}
