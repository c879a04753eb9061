//! Service level agreement (ISO 20000 8.3.3): targets per priority, a business-hours calendar,
//! pause statuses, workload limits and exceptions.

use std::collections::HashMap;

use super::journal::JOURNAL;
use super::ticket::{PAUSE_STATUSES, STOP_STATUSES, TicketStatus};
use crate::model::{
    self as m, Action, ChangeMeta, Codec, Facts, Field as F, FormField, Group, Input, Lookup,
    Record, RecordError, Section, Shape as S, Value, Values, given,
};
use crate::priority::{PRIORITIES, Priority};
use crate::sla::{BusinessCalendar, Calendar, Policy, PriorityTarget, WorkingDay};
use crate::workflow::WorkflowError;

pub const AGREEMENT_STATUSES: m::Choices = m::Choices::new(&[
    ("draft", "Draft"),
    ("active", "Active"),
    ("expired", "Expired"),
]);

/// Response and resolution targets for one priority, in business minutes.
pub const TARGET: &[F] = &[
    F::new("priority", S::Choice(&PRIORITIES)),
    F::new("response_minutes", S::COUNT),
    F::new("resolution_minutes", S::COUNT),
];

/// Working hours of one weekday, in minutes after local midnight; open == close: closed.
pub const WORKING_DAY: &[F] = &[F::new("open", S::COUNT), F::new("close", S::COUNT)];

/// A business-hours calendar (see [`Calendar`]): round the clock in UTC unless set.
pub const CALENDAR: &[F] = &[
    F::new("time_zone", S::Text).or(|| Value::Str("UTC".into())),
    F::new("week", S::List(&S::Group(WORKING_DAY))).or(|| week(&[WorkingDay::ALL_DAY; 7])),
    F::new("holidays", S::List(&S::Text)),
];

