//! `/records`: every record type, by area of the standard, with how many of each are open on
//! this device. The way in to every list.

use std::collections::HashMap;

use leptos::prelude::*;
use shared::forms::{self, Area};

use crate::state::AppState;

#[component]
pub fn Records() -> impl IntoView {
    let state = expect_context::<AppState>();
    // Open records per type, from the summaries (no document is read).
    let open = Memo::new(move |_| {
        state.summaries.with(|m| {
            let mut open: HashMap<String, usize> = HashMap::new();
            for s in m.values().filter(|s| s.open) {
                *open.entry(s.kind.clone()).or_default() += 1;
            }
            open
        })
    });
    let link = move |kind: &'static str, href: String, label: &'static str| {
        view! {
            <li>
                <a id=format!("nav-{kind}") href=href>{label}</a>
                " "
                <span class="muted count">
                    {move || format!("{} open", open.with(|o| o.get(kind).copied().unwrap_or(0)))}
                </span>
            </li>
        }
    };
    view! {
        <section class="page records-page">
            <div class="page-head">
                <h1>"Records"</h1>
            </div>
            <div class="areas">
                {Area::ALL
                    .into_iter()
                    .map(|area| {
                        let calendar = (area == Area::Change).then(|| {
                            view! {
                                <li><a id="nav-change-calendar" href="/changes/calendar">"Change calendar"</a></li>
                            }
                        });
                        let lists = forms::all()
                            .filter(|f| f.area() == area && may_see(&state, *f))
                            .map(|f| link(f.kind(), super::list::Pages::of(f).list, f.plural()))
                            .collect_view();
                        view! {
                            <section class="card area">
                                <h2>{area.label()}</h2>
                                <ul class="area-links">{lists}{calendar}</ul>
                            </section>
                        }
                    })
                    .collect_view()}
            </div>
        </section>
    }
}

/// Whether the signed-in person works records of `form`'s type at all (security incidents
/// need the security role; the relay would not take them from anyone else).
pub(crate) fn may_see(state: &AppState, form: forms::Form) -> bool {
    form.restricted_to().is_none_or(|role| {
        state
            .session
            .with(|s| s.as_ref().is_some_and(|s| s.has_role(role)))
    })
}
