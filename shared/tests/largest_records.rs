//! The largest records a person makes through the forms, measured as the relay sees them when a
//! device uploads one whole: the sync frame's bytes, the bytes its chunks inflate to, its
//! operations and its largest change. The relay's default limits
//! (`shared::protocol::limits::Limits::DEFAULT`, `DEFAULT_FRAME_BYTES`) are sized from these
//! with a margin of at least four; this test fails if a default falls below that.
//! `cargo test -p shared --test largest_records -- --nocapture` prints the figures (SECURITY.md).
//!
//! The forms put no length limit on text, so "largest" is an envelope, stated here: prose of
//! ordinary words (compressing as text does), long text fields of 20,000 characters rewritten
//! 20 times (Automerge keeps every version), an incident worked for a long time with 500
//! work-log notes of 2,000 characters (a megabyte of notes), and a change with every field and
//! section filled and every action taken 25 times.

use automerge::{
    Automerge,
    sync::{self, SyncDoc},
};
use shared::forms::{self, Input, Nothing, Values};
use shared::ids::{DocumentId, PeerId};
use shared::protocol::limits::{self, DEFAULT_FRAME_BYTES, Limits};
use shared::protocol::{self, Message};
use shared::records::ChangeMeta;
use shared::time::Timestamp;

const MARGIN: u64 = 4;

fn meta(n: i64) -> ChangeMeta {
    ChangeMeta {
        author: "ana.fieldtechnician".into(),
        device: "device-3f2a9c1e-5b7d-4e8f-a1c2-9d0e8f7a6b5c".into(),
        at: Timestamp(1_795_392_000_000 + n * 60_000),
    }
}

/// `chars` characters of prose: words drawn pseudo-randomly from a working vocabulary, so it
/// compresses like text people write, not like repeated bytes.
fn prose(chars: usize, seed: u64) -> String {
    const WORDS: &[&str] = &[
        "the",
        "printer",
        "on",
        "floor",
        "three",
        "was",
        "reset",
        "after",
        "switch",
        "port",
        "failed",
        "replaced",
        "cable",
        "customer",
        "reports",
        "intermittent",
        "network",
        "loss",
        "since",
        "monday",
        "morning",
        "checked",
        "logs",
        "found",
        "errors",
        "driver",
        "update",
        "rolled",
        "back",
        "vendor",
        "ticket",
        "opened",
        "awaiting",
        "firmware",
        "patch",
        "rack",
        "power",
        "supply",
        "redundant",
        "monitoring",
        "alert",
        "threshold",
        "disk",
        "latency",
        "database",
        "backup",
        "restored",
        "tested",
        "user",
        "confirmed",
        "working",
        "escalated",
        "second",
        "line",
        "engineer",
        "visited",
        "site",
        "north",
        "depot",
        "and",
        "with",
        "to",
        "of",
        "a",
        "in",
        "for",
        "is",
        "it",
        "not",
        "but",
        "again",
        "today",
    ];
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = String::with_capacity(chars + 16);
    while out.len() < chars {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.push_str(WORDS[(state >> 33) as usize % WORDS.len()]);
        out.push(if (state >> 20).is_multiple_of(13) {
            '.'
        } else {
            ' '
        });
    }
    out.truncate(chars);
    out
}

/// What the relay sees of a record uploaded whole.
#[derive(Debug)]
struct Size {
    name: &'static str,
    frame: usize,
    inflated: usize,
    ops: u64,
    largest_change: u64,
    changes: usize,
}

/// The largest frame of a first sync of `doc` to a fresh peer (the message carrying the whole
/// document), checked by the relay's own limits check.
fn measure(name: &'static str, doc: &Automerge) -> Size {
    let mut doc = doc.clone();
    let mut fresh = Automerge::new();
    let (mut ours, mut theirs) = (sync::State::new(), sync::State::new());
    let mut largest: Option<(usize, limits::Checked)> = None;
    for _ in 0..10 {
        if let Some(m) = doc.generate_sync_message(&mut ours) {
            let data = m.encode();
            let checked = limits::check(&data, &Limits::DEFAULT).expect("within the defaults");
            let frame = protocol::encode(&Message::Sync {
                document_id: DocumentId::from_bytes([7; 16]),
                sender_id: PeerId::from("device-3f2a9c1e-5b7d-4e8f-a1c2-9d0e8f7a6b5c"),
                target_id: PeerId::from("outpost-relay"),
                data: data.clone(),
            });
            if largest.as_ref().is_none_or(|(f, _)| frame.len() > *f) {
                largest = Some((frame.len(), checked));
            }
            fresh
                .receive_sync_message(&mut theirs, sync::Message::decode(&data).unwrap())
                .unwrap();
        }
        if let Some(m) = fresh.generate_sync_message(&mut theirs) {
            doc.receive_sync_message(&mut ours, m).unwrap();
        }
    }
    assert_eq!(fresh.get_heads(), doc.get_heads(), "the sync completed");
    let (frame, checked) = largest.unwrap();
    let changes = doc.get_changes(&[]);
    Size {
        name,
        frame,
        inflated: checked.cost.inflated,
        ops: changes.iter().map(|c| c.len() as u64).sum(),
        largest_change: changes.iter().map(|c| c.len() as u64).max().unwrap_or(0),
        changes: changes.len(),
    }
}

