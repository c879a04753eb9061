use shared::access::{RecordScope, Role};

use super::*;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

fn tech(store: &Store) -> i64 {
    store.add_group("site", "north", "North depot").unwrap();
    store
        .add_person(&NewPerson {
            username: "ana".into(),
            display_name: "Ana Field".into(),
            password: "correct horse battery".into(),
            roles: vec![Role::Technician],
            sites: vec!["north".into()],
            teams: vec![],
        })
        .unwrap()
}

#[test]
fn people_sign_in_with_their_password_only() {
    let (_d, store) = store();
    let id = tech(&store);
    let p = store
        .verify_password("ana", "correct horse battery")
        .unwrap()
        .unwrap();
    assert_eq!(p.id, id);
    assert!(p.access.roles.contains(&Role::Technician));
    assert!(p.access.sites.contains("north"));
    assert!(
        store
            .verify_password("ana", "wrong password!")
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .verify_password("bo", "correct horse battery")
            .unwrap()
            .is_none()
    );
    store.set_disabled("ana", true).unwrap();
    assert!(
        store
            .verify_password("ana", "correct horse battery")
            .unwrap()
            .is_none()
    );
}

#[test]
fn bad_people_data_is_refused_with_a_reason() {
    let (_d, store) = store();
    tech(&store);
    let mut new = NewPerson {
        username: "ana".into(),
        display_name: String::new(),
        password: "long enough pw".into(),
        roles: vec![],
        sites: vec![],
        teams: vec![],
    };
    assert!(
        store
            .add_person(&new)
            .unwrap_err()
            .to_string()
            .contains("already")
    );
    new.username = "bo".into();
    new.password = "short".into();
    assert!(
        store
            .add_person(&new)
            .unwrap_err()
            .to_string()
            .contains("at least")
    );
    new.password = "long enough pw".into();
    new.sites = vec!["atlantis".into()];
    assert!(
        store
            .add_person(&new)
            .unwrap_err()
            .to_string()
            .contains("no site 'atlantis'")
    );
    new.username = "bad name!".into();
    assert!(
        store
            .add_person(&new)
            .unwrap_err()
            .to_string()
            .contains("not a valid username")
    );
}

#[test]
fn sessions_expire_and_end_on_disable_or_password_reset() {
    let (_d, store) = store();
    let id = tech(&store);
    let token = store.start_session(id, "device-abc", 60_000).unwrap();
    let s = store.session(&token).unwrap().unwrap();
    assert_eq!(s.device, "device-abc");
    assert!(store.session("forged").unwrap().is_none());
    let expired = store.start_session(id, "device-abc", -1).unwrap();
    assert!(store.session(&expired).unwrap().is_none());
    store
        .reset_password("ana", "another long password")
        .unwrap();
    assert!(store.session(&token).unwrap().is_none());
    let token = store.start_session(id, "device-abc", 60_000).unwrap();
    store.end_session(&token).unwrap();
    assert!(store.session(&token).unwrap().is_none());
    assert!(store.start_session(id, "not a device", 60_000).is_err());
}

#[test]
fn a_device_id_belongs_to_one_person() {
    let (_d, store) = store();
    let ana = tech(&store);
    let bo = store
        .add_person(&NewPerson {
            username: "bo".into(),
            display_name: String::new(),
            password: "long enough pw".into(),
            roles: vec![Role::Auditor],
            sites: vec![],
            teams: vec![],
        })
        .unwrap();
    let ana_token = store.start_session(ana, "device-shared", 60_000).unwrap();
    let refused = store
        .start_session(bo, "device-shared", 60_000)
        .unwrap_err();
    assert!(matches!(refused, StoreError::Conflict(_)), "{refused}");
    assert_eq!(
        store.session(&ana_token).unwrap().unwrap().person.id,
        ana,
        "ana's session goes on"
    );
    assert!(store.start_session(bo, "device-bo", 60_000).is_ok());
}

#[test]
fn a_device_is_known_by_its_current_secret_for_its_own_person_only() {
    let (_d, store) = store();
    let ana = tech(&store);
    store.start_session(ana, "device-a", 60_000).unwrap();
    let first = store.new_device_secret("device-a").unwrap();
    assert!(store.is_own_device("ana", "device-a", &first).unwrap());
    assert!(!store.is_own_device("bo", "device-a", &first).unwrap());
    assert!(!store.is_own_device("ana", "device-b", &first).unwrap());
    let second = store.new_device_secret("device-a").unwrap();
    assert!(!store.is_own_device("ana", "device-a", &first).unwrap());
    assert!(store.is_own_device("ana", "device-a", &second).unwrap());
}

