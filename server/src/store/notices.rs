//! Relays sharing PostgreSQL hear of each other's chunks: a commit that stores chunks notifies
//! ([`CHANNEL`], in its transaction, so only once they are committed) with the chunks'
//! documents and sequence numbers, and each relay listens ([`Store::watch_chunks`]) and hands
//! its sync hub what others stored, to bring the documents it holds up to date and sync them
//! to its devices (`shared::sync::Hub::ingest`).
//!
//! A notification can be missed: PostgreSQL delivers it only to listeners connected when it is
//! sent, so whatever commits while the listener reconnects never reaches it. So each relay
//! also re-reads, every few seconds (`--reread-secs`) and at once after its listener
//! reconnects, which chunks were stored since a watermark: sequence numbers and documents only,
//! from the primary key's index, a page at a time, on its own task (never the hub's thread).
//! The hub is handed those it has not been handed yet ([`Handed`]), and reads the bytes of
//! those whose documents it holds, as for a notification.

use std::{
    collections::{BTreeSet, VecDeque},
    time::{Duration, Instant},
};

use sqlx::postgres::PgPool;
use tokio::sync::mpsc;

use super::{Db, Result, Store, on_db};

/// PostgreSQL's channel for stored chunks.
pub(super) const CHANNEL: &str = "outpost_chunks";
/// PostgreSQL takes payloads under 8,000 bytes.
const MAX_PAYLOAD: usize = 7_000;
/// The longest a transaction storing chunks may take, from taking its sequence numbers to its
/// COMMIT, for the re-read to be sure to find its chunks should their notification be missed
/// ([`Handed::reread`]). A sync batch's transaction takes milliseconds; this leaves room for a
/// loaded server, lock waits and deadlock retries (each retry takes new numbers).
const LAG: Duration = Duration::from_secs(30);
/// Rows one query of a re-read reads.
const PAGE: i64 = 1000;

/// Chunks another relay stored: (document, sequence number).
#[derive(Debug, PartialEq, Eq)]
pub struct Notice(pub Vec<(String, i64)>);

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

/// A payload's chunks, and whether relay `own` stored them; `None` if it is malformed.
fn parse(payload: &str, own: &str) -> Option<(bool, Vec<(String, i64)>)> {
    let mut words = payload.split(' ');
    let mine = words.next()? == own;
    let chunks = words
        .map(|w| {
            let (document, seq) = w.split_once(':')?;
            Some((document.to_string(), seq.parse().ok()?))
        })
        .collect::<Option<_>>()?;
    Some((mine, chunks))
}

/// Which chunks the hub has been handed (or stored itself), and where a re-read starts.
///
/// Sequence numbers are taken in order but COMMIT out of order: a transaction holding 100 may
/// commit after one holding 101, so "the highest number seen" is no watermark: a re-read
/// starting past 101 would never see 100. Instead a re-read starts past `low`, a number below
/// which nothing can still commit: each re-read marks the highest number it saw and when it
/// ended (every number up to it was taken before then), and once a later re-read that
/// started at least [`LAG`] after that mark has completed, every transaction that held one of
/// those numbers had committed (or rolled back) before that re-read began, so it saw them,
/// and `low` moves up to the mark. A re-read therefore covers the last [`LAG`] and a little
/// more of chunks, and hands on only those not handed yet (`above`); a failed re-read moves
/// nothing.
struct Handed {
    low: i64,
    /// (when a re-read ended, the highest number seen by then), oldest first.
    marks: VecDeque<(Instant, i64)>,
    highest: i64,
    /// The chunks above `low` the hub has been handed: (sequence number, document). Not by
    /// number alone: the channel is the database's, so relays of another Outpost in another
    /// schema of the same database (the tests' way) notify it too, with their own numbers.
    above: BTreeSet<(i64, String)>,
}

impl Handed {
    /// Starting from the highest number stored when the listener was already listening: a
    /// transaction still open then notifies when it commits.
    fn new(low: i64) -> Handed {
        Handed {
            low,
            marks: VecDeque::new(),
            highest: low,
            above: BTreeSet::new(),
        }
    }

    /// Of `chunks`, those not handed yet (counted as handed from now).
    fn fresh(&mut self, chunks: Vec<(String, i64)>) -> Vec<(String, i64)> {
        chunks
            .into_iter()
            .filter(|(document, seq)| {
                *seq > self.low && self.above.insert((*seq, document.clone()))
            })
            .collect()
    }

