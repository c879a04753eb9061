//! The conflict inbox (`/conflicts`): every record on the device that the post-merge check
//! (`shared::review`) flags. For a field written on two devices at once the person sees every
//! value with who wrote it and chooses one (written as a new change, which resolves the
//! conflict everywhere once synced; a person who may only read the record sees the values and
//! why there is no choice); a broken workflow rule is explained and links to the record.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ids::DocumentId;
use shared::review::{Attention, Conflict};

use crate::state::AppState;

/// How many records need a person (the header's badge).
pub(crate) fn open_count(state: &AppState) -> Memo<usize> {
    let state = *state;
    // From the summaries alone: reviewing every document on every change took seconds with
    // 10,000 records.
    Memo::new(move |_| {
        state
            .summaries
            .with(|m| m.values().filter(|s| s.attention > 0).count())
    })
}

#[component]
pub fn Conflicts() -> impl IntoView {
    let state = expect_context::<AppState>();
    let records = Memo::new(move |_| {
        state.revision.track();
        state.summaries.track();
        state.attention_all()
    });
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    view! {
        <section class="page conflicts-page">
            <nav class="crumbs">
                <a href="/">"← Incidents"</a>
            </nav>
            <div class="page-head">
                <h1>"Conflicts"</h1>
                <span class="muted">"Records changed on two devices at once, or merged into a state the rules forbid"</span>
            </div>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert" id="conflict-error">{e}</p> })}
            {move || {
                let list = records.get();
                if list.is_empty() {
                    let text = if state.loaded.get() {
                        "Nothing needs a decision: every record on this device merged cleanly."
                    } else {
                        "Reading the records on this device…"
                    };
                    return view! { <p class="empty" id="conflicts-empty" class:ready=move || state.loaded.get()>{text}</p> }
                        .into_any();
                }
                let cards = list
                    .into_iter()
                    .map(|(summary, found)| {
                        let id: Option<DocumentId> = summary.id.parse().ok();
                        // A person who may only read the record sees the values but no choice:
                        // the relay would refuse the change a choice writes.
                        let refusal = id.as_ref().and_then(|id| state.may_write(id).err());
                        let href = super::list::record_href(&summary.kind, &summary.id);
                        let items = found
                            .into_iter()
                            .map(|a| match a {
                                Attention::Conflict(c) => match &refusal {
                                    None => conflict_view(state, id, c, error, busy).into_any(),
                                    Some(refusal) => {
                                        read_only_conflict_view(c, &refusal.reason).into_any()
                                    }
                                },
                                other => {
                                    view! {
                                        <li class="conflict-rule">
                                            <p>{other.to_string()}</p>
                                            <a class="button" href=href.clone()>"Open the record to correct it"</a>
                                        </li>
                                    }
                                        .into_any()
                                }
                            })
                            .collect_view();
                        view! {
                            <li class="card conflict-record" data-id=summary.id.clone()>
                                <h2>
                                    <a class="conflict-number" href=href.clone()>{summary.number.clone()}</a>
                                    " "
                                    <span class="conflict-title">{summary.title.clone()}</span>
                                </h2>
                                <ul class="conflict-items">{items}</ul>
                            </li>
                        }
                    })
                    .collect_view();
                view! { <ul id="conflict-list" class="conflict-list">{cards}</ul> }.into_any()
            }}
        </section>
    }
}

/// Who wrote a conflicting value, in words.
fn written_by(author: &Option<String>) -> String {
    author
        .clone()
        .map_or("written outside Outpost".to_string(), |a| format!("by {a}"))
}

/// A conflict shown to a person who may not change the record: the values and who wrote them,
/// and why there is nothing to choose.
fn read_only_conflict_view(c: Conflict, reason: &str) -> impl IntoView {
    let values = c
        .values
        .iter()
        .zip(c.authors.iter().chain(std::iter::repeat(&None)))
        .map(|(value, author)| {
            view! {
                <li class="conflict-value" data-value=value.clone()>
                    <span class="value">{value.clone()}</span>
                    " "
                    <span class="author muted">{written_by(author)}</span>
                </li>
            }
        })
        .collect_view();
    let why = view! {
        <p class="conflict-read-only muted">
            {format!("{reason} Someone who may change it chooses the value to keep.")}
        </p>
    };
    field_view(
        c.field,
        " was changed on two devices at once:",
        values,
        Some(why),
    )
}

/// One conflicting field: what happened, its values (as `values` shows them) and a note.
fn field_view(
    field: String,
    what: &'static str,
    values: impl IntoView + 'static,
    note: Option<impl IntoView + 'static>,
) -> impl IntoView {
    view! {
        <li class="conflict-field" data-field=field.clone()>
            <p>
                <code class="conflict-field-name">{field.clone()}</code>
                {what}
            </p>
            <ul class="conflict-values">{values}</ul>
            {note}
        </li>
    }
}

fn conflict_view(
    state: AppState,
    id: Option<DocumentId>,
    c: Conflict,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let field = c.field.clone();
    let buttons = c
        .values
        .iter()
        .zip(c.authors.iter().chain(std::iter::repeat(&None)))
        .enumerate()
        .map(|(i, (value, author))| {
            let by = written_by(author);
            let label = format!("Keep {value} as {field} ({by})");
            let shown = value.clone();
            let (field, value) = (field.clone(), value.clone());
            let choose = move |_| {
                let Some(id) = id else { return };
                let (field, value) = (field.clone(), value.clone());
                busy.set(true);
                error.set(None);
                spawn_local(async move {
                    if let Err(e) = state.choose_value(id, field, value).await {
                        error.set(Some(format!("Not saved: {e}")));
                    }
                    busy.set(false);
                });
            };
            view! {
                <li>
                    <button
                        type="button"
                        class="button choose-value"
                        data-value=shown.clone()
                        aria-label=label
                        prop:disabled=move || busy.get()
                        on:click=choose
                    >
                        <span class="value">{shown.clone()}</span>
                        <span class="author muted">{by}</span>
                        {(i == 0).then(|| view! { <span class="kept muted">"(shown now)"</span> })}
                    </button>
                </li>
            }
        })
        .collect_view();
    field_view(
        c.field,
        " was changed on two devices at once. Choose the value to keep:",
        buttons,
        None::<()>,
    )
}
