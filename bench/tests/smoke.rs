//! A quick check of the load generator (the benchmarks themselves run from `scripts/bench`):
//! a few clients upload a few incidents to an in-process relay, a fresh client fetches them
//! all by id, and gets exactly what was uploaded; then a device reconnects after offline edits.
//! A small fleet delivers changes within its groups, samod serves the load generator, and two
//! relays on one PostgreSQL share an upload and a change.

use std::time::Duration;

use bench::fleet::{Fleet, GroupSpec};
use bench::load::{self, Docs};
use bench::servers::{Kind, default_js_dir};
use server::{Config, Relay};
use shared::records::incident::Incident;

const TIMEOUT: Duration = Duration::from_secs(30);

/// The relay in this process, on a free loopback port with fresh directories.
struct InProcess {
    addr: std::net::SocketAddr,
    data: tempfile::TempDir,
    _web: tempfile::TempDir,
    first: server::FirstAccount,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl InProcess {
    async fn start() -> InProcess {
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
        InProcess {
            addr,
            data,
            _web: web,
            first,
            stop,
            serving,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(TIMEOUT, self.serving)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}

#[tokio::test]
async fn the_load_generator_uploads_fetches_and_reconnects() {
    let relay = InProcess::start().await;
    let (first, addr) = (&relay.first, relay.addr);
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
    relay.stop().await;
}

/// A small fleet on an in-process relay: the devices of a group get each other's changes, a
/// device alone in its group gets nobody's, and every delivery is matched with its change.
#[tokio::test]
async fn a_fleet_delivers_each_change_to_the_rest_of_its_group() {
    let relay = InProcess::start().await;

    let groups = [
        GroupSpec {
            devices: 3,
            records: 2,
        },
        GroupSpec {
            devices: 1,
            records: 1,
        },
    ];
    let base = format!("http://{}", relay.addr);
    let fleet = Fleet::start_on(relay.data.path(), &base, &groups, &[1], TIMEOUT)
        .await
        .unwrap();
    assert_eq!(fleet.len(), 4);
    let change = fleet.edit(0, 1).await.unwrap();
    fleet.wait_delivered(0, change, TIMEOUT).await;
    let alone = fleet.edit(3, 0).await.unwrap();
    let delivered = fleet.deliveries(|d| d == 1);
    assert_eq!(delivered.changes, 2);
    assert_eq!(delivered.missing, 0, "{delivered:?}");
    assert_eq!(delivered.all_ms.len(), 2, "devices 1 and 2 got the change");
    assert_eq!(delivered.watched_ms.len(), 1, "device 1 is watched");
    assert_eq!(
        delivered.last_ms.len(),
        1,
        "only the group's change had receivers"
    );
    assert_ne!(change, alone);
    assert!(fleet.errors().is_empty(), "{:?}", fleet.errors());
    assert_eq!(
        fleet.settle(TIMEOUT).await,
        0,
        "the group's devices converge"
    );
    fleet.stop().await;
    relay.stop().await;
}

/// samod, built beside the tests, takes uploads from the load generator and serves them to a
/// fresh client: the same protocol as Outpost's relay and the JS server.
#[tokio::test]
async fn samod_serves_what_the_load_generator_uploads() {
    let run = bench::throughput(Kind::Samod, &default_js_dir(), 2, 5, TIMEOUT)
        .await
        .unwrap();
    assert_eq!(run.documents, 10);
    assert!(run.peak_rss_kib > 0);
}

/// The photos figure's client (`outpost-bench-photos`) on a few small photos, one over a chunk.
#[tokio::test]
async fn photos_go_up_and_reach_a_fresh_device_intact() {
    let relay = InProcess::start().await;
    let (first, addr) = (&relay.first, relay.addr);
    let url = format!("ws://{}:{}@{addr}/sync", first.username, first.password);
    let run = bench::photos::photos(&url, 3, 1024 * 1024 + 10, TIMEOUT)
        .await
        .unwrap();
    assert_eq!((run.count, run.bytes_each), (3, 1024 * 1024 + 10));
    relay.stop().await;
}

/// Two relay binaries on one PostgreSQL database (a schema on the tests' server,
/// scripts/test-postgres): uploads spread over them are all acknowledged, and every change
/// made through one reaches a device on the other.
#[tokio::test]
async fn relays_on_one_postgres_take_uploads_and_fan_out_across() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/test-postgres");
    let out = std::process::Command::new(&script).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let run = bench::relays::throughput(&server, 2, 2, 5, TIMEOUT)
        .await
        .unwrap();
    assert_eq!(run.documents, 10);
    let fanout = bench::relays::fanout(&server, 3, TIMEOUT).await.unwrap();
    assert_eq!(fanout.other_relay_ms.len(), 3);
    assert_eq!(fanout.same_relay_ms.len(), 3);
}
