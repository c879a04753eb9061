//! automerge-repo's WebSocket wire protocol: the message types and their CBOR codec.
//!
//! Every frame is one CBOR map with text keys (`type`, `senderId`, `targetId`, `documentId`,
//! `data`, …), as specified in the README of `automerge-repo-network-websocket` and spoken by
//! samod and the JS reference server. Speaking it exactly means unmodified automerge-repo peers
//! interoperate with Outpost.
//!
//! ## One extension: a refused write
//!
//! When the relay does not accept a change (the person may read the record but not change it,
//! the record is outside their scope, a limit), it tells the device which document and why, and
//! keeps the connection open ([`Message::Refused`]). On the wire that is automerge-repo's own
//! `error` message with two extra fields:
//!
//! ```text
//! { type: "error", message: "Auditors read only: …", documentId: "<id>", refusal: "read_only" }
//! ```
//!
//! Why an `error` and not a new message type: unmodified peers must not break on it.
//! automerge-repo 2.5.6's WebSocket client logs an `error`'s `message` and carries on (it never
//! closes on one; extra fields are ignored), while it drops a message of an unknown type as
//! "invalid" without a word, so the `error` at least shows the reason in its log. Earlier
//! Outpost apps decode it as a plain `error` (extra fields ignored) and keep the connection; an
//! unknown type would have been a protocol error to them, closing and reconnecting in a loop.
//! samod closes its side on either (on an `error` by protocol, on an unknown type as
//! undecodable), so nothing is lost for it by using `error`. The codes are
//! [`crate::refusal::RefusalCode`]'s: `read_only`, `out_of_scope`, `scope_change`, `limit`,
//! `invalid`; a device keeps unknown codes as they came.
//!
//! ## Bounds
//!
//! Every peer may be hostile, so nothing here trusts a count or a length: `cbor` reads a frame
//! within bounds, and `limits` (with `chunks`) checks what a sync message's Automerge data
//! would cost before Automerge reads any of it (SECURITY.md).

pub mod cbor;
pub mod chunks;
mod codec;
pub mod limits;
mod message;

pub use codec::{DecodeError, decode, encode};
pub use message::{HeadsInfo, Message, PROTOCOL_VERSION, PeerMetadata};

#[cfg(test)]
mod tests;
