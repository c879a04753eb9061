//! The record engine: how any record type is described ([`RecordType`]: fields and their
//! [`Shape`]s, schemas, lifecycle, rules, form, actions, summary), read from its Automerge
//! document tolerantly (`read`), and written back canonically (`write`), as one [`Record`]
//! whatever its type. `crate::records` describes the 25 record types with it; `crate::forms`,
//! `crate::summary` and `crate::review` work on any of them.

mod journal;
mod kind;
mod read;
mod record;
mod shape;
mod value;
mod write;

#[cfg(test)]
mod tests;

pub use crate::workflow::{Lifecycle, NO_LIFECYCLE};
pub use journal::{
    STATUS_CHANGE, STATUS_HISTORY, StatusChange, WORK_LOG, WORK_LOG_ENTRY, WorkLogEntry, entry,
    in_time_order,
};
pub use kind::{
    Action, Area, Codec, Create, Facts, FormField, Input, Layout, Lookup, Nothing, Period, Pick,
    Place, RecordType, Row, RowButton, Schema, Section, Values, given,
};
pub use record::{ChangeMeta, Record, RecordError, record_type, schema_version};
pub use shape::{Choices, Field, Shape};
pub use value::{Group, Link, Value, scalar_text};
