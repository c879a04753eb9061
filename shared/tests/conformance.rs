//! Every record type through the same paces, from its description alone: created through its
//! form; every move its lifecycle allows made from a record that meets its rules, and refused in
//! words (changing nothing) from one that does not; every move it does not allow refused naming
//! where it can go; every older schema read and brought up to date; and every field read in the
//! other shapes a peer may write.

mod common;

use automerge::transaction::{Transactable, Transaction};
use automerge::{Automerge, ObjId, ObjType, Prop, ScalarValue};
use common::{Device, act, doc_of, holding, meta, new, new_on, to};
use shared::forms::{self, Form, Input};
use shared::model::{Facts, Field, Record, RecordType, Shape, Value};
use shared::records::{TYPES, read};
use shared::workflow::WorkflowError;

/// The records other records' rules and forms read: a live service with a laptop on its
/// catalogue, an approved change template, two CIs at site north, and a closed change.
fn device() -> Device {
    let m = meta("ana", 1);
    let mut service = new(
        "service",
        "SVC-1",
        &[("name", "Laptops"), ("owner", "ana")],
        &m,
    );
    act(
        &mut service,
        "offering",
        &[
            ("key", "laptop"),
            ("name", "New laptop"),
            ("steps", "Order\nHand over"),
        ],
        &m,
    )
    .unwrap();
    to(&mut service, "live", "", &m).unwrap();
    let mut template = new("change_template", "TPL-1", &[("name", "Reboot a till")], &m);
    act(&mut template, "approve", &[], &m).unwrap();
    let till = |n: &str| {
        new(
            "configuration_item",
            n,
            &[("name", "Till"), ("site", "north"), ("asset_tag", n)],
            &m,
        )
    };
    let standard = [
        ("change_type", "standard"),
        ("template", "TPL-1"),
        ("title", ""),
    ];
    let mut fix = new_on("change", "CHG-1", &standard, &holding(&[&template]), &m).unwrap();
    fix.set("status", "closed");
    holding(&[&service, &template, &till("CI-1"), &till("CI-2"), &fix])
}

/// What the create form of `form` is given: every required field, and a title where there is
/// one (an incident's own rule requires it).
fn create_values(form: Form) -> Vec<(&'static str, String)> {
    form.fields()
        .into_iter()
        .filter(|f| f.required || f.key == "title")
        .map(|f| {
            let text = match (f.key, &f.input) {
                ("service", _) => "SVC-1".to_string(),
                ("catalogue_item", _) => "laptop".into(),
                ("site", _) => "north".into(),
                (_, Input::Choice(options)) => options.last().unwrap().0.into(),
                _ => format!("{} one", f.label),
            };
            (f.key, text)
        })
        .collect()
}

