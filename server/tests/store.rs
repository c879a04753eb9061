//! The storage conformance suite: every test of the relay's store runs against both backends,
//! SQLite (a file in a temporary directory) and PostgreSQL (a fresh schema on the test server,
//! common/postgres.rs), through the one `Store` interface; `conformance!` instantiates each
//! test once per backend. Databases made by the relay before sqlx are tested last
//! (`legacy_*`, SQLite only: no earlier relay wrote PostgreSQL).

mod common;

use server::store::*;
use shared::access::{RecordScope, Role};

/// A store on an empty database of one backend.
struct Fresh {
    database: Database,
    store: Store,
    _dir: tempfile::TempDir,
}

impl Fresh {
    fn sqlite() -> Fresh {
        let dir = tempfile::tempdir().unwrap();
        Fresh::on(Database::Sqlite(dir.path().join("outpost.sqlite")), dir)
    }

    fn postgres() -> Fresh {
        let database = Database::Postgres(common::postgres::fresh_database());
        Fresh::on(database, tempfile::tempdir().unwrap())
    }

    fn on(database: Database, dir: tempfile::TempDir) -> Fresh {
        Fresh {
            store: Store::connect(&database).unwrap(),
            database,
            _dir: dir,
        }
    }

    /// The same database, opened again (as a restarted relay or a second relay does).
    fn reopen(&self) -> Store {
        Store::connect(&self.database).unwrap()
    }
}

/// Each named test, once per backend: `sqlite::name` and `postgres::name`.
macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $test() { super::$test(&super::Fresh::sqlite()) } )*
        }
        mod postgres {
            $( #[test] fn $test() { super::$test(&super::Fresh::postgres()) } )*
        }
    };
}

conformance!(
    people_sign_in_with_their_password_only,
    bad_people_data_is_refused_with_a_reason,
    sessions_expire_and_end_on_disable_or_password_reset,
    a_device_id_belongs_to_one_person,
    a_device_is_known_by_its_current_secret_for_its_own_person_only,
    every_change_of_access_bumps_the_revision,
    receipts_keep_the_first_arrival_and_feed_changed_documents,
    a_document_keeps_the_scope_it_was_first_seen_with,
    scopes_every_handle_reads_stay_true_whoever_writes,
    a_batch_of_documents_scopes_is_read_at_once,
    the_schema_survives_reopening_and_backs_up,
    documents_come_back_as_their_chunks_with_the_last_heads,
    documents_read_at_once_come_back_as_one_by_one_within_their_budget,
    a_load_within_a_batch_sees_what_the_batch_wrote,
    a_chunk_written_twice_is_stored_once,
    sites_and_teams_are_listed_renamed_and_their_records_found,
    two_handles_writing_one_document_at_once_lose_nothing,
    everything_copies_into_an_empty_postgres_database,
    a_blob_is_appended_at_its_offset_and_kept_only_when_intact,
    blob_references_are_written_with_the_documents_chunks,
);

/// Several relays share a PostgreSQL database only (one relay per SQLite file).
#[test]
fn postgres_compaction_keeps_a_chunk_another_relay_wrote_meanwhile() {
    compaction_keeps_a_chunk_another_relay_wrote_meanwhile(&Fresh::postgres())
}

