//! Lifecycles as explicit state machines, as data.
//!
//! One mechanism serves every record type: a [`Lifecycle`] says which status may follow which,
//! which statuses are finished and which need a reason to enter, and the record type's rules
//! (`crate::model::RecordType::rules`) add what ISO/IEC 20000 asks of its contents (a normal
//! change needs CAB approval, a major incident closes only after its review, …).
//! `crate::model::Record::move_to` applies both, then records the move in the status history
//! and the work log. The same rules run again after a merge (`crate::review`), so a rule lives
//! in exactly one place whether it is enforced on a tablet or detected after sync.

mod error;
mod lifecycle;

pub use error::WorkflowError;
pub use lifecycle::{Lifecycle, NO_LIFECYCLE};
