//! Logging a new incident and working an existing one.
//!
//! The form keeps its own copy of each field. When the record changes underneath it (a merge
//! from another tablet), fields the person has not touched follow the record, and fields they
//! have changed keep what they typed until they save.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use shared::ids::DocumentId;
use shared::records::Record as _;
use shared::records::incident::{IncidentEdit, IncidentStatus, WorkLogEntry};
use shared::records::priority::Level;
use shared::records::service::{Service, ServiceState};

use super::field::LabelledField;
use crate::state::{AppState, Filing, SaveError};

/// One form field: its value, and whether the person has changed it since the last save.
struct Field<T: Send + Sync + 'static> {
    value: RwSignal<T>,
    dirty: RwSignal<bool>,
}

// Signals are handles, so a field is `Copy` whatever `T` is (a derive would demand `T: Copy`).
impl<T: Send + Sync + 'static> Clone for Field<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Field<T> {}

impl<T: Clone + PartialEq + Send + Sync + 'static> Field<T> {
    fn new(value: T) -> Self {
        Self {
            value: RwSignal::new(value),
            dirty: RwSignal::new(false),
        }
    }

    /// The person typed or chose something.
    fn edit(&self, value: T) {
        self.value.set(value);
        self.dirty.set(true);
    }

    /// The record changed: follow it unless the person has their own value pending.
    fn follow(&self, value: T) {
        if !self.dirty.get_untracked() && self.value.get_untracked() != value {
            self.value.set(value);
        }
    }

    /// After a save: show the record as it now is.
    fn reset(&self, value: T) {
        self.value.set(value);
        self.dirty.set(false);
    }

    fn get(&self) -> T {
        self.value.get_untracked()
    }
}

#[derive(Clone, Copy)]
struct Form {
    title: Field<String>,
    description: Field<String>,
    impact: Field<Level>,
    urgency: Field<Level>,
    status: Field<IncidentStatus>,
    assignee: Field<String>,
    note: Field<String>,
}

impl Form {
    fn new(e: IncidentEdit) -> Self {
        Self {
            title: Field::new(e.title),
            description: Field::new(e.description),
            impact: Field::new(e.impact),
            urgency: Field::new(e.urgency),
            status: Field::new(e.status),
            assignee: Field::new(e.assignee),
            note: Field::new(e.note),
        }
    }

    fn follow(&self, e: IncidentEdit) {
        self.title.follow(e.title);
        self.description.follow(e.description);
        self.impact.follow(e.impact);
        self.urgency.follow(e.urgency);
        self.status.follow(e.status);
        self.assignee.follow(e.assignee);
    }

    fn reset(&self, e: IncidentEdit) {
        self.title.reset(e.title);
        self.description.reset(e.description);
        self.impact.reset(e.impact);
        self.urgency.reset(e.urgency);
        self.status.reset(e.status);
        self.assignee.reset(e.assignee);
        self.note.reset(String::new());
    }

    fn edit(&self) -> IncidentEdit {
        IncidentEdit {
            title: self.title.get(),
            description: self.description.get(),
            impact: self.impact.get(),
            urgency: self.urgency.get(),
            status: self.status.get(),
            assignee: self.assignee.get(),
            note: self.note.get(),
        }
    }
}

fn blank() -> IncidentEdit {
    IncidentEdit {
        title: String::new(),
        description: String::new(),
        impact: Level::Medium,
        urgency: Level::Medium,
        status: IncidentStatus::New,
        assignee: String::new(),
        note: String::new(),
    }
}

