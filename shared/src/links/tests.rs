use std::collections::BTreeMap;

use automerge::{Automerge, ObjType, ROOT, ReadDoc};

use super::*;
use crate::forms::{self, Values};
use crate::ids::DocumentId;
use crate::model::{ChangeMeta, Link, Lookup, Record, Value};
use crate::references::{MAX_LINKS, Outgoing, outgoing};
use crate::time::Timestamp;

fn meta(at: i64) -> ChangeMeta {
    ChangeMeta {
        author: "ana".into(),
        device: "ana-tablet".into(),
        at: Timestamp(at),
    }
}

/// The records on a test device: by number, with their document ids.
#[derive(Default)]
struct Device(BTreeMap<String, (String, Automerge)>);

impl Lookup for Device {
    fn record(&self, number: &str) -> Option<Automerge> {
        self.0.get(number).map(|(_, d)| d.clone())
    }
    fn all(&self, kind: &str) -> Vec<Automerge> {
        self.0
            .values()
            .map(|(_, d)| d.clone())
            .filter(|d| crate::model::record_type(d).as_deref() == Some(kind))
            .collect()
    }
    fn id_of(&self, number: &str) -> Option<String> {
        self.0.get(number).map(|(id, _)| id.clone())
    }
}

impl Device {
    /// Files a record of `kind` through its form; returns its number.
    fn file(&mut self, kind: &str, name: &str, values: &[(&str, &str)]) -> String {
        let id = DocumentId::derived(name);
        let values: Values = values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let form = forms::of(kind).unwrap();
        let doc = form.create(&id, &values, self, &meta(1)).unwrap();
        let number = Record::read(&doc, crate::records::type_of(kind).unwrap())
            .unwrap()
            .number()
            .to_string();
        self.0.insert(number.clone(), (id.to_string(), doc));
        number
    }

    fn act(&mut self, number: &str, action: &str, values: &[(&str, &str)]) {
        let mut doc = self.0[number].1.clone();
        let values: Values = values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        forms::of_document(&doc)
            .unwrap()
            .act(&mut doc, action, &values, self, &meta(2))
            .unwrap();
        self.0.get_mut(number).unwrap().1 = doc;
    }

    fn read(&self, number: &str) -> Record {
        let doc = &self.0[number].1;
        let ty = crate::records::type_of(&crate::model::record_type(doc).unwrap()).unwrap();
        Record::read(doc, ty).unwrap()
    }

    fn id(&self, number: &str) -> String {
        self.0[number].0.clone()
    }

    fn summaries(&self) -> Vec<Summary> {
        self.0
            .values()
            .map(|(id, doc)| {
                crate::summary::summarize(
                    id,
                    doc,
                    &Default::default(),
                    &Default::default(),
                    self,
                    Timestamp(10),
                )
                .unwrap()
            })
            .collect()
    }
}

/// Edits one field of the record in `doc` through its form, on `device`.
fn edit(doc: &mut Automerge, (key, text): (&str, &str), device: &Device) {
    let values = Values::from([(key.to_string(), text.to_string())]);
    forms::of_document(doc)
        .unwrap()
        .edit(doc, &values, device, &meta(3))
        .unwrap();
}

#[test]
fn a_picked_number_is_stored_as_a_map_of_number_and_id_and_reads_back_as_a_link() {
    let mut device = Device::default();
    let ci = device.file("configuration_item", "db", &[("name", "Database")]);
    let inc = device.file(
        "incident",
        "inc",
        &[("title", "Slow"), ("affected_cis", &ci)],
    );
    let doc = &device.0[&inc].1;
    let (_, list) = doc.get(ROOT, "affected_cis").unwrap().unwrap();
    let (held, entry) = doc.get(&list, 0).unwrap().unwrap();
    assert_eq!(held, automerge::Value::Object(ObjType::Map));
    let text = |key: &str| {
        doc.get(&entry, key)
            .unwrap()
            .unwrap()
            .0
            .as_str()
            .map(String::from)
    };
    assert_eq!(text("number").as_deref(), Some(ci.as_str()));
    assert_eq!(text("id"), Some(device.id(&ci)));
    let link = Link {
        number: ci.clone(),
        id: device.id(&ci),
    };
    assert_eq!(device.read(&inc).list("affected_cis"), &[Value::Link(link)]);
    // Rules and forms read a link as its number.
    assert_eq!(
        device.read(&inc).strs("affected_cis").collect::<Vec<_>>(),
        [ci.as_str()]
    );
}

