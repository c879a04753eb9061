//! The sync client: carries `shared::sync::Session`'s decisions over a WebSocket to the relay.
//!
//! One `Session` per connection. The socket (see `socket`) reconnects by itself; each time it
//! opens, a fresh session does the handshake and then syncs every document. Effects the session
//! returns are carried out here: frames sent, changed documents persisted and re-rendered,
//! relay heads remembered. Documents listed in the scope index that the device lacks are
//! requested, so incidents logged on other tablets appear in the list as they arrive.

mod socket;

use std::cell::RefCell;
use std::rc::Rc;

use automerge::Automerge;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ids::{DocumentId, PeerId};
use shared::index;
use shared::sync::{Docs as _, Effect, Session};

use crate::state::AppState;

pub use socket::Socket;

struct Client {
    state: AppState,
    session: RefCell<Option<Session>>,
    socket: RefCell<Option<Socket>>,
}

/// Connects to the relay and keeps syncing for the life of the page.
pub fn start(state: AppState) {
    let Some(url) = socket::sync_url() else {
        return;
    };
    let client = Rc::new(Client {
        state,
        session: RefCell::new(None),
        socket: RefCell::new(None),
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
    state.on_local_change(Box::new({
        let client = client.clone();
        move |ids| client.local_change(ids)
    }));
}

impl Client {
    fn opened(&self) {
        let mut session = Session::new(PeerId(self.state.device_id.get_untracked()));
        let frames = session.open();
        *self.session.borrow_mut() = Some(session);
        self.send(&frames);
    }

    fn closed(&self) {
        *self.session.borrow_mut() = None;
        self.state.online.set(false);
    }

    fn frame(&self, frame: &[u8]) {
        let result = self.state.with_repo(|repo| {
            let mut session = self.session.borrow_mut();
            let session = session.as_mut()?;
            Some(session.receive(frame, &mut repo.docs))
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
                Effect::DocChanged(id) => changed.push(id),
                Effect::RelayHas { doc, heads } => {
                    spawn_local(self.state.relay_has(doc, heads));
                }
                Effect::Unavailable(id) => {
                    gloo::console::log!(format!("sync: the relay does not have {id}"));
                }
                Effect::Ready { .. } => {
                    self.state.online.set(true);
                    self.request_listed();
                }
                Effect::RemoteError(message) => {
                    gloo::console::warn!(format!("sync: the relay reported: {message}"));
                }
            }
        }
        if changed.is_empty() {
            return;
        }
        if changed.contains(&index::index_id(index::DEFAULT_SCOPE)) {
            self.request_listed();
        }
        let state = self.state;
        spawn_local(async move { state.remote_changed(&changed).await });
    }

    /// Asks the relay for every record the scope index lists that this device does not have.
    fn request_listed(&self) {
        let index_id = index::index_id(index::DEFAULT_SCOPE);
        let frames = self.state.with_repo(|repo| {
            let mut session = self.session.borrow_mut();
            let session = session.as_mut()?;
            let listed = repo.docs.get(&index_id).map(index::records)?;
            let mut frames = vec![];
            for id in listed {
                if repo.docs.get(&id).is_none() {
                    // An empty document makes the session send a `request` for it.
                    repo.docs.insert(id, Automerge::new());
                    frames.extend(session.local_change(&id, &repo.docs));
                }
            }
            Some(frames)
        });
        self.send(&frames.unwrap_or_default());
    }

    fn local_change(&self, ids: &[DocumentId]) {
        let frames = self.state.with_repo(|repo| {
            let mut session = self.session.borrow_mut();
            let Some(session) = session.as_mut() else {
                return vec![];
            };
            ids.iter()
                .flat_map(|id| session.local_change(id, &repo.docs))
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