    /// A page of a re-read: those of its chunks not handed yet.
    fn found(&mut self, page: Vec<(String, i64)>) -> Vec<(String, i64)> {
        if let Some(max) = page.iter().map(|(_, seq)| *seq).max() {
            self.highest = self.highest.max(max);
        }
        self.fresh(page)
    }

    /// A re-read from `low` that started at `started` ended at `ended`, having read every
    /// page: moves `low` as the type's docs say.
    fn reread(&mut self, started: Instant, ended: Instant) {
        self.marks.push_back((ended, self.highest));
        while let Some(&(at, seq)) = self.marks.front()
            && at + LAG <= started
        {
            self.low = self.low.max(seq);
            self.marks.pop_front();
        }
        self.above = self.above.split_off(&(self.low + 1, String::new()));
    }
}

/// What the listener tells the re-reader.
enum Heard {
    /// Listening (again): notifications may have been missed before.
    Listening,
    /// A notification: its chunks, and whether this relay stored them.
    Chunks(bool, Vec<(String, i64)>),
}

impl Store {
    /// PostgreSQL: sends what other relays store to `notices`, as they commit, and what a
    /// re-read every `every` (and after the listener reconnects) finds was missed, until the
    /// receiver is dropped. Nothing on SQLite (one relay per file).
    pub fn watch_chunks(&self, notices: mpsc::Sender<Notice>, every: Duration) {
        let Db::Postgres(pool) = &self.db else {
            return;
        };
        let runtime = self.runtime.0.as_ref().expect("the runtime lives");
        let (heard, hearing) = mpsc::channel(64);
        runtime.spawn(listen(pool.clone(), self.relay.clone(), heard));
        runtime.spawn(catch_up(pool.clone(), hearing, notices, every));
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

/// Listens for stored chunks and tells `heard`, connecting again whenever the connection is
/// lost, until `heard` is dropped.
async fn listen(pool: PgPool, own: std::sync::Arc<str>, heard: mpsc::Sender<Heard>) {
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!("cannot listen for other relays' changes: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!("cannot listen for other relays' changes: {e}");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        if heard.send(Heard::Listening).await.is_err() {
            return;
        }
        // Until the connection is lost (`Ok(None)`) or fails.
        let lost = loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    if let Some((mine, chunks)) = parse(notification.payload(), &own)
                        && heard.send(Heard::Chunks(mine, chunks)).await.is_err()
                    {
                        return;
                    }
                }
                Ok(None) => break "the connection was closed".to_string(),
                Err(e) => break e.to_string(),
            }
        };
        tracing::warn!(
            "lost the connection that listens for other relays' changes ({lost}); listening \
             again, then reading which chunks were stored meanwhile"
        );
    }
}

/// Hands `notices` the chunks other relays stored: those the listener hears of, and those a
/// re-read every `every`, and after the listener reconnects, finds the hub was not handed.
/// Until `notices` is dropped.
async fn catch_up(
    pool: PgPool,
    mut heard: mpsc::Receiver<Heard>,
    notices: mpsc::Sender<Notice>,
    every: Duration,
) {
    // Known once the listener listens.
    let mut handed: Option<Handed> = None;
    let mut listening = false;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let reread = tokio::select! {
            heard = heard.recv() => match heard {
                None => return,
                Some(Heard::Chunks(mine, chunks)) => {
                    let fresh = match &mut handed {
                        Some(handed) => handed.fresh(chunks),
                        None => chunks,
                    };
                    if !mine && !fresh.is_empty() && notices.send(Notice(fresh)).await.is_err() {
                        return;
                    }
                    false
                }
                Some(Heard::Listening) => {
                    listening = true;
                    true
                }
            },
            _ = tick.tick() => true,
        };
        if notices.is_closed() {
            return;
        }
        if !reread || !listening {
            continue;
        }
        match &mut handed {
            None => match highest_seq(&pool).await {
                Ok(low) => handed = Some(Handed::new(low)),
                Err(e) => tracing::warn!("cannot read which chunks are stored: {e}"),
            },
            Some(handed) => {
                if let Err(e) = reread_chunks(&pool, handed, &notices).await {
                    tracing::warn!("cannot re-read which chunks other relays stored: {e}");
                }
            }
        }
    }
}

async fn highest_seq(pool: &PgPool) -> std::result::Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM document_chunks")
        .fetch_one(pool)
        .await
}

