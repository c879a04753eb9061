//! The relay's bounds on what one connection, one message and one sign-in may cost, and the
//! pieces that enforce them at the edges. Every bound is a flag of `outpost serve` (README,
//! "Configuration"; SECURITY.md says why each default is what it is). What a single sync
//! message may cost is `shared`'s rule ([`shared::protocol::limits`]); this module carries it
//! with the relay's own bounds.

mod throttle;

use std::{sync::Arc, time::Duration};

use axum::http::StatusCode;
use shared::protocol::limits::Bound;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use throttle::{Throttle, keys as throttle_keys};

use crate::error::ApiError;

/// How long a sign-in waits for a free verification before it is told the relay is busy.
pub const SIGN_IN_WAIT: Duration = Duration::from_secs(2);

/// What one connection, message or sign-in may cost (the flags of `outpost serve`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// What one sync message may inflate to and how many operations it may carry.
    pub sync: shared::protocol::limits::Limits,
    /// Documents one connection may have open at once.
    pub open_documents: usize,
    /// Documents kept in memory between messages, all connections together (estimated
    /// bytes); beyond it the least recently used are read from storage again when needed.
    pub resident_bytes: usize,
    /// Frames one connection may have waiting for the sync thread…
    pub inflight_frames: usize,
    /// …and their bytes (each frame counting at least `inflight_bytes / inflight_frames`).
    pub inflight_bytes: usize,
    /// Bytes queued for one connection that it has not read yet; past this it is closed, and
    /// while over half of it the relay reads nothing more from that connection.
    pub outbound_bytes: usize,
    /// Password verifications at once (argon2 takes 19 MiB each).
    pub sign_ins: usize,
    /// Time to send a request's headers.
    pub header_timeout: Duration,
    /// A sync connection that sends nothing (not even the answer to a ping) or cannot be
    /// written to for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sync: shared::protocol::limits::Limits::DEFAULT,
            open_documents: 100_000,
            resident_bytes: 256 * 1024 * 1024,
            inflight_frames: 64,
            inflight_bytes: 16 * 1024 * 1024,
            outbound_bytes: 32 * 1024 * 1024,
            sign_ins: 4,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

impl Limits {
    /// Settings that cannot work together, in words (`frame_bytes`: the largest frame).
    pub fn check(&self, frame_bytes: usize) -> Result<(), String> {
        let positive = [
            ("--max-inflight-frames", self.inflight_frames),
            ("--max-open-documents", self.open_documents),
            ("--max-concurrent-sign-ins", self.sign_ins),
        ];
        if let Some((flag, _)) = positive.iter().find(|(_, n)| *n == 0) {
            return Err(format!("{flag} must be at least 1"));
        }
        if self.inflight_bytes < frame_bytes || self.inflight_bytes > u32::MAX as usize {
            return Err(format!(
                "--max-inflight-bytes must be between --max-frame-bytes ({frame_bytes}) and 4 GiB"
            ));
        }
        if self.outbound_bytes < frame_bytes {
            return Err(format!(
                "--max-outbound-bytes must be at least --max-frame-bytes ({frame_bytes})"
            ));
        }
        if self.idle_timeout < Duration::from_secs(1) || self.header_timeout.is_zero() {
            return Err("timeouts must be at least a second".into());
        }
        Ok(())
    }
}

/// Which bound was crossed: the `limit` label of `outpost_limits_exceeded_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Frame,
    /// CBOR item counts, depth or lengths.
    Cbor,
    /// Counts, Bloom filters or entries of a sync message Automerge would choke on.
    SyncShape,
    Inflated,
    ChangeOps,
    MessageOps,
    OpenDocuments,
    Outbound,
    Idle,
    SignIns,
}

