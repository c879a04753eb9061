//! The incident list as a work list: it opens from summaries, searches and filters them, shows
//! "My work" and each open incident's SLA time left, and marks its first paint for the
//! benchmark.

use e2e::app::{NewIncident, SYNC_TIMEOUT, UI_TIMEOUT};
use e2e::{Chromedriver, Relay, Result, Tablet, repo_root};

fn incident<'a>(title: &'a str, impact: &'a str, urgency: &'a str) -> NewIncident<'a> {
    NewIncident {
        title,
        description: "Logged by the work list test.",
        impact,
        urgency,
        note: "",
    }
}

#[tokio::test]
async fn the_list_searches_filters_sorts_and_shows_my_work_with_sla_time_left() -> Result<()> {
    let relay = Relay::start().await?;
    let (admin, password) = relay
        .first_account()
        .unwrap_or_else(|| panic!("the relay prints the first account:\n{}", relay.log()));
    let driver = Chromedriver::start().await?;
    let a = Tablet::open(&driver, &relay.base_url(), "a").await?;
    a.sign_in(&admin, &password).await?;
    a.wait_online(true, SYNC_TIMEOUT).await?;

    // P1, assigned to the signed-in person.
    let switch = a
        .create_incident(&incident("Core switch in rack B reboots", "high", "high"))
        .await?;
    a.fill("#assignee", &admin).await?;
    a.save().await?;
    a.click("a.brand").await?;
    // P5 (low × low), nobody's yet.
    let toner = a
        .create_incident(&incident("Printer toner low on floor 2", "low", "low"))
        .await?;
    a.click("a.brand").await?;
    // Resolved at once: not open.
    let wifi = a
        .create_incident(&incident("Wi-Fi drops in the canteen", "medium", "medium"))
        .await?;
    a.select("#status", "resolved").await?;
    a.fill("#note", "Access point restarted.").await?;
    a.save().await?;
    a.click("a.brand").await?;

    // Open incidents, most recently updated first.
    a.wait_listed("the open incidents, newest first", &[&toner, &switch])
        .await?;
    assert_eq!(a.text("#list-count").await?, "2 of 3 shown");
    let sla = format!("a.incident-row[data-id=\"{switch}\"] .incident-sla");
    let sla_text = a.text(&sla).await?;
    assert!(
        sla_text.starts_with("Respond in "),
        "an open P1 shows its response time left: {sla_text:?}"
    );
    assert_eq!(a.attr(&sla, "data-warning").await?.as_deref(), Some("0"));
    a.screenshot(repo_root().join("docs/screenshots/work-list.png"))
        .await?;

    a.select("#filter-status", "").await?;
    a.wait_listed("every incident", &[&wifi, &toner, &switch])
        .await?;
    a.select("#sort", "priority").await?;
    a.wait_listed("by priority", &[&switch, &wifi, &toner])
        .await?;
    a.select("#sort", "number").await?;
    let mut by_number = vec![(a.row(&switch).await?.number, switch.as_str())];
    by_number.push((a.row(&toner).await?.number, toner.as_str()));
    by_number.push((a.row(&wifi).await?.number, wifi.as_str()));
    by_number.sort();
    let by_number: Vec<&str> = by_number.into_iter().map(|(_, id)| id).collect();
    a.wait_listed("by number", &by_number).await?;

    // Full-text search: every word, any case, in the title, description or work log.
    a.fill("#search", "TONER floor").await?;
    a.wait_listed("the search hit", &[&toner]).await?;
    a.fill("#search", "restarted").await?;
    a.wait_listed("the work-log hit", &[&wifi]).await?;
    a.fill("#search", "no such words").await?;
    a.wait_listed("nothing", &[]).await?;
    a.wait_for("#no-match", UI_TIMEOUT).await?;
    a.fill("#search", "").await?;

    a.select("#filter-priority", "P1").await?;
    a.wait_listed("the P1", &[&switch]).await?;
    a.select("#filter-priority", "").await?;

    // My work: assigned to the signed-in person.
    a.click("#my-work").await?;
    assert_eq!(
        a.attr("#my-work", "aria-pressed").await?.as_deref(),
        Some("true")
    );
    a.wait_listed("my work", &[&switch]).await?;
    a.click("#my-work").await?;
    a.wait_listed("everyone's again", &by_number).await?;

    // The benchmark's mark, and the last sync time in the status bar.
    let marks = a
        .execute(
            "return performance.getEntriesByName('outpost:list-painted').length;",
            vec![],
        )
        .await?;
    assert_eq!(marks.as_u64(), Some(1), "marked once per page load");
    a.wait_for_text("#last-sync", "to show a sync time", SYNC_TIMEOUT, |t| {
        t.starts_with("Synced ")
    })
    .await?;

    // A reload opens the list from the stored summaries, filters reset to open incidents.
    a.open_list().await?;
    a.wait_listed("the open incidents after a reload", &[&toner, &switch])
        .await?;

    a.close().await?;
    Ok(())
}

