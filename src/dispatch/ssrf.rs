//! The SSRF guard: partners register webhook URLs, and a URL must not become a way to reach our own
//! network (loopback, private ranges, the cloud metadata service at 169.254.169.254).
//!
//! Two checks, because reqwest skips the resolver for literal IP addresses: [`TargetPolicy::check_url`]
//! before each request (scheme, literal IPs, plain-http targets), and a resolver inside the client
//! that drops every refused address a name resolves to, at connect time, so a DNS answer that
//! changes between check and connect (rebinding) still cannot reach a refused address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum SsrfError {
    #[error("url: scheme {0} is not allowed (https only)")]
    Scheme(String),
    #[error("url: plain http is only allowed to targets inside allow_private_targets")]
    InsecureScheme,
    #[error("url: has no host")]
    NoHost,
    #[error("url: credentials in the URL are not allowed")]
    Credentials,
    #[error("url: {addr} is a {class} address")]
    Refused { addr: IpAddr, class: AddressClass },
    #[error("url: {host} resolves to no address we may reach")]
    NothingAllowed { host: String },
    #[error("url: cannot resolve {host}: {source}")]
    Resolve {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("http client: {0}")]
    Client(#[source] reqwest::Error),
}

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Unspecified,
    Loopback,
    Private,
    LinkLocal,
    SharedCgnat,
    Multicast,
    Broadcast,
    Reserved,
    Documentation,
}

impl std::fmt::Display for AddressClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AddressClass::Unspecified => "unspecified",
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private",
            AddressClass::LinkLocal => "link-local (or cloud metadata)",
            AddressClass::SharedCgnat => "carrier-grade NAT",
            AddressClass::Multicast => "multicast",
            AddressClass::Broadcast => "broadcast",
            AddressClass::Reserved => "reserved",
            AddressClass::Documentation => "documentation",
        })
    }
}

/// `None` for an ordinary public address; otherwise why it is not one.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, c, _] = ip.octets();
    let class = if a == 0 {
        AddressClass::Unspecified // 0.0.0.0/8, "this network"
    } else if a == 127 {
        AddressClass::Loopback
    } else if a == 10 || (a == 172 && (16..32).contains(&b)) || (a == 192 && b == 168) {
        AddressClass::Private
    } else if a == 169 && b == 254 {
        AddressClass::LinkLocal
    } else if a == 100 && (64..128).contains(&b) {
        AddressClass::SharedCgnat
    } else if ip.is_broadcast() {
        AddressClass::Broadcast
    } else if (224..240).contains(&a) {
        AddressClass::Multicast
    } else if a >= 240 || (a == 192 && b == 0 && c == 0) || (a == 198 && (b == 18 || b == 19)) {
        AddressClass::Reserved // 240/4, IETF protocol assignments, benchmarking
    } else if (a == 192 && b == 0 && c == 2)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
    {
        AddressClass::Documentation
    } else {
        return None;
    };
    Some(class)
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    // Addresses that carry an IPv4 address are judged by it: ::ffff:127.0.0.1 is loopback.
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let s = ip.segments();
    let class = if ip.is_unspecified() {
        AddressClass::Unspecified
    } else if ip.is_loopback() {
        AddressClass::Loopback
    } else if (s[0] & 0xfe00) == 0xfc00 {
        AddressClass::Private // fc00::/7 unique local (includes fd00:ec2::254, metadata)
    } else if (s[0] & 0xffc0) == 0xfe80 {
        AddressClass::LinkLocal
    } else if (s[0] & 0xffc0) == 0xfec0 {
        AddressClass::Private // deprecated site-local
    } else if (s[0] & 0xff00) == 0xff00 {
        AddressClass::Multicast
    } else if s[0] == 0x2001 && s[1] == 0x0db8 {
        AddressClass::Documentation
    } else if (s[0] == 0x2001 && s[1] == 0) || (s[0] == 0x0100 && s[1..4] == [0; 3]) {
        // Teredo (the real target hides in the tunnel) and 100::/64 (discard).
        AddressClass::Reserved
    } else {
        return None;
    };
    Some(class)
}

/// The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d),
/// NAT64 (64:ff9b::a.b.c.d) or 6to4 (2002:aabb:ccdd::) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let o = ip.octets();
    let tail = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if s[..5] == [0; 5]
        && (s[5] == 0xffff || (s[5] == 0 && !ip.is_loopback() && !ip.is_unspecified()))
    {
        return Some(tail);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        return Some(tail);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

/// Which targets webhooks may reach: every public address, plus the configured CIDRs.
#[derive(Debug, Clone, Default)]
pub struct TargetPolicy {
    allow: Vec<IpNet>,
}

impl TargetPolicy {
    /// `allow` is `allow_private_targets` from the configuration (e.g. `127.0.0.0/8` in tests).
    pub fn new(allow: Vec<IpNet>) -> Self {
        TargetPolicy { allow }
    }

    fn explicitly_allowed(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.allow.iter().any(|net| net.contains(&ip))
    }

    /// Whether a connection to `ip` is permitted.
    pub fn permit(&self, ip: IpAddr) -> Result<(), SsrfError> {
        match classify(ip) {
            Some(class) if !self.explicitly_allowed(ip) => {
                Err(SsrfError::Refused { addr: ip, class })
            }
            _ => Ok(()),
        }
    }

    /// Checks a target before a request: http(s) only, no credentials, literal IPs permitted, and
    /// plain http only when every address of the host is inside an allowed CIDR (a test receiver or
    /// an internal relay the operator named), never to the open internet.
    pub async fn check_url(&self, url: &Url) -> Result<(), SsrfError> {
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(SsrfError::Scheme(other.to_string())),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(SsrfError::Credentials);
        }
        let addrs: Vec<IpAddr> = match url.host().ok_or(SsrfError::NoHost)? {
            url::Host::Ipv4(v4) => vec![IpAddr::V4(v4)],
            url::Host::Ipv6(v6) => vec![IpAddr::V6(v6)],
            // Names are checked by the resolver at connect time; plain http needs them now.
            url::Host::Domain(_) if https => return Ok(()),
            url::Host::Domain(host) => lookup(host).await?,
        };
        for ip in &addrs {
            self.permit(*ip)?;
        }
        if !https && !addrs.iter().all(|ip| self.explicitly_allowed(*ip)) {
            return Err(SsrfError::InsecureScheme);
        }
        Ok(())
    }
}

