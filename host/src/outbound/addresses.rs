//! Which IP addresses a driver may connect to. The public internet is open to every driver;
//! loopback, private and link-local ranges only to a driver whose storage endpoint is there
//! (an operator's MinIO on 10.0.0.5 may be reached by that tenant, not by the others), and
//! those the operator opens to the tenant (`Policy::address_ranges`). The
//! endpoint's range is taken from its literal address, or pinned at the first resolution of
//! its name, so a name that later resolves elsewhere (DNS rebinding) is refused. The
//! instance-metadata and container-credential addresses ([`METADATA_ADDRESSES`]) are
//! reachable exactly when the tenant is granted instance metadata, whatever the endpoint.
//!
//! Names are checked by [`CheckedResolver`] as the connector resolves them; literal addresses
//! by [`AddressPolicy::check_literal`] before the request is sent.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::dns::Name;
use tokio::sync::OnceCell;

/// The EC2 instance metadata (IPv4 and IPv6) and ECS container credential addresses.
pub const METADATA_ADDRESSES: [IpAddr; 3] = [
    IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
    IpAddr::V4(Ipv4Addr::new(169, 254, 170, 2)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
];

/// Where an address lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressRange {
    /// Anything not below.
    Public,
    /// 127.0.0.0/8, ::1, and the unspecified addresses (which reach the local host).
    Loopback,
    /// RFC 1918, shared address space (100.64.0.0/10), IPv6 unique local (fc00::/7).
    Private,
    /// 169.254.0.0/16 and fe80::/10: instance metadata lives here.
    LinkLocal,
}

impl AddressRange {
    /// The range of `ip` (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn of(ip: IpAddr) -> AddressRange {
        match ip {
            IpAddr::V4(v4) => AddressRange::of_v4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => AddressRange::of_v4(v4),
                None => AddressRange::of_v6(v6),
            },
        }
    }

    fn of_v4(ip: Ipv4Addr) -> AddressRange {
        let [a, b, ..] = ip.octets();
        if ip.is_loopback() || ip.is_unspecified() || a == 0 {
            AddressRange::Loopback
        } else if ip.is_link_local() {
            AddressRange::LinkLocal
        } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
            AddressRange::Private
        } else {
            AddressRange::Public
        }
    }

    fn of_v6(ip: Ipv6Addr) -> AddressRange {
        let first = ip.segments()[0];
        if ip.is_loopback() || ip.is_unspecified() {
            AddressRange::Loopback
        } else if first & 0xffc0 == 0xfe80 {
            AddressRange::LinkLocal
        } else if first & 0xfe00 == 0xfc00 {
            AddressRange::Private
        } else {
            AddressRange::Public
        }
    }
}

/// An address the policy refuses, with the reason (it ends up in the host's log).
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {address} ({range:?}), outside the ranges the driver may reach")]
pub struct AddressRefused {
    /// The name or literal asked for.
    pub host: String,
    /// The first refused address.
    pub address: IpAddr,
    /// Its range.
    pub range: AddressRange,
}

/// The address rules of one driver.
#[derive(Debug)]
pub struct AddressPolicy {
    /// Host of the storage endpoint (a name or a literal address).
    endpoint_host: String,
    /// Ranges of the endpoint's addresses, pinned at the first resolution.
    endpoint_ranges: OnceCell<Vec<AddressRange>>,
    /// Instance metadata granted to the tenant ([`METADATA_ADDRESSES`]).
    metadata: bool,
    /// Ranges the operator opens to the tenant besides the endpoint's (`Policy::address_ranges`).
    opened: Vec<AddressRange>,
}

impl AddressPolicy {
    /// The policy of a driver whose storage endpoint is `endpoint_host`; `metadata` when the
    /// tenant may reach instance metadata; `opened`: further ranges the operator allows.
    pub fn new(endpoint_host: &str, metadata: bool, opened: &[AddressRange]) -> AddressPolicy {
        let endpoint_host = endpoint_host.trim_start_matches('[').trim_end_matches(']');
        AddressPolicy {
            endpoint_host: endpoint_host.to_ascii_lowercase(),
            endpoint_ranges: OnceCell::new(),
            metadata,
            opened: opened.to_vec(),
        }
    }

    async fn endpoint_ranges(&self) -> io::Result<&[AddressRange]> {
        let ranges = self
            .endpoint_ranges
            .get_or_try_init(|| async {
                let addresses = match self.endpoint_host.parse::<IpAddr>() {
                    Ok(ip) => vec![ip],
                    Err(_) => tokio::net::lookup_host((self.endpoint_host.as_str(), 0))
                        .await?
                        .map(|a| a.ip())
                        .collect(),
                };
                Ok::<_, io::Error>(addresses.into_iter().map(AddressRange::of).collect())
            })
            .await?;
        Ok(ranges)
    }