impl Limit {
    pub const ALL: [Limit; 10] = [
        Limit::Frame,
        Limit::Cbor,
        Limit::SyncShape,
        Limit::Inflated,
        Limit::ChangeOps,
        Limit::MessageOps,
        Limit::OpenDocuments,
        Limit::Outbound,
        Limit::Idle,
        Limit::SignIns,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Limit::Frame => "frame_bytes",
            Limit::Cbor => "cbor",
            Limit::SyncShape => "sync_shape",
            Limit::Inflated => "inflated_bytes",
            Limit::ChangeOps => "change_ops",
            Limit::MessageOps => "message_ops",
            Limit::OpenDocuments => "open_documents",
            Limit::Outbound => "outbound_bytes",
            Limit::Idle => "idle_timeout",
            Limit::SignIns => "concurrent_sign_ins",
        }
    }
}

impl From<Bound> for Limit {
    fn from(bound: Bound) -> Self {
        match bound {
            Bound::Shape => Limit::SyncShape,
            Bound::Inflated => Limit::Inflated,
            Bound::ChangeOps => Limit::ChangeOps,
            Bound::MessageOps => Limit::MessageOps,
        }
    }
}

/// The frames one connection has handed to the sync thread and it has not handled yet: the
/// connection's reader waits for room before handing over another, so one connection can
/// neither fill the relay's memory nor queue more than its share ahead of other devices.
pub struct InFlight {
    permits: Arc<Semaphore>,
    min_cost: usize,
    max_cost: usize,
}

impl InFlight {
    pub fn new(limits: &Limits) -> Self {
        InFlight {
            permits: Arc::new(Semaphore::new(limits.inflight_bytes)),
            min_cost: limits.inflight_bytes / limits.inflight_frames,
            max_cost: limits.inflight_bytes,
        }
    }

    /// Waits for room for a frame of `len` bytes; the room is given back when the permit is
    /// dropped (after the sync thread has handled the frame).
    pub async fn admit(&self, len: usize) -> OwnedSemaphorePermit {
        let cost = len.clamp(self.min_cost, self.max_cost) as u32;
        self.permits
            .clone()
            .acquire_many_owned(cost)
            .await
            .expect("the semaphore is never closed")
    }
}

/// Password verifications running at once. Argon2 is memory-hard by design, so a burst of
/// sign-ins would otherwise cost 19 MiB each.
pub struct SignIns {
    permits: Arc<Semaphore>,
    wait: Duration,
}

impl SignIns {
    /// `n` at once; a sign-in waits up to `wait` for a turn ([`SIGN_IN_WAIT`] in the relay).
    pub fn new(n: usize, wait: Duration) -> Self {
        SignIns {
            permits: Arc::new(Semaphore::new(n)),
            wait,
        }
    }

    /// A turn to verify a password (held until the verification is over, even if the client
    /// leaves), or 503 when none comes free in time.
    pub async fn turn(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError(
                StatusCode::SERVICE_UNAVAILABLE,
                "the relay is busy checking other sign-ins; try again in a few seconds".into(),
            )),
        }
    }
}

/// How many of something each person holds at once (sync connections, uploads), each under
/// its cap: one person's devices cannot take what everyone else needs.
#[derive(Default, Clone)]
pub struct PerPerson(Arc<std::sync::Mutex<std::collections::HashMap<i64, usize>>>);

/// One of a person's places, given back when dropped (also when the client leaves midway).
pub struct Held {
    counts: PerPerson,
    person: i64,
}

impl PerPerson {
    /// A place for `person`, unless they already hold `cap`.
    pub fn take(&self, person: i64, cap: usize) -> Option<Held> {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts.entry(person).or_default();
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(Held {
            counts: self.clone(),
            person,
        })
    }

    /// How many places everyone holds now.
    pub fn total(&self) -> usize {
        let counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        counts.values().sum()
    }

    /// How many places `person` holds now.
    pub fn held_by(&self, person: i64) -> usize {
        let counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        counts.get(&person).copied().unwrap_or(0)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.person) {
            *count -= 1;
            // Nobody's count stays behind once they hold nothing.
            if *count == 0 {
                counts.remove(&self.person);
            }
        }
    }
}

/// `/healthz` answers anyone, so a flood of it must not cost the database a query each (on
/// PostgreSQL every check borrows a pooled connection the devices need): one check runs at a
/// time, and callers within [`Health::FRESH`] of the last one get its answer.
#[derive(Default)]
pub struct Health(tokio::sync::Mutex<Option<(std::time::Instant, Result<(), String>)>>);

