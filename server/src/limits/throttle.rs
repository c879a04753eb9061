//! Slows down guessing: after a few failed sign-ins under one key, each further attempt under
//! it must wait, doubling up to a minute. Time is passed in, so it is tested without sleeping.
//!
//! Which keys an attempt counts under ([`keys`]) is what keeps a correct password working:
//! an attempt from the person's own device (one they signed in on before, proven by its
//! secret cookie) counts under that device alone, so nobody else's failures can slow it; any
//! other attempt counts under the account and under the client's address, which is what
//! limits guessing, from one address or from many.
//!
//! An attempt is counted before its password is checked ([`Throttle::begin`]) and forgiven
//! when it succeeds: parallel guesses see each other's attempts, so racing gains nothing.

use std::{collections::HashMap, net::IpAddr};

const FREE_ATTEMPTS: u32 = 3;
const MAX_WAIT_MS: i64 = 60_000;

#[derive(Default)]
pub struct Throttle {
    failures: HashMap<String, (u32, i64)>,
}

/// The keys a sign-in attempt counts under: its own device's when `own_device` (the request
/// proved it is a device this person signed in on), else the account's and the address's.
pub fn keys(username: &str, device: &str, own_device: bool, client: IpAddr) -> Vec<String> {
    if own_device {
        vec![format!("device:{device}")]
    } else {
        vec![
            format!("user:{username}"),
            format!("addr:{}", address_key(client)),
        ]
    }
}

/// An IPv6 client is counted by its /64: one subscriber usually holds the whole prefix.
fn address_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        v4 => v4.to_string(),
    }
}

impl Throttle {
    /// How long `key` must still wait before trying again, in ms (0: go ahead).
    pub fn wait_ms(&self, key: &str, now: i64) -> i64 {
        match self.failures.get(key) {
            Some(&(n, last)) if n >= FREE_ATTEMPTS => {
                let wait = (1000_i64 << (n - FREE_ATTEMPTS).min(16)).min(MAX_WAIT_MS);
                (last + wait - now).max(0)
            }
            _ => 0,
        }
    }

    /// Starts an attempt under `keys`: `Err(wait_ms)` when one of them must still wait;
    /// otherwise the attempt counts as failed under each until [`Throttle::succeeded`].
    pub fn begin(&mut self, keys: &[String], now: i64) -> Result<(), i64> {
        let wait = keys.iter().map(|k| self.wait_ms(k, now)).max().unwrap_or(0);
        if wait > 0 {
            return Err(wait);
        }
        for k in keys {
            self.failed(k, now);
        }
        Ok(())
    }

    pub fn failed(&mut self, key: &str, now: i64) {
        let entry = self.failures.entry(key.to_string()).or_insert((0, now));
        entry.0 += 1;
        entry.1 = now;
        // Keep memory bounded: forget keys idle for an hour.
        if self.failures.len() > 10_000 {
            self.failures.retain(|_, (_, last)| now - *last < 3_600_000);
        }
    }

    pub fn succeeded(&mut self, key: &str) {
        self.failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_mistakes_are_free_then_waits_double() {
        let mut t = Throttle::default();
        for _ in 0..3 {
            assert_eq!(t.wait_ms("user:ana", 0), 0);
            t.failed("user:ana", 0);
        }
        assert_eq!(t.wait_ms("user:ana", 0), 1000);
        assert_eq!(t.wait_ms("user:ana", 400), 600);
        t.failed("user:ana", 1000);
        assert_eq!(t.wait_ms("user:ana", 1000), 2000);
        assert_eq!(
            t.wait_ms("user:bo", 1000),
            0,
            "other accounts are not slowed"
        );
        for i in 0..30 {
            t.failed("user:ana", 2000 + i);
        }
        assert_eq!(t.wait_ms("user:ana", 2029), MAX_WAIT_MS);
        t.succeeded("user:ana");
        assert_eq!(t.wait_ms("user:ana", 2029), 0);
    }

    #[test]
    fn attempts_count_before_they_are_checked() {
        let mut t = Throttle::default();
        let keys = keys("ana", "device-x", false, [10, 0, 0, 1].into());
        // Ten guesses at once: only the free ones start, whatever their passwords turn out.
        let started = (0..10).filter(|_| t.begin(&keys, 0).is_ok()).count();
        assert_eq!(started, FREE_ATTEMPTS as usize);
        assert_eq!(t.begin(&keys, 0), Err(1000));
    }

    #[test]
    fn an_own_device_is_counted_apart_from_the_account() {
        let mut t = Throttle::default();
        let attacker = keys("ana", "device-evil", false, [10, 0, 0, 66].into());
        while t.begin(&attacker, 0).is_ok() {}
        let elsewhere = keys("ana", "device-new", false, [10, 0, 0, 7].into());
        assert!(t.begin(&elsewhere, 0).is_err(), "the account is slowed");
        let own = keys("ana", "device-ana", true, [10, 0, 0, 66].into());
        assert_eq!(t.begin(&own, 0), Ok(()), "her own device is not");
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(address_key(mapped), "10.0.0.1");
    }
}
