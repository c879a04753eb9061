use automerge::transaction::Transactable as _;
use automerge::{Automerge, ObjType, ROOT, ReadDoc};

use super::*;
use crate::records::{TYPES, incident::INCIDENT};

fn meta(who: &str, at: i64) -> ChangeMeta {
    ChangeMeta {
        author: who.into(),
        device: format!("{who}-tablet"),
        at: Timestamp(at),
    }
}

fn hash(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn photo(n: u8) -> Attachment {
    Attachment {
        hash: hash(n),
        name: format!("photo-{n}.jpg"),
        mime: "image/jpeg".into(),
        size: 300_000,
        at: Timestamp(1_000),
        by: String::new(),
        device: String::new(),
    }
}

fn incident() -> Automerge {
    let mut r = Record::new(&INCIDENT);
    r.set("number", "INC-1");
    r.start(&meta("ana", 1), "Incident logged");
    r.document(&meta("ana", 1)).unwrap()
}

fn attached(doc: &mut Automerge, who: &str, a: &Attachment) {
    let mut r = Record::read(doc, &INCIDENT).unwrap();
    attach(&mut r, &meta(who, 5), a).unwrap();
    r.write(doc, &meta(who, 5)).unwrap();
}

#[test]
fn every_record_type_has_attachments_and_a_record_without_any_does_not_store_the_key() {
    for ty in TYPES {
        assert!(ty.field("attachments").is_some(), "{}", ty.kind);
        let doc = Record::new(ty).document(&meta("ana", 1)).unwrap();
        assert!(
            doc.get(ROOT, "attachments").unwrap().is_none(),
            "{}",
            ty.kind
        );
    }
    // Editing a record without attachments does not add the key either.
    let mut doc = incident();
    let mut r = Record::read(&doc, &INCIDENT).unwrap();
    r.set("title", "Printer jams");
    r.write(&mut doc, &meta("bo", 2)).unwrap();
    assert!(doc.get(ROOT, "attachments").unwrap().is_none());
}

#[test]
fn an_attachment_is_listed_with_who_when_and_where_and_logged() {
    let mut doc = incident();
    let picked = Attachment {
        name: "C:\\photos\\Roller\u{7}.JPG".into(),
        mime: "Image/JPEG; q=1".into(),
        ..photo(1)
    };
    attached(&mut doc, "ana", &picked);
    let r = Record::read(&doc, &INCIDENT).unwrap();
    assert_eq!(
        Attachment::all(&r),
        [Attachment {
            hash: hash(1),
            name: "Roller.JPG".into(),
            mime: "image/jpeg".into(),
            size: 300_000,
            at: Timestamp(1_000),
            by: "ana".into(),
            device: "ana-tablet".into(),
        }]
    );
    assert_eq!(r.work_log().last().unwrap().note, "Attached Roller.JPG");
    assert!(Attachment::all(&r)[0].is_image());
    // The history shows the entry, by whom.
    let history = crate::history::history(&doc);
    let change = history.last().unwrap();
    assert_eq!(change.author.as_deref(), Some("ana"));
    assert!(
        change
            .fields
            .iter()
            .any(|f| f.field.starts_with("attachments") && f.value.contains(&hash(1))),
        "{change:?}"
    );
    assert_eq!(hashes_in(&doc), [hash(1)]);
}

#[test]
fn a_file_taken_without_a_time_is_dated_when_attached() {
    let mut r = Record::new(&INCIDENT);
    let a = Attachment {
        at: Timestamp::default(),
        ..photo(1)
    };
    attach(&mut r, &meta("ana", 77), &a).unwrap();
    assert_eq!(Attachment::all(&r)[0].at, Timestamp(77));
}

#[test]
fn bad_attachments_are_refused_and_change_nothing() {
    let mut r = Record::new(&INCIDENT);
    attach(&mut r, &meta("ana", 1), &photo(1)).unwrap();
    let before = r.clone();
    for (a, why) in [
        (
            Attachment {
                hash: "ABC".into(),
                ..photo(2)
            },
            "SHA-256",
        ),
        (
            Attachment {
                name: " / ".into(),
                ..photo(2)
            },
            "no name",
        ),
        (
            Attachment {
                name: "page.html".into(),
                mime: "text/html".into(),
                ..photo(2)
            },
            "cannot be attached",
        ),
        (
            Attachment {
                size: 0,
                ..photo(2)
            },
            "is empty",
        ),
        (photo(1), "already attached"),
    ] {
        let err = attach(&mut r, &meta("ana", 2), &a).unwrap_err().to_string();
        assert!(err.starts_with("Attachment: "), "{err}");
        assert!(err.contains(why), "{err}");
        assert_eq!(r, before);
    }
}

#[test]
fn a_record_holds_a_bounded_number_of_attachments() {
    let mut r = Record::new(&INCIDENT);
    for i in 0..MAX_PER_RECORD {
        let a = Attachment {
            hash: format!("{i:064x}"),
            ..photo(0)
        };
        attach(&mut r, &meta("ana", 1), &a).unwrap();
    }
    let err = attach(&mut r, &meta("ana", 1), &photo(1)).unwrap_err();
    assert!(err.to_string().contains("at most 500"), "{err}");
}

#[test]
fn hashes_are_sha256_in_lowercase_hex() {
    assert_eq!(check_hash(&hash(0xab)), Ok(()));
    for bad in [
        String::new(),
        hash(0xab).to_uppercase(),
        hash(1)[1..].to_string(),
        format!("{}0", hash(1)),
        format!("{}g", &hash(1)[1..]),
        "../".repeat(22)[..64].to_string(),
    ] {
        assert!(check_hash(&bad).is_err(), "{bad}");
    }
}

#[test]
fn names_lose_folders_and_control_characters_and_keep_their_extension_when_shortened() {
    assert_eq!(clean_name("/tmp/a.jpg").unwrap(), "a.jpg");
    assert_eq!(clean_name("..\\..\\etc\\passwd").unwrap(), "passwd");
    assert_eq!(clean_name("  report\n.pdf ").unwrap(), "report.pdf");
    for bad in ["", "  ", "dir/", "..", "a/."] {
        assert!(clean_name(bad).is_err(), "{bad:?}");
    }
    let long = format!("{}.jpeg", "é".repeat(300));
    let short = clean_name(&long).unwrap();
    assert_eq!(short.chars().count(), MAX_NAME);
    assert!(short.ends_with("é.jpeg"), "{short}");
}

#[test]
fn pages_scripts_and_programs_are_refused_by_type_or_name() {
    for (mime, name) in [
        ("text/html", "a.txt"),
        ("TEXT/HTML; charset=utf-8", "a"),
        ("image/svg+xml", "logo.png"),
        ("application/javascript", "a.bin"),
        ("text/javascript", "a"),
        ("application/x-msdownload", "setup"),
        ("application/xhtml+xml", "a"),
        ("application/octet-stream", "setup.EXE"),
        ("", "run.sh"),
        ("image/png", "x.svg"),
        ("text/plain", "a.html"),
        ("application/java-archive", "a.zip"),
    ] {
        let err = check_type(mime, name).unwrap_err();
        assert!(err.contains("cannot be attached"), "{mime} {name}: {err}");
    }
}

#[test]
fn photos_documents_media_archives_and_unknown_files_are_accepted() {
    for (mime, name, kept) in [
        ("image/jpeg", "a.jpg", "image/jpeg"),
        ("image/png", "a.png", "image/png"),
        ("image/heic", "a.heic", "image/heic"),
        ("application/pdf", "a.pdf", "application/pdf"),
        ("text/plain;charset=utf-8", "a.txt", "text/plain"),
        ("text/csv", "a.csv", "text/csv"),
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "a.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("application/msword", "a.doc", "application/msword"),
        (
            "application/vnd.oasis.opendocument.text",
            "a.odt",
            "application/vnd.oasis.opendocument.text",
        ),
        ("application/zip", "logs.zip", "application/zip"),
        ("audio/mp4", "a.m4a", "audio/mp4"),
        ("video/mp4", "a.mp4", "video/mp4"),
        ("", "readings.dat", "application/octet-stream"),
        ("application/x-weird", "a.weird", "application/octet-stream"),
        ("application/octet-stream", "a", "application/octet-stream"),
    ] {
        assert_eq!(check_type(mime, name), Ok(()), "{mime} {name}");
        assert_eq!(normal_type(mime), kept);
    }
}

#[test]
fn only_images_a_browser_shows_are_images() {
    for mime in ["image/jpeg", "image/png", "image/webp", "IMAGE/GIF"] {
        assert!(is_image(mime), "{mime}");
    }
    for mime in [
        "image/svg+xml",
        "image/heic",
        "application/pdf",
        "text/plain",
        "",
    ] {
        assert!(!is_image(mime), "{mime}");
    }
}

#[test]
fn attachments_added_offline_on_two_devices_all_survive_the_merge() {
    // Both devices attach the first file of the record: each starts the sparse list, so the
    // document holds two lists at one key.
    let base = incident();
    let mut a = base.fork();
    let mut b = base.fork();
    attached(&mut a, "ana", &photo(1));
    attached(&mut b, "bo", &photo(2));
    a.merge(&mut b).unwrap();
    assert_eq!(a.get_all(ROOT, "attachments").unwrap().len(), 2);
    let r = Record::read(&a, &INCIDENT).unwrap();
    let mut hashes: Vec<String> = Attachment::all(&r).into_iter().map(|x| x.hash).collect();
    hashes.sort();
    assert_eq!(hashes, [hash(1), hash(2)]);
    assert_eq!(hashes_in(&a), [hash(1), hash(2)]);
    // The next write settles it into one list holding both, once each.
    let mut r = r;
    r.set("assignee", "cy");
    r.write(&mut a, &meta("cy", 9)).unwrap();
    assert_eq!(a.get_all(ROOT, "attachments").unwrap().len(), 1);
    let again = Record::read(&a, &INCIDENT).unwrap();
    assert_eq!(Attachment::all(&again).len(), 2);
    // A third attachment after that goes into the settled list.
    attached(&mut a, "cy", &photo(3));
    assert_eq!(hashes_in(&a), [hash(1), hash(2), hash(3)]);
}

#[test]
fn foreign_entries_are_skipped_by_the_view_and_by_hashes_in() {
    let mut doc = incident();
    let mut tx = doc.transaction();
    let list = tx.put_object(ROOT, "attachments", ObjType::List).unwrap();
    tx.insert(&list, 0, "not a map").unwrap();
    let bad = tx.insert_object(&list, 1, ObjType::Map).unwrap();
    tx.put(&bad, "hash", "not-a-hash").unwrap();
    tx.put(&bad, "name", "x.jpg").unwrap();
    let nameless = tx.insert_object(&list, 2, ObjType::Map).unwrap();
    tx.put(&nameless, "hash", hash(3)).unwrap();
    let good = tx.insert_object(&list, 3, ObjType::Map).unwrap();
    // Another program wrote the hash in capitals, as a text object, and the size as an int.
    let text = tx.put_object(&good, "hash", ObjType::Text).unwrap();
    tx.splice_text(&text, 0, 0, &hash(0xab).to_uppercase())
        .unwrap();
    tx.put(&good, "name", "meter.png").unwrap();
    tx.put(&good, "size", 42_i64).unwrap();
    tx.commit();
    let r = Record::read(&doc, &INCIDENT).unwrap();
    let all = Attachment::all(&r);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].hash, hash(0xab));
    assert_eq!(all[0].size, 42);
    assert_eq!(all[0].mime, "application/octet-stream");
    assert_eq!(hashes_in(&doc), [hash(3), hash(0xab)]);
    // A document whose `attachments` is not a list, or that has none, references nothing.
    let mut odd = incident();
    let mut tx = odd.transaction();
    tx.put(ROOT, "attachments", "photo.jpg").unwrap();
    tx.commit();
    assert!(hashes_in(&odd).is_empty());
    assert!(hashes_in(&incident()).is_empty());
    assert!(hashes_in(&Automerge::new()).is_empty());
}

