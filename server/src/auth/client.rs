//! Who is asking: the client address sign-in throttles by.
//!
//! Behind a reverse proxy every request comes from the proxy, so the proxy's
//! `X-Forwarded-For` must be used; but anyone can send that header, so it is believed only
//! from the proxies named with `--trusted-proxy`, and only as far as the chain of trusted
//! hops goes.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The client's address: the socket's peer, or, while the hop at hand is a trusted proxy,
/// the address it says it forwarded for (`X-Forwarded-For`, read from the right).
pub fn address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(&ip.to_canonical()));
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut hop = peer.to_canonical();
    for entry in forwarded.iter().rev() {
        if !is_trusted(hop) {
            break;
        }
        match parse(entry) {
            Some(ip) => hop = ip.to_canonical(),
            // A malformed entry: the trusted proxy in front of it is as far as we know.
            None => break,
        }
    }
    hop
}

/// An address as proxies write it: `10.0.0.1`, `2001:db8::1`, `[2001:db8::1]:443`, `10.0.0.1:80`.
fn parse(entry: &str) -> Option<IpAddr> {
    entry
        .parse()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let h = headers(&["1.2.3.4"]);
        assert_eq!(address(ip("10.0.0.9"), &h, &[]), ip("10.0.0.9"));
        let trusted = ["10.0.0.1/32".parse().unwrap()];
        assert_eq!(address(ip("10.0.0.9"), &h, &trusted), ip("10.0.0.9"));
        assert_eq!(address(ip("10.0.0.1"), &h, &trusted), ip("1.2.3.4"));
    }

    #[test]
    fn a_forged_entry_before_the_proxys_own_is_not_believed() {
        // The client sent "X-Forwarded-For: 9.9.9.9"; the proxy appended the real address.
        let h = headers(&["9.9.9.9, 5.6.7.8"]);
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        assert_eq!(address(ip("10.0.0.1"), &h, &trusted), ip("5.6.7.8"));
        // Two trusted proxies in a row are walked through.
        let h = headers(&["9.9.9.9, 5.6.7.8", "10.2.0.1"]);
        assert_eq!(address(ip("10.0.0.1"), &h, &trusted), ip("5.6.7.8"));
    }

    #[test]
    fn ports_brackets_and_garbage() {
        let trusted = ["::1/128".parse().unwrap(), "127.0.0.1/32".parse().unwrap()];
        let h = headers(&["[2001:db8::7]:443"]);
        assert_eq!(address(ip("::1"), &h, &trusted), ip("2001:db8::7"));
        let h = headers(&["5.6.7.8:1234"]);
        assert_eq!(address(ip("127.0.0.1"), &h, &trusted), ip("5.6.7.8"));
        let h = headers(&["not an address"]);
        assert_eq!(address(ip("127.0.0.1"), &h, &trusted), ip("127.0.0.1"));
        // An IPv4 proxy seen over an IPv6 socket is still recognised.
        let h = headers(&["5.6.7.8"]);
        assert_eq!(address(ip("::ffff:127.0.0.1"), &h, &trusted), ip("5.6.7.8"));
    }
}
