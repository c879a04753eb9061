//! The one record form: the page of every record type, incidents included, drawn from its
//! description in `shared` (`shared::forms`): its fields, its status and the moves its workflow
//! allows now, its actions (a CAB decision, a check on site, …), read-only sections, work log
//! and history. Every refusal shows the reason `shared` gave, next to what the person just did.
//!
//! Creating a record turns the blank form into that record's page in place (same DOM: nothing
//! typed or focused is lost, and "Saved" appears where the person is looking). Until a save,
//! a field shows what the person typed, else the record as it is now, so a merge from another
//! tablet shows up in every field they have not touched; only what they changed is written.
//!
//! Two layouts (`shared::forms::Layout`): a record's status moves in its own card with a
//! reason, and its controls are `#f-<key>`; a ticket (incidents) is worked in one form whose
//! status, fields and work-log note are saved together, with its priority and SLA shown as the
//! person chooses, known errors to search, and controls named by their keys (`#title`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map};
use shared::forms::{self, Action, Field, Form, Input, Layout, Pick, Values, View};
use shared::ids::DocumentId;
use shared::priority::Level;

use super::list::{Pages, record_href};
use crate::api::SessionInfo;
use crate::state::{AppState, SaveError};

/// `/records/<kind>/new`, `/records/<kind>/<document id>`, and for the ticket layout's type
/// `/incidents/new` and `/incidents/<document id>` (`kind` given by the route).
#[component]
pub fn RecordPage(#[prop(optional)] kind: Option<&'static str>) -> impl IntoView {
    let params = use_params_map();
    let state = expect_context::<AppState>();
    let target = Memo::new(move |_| {
        let kind = kind.map_or_else(
            || params.read().get("kind").unwrap_or_default(),
            String::from,
        );
        let id = match params.read().get("id").as_deref() {
            None | Some("new") => Ok(None),
            Some(s) => s.parse::<DocumentId>().map(Some).map_err(|_| ()),
        };
        (kind, id)
    });
    // The record the form shows (None: a new one); the form sets it when it creates the record.
    let form_id = RwSignal::new(target.get_untracked().1.unwrap_or(None));
    // Bumped to build a fresh form: only when the address names another type, or a record the
    // form is not on.
    let instance = RwSignal::new(0u32);
    let shown_kind = StoredValue::new(target.get_untracked().0);
    Effect::new(move |_| {
        let (kind, id) = target.get();
        let other_kind = shown_kind.with_value(|k| *k != kind);
        if let Ok(id) = id
            && (other_kind || id != form_id.get_untracked())
        {
            shown_kind.set_value(kind);
            form_id.set(id);
            instance.update(|n| *n += 1);
        }
    });
    move || {
        instance.track();
        let (kind, id) = target.get_untracked();
        let Some(form) = forms::of(&kind).filter(|f| super::records::may_see(&state, *f)) else {
            return view! { <p class="empty">"There is no such record type."</p> }.into_any();
        };
        match id {
            Ok(_) => view! { <RecordForm form=form id=form_id /> }.into_any(),
            Err(()) => view! { <p class="empty">"That is not a record address."</p> }.into_any(),
        }
    }
}

/// Where the latest refusal happened ("fields", "move" or an action key), and its reason.
type Refusal = RwSignal<Option<(String, String)>>;

/// What every save on the page shares: one at a time, its progress, and the latest refusal.
#[derive(Clone, Copy)]
struct Saving {
    busy: RwSignal<bool>,
    status: RwSignal<String>,
    refusal: Refusal,
}

impl Saving {
    fn new() -> Self {
        Saving {
            busy: RwSignal::new(false),
            status: RwSignal::new(String::new()),
            refusal: RwSignal::new(None),
        }
    }

