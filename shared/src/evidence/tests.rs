use std::io::Read;

use automerge::Automerge;

use super::*;
use crate::history::{FieldAction, history};
use crate::records::incident::INCIDENT;
use crate::records::{ChangeMeta, Record};

fn meta(author: &str, at: i64) -> ChangeMeta {
    ChangeMeta {
        author: author.into(),
        device: format!("device-{author}"),
        at: Timestamp(at),
    }
}

/// An incident written by ana, then retitled by ben: two changes.
fn incident(byte: u8) -> (DocumentId, Automerge) {
    let mut doc = Automerge::new();
    let mut record = Record::new(&INCIDENT);
    record.set("title", "Scanner offline");
    record.write(&mut doc, &meta("ana", 1_000)).unwrap();
    record.set("title", "Scanner offline, ward 3");
    record.write(&mut doc, &meta("ben", 61_000)).unwrap();
    (DocumentId::from_bytes([byte; 16]), doc)
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut content = vec![];
            file.read_to_end(&mut content).unwrap();
            (file.name().unwrap().to_string(), content)
        })
        .collect()
}

fn export(records: &[SampledRecord]) -> Vec<u8> {
    let info = ExportInfo {
        clause: clause("8.6.1").unwrap(),
        generated_at: Timestamp(1_795_392_000_000),
        generated_by: "audra",
        population: 7,
        seed: "2026-audit",
    };
    package(&info, records).unwrap()
}

#[test]
fn history_shows_numbers_as_written() {
    use automerge::transaction::Transactable as _;
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, "availability_target", 99.5)
        .unwrap();
    tx.put(automerge::ROOT, "count", 3_i64).unwrap();
    tx.commit();
    let fields = &history(&doc)[0].fields;
    let value = |f: &str| fields.iter().find(|c| c.field == f).unwrap().value.clone();
    assert_eq!(value("availability_target"), "99.5");
    assert_eq!(value("count"), "3");
}

#[test]
fn history_since_gives_only_the_changes_beyond_the_heads_seen() {
    let (_, doc) = incident(1);
    let full = history(&doc);
    let first = doc.get_changes_meta(&[])[0].hash;
    let since = crate::history::history_since(&doc, &[first]);
    assert_eq!(
        since,
        full[1..],
        "the later change, worked out as history() does"
    );
    assert!(crate::history::history_since(&doc, &doc.get_heads()).is_empty());
    // Heads the document does not know (e.g. from another document) hide nothing.
    let unknown = automerge::ChangeHash([7; 32]);
    assert_eq!(crate::history::history_since(&doc, &[unknown]), full);
}

#[test]
fn history_names_each_field_change_with_its_author_and_device() {
    let (_, doc) = incident(1);
    let entries = history(&doc);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].author.as_deref(), Some("ana"));
    assert_eq!(entries[0].device.as_deref(), Some("device-ana"));
    assert_eq!(entries[0].device_time, Some(Timestamp(1_000)));
    assert!(
        entries[0]
            .fields
            .iter()
            .any(|f| f.field == "type" && f.value == "incident")
    );
    let retitle = &entries[1];
    assert_eq!(retitle.author.as_deref(), Some("ben"));
    assert_eq!(retitle.fields.len(), 1);
    assert!(
        retitle
            .fields
            .iter()
            .all(|f| f.field == "title" && f.action == FieldAction::Set),
        "{:?}",
        retitle.fields
    );
}

