//! The app in headless Chromium with many records on the device (the e2e harness's
//! [`e2e::Relay`] and [`e2e::Tablet`]):
//!
//! - [`run`]: 10,000 records: cold start to first list paint, edit to durable, tab memory;
//! - [`big`]: 50,000 records (cold start, search, memory), and a new tablet joining 10,000;
//! - [`fanout`]: two tablets on the same incident, a save on one until the other shows it;
//! - [`field`]: the first visit on an emulated field connection.
//!
//! Seeding ([`seed`]): the app is opened once online (it creates its IndexedDB database, its
//! device id and installs its service worker); then the records are written into the app's own
//! layout (`docs`: document id → `Automerge::save()` bytes; `meta`: `relay_heads:<id>` → hex
//! heads, as if the relay had acknowledged them), with the scope index listing them all. Their
//! list summaries are not written: the app derives them on its next start and keeps them
//! (as it does for a database from before summaries), so the first start after seeding is
//! measured apart ([`BrowserBench::derive_start`]) from the cold starts that follow, which
//! open from the kept summaries as every start of a device that synced its records does.
//! Then the relay is stopped and the browser restarted: a cold start of the installed app on
//! a tablet with no network, so the figures are the device's own work, not the relay's.

/// JS declaring `stored()`: a promise of how many documents the app's IndexedDB holds (0
/// before the app made it). For scripts built with `concat!`.
macro_rules! stored_docs_js {
    () => {
        r##"
const stored = () => new Promise((resolve) => {
  const open = indexedDB.open("outpost");
  open.onerror = () => resolve(0);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains("docs")) { db.close(); return resolve(0); }
    const request = db.transaction("docs").objectStore("docs").count();
    request.onsuccess = () => { db.close(); resolve(request.result); };
    request.onerror = () => { db.close(); resolve(0); };
  };
});
"##
    };
}

pub mod big;
pub mod fanout;
pub mod field;

use std::time::Duration;

use automerge::Automerge;
use e2e::{Chromedriver, Relay, Tablet};
use fantoccini::wd::{TimeoutConfiguration, WebDriverCompatibleCommand};
use serde_json::{Value, json};
use shared::ids::DocumentId;

use crate::Result;
use crate::load;
use crate::servers::{pids_where, status_kib};

/// What the browser benchmark measured.
#[derive(Debug, Clone, Default)]
pub struct BrowserBench {
    pub records: usize,
    /// The first start after seeding, which derives and keeps every record's summary.
    pub derive_start: Option<Start>,
    /// The cold starts after it, in order.
    pub starts: Vec<Start>,
    /// Click on Save to "Saved" (durable in IndexedDB), in ms, one per edit.
    pub edit_ms: Vec<f64>,
    /// Where each edit's time went.
    pub edit_phases: Vec<EditPhases>,
    pub memory: TabMemory,
    /// Reading the stores whole, after the cold starts.
    pub store_reads: Option<StoreReads>,
}

/// One edit's time, in ms: the app's work before writing, IndexedDB's transactions, and the
/// page's update after them.
#[derive(Debug, Clone, Copy, Default)]
pub struct EditPhases {
    pub before: f64,
    pub idb: f64,
    pub after: f64,
}

impl BrowserBench {
    /// Navigation start to the first rows painted, per cold start, in ms.
    pub fn first_paint_ms(&self) -> Vec<f64> {
        self.starts.iter().map(|s| s.paint_ms).collect()
    }
}

/// One cold start, in ms since navigation start.
#[derive(Debug, Clone, Default)]
pub struct Start {
    /// The first list rows in the DOM plus one animation frame.
    pub paint_ms: f64,
    /// Rows in the DOM then.
    pub rows: usize,
    /// The page (from the service worker, offline) has arrived.
    pub page_ms: f64,
    /// The app's wasm has arrived (before it is compiled).
    pub wasm_ms: f64,
    /// The app's `outpost:list-painted` mark (the list rendered from the summaries).
    pub list_mark_ms: Option<f64>,
    /// The app's `outpost:documents-loaded` mark (every document decoded).
    pub documents_mark_ms: Option<f64>,
    /// Every other performance mark of the page (e.g. probes added while profiling), in order.
    pub other_marks: Vec<(String, f64)>,
}

impl Start {
    /// "page 41 · wasm 180 · list 520 · paint 534 · documents 1,900 ms" (and other marks).
    pub fn phases(&self) -> String {
        let opt = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v:.0}"));
        let others: String = self
            .other_marks
            .iter()
            .map(|(name, at)| format!(" · {name} {at:.0}"))
            .collect();
        format!(
            "page {:.0} · wasm {:.0}{others} · list {} · paint {:.0} · documents {} ms",
            self.page_ms,
            self.wasm_ms,
            opt(self.list_mark_ms),
            self.paint_ms,
            opt(self.documents_mark_ms)
        )
    }
}

