//! Knowledge from an incident: the published articles on this device that its title and
//! description suggest, or that a search finds (`shared::records::knowledge`), offline; the
//! article followed is cited in the incident's work log in one tap.

use leptos::prelude::*;
use shared::forms::Values;
use shared::ids::DocumentId;
use shared::records::knowledge::{Article, KNOWLEDGE_ARTICLE, search, suggest};

use super::list::record_href;
use crate::state::AppState;

/// `incident`: the incident's document, once it has one; `text`: its title and description.
#[component]
pub fn Knowledge(
    incident: RwSignal<Option<DocumentId>>,
    #[prop(into)] text: Signal<String>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let query = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    // Read again only when an article changed, not on every change synced.
    let version = Memo::new(move |_| state.revision_of(KNOWLEDGE_ARTICLE.kind));
    let articles = Memo::new(move |_| {
        // Read, not only tracked: a memo nobody reads is never computed, so it would never
        // hear of a change.
        version.get();
        state
            .records_of(KNOWLEDGE_ARTICLE.kind)
            .into_iter()
            .map(|(id, r)| (id, Article::of(&r)))
            .collect::<Vec<_>>()
    });
    let found = Memo::new(move |_| {
        let query = query.get();
        articles.with(|all| {
            let plain: Vec<Article> = all.iter().map(|(_, a)| a.clone()).collect();
            let hits = if query.trim().is_empty() {
                text.with(|t| suggest(&plain, t))
            } else {
                search(&plain, &query)
            };
            hits.into_iter()
                .filter_map(|a| all.iter().find(|(_, b)| b.number == a.number).cloned())
                .collect::<Vec<_>>()
        })
    });
    let cite = move |number: String| {
        let Some(id) = incident.get_untracked() else {
            return;
        };
        let values = Values::from([("article".to_string(), number.clone())]);
        leptos::task::spawn_local(async move {
            let result = state.act_on_record(id, "cite".into(), values).await;
            status.set(match result {
                Ok(()) => format!("Cited {number} in the work log"),
                Err(e) => format!("Not cited: {e}"),
            });
        });
    };
    view! {
        <section class="card knowledge" id="knowledge">
            <h2>"Knowledge"</h2>
            <div class="field">
                <label for="knowledge-search">"Search knowledge articles"</label>
                <input
                    id="knowledge-search"
                    type="search"
                    placeholder="Empty: articles this incident's words suggest"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
            </div>
            <Show when=move || found.with(Vec::is_empty)>
                <p class="muted" id="knowledge-none">
                    {move || if query.get().trim().is_empty() { "No article matches this incident's words." } else { "No article matches." }}
                </p>
            </Show>
            <ul class="knowledge-list">
                {move || {
                    found
                        .get()
                        .into_iter()
                        .map(|(id, a)| {
                            let number = a.number.clone();
                            let first_step = a.steps.first().cloned().unwrap_or_default();
                            view! {
                                <li class="knowledge-article" data-number=a.number.clone()>
                                    <a href=record_href(KNOWLEDGE_ARTICLE.kind, &id.to_string())>
                                        {format!("{} {}", a.number, a.title)}
                                    </a>
                                    <p class="symptom">{a.symptom.clone()}</p>
                                    <p class="first-step">{format!("First step: {first_step}")}</p>
                                    <button
                                        type="button"
                                        class="button cite-article"
                                        // Citing writes the incident.
                                        disabled=move || incident.with(|i| i.is_none_or(|i| state.may_write(&i).is_err()))
                                        on:click=move |_| cite(number.clone())
                                    >
                                        "Cite in the work log"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <p id="knowledge-status" role="status">{move || status.get()}</p>
        </section>
    }
}