/// A record of `ty` created through its form, numbered after its prefix.
fn created(ty: &'static RecordType, device: &Device) -> Record {
    let given = create_values(Form(ty));
    let pairs: Vec<(&str, &str)> = given.iter().map(|(k, v)| (*k, v.as_str())).collect();
    new_on(
        ty.kind,
        &format!("{}-9", ty.prefix),
        &pairs,
        device,
        &meta("ana", 10),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", ty.kind))
}

/// `record` filled so that every rule of its type is met, whatever its status.
fn complete(mut r: Record) -> Record {
    let m = meta("cab", 20);
    let text = |r: &mut Record, key: &str| r.set(key, format!("the {key}"));
    match r.ty.kind {
        "service_request" => {
            for step in 1..=r.list("steps").len() {
                act(
                    &mut r,
                    "tick",
                    &[("step", &step.to_string()), ("done", "true")],
                    &m,
                )
                .unwrap();
            }
        }
        "problem" => {
            act(&mut r, "known_error", &[("workaround", "Restart")], &m).unwrap();
            act(&mut r, "accept", &[("reason", "old model")], &m).unwrap();
        }
        "change" => {
            act(
                &mut r,
                "decide",
                &[("role", "cab"), ("decision", "approve")],
                &m,
            )
            .unwrap();
            act(&mut r, "review", &[("summary", "As planned")], &m).unwrap();
        }
        "release" => {
            act(&mut r, "acceptance", &[("passed", "true")], &m).unwrap();
            text(&mut r, "rollback_plan");
            r.push("investigations", "PRB-1");
        }
        "service" => text(&mut r, "owner"),
        "asset" => {
            text(&mut r, "owner");
            text(&mut r, "location");
        }
        "sla" => act(
            &mut r,
            "target",
            &[
                ("priority", "P1"),
                ("response", "15"),
                ("resolution", "240"),
            ],
            &m,
        )
        .unwrap(),
        "complaint" => {
            text(&mut r, "findings");
            text(&mut r, "response");
        }
        "contract" => {
            r.set("starts", shared::time::Timestamp(1));
            r.set("ends", shared::time::Timestamp(2));
        }
        "knowledge_article" => {
            text(&mut r, "symptom");
            r.push("steps", "Open the cover");
        }
        "continuity_plan" => {
            text(&mut r, "invocation_criteria");
            r.push("procedures", "Fail over");
            act(&mut r, "contact", &[("name", "Duty manager")], &m).unwrap();
        }
        "risk" => text(&mut r, "treatment"),
        "management_review" => {
            r.push("attendees", "ana");
            for input in shared::records::registers::REVIEW_INPUTS {
                r.push("inputs_covered", input);
            }
        }
        "nonconformity" => {
            text(&mut r, "corrective_action");
            act(&mut r, "effectiveness", &[("summary", "Worked")], &m).unwrap();
        }
        "improvement" => text(&mut r, "measured_outcome"),
        _ => {}
    }
    r
}

/// What the rules know of other records: the fix change is closed.
fn facts() -> Facts {
    Facts::default().with("CHG-1", "closed")
}

#[test]
fn every_record_type_is_created_through_its_form_and_reads_back_lists_and_shows() {
    let device = device();
    for ty in TYPES {
        let record = created(ty, &device);
        assert_eq!(
            record.status(),
            ty.lifecycle.statuses[0].0,
            "{}: first status",
            ty.kind
        );
        assert_eq!(
            record.status_history().len(),
            1,
            "{}: creation opens the history",
            ty.kind
        );
        assert!(
            !record.work_log().is_empty(),
            "{}: creation is logged",
            ty.kind
        );
        let doc = doc_of(&record);
        assert_eq!(read(&doc).unwrap(), record, "{}", ty.kind);
        let view = forms::of(ty.kind).unwrap().view(&doc).unwrap();
        assert_eq!(view.number, record.number());
        let summary = shared::summary::summarize(
            "x",
            &doc,
            &Default::default(),
            &Default::default(),
            &device,
            meta("ana", 30).at,
        )
        .unwrap();
        assert_eq!(
            (summary.kind.as_str(), summary.attention),
            (ty.kind, 0),
            "{}",
            ty.kind
        );
    }
}

#[test]
fn every_allowed_move_is_made_from_a_record_that_meets_its_rules() {
    let device = device();
    for ty in TYPES {
        let lifecycle = ty.lifecycle;
        for &(from, targets) in lifecycle.moves {
            for &target in targets {
                let mut r = complete(created(ty, &device));
                r.set("status", from);
                let m = meta("bo", 100);
                r.move_to(target, "because", &facts(), &m)
                    .unwrap_or_else(|e| panic!("{}: {from} → {target}: {e}", ty.kind));
                assert_eq!(r.status(), target);
                let last = r.status_history().pop().unwrap();
                assert_eq!(
                    (last.status.as_str(), last.reason.as_str()),
                    (target, "because")
                );
                let line = format!(
                    "Status {} → {}: because",
                    lifecycle.label(from),
                    lifecycle.label(target)
                );
                assert_eq!(r.work_log().pop().unwrap().note, line, "{}", ty.kind);
                assert!(
                    r.recheck(&facts()).is_ok(),
                    "{}: {target} meets its rules",
                    ty.kind
                );
            }
        }
    }
}

#[test]
fn an_allowed_move_the_rules_refuse_says_why_and_changes_nothing() {
    let device = device();
    let mut refused = 0;
    for ty in TYPES {
        for &(from, targets) in ty.lifecycle.moves {
            for &target in targets {
                let mut r = created(ty, &device);
                r.set("status", from);
                let before = r.clone();
                match r.move_to(target, "", &Facts::default(), &meta("bo", 100)) {
                    Ok(()) => assert_eq!(r.status(), target),
                    Err(e) => {
                        assert!(
                            !matches!(e, WorkflowError::NotAllowed { .. }),
                            "{}: {e}",
                            ty.kind
                        );
                        assert!(!e.to_string().is_empty());
                        assert_eq!(r, before, "{}: a refused move changes nothing", ty.kind);
                        refused += 1;
                    }
                }
            }
        }
    }
    assert!(
        refused > 20,
        "the rules refuse what a fresh record lacks ({refused})"
    );
}

#[test]
fn every_move_the_lifecycle_does_not_allow_is_refused_naming_where_it_can_go() {
    let device = device();
    for ty in TYPES {
        let lifecycle = ty.lifecycle;
        for &(from, _) in lifecycle.statuses {
            for &(target, _) in lifecycle.statuses {
                if lifecycle.allows(from, target) {
                    continue;
                }
                let mut r = complete(created(ty, &device));
                r.set("status", from);
                let before = r.clone();
                let err = r
                    .move_to(target, "because", &facts(), &meta("bo", 100))
                    .unwrap_err();
                let WorkflowError::NotAllowed { noun, options, .. } = &err else {
                    panic!("{}: {from} → {target}: {err}", ty.kind);
                };
                assert_eq!(*noun, lifecycle.noun);
                match lifecycle.targets(from) {
                    [] => assert_eq!(options, "nowhere: it is final"),
                    targets => assert!(options.contains(lifecycle.label(targets[0])), "{err}"),
                }
                assert_eq!(r, before);
            }
        }
    }
}

#[test]
fn every_older_schema_reads_and_is_brought_up_to_date_by_the_next_write() {
    let device = device();
    for ty in TYPES {
        let record = complete(created(ty, &device));
        for old in ty.schemas.iter().filter(|s| s.version < ty.schema()) {
            let mut doc = doc_of(&record);
            let mut tx = doc.transaction();
            for later in ty.schemas.iter().filter(|s| s.version > old.version) {
                for key in later.added {
                    tx.delete(automerge::ROOT, *key).unwrap();
                }
            }
            tx.put(automerge::ROOT, "schema", old.version).unwrap();
            tx.commit();
            let upgraded =
                read(&doc).unwrap_or_else(|e| panic!("{} schema {}: {e}", ty.kind, old.version));
            assert!(upgraded.unreadable().is_empty());
            upgraded.write(&mut doc, &meta("ana", 200)).unwrap();
            assert_eq!(shared::model::schema_version(&doc), Some(ty.schema()));
            // A sparse field is written once it holds a value, not by an upgrade.
            for field in ty.fields.iter().filter(|f| !f.sparse) {
                assert!(
                    automerge::ReadDoc::get(&doc, automerge::ROOT, field.key)
                        .unwrap()
                        .is_some(),
                    "{} schema {}: {} written",
                    ty.kind,
                    old.version,
                    field.key
                );
            }
        }
    }
}

/// Writes `value` of `shape` the way a JS automerge-repo peer does: strings as collaborative
/// text, numbers as floats (and instants as Automerge timestamps).
fn write_as_a_js_peer(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    prop: Prop,
    insert: bool,
    shape: &Shape,
    value: &Value,
) {
    let put = |tx: &mut Transaction<'_>, v: ScalarValue| match (&prop, insert) {
        (Prop::Seq(i), true) => tx.insert(obj, *i, v).unwrap(),
        _ => tx.put(obj, prop.clone(), v).unwrap(),
    };
    let object = |tx: &mut Transaction<'_>, t: ObjType| match (&prop, insert) {
        (Prop::Seq(i), true) => tx.insert_object(obj, *i, t).unwrap(),
        _ => tx.put_object(obj, prop.clone(), t).unwrap(),
    };
    match (shape, value) {
        (Shape::Optional(inner), v) if *v != Value::Null => {
            write_as_a_js_peer(tx, obj, prop, insert, inner, v)
        }
        (_, Value::Str(s)) => {
            let text = object(tx, ObjType::Text);
            tx.splice_text(&text, 0, 0, s).unwrap();
        }
        (_, Value::Uint(n)) => put(tx, ScalarValue::F64(*n as f64)),
        (_, Value::Int(n)) => put(tx, ScalarValue::Timestamp(*n)),
        (_, Value::F64(x)) => put(tx, ScalarValue::F64(*x)),
        (_, Value::Bool(b)) => put(tx, ScalarValue::Boolean(*b)),
        (_, Value::Null) => put(tx, ScalarValue::Null),
        (Shape::List(inner), Value::List(items)) => {
            let list = object(tx, ObjType::List);
            for (i, item) in items.iter().enumerate() {
                write_as_a_js_peer(tx, &list, Prop::Seq(i), true, inner, item);
            }
        }
        (Shape::Group(fields), Value::Group(g)) => {
            let map = object(tx, ObjType::Map);
            write_fields_as_a_js_peer(tx, &map, fields, g);
        }
        (shape, value) => panic!("{value:?} is not a {shape:?}"),
    }
}

