//! The bar across the top: where you are, whether the relay is reachable, how much of your
//! work it does not have yet, and who is signed in (their username is stamped on every change).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::state::AppState;

#[component]
pub fn StatusBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let session = expect_context::<crate::session::Session>();
    let online = state.online;
    let navigate = use_navigate();
    let is_admin = move || {
        state.session.with(|s| {
            s.as_ref()
                .is_some_and(crate::api::SessionInfo::may_administer)
        })
    };
    let conflict_count = super::conflicts::open_count(&state);
    let refused_count = super::refused::count(&state);
    let sign_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            session.sign_out().await;
            navigate(
                "/sign-in",
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        });
    };
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
                {move || {
                    state
                        .sync_progress
                        .get()
                        .map(|(done, total)| {
                            view! {
                                <span class="sync-progress">
                                    <progress id="sync-progress" max=total value=done aria-label="Sync progress"></progress>
                                    <span id="sync-progress-text">
                                        {format!(
                                            "{} of {} records",
                                            super::list::thousands(done),
                                            super::list::thousands(total),
                                        )}
                                    </span>
                                </span>
                            }
                        })
                }}
                <span
                    id="last-sync"
                    title=move || {
                        state
                            .last_sync
                            .get()
                            .map(|at| format!("Last complete sync: {}", super::local_time(at)))
                            .unwrap_or_else(|| "Not synced with the relay yet".into())
                    }
                >
                    {move || match state.last_sync.get() {
                        // The time of day is enough at a glance; the title has the date.
                        Some(at) => {
                            let when = super::local_time(at);
                            let time = when.split_once(' ').map_or(when.as_str(), |(_, t)| t);
                            format!("Synced {time}")
                        }
                        None => "Never synced".to_string(),
                    }}
                </span>
            </div>
            <Show when=move || state.session.with(Option::is_some)>
                <div class="who">
                    <CountLink
                        id="conflicts-link"
                        badge_id="conflict-count"
                        href="/conflicts"
                        text="Conflicts "
                        count=conflict_count
                        describe=|n| format!("Conflicts: {n} records need a decision")
                    />
                    <CountLink
                        id="refused-link"
                        badge_id="refused-count"
                        href="/refused"
                        text="Not accepted "
                        count=refused_count
                        describe=|n| format!("Not accepted: {n} records have a change the relay refused")
                    />
                    <a id="records-link" class="button" href="/records">"Records"</a>
                    <a id="scan-link" class="button" href="/scan">"Scan a tag"</a>
                    <a id="dashboard-link" class="button" href="/dashboard">"Dashboard"</a>
                    <Show when=is_admin>
                        <a id="admin-link" class="button" href="/admin">"Admin"</a>
                    </Show>
                    <Show when=move || super::export::may_export(&state)>
                        <a id="export-link" class="button" href="/export">"Evidence"</a>
                    </Show>
                    <span
                        id="display-name"
                        class="who-name"
                        title=move || state.session.with(|s| s.as_ref().map(|s| s.username.clone()).unwrap_or_default())
                    >
                        {move || state.display_name.get()}
                    </span>
                    <button id="sign-out" type="button" class="button" on:click=sign_out.clone()>
                        "Sign out"
                    </button>
                </div>
            </Show>
        </header>
        <Show when=move || state.session_expired.get()>
            <div id="session-expired" class="banner" role="alert">
                "Your session has ended. Sign in again to sync — your changes are kept on this device. "
                <a href="/sign-in">"Sign in"</a>
            </div>
        </Show>
        {move || {
            state.problem.get().map(|p| view! { <div class="banner" role="alert">{p}</div> })
        }}
    }
}

/// A header link to an inbox (`/conflicts`, `/refused`) with its count as a badge, shown only
/// while the count is not 0. Its class is its id (styled as a warning).
#[component]
fn CountLink(
    id: &'static str,
    badge_id: &'static str,
    href: &'static str,
    text: &'static str,
    count: Memo<usize>,
    describe: fn(usize) -> String,
) -> impl IntoView {
    view! {
        <Show when=move || count.get() != 0>
            <a id=id class=format!("button {id}") href=href aria-label=move || describe(count.get())>
                {text}
                <span id=badge_id class="badge">{move || count.get()}</span>
            </a>
        </Show>
    }
}
