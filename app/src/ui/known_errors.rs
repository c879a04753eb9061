//! Known-error search from an incident: every problem documented as a known error on this
//! device, matched in memory (`shared::records::problem::search_known_errors`), so it works
//! offline; a match can be linked to the incident in one tap.

use leptos::prelude::*;
use shared::forms::Values;
use shared::records::problem::{PROBLEM, Problem, search_known_errors};

use super::list::record_href;
use crate::state::AppState;

/// `incident`: the incident's number, once it has one.
#[component]
pub fn KnownErrors(incident: Signal<Option<String>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let query = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    // Read once a search starts, and again only when a problem changed, not on every change
    // synced or keystroke.
    let version = Memo::new(move |_| state.revision_of(PROBLEM.kind));
    let searching = Memo::new(move |_| !query.with(|q| q.trim().is_empty()));
    let problems = Memo::new(move |_| {
        // Read, not only tracked: a memo nobody reads is never computed, so it would never
        // hear of a change.
        version.get();
        if !searching.get() {
            return vec![];
        }
        state
            .records_of(PROBLEM.kind)
            .into_iter()
            .map(|(id, r)| (id, Problem::of(&r)))
            .collect::<Vec<(_, Problem)>>()
    });
    let found = Memo::new(move |_| {
        let query = query.get();
        problems.with(|problems| {
            let plain: Vec<Problem> = problems.iter().map(|(_, p)| p.clone()).collect();
            search_known_errors(&plain, &query)
                .into_iter()
                .filter_map(|p| {
                    let (id, _) = problems.iter().find(|(_, q)| q.number == p.number)?;
                    Some((*id, p.clone()))
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="card known-errors" id="known-errors">
            <h2>"Known errors"</h2>
            <div class="field">
                <label for="known-error-search">"Search known errors"</label>
                <input
                    id="known-error-search"
                    type="search"
                    placeholder="A symptom or error message"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
            </div>
            <Show when=move || !query.get().trim().is_empty() && found.with(Vec::is_empty)>
                <p class="muted">"No known error matches."</p>
            </Show>
            <ul class="known-error-list">
                {move || {
                    found
                        .get()
                        .into_iter()
                        .map(|(id, p)| {
                            let number = p.number.clone();
                            let link = move |_| {
                                let Some(incident) = incident.get_untracked() else { return };
                                let values = Values::from([("incident".to_string(), incident.clone())]);
                                let number = number.clone();
                                leptos::task::spawn_local(async move {
                                    let result = state
                                        .act_on_record(id, "link_incident".into(), values)
                                        .await;
                                    status.set(match result {
                                        Ok(()) => format!("Linked {incident} to {number}"),
                                        Err(e) => format!("Not linked: {e}"),
                                    });
                                });
                            };
                            let linked = incident
                                .get()
                                .is_some_and(|i| p.linked_incidents.contains(&i));
                            view! {
                                <li class="known-error" data-number=p.number.clone()>
                                    <a href=record_href("problem", &id.to_string())>
                                        {format!("{} {}", p.number, p.title)}
                                    </a>
                                    <p class="workaround">{format!("Workaround: {}", p.workaround)}</p>
                                    <button
                                        type="button"
                                        class="button link-problem"
                                        // Linking writes the problem record.
                                        disabled=linked || incident.get().is_none() || state.may_write(&id).is_err()
                                        on:click=link
                                    >
                                        {if linked { "Linked" } else { "Link to this incident" }}
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <p id="known-error-status" role="status">{move || status.get()}</p>
        </section>
    }
}