#[test]
fn package_holds_records_history_receipts_documents_and_a_true_manifest() {
    let (id, doc) = incident(1);
    let first = history(&doc)[0].hash.clone();
    let records = vec![SampledRecord {
        id,
        doc: doc.clone(),
        receipts: vec![Receipt {
            hash: first.clone(),
            person: "ana".into(),
            device: "device-ana".into(),
            received_at: Timestamp(1_795_392_060_000),
        }],
    }];
    let files = unzip(&export(&records));
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let number = INCIDENT.number(&id);
    assert_eq!(
        names,
        [
            "outpost-evidence-8.6.1/README.txt".to_string(),
            "outpost-evidence-8.6.1/records.csv".into(),
            "outpost-evidence-8.6.1/history.csv".into(),
            "outpost-evidence-8.6.1/records.json".into(),
            format!("outpost-evidence-8.6.1/documents/{number}.automerge"),
            "outpost-evidence-8.6.1/attachments.csv".into(),
            "outpost-evidence-8.6.1/MANIFEST.sha256".into(),
        ]
    );
    let text = |name: &str| {
        String::from_utf8(
            files
                .iter()
                .find(|(n, _)| n.ends_with(name))
                .unwrap()
                .1
                .clone(),
        )
        .unwrap()
    };
    assert!(text("README.txt").contains("1 of 7 records"));
    assert!(text("records.csv").contains(&number));
    assert!(text("records.csv").contains("\"Scanner offline, ward 3\""));
    // The receipted change carries the relay's time and person; the other has none yet.
    let history_csv = text("history.csv");
    let receipted = history_csv
        .lines()
        .find(|l| l.contains(&first))
        .unwrap()
        .to_string();
    assert!(
        receipted.contains("2026-11-23T00:01:00Z,ana,device-ana"),
        "{receipted}"
    );
    assert!(
        history_csv.contains(
            "ben,device-ben,1970-01-01T00:01:01Z,,,,title,set,\"Scanner offline, ward 3\""
        )
    );
    let json: serde_json::Value = serde_json::from_str(&text("records.json")).unwrap();
    assert_eq!(json[0]["record"]["title"], "Scanner offline, ward 3");
    assert_eq!(json[0]["history"][0]["relay"]["person"], "ana");
    assert!(json[0]["history"][1]["relay"].is_null());
    // The raw document replays to the same state.
    let raw = &files
        .iter()
        .find(|(n, _)| n.ends_with(".automerge"))
        .unwrap()
        .1;
    assert_eq!(Automerge::load(raw).unwrap().get_heads(), doc.get_heads());
    // Every other file is in the manifest with its true SHA-256.
    let manifest = text("MANIFEST.sha256");
    for (name, bytes) in files
        .iter()
        .filter(|(n, _)| !n.ends_with("MANIFEST.sha256"))
    {
        let short = name.trim_start_matches("outpost-evidence-8.6.1/");
        let line = format!("{}  {short}", hex(&Sha256::digest(bytes)));
        assert!(manifest.lines().any(|l| l == line), "{line} missing");
    }
}

#[test]
fn same_inputs_give_the_same_bytes() {
    let (one, two) = (incident(1), incident(2));
    let record = |(id, doc): &(DocumentId, Automerge)| SampledRecord {
        id: *id,
        doc: doc.clone(),
        receipts: vec![],
    };
    let a = export(&[record(&one), record(&two)]);
    let b = export(&[record(&two), record(&one)]);
    // Not assert_eq!: a mismatch would print two zips byte by byte.
    assert!(a == b, "order of input must not matter");
}

#[test]
fn sample_is_reproducible_and_seed_dependent() {
    let population: Vec<DocumentId> = (0..50).map(|b| DocumentId::from_bytes([b; 16])).collect();
    let a = sample(&population, 10, "q4").unwrap();
    assert_eq!(a.len(), 10);
    assert_eq!(a, sample(&population, 10, "q4").unwrap());
    assert_ne!(a, sample(&population, 10, "q1").unwrap());
    assert_eq!(sample(&population, 500, "q4").unwrap().len(), 50);
    assert_eq!(
        sample(&population, 0, "q4"),
        Err(EvidenceError::EmptySample)
    );
}

#[test]
fn no_csv_cell_can_be_read_as_a_formula() {
    use automerge::transaction::Transactable as _;
    let mut doc = Automerge::new();
    let mut record = Record::new(&INCIDENT);
    record.set("title", "=HYPERLINK(\"http://x\")");
    record.write(&mut doc, &meta("@mallory", 1_000)).unwrap();
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, "+field", "-1").unwrap();
    tx.commit_with(meta("eve", 2_000).commit_options());
    let records = vec![SampledRecord {
        id: DocumentId::from_bytes([3; 16]),
        doc: doc.clone(),
        receipts: vec![],
    }];
    let files = unzip(&export(&records));
    let text = |name: &str| {
        String::from_utf8(
            files
                .iter()
                .find(|(n, _)| n.ends_with(name))
                .unwrap()
                .1
                .clone(),
        )
        .unwrap()
    };
    let csvs = [text("records.csv"), text("history.csv")];
    for csv in &csvs {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(csv.as_bytes());
        for row in reader.records() {
            for cell in row.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{cell:?} in\n{csv}"
                );
            }
        }
    }
    assert!(csvs[0].contains("'+field"), "field names too");
    assert!(csvs[1].contains("'@mallory"), "authors too");
    assert!(csvs[1].contains("\"'=HYPERLINK(\"\"http://x\"\")\""));
    // The exact values stay in the JSON.
    let json: serde_json::Value = serde_json::from_str(&text("records.json")).unwrap();
    assert_eq!(json[0]["record"]["title"], "=HYPERLINK(\"http://x\")");
}

