//! The least a browser shell built on Outpost's stack can weigh: Automerge doing what the app
//! asks of it, and a Leptos page with the router, each built like the app (`wasm-release`,
//! wasm-bindgen, wasm-opt -Oz). `scripts/size-floor` builds both, alone and together, and
//! prints their sizes; BENCHMARKS.md compares them with the app shell's.

/// The Automerge calls the app makes: load, transact, save whole and incrementally, sync both
/// ways, read changes and values. Inputs come from JS so nothing folds away.
#[cfg(feature = "crdt")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn crdt(bytes: &[u8], key: &str, value: &str, peer: &[u8]) -> Vec<u8> {
    use automerge::sync::{Message, State, SyncDoc};
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};

    let mut doc = AutoCommit::load(bytes).unwrap_or_else(|_| AutoCommit::new());
    let heads = doc.get_heads();
    doc.put(ROOT, key, value).ok();
    if let Ok(log) = doc.put_object(ROOT, "log", ObjType::List) {
        doc.insert(&log, 0, value).ok();
    }
    let mut out = doc.save_after(&heads);
    out.extend(doc.save());
    let mut state = State::new();
    if let Ok(message) = Message::decode(peer) {
        doc.sync().receive_sync_message(&mut state, message).ok();
    }
    if let Some(message) = doc.sync().generate_sync_message(&mut state) {
        out.extend(message.encode());
    }
    for change in doc.get_changes(&heads) {
        out.extend(change.raw_bytes());
    }
    if let Ok(Some((value, _))) = doc.get(ROOT, key) {
        out.extend(value.to_string().into_bytes());
    }
    out
}

/// Two routes, a link bar, an input bound to a signal.
#[cfg(feature = "ui")]
fn ui() {
    use leptos::prelude::*;
    use leptos_router::components::{A, Route, Router, Routes};
    use leptos_router::path;

    leptos::mount::mount_to_body(|| {
        let (text, set_text) = signal(String::new());
        view! {
            <Router>
                <nav><A href="/">"Home"</A><A href="/other">"Other"</A></nav>
                <Routes fallback=|| "Not found">
                    <Route path=path!("/") view=move || view! {
                        <input prop:value=text on:input=move |e| set_text.set(event_target_value(&e)) />
                        <p>{move || text.get()}</p>
                    } />
                    <Route path=path!("/other") view=|| view! { <p>"Other"</p> } />
                </Routes>
            </Router>
        }
    });
}

fn main() {
    #[cfg(feature = "ui")]
    ui();
}