    /// Runs `save` (durable in IndexedDB when it returns `Ok`), then `done`; a refusal is shown
    /// at `place` and everything typed stays.
    fn run<T: 'static>(
        self,
        place: &str,
        save: impl Future<Output = Result<T, SaveError>> + 'static,
        done: impl FnOnce(T) + 'static,
    ) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.status.set("Saving…".into());
        self.refusal.set(None);
        let place = place.to_string();
        spawn_local(async move {
            match save.await {
                Ok(saved) => {
                    done(saved);
                    self.status.set("Saved".into());
                }
                Err(e) => {
                    self.status.set(format!("Not saved: {e}"));
                    if let SaveError::Rejected(reason) = e {
                        self.refusal.set(Some((place, reason)));
                    }
                }
            }
            self.busy.set(false);
        });
    }

    /// The refusal, if it happened at `place`.
    fn refusal_view(self, place: &'static str) -> impl IntoView {
        move || {
            self.refusal
                .get()
                .filter(|(p, _)| p == place)
                .map(|(_, reason)| {
                    view! { <p class="form-error" role="alert" id="record-error">{reason}</p> }
                })
        }
    }

    fn status_view(self) -> impl IntoView {
        view! {
            <span
                id="save-status"
                role="status"
                class:ok=move || self.status.get() == "Saved"
                class:error=move || self.status.get().starts_with("Not saved")
            >
                {move || self.status.get()}
            </span>
        }
    }
}

/// The record's view as the document has it now (re-read whenever any document changes); for
/// a new record, the blank form.
type Record = Memo<Option<Result<View, String>>>;

