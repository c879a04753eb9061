//! The labelled form field every form uses: a `<label for>` and its control in one `.field`.

use leptos::prelude::*;

/// `for_id` is the control's `id`, so the label names it (screen readers, tapping the label).
/// `wide` makes the field span the form's full width.
#[component]
pub fn LabelledField(
    label: &'static str,
    for_id: &'static str,
    #[prop(optional)] wide: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field" class:wide=wide>
            <label for=for_id>{label}</label>
            {children()}
        </div>
    }
}
