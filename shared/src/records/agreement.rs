//! Service level agreement (ISO 20000 8.3.3): targets per priority, a business-hours calendar,
//! pause statuses, workload limits and exceptions.

use std::collections::HashMap;

use autosurgeon::{Hydrate, Reconcile};

use super::document::{ChangeMeta, record};
use super::journal::{StatusChange, WorkLogEntry};
use super::labels::labelled_enum;
use super::priority::Priority;
use super::service::Service;
use super::ticket::{PAUSE_STATUSES, STOP_STATUSES, TicketStatus};
use crate::sla::{BusinessCalendar, Calendar, Policy};
use crate::workflow::{Lifecycle, Workflow, WorkflowError, tracked};

/// Response and resolution targets for one priority, in business minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct PriorityTarget {
    pub priority: Priority,
    pub response_minutes: u32,
    pub resolution_minutes: u32,
}

labelled_enum! {
    pub enum AgreementStatus {
        Draft = ("draft", "Draft"),
        Active = ("active", "Active"),
        Expired = ("expired", "Expired"),
    }
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Sla {
    pub number: String,
    pub name: String,
    /// The customer record number.
    pub customer: String,
    pub services: Vec<String>,
    pub targets: Vec<PriorityTarget>,
    pub calendar: Calendar,
    /// Statuses (stored keys) in which the clock pauses.
    pub pause_statuses: Vec<String>,
    /// Most requests per month the agreement covers (0: no limit).
    pub workload_limit: u32,
    pub exceptions: Vec<String>,
    pub status: AgreementStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(Sla, "sla", "SLA");
tracked!(Sla, AgreementStatus);

static OLD_LIFECYCLE: Lifecycle<AgreementStatus> = {
    use AgreementStatus::*;
    Lifecycle {
        noun: "an SLA",
        moves: &[
            (Draft, &[Active]),
            (Active, &[Expired]),
            (Expired, &[Active]),
        ],
        finished: &[],
    }
};

impl Workflow for Sla {
    type Facts = ();

    fn lifecycle() -> &'static Lifecycle<AgreementStatus> {
        &OLD_LIFECYCLE
    }

    /// An active SLA must be measurable: targets and a valid calendar.
    fn check(&self, to: AgreementStatus, _: &str, _: &()) -> Result<(), WorkflowError> {
        if to != AgreementStatus::Active {
            return Ok(());
        }
        if self.targets.is_empty() {
            return Err(WorkflowError::Missing {
                what: "at least one priority target",
                noun: "an SLA",
                status: "active".into(),
            });
        }
        self.calendar
            .compile()
            .map(|_| ())
            .map_err(|e| WorkflowError::BadCalendar(e.to_string()))
    }
}

impl Sla {
    /// A draft SLA with the usual ticket pause status (pending) and a 24×7 UTC calendar.
    pub fn create(
        number: String,
        name: &str,
        customer: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if name.trim().is_empty() {
            return Err(WorkflowError::Empty("the SLA name"));
        }
        let mut sla = Sla {
            number,
            name: name.trim().into(),
            customer: customer.into(),
            pause_statuses: PAUSE_STATUSES.map(String::from).to_vec(),
            ..Sla::default()
        };
        sla.start(meta, "SLA drafted");
        Ok(sla)
    }

    pub fn target(&self, priority: Priority) -> Option<PriorityTarget> {
        self.targets
            .iter()
            .copied()
            .find(|t| t.priority == priority)
    }

    /// The clock policy for an incident or service request of `priority`, with the calendar
    /// compiled once by the caller.
    pub fn ticket_policy<'a>(
        &'a self,
        calendar: &'a BusinessCalendar,
        priority: Priority,
    ) -> Option<Policy<'a>> {
        Some(Policy {
            calendar,
            target: self.target(priority)?,
            pause: &self.pause_statuses,
            stop: &STOP_STATUSES,
            awaiting_response: TicketStatus::New.as_str(),
        })
    }
}

/// The SLAs a device holds, by record number: what each ticket's clock runs against.
#[derive(Debug, Clone)]
pub struct Agreements {
    by_number: HashMap<String, Sla>,
    standard: Sla,
}

impl Default for Agreements {
    /// None but the standard SLA.
    fn default() -> Self {
        Self::new([])
    }
}

impl Agreements {
    pub fn new(slas: impl IntoIterator<Item = Sla>) -> Self {
        Agreements {
            by_number: slas.into_iter().map(|s| (s.number.clone(), s)).collect(),
            standard: crate::summary::standard_sla(),
        }
    }

