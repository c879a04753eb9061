//! The sync client: carries `shared::sync::Session`'s decisions over a WebSocket to the relay.
//!
//! One `Session` per connection. The socket (see `socket`) reconnects by itself, only while
//! someone is signed in (the relay needs the session cookie). Each time it opens, the relay's
//! change feed says which documents changed since the last complete sync, and a resumed
//! session syncs only those, the ones with local changes and the followed indexes (or every
//! document, when the feed cannot be read). When the socket fails and the relay says the
//! session has ended, syncing stops until the person signs in again; nothing local is lost. Effects the session
//! returns are carried out here: frames sent, changed documents persisted and re-rendered,
//! relay heads remembered. Documents listed in the scope index that the device lacks are
//! requested, so incidents logged on other tablets appear in the list as they arrive.
//!
//! A change the relay does not accept (it says why, or no longer gives this person the record
//! at all) is held back: the session syncs that record as the relay has it, the app keeps the
//! refusal with the record, and every other record goes on syncing on the same connection. A
//! refusal is not a failure: the socket stays open and nothing reconnects. Each time the socket
//! opens, the relay's account of the person is read again, so a change of their roles reaches
//! the forms, and refused changes they may now make are offered again.

mod socket;

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::{Rc, Weak};

use automerge::Automerge;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ids::{DocumentId, PeerId};
use shared::sync::{Effect, Session};

use crate::api;
use crate::blobs::Blobs;
use crate::state::{AppState, SyncLink};

pub use socket::Socket;

/// How often a listed document the relay did not have yet is asked for again. The index can
/// reach the relay a moment before the record it lists (each document syncs on its own), so
/// "unavailable" may just mean "not yet".
const UNAVAILABLE_RETRIES: u32 = 5;
const UNAVAILABLE_FIRST_DELAY_MS: u32 = 1_000;

struct Client {
    state: AppState,
    /// Blobs follow the documents that name them: kicked when records reach the relay.
    blobs: Blobs,
    session: RefCell<Option<Session>>,
    socket: RefCell<Option<Socket>>,
    /// Pending re-requests of unavailable documents, with the attempts made so far.
    retries: RefCell<HashMap<DocumentId, (u32, gloo::timers::callback::Timeout)>>,
    /// Counts socket openings, so an answer for an older connection is ignored.
    generation: Cell<u64>,
    /// The planned documents not yet reported by the relay, and the feed cursor to store once
    /// none is left.
    pending: RefCell<Option<(HashSet<DocumentId>, i64)>>,
    /// How many documents the current plan had (the status bar's progress).
    planned: Cell<usize>,
    this: Weak<Client>,
}

/// The running sync client; [`Handle::stop`] closes the socket for good (sign-out, session
/// ended).
pub struct Handle(Rc<Client>);

impl Handle {
    pub fn stop(&self) {
        self.0.stop();
    }
}

/// Connects to the relay and keeps syncing until stopped.
pub fn start(state: AppState, blobs: Blobs) -> Option<Handle> {
    let url = socket::sync_url()?;
    let client = Rc::new_cyclic(|this| Client {
        state,
        blobs,
        session: RefCell::new(None),
        socket: RefCell::new(None),
        retries: RefCell::new(HashMap::new()),
        generation: Cell::new(0),
        pending: RefCell::new(None),
        planned: Cell::new(0),
        this: this.clone(),
    });
    let handlers = socket::Handlers {
        opened: Box::new({
            let client = client.clone();
            move || client.opened()
        }),
        frame: Box::new({
            let client = client.clone();
            move |frame| client.frame(frame)
        }),
        closed: Box::new({
            let client = client.clone();
            move || client.closed()
        }),
    };
    *client.socket.borrow_mut() = Some(Socket::connect(url, handlers));
    // A weak link: the app's state must not keep a stopped client alive.
    state.link_sync(Some(SyncLink {
        announce: Box::new({
            let client = Rc::downgrade(&client);
            move |ids| {
                if let Some(client) = client.upgrade() {
                    client.local_change(ids);
                }
            }
        }),
        // Offers the device's copy of a record to the relay again (a refused change retried
        // or discarded).
        release: Box::new({
            let client = Rc::downgrade(&client);
            move |id| {
                if let Some(client) = client.upgrade() {
                    client.release(id);
                }
            }
        }),
    }));
    Some(Handle(client))
}