/// Copies the tablet's one incident (document and summary) under `ids` straight into its
/// IndexedDB, in one transaction, as if they had synced earlier.
const SEED: &str = r#"
const ids = arguments[0];
return new Promise((resolve, reject) => {
  const open = indexedDB.open('outpost');
  open.onerror = () => reject(String(open.error));
  open.onsuccess = () => {
    const db = open.result;
    const read = db.transaction(['docs', 'summaries']);
    const keys = read.objectStore('summaries').getAllKeys();
    keys.onsuccess = () => {
      const id = keys.result[0];
      const doc = read.objectStore('docs').get(id);
      const summary = read.objectStore('summaries').get(id);
      read.oncomplete = () => {
        const base = JSON.parse(summary.result);
        // As the app saves (app/src/store): the document, its summary, and the summary again
        // among those written since the snapshot, which a start folds in after it.
        const tx = db.transaction(['docs', 'summaries', 'since'], 'readwrite');
        ids.forEach((seed, i) => {
          const s = Object.assign({}, base, {
            id: seed,
            number: 'INC-SEED-' + String(i).padStart(5, '0'),
            title: 'Seeded incident ' + i,
            updated_at: base.updated_at - (i + 1) * 1000,
          });
          s.search = (s.number + '\n' + s.title).toLowerCase();
          tx.objectStore('docs').put(doc.result, seed);
          tx.objectStore('summaries').put(JSON.stringify(s), seed);
          tx.objectStore('since').put(JSON.stringify(s), seed);
        });
        tx.oncomplete = () => { db.close(); resolve(ids.length); };
        tx.onerror = () => reject(String(tx.error));
      };
    };
  };
});
"#;

/// The titles of the rows in the DOM.
async fn titles(tablet: &Tablet) -> Result<Vec<String>> {
    let v = tablet
        .execute(
            "return [...document.querySelectorAll('a.incident-row .incident-title')].map(e => e.textContent);",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

async fn mark(tablet: &Tablet, name: &str) -> Result<Option<f64>> {
    let v = tablet
        .execute(
            "const m = performance.getEntriesByName(arguments[0]); return m.length ? m[0].startTime : null;",
            vec![name.into()],
        )
        .await?;
    Ok(v.as_f64())
}

#[tokio::test]
async fn ten_thousand_records_paint_from_summaries_and_only_the_rows_in_view_are_rendered()
-> Result<()> {
    const SEEDED: usize = 10_000;
    let mut relay = Relay::start().await?;
    let (admin, password) = relay
        .first_account()
        .unwrap_or_else(|| panic!("the relay prints the first account:\n{}", relay.log()));
    let driver = Chromedriver::start().await?;
    let a = Tablet::open(&driver, &relay.base_url(), "a").await?;
    a.sign_in(&admin, &password).await?;
    a.wait_service_worker().await?;
    a.create_incident(&incident("Template incident", "medium", "high"))
        .await?;
    // Offline from here: the records never leave the tablet.
    relay.stop().await?;
    a.wait_online(false, UI_TIMEOUT).await?;
    let ids: Vec<serde_json::Value> = (0..SEEDED)
        .map(|i| {
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            bytes[8] = 0x5e;
            shared::ids::DocumentId::from_bytes(bytes)
                .to_string()
                .into()
        })
        .collect();
    let seeded = a.execute(SEED, vec![serde_json::Value::Array(ids)]).await?;
    assert_eq!(seeded.as_u64(), Some(SEEDED as u64));

    a.open_list().await?;
    let painted = e2e::poll("the list-painted mark", UI_TIMEOUT * 3, || async {
        mark(&a, "outpost:list-painted")
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "not yet".to_string())
    })
    .await?;
    a.wait_for_text("#list-count", "to count every record", UI_TIMEOUT, |t| {
        t == "10,001 on this device"
    })
    .await?;
    let rendered = a.count("a.incident-row").await?;
    assert!(
        (5..=40).contains(&rendered),
        "only the rows in view (and a few around) are in the DOM: {rendered}"
    );
    let first = titles(&a).await?;
    assert_eq!(first[0], "Template incident", "newest first");

    // Scrolled to the middle: the rows there are rendered, the first ones are gone.
    a.execute(
        "const s = document.querySelector('.incident-scroller'); s.scrollTop = 5000 * 64; s.dispatchEvent(new Event('scroll'));",
        vec![],
    )
    .await?;
    a.wait_until("the middle of the list to render", UI_TIMEOUT, || async {
        Ok(titles(&a)
            .await?
            .iter()
            .any(|t| t == "Seeded incident 4999"))
    })
    .await?;
    assert!(!titles(&a).await?.iter().any(|t| t == "Template incident"));
    assert!(a.count("a.incident-row").await? <= 40);

    // Search over every summary.
    a.fill("#search", "incident 9876").await?;
    a.wait_until(
        "the search to find one seeded record",
        UI_TIMEOUT,
        || async { Ok(titles(&a).await? == ["Seeded incident 9876"]) },
    )
    .await?;

    let loaded = e2e::poll("the documents-loaded mark", UI_TIMEOUT * 6, || async {
        mark(&a, "outpost:documents-loaded")
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "not yet".to_string())
    })
    .await?;
    println!(
        "{SEEDED} records: first list page painted at {painted:.0} ms, every document decoded at {loaded:.0} ms after navigation start"
    );
    assert!(
        painted <= loaded,
        "the list does not wait for the documents"
    );
    a.close().await?;
    Ok(())
}

