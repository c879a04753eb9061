//! automerge-repo's WebSocket wire protocol: the message types and their CBOR codec.
//!
//! Every frame is one CBOR map with text keys (`type`, `senderId`, `targetId`, `documentId`,
//! `data`, …), as specified in the README of `automerge-repo-network-websocket` and spoken by
//! samod and the JS reference server. Speaking it exactly means unmodified automerge-repo peers
//! interoperate with Outpost.
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
