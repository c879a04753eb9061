//! Changes the relay did not accept (`/refused`, a badge in the header and a banner on the
//! record): which record, the relay's reason, and what the held-back change did, field by field,
//! so the person can hand it to someone who may make it. They discard it (the record becomes
//! the relay's version) or keep it and try again, e.g. once their rights are back (that also
//! happens by itself when the relay's account of them changes).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ids::DocumentId;
use shared::sync::NotAccepted;

use crate::state::AppState;

/// How many records have a change the relay did not accept (the header's badge).
pub(crate) fn count(state: &AppState) -> Memo<usize> {
    let refused = state.refused;
    Memo::new(move |_| refused.with(|m| m.len()))
}

#[component]
pub fn Refused() -> impl IntoView {
    let state = expect_context::<AppState>();
    let error = RwSignal::new(None::<String>);
    view! {
        <section class="page refused-page">
            <nav class="crumbs">
                <a href="/">"← Incidents"</a>
            </nav>
            <div class="page-head">
                <h1>"Not accepted by the relay"</h1>
                <span class="muted">"Your changes the relay refused: kept on this device, not sent again"</span>
            </div>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {move || {
                let list = state.refused.get();
                if list.is_empty() {
                    return view! {
                        <p class="empty" id="refused-empty">"The relay has accepted every change made on this device."</p>
                    }
                        .into_any();
                }
                let cards = list
                    .into_iter()
                    .map(|(id, entry)| refused_card(state, id, entry, error))
                    .collect_view();
                view! { <ul id="refused-list" class="refused-list">{cards}</ul> }.into_any()
            }}
        </section>
    }
}

fn refused_card(
    state: AppState,
    id: DocumentId,
    entry: NotAccepted,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let summary = state.summaries.with_untracked(|m| m.get(&id).cloned());
    let (number, title, href) = match &summary {
        Some(s) => (
            s.number.clone(),
            s.title.clone(),
            super::list::record_href(&s.kind, &s.id),
        ),
        None => (id.to_string(), "(not a listed record)".into(), "#".into()),
    };
    let changes = state
        .held_changes(&id)
        .into_iter()
        .flat_map(|change| change.fields)
        .map(|f| {
            view! {
                <li>
                    <code>{f.field}</code>
                    " "
                    {f.action.as_str()}
                    " "
                    <span class="value">{f.value}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <li class="card refused-record" data-id=id.to_string()>
            <h2>
                <a class="refused-number" href=href>{number}</a>
                " "
                <span class="refused-title">{title}</span>
            </h2>
            <p class="refused-reason">{entry.refusal.reason.clone()}</p>
            <p class="muted">{format!("Refused {}", super::local_time(entry.at))}</p>
            <details class="refused-changes">
                <summary>"Your change"</summary>
                <ul>{changes}</ul>
            </details>
            <Choices id=id error=error />
        </li>
    }
}

/// A banner on a record whose change the relay did not accept.
#[component]
pub fn RefusedBanner(#[prop(into)] id: Signal<Option<DocumentId>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let error = RwSignal::new(None::<String>);
    move || {
        let id = id.get()?;
        let entry = state.refused.with(|m| m.get(&id).cloned())?;
        Some(view! {
            <div class="banner refused-banner" id="refused-banner" role="alert">
                <p>
                    <strong>"Not accepted by the relay: "</strong>
                    <span id="refused-reason">{entry.refusal.reason}</span>
                </p>
                <p class="muted">
                    "Your change is kept on this device and shown here, but not sent. Changes others make still arrive."
                </p>
                {move || error.get().map(|e| view! { <p class="form-error">{e}</p> })}
                <Choices id=id error=error />
            </div>
        })
    }
}

/// Discard the refused change, or keep it and try again.
#[component]
fn Choices(id: DocumentId, error: RwSignal<Option<String>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let discard = Action::new_local(move |_: &()| async move { state.discard_refused(id).await });
    Effect::new(move |_| {
        if let Some(Err(e)) = discard.value().get() {
            error.set(Some(format!("Not discarded: {e}")));
        }
    });
    let retry = move |_| spawn_local(state.retry_refused(id));
    view! {
        <div class="actions">
            <button
                type="button"
                class="button refused-discard"
                disabled=move || discard.pending().get()
                on:click=move |_| {
                    discard.dispatch(());
                }
            >
                "Discard my change"
            </button>
            <button type="button" class="button refused-retry" on:click=retry>
                "Keep it and try again"
            </button>
        </div>
    }
}
