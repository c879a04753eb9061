//! The screens. Views read `AppState`'s signals and call its actions; no rule lives here.

mod admin;
mod attachments;
mod change_calendar;
pub(crate) mod conflicts;
mod dashboard;
mod export;
mod field;
mod history;
mod knowledge;
mod known_errors;
mod links;
pub(crate) mod list;
pub(crate) mod person_picker;
mod picker;
mod read_only;
mod record_form;
mod records;
pub(crate) mod refused;
mod scan;
mod sign_in;
mod signature_pad;
mod status_bar;
mod time_report;
mod worklog;

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate, use_params_map};
use leptos_router::path;
use shared::time::Timestamp;

use crate::state::AppState;

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    let session = crate::session::Session::new(state);
    provide_context(state);
    provide_context(session);
    // SLA times in lists count down once a minute, with or without a network.
    gloo::timers::callback::Interval::new(60_000, move || state.now.set(crate::state::now()))
        .forget();
    leptos::task::spawn_local(async move {
        // Syncs only while someone is signed in (the relay needs the session).
        if let Err(e) = session.load().await {
            // Without storage nothing can be kept: say so plainly instead of pretending.
            state.loaded.set(true);
            state.problem.set(Some(e.to_string()));
        }
    });

    view! {
        <Router>
            <SignInGuard />
            <status_bar::StatusBar />
            <main class="content">
                <Routes fallback=|| view! { <p class="empty">"This page does not exist."</p> }>
                    <Route path=path!("/") view=|| view! { <list::RecordList kind=list::home_kind().to_string() /> } />
                    <Route path=path!("/records") view=records::Records />
                    <Route path=path!("/records/:kind") view=RecordListPage />
                    <Route path=path!("/records/:kind/:id") view=|| view! { <record_form::RecordPage /> } />
                    <Route path=path!("/changes/calendar") view=change_calendar::ChangeCalendar />
                    <Route path=path!("/incidents/:id") view=|| view! { <record_form::RecordPage kind=list::home_kind() /> } />
                    <Route path=path!("/sign-in") view=sign_in::SignIn />
                    <Route path=path!("/admin") view=admin::Admin />
                    <Route path=path!("/export") view=export::Export />
                    <Route path=path!("/dashboard") view=dashboard::Dashboard />
                    <Route path=path!("/reports/time") view=time_report::TimeReport />
                    <Route path=path!("/scan") view=scan::Scan />
                    <Route path=path!("/conflicts") view=conflicts::Conflicts />
                    <Route path=path!("/refused") view=refused::Refused />
                </Routes>
            </main>
        </Router>
    }
}

/// `/records/<kind>`: the list of one record type (a fresh list when the type changes).
#[component]
fn RecordListPage() -> impl IntoView {
    let params = use_params_map();
    move || {
        let kind = params.read().get("kind").unwrap_or_default();
        view! { <list::RecordList kind=kind /> }
    }
}

/// Sends the person to `/sign-in` whenever no session is kept on the device. A kept session,
/// even an expired one, leaves the app fully usable offline.
#[component]
fn SignInGuard() -> impl IntoView {
    let state = expect_context::<AppState>();
    let location = use_location();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if state.loaded.get()
            && state.session.with(Option::is_none)
            && location.pathname.get() != "/sign-in"
        {
            navigate(
                "/sign-in",
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
}

/// Device-local date and time, `YYYY-MM-DD HH:MM`: unambiguous whatever the locale.
pub(crate) fn local_time(at: Timestamp) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.millis() as f64));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}