/// IPv4-mapped IPv6 is matched against IPv4 CIDRs too.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

async fn lookup(host: &str) -> Result<Vec<IpAddr>, SsrfError> {
    let found = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|source| SsrfError::Resolve {
            host: host.to_string(),
            source,
        })?;
    Ok(found.map(|sa| sa.ip()).collect())
}

/// The resolver inside the webhook client: the system resolver, minus refused addresses.
struct GuardedResolver {
    policy: Arc<TargetPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let allowed: Vec<SocketAddr> = lookup(&host)
                .await?
                .into_iter()
                .filter(|ip| policy.permit(*ip).is_ok())
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(SsrfError::NothingAllowed { host }) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Timeouts for the guarded client.
#[derive(Debug, Clone, Copy)]
pub struct ClientTimeouts {
    pub connect: Duration,
    pub total: Duration,
}

impl Default for ClientTimeouts {
    fn default() -> Self {
        ClientTimeouts {
            connect: Duration::from_secs(5),
            total: Duration::from_secs(15),
        }
    }
}

/// An HTTP client for partner endpoints: guarded resolver, no redirects, no proxies from the
/// environment (a proxy would resolve names where the guard cannot see), connect and total timeouts.
pub fn guarded_client(
    policy: Arc<TargetPolicy>,
    timeouts: ClientTimeouts,
) -> Result<reqwest::Client, SsrfError> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver { policy }))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(timeouts.connect)
        .timeout(timeouts.total)
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("lookout/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(SsrfError::Client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> Option<AddressClass> {
        classify(s.parse().unwrap())
    }

    #[test]
    fn refuses_internal_ranges() {
        use AddressClass::*;
        for (ip, want) in [
            ("127.0.0.1", Loopback),
            ("127.255.0.9", Loopback),
            ("10.1.2.3", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("169.254.169.254", LinkLocal),
            ("100.64.0.1", SharedCgnat),
            ("100.127.255.254", SharedCgnat),
            ("0.0.0.0", Unspecified),
            ("224.0.0.1", Multicast),
            ("255.255.255.255", Broadcast),
            ("240.0.0.1", Reserved),
            ("192.0.2.10", Documentation),
            ("::", Unspecified),
            ("::1", Loopback),
            ("fc00::1", Private),
            ("fd00:ec2::254", Private),
            ("fe80::1", LinkLocal),
            ("ff02::1", Multicast),
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:10.0.0.1", Private),
            ("64:ff9b::a9fe:a9fe", LinkLocal),
            ("2002:7f00:1::", Loopback),
            ("2001:db8::1", Documentation),
        ] {
            assert_eq!(class(ip), Some(want), "{ip}");
        }
    }

    #[test]
    fn lets_public_addresses_through() {
        for ip in [
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.1.1",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }

    #[test]
    fn the_allowance_opens_only_its_cidrs() {
        let p = TargetPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
        assert!(p.permit("127.0.0.1".parse().unwrap()).is_ok());
        assert!(p.permit("::ffff:127.0.0.1".parse().unwrap()).is_ok());
        assert!(p.permit("169.254.169.254".parse().unwrap()).is_err());
        assert!(p.permit("::1".parse().unwrap()).is_err());
        assert!(
            TargetPolicy::default()
                .permit("127.0.0.1".parse().unwrap())
                .is_err()
        );
    }

    #[tokio::test]
    async fn urls_are_checked_before_any_request() {
        let strict = TargetPolicy::default();
        let loopback = TargetPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
        let check = |p: &TargetPolicy, s: &str| {
            let (p, u) = (p.clone(), Url::parse(s).unwrap());
            async move { p.check_url(&u).await }
        };
        assert!(matches!(
            check(&strict, "ftp://example.com/").await,
            Err(SsrfError::Scheme(_))
        ));
        assert!(matches!(
            check(&strict, "https://169.254.169.254/latest").await,
            Err(SsrfError::Refused {
                class: AddressClass::LinkLocal,
                ..
            })
        ));
        // Numeric spellings of loopback are still loopback once parsed.
        for s in [
            "https://2130706433/",
            "https://0x7f.1/",
            "https://[::ffff:7f00:1]/",
        ] {
            assert!(
                matches!(check(&strict, s).await, Err(SsrfError::Refused { .. })),
                "{s}"
            );
        }
        assert!(matches!(
            check(&strict, "http://8.8.8.8/").await,
            Err(SsrfError::InsecureScheme)
        ));
        assert!(matches!(
            check(&strict, "https://u:p@example.com/").await,
            Err(SsrfError::Credentials)
        ));
        assert!(check(&strict, "https://8.8.8.8/hook").await.is_ok());
        assert!(check(&loopback, "http://127.0.0.1:9/").await.is_ok());
        assert!(matches!(
            check(&strict, "http://127.0.0.1:9/").await,
            Err(SsrfError::Refused {
                class: AddressClass::Loopback,
                ..
            })
        ));
    }
}
