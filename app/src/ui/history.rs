//! An incident's history: every Automerge change of its document with who made it, on which
//! device and when by that device's clock, what each field became (`shared::history`), and
//! when the relay received it (its receipt log).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::history::HistoryEntry;
use shared::ids::DocumentId;
use shared::time::Timestamp;

use crate::api::{self, Receipt};
use crate::state::AppState;

/// How many changes the history shows at first, newest first.
const SHOWN_AT_FIRST: usize = 50;

#[component]
pub fn History(id: DocumentId) -> impl IntoView {
    let state = expect_context::<AppState>();
    // The relay's receipts by change hash; `None` until they could be fetched.
    let receipts = RwSignal::new(None::<HashMap<String, Receipt>>);
    let fetching = StoredValue::new(false);
    // Something changed while a read was under way: read once more after it.
    let again = StoredValue::new(false);
    // Re-read receipts when online and something changed (a save, or the relay catching up).
    Effect::new(move |_| {
        state.revision.track();
        state.unsynced.track();
        if !state.online.get() {
            return;
        }
        if fetching.get_value() {
            again.set_value(true);
            return;
        }
        fetching.set_value(true);
        spawn_local(async move {
            loop {
                again.set_value(false);
                if let Ok(list) = api::receipts(&id.to_string()).await {
                    let by_hash = list.into_iter().map(|r| (r.hash.clone(), r)).collect();
                    receipts.set(Some(by_hash));
                }
                // The view may have closed meanwhile: then there is nothing to read for.
                if !again.try_get_value().unwrap_or(false) {
                    break;
                }
            }
            fetching.set_value(false);
        });
    });
    // Every change so far, oldest first. A save or a merge appends only its new changes'
    // entries (working out and comparing the whole history made each save slower as the
    // record grew).
    let (first, heads) = state.history_since(&id, &[]);
    let entries = RwSignal::new(first.into_iter().map(Arc::new).collect::<Vec<_>>());
    let seen = StoredValue::new(heads);
    Effect::new(move |_| {
        state.revision.track();
        let (new, heads) = state.history_since(&id, &seen.get_value());
        seen.set_value(heads);
        if !new.is_empty() {
            entries.update(|e| e.extend(new.into_iter().map(Arc::new)));
        }
    });
    // Newest first, the latest few: the view's work per save stays this size however long the
    // history; the person can ask for the rest.
    let shown = RwSignal::new(SHOWN_AT_FIRST);
    let hidden = move || entries.with(Vec::len).saturating_sub(shown.get());

    // What the relay lacks, re-read as the entries or the unsynced count change.
    let not_on_relay = Memo::new(move |_| {
        entries.track();
        state.unsynced.track();
        state.not_on_relay(&id)
    });

    view! {
        <section class="card history" id="history">
            <h2>"History"</h2>
            <ol class="history-list">
                <For
                    each=move || entries.with(|e| e.iter().rev().take(shown.get()).cloned().collect::<Vec<_>>())
                    key=|entry| entry.hash.clone()
                    children=move |entry| view! { <EntryRow entry=entry receipts=receipts not_on_relay=not_on_relay /> }
                />
            </ol>
            {move || (hidden() > 0).then(|| view! {
                <button type="button" class="secondary" id="history-more" on:click=move |_| shown.set(usize::MAX)>
                    {format!("Show {} earlier changes", hidden())}
                </button>
            })}
        </section>
    }
}

/// One change: when, who, which device, its hash, where the relay stands, and its fields.
#[component]
fn EntryRow(
    entry: Arc<HistoryEntry>,
    receipts: RwSignal<Option<HashMap<String, Receipt>>>,
    not_on_relay: Memo<HashSet<String>>,
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
                None if receipts.with(Option::is_none)
                    && !not_on_relay.with(|o| o.contains(&hash)) =>
                {
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