#[test]
fn every_change_of_access_bumps_the_revision() {
    let (_d, store) = store();
    let ana = tech(&store);
    let token = store.start_session(ana, "device-a", 60_000).unwrap();
    let mut last = store.access_revision().unwrap();
    let mut bumped = |what: &str| {
        let now = store.access_revision().unwrap();
        assert!(now > last, "{what} bumps the revision");
        last = now;
    };
    store.grant_role("ana", Role::Auditor, true).unwrap();
    bumped("a grant");
    store.grant_role("ana", Role::Auditor, false).unwrap();
    bumped("a revocation");
    store.add_group("site", "south", "").unwrap();
    store.set_member("site", "ana", "south", true).unwrap();
    bumped("joining a site");
    store.set_member("site", "ana", "south", false).unwrap();
    bumped("leaving a site");
    store.add_group("team", "desk", "").unwrap();
    store.set_member("team", "ana", "desk", true).unwrap();
    bumped("joining a team");
    store.set_member("team", "ana", "desk", false).unwrap();
    bumped("leaving a team");
    store.end_session(&token).unwrap();
    bumped("signing out");
    store.set_disabled("ana", true).unwrap();
    bumped("disabling");
    store
        .reset_password("ana", "another long password")
        .unwrap();
    bumped("a password reset");
}

#[test]
fn receipts_keep_the_first_arrival_and_feed_changed_documents() {
    let (_d, store) = store();
    let id = tech(&store);
    let r = |hash: &str, doc: &str| Receipt {
        hash: hash.into(),
        document: doc.into(),
        device_time: Some(5),
        author: Some("ana".into()),
    };
    assert_eq!(
        store
            .log_receipts(id, "device-a", &[r("h1", "d1"), r("h2", "d2")])
            .unwrap(),
        2
    );
    let (docs, cursor) = store.changed_since(0, None).unwrap();
    assert_eq!(docs, vec!["d1".to_string(), "d2".to_string()]);
    // What a device delivered itself is not news to it.
    assert_eq!(
        store.changed_since(0, Some("device-a")).unwrap().0,
        Vec::<String>::new()
    );
    assert_eq!(store.changed_since(0, Some("device-b")).unwrap().0.len(), 2);
    assert_eq!(
        store
            .log_receipts(id, "device-b", &[r("h1", "d1"), r("h3", "d2")])
            .unwrap(),
        1
    );
    let log = store.receipts_for("d1").unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].device, "device-a", "the first receipt stands");
    assert_eq!(log[0].person, "ana");
    let (docs, next) = store.changed_since(cursor, None).unwrap();
    assert_eq!(docs, vec!["d2".to_string()]);
    assert_eq!(
        store.changed_since(cursor, Some("device-a")).unwrap().0,
        vec!["d2".to_string()]
    );
    assert!(
        store
            .changed_since(cursor, Some("device-b"))
            .unwrap()
            .0
            .is_empty()
    );
    assert!(store.changed_since(next, None).unwrap().0.is_empty());
}

#[test]
fn a_document_keeps_the_scope_it_was_first_seen_with() {
    let (_d, store) = store();
    let north = RecordScope {
        kind: "incident".into(),
        site: Some("north".into()),
        team: None,
        restricted: false,
    };
    store.set_document_scope("d1", &north).unwrap();
    let mut south = north.clone();
    south.site = Some("south".into());
    store.set_document_scope("d1", &south).unwrap();
    assert_eq!(store.document_scope("d1").unwrap(), Some(north));
    assert_eq!(store.document_scope("d2").unwrap(), None);
}

#[test]
fn the_schema_survives_reopening_and_backs_up() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        tech(&store);
        store.backup_to(&dir.path().join("copy.sqlite")).unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.people_count().unwrap(), 1);
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.path().join("copy.sqlite"),
        copy.path().join("outpost.sqlite"),
    )
    .unwrap();
    assert_eq!(Store::open(copy.path()).unwrap().people_count().unwrap(), 1);
}

