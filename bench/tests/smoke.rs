//! A quick check of the load generator (the benchmarks themselves run from `scripts/bench`):
//! a few clients upload a few incidents to an in-process relay, a fresh client fetches them
//! all by id, and gets exactly what was uploaded; then a device reconnects after offline edits.

use std::time::Duration;

use bench::load::{self, Docs};
use server::{Config, Relay};
use shared::records::incident::Incident;

const TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn the_load_generator_uploads_fetches_and_reconnects() {
    let (data, web) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config::new(addr, data.path().to_path_buf(), web.path().to_path_buf());
    let (relay, first) = Relay::open(config).await.unwrap();
    let first = first.expect("a new relay creates its first administrator");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(relay.serve(listener, async {
        let _ = stopped.await;
    }));
    let url = format!("ws://{}:{}@{addr}/sync", first.username, first.password);

    let batches: Vec<_> = (0..3).map(|c| load::incident_docs(4, c * 4)).collect();
    let uploaded: Docs = batches.iter().flatten().cloned().collect();
    let want = load::heads_of(&uploaded);
    load::upload(&url, batches, TIMEOUT).await.unwrap();

    let (_, fetched) = load::download(&url, &want, TIMEOUT).await.unwrap();
    assert_eq!(load::heads_of(&fetched), want);
    for (id, doc) in &uploaded {
        assert_eq!(
            Incident::read(&fetched[id]).unwrap(),
            Incident::read(doc).unwrap()
        );
    }

    // Offline edits to two of them, then a reconnect: the relay ends up with them.
    let mut device = uploaded;
    let ids: Vec<_> = device.keys().copied().take(2).collect();
    for (n, id) in ids.iter().enumerate() {
        load::edit_offline(device.get_mut(id).unwrap(), n);
    }
    let (reconnect, device) = load::reconnect(&url, device, TIMEOUT).await.unwrap();
    assert!(
        reconnect.frames_out > 12,
        "today's protocol: the join and a sync message per document, at least"
    );
    let (_, fetched) = load::download(&url, &load::heads_of(&device), TIMEOUT)
        .await
        .unwrap();
    for id in &ids {
        assert_eq!(
            Incident::read(&fetched[id]).unwrap(),
            Incident::read(&device[id]).unwrap()
        );
    }

    // The app's reconnect: the change feed and a resumed session sync only what changed.
    let login = load::Login::new(&url, "feed").await.unwrap();
    let mut remembered = load::Remembered {
        relay_heads: load::heads_of(&device),
        cursor: login.changes_since(0).await.unwrap().1,
    };
    let mut device = device;
    let edited = ids[0];
    load::edit_offline(device.get_mut(&edited).unwrap(), 7);
    let (resumed, device) = load::reconnect_with_feed(&login, device, &mut remembered, TIMEOUT)
        .await
        .unwrap();
    assert!(
        resumed.frames_out < 6,
        "the join and the one changed document, not all 12: {resumed:?}"
    );
    assert_eq!(
        remembered.relay_heads[&edited],
        load::heads_of(&device)[&edited]
    );
    let (_, fetched) = load::download(&url, &load::heads_of(&device), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(load::heads_of(&fetched), load::heads_of(&device));

    let _ = stop.send(());
    tokio::time::timeout(TIMEOUT, serving)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
