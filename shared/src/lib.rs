//! Outpost's core: everything that *decides* something, as plain functions and state machines
//! over plain data. No I/O, no clock, no randomness of its own: the app and the relay feed it
//! events, the time and fresh ids, and carry out what it returns. It builds for wasm32 and native,
//! so the browser, the relay and the tests apply exactly the same rules.

// The SHA-256 Automerge links (sha2 0.11), under its usual name: one copy in the app.
extern crate sha2_automerge as sha2;

pub mod access;
pub mod api;
pub mod attachments;
pub mod csv_export;
pub mod device;
pub mod directory;
pub mod duties;
pub mod evidence;
pub mod forms;
pub mod history;
pub mod ids;
pub mod index;
pub mod links;
pub mod model;
pub mod numbering;
pub mod order;
pub mod person;
pub mod photo;
pub mod priority;
pub mod protocol;
pub mod records;
pub mod references;
pub mod refusal;
pub mod reports;
pub mod review;
pub mod scope;
pub mod signature;
pub mod sla;
pub mod summary;
pub mod sync;
pub mod tags;
pub mod time;
pub mod time_spent;
pub mod workflow;
