//! Slows down guessing: after a few failed sign-ins for one account or from one address, each
//! further attempt must wait, doubling up to a minute. Time is passed in, so it is tested
//! without sleeping.

use std::collections::HashMap;

const FREE_ATTEMPTS: u32 = 3;
const MAX_WAIT_MS: i64 = 60_000;

#[derive(Default)]
pub struct Throttle {
    failures: HashMap<String, (u32, i64)>,
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
}
