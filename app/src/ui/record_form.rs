//! The form of every record type but incidents, drawn from `shared::forms`: the record's fields,
//! its status and the moves its workflow allows now, its actions (a CAB decision, a check on
//! site, …), read-only sections (approvals, checklist, …), work log and history. Every refusal
//! shows the reason `shared` gave, next to what the person just did.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map};
use shared::forms::{self, Action, Field, Form, Input, Values, View};
use shared::ids::DocumentId;

use super::list::record_href;
use crate::state::{AppState, SaveError};

/// `/records/<kind>/new` and `/records/<kind>/<document id>`.
#[component]
pub fn RecordPage() -> impl IntoView {
    let params = use_params_map();
    move || {
        let kind = params.read().get("kind").unwrap_or_default();
        let id = params.read().get("id").unwrap_or_default();
        let state = expect_context::<AppState>();
        let Some(form) = forms::of(&kind).filter(|f| super::records::may_see(&state, *f)) else {
            return view! { <p class="empty">"There is no such record type."</p> }.into_any();
        };
        if id == "new" {
            return view! { <CreateForm form=form /> }.into_any();
        }
        match id.parse::<DocumentId>() {
            Ok(id) => view! { <EditForm form=form id=id /> }.into_any(),
            Err(_) => view! { <p class="empty">"That is not a record address."</p> }.into_any(),
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
    fn run(
        self,
        place: &str,
        save: impl Future<Output = Result<(), SaveError>> + 'static,
        done: impl FnOnce() + 'static,
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
                Ok(()) => {
                    done();
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

#[component]
fn CreateForm(form: &'static dyn Form) -> impl IntoView {
    let state = expect_context::<AppState>();
    let navigate = use_navigate();
    let values = RwSignal::new(Values::new());
    let saving = Saving::new();
    let kind = form.kind();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        let given = values.get_untracked();
        saving.run(
            "fields",
            async move {
                let id = state.create_record(kind, given).await?;
                // Replace, so Back leads to the list rather than to a blank form.
                navigate(
                    &record_href(kind, &id.to_string()),
                    NavigateOptions {
                        replace: true,
                        ..Default::default()
                    },
                );
                Ok(())
            },
            || {},
        );
    };
    view! {
        <section class="page form-page record-page" data-kind=kind>
            <nav class="crumbs">
                <a href=format!("/records/{kind}")>{format!("← {}", form.plural())}</a>
            </nav>
            <div class="page-head">
                <h1>{format!("New {}", form.noun())}</h1>
            </div>
            <super::read_only::ReadOnlyNotice reason=Signal::derive(move || state.may_create(kind).err().map(|r| r.reason)) />
            <Show when=move || state.may_create(kind).is_ok()>
                <form class="card" on:submit=save.clone()>
                    {fields(form, move |key| values.with(|v| v.get(key).cloned().unwrap_or_default()), move |key, text| {
                        values.update(|v| {
                            v.insert(key.to_string(), text);
                        });
                    })}
                    {saving.refusal_view("fields")}
                    <div class="actions wide">
                        <button id="save" type="submit" class="button primary" disabled=move || saving.busy.get()>
                            {format!("Add {}", form.noun())}
                        </button>
                        {saving.status_view()}
                    </div>
                </form>
            </Show>
        </section>
    }
}

#[component]
fn EditForm(form: &'static dyn Form, id: DocumentId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let record = Memo::new(move |_| {
        state.revision.track();
        state.record_view(&id)
    });
    let shown = move |f: &dyn Fn(&View) -> String| {
        record.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).map(f))
    };
    // Only what the person changed is written, so a field edited on another device meanwhile
    // is not overwritten with the value this form loaded.
    let edits = RwSignal::new(Values::new());
    let saving = Saving::new();
    let kind = form.kind();
    // Why the signed-in person may not change this record (`shared::access`), if they may not.
    let read_only = Memo::new(move |_| {
        state.revision.track();
        state.may_write(&id).err().map(|r| r.reason)
    });
    let writable = Signal::derive(move || read_only.with(Option::is_none));

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let changed = edits.get_untracked();
        saving.run("fields", state.edit_record(id, changed), move || {
            edits.set(Values::new())
        });
    };
    let value = move |key: &'static str| {
        edits
            .with(|e| e.get(key).cloned())
            .or_else(|| shown(&|v| v.values.get(key).cloned().unwrap_or_default()))
            .unwrap_or_default()
    };
    let edit = move |key: &'static str, text: String| {
        edits.update(|e| {
            e.insert(key.to_string(), text);
        });
        saving.status.set("Unsaved changes".into());
    };

    view! {
        <section class="page form-page record-page" data-kind=kind>
            <nav class="crumbs">
                <a href=format!("/records/{kind}")>{format!("← {}", form.plural())}</a>
            </nav>
            <div class="page-head">
                <h1 id="record-number">
                    {move || shown(&|v| v.number.clone()).unwrap_or_else(|| form.noun().to_string())}
                </h1>
                <span class="muted" id="record-title">{move || shown(&|v| v.title.clone())}</span>
            </div>
            <super::list::SlaClock id=id />
            {move || match record.get() {
                None if state.loaded.get() => {
                    Some(view! { <p class="banner">"This record is not on this device (yet)."</p> }.into_any())
                }
                Some(Err(e)) => Some(view! { <p class="load-error" role="alert">{e}</p> }.into_any()),
                _ => None,
            }}
            {move || {
                state.revision.track();
                let found = state.attention(&id);
                (!found.is_empty()).then(|| {
                    let reasons = found.iter().map(|a| view! { <li>{a.to_string()}</li> }).collect_view();
                    view! {
                        <div class="banner conflict-banner" id="conflict-banner" role="status">
                            <p>"This record was changed on two devices at once and needs a decision:"</p>
                            <ul>{reasons}</ul>
                            <a class="button" href="/conflicts">"Open the conflict inbox"</a>
                        </div>
                    }
                })
            }}
            <super::refused::RefusedBanner id=Signal::derive(move || Some(id)) />
            <super::read_only::ReadOnlyNotice reason=read_only />
            <Show when=move || record.with(|r| matches!(r, Some(Ok(_))))>
                <StatusCard record=record id=id saving=saving writable=writable />
                <form class="card" on:submit=save>
                    <fieldset class="plain" prop:disabled=move || !writable.get()>
                        {fields(form, value, edit)}
                    </fieldset>
                    {saving.refusal_view("fields")}
                    <Show when=move || writable.get()>
                        <div class="actions wide">
                            <button id="save" type="submit" class="button primary" disabled=move || saving.busy.get()>
                                "Save"
                            </button>
                            {saving.status_view()}
                        </div>
                    </Show>
                </form>
                <Show when=move || writable.get()>
                    {form
                        .actions()
                        .into_iter()
                        .map(|action| view! { <ActionForm action=action id=id saving=saving /> })
                        .collect_view()}
                </Show>
                <Sections record=record id=id saving=saving writable=writable />
                <super::incident_form::WorkLog entries=Signal::derive(move || {
                    record.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).map(|v| v.work_log.clone()).unwrap_or_default())
                }) />
                <super::history::History id=id />
            </Show>
        </section>
    }
}

