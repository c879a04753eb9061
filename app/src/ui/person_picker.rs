//! A field naming a person (an assignee, an owner, a major incident owner), chosen by display
//! name from the directory the device keeps (`AppState::directory`, so offline too) and stored
//! as the person's username. What it offers is `shared::directory::choices`: a value the
//! directory does not list (someone out of sight, or a name typed before pickers) is offered
//! as itself, so it shows and stays until someone picks another.

use leptos::prelude::*;

use crate::state::AppState;

#[component]
pub fn PersonPicker(
    /// The `<select>`'s id, which its label names.
    id: String,
    chosen: Signal<String>,
    on_pick: Callback<String>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <select
            id=id
            class="person-picker"
            on:change=move |ev| on_pick.run(event_target_value(&ev))
        >
            {move || {
                let chosen = chosen.get();
                let offered = state
                    .directory
                    .with(|d| shared::directory::choices(d, &chosen));
                std::iter::once((String::new(), "No one".to_string()))
                    .chain(offered)
                    .map(|(username, name)| {
                        let selected = username == chosen.trim();
                        view! { <option value=username prop:selected=selected>{name}</option> }
                    })
                    .collect_view()
            }}
        </select>
    }
}
