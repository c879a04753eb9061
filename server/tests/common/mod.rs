//! The real relay on a free loopback port, and devices built on `shared`'s sync session that
//! sign in and sync over real HTTP and WebSockets, as the browser app does.
#![allow(dead_code)] // each test binary uses its own subset

pub mod forge;
pub mod postgres;
pub mod process;

use std::{collections::HashMap, path::Path, time::Duration};

use automerge::{Automerge, ChangeHash};
use futures::{SinkExt, StreamExt};
use server::{Config, Relay};
use shared::{
    access::Role,
    forms::log_incident,
    ids::{DocumentId, PeerId},
    priority::Level,
    protocol::{self, Message},
    records::{
        ChangeMeta,
        incident::{Incident, IncidentEdit, IncidentStatus},
    },
    refusal::Refusal,
    sync::{Effect, Session, unsynced_changes},
    time::Timestamp,
};
use tokio::{net::TcpStream, sync::oneshot, task::JoinHandle};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message as Ws, client::IntoClientRequest},
};

pub const PASSWORD: &str = "correct horse battery";

/// A relay's HTTP API, wherever the relay runs (in this process or as the real binary).
pub struct Api {
    pub addr: std::net::SocketAddr,
    pub first_password: Option<String>,
}

/// The relay in this process.
pub struct RunningRelay {
    api: Api,
    /// Where `/metrics` is open to anyone, when configured (`--metrics-listen`).
    pub metrics_addr: Option<std::net::SocketAddr>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl std::ops::Deref for RunningRelay {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

/// The app files a relay in a test serves, under `data_dir/web`.
pub fn web_dir(data_dir: &Path) -> std::path::PathBuf {
    let web = data_dir.join("web");
    std::fs::create_dir_all(&web).unwrap();
    std::fs::write(web.join("index.html"), "<title>Outpost</title>").unwrap();
    std::fs::write(web.join("sw.js"), "// sw").unwrap();
    web
}

pub async fn start_relay(data_dir: &Path) -> RunningRelay {
    start_relay_with(data_dir, |_| {}).await
}

/// [`start_relay`] with the test configuration changed by `configure`.
pub async fn start_relay_with(
    data_dir: &Path,
    configure: impl FnOnce(&mut Config),
) -> RunningRelay {
    let web = web_dir(data_dir);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = Config::new(addr, data_dir.join("data"), web);
    config.max_frame_bytes = 1024 * 1024;
    config.max_connections_per_person = 3;
    config.database = postgres::database_for(&data_dir.join("data"));
    configure(&mut config);
    let (relay, first) = Relay::open(config).await.unwrap();
    let metrics_addr = relay.metrics_addr();
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
        api: Api {
            addr,
            first_password: first.map(|f| f.password),
        },
        metrics_addr,
        stop: Some(stop),
        task,
    }
}

/// A relay with two technicians of site north, ana and bo.
pub async fn relay_with_tech(dir: &Path) -> RunningRelay {
    let relay = start_relay(dir).await;
    let admin = relay.admin_cookie().await;
    for name in ["ana", "bo"] {
        relay
            .add_person(&admin, name, &[Role::Technician], &["north"], &[])
            .await;
    }
    relay
}

/// [`relay_with_tech`] once ana's device has uploaded an incident titled `title` (site north),
/// then restarted: the relay holds the record only in storage.
pub async fn restarted_relay_with_incident(dir: &Path, title: &str) -> (RunningRelay, DocumentId) {
    let relay = relay_with_tech(dir).await;
    let id = new_id();
    let mut a = Device::sign_in(&relay, "ana", PASSWORD, "device-a").await;
    a.edit(id, incident_doc(title, Some("north"), None)).await;
    a.run_until(|d| d.unsynced(&id) == 0).await;
    drop(a);
    relay.shutdown().await;
    (start_relay(dir).await, id)
}

/// The store of the relay whose test directory is `dir` (its `data`), on this run's backend.
pub fn open_store(dir: &Path) -> server::store::Store {
    server::store::Store::connect(&postgres::database_for(&dir.join("data"))).unwrap()
}

/// Runs `f` with the store of the relay whose test directory is `dir`, off the test's runtime:
/// the store blocks its caller for each query, and a test's runtime has one thread, which
/// the store's connections may need meanwhile.
pub async fn on_store<T: Send + 'static>(
    dir: &Path,
    f: impl FnOnce(&server::store::Store) -> T + Send + 'static,
) -> T {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || f(&open_store(&dir)))
        .await
        .expect("the checks on the store pass")
}

