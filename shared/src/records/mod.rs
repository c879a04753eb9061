//! The ISO/IEC 20000 records, one Automerge document each, and one description each
//! (`crate::model::RecordType`): its fields and their shapes, its schemas, its lifecycle and
//! rules, how a new one starts, its form, its actions and what lists show of it. Where code
//! computes with a record (the SLA clock, the reports, the change calendar) a module also
//! offers a typed view of it (`Incident`, `Change`, `Sla`, …) read from the same record.
//!
//! | module | records (number prefix) |
//! |---|---|
//! | `incident`, `request`, `ticket` | incident (INC), service request (REQ) and their shared lifecycle |
//! | `security` | security incident (SEC) |
//! | `problem` | problem / known error (PRB) |
//! | `change` | change (CHG), change template (TPL), freeze window (FRZ), change calendar |
//! | `release` | release (REL) |
//! | `service` | service with its catalogue offerings (SVC) |
//! | `ci` | configuration item (CI), asset (AST) |
//! | `campaign` | verification campaign over CIs (VER) |
//! | `agreement` | SLA (SLA) |
//! | `parties` | customer (CUS), complaint (CMP), supplier (SUP), contract (CON) |
//! | `continuity` | continuity plan (BCP) |
//! | `registers` | risk (RSK), competence (CMT), internal audit (AUD), management review (MRV), nonconformity (NCF), improvement (IMP) |
//! | `journal`, `priority` | what several share: reviews, contacts; impact, urgency and priority |

pub mod agreement;
pub mod campaign;
pub mod change;
pub mod ci;
pub mod continuity;
pub mod incident;
pub mod journal;
pub mod knowledge;
pub(crate) mod labels;
pub mod parties;
pub mod problem;
pub mod registers;
pub mod release;
pub mod request;
pub mod security;
pub mod service;
pub mod ticket;

use automerge::Automerge;

pub use crate::model::{ChangeMeta, Record, RecordError};
use crate::model::{Choices, Lookup, RecordType, Values, given, record_type};

/// Every record type, in navigation order. Kinds and number prefixes are distinct, so a
/// number names its record type as well as its record.
pub static TYPES: [&RecordType; 25] = [
    &incident::INCIDENT,
    &request::SERVICE_REQUEST,
    &security::SECURITY_INCIDENT,
    &problem::PROBLEM,
    &knowledge::KNOWLEDGE_ARTICLE,
    &change::CHANGE,
    &change::CHANGE_TEMPLATE,
    &change::FREEZE_WINDOW,
    &release::RELEASE,
    &service::SERVICE,
    &ci::CONFIGURATION_ITEM,
    &ci::ASSET,
    &campaign::VERIFICATION_CAMPAIGN,
    &agreement::SLA,
    &parties::CUSTOMER,
    &parties::COMPLAINT,
    &parties::SUPPLIER,
    &parties::CONTRACT,
    &continuity::CONTINUITY_PLAN,
    &registers::RISK,
    &registers::COMPETENCE,
    &registers::INTERNAL_AUDIT,
    &registers::MANAGEMENT_REVIEW,
    &registers::NONCONFORMITY,
    &registers::IMPROVEMENT,
];

/// The description of record type `kind`.
pub fn type_of(kind: &str) -> Option<&'static RecordType> {
    TYPES.iter().copied().find(|t| t.kind == kind)
}

/// The record in `doc`, whatever its type.
pub fn read(doc: &Automerge) -> Result<Record, RecordError> {
    let kind = record_type(doc).ok_or(RecordError::NoType)?;
    let ty = type_of(&kind).ok_or(RecordError::UnknownType(kind))?;
    Record::read(doc, ty)
}

/// The record of type `ty` numbered `number` on the device, or why it cannot be used (named
/// after the form `field` that gave the number).
pub(crate) fn other(
    lookup: &dyn Lookup,
    number: &str,
    ty: &'static RecordType,
    field: &str,
) -> Result<Record, RecordError> {
    let doc = lookup.record(number).ok_or_else(|| {
        RecordError::invalid(
            field,
            format!(
                "there is no {} {number} on this device",
                ty.kind.replace('_', " ")
            ),
        )
    })?;
    Record::read(&doc, ty)
}

/// The key chosen for `key` among `choices`, or a refusal named `label`.
pub(crate) fn chosen(
    values: &Values,
    key: &str,
    label: &str,
    choices: &Choices,
) -> Result<&'static str, RecordError> {
    let text = given(values, key);
    choices
        .options
        .iter()
        .find(|(k, _)| *k == text)
        .map(|(k, _)| *k)
        .ok_or_else(|| RecordError::invalid(label, choices.refusal(text)))
}