#[test]
fn text_that_names_no_record_on_the_device_stays_text_and_reads_as_before() {
    let mut device = Device::default();
    let plan = device.file(
        "continuity_plan",
        "bcp",
        &[("name", "Telemetry"), ("service", "Water telemetry")],
    );
    let doc = &device.0[&plan].1;
    let (held, _) = doc.get(ROOT, "service").unwrap().unwrap();
    assert_eq!(held.as_str(), Some("Water telemetry"));
    assert_eq!(
        device.read(&plan).get("service"),
        &Value::from("Water telemetry")
    );
    let summaries = device.summaries();
    let directory = Directory::new(&summaries);
    assert_eq!(
        directory.resolve("Water telemetry", ""),
        Target::NotOnDevice("Water telemetry".into())
    );
}

#[test]
fn legacy_text_that_matches_a_known_number_resolves_and_becomes_a_link_on_the_next_write() {
    let mut device = Device::default();
    let svc = device.file("service", "svc", &[("name", "Payroll")]);
    // Written before links: the number as a plain string.
    let mut old = Record::new(&crate::records::incident::INCIDENT);
    old.set("number", "INC-OLD0-0001");
    old.set("title", "Old");
    old.set("service", svc.as_str());
    old.start(&meta(1), "Incident logged");
    let mut doc = old.document(&meta(1)).unwrap();
    let summaries = device.summaries();
    let directory = Directory::new(&summaries);
    assert!(matches!(directory.resolve(&svc, ""), Target::Here(s) if s.id == device.id(&svc)));
    // Any edit through the form turns it into a link.
    edit(&mut doc, ("title", "Old, edited"), &device);
    let record = Record::read(&doc, &crate::records::incident::INCIDENT).unwrap();
    assert_eq!(
        record.get("service"),
        &Value::Link(Link {
            number: svc.clone(),
            id: device.id(&svc)
        })
    );
}

#[test]
fn a_link_keeps_its_id_when_its_target_is_no_longer_on_the_device() {
    let mut device = Device::default();
    let svc = device.file("service", "svc", &[("name", "Payroll")]);
    let inc = device.file("incident", "inc", &[("title", "Slow"), ("service", &svc)]);
    let id = device.id(&svc);
    device.0.remove(&svc);
    let mut doc = device.0[&inc].1.clone();
    edit(&mut doc, ("title", "Slower"), &device);
    let record = Record::read(&doc, &crate::records::incident::INCIDENT).unwrap();
    assert_eq!(
        record.get("service"),
        &Value::Link(Link { number: svc, id })
    );
}

#[test]
fn referenced_by_lists_each_record_naming_it_and_an_unknown_reference_is_not_on_this_device() {
    let mut device = Device::default();
    let ci = device.file("configuration_item", "db", &[("name", "Database")]);
    let a = device.file("incident", "a", &[("title", "A"), ("affected_cis", &ci)]);
    let b = device.file("incident", "b", &[("title", "B"), ("affected_cis", &ci)]);
    let prb = device.file("problem", "p", &[("title", "Why")]);
    device.act(&prb, "link_incident", &[("incident", &a)]);
    let summaries = device.summaries();
    let directory = Directory::new(&summaries);
    let by = |n: &str| -> Vec<(String, String)> {
        directory
            .referenced_by(n)
            .into_iter()
            .map(|(s, via)| (s.number.clone(), via.to_string()))
            .collect()
    };
    let mut want = vec![
        (a.clone(), "affected_cis".into()),
        (b.clone(), "affected_cis".into()),
    ];
    want.sort();
    assert_eq!(by(&ci), want);
    assert_eq!(by(&a), [(prb.clone(), "linked_incidents".to_string())]);
    assert_eq!(
        referred_as("affected_cis", "incident"),
        "Affected CIs (one per line)"
    );
    assert_eq!(referred_as("runs_on", "configuration_item"), "runs on this");
    assert_eq!(
        directory.resolve("CI-ZZZZ-ZZZZ", "elsewhere"),
        Target::NotOnDevice("CI-ZZZZ-ZZZZ".into())
    );
}

#[test]
fn the_picker_finds_records_of_the_field_type_by_number_or_title_open_first() {
    let mut device = Device::default();
    let db = device.file("configuration_item", "db", &[("name", "Payroll database")]);
    let web = device.file("configuration_item", "web", &[("name", "Payroll web")]);
    let svc = device.file("service", "svc", &[("name", "Payroll")]);
    let summaries = device.summaries();
    let directory = Directory::new(&summaries);
    let numbers = |found: Vec<&Summary>| found.iter().map(|s| s.number.clone()).collect::<Vec<_>>();
    let mut both = vec![db.clone(), web.clone()];
    both.sort();
    assert_eq!(
        numbers(directory.search("configuration_item", "payroll", 10)),
        both
    );
    assert_eq!(
        numbers(directory.search("configuration_item", "PAYROLL data", 10)),
        [db]
    );
    assert_eq!(
        numbers(directory.search("configuration_item", &web[3..7], 10)),
        [web]
    );
    assert_eq!(numbers(directory.search("service", "payroll", 10)), [svc]);
    assert_eq!(
        directory
            .search("service|configuration_item", "payroll", 10)
            .len(),
        3
    );
    assert_eq!(
        directory.search("configuration_item", "payroll", 1).len(),
        1
    );
}

