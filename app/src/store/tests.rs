//! Browser tests of the IndexedDB store (run with wasm-bindgen-test-runner in Chromium).

use wasm_bindgen_test::*;

use super::*;

wasm_bindgen_test_configure!(run_in_browser);

// Only the tests read single documents back or close the database.
impl Store {
    /// One document's bytes, if stored.
    pub async fn get_doc(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.transaction(DOCS).build()?;
        let store = tx.object_store(DOCS)?;
        let value = store
            .get::<JsValue, _, _>(id.to_string())
            .primitive()?
            .await?;
        match value {
            None => Ok(None),
            Some(v) => bytes_of(v).map(Some).map_err(StoreError),
        }
    }

    /// Writes several documents in one transaction: all of them are durable, or none is (a new
    /// incident and the index entry that lists it go together).
    pub async fn put_docs(&self, docs: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        let writes: Vec<DocWrite> = docs
            .iter()
            .map(|(id, bytes)| DocWrite {
                id: id.clone(),
                bytes: bytes.clone(),
                summary: None,
            })
            .collect();
        self.write(&writes).await
    }

    pub fn close(self) {
        self.db.close();
    }

    /// The stored snapshot's entries (document id, JSON), if there is one this version reads.
    async fn snapshot_entries(&self) -> Option<Vec<(String, String)>> {
        let tx = self.db.transaction(SNAPSHOT).build().unwrap();
        let value = tx
            .object_store(SNAPSHOT)
            .unwrap()
            .get::<JsValue, _, _>(SNAPSHOT_KEY.to_string())
            .primitive()
            .unwrap()
            .await
            .unwrap()?;
        let bytes = bytes_of(value).unwrap();
        let entries = snapshot::decode(&bytes)?;
        Some(
            entries
                .into_iter()
                .map(|(id, json)| (id.to_string(), json.to_string()))
                .collect(),
        )
    }

    /// What `since` holds now.
    async fn since_entries(&self) -> snapshot::Since {
        let tx = self.db.transaction(SINCE).build().unwrap();
        read_since(&tx.object_store(SINCE).unwrap()).await.unwrap()
    }

    /// Waits (up to 10 s) until a snapshot is stored and no summary is waiting for the next,
    /// as a background compaction leaves it.
    async fn compacted(&self) {
        for _ in 0..1000 {
            if !self.compacting.get()
                && self.since_entries().await.is_empty()
                && self.snapshot_entries().await.is_some()
            {
                return;
            }
            gloo::timers::future::TimeoutFuture::new(10).await;
        }
        panic!("no compaction within 10 s");
    }
}

/// A listed record's write, with a stand-in summary (the store does not read it).
fn listed(id: &str, version: u32) -> DocWrite {
    DocWrite {
        id: id.into(),
        bytes: vec![version as u8],
        summary: Some(summary(id, version)),
    }
}

fn summary(id: &str, version: u32) -> String {
    format!(r#"{{"id":"{id}","version":{version}}}"#)
}

/// A database name of its own per test, so runs never see each other's data.
fn db_name(test: &str) -> String {
    format!("outpost-test-{test}-{}", uuid::Uuid::new_v4())
}

#[wasm_bindgen_test]
async fn a_document_survives_closing_and_reopening_the_database() {
    let name = db_name("reopen");
    let bytes: Vec<u8> = (0..=255).collect();
    let store = Store::open(&name).await.unwrap();
    store
        .put_docs(&[
            ("doc-a".into(), bytes.clone()),
            ("doc-b".into(), vec![1, 2, 3]),
        ])
        .await
        .unwrap();
    store.close();

    let store = Store::open(&name).await.unwrap();
    assert_eq!(store.get_doc("doc-a").await.unwrap(), Some(bytes.clone()));
    assert_eq!(store.get_doc("missing").await.unwrap(), None);
    let all = store.load_docs().await.unwrap();
    let ids: Vec<&str> = all.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["doc-a", "doc-b"]);
    assert_eq!(all[0].bytes, Ok(bytes));
    store.close();
}

