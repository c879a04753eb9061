//! A WebSocket to the relay that keeps itself connected.
//!
//! It knows nothing of the protocol: it delivers binary frames and open/close events to its
//! handlers, and reconnects after a drop with exponential backoff (0.5 s doubling to 10 s), so
//! a tablet coming back into coverage syncs without anyone touching it. The backoff resets once
//! the relay has answered (the first frame received), not merely on open, so a relay that
//! accepts and immediately drops connections is not hammered.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo::timers::callback::Timeout;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{BinaryType, MessageEvent, WebSocket};

const FIRST_DELAY_MS: u32 = 500;
const MAX_DELAY_MS: u32 = 10_000;

pub type FrameFn = Box<dyn Fn(&[u8])>;

/// What the owner of the socket is told.
pub struct Handlers {
    pub opened: Box<dyn Fn()>,
    pub frame: FrameFn,
    pub closed: Box<dyn Fn()>,
}

/// A handle to the reconnecting socket. Dropping the last handle stops reconnecting.
#[derive(Clone)]
pub struct Socket(Rc<RefCell<Inner>>);

struct Inner {
    url: String,
    handlers: Rc<Handlers>,
    ws: Option<WebSocket>,
    /// The event handlers of the current socket, kept alive as long as it is.
    callbacks: Vec<Closure<dyn FnMut(JsEvent)>>,
    retry: Option<Timeout>,
    delay_ms: u32,
    answered: bool,
    /// `window.online` listener: retry at once when the browser regains a network.
    _online: Option<gloo::events::EventListener>,
}

type JsEvent = wasm_bindgen::JsValue;

/// The relay's sync endpoint on this page's origin (`ws:` or `wss:` like the page).
pub fn sync_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss:"
    } else {
        "ws:"
    };
    Some(format!("{scheme}//{}/sync", location.host().ok()?))
}

impl Socket {
    pub fn connect(url: String, handlers: Handlers) -> Socket {
        let socket = Socket(Rc::new(RefCell::new(Inner {
            url,
            handlers: Rc::new(handlers),
            ws: None,
            callbacks: vec![],
            retry: None,
            delay_ms: FIRST_DELAY_MS,
            answered: false,
            _online: None,
        })));
        if let Some(window) = web_sys::window() {
            let weak = Rc::downgrade(&socket.0);
            let listener = gloo::events::EventListener::new(&window, "online", move |_| {
                if let Some(inner) = weak.upgrade()
                    && inner.borrow().ws.is_none()
                {
                    inner.borrow_mut().retry = None;
                    open(&inner);
                }
            });
            socket.0.borrow_mut()._online = Some(listener);
        }
        open(&socket.0);
        socket
    }

    /// Sends a binary frame if the socket is open; returns whether it went out. Frames are not
    /// queued while offline: on reconnect the sync session starts afresh and sends what the
    /// relay lacks.
    pub fn send(&self, frame: &[u8]) -> bool {
        let inner = self.0.borrow();
        match &inner.ws {
            Some(ws) if ws.ready_state() == WebSocket::OPEN => ws.send_with_u8_array(frame).is_ok(),
            _ => false,
        }
    }

    /// Drops the current connection (e.g. after a protocol error); the close event schedules
    /// a reconnect with the usual backoff.
    pub fn reconnect(&self) {
        let ws = self.0.borrow().ws.clone();
        if let Some(ws) = ws {
            let _ = ws.close();
        }
    }
}

fn open(inner_rc: &Rc<RefCell<Inner>>) {
    let url = inner_rc.borrow().url.clone();
    let ws = match WebSocket::new(&url) {
        Ok(ws) => ws,
        Err(_) => {
            schedule_retry(inner_rc);
            return;
        }
    };
    ws.set_binary_type(BinaryType::Arraybuffer);
    let weak = Rc::downgrade(inner_rc);

    let on_open = {
        let weak = weak.clone();
        Closure::<dyn FnMut(JsEvent)>::new(move |_| {
            if let Some(handlers) = handlers_of(&weak) {
                (handlers.opened)();
            }
        })
    };
    let on_message = {
        let weak = weak.clone();
        Closure::<dyn FnMut(JsEvent)>::new(move |event: JsEvent| {
            let Some(inner) = weak.upgrade() else { return };
            let Ok(event) = event.dyn_into::<MessageEvent>() else {
                return;
            };
            // The protocol is binary (CBOR); a text frame is not ours to read.
            let Ok(buffer) = event.data().dyn_into::<js_sys::ArrayBuffer>() else {
                return;
            };
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            {
                let mut inner = inner.borrow_mut();
                if !inner.answered {
                    inner.answered = true;
                    inner.delay_ms = FIRST_DELAY_MS;
                }
            }
            let handlers = inner.borrow().handlers.clone();
            (handlers.frame)(&bytes);
        })
    };
    let on_close = {
        let weak = weak.clone();
        Closure::<dyn FnMut(JsEvent)>::new(move |_: JsEvent| {
            let Some(inner) = weak.upgrade() else { return };
            let handlers = {
                let mut i = inner.borrow_mut();
                i.ws = None;
                i.handlers.clone()
            };
            (handlers.closed)();
            schedule_retry(&inner);
        })
    };
    // An error is always followed by a close event, which does the work.
    let on_error = Closure::<dyn FnMut(JsEvent)>::new(|_: JsEvent| {});
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));

    let mut inner = inner_rc.borrow_mut();
    if let Some(old) = inner.ws.take() {
        detach(&old);
        let _ = old.close();
    }
    inner.ws = Some(ws);
    inner.answered = false;
    inner.callbacks = vec![on_open, on_message, on_close, on_error];
}

fn handlers_of(weak: &Weak<RefCell<Inner>>) -> Option<Rc<Handlers>> {
    Some(weak.upgrade()?.borrow().handlers.clone())
}

fn schedule_retry(inner_rc: &Rc<RefCell<Inner>>) {
    let weak = Rc::downgrade(inner_rc);
    let mut inner = inner_rc.borrow_mut();
    let delay = inner.delay_ms;
    inner.delay_ms = (delay * 2).min(MAX_DELAY_MS);
    inner.retry = Some(Timeout::new(delay, move || {
        if let Some(inner) = weak.upgrade() {
            inner.borrow_mut().retry = None;
            open(&inner);
        }
    }));
}

fn detach(ws: &WebSocket) {
    ws.set_onopen(None);
    ws.set_onmessage(None);
    ws.set_onclose(None);
    ws.set_onerror(None);
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(ws) = self.ws.take() {
            detach(&ws);
            let _ = ws.close();
        }
    }
}