#[component]
fn RecordForm(form: Form, id: RwSignal<Option<DocumentId>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let navigate = use_navigate();
    let blank = form.blank();
    let record: Record = Memo::new(move |_| {
        state.revision.track();
        id.get().and_then(|id| state.record_view(&id))
    });
    let shown = move |f: &dyn Fn(&View) -> String| {
        record.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).map(f))
    };
    let has_record = Memo::new(move |_| record.with(|r| matches!(r, Some(Ok(_)))));
    let ticket = form.layout == Layout::Ticket;
    // Only what the person changed is written, so a field edited on another device meanwhile
    // is not overwritten with the value this form loaded.
    let edits = RwSignal::new(Values::new());
    let saving = Saving::new();
    let kind = form.kind();
    let pages = Pages::of(form);
    // Why the signed-in person may not change this record, or create one of its kind
    // (`shared::access`, the rule the relay applies), if they may not.
    let read_only = Memo::new(move |_| {
        state.revision.track();
        match id.get() {
            Some(id) => state.may_write(&id),
            None => state.may_create(kind),
        }
        .err()
        .map(|r| r.reason)
    });
    let writable: Signal<bool> = Memo::new(move |_| read_only.with(Option::is_none)).into();

    let blank_values = StoredValue::new(blank.values.clone());
    let value = move |key: &'static str| {
        edits
            .with(|e| e.get(key).cloned())
            .or_else(|| match id.get() {
                Some(_) => shown(&|v| v.values.get(key).cloned().unwrap_or_default()),
                None => blank_values.with_value(|b| b.get(key).cloned()),
            })
            .unwrap_or_default()
    };
    let edit = move |key: &'static str, text: String| {
        edits.update(|e| {
            e.insert(key.to_string(), text);
        });
        saving.status.set("Unsaved changes".into());
    };
    // The status the record is in, and (the ticket layout) the ones it may move to now.
    let blank_status = (blank.status, blank.moves.clone());
    let status_now = move || match id.get() {
        Some(_) => record.with(|r| match r {
            Some(Ok(v)) => (v.status, v.moves.clone()),
            _ => (("", ""), vec![]),
        }),
        None => blank_status.clone(),
    };

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let changed = edits.get_untracked();
        match id.get_untracked() {
            Some(existing) => {
                saving.run("fields", state.edit_record(existing, changed), move |()| {
                    edits.set(Values::new())
                })
            }
            None => {
                let mut given = blank_values.get_value();
                given.extend(changed);
                let navigate = navigate.clone();
                saving.run("fields", state.create_record(kind, given), move |new_id| {
                    id.set(Some(new_id));
                    edits.set(Values::new());
                    // Replace, so Back leads to the list rather than to a blank form.
                    navigate(
                        &record_href(kind, &new_id.to_string()),
                        NavigateOptions {
                            replace: true,
                            ..Default::default()
                        },
                    );
                })
            }
        }
    };

    let heading = move || match id.get() {
        None => format!("New {}", form.noun()),
        Some(_) => shown(&|v| v.number.clone()).unwrap_or_else(|| form.noun().to_string()),
    };
    let opened = move || {
        record.with(|r| {
            r.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|v| v.opened.clone())
                .map(|(at, by)| format!("Logged {} by {by}", super::local_time(at)))
        })
    };
    let noun = form.noun();
    let (prefix, add) = match ticket {
        true => ("", "Log"),
        false => ("f-", "Add"),
    };

    view! {
        <section class="page form-page record-page" data-kind=kind>
            <nav class="crumbs">
                <a href=pages.list>{format!("← {}", form.plural())}</a>
            </nav>
            <div class="page-head">
                <h1 id="record-number">{heading}</h1>
                <span class="muted" id="record-title">{move || shown(&|v| v.title.clone())}</span>
                <span class="muted">{opened}</span>
            </div>
            {move || match (id.get(), record.get()) {
                (Some(_), None) if state.loaded.get() => {
                    Some(view! { <p class="banner">{format!("This {noun} is not on this device (yet).")}</p> }.into_any())
                }
                (Some(id), Some(Err(e))) => {
                    Some(view! { <p class="load-error" role="alert" data-id=id.to_string()>{format!("{id}: {e}")}</p> }.into_any())
                }
                _ => None,
            }}
            {move || {
                state.revision.track();
                let found = id.get().map(|id| state.attention(&id)).unwrap_or_default();
                (!found.is_empty()).then(|| {
                    let reasons = found.iter().map(|a| view! { <li>{a.to_string()}</li> }).collect_view();
                    view! {
                        <div class="banner conflict-banner" id="conflict-banner" role="status">
                            <p>{format!("This {noun} was changed on two devices at once and needs a decision:")}</p>
                            <ul>{reasons}</ul>
                            <a class="button" href="/conflicts">"Open the conflict inbox"</a>
                        </div>
                    }
                })
            }}
            <super::refused::RefusedBanner id=id />
            <super::read_only::ReadOnlyNotice reason=read_only />
            {move || id.get().map(|id| view! { <super::list::SlaClock id=id /> })}
            {move || (!ticket && has_record.get()).then(|| {
                id.get().map(|id| view! { <StatusCard record=record id=id saving=saving writable=writable /> })
            })}
            <form class="card" on:submit=save novalidate>
                // One fieldset disables every control of a read-only form and takes no room.
                <fieldset class="plain" prop:disabled=move || !writable.get()>
                {fields(form, prefix, id, record, value, edit)}
                {form.has_priority().then(|| view! { <TicketOutputs form=form id=id record=record value=value /> })}
                {ticket.then(|| view! {
                    <super::field::LabelledField label="Status" for_id="status">
                        <select id="status" on:change=move |ev| edit("status", event_target_value(&ev))>
                            {move || {
                                let ((key, label), moves) = status_now();
                                let chosen = edits.with(|e| e.get("status").cloned()).unwrap_or_else(|| key.to_string());
                                std::iter::once((key, label))
                                    .chain(moves)
                                    .map(|(k, l)| {
                                        let selected = k == chosen;
                                        view! { <option value=k prop:selected=selected>{l}</option> }
                                    })
                                    .collect_view()
                            }}
                        </select>
                    </super::field::LabelledField>
                    <super::field::LabelledField label="Add to work log" for_id="note" wide=true>
                        <textarea
                            id="note"
                            rows="3"
                            placeholder="What you did or found"
                            prop:value=move || value("note")
                            on:input=move |ev| edit("note", event_target_value(&ev))
                        ></textarea>
                    </super::field::LabelledField>
                    <super::field::LabelledField label="Time spent" for_id="minutes">
                        <input
                            id="minutes"
                            inputmode="numeric"
                            placeholder="e.g. 45 or 1:30"
                            prop:value=move || value("minutes")
                            on:input=move |ev| edit("minutes", event_target_value(&ev))
                        />
                    </super::field::LabelledField>
                })}
                </fieldset>
                {saving.refusal_view("fields")}
                <Show when=move || writable.get()>
                    <div class="actions wide">
                        <button id="save" type="submit" class="button primary" disabled=move || saving.busy.get()>
                            {move || if id.with(Option::is_some) { "Save".to_string() } else { format!("{add} {noun}") }}
                        </button>
                        {saving.status_view()}
                    </div>
                </Show>
            </form>
            // Built once the record is there and kept across saves (rebuilding them on every
            // save made a save cost what the record's whole history and work log cost).
            {move || has_record.get().then(|| id.get_untracked().map(|id| view! {
                <Show when=move || writable.get()>
                    {form
                        .actions()
                        .into_iter()
                        .map(|action| {
                            let key = action.key;
                            // Why the person may not take it (a change they requested), if so.
                            let barred = Signal::derive(move || {
                                state.revision.track();
                                state
                                    .barred_actions(&id)
                                    .into_iter()
                                    .find_map(|(k, why)| (k == key).then_some(why))
                            });
                            view! { <ActionForm action=action id=id saving=saving barred=barred /> }
                        })
                        .collect_view()}
                </Show>
                <Sections record=record id=id saving=saving writable=writable />
                <super::attachments::Attachments id=id writable=writable />
                <super::links::RecordLinks id=id />
            }))}
            {ticket.then(|| view! {
                <super::known_errors::KnownErrors incident=Signal::derive(move || shown(&|v| v.number.clone())) />
                <super::knowledge::Knowledge
                    incident=id
                    // As typed, so a new incident's words suggest articles before it is saved.
                    text=Signal::derive(move || format!("{}\n{}", value("title"), value("description")))
                />
            })}
            {move || has_record.get().then(|| view! {
                <super::worklog::WorkLog entries=Signal::derive(move || {
                    record.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).map(|v| v.work_log.clone()).unwrap_or_default())
                }) />
            })}
            {move || id.get().filter(|_| has_record.get()).map(|id| view! { <super::history::History id=id /> })}
        </section>
    }
}

