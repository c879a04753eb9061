//! Relays sharing PostgreSQL hear of each other's chunks: a commit that stores chunks notifies
//! ([`CHANNEL`], in its transaction, so only once they are committed) with the chunks'
//! documents and sequence numbers, and each relay listens ([`Store::watch_chunks`]) and hands
//! its sync hub what others stored, to bring the documents it holds up to date and sync them
//! to its devices (`shared::sync::Hub::ingest`).

use tokio::sync::mpsc;

use super::{Db, Result, Store, on_db};

/// PostgreSQL's channel for stored chunks.
pub(super) const CHANNEL: &str = "outpost_chunks";
/// PostgreSQL takes payloads under 8,000 bytes.
const MAX_PAYLOAD: usize = 7_000;

/// What another relay did to the documents.
#[derive(Debug, PartialEq, Eq)]
pub enum Notice {
    /// It stored these chunks: (document, sequence number).
    Stored(Vec<(String, i64)>),
    /// The listener lost its connection and has it again: notices may have been missed
    /// meanwhile, so every document held in memory is read again.
    Missed,
}

/// Payloads announcing `chunks`, stored by relay `origin`: "origin doc:seq doc:seq …".
pub(super) fn payloads(origin: &str, chunks: &[(String, i64)]) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for (document, seq) in chunks {
        let item = format!(" {document}:{seq}");
        match out.last_mut() {
            Some(last) if last.len() + item.len() <= MAX_PAYLOAD => last.push_str(&item),
            _ => out.push(format!("{origin}{item}")),
        }
    }
    out
}

/// The chunks a payload announces, unless relay `own` stored them (or it is malformed).
fn parse(payload: &str, own: &str) -> Option<Vec<(String, i64)>> {
    let mut words = payload.split(' ');
    if words.next()? == own {
        return None;
    }
    words
        .map(|w| {
            let (document, seq) = w.split_once(':')?;
            Some((document.to_string(), seq.parse().ok()?))
        })
        .collect()
}

impl Store {
    /// PostgreSQL: sends what other relays store to `notices`, as they commit, until the
    /// receiver is dropped. Nothing on SQLite (one relay per file).
    pub fn watch_chunks(&self, notices: mpsc::Sender<Notice>) {
        let Db::Postgres(pool) = &self.db else {
            return;
        };
        let (pool, own) = (pool.clone(), self.relay.clone());
        let runtime = self.runtime.0.as_ref().expect("the runtime lives");
        runtime.spawn(async move {
            let mut first = true;
            loop {
                let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(listener) => listener,
                    Err(e) => {
                        tracing::warn!("cannot listen for other relays' changes: {e}");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        continue;
                    }
                };
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!("cannot listen for other relays' changes: {e}");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
                if !first {
                    tracing::info!(
                        "listening for other relays' changes again; reading the documents held \
                         again for what was missed"
                    );
                    if notices.send(Notice::Missed).await.is_err() {
                        return;
                    }
                }
                first = false;
                // Until the connection is lost (`Ok(None)`) or fails.
                let lost = loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) => {
                            if let Some(chunks) = parse(notification.payload(), &own)
                                && notices.send(Notice::Stored(chunks)).await.is_err()
                            {
                                return;
                            }
                        }
                        Ok(None) => break "the connection was closed".to_string(),
                        Err(e) => break e.to_string(),
                    }
                };
                tracing::warn!(
                    "lost the connection that listens for other relays' changes ({lost}); \
                     listening again"
                );
            }
        });
    }

    /// One stored chunk's bytes; `None` if it is gone (replaced by a snapshot since).
    pub fn chunk_bytes(&self, seq: i64) -> Result<Option<Vec<u8>>> {
        Ok(self.run(async {
            on_db!(self, pool => sqlx::query_scalar("SELECT bytes FROM document_chunks WHERE seq = $1")
                .bind(seq)
                .fetch_optional(pool)
                .await)
        })?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_carry_the_chunks_and_skip_the_relay_own() {
        let chunks: Vec<(String, i64)> = (0..1000).map(|i| (format!("doc{i}"), i)).collect();
        let sent = payloads("relay-a", &chunks);
        assert!(sent.len() > 1);
        assert!(sent.iter().all(|p| p.len() <= MAX_PAYLOAD));
        let heard: Vec<(String, i64)> = sent
            .iter()
            .flat_map(|p| parse(p, "relay-b").unwrap())
            .collect();
        assert_eq!(heard, chunks);
        assert!(sent.iter().all(|p| parse(p, "relay-a").is_none()));
        assert_eq!(parse("relay-a doc1:x", "relay-b"), None);
    }
}
