//! The address guard: which IP addresses the fetcher may connect to.
//!
//! A feed or an article link is untrusted input; without a guard a feed could
//! point the daemon at `http://169.254.169.254/` (cloud metadata) or at
//! services on the private network (server-side request forgery). The guard
//! is applied where the address is actually known: [`GuardedResolver`] filters
//! DNS answers before reqwest connects (so a name that resolves to loopback is
//! refused, and DNS rebinding between check and connect is impossible), and
//! [`check_literal`] checks IP-literal hosts, which reqwest connects to
//! without asking the resolver. Both run on every redirect hop.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// True when `ip` is not a public unicast address: loopback, RFC 1918,
/// link-local, CGNAT, multicast, broadcast, unspecified, documentation and
/// benchmark ranges, IPv6 ULA and link-local, and IPv6 forms that embed an
/// IPv4 address (mapped, compatible, NAT64, 6to4) of any of those.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_forbidden(v4),
        IpAddr::V6(v6) => v6_forbidden(v6),
    }
}

fn v4_forbidden(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0                                   // "this network", incl. 0.0.0.0 (RFC 1122)
        || a == 127                          // loopback
        || a == 10                           // RFC 1918
        || (a == 172 && (b & 0xf0) == 16)    // RFC 1918 172.16/12
        || (a == 192 && b == 168)            // RFC 1918
        || (a == 169 && b == 254)            // link-local, cloud metadata
        || (a == 100 && (b & 0xc0) == 64)    // CGNAT 100.64/10 (RFC 6598)
        || (a == 192 && b == 0 && c == 0)    // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)    // TEST-NET-1
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113)  // TEST-NET-3
        || (a == 198 && (b & 0xfe) == 18)    // benchmarking 198.18/15
        || (a == 192 && b == 88 && c == 99)  // 6to4 relay anycast (deprecated)
        || a >= 224 // multicast 224/4, reserved 240/4, broadcast
}

fn v6_forbidden(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    // ::/96 (IPv4-compatible, also :: and ::1) and ::ffff:0:0/96 (mapped).
    if s[..5] == [0; 5] && (s[5] == 0 || s[5] == 0xffff) {
        return v4_forbidden(embedded(s[6], s[7]));
    }
    // 64:ff9b::/96 NAT64 (RFC 6052): the embedded IPv4 address decides.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_forbidden(embedded(s[6], s[7]));
    }
    // 2002::/16 6to4: the IPv4 address sits in bits 16..48.
    if s[0] == 0x2002 {
        return v4_forbidden(embedded(s[1], s[2]));
    }
    (s[0] & 0xfe00) == 0xfc00            // ULA fc00::/7
        || (s[0] & 0xffc0) == 0xfe80     // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0     // site-local fec0::/10 (deprecated)
        || (s[0] & 0xff00) == 0xff00     // multicast ff00::/8
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation 2001:db8::/32
        || (s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0) // benchmarking 2001:2::/48
        || s[..4] == [0x0100, 0, 0, 0] // discard-only 100::/64
}

/// A host whose every address is forbidden; carried through reqwest's error
/// chain from the resolver so the fetcher can report
/// [`FetchError::Blocked`](super::FetchError::Blocked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedAddress {
    /// The host name that was resolved.
    pub host: String,
    /// The forbidden addresses it resolved to.
    pub addrs: Vec<IpAddr>,
}

impl BlockedAddress {
    /// The addresses as one comma-separated string.
    pub fn addr_list(&self) -> String {
        self.addrs
            .iter()
            .map(IpAddr::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} resolves only to non-public addresses ({})",
            self.host,
            self.addr_list()
        )
    }
}

impl std::error::Error for BlockedAddress {}

/// Keep the permitted addresses of a DNS answer for `host`. With
/// `allow_private` everything is kept. Errs when addresses were found but
/// all of them are forbidden.
pub fn filter_resolved(
    host: &str,
    addrs: Vec<SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, BlockedAddress> {
    if allow_private {
        return Ok(addrs);
    }
    let (ok, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
        addrs.into_iter().partition(|a| !is_forbidden(a.ip()));
    if ok.is_empty() && !refused.is_empty() {
        return Err(BlockedAddress {
            host: host.to_owned(),
            addrs: refused.iter().map(SocketAddr::ip).collect(),
        });
    }
    Ok(ok)
}

/// The forbidden IP literal in `url`'s host, if it has one. Host names are
/// left to [`GuardedResolver`].
pub fn check_literal(url: &Url) -> Option<IpAddr> {
    let ip = match url.host()? {
        Host::Ipv4(v4) => IpAddr::V4(v4),
        Host::Ipv6(v6) => IpAddr::V6(v6),
        Host::Domain(_) => return None,
    };
    is_forbidden(ip).then_some(ip)
}

/// A reqwest DNS resolver that resolves with the system resolver and drops
/// forbidden addresses (unless private networks are allowed).
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// Keep every address (test setups, intranet feeds).
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept = filter_resolved(&host, found, allow_private)?;
            if kept.is_empty() {
                return Err(format!("no addresses found for {host}").into());
            }
            let addrs: Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}
