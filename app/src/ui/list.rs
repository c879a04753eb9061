//! The incident list: every incident on this device, newest first.

use leptos::prelude::*;

use crate::repo::IncidentRow;
use crate::state::AppState;

#[component]
pub fn IncidentList() -> impl IntoView {
    let state = expect_context::<AppState>();
    let rows = Memo::new(move |_| {
        let mut rows: Vec<IncidentRow> = state.rows.get().into_values().collect();
        rows.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| a.number.cmp(&b.number))
        });
        rows
    });
    let empty = move || state.loaded.get() && rows.with(|r| r.is_empty());

    view! {
        <section class="page">
            <div class="page-head">
                <div>
                    <h1>"Incidents"</h1>
                    <Show when=move || state.loaded.get()>
                        <p class="muted count">
                            {move || match rows.with(Vec::len) {
                                1 => "1 on this device".to_string(),
                                n => format!("{n} on this device"),
                            }}
                        </p>
                    </Show>
                </div>
                <a id="new-incident" class="button primary" href="/incidents/new">
                    "+ New incident"
                </a>
            </div>
            <For
                each=move || state.load_errors.get()
                key=|e| (e.id.clone(), e.message.clone())
                children=|e| {
                    view! {
                        <div class="load-error" role="alert" data-id=e.id.clone()>
                            <strong>"Could not open document " <code>{e.id.clone()}</code></strong>
                            <span>{e.message}</span>
                        </div>
                    }
                }
            />
            <Show when=move || !state.loaded.get()>
                <p class="empty">"Opening your records…"</p>
            </Show>
            <Show when=empty>
                <div class="empty">
                    <p>"No incidents on this device yet."</p>
                    <p class="hint">"Log one with “New incident”. It is kept here, and shared when the relay is reachable."</p>
                </div>
            </Show>
            <div class="incident-list" role="list">
                <div class="incident-head" aria-hidden="true">
                    <span>"Number"</span>
                    <span>"Title"</span>
                    <span>"Priority"</span>
                    <span>"Urgency"</span>
                    <span>"Status"</span>
                </div>
                <For each=move || rows.get() key=|row| row.clone() children=row_view />
            </div>
        </section>
    }
}

fn row_view(row: IncidentRow) -> impl IntoView {
    let priority_class = format!("incident-priority badge {:?}", row.priority).to_lowercase();
    let status_class = format!("incident-status status {}", row.status.as_str());
    view! {
        <a
            class="incident-row"
            role="listitem"
            href=format!("/incidents/{}", row.id)
            data-id=row.id.to_string()
        >
            <span class="incident-number">{row.number}</span>
            <span class="incident-title">{row.title}</span>
            <span class=priority_class>{row.priority.to_string()}</span>
            <span class="incident-urgency">{row.urgency.to_string()}</span>
            <span class=status_class>{row.status.to_string()}</span>
        </a>
    }
}
