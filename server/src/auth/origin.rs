//! Which web pages may open the sync WebSocket.
//!
//! A browser sends the session cookie with a WebSocket handshake whatever page opened it, and
//! WebSockets have no CORS: without this check, any page on a site that shares the relay's
//! cookies (SameSite counts a sibling subdomain as the same site) could sync as the person
//! visiting it. Browsers always send `Origin` with the handshake; a client that sends none is
//! not a browser, so it holds the cookie by its user's own doing and is let through.

use axum::http::{HeaderMap, header};

/// Whether the handshake's `Origin` may open a sync connection: one of `allowed` (exactly,
/// `scheme://host[:port]`), or when that list is empty, the relay's own origin: the host and
/// port the request was addressed to (`Host`).
pub fn allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if !allowed.is_empty() {
        return allowed.iter().any(|a| a.eq_ignore_ascii_case(origin));
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match (origin.split_once("://"), host) {
        (Some((_, origin_host)), Some(host)) => origin_host.eq_ignore_ascii_case(host),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn by_default_only_the_relays_own_origin() {
        assert!(allowed(
            &headers(Some("http://127.0.0.1:8080"), "127.0.0.1:8080"),
            &[]
        ));
        assert!(allowed(
            &headers(Some("https://desk.example.org"), "desk.example.org"),
            &[]
        ));
        assert!(!allowed(
            &headers(Some("https://evil.example.org"), "desk.example.org"),
            &[]
        ));
        assert!(!allowed(
            &headers(Some("http://127.0.0.1:9999"), "127.0.0.1:8080"),
            &[]
        ));
        assert!(!allowed(&headers(Some("null"), "127.0.0.1:8080"), &[]));
        assert!(
            allowed(&headers(None, "127.0.0.1:8080"), &[]),
            "not a browser"
        );
    }

    #[test]
    fn a_configured_list_replaces_the_default() {
        let list = ["https://desk.example.org".to_string()];
        assert!(allowed(
            &headers(Some("https://desk.example.org"), "10.0.0.5:8080"),
            &list
        ));
        assert!(!allowed(
            &headers(Some("http://desk.example.org"), "desk.example.org"),
            &list
        ));
        assert!(!allowed(
            &headers(Some("http://10.0.0.5:8080"), "10.0.0.5:8080"),
            &list
        ));
    }
}