#[wasm_bindgen_test]
async fn meta_keeps_device_name_and_relay_heads() {
    let name = db_name("meta");
    let store = Store::open(&name).await.unwrap();
    store.put_meta_string(DEVICE_ID, "device-1").await.unwrap();
    store.put_meta_string(DISPLAY_NAME, "Ana").await.unwrap();
    store
        .put_relay_heads("doc-a", &["ab".repeat(32), "cd".repeat(32)])
        .await
        .unwrap();
    store.close();

    let store = Store::open(&name).await.unwrap();
    let meta = store.load_meta().await.unwrap();
    assert_eq!(meta.device_id.as_deref(), Some("device-1"));
    assert_eq!(meta.display_name.as_deref(), Some("Ana"));
    assert_eq!(
        store.load_relay_heads().await.unwrap(),
        vec![("doc-a".to_string(), vec!["ab".repeat(32), "cd".repeat(32)])]
    );
    store.close();
}

#[wasm_bindgen_test]
async fn relay_heads_are_read_apart_from_the_meta_a_start_needs_and_refusals_from_both() {
    let name = db_name("meta-ranges");
    let store = Store::open(&name).await.unwrap();
    store.put_meta_string(DEVICE_ID, "device-1").await.unwrap();
    store.put_meta_string(CHANGES_CURSOR, "42").await.unwrap();
    store.put_refused("doc-b", Some("{}")).await.unwrap();
    // Keys on either side of the prefix's range, which must not be taken for relay heads.
    store.put_meta_string("relay_heads", "x").await.unwrap();
    store.put_meta_string("relay_heads;", "x").await.unwrap();
    for doc in ["doc-c", "doc-a", "doc-b"] {
        store
            .put_relay_heads(doc, &[format!("{doc}-head")])
            .await
            .unwrap();
    }
    store.close();

    let store = Store::open(&name).await.unwrap();
    let meta = store.load_meta().await.unwrap();
    assert_eq!(meta.device_id.as_deref(), Some("device-1"));
    assert_eq!(meta.changes_cursor, Some(42));
    assert_eq!(meta.refused, vec![("doc-b".to_string(), "{}".to_string())]);
    let heads = store.load_relay_heads().await.unwrap();
    assert_eq!(
        heads,
        ["doc-a", "doc-b", "doc-c"]
            .map(|d| (d.to_string(), vec![format!("{d}-head")]))
            .to_vec(),
        "every document's heads, in key order, and nothing else"
    );
    store.close();
}

#[wasm_bindgen_test]
async fn a_start_reads_the_relay_heads_kept_in_meta_so_only_newer_changes_are_unsynced() {
    use automerge::transaction::Transactable as _;
    let name = db_name("start-relay-heads");
    let id = shared::ids::DocumentId::from_uuid(uuid::Uuid::new_v4());
    let mut doc = incident_doc("Pump 3 leaks");
    let on_relay = shared::sync::heads_to_hex(&doc.get_heads());
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, "note", "after the last sync")
        .unwrap();
    tx.commit();
    let newer = doc.get_heads()[0].to_string();
    // Stored as this and earlier versions of the app keep them: relay heads in META.
    let store = Store::open(&name).await.unwrap();
    store
        .put_docs(&[(id.to_string(), doc.save())])
        .await
        .unwrap();
    store
        .put_relay_heads(&id.to_string(), &on_relay)
        .await
        .unwrap();
    store.close();

    let state = crate::state::AppState::new();
    state.load_from(&name).await.unwrap();
    assert_eq!(
        state.not_on_relay(&id),
        std::collections::HashSet::from([newer]),
        "the relay has the first change, so only the newer one is left to send"
    );
}

#[wasm_bindgen_test]
async fn a_refusal_is_kept_until_it_is_forgotten() {
    let name = db_name("refused");
    let store = Store::open(&name).await.unwrap();
    store
        .put_refused(
            "doc-a",
            Some(r#"{"refusal":{"code":"read_only","reason":"no"},"at":5}"#),
        )
        .await
        .unwrap();
    store.put_refused("doc-b", Some("{}")).await.unwrap();
    store.put_refused("doc-b", None).await.unwrap();
    store.close();

    let store = Store::open(&name).await.unwrap();
    let meta = store.load_meta().await.unwrap();
    assert_eq!(meta.refused.len(), 1);
    assert_eq!(meta.refused[0].0, "doc-a");
    let kept: shared::sync::NotAccepted = serde_json::from_str(&meta.refused[0].1).unwrap();
    assert_eq!(kept.refusal.code, shared::refusal::RefusalCode::ReadOnly);
    assert!(
        store.load_relay_heads().await.unwrap().is_empty(),
        "not mistaken for relay heads"
    );
    store.close();
}

#[wasm_bindgen_test]
async fn a_value_that_is_not_bytes_is_reported_not_fatal() {
    let name = db_name("bad");
    let store = Store::open(&name).await.unwrap();
    store.put_docs(&[("good".into(), vec![9])]).await.unwrap();
    // Something else wrote a string where bytes belong.
    let tx = store
        .db
        .transaction(DOCS)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .unwrap();
    tx.object_store(DOCS)
        .unwrap()
        .put(JsValue::from_str("garbage"))
        .with_key("bad".to_string())
        .primitive()
        .unwrap();
    tx.commit().await.unwrap();

    let all = store.load_docs().await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[0].bytes.is_err(), "'bad' sorts first and is not bytes");
    assert_eq!(all[1].bytes, Ok(vec![9]));
    store.close();
}

