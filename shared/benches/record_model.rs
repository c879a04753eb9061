//! Record model speed: a record to its document and back (and its parts: write, read, a saved
//! edit), and the SLA states of 10,000 incidents. Targets (issue 3): under 50 µs and under
//! 100 ms.

use std::hint::black_box;

use automerge::Automerge;
use criterion::{Criterion, criterion_group, criterion_main};
use shared::forms::{Form, Nothing, Values};
use shared::model::{ChangeMeta, Facts, Record};
use shared::priority::{Level, Priority, PriorityMatrix};
use shared::records::agreement::Sla;
use shared::records::incident::{INCIDENT, Incident, IncidentEdit, IncidentStatus};
use shared::sla::PriorityTarget;
use shared::sla::{Calendar, measure};
use shared::time::Timestamp;

const MINUTE: i64 = 60_000;
/// 2026-11-23T00:00:00Z, a Monday.
const MONDAY: i64 = 1_795_392_000_000;

fn meta(at: i64) -> ChangeMeta {
    ChangeMeta {
        author: "ana".into(),
        device: "ana-tablet".into(),
        at: Timestamp(at),
    }
}

/// A worked incident: logged, assigned, pending, back in progress, resolved, with notes.
fn worked_incident(seed: i64) -> Record {
    let edit = IncidentEdit {
        title: format!("Till {seed} offline"),
        description: "The till in aisle 3 shows no network since the morning.".into(),
        impact: Level::ALL[(seed % 3) as usize],
        urgency: Level::ALL[(seed / 3 % 3) as usize],
        status: IncidentStatus::New,
        assignee: String::new(),
        note: String::new(),
    };
    let start = MONDAY + (seed % 500) * 37 * MINUTE;
    let mut inc = Form(&INCIDENT)
        .new_record(&edit.values(), &Nothing, &meta(start))
        .unwrap();
    inc.set("number", format!("INC-{seed:04}"));
    let steps: [(IncidentStatus, &str, i64); 5] = [
        (IncidentStatus::Assigned, "", 10),
        (IncidentStatus::InProgress, "", 45 + seed % 90),
        (
            IncidentStatus::Pending,
            "waiting for a spare",
            120 + seed % 300,
        ),
        (IncidentStatus::InProgress, "", 900 + seed % 600),
        (IncidentStatus::Resolved, "", 1_700 + seed % 2_000),
    ];
    for (status, reason, minutes) in steps {
        if seed % 4 == 0 && status == IncidentStatus::Resolved {
            break; // a quarter are still open
        }
        let m = meta(start + minutes * MINUTE);
        inc.move_to(status.as_str(), reason, &Facts::default(), &m)
            .unwrap();
        inc.log(&m, "Checked cabling and switch port");
    }
    inc
}

fn round_trip(c: &mut Criterion) {
    let incident = worked_incident(7);
    let m = meta(MONDAY);
    c.bench_function("incident to document and back", |b| {
        b.iter(|| {
            let mut doc = Automerge::new();
            black_box(&incident).write(&mut doc, &m).unwrap();
            black_box(Record::read(&doc, &INCIDENT).unwrap())
        })
    });
    c.bench_function("incident into a fresh document", |b| {
        b.iter(|| {
            let mut doc = Automerge::new();
            black_box(&incident).write(&mut doc, &m).unwrap();
            black_box(doc)
        })
    });
    let doc = {
        let mut doc = Automerge::new();
        incident.write(&mut doc, &m).unwrap();
        doc
    };
    c.bench_function("incident from document", |b| {
        b.iter(|| black_box(Record::read(black_box(&doc), &INCIDENT).unwrap()))
    });
    // What the app does on every save: read, change one field and log it, write the difference.
    c.bench_function("edit of a stored incident (read, assign, write)", |b| {
        b.iter_batched(
            || doc.clone(),
            |mut doc| {
                let assign = Values::from([("assignee".to_string(), "bo".to_string())]);
                Form(&INCIDENT)
                    .edit(&mut doc, &assign, &Nothing, &m)
                    .unwrap();
                black_box(doc)
            },
            criterion::BatchSize::SmallInput,
        )
    });
    // One field lookup, for scale: the per-type mapping used to make ~150 of these per read.
    c.bench_function("one automerge get (for scale)", |b| {
        b.iter(|| black_box(automerge::ReadDoc::get(&doc, automerge::ROOT, "title").unwrap()))
    });
}

fn sla_states(c: &mut Criterion) {
    let incidents: Vec<Incident> = (0..10_000)
        .map(|seed| Incident::of(&worked_incident(seed)))
        .collect();
    let mut sla = Sla {
        number: "SLA-1".into(),
        name: "Gold".into(),
        pause_statuses: vec!["pending".into()],
        ..Sla::default()
    };
    sla.calendar = Calendar::office("Europe/Berlin", 8, 18);
    sla.calendar.holidays = vec!["2026-12-24".into(), "2026-12-25".into()];
    sla.targets = Priority::ALL
        .iter()
        .zip(1..)
        .map(|(&priority, n)| PriorityTarget {
            priority,
            response_minutes: 15 * n,
            resolution_minutes: 240 * n,
        })
        .collect();
    let matrix = PriorityMatrix::default();
    let now = Timestamp(MONDAY + 14 * 24 * 60 * MINUTE);
    c.bench_function(
        "SLA states of 10,000 incidents (Berlin office hours)",
        |b| {
            b.iter(|| {
                let calendar = sla.calendar.compile().unwrap();
                let breached = incidents
                    .iter()
                    .filter(|inc| {
                        let policy = sla.ticket_policy(&calendar, inc.priority(&matrix)).unwrap();
                        measure(&inc.status_history, &policy, now)
                            .resolution
                            .breached()
                    })
                    .count();
                black_box(breached)
            })
        },
    );
}

criterion_group!(benches, round_trip, sla_states);
criterion_main!(benches);
