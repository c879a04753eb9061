//! The record picker: a reference field (`Input::Record`, `Input::Records`) is chosen from the
//! records on this device, searched by number and title as the person types, offline, from
//! the summaries alone (`shared::links::search`; no document is loaded).
//!
//! The control keeps the field's text as before (`#f-<key>` holds the number, or for a list
//! one number per line), so a number can still be typed or pasted; the picker only fills it.
//! Its suggestions are `#<control>-results` buttons carrying `data-number`. A picker for CIs
//! or assets also reads their tags with the camera (`#<id>-scan`): a technician adds the
//! printer in front of them to the incident by its label, offline.

use leptos::prelude::*;

use crate::state::AppState;

/// How many suggestions show at once.
const SHOWN: usize = 8;

/// One record to choose (`multiple`: records, one number per line in the text area `id`, each
/// pick adding a line; the search box is then `#<id>-pick`).
#[component]
pub fn RecordPicker(
    id: String,
    /// The record types it offers (`shared::references::kinds`).
    kind: &'static str,
    value: Signal<String>,
    set: Callback<String>,
    #[prop(optional)] multiple: bool,
    /// Offers only records that are not finished (a retired service takes no new incidents).
    #[prop(optional)]
    open_only: bool,
    /// Shows the choice without letting it change (a field fixed once the record exists).
    #[prop(optional, into)]
    locked: Signal<bool>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    // What the search box holds: for one record the field itself, for several its own box.
    let typed = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let query = move || match multiple {
        true => typed.get(),
        false => value.get(),
    };
    let results = move || {
        let query = query();
        if !open.get() || query.trim().is_empty() {
            return vec![];
        }
        state.summaries.with(|m| {
            let offered = m.values().filter(|s| !open_only || s.open);
            shared::links::search(offered, kind, &query, SHOWN)
                .into_iter()
                .map(|s| (s.number.clone(), s.title.clone(), s.status_label.clone()))
                .collect::<Vec<_>>()
        })
    };
    let choose = move |number: String| {
        match multiple {
            true => {
                let mut lines: Vec<String> = value
                    .get_untracked()
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect();
                if !lines.iter().any(|l| l.eq_ignore_ascii_case(&number)) {
                    lines.push(number);
                }
                set.run(lines.join("\n"));
                typed.set(String::new());
            }
            false => set.run(number),
        }
        open.set(false);
    };
    let scannable = shared::references::kinds(kind).any(shared::tags::carries_tag);
    let scanning = RwSignal::new(false);
    let scan_problem = RwSignal::new(None::<String>);
    let scanned = Callback::new(move |tag: String| {
        match super::scan::find_tagged(state, shared::references::kinds(kind), &tag) {
            Ok((_, _, number)) => {
                scan_problem.set(None);
                scanning.set(false);
                choose(number);
            }
            Err(why) => scan_problem.set(Some(why)),
        }
    });
    let scan_id = format!("{id}-scan");
    let scan = scannable.then(|| {
        view! {
            <button
                type="button"
                class="button scan-into"
                id=scan_id.clone()
                on:click=move |_| {
                    scan_problem.set(None);
                    scanning.update(|s| *s = !*s);
                }
            >
                {move || if scanning.get() { "Stop scanning" } else { "Scan a tag" }}
            </button>
            {move || scan_problem.get().map(|p| view! { <p class="form-error" role="alert" id=format!("{scan_id}-error")>{p}</p> })}
            <Show when=move || scanning.get()>
                <super::scan::TagCamera id="picker-scan" on_tag=scanned />
            </Show>
        }
    });
    let results_id = format!("{id}-results");
    let search_id = match multiple {
        true => format!("{id}-pick"),
        false => id.clone(),
    };
    let placeholder = format!("Search {} by number or name", noun(kind));
    let search_box = view! {
        <input
            id=search_id
            type="search"
            class="picker-search"
            autocomplete="off"
            role="combobox"
            aria-controls=results_id.clone()
            aria-expanded=move || (!results().is_empty()).to_string()
            placeholder=placeholder.clone()
            // A list's search box has no label of its own (the label names the list).
            aria-label=multiple.then_some(placeholder)
            disabled=move || locked.get()
            prop:value=query
            on:focus=move |_| open.set(true)
            on:input=move |ev| {
                open.set(true);
                let text = event_target_value(&ev);
                match multiple {
                    true => typed.set(text),
                    false => set.run(text),
                }
            }
        />
    };
    let list = view! {
        <ul class="picker-results" id=results_id role="listbox">
            {move || {
                results()
                    .into_iter()
                    .map(|(number, title, status)| {
                        let (chosen, data) = (number.clone(), number.clone());
                        view! {
                            <li role="option">
                                <button
                                    type="button"
                                    class="picker-option"
                                    data-number=data
                                    on:click=move |_| choose(chosen.clone())
                                >
                                    <strong>{number}</strong>
                                    " "
                                    {title}
                                    <span class="muted">{format!(" · {status}")}</span>
                                </button>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    };
    match multiple {
        true => view! {
            <div class="picker">
                <textarea
                    id=id
                    rows="3"
                    placeholder="One number per line"
                    prop:value=move || value.get()
                    on:input=move |ev| set.run(event_target_value(&ev))
                ></textarea>
                {search_box}
                {list}
                {scan}
            </div>
        }
        .into_any(),
        false => view! { <div class="picker">{search_box}{list}{scan}</div> }.into_any(),
    }
}

/// "service or configuration item" for `service|configuration_item`.
fn noun(kind: &'static str) -> String {
    shared::references::kinds(kind)
        .map(|k| shared::forms::of(k).map_or(k.replace('_', " "), |f| f.noun().to_string()))
        .collect::<Vec<_>>()
        .join(" or ")
}