/// How long reading each of the app's IndexedDB stores whole takes, in the page's JS (no
/// decoding): what a cold start waits for before it can paint.
#[derive(Debug, Clone, Default)]
pub struct StoreReads {
    /// Per store (`meta`, `summaries`, `docs`): entries, ms for `getAllKeys` + `getAll`.
    pub stores: Vec<(String, u64, f64)>,
}

impl StoreReads {
    pub fn describe(&self) -> String {
        self.stores
            .iter()
            .map(|(name, n, ms)| format!("{name} {n} entries in {ms:.0} ms"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Reads every store of the app's database whole, as a start does, timing each.
pub async fn store_reads(tablet: &Tablet) -> Result<StoreReads> {
    let read = tablet
        .client()
        .execute_async(STORE_READS_SCRIPT, vec![])
        .await
        .map_err(|e| format!("timing the stores: {e}"))?;
    let stores = read
        .as_array()
        .ok_or_else(|| format!("timing the stores: {read}"))?
        .iter()
        .filter_map(|s| {
            Some((
                s["store"].as_str()?.to_owned(),
                s["entries"].as_u64()?,
                s["ms"].as_f64()?,
            ))
        })
        .collect();
    Ok(StoreReads { stores })
}

/// A tab's memory.
#[derive(Debug, Clone, Copy, Default)]
pub struct TabMemory {
    /// `performance.memory.usedJSHeapSize`, in bytes.
    pub js_heap_bytes: u64,
    /// The size of the wasm instance's linear memory (every `WebAssembly.Memory` on the page,
    /// found through CDP `Runtime.queryObjects`), in bytes.
    pub wasm_bytes: Option<u64>,
    /// Resident set of the tab's renderer process, in KiB.
    pub renderer_rss_kib: Option<u64>,
}

impl TabMemory {
    pub fn describe(&self) -> String {
        let mib = |b: u64| format!("{:.1} MiB", b as f64 / 1_048_576.0);
        format!(
            "JS heap {} · wasm memory {} · renderer RSS {}",
            mib(self.js_heap_bytes),
            self.wasm_bytes.map_or("—".into(), mib),
            self.renderer_rss_kib.map_or("—".into(), |k| mib(k * 1024))
        )
    }
}

pub const LOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// Seeds `records` incidents, then measures the start that derives their summaries,
/// `cold_starts` cold starts and `edits` edits.
pub async fn run(records: usize, cold_starts: usize, edits: usize) -> Result<BrowserBench> {
    let mut relay = Relay::start().await?;
    let driver = Chromedriver::start().await?;
    let mut tablet = admin_tablet(&relay, &driver, "bench").await?;
    let result = measure(&mut relay, &mut tablet, records, cold_starts, edits).await;
    let _ = tablet.close().await;
    let _ = relay.stop().await;
    result
}

/// [`signed_in_tablet`] as the relay's first administrator.
pub async fn admin_tablet(relay: &Relay, driver: &Chromedriver, name: &str) -> Result<Tablet> {
    let account = relay
        .first_account()
        .ok_or("the relay printed no first account")?;
    signed_in_tablet(driver, &relay.base_url(), &account, name).await
}

/// Polls until the page's `window[name]` is a number (set by a script the benchmark put in
/// the page), and answers it.
pub async fn poll_number(
    tablet: &Tablet,
    what: &str,
    name: &str,
    timeout: Duration,
) -> Result<f64> {
    let script = format!("return window.{name};");
    e2e::poll(what, timeout, || async {
        let value = tablet
            .execute(&script, vec![])
            .await
            .map_err(|e| e.to_string())?;
        value.as_f64().ok_or_else(|| value.to_string())
    })
    .await
}

/// A tablet signed in to the relay at `base_url` as `account` (username, password), on the
/// list, with the app shell cached for offline use.
pub async fn signed_in_tablet(
    driver: &Chromedriver,
    base_url: &str,
    account: &(String, String),
    name: &str,
) -> Result<Tablet> {
    let tablet = Tablet::open(driver, base_url, name).await?;
    tablet.sign_in(&account.0, &account.1).await?;
    set_script_timeout(&tablet).await?;
    tablet.open_list().await?;
    tablet.wait_service_worker().await?;
    Ok(tablet)
}

async fn measure(
    relay: &mut Relay,
    tablet: &mut Tablet,
    records: usize,
    cold_starts: usize,
    edits: usize,
) -> Result<BrowserBench> {
    let docs = load::incident_docs(records, 0);
    seed(tablet, &docs).await?;
    relay.stop().await?;

    let mut bench = BrowserBench {
        records,
        derive_start: Some(cold_start(tablet).await?),
        ..BrowserBench::default()
    };
    for _ in 0..cold_starts {
        bench.starts.push(cold_start(tablet).await?);
    }
    bench.store_reads = Some(store_reads(tablet).await?);

    // Edits: on one incident's page, `edits` saves one after the other.
    let (id, _) = &docs[records / 2];
    open_incident(tablet, id).await?;
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
            let phases: Vec<f64> = t
                .as_array()
                .map(|p| p.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default();
            let [total, before, idb, after] = phases[..] else {
                return Err(format!("editing: {t}").into());
            };
            bench.edit_ms.push(total);
            bench.edit_phases.push(EditPhases { before, idb, after });
        }
        done += batch;
    }
    bench.memory = tab_memory(tablet).await?;
    Ok(bench)
}

/// Opens the incident's page and waits until its form shows it.
pub async fn open_incident(tablet: &Tablet, id: &DocumentId) -> Result<()> {
    tablet.goto(&format!("/incidents/{id}")).await?;
    tablet.wait_for("#save", LOAD_TIMEOUT).await?;
    e2e::poll("the form to show the incident", LOAD_TIMEOUT, || async {
        let title = tablet.value("#title").await.map_err(|e| e.to_string())?;
        if title.is_empty() { Err(title) } else { Ok(()) }
    })
    .await
}

/// Writes `docs` and the scope index listing them into the tablet's IndexedDB (see the module
/// docs), in transactions of 500.
pub async fn seed(tablet: &Tablet, docs: &[(DocumentId, Automerge)]) -> Result<()> {
    let (index_id, index) = load::index_doc(docs.iter().map(|(id, _)| id));
    let entry = |id: &DocumentId, doc: &Automerge| {
        json!([
            id.to_string(),
            hex(&doc.save()),
            shared::sync::heads_to_hex(&doc.get_heads())
        ])
    };
    let mut entries: Vec<Value> = docs.iter().map(|(id, doc)| entry(id, doc)).collect();
    entries.push(entry(&index_id, &index));
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
    Ok(())
}

/// Restarts the browser (offline: the relay is stopped) and opens the app until the first
/// list rows are painted.
pub async fn cold_start(tablet: &mut Tablet) -> Result<Start> {
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
    // The documents load after the list paints: wait for the mark, so the next restart does
    // not cut that work short (and it is reported).
    let marks = tablet
        .client()
        .execute_async(MARKS_SCRIPT, vec![])
        .await
        .map_err(|e| format!("reading the start's timings: {e}"))?;
    let f = |v: &Value| v.as_f64();
    Ok(Start {
        paint_ms: f(&paint["frame"]).ok_or("no paint time")?,
        rows: paint["rows"].as_u64().unwrap_or(0) as usize,
        page_ms: f(&marks["page"]).unwrap_or(0.0),
        wasm_ms: f(&marks["wasm"]).unwrap_or(0.0),
        list_mark_ms: f(&marks["list"]),
        documents_mark_ms: f(&marks["documents"]),
        other_marks: marks["others"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|m| Some((m[0].as_str()?.to_owned(), m[1].as_f64()?)))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

pub async fn set_script_timeout(tablet: &Tablet) -> Result<()> {
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

/// The tab's JS heap, wasm memory and renderer resident set now.
pub async fn tab_memory(tablet: &Tablet) -> Result<TabMemory> {
    let heap = tablet
        .execute(
            "return performance.memory ? performance.memory.usedJSHeapSize : 0;",
            vec![],
        )
        .await?;
    let wasm = wasm_memory_bytes(tablet).await;
    if let Err(e) = &wasm {
        eprintln!("browser: cannot read the wasm memory: {e}");
    }
    Ok(TabMemory {
        js_heap_bytes: heap.as_u64().unwrap_or(0),
        wasm_bytes: wasm.ok(),
        renderer_rss_kib: renderer_rss_kib(tablet),
    })
}

/// Every `WebAssembly.Memory` on the page, summed (CDP: the prototype, `queryObjects`, and a
/// function over the array it returns).
async fn wasm_memory_bytes(tablet: &Tablet) -> Result<u64> {
    let proto = cdp(
        tablet,
        "Runtime.evaluate",
        json!({ "expression": "WebAssembly.Memory.prototype" }),
    )
    .await?;
    let proto = proto["result"]["objectId"]
        .as_str()
        .ok_or_else(|| format!("no prototype: {proto}"))?;
    let found = cdp(
        tablet,
        "Runtime.queryObjects",
        json!({ "prototypeObjectId": proto }),
    )
    .await?;
    let array = found["objects"]["objectId"]
        .as_str()
        .ok_or_else(|| format!("no objects: {found}"))?;
    let sum = cdp(
        tablet,
        "Runtime.callFunctionOn",
        json!({
            "objectId": array,
            "functionDeclaration": "function () { return this.reduce((n, m) => n + m.buffer.byteLength, 0); }",
            "returnByValue": true,
        }),
    )
    .await?;
    sum["result"]["value"]
        .as_u64()
        .ok_or_else(|| format!("no size: {sum}").into())
}

/// The resident set of the tablet's renderer (the largest, if several).
fn renderer_rss_kib(tablet: &Tablet) -> Option<u64> {
    // Renderers do not carry the profile flag: they are descendants of the browser that does.
    // Chromium rewrites its children's command lines into one string, so look for a substring.
    let profile = format!("--user-data-dir={}", tablet.profile_dir().display());
    let browsers = pids_where(|args| args.contains(&profile));
    descendants(&browsers)
        .into_iter()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.contains("--type=renderer"))
        })
        .filter_map(|pid| status_kib(pid, "VmRSS:").ok())
        .max()
}

/// A Chrome DevTools Protocol command on the tablet's page, through chromedriver's
/// `goog/cdp/execute`; answers the command's result.
pub async fn cdp(tablet: &Tablet, cmd: &str, params: Value) -> Result<Value> {
    Ok(tablet
        .client()
        .issue_cmd(Cdp {
            cmd: cmd.to_owned(),
            params,
        })
        .await
        .map_err(|e| format!("CDP {cmd}: {e}"))?)
}

#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
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

/// Opens the app's database and reads each store whole (keys and values, in one read
/// transaction each), answering `[{store, entries, ms}]`.
const STORE_READS_SCRIPT: &str = r##"
const done = arguments[arguments.length - 1];
const open = indexedDB.open("outpost");
open.onerror = () => done("open: " + open.error);
open.onsuccess = async () => {
  const db = open.result;
  const read = (name) => new Promise((resolve) => {
    const t0 = performance.now();
    const store = db.transaction(name).objectStore(name);
    const keys = store.getAllKeys();
    const values = store.getAll();
    values.onsuccess = () => resolve({ store: name, entries: keys.result.length, ms: performance.now() - t0 });
    values.onerror = () => resolve({ store: name, entries: 0, ms: -1 });
  });
  const out = [];
  for (const name of ["meta", "summaries", "docs"]) out.push(await read(name));
  db.close();
  done(out);
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

/// Waits for the app's `outpost:documents-loaded` mark (at most 120 s), then answers the
/// start's timings in ms since navigation start: the page and the wasm arriving, the app's
/// list and documents marks, and any other marks.
const MARKS_SCRIPT: &str = r##"
const done = arguments[arguments.length - 1];
const mark = (name) => { const m = performance.getEntriesByName(name, "mark")[0]; return m ? m.startTime : null; };
const started = performance.now();
const finish = () => {
  const nav = performance.getEntriesByType("navigation")[0];
  const wasm = performance.getEntriesByType("resource").find((r) => r.name.endsWith("/pkg/app_bg.wasm"));
  const known = ["outpost:list-painted", "outpost:documents-loaded"];
  done({
    page: nav ? nav.responseEnd : null,
    wasm: wasm ? wasm.responseEnd : null,
    list: mark("outpost:list-painted"),
    documents: mark("outpost:documents-loaded"),
    others: performance.getEntriesByType("mark")
      .filter((m) => !known.includes(m.name))
      .map((m) => [m.name, m.startTime]),
  });
};
const wait = () => {
  if (mark("outpost:documents-loaded") !== null || performance.now() - started > 120000) finish();
  else setTimeout(wait, 20);
};
wait();
"##;

/// `arguments[0]` edits of the open incident's title, one after the other: each sets the
/// title, clicks Save and times until `#save-status` reads "Saved". Answers per edit
/// `[total, before, idb, after]` in ms: the whole; the click to the first read-write IndexedDB
/// transaction (the app's own work: the edit, Automerge, the summary); that transaction's
/// start to the last one's `complete` (IndexedDB); and from there to "Saved" on screen (the
/// page's reactive update). The transactions are seen by wrapping
/// `IDBDatabase.prototype.transaction`, installed once per page.
const EDIT_SCRIPT: &str = r##"
const [count, offset, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
if (!window.outpostTransactions) {
  window.outpostTransactions = [];
  const open = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (...args) {
    const tx = open.apply(this, args);
    if (args[1] === "readwrite") {
      const entry = { start: performance.now(), end: null };
      window.outpostTransactions.push(entry);
      tx.addEventListener("complete", () => { entry.end = performance.now(); });
    }
    return tx;
  };
}
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
      const t1 = performance.now();
      observer.disconnect();
      clearTimeout(timer);
      const txs = window.outpostTransactions.filter((t) => t.start >= t0 && t.end !== null && t.end <= t1);
      const first = txs.length ? Math.min(...txs.map((t) => t.start)) : t1;
      const last = txs.length ? Math.max(...txs.map((t) => t.end)) : t1;
      times.push([t1 - t0, first - t0, last - first, t1 - last]);
      window.outpostTransactions = [];
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
