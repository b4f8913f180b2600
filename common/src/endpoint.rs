//! Where requests go: `regionendpoint`, or the AWS host name of the region with the dual-stack,
//! FIPS and Transfer Acceleration variants, the bucket in the path or the host name; and the
//! `redirectendpoint` of presigned URLs. [`resolve`] reads these parameters; the guest sends
//! its requests there and the host computes from the same parameters where a driver may send.

use crate::params::Values;
use crate::regions;

/// A service endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https` unless the endpoint or `secure: false` says `http`.
    pub secure: bool,
    /// `host[:port]` of the service, without the bucket.
    pub authority: String,
    /// Bucket in the path (`true`) or in the host name (`false`).
    pub path_style: bool,
}

impl Endpoint {
    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        if self.secure { "https" } else { "http" }
    }

    /// `host[:port]` of requests for `bucket`: the bucket in front of the host name in
    /// virtual-hosted style.
    ///
    /// ```
    /// use s3drv_common::endpoint::Endpoint;
    /// let e = Endpoint { secure: true, authority: "s3.eu-west-1.amazonaws.com".into(), path_style: false };
    /// assert_eq!(e.bucket_authority("b"), "b.s3.eu-west-1.amazonaws.com");
    /// ```
    pub fn bucket_authority(&self, bucket: &str) -> String {
        if self.path_style {
            self.authority.clone()
        } else {
            format!("{bucket}.{}", self.authority)
        }
    }

    /// The origin (`scheme://host[:port]`) of requests for `bucket`.
    pub fn bucket_origin(&self, bucket: &str) -> String {
        format!("{}://{}", self.scheme(), self.bucket_authority(bucket))
    }
}

/// The endpoint parameters, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// `bucket` (empty when missing: a problem is recorded).
    pub bucket: String,
    /// `region`, or `us-east-1` with a `regionendpoint` and no region.
    pub region: String,
    /// Whether `regionendpoint` is set (then the store may not be AWS).
    pub custom_endpoint: bool,
    /// Where requests for the bucket go.
    pub endpoint: Endpoint,
    /// `redirectendpoint`: (secure, authority) of presigned URLs.
    pub redirect: Option<(bool, String)>,
}

/// Reads `bucket`, `region`, `regionendpoint`, `secure`, `usedualstack`, `usefipsendpoint`,
/// `accelerate`, `pathstyle` (or `forcepathstyle`) and `redirectendpoint`, recording every
/// problem in `v` and ignored values in `warnings`.
///
/// ```
/// use s3drv_common::{endpoint::resolve, params::Values};
/// let params = vec![
///     ("bucket".to_string(), "b".to_string()),
///     ("regionendpoint".to_string(), "http://127.0.0.1:3900".to_string()),
/// ];
/// let mut v = Values::new(&params);
/// let resolved = resolve(&mut v, &mut Vec::new());
/// assert!(v.problems.is_empty());
/// assert_eq!(resolved.endpoint.bucket_origin(&resolved.bucket), "http://127.0.0.1:3900");
/// ```
pub fn resolve(v: &mut Values<'_>, warnings: &mut Vec<String>) -> Resolved {
    let bucket = v.string("bucket").unwrap_or_default();
    if bucket.is_empty() {
        v.problem("bucket", "no bucket parameter provided");
    }
    let region_endpoint = v.string("regionendpoint");
    let region = parse_region(v, region_endpoint.is_some());
    let secure = v.bool("secure", true);
    let variants = AwsVariants {
        dual_stack: v.bool("usedualstack", false),
        fips: v.bool("usefipsendpoint", false),
        accelerate: v.bool("accelerate", false),
    };
    let path_style = match (v.raw("pathstyle"), v.raw("forcepathstyle")) {
        (Some(_), _) => v.bool("pathstyle", false),
        (None, Some(_)) => v.bool("forcepathstyle", false),
        (None, None) => region_endpoint.is_some(),
    };
    let endpoint = match &region_endpoint {
        Some(url) => {
            if variants != AwsVariants::default() {
                warnings.push(
                    "usedualstack, usefipsendpoint and accelerate choose AWS host names and \
                     are ignored when regionendpoint is set"
                        .to_string(),
                );
            }
            let (secure, authority) = parse_url(url, secure).unwrap_or_else(|message| {
                v.problem("regionendpoint", message);
                (secure, String::new())
            });
            Endpoint {
                secure,
                authority,
                path_style,
            }
        }
        None => {
            if variants.accelerate && path_style {
                v.problem(
                    "accelerate",
                    "Transfer Acceleration needs virtual-hosted style (pathstyle: false)",
                );
            }
            if variants.accelerate && variants.fips {
                v.problem(
                    "accelerate",
                    "Transfer Acceleration has no FIPS endpoint (usefipsendpoint: true)",
                );
            }
            if variants.accelerate && bucket.contains('.') {
                v.problem(
                    "accelerate",
                    format!(
                        "bucket {bucket:?} contains a dot, which Transfer Acceleration refuses"
                    ),
                );
            }
            Endpoint {
                secure,
                authority: aws_authority(&region, variants),
                path_style,
            }
        }
    };
    let redirect = v.string("redirectendpoint").and_then(|url| {
        if !url.contains("://") {
            v.problem(
                "redirectendpoint",
                format!("{url:?} has no scheme (like https://host)"),
            );
            return None;
        }
        parse_url(&url, true)
            .map_err(|message| v.problem("redirectendpoint", message))
            .ok()
    });
    Resolved {
        bucket,
        region,
        custom_endpoint: region_endpoint.is_some(),
        endpoint,
        redirect,
    }
}

