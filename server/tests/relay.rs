//! The real relay on a free loopback port, driven over real WebSockets by clients built on
//! `shared`'s sync session, the way the browser app drives it.

use std::{collections::HashMap, path::Path, time::Duration};

use automerge::{Automerge, ChangeHash};
use futures::{SinkExt, StreamExt};
use server::{Config, Relay};
use shared::{
    ids::{DocumentId, PeerId},
    index,
    protocol::{self, Message},
    records::{
        ChangeMeta,
        incident::{Incident, IncidentEdit, IncidentStatus},
        priority::Level,
    },
    sync::{Effect, Session, unsynced_changes},
    time::Timestamp,
};
use tokio::{net::TcpStream, sync::oneshot, task::JoinHandle};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message as Ws};

struct RunningRelay {
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    first_password: Option<String>,
}

async fn start_relay(data_dir: &Path, static_dir: &Path) -> RunningRelay {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        listen: addr,
        data_dir: data_dir.to_path_buf(),
        static_dir: static_dir.to_path_buf(),
        max_frame_bytes: 1024 * 1024,
    };
    let (relay, first) = Relay::open(config).await.unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        relay
            .serve(listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    RunningRelay {
        addr,
        stop: Some(stop),
        task,
        first_password: first.map(|f| f.password),
    }
}

impl RunningRelay {
    async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("relay shuts down")
            .unwrap();
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A device: its documents, what the relay has of each, and one sync session.
struct Device {
    docs: HashMap<DocumentId, Automerge>,
    relay_heads: HashMap<DocumentId, Vec<ChangeHash>>,
    session: Session,
    socket: Socket,
}

impl Device {
    async fn connect(addr: std::net::SocketAddr, name: &str) -> Device {
        let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/sync"))
            .await
            .unwrap();
        let mut device = Device {
            docs: HashMap::new(),
            relay_heads: HashMap::new(),
            session: Session::new(PeerId::from(name)),
            socket,
        };
        for frame in device.session.open() {
            device.send(frame).await;
        }
        device.run_until(|d| d.session.is_ready()).await;
        device
    }

    async fn send(&mut self, frame: Vec<u8>) {
        self.socket.send(Ws::Binary(frame.into())).await.unwrap();
    }

    async fn edit(&mut self, id: DocumentId, doc: Automerge) {
        self.docs.insert(id, doc);
        for frame in self.session.local_change(&id, &self.docs) {
            self.send(frame).await;
        }
    }

    /// Processes frames until `done` holds (or fails after 10 s).
    async fn run_until(&mut self, done: impl Fn(&Device) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done(self) {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .expect("condition reached within 10 s")
                .expect("socket open")
                .unwrap();
            let Ws::Binary(frame) = frame else { continue };
            let effects = self.session.receive(&frame, &mut self.docs).unwrap();
            for effect in effects {
                match effect {
                    Effect::Send(f) => self.send(f).await,
                    Effect::RelayHas { doc, heads } => {
                        self.relay_heads.insert(doc, heads);
                    }
                    _ => {}
                }
            }
        }
    }

