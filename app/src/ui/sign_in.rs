//! `/sign-in`: the relay checks the password; the app keeps the session so it works offline.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use super::field::LabelledField;
use crate::state::AppState;

#[component]
pub fn SignIn() -> impl IntoView {
    let state = expect_context::<AppState>();
    let session = expect_context::<crate::session::Session>();
    let navigate = use_navigate();
    let username = RwSignal::new(
        state
            .session
            .with_untracked(|s| s.as_ref().map(|s| s.username.clone()))
            .unwrap_or_default(),
    );
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    // One sign-in at a time: the action is pending until the relay has answered.
    let sign_in = Action::new_local(move |(user, pass): &(String, String)| {
        let (user, pass) = (user.clone(), pass.clone());
        let navigate = navigate.clone();
        async move {
            error.set(None);
            match session.sign_in(&user, &pass).await {
                Ok(()) => {
                    password.set(String::new());
                    navigate(
                        "/",
                        NavigateOptions {
                            replace: true,
                            ..Default::default()
                        },
                    );
                }
                Err(e) => error.set(Some(e)),
            }
        }
    });
    let busy = sign_in.pending();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let user = username.get_untracked().trim().to_string();
        sign_in.dispatch_local((user, password.get_untracked()));
    };

    view! {
        <section class="page sign-in-page">
            <h1>"Sign in"</h1>
            <p class="muted">
                "Sign in once while the relay is reachable; after that Outpost opens and works on this device without a network."
            </p>
            <form class="card sign-in" on:submit=submit novalidate>
                <LabelledField label="Username" for_id="username" wide=true>
                    <input
                        id="username"
                        type="text"
                        autocomplete="username"
                        autocapitalize="none"
                        required
                        prop:value=move || username.get()
                        on:input=move |ev| username.set(event_target_value(&ev))
                    />
                </LabelledField>
                <LabelledField label="Password" for_id="password" wide=true>
                    <input
                        id="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                </LabelledField>
                {move || error.get().map(|e| view! { <p class="sign-in-error form-error" role="alert">{e}</p> })}
                <div class="actions wide">
                    <button id="sign-in" type="submit" class="button primary" disabled=move || busy.get()>
                        {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </div>
            </form>
        </section>
    }
}