/// `id` is `None` for a new incident; the form sets it once the incident is created.
#[component]
pub fn IncidentForm(id: RwSignal<Option<DocumentId>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let navigate = use_navigate();

    // The record as the document has it now; re-read whenever any document changes.
    let record = Memo::new(move |_| {
        state.revision.track();
        id.get().and_then(|id| state.incident(&id))
    });
    let current = move || record.get().and_then(Result::ok);
    let has_record = Memo::new(move |_| record.with(|r| matches!(r, Some(Ok(_)))));

    let initial = match record.get_untracked() {
        Some(Ok(inc)) => inc.edit_form(),
        _ => blank(),
    };
    let form = Form::new(initial);
    Effect::new(move |_| {
        if let Some(inc) = current() {
            form.follow(inc.edit_form());
        }
    });

    // The site a new incident belongs to ("" for none); fixed once the record exists.
    let site = RwSignal::new(String::new());
    let my_sites = move || {
        state
            .session
            .with(|s| s.as_ref().map(|s| s.sites.clone()).unwrap_or_default())
    };
    // The team (assignment group) a new incident goes to: the person's own teams; an
    // administrator, who works every record, may route to any team the relay knows.
    let team = RwSignal::new(String::new());
    let all_teams = RwSignal::new(Vec::<String>::new());
    let is_admin = state
        .session
        .with_untracked(|s| s.as_ref().is_some_and(|s| s.has_role("administrator")));
    if is_admin && id.get_untracked().is_none() {
        spawn_local(async move {
            // Offline, the admin's own teams remain the choice.
            if let Ok(groups) = crate::api::groups("teams").await {
                all_teams.set(groups.into_iter().map(|g| g.id).collect());
            }
        });
    }
    let team_options = move || {
        let mut teams = state
            .session
            .with(|s| s.as_ref().map(|s| s.teams.clone()).unwrap_or_default());
        for t in all_teams.get() {
            if !teams.contains(&t) {
                teams.push(t);
            }
        }
        teams
    };
    // The service a new incident is about ("" for none); its SLA runs the incident's clock.
    let service = RwSignal::new(String::new());
    let service_options = move || {
        state.summaries.with(|m| {
            m.values()
                .filter(|s| {
                    s.kind == Service::KIND
                        && ServiceState::parse(&s.status).is_some_and(ServiceState::takes_incidents)
                })
                .map(|s| (s.number.clone(), format!("{} {}", s.number, s.title)))
                .collect::<Vec<_>>()
        })
    };
    let agreement = move || match id.get() {
        Some(_) => current().map(|i| state.agreement_name(&i.sla)),
        None => Some(state.agreement_name(&state.service_agreement(&service.get()))),
    };
    // Why the signed-in person may not log or change this incident (`shared::access`), if so.
    let read_only = Memo::new(move |_| {
        state.revision.track();
        match id.get() {
            Some(id) => state.may_write(&id),
            None => state.may_create(shared::records::incident::KIND),
        }
        .err()
        .map(|r| r.reason)
    });
    let writable = move || read_only.with(Option::is_none);
    let save_status = RwSignal::new(String::new());
    let form_error = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let touched = move || save_status.set("Unsaved changes".into());

    // The status the record is in decides which moves the form offers (shared's lifecycle).
    let from_status = move || current().map(|i| i.status).unwrap_or(IncidentStatus::New);
    let status_options = move || {
        let from = from_status();
        IncidentStatus::ALL
            .into_iter()
            .filter(|to| from.can_move_to(*to))
            .collect::<Vec<_>>()
    };
    let priority = move || {
        AppState::matrix()
            .priority(form.impact.value.get(), form.urgency.value.get())
            .to_string()
    };

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        save_status.set("Saving…".into());
        form_error.set(None);
        let edit = form.edit();
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = match id.get_untracked() {
                None => state
                    .create_incident(
                        edit,
                        Filing {
                            site: site.get_untracked(),
                            team: team.get_untracked(),
                            service: service.get_untracked(),
                        },
                    )
                    .await
                    .inspect(|new_id| {
                        id.set(Some(*new_id));
                        // Replace, so Back leads to the list rather than to a blank form.
                        navigate(
                            &format!("/incidents/{new_id}"),
                            NavigateOptions {
                                replace: true,
                                ..Default::default()
                            },
                        );
                    }),
                Some(id) => state.update_incident(id, edit).await.map(|()| id),
            };
            if let Ok(id) = &result {
                if let Some(inc) = state.incident(id).and_then(Result::ok) {
                    form.reset(inc.edit_form());
                }
                save_status.set("Saved".into());
            }
            if let Err(e) = result {
                // Keep everything typed: the person fixes it and saves again.
                save_status.set(format!("Not saved: {e}"));
                if let SaveError::Rejected(m) = e {
                    form_error.set(Some(m));
                }
            }
            saving.set(false);
        });
    };

    let heading = move || match (id.get(), current()) {
        (None, _) => "New incident".to_string(),
        (Some(_), Some(inc)) => inc.number,
        (Some(_), None) => "Incident".to_string(),
    };

    view! {
        <section class="page form-page">
            <nav class="crumbs">
                <a href="/">"← Incidents"</a>
            </nav>
            <div class="page-head">
                <h1>{heading}</h1>
                <span class="muted">
                    {move || {
                        current()
                            .map(|i| {
                                format!("Logged {} by {}", super::local_time(i.created_at), i.created_by)
                            })
                    }}
                </span>
            </div>
            {move || match (id.get(), record.get()) {
                (Some(_), None) if state.loaded.get() => {
                    Some(view! { <p class="banner">"This incident is not on this device (yet)."</p> }.into_any())
                }
                (Some(id), Some(Err(e))) => {
                    Some(view! { <p class="load-error" data-id=id.to_string()>{format!("{id}: {e}")}</p> }.into_any())
                }
                _ => None,
            }}
            {move || {
                state.revision.track();
                let found = id.get().map(|id| state.attention(&id)).unwrap_or_default();
                (!found.is_empty()).then(|| {
                    let reasons = found
                        .iter()
                        .map(|a| view! { <li>{a.to_string()}</li> })
                        .collect_view();
                    view! {
                        <div class="banner conflict-banner" id="conflict-banner" role="status">
                            <p>"This incident was changed on two devices at once and needs a decision:"</p>
                            <ul>{reasons}</ul>
                            <a class="button" href="/conflicts">"Open the conflict inbox"</a>
                        </div>
                    }
                })
            }}
            <super::refused::RefusedBanner id=id />
            <super::read_only::ReadOnlyNotice reason=read_only />
            {move || id.get().map(|id| view! { <super::list::SlaClock id=id /> })}
            <form class="card" on:submit=save novalidate>
                <fieldset class="plain" prop:disabled=move || !writable()>
                <LabelledField label="Title" for_id="title" wide=true>
                    <input
                        id="title"
                        type="text"
                        required
                        maxlength="200"
                        placeholder="What is wrong, in a few words"
                        prop:value=move || form.title.value.get()
                        on:input=move |ev| {
                            form.title.edit(event_target_value(&ev));
                            touched();
                        }
                    />
                </LabelledField>
                <LabelledField label="Description" for_id="description" wide=true>
                    <textarea
                        id="description"
                        rows="4"
                        placeholder="What you see, where, since when"
                        prop:value=move || form.description.value.get()
                        on:input=move |ev| {
                            form.description.edit(event_target_value(&ev));
                            touched();
                        }
                    ></textarea>
                </LabelledField>
                <LabelledField label="Impact" for_id="impact">
                    <LevelSelect id="impact" field=form.impact on_touch=touched />
                </LabelledField>
                <LabelledField label="Urgency" for_id="urgency">
                    <LevelSelect id="urgency" field=form.urgency on_touch=touched />
                </LabelledField>
                <LabelledField label="Priority" for_id="priority">
                    <output id="priority" class="readonly" for="impact urgency">{priority}</output>
                </LabelledField>
                <LabelledField label="Status" for_id="status">
                    <select
                        id="status"
                        on:change=move |ev| {
                            if let Some(s) = IncidentStatus::parse(&event_target_value(&ev)) {
                                form.status.edit(s);
                                touched();
                            }
                        }
                    >
                        <For each=status_options key=|s| *s let:s>
                            <option value=s.as_str() prop:selected=move || form.status.value.get() == s>
                                {s.to_string()}
                            </option>
                        </For>
                    </select>
                </LabelledField>
                <LabelledField label="Site" for_id="site">
                    <ScopeSelect
                        id="site"
                        none_label="No site"
                        chosen=Signal::derive(move || match id.get() {
                            Some(_) => current().map(|i| i.site).unwrap_or_default(),
                            None => site.get(),
                        })
                        options=Signal::derive(move || labelled(my_sites()))
                        locked=Signal::derive(move || id.with(Option::is_some))
                        on_pick=move |v| {
                            site.set(v);
                            touched();
                        }
                    />
                </LabelledField>
                <LabelledField label="Team" for_id="team">
                    <ScopeSelect
                        id="team"
                        none_label="No team"
                        chosen=Signal::derive(move || match id.get() {
                            Some(_) => current().map(|i| i.group).unwrap_or_default(),
                            None => team.get(),
                        })
                        options=Signal::derive(move || labelled(team_options()))
                        locked=Signal::derive(move || id.with(Option::is_some))
                        on_pick=move |v| {
                            team.set(v);
                            touched();
                        }
                    />
                </LabelledField>
                <LabelledField label="Service" for_id="service">
                    <ScopeSelect
                        id="service"
                        none_label="No service"
                        chosen=Signal::derive(move || match id.get() {
                            Some(_) => current().map(|i| i.service).unwrap_or_default(),
                            None => service.get(),
                        })
                        options=Signal::derive(service_options)
                        locked=Signal::derive(move || id.with(Option::is_some))
                        on_pick=move |v| {
                            service.set(v);
                            touched();
                        }
                    />
                </LabelledField>
                <LabelledField label="SLA" for_id="agreement">
                    <output id="agreement" class="readonly" for="service">{agreement}</output>
                </LabelledField>
                <LabelledField label="Assignee" for_id="assignee" wide=true>
                    <input
                        id="assignee"
                        type="text"
                        placeholder="Who is working on it"
                        prop:value=move || form.assignee.value.get()
                        on:input=move |ev| {
                            form.assignee.edit(event_target_value(&ev));
                            touched();
                        }
                    />
                </LabelledField>
                <LabelledField label="Add to work log" for_id="note" wide=true>
                    <textarea
                        id="note"
                        rows="3"
                        placeholder="What you did or found"
                        prop:value=move || form.note.value.get()
                        on:input=move |ev| {
                            form.note.edit(event_target_value(&ev));
                            touched();
                        }
                    ></textarea>
                </LabelledField>
                </fieldset>
                {move || form_error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <Show when=writable>
                    <div class="actions wide">
                        <button id="save" type="submit" class="button primary" disabled=move || saving.get()>
                            {move || if id.with(Option::is_some) { "Save" } else { "Log incident" }}
                        </button>
                        <span
                            id="save-status"
                            role="status"
                            class:ok=move || save_status.get() == "Saved"
                            class:error=move || save_status.get().starts_with("Not saved")
                        >
                            {move || save_status.get()}
                        </span>
                    </div>
                </Show>
            </form>
            <super::known_errors::KnownErrors incident=Signal::derive(move || current().map(|i| i.number)) />
            // Built once the record is there and kept across saves (rebuilding them on every
            // save made a save cost what the record's whole history and work log cost).
            {move || has_record.get().then(|| view! { <WorkLog entries=Signal::derive(move || current().map(|i| i.work_log).unwrap_or_default()) /> })}
            {move || id.get().filter(|_| has_record.get()).map(|id| view! { <super::history::History id=id /> })}
        </section>
    }
}

