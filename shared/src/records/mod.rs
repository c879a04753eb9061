//! The ISO/IEC 20000 records, one Automerge document each.
//!
//! Every record document has two envelope fields at its root besides the record's own fields:
//! `type` (e.g. `"incident"`) and `schema` (an integer). A reader refuses a document whose
//! schema is newer than it understands, rather than misreading it, and upgrades an older one
//! in memory ([`Record::upgrade`]).
//!
//! | module | records (number prefix) |
//! |---|---|
//! | `incident`, `request`, `ticket` | incident (INC), service request (REQ) and their shared lifecycle |
//! | `security` | security incident (SEC) |
//! | `problem` | problem / known error (PRB) |
//! | `change` | change (CHG), change template (TPL), change calendar |
//! | `release` | release (REL) |
//! | `service` | service with its catalogue offerings (SVC) |
//! | `ci` | configuration item (CI), asset (AST) |
//! | `campaign` | verification campaign over CIs (VER) |
//! | `agreement` | SLA (SLA) |
//! | `parties` | customer (CUS), complaint (CMP), supplier (SUP), contract (CON) |
//! | `continuity` | continuity plan (BCP) |
//! | `registers` | risk (RSK), competence (CMT), internal audit (AUD), management review (MRV), nonconformity (NCF), improvement (IMP) |

pub mod agreement;
pub mod campaign;
pub mod change;
pub mod ci;
pub mod continuity;
pub mod document;
pub mod incident;
pub mod journal;
pub(crate) mod labels;
pub mod parties;
mod prefetch;
pub mod priority;
pub mod problem;
pub mod registers;
pub mod release;
pub mod request;
pub mod security;
pub mod service;
pub mod ticket;

pub use document::{ChangeMeta, Record, RecordError};

/// Every record type: its document `type` and its number prefix. Prefixes are distinct, so
/// a number names its record type as well as its record.
pub const KINDS: [(&str, &str); 23] = {
    macro_rules! kinds {
        ($($t:ty),+ $(,)?) => { [$((<$t as Record>::KIND, <$t as Record>::NUMBER_PREFIX)),+] };
    }
    kinds![
        incident::Incident,
        request::ServiceRequest,
        security::SecurityIncident,
        problem::Problem,
        change::Change,
        change::ChangeTemplate,
        release::Release,
        service::Service,
        ci::ConfigurationItem,
        ci::Asset,
        campaign::VerificationCampaign,
        agreement::Sla,
        parties::Customer,
        parties::Complaint,
        parties::Supplier,
        parties::Contract,
        continuity::ContinuityPlan,
        registers::Risk,
        registers::Competence,
        registers::InternalAudit,
        registers::ManagementReview,
        registers::Nonconformity,
        registers::Improvement,
    ]
};

/// Every record type's description, in navigation order (the record engine, `crate::model`).
pub static TYPES: [&crate::model::RecordType; 23] = [
    &incident::INCIDENT,
    &request::SERVICE_REQUEST,
    &security::SECURITY_INCIDENT,
    &problem::PROBLEM,
    &change::CHANGE,
    &change::CHANGE_TEMPLATE,
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
pub fn type_of(kind: &str) -> Option<&'static crate::model::RecordType> {
    TYPES.iter().copied().find(|t| t.kind == kind)
}

/// The record in `doc`, whatever its type.
pub fn read(doc: &automerge::Automerge) -> Result<crate::model::Record, crate::model::RecordError> {
    let kind = crate::model::record_type(doc).ok_or(crate::model::RecordError::NoType)?;
    let ty = type_of(&kind).ok_or(crate::model::RecordError::UnknownType(kind))?;
    crate::model::Record::read(doc, ty)
}