/// One re-read: the chunks stored past `handed`'s watermark, a page at a time, each page's
/// fresh ones to `notices` (a closed `notices` ends it early: the relay is stopping).
async fn reread_chunks(
    pool: &PgPool,
    handed: &mut Handed,
    notices: &mpsc::Sender<Notice>,
) -> std::result::Result<(), sqlx::Error> {
    let started = Instant::now();
    let mut after = handed.low;
    loop {
        let page: Vec<(String, i64)> = sqlx::query_as(
            "SELECT document, seq FROM document_chunks WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(PAGE)
        .fetch_all(pool)
        .await?;
        let full = page.len() as i64 == PAGE;
        if let Some((_, last)) = page.last() {
            after = *last;
        }
        let fresh = handed.found(page);
        if !fresh.is_empty() {
            tracing::info!(
                "{} chunks stored by other relays were found by a re-read",
                fresh.len()
            );
            if notices.send(Notice(fresh)).await.is_err() {
                return Ok(());
            }
        }
        if !full {
            break;
        }
    }
    handed.reread(started, Instant::now());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_carry_the_chunks_and_say_whose_they_are() {
        let chunks: Vec<(String, i64)> = (0..1000).map(|i| (format!("doc{i}"), i)).collect();
        let sent = payloads("relay-a", &chunks);
        assert!(sent.len() > 1);
        assert!(sent.iter().all(|p| p.len() <= MAX_PAYLOAD));
        let heard: Vec<(String, i64)> = sent
            .iter()
            .flat_map(|p| {
                let (mine, chunks) = parse(p, "relay-b").unwrap();
                assert!(!mine);
                chunks
            })
            .collect();
        assert_eq!(heard, chunks);
        assert!(sent.iter().all(|p| parse(p, "relay-a").unwrap().0));
        assert_eq!(parse("relay-a doc1:x", "relay-b"), None);
    }

    fn chunks(seqs: &[i64]) -> Vec<(String, i64)> {
        seqs.iter().map(|s| ("doc".to_string(), *s)).collect()
    }

    fn seqs(chunks: &[(String, i64)]) -> Vec<i64> {
        chunks.iter().map(|(_, s)| *s).collect()
    }

    /// 101 commits before 100: the re-reads go on finding 100 until LAG has passed since the
    /// re-read that saw 101, and hand each chunk on once, whether heard or found.
    #[test]
    fn rereads_find_a_chunk_committed_after_a_higher_one_and_hand_each_on_once() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut handed = Handed::new(99);
        assert_eq!(seqs(&handed.found(chunks(&[101]))), [101]);
        handed.reread(at(0), at(1));
        assert_eq!(handed.low, 99, "100 may still commit");
        // 102 is heard of; 100 commits without a notification.
        assert_eq!(seqs(&handed.fresh(chunks(&[102]))), [102]);
        assert_eq!(seqs(&handed.found(chunks(&[100, 101, 102]))), [100]);
        handed.reread(at(5), at(6));
        assert_eq!(handed.low, 99);
        assert!(handed.found(chunks(&[100, 101, 102])).is_empty());
        handed.reread(at(1) + LAG, at(1) + LAG);
        assert_eq!(
            handed.low, 101,
            "the mark of the first re-read, LAG after it"
        );
        assert_eq!(seqs(&handed.fresh(chunks(&[101, 102, 103]))), [103]);
        assert_eq!(
            handed.above.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
            [102, 103]
        );
        // Another schema's chunk 104, of another document, does not hide this one's.
        assert_eq!(handed.fresh(vec![("other".into(), 104)]).len(), 1);
        assert_eq!(seqs(&handed.found(chunks(&[104]))), [104]);
    }

    /// A re-read that started before LAG had passed since a mark moves nothing past it.
    #[test]
    fn the_watermark_trails_by_lag() {
        let t0 = Instant::now();
        let mut handed = Handed::new(0);
        handed.found(chunks(&[5]));
        handed.reread(t0, t0);
        handed.found(chunks(&[9]));
        handed.reread(t0 + LAG - Duration::from_millis(1), t0 + LAG);
        assert_eq!(handed.low, 0);
        handed.reread(t0 + LAG, t0 + LAG);
        assert_eq!(handed.low, 5);
        handed.reread(t0 + 2 * LAG, t0 + 2 * LAG);
        assert_eq!(handed.low, 9);
    }
}
