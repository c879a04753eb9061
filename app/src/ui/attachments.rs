//! A record's "Attachments" section: take a photo or attach any file, offline; the list of
//! what the record names, each with its thumbnail or download link, who attached it when, and
//! where its bytes are ("on the relay", "uploading 40 %", a failure that retries by itself…).
//! The device's attachment settings (photo size, keep every attachment offline) sit below.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::attachments::Attachment;
use shared::ids::DocumentId;
use wasm_bindgen::JsCast;

use crate::state::AppState;

#[component]
pub fn Attachments(id: DocumentId, #[prop(into)] writable: Signal<bool>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let blobs = expect_context::<crate::session::Session>().blobs;
    let list = Memo::new(move |_| {
        state.revision.track();
        state.attachments(&id)
    });
    // Opening the record fetches the attachments this device lacks.
    Effect::new(move |_| {
        let hashes: Vec<String> = list.with(|l| l.iter().map(|a| a.hash.clone()).collect());
        blobs.want(state, hashes);
    });
    let keep_original = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);

    let picked = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        // Cleared, so picking the same file again is a new pick.
        input.set_value("");
        busy.set(true);
        error.set(None);
        notice.set(None);
        let original = keep_original.get_untracked();
        spawn_local(async move {
            match blobs.attach(state, id, file, original).await {
                Ok(name) => notice.set(Some(format!("Attached {name}"))),
                Err(why) => error.set(Some(format!("Not attached: {why}"))),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="card record-section attachments" id="attachments" data-section="Attachments">
            <h2>"Attachments"</h2>
            <ul class="attachment-list">
                <For each=move || list.get() key=|a| (a.hash.clone(), a.name.clone(), a.at.millis()) let:a>
                    <Item attachment=a />
                </For>
            </ul>
            <Show when=move || list.with(Vec::is_empty)>
                <p class="muted" id="no-attachments">"No attachments yet."</p>
            </Show>
            <Show when=move || writable.get()>
                <div class="attachment-add">
                    <label class="button" for="attach-photo">"Take photo"</label>
                    <input
                        id="attach-photo"
                        class="file-input"
                        type="file"
                        accept="image/*"
                        capture="environment"
                        prop:disabled=move || busy.get()
                        on:change=picked
                    />
                    <label class="button" for="attach-file">"Attach file"</label>
                    <input
                        id="attach-file"
                        class="file-input"
                        type="file"
                        prop:disabled=move || busy.get()
                        on:change=picked
                    />
                    <label class="check">
                        <input
                            id="attach-keep-original"
                            type="checkbox"
                            prop:checked=move || keep_original.get()
                            on:change=move |ev| keep_original.set(event_target_checked(&ev))
                        />
                        "Keep original file (keeps location data)"
                    </label>
                </div>
                <p class="muted" id="attach-limit">
                    {move || {
                        let max = blobs
                            .settings
                            .with(|s| s.max_bytes)
                            .unwrap_or(shared::attachments::BlobLimits::default().max_bytes);
                        format!("Files up to {} each. Photos are made smaller unless you keep the original.", shared::attachments::bytes(max))
                    }}
                </p>
            </Show>
            <Show when=move || busy.get()>
                <p class="muted" role="status">"Attaching…"</p>
            </Show>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert" id="attach-error">{e}</p> })}
            {move || notice.get().map(|n| view! { <p class="ok" role="status" id="attach-status">{n}</p> })}
            <Settings />
        </section>
    }
}

/// One attachment: its picture or a download link, its facts and where its bytes are.
#[component]
fn Item(attachment: Attachment) -> impl IntoView {
    let state = expect_context::<AppState>();
    let blobs = expect_context::<crate::session::Session>().blobs;
    let hash = attachment.hash.clone();
    let held = {
        let hash = hash.clone();
        Memo::new(move |_| blobs.held(&hash))
    };
    // An object URL of the stored bytes, once held; released with the row.
    let url = RwSignal::new(None::<String>);
    {
        let hash = hash.clone();
        Effect::new(move |_| {
            if !held.get() || url.get_untracked().is_some() {
                return;
            }
            let hash = hash.clone();
            spawn_local(async move {
                if let Some(blob) = blobs.open(state, &hash).await
                    && let Ok(u) = web_sys::Url::create_object_url_with_blob(&blob)
                {
                    url.set(Some(u));
                }
            });
        });
    }
    on_cleanup(move || {
        if let Some(u) = url.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&u);
        }
    });
    let where_now = {
        let hash = hash.clone();
        move || {
            let upload = blobs.uploads.with(|u| u.get(&hash).cloned());
            let download = blobs.downloads.with(|d| d.get(&hash).cloned());
            shared::sync::blobs::describe(
                upload.is_some(),
                upload.as_ref(),
                download.as_ref(),
                state.online.get(),
            )
        }
    };
    let image = shared::attachments::is_image(&attachment.mime);
    let name = attachment.name.clone();
    let facts = format!(
        "{} · {} · {}",
        shared::attachments::bytes(attachment.size),
        state.person_name(&attachment.by),
        super::local_time(attachment.at)
    );
    let preview = move || {
        url.get().map(|u| match image {
            true => view! { <a href=u.clone() target="_blank"><img class="thumbnail" src=u.clone() alt=name.clone() /></a> }.into_any(),
            false => view! { <a class="button download" href=u download=name.clone()>"Download"</a> }.into_any(),
        })
    };
    view! {
        <li class="attachment" data-hash=hash data-name=attachment.name.clone()>
            {preview}
            <div class="attachment-facts">
                <span class="attachment-name">{attachment.name.clone()}</span>
                <span class="muted">{facts}</span>
                <span class="attachment-state">{where_now}</span>
            </div>
        </li>
    }
}

/// The device's attachment settings.
#[component]
fn Settings() -> impl IntoView {
    let state = expect_context::<AppState>();
    let blobs = expect_context::<crate::session::Session>().blobs;
    view! {
        <details class="attachment-settings">
            <summary>"Attachment settings on this device"</summary>
            <label for="attach-longest-edge">"Photos are scaled to at most "</label>
            <select
                id="attach-longest-edge"
                on:change=move |ev| {
                    if let Ok(edge) = event_target_value(&ev).parse::<u32>() {
                        spawn_local(blobs.set_settings(state, move |s| s.longest_edge = edge));
                    }
                }
            >
                {shared::photo::LONGEST_EDGES
                    .iter()
                    .map(|&edge| {
                        let selected = move || blobs.settings.with(|s| s.longest_edge == edge);
                        view! { <option value=edge.to_string() prop:selected=selected>{format!("{edge} px")}</option> }
                    })
                    .collect_view()}
            </select>
            <label class="check">
                <input
                    id="attach-keep-offline"
                    type="checkbox"
                    prop:checked=move || blobs.settings.with(|s| s.keep_offline)
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        spawn_local(blobs.set_settings(state, move |s| s.keep_offline = on));
                    }
                />
                "Keep every attachment offline"
            </label>
        </details>
    }
}
