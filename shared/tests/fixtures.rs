//! Documents as Outpost wrote them before the record engine (`tests/fixtures/*.automerge`, made
//! by `shared/examples/write_fixtures.rs` at commit 4f440f7, which holds the per-type mapping
//! they were made with) must read to the same values and be written with the same layout: the
//! same keys, the same scalar types (str or text, int, uint or f64), the same list and map
//! shapes; the forms must show them, list them and edit them as before. Each fixture's `.json`
//! holds what that commit's code read; `common/fixture.rs` computes the same with today's.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/layout.rs"]
mod layout;

use std::path::PathBuf;

use automerge::Automerge;
use serde_json::Value as Json;
use shared::forms::Values;

fn fixtures() -> Vec<(String, Automerge, Json)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut found: Vec<(String, Automerge, Json)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|entry| {
            let path = entry.unwrap().path();
            let name = path
                .file_name()?
                .to_str()?
                .strip_suffix(".automerge")?
                .to_string();
            let doc = Automerge::load(&std::fs::read(&path).unwrap()).unwrap();
            let json = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
            Some((name, doc, serde_json::from_str(&json).unwrap()))
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

#[test]
fn there_is_a_fixture_of_every_record_type() {
    let kinds: std::collections::BTreeSet<String> = fixtures()
        .iter()
        .map(|(_, _, json)| json["kind"].as_str().unwrap().to_string())
        .collect();
    // Types added after the engine had no earlier documents to keep reading.
    let after_the_engine = ["freeze_window"];
    for kind in shared::records::TYPES.map(|t| t.kind) {
        if after_the_engine.contains(&kind) {
            continue;
        }
        assert!(kinds.contains(kind), "no fixture of {kind}");
    }
}

/// Every part of every fixture's expected JSON, compared one by one so a failure names it.
#[test]
fn every_fixture_reads_and_writes_as_before() {
    for (name, doc, want) in fixtures() {
        let kind = want["kind"].as_str().unwrap();
        let edit: Values = serde_json::from_value(want["edit"].clone()).unwrap();
        let got = fixture::expected(kind, &doc, &edit);
        for part in ["doc", "read", "view", "attention", "edited"] {
            assert_eq!(got[part], want[part], "{name}: {part}");
        }
        assert_same_summary(&name, &got["summary"], &want["summary"]);
    }
}

/// The summary as before; its search text may hold more words, never fewer.
fn assert_same_summary(name: &str, got: &Json, want: &Json) {
    let (mut got, mut want) = (got.clone(), want.clone());
    let (got_search, want_search) = (got["search"].take(), want["search"].take());
    assert_eq!(got, want, "{name}: summary");
    let got_search = got_search.as_str().unwrap_or_default();
    for line in want_search.as_str().unwrap_or_default().lines() {
        assert!(
            got_search.contains(line),
            "{name}: the search text lacks {line:?}"
        );
    }
}

/// The record engine (`shared::model`) reads every fixture to the same values as the per-type
/// mapping did, and writes them with the same layout.
#[test]
fn the_record_engine_reads_and_writes_every_fixture_as_before() {
    for (name, doc, want) in fixtures() {
        let record = shared::records::read(&doc).unwrap();
        assert!(
            record.unreadable().is_empty(),
            "{name}: {:?}",
            record.unreadable()
        );
        let fresh = record.document(&fixture::edit_meta()).unwrap();
        assert_eq!(layout::dump(&fresh), want["read"], "{name}");
        // Written back into its own document, a record with every field of its current
        // layout and no conflicting values changes nothing.
        let mut same = doc.clone();
        record.write(&mut same, &fixture::edit_meta()).unwrap();
        let complete =
            want["doc"].as_object().unwrap().len() >= want["read"].as_object().unwrap().len();
        if complete && shared::review::conflicts(&doc).is_empty() {
            assert_eq!(same.get_heads(), doc.get_heads(), "{name}: rewritten");
        }
    }
}