#[wasm_bindgen_test]
async fn the_session_and_cursor_survive_reopening_and_sign_out_forgets_the_session() {
    let name = db_name("session");
    let store = Store::open(&name).await.unwrap();
    let session = r#"{"username":"ana","display_name":"Ana","roles":["technician"],"sites":["north"],"teams":[],"expires_at":5}"#;
    store.put_meta_string(SESSION, session).await.unwrap();
    store.put_meta_string(CHANGES_CURSOR, "42").await.unwrap();
    store.close();

    let store = Store::open(&name).await.unwrap();
    let meta = store.load_meta().await.unwrap();
    assert_eq!(meta.session.as_deref(), Some(session));
    assert_eq!(meta.changes_cursor, Some(42));
    let info = crate::api::SessionInfo::from_json(meta.session.as_deref().unwrap()).unwrap();
    assert_eq!(info.username, "ana");

    store.delete_meta(SESSION).await.unwrap();
    let meta = store.load_meta().await.unwrap();
    assert_eq!(meta.session, None);
    assert_eq!(meta.changes_cursor, Some(42));
    store.close();
}

fn incident_doc(title: &str) -> automerge::Automerge {
    use shared::priority::Level;
    use shared::records::ChangeMeta;
    use shared::records::incident::{IncidentEdit, IncidentStatus};
    let meta = ChangeMeta {
        author: "ana".into(),
        device: "device-1".into(),
        at: shared::time::Timestamp::from_millis(1_000),
    };
    let edit = IncidentEdit {
        title: title.into(),
        description: String::new(),
        impact: Level::High,
        urgency: Level::High,
        status: IncidentStatus::New,
        assignee: "ana".into(),
        note: String::new(),
    };
    let inc = shared::forms::log_incident("INC-1", &edit, &meta).unwrap();
    inc.document(&meta).unwrap()
}

