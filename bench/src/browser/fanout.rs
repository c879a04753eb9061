//! Browser to browser: tablets A and B have the same incident open; A changes its title and
//! clicks Save, and the time runs until B's form shows the new title. Both ends are timed in
//! the pages themselves (`performance.timeOrigin + performance.now()`, one clock on one
//! machine), so WebDriver's own round trips are not in the figures. Optionally while a fleet
//! of native devices is connected, 1 % of them editing their own records every second.

use std::time::Duration;

use e2e::Chromedriver;
use e2e::app::{NewIncident, SYNC_TIMEOUT};
use serde_json::json;

use super::{open_incident, poll_number, signed_in_tablet};
use crate::Result;
use crate::fanout::edit_at_rate;
use crate::fleet::{Fleet, GroupSpec};
use crate::servers::Server;

/// What the browser fan-out measured.
#[derive(Debug, Clone, Default)]
pub struct BrowserFanout {
    /// Native devices connected meanwhile.
    pub others: usize,
    /// Save click on A to B's form showing the change, in ms, one per edit.
    pub ms: Vec<f64>,
    /// Errors of the native devices.
    pub errors: Vec<String>,
}

/// The other devices: groups of 8 tablets sharing 20 records (a site's), 1 % editing per second.
const OTHERS: GroupSpec = GroupSpec {
    devices: 8,
    records: 20,
};
const OTHERS_EDITING: f64 = 0.01;

/// `edits` saves on A, each timed until B shows it, with `others` native devices connected.
pub async fn run(others: usize, edits: usize, timeout: Duration) -> Result<BrowserFanout> {
    let server = Server::outpost(&[]).await?;
    let driver = Chromedriver::start().await?;
    let result = async {
        let fleet = if others > 0 {
            let groups = vec![OTHERS; others.div_ceil(OTHERS.devices)];
            Some(Fleet::start(&server, &groups, &[], timeout).await?)
        } else {
            None
        };
        let measured = match &fleet {
            Some(fleet) => {
                let rate = fleet.len() as f64 * OTHERS_EDITING;
                tokio::select! {
                    measured = measure(&server, &driver, edits) => measured,
                    () = edit_at_rate(fleet, rate, Duration::MAX) => unreachable!("edits for ever"),
                }
            }
            None => measure(&server, &driver, edits).await,
        };
        let errors = match fleet {
            Some(fleet) => {
                let errors = fleet.errors();
                fleet.stop().await;
                errors
            }
            None => vec![],
        };
        Ok(BrowserFanout {
            others,
            ms: measured?,
            errors,
        })
    }
    .await;
    server.stop().await?;
    result
}

async fn measure(server: &Server, driver: &Chromedriver, edits: usize) -> Result<Vec<f64>> {
    let base = server.base_url().ok_or("browsers need Outpost's relay")?;
    let account = server
        .account()
        .ok_or("the relay printed no first account")?;
    let a = signed_in_tablet(driver, &base, &account, "fanout-a").await?;
    let b = signed_in_tablet(driver, &base, &account, "fanout-b").await?;
    let title = "Core switch reboots every night";
    let id = a
        .create_incident(&NewIncident {
            title,
            description: "Data centre row 3; watched from two tablets.",
            impact: "high",
            urgency: "medium",
            note: "",
        })
        .await?;
    b.wait_row(&id, "to arrive from a", SYNC_TIMEOUT, |r| r.title == title)
        .await?;
    let id = id.parse().map_err(|e| format!("incident id {id}: {e}"))?;
    open_incident(&a, &id).await?;
    open_incident(&b, &id).await?;

    let mut times = vec![];
    for i in 0..edits {
        let title = format!("Core switch reboots every night, edit {i}");
        b.execute(WATCH_SCRIPT, vec![json!(title)]).await?;
        let clicked = a
            .client()
            .execute_async(SAVE_SCRIPT, vec![json!(title)])
            .await
            .map_err(|e| format!("saving on a: {e}"))?;
        let clicked = clicked
            .as_f64()
            .ok_or_else(|| format!("saving on a: {clicked}"))?;
        let seen = poll_number(&b, "b to show a's change", "outpostSeen", SYNC_TIMEOUT).await?;
        times.push(seen - clicked);
    }
    a.close().await?;
    b.close().await?;
    Ok(times)
}

/// On B: `window.outpostSeen` becomes the time (`timeOrigin + now`) at which `#title` first
/// shows `arguments[0]`, checked on every DOM change and every animation frame.
const WATCH_SCRIPT: &str = r##"
const want = arguments[0];
window.outpostSeen = null;
const check = () => {
  if (window.outpostSeen !== null) return true;
  const title = document.querySelector("#title");
  if (!title || title.value !== want) return false;
  window.outpostSeen = performance.timeOrigin + performance.now();
  return true;
};
const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
const frame = () => { if (!check()) requestAnimationFrame(frame); else observer.disconnect(); };
requestAnimationFrame(frame);
"##;

/// On A: sets the title to `arguments[0]`, clicks Save and, once the form says "Saved",
/// answers the time of the click (`timeOrigin + now`).
const SAVE_SCRIPT: &str = r##"
const [want, done] = [arguments[0], arguments[arguments.length - 1]];
const title = document.querySelector("#title");
const status = document.querySelector("#save-status");
const save = document.querySelector("#save");
if (!title || !status || !save) return done("the form is gone");
title.value = want;
title.dispatchEvent(new Event("input", { bubbles: true }));
let clicked = 0;
const timer = setTimeout(() => { observer.disconnect(); done("no Saved after 10 s: " + status.textContent); }, 10000);
const observer = new MutationObserver(() => {
  const text = status.textContent;
  if (text === "Saved" || text.startsWith("Not saved")) {
    observer.disconnect();
    clearTimeout(timer);
    done(text === "Saved" ? clicked : text);
  }
});
observer.observe(status, { childList: true, characterData: true, subtree: true });
clicked = performance.timeOrigin + performance.now();
save.click();
"##;
