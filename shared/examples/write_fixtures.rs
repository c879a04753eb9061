//! Writes the record fixtures (`shared/tests/fixtures/`): one rich document of every record
//! type, incidents of the older schemas, and a few edits and merges, each with the JSON the
//! record model of this commit reads it as (`tests/common/fixture.rs`). Run once, at the commit
//! before the record engine replaced the per-type mapping, so that the engine can be held to
//! the same values and the same document layout:
//!
//! ```sh
//! cargo run -p shared --example write_fixtures
//! ```

#[path = "../tests/common/fixture.rs"]
mod fixture;
#[path = "../tests/common/layout.rs"]
mod layout;

use std::collections::BTreeMap;
use std::path::PathBuf;

use automerge::transaction::Transactable as _;
use automerge::{ActorId, Automerge, ROOT};
use shared::forms::{self, Lookup, Values};
use shared::ids::DocumentId;
use shared::records::incident::{Incident, IncidentEdit, IncidentStatus};
use shared::records::priority::Level;
use shared::records::{ChangeMeta, Record};
use shared::time::Timestamp;
use shared::workflow::Workflow;

/// 2026-11-23T00:00:00Z, a Monday.
const MONDAY: i64 = 1_795_392_000_000;
const MINUTE: i64 = 60_000;

fn meta(author: &str, minute: i64) -> ChangeMeta {
    ChangeMeta {
        author: author.into(),
        device: format!("{author}-tablet"),
        at: Timestamp(MONDAY + minute * MINUTE),
    }
}

fn values(pairs: &[(&str, &str)]) -> Values {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn id(n: u8) -> DocumentId {
    DocumentId::from_uuid(uuid::Uuid::from_bytes([n; 16]))
}

/// Other records by number.
#[derive(Default)]
struct Device(std::cell::RefCell<BTreeMap<String, Automerge>>);

impl Device {
    fn add(&self, number: String, doc: Automerge) {
        self.0.borrow_mut().insert(number, doc);
    }
}

impl Lookup for Device {
    fn record(&self, number: &str) -> Option<Automerge> {
        self.0.borrow().get(number).cloned()
    }
    fn all(&self, kind: &str) -> Vec<Automerge> {
        self.0
            .borrow()
            .values()
            .filter(|d| shared::records::document::record_type(d).as_deref() == Some(kind))
            .cloned()
            .collect()
    }
}

struct Out {
    dir: PathBuf,
}

impl Out {
    fn write(&self, name: &str, kind: &str, doc: &Automerge, edit: &[(&str, &str)]) {
        let doc = Automerge::load(&doc.save()).unwrap();
        std::fs::write(self.dir.join(format!("{name}.automerge")), doc.save()).unwrap();
        let json = fixture::expected(kind, &doc, &values(edit));
        let text = serde_json::to_string_pretty(&json).unwrap();
        std::fs::write(self.dir.join(format!("{name}.json")), text + "\n").unwrap();
        println!("{name}");
    }
}

/// A form's `create` then a series of steps, all through `shared::forms`.
struct Made<'d> {
    kind: &'static str,
    doc: Automerge,
    device: &'d Device,
}

impl<'d> Made<'d> {
    fn new(kind: &'static str, n: u8, given: &[(&str, &str)], device: &'d Device, at: i64) -> Self {
        let doc = forms::of(kind)
            .unwrap()
            .create(&id(n), &values(given), device, &meta("ana", at))
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        Made { kind, doc, device }
    }
    fn form(&self) -> &'static dyn forms::Form {
        forms::of(self.kind).unwrap()
    }
    fn act(mut self, action: &str, given: &[(&str, &str)], who: &str, at: i64) -> Self {
        self.form()
            .act(
                &mut self.doc,
                action,
                &values(given),
                self.device,
                &meta(who, at),
            )
            .unwrap_or_else(|e| panic!("{} {action}: {e}", self.kind));
        self
    }
    fn to(mut self, status: &str, reason: &str, who: &str, at: i64) -> Self {
        self.form()
            .move_to(&mut self.doc, status, reason, self.device, &meta(who, at))
            .unwrap_or_else(|e| panic!("{} to {status}: {e}", self.kind));
        self
    }
    fn edit(mut self, given: &[(&str, &str)], who: &str, at: i64) -> Self {
        self.form()
            .edit(&mut self.doc, &values(given), &meta(who, at))
            .unwrap_or_else(|e| panic!("{} edit: {e}", self.kind));
        self
    }
    fn number(&self) -> String {
        self.form().view(&self.doc).unwrap().number
    }
}

