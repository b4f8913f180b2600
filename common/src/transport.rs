//! What the parameters ask the host to enforce on a driver's requests: retries, request rate
//! and TLS verification. The guest reports them through `transport-policy`; the host reads
//! the same parameters to refuse a report that asks for more (`docs/decisions.md` §30).

use crate::params::Values;

/// `maxretries`, `maxrequestspersecond` and `skipverify`, as the parameters set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportSettings {
    /// Retries after the first attempt (`maxretries`, default 5).
    pub max_retries: u32,
    /// Requests per second at most; 0 = unlimited (`maxrequestspersecond`, default 350).
    pub max_requests_per_second: u32,
    /// Accept any TLS certificate (`skipverify`, default false).
    pub skip_verify: bool,
}

impl TransportSettings {
    /// Reads the three keys, recording their problems in `v`.
    ///
    /// ```
    /// use s3drv_common::{params::Values, transport::TransportSettings};
    /// let params = vec![("maxretries".to_string(), "2".to_string())];
    /// let settings = TransportSettings::read(&mut Values::new(&params));
    /// assert_eq!((settings.max_retries, settings.max_requests_per_second), (2, 350));
    /// ```
    pub fn read(v: &mut Values<'_>) -> TransportSettings {
        TransportSettings {
            max_retries: v.integer("maxretries", 5, 0, u32::MAX as u64) as u32,
            max_requests_per_second: v.integer("maxrequestspersecond", 350, 0, u32::MAX as u64)
                as u32,
            skip_verify: v.bool("skipverify", false),
        }
    }
}