#[test]
fn uploads_over_the_file_limit_or_the_quota_are_refused_in_words() {
    let limits = BlobLimits::default();
    assert_eq!(limits.max_bytes, 50 * 1024 * 1024);
    assert_eq!(limits.quota_bytes, 2 * 1024 * 1024 * 1024);
    assert_eq!(check_upload(&limits, 50 * MIB, 0), Ok(()));
    let too_large = check_upload(&limits, 61 * MIB, 0).unwrap_err();
    assert_eq!(
        too_large.to_string(),
        "the file is 61 MB; the relay accepts at most 50 MB per file"
    );
    assert_eq!(too_large.status(), 413);
    let just_over = check_upload(&limits, 50 * MIB + 1, 0).unwrap_err();
    assert!(just_over.to_string().starts_with("the file is 51 MB"));
    assert_eq!(check_upload(&limits, 10 * MIB, 2038 * MIB), Ok(()));
    let full = check_upload(&limits, 10 * MIB, 2039 * MIB).unwrap_err();
    assert_eq!(
        full.to_string(),
        "your attachment quota is full (2 GB of 2 GB used; this file needs 10 MB)"
    );
    assert_eq!(full.status(), 507);
    // No overflow for absurd sizes a peer may claim.
    assert!(check_upload(&limits, u64::MAX, u64::MAX).is_err());
}