/// `region`: required and a known AWS region unless `regionendpoint` is set (then any name
/// the store accepts, `us-east-1` when absent).
fn parse_region(v: &mut Values<'_>, has_endpoint: bool) -> String {
    match (v.string("region"), has_endpoint) {
        (Some(region), true) => region,
        (Some(region), false) if regions::is_known(&region) => region,
        (Some(region), false) => {
            v.problem(
                "region",
                format!("{region:?} is not an AWS region (set regionendpoint for other stores)"),
            );
            region
        }
        (None, true) => "us-east-1".to_string(),
        (None, false) => {
            v.problem(
                "region",
                "no region parameter provided (required unless regionendpoint is set)",
            );
            String::new()
        }
    }
}

/// The AWS endpoint variants chosen by `usedualstack`, `usefipsendpoint` and `accelerate`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AwsVariants {
    /// IPv4 + IPv6 host names.
    pub dual_stack: bool,
    /// FIPS 140 validated host names.
    pub fips: bool,
    /// Transfer Acceleration (`s3-accelerate`).
    pub accelerate: bool,
}

/// The AWS S3 host name of `region` with `variants`.
pub fn aws_authority(region: &str, variants: AwsVariants) -> String {
    let suffix = regions::dns_suffix(region);
    let dual = if variants.dual_stack {
        ".dualstack"
    } else {
        ""
    };
    if variants.accelerate {
        return format!("s3-accelerate{dual}.{suffix}");
    }
    let service = if variants.fips { "s3-fips" } else { "s3" };
    format!("{service}{dual}.{region}.{suffix}")
}

/// Splits an endpoint URL into (secure, authority). A scheme in the URL wins over `secure`; a
/// path, query, fragment or user information is refused.
pub fn parse_url(url: &str, secure: bool) -> Result<(bool, String), String> {
    let (secure, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else if url.contains("://") {
        return Err(format!("{url:?} has a scheme other than http or https"));
    } else {
        (secure, url)
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    if let Some(i) = authority.find(['/', '?', '#']) {
        return Err(format!(
            "{url:?} has more than a scheme and host:port ({:?} is not accepted)",
            &authority[i..]
        ));
    }
    if authority.contains(['@', ' ']) {
        return Err(format!("{url:?} is not a URL like https://host:port"));
    }
    Ok((secure, authority.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_host_names() {
        let v = |dual_stack, fips, accelerate| AwsVariants {
            dual_stack,
            fips,
            accelerate,
        };
        let cases = [
            (
                "us-west-2",
                v(false, false, false),
                "s3.us-west-2.amazonaws.com",
            ),
            (
                "us-west-2",
                v(true, false, false),
                "s3.dualstack.us-west-2.amazonaws.com",
            ),
            (
                "us-east-1",
                v(false, true, false),
                "s3-fips.us-east-1.amazonaws.com",
            ),
            (
                "us-east-1",
                v(true, true, false),
                "s3-fips.dualstack.us-east-1.amazonaws.com",
            ),
            (
                "eu-west-1",
                v(false, false, true),
                "s3-accelerate.amazonaws.com",
            ),
            (
                "eu-west-1",
                v(true, false, true),
                "s3-accelerate.dualstack.amazonaws.com",
            ),
            (
                "cn-north-1",
                v(false, false, false),
                "s3.cn-north-1.amazonaws.com.cn",
            ),
        ];
        for (region, variants, want) in cases {
            assert_eq!(
                aws_authority(region, variants),
                want,
                "{region} {variants:?}"
            );
        }
    }

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("http://h:9000/", true),
            Ok((false, "h:9000".into()))
        );
        assert_eq!(parse_url("h:9000", true), Ok((true, "h:9000".into())));
        assert_eq!(parse_url("h", false), Ok((false, "h".into())));
        for bad in [
            "ftp://h",
            "https://",
            "https://h/base",
            "https://h?x=1",
            "https://u@h",
        ] {
            assert!(parse_url(bad, true).is_err(), "{bad}");
        }
    }
}