impl Health {
    /// How long an answer is reused.
    pub const FRESH: Duration = Duration::from_secs(1);

    /// The last answer if it is fresh, else what `check` answers now.
    pub async fn answer<F>(&self, check: impl FnOnce() -> F) -> Result<(), String>
    where
        F: Future<Output = Result<(), String>>,
    {
        let mut last = self.0.lock().await;
        match &*last {
            Some((at, answer)) if at.elapsed() < Self::FRESH => answer.clone(),
            _ => {
                let answer = check().await;
                *last = Some((std::time::Instant::now(), answer.clone()));
                answer
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_of_health_checks_asks_the_database_once() {
        let health = Health::default();
        let asked = std::sync::atomic::AtomicUsize::new(0);
        let check = || async {
            asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err("down".to_string())
        };
        let answers = futures::future::join_all((0..100).map(|_| health.answer(check))).await;
        assert!(answers.iter().all(|a| *a == Err("down".to_string())));
        assert_eq!(asked.load(std::sync::atomic::Ordering::Relaxed), 1);
        tokio::time::sleep(Health::FRESH).await;
        health.answer(check).await.unwrap_err();
        assert_eq!(asked.load(std::sync::atomic::Ordering::Relaxed), 2);
    }

    #[test]
    fn a_person_holds_at_most_the_cap_and_gets_places_back_when_dropped() {
        let counts = PerPerson::default();
        let first = counts.take(1, 2).unwrap();
        let second = counts.take(1, 2).unwrap();
        assert!(counts.take(1, 2).is_none());
        assert!(
            counts.take(2, 2).is_some(),
            "another person is not affected"
        );
        drop(first);
        assert_eq!(counts.held_by(1), 1);
        let _third = counts.take(1, 2).unwrap();
        assert_eq!(counts.total(), 2);
        drop(second);
        assert_eq!(counts.held_by(1), 1);
    }

    #[test]
    fn the_defaults_work_together_with_the_default_frame() {
        let frame = shared::protocol::limits::DEFAULT_FRAME_BYTES;
        assert_eq!(Limits::default().check(frame), Ok(()));
        let small = Limits {
            inflight_bytes: frame - 1,
            ..Limits::default()
        };
        assert!(
            small
                .check(frame)
                .unwrap_err()
                .contains("--max-inflight-bytes")
        );
        let none = Limits {
            inflight_frames: 0,
            ..Limits::default()
        };
        assert!(
            none.check(frame)
                .unwrap_err()
                .contains("--max-inflight-frames")
        );
    }

    #[tokio::test]
    async fn a_connection_waits_for_room_in_frames_and_in_bytes() {
        let limits = Limits {
            inflight_frames: 4,
            inflight_bytes: 4000,
            ..Limits::default()
        };
        let inflight = InFlight::new(&limits);
        let small: Vec<_> = futures::future::join_all((0..4).map(|_| inflight.admit(10))).await;
        let fifth = tokio::time::timeout(Duration::from_millis(50), inflight.admit(10)).await;
        assert!(fifth.is_err(), "four small frames fill it");
        drop(small);
        let big = inflight.admit(3500).await;
        let next = tokio::time::timeout(Duration::from_millis(50), inflight.admit(1000)).await;
        assert!(next.is_err(), "3,500 bytes leave no room for 1,000 more");
        drop(big);
        let _room = inflight.admit(1000).await;
    }

    #[tokio::test]
    async fn sign_ins_beyond_the_limit_wait_then_are_told_the_relay_is_busy() {
        let sign_ins = SignIns::new(1, Duration::from_millis(50));
        let Ok(first) = sign_ins.turn().await else {
            panic!("the first sign-in has a turn at once");
        };
        let refused = sign_ins.turn().await.unwrap_err();
        assert_eq!(refused.0, StatusCode::SERVICE_UNAVAILABLE);
        drop(first);
        assert!(sign_ins.turn().await.is_ok());
    }
}
