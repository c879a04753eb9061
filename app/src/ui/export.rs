//! `/export`: the auditor's evidence export. The relay builds the zip (sample, receipts,
//! manifest) from what the person may read, so it works online only; offline the button is
//! disabled and says why. Relay refusals (403, 400) show as its sentence.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::evidence::CLAUSES;

use super::field::LabelledField;
use crate::api;
use crate::state::AppState;

pub(crate) fn may_export(state: &AppState) -> bool {
    state.session.with(|s| {
        s.as_ref()
            .is_some_and(api::SessionInfo::may_export_evidence)
    })
}

/// Percent-encodes a query value (clause ids and seeds are short, mostly ASCII).
fn encode(v: &str) -> String {
    js_sys::encode_uri_component(v).into()
}

#[component]
pub fn Export() -> impl IntoView {
    let state = expect_context::<AppState>();
    let clause = RwSignal::new(CLAUSES.first().map(|c| c.id).unwrap_or("").to_string());
    let sample = RwSignal::new("25".to_string());
    let seed = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let online = state.online;

    let download = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        notice.set(None);
        let sample = sample.get_untracked().trim().to_string();
        let Ok(n) = sample.parse::<usize>() else {
            error.set(Some(
                "The sample size must be a whole number, e.g. 25.".into(),
            ));
            return;
        };
        let c = clause.get_untracked();
        let s = seed.get_untracked().trim().to_string();
        let query = api::EvidenceQuery {
            clause: c.clone(),
            sample: n,
            seed: (!s.is_empty()).then_some(s),
        };
        let path = query.path(encode);
        busy.set(true);
        spawn_local(async move {
            let fallback = format!("outpost-evidence-{c}.zip");
            match api::file(&path, &fallback).await {
                Ok((blob, name)) => match api::save_blob(&blob, &name) {
                    Ok(()) => notice.set(Some(format!(
                        "Downloaded {name} ({} bytes).",
                        blob.size() as u64
                    ))),
                    Err(e) => error.set(Some(e)),
                },
                Err(api::ApiError::Unreachable) => error.set(Some(
                    "The relay cannot be reached: the evidence export needs it. Try again once you are online."
                        .into(),
                )),
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="page export-page">
            <nav class="crumbs">
                <a href="/">"← Incidents"</a>
            </nav>
            <h1>"Evidence export"</h1>
            <Show when=move || !may_export(&state)>
                <p class="banner">"Only an auditor or an administrator can export evidence."</p>
            </Show>
            <form class="card export-form" on:submit=download novalidate>
                <LabelledField label="Clause" for_id="export-clause">
                    <select id="export-clause" on:change=move |ev| clause.set(event_target_value(&ev))>
                        {CLAUSES
                            .iter()
                            .map(|c| {
                                let id = c.id;
                                view! {
                                    <option value=id selected=move || clause.get() == id>
                                        {format!("{} {}", c.id, c.title)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </LabelledField>
                <LabelledField label="Sample size" for_id="export-sample">
                    <input
                        id="export-sample"
                        type="number"
                        min="1"
                        max="500"
                        inputmode="numeric"
                        prop:value=move || sample.get()
                        on:input=move |ev| sample.set(event_target_value(&ev))
                    />
                </LabelledField>
                <LabelledField label="Seed (optional: repeats an earlier draw)" for_id="export-seed">
                    <input
                        id="export-seed"
                        autocapitalize="none"
                        prop:value=move || seed.get()
                        on:input=move |ev| seed.set(event_target_value(&ev))
                    />
                </LabelledField>
                <div class="actions wide">
                    <button
                        id="export-download"
                        type="submit"
                        class="button primary"
                        disabled=move || !online.get() || busy.get()
                        aria-describedby="export-offline"
                    >
                        {move || if busy.get() { "Preparing…" } else { "Download" }}
                    </button>
                </div>
                <Show when=move || !online.get()>
                    <p id="export-offline" class="export-offline" role="status">
                        "Offline: the evidence export needs the relay. Connect to download it."
                    </p>
                </Show>
            </form>
            {move || error.get().map(|e| view! { <p class="export-error form-error" role="alert">{e}</p> })}
            {move || notice.get().map(|n| view! { <p id="export-status" class="export-notice" role="status">{n}</p> })}
        </section>
    }
}