/// A chain web → app → db, with a cycle back from db to web, a service depending on web, an
/// open incident on app and a planned change on the service.
#[test]
fn impact_follows_dependents_transitively_through_cycles_to_services_incidents_and_changes() {
    let mut device = Device::default();
    let db = device.file("configuration_item", "db", &[("name", "Database")]);
    let app = device.file("configuration_item", "app", &[("name", "App server")]);
    let web = device.file("configuration_item", "web", &[("name", "Web front")]);
    let peer = device.file("configuration_item", "peer", &[("name", "Switch")]);
    device.act(&app, "relate", &[("kind", "runs_on"), ("target", &db)]);
    device.act(&web, "relate", &[("kind", "depends_on"), ("target", &app)]);
    device.act(&db, "relate", &[("kind", "part_of"), ("target", &web)]);
    // A peer link is shown from both ends but not followed.
    device.act(
        &peer,
        "relate",
        &[("kind", "connected_to"), ("target", &db)],
    );
    let svc = device.file(
        "service",
        "svc",
        &[("name", "Shop"), ("dependencies", &web)],
    );
    let inc = device.file(
        "incident",
        "inc",
        &[("title", "Slow"), ("affected_cis", &app)],
    );
    let chg = device.file(
        "change",
        "chg",
        &[
            ("title", "Patch"),
            ("change_type", "normal"),
            ("services", &svc),
        ],
    );
    let summaries = device.summaries();
    let directory = Directory::new(&summaries);
    let impact = directory.impact(&db);
    let mut cis = vec![app.clone(), web.clone()];
    cis.sort();
    assert_eq!(impact.cis, cis);
    assert_eq!(impact.services, std::slice::from_ref(&svc));
    assert_eq!(impact.incidents, [inc]);
    assert_eq!(impact.changes, [chg]);
    assert!(!impact.cut_short);
    // The relationship reads from both ends.
    let from_db: Vec<String> = directory
        .referenced_by(&db)
        .into_iter()
        .map(|(s, via)| format!("{} {}", s.number, referred_as(via, &s.kind)))
        .collect();
    assert!(
        from_db.contains(&format!("{app} runs on this")),
        "{from_db:?}"
    );
    assert!(
        from_db.contains(&format!("{peer} is connected to this")),
        "{from_db:?}"
    );
    // A change naming the database may affect the shop.
    let fix = device.file(
        "change",
        "fix",
        &[
            ("title", "Upgrade"),
            ("change_type", "normal"),
            ("affected_cis", &db),
        ],
    );
    let summaries = device.summaries();
    let directory = Directory::new(&summaries);
    let fix = summaries.iter().find(|s| s.number == fix).unwrap();
    assert_eq!(directory.services_affected(fix), [svc]);
}

#[test]
fn a_relationship_added_twice_is_kept_once() {
    let mut device = Device::default();
    let db = device.file("configuration_item", "db", &[("name", "Database")]);
    let app = device.file("configuration_item", "app", &[("name", "App")]);
    device.act(&app, "relate", &[("kind", "runs_on"), ("target", &db)]);
    device.act(
        &app,
        "relate",
        &[("kind", "runs_on"), ("target", &db.to_lowercase())],
    );
    assert_eq!(device.read(&app).list("relationships").len(), 1);
}

#[test]
fn a_summary_carries_at_most_max_links_references() {
    let mut device = Device::default();
    let many: Vec<String> = (0..MAX_LINKS + 20)
        .map(|i| format!("CI-{i:04}-0000"))
        .collect();
    let inc = device.file(
        "incident",
        "inc",
        &[("title", "Wide"), ("affected_cis", &many.join("\n"))],
    );
    assert_eq!(outgoing(&device.read(&inc)).len(), MAX_LINKS);
}

#[test]
fn two_devices_linking_the_same_ci_offline_both_keep_their_link_after_merging() {
    let mut device = Device::default();
    let ci = device.file("configuration_item", "db", &[("name", "Database")]);
    let other = device.file("configuration_item", "web", &[("name", "Web")]);
    let svc = device.file("service", "svc", &[("name", "Shop")]);
    let mut a = device.0[&svc].1.clone();
    let mut b = a.fork();
    edit(&mut a, ("dependencies", &ci), &device);
    edit(&mut b, ("dependencies", &other), &device);
    a.merge(&mut b).unwrap();
    let record = Record::read(&a, &crate::records::service::SERVICE).unwrap();
    let mut held: Vec<&str> = record.strs("dependencies").collect();
    held.sort();
    let mut want = vec![ci.as_str(), other.as_str()];
    want.sort();
    assert_eq!(held, want);
}

