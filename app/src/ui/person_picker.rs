//! A field naming a person (an assignee, an owner, a major incident owner), chosen by display
//! name from the directory the device keeps (`AppState::directory`, so offline too) and stored
//! as the person's username. The control is a text field with the directory as its list
//! (`<datalist>`: the browser offers the people by name as the person types either), and the
//! chosen person's display name beside it; the list is `shared::directory::choices`. A value
//! the directory does not list (someone out of sight, or a name typed before pickers) shows
//! as itself, never an error, and stays until someone changes it.

use leptos::prelude::*;

use crate::state::AppState;

/// `#<id>` the text field, `#<id>-people` its list (`option[value=username][label=name]`),
/// `#<id>-name` the chosen person's display name.
#[component]
pub fn PersonPicker(
    /// The text field's id, which its label names.
    id: String,
    chosen: Signal<String>,
    on_pick: Callback<String>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let list = format!("{id}-people");
    let name_id = format!("{id}-name");
    view! {
        <span class="person-picker">
            <input
                id=id
                type="text"
                list=list.clone()
                autocomplete="off"
                autocapitalize="none"
                placeholder="Type a name"
                prop:value=chosen
                on:input=move |ev| on_pick.run(event_target_value(&ev))
            />
            <datalist id=list>
                {move || {
                    state
                        .directory
                        .with(|d| shared::directory::choices(d, &chosen.get()))
                        .into_iter()
                        .map(|(username, name)| view! { <option value=username label=name></option> })
                        .collect_view()
                }}
            </datalist>
            <span class="person-name muted" id=name_id>
                {move || {
                    let chosen = chosen.get();
                    state.person_name(chosen.trim())
                }}
            </span>
        </span>
    }
}