/// The status, and a move to any status the workflow allows from it, with a reason.
#[component]
fn StatusCard(
    record: Memo<Option<Result<View, String>>>,
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
            move || {
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
fn ActionForm(action: Action, id: DocumentId, saving: Saving) -> impl IntoView {
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
            move || values.set(reset),
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
                control(field, control_id, value, set),
            )
        })
        .collect_view();
    view! {
        <details class="card action" id=format!("action-{key}")>
            <summary>{action.label}</summary>
            <form class="action-form" on:submit=submit>
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
    record: Memo<Option<Result<View, String>>>,
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
                                    || {},
                                )
                            };
                            view! { <button type="button" class="button" on:click=press>{b.label}</button> }
                        });
                        view! { <li class="section-row"><span>{row.text}</span>{button}</li> }
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

/// Every field of `form`, reading its text from `value` and reporting edits to `edit`.
fn fields(
    form: &'static dyn Form,
    value: impl Fn(&'static str) -> String + Copy + Send + Sync + 'static,
    edit: impl Fn(&'static str, String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    form.fields()
        .iter()
        .map(|field| {
            let key = field.key;
            let id = format!("f-{key}");
            labelled(
                field,
                id.clone(),
                control(field, id, move || value(key), move |text| edit(key, text)),
            )
        })
        .collect_view()
}

/// A control with its label; prose spans the form's width.
fn labelled(field: &Field, id: String, control: AnyView) -> impl IntoView + use<> {
    let wide = matches!(field.input, Input::LongText | Input::Lines);
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

/// The control for one field, with the `id` its label names.
fn control(
    field: &Field,
    id: String,
    value: impl Fn() -> String + Copy + Send + Sync + 'static,
    set: impl Fn(String) + Copy + Send + Sync + 'static,
) -> AnyView {
    let on_text = move |ev: leptos::ev::Event| set(event_target_value(&ev));
    match &field.input {
        Input::Text => view! { <input id=id type="text" prop:value=value on:input=on_text /> }.into_any(),
        Input::Number => view! {
            <input id=id type="number" step="any" inputmode="decimal" prop:value=value on:input=on_text />
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
                prop:value=move || local_input(&value())
                on:input=move |ev| set(from_local_input(&event_target_value(&ev)))
            />
        }
        .into_any(),
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
                            view! { <option value=key prop:selected=move || value() == key>{label}</option> }
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