fn write_fields_as_a_js_peer(
    tx: &mut Transaction<'_>,
    map: &ObjId,
    fields: &'static [Field],
    g: &shared::model::Group,
) {
    for field in fields {
        write_as_a_js_peer(
            tx,
            map,
            Prop::Map(field.key.into()),
            false,
            &field.shape,
            g.get(field.key),
        );
    }
}

#[test]
fn every_field_reads_the_same_written_as_a_js_peer_writes_it_and_a_save_keeps_its_shape() {
    let device = device();
    for ty in TYPES {
        let record = complete(created(ty, &device));
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, "type", ty.kind).unwrap();
        tx.put(automerge::ROOT, "schema", ty.schema()).unwrap();
        write_fields_as_a_js_peer(&mut tx, &automerge::ROOT, ty.fields, &record);
        tx.commit();
        let as_read = read(&doc).unwrap();
        assert_eq!(as_read, record, "{}", ty.kind);
        // Saved unchanged, nothing is rewritten into Outpost's own shapes.
        let heads = doc.get_heads();
        as_read.write(&mut doc, &meta("ana", 300)).unwrap();
        assert_eq!(doc.get_heads(), heads, "{}", ty.kind);
    }
}

/// References (shared::links): every record type that holds one stores it as a link
/// (`{number, id}`) from a declared schema on; a document of the schema before it, whose
/// reference fields hold the number as text, reads them as text, and a link written over the
/// text reads back as the same link.
#[test]
fn every_reference_field_reads_text_from_older_schemas_and_writes_links_canonically() {
    let device = device();
    for ty in TYPES {
        assert_eq!(
            shared::references::has_references(ty),
            ty.links(),
            "{}: a type holding references declares the schema that stores links (and only it)",
            ty.kind
        );
        let Some(linked) = ty.schemas.iter().find(|s| s.links) else {
            continue;
        };
        let references: Vec<&Field> = ty
            .fields
            .iter()
            .filter(|f| {
                matches!(
                    f.shape,
                    Shape::Reference(_) | Shape::List(Shape::Reference(_))
                )
            })
            .collect();
        let mut record = complete(created(ty, &device));
        for field in &references {
            let text = Value::from(format!("X-{}", field.key));
            let value = match field.shape {
                Shape::List(_) => Value::List(vec![text]),
                _ => text,
            };
            record.set(field.key, value);
        }
        let mut doc = doc_of(&record);
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, "schema", linked.version - 1)
            .unwrap();
        tx.commit();
        let old = read(&doc).unwrap_or_else(|e| panic!("{}: {e}", ty.kind));
        for field in &references {
            assert_eq!(
                old.get(field.key).as_str().to_string() + &old.strs(field.key).collect::<String>(),
                format!("X-{}", field.key),
                "{}: {} as text",
                ty.kind,
                field.key
            );
        }
        let mut next = old.clone();
        for field in &references {
            let link = Value::Link(shared::model::Link {
                number: format!("X-{}", field.key),
                id: format!("doc-{}", field.key),
            });
            let value = match field.shape {
                Shape::List(_) => Value::List(vec![link]),
                _ => link,
            };
            next.set(field.key, value);
        }
        next.write(&mut doc, &meta("ana", 300)).unwrap();
        assert_eq!(shared::model::schema_version(&doc), Some(ty.schema()));
        let again = read(&doc).unwrap();
        for field in &references {
            assert_eq!(
                again.get(field.key),
                next.get(field.key),
                "{}: {}",
                ty.kind,
                field.key
            );
            let held = match field.shape {
                Shape::List(_) => {
                    let (_, list) = automerge::ReadDoc::get(&doc, automerge::ROOT, field.key)
                        .unwrap()
                        .unwrap();
                    automerge::ReadDoc::get(&doc, &list, 0).unwrap().unwrap().0
                }
                _ => {
                    automerge::ReadDoc::get(&doc, automerge::ROOT, field.key)
                        .unwrap()
                        .unwrap()
                        .0
                }
            };
            assert_eq!(
                held,
                automerge::Value::Object(ObjType::Map),
                "{}: {}",
                ty.kind,
                field.key
            );
        }
    }
}
