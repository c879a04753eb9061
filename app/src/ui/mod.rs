//! The screens. Views read `AppState`'s signals and call its actions; no rule lives here.

mod incident_form;
mod list;
mod status_bar;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_params_map;
use leptos_router::path;
use shared::ids::DocumentId;

use crate::state::AppState;

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    leptos::task::spawn_local(async move {
        match state.load().await {
            Ok(()) => crate::sync::start(state),
            Err(e) => {
                // Without storage nothing can be kept: say so plainly instead of pretending.
                state.loaded.set(true);
                state.problem.set(Some(e.to_string()));
            }
        }
    });

    view! {
        <Router>
            <status_bar::StatusBar />
            <main class="content">
                <Routes fallback=|| view! { <p class="empty">"This page does not exist."</p> }>
                    <Route path=path!("/") view=list::IncidentList />
                    <Route path=path!("/incidents/new") view=NewIncident />
                    <Route path=path!("/incidents/:id") view=EditIncident />
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn NewIncident() -> impl IntoView {
    view! { <incident_form::IncidentForm id=None /> }
}

#[component]
fn EditIncident() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").map(|s| s.parse::<DocumentId>()));
    // Keyed on the id: moving to another incident builds a fresh form.
    move || match id.get() {
        Some(Ok(id)) => view! { <incident_form::IncidentForm id=Some(id) /> }.into_any(),
        _ => view! { <p class="empty">"That is not an incident address."</p> }.into_any(),
    }
}