#[test]
fn sizes_read_as_people_write_them() {
    assert_eq!(bytes(0), "0 bytes");
    assert_eq!(bytes(812), "812 bytes");
    assert_eq!(bytes(1024), "1 KB");
    assert_eq!(bytes(300 * 1024), "300 KB");
    assert_eq!(bytes(1536 * 1024), "1.5 MB");
    assert_eq!(bytes(61 * MIB), "61 MB");
    assert_eq!(bytes(1024 * MIB + 1), "1.1 GB");
    // Rounded up, to the largest size a peer may claim, without overflow.
    assert_eq!(bytes(1024 + 1), "1.1 KB");
    assert_eq!(bytes(10 * 1024 - 1), "10 KB");
    assert_eq!(bytes(u64::MAX), "17179869184 GB");
}

#[test]
fn the_http_types_are_the_json_the_relay_sends() {
    let info = BlobLimitsInfo {
        max_bytes: 1,
        quota_bytes: 2,
        used_bytes: 3,
    };
    assert_eq!(
        serde_json::to_string(&info).unwrap(),
        r#"{"max_bytes":1,"quota_bytes":2,"used_bytes":3}"#
    );
    let body: ErrorBody = serde_json::from_str(r#"{"error":"the file arrived damaged"}"#).unwrap();
    assert_eq!(body.error, "the file arrived damaged");
}