/// An incident's scope at `site`.
fn incident(site: &str) -> RecordScope {
    RecordScope {
        kind: "incident".into(),
        site: Some(site.into()),
        team: None,
        restricted: false,
    }
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

fn people_sign_in_with_their_password_only(db: &Fresh) {
    let store = &db.store;
    let id = tech(store);
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

fn bad_people_data_is_refused_with_a_reason(db: &Fresh) {
    let store = &db.store;
    tech(store);
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

fn sessions_expire_and_end_on_disable_or_password_reset(db: &Fresh) {
    let store = &db.store;
    let id = tech(store);
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

fn a_device_id_belongs_to_one_person(db: &Fresh) {
    let store = &db.store;
    let ana = tech(store);
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

fn a_device_is_known_by_its_current_secret_for_its_own_person_only(db: &Fresh) {
    let store = &db.store;
    let ana = tech(store);
    store.start_session(ana, "device-a", 60_000).unwrap();
    let first = store.new_device_secret("device-a").unwrap();
    assert!(store.is_own_device("ana", "device-a", &first).unwrap());
    assert!(!store.is_own_device("bo", "device-a", &first).unwrap());
    assert!(!store.is_own_device("ana", "device-b", &first).unwrap());
    let second = store.new_device_secret("device-a").unwrap();
    assert!(!store.is_own_device("ana", "device-a", &first).unwrap());
    assert!(store.is_own_device("ana", "device-a", &second).unwrap());
}

fn every_change_of_access_bumps_the_revision(db: &Fresh) {
    let store = &db.store;
    let ana = tech(store);
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

fn receipts_keep_the_first_arrival_and_feed_changed_documents(db: &Fresh) {
    let store = &db.store;
    let id = tech(store);
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
    // The gate asks whether a change builds on a document's logged history.
    let hashes = |h: &[&str]| h.iter().map(|h| h.to_string()).collect::<Vec<_>>();
    assert!(store.has_any_change("d2", &hashes(&["h0", "h3"])).unwrap());
    assert!(!store.has_any_change("d2", &hashes(&["h1"])).unwrap());
    assert!(!store.has_any_change("d1", &hashes(&[])).unwrap());
}

fn a_document_keeps_the_scope_it_was_first_seen_with(db: &Fresh) {
    let store = &db.store;
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

/// The scopes of the documents a batch of frames is about, read in one statement (per 500):
/// those stored, whoever stored them, are found; the rest are reported as having none.
fn a_batch_of_documents_scopes_is_read_at_once(db: &Fresh) {
    let hub = db.store.another_connection().unwrap();
    let other = db.reopen();
    let mut batch = SyncBatch::default();
    for i in (0..600).step_by(2) {
        batch.scopes.insert(format!("r{i}"), incident("north"));
    }
    other.commit_sync_batch(&batch).unwrap();
    let ids: Vec<String> = (0..600).map(|i| format!("r{i}")).collect();
    let unscoped = hub.unscoped(ids.iter().map(String::as_str)).unwrap();
    let expected: std::collections::HashSet<String> =
        (1..600).step_by(2).map(|i| format!("r{i}")).collect();
    assert_eq!(unscoped, expected);
    assert_eq!(hub.document_scope("r598").unwrap(), Some(incident("north")));
    assert!(hub.unscoped(["r0", "r2"]).unwrap().is_empty());
}

/// The hub's handle (a connection of its own on SQLite) and another relay's (here another
/// handle on the database) keep records' scopes in memory: what each reads is what the
/// database holds, whoever stored it, and an index's scope the relay derives again is read
/// afresh, never a kept copy.
fn scopes_every_handle_reads_stay_true_whoever_writes(db: &Fresh) {
    let hub = db.store.another_connection().unwrap();
    let other = db.reopen();
    let north = incident("north");
    let mut batch = SyncBatch::default();
    batch.scopes.insert("r1".into(), north.clone());
    hub.commit_sync_batch(&batch).unwrap();
    assert_eq!(hub.document_scope("r1").unwrap(), Some(north.clone()));
    assert_eq!(db.store.document_scope("r1").unwrap(), Some(north.clone()));
    // The other relay stores the same new record at once with another scope: the first stays,
    // on both.
    let mut batch = SyncBatch::default();
    batch.scopes.insert("r1".into(), incident("south"));
    other.commit_sync_batch(&batch).unwrap();
    assert_eq!(other.document_scope("r1").unwrap(), Some(north.clone()));
    assert_eq!(hub.document_scope("r1").unwrap(), Some(north));
    // Unknown is never kept: a record another relay stores later is found.
    assert_eq!(hub.document_scope("r2").unwrap(), None);
    let mut batch = SyncBatch::default();
    batch.scopes.insert("r2".into(), incident("south"));
    other.commit_sync_batch(&batch).unwrap();
    assert_eq!(hub.document_scope("r2").unwrap(), Some(incident("south")));
    // An index's scope, derived again by another relay, is read afresh by every handle.
    let index = shared::index::index_id("site:north").to_string();
    let site = shared::index::index_scope("site:north").unwrap();
    other.derive_document_scope(&index, &site).unwrap();
    assert_eq!(hub.document_scope(&index).unwrap(), Some(site));
    let retired = RecordScope {
        kind: shared::index::KIND.into(),
        restricted: true,
        ..Default::default()
    };
    other.derive_document_scope(&index, &retired).unwrap();
    assert_eq!(hub.document_scope(&index).unwrap(), Some(retired.clone()));
    hub.derive_document_scope(&index, &shared::index::index_scope("site:north").unwrap())
        .unwrap();
    assert_eq!(
        hub.document_scope(&index).unwrap(),
        shared::index::index_scope("site:north")
    );
}

fn the_schema_survives_reopening_and_backs_up(db: &Fresh) {
    tech(&db.store);
    let copy = tempfile::tempdir().unwrap();
    let backup = db.store.backup_to(&copy.path().join("outpost.sqlite"));
    assert_eq!(db.reopen().people_count().unwrap(), 1);
    match &db.database {
        Database::Sqlite(_) => {
            backup.unwrap();
            assert_eq!(Store::open(copy.path()).unwrap().people_count().unwrap(), 1);
        }
        // PostgreSQL has its own backup tools; the relay says so.
        Database::Postgres(_) => assert!(backup.unwrap_err().to_string().contains("pg_dump")),
    }
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

/// `doc`'s changes since `base`, as the hub persists them.
fn chunk_after(
    document: &str,
    doc: &automerge::Automerge,
    base: &automerge::Automerge,
) -> WrittenChunk {
    chunk(
        document,
        doc.save_after(&base.get_heads()),
        false,
        doc.get_heads(),
    )
}

/// The relay reads the documents a batch's frames are about in one go (server/src/sync.rs
/// `prefetch`): each as `document_bytes` reads it, missing ones as missing, and no more bytes
/// than its budget, the rest left out to be read one by one.
fn documents_read_at_once_come_back_as_one_by_one_within_their_budget(db: &Fresh) {
    let store = &db.store;
    let first = doc_with("title", "Printer jam", None);
    let second = doc_with("status", "new", Some(&first));
    let other = doc_with("title", "Other", None);
    let mut batch = SyncBatch::default();
    batch.push_chunk(chunk("d1", first.save(), true, first.get_heads()));
    batch.push_chunk(chunk_after("d1", &second, &first));
    batch.push_chunk(chunk("d2", other.save(), true, other.get_heads()));
    store.commit_sync_batch(&batch).unwrap();

    let asked: Vec<String> = ["d1", "d2", "d3"].map(String::from).to_vec();
    let read = store.documents_bytes(&asked, usize::MAX).unwrap();
    assert_eq!(read.len(), 3);
    for id in ["d1", "d2"] {
        let (one, together) = (store.document_bytes(id).unwrap().unwrap(), &read[id]);
        let together = together.as_ref().expect("stored");
        assert_eq!(
            (&one.bytes, one.chunks, &one.heads),
            (&together.bytes, together.chunks, &together.heads)
        );
    }
    assert!(
        read["d3"].is_none(),
        "a document with no chunks is read as none"
    );

    // Within the budget: d1 does not fit after d2 (asked first), so it is left out, not
    // reported missing.
    let d2 = other.save().len();
    let asked: Vec<String> = ["d2", "d1", "d3"].map(String::from).to_vec();
    let read = store.documents_bytes(&asked, d2).unwrap();
    assert!(read["d2"].is_some());
    assert!(read["d3"].is_none());
    assert!(!read.contains_key("d1"));
}

fn documents_come_back_as_their_chunks_with_the_last_heads(db: &Fresh) {
    let store = &db.store;
    let first = doc_with("title", "Printer jam", None);
    let second = doc_with("status", "new", Some(&first));
    let mut batch = SyncBatch::default();
    batch.push_chunk(chunk("d1", first.save(), true, first.get_heads()));
    batch.push_chunk(chunk(
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
    batch.push_chunk(chunk("d1", second.save(), true, second.get_heads()));
    store.commit_sync_batch(&batch).unwrap();
    let stored = store.document_bytes("d1").unwrap().unwrap();
    assert_eq!((stored.chunks, stored.bytes), (1, second.save()));

    // Within one batch (one commit, a few multi-row statements) too: a chunk, a snapshot that
    // holds it, a chunk after it; and other documents' chunks around them, in order.
    let third = doc_with("assignee", "bo", Some(&second));
    let fourth = doc_with("status", "resolved", Some(&third));
    let other = doc_with("title", "Other", None);
    let mut batch = SyncBatch::default();
    for written in [
        chunk_after("d1", &third, &second),
        chunk("d2", other.save(), true, other.get_heads()),
        chunk("d1", third.save(), true, third.get_heads()),
        chunk_after("d1", &fourth, &third),
    ] {
        batch.push_chunk(written);
    }
    store.commit_sync_batch(&batch).unwrap();
    let stored = store.document_bytes("d1").unwrap().unwrap();
    assert_eq!(stored.chunks, 2);
    assert_eq!(stored.heads, Some(fourth.get_heads()));
    assert_eq!(
        stored.bytes,
        [third.save(), fourth.save_after(&third.get_heads())].concat()
    );
    assert_eq!(store.document_bytes("d2").unwrap().unwrap().chunks, 1);
}

/// A document loaded again while its batch is still open comes back with the batch's chunks.
fn a_load_within_a_batch_sees_what_the_batch_wrote(db: &Fresh) {
    let store = &db.store;
    let first = doc_with("title", "Printer jam", None);
    let second = doc_with("status", "new", Some(&first));
    let third = doc_with("status", "closed", Some(&second));
    let mut stored = SyncBatch::default();
    stored.push_chunk(chunk("d1", first.save(), true, first.get_heads()));
    store.commit_sync_batch(&stored).unwrap();

    let mut open = SyncBatch::default();
    open.push_chunk(chunk(
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
    open.push_chunk(chunk("d1", third.save(), true, third.get_heads()));
    let over = open
        .over("d1", store.document_bytes("d1").unwrap())
        .unwrap();
    assert_eq!((over.chunks, over.bytes), (1, third.save()));
    open.push_chunk(chunk("d2", first.save(), true, first.get_heads()));
    assert_eq!(
        open.over("d2", None).unwrap().heads,
        Some(first.get_heads())
    );
    assert!(open.over("d3", None).is_none());
}

fn a_chunk_written_twice_is_stored_once(db: &Fresh) {
    let store = &db.store;
    let first = doc_with("title", "Printer jam", None);
    let second = doc_with("status", "new", Some(&first));
    let increment = chunk(
        "d1",
        second.save_after(&first.get_heads()),
        false,
        second.get_heads(),
    );
    let mut batch = SyncBatch::default();
    batch.push_chunk(chunk("d1", first.save(), true, first.get_heads()));
    store.commit_sync_batch(&batch).unwrap();
    for _ in 0..2 {
        let mut batch = SyncBatch::default();
        batch.push_chunk(chunk(
            "d1",
            increment.bytes.clone(),
            false,
            increment.heads.clone(),
        ));
        store.commit_sync_batch(&batch).unwrap();
    }
    let stored = store.document_bytes("d1").unwrap().unwrap();
    assert_eq!(
        stored.chunks, 2,
        "the chunk is named by its bytes: stored once"
    );
    assert_eq!(stored.heads, Some(second.get_heads()));
    assert_eq!(store.document_count().unwrap(), 1);
}

fn sites_and_teams_are_listed_renamed_and_their_records_found(db: &Fresh) {
    let store = &db.store;
    store.add_group("site", "south", "").unwrap();
    store.add_group("site", "north", "North").unwrap();
    store.add_group("site", "north", "North depot").unwrap();
    store.add_group("team", "desk", "Service desk").unwrap();
    assert_eq!(
        store.groups("site").unwrap(),
        vec![
            ("north".to_string(), "North depot".to_string()),
            ("south".to_string(), "south".to_string())
        ]
    );
    assert_eq!(
        store.groups("team").unwrap(),
        vec![("desk".to_string(), "Service desk".to_string())]
    );
    assert!(store.add_group("site", "no spaces", "").is_err());
    store.set_document_scope("b", &incident("north")).unwrap();
    store.set_document_scope("a", &incident("south")).unwrap();
    let found = store.documents_of_kinds(&["incident", "problem"]).unwrap();
    assert_eq!(
        found,
        vec![
            ("a".to_string(), incident("south")),
            ("b".to_string(), incident("north"))
        ]
    );
    // Each group's index document has the group's scope already.
    let index = shared::index::index_id("site:north").to_string();
    assert_eq!(
        store.document_scope(&index).unwrap(),
        shared::index::index_scope("site:north")
    );
}

/// Two relays on one database (here two handles, each with its own connections) append to the
/// same document at once: every chunk and receipt is kept, none is refused.
fn two_handles_writing_one_document_at_once_lose_nothing(db: &Fresh) {
    let person = tech(&db.store);
    let base = doc_with("title", "Shared", None);
    let mut batch = SyncBatch::default();
    batch.push_chunk(chunk("d1", base.save(), true, base.get_heads()));
    db.store.commit_sync_batch(&batch).unwrap();
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let store = db.reopen();
            let base = base.clone();
            std::thread::spawn(move || {
                // A device of its own: its own actor.
                let mut mine = base.fork();
                for i in 0..20 {
                    let before = mine.get_heads();
                    mine = doc_with(&format!("w{w}"), &i.to_string(), Some(&mine));
                    let mut batch = SyncBatch::default();
                    batch.push_chunk(chunk(
                        "d1",
                        mine.save_after(&before),
                        false,
                        mine.get_heads(),
                    ));
                    batch.receipts.insert(
                        (person, format!("device-{w}")),
                        vec![Receipt {
                            hash: mine.get_heads()[0].to_string(),
                            document: "d1".into(),
                            device_time: None,
                            author: None,
                        }],
                    );
                    assert_eq!(store.commit_sync_batch(&batch).unwrap(), 1);
                }
                mine.get_heads()
            })
        })
        .collect();
    let mut heads: Vec<_> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    heads.sort();
    let stored = db.store.document_bytes("d1").unwrap().unwrap();
    assert_eq!(stored.chunks, 41);
    let doc = db.store.load_document("d1").unwrap().unwrap();
    let mut merged = doc.get_heads();
    merged.sort();
    assert_eq!(merged, heads, "every change of both writers is there");
    assert_eq!(db.store.receipts_for("d1").unwrap().len(), 40);
}

/// Relay A compacts a document into a snapshot of what it has while relay B has appended a
/// change A never saw: B's chunk stays, A's own chunks go, and the document has both.
fn compaction_keeps_a_chunk_another_relay_wrote_meanwhile(db: &Fresh) {
    let base = doc_with("title", "Printer jam", None);
    let mut batch = SyncBatch::default();
    batch.push_chunk(chunk("d1", base.save(), true, base.get_heads()));
    db.store.commit_sync_batch(&batch).unwrap();
    let on_a = doc_with("status", "open", Some(&base));
    let mut batch = SyncBatch::default();
    batch.push_chunk(chunk(
        "d1",
        on_a.save_after(&base.get_heads()),
        false,
        on_a.get_heads(),
    ));
    db.store.commit_sync_batch(&batch).unwrap();
    // Relay B, with its own device's change.
    let on_b = doc_with("assignee", "bo", Some(&base.fork()));
    let mut batch = SyncBatch::default();
    batch.push_chunk(chunk(
        "d1",
        on_b.save_after(&base.get_heads()),
        false,
        on_b.get_heads(),
    ));
    db.reopen().commit_sync_batch(&batch).unwrap();
    // Relay A compacts what it has.
    let mut batch = SyncBatch::default();
    batch.push_chunk(chunk("d1", on_a.save(), true, on_a.get_heads()));
    db.store.commit_sync_batch(&batch).unwrap();

    let stored = db.store.document_bytes("d1").unwrap().unwrap();
    assert_eq!(stored.chunks, 2, "A's snapshot and B's chunk");
    let doc = db.store.load_document("d1").unwrap().unwrap();
    let mut heads = doc.get_heads();
    heads.sort();
    let mut both = [on_a.get_heads(), on_b.get_heads()].concat();
    both.sort();
    assert_eq!(heads, both, "nothing either relay acknowledged is lost");
}

/// `outpost migrate-to`: people, sessions, devices, groups, scopes, documents and receipts
/// arrive as they were (a session cookie and a device secret still work), new rows follow
/// the copied ones, and a target that is not empty is refused.
fn everything_copies_into_an_empty_postgres_database(db: &Fresh) {
    let store = &db.store;
    let ana = tech(store);
    store.add_group("team", "desk", "Service desk").unwrap();
    store.set_member("team", "ana", "desk", true).unwrap();
    let token = store.start_session(ana, "device-a", 60_000).unwrap();
    let secret = store.new_device_secret("device-a").unwrap();
    let first = doc_with("title", "Printer jam", None);
    let second = doc_with("status", "new", Some(&first));
    let mut batch = SyncBatch::default();
    batch.push_chunk(chunk("d1", first.save(), true, first.get_heads()));
    batch.push_chunk(chunk(
        "d1",
        second.save_after(&first.get_heads()),
        false,
        second.get_heads(),
    ));
    let scope = RecordScope {
        kind: "incident".into(),
        site: Some("north".into()),
        team: None,
        restricted: false,
    };
    batch.scopes.insert("d1".into(), scope.clone());
    let receipt = |hash: &str| Receipt {
        hash: hash.into(),
        document: "d1".into(),
        device_time: Some(7),
        author: Some("ana".into()),
    };
    batch
        .receipts
        .insert((ana, "device-a".into()), vec![receipt("h1"), receipt("h2")]);
    let photo = vec![7u8; 3000];
    let photo_hash = sha256(&photo);
    batch
        .references
        .insert("d1".into(), vec![photo_hash.clone()]);
    store.commit_sync_batch(&batch).unwrap();
    for (at, part) in photo.chunks(1000).enumerate() {
        store
            .append_blob(&photo_hash, 3000, ana, at as u64 * 1000, part)
            .unwrap();
    }

    let target = Fresh::postgres();
    let copied = store.copy_into(&target.store).unwrap();
    assert_eq!(
        copied,
        Copied {
            people: 1,
            // The scopes of d1 and of the site's and team's index documents.
            documents: 3,
            chunks: 2,
            receipts: 2,
            blobs: 1,
        }
    );
    let pg = &target.store;
    assert_eq!(
        pg.blob_state(&photo_hash).unwrap(),
        store.blob_state(&photo_hash).unwrap()
    );
    assert_eq!(pg.blob_documents(&photo_hash).unwrap(), ["d1"]);
    assert_eq!(
        pg.blob_chunk(&photo_hash, 2000).unwrap(),
        Some(photo[2000..].to_vec())
    );
    assert_eq!(pg.blob_bytes_of(ana).unwrap(), 3000);
    assert_eq!(pg.session(&token).unwrap().unwrap().person.id, ana);
    assert!(pg.is_own_device("ana", "device-a", &secret).unwrap());
    assert_eq!(pg.person(ana).unwrap(), store.person(ana).unwrap());
    assert_eq!(pg.groups("team").unwrap(), store.groups("team").unwrap());
    assert_eq!(pg.document_scope("d1").unwrap(), Some(scope));
    assert_eq!(
        pg.receipts_for("d1").unwrap(),
        store.receipts_for("d1").unwrap()
    );
    let stored = pg.document_bytes("d1").unwrap().unwrap();
    assert_eq!((stored.chunks, stored.heads), (2, Some(second.get_heads())));
    assert_eq!(
        pg.access_revision().unwrap(),
        store.access_revision().unwrap()
    );
    // New rows after the copied ones.
    let bo = pg
        .add_person(&NewPerson {
            username: "bo".into(),
            display_name: String::new(),
            password: "long enough pw".into(),
            roles: vec![],
            sites: vec![],
            teams: vec![],
        })
        .unwrap();
    assert!(bo > ana);
    assert_eq!(
        pg.log_receipts(bo, "device-b", &[receipt("h3")]).unwrap(),
        1
    );
    assert!(pg.receipts_for("d1").unwrap()[2].seq > pg.receipts_for("d1").unwrap()[1].seq);
    // Only into an empty database.
    assert!(matches!(
        store.copy_into(&target.store),
        Err(StoreError::Conflict(_))
    ));
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

fn a_blob_is_appended_at_its_offset_and_kept_only_when_intact(db: &Fresh) {
    let store = &db.store;
    let ana = tech(store);
    let file: Vec<u8> = (0..2500u32).map(|i| (i % 251) as u8).collect();
    let h = sha256(&file);
    assert_eq!(store.blob_state(&h).unwrap(), None);
    // Only from the start when nothing is held.
    assert_eq!(
        store
            .append_blob(&h, 2500, ana, 1000, &file[1000..2000])
            .unwrap(),
        Appended::WrongOffset(0)
    );
    assert_eq!(
        store.append_blob(&h, 2500, ana, 0, &file[..1000]).unwrap(),
        Appended::More(1000)
    );
    // A second handle (another relay, another request) appending the same chunk: the first wins.
    assert_eq!(
        store
            .append_blob(&h, 2500, ana, 1000, &file[1000..2000])
            .unwrap(),
        Appended::More(2000)
    );
    assert_eq!(
        db.reopen()
            .append_blob(&h, 2500, ana, 1000, &file[1000..2000])
            .unwrap(),
        Appended::WrongOffset(2000)
    );
    // The length is the one the upload started with; nothing goes past it.
    assert!(matches!(
        store.append_blob(&h, 2600, ana, 2000, &file[2000..]),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.append_blob(&h, 2500, ana, 2000, &[0; 501]),
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        store.blob_state(&h).unwrap(),
        Some(BlobState {
            size: 2500,
            received: 2000,
            complete: false
        })
    );
    assert_eq!(
        store.blob_bytes_of(ana).unwrap(),
        2500,
        "an upload under way counts whole"
    );
    assert_eq!(
        store
            .append_blob(&h, 2500, ana, 2000, &file[2000..])
            .unwrap(),
        Appended::Complete
    );
    assert_eq!(
        store.append_blob(&h, 2500, ana, 0, &[]).unwrap(),
        Appended::Complete,
        "already complete"
    );
    let mut read = vec![];
    while let Some(chunk) = store.blob_chunk(&h, read.len() as u64).unwrap() {
        read.extend(chunk);
    }
    assert_eq!(read, file);
    // Bytes that do not hash to the name are discarded, from the quota too.
    let other = sha256(b"something else");
    assert_eq!(
        store.append_blob(&other, 4, ana, 0, b"abcd").unwrap(),
        Appended::Damaged
    );
    assert_eq!(store.blob_state(&other).unwrap(), None);
    assert_eq!(store.blob_chunk(&other, 0).unwrap(), None);
    assert_eq!(store.blob_bytes_of(ana).unwrap(), 2500);
}

fn blob_references_are_written_with_the_documents_chunks(db: &Fresh) {
    let store = &db.store;
    let doc = doc_with("title", "Pump", None);
    let (h1, h2) = (sha256(b"one"), sha256(b"two"));
    let mut batch = SyncBatch::default();
    batch.push_chunk(chunk("d1", doc.save(), true, doc.get_heads()));
    batch.references.insert("d1".into(), vec![h1.clone()]);
    batch
        .references
        .insert("d2".into(), vec![h1.clone(), h2.clone()]);
    store.commit_sync_batch(&batch).unwrap();
    // Written again (the next change of the document): harmless.
    store.commit_sync_batch(&batch).unwrap();
    assert_eq!(store.blob_documents(&h1).unwrap(), ["d1", "d2"]);
    assert_eq!(db.reopen().blob_documents(&h2).unwrap(), ["d2"]);
    assert!(store.blob_documents(&sha256(b"none")).unwrap().is_empty());
}

/// A copy of a database made by the relay before sqlx (tests/fixtures/README.md), opened by
/// this one.
fn legacy(fixture: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    std::fs::copy(source, dir.path().join("outpost.sqlite")).unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

/// The title the fixture's JS client wrote (JS Automerge writes strings as text).
fn title(doc: &automerge::Automerge) -> String {
    use automerge::ReadDoc;
    match doc.get(automerge::ROOT, "title").unwrap() {
        Some((automerge::Value::Object(_), text)) => doc.text(text).unwrap(),
        Some((value, _)) => value.into_string().unwrap_or_default(),
        None => String::new(),
    }
}

/// A data directory of the relay before sqlx keeps working: its database is upgraded in place
/// on the first start, with everyone and everything in it, and takes new writes.
#[test]
fn legacy_schema4_database_is_upgraded_in_place() {
    let (dir, store) = legacy("outpost-schema4.sqlite");
    let ana = store
        .verify_password("ana", "correct horse battery")
        .unwrap()
        .expect("ana signs in with her password");
    assert!(ana.access.roles.contains(&Role::Technician));
    assert!(ana.access.sites.contains("north") && ana.access.teams.contains("desk"));
    assert_eq!(
        store.groups("site").unwrap(),
        vec![("north".to_string(), "North depot".to_string())]
    );
    store.access_revision().unwrap();
    // Her device is still hers.
    let bo = store
        .add_person(&NewPerson {
            username: "bo".into(),
            display_name: String::new(),
            password: "long enough pw".into(),
            roles: vec![],
            sites: vec![],
            teams: vec![],
        })
        .unwrap();
    assert!(matches!(
        store.start_session(bo, "device-fixture-a", 60_000),
        Err(StoreError::Conflict(_))
    ));
    // The document, with the heads stored beside it, and new changes after it.
    let id = "3XAg2NG8surqSsXxWPD8PKzh29RD";
    let stored = store.document_bytes(id).unwrap().unwrap();
    let doc = store.load_document(id).unwrap().unwrap();
    assert_eq!(title(&doc), "Made by the relay before sqlx");
    assert_eq!(stored.heads, Some(doc.get_heads()));
    let next = doc_with("status", "open", Some(&doc));
    let mut batch = SyncBatch::default();
    batch.push_chunk(chunk(
        id,
        next.save_after(&doc.get_heads()),
        false,
        next.get_heads(),
    ));
    store.commit_sync_batch(&batch).unwrap();
    drop(store);
    // Started again: nothing runs twice, everything is there.
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.people_count().unwrap(), 2);
    let stored = store.document_bytes(id).unwrap().unwrap();
    assert_eq!((stored.chunks, stored.heads), (2, Some(next.get_heads())));
}

/// One schema older: the steps it lacks run (access revision, device secrets).
#[test]
fn legacy_schema3_database_gets_the_steps_it_lacks() {
    let (_dir, store) = legacy("outpost-schema3.sqlite");
    assert_eq!(store.access_revision().unwrap(), 0);
    let ana = store.person_id("ana").unwrap();
    let token = store
        .start_session(ana, "device-fixture-a", 60_000)
        .unwrap();
    let secret = store.new_device_secret("device-fixture-a").unwrap();
    assert!(
        store
            .is_own_device("ana", "device-fixture-a", &secret)
            .unwrap()
    );
    store.end_session(&token).unwrap();
    assert_eq!(store.access_revision().unwrap(), 1);
    let doc = store
        .load_document("4WXGVySvn9QCHh8RVysh3JApTs5i")
        .unwrap()
        .unwrap();
    assert_eq!(title(&doc), "Made by the relay before sqlx");
}

/// Chunks written before heads were kept read back with `heads: None`, so the hub loads them.
#[test]
fn legacy_chunks_stored_without_heads_read_back_without_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("outpost.sqlite");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/outpost-schema3.sqlite"),
        &file,
    )
    .unwrap();
    let doc = doc_with("title", "Old", None);
    // As a relay of schema 2 wrote it: no heads.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        sqlx::query("INSERT INTO document_chunks (document, seq, bytes) VALUES ('old', 1, $1)")
            .bind(doc.save())
            .execute(&mut conn)
            .await
            .unwrap();
    });
    let store = Store::open(dir.path()).unwrap();
    let stored = store.document_bytes("old").unwrap().unwrap();
    assert_eq!(stored.heads, None);
    assert_eq!(stored.bytes, doc.save());
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.document_bytes("old").unwrap().unwrap().heads, None);
}

/// `outpost migrate-to postgres://…` moves a data directory of the relay before sqlx into
/// PostgreSQL, where a relay started with `--database` finds everyone and everything.
#[test]
fn legacy_data_directory_moves_into_postgres_with_migrate_to() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/outpost-schema4.sqlite"),
        data.join("outpost.sqlite"),
    )
    .unwrap();
    let url = common::postgres::fresh_database();
    let migrate = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
            .arg("--data-dir")
            .arg(&data)
            .args(["migrate-to", &url])
            .output()
            .unwrap()
    };
    let out = migrate();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("copied 1 people, 5 documents (1 chunks), 0 receipts and 0 attachments"),
        "{said}"
    );

    let pg = Store::connect(&Database::Postgres(url.clone())).unwrap();
    assert!(
        pg.verify_password("ana", "correct horse battery")
            .unwrap()
            .is_some()
    );
    let doc = pg
        .load_document("3XAg2NG8surqSsXxWPD8PKzh29RD")
        .unwrap()
        .unwrap();
    assert_eq!(title(&doc), "Made by the relay before sqlx");
    let listed = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
        .args(["--database", &url, "user", "list"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).contains("ana\tAna Field\troles=technician"));

    // A second run finds the target in use and copies nothing.
    let again = migrate();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("copy into an empty one"));
}