#[test]
fn a_signed_record_brings_its_signature_as_svg_in_the_manifest() {
    let (id, mut doc) = incident(3);
    let mut record = Record::read(&doc, &INCIDENT).unwrap();
    record.set("status", "resolved");
    let values = crate::forms::Values::from([
        ("signer".to_string(), "Bo Berg".to_string()),
        ("drawing".to_string(), "M 10 10 L 50 40".to_string()),
    ]);
    crate::signature::sign(&mut record, &values, &meta("ana", 5)).unwrap();
    record.write(&mut doc, &meta("ana", 5)).unwrap();
    let records = [SampledRecord {
        id,
        doc,
        receipts: vec![],
    }];
    let files = unzip(&export(&records));
    let name = format!(
        "outpost-evidence-8.6.1/signatures/{}.svg",
        INCIDENT.number(&id)
    );
    let (_, svg) = files
        .iter()
        .find(|(n, _)| *n == name)
        .expect("the signature file");
    let svg = String::from_utf8(svg.clone()).unwrap();
    assert!(svg.contains("<path d=\"M 10 10 L 50 40\""), "{svg}");
    let (_, manifest) = files
        .iter()
        .find(|(n, _)| n.ends_with("MANIFEST.sha256"))
        .unwrap();
    let line = format!(
        "{}  signatures/{}.svg",
        hex(&Sha256::digest(svg.as_bytes())),
        INCIDENT.number(&id)
    );
    assert!(String::from_utf8_lossy(manifest).lines().any(|l| l == line));
}

#[test]
fn attachments_are_listed_with_their_hashes_and_the_bytes_given_are_in_the_manifest() {
    use crate::attachments::{Attachment, attach};
    let (id, mut doc) = incident(4);
    let photo = b"jpeg bytes".to_vec();
    let report = b"pdf bytes".to_vec();
    let file = |bytes: &[u8], name: &str, mime: &str| Attachment {
        hash: hex(&Sha256::digest(bytes)),
        name: name.into(),
        mime: mime.into(),
        size: bytes.len() as u64,
        at: Timestamp(2_000),
        by: String::new(),
        device: String::new(),
    };
    let mut record = Record::read(&doc, &INCIDENT).unwrap();
    for a in [
        file(&photo, "roller.jpg", "image/jpeg"),
        file(&report, "report.pdf", "application/pdf"),
    ] {
        attach(&mut record, &meta("ana", 3_000), &a).unwrap();
    }
    record.write(&mut doc, &meta("ana", 3_000)).unwrap();
    let records = [SampledRecord {
        id,
        doc,
        receipts: vec![],
    }];
    let (photo_hash, report_hash) = (hex(&Sha256::digest(&photo)), hex(&Sha256::digest(&report)));
    let photo_path = format!("attachments/{photo_hash}-roller.jpg");
    let report_path = format!("attachments/{report_hash}-report.pdf");
    let mut wanted = vec![
        (photo_path.clone(), photo_hash.clone()),
        (report_path.clone(), report_hash.clone()),
    ];
    wanted.sort();
    assert_eq!(attachment_files(&records), wanted);

    // The photo's bytes are given; the report's are not what its hash says.
    let blobs = HashMap::from([
        (photo_hash.clone(), photo.clone()),
        (report_hash.clone(), b"damaged".to_vec()),
    ]);
    let info = ExportInfo {
        clause: clause("8.6.1").unwrap(),
        generated_at: Timestamp(1_795_392_000_000),
        generated_by: "audra",
        population: 1,
        seed: "s",
    };
    let files = unzip(&package_with(&info, &records, &blobs).unwrap());
    let get = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == &format!("outpost-evidence-8.6.1/{name}"))
            .map(|(_, b)| b.clone())
    };
    assert_eq!(get(&photo_path), Some(photo.clone()));
    assert_eq!(get(&report_path), None, "damaged bytes are left out");
    let csv = String::from_utf8(get("attachments.csv").unwrap()).unwrap();
    let number = INCIDENT.number(&id);
    assert!(
        csv.contains(&format!(
            "{number},{id},{photo_hash},roller.jpg,image/jpeg,10,{},ana,device-ana,{photo_path}",
            Timestamp(2_000)
        )),
        "{csv}"
    );
    assert!(
        csv.contains(&format!(
            "{report_hash},report.pdf,application/pdf,9,{},ana,device-ana,\n",
            Timestamp(2_000)
        )),
        "{csv}"
    );
    let manifest = String::from_utf8(get("MANIFEST.sha256").unwrap()).unwrap();
    assert!(
        manifest
            .lines()
            .any(|l| l == format!("{photo_hash}  {photo_path}")),
        "{manifest}"
    );
    assert!(manifest.lines().any(|l| l.ends_with("  attachments.csv")));
    assert!(!manifest.contains(&report_path));
    // Without blobs the export still lists every attachment.
    let plain = unzip(&export(&records));
    assert!(plain.iter().any(|(n, _)| n.ends_with("attachments.csv")));
    assert!(!plain.iter().any(|(n, _)| n.contains("/attachments/")));
}