#[tokio::test]
async fn a_first_sync_shows_its_progress_then_the_time_it_finished() -> Result<()> {
    let relay = Relay::start().await?;
    let (admin, password) = relay
        .first_account()
        .unwrap_or_else(|| panic!("the relay prints the first account:\n{}", relay.log()));
    let driver = Chromedriver::start().await?;
    let a = Tablet::open(&driver, &relay.base_url(), "a").await?;
    a.sign_in(&admin, &password).await?;
    a.wait_online(true, SYNC_TIMEOUT).await?;
    let mut ids = Vec::new();
    for title in [
        "Gate 1 barrier stuck",
        "Gate 2 barrier stuck",
        "Gate 3 camera dark",
    ] {
        ids.push(a.create_incident(&incident(title, "low", "medium")).await?);
        a.click("a.brand").await?;
    }
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;

    // A new tablet records every progress text the status bar shows during its first sync.
    let b = Tablet::open(&driver, &relay.base_url(), "b").await?;
    b.goto("/").await?;
    b.wait_for("#username", UI_TIMEOUT).await?;
    b.execute(
        "window.__progress = [];
         new MutationObserver(() => {
           const p = document.getElementById('sync-progress-text');
           if (p && window.__progress.at(-1) !== p.textContent) window.__progress.push(p.textContent);
         }).observe(document.body, { subtree: true, childList: true, characterData: true });",
        vec![],
    )
    .await?;
    assert_eq!(b.text("#last-sync").await?, "Never synced");
    b.fill("#username", &admin).await?;
    b.fill("#password", &password).await?;
    b.click("#sign-in").await?;
    for id in &ids {
        b.wait_row(id, "to arrive", SYNC_TIMEOUT, |_| true).await?;
    }
    b.wait_for_text("#last-sync", "to show a sync time", SYNC_TIMEOUT, |t| {
        t.starts_with("Synced ")
    })
    .await?;
    assert_eq!(b.count("#sync-progress").await?, 0, "gone once complete");
    let seen: Vec<String> =
        serde_json::from_value(b.execute("return window.__progress;", vec![]).await?)?;
    let first = seen.first().cloned().unwrap_or_default();
    let (done, total) = first
        .strip_suffix(" records")
        .and_then(|t| t.split_once(" of "))
        .ok_or_else(|| format!("a progress text like \"0 of 5 records\": {seen:?}"))?;
    let (done, total): (usize, usize) = (done.parse()?, total.parse()?);
    assert!(
        done < total && total >= ids.len(),
        "the plan covers the incidents: {seen:?}"
    );

    a.close().await?;
    b.close().await?;
    Ok(())
}
