//! `/changes/calendar`: every change with a planned window, in time order, the freeze windows,
//! and the collisions `shared::records::change::collisions` finds (overlapping windows, what
//! both touch, and changes planned in a freeze window).

use leptos::prelude::*;
use shared::records::change::{self, CHANGE, Change, Collision, FREEZE_WINDOW};

use super::list::record_href;
use crate::state::AppState;

#[component]
pub fn ChangeCalendar() -> impl IntoView {
    let state = expect_context::<AppState>();
    // Read again only when a change or a freeze window changed.
    let version = Memo::new(move |_| {
        (
            state.revision_of(CHANGE.kind),
            state.revision_of(FREEZE_WINDOW.kind),
        )
    });
    let calendar = Memo::new(move |_| {
        // Read, not only tracked: a memo nobody reads is never computed, so it would never
        // hear of a change.
        version.get();
        let mut changes: Vec<(_, Change)> = state
            .records_of(CHANGE.kind)
            .into_iter()
            .map(|(id, r)| (id, Change::of(&r)))
            .collect();
        shared::order::sort_by_key(&mut changes, |(_, c)| (c.planned_start, c.number.clone()));
        let plain: Vec<Change> = changes.iter().map(|(_, c)| c.clone()).collect();
        let freezes = state.freeze_windows();
        let collisions = change::collisions(&plain, &freezes);
        (changes, collisions, freezes)
    });
    let involved = move |number: &str| {
        calendar.with(|(_, collisions, _)| {
            collisions.iter().any(|c| match c {
                Collision::Changes { a, b, .. } => a == number || b == number,
                Collision::Freeze { change, .. } => change == number,
            })
        })
    };
    let when = |t: Option<shared::time::Timestamp>| t.map_or("—".to_string(), super::local_time);
    view! {
        <section class="page calendar-page">
            <nav class="crumbs"><a href="/records/change">"← Changes"</a></nav>
            <div class="page-head"><h1>"Change calendar"</h1></div>
            <section class="card">
                <h2>"Collisions"</h2>
                <ul id="collisions">
                    {move || {
                        calendar.with(|(_, collisions, _)| {
                            if collisions.is_empty() {
                                return view! { <li class="muted">"No planned changes overlap."</li> }.into_any();
                            }
                            collisions
                                .iter()
                                .map(|c| {
                                    let text = match c {
                                        Collision::Changes { a, b, shared } if shared.is_empty() => {
                                            format!("{a} and {b} are planned at overlapping times")
                                        }
                                        Collision::Changes { a, b, shared } => format!(
                                            "{a} and {b} are planned at overlapping times and both touch {}",
                                            shared.join(", ")
                                        ),
                                        Collision::Freeze { change, freeze } => {
                                            format!("{change} falls in the freeze window {freeze}")
                                        }
                                    };
                                    view! { <li class="collision" role="alert">{text}</li> }
                                })
                                .collect_view()
                                .into_any()
                        })
                    }}
                </ul>
            </section>
            <section class="card">
                <h2>"Freeze windows"</h2>
                <ul id="freeze-windows">
                    {move || {
                        calendar.with(|(_, _, freezes)| {
                            if freezes.is_empty() {
                                return view! { <li class="muted">"No freeze windows."</li> }.into_any();
                            }
                            freezes
                                .iter()
                                .map(|f| {
                                    let text = format!(
                                        "{}: {} – {}",
                                        f.name,
                                        when(Some(f.start)),
                                        when(Some(f.end))
                                    );
                                    view! { <li class="freeze-window">{text}</li> }
                                })
                                .collect_view()
                                .into_any()
                        })
                    }}
                </ul>
            </section>
            <table class="card calendar">
                <thead>
                    <tr><th>"Change"</th><th>"Title"</th><th>"Planned start"</th><th>"Planned end"</th><th>"Status"</th></tr>
                </thead>
                <tbody>
                    {move || {
                        calendar.with(|(changes, _, _)| {
                            changes
                                .iter()
                                .map(|(id, c)| {
                                    let collides = involved(&c.number);
                                    view! {
                                        <tr class="calendar-row" class:collides=collides data-number=c.number.clone()>
                                            <td><a href=record_href(CHANGE.kind, &id.to_string())>{c.number.clone()}</a></td>
                                            <td>{c.title.clone()}</td>
                                            <td>{when(c.planned_start)}</td>
                                            <td>{when(c.planned_end)}</td>
                                            <td>{c.status.label()}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        })
                    }}
                </tbody>
            </table>
        </section>
    }
}
