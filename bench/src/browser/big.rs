//! A big tablet: [`big`] has 50,000 records on the device (cold start to the first list paint,
//! search keystrokes to results, tab memory); [`join`] is a new tablet signing in to a relay
//! with 10,000 records in its scope, timed until every record is stored on it for offline use,
//! with the status bar's progress on the way.

use std::time::{Duration, Instant};

use e2e::{Chromedriver, Relay, Tablet};
use serde_json::json;

use super::{
    BrowserBench, LOAD_TIMEOUT, TabMemory, admin_tablet, cold_start, seed, set_script_timeout,
    store_reads, tab_memory,
};
use crate::Result;
use crate::load;

/// What the big-tablet benchmark measured.
#[derive(Debug, Clone, Default)]
pub struct BigTablet {
    /// Its starts (no edits).
    pub starts: BrowserBench,
    /// The query typed, and per keystroke the time from the input event to the next frame with
    /// the results, in ms.
    pub query: String,
    pub keystroke_ms: Vec<f64>,
    /// The list's count at each keystroke's frame ("N of M shown").
    pub counts: Vec<String>,
    pub memory: TabMemory,
}

/// Seeds `records` incidents, measures the derive start and `cold_starts` cold starts, types
/// a query into the list's search field, and reads the tab's memory.
pub async fn big(records: usize, cold_starts: usize) -> Result<BigTablet> {
    let mut relay = Relay::start().await?;
    let driver = Chromedriver::start().await?;
    let mut tablet = admin_tablet(&relay, &driver, "big").await?;
    let result = async {
        let docs = load::incident_docs(records, 0);
        let started = Instant::now();
        seed(&tablet, &docs).await?;
        eprintln!(
            "bench:   seeded {records} records in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        drop(docs);
        relay.stop().await?;
        let mut starts = BrowserBench {
            records,
            derive_start: Some(cold_start(&mut tablet).await?),
            ..BrowserBench::default()
        };
        for _ in 0..cold_starts {
            starts.starts.push(cold_start(&mut tablet).await?);
        }
        starts.store_reads = Some(store_reads(&tablet).await?);
        // "depot 4242" is in one title of every 10,000 (the titles count up): typing it
        // narrows 50,000 rows down keystroke by keystroke.
        let query = "depot 4242";
        let typed = tablet
            .client()
            .execute_async(SEARCH_SCRIPT, vec![json!(query)])
            .await
            .map_err(|e| format!("searching: {e}"))?;
        let keystroke_ms = typed["times"]
            .as_array()
            .ok_or_else(|| format!("searching: {typed}"))?
            .iter()
            .filter_map(|t| t.as_f64())
            .collect();
        Ok(BigTablet {
            starts,
            query: query.into(),
            keystroke_ms,
            counts: typed["counts"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .filter_map(|c| c.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            memory: tab_memory(&tablet).await?,
        })
    }
    .await;
    let _ = tablet.close().await;
    let _ = relay.stop().await;
    result
}

/// What the joining tablet measured.
#[derive(Debug, Clone, Default)]
pub struct Join {
    pub records: usize,
    /// Sign-in click to the first rows in the list.
    pub first_rows: Option<Duration>,
    /// Sign-in click to each quarter of the status bar's progress (25, 50, 75, 100 %), as first
    /// seen by polling every 250 ms.
    pub progress: Vec<(u32, Duration)>,
    /// Sign-in click until every record is in the tablet's IndexedDB.
    pub stored: Duration,
    /// Sign-in click until the status bar says the sync is complete.
    pub synced: Option<Duration>,
}

/// A relay holding `records` incidents in the default scope; a new tablet signs in and syncs
/// them all.
pub async fn join(records: usize, timeout: Duration) -> Result<Join> {
    let (mut relay, (user, password)) = relay_holding(records, timeout).await?;
    let driver = Chromedriver::start().await?;
    let tablet = Tablet::open(&driver, &relay.base_url(), "join").await?;
    set_script_timeout(&tablet).await?;
    let result = follow_join(&tablet, &user, &password, records, timeout).await;
    let _ = tablet.close().await;
    let _ = relay.stop().await;
    result
}

/// A relay holding `records` incidents in the default scope, uploaded by a native device with
/// the scope index listing them (as tablets that logged them would have); and its first
/// administrator's username and password.
pub async fn relay_holding(records: usize, timeout: Duration) -> Result<(Relay, (String, String))> {
    let relay = Relay::start().await?;
    let account = relay
        .first_account()
        .ok_or("the relay printed no first account")?;
    let url = format!(
        "ws://{}:{}@127.0.0.1:{}/sync",
        account.0,
        account.1,
        relay.port()
    );
    let mut docs = load::incident_docs(records, 0);
    docs.push(load::index_doc(docs.iter().map(|(id, _)| id)));
    load::upload(&url, vec![docs], timeout).await?;
    Ok((relay, account))
}

async fn follow_join(
    tablet: &Tablet,
    user: &str,
    password: &str,
    records: usize,
    timeout: Duration,
) -> Result<Join> {
    tablet.goto("/").await?;
    tablet.wait_for("#username", LOAD_TIMEOUT).await?;
    tablet.fill("#username", user).await?;
    tablet.fill("#password", password).await?;
    let started = Instant::now();
    tablet.click("#sign-in").await?;
    let mut join = Join {
        records,
        ..Join::default()
    };
    let deadline = started + timeout;
    loop {
        let seen = tablet.execute(PROGRESS_SCRIPT, vec![]).await?;
        let now = started.elapsed();
        if join.first_rows.is_none() && seen["rows"].as_u64().unwrap_or(0) > 0 {
            join.first_rows = Some(now);
        }
        if let (Some(done), Some(total)) = (seen["done"].as_f64(), seen["total"].as_f64())
            && total > 0.0
        {
            let quarter = ((done / total) * 4.0).floor() as u32 * 25;
            for q in (25..=quarter).step_by(25) {
                if !join.progress.iter().any(|(p, _)| *p == q) {
                    join.progress.push((q, now));
                }
            }
        }
        if join.synced.is_none()
            && seen["synced"].as_bool() == Some(true)
            && seen["stored"].as_u64().unwrap_or(0) > records as u64
        {
            join.synced = Some(now);
        }
        // Every record and the scope index.
        if seen["stored"].as_u64().unwrap_or(0) > records as u64 {
            join.stored = now;
            if join.synced.is_some() {
                return Ok(join);
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the new tablet did not hold all {records} records after {:.0} s: {seen}",
                timeout.as_secs_f64()
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A store count and the status bar, for the joining tablet.
const PROGRESS_SCRIPT: &str = concat!(
    stored_docs_js!(),
    r##"
const progress = document.querySelector("#sync-progress");
const last = document.querySelector("#last-sync");
return stored().then((stored) => ({
  stored,
  rows: document.querySelectorAll("a.incident-row").length,
  done: progress ? Number(progress.value) : null,
  total: progress ? Number(progress.max) : null,
  synced: !!last && last.textContent.startsWith("Synced") && !progress,
}));
"##
);

/// Types `arguments[0]` into the list's search field one character at a time, as input
/// events; per keystroke, the time from the event to the first animation frame after it (the
/// app filters in the event's task and its microtasks, so that frame shows the results; the
/// list's count is read then, to show it did). Answers `{times, counts, count}`.
const SEARCH_SCRIPT: &str = r##"
const [query, done] = [arguments[0], arguments[arguments.length - 1]];
const field = document.querySelector("#search");
if (!field) return done({ error: "no search field" });
const times = [], counts = [];
const count = () => { const c = document.querySelector("#list-count"); return c ? c.textContent : ""; };
const type = (i) => {
  if (i >= query.length) return done({ times, counts, count: count() });
  field.value = query.slice(0, i + 1);
  const t0 = performance.now();
  field.dispatchEvent(new Event("input", { bubbles: true }));
  requestAnimationFrame(() => {
    times.push(performance.now() - t0);
    counts.push(count());
    // Let the frame finish before the next keystroke, as a person types.
    setTimeout(() => type(i + 1), 50);
  });
};
type(0);
"##;