impl Client {
    /// Closes the socket and stops reconnecting; breaks the handler cycle so the client is freed.
    fn stop(&self) {
        self.generation.set(self.generation.get() + 1);
        *self.session.borrow_mut() = None;
        self.retries.borrow_mut().clear();
        *self.pending.borrow_mut() = None;
        // Dropping the socket closes it and drops the handlers (which hold this client).
        let socket = self.socket.borrow_mut().take();
        drop(socket);
        self.state.online.set(false);
    }

    fn opened(&self) {
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        let this = self.this.clone();
        let state = self.state;
        // The person's roles, sites and teams as the relay has them now.
        spawn_local(async move {
            if let Ok(info) = api::session().await {
                state.refresh_session(info).await;
            }
            // The people they pick by name, and the sites' and teams' names, for offline.
            state.refresh_directory().await;
            state.refresh_groups().await;
        });
        spawn_local(async move {
            // Which documents changed on the relay since the last complete sync.
            let feed = api::changes(state.changes_cursor()).await;
            let Some(client) = this.upgrade() else { return };
            if client.generation.get() != generation {
                return;
            }
            let peer = PeerId(state.device_id.get_untracked());
            let mut session = match feed {
                Ok(feed) => {
                    let changed: Vec<DocumentId> = feed
                        .documents
                        .iter()
                        .filter_map(|d| d.parse().ok())
                        .collect();
                    let always = state.followed_indexes();
                    let refused = state.refused_ids();
                    let plan = state.with_device(|device| {
                        // A refused change is not offered again: those records sync when the
                        // relay has news of them.
                        let plan = shared::sync::reconnect_plan(
                            device.docs().iter().filter(|(id, _)| !refused.contains(id)),
                            |id| device.relay_heads(id).to_vec(),
                            &changed,
                            &always,
                        );
                        // An empty document makes the session ask the relay for one it lacks.
                        for id in &plan {
                            if device.docs().get(id).is_none() {
                                device.docs_mut().insert(*id, Automerge::new());
                            }
                        }
                        plan
                    });
                    gloo::console::log!(format!(
                        "sync: resuming with {} documents to sync (change feed since {}: {} changed)",
                        plan.len(),
                        state.changes_cursor(),
                        changed.len()
                    ));
                    *client.pending.borrow_mut() =
                        Some((plan.iter().copied().collect(), feed.cursor));
                    client.planned.set(plan.len());
                    state
                        .sync_progress
                        .set((!plan.is_empty()).then_some((0, plan.len())));
                    Session::resume(peer, plan)
                }
                Err(e) if e.is_unauthorized() => {
                    client.session_ended();
                    return;
                }
                Err(e) => {
                    gloo::console::warn!(format!(
                        "sync: change feed unavailable ({e}); syncing all"
                    ));
                    *client.pending.borrow_mut() = None;
                    Session::new(peer)
                }
            };
            let refused = state.refused_ids();
            state.with_device(|device| {
                for id in refused {
                    session.hold(id, device.relay_heads(&id), device.docs());
                }
            });
            let frames = session.open();
            *client.session.borrow_mut() = Some(session);
            client.send(&frames);
        });
    }

