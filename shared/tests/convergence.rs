//! Random concurrent offline edits on two or three replicas always converge to the same
//! record and keep every work-log entry.

mod common;

use automerge::Automerge;
use common::{doc_of, meta, values};
use proptest::prelude::*;
use shared::forms::Nothing;
use shared::priority::Level;
use shared::records::incident::{INCIDENT, Incident, IncidentStatus};
use shared::records::read;
use shared::review::review;

#[derive(Debug, Clone)]
enum Op {
    Note,
    Assign(&'static str),
    Status(IncidentStatus),
    Urgency(Level),
    Title(&'static str),
    /// Merge replica `.0` into the acting replica.
    SyncFrom(usize),
}

fn ops() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Note),
        2 => prop::sample::select(vec!["ana", "bo", "cy", ""]).prop_map(Op::Assign),
        3 => prop::sample::select(IncidentStatus::ALL.to_vec()).prop_map(Op::Status),
        1 => prop::sample::select(Level::ALL.to_vec()).prop_map(Op::Urgency),
        1 => prop::sample::select(vec!["Till offline", "Till 3 offline"]).prop_map(Op::Title),
        2 => (0usize..3).prop_map(Op::SyncFrom),
    ]
}

fn start() -> Automerge {
    let e = common::incident_edit("Till offline", "");
    doc_of(&common::incident("INC-1", &e, &meta("ana", 1)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn replicas_converge_and_keep_every_work_log_entry(
        replicas in 2usize..=3,
        steps in prop::collection::vec((0usize..3, ops()), 1..40),
    ) {
        let mut docs: Vec<Automerge> = (0..replicas).map(|_| start()).collect();
        // All replicas start from the same history.
        let origin = docs[0].clone();
        for d in docs.iter_mut().skip(1) {
            *d = origin.fork();
        }
        let mut notes = vec![];
        for (k, (who, op)) in steps.into_iter().enumerate() {
            let i = who % replicas;
            let at = 10 + k as i64;
            let m = meta(["ana", "bo", "cy"][i], at);
            if let Op::SyncFrom(j) = op {
                let mut other = docs[j % replicas].clone();
                docs[i].merge(&mut other).unwrap();
                continue;
            }
            let mut inc = read(&docs[i]).unwrap();
            let (key, text) = match op {
                Op::Note => {
                    notes.push(format!("note {k}"));
                    ("note", format!("note {k}"))
                }
                Op::Assign(a) => ("assignee", a.into()),
                Op::Status(s) => ("status", s.as_str().into()),
                Op::Urgency(l) => ("urgency", l.as_str().into()),
                Op::Title(t) => ("title", t.into()),
                Op::SyncFrom(_) => unreachable!(),
            };
            let mut edit = values(&[(key, &text)]);
            let reason = format!("reason {k}");
            if key == "status" {
                edit.insert("note".into(), reason.clone());
            }
            // Moves the lifecycle refuses are skipped, as the app would refuse them.
            let form = shared::forms::Form(&INCIDENT);
            if form.edit_record(&mut inc, &edit, &Nothing, &m).is_ok() {
                if key == "status" {
                    notes.push(reason);
                }
                inc.write(&mut docs[i], &m).unwrap();
            }
        }
        // Everyone meets everyone.
        for _ in 0..2 {
            for i in 0..replicas {
                for j in 0..replicas {
                    if i != j {
                        let mut other = docs[j].clone();
                        docs[i].merge(&mut other).unwrap();
                    }
                }
            }
        }
        let merged = Incident::read(&docs[0]).unwrap();
        for d in &docs[1..] {
            prop_assert_eq!(&Incident::read(d).unwrap(), &merged);
            prop_assert_eq!(review(d, &Nothing).unwrap(), review(&docs[0], &Nothing).unwrap());
        }
        let logged: Vec<&str> = merged.work_log.iter().map(|e| e.note.as_str()).collect();
        for note in &notes {
            prop_assert!(
                logged.iter().any(|l| l.ends_with(note.as_str())),
                "lost work-log entry {:?}", note
            );
        }
        // The merged record is a valid document for any reader.
        prop_assert!(Incident::read(&Automerge::load(&docs[0].save()).unwrap()).is_ok());
        prop_assert_eq!(INCIDENT.kind, "incident");
    }
}
