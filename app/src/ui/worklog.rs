//! A record's work log, oldest first.

use leptos::prelude::*;
use shared::model::WorkLogEntry;

/// A record's work log, oldest first.
#[component]
pub(crate) fn WorkLog(#[prop(into)] entries: Signal<Vec<WorkLogEntry>>) -> impl IntoView {
    // Keyed, so a new line adds one row instead of redrawing the log.
    view! {
        <section class="card worklog">
            <h2>"Work log"</h2>
            <ol class="worklog-list">
                <For
                    each=move || entries.get()
                    key=|e| (e.at, e.author.clone(), e.device.clone(), e.note.clone())
                    children=entry_view
                />
            </ol>
        </section>
    }
}

fn entry_view(entry: WorkLogEntry) -> impl IntoView {
    let device_short: String = entry.device.chars().take(15).collect();
    view! {
        <li class="worklog-entry">
            <div class="worklog-meta">
                <time datetime=entry.at.to_string() title=entry.at.to_string()>
                    {super::local_time(entry.at)}
                </time>
                <span class="author">{entry.author}</span>
                <span class="device" title=entry.device.clone() data-device=entry.device.clone()>
                    {device_short}
                </span>
            </div>
            <p class="worklog-note">{entry.note}</p>
        </li>
    }
}