/// The site or team of a record: "none" or one of `options`. Fixed once the record exists (it
/// decides who may see the record), so then it shows the record's own value, even one that is
/// not among the person's.
#[component]
fn ScopeSelect(
    id: &'static str,
    none_label: &'static str,
    chosen: Signal<String>,
    /// (value, label) pairs.
    options: Signal<Vec<(String, String)>>,
    locked: Signal<bool>,
    on_pick: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <select id=id disabled=move || locked.get() on:change=move |ev| on_pick(event_target_value(&ev))>
            {move || {
                let chosen = chosen.get();
                let mut values = options.get();
                if !chosen.is_empty() && !values.iter().any(|(v, _)| *v == chosen) {
                    values.push((chosen.clone(), chosen.clone()));
                }
                std::iter::once((String::new(), none_label.to_string()))
                    .chain(values)
                    .map(|(value, label)| {
                        let selected = value == chosen;
                        view! { <option value=value prop:selected=selected>{label}</option> }
                    })
                    .collect_view()
            }}
        </select>
    }
}

/// Options whose label is their value.
fn labelled(values: Vec<String>) -> Vec<(String, String)> {
    values.into_iter().map(|v| (v.clone(), v)).collect()
}

#[component]
fn LevelSelect(
    id: &'static str,
    field: Field<Level>,
    on_touch: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <select
            id=id
            on:change=move |ev| {
                if let Some(level) = Level::parse(&event_target_value(&ev)) {
                    field.edit(level);
                    on_touch();
                }
            }
        >
            {Level::ALL
                .into_iter()
                .map(|level| {
                    view! {
                        <option value=level.as_str() prop:selected=move || field.value.get() == level>
                            {level.to_string()}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

/// A record's work log, oldest first.
#[component]
pub(crate) fn WorkLog(#[prop(into)] entries: Signal<Vec<WorkLogEntry>>) -> impl IntoView {
    // Keyed, so a new line adds one row instead of redrawing the log.
    view! {
        <section class="card worklog">
            <h2>"Work log"</h2>
            <ol class="worklog-list">
                <For
                    each=move || entries.get()
                    key=|e| (e.at, e.author.clone(), e.device.clone(), e.note.clone())
                    children=entry_view
                />
            </ol>
        </section>
    }
}

fn entry_view(entry: WorkLogEntry) -> impl IntoView {
    let device_short: String = entry.device.chars().take(15).collect();
    view! {
        <li class="worklog-entry">
            <div class="worklog-meta">
                <time datetime=entry.at.to_string() title=entry.at.to_string()>
                    {super::local_time(entry.at)}
                </time>
                <span class="author">{entry.author}</span>
                <span class="device" title=entry.device.clone() data-device=entry.device.clone()>
                    {device_short}
                </span>
            </div>
            <p class="worklog-note">{entry.note}</p>
        </li>
    }
}