    fn closed(&self) {
        self.generation.set(self.generation.get() + 1);
        *self.session.borrow_mut() = None;
        *self.pending.borrow_mut() = None;
        self.state.sync_progress.set(None);
        // A new connection asks for everything missing anyway.
        self.retries.borrow_mut().clear();
        self.state.online.set(false);
        // A browser only sees a failed socket; the relay says whether the session ended.
        let this = self.this.clone();
        spawn_local(async move {
            if let Err(e) = api::session().await
                && e.is_unauthorized()
                && let Some(client) = this.upgrade()
            {
                client.session_ended();
            }
        });
    }

    /// The relay no longer accepts this device's session: stop syncing, keep everything local.
    fn session_ended(&self) {
        if self.socket.borrow().is_none() {
            return;
        }
        self.stop();
        self.state.session_ended();
    }

    /// The relay has reported on `id`: once every planned document is reported, the feed's
    /// cursor is safe to keep.
    fn reported(&self, id: &DocumentId) {
        let done = {
            let mut pending = self.pending.borrow_mut();
            match pending.as_mut() {
                Some((left, cursor)) => {
                    if left.remove(id) {
                        let total = self.planned.get();
                        let done = total.saturating_sub(left.len());
                        self.state
                            .sync_progress
                            .set((!left.is_empty()).then_some((done, total)));
                    }
                    left.is_empty().then_some(*cursor)
                }
                None => None,
            }
        };
        if let Some(cursor) = done {
            *self.pending.borrow_mut() = None;
            spawn_local(self.state.set_changes_cursor(cursor));
        }
    }

    fn frame(&self, frame: &[u8]) {
        let result = self.state.with_device(|device| {
            let mut session = self.session.borrow_mut();
            let session = session.as_mut()?;
            Some(session.receive(frame, device.docs_mut()))
        });
        match result {
            None => {}
            Some(Ok(effects)) => self.carry_out(effects),
            Some(Err(e)) => {
                // The session cannot go on: drop the connection; the socket reconnects with
                // backoff and a fresh session starts over.
                gloo::console::warn!(format!("sync: {e}"));
                *self.session.borrow_mut() = None;
                self.state.online.set(false);
                if let Some(socket) = self.socket.borrow().as_ref() {
                    socket.reconnect();
                }
            }
        }
    }

    fn carry_out(&self, effects: Vec<Effect>) {
        let mut changed = vec![];
        for effect in effects {
            match effect {
                Effect::Send(frame) => self.send(&[frame]),
                Effect::DocChanged(id) => {
                    self.retries.borrow_mut().remove(&id);
                    changed.push(id);
                }
                Effect::RelayHas { doc, heads } => {
                    self.reported(&doc);
                    spawn_local(self.state.relay_has(doc, heads));
                    // A record that reached the relay may name blobs it can now take.
                    self.blobs.kick(self.state);
                }
                Effect::Unavailable(id) => {
                    self.reported(&id);
                    if !self.hold_unavailable(id) {
                        self.retry_later(id);
                    }
                }
                Effect::Refused { doc, refusal } => {
                    gloo::console::log!(format!("sync: the relay did not accept {doc}: {refusal}"));
                    self.reported(&doc);
                    spawn_local(self.state.not_accepted(doc, refusal));
                }
                Effect::Ready { .. } => {
                    self.state.online.set(true);
                    self.state.session_expired.set(false);
                    self.request_listed();
                    // Blobs follow the documents that name them.
                    self.blobs.kick(self.state);
                    // Nothing planned (nothing changed anywhere): the cursor is current.
                    let empty = self
                        .pending
                        .borrow()
                        .as_ref()
                        .is_some_and(|(left, _)| left.is_empty());
                    if empty && let Some((_, cursor)) = self.pending.borrow_mut().take() {
                        spawn_local(self.state.set_changes_cursor(cursor));
                    }
                }
                Effect::RemoteError(message) => {
                    gloo::console::warn!(format!("sync: the relay reported: {message}"));
                }
            }
        }
        if changed.is_empty() {
            return;
        }
        let indexes = self.state.followed_indexes();
        if changed.iter().any(|id| indexes.contains(id)) {
            self.request_listed();
        }
        let state = self.state;
        spawn_local(async move { state.remote_changed(&changed).await });
    }