fn doc_with(key: &str, value: &str, base: Option<&automerge::Automerge>) -> automerge::Automerge {
    use automerge::transaction::Transactable;
    let mut doc = base.cloned().unwrap_or_default();
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, key, value).unwrap();
    tx.commit();
    doc
}

fn chunk(
    document: &str,
    bytes: Vec<u8>,
    replaces: bool,
    heads: Vec<automerge::ChangeHash>,
) -> WrittenChunk {
    WrittenChunk {
        document: document.into(),
        bytes,
        replaces,
        heads,
    }
}

#[test]
fn documents_come_back_as_their_chunks_with_the_last_heads() {
    let (_d, store) = store();
    let first = doc_with("title", "Printer jam", None);
    let second = doc_with("status", "new", Some(&first));
    let mut batch = SyncBatch::default();
    batch
        .chunks
        .push(chunk("d1", first.save(), true, first.get_heads()));
    batch.chunks.push(chunk(
        "d1",
        second.save_after(&first.get_heads()),
        false,
        second.get_heads(),
    ));
    store.commit_sync_batch(&batch).unwrap();

    let stored = store.document_bytes("d1").unwrap().unwrap();
    assert_eq!(stored.chunks, 2);
    assert_eq!(stored.heads, Some(second.get_heads()));
    assert_eq!(
        stored.bytes,
        [first.save(), second.save_after(&first.get_heads())].concat()
    );
    assert_eq!(
        store.load_document("d1").unwrap().unwrap().get_heads(),
        second.get_heads()
    );
    assert!(store.document_bytes("d2").unwrap().is_none());

    // A snapshot replaces them, heads and all.
    let mut batch = SyncBatch::default();
    batch
        .chunks
        .push(chunk("d1", second.save(), true, second.get_heads()));
    store.commit_sync_batch(&batch).unwrap();
    let stored = store.document_bytes("d1").unwrap().unwrap();
    assert_eq!((stored.chunks, stored.bytes), (1, second.save()));
}

/// Chunks written before heads were kept read back with `heads: None`, so the hub loads them.
#[test]
fn chunks_stored_without_heads_read_back_without_them() {
    let (dir, store) = store();
    let doc = doc_with("title", "Old", None);
    store
        .lock()
        .execute(
            "INSERT INTO document_chunks (document, seq, bytes) VALUES ('old', 1, ?1)",
            [doc.save()],
        )
        .unwrap();
    let stored = store.document_bytes("old").unwrap().unwrap();
    assert_eq!(stored.heads, None);
    assert_eq!(stored.bytes, doc.save());
    drop(store);
    // Reopening keeps the schema as it is (the migration ran once).
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.document_bytes("old").unwrap().unwrap().heads, None);
}

/// A document loaded again while its batch is still open comes back with the batch's chunks.
#[test]
fn a_load_within_a_batch_sees_what_the_batch_wrote() {
    let (_d, store) = store();
    let first = doc_with("title", "Printer jam", None);
    let second = doc_with("status", "new", Some(&first));
    let third = doc_with("status", "closed", Some(&second));
    let mut stored = SyncBatch::default();
    stored
        .chunks
        .push(chunk("d1", first.save(), true, first.get_heads()));
    store.commit_sync_batch(&stored).unwrap();

    let mut open = SyncBatch::default();
    open.chunks.push(chunk(
        "d1",
        second.save_after(&first.get_heads()),
        false,
        second.get_heads(),
    ));
    let over = open
        .over("d1", store.document_bytes("d1").unwrap())
        .unwrap();
    assert_eq!(over.chunks, 2);
    assert_eq!(over.heads, Some(second.get_heads()));
    let mut loaded = automerge::Automerge::new();
    loaded.load_incremental(&over.bytes).unwrap();
    assert_eq!(loaded.get_heads(), second.get_heads());

    // A snapshot in the batch replaces what storage has; a new document comes from the batch.
    open.chunks
        .push(chunk("d1", third.save(), true, third.get_heads()));
    let over = open
        .over("d1", store.document_bytes("d1").unwrap())
        .unwrap();
    assert_eq!((over.chunks, over.bytes), (1, third.save()));
    open.chunks
        .push(chunk("d2", first.save(), true, first.get_heads()));
    assert_eq!(
        open.over("d2", None).unwrap().heads,
        Some(first.get_heads())
    );
    assert!(open.over("d3", None).is_none());
}
