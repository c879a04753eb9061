//! The bar across the top: where you are, whether the relay is reachable, how much of your
//! work it does not have yet, and who you are (stamped on every change).

use leptos::prelude::*;

use crate::state::AppState;

#[component]
pub fn StatusBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let online = state.online;
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <img src="/icons/icon-192.png" alt="" width="32" height="32" />
                <span>"Outpost"</span>
            </a>
            <div class="sync" aria-live="polite">
                <span
                    id="sync-status"
                    class="pill"
                    class:online=move || online.get()
                    data-online=move || online.get().to_string()
                >
                    {move || if online.get() { "Online" } else { "Offline" }}
                </span>
                <span class="unsynced" title="Changes on this device that the relay does not have yet">
                    <span id="unsynced-count">{move || state.unsynced.get()}</span>
                    " not synced"
                </span>
            </div>
            <label class="who">
                <span class="who-label">"You"</span>
                <input
                    id="display-name"
                    type="text"
                    autocomplete="name"
                    prop:value=move || state.display_name.get()
                    on:change=move |ev| state.set_display_name(event_target_value(&ev).trim().to_string())
                />
            </label>
        </header>
        {move || {
            state.problem.get().map(|p| view! { <div class="banner" role="alert">{p}</div> })
        }}
    }
}
