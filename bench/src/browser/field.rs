//! First visit on a field connection: a tablet that has never opened Outpost, at 1.6 Mbps
//! down, 750 kbps up and 150 ms round trips, emulated two ways ([`Via`]): Chromium's network
//! emulation (CDP `Network.emulateNetworkConditions` through chromedriver), which slows the
//! page's own requests but not its service worker's, and a proxy ([`crate::link`]) that
//! carries everything the tablet sends and receives over one emulated link. Timed: navigation
//! to an interactive sign-in screen, and sign-in to "ready offline" (a service worker controls
//! the page, the app shell is in its cache, the first sync is complete and every record in
//! scope is stored).

use std::time::{Duration, Instant};

use e2e::{Chromedriver, Tablet};
use serde_json::json;

use super::{LOAD_TIMEOUT, cdp, poll_number, set_script_timeout};
use crate::Result;
use crate::browser::big::relay_holding;
use crate::link::Link;

/// The emulated connection.
pub const DOWN_BPS: f64 = 1_600_000.0;
pub const UP_BPS: f64 = 750_000.0;
pub const RTT_MS: f64 = 150.0;

/// How the connection is slowed down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Chromium's emulation, on the page's requests.
    Chromium,
    /// A proxy between the tablet and the relay: every request and the sync socket.
    Link,
}

/// What the first visit measured.
#[derive(Debug, Clone)]
pub struct FirstVisit {
    pub via: Via,
    pub records: usize,
    /// Navigation start to the sign-in form in the DOM (its handlers come with it).
    pub sign_in_ms: f64,
    /// Sign-in click to ready offline.
    pub ready: Duration,
    /// Bytes the page itself fetched before signing in (resource timing's transfer sizes).
    pub page_bytes: u64,
}

/// A relay with `records` incidents in scope; a fresh tablet visits it on the emulated
/// connection and signs in.
pub async fn run(records: usize, via: Via, timeout: Duration) -> Result<FirstVisit> {
    let (mut relay, (user, password)) = relay_holding(records, timeout).await?;
    let link = match via {
        Via::Link => Some(
            Link::start(
                relay.port(),
                DOWN_BPS,
                UP_BPS,
                Duration::from_secs_f64(RTT_MS / 1000.0),
            )
            .await?,
        ),
        Via::Chromium => None,
    };
    let base = match &link {
        Some(link) => format!("http://127.0.0.1:{}", link.port()),
        None => relay.base_url(),
    };
    let driver = Chromedriver::start().await?;
    let tablet = Tablet::open(&driver, &base, "field").await?;
    let result = visit(&tablet, via, &user, &password, records, timeout).await;
    let _ = tablet.close().await;
    let _ = relay.stop().await;
    result
}

async fn visit(
    tablet: &Tablet,
    via: Via,
    user: &str,
    password: &str,
    records: usize,
    timeout: Duration,
) -> Result<FirstVisit> {
    set_script_timeout(tablet).await?;
    if via == Via::Chromium {
        cdp(tablet, "Network.enable", json!({})).await?;
        cdp(
            tablet,
            "Network.emulateNetworkConditions",
            json!({
                "offline": false,
                "latency": RTT_MS,
                "downloadThroughput": DOWN_BPS / 8.0,
                "uploadThroughput": UP_BPS / 8.0,
            }),
        )
        .await?;
    }
    // Installed before the page's own scripts: notes when the sign-in form appears.
    cdp(
        tablet,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": SIGN_IN_WATCH }),
    )
    .await?;
    tablet.goto("/").await?;
    let sign_in_ms =
        poll_number(tablet, "the sign-in form", "outpostSignInAt", LOAD_TIMEOUT).await?;
    let page_bytes = tablet
        .execute(
            "return performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation')).reduce((n, r) => n + (r.transferSize || 0), 0);",
            vec![],
        )
        .await?
        .as_u64()
        .unwrap_or(0);
    tablet.fill("#username", user).await?;
    tablet.fill("#password", password).await?;
    let started = Instant::now();
    tablet.click("#sign-in").await?;
    let deadline = started + timeout;
    loop {
        let state = tablet
            .client()
            .execute_async(READY_SCRIPT, vec![json!(records)])
            .await
            .map_err(|e| format!("checking readiness: {e}"))?;
        if state["ready"].as_bool() == Some(true) {
            return Ok(FirstVisit {
                via,
                records,
                sign_in_ms,
                ready: started.elapsed(),
                page_bytes,
            });
        }
        if Instant::now() > deadline {
            return Err(format!("not ready offline after {timeout:?}: {state}").into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `window.outpostSignInAt`: ms since navigation start when `#username` appeared.
const SIGN_IN_WATCH: &str = r##"
window.outpostSignInAt = null;
new MutationObserver((_, observer) => {
  if (document.querySelector("#username")) {
    window.outpostSignInAt = performance.now();
    observer.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
"##;

/// Whether the tablet is ready offline: a service worker controls the page, its cache holds
/// the shell, the status bar reports a complete sync and IndexedDB holds more than
/// `arguments[0]` documents (the records and the scope index).
const READY_SCRIPT: &str = concat!(
    stored_docs_js!(),
    r##"
const [records, done] = [arguments[0], arguments[arguments.length - 1]];
const shell = ["/", "/index.html", "/style.css", "/pkg/app.js", "/pkg/app_bg.wasm"];
const cached = async () => {
  for (const key of await caches.keys()) {
    if (!key.startsWith("outpost-shell-")) continue;
    const cache = await caches.open(key);
    const hits = await Promise.all(shell.map((url) => cache.match(url)));
    if (hits.every(Boolean)) return true;
  }
  return false;
};
(async () => {
  const controlled = !!(navigator.serviceWorker && navigator.serviceWorker.controller);
  const last = document.querySelector("#last-sync");
  const synced = !!last && last.textContent.startsWith("Synced") && !document.querySelector("#sync-progress");
  const docs = await stored();
  const shellCached = await cached();
  done({ ready: controlled && shellCached && synced && docs > records, controlled, shellCached, synced, docs });
})().catch((e) => done({ ready: false, error: String(e) }));
"##
);
