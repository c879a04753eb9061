//! A record's work log, oldest first, with the time it records.

use leptos::prelude::*;
use shared::model::WorkLogEntry;
use shared::time_spent;

/// A record's work log, oldest first.
#[component]
pub(crate) fn WorkLog(#[prop(into)] entries: Signal<Vec<WorkLogEntry>>) -> impl IntoView {
    let total = Memo::new(move |_| entries.with(|e| time_spent::total(e)));
    // Keyed, so a new line adds one row instead of redrawing the log.
    view! {
        <section class="card worklog">
            <h2>"Work log"</h2>
            {move || {
                let minutes = total.get();
                (minutes > 0).then(|| view! {
                    <p class="time-total" id="time-spent-total">"Time spent: " <strong>{time_spent::format(minutes)}</strong></p>
                })
            }}
            <ol class="worklog-list">
                <For
                    each=move || entries.get()
                    key=|e| (e.at, e.author.clone(), e.device.clone(), e.note.clone(), e.minutes)
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
                {entry.minutes.map(|m| view! { <span class="worklog-minutes" data-minutes=m>{time_spent::format(m.into())}</span> })}
            </div>
            <p class="worklog-note">{entry.note}</p>
        </li>
    }
}
