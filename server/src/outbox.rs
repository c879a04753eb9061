//! One connection's queue of frames to send, bounded in bytes.
//!
//! The sync thread never waits on a socket: it queues a frame and goes on to the next device.
//! Without a bound, a device that never reads (or reads slowly while others edit the documents
//! it has open) would make the relay hold everything sent to it. So the queue counts its bytes:
//! while more than half its limit waits, the connection's reader takes nothing more from that
//! device (it is the device's own requests that fill it); past the limit the connection is
//! closed. A frame counts until the writer has handed it to the socket.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst},
};

use tokio::sync::{Notify, mpsc};

/// The sending side, for the sync thread and the connection's reader.
pub struct Outbox<T> {
    tx: mpsc::UnboundedSender<T>,
    shared: Arc<Shared>,
}

/// The receiving side, for the connection's writer.
pub struct Drain<T> {
    rx: mpsc::UnboundedReceiver<T>,
    shared: Arc<Shared>,
}

struct Shared {
    queued: AtomicUsize,
    limit: usize,
    overflowed: AtomicBool,
    changed: Notify,
}

/// A queue that holds at most `limit` bytes.
pub fn outbox<T>(limit: usize) -> (Outbox<T>, Drain<T>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        queued: AtomicUsize::new(0),
        limit,
        overflowed: AtomicBool::new(false),
        changed: Notify::new(),
    });
    (
        Outbox {
            tx,
            shared: shared.clone(),
        },
        Drain { rx, shared },
    )
}

impl<T> Clone for Outbox<T> {
    fn clone(&self) -> Self {
        Outbox {
            tx: self.tx.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<T> Outbox<T> {
    /// Queues `item` of `bytes`. False, queueing nothing, when that would pass the limit: the
    /// connection has overflowed and [`Outbox::overflowed`] resolves. A frame goes into an
    /// empty queue whatever its size, so a document larger than the limit still reaches a
    /// device that reads.
    pub fn push(&self, item: T, bytes: usize) -> bool {
        let before = self.shared.queued.fetch_add(bytes, SeqCst);
        if before > 0 && before + bytes > self.shared.limit {
            self.shared.queued.fetch_sub(bytes, SeqCst);
            self.shared.overflowed.store(true, SeqCst);
            self.shared.changed.notify_waiters();
            return false;
        }
        let _ = self.tx.send(item);
        true
    }

    /// Queues `item` without counting it (the reason for closing).
    pub fn push_last(&self, item: T) {
        let _ = self.tx.send(item);
    }

    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.shared.queued.load(SeqCst)
    }

    /// Waits while more than half the limit is queued.
    pub async fn room(&self) {
        self.until(|s| s.queued.load(SeqCst) <= s.limit / 2).await
    }

    /// Resolves once a [`Outbox::push`] found no room.
    pub async fn overflowed(&self) {
        self.until(|s| s.overflowed.load(SeqCst)).await
    }

    async fn until(&self, done: impl Fn(&Shared) -> bool) {
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if done(&self.shared) {
                return;
            }
            changed.await;
        }
    }
}

impl<T> Drain<T> {
    pub async fn recv(&mut self) -> Option<T> {
        self.rx.recv().await
    }

    /// `bytes` of what was received have been written to the socket.
    pub fn sent(&self, bytes: usize) {
        self.shared.queued.fetch_sub(bytes, SeqCst);
        self.shared.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn the_queue_is_bounded_in_bytes_and_the_reader_waits_while_it_is_half_full() {
        let (out, mut drain) = outbox::<&str>(100);
        assert!(out.push("a", 40));
        out.room().await; // 40 of 100: room
        assert!(out.push("b", 40));
        let waited = tokio::time::timeout(Duration::from_millis(50), out.room()).await;
        assert!(waited.is_err(), "80 of 100 queued: the reader waits");
        assert_eq!(drain.recv().await, Some("a"));
        drain.sent(40);
        out.room().await;
        out.push_last("bye");
        assert_eq!(out.queued(), 40, "the last words are not counted");
        assert!(!out.push("c", 61), "past the limit");
        out.overflowed().await;
        assert_eq!(drain.recv().await, Some("b"));
        assert_eq!(drain.recv().await, Some("bye"));
        drain.sent(40);
        assert!(out.push("larger than the limit, alone", 150));
    }
}
