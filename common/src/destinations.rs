//! The origins a driver sends requests to, from its parameters and the environment it is
//! granted: its bucket's endpoint, and the credential chain's endpoints when the parameters
//! hold no keys. The guest reports them; the host computes them from the same parameters to
//! hold the guest to them.

use crate::credential_urls::{self, Var};
use crate::endpoint::{Endpoint, resolve};
use crate::params::{ConfigProblem, Values};

/// The origins (`scheme://host[:port]`) of a driver of `bucket` at `endpoint` in `region`,
/// with or without `static_keys`, in the environment `var`.
pub fn origins(
    endpoint: &Endpoint,
    bucket: &str,
    region: &str,
    static_keys: bool,
    var: Var<'_>,
) -> Vec<String> {
    let mut origins = vec![endpoint.bucket_origin(bucket)];
    if !static_keys {
        for url in credential_urls::all(var, region) {
            origins.push(credential_urls::origin(&url).to_string());
        }
    }
    origins
}

/// [`origins`] of the parameter map `params` (the keys a problem is found in, if any).
///
/// ```
/// let params = vec![
///     ("bucket".to_string(), "b".to_string()),
///     ("region".to_string(), "eu-west-1".to_string()),
/// ];
/// let none = |_: &str| None;
/// assert_eq!(
///     s3drv_common::destinations::of_params(&params, &none).unwrap(),
///     vec!["https://b.s3.eu-west-1.amazonaws.com", "http://169.254.169.254"]
/// );
/// ```
pub fn of_params(
    params: &[(String, String)],
    var: Var<'_>,
) -> Result<Vec<String>, Vec<ConfigProblem>> {
    let mut v = Values::new(params);
    let resolved = resolve(&mut v, &mut Vec::new());
    let static_keys = v.string("accesskey").is_some() && v.string("secretkey").is_some();
    if !v.problems.is_empty() {
        return Err(v.problems);
    }
    Ok(origins(
        &resolved.endpoint,
        &resolved.bucket,
        &resolved.region,
        static_keys,
        var,
    ))
}
