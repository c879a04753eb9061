//! Why a move or an action was refused, in words for the person holding the tablet.

/// A rejected transition or action. The `Display` text is shown as is in the app.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("{noun} cannot go from {from} to {to} (from {from} it can go to {options})")]
    NotAllowed {
        noun: &'static str,
        from: String,
        to: String,
        options: String,
    },
    #[error("say why it is {status}: a reason is required{consequence}")]
    ReasonRequired {
        status: String,
        /// What entering the status does, e.g. ", and the SLA clock pauses until it moves on".
        consequence: &'static str,
    },
    #[error("{noun} needs {what} before it can be {status}")]
    Missing {
        what: &'static str,
        noun: &'static str,
        status: String,
    },
    #[error("a major incident needs an owner before it can be {status}")]
    MajorIncidentWithoutOwner { status: String },
    #[error("a major incident needs a post-incident review before it can be {status}")]
    MajorIncidentWithoutReview { status: String },
    #[error(
        "the service outage has no end yet: record when the service was restored before the incident can be {status}"
    )]
    OutageStillOpen { status: String },
    #[error("only a major incident records a service outage; declare it major first")]
    OutageNotMajor,
    #[error("the outage must end after it starts; check the restore time")]
    OutageEndsBeforeStart,
    #[error(
        "{unchecked} of {total} CIs are not checked yet: check them, or say why the campaign is complete without them"
    )]
    UncheckedCis { unchecked: usize, total: usize },
    #[error("the change is {status}: record its outcome once it has been implemented")]
    NotImplementedYet { status: String },
    #[error("a normal change needs CAB approval before it can be {status}")]
    NoCabApproval { status: String },
    #[error("the CAB rejected this change ({by}: {comment}); it cannot be {status}")]
    RejectedByCab {
        by: String,
        comment: String,
        status: String,
    },
    #[error("an emergency change needs an emergency approver's approval before it can be {status}")]
    NoEmergencyApproval { status: String },
    #[error(
        "this change is planned in the freeze window {freeze}; it cannot be {status} without an approver's freeze override"
    )]
    InFreeze { freeze: String, status: String },
    #[error("{kind} change needs its {review} before it can be closed")]
    NoReview {
        kind: &'static str,
        review: &'static str,
    },
    #[error(
        "a standard change must come from a pre-approved template; pick one from the template list"
    )]
    StandardWithoutTemplate,
    #[error("the template '{template}' is not approved for standard changes")]
    TemplateNotApproved { template: String },
    #[error(
        "this problem can close only when its fix change is closed or it is accepted as a known error; link a fix change or accept it as a known error"
    )]
    ProblemWithoutFix,
    #[error(
        "the fix change {change} is not closed yet; close it first or accept the problem as a known error"
    )]
    FixChangeOpen { change: String },
    #[error("{service} is {state} and takes no new requests")]
    ServiceNotLive { service: String, state: String },
    #[error("'{item}' is not offered by {service}")]
    UnknownOffering { item: String, service: String },
    #[error("tick off the {open} remaining fulfilment step(s) before the request can be {status}")]
    StepsOpen { open: usize, status: String },
    #[error("there is no step {0} on this request")]
    NoSuchStep(usize),
    #[error("the business-hours calendar is not valid: {0}")]
    BadCalendar(String),
    #[error("{0} cannot be empty")]
    Empty(&'static str),
}