/// An incident worked for a long time: a long description rewritten 20 times, a megabyte of
/// work-log notes, status changes along the way, all through its form.
fn largest_incident() -> Automerge {
    let form = forms::of("incident").unwrap();
    let values = |pairs: &[(&str, String)]| -> Values {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    let mut doc = form
        .create(
            &DocumentId::from_bytes([2; 16]),
            &values(&[
                ("title", prose(200, 1)),
                ("description", prose(20_000, 2)),
                ("impact", "high".into()),
                ("urgency", "high".into()),
                ("assignee", "ana.fieldtechnician".into()),
                ("note", prose(2_000, 3)),
            ]),
            &Nothing,
            &meta(0),
        )
        .unwrap();
    let statuses = ["pending", "in_progress"];
    for n in 1..=500 {
        let mut edit = values(&[("note", prose(2_000, 100 + n))]);
        if n % 25 == 0 {
            edit.insert("description".into(), prose(20_000, 10_000 + n));
            edit.insert("status".into(), statuses[(n / 25) as usize % 2].into());
        }
        form.edit(&mut doc, &edit, &Nothing, &meta(n as i64))
            .unwrap();
    }
    doc
}

/// What a form's control gets, at its largest.
fn filled(input: &Input, key: &str, seed: u64) -> String {
    match input {
        Input::Text => prose(200, seed),
        Input::LongText => prose(20_000, seed),
        Input::Lines => (0..100)
            .map(|i| prose(100, seed * 1000 + i))
            .collect::<Vec<_>>()
            .join("\n"),
        Input::Number => "99999".into(),
        Input::When => "1795392000000".into(),
        Input::Choice(options) => {
            // A change made from no template: a normal one.
            if key == "change_type" {
                "normal".into()
            } else {
                options.last().map_or("", |o| o.0).into()
            }
        }
    }
}

/// A change with every field and section filled, every field rewritten 20 times and every
/// action taken 25 times.
fn largest_change() -> Automerge {
    let form = forms::of("change").unwrap();
    let values = |seed: u64| -> Values {
        form.fields()
            .iter()
            .map(|f| (f.key.to_string(), filled(&f.input, f.key, seed)))
            .collect()
    };
    let mut doc = form
        .create(
            &DocumentId::from_bytes([1; 16]),
            &values(1),
            &Nothing,
            &meta(0),
        )
        .unwrap();
    for n in 1..=20 {
        form.edit(&mut doc, &values(n * 100), &Nothing, &meta(n as i64))
            .unwrap();
    }
    let mut taken = 0;
    for round in 0..25u64 {
        for action in form.actions() {
            let inputs: Values = action
                .inputs
                .iter()
                .map(|f| (f.key.to_string(), filled(&f.input, f.key, 5_000 + round)))
                .collect();
            if form
                .act(
                    &mut doc,
                    action.key,
                    &inputs,
                    &Nothing,
                    &meta(100 + round as i64),
                )
                .is_ok()
            {
                taken += 1;
            }
        }
    }
    assert!(taken >= 25 * 3, "the actions were taken ({taken})");
    doc
}

#[test]
fn the_default_limits_hold_the_largest_records_four_times_over() {
    let sizes = [
        measure("incident, 500 notes of 2,000 chars", &largest_incident()),
        measure("change, every field and action", &largest_change()),
    ];
    for s in &sizes {
        println!(
            "{}: frame {} bytes, inflated {} bytes, {} operations in {} changes, largest change {} operations",
            s.name, s.frame, s.inflated, s.ops, s.changes, s.largest_change
        );
    }
    let max = |f: fn(&Size) -> u64| sizes.iter().map(f).max().unwrap();
    let defaults = Limits::DEFAULT;
    println!(
        "defaults: frame {DEFAULT_FRAME_BYTES} bytes, inflated {} bytes, {} operations per message, {} per change",
        defaults.inflated_bytes, defaults.message_ops, defaults.change_ops
    );
    assert!(DEFAULT_FRAME_BYTES as u64 >= MARGIN * max(|s| s.frame as u64));
    assert!(defaults.inflated_bytes as u64 >= MARGIN * max(|s| s.inflated as u64));
    assert!(defaults.message_ops >= MARGIN * max(|s| s.ops));
    assert!(defaults.change_ops >= MARGIN * max(|s| s.largest_change));
}