    /// The SLA a ticket naming `number` is measured against: that SLA, whatever its status (it
    /// was the agreement when the ticket was logged), or the standard SLA when the ticket names
    /// none or one this device does not hold.
    pub fn for_ticket(&self, number: &str) -> &Sla {
        self.by_number.get(number).unwrap_or(&self.standard)
    }

    /// The SLA number a new ticket for `service` runs against: the service's own SLA, else an
    /// active SLA that lists the service; empty (the standard SLA) when neither exists.
    pub fn for_service(&self, service: &Service) -> String {
        if !service.sla.is_empty() {
            return service.sla.clone();
        }
        let mut covering: Vec<&Sla> = self
            .by_number
            .values()
            .filter(|s| s.status == AgreementStatus::Active)
            .filter(|s| s.services.iter().any(|x| x.trim() == service.number))
            .collect();
        // Several active SLAs listing one service: the same one on every device.
        covering.sort_by(|a, b| a.number.cmp(&b.number));
        covering
            .first()
            .map(|s| s.number.clone())
            .unwrap_or_default()
    }
}

// ---------------------------------------------------------------- the record engine's description

use crate::model::{self as m, Field as F, Shape as S};

pub const AGREEMENT_STATUSES: m::Choices = m::Choices::new(&[
    ("draft", "Draft"),
    ("active", "Active"),
    ("expired", "Expired"),
]);

/// Response and resolution targets for one priority, in business minutes.
pub const TARGET: &[F] = &[
    F::new("priority", S::Choice(&super::priority::PRIORITIES)),
    F::new("response_minutes", S::COUNT),
    F::new("resolution_minutes", S::COUNT),
];

/// Working hours of one weekday, in minutes after local midnight; open == close: closed.
pub const WORKING_DAY: &[F] = &[F::new("open", S::COUNT), F::new("close", S::COUNT)];

/// A business-hours calendar (see [`Calendar`]).
pub const CALENDAR: &[F] = &[
    F::new("time_zone", S::Text).or(|| m::Value::Str("UTC".into())),
    F::new("week", S::List(&S::Group(WORKING_DAY))).or(|| {
        let day = m::Group::defaults(WORKING_DAY).with("close", 24 * 60);
        m::Value::List(vec![m::Value::Group(day); 7])
    }),
    F::new("holidays", S::List(&S::Text)),
];

pub const FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("name", S::Text),
    F::new("customer", S::Reference("customer")),
    F::new("services", S::List(&S::Reference("service"))),
    F::new("targets", S::List(&S::Group(TARGET))),
    F::new("calendar", S::Group(CALENDAR)),
    // Statuses (keys) in which the clock pauses.
    F::new("pause_statuses", S::List(&S::Text))
        .or(|| m::Value::List(PAUSE_STATUSES.iter().map(|s| m::Value::from(*s)).collect())),
    // Most requests per month the agreement covers (0: no limit).
    F::new("workload_limit", S::COUNT),
    F::new("exceptions", S::List(&S::Text)),
    F::new("status", S::Choice(&AGREEMENT_STATUSES)),
    F::new("status_history", m::STATUS_HISTORY),
    F::new("work_log", m::WORK_LOG),
];

static LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "an SLA",
    statuses: &AGREEMENT_STATUSES,
    moves: &[
        ("draft", &["active"]),
        ("active", &["expired"]),
        ("expired", &["active"]),
    ],
    finished: &[],
    reasons: &[],
};

/// The calendar a calendar group holds.
pub fn calendar_of(g: Option<&m::Group>) -> Calendar {
    let Some(g) = g else {
        return Calendar::default();
    };
    Calendar {
        time_zone: g.str("time_zone").into(),
        week: g
            .groups("week")
            .map(|d| crate::sla::WorkingDay {
                open: d.uint("open") as u32,
                close: d.uint("close") as u32,
            })
            .collect(),
        holidays: g.strs("holidays").map(String::from).collect(),
    }
}

/// An active SLA must be measurable: targets and a valid calendar.
fn rules(r: &m::Record, to: &str, _: &str, _: &m::Facts) -> Result<(), WorkflowError> {
    if to != "active" {
        return Ok(());
    }
    if r.list("targets").is_empty() {
        return Err(WorkflowError::Missing {
            what: "at least one priority target",
            noun: "an SLA",
            status: "active".into(),
        });
    }
    calendar_of(r.group("calendar"))
        .compile()
        .map(|_| ())
        .map_err(|e| WorkflowError::BadCalendar(e.to_string()))
}

pub static SLA: m::RecordType = m::RecordType {
    kind: "sla",
    prefix: "SLA",
    noun: "SLA",
    plural: "Service level agreements",
    area: m::Area::ServiceLevel,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    logged: "SLA drafted",
    title: |r| r.str("name").to_string(),
    ..m::RecordType::BASE
};