/// A ticket's priority, from the impact and urgency chosen now, and the SLA its clock runs
/// against: for a new ticket the chosen service's, for one logged the one it names.
#[component]
fn TicketOutputs(
    form: Form,
    id: RwSignal<Option<DocumentId>>,
    record: Record,
    value: impl Fn(&'static str) -> String + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let priority = move || {
        AppState::matrix()
            .priority(Level::of(&value("impact")), Level::of(&value("urgency")))
            .to_string()
    };
    let picks_service = form.fields().iter().any(|f| f.key == "service" && f.fixed);
    let agreement = move || match id.get() {
        Some(_) => record.with(|r| match r {
            Some(Ok(_)) => Some(state.agreement_name(&state.record_value(&id.get()?, "sla"))),
            _ => None,
        }),
        None if picks_service => {
            Some(state.agreement_name(&state.service_agreement(&value("service"))))
        }
        None => Some(state.agreement_name("")),
    };
    view! {
        <super::field::LabelledField label="Priority" for_id="priority">
            <output id="priority" class="readonly" for="impact urgency">{priority}</output>
        </super::field::LabelledField>
        <super::field::LabelledField label="SLA" for_id="agreement">
            <output id="agreement" class="readonly" for="service">{agreement}</output>
        </super::field::LabelledField>
    }
}