impl RunningRelay {
    pub async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("relay shuts down")
            .unwrap();
    }
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// One API call with a session cookie and, if given, a JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        cookie: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = reqwest::Client::new()
            .request(method, self.url(path))
            .header("cookie", cookie);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// `GET path` with a session cookie, as JSON.
    pub async fn get_json(&self, path: &str, cookie: &str) -> serde_json::Value {
        self.call(reqwest::Method::GET, path, cookie, None)
            .await
            .json()
            .await
            .unwrap()
    }

    /// Signs in; returns the cookie header value.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        device: &str,
    ) -> Result<String, (u16, String)> {
        let res = reqwest::Client::new()
            .post(self.url("/api/session"))
            .json(
                &serde_json::json!({"username": username, "password": password, "device": device}),
            )
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let cookie = res
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string());
        let body: serde_json::Value = res.json().await.unwrap();
        match cookie {
            Some(c) if status == 200 => Ok(c),
            _ => Err((
                status,
                body["error"].as_str().unwrap_or_default().to_string(),
            )),
        }
    }

    /// Signs in as the first administrator and adds a person with these roles and groups.
    pub async fn add_person(
        &self,
        admin_cookie: &str,
        username: &str,
        roles: &[Role],
        sites: &[&str],
        teams: &[&str],
    ) {
        for (what, ids) in [("sites", sites), ("teams", teams)] {
            for id in ids {
                let res = self
                    .call(
                        reqwest::Method::POST,
                        &format!("/api/{what}"),
                        admin_cookie,
                        Some(serde_json::json!({"id": id})),
                    )
                    .await;
                assert_eq!(res.status(), 200, "adding {what} {id}");
            }
        }
        let res = self
            .call(
                reqwest::Method::POST,
                "/api/people",
                admin_cookie,
                Some(serde_json::json!({
                    "username": username, "password": PASSWORD,
                    "roles": roles, "sites": sites, "teams": teams
                })),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }

    pub async fn admin_cookie(&self) -> String {
        let password = self
            .first_password
            .clone()
            .expect("a fresh relay prints its first account");
        self.sign_in("admin", &password, "device-admin")
            .await
            .unwrap()
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A device: its documents, what the relay has of each, and one sync session.
pub struct Device {
    pub docs: HashMap<DocumentId, Automerge>,
    pub relay_heads: HashMap<DocumentId, Vec<ChangeHash>>,
    pub unavailable: Vec<DocumentId>,
    pub errors: Vec<String>,
    /// Every message the relay sent, in order.
    pub received: Vec<Message>,
    /// The relay closed the socket.
    pub closed: bool,
    /// Refused writes, as the relay explained them.
    pub refusals: Vec<(DocumentId, Refusal)>,
    pub session: Session,
    /// The peer id its sessions announce.
    pub session_peer: PeerId,
    pub socket: Socket,
}

pub async fn open_socket(relay: &Api, cookie: Option<&str>) -> Result<Socket, String> {
    open_socket_at(relay.addr, cookie).await
}

pub async fn open_socket_at(
    addr: std::net::SocketAddr,
    cookie: Option<&str>,
) -> Result<Socket, String> {
    let mut request = format!("ws://{addr}/sync").into_client_request().unwrap();
    if let Some(c) = cookie {
        request.headers_mut().insert("cookie", c.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(s, _)| s)
        .map_err(|e| e.to_string())
}

impl Device {
    /// Signs in as `username` on device `name` and completes the handshake.
    pub async fn sign_in(relay: &Api, username: &str, password: &str, name: &str) -> Device {
        let cookie = relay.sign_in(username, password, name).await.unwrap();
        Device::connect(relay, &cookie, name).await
    }

    pub async fn connect(relay: &Api, cookie: &str, name: &str) -> Device {
        Device::connect_to(relay.addr, cookie, name).await
    }

    pub async fn connect_to(addr: std::net::SocketAddr, cookie: &str, name: &str) -> Device {
        let socket = open_socket_at(addr, Some(cookie)).await.unwrap();
        let mut device = Device {
            docs: HashMap::new(),
            relay_heads: HashMap::new(),
            unavailable: vec![],
            errors: vec![],
            received: vec![],
            closed: false,
            refusals: vec![],
            session: Session::new(PeerId::from(name)),
            session_peer: PeerId::from(name),
            socket,
        };
        for frame in device.session.open() {
            device.send(frame).await;
        }
        device.run_until(|d| d.session.is_ready()).await;
        device
    }

    /// Connects again, to the relay at `addr` (the same or another, e.g. after its relay
    /// died), keeping the documents and what the device knows the relay has: a new session
    /// syncs every document the device holds once the handshake is done. Retries for up to
    /// `limit` while the relay refuses (e.g. its database is restarting); false if it never
    /// took the connection.
    pub async fn reconnect_to(
        &mut self,
        addr: std::net::SocketAddr,
        cookie: &str,
        limit: Duration,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Ok(socket) = open_socket_at(addr, Some(cookie)).await {
                self.socket = socket;
                self.closed = false;
                self.session = Session::new(self.session_peer.clone());
                for frame in self.session.open() {
                    let _ = self.socket.send(Ws::Binary(frame.into())).await;
                }
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                if self.try_run_until(|d| d.session.is_ready(), left).await {
                    return true;
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Processes whatever frames arrive within `time` (a device between its own edits).
    pub async fn pump(&mut self, time: Duration) {
        self.try_run_until(|_| false, time).await;
    }

    pub async fn send(&mut self, frame: Vec<u8>) {
        self.socket.send(Ws::Binary(frame.into())).await.unwrap();
    }

    pub async fn edit(&mut self, id: DocumentId, doc: Automerge) {
        self.docs.insert(id, doc);
        for frame in self.session.local_change(&id, &self.docs) {
            self.send(frame).await;
        }
    }

    /// Asks the relay for a document the device does not have.
    pub async fn request(&mut self, id: DocumentId) {
        self.edit(id, Automerge::new()).await;
    }

    /// Processes frames until `done` holds; panics after 10 s.
    pub async fn run_until(&mut self, done: impl Fn(&Device) -> bool) {
        assert!(
            self.try_run_until(done, Duration::from_secs(10)).await,
            "condition reached within 10 s"
        );
    }

    /// Processes frames until `done` holds (true), the socket closes or time runs out (false).
    pub async fn try_run_until(&mut self, done: impl Fn(&Device) -> bool, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while !done(self) {
            if self.closed {
                return false;
            }
            let frame = match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return done(self),
                Ok(Some(Ok(frame))) => frame,
                Ok(None | Some(Err(_))) => {
                    self.closed = true;
                    continue;
                }
            };
            let frame = match frame {
                Ws::Binary(frame) => frame,
                Ws::Close(_) => {
                    self.closed = true;
                    continue;
                }
                _ => continue,
            };
            if let Ok(message) = protocol::decode(&frame) {
                self.received.push(message);
            }
            let Ok(effects) = self.session.receive(&frame, &mut self.docs) else {
                return false;
            };
            for effect in effects {
                match effect {
                    Effect::Send(f) => {
                        let _ = self.socket.send(Ws::Binary(f.into())).await;
                    }
                    Effect::RelayHas { doc, heads } => {
                        self.relay_heads.insert(doc, heads);
                    }
                    Effect::Unavailable(doc) => self.unavailable.push(doc),
                    Effect::RemoteError(e) => self.errors.push(e),
                    Effect::Refused { doc, refusal } => self.refusals.push((doc, refusal)),
                    _ => {}
                }
            }
        }
        true
    }

    pub fn unsynced(&self, id: &DocumentId) -> usize {
        unsynced_changes(
            &self.docs[id],
            self.relay_heads.get(id).map_or(&[][..], |h| h),
        )
    }

    /// The heads of the device's copy of `id`, sorted (none if it does not hold it).
    pub fn heads(&self, id: &DocumentId) -> Vec<ChangeHash> {
        let mut heads = self.docs.get(id).map(|d| d.get_heads()).unwrap_or_default();
        heads.sort();
        heads
    }

    pub fn has_record(&self, id: &DocumentId) -> bool {
        self.docs.get(id).is_some_and(|d| Incident::read(d).is_ok())
    }
}

pub fn meta(author: &str) -> ChangeMeta {
    ChangeMeta {
        author: author.into(),
        device: format!("device-{author}"),
        at: Timestamp(1_764_000_000_000),
    }
}

/// An incident document in `site` (and optionally `team`), as the app writes them.
pub fn incident_doc(title: &str, site: Option<&str>, team: Option<&str>) -> Automerge {
    let edit = IncidentEdit {
        title: title.into(),
        description: "Site 4, rack B".into(),
        impact: Level::High,
        urgency: Level::Medium,
        status: IncidentStatus::New,
        assignee: String::new(),
        note: String::new(),
    };
    let incident = log_incident("INC-TEST-0001", &edit, &meta("ana")).unwrap();
    let mut doc = Automerge::new();
    incident.write(&mut doc, &meta("ana")).unwrap();
    let mut tx = doc.transaction();
    use automerge::transaction::Transactable;
    if let Some(site) = site {
        tx.put(automerge::ROOT, "site", site).unwrap();
    }
    if let Some(team) = team {
        tx.put(automerge::ROOT, "team", team).unwrap();
    }
    tx.commit();
    doc
}

pub fn new_id() -> DocumentId {
    DocumentId::from_uuid(uuid::Uuid::new_v4())
}

/// The protocol message in a frame the relay sent, for asserting on errors.
pub fn decode(frame: &[u8]) -> Message {
    protocol::decode(frame).unwrap()
}

/// A `sync` frame from `device` that carries the changes of `doc` beyond `base` at once, as a
/// peer that remembers what the relay had sends them (no round trip first).
pub fn write_frame(device: &str, id: DocumentId, doc: &Automerge, base: &[ChangeHash]) -> Vec<u8> {
    use automerge::sync::{self, SyncDoc};
    let mut state = sync::State::new();
    state.shared_heads = base.to_vec();
    state.their_heads = Some(base.to_vec());
    state.their_need = Some(vec![]);
    state.their_have = Some(vec![sync::Have {
        last_sync: base.to_vec(),
        ..Default::default()
    }]);
    let data = doc
        .generate_sync_message(&mut state)
        .expect("changes to send")
        .encode();
    protocol::encode(&Message::Sync {
        document_id: id,
        sender_id: PeerId::from(device),
        target_id: PeerId::from("outpost-relay"),
        data,
    })
}

/// `doc` with its title set to `title` by `author`.
pub fn retitled(doc: &Automerge, title: &str, author: &str) -> Automerge {
    use automerge::transaction::Transactable;
    let mut doc = doc.clone();
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, "title", title).unwrap();
    tx.commit_with(meta(author).commit_options());
    doc
}
