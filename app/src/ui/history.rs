//! An incident's history: every Automerge change of its document with who made it, on which
//! device and when by that device's clock, what each field became (`shared::history`), and
//! when the relay received it (its receipt log).

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ids::DocumentId;
use shared::time::Timestamp;

use crate::api::{self, Receipt};
use crate::state::AppState;

#[component]
pub fn History(id: DocumentId) -> impl IntoView {
    let state = expect_context::<AppState>();
    // The relay's receipts by change hash; `None` until they could be fetched.
    let receipts = RwSignal::new(None::<HashMap<String, Receipt>>);
    let fetching = StoredValue::new(false);
    // Re-read receipts when online and something changed (a save, or the relay catching up).
    Effect::new(move |_| {
        state.revision.track();
        state.unsynced.track();
        if !state.online.get() || fetching.get_value() {
            return;
        }
        fetching.set_value(true);
        spawn_local(async move {
            if let Ok(list) = api::receipts(&id.to_string()).await {
                let by_hash = list.into_iter().map(|r| (r.hash.clone(), r)).collect();
                receipts.set(Some(by_hash));
            }
            fetching.set_value(false);
        });
    });
    // Entries already worked out, by change hash: a save adds one change, so only its entry is
    // new (recomputing every change's effect made each save slower as the record grew).
    let known = StoredValue::new(HashMap::new());
    let entries = Memo::new(move |_| {
        state.revision.track();
        state.unsynced.track();
        let entries = known.with_value(|known| state.history(&id, known));
        known.set_value(
            entries
                .iter()
                .map(|e| (e.hash.clone(), e.clone()))
                .collect(),
        );
        entries
    });

    // What the relay has, re-read as the entries or the unsynced count change.
    let on_relay = Memo::new(move |_| {
        entries.track();
        state.unsynced.track();
        state.on_relay(&id)
    });

    // Keyed by change hash: a save adds one row instead of rebuilding every row (the DOM work
    // grew with the record's history on every save).
    view! {
        <section class="card history" id="history">
            <h2>"History"</h2>
            <ol class="history-list">
                <For
                    each=move || entries.get().into_iter().rev()
                    key=|entry| entry.hash.clone()
                    children=move |entry| view! { <EntryRow entry=entry receipts=receipts on_relay=on_relay /> }
                />
            </ol>
        </section>
    }
}

/// One change: when, who, which device, its hash, where the relay stands, and its fields.
#[component]
fn EntryRow(
    entry: shared::history::HistoryEntry,
    receipts: RwSignal<Option<HashMap<String, Receipt>>>,
    on_relay: Memo<std::collections::HashSet<String>>,
) -> impl IntoView {
    let hash = entry.hash.clone();
    let relay = {
        let hash = hash.clone();
        move || {
            let receipt = receipts.with(|r| r.as_ref().and_then(|r| r.get(&hash).cloned()));
            match receipt {
                Some(r) => {
                    let who = if r.person.is_empty() {
                        String::new()
                    } else {
                        format!(" from {}", r.person)
                    };
                    format!(
                        "received by the relay {}{who}",
                        super::local_time(Timestamp::from_millis(r.received_at)),
                    )
                }
                None if receipts.with(Option::is_none) && on_relay.with(|o| o.contains(&hash)) => {
                    "on the relay (receipt time shown when online)".to_string()
                }
                None => "not yet on the relay".to_string(),
            }
        }
    };
    let received = {
        let relay = relay.clone();
        move || relay().starts_with("received")
    };
    let when = entry.device_time.map_or("—".to_string(), super::local_time);
    let author = entry
        .author
        .clone()
        .unwrap_or_else(|| "(not written by Outpost)".to_string());
    let device = entry.device.clone().unwrap_or_default();
    let fields = entry
        .fields
        .iter()
        .map(|f| {
            // Long notes stay readable in one line; the export has them whole.
            let value: String = f.value.chars().take(80).collect();
            view! {
                <li class="history-field">
                    <code class="field">{f.field.clone()}</code>
                    " "
                    <span class="action">{f.action.as_str()}</span>
                    " "
                    <span class="value">{value}</span>
                </li>
            }
        })
        .collect_view();
    let short: String = hash.chars().take(8).collect();
    view! {
        <li class="history-entry" data-hash=hash.clone()>
            <span class="history-time">{when}</span>
            " "
            <span class="author">{author}</span>
            " "
            <span class="device" title=device.clone()>{device.chars().take(15).collect::<String>()}</span>
            " "
            <code class="hash" title=hash.clone()>{short}</code>
            " "
            <span class="relay" class:received=received>{relay}</span>
            <ul class="history-fields">{fields}</ul>
        </li>
    }
}