/// The status, and a move to any status the workflow allows from it, with a reason.
#[component]
fn StatusCard(
    record: Record,
    id: DocumentId,
    saving: Saving,
    writable: Signal<bool>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let status = move || {
        record.with(|r| match r {
            Some(Ok(v)) => v.status,
            _ => ("", ""),
        })
    };
    let moves = move || {
        record.with(|r| match r {
            Some(Ok(v)) => v.moves.clone(),
            _ => vec![],
        })
    };
    let to = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let go = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // The select shows its first option until the person picks one.
        let target = match to.get_untracked() {
            t if t.is_empty() => moves().first().map(|m| m.0.to_string()).unwrap_or_default(),
            t => t,
        };
        saving.run(
            "move",
            state.move_record(id, target, reason.get_untracked()),
            move |()| {
                to.set(String::new());
                reason.set(String::new());
            },
        );
    };
    view! {
        <section class="card status-card" id="status-card">
            <h2>
                "Status: "
                <span id="record-status" data-status=move || status().0>{move || status().1}</span>
            </h2>
            <Show
                when=move || !moves().is_empty() && writable.get()
                fallback=move || (writable.get() && moves().is_empty()).then(|| view! { <p class="muted">"This status is final."</p> })
            >
                <form class="move-form" on:submit=go>
                    <div class="field">
                        <label for="move-to">"Move to"</label>
                        <select id="move-to" on:change=move |ev| to.set(event_target_value(&ev))>
                            {move || {
                                moves()
                                    .into_iter()
                                    .map(|(key, label)| {
                                        view! { <option value=key prop:selected=move || to.get() == key>{label}</option> }
                                    })
                                    .collect_view()
                            }}
                        </select>
                    </div>
                    <div class="field">
                        <label for="move-reason">"Reason"</label>
                        <input
                            id="move-reason"
                            type="text"
                            prop:value=move || reason.get()
                            on:input=move |ev| reason.set(event_target_value(&ev))
                        />
                    </div>
                    <button id="move" type="submit" class="button primary" disabled=move || saving.busy.get()>
                        "Move"
                    </button>
                </form>
            </Show>
            {saving.refusal_view("move")}
        </section>
    }
}

/// One of the record's actions, folded until opened.
#[component]
fn ActionForm(
    action: Action,
    id: DocumentId,
    saving: Saving,
    barred: Signal<Option<String>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    // A choice starts on its first option, as the select shows it.
    let initial: Values = action
        .inputs
        .iter()
        .filter_map(|f| match &f.input {
            Input::Choice(options) => Some((f.key.to_string(), options.first()?.0.to_string())),
            _ => None,
        })
        .collect();
    let values = RwSignal::new(initial.clone());
    let key = action.key;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let reset = initial.clone();
        saving.run(
            key,
            state.act_on_record(id, key.to_string(), values.get_untracked()),
            move |()| values.set(reset),
        );
    };
    let inputs = action
        .inputs
        .iter()
        .map(|field| {
            let k = field.key;
            let control_id = format!("a-{key}-{k}");
            let value = move || values.with(|v| v.get(k).cloned().unwrap_or_default());
            let set = move |text: String| {
                values.update(|v| {
                    v.insert(k.to_string(), text);
                })
            };
            labelled(
                field,
                control_id.clone(),
                control(field, control_id, Signal::derive(value), Callback::new(set)),
            )
        })
        .collect_view();
    view! {
        <details class="card action" id=format!("action-{key}")>
            <summary>{action.label}</summary>
            {move || barred.get().map(|why| view! {
                <p class="notice barred" id=format!("action-{key}-barred")>{why}</p>
            })}
            <form class="action-form" on:submit=submit style:display=move || if barred.with(Option::is_some) { "none" } else { "" }>
                {inputs}
                {saving.refusal_view(key)}
                <div class="actions wide">
                    <button id=format!("action-{key}-submit") type="submit" class="button primary" disabled=move || saving.busy.get()>
                        {action.label}
                    </button>
                </div>
            </form>
        </details>
    }
}

/// The read-only lists, with a button on each row that can be acted on (a checklist step).
#[component]
fn Sections(
    record: Record,
    id: DocumentId,
    saving: Saving,
    writable: Signal<bool>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        let sections = record.with(|r| match r {
            Some(Ok(v)) => v.sections.clone(),
            _ => vec![],
        });
        sections
            .into_iter()
            .map(|section| {
                let place = section.title;
                let rows = section
                    .rows
                    .into_iter()
                    .map(|row| {
                        let button = row.button.filter(|_| writable.get()).map(|b| {
                            let press = move |_| {
                                saving.run(
                                    place,
                                    state.act_on_record(id, b.action.to_string(), b.values.clone()),
                                    |()| {},
                                )
                            };
                            view! { <button type="button" class="button" on:click=press>{b.label}</button> }
                        });
                        let drawing = row.drawing.map(|d| view! { <super::signature_pad::Drawing path=d /> });
                        view! { <li class="section-row"><span>{row.text}</span>{button}{drawing}</li> }
                    })
                    .collect_view();
                view! {
                    <section class="card record-section" data-section=section.title>
                        <h2>{section.title}</h2>
                        <ul class="section-rows">{rows}</ul>
                        {saving.refusal_view(place)}
                    </section>
                }
            })
            .collect_view()
    }
}