#[wasm_bindgen_test]
async fn a_summary_is_written_with_its_document_and_removed_with_a_write_without_one() {
    let name = db_name("summaries");
    let store = Store::open(&name).await.unwrap();
    store
        .write(&[
            DocWrite {
                id: "doc-a".into(),
                bytes: vec![1],
                summary: Some(r#"{"a":1}"#.into()),
            },
            DocWrite {
                id: "index".into(),
                bytes: vec![2],
                summary: None,
            },
        ])
        .await
        .unwrap();
    store.close();

    let store = Store::open(&name).await.unwrap();
    assert_eq!(store.load_summaries().await.unwrap(), [r#"{"a":1}"#]);
    assert_eq!(store.get_doc("index").await.unwrap(), Some(vec![2]));
    // The record is no longer listed (e.g. now unreadable): its summary goes with the write.
    store
        .write(&[DocWrite {
            id: "doc-a".into(),
            bytes: vec![3],
            summary: None,
        }])
        .await
        .unwrap();
    assert!(store.load_summaries().await.unwrap().is_empty());
    assert_eq!(store.get_doc("doc-a").await.unwrap(), Some(vec![3]));
    store.close();
}

#[wasm_bindgen_test]
async fn upgrading_a_version_1_database_builds_summaries_for_the_documents_it_holds() {
    use indexed_db_futures::database::Database;
    let name = db_name("upgrade");
    // A device's database as the first version of the app left it: docs and meta only.
    let v1 = Database::open(&name)
        .with_version(1u32)
        .with_on_upgrade_needed(|_, db| {
            db.create_object_store(DOCS).build()?;
            db.create_object_store(META).build()?;
            Ok(())
        })
        .await
        .unwrap();
    let id = shared::ids::DocumentId::from_uuid(uuid::Uuid::new_v4());
    let tx = v1
        .transaction(DOCS)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .unwrap();
    let bytes: JsValue =
        js_sys::Uint8Array::from(incident_doc("Pump 3 leaks").save().as_slice()).into();
    tx.object_store(DOCS)
        .unwrap()
        .put(bytes)
        .with_key(id.to_string())
        .primitive()
        .unwrap();
    tx.commit().await.unwrap();
    v1.close();

    let state = crate::state::AppState::new();
    state.load_from(&name).await.unwrap();
    let listed = leptos::prelude::GetUntracked::get_untracked(&state.summaries);
    assert_eq!(
        listed.len(),
        1,
        "the incident is listed from its new summary"
    );
    assert_eq!(listed[&id].title, "Pump 3 leaks");
    assert_eq!(listed[&id].assignee, "ana");

    // Kept: the next start lists it from the summary store alone.
    let store = Store::open(&name).await.unwrap();
    let stored = store.load_summaries().await.unwrap();
    assert_eq!(stored.len(), 1);
    let summary: shared::summary::Summary = serde_json::from_str(&stored[0]).unwrap();
    assert_eq!(summary.id, id.to_string());
    assert_eq!(summary.priority, shared::priority::Priority::P1);
    store.close();
}

#[wasm_bindgen_test]
async fn a_blob_and_its_upload_state_are_stored_together_and_survive_reopening() {
    use shared::sync::blobs::{Upload, sha256_hex};
    let name = db_name("blobs");
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let hash = sha256_hex(&bytes);
    let store = Store::open(&name).await.unwrap();
    assert_eq!(store.get_blob(&hash).await.unwrap(), None);
    store
        .put_blob(&hash, &bytes, "image/jpeg", &Upload::Waiting)
        .await
        .unwrap();
    // Progress is not kept: the relay says where to resume.
    store
        .put_upload(&hash, &Upload::Uploading { sent: 1, total: 2 })
        .await
        .unwrap();
    store.close();

    let store = Store::open(&name).await.unwrap();
    assert_eq!(
        store.get_blob(&hash).await.unwrap(),
        Some((bytes, "image/jpeg".to_string()))
    );
    assert_eq!(
        store.load_uploads().await.unwrap(),
        [(hash.clone(), Upload::Waiting)]
    );
    store.put_upload(&hash, &Upload::OnRelay).await.unwrap();
    assert_eq!(
        store.load_uploads().await.unwrap(),
        [(hash, Upload::OnRelay)]
    );
    store.close();
}

#[wasm_bindgen_test]
async fn upgrading_a_version_2_database_keeps_its_documents_and_adds_the_blob_stores() {
    use indexed_db_futures::database::Database;
    let name = db_name("upgrade-v2");
    let v2 = Database::open(&name)
        .with_version(2u32)
        .with_on_upgrade_needed(|_, db| {
            db.create_object_store(DOCS).build()?;
            db.create_object_store(META).build()?;
            db.create_object_store(SUMMARIES).build()?;
            Ok(())
        })
        .await
        .unwrap();
    let tx = v2
        .transaction(DOCS)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .unwrap();
    tx.object_store(DOCS)
        .unwrap()
        .put(JsValue::from(js_sys::Uint8Array::from(&[7u8, 8, 9][..])))
        .with_key("doc-a".to_string())
        .primitive()
        .unwrap();
    tx.commit().await.unwrap();
    v2.close();

    let store = Store::open(&name).await.unwrap();
    assert_eq!(store.get_doc("doc-a").await.unwrap(), Some(vec![7, 8, 9]));
    assert!(store.load_uploads().await.unwrap().is_empty());
    store
        .put_blob(
            &"ab".repeat(32),
            b"x",
            "text/plain",
            &shared::sync::blobs::Upload::Waiting,
        )
        .await
        .unwrap();
    store.close();
}

#[wasm_bindgen_test]
async fn the_snapshot_holds_every_summary_and_a_start_reads_it_back() {
    let name = db_name("snapshot");
    let store = Store::open(&name).await.unwrap();
    store
        .write(&[listed("doc-b", 1), listed("doc-a", 1)])
        .await
        .unwrap();
    store
        .put_summaries(&[("doc-c".into(), summary("doc-c", 1))])
        .await
        .unwrap();
    store.compact_summaries().await.unwrap();
    assert!(store.since_entries().await.is_empty(), "since is cleared");
    store.close();

    let store = Store::open(&name).await.unwrap();
    let expected = ["doc-a", "doc-b", "doc-c"].map(|id| (id.to_string(), summary(id, 1)));
    assert_eq!(
        store.snapshot_entries().await.as_deref(),
        Some(&expected[..]),
        "one value, in id order"
    );
    assert_eq!(
        store.load_summaries().await.unwrap(),
        expected.map(|(_, json)| json)
    );
    store.close();
}

#[wasm_bindgen_test]
async fn summaries_written_since_the_snapshot_are_folded_in_after_it_in_id_order() {
    let name = db_name("snapshot-fold");
    let store = Store::open(&name).await.unwrap();
    store
        .write(&[listed("doc-b", 1), listed("doc-d", 1)])
        .await
        .unwrap();
    store.compact_summaries().await.unwrap();
    // Since: one replaced, one new before the first, one new between, one new after.
    store
        .write(&[listed("doc-d", 2), listed("doc-a", 1)])
        .await
        .unwrap();
    store
        .write(&[listed("doc-c", 1), listed("doc-e", 1), listed("doc-d", 3)])
        .await
        .unwrap();
    store.close();

    let store = Store::open(&name).await.unwrap();
    assert_eq!(store.since_entries().await.len(), 4);
    assert_eq!(
        store.load_summaries().await.unwrap(),
        [
            summary("doc-a", 1),
            summary("doc-b", 1),
            summary("doc-c", 1),
            summary("doc-d", 3),
            summary("doc-e", 1)
        ],
        "the latest of each, in id order"
    );
    // The per-document store says the same (it is still written with each save).
    let tx = store.db.transaction(SUMMARIES).build().unwrap();
    let per_document: Vec<String> = tx
        .object_store(SUMMARIES)
        .unwrap()
        .get_all::<JsValue>()
        .primitive()
        .unwrap()
        .await
        .unwrap()
        .filter_map(|v| v.ok()?.as_string())
        .collect();
    drop(tx);
    assert_eq!(per_document, store.load_summaries().await.unwrap());
    store.close();
}

#[wasm_bindgen_test]
async fn a_summary_removed_since_the_snapshot_does_not_come_back() {
    let name = db_name("snapshot-removed");
    let store = Store::open(&name).await.unwrap();
    store
        .write(&[listed("doc-a", 1), listed("doc-b", 1)])
        .await
        .unwrap();
    store.compact_summaries().await.unwrap();
    // doc-a is no longer listed (e.g. now unreadable); a document never listed writes none.
    let unlisted = |id: &str| DocWrite {
        id: id.into(),
        bytes: vec![9],
        summary: None,
    };
    store
        .write(&[unlisted("doc-a"), unlisted("index")])
        .await
        .unwrap();
    store.close();

    let store = Store::open(&name).await.unwrap();
    assert_eq!(store.load_summaries().await.unwrap(), [summary("doc-b", 1)]);
    store.compact_summaries().await.unwrap();
    assert_eq!(
        store.snapshot_entries().await.unwrap(),
        [("doc-b".to_string(), summary("doc-b", 1))],
        "gone from the fresh snapshot too"
    );
    assert_eq!(store.load_summaries().await.unwrap(), [summary("doc-b", 1)]);
    store.close();
}

#[wasm_bindgen_test]
async fn past_the_bound_a_fresh_snapshot_is_written_and_since_cleared_by_themselves() {
    let name = db_name("snapshot-bound");
    let store = Store::open(&name).await.unwrap();
    store.write(&[listed("doc-0", 1)]).await.unwrap();
    store.compact_summaries().await.unwrap();
    let many: Vec<(String, String)> = (0..COMPACT_AFTER - 1)
        .map(|i| {
            let id = format!("doc-{i:05}");
            let json = summary(&id, 2);
            (id, json)
        })
        .collect();
    store.put_summaries(&many).await.unwrap();
    assert_eq!(
        store.since_entries().await.len(),
        COMPACT_AFTER - 1,
        "under the bound: kept since the snapshot"
    );
    store.write(&[listed("doc-z", 1)]).await.unwrap();
    store.compacted().await;
    let snapshot = store.snapshot_entries().await.unwrap();
    assert_eq!(snapshot.len(), COMPACT_AFTER + 1);
    assert_eq!(snapshot[0], ("doc-0".to_string(), summary("doc-0", 1)));
    assert_eq!(
        snapshot[COMPACT_AFTER],
        ("doc-z".to_string(), summary("doc-z", 1))
    );
    let loaded = store.load_summaries().await.unwrap();
    assert_eq!(loaded.len(), COMPACT_AFTER + 1);
    assert_eq!(loaded[1], summary("doc-00000", 2));
    store.close();
}

#[wasm_bindgen_test]
async fn a_snapshot_this_version_cannot_read_is_ignored_and_written_anew() {
    let name = db_name("snapshot-unreadable");
    let store = Store::open(&name).await.unwrap();
    store
        .write(&[listed("doc-a", 1), listed("doc-b", 1)])
        .await
        .unwrap();
    // A snapshot in another format (a later version's, or damaged), and nothing since.
    let tx = store
        .db
        .transaction(&[SNAPSHOT, SINCE][..])
        .with_mode(TransactionMode::Readwrite)
        .build()
        .unwrap();
    tx.object_store(SNAPSHOT)
        .unwrap()
        .put(JsValue::from(js_sys::Uint8Array::from(
            &b"outpost-summaries 99\ndoc-x\t{}\n"[..],
        )))
        .with_key(SNAPSHOT_KEY.to_string())
        .primitive()
        .unwrap();
    tx.object_store(SINCE).unwrap().clear().unwrap();
    tx.commit().await.unwrap();
    store.close();

    let store = Store::open(&name).await.unwrap();
    let both = [summary("doc-a", 1), summary("doc-b", 1)];
    assert_eq!(
        store.load_summaries().await.unwrap(),
        both,
        "read from the per-document summaries"
    );
    store.compacted().await;
    assert_eq!(
        store.snapshot_entries().await.unwrap(),
        [("doc-a", &both[0]), ("doc-b", &both[1])].map(|(id, json)| (id.to_string(), json.clone()))
    );
    store.close();
}

#[wasm_bindgen_test]
async fn upgrading_a_version_3_database_lists_everything_and_gets_a_snapshot() {
    use indexed_db_futures::database::Database;
    let name = db_name("upgrade-v3");
    // A device's database as version 3 left it: documents with their summaries, no snapshot.
    let v3 = Database::open(&name)
        .with_version(3u32)
        .with_on_upgrade_needed(|_, db| {
            for store in [DOCS, META, SUMMARIES, BLOBS, UPLOADS] {
                db.create_object_store(store).build()?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let ids: Vec<shared::ids::DocumentId> = (0..3)
        .map(|_| shared::ids::DocumentId::from_uuid(uuid::Uuid::new_v4()))
        .collect();
    let tx = v3
        .transaction(&[DOCS, SUMMARIES][..])
        .with_mode(TransactionMode::Readwrite)
        .build()
        .unwrap();
    for (i, id) in ids.iter().enumerate() {
        let doc = incident_doc(&format!("Pump {i} leaks"));
        let summary = shared::summary::summarize(
            &id.to_string(),
            &doc,
            &shared::priority::PriorityMatrix::default(),
            &Default::default(),
            &shared::model::Nothing,
            shared::time::Timestamp::from_millis(2_000),
        )
        .unwrap();
        tx.object_store(DOCS)
            .unwrap()
            .put(JsValue::from(js_sys::Uint8Array::from(
                doc.save().as_slice(),
            )))
            .with_key(id.to_string())
            .primitive()
            .unwrap();
        tx.object_store(SUMMARIES)
            .unwrap()
            .put(JsValue::from_str(&serde_json::to_string(&summary).unwrap()))
            .with_key(id.to_string())
            .primitive()
            .unwrap();
    }
    tx.commit().await.unwrap();
    v3.close();

    let state = crate::state::AppState::new();
    state.load_from(&name).await.unwrap();
    let listed = leptos::prelude::GetUntracked::get_untracked(&state.summaries);
    assert_eq!(listed.len(), 3, "every record listed");
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(listed[id].title, format!("Pump {i} leaks"));
    }

    // The start wrote the snapshot (in the background): the next one reads it.
    let store = Store::open(&name).await.unwrap();
    store.compacted().await;
    let mut sorted: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    sorted.sort();
    let snapshot = store.snapshot_entries().await.unwrap();
    assert_eq!(
        snapshot
            .iter()
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>(),
        sorted
    );
    let state = crate::state::AppState::new();
    state.load_from(&name).await.unwrap();
    let listed_again = leptos::prelude::GetUntracked::get_untracked(&state.summaries);
    assert_eq!(listed_again, listed);
    store.close();
}