    fn unsynced(&self, id: &DocumentId) -> usize {
        unsynced_changes(
            &self.docs[id],
            self.relay_heads.get(id).map_or(&[][..], |h| h),
        )
    }
}

fn meta(author: &str) -> ChangeMeta {
    ChangeMeta {
        author: author.into(),
        device: format!("{author}-tablet"),
        at: Timestamp(1_764_000_000_000),
    }
}

fn incident_doc(title: &str) -> Automerge {
    let edit = IncidentEdit {
        title: title.into(),
        description: "Site 4, rack B".into(),
        impact: Level::High,
        urgency: Level::Medium,
        status: IncidentStatus::New,
        assignee: String::new(),
        note: String::new(),
    };
    let incident = Incident::create("INC-TEST-0001".into(), edit, &meta("ana")).unwrap();
    let mut doc = Automerge::new();
    incident.write(&mut doc, &meta("ana")).unwrap();
    doc
}

fn new_id(n: u8) -> DocumentId {
    let mut bytes = [n; 16];
    bytes[0] = rand_byte();
    DocumentId::from_bytes(bytes)
}

fn rand_byte() -> u8 {
    (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        % 251) as u8
}

#[tokio::test]
async fn a_document_synced_by_one_device_reaches_another() {
    let (data, web) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let relay = start_relay(data.path(), web.path()).await;
    let id = new_id(1);

    let mut a = Device::connect(relay.addr, "device-a").await;
    a.edit(id, incident_doc("Router down at depot")).await;
    assert_eq!(a.unsynced(&id), 1);
    a.run_until(|d| d.unsynced(&id) == 0).await;

    let mut b = Device::connect(relay.addr, "device-b").await;
    b.edit(id, Automerge::new()).await; // ask for it: an empty doc sends `request`
    b.run_until(|d| Incident::read(&d.docs[&id]).is_ok()).await;
    let incident = Incident::read(&b.docs[&id]).unwrap();
    assert_eq!(incident.title, "Router down at depot");
    assert_eq!(incident, Incident::read(&a.docs[&id]).unwrap());
    relay.shutdown().await;
}

#[tokio::test]
async fn a_connected_device_receives_new_records_live_through_the_index() {
    let (data, web) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let relay = start_relay(data.path(), web.path()).await;
    let index_id = index::index_id(&format!("live-{}", rand_byte()));

    // B is online first, with an empty index (a fresh tablet).
    let mut b = Device::connect(relay.addr, "device-b").await;
    b.edit(index_id, Automerge::new()).await;

    // A, offline until now, uploads an incident and its index entry.
    let mut a = Device::connect(relay.addr, "device-a").await;
    let id = new_id(2);
    let mut idx = Automerge::new();
    index::add(&mut idx, &id, "incident", &meta("ana")).unwrap();
    a.edit(id, incident_doc("Fuel pump leak")).await;
    a.edit(index_id, idx).await;
    a.run_until(|d| d.unsynced(&id) == 0 && d.unsynced(&index_id) == 0).await;

    // B learns of the record through the index, then fetches it, with no reconnect.
    b.run_until(|d| d.docs.get(&index_id).is_some_and(|i| index::records(i) == vec![id]))
        .await;
    b.edit(id, Automerge::new()).await;
    b.run_until(|d| Incident::read(&d.docs[&id]).is_ok()).await;
    assert_eq!(Incident::read(&b.docs[&id]).unwrap().title, "Fuel pump leak");
    relay.shutdown().await;
}

#[tokio::test]
async fn a_malformed_frame_closes_only_that_connection() {
    let (data, web) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let relay = start_relay(data.path(), web.path()).await;
    let mut good = Device::connect(relay.addr, "device-good").await;

    let (mut bad, _) = tokio_tungstenite::connect_async(format!("ws://{}/sync", relay.addr))
        .await
        .unwrap();
    bad.send(Ws::Binary(b"\xa1\x64type\x63bad and then some".to_vec().into()))
        .await
        .unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(5), bad.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let Ws::Binary(reply) = reply else {
        panic!("expected a protocol error message, got {reply:?}")
    };
    match protocol::decode(&reply).unwrap() {
        Message::Error { message } => assert!(message.contains("malformed"), "{message}"),
        other => panic!("expected error, got {other:?}"),
    }
    // Then the relay closes that connection.
    loop {
        match tokio::time::timeout(Duration::from_secs(5), bad.next()).await.unwrap() {
            Some(Ok(Ws::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => {}
        }
    }

    // A text frame is refused the same way.
    let (mut text, _) = tokio_tungstenite::connect_async(format!("ws://{}/sync", relay.addr))
        .await
        .unwrap();
    text.send(Ws::Text("hello".into())).await.unwrap();
    let reply = text.next().await.unwrap().unwrap();
    assert!(matches!(protocol::decode(&reply.into_data()).unwrap(), Message::Error { .. }));

    // The other device carries on, and so does the relay for newcomers.
    let id = new_id(3);
    good.edit(id, incident_doc("Still syncing")).await;
    good.run_until(|d| d.unsynced(&id) == 0).await;
    let mut late = Device::connect(relay.addr, "device-late").await;
    late.edit(id, Automerge::new()).await;
    late.run_until(|d| Incident::read(&d.docs[&id]).is_ok()).await;
    relay.shutdown().await;
}

#[tokio::test]
async fn acknowledged_documents_survive_a_restart() {
    let (data, web) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let relay = start_relay(data.path(), web.path()).await;
    let id = new_id(4);
    let mut a = Device::connect(relay.addr, "device-a").await;
    a.edit(id, incident_doc("Generator service")).await;
    a.run_until(|d| d.unsynced(&id) == 0).await;
    drop(a);
    relay.shutdown().await;

    let relay = start_relay(data.path(), web.path()).await;
    assert!(relay.first_password.is_none(), "accounts persist too");
    let mut b = Device::connect(relay.addr, "device-b").await;
    b.edit(id, Automerge::new()).await;
    b.run_until(|d| Incident::read(&d.docs[&id]).is_ok()).await;
    assert_eq!(Incident::read(&b.docs[&id]).unwrap().title, "Generator service");
    relay.shutdown().await;
}

#[tokio::test]
async fn http_serves_the_app_health_and_sign_in() {
    let (data, web) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(web.path().join("index.html"), "<title>Outpost</title>").unwrap();
    std::fs::write(web.path().join("sw.js"), "// sw").unwrap();
    let relay = start_relay(data.path(), web.path()).await;
    let password = relay.first_password.clone().expect("first start prints an account");
    let base = format!("http://{}", relay.addr);
    let http = reqwest::Client::new();

    assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().text().await.unwrap(), "ok");
    // App routes fall back to the single page.
    let page = http.get(format!("{base}/incidents/abc")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Outpost"));
    let sw = http.get(format!("{base}/sw.js")).send().await.unwrap();
    assert_eq!(sw.headers()["cache-control"], "no-cache");

    let ok = http
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"username": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let wrong = http
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"username": "admin", "password": "guess"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<serde_json::Value>().await.unwrap()["error"],
        "wrong username or password"
    );
    relay.shutdown().await;
}