/// Every field of `form` (controls `#<prefix><key>`), reading its text from `value` and
/// reporting edits to `edit`; a field whose value could not be read says what it holds.
fn fields(
    form: Form,
    prefix: &'static str,
    id: RwSignal<Option<DocumentId>>,
    record: Record,
    value: impl Fn(&'static str) -> String + Copy + Send + Sync + 'static,
    edit: impl Fn(&'static str, String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    form.fields()
        .into_iter()
        .map(|field| {
            let key = field.key;
            let control_id = format!("{prefix}{key}");
            let set = move |text| edit(key, text);
            let fixed = field.fixed;
            let locked = Signal::derive(move || fixed && id.with(Option::is_some));
            let input = match field.pick {
                Pick::Shape | Pick::Person | Pick::Tag => control(
                    &field,
                    control_id.clone(),
                    Signal::derive(move || value(key)),
                    Callback::new(set),
                ),
                // A record to name: searched by number and title, like every reference.
                Pick::Record => {
                    view! {
                        <super::picker::RecordPicker
                            id=control_id.clone()
                            kind=form.reference(key)
                            value=Signal::derive(move || value(key))
                            set=Callback::new(set)
                            open_only=true
                            locked=locked
                        />
                    }
                    .into_any()
                }
                pick => {
                    view! { <GroupSelect id=control_id.clone() pick=pick chosen=Signal::derive(move || value(key)) locked=locked on_pick=set /> }
                        .into_any()
                }
            };
            let unreadable = move || {
                record.with(|r| {
                    let raw = r.as_ref()?.as_ref().ok()?.unreadable.iter().find(|(k, _)| k == key)?.1.clone();
                    Some(view! {
                        <p class="unreadable-note" id=format!("unreadable-{key}") role="note">
                            {format!("This could not be read: it holds {raw}. Saving a value here replaces it.")}
                        </p>
                    })
                })
            };
            view! {
                {labelled(&field, control_id, input)}
                {unreadable}
            }
        })
        .collect_view()
}

/// A site or a team to choose, or none. Fixed once the record exists (a site or team decides
/// who may see the record), so then it shows the record's own value, even one that is not among
/// the person's. Shown by name, from the relay's list kept on the device.
#[component]
fn GroupSelect(
    id: String,
    pick: Pick,
    chosen: Signal<String>,
    locked: Signal<bool>,
    on_pick: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let site = pick == Pick::Site;
    // Someone who works every team's records (an administrator) routing a new record may
    // choose any team the relay knows; everyone else, their own.
    let any_team = !site
        && !locked.get_untracked()
        && state
            .session
            .with_untracked(|s| s.as_ref().is_some_and(SessionInfo::works_every_team));
    let options = move || {
        let mut ids = state
            .session
            .with(|s| {
                s.as_ref().map(|s| {
                    if site {
                        s.sites.clone()
                    } else {
                        s.teams.clone()
                    }
                })
            })
            .unwrap_or_default();
        state.groups.with(|g| {
            if any_team {
                ids.extend(g.teams.iter().map(|t| t.id.clone()));
            }
            let chosen = chosen.get();
            if !chosen.is_empty() {
                ids.push(chosen);
            }
            let mut seen = std::collections::HashSet::new();
            ids.retain(|i| seen.insert(i.clone()));
            ids.into_iter()
                .map(|i| {
                    let label = if site { g.site(&i) } else { g.team(&i) }.to_string();
                    (i, label)
                })
                .collect::<Vec<_>>()
        })
    };
    let none = if site { "No site" } else { "No team" };
    view! {
        <select id=id disabled=move || locked.get() on:change=move |ev| on_pick(event_target_value(&ev))>
            {move || {
                let chosen = chosen.get();
                std::iter::once((String::new(), none.to_string()))
                    .chain(options())
                    .map(|(value, label)| {
                        let selected = value == chosen;
                        view! { <option value=value prop:selected=selected>{label}</option> }
                    })
                    .collect_view()
            }}
        </select>
    }
}

/// A control with its label; prose spans the form's width.
fn labelled(field: &Field, id: String, control: AnyView) -> impl IntoView + use<> {
    // A title reads best on one line of its own, like the long texts.
    let wide = matches!(
        field.input,
        Input::LongText | Input::Lines | Input::Records(_) | Input::Drawing
    ) || field.key == "title";
    let label = if field.required {
        format!("{} *", field.label)
    } else {
        field.label.to_string()
    };
    view! {
        <div class="field" class:wide=wide>
            <label for=id>{label}</label>
            {control}
        </div>
    }
}

/// The control for one field, with the `id` its label names. Not generic over where the value
/// comes from: one copy of every control for all the forms.
fn control(field: &Field, id: String, value: Signal<String>, set: Callback<String>) -> AnyView {
    if field.pick == Pick::Person {
        return view! { <super::person_picker::PersonPicker id=id chosen=value on_pick=set /> }
            .into_any();
    }
    if field.pick == Pick::Tag {
        return view! { <super::scan::TagField id=id value=value set=set /> }.into_any();
    }
    let on_text = move |ev: leptos::ev::Event| set.run(event_target_value(&ev));
    match &field.input {
        Input::Text => view! { <input id=id type="text" prop:value=value on:input=on_text /> }.into_any(),
        Input::Record(kind) => view! { <super::picker::RecordPicker id=id kind=*kind value=value set=set /> }.into_any(),
        Input::Records(kind) => {
            view! { <super::picker::RecordPicker id=id kind=*kind value=value set=set multiple=true /> }.into_any()
        }
        // Text with a decimal keyboard, not type="number": a number input reports "99." as
        // "99", and writing that back as the value dropped the point while a person typed
        // "99.9" (it became 999). `shared::forms` reads and refuses the text.
        Input::Number => view! {
            <input id=id type="text" inputmode="decimal" prop:value=value on:input=on_text />
        }
        .into_any(),
        Input::LongText => view! { <textarea id=id rows="3" prop:value=value on:input=on_text></textarea> }.into_any(),
        Input::Lines => view! {
            <textarea id=id rows="4" placeholder="One per line" prop:value=value on:input=on_text></textarea>
        }
        .into_any(),
        Input::When => view! {
            <input
                id=id
                type="datetime-local"
                prop:value=move || local_input(&value.get())
                on:input=move |ev| set.run(from_local_input(&event_target_value(&ev)))
            />
        }
        .into_any(),
        Input::Drawing => view! { <super::signature_pad::SignaturePad id=id value=value set=set /> }.into_any(),
        Input::Choice(options) => {
            let mut options = options.clone();
            // Until a value is chosen the select says so, instead of showing an option the
            // record does not have.
            if !options.iter().any(|(key, _)| key.is_empty()) {
                options.insert(0, ("", "Choose…"));
            }
            view! {
                <select id=id on:change=on_text>
                    {options
                        .into_iter()
                        .map(|(key, label)| {
                            view! { <option value=key prop:selected=move || value.get() == key>{label}</option> }
                        })
                        .collect_view()}
                </select>
            }
            .into_any()
        }
    }
}

/// Milliseconds as the device's local `YYYY-MM-DDTHH:MM` (what `datetime-local` shows).
fn local_input(ms: &str) -> String {
    let Ok(ms) = ms.parse::<f64>() else {
        return String::new();
    };
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// A `datetime-local` value (the device's local time) as milliseconds; "" when empty.
fn from_local_input(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let t = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(text)).get_time();
    if t.is_nan() {
        String::new()
    } else {
        (t as i64).to_string()
    }
}
