//! The app in headless Chromium with many records on the device (the e2e harness's
//! [`e2e::Relay`] and [`e2e::Tablet`]).
//!
//! Seeding: the app is opened once online (it creates its IndexedDB database, its device id
//! and installs its service worker); then the records are written into the app's own layout
//! (`docs`: document id → `Automerge::save()` bytes; `meta`: `relay_heads:<id>` → hex heads, as
//! if the relay had acknowledged them), with the scope index listing them all. Then the relay
//! is stopped and the browser restarted: a cold start of the installed app on a tablet with no
//! network, so the figures are the device's own work, not the relay's.

use std::time::Duration;

use e2e::{Chromedriver, Relay, Tablet};
use fantoccini::wd::TimeoutConfiguration;
use serde_json::{Value, json};

use crate::Result;
use crate::load;
use crate::servers::{pids_where, status_kib};

/// What the browser benchmark measured.
#[derive(Debug, Clone, Default)]
pub struct BrowserBench {
    pub records: usize,
    /// Navigation start to the first list rows in the DOM plus one animation frame, in ms,
    /// one entry per cold start.
    pub first_paint_ms: Vec<f64>,
    /// Rows in the DOM at the first paint.
    pub rows_at_first_paint: usize,
    /// Click on Save to "Saved" (durable in IndexedDB), in ms, one per edit.
    pub edit_ms: Vec<f64>,
    /// `performance.memory.usedJSHeapSize` after the edits, in bytes.
    pub js_heap_bytes: u64,
    /// Resident set of the tab's renderer process after the edits, in KiB.
    pub renderer_rss_kib: Option<u64>,
}

const LOAD_TIMEOUT: Duration = Duration::from_secs(180);

/// Seeds `records` incidents, then measures `cold_starts` cold starts and `edits` edits.
pub async fn run(records: usize, cold_starts: usize, edits: usize) -> Result<BrowserBench> {
    let mut relay = Relay::start().await?;
    let driver = Chromedriver::start().await?;
    let mut tablet = Tablet::open(&driver, &relay.base_url(), "bench").await?;
    let (user, password) = relay
        .first_account()
        .ok_or("the relay printed no first account")?;
    tablet.sign_in(&user, &password).await?;
    let result = measure(&mut relay, &mut tablet, records, cold_starts, edits).await;
    let _ = tablet.close().await;
    let _ = relay.stop().await;
    result
}

async fn measure(
    relay: &mut Relay,
    tablet: &mut Tablet,
    records: usize,
    cold_starts: usize,
    edits: usize,
) -> Result<BrowserBench> {
    set_script_timeout(tablet).await?;
    tablet.open_list().await?;
    tablet.wait_service_worker().await?;

    let docs = load::incident_docs(records, 0);
    let (index_id, index) = load::index_doc(docs.iter().map(|(id, _)| id));
    let mut entries: Vec<Value> = docs
        .iter()
        .map(|(id, doc)| json!([id.to_string(), hex(&doc.save()), heads_hex(doc)]))
        .collect();
    entries.push(json!([
        index_id.to_string(),
        hex(&index.save()),
        heads_hex(&index)
    ]));
    for chunk in entries.chunks(500) {
        let written = tablet
            .client()
            .execute_async(SEED_SCRIPT, vec![Value::Array(chunk.to_vec())])
            .await
            .map_err(|e| format!("seeding IndexedDB: {e}"))?;
        if written.as_str() != Some("ok") {
            return Err(format!("seeding IndexedDB: {written}").into());
        }
    }
    relay.stop().await?;

    let mut bench = BrowserBench {
        records,
        ..BrowserBench::default()
    };
    for _ in 0..cold_starts {
        tablet.restart().await?;
        set_script_timeout(tablet).await?;
        tablet.goto("/").await?;
        let paint = tablet
            .client()
            .execute_async(FIRST_ROWS_SCRIPT, vec![])
            .await
            .map_err(|e| format!("waiting for the first list rows: {e}"))?;
        if paint["already"].as_bool() == Some(true) {
            eprintln!(
                "browser: rows were there before the probe ran; the paint time is an upper bound"
            );
        }
        bench
            .first_paint_ms
            .push(paint["frame"].as_f64().ok_or("no paint time")?);
        bench.rows_at_first_paint = paint["rows"].as_u64().unwrap_or(0) as usize;
    }

    // Edits: on one incident's page, `edits` saves one after the other.
    let (id, _) = &docs[records / 2];
    tablet.goto(&format!("/incidents/{id}")).await?;
    tablet
        .wait_for_text("#title", "the incident's title", LOAD_TIMEOUT, |_| true)
        .await
        .ok();
    tablet.wait_for("#save", LOAD_TIMEOUT).await?;
    e2e::poll("the form to show the incident", LOAD_TIMEOUT, || async {
        let title = tablet.value("#title").await.map_err(|e| e.to_string())?;
        if title.is_empty() { Err(title) } else { Ok(()) }
    })
    .await?;
    let mut done = 0;
    while done < edits {
        let batch = (edits - done).min(50);
        let times = tablet
            .client()
            .execute_async(EDIT_SCRIPT, vec![json!(batch), json!(done)])
            .await
            .map_err(|e| format!("editing: {e}"))?;
        let times = times
            .as_array()
            .ok_or_else(|| format!("editing: {times}"))?;
        for t in times {
            bench
                .edit_ms
                .push(t.as_f64().ok_or_else(|| format!("editing: {t}"))?);
        }
        done += batch;
    }

    let memory = tablet
        .execute(
            "return performance.memory ? performance.memory.usedJSHeapSize : 0;",
            vec![],
        )
        .await?;
    bench.js_heap_bytes = memory.as_u64().unwrap_or(0);
    // Renderers do not carry the profile flag: they are descendants of the browser that does.
    let profile = format!("--user-data-dir={}", tablet.profile_dir().display());
    let browsers = pids_where(|args| args.contains(&profile));
    bench.renderer_rss_kib = descendants(&browsers)
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.split(|b| *b == 0).any(|a| a == b"--type=renderer"))
        })
        .filter_map(|pid| status_kib(pid, "VmRSS:").ok())
        .max();
    Ok(bench)
}

