//! Where requests go: `regionendpoint`, or the AWS host name of the region with the dual-stack,
//! FIPS and Transfer Acceleration variants; and the `redirectendpoint` of presigned URLs.

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