/// Resolving, searching and "Referenced by" from 10,000 summaries: the figure BENCHMARKS.md
/// states comes from `cargo bench -p shared --bench links`; this only checks the answers.
#[test]
fn the_directory_answers_over_ten_thousand_summaries() {
    let mut device = Device::default();
    let ci = device.file("configuration_item", "db", &[("name", "Database")]);
    let inc = device.file(
        "incident",
        "inc",
        &[("title", "Slow"), ("affected_cis", &ci)],
    );
    let template = device.summaries();
    let mut summaries = vec![];
    for i in 0..10_000 {
        for s in &template {
            let mut s = s.clone();
            s.id = format!("{}-{i}", s.id);
            s.number = format!("{}{i}", s.number);
            summaries.push(s);
        }
    }
    let directory = Directory::new(&summaries);
    assert_eq!(
        directory
            .search("configuration_item", &format!("{ci}9999"), 5)
            .len(),
        1
    );
    assert_eq!(directory.referenced_by(&ci).len(), 10_000);
    assert!(directory.id_of(&format!("{inc}42")).is_some());
}

/// A summary of `kind` numbered `number`, naming `links` (number, id).
fn summary_of(kind: &str, number: &str, links: &[(&str, &str)]) -> Summary {
    let meta = crate::model::ChangeMeta {
        author: "ana".into(),
        device: "device-1".into(),
        at: crate::time::Timestamp::from_millis(1_000),
    };
    let edit = crate::records::incident::IncidentEdit {
        title: "Pump leaks".into(),
        description: String::new(),
        impact: crate::priority::Level::High,
        urgency: crate::priority::Level::High,
        status: crate::records::incident::IncidentStatus::New,
        assignee: "ana".into(),
        note: String::new(),
    };
    let doc = crate::forms::log_incident("INC-1", &edit, &meta)
        .unwrap()
        .document(&meta)
        .unwrap();
    let mut s = crate::summary::summarize(
        &format!("id-{number}"),
        &doc,
        &Default::default(),
        &Default::default(),
        &crate::model::Nothing,
        meta.at,
    )
    .unwrap();
    s.kind = kind.into();
    s.number = number.into();
    s.links = links
        .iter()
        .map(|(number, id)| Outgoing {
            via: "related".into(),
            number: (*number).into(),
            id: (*id).into(),
        })
        .collect();
    s
}

#[test]
fn an_incident_resolves_its_links_and_referrers_from_the_relevant_summaries_as_from_all() {
    let this = summary_of(
        "incident",
        "INC-7",
        &[("cfg-3", ""), ("PRB-1", "id-PRB-1"), ("CHG-9", "")],
    );
    let all = [
        this.clone(),
        summary_of("configuration_item", "CFG-3", &[]),
        summary_of("problem", "PRB-1", &[]),
        summary_of("problem", "PRB-2", &[(" inc-7", "")]),
        summary_of("request", "REQ-4", &[("INC-7", "id-INC-7")]),
        summary_of("incident", "INC-8", &[("INC-70", "")]),
        summary_of("release", "RLS-5", &[]),
    ];
    let picked = relevant(all.iter(), &this);
    let numbers: Vec<&str> = picked.iter().map(|s| s.number.as_str()).collect();
    assert_eq!(
        numbers,
        ["CFG-3", "PRB-1", "REQ-4"],
        "what it names and what names it (PRB-2's ' inc-7' is not trimmed, as in Directory)"
    );
    let (full, part) = (Directory::new(all.iter()), Directory::new(picked));
    for link in &this.links {
        assert_eq!(
            part.resolve(&link.number, &link.id),
            full.resolve(&link.number, &link.id)
        );
    }
    assert_eq!(
        part.referenced_by(&this.number),
        full.referenced_by(&this.number)
    );
    assert_eq!(full.referenced_by(&this.number).len(), 1, "REQ-4");
}

#[test]
fn a_configuration_item_service_or_change_reads_every_summary() {
    let all: Vec<Summary> = ["configuration_item", "service", "change", "incident"]
        .iter()
        .enumerate()
        .map(|(i, kind)| summary_of(kind, &format!("N-{i}"), &[]))
        .collect();
    for this in &all[..3] {
        assert_eq!(relevant(all.iter(), this).len(), all.len());
    }
    assert!(
        relevant(all.iter(), &all[3]).is_empty(),
        "an incident naming none, named by none"
    );
}