async fn set_script_timeout(tablet: &Tablet) -> Result<()> {
    tablet
        .client()
        .update_timeouts(TimeoutConfiguration::new(
            Some(LOAD_TIMEOUT),
            Some(LOAD_TIMEOUT),
            None,
        ))
        .await?;
    Ok(())
}

/// Every process descending from `roots` (by parent pid).
fn descendants(roots: &[u32]) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = pids_where(|_| true)
        .into_iter()
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // pid (comm) state ppid …; comm may hold spaces, so split after the last ')'.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found: Vec<u32> = roots.to_vec();
    let mut i = 0;
    while i < found.len() && found.len() < 10_000 {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn heads_hex(doc: &automerge::Automerge) -> Vec<String> {
    shared::sync::heads_to_hex(&doc.get_heads())
}

/// Writes `[[id, hex bytes, [hex heads]], …]` into the app's database (opened at whatever
/// version the app created), one transaction; answers "ok" or the error.
const SEED_SCRIPT: &str = r##"
const [entries, done] = [arguments[0], arguments[arguments.length - 1]];
const bytes = (hex) => {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
};
const open = indexedDB.open("outpost");
open.onerror = () => done("open: " + open.error);
open.onsuccess = () => {
  const db = open.result;
  const tx = db.transaction(["docs", "meta"], "readwrite");
  const docs = tx.objectStore("docs"), meta = tx.objectStore("meta");
  for (const [id, hex, heads] of entries) {
    docs.put(bytes(hex), id);
    meta.put(heads, "relay_heads:" + id);
  }
  tx.oncomplete = () => { db.close(); done("ok"); };
  tx.onerror = () => done("write: " + tx.error);
};
"##;

/// Resolves when the first list row is in the DOM, one animation frame later:
/// `{frame: ms since navigation start, rows, already}`.
const FIRST_ROWS_SCRIPT: &str = r##"
const done = arguments[arguments.length - 1];
let settled = false;
const check = (already) => {
  if (settled) return true;
  const rows = document.querySelectorAll("a.incident-row").length;
  if (rows === 0) return false;
  settled = true;
  const seen = performance.now();
  requestAnimationFrame(() => done({ seen, frame: performance.now(), rows, already }));
  return true;
};
if (!check(true)) {
  const observer = new MutationObserver(() => { if (check(false)) observer.disconnect(); });
  observer.observe(document.body, { childList: true, subtree: true });
}
"##;

/// `arguments[0]` edits of the open incident's title, one after the other: each sets the
/// title, clicks Save and times until `#save-status` reads "Saved". Answers the times in ms.
const EDIT_SCRIPT: &str = r##"
const [count, offset, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const times = [];
const edit = (i) => {
  if (i >= count) return done(times);
  const title = document.querySelector("#title");
  const status = document.querySelector("#save-status");
  const save = document.querySelector("#save");
  if (!title || !status || !save) return done("the form is gone");
  title.value = "Router down at depot, edit " + (offset + i);
  title.dispatchEvent(new Event("input", { bubbles: true }));
  let t0 = 0;
  const timer = setTimeout(() => { observer.disconnect(); done("no Saved after 10 s: " + status.textContent); }, 10000);
  const observer = new MutationObserver(() => {
    const text = status.textContent;
    if (text === "Saved") {
      const t = performance.now() - t0;
      observer.disconnect();
      clearTimeout(timer);
      times.push(t);
      setTimeout(() => edit(i + 1), 0);
    } else if (text.startsWith("Not saved")) {
      observer.disconnect();
      clearTimeout(timer);
      done(text);
    }
  });
  observer.observe(status, { childList: true, characterData: true, subtree: true });
  t0 = performance.now();
  save.click();
};
edit(0);
"##;