    /// Asks the relay for every record the followed indexes list that this device does not
    /// have (or has only asked for so far).
    fn request_listed(&self) {
        let indexes = self.state.followed_indexes();
        let frames = self.state.with_device(|device| {
            let mut session = self.session.borrow_mut();
            let session = session.as_mut()?;
            let listed: Vec<DocumentId> = indexes
                .iter()
                .filter_map(|i| device.docs().get(i).map(shared::index::records))
                .flatten()
                .collect();
            let mut frames = vec![];
            for id in listed {
                let missing = device
                    .docs()
                    .get(&id)
                    .is_none_or(|d| d.get_heads().is_empty());
                if missing {
                    // An empty document makes the session send a `request` for it.
                    if device.docs().get(&id).is_none() {
                        device.docs_mut().insert(id, Automerge::new());
                    }
                    frames.extend(session.local_change(&id, device.docs()));
                }
            }
            Some(frames)
        });
        self.send(&frames.unwrap_or_default());
    }

    /// The relay answered that it has no `id` for this person. When the device holds changes of
    /// it the relay lacks, they are not accepted (`shared::sync::unavailable_refusal`): hold
    /// them back and keep why. Returns whether it did.
    fn hold_unavailable(&self, id: DocumentId) -> bool {
        let held = self
            .session
            .borrow()
            .as_ref()
            .is_some_and(|s| s.is_held(&id));
        if held || self.state.refused_ids().contains(&id) {
            return true;
        }
        let held = self.state.with_device(|device| {
            let heads = device.relay_heads(&id).to_vec();
            let refusal = shared::sync::unavailable_refusal(device.docs().get(&id)?, &heads)?;
            let mut session = self.session.borrow_mut();
            let frames = session.as_mut()?.hold(id, &heads, device.docs());
            Some((refusal, frames))
        });
        let Some((refusal, frames)) = held else {
            return false;
        };
        self.send(&frames);
        spawn_local(self.state.not_accepted(id, refusal));
        true
    }

    /// Offers the device's copy of `id` again (see [`Handle::release`]).
    fn release(&self, id: DocumentId) {
        let frames = self.state.with_device(|device| {
            let mut session = self.session.borrow_mut();
            session
                .as_mut()
                .map(|s| s.release(&id, device.docs()))
                .unwrap_or_default()
        });
        self.send(&frames);
    }

    /// The relay did not have `id`. If the device still lacks it, ask again a little later,
    /// a few times, doubling the wait.
    fn retry_later(&self, id: DocumentId) {
        let attempt = self.retries.borrow().get(&id).map_or(0, |(n, _)| *n);
        if attempt >= UNAVAILABLE_RETRIES {
            gloo::console::log!(format!("sync: the relay does not have {id}"));
            return;
        }
        let this = self.this.clone();
        let delay = UNAVAILABLE_FIRST_DELAY_MS << attempt;
        let timer = gloo::timers::callback::Timeout::new(delay, move || {
            if let Some(client) = this.upgrade() {
                client.request_listed();
            }
        });
        self.retries.borrow_mut().insert(id, (attempt + 1, timer));
    }

    fn local_change(&self, ids: &[DocumentId]) {
        let frames = self.state.with_device(|device| {
            let mut session = self.session.borrow_mut();
            let Some(session) = session.as_mut() else {
                return vec![];
            };
            ids.iter()
                .flat_map(|id| session.local_change(id, device.docs()))
                .collect::<Vec<_>>()
        });
        self.send(&frames);
    }

    fn send(&self, frames: &[Vec<u8>]) {
        if let Some(socket) = self.socket.borrow().as_ref() {
            for frame in frames {
                socket.send(frame);
            }
        }
    }
}