fn incident_edit(title: &str, status: IncidentStatus, note: &str) -> IncidentEdit {
    IncidentEdit {
        title: title.into(),
        description: "Tills at the north depot print blank receipts".into(),
        impact: Level::High,
        urgency: Level::Medium,
        status,
        assignee: "bo".into(),
        note: note.into(),
    }
}

fn written<R: Record>(record: &R, m: &ChangeMeta) -> Automerge {
    let mut doc = Automerge::new();
    doc.set_actor(ActorId::from(*b"fixture-actor-01"));
    record.write(&mut doc, m).unwrap();
    doc
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    std::fs::create_dir_all(&dir).unwrap();
    let out = Out { dir };

    // ------------------------------------------------------------------ incidents
    let m = |at| meta("ana", at);
    let mut inc = Incident::create(
        "INC-7K3Q-D2MX".into(),
        incident_edit(
            "Tills print blank receipts",
            IncidentStatus::Assigned,
            "Seen at till 3",
        ),
        &m(0),
    )
    .unwrap();
    inc.caller = "CUS-AAAA-0001".into();
    inc.service = "SVC-AAAA-0001".into();
    inc.sla = "SLA-AAAA-0001".into();
    inc.affected_cis = vec!["CI-AAAA-0001".into(), "CI-AAAA-0002".into()];
    inc.site = "north".into();
    inc.category = "hardware".into();
    inc.group = "desk".into();
    inc.problem = "PRB-AAAA-0001".into();
    inc.move_to(IncidentStatus::InProgress, "", &m(5)).unwrap();
    inc.move_to(IncidentStatus::Pending, "waiting for paper rolls", &m(9))
        .unwrap();
    inc.move_to(IncidentStatus::InProgress, "", &m(30)).unwrap();
    inc.declare_major("cy", &m(31)).unwrap();
    inc.record_outage(
        Timestamp(MONDAY),
        Some(Timestamp(MONDAY + 50 * MINUTE)),
        &m(50),
    )
    .unwrap();
    inc.record_review("Paper supplier changed the roll width", &m(55))
        .unwrap();
    inc.resolve("replaced", "New rolls fitted", &m(60)).unwrap();
    let mut doc = written(&inc, &m(60));
    let mut tx = doc.transaction();
    // The app files a record's team at its root (for `shared::access`).
    tx.put(ROOT, "team", "desk").unwrap();
    tx.commit();
    out.write(
        "incident",
        "incident",
        &doc,
        &[
            ("title", "Tills print blank receipts (north)"),
            ("note", "Checked again"),
        ],
    );

    // Schema 1: no `schema` field, no status history, none of the later fields.
    let mut old = Automerge::new();
    old.set_actor(ActorId::from(*b"fixture-actor-02"));
    let mut tx = old.transaction();
    tx.put(ROOT, "type", "incident").unwrap();
    for (key, value) in [
        ("number", "INC-OLD1-0001"),
        ("title", "Scanner offline"),
        ("description", "Since the storm"),
        ("impact", "low"),
        ("urgency", "high"),
        ("status", "pending"),
        ("assignee", "bo"),
        ("created_by", "ana"),
    ] {
        tx.put(ROOT, key, value).unwrap();
    }
    tx.put(ROOT, "created_at", MONDAY).unwrap();
    let log = tx
        .put_object(ROOT, "work_log", automerge::ObjType::List)
        .unwrap();
    for (i, (minute, note)) in [
        (0, "Incident logged"),
        (3, "Status New → Assigned"),
        (4, "Assigned to bo"),
        (8, "Status Assigned → Pending: waiting for parts"),
    ]
    .into_iter()
    .enumerate()
    {
        let entry = tx.insert_object(&log, i, automerge::ObjType::Map).unwrap();
        tx.put(&entry, "at", MONDAY + minute * MINUTE).unwrap();
        tx.put(&entry, "author", "ana").unwrap();
        tx.put(&entry, "device", "ana-tablet").unwrap();
        tx.put(&entry, "note", note).unwrap();
    }
    tx.commit_with(m(8).commit_options());
    out.write(
        "incident_schema1",
        "incident",
        &old,
        &[("status", "in_progress"), ("note", "Parts arrived")],
    );

    // Schema 2: everything but the outage; a major incident resolved twice.
    let mut major = Incident::create(
        "INC-OLD2-0002".into(),
        incident_edit("Card payments down", IncidentStatus::New, ""),
        &m(0),
    )
    .unwrap();
    major.declare_major("cy", &m(1)).unwrap();
    major.move_to(IncidentStatus::Resolved, "", &m(20)).unwrap();
    major
        .move_to(IncidentStatus::InProgress, "", &m(25))
        .unwrap();
    major.move_to(IncidentStatus::Resolved, "", &m(45)).unwrap();
    let mut v2 = Automerge::new();
    v2.set_actor(ActorId::from(*b"fixture-actor-03"));
    shared::records::document::write(&mut v2, "incident", 2, &major, &m(45)).unwrap();
    let mut tx = v2.transaction();
    tx.delete(ROOT, "outage").unwrap();
    tx.commit_with(m(45).commit_options());
    out.write(
        "incident_schema2_major",
        "incident",
        &v2,
        &[("assignee", "cy")],
    );

    // Two tablets edit different fields offline, then merge.
    let base = Incident::create(
        "INC-MRG1-0003".into(),
        incident_edit("Router down", IncidentStatus::New, ""),
        &m(0),
    )
    .unwrap();
    let mut a = written(&base, &m(0));
    let mut b = a.fork();
    b.set_actor(ActorId::from(*b"fixture-actor-04"));
    let mut on_a = Incident::read(&a).unwrap();
    let mut e = on_a.edit_form();
    e.title = "Router down at depot 4".into();
    e.note = "Seen by Ana".into();
    on_a.apply(e, &meta("ana", 2)).unwrap();
    on_a.write(&mut a, &meta("ana", 2)).unwrap();
    let mut on_b = Incident::read(&b).unwrap();
    let mut e = on_b.edit_form();
    e.urgency = Level::Low;
    e.status = IncidentStatus::Assigned;
    e.note = "Seen by Bo".into();
    on_b.apply(e, &meta("bo", 3)).unwrap();
    on_b.write(&mut b, &meta("bo", 3)).unwrap();
    a.merge(&mut b).unwrap();
    out.write("incident_merged", "incident", &a, &[("note", "Both seen")]);

    // Both set the assignee: a conflict; one closed it while the other worked on.
    let mut c = written(&base, &m(0));
    let mut d = c.fork();
    d.set_actor(ActorId::from(*b"fixture-actor-05"));
    let mut on_c = Incident::read(&c).unwrap();
    let mut e = on_c.edit_form();
    e.assignee = "cy".into();
    e.status = IncidentStatus::Resolved;
    on_c.apply(e, &meta("cy", 4)).unwrap();
    on_c.move_to(IncidentStatus::Closed, "", &meta("cy", 5))
        .unwrap();
    on_c.write(&mut c, &meta("cy", 5)).unwrap();
    let mut on_d = Incident::read(&d).unwrap();
    let mut e = on_d.edit_form();
    e.assignee = "di".into();
    e.note = "Still flapping".into();
    on_d.apply(e, &meta("di", 7)).unwrap();
    on_d.write(&mut d, &meta("di", 7)).unwrap();
    c.merge(&mut d).unwrap();
    out.write("incident_conflict", "incident", &c, &[("assignee", "di")]);

    // ------------------------------------------------------------------ the other types
    let device = Device::default();

    let sla = Made::new("sla", 1, &[("name", "Gold"), ("customer", "CUS-AAAA-0001")], &device, 0)
        .edit(
            &[
                ("services", "SVC-AAAA-0001\nSVC-AAAA-0002"),
                ("time_zone", "Europe/Berlin"),
                ("holidays", "2026-12-25\n2026-12-26"),
                (
                    "week",
                    "Mon 08:00-17:00\nTue 08:00-17:00\nWed 08:00-17:00\nThu 08:00-17:00\nFri 08:00-13:30\nSat closed\nSun closed",
                ),
                ("workload_limit", "400"),
                ("exceptions", "Force majeure\nCustomer-caused outages"),
            ],
            "ana",
            1,
        )
        .act("target", &[("priority", "P1"), ("response", "15"), ("resolution", "240")], "ana", 2)
        .act("target", &[("priority", "P3"), ("response", "60"), ("resolution", "1440")], "ana", 3)
        .to("active", "", "ana", 4);
    out.write("sla", "sla", &sla.doc, &[("name", "Gold 2027")]);
    device.add(sla.number(), sla.doc.clone());

    let service = Made::new(
        "service",
        2,
        &[("name", "Laptops"), ("owner", "ana")],
        &device,
        0,
    )
    .edit(
        &[
            ("description", "Laptops for field staff"),
            ("service_hours", "Mon–Fri 8–17"),
            ("dependencies", "SVC-AAAA-0009\nCI-AAAA-0001"),
            ("sla", &sla.number()),
            ("availability_target", "99.5"),
        ],
        "ana",
        1,
    )
    .act(
        "offering",
        &[
            ("key", "laptop"),
            ("name", "New laptop"),
            ("description", "A laptop, imaged"),
            ("steps", "Order the laptop\nImage it\nHand it over"),
        ],
        "ana",
        2,
    )
    .act(
        "offering",
        &[("key", "dock"), ("name", "Docking station")],
        "ana",
        3,
    )
    .to("live", "Launched", "ana", 4);
    out.write("service", "service", &service.doc, &[("owner", "bo")]);
    let svc_number = service.number();
    device.add(svc_number.clone(), service.doc.clone());

    let request = Made::new(
        "service_request",
        3,
        &[
            ("service", &svc_number),
            ("catalogue_item", "laptop"),
            ("caller", "Bo at the water works"),
            ("site", "north"),
            ("group", "desk"),
            ("urgency", "high"),
        ],
        &device,
        10,
    )
    .to("in_progress", "", "cy", 11)
    .act("tick", &[("step", "1"), ("done", "true")], "cy", 12)
    .act("tick", &[("step", "2"), ("done", "true")], "cy", 13)
    .to("pending", "waiting for the courier", "cy", 14);
    out.write(
        "service_request",
        "service_request",
        &request.doc,
        &[("assignee", "cy"), ("description", "For the new starter")],
    );
    // Two tablets tick different steps offline.
    let mut r1 = request.doc.fork();
    let mut r2 = request.doc.fork();
    r2.set_actor(ActorId::from(*b"fixture-actor-06"));
    let form = forms::of("service_request").unwrap();
    form.act(
        &mut r1,
        "tick",
        &values(&[("step", "3"), ("done", "true")]),
        &device,
        &meta("cy", 20),
    )
    .unwrap();
    form.act(
        &mut r2,
        "tick",
        &values(&[("step", "1"), ("done", "false")]),
        &device,
        &meta("di", 21),
    )
    .unwrap();
    r1.merge(&mut r2).unwrap();
    out.write(
        "service_request_merged",
        "service_request",
        &r1,
        &[("title", "Laptop for Eve")],
    );

    let security = Made::new(
        "security_incident",
        4,
        &[
            ("title", "Phishing mail to the desk"),
            ("description", "Link to a fake sign-in page"),
            ("caller", "eve"),
            ("site", "north"),
            ("group", "security"),
            ("impact", "high"),
            ("urgency", "high"),
            ("affected_cis", "CI-AAAA-0003"),
        ],
        &device,
        0,
    )
    .to("in_progress", "", "eve", 1)
    .edit(
        &[("assignee", "eve"), ("resolution_notes", "Mail purged")],
        "eve",
        2,
    )
    .to("resolved", "", "eve", 3);
    out.write(
        "security_incident",
        "security_incident",
        &security.doc,
        &[("title", "Phishing, round 2")],
    );

    let template = Made::new(
        "change_template",
        5,
        &[
            ("name", "Reboot a till"),
            ("implementation_plan", "Hold power 10 s"),
            ("backout_plan", "None"),
        ],
        &device,
        0,
    )
    .act("approve", &[], "cab", 1);
    out.write(
        "change_template",
        "change_template",
        &template.doc,
        &[("backout_plan", "Swap the till")],
    );
    device.add(template.number(), template.doc.clone());

    let change = Made::new(
        "change",
        6,
        &[("title", "Swap the core switch"), ("change_type", "normal")],
        &device,
        0,
    )
    .edit(
        &[
            ("reason", "End of support"),
            ("affected_cis", "CI-AAAA-0001\nCI-AAAA-0002"),
            ("services", &svc_number),
            ("impact", "Ten minutes without network"),
            ("implementation_plan", "Move the uplinks one by one"),
            ("backout_plan", "Move them back"),
            ("planned_start", &(MONDAY + 2 * 86_400_000).to_string()),
            (
                "planned_end",
                &(MONDAY + 2 * 86_400_000 + 3_600_000).to_string(),
            ),
        ],
        "di",
        1,
    )
    .act(
        "risk",
        &[("risk_0", "true"), ("risk_1", "true"), ("risk_3", "true")],
        "di",
        2,
    )
    .to("submitted", "", "di", 3)
    .act(
        "decide",
        &[
            ("role", "cab"),
            ("decision", "reject"),
            ("comment", "Not in December"),
        ],
        "eve",
        4,
    )
    .act(
        "decide",
        &[
            ("role", "cab"),
            ("decision", "approve"),
            ("comment", "Fine after all"),
        ],
        "eve",
        5,
    )
    .act(
        "decide",
        &[("role", "cab"), ("decision", "approve"), ("comment", "")],
        "fay",
        6,
    )
    .to("approved", "", "di", 7)
    .to("implementing", "", "di", 8)
    .act("test_evidence", &[("note", "Pinged every site")], "di", 9)
    .act("outcome", &[("outcome", "with_issues")], "di", 10)
    .to("review", "", "di", 11)
    .act(
        "review",
        &[("summary", "One uplink needed a second try")],
        "di",
        12,
    )
    .to("closed", "", "di", 13);
    out.write(
        "change",
        "change",
        &change.doc,
        &[("title", "Swap the core switch (done)")],
    );

    let standard = Made::new(
        "change",
        7,
        &[
            ("change_type", "standard"),
            ("template", &template.number()),
            ("title", ""),
        ],
        &device,
        20,
    )
    .to("implementing", "", "bo", 21);
    // Written before outcomes existed: no `outcome` field.
    let mut legacy = standard.doc.fork();
    let mut tx = legacy.transaction();
    tx.delete(ROOT, "outcome").unwrap();
    tx.commit_with(meta("bo", 22).commit_options());
    out.write(
        "change_without_outcome",
        "change",
        &legacy,
        &[("reason", "Till 4 frozen")],
    );

    // A template from before templates had a lifecycle: no status, history or work log.
    let mut old_template = template.doc.fork();
    let mut tx = old_template.transaction();
    for key in ["status", "status_history", "work_log"] {
        tx.delete(ROOT, key).unwrap();
    }
    tx.commit_with(meta("cab", 2).commit_options());
    out.write(
        "change_template_without_lifecycle",
        "change_template",
        &old_template,
        &[("name", "Reboot a till (v2)")],
    );

    let release = Made::new("release", 8, &[("name", "2026.12")], &device, 0)
        .edit(
            &[
                ("changes", "CHG-AAAA-0001\nCHG-AAAA-0002"),
                ("deployment_plan", "Night of the 3rd"),
                ("rollback_plan", "Previous image"),
            ],
            "di",
            1,
        )
        .to("testing", "", "di", 2)
        .act(
            "acceptance",
            &[("passed", "true"), ("notes", "All green")],
            "eve",
            3,
        )
        .to("deploying", "", "di", 4)
        .to("failed", "", "di", 5)
        .edit(&[("investigations", "PRB-AAAA-0001")], "di", 6)
        .to("closed", "", "di", 7);
    out.write("release", "release", &release.doc, &[("name", "2026.12.1")]);

    let mut cis = vec![];
    for (n, (name, tag, site)) in [
        ("Till 1", "T-0001", "north"),
        ("Till 2", "T-0002", "north"),
        ("Till 3", "T-0003", "south"),
    ]
    .into_iter()
    .enumerate()
    {
        let ci = Made::new(
            "configuration_item",
            10 + n as u8,
            &[("name", name), ("ci_type", "till")],
            &device,
            0,
        )
        .edit(
            &[
                ("description", "Point of sale"),
                ("site", site),
                ("location", "Shop floor"),
                ("owner", "ana"),
                ("asset_tag", tag),
            ],
            "ana",
            1,
        )
        .to("active", "", "ana", 2);
        cis.push(ci);
    }
    for ci in &cis {
        device.add(ci.number(), ci.doc.clone());
    }
    let first_ci = cis.remove(0);
    let second = cis[0].number();
    let ci = first_ci
        .act(
            "relate",
            &[("kind", "depends_on"), ("target", &second)],
            "ana",
            3,
        )
        .act(
            "relate",
            &[("kind", "runs_on"), ("target", "CI-AAAA-0009")],
            "ana",
            4,
        )
        .act(
            "verify",
            &[("method", "scanned"), ("found", "true"), ("note", "")],
            "bo",
            5,
        )
        .act(
            "verify",
            &[("method", "seen"), ("found", "false"), ("note", "Moved?")],
            "bo",
            6,
        )
        .to("maintenance", "", "ana", 7);
    out.write(
        "configuration_item",
        "configuration_item",
        &ci.doc,
        &[("location", "Back office")],
    );

    let campaign = Made::new(
        "verification_campaign",
        20,
        &[("name", "Q4 tills"), ("site", "north")],
        &device,
        30,
    )
    .act(
        "check",
        &[
            ("tag", "t-0001"),
            ("method", "typed"),
            ("result", "found_ok"),
        ],
        "bo",
        31,
    )
    .act(
        "check",
        &[
            ("tag", "T-0002"),
            ("method", "scanned"),
            ("result", "discrepancy"),
            ("note", "Label faded"),
        ],
        "bo",
        32,
    )
    .to("completed", "", "bo", 33);
    out.write(
        "verification_campaign",
        "verification_campaign",
        &campaign.doc,
        &[("name", "Q4 tills, north")],
    );

    let asset = Made::new(
        "asset",
        21,
        &[("tag", "T-0042"), ("model", "Zebra TC52")],
        &device,
        0,
    )
    .edit(
        &[
            ("serial", "SN-123"),
            ("owner", "bo"),
            ("location", "Van 3"),
            ("warranty_until", &(MONDAY + 365 * 86_400_000).to_string()),
            ("contract", "CON-AAAA-0001"),
            ("ci", "CI-AAAA-0001"),
        ],
        "ana",
        1,
    )
    .to("in_stock", "", "ana", 2)
    .to("deployed", "", "ana", 3);
    out.write("asset", "asset", &asset.doc, &[("serial", "SN-124")]);

    let customer = Made::new(
        "customer",
        22,
        &[("organisation", "City water")],
        &device,
        0,
    )
    .edit(&[("services", &svc_number)], "ana", 1)
    .act(
        "contact",
        &[
            ("name", "Bo"),
            ("role", "Buyer"),
            ("email", "bo@water"),
            ("phone", "555"),
        ],
        "ana",
        2,
    )
    .act(
        "satisfaction",
        &[("score", "4"), ("comment", "Quick")],
        "ana",
        3,
    )
    .act("satisfaction", &[("score", "2")], "ana", 4)
    .to("inactive", "", "ana", 5);
    out.write(
        "customer",
        "customer",
        &customer.doc,
        &[("organisation", "City water works")],
    );

    let complaint = Made::new(
        "complaint",
        23,
        &[
            ("customer", "CUS-AAAA-0001"),
            ("description", "The laptop came late"),
        ],
        &device,
        0,
    )
    .edit(
        &[("service", &svc_number), ("findings", "Courier lost it")],
        "ana",
        1,
    )
    .to("investigating", "", "ana", 2)
    .to("responded", "", "ana", 3)
    .edit(
        &[
            ("response", "Sorry; new courier"),
            ("customer_satisfied", "true"),
        ],
        "ana",
        4,
    )
    .to("closed", "", "ana", 5);
    out.write(
        "complaint",
        "complaint",
        &complaint.doc,
        &[("customer_satisfied", "")],
    );

    let supplier = Made::new(
        "supplier",
        24,
        &[("name", "NetCo"), ("owner", "ana")],
        &device,
        0,
    )
    .act(
        "contact",
        &[("name", "Gus"), ("email", "gus@netco")],
        "ana",
        1,
    );
    out.write("supplier", "supplier", &supplier.doc, &[("owner", "bo")]);

    let contract = Made::new(
        "contract",
        25,
        &[("supplier", "SUP-AAAA-0001"), ("scope", "WAN links")],
        &device,
        0,
    )
    .edit(
        &[
            ("owner", "ana"),
            ("starts", &MONDAY.to_string()),
            ("ends", &(MONDAY + 730 * 86_400_000).to_string()),
            ("services", &svc_number),
            ("supports_sla", &sla.number()),
        ],
        "ana",
        1,
    )
    .act(
        "target",
        &[
            ("priority", "P1"),
            ("response", "10"),
            ("resolution", "300"),
        ],
        "ana",
        2,
    )
    .to("active", "", "ana", 3)
    .to("terminated", "Supplier sold", "ana", 4);
    out.write(
        "contract",
        "contract",
        &contract.doc,
        &[("scope", "WAN links and DSL")],
    );

    let plan = Made::new(
        "continuity_plan",
        26,
        &[("service", &svc_number)],
        &device,
        0,
    )
    .edit(
        &[
            ("invocation_criteria", "Depot offline for an hour"),
            ("procedures", "Call the desk\nSwitch to 4G"),
            ("rto_minutes", "60"),
            ("rpo_minutes", "15"),
        ],
        "ana",
        1,
    )
    .act(
        "contact",
        &[("name", "Hal"), ("role", "Duty manager"), ("phone", "556")],
        "ana",
        2,
    )
    .act(
        "test",
        &[("passed", "false"), ("notes", "4G router flat")],
        "ana",
        3,
    )
    .act(
        "test",
        &[("passed", "true"), ("notes", "Failover in 12 min")],
        "ana",
        4,
    )
    .to("approved", "", "ana", 5);
    out.write(
        "continuity_plan",
        "continuity_plan",
        &plan.doc,
        &[("rto_minutes", "45")],
    );

    let risk = Made::new(
        "risk",
        27,
        &[
            ("description", "Flood at the north depot\nnear the river"),
            ("likelihood", "2"),
            ("impact", "5"),
        ],
        &device,
        0,
    )
    .edit(
        &[
            ("source", "Audit"),
            ("treatment", "Pumps and sandbags"),
            ("owner", "ana"),
            ("review_date", &(MONDAY + 90 * 86_400_000).to_string()),
        ],
        "ana",
        1,
    )
    .to("in_progress", "", "ana", 2);
    out.write("risk", "risk", &risk.doc, &[("likelihood", "3")]);

    let competence = Made::new(
        "competence",
        28,
        &[("person", "bo"), ("role", "technician")],
        &device,
        0,
    )
    .edit(
        &[
            ("skills_required", "Cabling\nTills\nFirst aid"),
            ("skills_held", "Cabling"),
            ("evidence", "HR file"),
        ],
        "ana",
        1,
    )
    .act(
        "certificate",
        &[
            ("name", "First aid"),
            ("expires", &(MONDAY - 86_400_000).to_string()),
            ("evidence", "Card"),
        ],
        "ana",
        2,
    )
    .act("certificate", &[("name", "Fork lift")], "ana", 3);
    out.write(
        "competence",
        "competence",
        &competence.doc,
        &[("skills_held", "Cabling\nTills")],
    );

    let audit = Made::new(
        "internal_audit",
        29,
        &[
            ("programme", "2026"),
            ("scope", "Incident management\nand SLAs"),
        ],
        &device,
        0,
    )
    .edit(
        &[
            ("criteria", "ISO/IEC 20000-1 8.6"),
            ("planned_at", &(MONDAY + 86_400_000).to_string()),
        ],
        "ana",
        1,
    )
    .to("in_progress", "", "ana", 2)
    .act(
        "finding",
        &[("kind", "observation"), ("text", "Good work logs")],
        "ana",
        3,
    )
    .act(
        "finding",
        &[
            ("kind", "nonconformity"),
            ("text", "No post-incident review"),
        ],
        "ana",
        4,
    )
    .to("reported", "", "ana", 5);
    out.write(
        "internal_audit",
        "internal_audit",
        &audit.doc,
        &[("criteria", "ISO/IEC 20000-1 8.6 and 8.3")],
    );

    let review = Made::new("management_review", 30, &[], &device, 0)
        .edit(
            &[
                ("held_at", &(MONDAY + 3_600_000).to_string()),
                ("attendees", "ana\nbo\ncy"),
                ("inputs_covered", "audit results\nrisks and opportunities"),
                ("decisions", "Buy pumps"),
            ],
            "ana",
            1,
        )
        .act(
            "action",
            &[
                ("text", "Order pumps"),
                ("owner", "bo"),
                ("due", &(MONDAY + 30 * 86_400_000).to_string()),
            ],
            "ana",
            2,
        )
        .act("action", &[("text", "Train the desk")], "ana", 3)
        .act("action_done", &[("action", "1")], "bo", 4)
        .to("held", "", "ana", 5);
    out.write(
        "management_review",
        "management_review",
        &review.doc,
        &[("decisions", "Buy pumps\nHire")],
    );

    let ncf = Made::new(
        "nonconformity",
        31,
        &[
            ("finding", "No post-incident review"),
            ("source", "AUD-AAAA-0001"),
        ],
        &device,
        0,
    )
    .edit(
        &[
            ("correction", "Review held"),
            ("root_cause", "No reminder"),
            (
                "corrective_action",
                "Reminder in the major incident checklist",
            ),
        ],
        "ana",
        1,
    )
    .to("in_progress", "", "ana", 2)
    .act(
        "effectiveness",
        &[("summary", "Three reviews held since")],
        "ana",
        3,
    )
    .to("closed", "", "ana", 4);
    out.write(
        "nonconformity",
        "nonconformity",
        &ncf.doc,
        &[("root_cause", "No reminder, no owner")],
    );

    let improvement = Made::new(
        "improvement",
        32,
        &[
            ("opportunity", "Faster triage"),
            ("source", "breach"),
            ("source_ref", "INC-AAAA-0001"),
        ],
        &device,
        0,
    )
    .edit(
        &[
            ("priority", "high"),
            ("owner", "cy"),
            ("target", "Triage in 5 min"),
            ("measured_outcome", "4 min median"),
        ],
        "cy",
        1,
    )
    .to("closed", "", "cy", 2);
    out.write(
        "improvement",
        "improvement",
        &improvement.doc,
        &[("priority", "low")],
    );

    let problem = Made::new(
        "problem",
        33,
        &[("title", "Tills print blank receipts")],
        &device,
        0,
    )
    .edit(
        &[
            ("description", "Several depots"),
            ("owner", "cy"),
            ("root_cause", "Roll width"),
        ],
        "cy",
        1,
    )
    .act("link_incident", &[("incident", "INC-7K3Q-D2MX")], "cy", 2)
    .act("link_incident", &[("incident", "INC-AAAA-0002")], "cy", 3)
    .to("investigating", "", "cy", 4)
    .act(
        "known_error",
        &[("workaround", "Use the old rolls")],
        "cy",
        5,
    )
    .act(
        "accept",
        &[("reason", "Rolls phased out next year")],
        "cy",
        6,
    )
    .to("closed", "", "cy", 7);
    out.write(
        "problem",
        "problem",
        &problem.doc,
        &[("fix_change", "CHG-AAAA-0001")],
    );
}
