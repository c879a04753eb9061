//! A record the signed-in person may read but not change (`shared::access`, the rule the relay
//! applies) is shown read-only: no Save, no actions, and this notice says why.

use leptos::prelude::*;

/// The reason the form is read-only, or nothing when it is not.
#[component]
pub fn ReadOnlyNotice(#[prop(into)] reason: Signal<Option<String>>) -> impl IntoView {
    move || {
        reason.get().map(|reason| {
            view! {
                <p class="banner read-only-notice" id="read-only-notice" role="status">
                    {reason}
                </p>
            }
        })
    }
}
