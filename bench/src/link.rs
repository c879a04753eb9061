//! A slow link between a tablet and the relay: a TCP proxy on loopback that gives every byte
//! a shared bandwidth per direction and half the round trip of delay each way. Chromium's
//! own network emulation (CDP `Network.emulateNetworkConditions`) applies to the page's
//! requests only, not to its service worker's: through this proxy everything the tablet
//! fetches, the service worker's precache and the sync socket included, shares one link.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::Result;

/// One direction of the link: its rate, and when it is free again.
struct Direction {
    bytes_per_second: f64,
    free_at: Mutex<Instant>,
}

impl Direction {
    /// When a chunk of `len` bytes sent now has crossed the link (before the delay).
    fn schedule(&self, len: usize) -> Instant {
        let mut free_at = self.free_at.lock().expect("link");
        let start = (*free_at).max(Instant::now());
        *free_at = start + Duration::from_secs_f64(len as f64 / self.bytes_per_second);
        *free_at
    }
}

/// A running proxy; stops when dropped.
pub struct Link {
    port: u16,
    task: JoinHandle<()>,
}

impl Link {
    /// Proxies a free loopback port to `127.0.0.1:upstream` at `down_bps` (relay → tablet)
    /// and `up_bps` (tablet → relay) bits per second with `rtt` round trips.
    pub async fn start(upstream: u16, down_bps: f64, up_bps: f64, rtt: Duration) -> Result<Link> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let direction = |bps: f64| {
            Arc::new(Direction {
                bytes_per_second: bps / 8.0,
                free_at: Mutex::new(Instant::now()),
            })
        };
        let (down, up) = (direction(down_bps), direction(up_bps));
        let task = tokio::spawn(async move {
            while let Ok((tablet, _)) = listener.accept().await {
                let (down, up) = (down.clone(), up.clone());
                tokio::spawn(async move {
                    let Ok(relay) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                        return;
                    };
                    let _ = tablet.set_nodelay(true);
                    let _ = relay.set_nodelay(true);
                    let (tablet_in, tablet_out) = tablet.into_split();
                    let (relay_in, relay_out) = relay.into_split();
                    tokio::join!(
                        pipe(tablet_in, relay_out, up, rtt / 2),
                        pipe(relay_in, tablet_out, down, rtt / 2),
                    );
                });
            }
        });
        Ok(Link { port, task })
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies `from` to `to`, each chunk leaving once the link has carried it plus `delay`.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    link: Arc<Direction>,
    delay: Duration,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let reader = async move {
        // Small chunks, so the rate applies smoothly and a small message is not held behind
        // a large one's whole transfer.
        let mut buffer = vec![0; 16 * 1024];
        while let Ok(n) = from.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            let arrives = link.schedule(n) + delay;
            if tx.send((arrives, buffer[..n].to_vec())).is_err() {
                break;
            }
        }
    };
    let writer = async move {
        while let Some((arrives, chunk)) = rx.recv().await {
            tokio::time::sleep_until(arrives.into()).await;
            if to.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_queues_chunks_at_its_rate() {
        let link = Direction {
            bytes_per_second: 1000.0,
            free_at: Mutex::new(Instant::now()),
        };
        let now = Instant::now();
        let first = link.schedule(500);
        let second = link.schedule(500);
        assert!(first >= now + Duration::from_millis(499));
        assert!(second >= first + Duration::from_millis(499));
        assert!(second < now + Duration::from_millis(1100));
    }
}