    /// The addresses of `host` the driver may connect to; an error naming the first refused
    /// one when none is left.
    pub async fn check(
        &self,
        host: &str,
        addresses: Vec<SocketAddr>,
    ) -> io::Result<Vec<SocketAddr>> {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if host == self.endpoint_host {
            // Resolving the endpoint pins its ranges, if nothing did before.
            let ranges: Vec<_> = addresses.iter().map(|a| AddressRange::of(a.ip())).collect();
            let _ = self.endpoint_ranges.set(ranges);
        }
        let allowed = self.endpoint_ranges().await?;
        let permitted = |ip: IpAddr| {
            if METADATA_ADDRESSES.contains(&ip) {
                return self.metadata;
            }
            let range = AddressRange::of(ip);
            range == AddressRange::Public
                || allowed.contains(&range)
                || self.opened.contains(&range)
        };
        let (kept, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
            addresses.into_iter().partition(|a| permitted(a.ip()));
        match refused.first() {
            Some(first) if kept.is_empty() => Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                AddressRefused {
                    host,
                    address: first.ip(),
                    range: AddressRange::of(first.ip()),
                },
            )),
            _ => Ok(kept),
        }
    }

    /// Whether a request to the literal address `host` is allowed (names pass: the resolver
    /// checks them).
    pub async fn check_literal(&self, host: &str) -> io::Result<()> {
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        match literal.parse::<IpAddr>() {
            Ok(ip) => self
                .check(host, vec![SocketAddr::new(ip, 0)])
                .await
                .map(drop),
            Err(_) => Ok(()),
        }
    }
}

/// The connector's name resolver: the system resolver, then [`AddressPolicy::check`].
#[derive(Clone)]
pub struct CheckedResolver {
    policy: Arc<AddressPolicy>,
}

impl CheckedResolver {
    /// A resolver applying `policy`.
    pub fn new(policy: Arc<AddressPolicy>) -> CheckedResolver {
        CheckedResolver { policy }
    }
}

type Resolving = Pin<Box<dyn Future<Output = io::Result<std::vec::IntoIter<SocketAddr>>> + Send>>;

impl tower_service::Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = io::Error;
    type Future = Resolving;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let addresses = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            Ok(policy.check(name.as_str(), addresses).await?.into_iter())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(ip: &str) -> AddressRange {
        AddressRange::of(ip.parse().unwrap())
    }

    #[test]
    fn ranges() {
        use AddressRange::*;
        for (ip, expected) in [
            ("8.8.8.8", Public),
            ("127.0.0.1", Loopback),
            ("0.0.0.0", Loopback),
            ("10.1.2.3", Private),
            ("172.31.0.1", Private),
            ("192.168.1.1", Private),
            ("100.64.0.1", Private),
            ("169.254.169.254", LinkLocal),
            ("::1", Loopback),
            ("fd00:ec2::254", Private),
            ("fe80::1", LinkLocal),
            ("::ffff:10.0.0.1", Private),
            ("2600:1f18::1", Public),
        ] {
            assert_eq!(range(ip), expected, "{ip}");
        }
    }

    fn at(ip: &str) -> Vec<SocketAddr> {
        vec![SocketAddr::new(ip.parse().unwrap(), 443)]
    }

    #[tokio::test]
    async fn only_the_endpoints_ranges_beyond_the_public_internet() {
        let loopback = AddressPolicy::new("127.0.0.1", false, &[]);
        assert!(loopback.check("localhost", at("127.0.0.1")).await.is_ok());
        assert!(loopback.check("sts.example", at("52.94.0.1")).await.is_ok());
        let refused = loopback
            .check("internal.example", at("10.0.0.7"))
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::PermissionDenied);
        assert!(refused.to_string().contains("10.0.0.7"), "{refused}");
        assert!(loopback.check_literal("169.254.169.254").await.is_err());
        assert!(loopback.check_literal("[fe80::1]").await.is_err());
        // Metadata granted: the metadata addresses (IPv6 too, which lies in fc00::/7), and
        // no other link-local address.
        let granted = AddressPolicy::new("127.0.0.1", true, &[]);
        assert!(granted.check_literal("169.254.169.254").await.is_ok());
        assert!(granted.check_literal("169.254.170.2").await.is_ok());
        assert!(granted.check_literal("[fd00:ec2::254]").await.is_ok());
        assert!(granted.check_literal("169.254.1.1").await.is_err());
        // Not granted: refused even to a driver whose endpoint is link-local itself.
        let link_local = AddressPolicy::new("169.254.10.10", false, &[]);
        assert!(link_local.check_literal("169.254.10.11").await.is_ok());
        assert!(link_local.check_literal("169.254.169.254").await.is_err());
        // A public endpoint reaches no private range at all.
        let public = AddressPolicy::new("s3.example", false, &[]);
        assert!(public.check("s3.example", at("52.216.0.1")).await.is_ok());
        assert!(
            public.check("s3.example", at("10.0.0.1")).await.is_err(),
            "rebound"
        );
        assert!(public.check_literal("127.0.0.1").await.is_err());
        // A range the operator opens: reachable; metadata still needs its grant.
        let opened = AddressPolicy::new("52.216.0.1", false, &[AddressRange::Private]);
        assert!(opened.check("sts.internal", at("10.0.0.9")).await.is_ok());
        assert!(opened.check_literal("127.0.0.1").await.is_err());
        let linked = AddressPolicy::new("52.216.0.1", false, &[AddressRange::LinkLocal]);
        assert!(linked.check_literal("169.254.1.1").await.is_ok());
        assert!(linked.check_literal("169.254.169.254").await.is_err());
        // Mixed answers keep the permitted addresses.
        let mixed = [at("10.0.0.1"), at("52.216.0.1")].concat();
        assert_eq!(
            public.check("cdn.example", mixed).await.unwrap(),
            at("52.216.0.1")
        );
    }
}