pub const FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("name", S::Text),
    F::new("customer", S::Reference("customer")),
    F::new("services", S::List(&S::Reference("service"))),
    F::new("targets", S::List(&S::Group(TARGET))),
    F::new("calendar", S::Group(CALENDAR)),
    // Statuses (keys) in which the clock pauses: the usual ticket pause status by default.
    F::new("pause_statuses", S::List(&S::Text))
        .or(|| Value::List(PAUSE_STATUSES.iter().map(|s| Value::from(*s)).collect())),
    // Most requests per month the agreement covers (0: no limit).
    F::new("workload_limit", S::COUNT),
    F::new("exceptions", S::List(&S::Text)),
    F::new("status", S::Choice(&AGREEMENT_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "an SLA",
    statuses: AGREEMENT_STATUSES.options,
    moves: &[
        ("draft", &["active"]),
        ("active", &["expired"]),
        ("expired", &["active"]),
    ],
    finished: &[],
    reasons: &[],
};

fn week(days: &[WorkingDay]) -> Value {
    Value::List(
        days.iter()
            .map(|d| {
                Group::defaults(WORKING_DAY)
                    .with("open", u64::from(d.open))
                    .with("close", u64::from(d.close))
                    .into()
            })
            .collect(),
    )
}

/// The calendar of an SLA record.
pub fn calendar_of(r: &Record) -> Calendar {
    let Some(g) = r.group("calendar") else {
        return Calendar::default();
    };
    Calendar {
        time_zone: g.str("time_zone").into(),
        week: g
            .groups("week")
            .map(|d| WorkingDay {
                open: u32::try_from(d.uint("open")).unwrap_or(u32::MAX),
                close: u32::try_from(d.uint("close")).unwrap_or(u32::MAX),
            })
            .collect(),
        holidays: g.strs("holidays").map(String::from).collect(),
    }
}

/// An active SLA must be measurable: targets and a valid calendar.
fn rules(r: &Record, to: &str, _: &str, _: &Facts) -> Result<(), WorkflowError> {
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
    calendar_of(r)
        .compile()
        .map(|_| ())
        .map_err(|e| WorkflowError::BadCalendar(e.to_string()))
}

/// Every clock measured against it needs a calendar that compiles (a real time zone).
fn validate(r: &Record) -> Result<(), RecordError> {
    calendar_of(r)
        .compile()
        .map(|_| ())
        .map_err(|e| RecordError::invalid("Time zone", e))
}

/// A week of working hours, one weekday per line from Monday: `Mon 08:00-17:00`,
/// `Sat closed`, `Sun 00:00-24:00`.
static WEEK: Codec = Codec {
    to_text: |value| {
        let hm = |m: u64| format!("{:02}:{:02}", m / 60, m % 60);
        WEEKDAYS
            .iter()
            .zip(value.as_list().iter().filter_map(Value::as_group))
            .map(
                |(day, hours)| match hours.uint("open") < hours.uint("close") {
                    true => format!(
                        "{day} {}-{}",
                        hm(hours.uint("open")),
                        hm(hours.uint("close"))
                    ),
                    false => format!("{day} closed"),
                },
            )
            .collect::<Vec<_>>()
            .join("\n")
    },
    from_text: |text| {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if lines.len() != 7 {
            return Err(
                "give seven lines, Monday to Sunday, e.g. 'Mon 08:00-17:00' or 'Sat closed'".into(),
            );
        }
        let days = lines
            .iter()
            .zip(WEEKDAYS)
            .map(|(line, day)| {
                let rest = line
                    .strip_prefix(day)
                    .ok_or_else(|| format!("line '{line}' should start with {day}"))?
                    .trim();
                if rest.eq_ignore_ascii_case("closed") {
                    return Ok(WorkingDay::CLOSED);
                }
                let minutes = |hm: &str| -> Option<u32> {
                    let (h, m) = hm.trim().split_once(':')?;
                    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
                    (m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
                };
                let (open, close) = rest
                    .split_once('-')
                    .and_then(|(o, c)| Some((minutes(o)?, minutes(c)?)))
                    .filter(|(o, c)| o < c)
                    .ok_or_else(|| format!("{day}: write the hours as 08:00-17:00, or 'closed'"))?;
                Ok(WorkingDay { open, close })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(week(&days))
    },
};

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The inputs of a response / resolution target for one priority.
pub(crate) const TARGET_INPUTS: &[Input] = &[
    Input::new("priority", "Priority", S::Choice(&PRIORITIES)).required(),
    Input::new("response", "Respond within (minutes)", S::COUNT).required(),
    Input::new("resolution", "Resolve within (minutes)", S::COUNT).required(),
];

/// Sets the target for one priority (replacing the one it had), and logs it.
pub(crate) fn set_target(
    r: &mut Record,
    values: &Values,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let minutes = |key, label| {
        given(values, key)
            .parse::<u32>()
            .ok()
            .filter(|m| *m > 0)
            .ok_or_else(|| RecordError::invalid(label, "enter a number of minutes above 0"))
    };
    let priority = Priority::parse(given(values, "priority")).ok_or_else(|| {
        RecordError::invalid(
            "Priority",
            format!(
                "choose a priority from P1 to P5, not '{}'",
                given(values, "priority")
            ),
        )
    })?;
    let (response, resolution) = (
        minutes("response", "Respond within")?,
        minutes("resolution", "Resolve within")?,
    );
    if resolution < response {
        return Err(RecordError::invalid(
            "Resolve within",
            "the resolution target cannot be shorter than the response target",
        ));
    }
    let target = Group::defaults(TARGET)
        .with("priority", priority.as_str())
        .with("response_minutes", u64::from(response))
        .with("resolution_minutes", u64::from(resolution));
    let targets = r.list_mut("targets");
    targets.retain(|t| {
        t.as_group()
            .is_none_or(|t| t.str("priority") != priority.as_str())
    });
    targets.push(target.into());
    crate::order::sort_by_key(targets, |t| {
        t.as_group().map(|t| t.str("priority").to_string())
    });
    r.log(
        meta,
        format!(
            "Target {}: respond {response} min, resolve {resolution} min",
            priority.as_str()
        ),
    );
    Ok(())
}

/// Each target on one line.
pub(crate) fn target_rows(r: &Record) -> Section {
    Section::text(
        "Targets",
        targets(r).iter().map(|t| {
            format!(
                "{}: respond within {} min, resolve within {} min",
                t.priority, t.response_minutes, t.resolution_minutes
            )
        }),
    )
}

pub static SLA: m::RecordType = m::RecordType {
    kind: "sla",
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "SLA",
    noun: "SLA",
    plural: "Service level agreements",
    area: m::Area::ServiceLevel,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    logged: "SLA drafted",
    validate,
    form: &[
        FormField::new("name", "Name").required(),
        FormField::new("customer", "Customer (number)"),
        FormField::new("services", "Services (one per line)"),
        FormField::new("time_zone", "Time zone (e.g. Europe/Berlin)").at("calendar.time_zone"),
        FormField::new("holidays", "Holidays (YYYY-MM-DD, one per line)").at("calendar.holidays"),
        FormField::new(
            "week",
            "Working hours (Mon to Sun, e.g. Mon 08:00-17:00 or Sat closed)",
        )
        .at("calendar.week")
        .codec(&WEEK),
        FormField::new("workload_limit", "Workload limit (requests a month)"),
        FormField::new("exceptions", "Exceptions (one per line)"),
    ],
    actions: &[Action {
        key: "target",
        label: "Set a target",
        inputs: TARGET_INPUTS,
        apply: |r, values, _, meta| {
            validate(r)?;
            set_target(r, values, meta)
        },
    }],
    sections: |r| vec![target_rows(r)],
    title: |r| r.str("name").to_string(),
    ..m::RecordType::BASE
};

/// The readable targets of an SLA or a contract.
pub fn targets(r: &Record) -> Vec<PriorityTarget> {
    r.groups("targets")
        .map(|t| PriorityTarget {
            priority: Priority::parse(t.str("priority")).unwrap_or_default(),
            response_minutes: u32::try_from(t.uint("response_minutes")).unwrap_or(u32::MAX),
            resolution_minutes: u32::try_from(t.uint("resolution_minutes")).unwrap_or(u32::MAX),
        })
        .collect()
}

/// An SLA as the clock reads it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sla {
    pub number: String,
    pub name: String,
    /// The status's key.
    pub status: String,
    pub services: Vec<String>,
    pub targets: Vec<PriorityTarget>,
    pub calendar: Calendar,
    /// Statuses (keys) in which the clock pauses.
    pub pause_statuses: Vec<String>,
}

impl Sla {
    pub fn of(r: &Record) -> Self {
        Sla {
            number: r.number().into(),
            name: r.str("name").into(),
            status: r.status().into(),
            services: r.strs("services").map(String::from).collect(),
            targets: targets(r),
            calendar: calendar_of(r),
            pause_statuses: r.strs("pause_statuses").map(String::from).collect(),
        }
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
            standard: standard_sla(),
        }
    }

    /// The SLAs among the records `lookup` holds.
    pub fn on(lookup: &dyn Lookup) -> Self {
        let slas = lookup.all(SLA.kind);
        Agreements::new(
            slas.iter()
                .filter_map(|doc| Record::read(doc, &SLA).ok())
                .map(|r| Sla::of(&r)),
        )
    }

    /// The SLA a ticket naming `number` is measured against: that SLA, whatever its status (it
    /// was the agreement when the ticket was logged), or the standard SLA when the ticket names
    /// none or one this device does not hold.
    pub fn for_ticket(&self, number: &str) -> &Sla {
        self.by_number.get(number).unwrap_or(&self.standard)
    }

    /// The SLA number a new ticket for `service` runs against: the service's own SLA, else an
    /// active SLA that lists the service; empty (the standard SLA) when neither exists.
    pub fn for_service(&self, service: &Record) -> String {
        let own = service.str("sla");
        if !own.is_empty() {
            return own.into();
        }
        let mut covering: Vec<&Sla> = self
            .by_number
            .values()
            .filter(|s| s.status == "active")
            .filter(|s| s.services.iter().any(|x| x.trim() == service.number()))
            .collect();
        // Several active SLAs listing one service: the same one on every device.
        crate::order::sort_by(&mut covering, |a, b| a.number.cmp(&b.number));
        covering
            .first()
            .map(|s| s.number.clone())
            .unwrap_or_default()
    }
}

/// The SLA used for an incident that names none on this device: every day round the clock
/// (UTC), pending pauses the clock, and per priority the response / resolution minutes
/// P1 15 / 240, P2 30 / 480, P3 60 / 1440, P4 240 / 4320, P5 480 / 10080.
pub fn standard_sla() -> Sla {
    let target = |priority, response_minutes, resolution_minutes| PriorityTarget {
        priority,
        response_minutes,
        resolution_minutes,
    };
    Sla {
        number: "SLA-STANDARD".into(),
        name: "Standard".into(),
        targets: vec![
            target(Priority::P1, 15, 240),
            target(Priority::P2, 30, 480),
            target(Priority::P3, 60, 1440),
            target(Priority::P4, 240, 4320),
            target(Priority::P5, 480, 10080),
        ],
        calendar: Calendar::default(),
        pause_statuses: PAUSE_STATUSES.map(String::from).to_vec(),
        ..Sla::default()
    }
}
