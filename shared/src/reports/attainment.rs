//! SLA attainment: of the tickets resolved in a period, how many met their response and
//! resolution targets, per service and overall, by the same SLA clock the tickets show.

use std::collections::{BTreeMap, HashMap};

use super::Period;
use super::process::{Ticket, resolved_in};
use crate::priority::{Priority, PriorityMatrix};
use crate::records::agreement::Sla;
use crate::records::journal::StatusChange;
use crate::sla::{BusinessCalendar, CalendarError, measure};

/// Targets met and breached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attainment {
    pub met: usize,
    pub breached: usize,
}

impl Attainment {
    fn add(&mut self, breached: bool) {
        if breached {
            self.breached += 1;
        } else {
            self.met += 1;
        }
    }

    pub fn measured(&self) -> usize {
        self.met + self.breached
    }

    /// Percent met, `None` when nothing was measured (no tickets is not 0 % or 100 %).
    pub fn percent(&self) -> Option<f64> {
        let n = self.measured();
        (n > 0).then(|| self.met as f64 * 100.0 / n as f64)
    }
}

/// Attainment for one service (or overall, with `service` empty).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceAttainment {
    /// The service record number; empty for the overall row and for tickets without one.
    pub service: String,
    pub response: Attainment,
    pub resolution: Attainment,
}

/// A resolved ticket the clock could not measure, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmeasured {
    NoSla {
        record: String,
    },
    /// The ticket names an SLA this device does not have.
    UnknownSla {
        record: String,
        sla: String,
    },
    /// The SLA has no target for the ticket's priority.
    NoTarget {
        record: String,
        sla: String,
        priority: Priority,
    },
    BadCalendar {
        record: String,
        sla: String,
        error: CalendarError,
    },
}

/// The report: overall, then one row per service (ordered by service number), and the tickets
/// left out. `overall.response.measured() + unmeasured.len()` is the number of tickets
/// resolved in the period.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SlaAttainment {
    pub overall: ServiceAttainment,
    pub per_service: Vec<ServiceAttainment>,
    pub unmeasured: Vec<Unmeasured>,
}

/// Measures every ticket resolved in `period` (its last resolution in the period) against its
/// SLA, as its clock stood at that resolution: a later reopen belongs to a later period.
pub fn sla_attainment<T: Ticket>(
    tickets: &[T],
    slas: &[Sla],
    matrix: &PriorityMatrix,
    period: Period,
) -> SlaAttainment {
    let by_number: HashMap<&str, &Sla> = slas.iter().map(|s| (s.number.as_str(), s)).collect();
    // Each calendar compiled once, however many tickets use it.
    let mut calendars: HashMap<&str, Result<BusinessCalendar, CalendarError>> = HashMap::new();
    let mut report = SlaAttainment::default();
    let mut per_service: BTreeMap<String, ServiceAttainment> = BTreeMap::new();
    for ticket in tickets {
        let Some(resolved) = resolved_in(ticket, period) else {
            continue;
        };
        let record = ticket.record_number().to_string();
        let number = ticket.sla();
        if number.is_empty() {
            report.unmeasured.push(Unmeasured::NoSla { record });
            continue;
        }
        let Some(sla) = by_number.get(number) else {
            report.unmeasured.push(Unmeasured::UnknownSla {
                record,
                sla: number.into(),
            });
            continue;
        };
        let calendar = match calendars
            .entry(sla.number.as_str())
            .or_insert_with(|| sla.calendar.compile())
        {
            Ok(calendar) => calendar,
            Err(error) => {
                report.unmeasured.push(Unmeasured::BadCalendar {
                    record,
                    sla: number.into(),
                    error: error.clone(),
                });
                continue;
            }
        };
        let priority = ticket.ticket_priority(matrix);
        let Some(policy) = sla.ticket_policy(calendar, priority) else {
            report.unmeasured.push(Unmeasured::NoTarget {
                record,
                sla: number.into(),
                priority,
            });
            continue;
        };
        let history: Vec<StatusChange> = ticket
            .status_history()
            .iter()
            .filter(|c| c.at <= resolved)
            .cloned()
            .collect();
        let state = measure(&history, &policy, resolved);
        let row = per_service
            .entry(ticket.service().to_string())
            .or_insert_with(|| ServiceAttainment {
                service: ticket.service().to_string(),
                ..ServiceAttainment::default()
            });
        for row in [row, &mut report.overall] {
            row.response.add(state.response.breached());
            row.resolution.add(state.resolution.breached());
        }
    }
    report.per_service = per_service.into_values().collect();
    report
}
