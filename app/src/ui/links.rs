//! A record's references, drawn from the summaries on this device (`shared::links`): what it
//! names, each a link to that record or its number and "not on this device"; what names it
//! ("Referenced by"); for a configuration item what depends on it and the open work touching
//! that ("Impact"); for a change the services it may affect. `shared` decides; this renders.

use leptos::prelude::*;
use shared::ids::DocumentId;
use shared::links::{self, Directory, Impact, Target, referred_as};
use shared::summary::Summary;

use super::list::record_href;
use crate::state::AppState;

/// A record as a link (`a.record-link`), or its number and "not on this device".
fn link_to(target: Target) -> AnyView {
    match target {
        Target::Here(s) => view! {
            <a class="record-link" href=record_href(&s.kind, &s.id) data-number=s.number.clone()>
                <strong>{s.number.clone()}</strong>
                " "
                {s.title.clone()}
            </a>
            <span class="muted">{format!(" · {}", s.status_label)}</span>
        }
        .into_any(),
        Target::NotOnDevice(number) => {
            let data = number.clone();
            view! {
            <span class="not-on-device" data-number=data>
                <strong>{number}</strong>
                " — not on this device"
            </span>
            }
            .into_any()
        }
    }
}

/// The references of record `id` and the records referring to it.
#[component]
pub fn RecordLinks(id: DocumentId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lists = Memo::new(move |_| {
        state.summaries.with(|all| {
            let this: Summary = all.get(&id)?.clone();
            let directory = Directory::new(links::relevant(all.values(), &this));
            let outgoing: Vec<(String, Target)> = this
                .links
                .iter()
                .map(|l| {
                    let via = match relation(&l.via) {
                        Some(relation) => relation.to_string(),
                        None => referred_as(&l.via, &this.kind),
                    };
                    (via, directory.resolve(&l.number, &l.id))
                })
                .collect();
            let incoming: Vec<(String, Target)> = directory
                .referenced_by(&this.number)
                .into_iter()
                .map(|(s, via)| (referred_as(via, &s.kind), Target::Here(Box::new(s.clone()))))
                .collect();
            let impact = matches!(this.kind.as_str(), "configuration_item" | "service")
                .then(|| directory.impact(&this.number));
            let affected = (this.kind == "change").then(|| directory.services_affected(&this));
            let resolve = |numbers: &[String]| -> Vec<Target> {
                numbers.iter().map(|n| directory.resolve(n, "")).collect()
            };
            let impact = impact.map(|i| ImpactView::of(&i, &resolve));
            let affected = affected.map(|a| resolve(&a));
            Some((outgoing, incoming, impact, affected))
        })
    });
    move || {
        let (outgoing, incoming, impact, affected) = lists.get()?;
        let rows = |rows: Vec<(String, Target)>| {
            rows.into_iter()
                .map(|(via, target)| {
                    view! { <li><span class="via">{via}</span>" "{link_to(target)}</li> }
                })
                .collect_view()
        };
        Some(view! {
            <section class="card record-section" id="links" data-section="Links">
                <h2>"Links"</h2>
                {match outgoing.is_empty() {
                    true => view! { <p class="muted">"It names no other record."</p> }.into_any(),
                    false => view! { <ul class="section-rows">{rows(outgoing)}</ul> }.into_any(),
                }}
            </section>
            <section class="card record-section" id="referenced-by" data-section="Referenced by">
                <h2>"Referenced by"</h2>
                {match incoming.is_empty() {
                    true => view! { <p class="muted">"No record on this device names it."</p> }.into_any(),
                    false => view! { <ul class="section-rows">{rows(incoming)}</ul> }.into_any(),
                }}
            </section>
            {impact.map(|i| i.view())}
            {affected.map(|services| view! {
                <section class="card record-section" id="services-affected" data-section="Services it may affect">
                    <h2>"Services it may affect"</h2>
                    {targets(services, "None on this device.")}
                </section>
            })}
        })
    }
}

/// A CI relationship's own words, from the side that holds it: "runs on".
pub(crate) fn relation(via: &str) -> Option<&'static str> {
    shared::records::ci::RELATION_KINDS.label(via)
}

fn targets(list: Vec<Target>, none: &'static str) -> AnyView {
    match list.is_empty() {
        true => view! { <p class="muted">{none}</p> }.into_any(),
        false => view! {
            <ul class="section-rows">
                {list.into_iter().map(|t| view! { <li>{link_to(t)}</li> }).collect_view()}
            </ul>
        }
        .into_any(),
    }
}

/// [`Impact`] resolved for showing.
#[derive(Clone, PartialEq)]
struct ImpactView {
    cis: Vec<Target>,
    services: Vec<Target>,
    incidents: Vec<Target>,
    changes: Vec<Target>,
    cut_short: bool,
}

impl ImpactView {
    fn of(impact: &Impact, resolve: &dyn Fn(&[String]) -> Vec<Target>) -> Self {
        ImpactView {
            cis: resolve(&impact.cis),
            services: resolve(&impact.services),
            incidents: resolve(&impact.incidents),
            changes: resolve(&impact.changes),
            cut_short: impact.cut_short,
        }
    }

    fn view(self) -> impl IntoView {
        let part = |key: &'static str, title: &'static str, list: Vec<Target>| {
            view! {
                <div class="impact-part" data-impact=key>
                    <h3>{title}</h3>
                    {targets(list, "None.")}
                </div>
            }
        };
        view! {
            <section class="card record-section" id="impact" data-section="Impact">
                <h2>"Impact: what depends on it"</h2>
                {part("cis", "Configuration items", self.cis)}
                {part("services", "Services", self.services)}
                {part("incidents", "Open incidents", self.incidents)}
                {part("changes", "Planned changes", self.changes)}
                {self.cut_short.then(|| view! {
                    <p class="muted">"Stopped after 2,000 records: there may be more."</p>
                })}
            </section>
        }
    }
}
